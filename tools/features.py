"""Per-customer behaviour features as of a date, written once in Ibis so any engine can run them.

One row per customer with at least one order on or before `as_of`. The as-of date is the last
observed day, inclusive: orders dated `as_of` count, and every later order is filtered out
before any aggregation, so nothing that happens after `as_of` can change a feature value.
All times are in days; "the last N days" means order_date in (as_of - N, as_of].

Units of counting
    line         one row of `orders`.
    transaction  one distinct order_id; a row without an order_id stands for the whole
                 customer-day (so a dataset without order ids counts customer-days). An order
                 id is dated by its earliest row.
    purchase day one distinct (customer, day) on which a transaction was dated; BG/NBD and
                 Gamma-Gamma count these (an order shipped in parts over two days is one).

Columns (in this order)
    customer_id
    first_order_date, last_order_date   first and last purchase day
    orders               transactions
    order_lines          lines
    purchase_days        distinct purchase days
    frequency            purchase_days - 1: repeat purchase days (BG/NBD x)
    recency_days         as_of - last_order_date
    tenure_days          as_of - first_order_date (BG/NBD T)
    bgnbd_t_x_days       last_order_date - first_order_date (BG/NBD t_x)
    total_spend          sum of amount
    aov                  total_spend / orders
    mean_repeat_day_spend  mean spend of the repeat purchase days (every day but the first);
                         NULL when frequency = 0 (Gamma-Gamma monetary value)
    max_order_value      largest transaction value
    total_quantity       sum of quantity (NULL when the data has none)
    distinct_products, distinct_categories, distinct_channels   non-null distinct values
    gap_mean_days, gap_std_days, gap_max_days  days between consecutive purchase days
                         (population std, so 0 with exactly two days); NULL with < 2 days
    recency_to_gap_ratio recency_days / gap_mean_days; > 1 means "later than usual"
    orders_last_30, orders_last_90, orders_last_180, orders_last_365   transactions
    orders_prev_180      transactions in (as_of - 360, as_of - 180]
    trend_orders         orders_last_180 - orders_prev_180
    spend_last_90, spend_last_180, spend_last_365
    spend_prev_90        spend in (as_of - 180, as_of - 90]
    spend_trend          spend_last_90 - spend_prev_90
    share_cat_<name>     share of total_spend per category: the 12 categories with the most
                         spend up to as_of get a column each, everything else (other categories
                         and rows without one) is `share_cat_other`; NULL when total_spend = 0
                         (a customer's shares sum to 1)
    share_ch_<name>      the same for channels (`share_ch_other`)
    top_category, top_channel  the value with the most spend (ties: alphabetical first);
                         NULL when the customer has none

Column names are sanitised: lower case, runs of non-word characters become "_"
("Home & Garden" -> share_cat_home_garden).
build_features also adds country, email_consent and signup_date from a `customers` table when
it has them; feature_table reads orders only, so it runs on any Ibis backend. build_features runs it
on the engine TIERWISE_ENGINE names (tools.engine): the store's DuckDB, or Spark, whose result is
written as Parquet and lands in the store from there. Cancelled orders are removed at load time,
not here.

Which categories and channels get a column is read from the data (orders up to as_of only) by
two small queries before the expression is built; pass `categories`/`channels` to fix them.
"""

from __future__ import annotations

import re
import time
from contextlib import contextmanager
from datetime import date, timedelta

import duckdb
import ibis
import ibis.expr.types as ir

from tools import engine
from tools.errors import TierwiseError
from tools.progress import Progress, silent

TOP_VALUES = 12  # categories/channels that get their own share column; the rest go to `other`
ORDER_WINDOWS = (30, 90, 180, 365)
SPEND_WINDOWS = (90, 180, 365)
TREND_DAYS = 180  # trend_orders compares the last 180 days with the 180 before
SPEND_TREND_DAYS = 90
CUSTOMER_ATTRIBUTES = ("country", "email_consent", "signup_date")
# DuckDB's default lets a query take 80% of RAM; with a cap it spills its hash tables to disk
# instead, so a 10M-line build stays under 3 GB resident.
MEMORY_LIMIT = "2.5GB"

