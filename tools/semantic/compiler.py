"""Compile a MetricQuery to Ibis expressions and run them: one query for completed lines, one for
cancelled lines when a metric needs them; ratios and shares are taken from those sums. Sales lines with no
customer (anonymous walk-ins) count in sales measures asked with no customer in the question (`includes_anonymous`).

Tables are unbound Ibis tables with the store's schema, so the same expression compiles for DuckDB
today and Spark later; values reach SQL only as Ibis literals, never as text pasted from a question.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any, Callable

import ibis
import pandas as pd

from tools.contract import UNPAID_KEYWORDS
from tools.semantic.catalog import Field, Metric
from tools.semantic.query import NEGATIVE_OPS, Condition, MetricQuery, _shift_months

GRAIN_UNIT = {"day": "D", "week": "W", "month": "M", "quarter": "Q", "year": "Y"}
BLANK_LABEL = "(blank)"  # the group of rows with no value ("no discount code"), never "nan" or "None"
REFUND_WORDS = ("refund", "return", "退款", "退货", "chargeback")
# measures computed per customer first (then summed or averaged over customers)
CUSTOMER_STAGE = {"repeat_customers", "repeat_span_days", "repeat_gaps", "sum_clv", "avg_churn", "sum_at_risk",
                  "avg_p_alive", "avg_recency"}
CUSTOMER_MEASURE_COLUMNS = {"sum_clv": ("clv_12m",), "avg_churn": ("churn_probability",),
                            "sum_at_risk": ("clv_12m", "churn_probability"), "avg_p_alive": ("p_alive",),
                            "avg_recency": ("days_since_last_order",)}
CANCELLED_MEASURES = {"cancelled_orders", "cancelled_amount", "refunded_orders", "refunded_amount", "placed_orders"}
# every order placed: one with a completed line and a cancelled one (a partial refund) is one order, not two
DERIVED = {"all_orders": ("orders", "placed_orders")}


@dataclass(frozen=True)
class Tables:
    """The store's tables as unbound Ibis tables, and how to run an expression."""
    orders: Any
    cancelled: Any | None
    customers: Any  # one row per customer seen up to as-of: facts, attributes and (when built) scores
    run: Callable[[Any], pd.DataFrame]
    headers: Any | None = None  # one row per order (customer, order key, day), see headers.py
    header_columns: frozenset[str] = frozenset()  # order-level columns the headers carry
    rollups: dict[str, Any] | None = None  # line-level column -> table with a row per order and value
    anonymous: Any | None = None  # sales lines with no customer (walk-ins): same columns as orders, customer_id NULL


def measures_of(metric: Metric) -> set[str]:
    spec = metric.spec
    if metric.kind in ("line", "cancelled", "customer"):
        return {spec["measure"]}
    if metric.kind == "attribute":
        return {f"attr:{spec['agg']}:{spec['grain']}:{spec['column']}"}
    if metric.kind == "share":
        return {"sum_amount"} if spec["of"] == "revenue" else {spec["of"]}
    out: set[str] = {"repeat_customers"} if metric.name == "returning_customers" else set()  # all history: came back
    for key in ("numerator", "denominator", "minus"):
        part = spec.get(key)
        if part is None:
            continue
        base = {"revenue": "sum_amount"}.get(part, part)
        if base == "returning_customers":
            out |= {"customers", "new_customers", "repeat_customers"}
            continue
        out |= set(DERIVED.get(base, (base,)))
    return out


def _has_value(col):
    """A value is there: not NULL, and for text not blank."""
    return col.notnull() & (col.strip() != "") if col.type().is_string() else col.notnull()


def _condition(col, c: Condition):
    v = c.value
    if c.op == "not_null":
        return _has_value(col)
    if c.op == "is_null":
        return ~_has_value(col)
    if c.op == "=":
        return col == v
    if c.op == "!=":
        return (col != v) | col.isnull()
    if c.op == "in":
        return col.isin(list(v))
    if c.op == "not_in":
        return ~col.isin(list(v)) | col.isnull()
    if c.op == "between":
        return col.between(v[0], v[1])
    return {">": col > v, ">=": col >= v, "<": col < v, "<=": col <= v}[c.op]


