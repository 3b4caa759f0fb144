"""The one tool over the semantic layer: any catalog metric by any dimension, filtered, over time."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

import pandas as pd

from tools import charts
from tools.context import ToolContext
from tools.results import ToolResult, frame_to_table
from tools.semantic.binding import bind
from tools.semantic.catalog import Metric
from tools.semantic.compiler import BLANK_LABEL, band_labels, previous_window, run_query
from tools.semantic.query import MetricQuery

Grain = Literal["day", "week", "month", "quarter", "year"]
Compare = Literal["previous_period", "previous_year"]
Conditions = dict[str, Any] | list[dict[str, Any]]
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
FACT_ROWS = 50


# The flattened audience filters of the other tools, as semantic-layer conditions (field, op)
AUDIENCE_FIELDS = {"tier": ("tier", "="), "segment": ("segment", "="), "persona": ("persona", "="),
                   "churn_risk": ("churn_risk", "="), "min_churn_probability": ("churn_probability", ">="),
                   "min_clv": ("clv_12m", ">="), "max_clv": ("clv_12m", "<="), "min_orders": ("orders", ">="),
                   "max_orders": ("orders", "<="), "min_days_since_last_order": ("days_since_last_order", ">="),
                   "max_days_since_last_order": ("days_since_last_order", "<="), "country": ("country", "="),
                   "channel": ("channel", "="), "category": ("category", "="), "min_total_spend": ("total_spend", ">=")}


def audience_conditions(active: dict[str, Any]) -> list[dict[str, Any]]:
    """AudienceFilters.active() -> query_metrics audience conditions (channel/category mean 'bought'; spent more than
    a bound is strictly more when the filters say so)."""
    strict = bool(active.get("min_total_spend_exclusive"))
    return [{"field": AUDIENCE_FIELDS[k][0], "op": ">" if (k == "min_total_spend" and strict) else AUDIENCE_FIELDS[k][1],
             "value": v} for k, v in active.items() if k in AUDIENCE_FIELDS]


def run_metrics(ctx: ToolContext, **args: Any) -> tuple[pd.DataFrame, MetricQuery]:
    """The semantic layer's answer table for the presets (kpi_trend, segment_summary, dataset_overview)."""
    bound = bind(ctx.snapshot)
    q = bound.query(**args)
    return order_rows(run_query(bound.tables, q), q), q


def query_metrics(ctx: ToolContext, *, metrics: list[str] | None = None, by: list[str] | None = None,
                  filters: Conditions | None = None, audience: Conditions | None = None, since: str | None = None,
                  until: str | None = None, grain: Grain | None = None, compare: Compare | None = None,
                  sort: str | None = None, limit: int | None = None) -> ToolResult:
    """Any catalog metric (revenue, orders, aov, customers, cancellation_rate, repeat_purchase_rate, …) by any dimension, with order-level filters, a customer audience, a time window, a time grain, a comparison, sort and top-N. A condition is {field, op, value} with op one of = != in not_in > >= < <= between, or not_null / is_null (no value: whether the field is filled, e.g. orders that used a discount code)."""
    bound = bind(ctx.snapshot)
    q = bound.query(metrics=metrics, by=by, filters=filters, audience=audience, since=since, until=until,
                    grain=grain, compare=compare, sort=sort, limit=limit)
    frame = run_query(bound.tables, q)
    anonymous = frame.attrs.get("anonymous_lines")
    frame = order_rows(frame, q)
    currency = getattr(ctx, "currency", None) or ""
    scope = describe_scope(q, bound.model.has_order_ids)
    if anonymous:  # sales with no customer (walk-ins) counted: said in one clause
        scope += f"; incl. {anonymous:,} anonymous sales line{'s' if anonymous != 1 else ''}"
    definitions = {m.name: m.definition_en for m in q.metrics}
    order_def = bound.model.order_definition() if any(_uses_orders(m) for m in q.metrics) else None
    headline = definition_line(q, order_def)
    facts: dict[str, Any] = {
        "metrics": [m.name for m in q.metrics], "by": [d.name for d in q.dims], "grain": q.grain,
        "since": q.start.isoformat() if q.start else None, "until": q.end.isoformat(), "compare": q.compare,
        "scope": scope, "definitions": definitions, "order_definition": order_def,
        "labels": {m.name: {"en": m.label_en, "zh": m.label_zh} for m in q.metrics},
        "units": {m.name: m.unit for m in q.metrics}, "currency": currency or None,
        "rows": _records(frame.head(FACT_ROWS)), "row_count": int(len(frame)),
        "anonymous_lines": int(anonymous) if anonymous is not None else None,
    }
    if q.compare and not q.grain:
        before = previous_window(q)
        facts["previous_since"], facts["previous_until"] = before[0].isoformat(), before[1].isoformat()
    if frame.empty:
        return ToolResult(summary=f"No completed orders match ({scope}). {headline}", facts=facts)
    summary = _summary(frame, q, currency, scope) + " " + headline
    title = ", ".join(m.label_en for m in q.metrics[:3]) + (
        " by " + ", ".join(d.label_en.lower() for d in q.dims) if q.dims else "") + (f" per {q.grain}" if q.grain else "")
    table = frame.copy()
    if "period" in table:
        table["period"] = [period_label(p, q.grain) for p in table["period"]]
    return ToolResult(summary=summary, facts=facts, tables=[frame_to_table(title, table)],
                      chart=choose_chart(frame, q, title))


