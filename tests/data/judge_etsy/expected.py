"""Independent answers to tests/data/judge_etsy/questions.jsonl, computed with pandas from the raw Etsy export.

The reading (what an Etsy seller means, stated once; each question below says what it adds):
- Dates are "Sale Date", read as US MM/DD/YY (04/03/26 is 3 April 2026). The as-of date is the last sale day in
  the file (2026-04-30): "this year" is 2026-01-01..2026-04-30, "last year" 2025, "last month" March 2026, "the
  last 12 months" May 2025..April 2026.
- Revenue is item sales: "Item Total" (Quantity × Price) summed over the lines, before discounts ("gross"), or
  after them ("net": less the line's "Discount Amount" and "InPerson Discount"); both readings are accepted.
  Shipping and the taxes Etsy collects (Order Sales Tax, VAT Paid by Buyer) are never revenue. Every line is in
  USD, so no conversion.
- An order is an "Order ID". The order-level columns (Order Shipping, Shipping Discount, Order Sales Tax, VAT
  Paid by Buyer, Coupon Code) repeat on each line of an order, so they are counted once per order.
- A customer ("buyer") is a non-blank "Buyer" username. In-person sales (Order Type in_person) have no buyer:
  they are revenue and orders like any other, but belong to no customer. "Ship Name" is a recipient, not a
  customer key (a gift goes to someone else).
- "Ship Country" is compared without case ("united states" is United States), as an owner would read it.
- The export has no order status: every line is a sale (see make_shop.py).
`load_all(csv)` gives the raw file under each open reading (gross / net money); each question's accepted values
are those its readings give (a list when they differ).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from tests.data.judging_expected import collect


def _num(col: pd.Series) -> pd.Series:
    return pd.to_numeric(col.str.strip().replace("", "0"))


def _variation(col: pd.Series, names: tuple[str, ...]) -> pd.Series:
    """The value of a variation property ("Colour:Sea Glass,Size:14 oz" -> Sea Glass), or None."""
    def one(text: str):
        for part in text.split(","):
            key, sep, value = part.partition(":")
            if sep and key.strip() in names:
                return value.strip()
        return None
    return col.map(one)


def read_raw(csv: str | Path) -> pd.DataFrame:
    raw = pd.read_csv(csv, dtype=str, keep_default_na=False)
    return pd.DataFrame({
        "date": pd.to_datetime(raw["Sale Date"], format="%m/%d/%y"),
        "item": raw["Item Name"],
        "buyer": raw["Buyer"].replace("", None),
        "qty": pd.to_numeric(raw["Quantity"]),
        "price": _num(raw["Price"]),
        "coupon": raw["Coupon Code"],
        "discount": _num(raw["Discount Amount"]),
        "ship_discount": _num(raw["Shipping Discount"]),
        "shipping": _num(raw["Order Shipping"]),
        "total": _num(raw["Item Total"]),
        "inperson_discount": _num(raw["InPerson Discount"]),
        "order": raw["Order ID"],
        "ship_name": raw["Ship Name"],
        "state": raw["Ship State"],
        "country": raw["Ship Country"].str.strip().str.casefold(),
        "type": raw["Order Type"],
        "colour": _variation(raw["Variations"], ("Colour", "Color")),
        "size": _variation(raw["Variations"], ("Size",)),
    })


@dataclass
class Shop:
    lines: pd.DataFrame      # every line of the file, with `value` as this reading counts revenue
    money: str               # "gross" or "net"
    as_of: date
    _buyers: pd.DataFrame | None = None


def load_all(csv: str | Path) -> list[Shop]:
    raw = read_raw(csv)
    as_of = raw["date"].max().date()
    shops = []
    for money in ("gross", "net"):
        lines = raw.copy()
        lines["value"] = raw["total"] if money == "gross" else raw["total"] - raw["discount"] - raw["inperson_discount"]
        shops.append(Shop(lines, money, as_of))
    return shops


# --- helpers ----------------------------------------------------------------------------------------------
def _between(s: Shop, start: str, end: str) -> pd.Series:
    d = s.lines["date"]
    return (d >= pd.Timestamp(start)) & (d <= pd.Timestamp(end))


def _year(s: Shop, y: int) -> pd.Series:
    return _between(s, f"{y}-01-01", f"{y}-12-31")


def _revenue(s: Shop, mask=None) -> float:
    v = s.lines["value"] if mask is None else s.lines.loc[mask, "value"]
    return round(float(v.sum()), 2)


def _orders(s: Shop, mask=None) -> int:
    lines = s.lines if mask is None else s.lines[mask]
    return int(lines["order"].nunique())


def _per_order(s: Shop, column: str, mask=None) -> float:
    """An order-level column (repeated on each line) counted once per order."""
    lines = s.lines if mask is None else s.lines[mask]
    return round(float(lines.groupby("order")[column].first().sum()), 2)


def _buyers(s: Shop, mask=None) -> pd.DataFrame:
    """One row per buyer: first and last order day, orders, spend, most used ship name."""
    if mask is None and s._buyers is not None:
        return s._buyers
    lines = s.lines if mask is None else s.lines[mask]
    known = lines[lines["buyer"].notna()]
    out = known.groupby("buyer").agg(first=("date", "min"), last=("date", "max"), orders=("order", "nunique"),
                                     spend=("value", "sum"),
                                     name=("ship_name", lambda x: x.value_counts().index[0]))
    out["spend"] = out["spend"].round(2)
    if mask is None:
        s._buyers = out
    return out


def _top(series: pd.Series) -> str:
    ordered = series.sort_values(ascending=False)
    assert ordered.iloc[0] > ordered.iloc[1], f"the top group is a tie: {ordered.head(2).to_dict()}"
    return str(ordered.index[0])


def _top_units_or_revenue(s: Shop, by: str, mask=None) -> list[str]:
    """What "sells the most": by units, or by revenue."""
    lines = s.lines if mask is None else s.lines[mask]
    return [_top(lines.groupby(by)["qty"].sum()), _top(lines.groupby(by)["value"].sum())]


def _change(now: float, before: float) -> float:
    return (now - before) / abs(before)


def _coupon_discounts(s: Shop, mask=None) -> list[float]:
    """Money given away with coupons: the lines' Discount Amount, with or without the free-shipping coupons'
    Shipping Discount (once per order); either sign."""
    lines = s.lines if mask is None else s.lines[mask]
    items = float(lines["discount"].sum())
    shipping = float(lines.groupby("order")["ship_discount"].first().sum())
    return [round(x, 2) for v in (items, items + shipping) for x in (v, -v)]


US = "united states"


# --- the questions ----------------------------------------------------------------------------------------
FUNCTIONS = {
    # total revenue, all time
    "e01": lambda s: _revenue(s),
    # orders, all time (Order IDs, in-person sales included)
    "e02": lambda s: _orders(s),
    # average order value: revenue / orders
    "e03": lambda s: _revenue(s) / _orders(s),
    # best-selling item (Item Name): by units, or by revenue
    "e04": lambda s: _top_units_or_revenue(s, "item"),
    # revenue in 2025
    "e05": lambda s: _revenue(s, _year(s, 2025)),
    # buyers (non-blank Buyer usernames)
    "e06": lambda s: len(_buyers(s)),
    # repeat rate: buyers with 2+ orders / buyers
    "e07": lambda s: float((_buyers(s)["orders"] >= 2).mean()),
    # revenue by country: the United Kingdom's row (any case)
    "e08": lambda s: _revenue(s, s.lines["country"] == "united kingdom"),
    # the US state (Ship State) with the most revenue, US orders; written "CA" or "California"
    "e09": lambda s: _top(s.lines[s.lines["country"] == US].groupby("state")["value"].sum()),
    # revenue of the orders that used SUMMER15 (every line of those orders)
    "e10": lambda s: _revenue(s, s.lines["coupon"] == "SUMMER15"),
    # coupon discounts given in 2025, with or without free shipping, either sign
    "e11": lambda s: _coupon_discounts(s, _year(s, 2025)),
    # shipping paid by buyers, all time: Order Shipping once per order
    "e12": lambda s: _per_order(s, "shipping"),
    # monthly revenue, last 12 months: December 2025's row
    "e13": lambda s: _revenue(s, _between(s, "2025-12-01", "2025-12-31")),
    # top customer by total spend: the Buyer username (or the name they ship to most)
    "e14": lambda s: _top(_buyers(s)["spend"]),
    # March 2026 vs February 2026 revenue, relative change
    "e15": lambda s: _change(_revenue(s, _between(s, "2026-03-01", "2026-03-31")),
                             _revenue(s, _between(s, "2026-02-01", "2026-02-28"))),
    # the colour (Variations "Colour:" or "Color:") that sells the most: by units, or by revenue
    "e16": lambda s: _top_units_or_revenue(s, "colour"),
    # orders with a coupon code
    "e17": lambda s: _orders(s, s.lines["coupon"] != ""),
    # buyers whose total spend is more than $150
    "e18": lambda s: int((_buyers(s)["spend"] > 150).sum()),
    # orders shipped to Canada (any case) in 2025
    "e19": lambda s: _orders(s, _year(s, 2025) & (s.lines["country"] == "canada")),
    # new buyers this year: first order 2026-01-01..as-of
    "e20": lambda s: int((_buyers(s)["first"] >= pd.Timestamp("2026-01-01")).sum()),
    # revenue this year, 2026-01-01..as-of
    "z01": lambda s: _revenue(s, _between(s, "2026-01-01", "2026-04-30")),
    # orders last month (March 2026)
    "z02": lambda s: _orders(s, _between(s, "2026-03-01", "2026-03-31")),
    # average order value in 2025
    "z03": lambda s: _revenue(s, _year(s, 2025)) / _orders(s, _year(s, 2025)),
    # item with the most revenue
    "z04": lambda s: _top(s.lines.groupby("item")["value"].sum()),
    # revenue by country: Germany's row (any case)
    "z05": lambda s: _revenue(s, s.lines["country"] == "germany"),
    # the US state with the most orders
    "z06": lambda s: _top(s.lines[s.lines["country"] == US].groupby("state")["order"].nunique()),
    # buyers with 2+ orders
    "z07": lambda s: int((_buyers(s)["orders"] >= 2).sum()),
    # buyers
    "z08": lambda s: len(_buyers(s)),
    # monthly revenue this year: February 2026's row
    "z09": lambda s: _revenue(s, _between(s, "2026-02-01", "2026-02-28")),
    # coupon discounts, all time, with or without free shipping, either sign
    "z10": lambda s: _coupon_discounts(s),
    # orders that used WELCOME10
    "z11": lambda s: _orders(s, s.lines["coupon"] == "WELCOME10"),
    # in-person (market and fair) revenue
    "z12": lambda s: _revenue(s, s.lines["type"] == "in_person"),
    # mugs sold: units of the items named "...Mug..."; the wedding set counted as one, or as its two mugs
    "z13": lambda s: [int(s.lines.loc[s.lines["item"].str.contains("Mug"), "qty"].sum()),
                      int(s.lines.loc[s.lines["item"].str.contains("Mug"), "qty"].sum()
                          + s.lines.loc[s.lines["item"].str.contains("Mug Set"), "qty"].sum())],
    # shipping paid by buyers in 2025, once per order
    "z14": lambda s: _per_order(s, "shipping", _year(s, 2025)),
    # top buyer by spend in 2025
    "z15": lambda s: _top(_buyers(s, _year(s, 2025))["spend"]),
    # March 2026 vs March 2025 revenue, relative change
    "z16": lambda s: _change(_revenue(s, _between(s, "2026-03-01", "2026-03-31")),
                             _revenue(s, _between(s, "2025-03-01", "2025-03-31"))),
    # orders shipped to Australia (any case), all time
    "z17": lambda s: _orders(s, s.lines["country"] == "australia"),
    # returning buyers (2+ orders) whose last order is more than 90 days before the as-of date (90+ accepted)
    "z18": lambda s: [int(((_buyers(s)["orders"] >= 2)
                           & ((pd.Timestamp(s.as_of) - _buyers(s)["last"]).dt.days > 90)).sum()),
                      int(((_buyers(s)["orders"] >= 2)
                           & ((pd.Timestamp(s.as_of) - _buyers(s)["last"]).dt.days >= 90)).sum())],
    # the size (Variations "Size:") that sells the most: by units, or by revenue
    "z19": lambda s: _top_units_or_revenue(s, "size"),
    # California's revenue (Ship State CA of US orders)
    "z20": lambda s: _revenue(s, (s.lines["country"] == US) & (s.lines["state"] == "CA")),
}

TOP_BUYERS = {"e14", "z15"}     # a buyer: the username, or the name they ship to most
STATE_NAMES = {"CA": "California", "NY": "New York", "TX": "Texas", "ME": "Maine", "MA": "Massachusetts",
               "FL": "Florida", "WA": "Washington", "IL": "Illinois", "PA": "Pennsylvania", "NJ": "New Jersey"}
STATES = {"e09", "z06"}         # a US state: its code (as the file writes it) or its name

AMBIGUOUS = {
    "e01": "revenue: Item Total before or after discounts", "e03": "gross or net",
    "e05": "gross or net", "e08": "gross or net", "e10": "gross or net", "e13": "gross or net",
    "e15": "gross or net", "e18": "gross or net spend", "z01": "gross or net", "z03": "gross or net",
    "z05": "gross or net", "z09": "gross or net", "z12": "gross or net", "z16": "gross or net",
    "z20": "gross or net",
    "e04": "by units or by revenue", "e16": "by units or by revenue", "z19": "by units or by revenue",
    "e09": "gross or net; the state's code or its name", "z06": "the state's code or its name",
    "e14": "gross or net; the username or the ship name", "z15": "gross or net; the username or the ship name",
    "e11": "item discounts, or with free shipping; either sign",
    "z10": "item discounts, or with free shipping; either sign",
    "z13": "the wedding mug set is one unit, or two mugs",
    "z18": "more than 90 or 90+ days",
}


def _names(qid: str, s: Shop, v: str) -> list[str]:
    """A top buyer is also named by their ship name; a state by its name beside its code."""
    if qid in TOP_BUYERS:
        return [v, str(_buyers(s).loc[v, "name"])]
    if qid in STATES and v in STATE_NAMES:
        return [v, STATE_NAMES[v]]
    return [v]


def expected_values(shops: list[Shop]) -> dict[str, object]:
    return collect(FUNCTIONS, shops, _names)