def _positive(c: Condition) -> Condition:
    return Condition(c.field, {"!=": "=", "not_in": "in", "is_null": "not_null"}.get(c.op, c.op), c.value)


def _band(col, bins: tuple[float, ...]):
    def label(x: float) -> str:
        return f"{x:g}"
    cases = [(col < bins[0], f"<{label(bins[0])}")]
    for lo, hi in zip(bins, bins[1:]):
        upper = f"{hi - 1:g}" if float(lo).is_integer() and float(hi).is_integer() else f"<{label(hi)}"
        cases.append((col < hi, f"{label(lo)}–{upper}"))
    return ibis.cases(*cases, else_=f"{label(bins[-1])}+")


def band_labels(bins: tuple[float, ...]) -> list[str]:
    """Band labels in order (for sorting bands as numbers, not text)."""
    out = [f"<{bins[0]:g}"]
    for lo, hi in zip(bins, bins[1:]):
        upper = f"{hi - 1:g}" if float(lo).is_integer() and float(hi).is_integer() else f"<{hi:g}"
        out.append(f"{lo:g}–{upper}")
    return out + [f"{bins[-1]:g}+"]


def _customer_columns(q: MetricQuery, needed: set[str]) -> set[str]:
    cols = {d.column for d in q.dims if d.grain == "customer"}
    cols |= {c.field.column for c in q.filters + q.audience if c.field.grain == "customer"}
    if "new_customers" in needed:
        cols.add("first_order_date")
    for m in needed:
        cols |= set(CUSTOMER_MEASURE_COLUMNS.get(m, ()))
        if m.startswith("attr:") and m.split(":")[2] == "customer":
            cols.add(m.split(":")[3])
    return cols


def _lines(t: Tables, source, q: MetricQuery, needed: set[str], window: tuple[date | None, date]):
    """Lines in scope with the customer columns the query needs joined on, and the group keys."""
    start, end = window
    lines = source.filter(source.order_date <= min(end, q.as_of))
    if start is not None:
        lines = lines.filter(lines.order_date >= start)
    for c in q.filters:
        if c.field.grain == "order":
            lines = lines.filter(_condition(_column(lines, c.field), c))
    for c in q.audience:
        if c.field.grain == "order":  # ever bought (or never bought) up to the as-of date
            bought = t.orders.filter(t.orders.order_date <= q.as_of, _condition(_column(t.orders, c.field), _positive(c)))
            inside = lines.customer_id.isin(bought.customer_id)
            lines = lines.filter(~inside if c.op in NEGATIVE_OPS else inside)
    ccols = sorted(_customer_columns(q, needed))
    if ccols:
        # a left join: lines of customers missing from the customer table (e.g. only cancelled orders) stay,
        # and a condition on a customer field judges them by an unknown value
        lines = lines.left_join(t.customers.select("customer_id", *ccols), "customer_id").drop("customer_id_right")
        for c in q.filters + q.audience:
            if c.field.grain == "customer":
                lines = lines.filter(_condition(lines[c.field.column], c))
    keys = {}
    for d in q.dims:
        col = _column(lines, d)
        if d.name == "cohort":
            keys[d.name] = col.truncate("M")
        elif d.bins:
            keys[d.name] = _band(col, d.bins)
        elif d.type == "boolean":
            keys[d.name] = col
        else:
            keys[d.name] = col.cast("string")
    if q.grain:
        keys["period"] = lines.order_date.truncate(GRAIN_UNIT[q.grain])
    return lines, keys


# measures about customers: a sale with no customer is never one of them
CUSTOMER_MEASURES = CUSTOMER_STAGE | {"customers", "new_customers"}


