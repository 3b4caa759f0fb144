"""Independent answers to tests/data/judge_square/questions.jsonl, computed with pandas from the raw Square export.

The reading (what a café owner means, stated once; each question below says what it adds):
- Revenue is Square's "Net Sales" (after discounts, before GST) of the Payment rows, less the Refund rows
  (negative, on the same day): a refunded ticket brings in nothing. "Gross Sales" (before discounts) is a
  genuinely open reading of "revenue"/"sales" and is accepted too. Tax is never revenue.
- An order is a ticket: one "Transaction ID" with a Payment row. A fully refunded ticket is either no order at
  all (the product's contract: refunded orders are excluded) or an order worth nothing; both are accepted, and
  the same two readings apply to a customer's visits, first and last visit and to what they "bought".
- Anonymous walk-in sales (blank "Customer ID") are revenue, orders and units like any other, but belong to no
  customer: "customers" are the identified Customer IDs only.
- Dates are the export's "Date" column (the shop's local day); the as-of date is the last day in the export
  (2026-05-17), so "this quarter" is 2026-04-01..2026-05-17, "this month" 2026-05-01..17, "last month" April
  2026, "this year" 2026-01-01..2026-05-17, "last 12 months" ends with May 2026.
- "Haven't been in for N days": the last visit is N or more days before the as-of date; "more than N days" is
  accepted too (both are given where they differ).
`load_all(csv)` gives the raw file under each open reading (money net/gross × refunded tickets dropped/kept);
each question's accepted values are those its readings give (a list when they differ).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from tests.data.judging_expected import collect

def _money(col: pd.Series) -> pd.Series:
    s = col.str.strip()
    neg = s.str.startswith("-")
    v = s.str.replace("-", "", regex=False).str.replace("CA$", "", regex=False).str.replace(",", "", regex=False)
    v = pd.to_numeric(v.replace("", "0"))
    return v.where(~neg, -v)


def read_raw(csv: str | Path) -> pd.DataFrame:
    raw = pd.read_csv(csv, dtype=str, keep_default_na=False)
    out = pd.DataFrame({
        "date": pd.to_datetime(raw["Date"], format="%Y-%m-%d"),
        "tid": raw["Transaction ID"],
        "event": raw["Event Type"],
        "location": raw["Location"],
        "dining": raw["Dining Option"],
        "category": raw["Category"],
        "item": raw["Item"],
        "qty": pd.to_numeric(raw["Qty"]),
        "gross": _money(raw["Gross Sales"]),
        "discount": _money(raw["Discounts"]),
        "net": _money(raw["Net Sales"]),
        "tax": _money(raw["Tax"]),
        "customer": raw["Customer ID"].replace("", None),
        "name": raw["Customer Name"],
    })
    return out


@dataclass
class Shop:
    raw: pd.DataFrame          # every row of the file
    lines: pd.DataFrame        # the rows this reading counts (refunded tickets dropped, or kept with their refunds)
    money: str                 # "net" or "gross"
    refunds: str               # "drop" or "keep"
    as_of: date
    _customers: pd.DataFrame | None = None

    @property
    def value(self) -> pd.Series:
        return self.lines[self.money]


def load_all(csv: str | Path) -> list[Shop]:
    raw = read_raw(csv)
    refunded = set(raw.loc[raw["event"] == "Refund", "tid"])
    as_of = raw.loc[raw["event"] == "Payment", "date"].max().date()
    shops = []
    for money in ("net", "gross"):
        for refunds in ("drop", "keep"):
            lines = raw[~raw["tid"].isin(refunded)] if refunds == "drop" else raw
            shops.append(Shop(raw, lines.copy(), money, refunds, as_of))
    return shops


# --- helpers ----------------------------------------------------------------------------------------------
def _between(s: Shop, start: str, end: str | None = None) -> pd.Series:
    d = s.lines["date"]
    return (d >= pd.Timestamp(start)) & (d <= pd.Timestamp(end or s.as_of))


def _revenue(s: Shop, mask=None) -> float:
    v = s.value if mask is None else s.value[mask]
    return round(float(v.sum()), 2)


def _orders(s: Shop, mask=None) -> int:
    lines = s.lines if mask is None else s.lines[mask]
    return int(lines.loc[lines["event"] == "Payment", "tid"].nunique())


def _customers(s: Shop, mask=None) -> pd.DataFrame:
    """One row per identified customer: first and last visit, visits (tickets), spend."""
    if mask is None:
        if s._customers is None:
            s._customers = _customers(s, pd.Series(True, index=s.lines.index))
        return s._customers
    lines = s.lines[mask]
    known = lines[lines["customer"].notna()].assign(v=s.value)
    pay = known[known["event"] == "Payment"]
    out = pay.groupby("customer").agg(first=("date", "min"), last=("date", "max"), visits=("tid", "nunique"),
                                      name=("name", "first"))
    out["spend"] = known.groupby("customer")["v"].sum().round(2)
    return out


def _top(series: pd.Series) -> str:
    ordered = series.sort_values(ascending=False)
    assert ordered.iloc[0] > ordered.iloc[1], "the top group is a tie"
    return ordered.index[0]


def _change(now: float, before: float) -> float:
    return (now - before) / abs(before)


def _refunds(s: Shop, start: str | None = None) -> list[float]:
    """Money given back: the Refund rows (net, gross, or net + GST, the amount handed back), either sign."""
    r = s.raw[s.raw["event"] == "Refund"]
    if start:
        r = r[r["date"] >= pd.Timestamp(start)]
    values = [float(r[s.money].sum())]
    if s.money == "net":
        values.append(float((r["net"] + r["tax"]).sum()))
    return [round(x, 2) for v in values for x in (abs(v), -abs(v))]


def _discounts(s: Shop, start: str, end: str) -> list[float]:
    """Discounts given on the tickets of the window: at the till (Payment rows), or net of refunded tickets."""
    d = s.raw[(s.raw["date"] >= pd.Timestamp(start)) & (s.raw["date"] <= pd.Timestamp(end))]
    at_till = float(d.loc[d["event"] == "Payment", "discount"].sum())
    refunded = set(s.raw.loc[s.raw["event"] == "Refund", "tid"])
    kept = float(d.loc[(d["event"] == "Payment") & ~d["tid"].isin(refunded), "discount"].sum())
    return [round(x, 2) for v in (at_till, kept) for x in (abs(v), -abs(v))]


def _bought(s: Shop, category: str) -> set:
    lines = s.lines
    hit = lines[(lines["event"] == "Payment") & (lines["category"] == category) & lines["customer"].notna()]
    return set(hit["customer"])


def _lapsed(s: Shop, min_visits: int, days: int) -> list[int]:
    c = _customers(s)
    c = c[c["visits"] >= min_visits]
    since = (pd.Timestamp(s.as_of) - c["last"]).dt.days
    return [int((since >= days).sum()), int((since > days).sum())]


# --- the questions ----------------------------------------------------------------------------------------
FUNCTIONS = {
    # total revenue, all time
    "e01": lambda s: _revenue(s),
    # average order value: revenue / tickets, anonymous tickets included
    "e02": lambda s: _revenue(s) / _orders(s),
    # revenue by location: Gastown's row
    "e03": lambda s: _revenue(s, s.lines["location"] == "Gastown"),
    # best seller by units: Qty summed by Item (refunded units given back)
    "e04": lambda s: _top(s.lines.groupby("item")["qty"].sum()),
    # category with the most revenue
    "e05": lambda s: _top(s.value.groupby(s.lines["category"]).sum()),
    # identified customers (a customer whose every ticket was refunded counts or not, as the reading says)
    "e06": lambda s: len(_customers(s)),
    # repeat customer rate: identified customers with 2+ tickets / identified customers
    "e07": lambda s: float((_customers(s)["visits"] >= 2).mean()),
    # refunds, all time: the Refund rows' total (net, gross, or net + GST handed back), either sign
    "e08": lambda s: _refunds(s),
    # discounts given in 2025, either sign
    "e09": lambda s: _discounts(s, "2025-01-01", "2025-12-31"),
    # revenue by dining option: To Go's row
    "e10": lambda s: _revenue(s, s.lines["dining"] == "To Go"),
    # monthly revenue, last 12 months: December 2025's row
    "e11": lambda s: _revenue(s, _between(s, "2025-12-01", "2025-12-31")),
    # weekday with the most revenue
    "e12": lambda s: _top(s.value.groupby(s.lines["date"].dt.day_name()).sum()),
    # new identified customers this quarter (first ticket 2026-04-01..as-of)
    "e13": lambda s: int((_customers(s)["first"] >= pd.Timestamp("2026-04-01")).sum()),
    # top customer by total spend (named by Customer Name or Customer ID)
    "e14": lambda s: _top(_customers(s)["spend"]),
    # April 2026 vs March 2026 revenue, relative change
    "e15": lambda s: _change(_revenue(s, _between(s, "2026-04-01", "2026-04-30")),
                             _revenue(s, _between(s, "2026-03-01", "2026-03-31"))),
    # identified customers who bought Pastries and never Coffee Beans
    "e16": lambda s: len(_bought(s, "Pastries") - _bought(s, "Coffee Beans")),
    # identified customers whose total spend is more than CA$200
    "e17": lambda s: int((_customers(s)["spend"] > 200).sum()),
    # customers with 5+ tickets whose last ticket is 60+ days before the as-of date
    "e18": lambda s: _lapsed(s, 5, 60),
    # Coffee Beans revenue in 2025
    "e19": lambda s: _revenue(s, _between(s, "2025-01-01", "2025-12-31") & (s.lines["category"] == "Coffee Beans")),
    # Main Street tickets in April 2026
    "e20": lambda s: _orders(s, _between(s, "2026-04-01", "2026-04-30") & (s.lines["location"] == "Main Street")),
    # revenue in 2025
    "z01": lambda s: _revenue(s, _between(s, "2025-01-01", "2025-12-31")),
    # tickets in 2025
    "z02": lambda s: _orders(s, _between(s, "2025-01-01", "2025-12-31")),
    # revenue by location: Kitsilano's row
    "z03": lambda s: _revenue(s, s.lines["location"] == "Kitsilano"),
    # item with the most revenue
    "z04": lambda s: _top(s.value.groupby(s.lines["item"]).sum()),
    # items per order: units (Qty) / tickets
    "z05": lambda s: float(s.lines["qty"].sum()) / _orders(s),
    # average order value in 2025
    "z06": lambda s: _revenue(s, _between(s, "2025-01-01", "2025-12-31"))
                     / _orders(s, _between(s, "2025-01-01", "2025-12-31")),
    # revenue by dining option: Delivery's row
    "z07": lambda s: _revenue(s, s.lines["dining"] == "Delivery"),
    # new identified customers this month (first ticket 2026-05-01..as-of)
    "z08": lambda s: int((_customers(s)["first"] >= pd.Timestamp("2026-05-01")).sum()),
    # refunds this year (2026-01-01..as-of), either sign
    "z09": lambda s: _refunds(s, "2026-01-01"),
    # discounts given in March 2026, either sign
    "z10": lambda s: _discounts(s, "2026-03-01", "2026-03-31"),
    # location with the most revenue ("sells the most": by units it is the same shop)
    "z11": lambda s: _top(s.value.groupby(s.lines["location"]).sum()),
    # identified customers whose total spend is more than CA$500
    "z12": lambda s: int((_customers(s)["spend"] > 500).sum()),
    # identified customers who bought Coffee Beans
    "z13": lambda s: len(_bought(s, "Coffee Beans")),
    # customers with 3+ tickets whose last ticket is more than 90 days before the as-of date (90+ accepted)
    "z14": lambda s: _lapsed(s, 3, 90),
    # monthly revenue this year: March 2026's row
    "z15": lambda s: _revenue(s, _between(s, "2026-03-01", "2026-03-31")),
    # Gastown's revenue last month (April 2026)
    "z16": lambda s: _revenue(s, _between(s, "2026-04-01", "2026-04-30") & (s.lines["location"] == "Gastown")),
    # Q1 2026 vs Q1 2025 revenue, relative change
    "z17": lambda s: _change(_revenue(s, _between(s, "2026-01-01", "2026-03-31")),
                             _revenue(s, _between(s, "2025-01-01", "2025-03-31"))),
    # revenue per customer: all revenue / identified customers, or identified customers' revenue / them
    "z18": lambda s: [_revenue(s) / len(_customers(s)), float(_customers(s)["spend"].mean())],
    # top customer by spend in 2025
    "z19": lambda s: _top(_customers(s, _between(s, "2025-01-01", "2025-12-31"))["spend"]),
    # Delivery tickets, all time
    "z20": lambda s: _orders(s, s.lines["dining"] == "Delivery"),
}

TOP_NAMES = {"e14", "z19"}      # a customer: its name or its Customer ID
WEEKDAY = {"e12"}               # a weekday: its name or its short name

AMBIGUOUS = {
    "e01": "revenue: net or gross sales (refunds netted out either way)",
    "e02": "net or gross; a fully refunded ticket is no order, or an order worth nothing",
    "e03": "net or gross", "e10": "net or gross", "e11": "net or gross", "e19": "net or gross",
    "z01": "net or gross", "z03": "net or gross", "z07": "net or gross", "z15": "net or gross",
    "z16": "net or gross", "e15": "net or gross", "z17": "net or gross",
    "e06": "a customer whose every ticket was refunded counts, or not",
    "e07": "refunded tickets are visits, or not",
    "e08": "net, gross or net + GST handed back; either sign",
    "z09": "net, gross or net + GST handed back; either sign",
    "e09": "discounts at the till, or net of refunded tickets; either sign",
    "z10": "discounts at the till, or net of refunded tickets; either sign",
    "e13": "refunded tickets are visits, or not", "z08": "refunded tickets are visits, or not",
    "e16": "refunded tickets are purchases, or not", "z13": "refunded tickets are purchases, or not",
    "e17": "net or gross spend", "z12": "net or gross spend",
    "e18": "60+ or more than 60 days; refunded tickets are visits, or not",
    "z14": "more than 90 or 90+ days; refunded tickets are visits, or not",
    "e20": "a refunded ticket is an order, or not", "z02": "a refunded ticket is an order, or not",
    "z20": "a refunded ticket is an order, or not",
    "z05": "a refunded ticket is an order (with no units), or not",
    "z06": "net or gross; a refunded ticket is an order, or not",
    "z18": "all revenue or identified customers' revenue / identified customers; net or gross",
}


def _names(qid: str, s: Shop, v: str) -> list[str]:
    """A top customer is also named by their name; a weekday by its three letters."""
    if qid in TOP_NAMES:
        return [str(_customers(s).loc[v, "name"]), v]
    if qid in WEEKDAY:
        return [v, v[:3]]
    return [v]


def expected_values(shops: list[Shop]) -> dict[str, object]:
    return collect(FUNCTIONS, shops, _names)
