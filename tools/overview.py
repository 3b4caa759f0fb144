"""Tools about the dataset and the models themselves."""

from __future__ import annotations

from typing import Literal

import pandas as pd

from tools.context import ToolContext
from tools.errors import TierwiseError
from tools.results import ToolResult, count, frame_to_table, money

ModelName = Literal["churn", "clv", "tiers", "segments", "personas", "recommendations"]
MODEL_NAMES = ModelName.__args__


def dataset_overview(ctx: ToolContext) -> ToolResult:
    """What data is loaded: customers, orders, revenue, date range, as-of date and which models are built."""
    from tools.metrics import run_metrics  # a preset over the semantic layer

    snap = ctx.snapshot
    # sales (with the anonymous sales lines a point of sale has, when kept) and customers asked apart: a question
    # about customers leaves the sales with no customer out
    frame, _ = run_metrics(ctx, metrics=["orders", "revenue", "first_order_date", "last_order_date"])
    anonymous = int(frame.attrs.get("anonymous_lines") or 0)
    people, _ = run_metrics(ctx, metrics=["customers"])
    row = frame.iloc[0].rename({"first_order_date": "first_order", "last_order_date": "last_order"})
    row["customers"] = people.iloc[0]["customers"]
    row["first_order"] = pd.Timestamp(row["first_order"]).date() if pd.notna(row["first_order"]) else None
    row["last_order"] = pd.Timestamp(row["last_order"]).date() if pd.notna(row["last_order"]) else None
    status = snap.meta.get("model_status", {})
    ready = [m for m, s in status.items() if s.get("available")]
    missing = {m: s.get("reason") for m, s in status.items() if not s.get("available")}
    report = snap.meta.get("load_report", {})
    facts = {"customers": int(row["customers"]), "orders": int(row["orders"]), "revenue": round(float(row["revenue"] or 0), 2),
             "first_order": str(row["first_order"]), "last_order": str(row["last_order"]), "as_of": snap.as_of.isoformat(),
             "source": report.get("file"), "models_ready": ready, "models_missing": missing,
             "anonymous_lines": anonymous}
    sales = (f"{count(facts['customers'])} customers placed {count(facts['orders'])} orders worth {money(facts['revenue'])}"
             if not anonymous else
             f"{count(facts['orders'])} orders worth {money(facts['revenue'])} (incl. {count(anonymous)} anonymous sales "
             f"lines with no customer; {count(facts['customers'])} customers)")
    summary = (f"{sales} between {facts['first_order']} and {facts['last_order']} (as of {facts['as_of']}). "
               + (f"Models ready: {', '.join(ready)}." if ready else "No models are built yet; run `tierwise build`.")
               + (" Not available: " + "; ".join(f"{m} ({r})" for m, r in missing.items()) + "." if missing else ""))
    table = pd.DataFrame([{"measure": k, "value": v} for k, v in facts.items() if not isinstance(v, (list, dict))])
    return ToolResult(summary=summary, facts=facts, tables=[frame_to_table("Dataset", table)])


def _metric_rows(card: dict, keys: list[str]) -> list[dict]:
    return [{"metric": k, "value": card[k]} for k in keys if k in card and not isinstance(card[k], (dict, list))]


