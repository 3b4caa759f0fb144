"""Aggregate questions composed into query_metrics calls: metrics, groupings, order filters versus
buyer audiences, negation, windows, rankings and comparisons, in English and Chinese, over the demo's
lists, a shop export with extra attributes, and a shop whose own values are Chinese.

These run on the planner alone (no dataset); the questions are our own wording.
"""

import json
import time
from datetime import date
from pathlib import Path

import pytest

from assistant.answer import ToolCallRecord
from assistant.conversation import ConversationState
from assistant.evaluation import check_turn, load_items, preset_met, turns_of
from assistant.glossary import discount_off, translations, unit_value
from assistant.planner import OfflinePlanner
from assistant.planning_compose import compose_record
from assistant.planning_metrics import conditions, parse
from tools.results import ToolResult

HELDOUT = Path(__file__).parent / "data/heldout_metrics.jsonl"
PARAPHRASES = Path(__file__).parent / "data/paraphrases.jsonl"
QUESTIONS = Path(__file__).parents[1].parent / "shared/evals/questions.jsonl"

DEMO = {
    "countries": ["Canada", "France", "Germany", "Italy", "Netherlands", "Spain", "United Kingdom", "United States"],
    "channels": ["app", "store", "web"],
    "categories": ["Beauty", "Books", "Electronics", "Fashion", "Grocery", "Home", "Sports", "Toys"],
    "products": ["Laptop Pro 14", "Laptop Sleeve", "Laptop Backpack", "Smartphone X12", "Smartwatch", "Wireless Earbuds",
                 "Phone Case", "Running Shoes", "Yoga Mat", "Coffee Maker"],
    "segments": ["at_risk", "champions", "lost", "loyal", "new_customers"],
    "personas": ["Frequent big-basket customers"],
    "as_of": ["2025-12-31"],
}
SHOP = {
    "countries": ["Germany", "France", "United States"], "channels": ["web", "app"],
    "categories": ["Laptop", "Smartwatch", "Smartphone", "Tablet", "Headphones"],
    "products": ["MacBook Air", "Galaxy Watch 6", "iPhone 15"],
    "attributes": [
        {"name": "payment_method", "label": "Payment Method", "type": "categorical", "grain": "order",
         "values": ["PayPal", "Credit Card", "Cash", "Bank Transfer"]},
        {"name": "shipping_type", "label": "Shipping Type", "type": "categorical", "grain": "order",
         "values": ["Express", "Standard", "Free Shipping"]},
        {"name": "rating", "label": "Rating", "type": "numeric", "grain": "order", "values": []},
        {"name": "add_on_total", "label": "Add-on Total", "type": "numeric", "grain": "order", "values": []},
        {"name": "loyalty_member", "label": "Loyalty Member", "type": "boolean", "grain": "customer", "values": ["Yes", "No"]},
        {"name": "age", "label": "Age", "type": "numeric", "grain": "customer", "values": []},
        {"name": "gender", "label": "Gender", "type": "categorical", "grain": "customer", "values": ["Female", "Male"]},
    ],
    "as_of": ["2025-12-31"],
}
ZH_SHOP = {
    "countries": ["中国"], "channels": ["天猫", "京东"], "categories": ["笔记本电脑", "智能手表", "女装"], "products": [],
    "attributes": [{"name": "收货省份", "label": "收货省份", "type": "categorical", "grain": "customer", "values": ["广东", "浙江"]}],
    "as_of": ["2025-12-31"],
}


@pytest.fixture(scope="module")
def planner():
    return OfflinePlanner()


def call_for(planner, question, vocabulary=DEMO, state=None, role="marketer"):
    p = planner.plan(question, state or ConversationState(), vocabulary, role=role)
    assert len(p.calls) == 1, (question, p)
    return p.calls[0]


def metrics_call(planner, question, vocabulary=DEMO, state=None):
    call = call_for(planner, question, vocabulary, state)
    assert call.name == "query_metrics", (question, call)
    return call.args


def carries(args, expected):
    return all(args.get(k) == v for k, v in expected.items())


def remember(state, call):
    state.last_tool, state.last_args = call.name, dict(call.args)
    return state


# ------------------------------------------------------------------ metric words
@pytest.mark.parametrize("question, metrics", [
    ("what did the Toys category turn over in total", ["revenue"]),
    ("GMV for the web channel", ["revenue"]),
    ("营业额是多少", ["revenue"]),
    ("number of orders from Spain", ["orders"]),
    ("订单量有多少", ["orders"]),
    ("how many units of the Yoga Mat went out the door this year", ["units"]),
    ("咖啡机卖了多少件", ["units"]),
    ("what's the typical basket value", ["aov"]),
    ("法国的笔单价", ["aov"]),
    ("what's the cancel rate on app orders", ["cancellation_rate"]),
    ("今年的订单取消率", ["cancellation_rate"]),
    ("lost revenue in Q2", ["cancelled_revenue"]),
    ("上季度损失金额", ["cancelled_revenue"]),
    ("repurchase rate of German customers", ["repeat_purchase_rate"]),
    ("意大利客户的回购率", ["repeat_purchase_rate"]),
    ("how many distinct buyers did the Smartwatch have", ["customers"]),
    ("what's the average spend per customer in the United States", ["revenue_per_customer"]),
    ("美国客户人均消费多少", ["revenue_per_customer"]),
    ("units per order on the web", ["items_per_order"]),
    ("门店的连带率", ["items_per_order"]),
    ("purchase frequency of champions", ["purchase_frequency"]),
    ("冠军客户的购买频率", ["purchase_frequency"]),
    ("average gap between purchases for loyal customers", ["avg_days_between_orders"]),
    ("忠诚客户的复购周期", ["avg_days_between_orders"]),
    ("revenue share per channel", ["share_of_revenue"]),
    ("各渠道收入占比", ["share_of_revenue"]),
    ("return rate for Fashion", ["refund_rate"]),
    ("时尚服饰的退货率", ["refund_rate"]),
    ("expected value of customers who bought Toys", ["expected_value_12m"]),
    ("加拿大客户的预期价值", ["expected_value_12m"]),
    ("churn probability of customers who bought Electronics", ["churn_probability"]),
    ("revenue at risk among web buyers", ["revenue_at_risk"]),
    ("share of returning customers by channel", ["returning_customer_rate"]),
    ("revenue and order count by channel", ["revenue", "orders"]),
])
def test_metric_words_in_both_languages_name_catalog_metrics(planner, question, metrics):
    assert metrics_call(planner, question)["metrics"] == metrics


def test_numeric_attributes_give_averages_and_totals(planner):
    assert metrics_call(planner, "mean rating of Tablet orders", SHOP) == {
        "metrics": ["avg_rating"], "filters": {"category": "Tablet"}}
    assert metrics_call(planner, "平均评分是多少", SHOP)["metrics"] == ["avg_rating"]
    assert metrics_call(planner, "sum of add-on totals per month", SHOP) == {"metrics": ["sum_add_on_total"], "grain": "month"}
    assert metrics_call(planner, "add-on revenue by payment method", SHOP)["metrics"] == ["sum_add_on_total"]
    assert metrics_call(planner, "how old are our shoppers on average? average age please", SHOP)["metrics"] == ["avg_age"]


# ------------------------------------------------------------------ the grain of a filter
def test_an_order_filter_and_a_buyer_audience_are_different_questions(planner):
    lines = metrics_call(planner, "sales of Smartwatch orders")
    buyers = metrics_call(planner, "sales to people who have purchased the Smartwatch")
    assert lines == {"metrics": ["revenue"], "filters": {"product": "Smartwatch"}}
    assert buyers == {"metrics": ["revenue"], "audience": {"product": "Smartwatch"}}
    assert metrics_call(planner, "智能手表这个商品的销售额") == {"metrics": ["revenue"], "filters": {"product": "Smartwatch"}}
    assert metrics_call(planner, "购买过智能手表的顾客一共贡献了多少收入") == {"metrics": ["revenue"], "audience": {"product": "Smartwatch"}}


@pytest.mark.parametrize("question, expected", [
    ("Tablet revenue in November", {"filters": {"category": "Tablet"}, "since": "2025-11-01", "until": "2025-11-30"}),
    ("how many orders were paid with PayPal", {"metrics": ["orders"], "filters": {"payment_method": "PayPal"}}),
    ("AOV of express shipping orders", {"metrics": ["aov"], "filters": {"shipping_type": "Express"}}),
    ("AOV for buyers of headphones", {"metrics": ["aov"], "audience": {"category": "Headphones"}}),
    ("revenue per customer among loyalty members", {"metrics": ["revenue_per_customer"], "audience": {"loyalty_member": True}}),
    ("repeat rate of shoppers who paid by bank transfer", {"audience": {"payment_method": "Bank Transfer"}}),
    ("用信用卡付款的订单有多少", {"metrics": ["orders"], "filters": {"payment_method": "Credit Card"}}),
    ("用信用卡付过款的客户的客单价", {"metrics": ["aov"], "audience": {"payment_method": "Credit Card"}}),
    ("会员客户的人均消费", {"metrics": ["revenue_per_customer"], "audience": {"loyalty_member": True}}),
    ("女性客户的销售额", {"audience": {"gender": "Female"}}),
])
def test_values_of_order_fields_filter_lines_unless_a_buyer_is_meant(planner, question, expected):
    assert carries(metrics_call(planner, question, SHOP), expected)


@pytest.mark.parametrize("question, audience", [
    ("revenue from customers who bought a tablet but never headphones",
     [{"field": "category", "op": "=", "value": "Tablet"}, {"field": "category", "op": "!=", "value": "Headphones"}]),
    ("how many shoppers have bought an iPhone 15 and not a Galaxy Watch 6",
     [{"field": "product", "op": "=", "value": "iPhone 15"}, {"field": "product", "op": "!=", "value": "Galaxy Watch 6"}]),
    ("AOV of customers not based in Germany", [{"field": "country", "op": "!=", "value": "Germany"}]),
    ("买过平板电脑却从来没买过耳机的客户数",
     [{"field": "category", "op": "=", "value": "Tablet"}, {"field": "category", "op": "!=", "value": "Headphones"}]),
    ("德国以外的客户贡献的销售额", [{"field": "country", "op": "!=", "value": "Germany"}]),
    ("非会员的客单价", {"loyalty_member": False}),
    ("AOV of non-members", {"loyalty_member": False}),
])
def test_negation_turns_a_condition_around(planner, question, audience):
    assert metrics_call(planner, question, SHOP)["audience"] == audience