def includes_anonymous(t: Tables, q: MetricQuery, needed: set[str]) -> bool:
    """Whether the anonymous sales lines count: for sales measures (revenue, orders, lines, units and their ratios)
    asked with no customer in the question (no customer measure, audience, customer field or cohort). Cancelled and
    refunded lines with no customer are in the cancelled lines (customer NULL) and count alike."""
    if t.anonymous is None or needed & CUSTOMER_MEASURES:
        return False
    if any(m.startswith("attr:") and m.split(":")[2] == "customer" for m in needed):
        return False
    if q.audience or any(c.field.grain != "order" for c in q.filters):
        return False
    return all(d.grain == "order" and d.name != "cohort" for d in q.dims)


def _with_anonymous(t: Tables):
    """The completed lines with the anonymous sales lines after them."""
    anon = t.anonymous
    cols = [anon[c] if c in anon.columns else ibis.null().cast(t.orders[c].type()).name(c) for c in t.orders.columns]
    return t.orders.union(anon.select(*cols))


def _column(lines, field):
    """A field's value on the lines: its column, or what a dimension derives from one (the order's weekday)."""
    if field.name == "weekday":
        return lines.order_date.day_of_week.full_name()
    return lines[field.column]


def _customer_key(lines):
    """The customer part of an order's key: blank for a walk-in (no customer), whose order is its order id or day."""
    return lines.customer_id.fill_null("")


def _order_key(lines):
    """One order: an order id (or, without one, the day) of a customer on one day."""
    return ibis.coalesce(lines.order_id, lines.order_date.cast("string")).concat("|", lines.order_date.cast("string"))


# measures the order headers can answer (order attribute sums stay on the lines: an order-level value repeated
# on each line would be counted once per line there, as the line-level definition says)
HEADER_MEASURES = {"sum_amount", "lines", "units", "orders", "customers", "new_customers", "first_date", "last_date"}


def _order_source(t: Tables, q: MetricQuery, needed: set[str]):
    """The smallest table that answers exactly: order headers, a per-order rollup of one line-level column, or the
    lines. Counting rows of a rollup counts each order once per value, so its column must be a dimension or be
    filtered to one value."""
    if t.headers is None or not needed <= HEADER_MEASURES | CUSTOMER_STAGE | CANCELLED_MEASURES | {
            m for m in needed if m.startswith("attr:") and m.split(":")[2] == "customer"}:
        return None
    fields = {d.column for d in q.dims if d.grain == "order"} | {c.field.column for c in q.filters if c.field.grain == "order"}
    line_level = fields - t.header_columns
    if not line_level:
        return t.headers
    if len(line_level) == 1 and t.rollups:
        (column,) = line_level
        single = all(c.op == "=" for c in q.filters if c.field.column == column)
        if column in t.rollups and (column in {d.column for d in q.dims} or single):
            return t.rollups[column]
    return None


def _new_condition(lines, q: MetricQuery, window: tuple[date | None, date]):
    if q.grain:
        unit = GRAIN_UNIT[q.grain]
        return lines.first_order_date.truncate(unit) == lines.order_date.truncate(unit)
    start, end = window
    cond = lines.first_order_date <= end
    return cond & (lines.first_order_date >= start) if start is not None else cond


def _line_aggs(lines, needed: set[str], q, window, headers: bool = False) -> dict[str, Any]:
    aggs = {}
    if "sum_amount" in needed:
        aggs["sum_amount"] = lines.amount.sum()
    if "lines" in needed:
        aggs["lines"] = lines.lines.sum() if headers else lines.count()
    if "units" in needed:
        aggs["units"] = lines.units.sum() if headers else lines.quantity.sum()
    if "orders" in needed:  # an anonymous sale (no customer) is an order by its order id, or its day
        aggs["orders"] = lines.count() if headers else \
            lines.customer_id.fill_null("").concat("|", _order_key(lines)).nunique()
    if "customers" in needed:
        aggs["customers"] = lines.customer_id.nunique()
    if "new_customers" in needed:
        aggs["new_customers"] = lines.customer_id.nunique(where=_new_condition(lines, q, window))
    if "first_date" in needed:
        aggs["first_date"] = lines.order_date.min()
    if "last_date" in needed:
        aggs["last_date"] = lines.order_date.max()
    for m in needed:
        if m.startswith("attr:") and m.split(":")[2] == "order":
            _, agg, _, col = m.split(":")
            if agg.startswith("order_"):  # one value per order on each of its lines: each line carries its share
                share = lines[_share_column(col)]
                aggs[m] = share.sum() if agg == "order_sum" else share.sum() / _order_key(lines).nunique(
                    where=lines[col].notnull())
            else:
                aggs[m] = lines[col].sum() if agg == "sum" else lines[col].mean()
    return aggs


