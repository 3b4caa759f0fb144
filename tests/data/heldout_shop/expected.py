"""Expected answers of questions.jsonl, computed with pandas from the RAW export written by make_shop.py.

Nothing here uses Tierwise: the file is parsed by hand (semicolons, dd/mm/yyyy, "1.234,50 €"),
completed vs not completed is read from "Order State", and the metrics follow the definitions in
docs/semantic-layer.md and tools/semantic/metrics.json:
- completed order lines: state Delivered or Shipped; Cancelled, Refunded and Returned did not complete;
- an order is one (client, order no, day); orders placed = completed orders + not-completed orders;
- cancellation rate = not-completed orders ÷ orders placed (the catalog counts refunded and returned
  orders as cancelled); refund rate = Refunded or Returned orders ÷ orders placed;
- customers = clients with a completed order in scope; new customers = clients whose first completed
  order falls in the period; repeat purchase rate = share of customers with 2+ completed orders;
- days between orders = Σ(last − first completed order day) ÷ Σ(orders − 1) over clients with 2+ orders;
- the as-of date is the day of the last completed order; "last quarter" / "last month" / "this year"
  are the calendar periods before / containing it; "year to date vs the same period last year" shifts
  the window back twelve months.

`EXPECTED[id](shop)` returns the expected value: a number, a group name (top_group), or a list of
numbers when a question is genuinely ambiguous between two readings (each reading is named in
`AMBIGUOUS`). `load_all` and `expected_values` are what tests/judging.py asks every judge's data for: here
the file has one reading.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Callable

import pandas as pd

from tests.data import judging_expected as shared
from tests.data.judging_expected import Dated, change, month, repeat_rate, revenue, top

NOT_COMPLETED = {"cancelled", "refunded", "returned"}
REFUNDED = {"refunded", "returned"}
KEY = ["client", "order_no", "day"]


def parse_euro(text: str) -> float:
    core = text.replace("€", "").replace("\xa0", "").strip().replace(".", "").replace(",", ".")
    return float(core)


@dataclass
class Shop(Dated):  # done_in, orders_in
    lines: pd.DataFrame      # every raw line, parsed
    done: pd.DataFrame       # completed lines
    orders: pd.DataFrame     # one row per order placed (completed or not) with its order-level columns
    clients: pd.DataFrame    # one row per client (attributes; completed spend and orders)
    as_of: date

    # --- helpers -------------------------------------------------------------------------------------
    def window(self, name: str) -> tuple[date, date]:
        a = self.as_of
        qs_month = 3 * ((a.month - 1) // 3) + 1
        qs = date(a.year, qs_month, 1)
        if name == "last_quarter":
            start = date(qs.year - 1, qs.month + 9, 1) if qs.month <= 3 else date(qs.year, qs.month - 3, 1)
            return start, (pd.Timestamp(qs) - pd.Timedelta(days=1)).date()
        if name == "last_month":
            first = date(a.year, a.month, 1)
            prev_end = (pd.Timestamp(first) - pd.Timedelta(days=1)).date()
            return date(prev_end.year, prev_end.month, 1), prev_end
        if name == "this_year":
            return date(a.year, 1, 1), a
        if name == "last_year":
            return date(a.year - 1, 1, 1), date(a.year - 1, 12, 31)
        raise KeyError(name)


def load(path: str | Path) -> Shop:
    raw = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    lines = pd.DataFrame({
        "order_no": raw["Order No"], "client": raw["Client ID"],
        "day": pd.to_datetime(raw["Order Date"], format="%d/%m/%Y").dt.date,
        "sku": raw["SKU Name"], "dept": raw["Department"], "units": raw["Units"].astype(int),
        "amount": raw["Line Total (€)"].map(parse_euro), "pay": raw["Payment Type"],
        "ship": raw["Delivery Method"], "region": raw["Store Region"], "tier": raw["Member Tier"],
        "age": pd.to_numeric(raw["Client Age"].replace("", None)),
        "stars": pd.to_numeric(raw["Review Stars"].replace("", None)),
        "state": raw["Order State"].str.strip().str.lower(), "gift": raw["Gift Wrap"].str.upper() == "Y",
    })
    lines["completed"] = ~lines.state.isin(NOT_COMPLETED)
    lines["refunded"] = lines.state.isin(REFUNDED)
    done = lines[lines.completed]
    orders = lines.groupby(KEY, as_index=False).agg(
        revenue=("amount", "sum"), units=("units", "sum"), completed=("completed", "all"),
        refunded=("refunded", "any"), pay=("pay", "first"), ship=("ship", "first"), gift=("gift", "first"))
    # the order-level columns really are constant within each order, and so is the state
    for col in ("pay", "ship", "gift", "state"):
        assert (lines.groupby(KEY)[col].nunique() == 1).all(), col
    attrs = lines.groupby("client").agg(region=("region", "first"), tier=("tier", "first"), age=("age", "first"))
    for col in ("region", "tier"):
        assert (lines.groupby("client")[col].nunique() == 1).all(), col
    done_orders = orders[orders.completed]
    per_client = done_orders.groupby("client").agg(spend=("revenue", "sum"), n_orders=("day", "size"),
                                                   first_day=("day", "min"), last_day=("day", "max"))
    clients = attrs.join(per_client, how="left")
    clients["n_orders"] = clients["n_orders"].fillna(0).astype(int)
    clients["spend"] = clients["spend"].fillna(0.0)
    return Shop(lines=lines, done=done, orders=orders, clients=clients, as_of=max(done.day))


# --- metric definitions (catalog semantics, written independently; more in tests/data/judging_expected.py) ---
def n_orders(lines: pd.DataFrame) -> int:
    return shared.n_orders(lines, KEY)


def aov(lines: pd.DataFrame) -> float:
    return shared.aov(lines, KEY)


def cancellation_rate(orders: pd.DataFrame) -> float:
    return float((~orders.completed).sum() / len(orders))


def refund_rate(orders: pd.DataFrame) -> float:
    return float(orders.refunded.sum() / len(orders))


def buyers_of(s: Shop, sku: str) -> set[str]:
    return set(s.done.loc[s.done.sku == sku, "client"])


# --- the expected answers ---------------------------------------------------------------------------
def _en01(s): return revenue(s.done[s.done.dept == "Home & Living"])
def _en02(s): return top(s.done.groupby("dept").amount.sum())
def _en03(s): return aov(s.done[s.done.client.isin(s.clients.index[s.clients.tier == "Gold"])])
def _en04(s): return cancellation_rate(s.orders_in(*s.window("last_quarter")))
def _en05(s): return refund_rate(s.orders[s.orders.pay == "Klarna"])
def _en06(s): return top(s.done.groupby("sku").units.sum())
def _en07(s): return float(s.done.loc[s.done.ship == "Parcel Locker", "stars"].mean())
def _en08(s): return revenue(s.done[s.done.client.isin(s.clients.index[s.clients.region == "Berlin"])]) / revenue(s.done)
def _en09(s): return len(buyers_of(s, "Wool Wrap Coat") - buyers_of(s, "Silk Scarf"))
def _en10(s): return revenue(s.done_in(*month(2024, 3)))
def _en11(s): return repeat_rate(s.clients)


def _en12(s):
    buyers = s.clients[s.clients.n_orders >= 1]
    return [float(buyers.age.mean()), float(s.clients.age.mean())]


def _en13(s): return int((s.clients.spend > 1000).sum())


def _en14(s):
    start, end = month(2024, 5)
    first = s.clients.first_day.dropna()
    return int(((first >= start) & (first <= end)).sum())


def _en15(s): return change(revenue(s.done_in(*month(2024, 7))), revenue(s.done_in(*month(2023, 7))))
def _en16(s): return int((s.orders.completed & s.orders.gift).sum())
def _en17(s): return float(s.done.units.sum() / n_orders(s.done))
def _en18(s):
    silver = s.orders[s.orders.completed & s.orders.client.isin(s.clients.index[s.clients.tier == "Silver"])]
    return top(silver.groupby("pay").size())


def _en19(s):
    part = s.done_in(*s.window("this_year"))
    return int(part.loc[part.sku == "Oxford Shirt", "units"].sum())


def _en20(s):
    part = s.done[s.done.client.isin(s.clients.index[s.clients.region == "Hamburg"])]
    return revenue(part) / part.client.nunique()


def _en21(s):
    rep = s.clients[s.clients.n_orders >= 2]
    span = sum((b - a).days for a, b in zip(rep.first_day, rep.last_day))
    return span / float((rep.n_orders - 1).sum())


def _zh01(s): return n_orders(s.done[s.done.dept == "Menswear"])
def _zh02(s): return revenue(s.done_in(*s.window("last_year")))
def _zh03(s): return repeat_rate(s.clients[s.clients.tier == "Gold"])


def _zh04(s):
    start, end = s.window("last_month")
    gone = s.lines[~s.lines.completed & (s.lines.day >= start) & (s.lines.day <= end)]
    return float(gone.amount.sum())


def _zh05(s): return top(s.done.groupby("sku").amount.sum())
def _zh06(s): return float(s.done.loc[s.done.pay == "PayPal", "stars"].mean())
def _zh07(s): return aov(s.done[s.done.ship == "Click & Collect"])


def _zh08(s):
    saxony = s.clients[s.clients.region == "Saxony"]
    return [int((saxony.n_orders >= 1).sum()), int(len(saxony))]


def _zh09(s): return refund_rate(s.orders[s.orders.ship == "Home Delivery"])


def _zh10(s): return _en14(s)


def _zh11(s):
    share = s.done.groupby("region").amount.sum() / revenue(s.done)
    return float(share["Bavaria"])


def _zh12(s): return len(buyers_of(s, "Scented Candle") - buyers_of(s, "Ceramic Vase"))
def _zh13(s): return int((s.clients.spend > 500).sum())


def _zh14(s):
    a = s.as_of
    now = revenue(s.done_in(date(a.year, 1, 1), a))
    before = revenue(s.done_in(date(a.year - 1, 1, 1), date(a.year - 1, a.month, a.day)))
    return change(now, before)


def _zh15(s): return n_orders(s.done) / float(s.done.client.nunique())
def _zh16(s): return int(s.done.loc[s.done.dept == "Kids", "units"].sum())


def _zh17(s):
    bronze = s.clients[s.clients.tier == "Bronze"]
    return [float(bronze[bronze.n_orders >= 1].age.mean()), float(bronze.age.mean())]


def _zh18(s): return top(s.done.groupby("ship").stars.mean())
def _zh19(s): return n_orders(s.done_in(date(2024, 4, 1), date(2024, 6, 30)))
def _zh20(s): return cancellation_rate(s.orders[s.orders.pay == "Klarna"])
def _zh21(s): return revenue(s.done) / float(s.done.client.nunique())


EXPECTED: dict[str, Callable[[Shop], object]] = {
    name[1:]: fn for name, fn in sorted(globals().items()) if name.startswith(("_en", "_zh")) and callable(fn)
}


def load_all(path: str | Path) -> list[Shop]:
    return [load(path)]


def expected_values(shops: list[Shop]) -> dict[str, object]:
    return {qid: fn(shops[0]) for qid, fn in EXPECTED.items()}


# questions with two defensible readings: every listed value counts as right
AMBIGUOUS = {
    "en12": "average age over clients with a completed order, or over every client in the file",
    "zh08": "clients in Saxony with a completed order, or every Saxony client in the file",
    "zh17": "average age of Bronze clients with a completed order, or of every Bronze client",
}