def test_a_negated_order_value_without_a_buyer_excludes_lines(planner):
    args = metrics_call(planner, "revenue excluding Electronics, app only")
    assert args["filters"] == [{"field": "category", "op": "!=", "value": "Electronics"}, {"field": "channel", "op": "=", "value": "app"}]
    assert metrics_call(planner, "不含图书的销售额")["filters"] == [{"field": "category", "op": "!=", "value": "Books"}]


@pytest.mark.parametrize("question, audience", [
    ("revenue from customers who spent over 5000 in total", [{"field": "total_spend", "op": ">", "value": 5000}]),
    ("AOV of customers with at least 4 orders", [{"field": "orders", "op": ">=", "value": 4}]),
    ("revenue from people with no purchase in the last 120 days", [{"field": "days_since_last_order", "op": ">=", "value": 120}]),
    ("累计消费超过2万的客户的客单价", [{"field": "total_spend", "op": ">", "value": 20000}]),
    ("超过60天没下单的客户的人均消费", [{"field": "days_since_last_order", "op": ">=", "value": 60}]),
    ("aov of shoppers older than 50", [{"field": "age", "op": ">", "value": 50}]),
    ("revenue from customers aged 18 to 24", [{"field": "age", "op": "between", "value": [18, 24]}]),
    ("35岁以上客户的复购率", [{"field": "age", "op": ">=", "value": 35}]),
])
def test_customer_bounds_are_audience_conditions(planner, question, audience):
    assert metrics_call(planner, question)["audience"] == audience


def test_a_window_inside_an_audience_phrase_is_no_time_window(planner):
    args = metrics_call(planner, "revenue from customers with no order in the past 90 days")
    assert "since" not in args and args["audience"][0]["field"] == "days_since_last_order"


# ------------------------------------------------------------------ groupings and time
@pytest.mark.parametrize("question, by", [
    ("revenue for each payment method", ["payment_method"]),
    ("AOV split by shipping type", ["shipping_type"]),
    ("每种配送方式的订单数", ["shipping_type"]),
    ("按付款方式看客单价", ["payment_method"]),
    ("revenue per loyalty membership", ["loyalty_member"]),
    ("average order value by age group", ["age_band"]),
    ("按年龄段的人均消费", ["age_band"]),
    ("units by category and channel", ["category", "channel"]),
    ("orders per city", ["city"]),
    ("revenue by first purchase month", ["cohort"]),
    ("各城市的销售额", ["city"]),
])
def test_groupings_come_from_dimension_words_and_attribute_labels(planner, question, by):
    assert metrics_call(planner, question, SHOP)["by"] == by


@pytest.mark.parametrize("question, expected", [
    ("revenue in the last 45 days", {"since": "2025-11-17"}),
    ("orders over the past 2 quarters", {"since": "2025-07-01"}),
    ("最近两个月的客单价", {"since": "2025-11-01"}),
    ("近四周的销量", {"since": "2025-12-04"}),
    ("units sold in September", {"since": "2025-09-01", "until": "2025-09-30"}),
    ("AOV for March 2024", {"since": "2024-03-01", "until": "2024-03-31"}),
    ("2024年3月的订单数", {"since": "2024-03-01", "until": "2024-03-31"}),
    ("revenue across 2024", {"since": "2024-01-01", "until": "2024-12-31"}),
    ("去年的取消率", {"since": "2024-01-01", "until": "2024-12-31"}),
    ("aov so far this year", {"since": "2025-01-01"}),
    ("weekly revenue from app orders", {"grain": "week"}),
    ("按季度看图书的销售额", {"grain": "quarter"}),
    ("yearly order count from France", {"grain": "year"}),
    ("每年的销售额，按渠道", {"grain": "year", "by": ["channel"]}),
])
def test_windows_are_dates_from_the_as_of_date_and_grains_are_series(planner, question, expected):
    assert carries(metrics_call(planner, question), expected)


# ------------------------------------------------------------------ rankings and comparisons
@pytest.mark.parametrize("question, expected", [
    ("our top-selling product", {"metrics": ["units"], "by": ["product"], "sort": "units", "limit": 1}),
    ("which product sold the least", {"by": ["product"], "sort": "units:asc", "limit": 1}),
    ("the 4 categories with the most revenue", {"by": ["category"], "sort": "revenue", "limit": 4}),
    ("top 2 channels by AOV", {"metrics": ["aov"], "by": ["channel"], "sort": "aov", "limit": 2}),
    ("what country has the lowest repeat purchase rate", {"by": ["country"], "sort": "repeat_purchase_rate:asc", "limit": 1}),
    ("which payment method do people use the most", {"metrics": ["orders"], "by": ["payment_method"], "limit": 1}),
    ("哪个品类的销量最高", {"metrics": ["units"], "by": ["category"], "sort": "units", "limit": 1}),
    ("卖得最差的商品", {"by": ["product"], "sort": "units:asc", "limit": 1}),
    ("客单价最低的两个渠道", {"by": ["channel"], "sort": "aov:asc", "limit": 2}),
    ("订单数排名前3的国家", {"by": ["country"], "sort": "orders", "limit": 3}),
])
def test_rankings_set_sort_and_limit(planner, question, expected):
    vocabulary = SHOP if "payment" in question else DEMO
    assert carries(metrics_call(planner, question, vocabulary), expected)


@pytest.mark.parametrize("question, expected", [
    ("revenue last month compared with the month before", {"since": "2025-11-01", "until": "2025-11-30", "compare": "previous_period"}),
    ("orders this quarter versus last quarter", {"since": "2025-10-01", "compare": "previous_period"}),
    ("AOV in November vs a year earlier", {"since": "2025-11-01", "compare": "previous_year"}),
    ("本季度销售额同比增长多少", {"since": "2025-10-01", "compare": "previous_year"}),
    ("上个月订单数环比", {"since": "2025-11-01", "compare": "previous_period"}),
    ("今年的客单价和去年相比", {"since": "2025-01-01", "compare": "previous_year"}),
])
def test_comparisons_are_with_the_previous_period_or_year(planner, question, expected):
    assert carries(metrics_call(planner, question), expected)


def test_two_values_of_one_field_compared_group_by_that_field(planner):
    args = metrics_call(planner, "AOV: Books vs Toys")
    assert args["by"] == ["category"]
    assert args["filters"] == [{"field": "category", "op": "in", "value": ["Books", "Toys"]}]
    assert metrics_call(planner, "对比一下德国和法国客户的复购率")["by"] == ["country"]


# ------------------------------------------------------------------ both languages, both directions
def test_english_questions_find_a_shops_chinese_values(planner):
    assert metrics_call(planner, "notebook computer sales last quarter", ZH_SHOP) == {
        "metrics": ["revenue"], "filters": {"category": "笔记本电脑"}, "since": "2025-07-01", "until": "2025-09-30"}
    assert metrics_call(planner, "womenswear orders on Tmall", ZH_SHOP)["filters"] == {"category": "女装", "channel": "天猫"}
    assert metrics_call(planner, "AOV of customers shipping to Zhejiang", ZH_SHOP)["audience"] == {"收货省份": "浙江"}
    assert metrics_call(planner, "revenue by 收货省份", ZH_SHOP)["by"] == ["收货省份"]


def test_chinese_questions_find_a_shops_english_values(planner):
    assert metrics_call(planner, "笔记本的销量", SHOP) == {"metrics": ["units"], "filters": {"category": "Laptop"}}
    assert metrics_call(planner, "智能手机上个月卖了多少钱", SHOP)["filters"] == {"category": "Smartphone"}
    assert metrics_call(planner, "笔记本电脑的销售额", DEMO)["filters"] == {"product": "Laptop Pro 14"}  # the laptop, not its sleeve
    assert metrics_call(planner, "贝宝支付的订单数", SHOP)["filters"] == {"payment_method": "PayPal"}
    assert metrics_call(planner, "包邮订单的客单价", SHOP)["filters"] == {"shipping_type": "Free Shipping"}


def test_misspelt_values_and_metrics_are_still_read(planner):
    assert metrics_call(planner, "revnue from smartwach orders") == {"metrics": ["revenue"], "filters": {"product": "Smartwatch"}}
    assert metrics_call(planner, "cancelation rate by chanel")["by"] == ["channel"]


# ------------------------------------------------------------------ routing
@pytest.mark.parametrize("question, tool", [
    ("draft a win-back email for customers who spent over 500", "draft_campaign"),
    ("how is the repeat purchase rate defined?", "explain_model"),
    ("forecast revenue for the next quarter", "clv_forecast"),
    ("which customers bought Electronics?", "find_customers"),
    ("the 20 customers with the highest total spend", "find_customers"),
    ("how many customers do we have in Spain", "find_customers"),
    ("monthly revenue trend", "kpi_trend"),
    ("how has the AOV developed week by week", "kpi_trend"),
    ("how many customers per RFM segment", "segment_summary"),
    ("how many customers and orders in total", "dataset_overview"),
    ("look up C000123", "customer_lookup"),
])
def test_the_older_tools_keep_the_questions_they_answer(planner, question, tool):
    assert call_for(planner, question).name == tool


def test_a_support_agent_asking_about_a_caller_is_no_aggregate(planner):
    assert call_for(planner, "what's the AOV of customer C000321?", role="support").name == "customer_lookup"


# ------------------------------------------------------------------ follow-ups
def test_an_english_three_turn_chain_refines_the_last_query(planner):
    state = ConversationState()
    first = call_for(planner, "revenue by channel this year", state=state)
    assert first.args == {"metrics": ["revenue"], "by": ["channel"], "since": "2025-01-01"}
    second = call_for(planner, "only customers in Italy", state=remember(state, first))
    assert second.args == {**first.args, "audience": {"country": "Italy"}}
    third = call_for(planner, "and what about AOV?", state=remember(state, second))
    assert third.args == {**second.args, "metrics": ["aov"]}


def test_a_chinese_three_turn_chain_refines_the_last_query(planner):
    state = ConversationState()
    first = call_for(planner, "各品类的订单数", state=state)
    assert first.args == {"metrics": ["orders"], "by": ["category"]}
    second = call_for(planner, "只看门店的", state=remember(state, first))
    assert second.args == {**first.args, "filters": {"channel": "store"}}
    third = call_for(planner, "那按月看呢", state=remember(state, second))
    assert third.args == {**second.args, "grain": "month"}