def _share_column(col: str) -> str:
    return f"_share_{col}"


def _with_order_shares(lines, needed: set[str]):
    """Each line's share of an order-level number (the value over the number of the order's lines with one), so
    summing lines counts each order's value once and a breakdown splits it between its lines."""
    cols = {m.split(":")[3] for m in needed if m.startswith("attr:order_")}
    if not cols:
        return lines
    order = _customer_key(lines).concat("|", _order_key(lines))
    return lines.mutate(**{_share_column(c): lines[c] / lines[c].count().over(ibis.window(group_by=order))
                           for c in cols})


def _customer_stage(lines, keys: dict[str, Any], needed: set[str], q, window, headers: bool = False):
    """Per customer and group first, then per group: repeat behaviour and customer-level measures."""
    ccols = [c for c in _customer_columns(q, needed) if c in lines.columns and c not in keys]
    units = (lines.units if headers else lines.quantity).sum() if "units" in needed else ibis.literal(0.0)
    per = lines.group_by([*(v.name(k) for k, v in keys.items()), lines.customer_id, *(lines[c] for c in ccols)]).aggregate(
        c_amount=lines.amount.sum(), c_lines=lines.lines.sum() if headers else lines.count(), c_units=units,
        c_orders=lines.count() if headers else _order_key(lines).nunique(),
        c_first=lines.order_date.min(), c_last=lines.order_date.max(),
        c_new=(_new_condition(lines, q, window).cast("int8").max() if "new_customers" in needed else ibis.literal(0)),
    )
    repeat = per.c_orders >= 2
    aggs: dict[str, Any] = {}
    simple = {"sum_amount": per.c_amount.sum(), "lines": per.c_lines.sum(), "units": per.c_units.sum(),
              "orders": per.c_orders.sum(), "customers": per.count(), "new_customers": per.c_new.sum(),
              "first_date": per.c_first.min(), "last_date": per.c_last.max(),
              "repeat_customers": repeat.cast("int64").sum(),
              "repeat_span_days": per.c_last.delta(per.c_first, unit="day").sum(where=repeat),
              "repeat_gaps": (per.c_orders - 1).sum(where=repeat)}
    for m in needed:
        if m in simple:
            aggs[m] = simple[m]
    if "sum_clv" in needed:
        aggs["sum_clv"] = per.clv_12m.sum()
    if "avg_churn" in needed:
        aggs["avg_churn"] = per.churn_probability.mean()
    if "sum_at_risk" in needed:
        aggs["sum_at_risk"] = (per.churn_probability * per.clv_12m).sum()
    if "avg_p_alive" in needed:
        aggs["avg_p_alive"] = per.p_alive.mean()
    if "avg_recency" in needed:
        aggs["avg_recency"] = per.days_since_last_order.mean()
    for m in needed:
        if m.startswith("attr:"):
            _, agg, grain, col = m.split(":")
            if grain == "customer":
                aggs[m] = per[col].sum() if agg == "sum" else per[col].mean()
    order_attrs = [m for m in needed if m.startswith("attr:") and m.split(":")[2] == "order"]
    return per, aggs, order_attrs