def explain_model(ctx: ToolContext, *, model: ModelName = "churn") -> ToolResult:
    """Model card of churn, clv, tiers, segments, personas or recommendations: definition, features, metrics vs baselines."""
    if model not in MODEL_NAMES:
        raise TierwiseError(f"Unknown model '{model}'. Choose one of {', '.join(MODEL_NAMES)}.")
    snap = ctx.snapshot
    card = snap.meta.get("model_cards", {}).get(model)
    if not card:
        reason = snap.meta.get("model_status", {}).get(model, {}).get("reason", "models are not built yet")
        raise TierwiseError(f"The {model} model is not available: {reason}")
    tables = []
    if model == "churn":
        base = card.get("baselines", {})
        rows = [{"model": "churn model", "auc": card.get("auc"), "pr_auc": card.get("pr_auc"), "brier": card.get("brier")}]
        rows += [{"model": name.replace("_", " "), **{k: b.get(k) for k in ("auc", "pr_auc", "brier")}} for name, b in base.items()]
        tables.append(frame_to_table("Churn model vs baselines", pd.DataFrame(rows)))
        best_base = max((b.get("auc") or 0 for b in base.values()), default=0)
        summary = (f"Churn = no order in the next {card.get('horizon_days')} days. On held-out customers the model "
                   f"ranks churners with ROC-AUC {card.get('auc', 0):.3f} (best baseline {best_base:.3f}), "
                   f"Brier {card.get('brier', 0):.3f}, top-decile lift {card.get('top_decile_lift', 0):.2f}×. "
                   f"{card.get('validation', '')}")
        if card.get("feature_importance"):
            imp = card["feature_importance"]
            imp_rows = imp if isinstance(imp, list) else [{"feature": k, "importance": v} for k, v in imp.items()]
            tables.append(frame_to_table("Most important features", pd.DataFrame(imp_rows)))
    elif model == "clv":
        bg, gg = card["bgnbd"], card["gamma_gamma"]
        summary = (f"{card['definition']}. BG/NBD r={bg['r']:.4f}, alpha={bg['alpha']:.4f}, a={bg['a']:.4f}, "
                   f"b={bg['b']:.4f} ({card['time_unit']}); Gamma-Gamma p={gg['p']:.3f}, q={gg['q']:.3f}, "
                   f"gamma={gg['gamma']:.3f}. Expected revenue next 12 months: {money(card.get('total_expected_revenue_12m'))}.")
        if card.get("backtest"):
            tables.append(frame_to_table("Backtest", pd.DataFrame([card["backtest"]])))
    elif model == "tiers":
        clf = card.get("young_customer_classifier", {})
        summary = f"Value tiers: {card['definition']}. Sizes: " + ", ".join(f"{k} {count(v)}" for k, v in card.get("sizes", {}).items()) + "."
        if clf.get("accuracy") is not None:
            summary += (f" Young customers' tier is predicted from their first weeks with accuracy {clf['accuracy']:.1%} "
                        f"(majority baseline {clf['majority_baseline_accuracy']:.1%}).")
        shares = card.get("value_share", {})
        tables.append(frame_to_table("Tiers", pd.DataFrame([{"tier": t, "customers": card.get("sizes", {}).get(t),
                                                               "value_share": shares.get(t), "min_value": card.get("thresholds", {}).get(t)}
                                                              for t in ("high", "mid", "low")])))
    elif model == "segments":
        summary = f"RFM segments: {card['definition']}."
        tables.append(frame_to_table("Segment rules", pd.DataFrame(card["rules"])))
    elif model == "personas":
        summary = (f"{card['definition']} k={card['k']} (silhouette {card['silhouette']:.2f}). Personas: "
                   + ", ".join(card.get("names", [])) + ".")
        if card.get("profiles"):
            tables.append(frame_to_table("Persona profiles", pd.DataFrame(card["profiles"])))
    else:
        summary = (f"{card['definition']}. Hit-rate@{card.get('k')} on a time split: {card.get('hit_rate', 0):.1%} vs "
                   f"{card.get('popularity_hit_rate', 0):.1%} for plain popularity "
                   f"({(card.get('lift_over_popularity') or 0):.2f}×).")
    if model == "churn" and (card.get("vs_bgnbd") or {}).get("sentence"):
        summary += " Against BG/NBD: " + card["vs_bgnbd"]["sentence"]
    if model == "clv" and card.get("flat_sentence"):
        summary += " " + card["flat_sentence"]
    verdict = card.get("verdict") if isinstance(card.get("verdict"), dict) else None
    if verdict:  # the verdict in words leads the answer
        summary = f"Verdict — {verdict['sentence']} {summary}"
    metrics = [{"metric": k, "value": v} for k, v in card.items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if metrics:
        tables.append(frame_to_table("Metrics", pd.DataFrame(metrics)))
    facts = {"model": model, "card": card}
    if verdict:
        facts["verdict"] = verdict["verdict"]
    return ToolResult(summary=summary, facts=facts, tables=tables)