def test_their_after_a_list_is_that_audience(planner):
    state = ConversationState(last_tool="find_customers", last_args={"tier": "high", "country": "France"},
                              audience={"tier": "high", "country": "France"})
    args = metrics_call(planner, "what's their average order value?", state=state)
    assert args == {"metrics": ["aov"], "audience": {"tier": "high", "country": "France"}}


def test_a_new_full_question_after_an_aggregate_starts_afresh(planner):
    state = ConversationState(last_tool="query_metrics", last_args={"metrics": ["revenue"], "by": ["channel"],
                                                                    "audience": {"country": "Italy"}})
    assert metrics_call(planner, "What is the refund rate per category?", state=state) == {
        "metrics": ["refund_rate"], "by": ["category"]}


# ------------------------------------------------------------------ bounded
def test_reading_an_aggregate_question_is_bounded_and_linear():
    parse("revenue", SHOP, date(2025, 12, 31))  # the phrase index is built once per vocabulary
    for question in ("revenue by category " * 5000, "订单数" + "1" * 2000, "revenue from customers who bought " + "laptop " * 3000,
                     "9" * 100_000, "买过" * 50_000):
        start = time.perf_counter()
        parse(question, SHOP, date(2025, 12, 31))
        assert time.perf_counter() - start < 0.5, question[:30]  # the bound; a busy 2-core machine takes ~0.25 s


# ------------------------------------------------------------------ glossary
def test_the_glossary_translates_retail_words_units_and_discounts():
    assert "laptop" in translations("笔记本电脑") and "智能手表" in translations("smartwatch")
    assert "women's clothing" in translations("女装")
    assert unit_value("万") == 10000 and unit_value("千") == 1000
    assert discount_off("九折") == 10 and discount_off("八五折") == 15 and discount_off("7.5折") == 25
    assert discount_off("半价") == 50 and discount_off("no discount") is None


# ------------------------------------------------------------------ answers
def result(**facts):
    base = {"metrics": ["revenue"], "by": [], "grain": None, "since": "2025-08-01", "until": "2025-08-31", "compare": None,
            "scope": "x", "definitions": {"revenue": "sum of the amounts of completed order lines"}, "order_definition": None,
            "labels": {"revenue": {"en": "Revenue", "zh": "销售额"}, "aov": {"en": "Average order value", "zh": "客单价"}},
            "units": {"revenue": "money", "aov": "money"}, "currency": "EUR", "rows": [], "row_count": 0}
    base.update(facts)
    return ToolResult(summary="Revenue: EUR 1,200 (order lines where category = Laptop).", facts=base)


def test_a_chinese_answer_says_what_it_computed_and_for_whom():
    args = {"metrics": ["revenue"], "filters": {"category": "Laptop"}, "since": "2025-08-01", "until": "2025-08-31"}
    r = result(rows=[{"revenue": 1200.0}], row_count=1)
    text = compose_record("zh", ToolCallRecord("query_metrics", args, "ok", result=r))
    assert "销售额：EUR 1,200" in text and "只计品类为Laptop的订单行" in text and "2025-08-01 至 2025-08-31" in text
    buyers = {"metrics": ["revenue"], "audience": [{"field": "category", "op": "=", "value": "Laptop"},
                                                   {"field": "category", "op": "!=", "value": "Smartwatch"}]}
    text = compose_record("zh", ToolCallRecord("query_metrics", buyers, "ok", result=r))
    assert "买过Laptop、从未买过Smartwatch的客户" in text and "计入这些客户的全部已完成订单" in text


def test_a_chinese_ranking_and_series_answer_name_the_top_group_and_months():
    args = {"metrics": ["aov"], "by": ["channel"], "sort": "aov", "limit": 1}
    r = result(metrics=["aov"], by=["channel"], rows=[{"channel": "app", "aov": 88.5}], row_count=1)
    text = compose_record("zh", ToolCallRecord("query_metrics", args, "ok", result=r))
    assert text.startswith("客单价最高的渠道是应用：EUR 88.50")
    series = result(grain="month", since="2025-06-01", until="2025-08-20",
                    rows=[{"period": "2025-06-01", "revenue": 10.0}, {"period": "2025-07-01", "revenue": 20.0},
                          {"period": "2025-08-01", "revenue": 5.0}], row_count=3)
    text = compose_record("zh", ToolCallRecord("query_metrics", {"grain": "month"}, "ok", result=series))
    assert "从 2025年6月 到 2025年8月" in text and "合计 EUR 35.00" in text and "最后一月不完整" in text


def test_an_english_ranking_answer_leads_with_the_winner():
    args = {"metrics": ["aov"], "by": ["channel"], "sort": "aov:asc", "limit": 1}
    r = result(metrics=["aov"], by=["channel"], rows=[{"channel": "store", "aov": 61.0}], row_count=1)
    text = compose_record("en", ToolCallRecord("query_metrics", args, "ok", result=r))
    assert text.startswith("store has the lowest average order value of any channel: EUR 61.00.")


# ------------------------------------------------------------------ the held-out set and the preset rule
def test_the_held_out_questions_are_fresh_and_half_chinese():
    items = load_items(HELDOUT)
    questions = [t["q"] for item in items for t in turns_of(item)]
    assert len(questions) >= 40
    chinese = [q for q in questions if any("\u4e00" <= ch <= "\u9fff" for ch in q)]
    assert 0.4 <= len(chinese) / len(questions) <= 0.6
    assert all(item["expect"]["tool"] == "query_metrics" for item in items)
    taken = {t["q"] for path in (PARAPHRASES, QUESTIONS) if path.exists() for item in load_items(path) for t in turns_of(item)}
    here = Path(__file__).read_text(encoding="utf-8")
    assert not taken & set(questions) and not any(json.dumps(q, ensure_ascii=False) in here for q in questions)


def test_a_preset_expectation_is_met_by_a_query_metrics_call_carrying_its_values():
    expect = {"tool": "kpi_trend", "args": {"metric": "repeat_rate", "period": "quarter", "country": "Germany"}}
    call = {"name": "query_metrics", "status": "ok",
            "args": {"metrics": ["repeat_purchase_rate"], "grain": "quarter", "audience": {"country": "Germany"}}}
    assert check_turn(expect, "x", [call])
    assert not check_turn({**expect, "args": {"metric": "aov"}}, "x", [call])
    assert not check_turn({"tool": "find_customers", "args": {"country": "Germany"}}, "x", [call])
    assert preset_met({"by": "category", "since": "2025-07-01"}, {"by": ["category"], "since": "2025-07-01"})


# ------------------------------------------------------------------ more pieces
@pytest.mark.parametrize("question, expected", [
    ("what fraction of orders end up cancelled", {"metrics": ["cancellation_rate"]}),
    ("退款比例最高的渠道", {"metrics": ["refund_rate"], "by": ["channel"], "limit": 1}),
    ("how many orders got cancelled in October", {"metrics": ["cancelled_orders"], "since": "2025-10-01"}),
    ("how much does a shopper spend per order in store", {"metrics": ["aov"], "filters": {"channel": "store"}}),
    ("每人平均消费多少钱", {"metrics": ["revenue_per_customer"]}),
    ("how many times a year does a customer buy from us on average", {"metrics": ["purchase_frequency"]}),
    ("平均一单买几件", {"metrics": ["items_per_order"]}),
    ("repeat purchase rate of customers who joined in 2024",
     {"audience": [{"field": "first_order_date", "op": "between", "value": ["2024-01-01", "2024-12-31"]}]}),
    ("2025年新加入的客户的人均消费",
     {"audience": [{"field": "first_order_date", "op": "between", "value": ["2025-01-01", "2025-12-31"]}]}),
    ("units sold in Q2 2025 vs Q2 2024", {"since": "2025-04-01", "until": "2025-06-30", "compare": "previous_year"}),
    ("10月和9月的订单数对比", {"since": "2025-10-01", "until": "2025-10-31", "compare": "previous_period"}),
    ("Toys revenue last winter", {"filters": {"category": "Toys"}, "since": "2024-12-01", "until": "2025-02-28"}),
    ("Toys revenue this winter so far", {"filters": {"category": "Toys"}, "since": "2025-12-01"}),
    ("去年夏天的销售额", {"since": "2024-06-01", "until": "2024-08-31"}),
    ("how much of our revenue does Fashion make up", {"metrics": ["share_of_revenue"], "by": ["category"]}),
])
def test_ratios_cohorts_seasons_and_shares_compose_from_their_words(planner, question, expected):
    assert carries(metrics_call(planner, question), expected)


def test_two_values_of_a_customer_field_are_either_one(planner):
    args = metrics_call(planner, "revenue from Germany and France")
    assert args["audience"] == [{"field": "country", "op": "in", "value": ["Germany", "France"]}]
    both = metrics_call(planner, "customers who bought the Smartwatch and the Yoga Mat: how many?")
    assert both["audience"] == [{"field": "product", "op": "=", "value": "Smartwatch"}, {"field": "product", "op": "=", "value": "Yoga Mat"}]


# ------------------------------------------------------------------ a Chinese marketplace export, end to end
TMALL = Path(__file__).parents[1].parent / "shared" / "data" / "shops" / "tmall_style_orders.csv"


@pytest.fixture(scope="module")
def tmall(tmp_path_factory):
    """The practice shop loaded (no models needed for these numbers), and its rows as pandas reads them."""
    import pandas as pd

    from assistant.core import Assistant
    from tools.loading import load_dataset
    from tools.workspace import Workspace

    if not TMALL.exists():
        pytest.fail(f"The practice shop is missing: {TMALL}")
    ws = Workspace(tmp_path_factory.mktemp("tmall") / "home")
    load_dataset(ws, TMALL, build_models=False)
    frame = pd.read_csv(TMALL, encoding="utf-8-sig")
    frame["day"] = pd.to_datetime(frame["订单创建时间"]).dt.normalize()
    return Assistant(ws), frame[frame["订单状态"] == "交易成功"]


def ask_tmall(tmall, question):
    assistant, _ = tmall
    answer = assistant.ask(question, assistant.conversation("marketer"), use_llm=False)
    call = answer.tool_calls[0]
    assert (call.name, call.status) == ("query_metrics", "ok"), (question, call.args, call.error)
    return call.args, call.result.facts["rows"], answer.text


