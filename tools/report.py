"""`tierwise report` and `tierwise scores`: every model card as JSON or an HTML page with charts,
and one row of scores per customer."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import pandas as pd

from tools.csv_cells import neutralised_select
from tools.dataset import Snapshot
from tools.errors import TierwiseError
from tools.output_files import check_output, output_file
from tools.verdicts import summary as verdict_summary

SCORE_EXPORT_COLUMNS = ["customer_id", "tier", "segment", "persona", "churn_probability", "churn_risk",
                        "p_alive", "expected_orders_90d", "clv_12m", "next_order_date"]


def model_report(snap: Snapshot) -> dict[str, Any]:
    """Every model card keyed by model name, plus status and the data it was built on."""
    cards = dict(snap.meta.get("model_cards") or {})
    if not cards:
        raise TierwiseError("No models are built for this dataset yet; run `tierwise build`.")
    return {
        "as_of": snap.meta.get("as_of"),
        "built_at": snap.meta.get("models_built_at"),
        "status": snap.meta.get("model_status", {}),
        "verdicts": verdict_summary(cards),
        **cards,
    }


def export_scores(snap: Snapshot, out: str | Path, *, force: bool = False) -> dict[str, Any]:
    """Write one row of scores per customer to a .csv or .parquet file (an existing file only with `force`)."""
    if "scores" not in snap.tables:
        raise TierwiseError("No scores yet: run `tierwise build` first.")
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise TierwiseError(f"Write scores to a .csv or .parquet file; '{out.name}' is neither.")
    cols = ", ".join(SCORE_EXPORT_COLUMNS)
    fmt = "(FORMAT PARQUET)" if suffix == ".parquet" else "(HEADER, DELIMITER ',')"
    with output_file(out, force=force) as part:
        cursor = snap.con.cursor()
        try:
            # the path is a bound value of a COPY statement only through a prepared string literal: escape quotes
            target = str(part.resolve()).replace("'", "''")
            rows_sql = (f"SELECT {cols} FROM scores ORDER BY customer_id" if suffix == ".parquet"
                        else neutralised_select(snap.con, f"SELECT {cols} FROM scores", order_by="customer_id"))
            cursor.execute(f"COPY ({rows_sql}) TO '{target}' {fmt}")
            rows = cursor.execute("SELECT count(*) FROM scores").fetchone()[0]
        finally:
            cursor.close()
    return {"file": str(out), "rows": int(rows), "columns": SCORE_EXPORT_COLUMNS}


def _figures(snap: Snapshot, report: dict[str, Any]) -> list[tuple[str, dict]]:
    import plotly.graph_objects as go

    figs = []
    tiers = report.get("tiers", {})
    if tiers.get("sizes"):
        order = [t for t in ("high", "mid", "low") if t in tiers["sizes"]]
        figs.append(("Tier sizes", go.Figure(go.Bar(x=order, y=[tiers["sizes"][t] for t in order]))))
    seg = report.get("segments", {})
    if seg.get("sizes"):
        s = pd.Series(seg["sizes"]).sort_values(ascending=False)
        figs.append(("Segment sizes", go.Figure(go.Bar(x=list(s.index), y=list(s.values)))))
    personas = report.get("personas", {})
    if personas.get("map"):
        m = pd.DataFrame(personas["map"])
        fig = go.Figure()
        for name, sub in m.groupby("persona"):
            fig.add_trace(go.Scattergl(x=sub["x"], y=sub["y"], mode="markers", name=name, marker={"size": 4}))
        figs.append(("Persona map (PCA)", fig))
    churn = report.get("churn", {})
    if churn.get("calibration"):
        c = churn["calibration"]
        fig = go.Figure([go.Scatter(x=c.get("predicted", []), y=c.get("observed", []), mode="lines+markers", name="model"),
                         go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfect", line={"dash": "dot"})])
        figs.append(("Churn calibration", fig))
    if churn.get("lift_curve"):
        lc = churn["lift_curve"]
        figs.append(("Churn lift by decile", go.Figure(go.Bar(x=lc.get("decile", []), y=lc.get("lift", [])))))
    if "scores" in snap.tables:
        clv = snap.query("SELECT clv_12m, tier FROM scores WHERE clv_12m IS NOT NULL")
        if not clv.empty:
            cap = clv["clv_12m"].quantile(0.99)
            fig = go.Figure()
            for tier, sub in clv.groupby("tier"):
                fig.add_trace(go.Histogram(x=sub["clv_12m"].clip(upper=cap), name=str(tier), opacity=0.7))
            fig.update_layout(barmode="overlay")
            figs.append(("Predicted 12-month value (CLV) by tier", fig))
    return figs


def write_html_report(snap: Snapshot, out: str | Path, *, force: bool = False) -> Path:
    """Write every model card with charts to an HTML file (an existing file only with `force`)."""
    out = check_output(out, force=force)
    report = model_report(snap)
    parts = [f"<h1>Tierwise model report</h1><p>Data as of {html.escape(str(report['as_of']))}; built "
             f"{html.escape(str(report['built_at']))}.</p>"]
    if report["verdicts"]:
        # the verdict in words leads: is each model worth using on this shop, and by how much
        parts.append("<h2>Verdicts</h2><ul class='verdicts'>" + "".join(
            f"<li><b>{html.escape(name)}</b>: {html.escape(v['sentence'])}</li>" for name, v in report["verdicts"].items())
            + "</ul>")
    first = True
    for title, fig in _figures(snap, report):
        fig.update_layout(title=title, height=420)
        parts.append(fig.to_html(full_html=False, include_plotlyjs="inline" if first else False))
        first = False
    for name, card in report.items():
        if isinstance(card, dict) and name not in ("status", "verdicts"):
            trimmed = {k: v for k, v in card.items() if k not in ("map", "profiles")}
            parts.append(f"<h2>{html.escape(name)}</h2><pre>{html.escape(json.dumps(trimmed, indent=2, default=str))}</pre>")
    with output_file(out, force=force) as part:
        part.write_text("<!doctype html><html><head><meta charset='utf-8'><title>Tierwise model report</title></head>"
                        "<body style='font-family:sans-serif;max-width:1100px;margin:auto'>" + "".join(parts)
                        + "</body></html>", encoding="utf-8")
    return out
