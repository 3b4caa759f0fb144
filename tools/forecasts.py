"""Tools about the future and money: CLV forecasts, campaign ROI, A/B tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tools import charts
from tools.audience import AudienceFilters, describe
from tools.context import ToolContext
from tools.customers import audience_where
from tools.errors import TierwiseError
from tools.experiments import ab_test as run_ab_test
from tools.experiments import campaign_roi
from tools.results import ToolResult, count, frame_to_table, money


def _fitted_models(ctx: ToolContext):
    from tools.clv import BetaGeoModel, GammaGammaModel

    card = ctx.snapshot.meta.get("model_cards", {}).get("clv")
    if not card:
        reason = ctx.snapshot.meta.get("model_status", {}).get("clv", {}).get("reason", "it was not built")
        raise TierwiseError(f"The CLV model is not available: {reason}")
    bg = BetaGeoModel(time_unit="weeks")
    p = card["bgnbd"]
    bg.r_, bg.alpha_, bg.a_, bg.b_ = p["r"], p["alpha"], p["a"], p["b"]
    gg = GammaGammaModel()
    g = card["gamma_gamma"]
    # the spend cap applied when the model was built applies to its predictions too
    gg.p_, gg.q_, gg.gamma_, gg.cap_ = g["p"], g["q"], g["gamma"], card.get("spend_cap")
    return bg, gg


def expected_value(ctx: ToolContext, where: str, params: list, horizon_days: int) -> pd.DataFrame:
    """Per customer of the audience: expected orders and revenue over the horizon, with tier/segment."""
    from tools.clv import customer_lifetime_value

    bg, gg = _fitted_models(ctx)
    frame = ctx.snapshot.query(f"""
        SELECT v.customer_id, v.tier, v.segment, v.churn_probability, f.frequency, f.bgnbd_t_x_days, f.tenure_days,
               coalesce(f.mean_repeat_day_spend, 0) AS m
        FROM (SELECT * FROM customer_view WHERE {where}) v JOIN features f USING (customer_id)""", params)
    if frame.empty:
        return frame.assign(expected_orders=[], expected_revenue=[])
    x = frame["frequency"].to_numpy(float)
    t_x = frame["bgnbd_t_x_days"].to_numpy(float) / 7
    T = frame["tenure_days"].to_numpy(float) / 7
    h = horizon_days / 7
    frame["expected_orders"] = bg.expected_purchases(h, x, t_x, T)
    frame["expected_revenue"] = customer_lifetime_value(bg, gg, x, t_x, T, frame["m"].to_numpy(float), horizon=h)
    return frame


def clv_forecast(ctx: ToolContext, audience: AudienceFilters | None = None, *, horizon_days: int = 365) -> ToolResult:
    """Expected orders and revenue over the next horizon_days, by tier and segment, from the BG/NBD + Gamma-Gamma model."""
    if not 1 <= horizon_days <= 3650:
        raise TierwiseError(f"horizon_days must be between 1 and 3650; got {horizon_days}.")
    filters, where, params = audience_where(ctx, audience)
    frame = expected_value(ctx, where, params, horizon_days)
    if frame.empty:
        return ToolResult(summary=f"No customers match ({describe(filters)}).", audience=filters.active())
    by_tier = (frame.groupby("tier").agg(customers=("customer_id", "size"), expected_orders=("expected_orders", "sum"),
                                          expected_revenue=("expected_revenue", "sum"))
               .reindex(["high", "mid", "low"]).dropna(how="all").reset_index())
    by_segment = (frame.groupby("segment").agg(customers=("customer_id", "size"), expected_orders=("expected_orders", "sum"),
                                                expected_revenue=("expected_revenue", "sum"))
                  .sort_values("expected_revenue", ascending=False).reset_index())
    total_rev, total_orders = float(frame["expected_revenue"].sum()), float(frame["expected_orders"].sum())
    summary = (f"Over the next {horizon_days} days, {count(len(frame))} customers ({describe(filters)}) are expected "
               f"to place {total_orders:,.0f} repeat orders worth {money(total_rev)} (BG/NBD + Gamma-Gamma; "
               f"new customers not included).")
    chart = charts.bar(f"Expected revenue, next {horizon_days} days, by tier", by_tier["tier"].tolist(),
                       by_tier["expected_revenue"].round(2).tolist(), y_title="expected revenue")
    return ToolResult(summary=summary, chart=chart, audience=filters.active(),
                      facts={"horizon_days": horizon_days, "customers": len(frame),
                             "expected_revenue": round(total_rev, 2), "expected_orders": round(total_orders, 1),
                             "by_tier": by_tier.round(2).to_dict(orient="records")},
                      tables=[frame_to_table("By tier", by_tier), frame_to_table("By segment", by_segment)])


def campaign_forecast(ctx: ToolContext, audience: AudienceFilters | None = None, *, offer_cost: float = 10.0,
                      save_rate: float = 0.2, horizon_days: int = 90) -> ToolResult:
    """Campaign ROI for an audience: expected saved revenue = Σ P(churn) × expected value × save rate, minus the offer cost."""
    filters, where, params = audience_where(ctx, audience)
    frame = expected_value(ctx, where, params, horizon_days)
    if frame.empty:
        return ToolResult(summary=f"No customers match ({describe(filters)}).", audience=filters.active())
    if frame["churn_probability"].isna().all():
        raise TierwiseError("The churn model is not available, so saved revenue cannot be estimated.")
    roi = campaign_roi(frame["churn_probability"].fillna(0).to_numpy(), frame["expected_revenue"].to_numpy(),
                       offer_cost=offer_cost, save_rate=save_rate, horizon_days=horizon_days)
    verdict = "pays back" if roi["net"] > 0 else "does not pay back"
    summary = (f"Sending an offer costing {money(offer_cost)} to {count(roi['customers'])} customers "
               f"({describe(filters)}) costs {money(roi['cost'])}. With a save rate of {save_rate:.0%}, expected saved "
               f"revenue over {horizon_days} days is {money(roi['expected_saved_revenue'])}: net {money(roi['net'])}, "
               f"ROI {roi['roi']:.0%} — it {verdict}." if roi["roi"] is not None else
               f"Expected saved revenue {money(roi['expected_saved_revenue'])} at no cost.")
    rows = pd.DataFrame([{"item": k, "value": v} for k, v in roi["assumptions"].items()])
    return ToolResult(summary=summary, audience=filters.active(), facts=roi,
                      tables=[frame_to_table("Assumptions", rows)],
                      chart=charts.bar("Campaign economics", ["cost", "expected saved revenue", "net"],
                                       [round(roi["cost"], 2), round(roi["expected_saved_revenue"], 2), round(roi["net"], 2)]))


def ab_test(ctx: ToolContext, *, visitors_a: int, conversions_a: int, visitors_b: int, conversions_b: int,
            alpha: float = 0.05) -> ToolResult:
    """A/B test on conversions: lift of B over A with a confidence interval, p-value, verdict and the sample size needed."""
    r = run_ab_test(visitors_a, conversions_a, visitors_b, conversions_b, alpha=alpha)
    rel = f"{r['relative_lift']:+.1%}" if r["relative_lift"] is not None else "n/a"
    lo, hi = r["ci_absolute"]
    need = r["sample_size_per_variant"]
    summary = (f"A converts at {r['rate_a']:.2%}, B at {r['rate_b']:.2%}: lift {rel} "
               f"({(1 - alpha):.0%} CI for the difference {lo:+.2%} to {hi:+.2%}), p = {r['p_value']:.4f}. "
               f"Verdict: {r['verdict']}."
               + (f" To detect a lift this size reliably you need about {need:,} visitors per variant." if need else ""))
    table = pd.DataFrame({"variant": ["A", "B"], "visitors": [visitors_a, visitors_b],
                          "conversions": [conversions_a, conversions_b], "rate": [r["rate_a"], r["rate_b"]]})
    chart = charts.bar("Conversion rate", ["A", "B"], [round(r["rate_a"], 5), round(r["rate_b"], 5)], y_title="rate")
    chart["data"][0]["error_y"] = {"type": "data", "array": [0, round((hi - lo) / 2, 5)], "visible": True}
    return ToolResult(summary=summary, facts=r, tables=[frame_to_table("A/B result", table)], chart=chart)