_ORDER_COLUMN_TYPES = {
    "order_id": "string",
    "product": "string",
    "category": "string",
    "quantity": "float64",
    "channel": "string",
}


def feature_table(
    orders: ir.Table,
    as_of: date,
    *,
    categories: list[str] | None = None,
    channels: list[str] | None = None,
) -> ir.Table:
    """Engine-neutral expression: one row per customer with ≥1 order on or before as_of."""
    for needed in ("customer_id", "order_date", "amount"):
        if needed not in orders.columns:
            raise TierwiseError(f"The orders table has no `{needed}` column; features need it.")
    as_of = _as_date(as_of)
    seen = _seen_orders(orders, as_of)
    if categories is None:
        categories = top_values(seen, "category")
    if channels is None:
        channels = top_values(seen, "channel")

    per_txn, per_day = _transactions_and_days(seen)
    joined = (
        _day_features(per_day, as_of)
        .join(_transaction_features(per_txn, as_of), "customer_id")
        .join(_line_features(seen), "customer_id")
        .join(_value_features(seen, "category", categories), "customer_id")
        .join(_value_features(seen, "channel", channels), "customer_id")
    )
    return _finish(joined, as_of)


def window_feature_table(orders: ir.Table, as_of: date) -> ir.Table:
    """feature_table's columns that change when as_of moves and no order is added: the counts and sums of its time
    windows (recency, tenure and the recency ratio just grow by the days passed). Computed from the same
    transactions and purchase days, by the same definitions; one row per customer with ≥1 order on or before
    as_of."""
    as_of = _as_date(as_of)
    per_txn, per_day = _transactions_and_days(_seen_orders(orders, as_of))
    t = (per_txn.group_by("customer_id").aggregate(**_order_windows(per_txn, as_of))
         .join(per_day.group_by("customer_id").aggregate(**_spend_windows(per_day, as_of)), "customer_id"))
    return t.select(customer_id=t.customer_id, **_window_columns(t))


def _transactions_and_days(seen: ir.Table) -> tuple[ir.Table, ir.Table]:
    """One row per transaction (dated by its earliest line, valued by its lines) and per purchase day."""
    if _has_order_ids(seen):
        per_txn = seen.group_by(["customer_id", "txn_key"]).aggregate(
            order_date=seen.order_date.min(), value=seen.amount.sum()
        )
        # a transaction belongs to the day it started, so a split shipment is not a new visit
        per_day = per_txn.group_by(["customer_id", "order_date"]).aggregate(value=per_txn.value.sum())
    else:
        # every transaction is a customer-day: one pass serves both levels
        per_day = seen.group_by(["customer_id", "order_date"]).aggregate(value=seen.amount.sum())
        per_txn = per_day
    return per_txn, per_day


def _order_windows(per_txn: ir.Table, as_of: date) -> dict[str, ir.Value]:
    """Transactions in each order window and in the trend's previous window (aggregates over per_txn)."""
    d = per_txn.order_date
    counts = {f"orders_last_{n}": per_txn.count(where=d > _since(as_of, n)) for n in ORDER_WINDOWS}
    counts[f"orders_prev_{TREND_DAYS}"] = per_txn.count(
        where=(d > _since(as_of, 2 * TREND_DAYS)) & (d <= _since(as_of, TREND_DAYS))
    )
    return counts


def _spend_windows(per_day: ir.Table, as_of: date) -> dict[str, ir.Value]:
    """Spend in each spend window and in the spend trend's previous window (aggregates over per_day)."""
    d = per_day.order_date
    spend = per_day.value
    windows = {f"spend_last_{n}": spend.sum(where=d > _since(as_of, n)) for n in SPEND_WINDOWS}
    windows[f"spend_prev_{SPEND_TREND_DAYS}"] = spend.sum(
        where=(d > _since(as_of, 2 * SPEND_TREND_DAYS)) & (d <= _since(as_of, SPEND_TREND_DAYS))
    )
    return windows