def _aggregate(t: Tables, q: MetricQuery, needed: set[str], window) -> pd.DataFrame:
    anonymous = includes_anonymous(t, q, needed)
    source = None if anonymous else _order_source(t, q, needed)
    headers = source is not None
    lines, keys = _lines(t, source if headers else _with_anonymous(t) if anonymous else t.orders, q, needed, window)
    lines = _with_order_shares(lines, needed)
    if needed & CUSTOMER_STAGE or any(m.startswith("attr:") and m.split(":")[2] == "customer" for m in needed):
        per, aggs, order_attrs = _customer_stage(lines, keys, needed, q, window, headers)
        expr = per.group_by(list(keys)).aggregate(**aggs) if keys else per.aggregate(**aggs)
        frame = t.run(expr)
        if order_attrs:  # line-level averages of order attributes need the lines themselves
            extra = _line_aggs(lines, set(order_attrs), q, window)
            e2 = lines.group_by([v.name(k) for k, v in keys.items()]).aggregate(**extra) if keys else lines.aggregate(**extra)
            frame = _merge(frame, t.run(e2), list(keys))
    else:
        aggs = _line_aggs(lines, needed, q, window, headers)
        if not aggs:
            aggs["lines"] = lines.count()
        if anonymous:
            aggs["anonymous_lines"] = lines.customer_id.isnull().cast("int64").sum()
        expr = lines.group_by([v.name(k) for k, v in keys.items()]).aggregate(**aggs) if keys else lines.aggregate(**aggs)
        frame = t.run(expr)
    if needed & CANCELLED_MEASURES and t.cancelled is not None:
        c_lines, c_keys = _lines(t, t.cancelled, q, set(), window)
        if not anonymous:  # walk-ins' cancelled lines count only where their sales do
            c_lines = c_lines.filter(c_lines.customer_id.notnull())
        # a checkout never paid for was neither sold nor cancelled: in no cancelled, refunded or placed figure
        c_lines = c_lines.filter(~c_lines.status.lower().re_search("|".join(UNPAID_KEYWORDS)).fill_null(False))
        refund = c_lines.status.lower().re_search("|".join(REFUND_WORDS))
        key = _customer_key(c_lines).concat("|", _order_key(c_lines))
        c_aggs = {"cancelled_orders": key.nunique(), "cancelled_amount": c_lines.amount.sum(),
                  "refunded_orders": key.nunique(where=refund.fill_null(False)),
                  "refunded_amount": c_lines.amount.sum(where=refund.fill_null(False))}
        e = (c_lines.group_by([v.name(k) for k, v in c_keys.items()]).aggregate(**c_aggs) if c_keys
             else c_lines.aggregate(**c_aggs))
        frame = _merge(frame, t.run(e), list(keys))
        if "placed_orders" in needed:
            frame = _merge(frame, t.run(_placed_orders(t, q, window, c_lines, key, c_keys, anonymous)), list(keys))
    elif needed & CANCELLED_MEASURES:
        for m in CANCELLED_MEASURES - {"placed_orders"}:
            frame[m] = 0
        if "placed_orders" in needed:
            frame["placed_orders"] = frame["orders"] if "orders" in frame else 0
    return frame


def _placed_orders(t: Tables, q: MetricQuery, window, c_lines, c_key, c_keys: dict[str, Any], anonymous: bool):
    """Distinct orders over completed and cancelled lines together, per group (with the walk-ins' when they count)."""
    lines, keys = _lines(t, _with_anonymous(t) if anonymous else t.orders, q, set(), window)
    names = [v.name(k) for k, v in keys.items()]
    done = lines.select(*names, order=_customer_key(lines).concat("|", _order_key(lines)))
    gone = c_lines.select(*[v.name(k) for k, v in c_keys.items()], order=c_key)
    both = done.union(gone)
    return both.group_by(list(keys)).aggregate(placed_orders=both.order.nunique()) if keys \
        else both.aggregate(placed_orders=both.order.nunique())


