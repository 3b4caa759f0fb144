"""Verdicts: every predictive model judged against its simple baseline on the shop's own history.

A model is fitted on data up to a cut, both it and its baseline predict what happened after the
cut, and the difference is measured on the same customers with a 95% confidence interval:

    good      better than the baseline, the interval excludes 0, and by at least the margin
    weak      better than the baseline and the interval excludes 0, but by less than the margin
    baseline  no better than the baseline as far as this history can tell (the interval holds 0,
              or the model is worse); tools that use the model then use the baseline instead

Baselines (the simplest thing a marketer would do without a model):
    churn            days since the last order (a logistic fit on log recency)
    clv              historical average: each customer keeps their past purchase rate and spend
    recommendations  the most popular products the customer has not bought
    tier classifier  every young customer gets the most common tier

Margins are data (MARGINS) and can be overridden per call.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
import pandas as pd

Verdict = Literal["good", "weak", "baseline"]
VERDICTS: tuple[Verdict, ...] = ("good", "weak", "baseline")
WORDS: dict[str, str] = {"good": "Good", "weak": "Weak", "baseline": "No better than the baseline"}

# Smallest improvement over the baseline that earns "good", per metric.
MARGINS: dict[str, float] = {
    "roc_auc": 0.02,           # AUC points
    "mae_reduction": 0.10,     # share of the baseline's error removed
    "hit_rate_lift": 0.10,     # relative: 10% more customers with a hit
    "accuracy": 0.02,          # accuracy points
}
CONFIDENCE_Z = 1.959963984540054   # two-sided 95%
BOOTSTRAP_ROUNDS = 300
BOOTSTRAP_CHUNK = 50               # rounds per vectorised pass (bounded memory)
MAX_BOOTSTRAP_ROWS = 20_000        # beyond this, a seeded stratified sample of the held-out rows


def judge(*, model: str, metric: str, model_value: float | None, baseline_value: float | None,
          baseline_name: str, difference: float | None, ci: tuple[float, float] | None, margin: float,
          n: int, fallback: str, detail: str = "", digits: int = 3) -> dict[str, Any]:
    """The verdict with the figures that decided it; `difference` and `ci` are oriented so that a
    positive value means the model is better than the baseline."""
    if difference is None or ci is None or model_value is None or baseline_value is None \
            or not all(math.isfinite(v) for v in (difference, *ci)):
        verdict: Verdict = "baseline"
        sentence = (f"No better than the baseline: the {model} could not be compared with {baseline_name} on this "
                    f"shop's history{': ' + detail if detail else ''}. Answers use {fallback} instead.")
        return {"verdict": verdict, "sentence": sentence, "metric": metric, "model": model_value,
                "baseline": baseline_value, "baseline_name": baseline_name, "difference": difference,
                "ci_low": None, "ci_high": None, "margin": margin, "n": int(n), "fallback": fallback}
    low, high = ci
    if low > 0 and difference >= margin:
        verdict = "good"
    elif low > 0:
        verdict = "weak"
    else:
        verdict = "baseline"
    f = lambda v: f"{v:.{digits}f}"  # noqa: E731
    s = lambda v: ("+" if v >= 0 else "−") + f"{abs(v):.{digits}f}"  # noqa: E731
    figures = (f"{metric} {f(model_value)} against {f(baseline_value)} for {baseline_name} "
               f"({s(difference)}, 95% CI {s(low)} to {s(high)}, {n:,} customers)")
    if verdict == "good":
        sentence = f"Good: {figures}."
    elif verdict == "weak":
        sentence = (f"Weak: better than {baseline_name}, but only by {s(difference)} (a good model gains at least "
                    f"{margin:.{digits}f}): {figures}.")
    else:
        sentence = (f"No better than the baseline: {figures}; the difference is within noise, so answers use "
                    f"{fallback} instead.")
    if detail:
        sentence += " " + detail
    return {"verdict": verdict, "sentence": sentence, "metric": metric, "model": float(model_value),
            "baseline": float(baseline_value), "baseline_name": baseline_name, "difference": float(difference),
            "ci_low": float(low), "ci_high": float(high), "margin": margin, "n": int(n), "fallback": fallback}


def mean_difference_ci(difference: np.ndarray) -> tuple[float, tuple[float, float]]:
    """Mean of paired per-customer differences and its normal 95% interval (customers are independent)."""
    d = np.asarray(difference, dtype=float)
    d = d[np.isfinite(d)]
    if len(d) < 2:
        return float("nan"), (float("nan"), float("nan"))
    mean = float(d.mean())
    half = CONFIDENCE_Z * float(d.std(ddof=1)) / math.sqrt(len(d))
    return mean, (mean - half, mean + half)


def auc_difference(y: np.ndarray, model: np.ndarray, baseline: np.ndarray, *, groups: np.ndarray | None = None,
                   seed: int = 42, rounds: int = BOOTSTRAP_ROUNDS) -> dict[str, Any]:
    """ROC-AUC of both scores on the same rows and a paired bootstrap 95% interval of their difference
    (model − baseline). Customers are resampled, both scores seeing the same draw; with `groups`
    (a customer id per row, when a customer has several rows) a customer's rows are drawn together."""
    y = np.asarray(y, dtype=int)
    model, baseline = np.asarray(model, dtype=float), np.asarray(baseline, dtype=float)
    groups = np.arange(len(y)) if groups is None else np.asarray(groups)
    keep = np.isfinite(model) & np.isfinite(baseline)
    y, model, baseline, groups = y[keep], model[keep], baseline[keep], groups[keep]
    out: dict[str, Any] = {"auc": None, "baseline_auc": None, "difference": None, "ci": None, "n": 0}
    codes, uniques = pd.factorize(groups)
    out["n"] = int(len(uniques))
    if len(y) < 10 or len(np.unique(y)) < 2:
        return out
    rng = np.random.default_rng(seed)
    full = np.ones((1, len(y)))
    auc_m, auc_b = float(_weighted_auc(model, y, full)[0]), float(_weighted_auc(baseline, y, full)[0])
    difference = auc_m - auc_b
    sample = len(uniques)
    if len(y) > MAX_BOOTSTRAP_ROWS:  # a seeded sample of customers; the spread is rescaled below
        sample = max(2, int(len(uniques) * MAX_BOOTSTRAP_ROWS / len(y)))
        picked = np.zeros(len(uniques), dtype=bool)
        picked[rng.choice(len(uniques), size=sample, replace=False)] = True
        rows = picked[codes]
        y_b, m_b, b_b = y[rows], model[rows], baseline[rows]
        codes_b = pd.factorize(codes[rows])[0]
    else:
        y_b, m_b, b_b, codes_b = y, model, baseline, codes
    diffs = []
    for start in range(0, rounds, BOOTSTRAP_CHUNK):
        size = min(BOOTSTRAP_CHUNK, rounds - start)
        counts = rng.multinomial(sample, np.full(sample, 1.0 / sample), size=size).astype(float)
        weights = counts[:, codes_b]  # every row of a drawn customer, as often as the customer was drawn
        diffs.append(_weighted_auc(m_b, y_b, weights) - _weighted_auc(b_b, y_b, weights))
    d = np.concatenate(diffs)
    d = d[np.isfinite(d)]
    if len(d) and sample < len(uniques):
        # the spread of a sample's bootstrap shrinks with sqrt(n) to the whole held-out set's
        d = difference + (d - d.mean()) * math.sqrt(sample / len(uniques))
    out.update(auc=auc_m, baseline_auc=auc_b, difference=difference,
               ci=(float(np.quantile(d, 0.025)), float(np.quantile(d, 0.975))) if len(d) else None)
    return out