def _uses_orders(m: Metric) -> bool:
    return "order" in m.formula or m.name in ("aov", "orders", "purchase_frequency", "items_per_order",
                                               "cancelled_orders", "cancellation_rate", "refund_rate")


def order_rows(frame: pd.DataFrame, q: MetricQuery) -> pd.DataFrame:
    """Sorted by the asked metric (or time, then the first metric), top N kept."""
    if frame.empty:
        return frame
    first = (q.sort or q.metrics[0].name)
    if q.grain:
        keys = [d.name for d in q.dims]
        frame = frame.sort_values(["period"] + keys)
        if q.limit and q.dims:  # top N groups over the whole window, every period of each kept
            totals = frame.groupby(keys)[first].sum().sort_values(ascending=q.ascending)
            kept = totals.head(q.limit).index
            frame = frame.set_index(keys).loc[lambda f: f.index.isin(kept)].reset_index()
        return frame.reset_index(drop=True)
    band = next((d for d in q.dims if d.bins), None)
    if band is not None and not q.sort and len(q.dims) == 1:
        order = {label: i for i, label in enumerate(band_labels(band.bins))}
        return frame.sort_values(band.name, key=lambda s: s.map(order)).reset_index(drop=True)
    if q.dims and q.dims[0].name == "cohort" and not q.sort:
        return frame.sort_values("cohort").reset_index(drop=True)
    frame = frame.sort_values(first, ascending=q.ascending, na_position="last", kind="stable")
    if q.limit:
        # "which state sells most", "top 5 products": the lines with no value are no state or product of theirs
        named = _named_groups(frame, q)
        frame = frame[named].head(q.limit) if named.any() else frame.head(q.limit)
    return frame.reset_index(drop=True)


def _named_groups(frame: pd.DataFrame, q: MetricQuery) -> pd.Series:
    """Rows whose every categorical group key has a value (not the blank group)."""
    keep = pd.Series(True, index=frame.index)
    for d in q.dims:
        if d.name in frame and not d.bins and d.name != "cohort":
            keep &= frame[d.name].notna() & (frame[d.name].astype(str) != BLANK_LABEL)
    return keep


def period_label(value: Any, grain: str | None, language: str = "en") -> str:
    ts = pd.Timestamp(value)
    if grain == "month":
        return f"{ts.year}年{ts.month}月" if language == "zh" else f"{MONTHS[ts.month - 1]} {ts.year}"
    if grain == "quarter":
        return f"{ts.year}年第{ts.quarter}季度" if language == "zh" else f"Q{ts.quarter} {ts.year}"
    if grain == "year":
        return f"{ts.year}年" if language == "zh" else str(ts.year)
    if grain == "week":
        return f"{ts.date().isoformat()}当周" if language == "zh" else f"week of {ts.date().isoformat()}"
    return ts.date().isoformat()


def format_value(value: Any, unit: str, currency: str = "") -> str:
    if value is None or (not isinstance(value, (str, date)) and pd.isna(value)):
        return "n/a"
    if unit == "date":
        return pd.Timestamp(value).date().isoformat()
    v = float(value)
    if unit == "ratio":
        return f"{v:.1%}"
    if unit == "money":
        text = f"{v:,.0f}" if abs(v) >= 1000 else f"{v:,.2f}"
        return f"{currency} {text}".strip() if currency else text
    if unit == "count":
        return f"{v:,.0f}"
    if unit == "days":
        return f"{v:,.1f} days"
    return f"{v:,.2f}" if abs(v) < 1000 else f"{v:,.0f}"


def describe_scope(q: MetricQuery, has_order_ids: bool) -> str:
    parts = []
    if q.filters:
        parts.append("order lines where " + " and ".join(c.describe(False) for c in q.filters))
    if q.audience:
        bought = [c.describe(True) for c in q.audience if c.field.grain == "order"]
        facts = [c.describe(False) for c in q.audience if c.field.grain != "order"]
        parts.append("customers" + (" who " + ", ".join(bought) if bought else "")
                     + (" and" if bought and facts else "") + (" with " + ", ".join(facts) if facts else ""))
    if q.start:
        parts.append(f"{q.start.isoformat()} to {q.end.isoformat()}")
    else:
        parts.append(f"all history to {q.end.isoformat()}")
    return "; ".join(parts)


