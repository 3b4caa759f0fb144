"""The expected answers to tests/data/judge_bigcommerce/questions.jsonl, computed with pandas from the raw BigCommerce
export alone (written without reading the product's loader or planner).

The reading (what a careful analyst would take from this file):
- an ORDER is a row (an "Order ID"); its items are the "Product Details" field split on "|", each item read by its
  keys ("Product Qty", "Product Name", "Product Total Price"; names and variation details may hold commas);
- a SALE is an order that is not Cancelled, Refunded or Declined (a declined payment never was a sale). Orders
  "Awaiting Payment" (bank deposits not paid yet) are counted or not: both readings are accepted. Awaiting
  Fulfillment / Awaiting Pickup orders are paid and count;
- REVENUE of an order is one of "Order Total (inc tax)", "Order Total (ex tax)", "Subtotal (inc tax)",
  "Subtotal (ex tax)" (the store's figures with or without GST, with or without shipping; all four accepted); a
  Partially Refunded order counts in full or less its "Refund Amount" (both accepted). A product's revenue is the
  sum of its items' "Product Total Price" (the only per-item money in the file);
- a CUSTOMER is a person: guest checkouts have Customer ID 0, so the key is the e-mail ("Customer Email", trimmed,
  case-folded), or the Customer ID for an account and the e-mail for a guest (a guest who registered later is then
  two customers); both accepted. Customer ID 0 is never one customer;
- dates are DD/MM/YYYY; the as-of date is the last order date in the file; "the last N days" ends on it and is N
  or N+1 days long (both accepted).
Each question's function gives the value under one reading (or the list of values a careful analyst could give under
it); `expected_values` collects every reading's values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from datetime import date, timedelta
from itertools import product as cartesian
from pathlib import Path
from typing import Any, Callable

import pandas as pd

MEASURES = ["Order Total (inc tax)", "Order Total (ex tax)", "Subtotal (inc tax)", "Subtotal (ex tax)"]
MONEY = MEASURES + ["Tax Total", "Shipping Cost (inc tax)", "Shipping Cost (ex tax)", "Refund Amount",
                    "Combined Product Weight", "Total Quantity"]
NOT_SALES = {"Cancelled", "Refunded", "Declined"}
ITEM = re.compile(r"Product ID: (?P<pid>.*?), Product Qty: (?P<qty>\d+), Product SKU: (?P<sku>.*?), "
                  r"Product Name: (?P<name>.*?), Product Weight: (?P<weight>[\d.]+), "
                  r"Product Variation Details: (?P<variation>.*?), Product Unit Price: (?P<unit>[\d.]+), "
                  r"Product Total Price: (?P<total>[\d.]+)$")

AMBIGUOUS = {
    "e01": "revenue: order total or subtotal, inc or ex GST; awaiting-payment orders in or out; partial refunds "
           "in full or net",
    "e02": "awaiting-payment orders counted or not",
    "e03": "revenue readings / orders",
    "e04": "revenue readings, 1 Jul 2024 - 30 Jun 2025",
    "e05": "revenue readings; Victoria as the billing or the shipping state",
    "e08": "cancelled + refunded orders, with or without Declined and Partially Refunded, of all orders",
    "e09": "a lost order's value under each revenue measure, with or without Declined, plus or not the partial "
           "refunds' Refund Amount",
    "e10": "most orders or most revenue",
    "e11": "revenue readings",
    "e12": "awaiting-payment orders counted or not",
    "e13": "revenue readings",
    "e14": "revenue readings",
    "e15": "customer key readings; awaiting-payment orders",
    "e16": "the top spender named by account id, e-mail, name or company",
    "e17": "revenue and customer readings",
    "e18": "customer key readings",
    "e19": "customer key readings; a 90- or 91-day window",
    "e20": "over sales or over every order",
    "z01": "as e01", "z02": "as e02", "z03": "as e03", "z04": "revenue readings, calendar 2025",
    "z05": "revenue readings; New Zealand as the shipping or the billing country",
    "z06": "billing or shipping state", "z07": "a 30- or 31-day window; awaiting-payment orders",
    "z08": "Refunded (with or without Partially Refunded) of all orders or of orders not cancelled/declined",
    "z09": "Cancelled, with or without Declined", "z11": "revenue readings (Customer ID 0)",
    "z12": "revenue readings, Mar 2026 vs Feb 2026",
    "z13": "两次以上: 2+ or 3+ orders; customer key readings",
    "z14": "revenue and customer readings", "z15": "awaiting-payment orders",
    "z16": "of sales or of every order", "z17": "老客户: 2+ orders or any customer; more than 120 days or 120 and more",
    "z18": "revenue readings", "z19": "awaiting-payment orders", "z20": "inc or ex GST",
}


@dataclass
class Raw:
    orders: pd.DataFrame   # one row per order, raw columns plus parsed ones
    items: pd.DataFrame    # one row per item of Product Details
    as_of: date


@dataclass(eq=False)
class Shop:
    """The export under one reading."""
    raw: Raw
    measure: str
    net_partial: bool
    awaiting_counts: bool
    customer_key: str   # "email" or "account"

    @property
    def as_of(self) -> date:
        return self.raw.as_of

    @property
    def orders(self) -> pd.DataFrame:
        return self.raw.orders

    @cached_property
    def valid(self) -> pd.Series:
        st = self.orders["Order Status"]
        ok = ~st.isin(NOT_SALES)
        if not self.awaiting_counts:
            ok &= st != "Awaiting Payment"
        return ok

    @cached_property
    def value(self) -> pd.Series:
        v = self.orders[self.measure]
        if self.net_partial:
            v = v - self.orders["Refund Amount"].where(self.orders["Order Status"] == "Partially Refunded", 0.0)
        return v

    @cached_property
    def customer(self) -> pd.Series:
        return self.orders["email_key"] if self.customer_key == "email" else self.orders["account_key"]

    def revenue(self, mask=None) -> float:
        m = self.valid if mask is None else self.valid & mask
        return float(self.value[m].sum())

    @cached_property
    def _sales_items(self) -> pd.DataFrame:
        ok = self.valid.set_axis(self.orders["Order ID"])
        items = self.raw.items
        return items[items["Order ID"].map(ok).astype(bool)]

    def sales_items(self) -> pd.DataFrame:
        return self._sales_items

    @cached_property
    def _per_customer(self) -> pd.DataFrame:
        v = self.valid
        df = pd.DataFrame({"customer": self.customer[v], "value": self.value[v], "date": self.orders["date"][v]})
        return df.groupby("customer").agg(orders=("value", "size"), spend=("value", "sum"),
                                          first=("date", "min"), last=("date", "max"))

    def per_customer(self) -> pd.DataFrame:
        return self._per_customer


def load_raw(csv: str | Path) -> Raw:
    df = pd.read_csv(csv, dtype=str, keep_default_na=False)
    for c in MONEY:
        df[c] = pd.to_numeric(df[c])
    df["date"] = pd.to_datetime(df["Order Date"], format="%d/%m/%Y")
    df["email_key"] = df["Customer Email"].str.strip().str.casefold()
    df["account_key"] = ("id:" + df["Customer ID"]).where(df["Customer ID"] != "0", "email:" + df["email_key"])
    rows = []
    for oid, details in zip(df["Order ID"], df["Product Details"]):
        for part in details.split("|"):
            m = ITEM.match(part)
            if m is None:
                raise ValueError(f"unreadable item in order {oid}: {part!r}")
            rows.append({"Order ID": oid, "name": m["name"], "qty": int(m["qty"]), "total": float(m["total"])})
    items = pd.DataFrame(rows)
    return Raw(df, items, df["date"].max().date())


def load_all(csv: str | Path) -> list[Shop]:
    raw = load_raw(csv)
    return [Shop(raw, m, net, aw, key)
            for m, net, aw, key in cartesian(MEASURES, (False, True), (True, False), ("email", "account"))]


# --- helpers ----------------------------------------------------------------------------------------------
def _between(s: Shop, start: date, end: date) -> pd.Series:
    d = s.orders["date"]
    return (d >= pd.Timestamp(start)) & (d <= pd.Timestamp(end))


def _month(s: Shop, year: int, month: int) -> pd.Series:
    d = s.orders["date"]
    return (d.dt.year == year) & (d.dt.month == month)


def _last_days(s: Shop, n: int) -> list[pd.Series]:
    return [_between(s, s.as_of - timedelta(days=k), s.as_of) for k in (n - 1, n)]


def _status(s: Shop, *names: str) -> pd.Series:
    return s.orders["Order Status"].isin(names)


def _top(series: pd.Series) -> str:
    series = series.sort_values(ascending=False)
    assert series.iloc[0] > series.iloc[1] * 1.05, f"no clear top: {series.head(3).to_dict()}"
    return str(series.index[0])


# --- the questions ----------------------------------------------------------------------------------------
def e01(s): return s.revenue()
def e02(s): return int(s.valid.sum())
def e03(s): return s.revenue() / int(s.valid.sum())
def e04(s): return s.revenue(_between(s, date(2024, 7, 1), date(2025, 6, 30)))


def e05(s):
    return [s.revenue(s.orders["Billing State"] == "Victoria"), s.revenue(s.orders["Shipping State"] == "Victoria")]


def e06(s):
    it = s.sales_items()
    return _top(it.groupby("name")["total"].sum())


def e07(s):
    it = s.sales_items()
    return int(it.loc[it["name"] == "Baratza Encore Grinder", "qty"].sum())


def e08(s):
    n = len(s.orders)
    out = []
    for extra in ((), ("Declined",), ("Partially Refunded",), ("Declined", "Partially Refunded")):
        out.append(int(_status(s, "Cancelled", "Refunded", *extra).sum()) / n)
    return out


def e09(s):
    out = []
    for m in MEASURES:
        for extra in ((), ("Declined",)):
            lost = float(s.orders.loc[_status(s, "Cancelled", "Refunded", *extra), m].sum())
            partial = float(s.orders.loc[_status(s, "Partially Refunded"), "Refund Amount"].sum())
            out += [lost, lost + partial]
    return out


def e10(s):
    pm = s.orders["Payment Method"][s.valid]
    return [_top(pm.value_counts()), _top(s.value[s.valid].groupby(pm).sum())]


def e11(s): return s.revenue(s.orders["Payment Method"] == "Afterpay")


def e12(s):
    m = s.valid & (s.orders["Ship Method"] == "Australia Post Express Post") & (s.orders["date"].dt.year == 2025)
    return int(m.sum())


def e13(s): return s.revenue(_month(s, 2025, 12))
def e14(s): return s.revenue(_month(s, 2026, 4)) / s.revenue(_month(s, 2025, 4)) - 1


def e15(s):
    c = s.per_customer()
    return float((c["orders"] >= 2).sum() / len(c))


def e16(s):
    c = s.per_customer()
    top = _top(c["spend"])
    rows = s.orders[s.valid & (s.customer == top)]
    last = rows.iloc[0]
    names = {top.split(":", 1)[1] if ":" in top else top, last["Customer ID"], last["Customer Email"].strip(),
             last["Customer Name"], last["Billing Company"]}
    return sorted(n for n in names if n and n != "0")


def e17(s):
    c = s.per_customer()
    return int((c["spend"] > 1000).sum())


def e18(s):
    it = s.sales_items().merge(pd.DataFrame({"Order ID": s.orders["Order ID"], "customer": s.customer}),
                               on="Order ID")
    dripper = set(it.loc[it["name"] == "Hario V60 Ceramic Dripper 02", "customer"])
    filters = set(it.loc[it["name"] == "Hario V60 Paper Filters 02, 100 Pack", "customer"])
    return len(dripper - filters)


def e19(s):
    c = s.per_customer()
    return [int((c["first"] >= pd.Timestamp(s.as_of - timedelta(days=k))).sum()) for k in (89, 90)]


def e20(s):
    w = s.orders["Combined Product Weight"]
    return [float(w[s.valid].mean()), float(w.mean())]


def z01(s): return e01(s)
def z02(s): return e02(s)
def z03(s): return e03(s)
def z04(s): return s.revenue(s.orders["date"].dt.year == 2025)


def z05(s):
    return [s.revenue(s.orders["Shipping Country"] == "New Zealand"),
            s.revenue(s.orders["Billing Country"] == "New Zealand")]


def z06(s):
    v = s.value[s.valid]
    return [_top(v.groupby(s.orders["Billing State"][s.valid]).sum()),
            _top(v.groupby(s.orders["Shipping State"][s.valid]).sum())]


def z07(s): return [int((s.valid & w).sum()) for w in _last_days(s, 30)]


def z08(s):
    out = []
    for num in (("Refunded",), ("Refunded", "Partially Refunded")):
        k = int(_status(s, *num).sum())
        out += [k / len(s.orders), k / int((~_status(s, "Cancelled", "Declined")).sum())]
    return out


def z09(s): return [int(_status(s, "Cancelled").sum()), int(_status(s, "Cancelled", "Declined").sum())]


def z10(s):
    it = s.sales_items()
    return _top(it.groupby("name")["qty"].sum())


def z11(s): return s.revenue(s.orders["Customer ID"] == "0")
def z12(s): return s.revenue(_month(s, 2026, 3)) / s.revenue(_month(s, 2026, 2)) - 1


def z13(s):
    c = s.per_customer()
    return [int((c["orders"] >= 2).sum()), int((c["orders"] >= 3).sum())]


def z14(s): return float(s.per_customer()["spend"].max())


def z15(s):
    it = s.sales_items()
    return float(it.loc[it["name"].str.contains("Yirgacheffe"), "total"].sum())


def z16(s):
    coupon = s.orders["Coupon Details"] != ""
    return [int((coupon & s.valid).sum()) / int(s.valid.sum()), int(coupon.sum()) / len(s.orders)]


def z17(s):
    c = s.per_customer()
    days = (pd.Timestamp(s.as_of) - c["last"]).dt.days
    out = []
    for least in (2, 1):
        for over in (days > 120, days >= 120):
            out.append(int(((c["orders"] >= least) & over).sum()))
    return out


def z18(s): return s.revenue(s.orders["Ship Method"] == "Pickup In Store")
def z19(s): return float(s.orders["Total Quantity"][s.valid].mean())


def z20(s):
    return [float(s.orders.loc[s.valid, "Shipping Cost (inc tax)"].sum()),
            float(s.orders.loc[s.valid, "Shipping Cost (ex tax)"].sum())]


FUNCTIONS: dict[str, Callable[[Shop], Any]] = {
    name: fn for name, fn in globals().items() if re.fullmatch(r"[ez]\d\d", name) and callable(fn)}


def _merge(values: list[Any]) -> Any:
    flat = []
    for v in values:
        flat += v if isinstance(v, list) else [v]
    if all(isinstance(v, str) for v in flat):
        out = sorted(set(flat))
    else:
        seen, out = set(), []
        for v in flat:
            key = round(float(v), 9)
            if key not in seen:
                seen.add(key)
                out.append(v)
        out.sort()
    return out[0] if len(out) == 1 else out


def expected_values(shops: list[Shop]) -> dict[str, Any]:
    return {qid: _merge([fn(s) for s in shops]) for qid, fn in FUNCTIONS.items()}