def test_an_english_question_about_a_chinese_category_gets_the_pandas_number(tmall):
    _, done = tmall
    args, rows, text = ask_tmall(tmall, "women's clothing revenue in 2024")
    want = done[(done["商品类目"] == "女装") & (done["day"].dt.year == 2024)]["买家实付金额"].sum()
    assert args["filters"] == {"category": "女装"} and rows[0]["revenue"] == pytest.approx(want)
    assert f"{want:,.0f}" in text
    _, rows_zh, text_zh = ask_tmall(tmall, "2024年女装卖了多少钱")
    assert rows_zh[0]["revenue"] == pytest.approx(want) and f"{want:,.0f}" in text_zh and "只计品类为女装的订单行" in text_zh


def test_a_products_own_orders_and_its_buyers_are_two_numbers(tmall):
    _, done = tmall
    _, lines, _ = ask_tmall(tmall, "down jacket revenue")
    _, buyers, text = ask_tmall(tmall, "how much did customers who bought a down jacket spend in total")
    own = done[done["宝贝标题"] == "羽绒服"]["买家实付金额"].sum()
    who = done[done["买家会员名"].isin(done[done["宝贝标题"] == "羽绒服"]["买家会员名"])]["买家实付金额"].sum()
    assert lines[0]["revenue"] == pytest.approx(own) and buyers[0]["revenue"] == pytest.approx(who) and who > own
    assert "every completed order of the customers in the audience counts" in text


def test_a_breakdown_by_a_chinese_attribute_asked_in_english_matches_pandas(tmall):
    _, done = tmall
    args, rows, _ = ask_tmall(tmall, "revenue by payment method")
    want = done.groupby("支付方式")["买家实付金额"].sum()
    assert args["by"] == ["支付方式"]
    assert {r["支付方式"]: round(r["revenue"], 2) for r in rows} == {k: round(v, 2) for k, v in want.items()}


def test_set_logic_over_products_counts_the_right_customers(tmall):
    _, done = tmall
    args, rows, text = ask_tmall(tmall, "买过口红但从没买过粉底液的客户有多少")
    lipstick = set(done[done["宝贝标题"] == "口红"]["买家会员名"])
    foundation = set(done[done["宝贝标题"] == "粉底液"]["买家会员名"])
    assert rows[0]["customers"] == len(lipstick - foundation)
    assert "买过口红、从未买过粉底液的客户" in text


def test_a_customer_attribute_audience_and_a_ranking_match_pandas(tmall):
    _, done = tmall
    _, rows, _ = ask_tmall(tmall, "金卡会员的人均消费")
    gold = done[done["会员等级"] == "金卡会员"]
    assert rows[0]["revenue_per_customer"] == pytest.approx(gold["买家实付金额"].sum() / gold["买家会员名"].nunique())
    args, rows, _ = ask_tmall(tmall, "best-selling product among customers in Zhejiang")
    units = done[done["收货省份"] == "浙江"].groupby("宝贝标题")["购买数量"].sum()
    assert args["limit"] == 1 and rows[0]["product"] == units.idxmax() and rows[0]["units"] == units.max()


def test_attribute_bounds_ages_and_the_datas_own_words(planner):
    assert metrics_call(planner, "orders rated 3 or higher", SHOP)["filters"] == [{"field": "rating", "op": ">=", "value": 3}]
    assert metrics_call(planner, "how many shoppers are under 25?", SHOP)["audience"] == [{"field": "age", "op": "<", "value": 25}]
    assert metrics_call(planner, "AOV of shoppers who are not loyalty members", SHOP)["audience"] == {"loyalty_member": False}
    zipped = {**SHOP, "attributes": SHOP["attributes"] + [
        {"name": "zip", "label": "Zip", "type": "categorical", "grain": "customer", "values": ["10001", "94105"]}]}
    assert metrics_call(planner, "orders per zip code", zipped)["by"] == ["zip"]  # a column called zip code is no coding question


AGED = {**SHOP, "attributes": [a for a in SHOP["attributes"] if a["name"] != "age"] + [
    {"name": "customer_age", "label": "Customer Age", "type": "numeric", "grain": "customer", "values": []}]}


@pytest.mark.parametrize("question, expected", [
    ("what fraction of customers ordered again?", {"metrics": ["repeat_purchase_rate"]}),
    ("how many customers came back for a second purchase", {"metrics": ["returning_customers"]}),
    ("orders: how many were cancelled, as a percentage, and how much revenue was lost", {"metrics": ["cancellation_rate", "cancelled_revenue"]}),
    ("which delivery method is chosen most often", {"metrics": ["orders"], "by": ["shipping_type"], "limit": 1}),
    ("顾客最常用哪种付款方式", {"metrics": ["orders"], "by": ["payment_method"], "limit": 1}),
])
def test_again_most_often_and_a_rate_of_cancellations(planner, question, expected):
    assert carries(metrics_call(planner, question, SHOP), expected)


def test_a_shops_own_age_column_is_averaged_banded_and_bounded(planner):
    assert metrics_call(planner, "how old is the typical shopper", AGED)["metrics"] == ["avg_customer_age"]
    assert metrics_call(planner, "revenue per age group", AGED)["by"] == ["customer_age_band"]
    assert metrics_call(planner, "AOV of shoppers younger than 30", AGED)["audience"] == [{"field": "customer_age", "op": "<", "value": 30}]
    assert metrics_call(planner, "revenue per age group", DEMO)["by"] == ["age_band"]  # the contract's age column


# ------------------------------------------------------------------ a retailer whose columns are its own words
# Customers are "clients", the product sits in an order column ("Item Name"), the rest are attributes of the shop's own.
RETAILER = {
    "countries": [], "channels": ["Newsletter", "Search Ads"], "products": [],
    "categories": ["Outdoor", "Footwear", "Kids", "Homeware"],
    "attributes": [
        {"name": "item_name", "label": "Item Name", "type": "categorical", "grain": "order",
         "values": ["Trail Jacket", "Wool Socks", "Rain Boots", "Camping Mug"]},
        {"name": "payment_type", "label": "Payment Type", "type": "categorical", "grain": "order",
         "values": ["Card", "Klarna", "Invoice"]},
        {"name": "delivery_method", "label": "Delivery Method", "type": "categorical", "grain": "order",
         "values": ["Home Delivery", "Parcel Locker", "Express"]},
        {"name": "store_region", "label": "Store Region", "type": "categorical", "grain": "customer",
         "values": ["North", "South", "Coast"]},
        {"name": "member_tier", "label": "Member Tier", "type": "categorical", "grain": "customer",
         "values": ["Bronze", "Silver", "Gold"]},
        {"name": "client_age", "label": "Client Age", "type": "numeric", "grain": "customer", "values": ["31", "45"]},
        {"name": "review_stars", "label": "Review Stars", "type": "numeric", "grain": "order", "values": ["4", "5"]},
        {"name": "gift_wrap", "label": "Gift Wrap", "type": "boolean", "grain": "order", "values": ["false", "true"]},
    ],
    "as_of": ["2024-06-30"],
}
NO_ITEMS = {**RETAILER, "attributes": [a for a in RETAILER["attributes"] if a["name"] != "item_name"]}
OTHER_LABELS = {**SHOP, "attributes": [
    {"name": "customer_age", "label": "Customer Age", "type": "numeric", "grain": "customer", "values": []},
    {"name": "shipping_type", "label": "Shipping Type", "type": "categorical", "grain": "order", "values": ["Express", "Standard"]},
    {"name": "sales_region", "label": "Sales Region", "type": "categorical", "grain": "customer", "values": ["North", "South"]},
    {"name": "客户年龄", "label": "客户年龄", "type": "numeric", "grain": "customer", "values": []},
]}


@pytest.mark.parametrize("question, expected", [
    ("what does a client spend on average over their lifetime with us", {"metrics": ["revenue_per_customer"]}),
    ("revenue per client in each store region", {"metrics": ["revenue_per_customer"], "by": ["store_region"]}),
    ("客人的平均消费是多少", {"metrics": ["revenue_per_customer"]}),
    ("how many clients live in the South region", {"metrics": ["customers"], "audience": {"store_region": "South"}}),
    ("顾客里有多少是Gold会员", {"metrics": ["customers"], "audience": {"member_tier": "Gold"}}),
    ("new clients in 2023 by member tier", {"metrics": ["new_customers"], "by": ["member_tier"], "since": "2023-01-01"}),
])
def test_clients_and_other_names_of_a_customer_read_as_customers(planner, question, expected):
    assert carries(metrics_call(planner, question, RETAILER), expected)


def test_client_words_reach_the_customer_tools_too(planner):
    assert carries(call_for(planner, "VIP clients who might churn").args, {"tier": "high", "churn_risk": "high"})
    assert call_for(planner, "export the clients in Germany").args == {"country": "Germany"}
    assert call_for(planner, "哪些顾客快要流失了").args == {"churn_risk": "high"}
    assert carries(call_for(planner, "number of new clients per quarter").args, {"metric": "new_customers", "period": "quarter"})


@pytest.mark.parametrize("question, metrics", [
    ("on average how many days go by between two orders of a client", ["avg_days_between_orders"]),
    ("how long does it usually take a shopper to order again", ["avg_days_between_orders"]),
    ("两次下单之间平均相隔几天", ["avg_days_between_orders"]),
    ("顾客平均隔多久会再下一单", ["avg_days_between_orders"]),
    ("每个顾客平均下了几单", ["purchase_frequency"]),
    ("on average, how many orders does each client place", ["purchase_frequency"]),
    ("被取消订单的总金额是多少", ["cancelled_revenue"]),
    ("取消的订单金额有多少", ["cancelled_revenue"]),
    ("what were the cancelled orders worth last year", ["cancelled_revenue"]),
    ("the total value of cancelled orders in Homeware", ["cancelled_revenue"]),
    ("how many orders were cancelled in the last 30 days", ["cancelled_orders"]),
    ("how many clients ordered again within the last 60 days", ["returning_customers"]),
])
def test_intervals_frequencies_and_money_of_orders_are_their_metrics(planner, question, metrics):
    assert metrics_call(planner, question, RETAILER)["metrics"] == metrics


