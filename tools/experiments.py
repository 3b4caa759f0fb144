"""A/B tests on conversions and campaign ROI, with every assumption stated in the result."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.stats import norm

from tools.errors import TierwiseError


def _check_counts(name: str, visitors: int, conversions: int) -> None:
    for label, value in ((f"visitors_{name}", visitors), (f"conversions_{name}", conversions)):
        if value is None or value < 0 or int(value) != value:
            raise TierwiseError(f"{label} must be a whole number of 0 or more; got {value!r}.")
    if visitors == 0:
        raise TierwiseError(f"visitors_{name} is 0: a variant needs visitors to compare.")
    if conversions > visitors:
        raise TierwiseError(
            f"conversions_{name} ({conversions}) cannot exceed visitors_{name} ({visitors})."
        )


def required_sample_size(baseline_rate: float, target_rate: float, *, alpha: float = 0.05,
                         power: float = 0.8) -> int | None:
    """Visitors per variant to detect target vs baseline (two-sided), via Cohen's h; None if equal."""
    h = abs(2 * math.asin(math.sqrt(target_rate)) - 2 * math.asin(math.sqrt(baseline_rate)))
    if h == 0:
        return None
    z = norm.ppf(1 - alpha / 2) + norm.ppf(power)
    # 2·asin(√p) has variance 1/n per group, so the difference of two groups has 2/n
    return math.ceil(2 * (z / h) ** 2)


def ab_test(visitors_a: int, conversions_a: int, visitors_b: int, conversions_b: int, *,
            alpha: float = 0.05, power: float = 0.8, target_lift: float | None = None) -> dict[str, Any]:
    """Two-proportion z-test (pooled), lift of B over A with a Wald interval, and the sample size
    needed per variant to detect `target_lift` (relative; default the observed lift)."""
    _check_counts("a", visitors_a, conversions_a)
    _check_counts("b", visitors_b, conversions_b)
    if not 0 < alpha < 0.5:
        raise TierwiseError(f"alpha must be between 0 and 0.5 (e.g. 0.05); got {alpha}.")
    p_a, p_b = conversions_a / visitors_a, conversions_b / visitors_b
    pooled = (conversions_a + conversions_b) / (visitors_a + visitors_b)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / visitors_a + 1 / visitors_b))
    diff = p_b - p_a
    z = diff / se_pooled if se_pooled > 0 else 0.0
    p_value = float(2 * norm.sf(abs(z)))
    se = math.sqrt(p_a * (1 - p_a) / visitors_a + p_b * (1 - p_b) / visitors_b)
    z_crit = norm.ppf(1 - alpha / 2)
    ci = (diff - z_crit * se, diff + z_crit * se)
    relative = diff / p_a if p_a > 0 else None
    if p_value < alpha:
        verdict = "B wins" if diff > 0 else "A wins"
    else:
        verdict = "no significant difference"
    lift = target_lift if target_lift is not None else relative
    target_rate = min(1.0, p_a * (1 + lift)) if lift is not None else None
    needed = required_sample_size(p_a, target_rate, alpha=alpha, power=power) if target_rate is not None else None
    return {
        "rate_a": p_a, "rate_b": p_b,
        "absolute_lift": diff, "relative_lift": relative,
        "ci_absolute": list(ci),
        "ci_relative": [c / p_a for c in ci] if p_a > 0 else None,
        "z": z, "p_value": p_value, "alpha": alpha, "verdict": verdict,
        "sample_size_per_variant": needed,
        "sample_size_for_relative_lift": lift, "power": power,
        "assumptions": [
            "visitors are independent and randomly assigned to A or B",
            f"two-sided two-proportion z-test with pooled variance at alpha = {alpha}",
            f"{int((1 - alpha) * 100)}% Wald interval for the difference in conversion rate",
            f"sample size by Cohen's h at power {power}",
        ],
    }


def _outcome(save_rate: float, *, at_risk_value: float, at_risk_customers: float, buying_anyway: float,
             cost_per_redeemer: float, send_cost: float, margin: float) -> dict[str, Any]:
    """The campaign at one save rate: who redeems, what it costs, what margin it saves."""
    redeemers = save_rate * at_risk_customers + buying_anyway
    offer_cost = redeemers * cost_per_redeemer
    cost = offer_cost + send_cost
    saved_revenue = save_rate * at_risk_value
    saved_margin = margin * saved_revenue
    return {"save_rate": save_rate, "redeemers": redeemers, "expected_saved_revenue": saved_revenue,
            "expected_saved_margin": saved_margin, "offer_cost": offer_cost, "send_cost": send_cost, "cost": cost,
            "net": saved_margin - cost, "roi": (saved_margin - cost) / cost if cost > 0 else None}


