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


def campaign_roi(churn_probability, expected_value, *, offer_cost: float, save_rate: float = 0.2,
                 horizon_days: int = 90) -> dict[str, Any]:
    """Expected saved revenue = Σ P(churn) × expected value × save rate; cost = offer cost per customer."""
    p = np.asarray(churn_probability, dtype=float)
    v = np.asarray(expected_value, dtype=float)
    if p.shape != v.shape:
        raise TierwiseError("Each customer needs both a churn probability and an expected value.")
    if offer_cost < 0:
        raise TierwiseError(f"offer_cost must be 0 or more; got {offer_cost}.")
    if not 0 <= save_rate <= 1:
        raise TierwiseError(f"save_rate is a share between 0 and 1 (e.g. 0.2 for 20%); got {save_rate}.")
    n = int(p.size)
    saved = float(np.nansum(p * v) * save_rate)
    cost = float(n * offer_cost)
    return {
        "customers": n,
        "revenue_at_risk": float(np.nansum(p * v)),
        "expected_saved_revenue": saved,
        "cost": cost,
        "net": saved - cost,
        "roi": (saved - cost) / cost if cost > 0 else None,
        "assumptions": {
            "offer_cost_per_customer": offer_cost,
            "save_rate": save_rate,
            "horizon_days": horizon_days,
            "value_basis": f"expected revenue per customer over the next {horizon_days} days (CLV model)",
            "churn_basis": "calibrated churn probability from the churn model",
            "every_customer_receives_the_offer": True,
        },
    }