@pytest.mark.parametrize("question, by", [
    ("what share of revenue comes from Footwear", "category"),
    ("Homeware占销售额的比例是多少", "category"),
    ("how much of our revenue is paid with Klarna", "payment_type"),
    ("Klarna支付占总销售额多少", "payment_type"),
    ("what percentage of sales do Gold members bring in", "member_tier"),
    ("North地区占营收的比例", "store_region"),
])
def test_a_share_of_one_value_is_taken_among_its_fields_values(planner, question, by):
    p = planner.plan(question, ConversationState(), RETAILER, role="marketer")
    args = p.calls[0].args
    assert args["metrics"] == ["share_of_revenue"] and args["by"] == [by]
    assert not args.get("filters") and not args.get("audience")  # the value is no filter: its share of itself is 100%
    assert p.focus and p.focus[0][0] == by


def test_the_answer_to_a_share_of_one_value_leads_with_that_value(planner):
    facts = {"metrics": ["share_of_revenue"], "by": ["payment_type"], "grain": None, "since": None, "until": "2024-06-30",
             "labels": {"share_of_revenue": {"en": "Share of revenue", "zh": "销售额占比"}}, "units": {"share_of_revenue": "ratio"},
             "rows": [{"payment_type": "Card", "share_of_revenue": 0.61}, {"payment_type": "Klarna", "share_of_revenue": 0.27},
                      {"payment_type": "Invoice", "share_of_revenue": 0.12}], "row_count": 3, "scope": "all"}
    record = ToolCallRecord("query_metrics", {"metrics": ["share_of_revenue"], "by": ["payment_type"]}, "ok",
                            result=ToolResult(summary="Share of revenue by payment type: Card 61%, …", facts=facts))
    focus = [("payment_type", "=", "klarna")]
    assert compose_record("en", record, focus=focus).startswith("Klarna (payment type) accounts for 27.0% of revenue.")
    assert compose_record("zh", record, focus=focus).startswith("Klarna占销售额的27.0%。")
    assert record.result.facts["rows"][0]["payment_type"] == "Klarna"  # the headline row is the asked group's


def test_this_years_revenue_is_a_window_not_a_series_per_year(planner):
    args = planner.plan("what share of this year's revenue came from Footwear", ConversationState(), RETAILER,
                        role="marketer").calls[0].args
    assert args.get("since") and not args.get("grain"), args
    args = planner.plan("Footwear的月销售额", ConversationState(), RETAILER, role="marketer").calls[0].args
    assert args.get("grain") == "month", args  # a Chinese time unit before its metric is a series: per month


@pytest.mark.parametrize("question, vocabulary, audience", [
    ("which customers bought the Smartwatch?", DEMO, [("product", "=", "Smartwatch")]),  # no list holds a product
    ("clients who bought the Smartwatch but never the Yoga Mat", DEMO,
     [("product", "=", "Smartwatch"), ("product", "!=", "Yoga Mat")]),
    ("list the clients that bought Books but never Toys", DEMO, [("category", "=", "Books"), ("category", "!=", "Toys")]),
    ("which shoppers bought Beauty, but not Fashion?", DEMO, [("category", "=", "Beauty"), ("category", "!=", "Fashion")]),
    ("买了智能手表却没有买瑜伽垫的顾客数", DEMO, [("product", "=", "Smartwatch"), ("product", "!=", "Yoga Mat")]),
    ("顾客里在线上买过但从没在门店买过的有多少", DEMO, [("channel", "=", "web"), ("channel", "!=", "store")]),
    ("clients who paid with Klarna but never by Invoice", RETAILER,
     [("payment_type", "=", "Klarna"), ("payment_type", "!=", "Invoice")]),
    ("用过Klarna但从没用过Invoice的客户有多少", RETAILER, [("payment_type", "=", "Klarna"), ("payment_type", "!=", "Invoice")]),
    ("clients in the North who never bought Kids", RETAILER, [("store_region", "=", "North"), ("category", "!=", "Kids")]),
    ("买过Trail Jacket但没买过Wool Socks的客户", RETAILER, [("item_name", "=", "Trail Jacket"), ("item_name", "!=", "Wool Socks")]),
])
def test_a_negated_clause_of_a_compound_audience_is_kept(planner, question, vocabulary, audience):
    args = metrics_call(planner, question, vocabulary)
    assert set(conditions(args["audience"])) == set(audience), args


@pytest.mark.parametrize("question, vocabulary, expected", [
    ("how old are our clients on average", RETAILER, {"metrics": ["avg_client_age"]}),
    ("what is the age of a typical client", RETAILER, {"metrics": ["avg_client_age"]}),
    ("客户的平均年龄是多少", RETAILER, {"metrics": ["avg_client_age"]}),
    ("revenue split by client age group", RETAILER, {"by": ["client_age_band"]}),
    ("revenue by region", RETAILER, {"by": ["store_region"]}),
    ("各地区的订单数", RETAILER, {"metrics": ["orders"], "by": ["store_region"]}),
    ("AOV by delivery", RETAILER, {"metrics": ["aov"], "by": ["delivery_method"]}),
    ("按配送方式看销售额", RETAILER, {"by": ["delivery_method"]}),
    ("orders per shipping method", RETAILER, {"by": ["delivery_method"]}),
    ("不同会员等级的人均消费", RETAILER, {"metrics": ["revenue_per_customer"], "by": ["member_tier"]}),
    ("revenue by membership level", RETAILER, {"by": ["member_tier"]}),
    ("how old are clients on average", OTHER_LABELS, {"metrics": ["avg_customer_age"]}),
    ("各区域的销售额", OTHER_LABELS, {"by": ["sales_region"]}),
    ("revenue by delivery method", OTHER_LABELS, {"by": ["shipping_type"]}),
])
def test_attribute_labels_are_found_through_their_words_and_the_glossary(planner, question, vocabulary, expected):
    assert carries(metrics_call(planner, question, vocabulary), expected)


def test_a_question_naming_only_a_known_column_is_answered_not_refused(planner):
    assert metrics_call(planner, "and the client age?", RETAILER)["metrics"] == ["avg_client_age"]
    assert carries(metrics_call(planner, "会员等级呢", RETAILER), {"metrics": ["customers"], "by": ["member_tier"]})
    assert carries(metrics_call(planner, "what about delivery methods", RETAILER), {"metrics": ["orders"], "by": ["delivery_method"]})


def test_products_come_from_a_product_like_column_or_the_reply_says_there_is_none(planner):
    assert carries(metrics_call(planner, "which item sells best", RETAILER), {"metrics": ["units"], "by": ["item_name"], "limit": 1})
    assert carries(metrics_call(planner, "revenue by product", RETAILER), {"by": ["item_name"]})
    assert metrics_call(planner, "最畅销的商品是哪个", RETAILER)["by"] == ["item_name"]
    for question, language in (("top 3 products by revenue", "en"), ("最畅销的商品是哪个", "zh"), ("what are our best sellers", "en")):
        p = planner.plan(question, ConversationState(), NO_ITEMS, role="marketer")
        assert not p.calls and not p.out_of_scope, (question, p)
        assert ("no product column" in p.reply) if language == "en" else ("没有商品" in p.reply and "品类" in p.reply)


@pytest.mark.parametrize("question, by", [
    ("which payment type do clients pick most often", "payment_type"),
    ("客户最常选的支付方式是什么", "payment_type"),
    ("哪种配送方式最受欢迎", "delivery_method"),
    ("most popular department", "category"),
    ("which item is ordered most often", "item_name"),
])
def test_most_often_and_most_popular_rank_by_orders(planner, question, by):
    assert carries(metrics_call(planner, question, RETAILER), {"metrics": ["orders"], "by": [by], "sort": "orders", "limit": 1})


# ------------------------------------------------------------------ a pet-supplies shop of our own, end to end
@pytest.fixture(scope="module")
def pets(tmp_path_factory):
    """tests/pet_shop.py's export loaded (no models needed), and its rows as pandas reads them."""
    from assistant.core import Assistant
    from tests.pet_shop import completed, write_pet_shop
    from tools.loading import load_dataset
    from tools.workspace import Workspace

    root = tmp_path_factory.mktemp("pets")
    raw = write_pet_shop(root / "pets.csv")
    ws = Workspace(root / "home")
    load_dataset(ws, root / "pets.csv", build_models=False)
    return Assistant(ws), completed(raw)


def ask_shop(shop, question, tool="query_metrics"):
    assistant, _ = shop
    answer = assistant.ask(question, assistant.conversation("marketer"), use_llm=False)
    call = answer.tool_calls[0] if answer.tool_calls else None
    assert call is not None and (call.name, call.status) == (tool, "ok"), (question, call and (call.name, call.args, call.error),
                                                                           answer.text)
    return call.args, call.result.facts.get("rows"), answer.text


def _orders(frame):
    return frame["Order ID"].nunique()


@pytest.mark.parametrize("question, has", [
    ("How many orders used a discount code?", True),
    ("number of orders that had a promo code", True),
    ("orders placed with a coupon", True),
    ("how many orders came in without a discount code", False),
    ("有多少订单用了优惠码", True),
    ("使用了折扣码的订单数", True),
    ("没有用优惠码的订单有多少", False),
    ("不带优惠码的订单数", False),
])
def test_used_a_code_is_whether_the_column_has_a_value(pets, question, has):
    _, done = pets
    args, rows, text = ask_shop(pets, question)
    assert args["filters"] == [{"field": "discount_code", "op": "not_null" if has else "is_null", "value": None}]
    want = _orders(done[(done["Discount Code"].fillna("") != "") == has])
    assert rows[0]["orders"] == want and f"{want:,}" in text


@pytest.mark.parametrize("question, has", [
    ("how many customers have used a discount code", True),
    ("clients who never used a promo code", False),
    ("用过优惠码的客户有多少", True),
])
def test_customers_who_used_a_code_are_an_audience(pets, question, has):
    _, done = pets
    args, rows, _ = ask_shop(pets, question)
    assert conditions(args["audience"]) == [("discount_code", "not_null" if has else "is_null", None)]
    users = set(done[done["Discount Code"].fillna("") != ""]["Customer ID"])
    want = len(users) if has else done["Customer ID"].nunique() - len(users)
    assert rows[0]["customers"] == want


def test_a_breakdown_labels_the_rows_without_a_value_blank(pets):
    _, done = pets
    args, rows, text = ask_shop(pets, "orders by discount code")
    assert args["by"] == ["discount_code"]
    groups = {r["discount_code"]: r["orders"] for r in rows}
    assert groups["(blank)"] == _orders(done[done["Discount Code"].fillna("") == ""])
    assert "nan" not in text and "None" not in text and "(blank)" in text
    _, rows_zh, text_zh = ask_shop(pets, "按优惠码统计订单数")
    assert "（空）" in text_zh and "nan" not in text_zh and "None" not in text_zh


