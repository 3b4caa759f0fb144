"""The model-quality page: each model's verdict in words first, then its key figures in their units, every other
figure folded, and the charts an analyst asks for.

Numbers go through ui/formatting.py (money in the shop's currency, shares and rates as %, separators) and are
never shown in e-notation; names from the data are escaped.
"""

from __future__ import annotations

import html
import math
import re
from typing import Any, Callable

import pandas as pd

from tools import charts
from ui.formatting import Style, column_info, format_chart, format_number, format_text, humanize
from ui.render import figure

MODEL_ORDER = ("clv", "tiers", "segments", "personas", "churn", "recommendations")
TITLES = {"clv": "Customer lifetime value (BG/NBD + Gamma-Gamma)", "tiers": "Value tiers", "segments": "RFM segments",
          "personas": "Personas", "churn": "Churn", "recommendations": "Recommendations"}
# shown elsewhere on the card or in the charts, or too long to read as a list
SKIP_KEYS = {"model", "definition", "map", "profiles", "rules", "feature_importance", "feature_importances",
             "confusion_matrix", "verdict", "calibration", "lift_curve", "training_cuts", "features", "names"}
CLV_BINS = 40
VERDICT_CLASS = {"good": "good", "weak": "weak", "baseline": "baseline"}
# rough reading of a silhouette (Kaufman & Rousseeuw): how clearly customers fall into the personas
SILHOUETTE_WORDS = ((0.5, "Clear", "the personas are well separated"),
                    (0.25, "Weak structure", "the personas overlap; read them as tendencies, not hard groups"),
                    (-1.0, "No clear structure", "customers don't fall into distinct groups; use the personas "
                                                 "with care"))
# what each verdict judged, said before its figures
JUDGED = {"clv": "predicting each customer's revenue", "tiers": "predicting a young customer's tier from their "
          "first weeks", "churn": "ranking who stops buying", "recommendations": "guessing the products customers "
          "buy next"}
SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


def text(value: Any) -> str:
    # `$` too: Gradio's HTML component fills `${...}` templates
    return html.escape("" if value is None else str(value), quote=True).replace("$", "&#36;")


def in_words(value: Any, style: Style | None = None) -> str:
    """A card's sentence with the column names it quotes in words ('by clv_12m' -> 'by expected 12-month value')."""
    style = style or Style()
    return SNAKE.sub(lambda m: column_info(m.group(0), style)[0].lower(), "" if value is None else str(value))


# --- numbers -------------------------------------------------------------------------------

def plain_number(value: float, digits: int = 3) -> str:
    """A number read at a glance, never in e-notation: separators from 1,000, `digits` significant digits below,
    '≈ 0' for what is zero to the shown precision (a tier threshold of 6.7e-12)."""
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    places = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    if places > 6:
        return "≈ 0"
    shown = f"{value:,.{places}f}"
    return shown.rstrip("0").rstrip(".") if "." in shown else shown


def _looks_like_share(key: str) -> bool:
    return any(word in key for word in ("share", "rate", "probability", "pct", "accuracy"))


