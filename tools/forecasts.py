"""Tools about the future and money: CLV forecasts, campaign ROI, A/B tests."""

from __future__ import annotations

import re
from typing import Any, Literal

import numpy as np
import pandas as pd

from tools import charts, verdicts
from tools.audience import AudienceFilters, describe
from tools.context import ToolContext
from tools.customers import audience_where
from tools.errors import TierwiseError
from tools.experiments import ab_test as run_ab_test
from tools.experiments import campaign_roi
from tools.metrics import audience_conditions
from tools.results import ToolResult, count, frame_to_table, money
from tools.settings import is_default, share


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
               coalesce(f.mean_repeat_day_spend, 0) AS m, f.purchase_days, f.total_spend
        FROM (SELECT * FROM customer_view WHERE {where}) v JOIN features f USING (customer_id)""", params)
    if frame.empty:
        return frame.assign(expected_orders=[], expected_revenue=[])
    if verdicts.at_baseline(ctx.snapshot.meta, "clv"):
        from tools.value import historical_average

        frame["expected_orders"], frame["expected_revenue"] = historical_average(frame, horizon_days)
        return frame
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
    notice = verdicts.notice(ctx.snapshot.meta, "clv")
    method = "historical averages" if notice else "BG/NBD + Gamma-Gamma"
    summary = (f"Over the next {horizon_days} days, {count(len(frame))} customers ({describe(filters)}) are expected "
               f"to place {total_orders:,.0f} repeat orders worth {money(total_rev)} ({method}; "
               f"new customers not included).")
    summary = f"{notice} {summary}" if notice else summary
    chart = charts.bar(f"Expected revenue, next {horizon_days} days, by tier", by_tier["tier"].tolist(),
                       by_tier["expected_revenue"].round(2).tolist(), y_title="expected revenue")
    return ToolResult(summary=summary, chart=chart, audience=filters.active(),
                      facts={**({"notice": notice} if notice else {}), "horizon_days": horizon_days, "customers": len(frame),
                             "expected_revenue": round(total_rev, 2), "expected_orders": round(total_orders, 1),
                             "by_tier": by_tier.round(2).to_dict(orient="records")},
                      tables=[frame_to_table("By tier", by_tier), frame_to_table("By segment", by_segment)])


Offer = Literal["percent", "amount", "free_shipping", "none"]
MessageChannel = Literal["email", "sms", "push"]


# A numeric order column holding what an order paid for shipping ("Order Shipping", "shipping_fee", 运费), not a
# discount on it ("Shipping Discount")
SHIPPING_AMOUNT = re.compile(r"ship|deliver|freight|postage|courier|运费|邮费|快递费|配送费", re.I)
NOT_SHIPPING_AMOUNT = re.compile(r"discount|rebate|refund|tax|type|method|weight|days|time|折扣|优惠|退|税|方式|重量|时", re.I)


def shipping_paid(ctx: ToolContext, audience: list[dict[str, Any]] | None = None) -> tuple[float, str] | None:
    """(average paid for shipping per order, the column's label) from the data's own shipping amounts, over the
    audience's orders; None when the data has no such column or no shipping was paid. What customers paid to ship an
    order is what free shipping gives away on it."""
    from tools.metrics import run_metrics

    for attribute in ctx.snapshot.meta.get("attributes") or []:
        name, label = str(attribute.get("name") or ""), str(attribute.get("label") or attribute.get("name") or "")
        if attribute.get("type") != "numeric" or attribute.get("grain") != "order" \
                or not SHIPPING_AMOUNT.search(f"{name} {label}") or NOT_SHIPPING_AMOUNT.search(f"{name} {label}"):
            continue
        try:
            frame, _ = run_metrics(ctx, metrics=[f"avg_{name}"], audience=audience or None)
        except TierwiseError:
            continue
        value = frame.iloc[0][f"avg_{name}"] if len(frame) else None
        if value is not None and not pd.isna(value) and float(value) > 0:
            return float(value), label
    return None


def _offer(ctx: ToolContext, *, offer_percent: float | None, offer_cost: float | None, free_shipping: bool,
           shipping_cost: float | None, order_value: float | None,
           audience: list[dict[str, Any]] | None = None) -> tuple[Offer, float, str, dict[str, Any]]:
    """(kind, cost per redeemer, how it was costed, where a free shipping cost came from) of the one offer given."""
    given = [name for name, value in (("offer_percent", offer_percent), ("offer_cost", offer_cost),
                                      ("free_shipping", free_shipping or None)) if value is not None]
    if len(given) > 1:
        raise TierwiseError(f"Give one offer, not {' and '.join(given)}: a percentage off (offer_percent), "
                            "an amount off (offer_cost) or free shipping.")
    if offer_percent is not None:
        if not 0 < offer_percent < 100:
            raise TierwiseError(f"offer_percent is the percentage off, above 0 and below 100 (10 for 10% off); "
                                f"got {offer_percent}.")
        if not order_value:
            raise TierwiseError("A percentage offer is costed on the audience's average order value, and this "
                                "audience has no completed orders to take it from.")
        return "percent", offer_percent / 100 * order_value, f"{offer_percent:g}% of the audience's average order value {money(order_value)}", {}
    if offer_cost is not None:
        if offer_cost < 0:
            raise TierwiseError(f"offer_cost must be 0 or more; got {offer_cost}.")
        return "amount", float(offer_cost), f"{money(offer_cost)} off per redeemer", {}
    if free_shipping:
        cost = shipping_cost if shipping_cost is not None else ctx.settings.get("shipping_cost")
        if cost is not None:
            if cost < 0:
                raise TierwiseError(f"shipping_cost must be 0 or more; got {cost}.")
            return "free_shipping", float(cost), f"free shipping at {money(cost)} per order", {"source": "setting"}
        # no cost set: estimated, and the answer says how and where to set the real one
        how = "set yours with `tierwise settings --shipping-cost` or in the Settings tab"
        paid = shipping_paid(ctx, audience)
        if paid:
            costed = (f"free shipping at {money(paid[0])} per order, what these customers' orders paid for shipping on "
                      f"average ('{paid[1]}'; no shipping cost is set: {how})")
            return "free_shipping", paid[0], costed, {"source": "data", "column": paid[1]}
        share_of_order = float(ctx.settings.get("shipping_cost_share") or 0.0)
        if not order_value or not share_of_order:
            raise TierwiseError("Free shipping is costed at what one shipment costs you, which is not set and cannot "
                                "be estimated from this data: run `tierwise settings --shipping-cost 4.90` (or set it "
                                "in the Settings tab).")
        cost = share_of_order * order_value
        return "free_shipping", cost, (f"free shipping at an assumed {share_of_order:.0%} of the average order value, "
                                       f"{money(cost)} per order (no shipping cost is set and the data has no shipping "
                                       f"amounts: {how})"), {"source": "assumed", "share": share_of_order}
    return "none", 0.0, "no offer, the message only", {}


def campaign_forecast(ctx: ToolContext, audience: AudienceFilters | None = None, *,
                      offer_percent: float | None = None, offer_cost: float | None = None,
                      free_shipping: bool = False, shipping_cost: float | None = None,
                      save_rate: float = 0.2, save_rate_low: float | None = None, save_rate_high: float | None = None,
                      margin: float | None = None, message_channel: MessageChannel = "email",
                      horizon_days: int = 90) -> ToolResult:
    """Campaign economics of an offer to an audience (offer_percent=10 is 10% off, offer_cost an amount off per redeemer, or free_shipping): ROI on gross margin with a low/expected/high band, the break-even save rate and the holdout size to measure it.

    The offer is a percentage off (offer_percent=10 for "10% off" or 九折, costed on the audience's
    average order value), an amount off per redeemer (offer_cost=5 for "$5 off" or 减5元), free
    shipping (free_shipping=true, at the shipping cost setting; unset, at what the audience's orders paid for
    shipping in the data, else at the shipping_cost_share setting of the average order value, said so) or none.
    margin defaults to the
    workspace setting; message_channel prices each message sent (settings send_cost_email/sms/push).
    """
    if not 1 <= horizon_days <= 3650:
        raise TierwiseError(f"horizon_days must be between 1 and 3650; got {horizon_days}.")
    if message_channel not in ("email", "sms", "push"):
        raise TierwiseError(f"Unknown message_channel '{message_channel}'. Choose one of email, sms, push.")
    filters, where, params = audience_where(ctx, audience)
    frame = expected_value(ctx, where, params, horizon_days)
    if frame.empty:
        return ToolResult(summary=f"No customers match ({describe(filters)}).", audience=filters.active())
    if frame["churn_probability"].isna().all():
        raise TierwiseError("The churn model is not available, so saved revenue cannot be estimated.")
    aov = ctx.snapshot.scalar(f"SELECT sum(total_spend) / nullif(sum(orders), 0) FROM customer_view WHERE {where}", params)
    aov = None if aov is None or pd.isna(aov) else float(aov)
    kind, per_redeemer, costed, shipping = _offer(ctx, offer_percent=offer_percent, offer_cost=offer_cost,
                                        free_shipping=free_shipping, shipping_cost=shipping_cost, order_value=aov,
                                        audience=audience_conditions(filters.active()) if free_shipping else None)
    source = ("given" if margin is not None else "the default (set yours with `tierwise settings --margin`)"
              if is_default(ctx.workspace_home, "margin") else "workspace setting")
    margin = share(ctx.settings.get("margin") if margin is None else margin)
    send = float(ctx.settings.get(f"send_cost_{message_channel}") or 0.0)
    roi = campaign_roi(frame["churn_probability"].fillna(0).to_numpy(), frame["expected_revenue"].to_numpy(),
                       cost_per_redeemer=per_redeemer, margin=margin, save_rate=save_rate,
                       save_rate_low=save_rate_low, save_rate_high=save_rate_high,
                       send_cost_per_message=send, horizon_days=horizon_days)
    roi["offer"] = {"kind": kind, "percent": offer_percent if kind == "percent" else None,
                    "cost_per_redeemer": per_redeemer, "costed_as": costed, **({"shipping": shipping} if shipping else {})}
    roi["average_order_value"] = aov
    roi["margin_is_default"] = source.startswith("the default")
    roi["assumptions"].update({
        "offer": costed, "average_order_value": aov, "message_channel": message_channel,
        "margin_source": source,
    })
    roi["currency"] = ctx.currency
    summary = _forecast_summary(roi, describe(filters))
    notices = [n for n in (verdicts.notice(ctx.snapshot.meta, m) for m in ("clv", "churn")) if n]
    if notices:  # the assumptions rest on models no better than their baselines: say so first
        roi["assumptions"]["models_at_baseline"] = " ".join(notices)
        summary = " ".join(notices) + " " + summary
    band = roi["band"]
    rows = pd.DataFrame([{"case": case, "save rate": round(b["save_rate"], 4), "redeemers": round(b["redeemers"], 1),
                          "saved margin": round(b["expected_saved_margin"], 2), "cost": round(b["cost"], 2),
                          "net": round(b["net"], 2), "ROI": None if b["roi"] is None else round(b["roi"], 4)}
                         for case, b in band.items()])
    assumptions = pd.DataFrame([{"item": k, "value": v} for k, v in roi["assumptions"].items()])
    return ToolResult(summary=summary, audience=filters.active(), facts=roi,
                      tables=[frame_to_table("Campaign economics", rows), frame_to_table("Assumptions", assumptions)],
                      chart=charts.bar("Campaign economics", [f"{b['save_rate']:.0%}" for b in band.values()],
                                       [round(b["net"], 2) for b in band.values()], y_title="net"))


def _forecast_summary(roi: dict[str, Any], who: str) -> str:
    a, band, hold = roi["assumptions"], roi["band"], roi["holdout"]
    pct = lambda x: "—" if x is None else f"{x:.0%}"  # noqa: E731
    verdict = "it pays back" if roi["net"] > 0 else "it does not pay back"
    even = (f"It breaks even at a save rate of {max(roi['break_even_save_rate'], 0.001):.1%}." if roi["break_even_save_rate"] is not None
            else "No save rate makes it pay back.")
    need = hold["per_group"]
    holdout = ("" if need is None else
               f" To measure it, hold out {count(need)} customers (and treat at least as many)"
               + ("." if hold["measurable"] else f"; this audience of {count(roi['customers'])} is too small for that."))
    redeemers = f" ({roi['redeemers']:,.0f} redeemers)" if roi["offer"]["kind"] != "none" else ""
    return (f"Offer: {a['offer']}, to {count(roi['customers'])} customers ({who}) by {a['message_channel']}. "
            f"At a save rate of {a['save_rate']:.0%} over {a['horizon_days']} days it saves {money(roi['expected_saved_revenue'])} "
            f"of revenue, {money(roi['expected_saved_margin'])} of margin at {a['margin']:.0%}, for a cost of {money(roi['cost'])}"
            f"{redeemers}: net {money(roi['net'])}, ROI {pct(roi['roi'])}; {verdict}. "
            f"ROI from {pct(band['low']['roi'])} to {pct(band['high']['roi'])} for save rates of "
            f"{band['low']['save_rate']:.0%}–{band['high']['save_rate']:.0%}. {even}{holdout}")


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