def _window_columns(t: ir.Table) -> dict[str, ir.Value]:
    """The windows' output columns, in feature_table's order, from their aggregates in `t`."""
    zero_if_none = lambda col: t[col].fill_null(0)  # noqa: E731 - window sums are NULL when empty
    return {
        **{f"orders_last_{n}": t[f"orders_last_{n}"] for n in ORDER_WINDOWS},
        **{f"orders_prev_{TREND_DAYS}": t[f"orders_prev_{TREND_DAYS}"]},
        "trend_orders": t[f"orders_last_{TREND_DAYS}"] - t[f"orders_prev_{TREND_DAYS}"],
        **{f"spend_last_{n}": zero_if_none(f"spend_last_{n}") for n in SPEND_WINDOWS},
        **{f"spend_prev_{SPEND_TREND_DAYS}": zero_if_none(f"spend_prev_{SPEND_TREND_DAYS}")},
        "spend_trend": zero_if_none(f"spend_last_{SPEND_TREND_DAYS}") - zero_if_none(f"spend_prev_{SPEND_TREND_DAYS}"),
    }


def top_values(seen: ir.Table, column: str, limit: int = TOP_VALUES) -> list[str]:
    """The values of `column` with the most spend (ties alphabetical), computed in the engine."""
    if column not in seen.columns:
        return []
    ranked = (
        seen.filter(seen[column].notnull())
        .group_by(value=seen[column].cast("string"))
        .aggregate(spend=seen.amount.sum())
        .order_by([ibis.desc("spend"), "value"])
        .limit(limit)
    )
    return [str(v) for v in ranked.to_pandas()["value"]]


def share_column(prefix: str, value: str) -> str:
    """`share_cat_` + a value made safe as a column name."""
    name = re.sub(r"\W+", "_", str(value).strip().lower()).strip("_")
    return f"{prefix}{name or 'blank'}"


def build_features(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    progress: Progress = silent,
    table: str = "features",
) -> dict:
    """Compute features on the configured engine (tools.engine) and keep them as `table` of the store
    (replacing it); returns {customers, columns, seconds, engine}."""
    start = time.perf_counter()
    eng = engine.for_store(con)
    orders = eng.table("orders")
    if orders is None:
        raise TierwiseError("The store has no `orders` table; load transactions before building features.")
    progress("features: finding categories and channels", 0.0)
    expr = feature_table(orders, as_of)
    people = eng.table("customers")
    if people is not None:
        expr = _with_customer_attributes(expr, people)
    progress(f"features: computing on {eng.name}", 0.2)
    _quote(table)  # a usable name, or a sentence saying why not
    with _memory_capped(con, MEMORY_LIMIT):
        eng.store_table(expr, table)
    progress("features: done", 1.0)
    customers = con.execute(f"SELECT count(*) FROM {_quote(table)}").fetchone()[0]
    columns = [row[0] for row in con.execute(f"DESCRIBE {_quote(table)}").fetchall()]
    return {"customers": int(customers), "columns": columns, "engine": eng.name,
            "seconds": round(time.perf_counter() - start, 3)}


def _as_date(value) -> date:
    if hasattr(value, "date") and callable(value.date):  # datetime / pandas Timestamp
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _seen_orders(orders: ir.Table, as_of: date) -> ir.Table:
    """Orders on or before as_of, with every optional column present and a transaction key."""
    t = orders.filter(orders.order_date.cast("date") <= ibis.literal(as_of))
    extras = {
        name: (t[name].cast(dtype) if name in t.columns else ibis.null(dtype))
        for name, dtype in _ORDER_COLUMN_TYPES.items()
    }
    t = t.select(
        customer_id=t.customer_id.cast("string"),
        order_date=t.order_date.cast("date"),
        amount=t.amount.cast("float64"),
        **extras,
    )
    # a row without an order id stands for its customer-day; the prefix keeps it from
    # colliding with a real order id
    txn = ibis.coalesce(t.order_id, ibis.literal("day:") + t.order_date.cast("string"))
    return t.mutate(txn_key=txn)