def figure_value(key: str, value: Any, style: Style) -> str:
    """A figure of a card: yes/no, shares as %, numbers without e-notation, text as it is."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "—"
        if _looks_like_share(key) and 0 <= value <= 1:
            return format_number(value, "ratio", style)
        return plain_number(value)
    return str(value)


def _money(value: Any, style: Style) -> str:
    return format_number(value, "money", style) if isinstance(value, (int, float)) else "—"


# --- verdicts ------------------------------------------------------------------------------

def _metric_unit(metric: str) -> str:
    name = metric.lower()
    if "mae" in name or "revenue" in name:
        return "money"
    if "accuracy" in name or "hit-rate" in name or "rate" in name:
        return "ratio"
    return "score"


def verdict_line(verdict: dict[str, Any], style: Style) -> tuple[str, str]:
    """(word, sentence): the verdict in words and its figures in their units, e.g. ('Good', 'accuracy 47.7%
    against 44.9% for always guessing 'low' (+2.8 points, 95% CI +0.7 to +4.9 points, 1,239 customers).')"""
    word = {"good": "Good", "weak": "Weak", "baseline": "No better than the baseline"}.get(verdict.get("verdict"),
                                                                                          "Not judged")
    values = [verdict.get(k) for k in ("model", "baseline", "difference", "ci_low", "ci_high")]
    if any(not isinstance(v, (int, float)) or not math.isfinite(v) for v in values):
        sentence = str(verdict.get("sentence") or "")
        return word, sentence.split(": ", 1)[1] if sentence.startswith(word + ":") else sentence
    model, baseline, difference, low, high = values
    unit = _metric_unit(str(verdict.get("metric") or ""))

    def level(v: float) -> str:
        if unit == "money":
            return _money(v, style)
        return format_number(v, "ratio", style) if unit == "ratio" else f"{v:.3f}"

    def change(v: float) -> str:
        sign = "+" if v >= 0 else "−"
        if unit == "money":
            return sign + _money(abs(v), style)
        if unit == "ratio":
            return f"{sign}{abs(v) * 100:.1f} points"
        return f"{sign}{abs(v):.3f}"

    figures = (f"{verdict.get('metric')} {level(model)} against {level(baseline)} for {verdict.get('baseline_name')} "
               f"({change(difference)}, 95% CI {change(low)} to {change(high)}, {int(verdict.get('n') or 0):,} "
               "customers)")
    if verdict.get("verdict") == "weak":
        margin = verdict.get("margin")
        gain = f" (a good model gains at least {change(margin)})" if isinstance(margin, (int, float)) else ""
        return word, f"better than {verdict.get('baseline_name')}, but only by {change(difference)}{gain}: {figures}."
    if verdict.get("verdict") == "baseline":
        return word, (f"{figures}; the difference is within noise, so answers use {verdict.get('fallback')} "
                      "instead.")
    return word, f"{figures}."


def _descriptive_verdict(name: str, card: dict[str, Any]) -> tuple[str, str] | None:
    """Models with no baseline to beat still get a verdict in words: what they are and how far to trust them."""
    if name == "segments":
        groups = len(card.get("sizes") or {})
        return "Rules, not a prediction", (f"{groups} segments by how recently and how often customers buy and how "
                                           "much they spend; nothing to beat, so no backtest.")
    if name == "personas" and isinstance(card.get("silhouette"), (int, float)):
        score = float(card["silhouette"])
        word, meaning = next((w, m) for floor, w, m in SILHOUETTE_WORDS if score >= floor)
        return word, f"{card.get('k')} personas with a silhouette of {score:.2f}: {meaning}."
    return None


# --- key figures, per model ----------------------------------------------------------------

Figure = tuple[str, str]  # (label, value as shown)


def _groups(values: dict[str, Any] | None, group: str, style: Style, show: Callable[[Any], str],
            order: tuple[str, ...] = ()) -> str:
    """'High 984 · Mid 1,483 · Low 2,468': a value per group, the groups named in words."""
    items = list((values or {}).items())
    if order:
        items.sort(key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order))
    return " · ".join(f"{format_text(group, k, style)} {show(v)}" for k, v in items)


def _params(values: dict[str, Any] | None, names: dict[str, str]) -> str:
    return ", ".join(f"{shown} = {plain_number(float(values[k]))}" for k, shown in names.items()
                     if isinstance((values or {}).get(k), (int, float)))


def _clv(card: dict[str, Any], style: Style) -> list[Figure]:
    out = [("In service", str(card.get("in_service") or "")),
           ("Expected revenue, next 12 months", _money(card.get("total_expected_revenue_12m"), style)),
           ("Expected orders, next 90 days", figure_value("orders", round(card.get("total_expected_orders_90d") or 0),
                                                          style)),
           ("Share of expected value held by the top 20% of customers",
            format_number(card.get("top_20pct_value_share"), "ratio", style))]
    if card.get("flat_sentence"):
        out.append(("Spread of value", str(card["flat_sentence"])))
    if card.get("outliers"):
        out.append(("Spend outliers", str(card["outliers"])))
    out.append(("BG/NBD purchase model", _params(card.get("bgnbd"), {"r": "r", "alpha": "α", "a": "a", "b": "b"})
                + f" (time unit: {card.get('time_unit') or 'weeks'})"))
    out.append(("Gamma-Gamma spend model", _params(card.get("gamma_gamma"), {"p": "p", "q": "q", "gamma": "γ"})))
    return out


