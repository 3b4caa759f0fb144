"""Tools about time: KPI trends by period and cohort retention."""

from __future__ import annotations

from datetime import date
from typing import Literal

import pandas as pd

from tools import charts
from tools.audience import AudienceFilters, describe
from tools.context import ToolContext
from tools.customers import audience_where
from tools.errors import TierwiseError
from tools.results import ToolResult, frame_to_table, money
from tools.metrics import audience_conditions, run_metrics

Metric = Literal["revenue", "orders", "customers", "new_customers", "aov", "repeat_rate"]
Period = Literal["day", "week", "month", "quarter"]
TrendBy = Literal["channel", "country", "category", "tier"]
TREND_BY = TrendBy.__args__
# the preset's metric names -> the catalog's
TREND_METRIC = {"revenue": "revenue", "orders": "orders", "customers": "customers", "new_customers": "new_customers",
                "aov": "aov", "repeat_rate": "returning_customer_rate"}
MAX_COHORTS = 24


def _parse_date(name: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise TierwiseError(f"{name} must be a date like 2025-01-31; got '{value}'.") from None


def kpi_trend(ctx: ToolContext, audience: AudienceFilters | None = None, *, metric: Metric = "revenue",
              period: Period = "month", by: TrendBy | None = None, since: str | None = None,
              until: str | None = None) -> ToolResult:
    """A KPI (revenue, orders, customers, new_customers, aov, repeat_rate) per day, week, month or quarter, optionally by channel, country, category or tier, with the change vs the previous period."""
    for name, value, valid in (("metric", metric, Metric.__args__), ("period", period, Period.__args__)):
        if value not in valid:
            raise TierwiseError(f"Unknown {name} '{value}'. Choose one of {', '.join(valid)}.")
    if by is not None and by not in TREND_BY:
        raise TierwiseError(f"Unknown grouping '{by}'. Choose one of {', '.join(TREND_BY)}.")
    filters, _, _ = audience_where(ctx, audience)
    snap = ctx.snapshot
    start = _parse_date("since", since)
    end = min(_parse_date("until", until) or snap.as_of, snap.as_of)
    if start and start > end:
        raise TierwiseError(f"since ({start}) is after until ({end}).")
    # a preset over the semantic layer: the numbers come from the catalog's definitions
    name = TREND_METRIC[metric]
    frame, q = run_metrics(ctx, metrics=[name], by=[by] if by else None, grain=period, since=start, until=end,
                           audience=audience_conditions(filters.active()), compare="previous_period")
    if frame.empty:
        return ToolResult(summary=f"No orders in that period ({describe(filters)}).", audience=filters.active())
    frame = frame.rename(columns={name: metric, f"{name}_change": "change"})
    frame["period"] = pd.to_datetime(frame["period"]).dt.date
    out = frame[["period"] + ([by] if by else []) + [metric, "change"]]
    if by:
        out = out.sort_values([by, "period"]).reset_index(drop=True)
    periods = sorted(frame["period"].unique())
    groups = frame.groupby(by) if by else [("all", frame)]
    chart = charts.lines(f"{metric.replace('_', ' ')} per {period}" + (f" by {by}" if by else ""),
                         [p.isoformat() for p in periods],
                         {str(g): sub.set_index("period").reindex(periods)[metric].round(4).tolist() for g, sub in groups},
                         y_title=metric)
    last = frame[frame["period"] == frame["period"].max()]
    fmt = (lambda v: f"{v:.1%}") if metric == "repeat_rate" else money
    latest = ", ".join(f"{g}: {fmt(v)}" for g, v in zip(last[by], last[metric])) if by else fmt(last[metric].iloc[0])
    change = last["change"].iloc[0] if not by else None
    summary = (f"{metric.replace('_', ' ').capitalize()} per {period} from {periods[0]} to {periods[-1]} "
               f"({describe(filters)}). Latest {period} ({periods[-1]}): {latest}"
               + (f", {change:+.1%} vs the {period} before." if change is not None and pd.notna(change) else "."))
    if _partial_last_period(periods[-1], period, snap.as_of):
        summary += f" The last {period} is partial (data to {snap.as_of})."
    summary += f" ({q.metrics[0].label_en} = {q.metrics[0].definition_en}.)"
    return ToolResult(summary=summary, chart=chart, audience=filters.active(),
                      facts={"metric": metric, "period": period, "by": by, "periods": len(periods),
                             "latest": last[metric].round(4).tolist(),
                             "definition": q.metrics[0].definition_en,
                             "series_total": float(frame[metric].sum()) if metric in ("revenue", "orders", "new_customers") else None},
                      tables=[frame_to_table(f"{metric} per {period}", out)])


def _partial_last_period(start: date, period: str, as_of: date) -> bool:
    end = (pd.Timestamp(start) + {"day": pd.DateOffset(days=1), "week": pd.DateOffset(weeks=1),
                                  "month": pd.DateOffset(months=1), "quarter": pd.DateOffset(months=3)}[period]).date()
    return as_of < end - pd.Timedelta(days=1).to_pytimedelta()


def cohort_retention(ctx: ToolContext, audience: AudienceFilters | None = None, *,
                     period: Literal["month", "quarter"] = "month",
                     metric: Literal["customers", "revenue"] = "customers") -> ToolResult:
    """Cohort matrix by first-purchase month or quarter: the share of each cohort still buying (or its revenue) N periods later."""
    if period not in ("month", "quarter"):
        raise TierwiseError(f"Unknown period '{period}'. Choose month or quarter.")
    if metric not in ("customers", "revenue"):
        raise TierwiseError(f"Unknown metric '{metric}'. Choose customers or revenue.")
    filters, where, params = audience_where(ctx, audience)
    snap = ctx.snapshot
    # one row per customer and period first (then count(*) counts customers), joined to their cohort
    frame = snap.query(f"""
        WITH per AS (SELECT customer_id, date_trunc(?, order_date) AS p, sum(amount) AS amount
                     FROM orders WHERE order_date <= ? GROUP BY 1, 2),
        act AS (SELECT per.customer_id, date_trunc(?, v.first_order_date) AS cohort, per.p, per.amount
                FROM per JOIN (SELECT customer_id, first_order_date FROM customer_view WHERE {where}) v
                USING (customer_id))
        SELECT CAST(cohort AS DATE) AS cohort, datediff(?, cohort, p) AS k,
               count(*) AS customers, sum(amount) AS revenue
        FROM act GROUP BY 1, 2 ORDER BY 1, 2""", [period, snap.as_of, period] + params + [period])
    if frame.empty:
        return ToolResult(summary=f"No customers match ({describe(filters)}).", audience=filters.active())
    matrix = frame.pivot(index="cohort", columns="k", values=metric).sort_index().tail(MAX_COHORTS)
    size = matrix[0]
    share = matrix.div(size, axis=0)
    label = "share of cohort buying" if metric == "customers" else "revenue relative to the first period"
    table = share.round(4).reset_index()
    table.columns = ["cohort"] + [f"+{int(c)}" for c in share.columns]
    table.insert(1, "cohort_size" if metric == "customers" else "first_period_revenue", size.round(2).to_numpy())
    chart = charts.heatmap(f"Cohort retention by {period} ({label})", [f"+{int(c)}" for c in share.columns],
                           [c.isoformat() for c in share.index],
                           [[None if pd.isna(v) else round(float(v), 4) for v in row] for row in share.to_numpy()],
                           z_title=label)
    one = share[1].dropna() if 1 in share.columns else pd.Series(dtype=float)
    summary = (f"{len(share)} {period}ly cohorts ({describe(filters)}). On average "
               f"{one.mean():.1%} of a cohort buys again in its next {period}" if len(one) else
               f"{len(share)} {period}ly cohorts ({describe(filters)}).")
    if 3 in share.columns and share[3].notna().any():
        summary += f", {share[3].dropna().mean():.1%} three {period}s later"
    summary += "."
    return ToolResult(summary=summary, chart=chart, audience=filters.active(),
                      facts={"cohorts": len(share), "period": period, "metric": metric,
                             "avg_next_period": None if one.empty else round(float(one.mean()), 4)},
                      tables=[frame_to_table(f"Cohort retention ({label})", table)])
