"""Customer value in service: BG/NBD + Gamma-Gamma predictions, the historical-average baseline,
and the backtest that judges one against the other on the shop's own history.

Backtest
    Both models are refitted on orders up to cut = as_of − h (h = BACKTEST_MAX_DAYS, or a third
    of the history when that is shorter) and predict each customer's revenue in (cut, as_of];
    beyond BACKTEST_MAX_CUSTOMERS customers, on a seeded sample of them.
    The baseline is the historical average: each customer keeps their past repeat-purchase rate
    (repeat purchase days per day since the first, at least MIN_RATE_DAYS) and their average
    spend per purchase day. Reported: MAE of both against what customers really spent, the
    per-customer calibration by decile of predicted value, the normalised Gini (how well the
    prediction orders customers by what they spent: 1 = perfectly, 0 = no better than chance),
    and the verdict (tools.verdicts) on the MAE difference with its 95% interval.

In service (`build_clv`)
    At verdict good or weak the model's 12-month value is `clv_12m`; at baseline the historical
    average is, and the card says so. A flat prediction (the top 20% of customers hold less than
    FLAT_TOP_SHARE of the predicted value, or the backtest's normalised Gini is below FLAT_GINI)
    is called out: it cannot separate customers, so tiers fall back to realised spend.
    `retained_value_12m` is what a customer is worth over 12 months if they stay: BG/NBD's
    expected purchases given the customer is still active × expected spend (the historical
    average when the model is at baseline).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import ibis
import numpy as np
import pandas as pd

from tools import engine
from tools.clv import BetaGeoModel, CLVError, GammaGammaModel, customer_lifetime_value
from tools.verdicts import MARGINS, judge, mean_difference_ci

CLV_HORIZON_DAYS = 365
NEAR_HORIZON_DAYS = 90
OUTLIER_MEDIANS = 20  # a mean basket above 20× the median repeat buyer's counts as 20× (Gamma-Gamma)
BACKTEST_MAX_DAYS = 180
MIN_BACKTEST_DAYS = 30
MIN_BACKTEST_CUSTOMERS = 200
BACKTEST_MAX_CUSTOMERS = 50_000  # beyond this, the backtest refits on a seeded sample of customers
MIN_RATE_DAYS = 30     # the baseline's purchase rate is taken over at least this many days
FLAT_TOP_SHARE = 0.30  # uniform value would give the top 20% exactly 20%
FLAT_GINI = 0.20
DECILES = 10
COLUMNS = ("frequency", "bgnbd_t_x_days", "tenure_days", "mean_repeat_day_spend", "purchase_days",
           "total_spend", "spend_last_365")


def _inputs(features: pd.DataFrame):
    x = features["frequency"].to_numpy(float)
    t_x = features["bgnbd_t_x_days"].to_numpy(float) / 7.0
    T = features["tenure_days"].to_numpy(float) / 7.0
    m = features["mean_repeat_day_spend"].fillna(0).to_numpy(float)
    return x, t_x, T, m


def fit_value_models(features: pd.DataFrame) -> tuple[BetaGeoModel, GammaGammaModel, float, int]:
    """BG/NBD and Gamma-Gamma fitted on the features, with extreme mean baskets capped first."""
    x, t_x, T, m = _inputs(features)
    repeat_spend = m[(x > 0) & (m > 0)]
    cap = float(np.median(repeat_spend)) * OUTLIER_MEDIANS if repeat_spend.size else np.inf
    capped = int((m > cap).sum())
    bg = BetaGeoModel(time_unit="weeks").fit(x, t_x, T)
    gg = GammaGammaModel().fit(x, np.minimum(m, cap))
    return bg, gg, cap, capped


def predicted_value(bg: BetaGeoModel, gg: GammaGammaModel, features: pd.DataFrame, cap: float,
                    horizon_days: float) -> np.ndarray:
    x, t_x, T, m = _inputs(features)
    return customer_lifetime_value(bg, gg, x, t_x, T, np.minimum(m, cap), horizon=horizon_days / 7.0)


def historical_average(features: pd.DataFrame, horizon_days: float) -> tuple[np.ndarray, np.ndarray]:
    """The baseline: (purchase days, revenue) over the horizon if each customer keeps their past
    repeat rate and average spend per purchase day."""
    frequency = features["frequency"].to_numpy(float)
    tenure = np.maximum(features["tenure_days"].to_numpy(float), MIN_RATE_DAYS)
    days = np.maximum(features["purchase_days"].to_numpy(float), 1)
    per_day = features["total_spend"].to_numpy(float) / days
    purchases = frequency / tenure * horizon_days
    return purchases, purchases * np.nan_to_num(per_day)


def decile_calibration(predicted: np.ndarray, actual: np.ndarray, deciles: int = DECILES) -> dict[str, list]:
    """Mean predicted and mean actual value per tenth of customers by predicted value (lowest first)."""
    order = np.argsort(predicted, kind="stable")
    groups = [g for g in np.array_split(order, deciles) if len(g)]
    return {"predicted": [round(float(predicted[g].mean()), 2) for g in groups],
            "actual": [round(float(actual[g].mean()), 2) for g in groups]}


def normalised_gini(actual: np.ndarray, predicted: np.ndarray) -> float | None:
    """Gini of the actual values ordered by the prediction over the Gini of the perfect order."""
    actual, predicted = np.asarray(actual, float), np.asarray(predicted, float)
    if len(actual) < 2 or actual.sum() <= 0:
        return None

    def gini(order_by: np.ndarray) -> float:
        # stable on ties of the prediction: a constant prediction keeps the data's order (≈ chance)
        ordered = actual[np.argsort(-order_by, kind="stable")]
        cumulative = np.cumsum(ordered) / ordered.sum()
        return float(cumulative.mean() - (len(actual) + 1) / (2 * len(actual)))

    best = gini(actual)
    return gini(predicted) / best if best > 0 else None


def top_share(values: np.ndarray, share: float = 0.2) -> float | None:
    """Share of the total held by the top `share` of customers."""
    values = np.sort(np.nan_to_num(np.asarray(values, float)))[::-1]
    total = values.sum()
    if len(values) == 0 or total <= 0:
        return None
    return float(values[: max(1, int(round(share * len(values))))].sum() / total)


def purchase_summary(orders: ibis.Table, as_of: date, *, share: float = 1.0, seed: int = 42) -> ibis.Table:
    """What the value models read, per customer with an order on or before as_of: purchase days
    (a customer-day is one purchase, amounts summed), frequency, t_x and T in days, total spend and
    the mean spend of the repeat days. `share` < 1 keeps a seeded share of the customers (by a hash
    of their id, in the engine)."""
    o = orders.filter(orders.order_date.cast("date") <= ibis.literal(as_of))
    o = o.select(customer_id=o.customer_id.cast("string"), day=o.order_date.cast("date"),
                 amount=o.amount.cast("float64"))
    if share < 1:
        buckets = 100_000
        o = o.filter((o.customer_id + ibis.literal(f"|{seed}")).hash().abs() % buckets < int(share * buckets))
    days = o.group_by(["customer_id", "day"]).aggregate(value=o.amount.sum())
    per = days.group_by("customer_id").aggregate(
        first=days.day.min(), last=days.day.max(), purchase_days=days.count(), total_spend=days.value.sum(),
        first_day_spend=days.value.argmin(days.day))
    frequency = per.purchase_days - 1
    return per.select(
        "customer_id", "purchase_days", "total_spend",
        frequency=frequency,
        bgnbd_t_x_days=per["last"].delta(per["first"], unit="day"),
        tenure_days=ibis.literal(as_of).delta(per["first"], unit="day"),
        mean_repeat_day_spend=ibis.ifelse(frequency > 0, (per.total_spend - per.first_day_spend) / frequency,
                                          ibis.null("float64")),
    )


def clv_backtest(con, as_of: date, *, seed: int = 42) -> dict[str, Any]:
    """Refit at an earlier cut and compare predicted with real revenue after it, against the
    historical-average baseline; the result carries the verdict."""
    first = con.execute("SELECT min(order_date) FROM orders").fetchone()[0]
    history = (as_of - first).days
    horizon = min(BACKTEST_MAX_DAYS, history // 3)
    if horizon < MIN_BACKTEST_DAYS:
        return {"available": False, "reason": f"needs at least {3 * MIN_BACKTEST_DAYS} days of history; has {history}"}
    cut = as_of - timedelta(days=horizon)
    customers = con.execute("SELECT count(DISTINCT customer_id) FROM orders WHERE order_date <= ?", [cut]).fetchone()[0]
    share = min(1.0, BACKTEST_MAX_CUSTOMERS / max(customers, 1))
    eng = engine.for_store(con)  # the purchase summary reads every order line: on the configured engine
    past = eng.run(purchase_summary(eng.table("orders"), cut, share=share, seed=seed))
    if len(past) < MIN_BACKTEST_CUSTOMERS:
        return {"available": False, "reason": f"only {len(past)} customers before {cut}"}
    actual = con.execute("""SELECT customer_id, count(DISTINCT order_date) AS actual_days, sum(amount) AS actual_revenue
                            FROM orders WHERE order_date > ? AND order_date <= ? GROUP BY 1""", [cut, as_of]).df()
    past = past.sort_values("customer_id", ignore_index=True).merge(actual, on="customer_id", how="left")
    past = past.fillna({"actual_days": 0, "actual_revenue": 0.0})
    try:
        bg, gg, cap, _ = fit_value_models(past)
    except CLVError as exc:
        return {"available": False, "reason": str(exc)}
    x, t_x, T, _ = _inputs(past)
    predicted_days = bg.expected_purchases(horizon / 7, x, t_x, T)
    predicted = predicted_value(bg, gg, past, cap, horizon)
    naive_days, naive = historical_average(past, horizon)
    truth_days, truth = past["actual_days"].to_numpy(float), past["actual_revenue"].to_numpy(float)
    error, naive_error = np.abs(predicted - truth), np.abs(naive - truth)
    gain, ci = mean_difference_ci(naive_error - error)
    verdict = judge(model="CLV model", metric=f"MAE of revenue in {horizon} days", model_value=float(error.mean()),
                    baseline_value=float(naive_error.mean()),
                    baseline_name="each customer's historical average", difference=gain, ci=ci,
                    margin=MARGINS["mae_reduction"] * float(naive_error.mean()), n=len(past),
                    fallback="each customer's historical average", digits=2)
    return {
        "cut": cut.isoformat(), "horizon_days": horizon, "customers": int(len(past)),
        "actual_purchase_days": float(truth_days.sum()), "predicted_purchase_days": float(predicted_days.sum()),
        "naive_predicted_purchase_days": float(naive_days.sum()),
        "mae": float(np.abs(predicted_days - truth_days).mean()), "naive_mae": float(np.abs(naive_days - truth_days).mean()),
        "actual_revenue": float(truth.sum()), "predicted_revenue": float(predicted.sum()),
        "naive_predicted_revenue": float(naive.sum()),
        "value_mae": float(error.mean()), "naive_value_mae": float(naive_error.mean()),
        "mae_reduction": float(gain / naive_error.mean()) if naive_error.mean() > 0 else None,
        "gini": normalised_gini(truth, predicted), "naive_gini": normalised_gini(truth, naive),
        "calibration_by_decile": decile_calibration(predicted, truth),
        "naive_calibration_by_decile": decile_calibration(naive, truth),
        "verdict": verdict,
        "definition": f"BG/NBD + Gamma-Gamma refitted on orders up to {cut} predict each customer's revenue (and "
                      f"purchase days) in the next {horizon} days; the baseline is each customer's historical "
                      f"average (past repeat rate × average spend per purchase day); mae is in purchase days, "
                      f"value_mae in money",
    }


def build_clv(features: pd.DataFrame, as_of: date, backtest: dict[str, Any] | None = None
              ) -> tuple[dict, dict[str, np.ndarray]]:
    """The CLV card and per-customer values at as_of (see the module docstring for what is in service)."""
    bg, gg, cap, capped = fit_value_models(features)
    predicted = value_predictions(bg, gg, cap, features, as_of)
    model_12m, retained = predicted["model_12m"], predicted["retained_model_12m"]

    backtest = backtest or {"available": False, "reason": "not run"}
    verdict = backtest.get("verdict") or judge(
        model="CLV model", metric="MAE of revenue", model_value=None, baseline_value=None,
        baseline_name="each customer's historical average", difference=None, ci=None, margin=0.0, n=0,
        fallback="each customer's historical average", detail=backtest.get("reason", ""))
    if not (np.isfinite(model_12m).all() and np.isfinite(retained).all()):
        verdict = judge(model="CLV model", metric="MAE of revenue", model_value=None, baseline_value=None,
                        baseline_name="each customer's historical average", difference=None, ci=None, margin=0.0,
                        n=len(features), fallback="each customer's historical average",
                        detail="its predictions are not finite numbers at these parameters")
    at_baseline = verdict["verdict"] == "baseline"
    values = values_in_service(predicted, at_baseline=at_baseline)
    clv_12m = values["clv_12m"]
    share = top_share(model_12m)
    gini = backtest.get("gini")
    flat = bool((share is not None and share < FLAT_TOP_SHARE) or (gini is not None and gini < FLAT_GINI))
    flat_sentence = None
    if flat:
        flat_sentence = (f"Flat: the predicted 12-month value hardly separates customers (the top 20% hold "
                         f"{(share or 0):.0%} of it" + (f"; normalised Gini {gini:.2f} on the backtest" if gini is not None else "")
                         + "), so tiers use realised spend instead.")
    card = {
        "model": "clv",
        "definition": "BG/NBD purchase model and Gamma-Gamma spend model fitted by maximum likelihood; "
                      "a purchase is a customer-day (same-day orders summed), time unit weeks",
        "verdict": verdict,
        "in_service": "historical average" if at_baseline else "BG/NBD + Gamma-Gamma",
        "bgnbd": bg.params(),
        "gamma_gamma": gg.params(),
        "converged": bool(bg.converged_ and gg.converged_),
        "time_unit": "weeks",
        "horizon_days": CLV_HORIZON_DAYS,
        "total_expected_revenue_12m": float(np.nansum(clv_12m)),
        "model_expected_revenue_12m": float(np.nansum(model_12m)),
        "total_expected_orders_90d": float(np.nansum(predicted["expected_orders_90d"])),
        "top_20pct_value_share": share,
        "flat": flat,
        "flat_sentence": flat_sentence,
        "spend_cap": cap if np.isfinite(cap) else None,
        "outliers": f"mean spend per transaction capped at {OUTLIER_MEDIANS}× the median repeat buyer's "
                    f"({cap:,.2f}); {capped} customers capped",
        "backtest": backtest,
    }
    if not card["converged"]:
        card["convergence"] = _convergence_sentence(bg, gg)
    return card, values


def value_predictions(bg: BetaGeoModel, gg: GammaGammaModel, cap: float, features: pd.DataFrame,
                      as_of: date) -> dict[str, np.ndarray]:
    """Each customer's P(alive), 90-day orders, next order date, and 12-month value three ways: the model's,
    the model's if the customer stays (retained), and the historical average's."""
    x, t_x, T, m = _inputs(features)
    m = np.minimum(m, cap)
    spend = gg.expected_spend(x, m)
    next_in = bg.expected_next_purchase_in(x, t_x, T) * 7.0
    next_in = np.where(np.isfinite(next_in) & (next_in < 365 * 1000), next_in, np.nan)  # NaT: not expected
    p_alive = bg.probability_alive(x, t_x, T)
    # the 12-month purchases of a customer who stays, once: the model's value is them × P(alive) × spend
    # (customer_lifetime_value without discounting), the retained value them × spend
    if_alive = bg.expected_purchases_if_alive(CLV_HORIZON_DAYS / 7.0, x, t_x, T)
    return {
        "p_alive": p_alive,
        "expected_orders_90d": bg.expected_purchases(NEAR_HORIZON_DAYS / 7.0, x, t_x, T),
        "next_order_date": (pd.Timestamp(as_of) + pd.to_timedelta(next_in, unit="D")).floor("D").to_numpy(),
        "model_12m": if_alive * p_alive * spend,
        "retained_model_12m": if_alive * spend,
        "naive_12m": historical_average(features, CLV_HORIZON_DAYS)[1],
    }


def values_in_service(predicted: dict[str, np.ndarray], *, at_baseline: bool) -> dict[str, np.ndarray]:
    """The score columns: the model's 12-month values, or the historical average's when the model is at baseline."""
    naive = predicted["naive_12m"]
    return {"p_alive": predicted["p_alive"], "expected_orders_90d": predicted["expected_orders_90d"],
            "clv_12m": naive if at_baseline else predicted["model_12m"],
            "retained_value_12m": naive if at_baseline else predicted["retained_model_12m"],
            "next_order_date": predicted["next_order_date"]}


def _convergence_sentence(bg: BetaGeoModel, gg: GammaGammaModel) -> str:
    parts = []
    for name, model in (("BG/NBD", bg), ("Gamma-Gamma", gg)):
        if not model.converged_:
            parts.append(f"the {name} fit stopped after {getattr(model, 'iterations_', '?')} iterations without "
                         f"converging ({getattr(model, 'fit_message_', 'no message')})")
    return "; ".join(parts).capitalize() + "; its estimates are the best found and may be imprecise."