def _since(as_of: date, days: int) -> ibis.Value:
    """The exclusive lower bound of the `days` days ending on as_of."""
    return ibis.literal(as_of - timedelta(days=days))


def _has_order_ids(seen: ir.Table) -> bool:
    return bool(seen.order_id.notnull().any().to_pyarrow().as_py())


def _day_features(per_day: ir.Table, as_of: date) -> ir.Table:
    """Purchase-day counts, first/last day, gaps between days and windowed spend."""
    w = ibis.window(group_by=per_day.customer_id, order_by=per_day.order_date)
    per_day = per_day.mutate(gap=per_day.order_date.delta(per_day.order_date.lag().over(w), unit="day"))
    d = per_day.order_date
    spend = per_day.value
    windows = _spend_windows(per_day, as_of)
    return per_day.group_by("customer_id").aggregate(
        first_order_date=d.min(),
        last_order_date=d.max(),
        purchase_days=per_day.count(),
        # days are distinct per customer, so the spend at the earliest day is unambiguous
        first_day_spend=spend.argmin(d),
        gap_mean_days=per_day.gap.mean(),
        gap_std_days=per_day.gap.std(how="pop"),
        gap_max_days=per_day.gap.max(),
        **windows,
    )


def _transaction_features(per_txn: ir.Table, as_of: date) -> ir.Table:
    counts = _order_windows(per_txn, as_of)
    return per_txn.group_by("customer_id").aggregate(
        orders=per_txn.count(), max_order_value=per_txn.value.max(), **counts
    )


def _line_features(seen: ir.Table) -> ir.Table:
    return seen.group_by("customer_id").aggregate(
        order_lines=seen.count(),
        total_spend=seen.amount.sum(),
        total_quantity=seen.quantity.sum(),
        distinct_products=seen["product"].nunique(),
    )


def _value_features(seen: ir.Table, column: str, values: list[str]) -> ir.Table:
    """Spend shares, distinct count and top value of category or channel, from one pass.

    Spend is first summed per (customer, value) -- missing values form their own group --
    so the per-customer step works on far fewer rows than the order lines.
    """
    prefix, top, distinct = {
        "category": ("share_cat_", "top_category", "distinct_categories"),
        "channel": ("share_ch_", "top_channel", "distinct_channels"),
    }[column]
    per_value = seen.group_by(["customer_id", column]).aggregate(spend=seen.amount.sum())
    v = per_value[column]
    spend = per_value.spend
    shares, taken = {}, set()
    for value in values:
        shares[_unique(share_column(prefix, value), taken)] = spend.sum(where=v == value)
    if values:
        shares[_unique(f"{prefix}other", taken)] = spend.sum(where=v.isnull() | ~v.isin(values))
    per_customer = per_value.group_by("customer_id").aggregate(
        **{distinct: per_value.count(where=v.notnull())},
        top_spend=spend.max(where=v.notnull()),
        **shares,
    )
    # the top value is the known value with the customer's largest spend, alphabetical first
    # on ties; a join on the maximum instead of a ranking window avoids a sort of every row
    known = per_value.filter(v.notnull())
    best = (
        known.join(per_customer.select("customer_id", "top_spend"), "customer_id")
        .filter(lambda t: t.spend == t.top_spend)
        .group_by("customer_id")
        .aggregate(**{top: lambda t: t[column].min()})
    )
    return (
        per_customer.left_join(best, "customer_id")
        .drop("customer_id_right", "top_spend")
    )


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}_{n}", n + 1
    taken.add(candidate)
    return candidate