@pytest.mark.parametrize("question, kind, year", [
    ("What percentage of revenue comes from dog food?", "dog food", None),
    ("what share of our sales is Cat Litter", "cat litter", None),
    ("what percent of sales came from toys in 2024", "toys", 2024),
    ("how much of our revenue do treats make up", "treats", None),
    ("狗粮的销售额占比", "dog food", None),
    ("猫砂占销售额的比例是多少", "cat litter", None),
    ("2024年宠物零食的销售额占比是多少", "treats", 2024),
    ("水族用品占总销售额多少", "aquarium", None),
])
def test_a_share_of_revenue_of_one_category_is_its_part_of_all_categories(pets, question, kind, year):
    _, done = pets
    args, rows, text = ask_shop(pets, question)
    assert args["metrics"] == ["share_of_revenue"] and args["by"] == ["category"], args
    assert not args.get("filters") and not args.get("audience")  # not a filtered revenue, not 100% of itself
    part = done[done["day"].dt.year == year] if year else done
    want = part[part["type"] == kind]["Line Total"].sum() / part["Line Total"].sum()
    row = next(r for r in rows if r["category"].lower() == kind)
    assert row["share_of_revenue"] == pytest.approx(want)
    lead = text.split("。")[0] if "。" in text[:40] else text.split(". ")[0]
    assert f"{want:.1%}" in lead, text  # the answer leads with the asked group's share


@pytest.mark.parametrize("question", ["what percentage of revenue comes from customers who used a discount code",
                                      "用过优惠码的客户贡献了多少比例的销售额"])
def test_a_share_of_a_scope_that_is_no_group_is_its_part_of_the_whole(pets, question):
    _, done = pets
    args, rows, text = ask_shop(pets, question)
    assert args["metrics"] == ["share_of_revenue"] and conditions(args["audience"]) == [("discount_code", "not_null", None)]
    users = set(done[done["Discount Code"].fillna("") != ""]["Customer ID"])
    want = done[done["Customer ID"].isin(users)]["Line Total"].sum() / done["Line Total"].sum()
    assert rows[0]["share_of_revenue"] == pytest.approx(want) and f"{want:.1%}" in text


@pytest.mark.parametrize("question", ["How many items does the average order contain?", "how many items are in a typical order",
                                      "平均每单几件", "平均每个订单有几件商品"])
def test_items_in_the_average_order_are_items_per_order(pets, question):
    _, done = pets
    args, rows, text = ask_shop(pets, question)
    want = done["Quantity"].sum() / done["Order ID"].nunique()
    assert args["metrics"] == ["items_per_order"] and rows[0]["items_per_order"] == pytest.approx(want)
    assert f"{want:.2f}" in text


@pytest.mark.parametrize("question", ["new customers acquired in May 2024", "how many customers did we acquire in May 2024",
                                      "how many new customers did we get in May 2024", "2024年5月新增客户",
                                      "2024年5月新增了多少客户", "2024年5月的新客户有多少"])
def test_new_customers_acquired_in_a_month_are_counted_over_that_month(pets, question):
    _, done = pets
    args, rows, _ = ask_shop(pets, question)
    assert args["metrics"] == ["new_customers"] and (args["since"], args["until"]) == ("2024-05-01", "2024-05-31")
    assert not args.get("audience")
    first = done.groupby("Customer ID")["day"].min()
    assert rows[0]["new_customers"] == int(((first >= "2024-05-01") & (first <= "2024-05-31")).sum())


def test_customers_acquired_in_a_year_stay_an_audience_for_other_metrics(pets):
    _, done = pets
    args, rows, _ = ask_shop(pets, "revenue from customers acquired in 2024")
    assert conditions(args["audience"]) == [("first_order_date", "between", ["2024-01-01", "2024-12-31"])]
    first = done.groupby("Customer ID")["day"].min()
    cohort = first[(first >= "2024-01-01") & (first <= "2024-12-31")].index
    assert rows[0]["revenue"] == pytest.approx(done[done["Customer ID"].isin(cohort)]["Line Total"].sum())


@pytest.mark.parametrize("question, months", [
    ("revenue in April 2025 compared with the month before", ("2025-04", "2025-03")),
    ("April 2025 revenue vs the previous month", ("2025-04", "2025-03")),
    ("2025年4月的销售额和上个月比怎么样", ("2025-04", "2025-03")),
    ("2025年4月销售额环比", ("2025-04", "2025-03")),
    ("revenue in Q1 2025 vs the previous quarter", ("2025-01", "2024-10")),
])
def test_a_calendar_month_is_compared_with_the_calendar_month_before(pets, question, months):
    import pandas as pd

    _, done = pets
    args, rows, text = ask_shop(pets, question)
    assert args["compare"] == "previous_period", args
    span = 3 if "Q1" in question else 1
    def revenue(first):
        start = pd.Timestamp(first + "-01")
        return done[(done["day"] >= start) & (done["day"] < start + pd.DateOffset(months=span))]["Line Total"].sum()
    assert rows[0]["revenue"] == pytest.approx(revenue(months[0]))
    assert rows[0]["revenue_previous"] == pytest.approx(revenue(months[1]))
    assert months[1] + "-01" in text


# ------------------------------------------------------------------ countries: names, codes and aliases are one country
@pytest.mark.parametrize("question, code", [
    ("revenue from Canada", "CA"), ("加拿大的销售额", "CA"), ("Canadian customers' revenue", "CA"),
    ("how much did customers in Germany spend", "DE"), ("德国客户的销售额", "DE"),
    ("revenue from UK customers", "GB"), ("orders placed from Britain", "GB"), ("英国的订单数", "GB"),
    ("orders from the USA", "US"), ("美国客户的客单价", "US"),
])
def test_a_shop_writing_country_codes_understands_country_names(pets, question, code):
    _, done = pets
    args, rows, _ = ask_shop(pets, question)
    assert conditions(args["audience"]) == [("country", "=", code)], args
    part = done[done["Billing Country"] == code]
    metric = args["metrics"][0]
    want = {"revenue": part["Line Total"].sum(), "orders": part["Order ID"].nunique(),
            "customers": part["Customer ID"].nunique(),
            "aov": part["Line Total"].sum() / max(part["Order ID"].nunique(), 1)}[metric]
    assert rows[0][metric] == pytest.approx(want)


@pytest.fixture(scope="module")
def pets_named(tmp_path_factory):
    from assistant.core import Assistant
    from tests.pet_shop import completed, write_pet_shop
    from tools.loading import load_dataset
    from tools.workspace import Workspace

    root = tmp_path_factory.mktemp("pets_named")
    raw = write_pet_shop(root / "pets.csv", names=True)
    ws = Workspace(root / "home")
    load_dataset(ws, root / "pets.csv", build_models=False)
    return Assistant(ws), completed(raw)


@pytest.mark.parametrize("question, name", [
    ("revenue from DE customers", "Germany"), ("GB revenue", "United Kingdom"), ("how many orders came from the USA", "United States"),
    ("CA的销售额是多少", "Canada"), ("revenue from customers in Deutschland", "Germany"),
])
def test_a_shop_writing_country_names_understands_codes(pets_named, question, name):
    _, done = pets_named
    args, rows, _ = ask_shop(pets_named, question)
    field, op, value = conditions(args["audience"])[0]
    assert (op, value) == ("=", name), args
    part = done[done["Country"] == name]
    metric = args["metrics"][0]
    want = {"revenue": part["Line Total"].sum(), "orders": part["Order ID"].nunique()}[metric]
    assert rows[0][metric] == pytest.approx(want)


@pytest.mark.parametrize("question, missing, zh", [
    ("revenue from France", "France", None), ("how many orders came from Australian customers", "Australia", None),
    ("法国的订单数", "France", "法国"), ("日本客户的销售额", "Japan", "日本"),
])
def test_a_country_the_shop_lacks_is_said_to_be_missing_not_dropped(pets, question, missing, zh):
    assistant, _ = pets
    answer = assistant.ask(question, assistant.conversation("marketer"), use_llm=False)
    call = answer.tool_calls[0]
    assert call.name == "query_metrics" and call.status == "error", (call.name, call.args, call.status)
    assert conditions(call.args["audience"]) == [("country", "=", missing)]
    if zh:
        assert f"数据里没有{zh}" in answer.text and "US" in answer.text, answer.text
    else:
        assert f"There is no {missing} in this data" in answer.text and "US, CA" in answer.text, answer.text


def test_country_codes_in_the_contracts_country_column_are_read_from_names(planner):
    coded = {**DEMO, "countries": ["CA", "DE", "GB", "US"]}
    assert metrics_call(planner, "revenue from Canada", coded)["audience"] == {"country": "CA"}
    assert metrics_call(planner, "德国客户的客单价", coded)["audience"] == {"country": "DE"}
    assert metrics_call(planner, "AOV of British customers", coded)["audience"] == {"country": "GB"}
    assert metrics_call(planner, "revenue from customers outside the UK", coded)["audience"] == [
        {"field": "country", "op": "!=", "value": "GB"}]
    # "us" and "in" are words, never the codes of the United States and India
    assert "audience" not in metrics_call(planner, "tell us the revenue in 2025", {**coded, "countries": ["US", "IN"]})


def test_the_country_table_is_data_with_both_languages_and_aliases():
    from tools import countries

    assert len(countries.countries()) >= 249
    for text, code in [("UK", "GB"), ("Britain", "GB"), ("英国", "GB"), ("USA", "US"), ("美国", "US"), ("Deutschland", "DE"),
                       ("加拿大", "CA"), ("CAN", "CA"), ("South Korea", "KR"), ("韩国", "KR"), ("Holland", "NL")]:
        assert countries.lookup(text).code == code, text
    assert countries.same_country("Canada", ["US", "CA"]) == "CA" and countries.same_country("DE", ["Germany"]) == "Germany"
    assert countries.same_country("Australia", ["AT", "DE"]) is None  # no look-alike: Austria is no Australia
    assert countries.is_country_column(["US", "CA", "GB"]) and not countries.is_country_column(["CA", "TX", "FL", "NY"])


