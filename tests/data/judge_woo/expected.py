"""Expected answers of questions.jsonl, computed with pandas from the RAW WooCommerce export (make_shop.py).

Nothing here uses Tierwise. The file is read as an analyst would read a WooCommerce order export:
- an order is one "Order Number" (each has one date and one billing email); "Order Date" is day-first
  ("05/03/2024 14:22" is 5 March 2024);
- a line's amount is "Line Total" (= Quantity × Item Cost), money written "£1,234.00"; "Order Total" is the
  order's total (items − coupon + shipping) repeated on every line, so it is counted ONCE per order;
- sales are Completed / Processing / On hold orders; Refunded / Cancelled / Failed orders are cancelled
  (tools/semantic/metrics.json: cancelled orders are counted and left out of value);
- categories: spellings of one category ("skincare", "Skin Care", "Make-up", "Bath and Body") are that
  category;
- the as-of date is the day of the last order (2025-12-14, which has completed orders); "last month" is
  November 2025, "this year" 2025-01-01 .. 2025-12-14, "the last 30 days" 2025-11-15 .. 2025-12-14.

Metric definitions follow tools/semantic/metrics.json: revenue = sum of sales line amounts; orders = sales
orders; customers = customers with a sales order; AOV = revenue ÷ orders; repeat purchase rate = customers
with 2+ sales orders ÷ customers; purchase frequency = orders ÷ customers; days between orders =
Σ(last − first order day) ÷ Σ(orders − 1) over repeat customers; cancellation rate = cancelled orders ÷ all
orders placed; refund rate = refunded orders ÷ all orders placed; new customers = customers whose first order
falls in the period; items per order = units ÷ orders; share of revenue = scope's revenue ÷ the window's.

Readings that are genuinely open, each computed and any resulting value accepted (`VARIANTS`):
- who a customer is: the "Billing Email" (a guest who later registered with the same email is one person) —
  or the "Customer User ID" for registered checkouts and the email for guests (user id 0): the ~3% of
  registered customers whose first order was a guest checkout then count twice;
- a blank "Quantity" (its Line Total is one unit's cost): one unit — or the line is dropped as unreadable —
  or the line counts for revenue and orders but adds no units.
Some questions also have two defensible readings of their own (named in `AMBIGUOUS`); their function
returns a list. Reading "Order Total" summed over every line, or "Customer User ID" 0 as one customer, is
never accepted: those are the export's traps.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Callable

import pandas as pd

from tests.data.judging_expected import Dated

SALES = {"Completed", "Processing", "On hold"}
CANCELLED = {"Refunded", "Cancelled", "Failed"}
CANON = {"skincare": "Skincare", "skin care": "Skincare", "makeup": "Makeup", "make-up": "Makeup",
         "make up": "Makeup", "haircare": "Haircare", "fragrance": "Fragrance", "bath & body": "Bath & Body",
         "bath and body": "Bath & Body", "tools": "Tools"}
VARIANTS = list(itertools.product(("email", "uid"), ("one", "drop", "null")))


def _money(s: pd.Series) -> pd.Series:
    return s.str.replace("£", "", regex=False).str.replace(",", "", regex=False).astype(float)


@dataclass
class Shop(Dated):  # done_in; orders_in of sales orders (or, sales=False, of every order)
    lines: pd.DataFrame    # every line kept under this reading, parsed
    done: pd.DataFrame     # sales lines
    orders: pd.DataFrame   # one row per order placed (any status)
    clients: pd.DataFrame  # one row per customer with a sales order
    as_of: date
    variant: tuple

    def sales_orders(self) -> pd.DataFrame:
        return self.orders[self.orders.status.isin(SALES)]

    def orders_in(self, start: date, end: date, sales: bool = True) -> pd.DataFrame:
        o = self.sales_orders() if sales else self.orders
        return o[(o.day >= start) & (o.day <= end)]


def read_raw(path: str | Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def load(path: str | Path, variant: tuple = ("email", "one")) -> Shop:
    ident, qty_reading = variant
    raw = read_raw(path)
    df = pd.DataFrame({
        "order": raw["Order Number"].astype(int),
        "day": pd.to_datetime(raw["Order Date"], format="%d/%m/%Y %H:%M").dt.date,
        "status": raw["Order Status"],
        "uid": raw["Customer User ID"].astype(int),
        "email": raw["Billing Email"].str.strip().str.lower(),
        "city": raw["Billing City"], "country": raw["Billing Country"],
        "payment": raw["Payment Method Title"], "coupon": raw["Coupon Code"].str.strip(),
        "product": raw["Item Name"], "category": raw["Category"].str.strip().str.lower().map(CANON),
        "qty_raw": raw["Quantity"].str.strip(),
        "amount": _money(raw["Line Total"]), "order_total": _money(raw["Order Total"]),
    })
    assert df.category.notna().all()
    blank = df.qty_raw.eq("")
    if qty_reading == "drop":
        df = df[~blank].copy()
    df["qty"] = pd.to_numeric(df.qty_raw.replace("", None))
    if qty_reading == "one":
        df["qty"] = df.qty.fillna(1)
    df["cust"] = df.email if ident == "email" else df.uid.astype(str).where(df.uid != 0, "guest:" + df.email)
    done = df[df.status.isin(SALES)]
    orders = df.groupby("order").agg(cust=("cust", "first"), day=("day", "first"), status=("status", "first"),
                                     uid=("uid", "first"), coupon=("coupon", "first"), payment=("payment", "first"),
                                     country=("country", "first"), order_total=("order_total", "first"),
                                     amount=("amount", "sum")).reset_index()
    so = orders[orders.status.isin(SALES)]
    clients = so.groupby("cust").agg(first=("day", "min"), last=("day", "max"), n=("order", "nunique"),
                                     spend=("amount", "sum"), spend_total=("order_total", "sum"))
    clients["first_any"] = orders.groupby("cust").day.min().reindex(clients.index)
    return Shop(lines=df, done=done, orders=orders, clients=clients, as_of=df.day.max(), variant=variant)


def load_all(path: str | Path) -> list[Shop]:
    return [load(path, v) for v in VARIANTS]


# --- periods ---------------------------------------------------------------------------------------------
def last_month(s: Shop) -> tuple[date, date]:
    end = s.as_of.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def month_before(start: date) -> tuple[date, date]:
    end = start - timedelta(days=1)
    return end.replace(day=1), end


def same_month_last_year(start: date, end: date) -> tuple[date, date]:
    return start.replace(year=start.year - 1), end.replace(year=end.year - 1)


def this_year(s: Shop) -> tuple[date, date]:
    return date(s.as_of.year, 1, 1), s.as_of


Q4_2024 = (date(2024, 10, 1), date(2024, 12, 31))


def last_days(s: Shop, n: int) -> tuple[date, date]:
    return s.as_of - timedelta(days=n - 1), s.as_of


# --- measures ------------------------------------------------------------------------------------------
def revenue(s: Shop, start: date, end: date, **where) -> list[float]:
    """Two readings of revenue: Σ line totals of sales lines, or Σ Order Total once per sales order."""
    lines, orders = s.done_in(start, end), s.orders_in(start, end)
    for k, v in where.items():
        lines, orders = lines[lines[k] == v], orders[orders[k] == v]
    return [round(lines.amount.sum(), 2), round(orders.order_total.sum(), 2)]


def aov(s: Shop, start: date, end: date) -> list[float]:
    o = s.orders_in(start, end)
    return [s.done_in(start, end).amount.sum() / len(o), o.order_total.sum() / len(o)]


def change(now: list[float], before: list[float]) -> list[float]:
    return [(a - b) / b for a, b in zip(now, before)]


def share(s: Shop, category: str, start: date, end: date) -> float:
    d = s.done_in(start, end)
    return d[d.category == category].amount.sum() / d.amount.sum()


def top(series: pd.Series) -> str:
    return series.sort_values(ascending=False).index[0]


ALL = (date(2000, 1, 1), date(2100, 1, 1))


def bought_not(s: Shop, yes: str, no: str) -> int:
    by = s.done.groupby("cust").category.agg(set)
    return int(by.map(lambda c: yes in c and no not in c).sum())


def days_between(s: Shop) -> list[float]:
    c = s.clients[s.clients.n >= 2]
    span = c.apply(lambda r: (r["last"] - r["first"]).days, axis=1)
    return [span.sum() / (c.n - 1).sum(), (span / (c.n - 1)).mean()]


def inactive(s: Shop, days: int) -> list[int]:
    gap = s.clients["last"].map(lambda d: (s.as_of - d).days)
    return [int((gap >= days).sum()), int((gap > days).sum())]


def new_customers(s: Shop, start: date, end: date) -> list[int]:
    c = s.clients
    return [int(c["first"].between(start, end).sum()), int(c["first_any"].between(start, end).sum())]


# --- one function per question ---------------------------------------------------------------------------
FUNCTIONS: dict[str, Callable[[Shop], object]] = {
    # revenue of sales lines in November 2025 (either revenue reading)
    "e01": lambda s: revenue(s, *last_month(s)),
    # revenue 2025-01-01 .. as-of
    "e02": lambda s: revenue(s, *this_year(s)),
    # AOV of Oct-Dec 2024
    "e03": lambda s: aov(s, *Q4_2024),
    # sales orders in the last 30 days (as-of − 29 .. as-of), or 31 days counting as-of − 30
    "e04": lambda s: [len(s.orders_in(*last_days(s, 30))), len(s.orders_in(*last_days(s, 31)))],
    # category with the most revenue, all time
    "e05": lambda s: top(s.done.groupby("category").amount.sum()),
    # Makeup's share of 2025 revenue
    "e06": lambda s: share(s, "Makeup", *this_year(s)),
    # product with the most units sold, all time
    "e07": lambda s: top(s.done.groupby("product").qty.sum()),
    # cancelled (refunded + cancelled + failed) ÷ all orders placed; or without failed payments
    "e08": lambda s: [s.orders.status.isin(CANCELLED).mean(), s.orders.status.isin({"Refunded", "Cancelled"}).mean()],
    # customers with 2+ sales orders ÷ customers, all time
    "e09": lambda s: (s.clients.n >= 2).mean(),
    # days between orders: the catalog's pooled formula, or the mean of each repeat customer's average gap
    "e10": days_between,
    # customers whose first sales order (or first order of any status) is in March 2025
    "e11": lambda s: new_customers(s, date(2025, 3, 1), date(2025, 3, 31)),
    # 2025 revenue by payment method: PayPal's row
    "e12": lambda s: revenue(s, *this_year(s), payment="PayPal"),
    # 2025 revenue of customers billed in Ireland (IE)
    "e13": lambda s: revenue(s, *this_year(s), country="IE"),
    # 2025 sales orders with a coupon code; or every order placed with one
    "e14": lambda s: [int((s.orders_in(*this_year(s)).coupon != "").sum()),
                      int((s.orders_in(*this_year(s), sales=False).coupon != "").sum())],
    # customers who bought Skincare and never Makeup (sales orders, all time)
    "e15": lambda s: bought_not(s, "Skincare", "Makeup"),
    # customers whose total spend (sales line totals; or order totals) is over £300
    "e16": lambda s: [int((s.clients.spend > 300).sum()), int((s.clients.spend_total > 300).sum())],
    # customers whose last sales order is 60+ days before the as-of date (or more than 60)
    "e17": lambda s: inactive(s, 60),
    # revenue Nov 2025 vs Nov 2024, relative change
    "e18": lambda s: change(revenue(s, *last_month(s)), revenue(s, *same_month_last_year(*last_month(s)))),
    # units ÷ sales orders, all time
    "e19": lambda s: s.done.qty.sum() / len(s.sales_orders()),
    # city with the most sales orders
    "e20": lambda s: top(s.sales_orders().merge(s.lines.groupby("order").city.first(), on="order")
                         .groupby("city").order.nunique()),
    # Skincare revenue 2025-01-01 .. as-of (line totals only: the order total is not per category)
    "z01": lambda s: round(s.done_in(*this_year(s)).query("category == 'Skincare'").amount.sum(), 2),
    # sales orders Oct-Dec 2024
    "z02": lambda s: len(s.orders_in(*Q4_2024)),
    # customers with a sales order in November 2025
    "z03": lambda s: s.orders_in(*last_month(s)).cust.nunique(),
    # revenue of the last 30 days (or 31)
    "z04": lambda s: revenue(s, *last_days(s, 30)) + revenue(s, *last_days(s, 31)),
    # Makeup's share of all revenue, all time
    "z05": lambda s: share(s, "Makeup", *ALL),
    # refunded orders ÷ all orders placed, all time
    "z06": lambda s: s.orders.status.eq("Refunded").mean(),
    # line totals of refunded + cancelled (+ failed) orders, all time
    "z07": lambda s: [round(s.lines[s.lines.status.isin(CANCELLED)].amount.sum(), 2),
                      round(s.lines[s.lines.status.isin({"Refunded", "Cancelled"})].amount.sum(), 2)],
    # sales orders ÷ customers, all time
    "z08": lambda s: len(s.sales_orders()) / len(s.clients),
    # customers whose first order is in 2025
    "z09": lambda s: new_customers(s, *this_year(s)),
    # revenue by payment method, all time: Klarna's row
    "z10": lambda s: revenue(s, *ALL, payment="Klarna"),
    # 2025 revenue of customers billed in the UK (GB)
    "z11": lambda s: revenue(s, *this_year(s), country="GB"),
    # customers in Ireland: with a sales order; or with any order
    "z12": lambda s: [int(s.sales_orders().query("country == 'IE'").cust.nunique()),
                      int(s.orders.query("country == 'IE'").cust.nunique())],
    # best-selling category (revenue; Skincare also leads by units)
    "z13": lambda s: top(s.done.groupby("category").amount.sum()),
    # product with the most units sold
    "z14": lambda s: top(s.done.groupby("product").qty.sum()),
    # customers with no sales order for more than 60 days (or 60+)
    "z15": lambda s: inactive(s, 60),
    # customers who bought Skincare and never Makeup
    "z16": lambda s: bought_not(s, "Skincare", "Makeup"),
    # AOV, all time
    "z17": lambda s: aov(s, *ALL),
    # revenue Nov 2025 vs Oct 2025, relative change
    "z18": lambda s: change(revenue(s, *last_month(s)), revenue(s, *month_before(last_month(s)[0]))),
    # guest-checkout orders (Customer User ID 0): sales orders; or every order placed
    "z19": lambda s: [int((s.sales_orders().uid == 0).sum()), int((s.orders.uid == 0).sum())],
    # days between orders (as e10)
    "z20": days_between,
}

AMBIGUOUS = {
    "e01": "revenue: Σ line totals, or Σ Order Total once per order (with shipping, after coupons)",
    "e02": "revenue: line totals or order totals", "e03": "AOV: line totals or order totals",
    "e04": "last 30 days: as-of − 29 .. as-of, or as-of − 30 .. as-of",
    "e08": "failed payments counted as cancelled, or not",
    "e10": "pooled gaps (the catalog's formula), or the mean of customers' average gaps",
    "e11": "first sales order, or first order of any status", "e12": "line totals or order totals",
    "e13": "line totals or order totals", "e14": "sales orders, or every order placed",
    "e16": "spend as line totals or order totals", "e17": ">= 60 days or > 60 days",
    "e18": "line totals or order totals",
    "z04": "30 or 31 days × line totals or order totals", "z07": "failed payments counted, or not",
    "z09": "first sales order, or first order of any status", "z10": "line totals or order totals",
    "z11": "line totals or order totals", "z12": "customers with a sales order, or with any order",
    "z15": "> 60 days or >= 60 days", "z17": "AOV: line totals or order totals", "z18": "line totals or order totals",
    "z19": "sales orders, or every order placed", "z20": "pooled gaps, or the mean of customers' average gaps",
}


def _flat(value) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def expected_values(shops: list[Shop]) -> dict[str, object]:
    """Every question's accepted values over every reading: one value, or a list of distinct values."""
    out: dict[str, object] = {}
    for qid, fn in FUNCTIONS.items():
        seen: list = []
        for shop in shops:
            for v in _flat(fn(shop)):
                v = v.item() if hasattr(v, "item") else v
                if isinstance(v, float):
                    v = round(v, 10)
                if v not in seen:
                    seen.append(v)
        out[qid] = seen[0] if len(seen) == 1 else seen
    return out


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(expected_values(load_all(sys.argv[1])), indent=1, ensure_ascii=False))