def _merge(left: pd.DataFrame, right: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    if not keys:
        return pd.concat([left.reset_index(drop=True), right.reset_index(drop=True)], axis=1)
    for frame in (left, right):
        for k in keys:
            frame[k] = _blank(frame[k])
    return left.merge(right, on=keys, how="outer")


def _blank(col: pd.Series) -> pd.Series:
    """Group keys with no value labelled (blank); numbers and dates (periods, cohorts) stay as they are."""
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col) or pd.api.types.is_datetime64_any_dtype(col):
        return col
    if not col.isna().any():
        return col
    return col.astype(object).where(col.notna(), BLANK_LABEL)


def _value(frame: pd.DataFrame, part: str, everyone: bool = False) -> pd.Series:
    """A measure's column; `everyone`: the query spans all history, where every customer's first order is inside it,
    so a returning customer is one who came back for a second order."""
    base = {"revenue": "sum_amount"}.get(part, part)
    if base == "returning_customers":
        if everyone and "repeat_customers" in frame:
            return frame["repeat_customers"].astype(float)
        return _value(frame, "customers") - _value(frame, "new_customers")
    if base == "all_orders":
        return frame["placed_orders"].fillna(0) if "placed_orders" in frame else _value(frame, "orders")
    return frame[base].astype(float) if base in frame else pd.Series(0.0, index=frame.index)


def finish(frame: pd.DataFrame, q: MetricQuery, base: pd.DataFrame | None = None) -> pd.DataFrame:
    """Metric columns from the measures, in the query's order; group keys first. `base` holds the measures of the
    window without the query's filters and audience: a share asked of a scope, not of groups, is taken of it."""
    out = pd.DataFrame(index=frame.index)
    everyone = q.start is None and not q.grain
    for k in [d.name for d in q.dims] + (["period"] if q.grain else []):
        col = frame[k]
        out[k] = _blank(col)
    for m in q.metrics:
        spec = m.spec
        if m.kind in ("line", "cancelled", "customer"):
            col = frame[spec["measure"]] if spec["measure"] in frame else pd.Series(0, index=frame.index)
            out[m.name] = col if m.unit == "date" else pd.to_numeric(col, errors="coerce").fillna(
                0 if m.unit == "count" or m.kind == "cancelled" else float("nan"))
        elif m.kind == "attribute":
            out[m.name] = frame[f"attr:{spec['agg']}:{spec['grain']}:{spec['column']}"].astype(float)
        elif m.kind == "share":
            part = _value(frame, spec["of"])
            if base is not None and q.grain:  # the scope's share of each period's whole revenue
                whole = _value(base, spec["of"]).groupby(base["period"]).sum()
                total = frame["period"].map(whole).astype(float)
            elif base is not None:
                total = float(_value(base, spec["of"]).sum())
            elif q.grain:
                total = part.groupby(frame["period"]).transform("sum")
            else:
                total = part.sum()
            out[m.name] = part / total
        elif m.name == "returning_customers":
            out[m.name] = _value(frame, m.name, everyone)
        elif "minus" in spec:
            out[m.name] = _value(frame, spec["numerator"]) - _value(frame, spec["minus"])
        else:
            num, den = _value(frame, spec["numerator"], everyone), _value(frame, spec["denominator"])
            out[m.name] = (num / den.where(den != 0)).astype(float)
    return out


def _needed(q: MetricQuery) -> set[str]:
    needed: set[str] = set()
    for m in q.metrics:
        needed |= measures_of(m)
    return needed


def run_query(t: Tables, q: MetricQuery) -> pd.DataFrame:
    """The answer table: one row per group (and period), one column per metric."""
    needed = _needed(q)
    frame = _finished(t, q, needed, (q.start, q.end))
    anonymous = frame.attrs.get("anonymous_lines")
    if q.compare:
        frame = _compare(t, q, needed, frame)
    if anonymous is not None:  # how many sales lines with no customer the answer counts (None: not counted)
        frame.attrs["anonymous_lines"] = anonymous
    return frame