def _finish(t: ir.Table, as_of: date) -> ir.Table:
    """Derived columns (frequency, recency, ratios, shares) in the documented order."""
    as_of_lit = ibis.literal(as_of)
    frequency = t.purchase_days - 1
    recency = as_of_lit.delta(t.last_order_date, unit="day")
    spend_positive = t.total_spend > 0
    null_float = ibis.null("float64")
    share_names = [c for c in t.columns if c.startswith(("share_cat_", "share_ch_"))]
    shares = {
        name: ibis.ifelse(spend_positive, t[name].fill_null(0) / t.total_spend, null_float)
        for name in share_names
    }
    return t.select(
        customer_id=t.customer_id,
        first_order_date=t.first_order_date,
        last_order_date=t.last_order_date,
        orders=t.orders,
        order_lines=t.order_lines,
        purchase_days=t.purchase_days,
        frequency=frequency,
        recency_days=recency,
        tenure_days=as_of_lit.delta(t.first_order_date, unit="day"),
        bgnbd_t_x_days=t.last_order_date.delta(t.first_order_date, unit="day"),
        total_spend=t.total_spend,
        aov=t.total_spend / t.orders,
        mean_repeat_day_spend=ibis.ifelse(
            frequency > 0, (t.total_spend - t.first_day_spend) / frequency, null_float
        ),
        max_order_value=t.max_order_value,
        total_quantity=t.total_quantity,
        distinct_products=t.distinct_products,
        distinct_categories=t.distinct_categories,
        distinct_channels=t.distinct_channels,
        gap_mean_days=t.gap_mean_days,
        gap_std_days=t.gap_std_days,
        gap_max_days=t.gap_max_days,
        recency_to_gap_ratio=ibis.ifelse(t.gap_mean_days > 0, recency / t.gap_mean_days, null_float),
        **_window_columns(t),
        **shares,
        top_category=t.top_category,
        top_channel=t.top_channel,
    )


def _with_customer_attributes(features: ir.Table, customers: ir.Table) -> ir.Table:
    """Add the cheap customer attributes the customers table has (one arbitrary row per id)."""
    present = [c for c in CUSTOMER_ATTRIBUTES if c in customers.columns and c not in features.columns]
    if "customer_id" not in customers.columns or not present:
        return features
    attrs = customers.group_by(customer_id=customers.customer_id.cast("string")).aggregate(
        **{c: customers[c].arbitrary() for c in present}
    )
    return features.left_join(attrs, "customer_id").select(*features.columns, *present)


@contextmanager
def _memory_capped(con: duckdb.DuckDBPyConnection, limit: str):
    """Lower DuckDB's memory_limit for one statement (never raise it), then put it back."""
    def current() -> str:
        return con.execute("SELECT current_setting('memory_limit')").fetchone()[0]

    before = current()
    lowered = _parse_size(limit) < _parse_size(before)
    if lowered:
        con.execute(f"SET memory_limit = '{limit}'")
    try:
        yield
    finally:
        if lowered:
            # the setting prints rounded, so go back to the default when it was the default
            con.execute("RESET memory_limit")
            if current() != before:
                con.execute(f"SET memory_limit = '{_midpoint_bytes(before)}B'")


_SIZE_UNITS = {"b": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
               "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def _parse_size(text: str) -> float:
    match = re.fullmatch(r"\s*([\d.]+)\s*([a-zA-Z]*)\s*", text)
    if not match:
        return float("inf")  # e.g. no limit
    unit = match.group(2).lower() or "b"
    return float(match.group(1)) * _SIZE_UNITS.get(unit, float("inf"))


def _midpoint_bytes(shown: str) -> int:
    """DuckDB shows a limit truncated to one decimal ("9.3 GiB"); aim at the middle of that step."""
    match = re.fullmatch(r"\s*([\d.]+)\s*([a-zA-Z]*)\s*", shown)
    unit = _SIZE_UNITS.get(match.group(2).lower() or "b", 1) if match else 1
    step = 0.05 if "." in shown else 0.0
    return int(_parse_size(shown) + step * unit)


def _quote(identifier: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", identifier):
        raise TierwiseError(
            f"`{identifier}` is not a usable table name; use letters, digits and underscores."
        )
    return f'"{identifier}"'