TIER_ORDER = ("high", "mid", "low")


def _tiers(card: dict[str, Any], style: Style) -> list[Figure]:
    thresholds = card.get("thresholds") or {}
    lowest = min(TIER_ORDER, key=lambda t: thresholds.get(t, math.inf)) if thresholds else None
    floors = " · ".join(f"{format_text('tier', t, style)} " + ("the rest" if t == lowest else
                                                                f"from {_money(thresholds[t], style)}")
                        for t in TIER_ORDER if t in thresholds)
    out = [("Customers per tier", _groups(card.get("sizes"), "tier", style, lambda v: f"{int(v):,}", TIER_ORDER)),
           ("Share of expected value", _groups(card.get("value_share"), "tier", style,
                                               lambda v: format_number(v, "ratio", style), TIER_ORDER)),
           ("Where each tier starts", floors),
           ("Basis", str(card.get("basis") or ""))]
    if isinstance(card.get("cutoff_ratio"), (int, float)):
        out.append(("High tier's threshold over the mid tier's", format_number(card["cutoff_ratio"], "multiple", style)))
    young = card.get("young_customer_classifier") or {}
    if isinstance(young.get("verdict"), dict) and young["verdict"] != card.get("verdict"):
        word, sentence = verdict_line(young["verdict"], style)
        out.append(("Tier of young customers, predicted from their first weeks", f"{word}: {sentence}"))
    return out


def _segments(card: dict[str, Any], style: Style) -> list[Figure]:
    sizes = sorted((card.get("sizes") or {}).items(), key=lambda kv: -kv[1])
    return [("Customers per segment", _groups(dict(sizes), "segment", style, lambda v: f"{int(v):,}"))]


def _personas(card: dict[str, Any], style: Style, profiles: list[dict[str, Any]] | None = None) -> list[Figure]:
    out: list[Figure] = [("Personas", f"{card.get('k')} (chosen by silhouette from 3 to 8)")]
    if profiles:
        out += [(str(p.get("persona")), f"{int(p.get('customers') or 0):,} customers "
                                        f"({format_number(p.get('share'), 'ratio', style)})") for p in profiles]
    else:
        out += [("Names", ", ".join(map(str, card.get("names") or [])))]
    return out


def _churn(card: dict[str, Any], style: Style) -> list[Figure]:
    score = lambda key: f"{card[key]:.3f}" if isinstance(card.get(key), (int, float)) else "—"  # noqa: E731
    out = [("Horizon", f"{card.get('horizon_days')} days" + (f", {card['horizon_source']}"
                                                             if card.get("horizon_source") else "")),
           ("ROC-AUC / PR-AUC / Brier score", f"{score('auc')} / {score('pr_auc')} / {score('brier')}"),
           ("Top-decile lift", format_number(card.get("top_decile_lift"), "multiple", style)),
           ("Customers who churned in a window (base rate)", format_number(card.get("base_rate"), "ratio", style)),
           ("Customers per risk band", _groups(card.get("risk_band_counts"), "churn_risk", style,
                                               lambda v: f"{int(v):,}", ("high", "medium", "low", "lapsed"))),
           ("Average churn probability", format_number(card.get("mean_churn_probability"), "ratio", style))]
    versus = card.get("vs_bgnbd") or {}
    if versus.get("sentence"):
        out.append(("Against BG/NBD's expected purchases", str(versus["sentence"])))
    return out


def _recommendations(card: dict[str, Any], style: Style) -> list[Figure]:
    return [("Customers with a hit in their top 10", format_number(card.get("hit_rate"), "ratio", style)),
            ("The same for the most popular products", format_number(card.get("popularity_hit_rate"), "ratio", style)),
            ("Lift over popularity", format_number(card.get("lift_over_popularity"), "multiple", style)),
            ("Customers evaluated", f"{int(card.get('customers_evaluated') or 0):,}"),
            ("Products", f"{int(card.get('products') or 0):,}")]


KEY_FIGURES: dict[str, Callable[..., list[Figure]]] = {
    "clv": _clv, "tiers": _tiers, "segments": _segments, "churn": _churn, "recommendations": _recommendations}