def definition_line(q: MetricQuery, order_def: str | None) -> str:
    defs = "; ".join(f"{m.label_en} = {m.definition_en}" for m in q.metrics[:3])
    extra = []
    if order_def:
        extra.append(order_def)
    if q.filters and q.audience:
        extra.append("order filters restrict which lines count; the audience restricts which customers count")
    elif q.filters:
        extra.append("only the order lines matching the filters count")
    elif q.audience:
        extra.append("every completed order of the customers in the audience counts")
    extra.append("completed orders only" if not any(m.kind == "cancelled" or m.name in ("cancellation_rate", "refund_rate")
                                                     for m in q.metrics) else "cancelled orders from their status")
    extra += q.notes
    return f"({defs}; {'; '.join(extra)}.)"


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for rec in frame.to_dict(orient="records"):
        row = {}
        for k, v in rec.items():
            if isinstance(v, pd.Timestamp):
                row[k] = v.date().isoformat()
            elif isinstance(v, date):
                row[k] = v.isoformat()
            elif isinstance(v, float):
                row[k] = None if pd.isna(v) else float(f"{v:.10g}")
            elif hasattr(v, "item"):
                row[k] = v.item()
            else:
                row[k] = v
        out.append(row)
    return out


def _summary(frame: pd.DataFrame, q: MetricQuery, currency: str, scope: str) -> str:
    m = q.metrics[0]
    fmt = lambda metric, v: format_value(v, metric.unit, currency)  # noqa: E731
    if not q.dims and not q.grain:
        row = frame.iloc[0]
        parts = [f"{x.label_en}: {fmt(x, row[x.name])}" for x in q.metrics]
        text = "; ".join(parts) + f" ({scope})."
        if q.compare:
            prev = row.get(f"{m.name}_previous")
            change = row.get(f"{m.name}_change")
            if prev is not None and pd.notna(prev):
                before = previous_window(q)
                text += (f" {q.compare.replace('_', ' ').capitalize()} ({before[0].isoformat()} to {before[1].isoformat()}):"
                         f" {fmt(m, prev)}"
                         + (f" ({change:+.1%})." if pd.notna(change) else "."))
        return text
    if q.grain:
        last = frame[frame["period"] == frame["period"].max()]
        label = period_label(last["period"].iloc[0], q.grain)
        first_label = period_label(frame["period"].min(), q.grain)
        if q.dims:
            shown = ", ".join(f"{' / '.join(str(r[d.name]) for d in q.dims)}: {fmt(m, r[m.name])}"
                              for _, r in last.head(6).iterrows())
        else:
            shown = fmt(m, last[m.name].iloc[0])
        text = (f"{m.label_en} per {q.grain} from {first_label} to {label} ({scope}). Latest {q.grain} ({label}): {shown}")
        if not q.dims:
            total_unit = m.unit in ("money", "count") and m.kind in ("line", "cancelled") and m.name not in ("customers",)
            if total_unit:
                text += f"; total {fmt(m, frame[m.name].sum())}"
            change = frame.get(f"{m.name}_change")
            if change is not None and pd.notna(change.iloc[-1]):
                text += f", {change.iloc[-1]:+.1%} vs {q.compare.replace('_', ' ')}"
        if q.end < _period_end(frame["period"].max(), q.grain):
            text += f". The last {q.grain} is partial (data to {q.end.isoformat()})"
        return text + "."
    top = frame.head(5)
    shown = "; ".join(f"{group_label(r, q)}: {fmt(m, r[m.name])}" for _, r in top.iterrows())
    total = ""
    if m.unit in ("money", "count") and m.kind in ("line", "cancelled") and m.name != "customers" and not q.limit:
        total = f" Total {fmt(m, frame[m.name].sum())}."
    groups = (f"top {len(frame)}" if q.limit else f"{len(frame)} {' × '.join(d.label_en.lower() for d in q.dims)} groups")
    return f"{m.label_en} by {', '.join(d.label_en.lower() for d in q.dims)} ({scope}), {groups}: {shown}.{total}"


def group_label(row: Any, q: MetricQuery, language: str = "en") -> str:
    return " / ".join(period_label(row[d.name], "month", language) if d.name == "cohort" else str(row[d.name])
                      for d in q.dims)


def _period_end(start: Any, grain: str) -> date:
    ts = pd.Timestamp(start)
    step = {"day": pd.DateOffset(days=1), "week": pd.DateOffset(weeks=1), "month": pd.DateOffset(months=1),
            "quarter": pd.DateOffset(months=3), "year": pd.DateOffset(years=1)}[grain]
    return (ts + step - pd.Timedelta(days=1)).date()


def choose_chart(frame: pd.DataFrame, q: MetricQuery, title: str) -> dict[str, Any] | None:
    """Line for time, bar for categories, nothing for a single number."""
    m = q.metrics[0]
    if m.unit == "date" or len(frame) < 2:
        return None
    if q.grain:
        periods = sorted(frame["period"].unique())
        labels = [period_label(p, q.grain) for p in periods]
        if q.dims:
            key = q.dims[0].name
            series = {str(g): sub.set_index("period").reindex(periods)[m.name].round(4).tolist()
                      for g, sub in frame.groupby(key)}
        else:
            series = {m.label_en: frame.set_index("period").reindex(periods)[m.name].round(4).tolist()}
        return charts.lines(title, labels, series, y_title=m.label_en)
    if q.dims:
        names = [group_label(r, q) for _, r in frame.head(40).iterrows()]
        return charts.bar(title, names, [None if pd.isna(v) else round(float(v), 4) for v in frame[m.name].head(40)],
                          y_title=m.label_en)
    return None