def _weighted_auc(score: np.ndarray, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """ROC-AUC (ties count half) of one score under each row of case weights, all rounds at once:
    the score is sorted once and each round only sums weights per distinct score."""
    order = np.argsort(score, kind="mergesort")
    s, yy, w = score[order], y[order].astype(float), weights[:, order]
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    pos = np.add.reduceat(w * yy, starts, axis=1)
    neg = np.add.reduceat(w * (1.0 - yy), starts, axis=1)
    below = np.cumsum(neg, axis=1) - neg
    with np.errstate(invalid="ignore", divide="ignore"):
        return (pos * (below + 0.5 * neg)).sum(axis=1) / (pos.sum(axis=1) * neg.sum(axis=1))


def summary(cards: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{model: {verdict, sentence}} for every card that carries a verdict."""
    return {name: {"verdict": card["verdict"]["verdict"], "sentence": card["verdict"]["sentence"]}
            for name, card in cards.items()
            if isinstance(card, dict) and isinstance(card.get("verdict"), dict)}


NOTICES: dict[str, str] = {
    "churn": "The churn model is no better than days since the last order on this shop's history, so churn "
             "here is judged (and customers ranked) by days since their last order instead.",
    "clv": "The CLV model is no better than each customer's historical average on this shop's history, so "
           "values here are historical averages (past repeat rate × average spend).",
    "recommendations": "The recommender is no better than plain popularity on this shop's history, so these "
                       "are the most popular products the customer has not bought yet.",
}


def at_baseline(meta: dict[str, Any], model: str) -> bool:
    """Whether the model in the built dataset was judged no better than its baseline."""
    verdict = ((meta.get("model_cards") or {}).get(model) or {}).get("verdict") or {}
    return verdict.get("verdict") == "baseline"


def notice(meta: dict[str, Any], model: str) -> str | None:
    """One plain sentence for answers that use a model at verdict baseline, else None."""
    return NOTICES[model] if at_baseline(meta, model) else None
