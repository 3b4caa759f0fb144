"""Day-one questions about a shop's own export (another schema, extra columns, cancellations), asked in English
and Chinese through the offline planner; every number in the answer is checked against pandas on the raw file."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from assistant.core import Assistant
from tests.test_semantic import write_shop
from tools.loading import load_dataset
from tools.workspace import Workspace


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    root = tmp_path_factory.mktemp("shop-questions")
    raw = write_shop(root / "export.csv", seed=11)
    home = root / "home"
    load_dataset(Workspace(home), root / "export.csv")
    raw["day"] = raw["Purchase Date"]
    done = raw[raw["Order Status"] == "Completed"].copy()
    return Assistant(Workspace(home)), raw, done


def orders(frame: pd.DataFrame) -> int:
    return frame.groupby(["Customer Ref", "day"]).ngroups  # no order ids: an order is a customer-day


def number_in(text: str, value: float, kind: str) -> bool:
    """The answer shows the value as people write it (thousands separators, %, 1 or 2 decimals)."""
    shown = {"money": [f"{value:,.0f}", f"{value:,.2f}"], "count": [f"{value:,.0f}"], "pct": [f"{value:.1%}", f"{value:.0%}"],
             "number": [f"{value:,.2f}", f"{value:,.1f}"]}[kind]
    flat = text.replace("，", ",")
    return any(s in flat for s in shown)


def metric_call(answer):
    calls = [c for c in answer.tool_calls if c.name == "query_metrics" and c.status == "ok"]
    assert calls, f"no query_metrics call: {[(c.name, c.args, c.status, c.error) for c in answer.tool_calls]}"
    return calls[-1]


def rows(answer) -> pd.DataFrame:
    return pd.DataFrame(metric_call(answer).result.facts["rows"])


def ask(assistant, question: str):
    return assistant.ask(question, assistant.conversation("marketer"))


@pytest.mark.parametrize("question", ["What is our average order value?", "我们的平均客单价是多少"])
def test_average_order_value(shop, question):
    assistant, _, done = shop
    want = done["Total Price"].sum() / orders(done)
    answer = ask(assistant, question)
    assert rows(answer).iloc[0]["aov"] == pytest.approx(want)
    assert number_in(answer.text, want, "money"), answer.text


@pytest.mark.parametrize("question", ["Revenue split by product category please", "按商品类别看一下收入"])
def test_revenue_by_category(shop, question):
    assistant, _, done = shop
    want = done.groupby("Product Category")["Total Price"].sum()
    got = rows(ask(assistant, question)).set_index("category")["revenue"]
    assert got.to_dict() == pytest.approx(want.to_dict())


@pytest.mark.parametrize("question", ["How many orders got cancelled, as a rate, and how much revenue did we lose?",
                                      "订单取消率是多少，取消损失了多少钱"])
def test_cancellation_rate_and_lost_revenue(shop, question):
    assistant, raw, done = shop
    gone = raw[raw["Order Status"] != "Completed"]
    answer = ask(assistant, question)
    row = rows(answer).iloc[0]
    # over the orders placed: an order with a cancelled and a completed line is one order
    assert row["cancellation_rate"] == pytest.approx(orders(gone) / orders(raw))
    if "cancelled_revenue" in row:
        assert row["cancelled_revenue"] == pytest.approx(gone["Total Price"].sum())


@pytest.mark.parametrize("question", ["What share of customers come back and buy again?", "复购率怎么样"])
def test_repeat_purchase_rate(shop, question):
    assistant, _, done = shop
    per = done.groupby("Customer Ref")["day"].nunique()
    answer = ask(assistant, question)
    assert rows(answer).iloc[0]["repeat_purchase_rate"] == pytest.approx((per >= 2).mean())
    assert number_in(answer.text, (per >= 2).mean(), "pct"), answer.text


@pytest.mark.parametrize("question", ["Which item sells the most units?", "卖得最好的商品是哪个"])
def test_best_selling_product(shop, question):
    assistant, _, done = shop
    best = done.groupby("Item")["Qty"].sum().idxmax()
    answer = ask(assistant, question)
    assert rows(answer).iloc[0]["product"] == best
    assert best in answer.text


@pytest.mark.parametrize("question", ["How much revenue does each payment method bring in?", "各支付方式的销售额"])
def test_revenue_by_payment_method(shop, question):
    assistant, _, done = shop
    canon = done["Payment Method"].str.strip().str.lower().str.replace(" ", "")
    want = done.groupby(canon)["Total Price"].sum()
    got = rows(ask(assistant, question))
    key = [c for c in got.columns if c.startswith("payment")][0]
    got = got.assign(k=got[key].str.strip().str.lower().str.replace(" ", "")).set_index("k")["revenue"]
    assert got.to_dict() == pytest.approx(want.to_dict())


@pytest.mark.parametrize("question", ["Which shipping option do customers pick most often?", "客户最常选哪种配送方式"])
def test_shipping_choice(shop, question):
    assistant, _, done = shop
    # an order (customer-day) with two shipping types counts under each
    want = done.drop_duplicates(["Customer Ref", "day", "Shipping Type"])["Shipping Type"].value_counts()
    got = rows(ask(assistant, question))
    key = [c for c in got.columns if c.startswith("shipping")][0]
    assert got.iloc[0][key] == want.idxmax()
    assert int(got.set_index(key)["orders"].loc[want.idxmax()]) == want.max()


@pytest.mark.parametrize("question", ["How many customers are loyalty members?", "有多少客户是会员"])
def test_loyalty_members(shop, question):
    assistant, _, done = shop
    want = done.loc[done["Loyalty Member"] == "Yes", "Customer Ref"].nunique()
    answer = ask(assistant, question)
    assert rows(answer).iloc[0]["customers"] == want
    assert number_in(answer.text, want, "count"), answer.text


@pytest.mark.parametrize("question", ["What's the average review rating?", "平均评分是多少"])
def test_average_rating(shop, question):
    assistant, _, done = shop
    answer = ask(assistant, question)
    got = rows(answer)
    col = [c for c in got.columns if c.startswith("avg_") and "rating" in c][0]
    assert got.iloc[0][col] == pytest.approx(done["Rating"].mean())


@pytest.mark.parametrize("question", ["How old are our customers on average?", "客户的平均年龄是多少"])
def test_average_age(shop, question):
    assistant, _, done = shop
    ages = done.groupby("Customer Ref")["Customer Age"].first()
    got = rows(ask(assistant, question))
    col = [c for c in got.columns if "age" in c][0]
    assert got.iloc[0][col] == pytest.approx(ages.mean())


@pytest.mark.parametrize("question", ["How many customers bought a laptop but never a smartwatch?",
                                      "买过笔记本电脑但从没买过智能手表的客户有多少"])
def test_laptop_but_never_smartwatch(shop, question):
    assistant, _, done = shop
    laptop = set(done.loc[done["Item"] == "Laptop", "Customer Ref"])
    watch = set(done.loc[done["Item"] == "Smartwatch", "Customer Ref"])
    answer = ask(assistant, question)
    assert rows(answer).iloc[0]["customers"] == len(laptop - watch)
    assert number_in(answer.text, len(laptop - watch), "count"), answer.text


@pytest.mark.parametrize("question", ["How many customers have spent more than 3,000 in total?", "累计消费超过3000的客户有几位"])
def test_spent_more_than(shop, question):
    assistant, _, done = shop
    want = int((done.groupby("Customer Ref")["Total Price"].sum() > 3000).sum())
    answer = ask(assistant, question)
    got = answer.tool_calls[-1]
    if got.name == "query_metrics":
        assert rows(answer).iloc[0]["customers"] == want
    else:
        assert got.name == "find_customers" and got.result.facts["customers"] == want
    assert number_in(answer.text, want, "count"), answer.text


@pytest.mark.parametrize("question, audience", [
    ("Smartphone revenue in August 2024", False), ("2024年8月智能手机的销售额", False),
    ("Revenue in August 2024 from customers who have bought a smartphone", True),
    ("买过智能手机的客户在2024年8月贡献了多少销售额", True)])
def test_smartphone_orders_versus_smartphone_buyers(shop, question, audience):
    assistant, _, done = shop
    aug = done[done["day"].str.startswith("2024-08")]
    buyers = set(done.loc[done["Item"] == "Smartphone", "Customer Ref"])
    want = (aug.loc[aug["Customer Ref"].isin(buyers), "Total Price"].sum() if audience
            else aug.loc[aug["Item"] == "Smartphone", "Total Price"].sum())
    answer = ask(assistant, question)
    assert rows(answer).iloc[0]["revenue"] == pytest.approx(want)
    assert number_in(answer.text, want, "money"), answer.text
    said = metric_call(answer).result.summary
    assert ("customers who bought" in said) == audience and ("order lines where" in said) == (not audience)


@pytest.mark.parametrize("question", ["Which customer has spent the most with us, and how much?", "消费最高的是哪位客户，一共买了多少钱",
                                      "who is our top spender"])
def test_biggest_spender_is_named_with_the_amount(shop, question):
    assistant, _, done = shop
    spend = done.groupby("Customer Ref")["Total Price"].sum()
    answer = ask(assistant, question)
    assert str(spend.idxmax()) in answer.text, answer.text
    assert number_in(answer.text, spend.max(), "money"), answer.text
