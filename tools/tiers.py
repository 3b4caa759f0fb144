"""Value tiers high / mid / low by predicted 12-month value (top 20% / next 30% / rest by default)."""

from __future__ import annotations

from typing import Literal

import ibis
import numpy as np
import pandas as pd

from tools.compute import idle_cores
from tools.errors import TierwiseError
from tools.verdicts import MARGINS, judge, mean_difference_ci

Tier = Literal["high", "mid", "low"]
TIERS: tuple[Tier, ...] = ("high", "mid", "low")
DEFAULT_SHARES = {"high": 0.2, "mid": 0.3}


def tier_table(scores: ibis.Table, *, value: str = "clv_12m", high_share: float = DEFAULT_SHARES["high"],
               mid_share: float = DEFAULT_SHARES["mid"]) -> ibis.Table:
    """Add `value_rank_share` (share of customers valued at least as much) and `tier`."""
    if not (0 < high_share < 1 and 0 <= mid_share < 1 and high_share + mid_share <= 1):
        raise ValueError(
            f"Tier shares must be between 0 and 1 and add up to at most 1; got high={high_share}, mid={mid_share}."
        )
    # Rank by value, highest first; customers with equal value share a tier.
    share = ibis.cume_dist().over(order_by=ibis.desc(scores[value]))
    ranked = scores.mutate(value_rank_share=share)
    return ranked.mutate(tier=ibis.cases(
        (ranked.value_rank_share <= high_share, "high"),
        (ranked.value_rank_share <= high_share + mid_share, "mid"),
        else_="low",
    ))


EARLY_DAYS = 28          # the "first weeks" the young-customer classifier sees
YOUNG_DAYS = 90          # customers younger than this get a predicted tier
MIN_TENURE_FOR_TRAINING = 180
MAX_CLASSIFIER_ROWS = 40_000  # per side of the time split: beyond it, an evenly spaced subset


def early_features_sql(as_of_param: str = "?") -> str:
    """Per customer: behaviour in the first EARLY_DAYS days after their first order (on or before as-of)."""
    return f"""
    WITH seen AS (SELECT * FROM orders WHERE order_date <= {as_of_param}),
    firsts AS (SELECT customer_id, min(order_date) AS first_day FROM seen GROUP BY customer_id),
    early AS (
        SELECT s.* FROM seen s JOIN firsts f USING (customer_id)
        WHERE s.order_date < f.first_day + INTERVAL {EARLY_DAYS} DAY
    )
    SELECT customer_id,
           count(DISTINCT order_date) AS early_days,
           count(*) AS early_lines,
           sum(amount) AS early_spend,
           max(amount) AS early_max_line,
           count(DISTINCT category) AS early_categories,
           count(DISTINCT product) AS early_products,
           avg(CASE WHEN channel = 'app' THEN 1.0 ELSE 0.0 END) AS early_app_share,
           avg(CASE WHEN channel = 'store' THEN 1.0 ELSE 0.0 END) AS early_store_share
    FROM early GROUP BY customer_id
    """


def fit_tier_classifier(early: pd.DataFrame, tiers: pd.Series, tenure_days: pd.Series, first_day: pd.Series,
                        *, seed: int = 42) -> dict:
    """Predict a customer's tier from their first weeks; time split: earlier cohorts train, later test.

    `early` is indexed by customer_id (early_features_sql columns); `tiers`, `tenure_days` and
    `first_day` likewise. Only customers old enough for a settled tier are used to train and test.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import accuracy_score, confusion_matrix

    data = early.join(tiers.rename("tier")).join(tenure_days.rename("tenure")).join(first_day.rename("first"))
    # customer order, then a stable sort: SQL row order is arbitrary and the fit depends on it
    settled = data[data["tenure"] >= MIN_TENURE_FOR_TRAINING].sort_index().sort_values("first", kind="stable")
    if len(settled) < 200 or settled["tier"].nunique() < 2:
        raise TierwiseError(
            f"The young-customer tier classifier needs 200 customers with {MIN_TENURE_FOR_TRAINING}+ days of "
            f"history and two tiers; found {len(settled)}."
        )
    cut = int(len(settled) * 0.7)
    train, test = _thin(settled.iloc[:cut]), _thin(settled.iloc[cut:])
    cols = [c for c in early.columns]
    model = HistGradientBoostingClassifier(random_state=seed, max_iter=200, learning_rate=0.08)
    with idle_cores():
        model.fit(train[cols].fillna(0), train["tier"])
        predicted = model.predict(test[cols].fillna(0))
    majority = train["tier"].mode().iloc[0]
    correct = (predicted == test["tier"].to_numpy()).astype(float)
    guessed = (test["tier"] == majority).to_numpy(dtype=float)
    gain, ci = mean_difference_ci(correct - guessed)
    verdict = judge(model="young-customer tier classifier", metric="accuracy", model_value=float(correct.mean()),
                    baseline_value=float(guessed.mean()), baseline_name=f"always guessing '{majority}'",
                    difference=gain, ci=ci, margin=MARGINS["accuracy"], n=len(test),
                    fallback=f"the most common tier ('{majority}') for every young customer")
    young = data[data["tenure"] < YOUNG_DAYS]
    if verdict["verdict"] == "baseline":
        young_pred = pd.Series(majority, index=young.index, dtype=object)
    else:
        young_pred = pd.Series(model.predict(young[cols].fillna(0)) if len(young) else [], index=young.index,
                               dtype=object)
    return {
        "predictions": young_pred,
        "card": {
            "verdict": verdict,
            "definition": f"gradient boosting on each customer's first {EARLY_DAYS} days; trained on the "
                          f"earliest 70% of customers (by first order) with {MIN_TENURE_FOR_TRAINING}+ days of "
                          "history, tested on the later 30%",
            "accuracy": float(accuracy_score(test["tier"], predicted)),
            "majority_baseline_accuracy": float((test["tier"] == majority).mean()),
            "majority_class": majority,
            "confusion_matrix": {"labels": list(TIERS),
                                 "matrix": confusion_matrix(test["tier"], predicted, labels=list(TIERS)).tolist()},
            "n_train": int(len(train)), "n_test": int(len(test)), "n_settled": int(len(settled)), "young_customers_scored": int(len(young)),
        },
    }


def _thin(frame: pd.DataFrame) -> pd.DataFrame:
    """At most MAX_CLASSIFIER_ROWS rows, evenly spaced in first-order order (keeps the cohort mix)."""
    if len(frame) <= MAX_CLASSIFIER_ROWS:
        return frame
    step = len(frame) / MAX_CLASSIFIER_ROWS
    return frame.iloc[(np.arange(MAX_CLASSIFIER_ROWS) * step).astype(int)]