# keys the key figures already show (the rest are folded under "All figures")
SHOWN = {"clv": {"in_service", "total_expected_revenue_12m", "total_expected_orders_90d", "top_20pct_value_share",
                 "flat_sentence", "outliers", "bgnbd", "gamma_gamma", "time_unit"},
         "tiers": {"sizes", "value_share", "thresholds", "basis", "cutoff_ratio", "young_customer_classifier"},
         "segments": {"sizes"}, "personas": {"k"},
         "churn": {"horizon_days", "horizon_source", "auc", "pr_auc", "brier", "top_decile_lift", "base_rate",
                   "risk_band_counts", "mean_churn_probability", "vs_bgnbd"},
         "recommendations": {"hit_rate", "popularity_hit_rate", "lift_over_popularity", "customers_evaluated",
                             "products"}}


def other_figures(name: str, card: dict[str, Any], style: Style) -> list[Figure]:
    """Every other figure of the card, labelled in words and formatted like the rest."""
    out = []
    for key, value in card.items():
        if key in SKIP_KEYS or key in SHOWN.get(name, set()) or value is None:
            continue
        label = humanize(key)
        if isinstance(value, (str, int, float, bool)):
            out.append((label, figure_value(key, value, style)))
        elif isinstance(value, dict) and value:
            inner = [f"{humanize(k).lower()} {figure_value(k, v, style)}" for k, v in value.items()
                     if isinstance(v, (str, int, float, bool)) and k != "sentence"]
            if inner:
                out.append((label, "; ".join(inner)))
        elif isinstance(value, list) and value and all(isinstance(v, (str, int, float)) for v in value) \
                and len(value) <= 12:
            out.append((label, ", ".join(figure_value(key, v, style) for v in value)))
    return out


def _figures_html(figures: list[Figure]) -> str:
    return "".join(f'<div class="tw-fact"><dt>{text(in_words(label))}</dt><dd>{text(in_words(value))}</dd></div>'
                   for label, value in figures if value)


def card_html(name: str, card: dict[str, Any] | None, status: dict[str, Any] | None, style: Style | None = None,
              *, profiles: list[dict[str, Any]] | None = None) -> str:
    """One model: its verdict in words first, what it is, its key figures, every other figure folded."""
    style = style or Style()
    title = f'<h3>{text(TITLES.get(name, humanize(name)))}</h3>'
    if not card:
        reason = (status or {}).get("reason") or "not built yet"
        return (f'<section class="tw-model" data-model="{text(name)}">{title}<p class="tw-verdict tw-verdict-none">'
                f'<span class="tw-verdict-word">Not available</span>: {text(reason)}</p></section>')
    verdict = card.get("verdict") if isinstance(card.get("verdict"), dict) else None
    word, sentence = verdict_line(verdict, style) if verdict else (_descriptive_verdict(name, card)
                                                                    or ("Built", "no backtest for this model."))
    kind = VERDICT_CLASS.get((verdict or {}).get("verdict"), "none")
    judged = f"{JUDGED[name]} — " if verdict and name in JUDGED else ""
    parts = [title, f'<p class="tw-verdict tw-verdict-{kind}"><span class="tw-verdict-word">{text(word)}</span>: '
                    f"{text(judged + in_words(sentence))}</p>"]
    if card.get("definition"):
        parts.append(f'<p class="tw-model-definition">{text(in_words(card["definition"]))}</p>')
    key = _personas(card, style, profiles) if name == "personas" else KEY_FIGURES.get(name, lambda c, s: [])(card, style)
    if key:
        parts.append(f'<dl class="tw-facts">{_figures_html(key)}</dl>')
    rest = other_figures(name, card, style)
    if rest:
        parts.append(f'<details class="tw-all-figures"><summary>All figures</summary><dl class="tw-facts">'
                     f"{_figures_html(rest)}</dl></details>")
    return f'<section class="tw-model" data-model="{text(name)}">{"".join(parts)}</section>'


