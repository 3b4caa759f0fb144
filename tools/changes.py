"""What changed: the scores in service against an earlier snapshot (tools.snapshots), and the order KPIs of the
last week against their usual range.

Reported
    newly at high churn risk   customers in the `high` band now who were not before (new customers too),
                               ranked by value at risk (value if retained × P(churn))
    tier moves, segment moves  customers per (before, now) pair, their expected 12-month value, the most
                               valuable of them
    new high-value customers   in the high tier now and not customers at the earlier snapshot
    KPIs outside their usual range (KPI_RULE)
        order KPIs (revenue, orders, customers who ordered, new customers, AOV) of the USUAL_WEEKS + 1
        seven-day windows ending on the as-of date, through the semantic layer: the last window is outside
        its usual range when it lies beyond the mean ± SD_RANGE standard deviations of the USUAL_WEEKS before;
        score KPIs (customers at high risk, their value at risk, lapsed and high-tier customers, expected
        12-month value) against the same rule over the earlier snapshots, once MIN_HISTORY of them exist.

The earlier snapshot is the last one of this dataset's lineage on or before `since` (when given), otherwise the
last one recorded before the data in service; snapshots of the data in service itself are never the baseline.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from tools import snapshots
from tools.context import ToolContext
from tools.errors import TierwiseError
from tools.results import ToolResult, count, frame_to_table, money

USUAL_WEEKS = 8
SD_RANGE = 2.0
MIN_HISTORY = 4
TOP = 3            # most valuable customers named per move
LIST_ROWS = 20     # rows of the customer tables
MOVE_ROWS = 15     # rows of the move tables
ORDER_KPIS = ("revenue", "orders", "customers", "new_customers", "aov")
SCORE_KPIS = ("high_churn_risk_customers", "value_at_risk_high_risk", "lapsed_customers", "high_tier_customers",
              "expected_value_12m")
KPI_RULE = (f"outside the mean ± {SD_RANGE:g} standard deviations of the {USUAL_WEEKS} weeks before (order KPIs, "
            f"seven-day windows ending on the as-of date) or of the earlier snapshots (score KPIs, once "
            f"{MIN_HISTORY} exist)")


def what_changed(ctx: ToolContext, *, since: str | None = None) -> ToolResult:
    """What changed since an earlier snapshot (or a date): customers newly at high churn risk, tier and segment moves, KPIs outside their usual range, new high-value customers."""
    snap = ctx.snapshot
    snap.require_models()
    since_day = _since(since)
    base = baseline(ctx.workspace_home, snap, since_day)
    if base is None:
        return ToolResult(summary=NOTHING_TO_COMPARE, facts={"compared": False, "reason": NOTHING_TO_COMPARE,
                                                            "now": {"as_of": snap.as_of.isoformat()}})
    path = str(snapshots.scores_path(ctx.workspace_home, base)).replace("'", "''")
    before = f"read_parquet('{path}')"
    now = "customer_view"

    newly = snap.query(f"""
        SELECT b.customer_id, b.churn_probability, b.value_at_risk, coalesce(a.churn_risk, 'new') AS churn_risk_before,
               b.tier, b.last_order_date
        FROM {now} b LEFT JOIN {before} a USING (customer_id)
        WHERE b.churn_risk = 'high' AND a.churn_risk IS DISTINCT FROM 'high'
        ORDER BY b.value_at_risk DESC NULLS LAST, b.customer_id""")
    tiers = _moves(snap, now, before, "tier")
    segments = _moves(snap, now, before, "segment")
    new_high = snap.query(f"""
        SELECT b.customer_id, b.clv_12m, b.total_spend, b.orders, b.last_order_date
        FROM {now} b ANTI JOIN {before} a USING (customer_id)
        WHERE b.tier = 'high' ORDER BY b.clv_12m DESC NULLS LAST, b.customer_id""")
    kpis = _kpis(ctx, base)
    outside = kpis[kpis["outside_usual_range"] == True]  # noqa: E712 - NaN (not judged) is not outside

    facts = {
        "compared": True,
        "since": since_day.isoformat() if since_day else None,
        "before": {"as_of": base.get("as_of"), "recorded_at": base.get("recorded_at"), "kind": base.get("kind")},
        "now": {"as_of": snap.as_of.isoformat()},
        "newly_high_risk": {"customers": int(len(newly)), "value_at_risk": _num(newly["value_at_risk"].sum()),
                            "top": newly["customer_id"].head(TOP).tolist()},
        "tier_moves": _move_facts(tiers), "segment_moves": _move_facts(segments),
        "tier_up": int(tiers.loc[tiers["direction"] == "up", "customers"].sum()) if len(tiers) else 0,
        "tier_down": int(tiers.loc[tiers["direction"] == "down", "customers"].sum()) if len(tiers) else 0,
        "segment_moved": int(segments["customers"].sum()) if len(segments) else 0,
        "new_high_value": {"customers": int(len(new_high)), "value_12m": _num(new_high["clv_12m"].sum()),
                           "top": new_high["customer_id"].head(TOP).tolist()},
        "kpis": kpis.astype(object).where(kpis.notna(), None).to_dict(orient="records"),
        "kpis_outside": outside["kpi"].tolist(),
        "rule": KPI_RULE,
    }
    if base.get("note"):
        facts["note"] = base["note"]
    ids = list(dict.fromkeys(newly["customer_id"].head(LIST_ROWS).tolist() + new_high["customer_id"].head(LIST_ROWS).tolist()
                             + [c for top in tiers["top_customers"].head(MOVE_ROWS) for c in top]))
    tables = [
        frame_to_table("Newly at high churn risk (by value at risk)", newly.head(LIST_ROWS), total=len(newly)),
        frame_to_table("Tier moves", _shown(tiers).head(MOVE_ROWS), total=len(tiers)),
        frame_to_table("Segment moves", _shown(segments).head(MOVE_ROWS), total=len(segments)),
        frame_to_table("KPIs against their usual range", kpis),
        frame_to_table("New high-value customers", new_high.head(LIST_ROWS), total=len(new_high)),
    ]
    return ToolResult(summary=_summary(facts, snap.as_of), facts=facts, tables=tables, pii=_pii(snap, ids))


NOTHING_TO_COMPARE = ("There is no earlier snapshot of this data to compare with yet: every `tierwise append` of new "
                      "orders records one (loads and builds do too). Append new orders, then ask again.")


def baseline(home, snap, since: date | None) -> dict[str, Any] | None:
    """The snapshot to compare the data in service with (see the module docstring); None when there is none."""
    found = [s for s in snapshots.list_snapshots(home, lineage=snap.meta.get("loaded_at"))
             if s.get("dataset") != snap.path.name]
    if not found:
        return None
    if since is None:
        return found[-1]
    earlier = [s for s in found if snapshots.as_date(s["as_of"]) <= since]
    if earlier:
        return earlier[-1]
    first = dict(found[0])
    first["note"] = (f"No snapshot goes back to {since.isoformat()}; compared with the earliest one, "
                     f"as of {first['as_of']}.")
    return first


def _since(since: str | None) -> date | None:
    if since in (None, ""):
        return None
    try:
        return date.fromisoformat(str(since).strip()[:10])
    except ValueError:
        raise TierwiseError(f"since must be a date like 2025-12-24; got '{str(since)[:30]}'.") from None


def _moves(snap, now: str, before: str, column: str) -> pd.DataFrame:
    """Customers per (before, now) value of `column` that changed, their value now and the most valuable."""
    frame = snap.query(f"""
        WITH moved AS (
            SELECT a.{column} AS before, b.{column} AS now, b.customer_id, b.clv_12m,
                   row_number() OVER (PARTITION BY a.{column}, b.{column}
                                      ORDER BY b.clv_12m DESC NULLS LAST, b.customer_id) AS rank
            FROM {now} b JOIN {before} a USING (customer_id)
            WHERE a.{column} IS DISTINCT FROM b.{column} AND a.{column} IS NOT NULL AND b.{column} IS NOT NULL)
        SELECT before, now, count(*) AS customers, sum(clv_12m) AS value_12m,
               list(customer_id ORDER BY rank) FILTER (WHERE rank <= {TOP}) AS top_customers
        FROM moved GROUP BY before, now ORDER BY customers DESC, before, now""")
    frame = frame.rename(columns={"before": f"{column}_before", "now": f"{column}_now"})
    order = {"high": 0, "mid": 1, "low": 2}
    if column == "tier":
        up = [order.get(a, 9) > order.get(b, 9) for a, b in zip(frame["tier_before"], frame["tier_now"])]
        frame["direction"] = np.where(up, "up", "down")
    else:
        frame["direction"] = "moved"
    frame["top_customers"] = [list(v) if v is not None else [] for v in frame["top_customers"]]
    return frame


def _shown(moves: pd.DataFrame) -> pd.DataFrame:
    """A move table as shown: the most valuable customers as one text."""
    return moves.drop(columns=["direction"]).assign(top_customers=[", ".join(ids) for ids in moves["top_customers"]])


def _move_facts(moves: pd.DataFrame) -> list[dict[str, Any]]:
    keys = [c for c in moves.columns if c.endswith(("_before", "_now"))]
    return [{"from": r[keys[0]], "to": r[keys[1]], "customers": int(r["customers"]), "value_12m": _num(r["value_12m"]),
             "top": list(r["top_customers"])} for r in moves.head(MOVE_ROWS).to_dict(orient="records")]


def _kpis(ctx: ToolContext, base: dict[str, Any]) -> pd.DataFrame:
    """One row per KPI: before, now, the usual range and whether now lies outside it."""
    rows = _order_kpis(ctx)
    earlier = [s for s in snapshots.list_snapshots(ctx.workspace_home, lineage=ctx.snapshot.meta.get("loaded_at"))
               if s.get("dataset") != ctx.snapshot.path.name and s["recorded_at"] <= base["recorded_at"]]
    current = _current_score_kpis(ctx.snapshot)
    for name in SCORE_KPIS:
        history = [s["kpis"].get(name) for s in earlier[-USUAL_WEEKS:] if s.get("kpis", {}).get(name) is not None]
        low, high = _usual_range(history) if len(history) >= MIN_HISTORY else (None, None)
        now = current.get(name)
        rows.append({"kpi": name, "window": "at the snapshot", "before": (base.get("kpis") or {}).get(name), "now": now,
                     "usual_low": low, "usual_high": high, "outside_usual_range": _outside(now, low, high)})
    return pd.DataFrame(rows)


def _order_kpis(ctx: ToolContext) -> list[dict[str, Any]]:
    from tools.metrics import run_metrics  # every order KPI through the semantic layer

    as_of = ctx.snapshot.as_of
    weeks = []
    for k in range(USUAL_WEEKS + 1):
        end = as_of - timedelta(days=7 * k)
        frame, _ = run_metrics(ctx, metrics=list(ORDER_KPIS), since=(end - timedelta(days=6)).isoformat(),
                               until=end.isoformat())
        weeks.append(frame.iloc[0].to_dict() if len(frame) else {})
    rows = []
    for name in ORDER_KPIS:
        series = [_num(w.get(name)) for w in weeks]
        history = [v for v in series[1:] if v is not None]
        low, high = _usual_range(history) if len(history) >= MIN_HISTORY else (None, None)
        rows.append({"kpi": name, "window": "last 7 days", "before": series[1], "now": series[0],
                     "usual_low": low, "usual_high": high, "outside_usual_range": _outside(series[0], low, high)})
    return rows


def _current_score_kpis(snap) -> dict[str, Any]:
    row = snap.query(f"SELECT {', '.join(f'{sql} AS {name}' for name, sql in snapshots.KPI_SQL.items())} "
                     f"FROM customer_view").iloc[0]
    return {name: _num(row[name]) for name in snapshots.KPI_SQL}


def _usual_range(values: list[float]) -> tuple[float, float]:
    mean, sd = float(np.mean(values)), float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
    return round(mean - SD_RANGE * sd, 4), round(mean + SD_RANGE * sd, 4)


def _outside(value, low, high) -> bool | None:
    if value is None or low is None or high is None:
        return None
    return bool(value < low or value > high)


def _num(value) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(number) else number


def _pii(snap, ids: list[str]) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    frame = snap.query("SELECT customer_id, name, email FROM customers WHERE customer_id IN "
                       "(SELECT unnest(?::VARCHAR[]))", [ids])
    return {r.customer_id: {"name": r.name, "email": r.email} for r in frame.itertuples()}


KPI_WORDS = {"revenue": "revenue", "orders": "orders", "customers": "customers who ordered",
             "new_customers": "new customers", "aov": "AOV", "high_churn_risk_customers": "customers at high churn risk",
             "value_at_risk_high_risk": "their value at risk", "lapsed_customers": "lapsed customers",
             "high_tier_customers": "high-tier customers", "expected_value_12m": "expected 12-month value"}


def kpi_value(name: str, value) -> str:
    if value is None:
        return "?"
    return money(value) if name in ("revenue", "aov", "value_at_risk_high_risk", "expected_value_12m") else count(value)


def _summary(f: dict[str, Any], as_of: date) -> str:
    parts = [f"From the snapshot as of {f['before']['as_of']} to the data as of {as_of.isoformat()}:"]
    if f.get("note"):
        parts.append(f["note"])
    n = f["newly_high_risk"]
    parts.append(f"{count(n['customers'])} customers newly at high churn risk, {money(n['value_at_risk'])} of value at "
                 f"risk" + (f" (most at stake: {', '.join(n['top'])})." if n["top"] else "."))
    parts.append(f"Tiers: {count(f['tier_up'])} customers moved up, {count(f['tier_down'])} down"
                 + (f"; most often {f['tier_moves'][0]['from']} → {f['tier_moves'][0]['to']} "
                    f"({count(f['tier_moves'][0]['customers'])})." if f["tier_moves"] else "."))
    parts.append(f"Segments: {count(f['segment_moved'])} customers changed segment"
                 + (f"; most often {f['segment_moves'][0]['from'].replace('_', ' ')} → "
                    f"{f['segment_moves'][0]['to'].replace('_', ' ')} ({count(f['segment_moves'][0]['customers'])})."
                    if f["segment_moves"] else "."))
    outside = [k for k in f["kpis"] if k["outside_usual_range"]]
    if outside:
        parts.append("Outside their usual range: " + "; ".join(
            f"{KPI_WORDS[k['kpi']]} {kpi_value(k['kpi'], k['now'])} (usual {kpi_value(k['kpi'], k['usual_low'])} to "
            f"{kpi_value(k['kpi'], k['usual_high'])})" for k in outside) + f". Rule: {KPI_RULE}.")
    else:
        parts.append(f"No KPI is outside its usual range ({KPI_RULE}).")
    h = f["new_high_value"]
    parts.append(f"New high-value customers: {count(h['customers'])}"
                 + (f" (top: {', '.join(h['top'])})." if h["top"] else "."))
    return " ".join(parts)
