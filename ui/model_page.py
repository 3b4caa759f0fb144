"""The model-quality page: every model card as readable text, plus the charts an analyst asks for."""

from __future__ import annotations

from typing import Any

import pandas as pd

from tools import charts
from ui.render import escape_text, figure

MODEL_ORDER = ("clv", "tiers", "segments", "personas", "churn", "recommendations")
TITLES = {"clv": "Customer lifetime value (BG/NBD + Gamma-Gamma)", "tiers": "Value tiers", "segments": "RFM segments",
          "personas": "Personas", "churn": "Churn", "recommendations": "Recommendations"}
SKIP_KEYS = {"model", "definition", "map", "profiles", "rules", "feature_importance", "confusion_matrix"}
CLV_BINS = 40


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def card_markdown(name: str, card: dict[str, Any] | None, status: dict[str, Any] | None) -> str:
    """One model card as Markdown; every value is escaped (names can come from the data)."""
    lines = [f"### {TITLES.get(name, name)}"]
    if not card:
        reason = (status or {}).get("reason") or "not built yet"
        return "\n".join(lines + [f"Not available: {escape_text(reason)}"])
    verdict = card.get("verdict") if isinstance(card.get("verdict"), dict) else None
    if verdict:  # the verdict in words comes first: is the model worth using on this shop
        lines.append(f"**Verdict: {escape_text(verdict['sentence'])}**")
    if card.get("definition"):
        lines.append(escape_text(card["definition"]))
    items = []
    for key, value in card.items():
        if key in SKIP_KEYS or key == "verdict":
            continue
        label = escape_text(key.replace("_", " "))
        if _scalar(value) and value is not None:
            items.append(f"- **{label}:** {escape_text(_fmt(value))}")
        elif isinstance(value, dict) and value and all(_scalar(v) for v in value.values()):
            inner = ", ".join(f"{escape_text(k)} = {escape_text(_fmt(v))}" for k, v in value.items() if v is not None)
            items.append(f"- **{label}:** {inner}")
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value) and len(value) <= 30:
            items.append(f"- **{label}:** {escape_text(', '.join(value))}")
        elif isinstance(value, dict):
            nested = [f"{escape_text(k.replace('_', ' '))}: {escape_text(_fmt(v))}"
                      for k, v in value.items() if _scalar(v) and v is not None]
            if nested:
                items.append(f"- **{label}:** " + "; ".join(nested))
    return "\n".join(lines + [""] + items)


def cards_markdown(meta: dict[str, Any]) -> str:
    cards, status = meta.get("model_cards") or {}, meta.get("model_status") or {}
    if not cards and not status:
        return "No models are built for this dataset yet. An admin can rebuild them on the Data tab."
    header = f"Models built {escape_text(meta.get('models_built_at', '?'))}, as of {escape_text(meta.get('models_as_of') or meta.get('as_of', '?'))}."
    names = [n for n in MODEL_ORDER if n in cards or n in status] + sorted(set(cards) - set(MODEL_ORDER))
    return "\n\n".join([header] + [card_markdown(n, cards.get(n), status.get(n)) for n in names])


def tier_chart(cards: dict[str, Any]):
    sizes = (cards.get("tiers") or {}).get("sizes") or {}
    if not sizes:
        return None
    order = [t for t in ("high", "mid", "low") if t in sizes] + [t for t in sizes if t not in ("high", "mid", "low")]
    return figure(charts.bar("Customers per value tier", order, [sizes[t] for t in order], y_title="customers"))


def segment_chart(cards: dict[str, Any]):
    sizes = (cards.get("segments") or {}).get("sizes") or {}
    if not sizes:
        return None
    ordered = sorted(sizes.items(), key=lambda kv: -kv[1])
    return figure(charts.bar("Customers per RFM segment", [k for k, _ in ordered], [v for _, v in ordered],
                             y_title="customers"))


def persona_map(cards: dict[str, Any]):
    points = (cards.get("personas") or {}).get("map") or {}
    if not points.get("x"):
        return None
    frame = pd.DataFrame({"x": points["x"], "y": points["y"], "persona": points.get("persona") or ["?"] * len(points["x"])})
    groups = {name: (g["x"].round(4).tolist(), g["y"].round(4).tolist()) for name, g in frame.groupby("persona")}
    spec = charts.scatter("Personas on the first two principal components (a sample of customers)", groups)
    spec["data"] = [{**trace, "type": "scatter"} for trace in spec["data"]]  # SVG, so screenshots show it
    return figure(spec)


def churn_table(cards: dict[str, Any]) -> pd.DataFrame:
    card = cards.get("churn") or {}
    if not card:
        return pd.DataFrame(columns=["model", "auc", "pr_auc", "brier", "top_decile_lift"])
    keys = ("auc", "pr_auc", "brier", "top_decile_lift")
    rows = [{"model": "churn model", **{k: card.get(k) for k in keys}}]
    for name, base in (card.get("baselines") or {}).items():
        if isinstance(base, dict):
            rows.append({"model": name.replace("_", " "), **{k: base.get(k) for k in keys}})
    return pd.DataFrame(rows).round(4)


def clv_histogram(snapshot):
    """Distribution of predicted 12-month value, binned in the engine (the top 1% folded into the last bin)."""
    if "scores" not in snapshot.tables:
        return None
    bins = snapshot.query(f"""
        WITH s AS (SELECT clv_12m FROM scores WHERE clv_12m IS NOT NULL),
        lim AS (SELECT greatest(quantile_cont(clv_12m, 0.99), 1e-9) AS hi FROM s)
        SELECT least(floor(clv_12m / (lim.hi / {CLV_BINS})), {CLV_BINS - 1}) AS bin, count(*) AS customers,
               any_value(lim.hi) AS hi
        FROM s, lim GROUP BY 1 ORDER BY 1""")
    if bins.empty:
        return None
    width = float(bins["hi"].iloc[0]) / CLV_BINS
    x = [round((b + 0.5) * width, 2) for b in bins["bin"]]
    spec = charts.bar("Predicted 12-month value per customer (top 1% in the last bar)", x,
                      bins["customers"].astype(int).tolist(), y_title="customers")
    spec["layout"]["xaxis"] = {"title": {"text": "clv_12m"}}
    spec["layout"]["bargap"] = 0.05
    return figure(spec)


def model_page(snapshot) -> dict[str, Any]:
    """Everything the Models tab shows for a dataset snapshot."""
    meta = snapshot.meta
    cards = meta.get("model_cards") or {}
    return {"markdown": cards_markdown(meta), "tiers": tier_chart(cards), "segments": segment_chart(cards),
            "personas": persona_map(cards), "churn": churn_table(cards), "clv": clv_histogram(snapshot)}
