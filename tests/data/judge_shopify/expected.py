"""Expected answers of questions.jsonl, computed with pandas from the RAW Shopify export (make_shop.py).

Nothing here uses Tierwise. The file is read as an analyst would read a Shopify order export:
- the order-level columns (Financial Status, Source, Discount Code, Billing *, Tags, ...) are written on
  an order's first line only: they are carried to the order's other lines (same "Name");
- the day of an order is the local date written in "Created at" ("2024-03-05 22:10:00 -0500" is
  5 March, not 6 March in UTC);
- a line's amount is "Lineitem quantity" × "Lineitem price" (the price is a unit price);
- the customer is "Email"; an order is one "Name" (order number) of a customer on one day;
- "Product Type" spellings that differ only by case/spacing are one type ("dog food" = "Dog Food").

Metric definitions follow tools/semantic/metrics.json: revenue = sum of completed line amounts; orders =
completed orders; customers = customers with a completed order; AOV = revenue ÷ orders; repeat purchase
rate = customers with 2+ completed orders ÷ customers; purchase frequency = orders ÷ customers; days
between orders = Σ(last − first order day) ÷ Σ(orders − 1) over repeat customers; refund rate = refunded
orders ÷ all orders placed; new customers = customers whose first order falls in the period.

Completed vs not: "paid" and "pending" orders completed; "refunded" and "voided" did not (the brief and
the catalog count refunds and voids as cancelled). The as-of date is the day of the last completed order
(2025-06-18); "last quarter" / "last month" are the calendar periods before the one containing it.

Three readings of the messy rows are genuinely open, so every question is computed under each of the
2 × 2 × 2 combinations (`VARIANTS`) and any of the resulting values is accepted:
- partially_refunded: a completed sale (the order shipped, part of it was refunded) — or, as the catalog's
  "status says refunded" has it, a refunded (cancelled) order;
- the refund lines ("Refund - …", quantity -1): netted into revenue — or dropped as a negative amount;
- a blank "Lineitem quantity": one unit (Shopify's default) — or the line is dropped as unreadable.
Some questions also have two defensible readings of their own (named in `AMBIGUOUS`); their function
returns a list.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Callable

import pandas as pd

from tests.data import judging_expected as shared
from tests.data.judging_expected import Dated, change, month, repeat_rate, revenue, top

ORDER_LEVEL = ["Financial Status", "Fulfillment Status", "Accepts Marketing", "Discount Code", "Shipping Method",
               "Billing Province", "Billing Province Name", "Billing Country", "Source", "Tags"]
VARIANTS = list(itertools.product((False, True), (True, False), ("one", "drop")))
KEY = ["email", "name", "day"]


@dataclass
class Shop(Dated):  # done_in, orders_in
    lines: pd.DataFrame    # every line kept under this reading, parsed, order-level columns filled in
    done: pd.DataFrame     # completed lines
    orders: pd.DataFrame   # one row per order placed (completed or not)
    clients: pd.DataFrame  # one row per email: completed spend/orders/first/last day, first day of any order
    as_of: date
    variant: tuple


def _canonical(series: pd.Series) -> pd.Series:
    """Merge spellings that differ by case/spacing into the most frequent spelling."""
    key = series.str.split().str.join(" ").str.casefold()
    best = series.groupby(key).agg(lambda s: s.str.strip().value_counts().index[0])
    return key.map(best)


def read_raw(path: str | Path) -> pd.DataFrame:
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    for col in ORDER_LEVEL:
        raw[col] = raw[col].replace("", None).groupby(raw["Name"]).transform("first").fillna("")
    return raw


def load(path: str | Path, partial_cancelled: bool = False, keep_negative: bool = True,
         blank_qty: str = "one", raw: pd.DataFrame | None = None) -> Shop:
    raw = read_raw(path) if raw is None else raw
    qty = pd.to_numeric(raw["Lineitem quantity"].replace("", None))
    lines = pd.DataFrame({
        "name": raw["Name"], "email": raw["Email"], "day": pd.to_datetime(raw["Created at"].str[:10]).dt.date,
        "status": raw["Financial Status"], "product": raw["Lineitem name"], "qty": qty,
        "price": raw["Lineitem price"].astype(float), "ptype": _canonical(raw["Product Type"]),
        "code": raw["Discount Code"], "source": raw["Source"], "country": raw["Billing Country"],
        "province": raw["Billing Province Name"], "tag": raw["Tags"],
    })
    if blank_qty == "one":
        lines["qty"] = lines["qty"].fillna(1)
    else:
        lines = lines[lines["qty"].notna()]
    if not keep_negative:
        lines = lines[lines["qty"] >= 0]
    lines = lines.copy()
    lines["amount"] = lines["qty"] * lines["price"]
    cancelled = {"refunded", "voided"} | ({"partially_refunded"} if partial_cancelled else set())
    refunded = {"refunded"} | ({"partially_refunded"} if partial_cancelled else set())
    lines["completed"] = ~lines["status"].isin(cancelled)
    lines["refunded"] = lines["status"].isin(refunded)
    done = lines[lines.completed]
    orders = lines.groupby(KEY, as_index=False).agg(
        revenue=("amount", "sum"), units=("qty", "sum"), completed=("completed", "first"),
        refunded=("refunded", "first"), status=("status", "first"), code=("code", "first"),
        source=("source", "first"))
    per = orders[orders.completed].groupby("email").agg(
        spend=("revenue", "sum"), n_orders=("day", "size"), first_day=("day", "min"), last_day=("day", "max"))
    anyo = orders.groupby("email").agg(first_any=("day", "min"), last_any=("day", "max"))
    attrs = lines.groupby("email").agg(country=("country", "first"), province=("province", "first"))
    clients = attrs.join(anyo).join(per)
    clients["n_orders"] = clients["n_orders"].fillna(0).astype(int)
    clients["spend"] = clients["spend"].fillna(0.0)
    return Shop(lines=lines, done=done, orders=orders, clients=clients, as_of=max(done.day),
                variant=(partial_cancelled, keep_negative, blank_qty))


def load_all(path: str | Path) -> list[Shop]:
    raw = read_raw(path)
    return [load(path, p, n, b, raw=raw) for p, n, b in VARIANTS]


# --- metric definitions (catalog semantics, written independently; more in tests/data/judging_expected.py) ---
def n_orders(lines: pd.DataFrame) -> int:
    return shared.n_orders(lines, KEY)


def aov(lines: pd.DataFrame) -> float:
    return shared.aov(lines, KEY)


def items_per_order(lines: pd.DataFrame) -> float:
    return float(lines.qty.sum()) / n_orders(lines)


def buyers(lines: pd.DataFrame, ptype: str) -> set[str]:
    return set(lines.loc[lines.ptype == ptype, "email"])


def year(y: int) -> tuple[date, date]:
    return date(y, 1, 1), date(y, 12, 31)


def last_quarter(s: Shop) -> tuple[date, date]:
    a = s.as_of
    qs = date(a.year, 3 * ((a.month - 1) // 3) + 1, 1)
    end = qs - timedelta(days=1)
    return date(end.year, 3 * ((end.month - 1) // 3) + 1, 1), end


def last_month(s: Shop) -> tuple[date, date]:
    end = date(s.as_of.year, s.as_of.month, 1) - timedelta(days=1)
    return date(end.year, end.month, 1), end


def days_between(clients: pd.DataFrame) -> list[float]:
    rep = clients[clients.n_orders >= 2]
    span = (pd.to_datetime(rep.last_day) - pd.to_datetime(rep.first_day)).dt.days
    pooled = float(span.sum() / (rep.n_orders - 1).sum())
    per_customer = float((span / (rep.n_orders - 1)).mean())
    return [pooled, per_customer]


# --- the questions --------------------------------------------------------------------------------------
# en01 total revenue last quarter: completed lines dated in the calendar quarter before as-of's (Q1 2025)
def _en01(s): return revenue(s.done_in(*last_quarter(s)))
# en02 total sales in 2024
def _en02(s): return revenue(s.done_in(*year(2024)))
# en03 average order value, all time
def _en03(s): return aov(s.done)
# en04 orders last month (May 2025): completed orders; or every order placed ("orders we got")
def _en04(s): return [n_orders(s.done_in(*last_month(s))), len(s.orders_in(*last_month(s)))]
# en05 customers who bought in 2024: emails with a completed order in 2024
def _en05(s): return int(s.done_in(*year(2024)).email.nunique())
# en06 product type with the most revenue (all time)
def _en06(s): return top(s.done.groupby("ptype").amount.sum())
# en07 best-selling product by units (Lineitem name), all time
def _en07(s): return top(s.done.groupby("product").qty.sum())
# en08 share of revenue from cat litter, all time
def _en08(s): return revenue(s.done[s.done.ptype == "Cat Litter"]) / revenue(s.done)
# en09 refund rate: refunded orders ÷ all orders placed
def _en09(s): return float(s.orders.refunded.sum() / len(s.orders))
# en10 revenue lost to refunds: amount of the lines of refunded orders (voids are not refunds) — or, also
# counting partial refunds, plus the refunded amount of the refund lines
def _en10(s):
    full = revenue(s.lines[s.lines.refunded])
    partial = -float(s.lines.loc[(s.lines.qty < 0) & s.lines.completed, "amount"].sum())
    return [full, full + partial]
# en11 repeat purchase rate, all time
def _en11(s): return repeat_rate(s.clients)
# en12 average days between orders: pooled over repeat customers (catalog) — or the mean of each repeat
# customer's average gap
def _en12(s): return days_between(s.clients)
# en13 new customers in March 2025: first completed order in March 2025 — or first order of any status
def _en13(s):
    lo, hi = month(2025, 3)
    c = s.clients
    return [int(((c.first_day >= lo) & (c.first_day <= hi)).sum()),
            int(((c.first_any >= lo) & (c.first_any <= hi) & (c.n_orders > 0)).sum())]
# en14 revenue by sales channel in 2024, the POS ("pos") row
def _en14(s):
    d = s.done_in(*year(2024))
    return revenue(d[d.source == "pos"])
# en15 revenue in 2024 from customers billed in Texas
def _en15(s):
    d = s.done_in(*year(2024))
    return revenue(d[d.email.isin(s.clients.index[s.clients.province == "Texas"])])
# en16 completed orders that used a discount code — or every order placed with a code
def _en16(s):
    return [n_orders(s.done[s.done.code != ""]), int((s.orders.code != "").sum())]
# en17 customers who bought dog food but never cat litter (completed lines)
def _en17(s): return len(buyers(s.done, "Dog Food") - buyers(s.done, "Cat Litter"))
# en18 customers whose completed spend is over $500
def _en18(s): return int((s.clients.spend > 500).sum())
# en19 revenue change last month (May 2025) vs the month before (April 2025)
def _en19(s): return change(revenue(s.done_in(*month(2025, 5))), revenue(s.done_in(*month(2025, 4))))
# en20 average items (units) per completed order, all time
def _en20(s): return items_per_order(s.done)


# zh01 最近90天的销售额: the 90 days ending on the as-of date — or 91 days counting from as-of − 90
def _zh01(s):
    return [revenue(s.done_in(s.as_of - timedelta(days=d), s.as_of)) for d in (89, 90)]
# zh02 2025年第一季度订单数: completed orders in Q1 2025 — or every order placed
def _zh02(s):
    lo, hi = date(2025, 1, 1), date(2025, 3, 31)
    return [n_orders(s.done_in(lo, hi)), len(s.orders_in(lo, hi))]
# zh03 2024年的客单价
def _zh03(s): return aov(s.done_in(*year(2024)))
# zh04 下过单的客户数: customers with a completed order — or every email that placed an order
def _zh04(s): return [int((s.clients.n_orders > 0).sum()), len(s.clients)]
# zh05 各品类的销售额, the Treats row (all time)
def _zh05(s): return revenue(s.done[s.done.ptype == "Treats"])
# zh06 狗粮的销售额占比
def _zh06(s): return revenue(s.done[s.done.ptype == "Dog Food"]) / revenue(s.done)
# zh07 2024年销量最高的商品: by units of completed lines in 2024
def _zh07(s): return top(s.done_in(*year(2024)).groupby("product").qty.sum())
# zh08 退款订单占总订单的比例 = refund rate
def _zh08(s): return _en09(s)
# zh09 退款和取消损失的销售额: amount of every not-completed line
def _zh09(s): return revenue(s.lines[~s.lines.completed])
# zh10 复购率
def _zh10(s): return repeat_rate(s.clients)
# zh11 平均每个客户下几单 = purchase frequency, all time
def _zh11(s): return n_orders(s.done) / float(s.done.email.nunique())
# zh12 2025年5月新增客户: first completed order in May 2025 — or first order of any status
def _zh12(s):
    lo, hi = month(2025, 5)
    c = s.clients
    return [int(((c.first_day >= lo) & (c.first_day <= hi)).sum()),
            int(((c.first_any >= lo) & (c.first_any <= hi) & (c.n_orders > 0)).sum())]
# zh13 各渠道的销售额, the web row (all time)
def _zh13(s): return revenue(s.done[s.done.source == "web"])
# zh14 加拿大客户贡献的销售额 (Billing Country CA), all time
def _zh14(s): return revenue(s.done[s.done.email.isin(s.clients.index[s.clients.country == "CA"])])
# zh15 超过90天没有下单的客户: customers whose last completed order is more than 90 (or at least 90) days
# before the as-of date; customers whose every order was cancelled counted or not (by last order of any status)
def _zh15(s):
    c, out = s.clients, []
    for gap in (90, 89):
        cutoff = s.as_of - timedelta(days=gap)
        out.append(int(((c.n_orders > 0) & (c.last_day < cutoff)).sum()))
        out.append(int((c.last_any < cutoff).sum()))
    return out
# zh16 客户平均隔多少天再次下单 = days between orders
def _zh16(s): return days_between(s.clients)
# zh17 买过猫粮但从没买过猫砂的客户
def _zh17(s): return len(buyers(s.done, "Cat Food") - buyers(s.done, "Cat Litter"))
# zh18 累计消费超过1000美元的客户
def _zh18(s): return int((s.clients.spend > 1000).sum())
# zh19 4月份销售额环比: April 2025 vs March 2025
def _zh19(s): return change(revenue(s.done_in(*month(2025, 4))), revenue(s.done_in(*month(2025, 3))))
# zh20 2024年平均每单件数
def _zh20(s): return items_per_order(s.done_in(*year(2024)))


FUNCTIONS: dict[str, Callable[[Shop], object]] = {
    name[1:]: fn for name, fn in sorted(globals().items()) if name.startswith(("_en", "_zh")) and callable(fn)
}

AMBIGUOUS = {
    "en04": "completed orders, or every order placed last month",
    "en10": "amount of fully refunded orders, or that plus the refunded part of partially refunded orders",
    "en12": "pooled gap over repeat customers (catalog), or the mean of each customer's average gap",
    "en13": "first completed order in the month, or first order of any status",
    "en16": "completed orders with a code, or every order placed with a code",
    "zh01": "90 days ending on the as-of date, or from as-of − 90 days",
    "zh02": "completed orders, or every order placed",
    "zh04": "customers with a completed order, or every customer in the file",
    "zh12": "first completed order in the month, or first order of any status",
    "zh15": "> 90 or ≥ 90 days; customers whose every order was cancelled counted or not",
    "zh16": "pooled gap over repeat customers (catalog), or the mean of each customer's average gap",
}


def _dedupe(values: list) -> list:
    out: list = []
    for v in values:
        if isinstance(v, str):
            if v not in out:
                out.append(v)
        elif not any(isinstance(o, (int, float)) and math.isclose(float(o), float(v), rel_tol=1e-9) for o in out):
            out.append(v)
    return out


def expected_values(shops: list[Shop]) -> dict[str, object]:
    """Each question's expected answer: one value, or the list of values its readings give."""
    out: dict[str, object] = {}
    for qid, fn in FUNCTIONS.items():
        values = []
        for s in shops:
            v = fn(s)
            values.extend(v if isinstance(v, list) else [v])
        values = _dedupe(values)
        out[qid] = values[0] if len(values) == 1 else values
    return out


if __name__ == "__main__":
    import sys
    from tests.data.judge_shopify.make_shop import write_shop
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        shops = load_all(write_shop(sys.argv[1] if len(sys.argv) > 1 else tmp))
        print("as-of", {s.as_of for s in shops})
        for k, v in expected_values(shops).items():
            print(k, v)