def _calendar_months(start: date, end: date) -> int | None:
    """How many calendar months a window of whole calendar periods steps back by, or None for a rolling window.

    A window starting on the first of a month is a calendar one: a month (or the month to date) steps back one
    month, a quarter (or the quarter to date) three, a year (or the year to date) twelve, and any other run of
    whole months (February to April) by its own length. Any other start is rolling: it steps back by its days."""
    if start.day != 1:
        return None
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    whole = end == _month_end(end)
    if months == 1:
        return 1
    if whole:
        return months
    if start.month % 3 == 1 and months <= 3:
        return 3  # the quarter to date
    if start.month == 1 and months <= 12:
        return 12  # the year to date
    return None


def _month_end(d: date) -> date:
    return _shift_months(d.replace(day=1), 1) - timedelta(days=1)


def _finished(t: Tables, q: MetricQuery, needed: set[str], window) -> pd.DataFrame:
    """The answer table of one window. A share with no groups but a scope ("what share of revenue comes from customers
    who used a coupon") is the scope's part of the window's whole, not 100% of itself."""
    base = None
    shares = [m for m in q.metrics if m.kind == "share"]
    if shares and not q.dims and (q.filters or q.audience):
        whole = replace(q, filters=[], audience=[], compare=None)
        base = _aggregate(t, whole, set().union(*(measures_of(m) for m in shares)), window)
    frame = _aggregate(t, q, needed, window)
    out = finish(frame, q, base)
    if "anonymous_lines" in frame:
        out.attrs["anonymous_lines"] = int(pd.to_numeric(frame["anonymous_lines"], errors="coerce").fillna(0).sum())
    return out


def previous_window(q: MetricQuery) -> tuple[date, date]:
    """The window a comparison is made with. The previous year is the same dates a year earlier. The previous period
    of a calendar window is the previous calendar one (April -> March, Q2 -> Q1, 2024 -> 2023; the month to date ->
    the same days of the month before); of a rolling window ("the last 30 days") the same number of days before."""
    start = q.start or q.end
    if q.compare == "previous_year":
        return _shift_months(start, -12), _shift_months(q.end, -12)
    months = None if q.rolling else _calendar_months(start, max(q.end, q.requested_end or q.end))
    if months:
        end = _shift_months(q.end, -months)
        if q.end == _month_end(q.end):
            end = _month_end(end)  # April 30 -> March 31, not March 30
        return _shift_months(start, -months), end
    length = (q.end - start).days + 1
    return start - timedelta(days=length), start - timedelta(days=1)


def _compare(t: Tables, q: MetricQuery, needed: set[str], frame: pd.DataFrame) -> pd.DataFrame:
    groups = [d.name for d in q.dims]
    names = [m.name for m in q.metrics if m.unit != "date"]
    if q.grain and q.compare == "previous_period":
        ordered = frame.sort_values(groups + ["period"])
        for n in names:
            prev = ordered.groupby(groups)[n].shift(1) if groups else ordered[n].shift(1)
            frame.loc[ordered.index, f"{n}_previous"] = prev
    else:
        if q.grain:  # the same periods a year earlier
            start, end = _shift_months(q.start or q.as_of, -12) if q.start else None, _shift_months(q.end, -12)
        else:
            start, end = previous_window(q)
        prev = _finished(t, q, needed, (start, end))
        if q.grain:
            prev["period"] = pd.to_datetime(prev["period"]) + pd.DateOffset(years=1)
            frame["period"] = pd.to_datetime(frame["period"])
        keys = groups + (["period"] if q.grain else [])
        prev = prev[keys + names].rename(columns={n: f"{n}_previous" for n in names})
        frame = frame.merge(prev, on=keys, how="left") if keys else pd.concat(
            [frame.reset_index(drop=True), prev.reset_index(drop=True)], axis=1)
    for n in names:
        base = frame[f"{n}_previous"]
        frame[f"{n}_change"] = (frame[n] - base) / base.where(base != 0).abs()
    return frame