def cards_html(meta: dict[str, Any], style: Style | None = None) -> str:
    style = style or Style()
    cards, status = meta.get("model_cards") or {}, meta.get("model_status") or {}
    if not cards and not status:
        return ('<p class="tw-status">No models are built for this dataset yet. An admin can rebuild them on the '
                "Data tab.</p>")
    header = (f'<p class="tw-status">Models built {text(meta.get("models_built_at", "?"))}, as of '
              f'{text(meta.get("models_as_of") or meta.get("as_of", "?"))}.</p>')
    names = [n for n in MODEL_ORDER if n in cards or n in status] + sorted(set(cards) - set(MODEL_ORDER))
    profiles = (cards.get("personas") or {}).get("profiles")
    return f'<div class="tw-models">{header}' + "".join(
        card_html(n, cards.get(n), status.get(n), style, profiles=profiles if n == "personas" else None)
        for n in names) + "</div>"


# --- charts --------------------------------------------------------------------------------

def tier_chart(cards: dict[str, Any], style: Style):
    sizes = (cards.get("tiers") or {}).get("sizes") or {}
    if not sizes:
        return None
    order = [t for t in TIER_ORDER if t in sizes] + [t for t in sizes if t not in TIER_ORDER]
    spec = charts.bar("Customers per value tier", order, [sizes[t] for t in order], y_title="customers")
    return figure(format_chart(spec, style, group="tier"))


def segment_chart(cards: dict[str, Any], style: Style):
    sizes = (cards.get("segments") or {}).get("sizes") or {}
    if not sizes:
        return None
    ordered = sorted(sizes.items(), key=lambda kv: -kv[1])
    spec = charts.bar("Customers per RFM segment", [k for k, _ in ordered], [v for _, v in ordered], y_title="customers")
    return figure(format_chart(spec, style, group="segment"))


def persona_map(cards: dict[str, Any]):
    points = (cards.get("personas") or {}).get("map") or {}
    if not points.get("x"):
        return None
    frame = pd.DataFrame({"x": points["x"], "y": points["y"], "persona": points.get("persona") or ["?"] * len(points["x"])})
    groups = {name: (g["x"].round(4).tolist(), g["y"].round(4).tolist()) for name, g in frame.groupby("persona")}
    spec = charts.scatter("Personas on the first two principal components (a sample of customers)", groups)
    spec["data"] = [{**trace, "type": "scatter"} for trace in spec["data"]]  # SVG, so screenshots show it
    return figure(spec)


CHURN_COLUMNS = {"model": "Model", "auc": "ROC-AUC", "pr_auc": "PR-AUC", "brier": "Brier score",
                 "top_decile_lift": "Top-decile lift"}
BASELINE_NAMES = {"recency_only": "Days since the last order alone", "bgnbd_expected_purchases": "BG/NBD's expected purchases"}


def churn_table(cards: dict[str, Any]) -> pd.DataFrame:
    card = cards.get("churn") or {}
    if not card:
        return pd.DataFrame(columns=list(CHURN_COLUMNS.values()))
    keys = ("auc", "pr_auc", "brier", "top_decile_lift")
    rows = [{"model": "Churn model", **{k: card.get(k) for k in keys}}]
    for name, base in (card.get("baselines") or {}).items():
        if isinstance(base, dict):
            rows.append({"model": BASELINE_NAMES.get(name, humanize(name)), **{k: base.get(k) for k in keys}})
    frame = pd.DataFrame(rows)
    for column in keys:  # shown as read, three decimals; the lift as a multiple
        frame[column] = [("—" if v is None or (isinstance(v, float) and math.isnan(v)) else
                          f"{v:.2f}×" if column == "top_decile_lift" else f"{v:.3f}") for v in frame[column]]
    return frame.rename(columns=CHURN_COLUMNS)


def clv_histogram(snapshot, style: Style):
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
    return figure(format_chart(spec, style))


def model_page(snapshot, *, currency: str | None = None) -> dict[str, Any]:
    """Everything the Models tab shows for a dataset snapshot; money in the shop's `currency`."""
    meta = snapshot.meta
    cards = meta.get("model_cards") or {}
    style = Style(currency=currency)
    return {"markdown": cards_html(meta, style), "tiers": tier_chart(cards, style),
            "segments": segment_chart(cards, style), "personas": persona_map(cards), "churn": churn_table(cards),
            "clv": clv_histogram(snapshot, style)}