# ------------------------------------------------------------------ retail words of many verticals; Chinese labels
@pytest.mark.parametrize("vertical, values, asked", [
    ("pets", ["Dog Food", "cat food", "Cat Litter", "Treats", "Toys", "Aquarium", "Grooming", "Leashes"],
     [("狗粮的销售额", "Dog Food"), ("猫粮卖了多少钱", "cat food"), ("猫砂的订单数", "Cat Litter"), ("宠物零食的销售额", "Treats"),
      ("水族的销售额", "Aquarium"), ("洗护的销量", "Grooming"), ("牵引绳的销售额", "Leashes"), ("revenue of DOG FOOD", "Dog Food")]),
    ("beauty", ["Skincare", "Hair Care", "Fragrance", "Makeup"],
     [("护发的销售额", "Hair Care"), ("香水的销售额", "Fragrance"), ("护肤品的订单数", "Skincare")]),
    ("grocery", ["Fresh Fruit", "Dairy", "Bakery", "Beverages", "Frozen Food"],
     [("水果的销售额", "Fresh Fruit"), ("乳制品卖了多少", "Dairy"), ("面包的销售额", "Bakery"), ("冷冻食品的订单数", "Frozen Food")]),
    ("sports", ["Cycling", "Camping", "Swimwear", "Fitness Equipment"],
     [("骑行的销售额", "Cycling"), ("露营装备的销售额", "Camping"), ("泳衣的订单数", "Swimwear"), ("健身器材的销售额", "Fitness Equipment")]),
    ("home", ["Bedding", "Lighting", "Home Decor", "Kitchenware"],
     [("床品的销售额", "Bedding"), ("灯具的销售额", "Lighting"), ("家居装饰的订单数", "Home Decor"), ("厨具的销售额", "Kitchenware")]),
    ("baby", ["Diapers", "Baby Formula", "Strollers"],
     [("纸尿裤的销售额", "Diapers"), ("奶粉的销售额", "Baby Formula"), ("婴儿车的订单数", "Strollers")]),
    ("books", ["Children's Books", "Comics", "Textbooks"],
     [("童书的销售额", "Children's Books"), ("漫画的订单数", "Comics"), ("教材的销售额", "Textbooks")]),
    ("electronics", ["Computers", "Gaming", "Wearables", "Audio"],
     [("电脑的销售额", "Computers"), ("游戏机的销售额", "Gaming"), ("可穿戴设备的订单数", "Wearables")]),
])
def test_the_glossary_names_common_categories_of_many_verticals(planner, vertical, values, asked):
    shop = {"countries": [], "channels": ["web"], "categories": values, "products": [], "as_of": ["2025-12-31"]}
    for question, value in asked:
        assert metrics_call(planner, question, shop).get("filters") == {"category": value}, (vertical, question)


def test_a_chinese_answer_names_catalog_metrics_in_chinese():
    from tools.semantic.catalog import raw_catalog

    for metric in raw_catalog()["metrics"]:
        name = metric["name"]
        facts = {"metrics": [name], "by": [], "grain": None, "since": None, "until": "2025-06-30", "scope": "all",
                 "labels": {name: {"en": metric["label_en"], "zh": metric["label_zh"]}}, "units": {name: metric["unit"]},
                 "rows": [{name: 12.5 if metric["unit"] != "date" else "2025-06-01"}], "row_count": 1}
        record = ToolCallRecord("query_metrics", {"metrics": [name]}, "ok", result=ToolResult(summary="…", facts=facts))
        text = compose_record("zh", record)
        assert metric["label_zh"] in text and metric["label_en"] not in text, (name, text)


# ------------------------------------------------------------------ more than is strictly more; at least is not
@pytest.mark.parametrize("question, strict", [
    ("customers who spent more than $500", True), ("customers who spent over 500", True), ("消费超过500的客户", True),
    ("customers who spent at least 500", False), ("customers who spent 500 or more", False), ("消费500以上的客户", False),
    ("消费不少于500的客户", False),
])
def test_spent_more_than_is_strict_and_at_least_is_not(planner, question, strict):
    call = call_for(planner, question)
    assert call.name == "find_customers" and call.args["min_total_spend"] == 500, call
    assert bool(call.args.get("min_total_spend_exclusive")) is strict


@pytest.mark.parametrize("template, op", [
    ("revenue of customers who spent more than {x}", ">"), ("AOV of customers who spent over {x}", ">"),
    ("消费超过{x}的客户的销售额", ">"), ("revenue of customers who spent at least {x}", ">="),
    ("revenue of customers who spent {x} or more", ">="), ("消费{x}以上的客户的销售额", ">="),
])
def test_spent_more_than_counts_the_customers_strictly_above_the_bound(pets, template, op):
    _, done = pets
    totals = done.groupby("Customer ID")["Line Total"].sum()
    x = int(next(v for v in totals.sort_values() if float(v).is_integer() and v > totals.median()))
    args, rows, _ = ask_shop(pets, template.format(x=x))
    assert conditions(args["audience"]) == [("total_spend", op, x)], args
    who = totals[totals > x].index if op == ">" else totals[totals >= x].index
    assert len(totals[totals == x]) >= 1  # the bound is someone's exact total: > and ≥ differ
    part = done[done["Customer ID"].isin(who)]
    metric = args["metrics"][0]
    want = part["Line Total"].sum() if metric == "revenue" else part["Line Total"].sum() / part["Order ID"].nunique()
    assert rows[0][metric] == pytest.approx(want)


def test_find_customers_compiles_more_than_as_greater_and_says_so():
    from assistant.planning_metrics import from_flat, to_flat
    from tools.audience import AudienceFilters, compile_where, describe
    from tools.metrics import audience_conditions

    over = AudienceFilters(min_total_spend=500, min_total_spend_exclusive=True)
    least = AudienceFilters(min_total_spend=500)
    assert compile_where(over, date(2025, 1, 1)) == ("total_spend > ?", [500.0])
    assert compile_where(least, date(2025, 1, 1)) == ("total_spend >= ?", [500.0])
    assert describe(over) == "spent > 500.0" and describe(least) == "spent ≥ 500.0"
    assert audience_conditions(over.active()) == [{"field": "total_spend", "op": ">", "value": 500.0}]
    assert to_flat([("total_spend", ">", 500)]) == {"min_total_spend": 500, "min_total_spend_exclusive": True}
    assert from_flat({"min_total_spend": 500, "min_total_spend_exclusive": True}) == [("total_spend", ">", 500)]


# ------------------------------------------------------------------ export labels
EXPORT_SHOP = {
    "categories": ["Candles", "Mugs"], "as_of": ["2025-06-30"],
    "attributes": [
        {"name": "order_fee", "label": "Order Fee", "type": "numeric", "grain": "order", "values": []},
        {"name": "delivery_method_label", "label": "Delivery Method Label", "type": "categorical", "grain": "order",
         "values": ["Courier", "Post"]},
        {"name": "tender_type_title", "label": "Tender Type Title", "type": "categorical", "grain": "order",
         "values": ["Card", "Voucher"]},
        {"name": "billing_region", "label": "Billing Region", "type": "categorical", "grain": "customer",
         "values": ["North", "South"]},
    ],
}


@pytest.mark.parametrize("question, by", [
    ("orders split by delivery method", "delivery_method_label"),
    ("revenue per tender type this year", "tender_type_title"),
    ("sales by region", "billing_region"),
    ("按配送方式统计订单", "delivery_method_label"),
    ("各个地区的销售额", "billing_region"),
])
def test_an_export_label_is_read_by_its_own_words(question, by):
    """Exports wrap a column's name in words of their own ('… Label', '… Title', 'Billing …'); a question names the
    column by its own words, and another column about a related thing ('Order Fee') does not take them."""
    q = parse(question.lower(), EXPORT_SHOP, date(2025, 6, 30))
    assert q.by == [by]


@pytest.mark.parametrize("question", ["How many orders did we get over the past 14 days?",
                                      "what revenue did we gain in March 2025?"])
def test_getting_orders_in_a_window_is_a_window_not_customers_acquired_then(question):
    """'Did we get / gain' says 'acquired' only of customers; of orders or revenue it is the orders' own window."""
    q = parse(question.lower(), SHOP, date(2025, 6, 30))
    assert q.since and not any(c[0] == "first_order_date" for c in q.audience)


@pytest.mark.parametrize("question", ["What's the average order value?", "what is the average order value by channel",
                                      "show me the average order value for 2025"])
def test_an_article_never_splits_a_metric_name(question):
    """'the average order' is a phrase of its own (per order); it must not take 'average order value' apart."""
    q = parse(question, {"channels": ["web", "app"], "categories": ["Books"], "as_of": ["2025-12-31"]}, date(2025, 12, 31))
    assert q.metrics == ["aov"], q


# ------------------------------------------------------------------ issue 11: groupings, totals, refunds, default windows
@pytest.mark.parametrize("question, by", [
    ("各国的销售额", ["country"]), ("每国的订单数", ["country"]), ("各国家的客单价", ["country"]),
    ("各市的订单量是多少", ["city"]),
])
def test_a_chinese_grouping_shortened_after_ge_or_mei_is_that_dimension(planner, question, by):
    vocabulary = {**DEMO, "cities": ["Berlin", "Paris"]}
    assert metrics_call(planner, question, vocabulary)["by"] == by
    assert metrics_call(planner, "德国的销售额", vocabulary).get("by") is None  # a country named is no grouping


@pytest.mark.parametrize("question, field, values", [
    ("how does revenue split between web and app", "channel", ["web", "app"]),
    ("how are sales divided among Books, Toys and Home", "category", ["Books", "Toys", "Home"]),
    ("Books和Toys的销售额分布", "category", ["Books", "Toys"]),
    ("web和app分别卖了多少钱", "channel", ["web", "app"]),
])
def test_revenue_split_between_named_values_is_a_breakdown_by_their_dimension(planner, question, field, values):
    args = metrics_call(planner, question)
    assert args["by"] == [field], args
    assert conditions(args.get("filters")) == [(field, "in", values)]


TIPPED = {**DEMO, "attributes": [
    {"name": "discount", "label": "Discount", "type": "numeric", "grain": "order", "values": []},
    {"name": "折扣", "label": "折扣", "type": "numeric", "grain": "order", "values": []}]}


@pytest.mark.parametrize("question, metric", [
    ("total discount amount", "sum_discount"), ("what was the discount in total last month", "sum_discount"),
    ("折扣总金额是多少", "sum_折扣"), ("折扣的总额", "sum_折扣"), ("the average discount", "avg_discount"),
])
def test_a_total_of_a_numeric_column_is_its_sum_and_an_average_its_mean(planner, question, metric):
    assert metrics_call(planner, question, TIPPED)["metrics"] == [metric]


