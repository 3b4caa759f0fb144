"""Metric definitions the judges' expected answers share (tests/data/heldout_shop/expected.py,
tests/data/judge_shopify/expected.py, tests/data/judge_woo/expected.py): pandas over a shop's parsed lines, written
independently of Tierwise, with the catalog's semantics (tools/semantic/metrics.json).

Each expected.py parses its own raw export into line, order and client frames; what is the same across them is here:
- `lines` has an `amount` per line; an order is the distinct value of the export's own `key` columns;
- `clients` has `n_orders`, each client's completed orders;
- `Dated` gives a Shop whose `done` (completed lines) and `orders` have a `day` column its period filters.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Callable

import pandas as pd


class Dated:
    """`done_in` / `orders_in`: a Shop's completed lines or orders dated from `start` to `end`, both included."""

    done: pd.DataFrame
    orders: pd.DataFrame

    def done_in(self, start: date, end: date) -> pd.DataFrame:
        return self.done[(self.done.day >= start) & (self.done.day <= end)]

    def orders_in(self, start: date, end: date) -> pd.DataFrame:
        return self.orders[(self.orders.day >= start) & (self.orders.day <= end)]


def revenue(lines: pd.DataFrame) -> float:
    return float(lines.amount.sum())


def n_orders(lines: pd.DataFrame, key: list[str]) -> int:
    return int(lines[key].drop_duplicates().shape[0])


def aov(lines: pd.DataFrame, key: list[str]) -> float:
    return revenue(lines) / n_orders(lines, key)


def repeat_rate(clients: pd.DataFrame) -> float:
    """Clients with 2+ completed orders ÷ clients with one or more."""
    buyers = clients[clients.n_orders >= 1]
    return float((buyers.n_orders >= 2).sum() / len(buyers))


def change(now: float, before: float) -> float:
    return (now - before) / abs(before)


def top(series: pd.Series) -> str:
    """The index of the largest value; a tie at the top is an error in the question, not a reading."""
    ordered = series.sort_values(ascending=False)
    assert ordered.iloc[0] > ordered.iloc[1], f"tie at the top: {ordered.head(2).to_dict()}"
    return str(ordered.index[0])


def month(y: int, m: int) -> tuple[date, date]:
    start = date(y, m, 1)
    return start, (pd.Timestamp(start) + pd.offsets.MonthEnd(0)).date()


def flat(v) -> list:
    return [x for y in v for x in flat(y)] if isinstance(v, (list, tuple)) else [v]


def collect(functions: dict[str, Callable], shops: list, names: Callable[[str, Any, str], list[str]] | None = None
            ) -> dict[str, object]:
    """Every question's accepted values over every reading (each shop a reading): one value, or a list of distinct
    values; numbers equal within 1e-9 count once; a text answer adds the other names it may be given by
    `names(question id, shop, value)` (a customer's name beside their id, a state's name beside its code)."""
    out: dict[str, object] = {}
    for qid, fn in functions.items():
        values: list = []
        for shop in shops:
            for v in flat(fn(shop)):
                if isinstance(v, str):
                    values += [n for n in (names(qid, shop, v) if names else [v]) if n not in values]
                else:
                    v = float(v)
                    if not any(abs(v - w) <= 1e-9 * max(1.0, abs(w)) for w in values):
                        values.append(v)
        out[qid] = values[0] if len(values) == 1 else values
    return out