def campaign_roi(churn_probability, expected_value, *, cost_per_redeemer: float, margin: float,
                 save_rate: float = 0.2, save_rate_low: float | None = None, save_rate_high: float | None = None,
                 send_cost_per_message: float = 0.0, horizon_days: int = 90, alpha: float = 0.05,
                 power: float = 0.8) -> dict[str, Any]:
    """The economics of an offer sent to every customer of an audience, on gross margin.

    Saved revenue = Σ P(churn) × expected value × save rate (customers who would have left and stay);
    saved margin = margin × saved revenue. The offer is paid by every redeemer: the saved customers
    (save rate × Σ P(churn)) and those who would have ordered anyway (Σ (1 − P(churn))), who use it on
    an order they would have placed at full price. Every message sent costs `send_cost_per_message`.
    ROI = (saved margin − cost) / cost, at the save rate and at the ends of its range; the break-even
    save rate makes the net zero; the holdout is the group size a two-proportion test needs to tell the
    treated customers' order rate (1 − P(churn) + save rate × P(churn)) from the holdout's.
    """
    p = np.asarray(churn_probability, dtype=float)
    v = np.asarray(expected_value, dtype=float)
    if p.shape != v.shape:
        raise TierwiseError("Each customer needs both a churn probability and an expected value.")
    for name, value in (("cost_per_redeemer", cost_per_redeemer), ("send_cost_per_message", send_cost_per_message)):
        if value < 0:
            raise TierwiseError(f"{name} must be 0 or more; got {value}.")
    if not 0 < margin <= 1:
        raise TierwiseError(f"margin is a share above 0 and at most 1 (e.g. 0.4 for 40%); got {margin}.")
    low = save_rate / 2 if save_rate_low is None else save_rate_low
    high = min(1.0, save_rate * 1.5) if save_rate_high is None else save_rate_high
    for name, value in (("save_rate", save_rate), ("save_rate_low", low), ("save_rate_high", high)):
        if not 0 <= value <= 1:
            raise TierwiseError(f"{name} is a share between 0 and 1 (e.g. 0.2 for 20%); got {value}.")
    if not low <= save_rate <= high:
        raise TierwiseError(f"The save-rate range must hold the expected rate: {low:.0%} ≤ {save_rate:.0%} ≤ {high:.0%} "
                            "does not hold.")
    n = int(p.size)
    at_risk_value = float(np.nansum(p * v))
    at_risk_customers = float(np.nansum(p))
    buying_anyway = n - at_risk_customers
    sends = n * send_cost_per_message
    economics = dict(at_risk_value=at_risk_value, at_risk_customers=at_risk_customers, buying_anyway=buying_anyway,
                     cost_per_redeemer=cost_per_redeemer, send_cost=sends, margin=margin)
    expected = _outcome(save_rate, **economics)
    band = {"low": _outcome(low, **economics), "expected": expected, "high": _outcome(high, **economics)}

    # net(s) = margin·s·Σpv − c·(s·Σp + Σ(1−p)) − sends = 0
    slope = margin * at_risk_value - cost_per_redeemer * at_risk_customers
    fixed = cost_per_redeemer * buying_anyway + sends
    break_even = fixed / slope if slope > 0 else None
    if break_even is not None and break_even > 1:
        break_even = None  # no save rate pays back

    baseline = buying_anyway / n if n else 0.0
    treated = baseline + save_rate * (at_risk_customers / n if n else 0.0)
    per_group = required_sample_size(baseline, min(treated, 1.0), alpha=alpha, power=power) if n else None
    return {
        "customers": n,
        "revenue_at_risk": at_risk_value,
        **{k: expected[k] for k in ("redeemers", "expected_saved_revenue", "expected_saved_margin", "offer_cost",
                                     "send_cost", "cost", "net", "roi")},
        "band": band,
        "break_even_save_rate": break_even,
        "holdout": {"per_group": per_group, "baseline_order_rate": baseline, "treated_order_rate": treated,
                    "measurable": per_group is not None and 2 * per_group <= n, "alpha": alpha, "power": power},
        "assumptions": {
            "cost_per_redeemer": cost_per_redeemer,
            "margin": margin,
            "save_rate": save_rate,
            "save_rate_low": low,
            "save_rate_high": high,
            "send_cost_per_message": send_cost_per_message,
            "horizon_days": horizon_days,
            "value_basis": f"expected revenue per customer over the next {horizon_days} days (CLV model)",
            "churn_basis": "calibrated churn probability from the churn model",
            "redeemers": "the saved customers and those who would have ordered anyway; each redeems once",
            "every_customer_receives_the_offer": True,
        },
    }