REFUNDING = {**DEMO, "metrics": ["revenue", "orders", "cancelled_revenue", "cancelled_orders", "refunded_revenue",
                                 "refunded_orders", "refund_rate"]}


@pytest.mark.parametrize("question, metric", [
    ("how much have we refunded so far this year?", "refunded_revenue"), ("how much did we refund overall", "refunded_revenue"),
    ("今年一共退款了多少钱", "refunded_revenue"), ("how many orders did we refund in november", "refunded_orders"),
])
def test_refund_as_a_verb_asks_for_the_refund_metrics(planner, question, metric):
    assert metrics_call(planner, question, REFUNDING)["metrics"] == [metric]


@pytest.mark.parametrize("question, metric", [
    ("what did refunds cost us in lost revenue?", "refunded_revenue"),
    ("退货一共损失了多少销售额", "refunded_revenue"),
    ("how much revenue did we lose through cancelled and refunded orders", "cancelled_revenue"),
    ("取消和退款的订单加起来损失多少钱", "cancelled_revenue"),
    ("退货订单在所有订单里占多大比例", "refund_rate"),
    ("lost revenue in november", "cancelled_revenue"),
])
def test_lost_money_is_money_not_lost_customers(planner, question, metric):
    args = metrics_call(planner, question, REFUNDING)
    assert args["metrics"] == [metric] and not args.get("audience"), (question, args)


def test_lost_customers_are_still_an_audience(planner):
    assert metrics_call(planner, "how much did our lost customers spend", REFUNDING).get("audience")


def test_a_two_letter_country_code_is_not_read_from_a_pronoun(planner):
    coded = {**DEMO, "countries": ["US", "CA", "GB", "AU"]}
    call = call_for(planner, "how many customers have spent more than $800 with us", coded)
    assert "country" not in call.args and not (call.args.get("audience") or {}).get("country"), call
    call = call_for(planner, "revenue from customers in the US", coded)
    assert call.args.get("audience") == {"country": "US"}, call


def test_each_metric_is_asked_for_once(planner):
    assert metrics_call(planner, "revenue and sales and turnover by channel")["metrics"] == ["revenue"]


def test_a_comparison_naming_no_period_compares_the_last_thirty_days(planner):
    for question, compare in (("compare orders with the previous period", "previous_period"),
                              ("销售额环比如何", "previous_period"), ("AOV against the same period last year", "previous_year")):
        args = metrics_call(planner, question)
        assert (args.get("compare"), args.get("since"), args.get("until")) == (compare, "2025-12-02", None), (question, args)
    # a period named or kept from the last answer stays the period compared
    assert metrics_call(planner, "revenue in Q3 vs the previous period")["since"] == "2025-07-01"
    state = remember(ConversationState(), call_for(planner, "revenue last quarter"))
    args = metrics_call(planner, "compare with the previous period", state=state)
    assert (args["since"], args["until"], args["compare"]) == ("2025-07-01", "2025-09-30", "previous_period")


@pytest.mark.parametrize("question, by", [("compare the tiers on AOV", ["tier"]), ("compare segments by revenue", ["segment"]),
                                          ("AOV compared across channels", ["channel"])])
def test_a_dimension_compared_is_the_grouping(planner, question, by):
    assert metrics_call(planner, question)["by"] == by


COURIER = {**RETAILER, "attributes": [
    {"name": "courier_service", "label": "Courier Service", "type": "categorical", "grain": "order",
     "values": ["Royal Mail First Class", "Royal Mail Special Delivery", "DPD Next Day"]},
    {"name": "ship_via", "label": "Ship Via", "type": "categorical", "grain": "order", "values": ["Standard", "Express"]},
    {"name": "delivery_charge_incl_vat", "label": "Delivery Charge (incl. VAT)", "type": "numeric", "grain": "order",
     "values": ["4.95", "0"]},
]}


@pytest.mark.parametrize("question, expected", [
    ("how much did we collect in shipping fees", {"metrics": ["sum_delivery_charge_incl_vat"]}),
    ("邮费一共收了多少", {"metrics": ["sum_delivery_charge_incl_vat"]}),
    ("orders by shipping method", {"metrics": ["orders"], "by": ["ship_via"]}),
    ("how many orders went by special delivery", {"filters": {"courier_service": "Royal Mail Special Delivery"}}),
])
def test_a_column_is_named_by_what_its_type_makes_it(planner, question, expected):
    """'shipping' of a money column is its cost, of a column of names its method; a value is named by the last words
    no other value of its column ends with."""
    assert carries(metrics_call(planner, question, COURIER), expected)


@pytest.mark.parametrize("question, metric", [
    ("what share of our shoppers have bought more than once", "repeat_purchase_rate"),
    ("不止一次下单的客户占多少比例", "repeat_purchase_rate"),
    ("how many of our buyers ordered more than once", "returning_customers"),
])
def test_more_than_once_is_buying_again(planner, question, metric):
    assert metrics_call(planner, question)["metrics"] == [metric]


def test_a_product_is_named_by_some_of_its_words(planner):
    """People shorten catalog names: two or three of a product's words in order, or one long word no other product
    holds, name it; words several products share name none of them."""
    shop = {**DEMO, "products": ["Hario V60 Ceramic Dripper 02", "Hario V60 Paper Filters 02, 100 Pack",
                                 "Ethiopia Yirgacheffe Kochere", "Colombia Huila Decaf", "Hario Range Server 600"]}
    assert metrics_call(planner, "units of the v60 dripper sold", shop).get("filters") == {"product": "Hario V60 Ceramic Dripper 02"}
    assert metrics_call(planner, "revenue from v60 paper filters", shop).get("filters") == {
        "product": "Hario V60 Paper Filters 02, 100 Pack"}
    assert metrics_call(planner, "how much yirgacheffe did we sell", shop).get("filters") == {
        "product": "Ethiopia Yirgacheffe Kochere"}
    assert not metrics_call(planner, "revenue from hario v60", shop).get("filters")  # two products hold both words


MAKER = {**DEMO, "products": ["Forest Green Planter, Handmade Stoneware Pot", "Small Planter - Speckled Pot with Saucer",
                              "Moon Vase", "Glaze Sample Set"],
         "channels": [],
         "attributes": [
             {"name": "bill_state", "label": "Bill State", "type": "categorical", "grain": "customer",
              "values": ["Oregon", "Maine", "Texas", "Ohio"]},
             {"name": "sale_kind", "label": "Sale Kind", "type": "categorical", "grain": "order",
              "values": ["online", "in_person"]},
             {"name": "promo_code", "label": "Promo Code", "type": "categorical", "grain": "order",
              "values": ["SPRING5", "VIP20"]},
             {"name": "promo_discount", "label": "Promo Discount", "type": "numeric", "grain": "order",
              "values": ["5", "12.5"]},
             {"name": "postage_paid", "label": "Postage Paid", "type": "numeric", "grain": "order",
              "values": ["4.5", "0"]},
         ]}


@pytest.mark.parametrize("question, expected", [
    ("哪个州的订单最多", {"by": ["bill_state"], "metrics": ["orders"], "limit": 1}),
    ("上海的销售额", {"metrics": ["revenue"]}),                        # 上海 is no state of the data, 海 + 州 nothing
    ("线下卖了多少钱", {"metrics": ["revenue"], "filters": {"sale_kind": "in_person"}}),
    ("促销码一共减免了多少", {"metrics": ["sum_promo_discount"]}),       # one total, not per code
    ("每个促销码减免了多少", {"metrics": ["sum_promo_discount"], "by": ["promo_code"]}),
    ("去年邮费收了多少", {"metrics": ["sum_postage_paid"]}),             # money with 多少: its total
    ("花盆一共卖出去几个", {"metrics": ["units"]}),
])
def test_chinese_questions_about_an_export_read_their_pieces(planner, question, expected):
    args = metrics_call(planner, question, MAKER)
    assert carries(args, expected), (question, args)
    if question.startswith("上海"):
        assert not args.get("by") and not args.get("filters"), args


def test_a_listing_title_names_its_head_noun_in_every_part(planner):
    args = metrics_call(planner, "how many planters did we sell", MAKER)
    assert args["metrics"] == ["units"] and args["filters"] == [
        {"field": "product", "op": "in", "value": ["Forest Green Planter, Handmade Stoneware Pot",
                                                    "Small Planter - Speckled Pot with Saucer"]}], args


WECHAT_SHOP = {**DEMO, "channels": ["微信小程序", "直播间", "社群团购"], "categories": ["童装", "童鞋"], "products": [],
               "attributes": [{"name": "推广员昵称", "label": "推广员昵称", "type": "categorical", "grain": "order",
                               "values": ["阿May", "小雨妈妈", "周老师"]}]}


@pytest.mark.parametrize("question, expected", [
    ("直播间和小程序哪个卖得多", {"by": ["channel"], "limit": 1,
                                  "filters": [{"field": "channel", "op": "in", "value": ["直播间", "微信小程序"]}]}),
    ("团购渠道的订单数", {"metrics": ["orders"], "filters": {"channel": "社群团购"}}),
    ("哪个推广员带来的销售额最高", {"metrics": ["revenue"], "by": ["推广员昵称"], "limit": 1}),
])
def test_chinese_values_and_columns_by_the_words_people_use(planner, question, expected):
    """A Chinese value is named by its first or last characters (小程序 for 微信小程序); a column by its label without
    '昵称'; comparing two values groups by their column, not by product."""
    args = metrics_call(planner, question, WECHAT_SHOP)
    assert carries(args, expected), (question, args)


@pytest.mark.parametrize("question, day", [
    ("去年双十一那天卖了多少钱", "2024-11-11"),        # DEMO's as-of is 2025-12-31
    ("revenue on black friday last year", "2024-11-29"),  # the day after the fourth Thursday of November
    ("今年情人节的订单数", "2025-02-14"),
    ("sales on christmas day", "2025-12-25"),  # the last one on or before the as-of date
    ("双12卖了多少", "2025-12-12"),
])
def test_a_shopping_day_named_is_its_date(planner, question, day):
    args = metrics_call(planner, question)
    assert (args.get("since"), args.get("until"), args.get("grain")) == (day, day, None), (question, args)
