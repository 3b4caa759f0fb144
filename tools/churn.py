"""Churn: the chance that a customer places no order in the next H days, with reasons in plain words.

Definition
    churned = no order in (as_of, as_of + H]. H comes from the data's repeat-purchase gaps
    (`choose_horizon`) unless given; 90 days when the data can't tell.

Training (a time split, so labels are real outcomes, never the model's own assumptions)
    Features are computed as of cut = as_of - H and labelled by what each customer did in
    (cut, cut + H], which ends on as_of. Up to TRAINING_WINDOWS - 1 earlier cuts (as_of - 2H,
    ...) are stacked for more data when at least H days of history precede them. Every
    customer is then scored with features as of as_of. Nothing dated after as_of is read.

Model (`ChurnModel`)
    HistGradientBoostingClassifiers on the behaviour features (`churn_features`: the feature
    table plus order-history features and BG/NBD's expected purchases and P(alive), refitted at
    every cut; no customer id), one per customer-grouped fold, so every training row also gets
    a score from a model that never saw that customer. A logistic calibrator is fitted on those
    held-out scores together with the BG/NBD log-odds of churn. Trees cannot extrapolate, so a
    feature whose values at as_of mostly lie outside the training range (tenure in a shop whose
    customers all joined at once, like CDNOW) is kept from the trees and left to the BG/NBD term.

Honest metrics
    HOLDOUT_SHARE of the customers are kept out of training altogether; the model card's
    ROC-AUC, PR-AUC, Brier score, top-decile lift and permutation importances are measured on
    their most recent window, next to two baselines fitted on the training customers only:
    a logistic regression on log recency, and BG/NBD's P(no purchase in H) = exp(-expected
    purchases in H). `baseline_scores` gives both baselines at as_of too (BG/NBD refitted
    there), to judge all three on the future.

Verdict (tools.verdicts)
    The AUC difference to the recency baseline on every window of the held-out customers, with a
    paired bootstrap 95% interval (a customer's windows drawn together), decides good / weak /
    baseline; the difference to BG/NBD is reported beside it with its own
    interval and whether it is significant. At "baseline" the customers are scored by the
    recency baseline (a calibrated probability too) and the card says so (`scored_by`).

Risk bands come from the calibrated probability (RISK_BANDS, overridable) and each customer's own
rhythm (tools.retention): `lapsed` customers are already gone and in no other band; `high` is
"about to churn" (still a customer, and likely to leave or overdue). Reasons compare each
customer's own numbers with their history and with typical customers (REASON_LIMITS).
"""

from __future__ import annotations

import time
from datetime import date, timedelta

import duckdb
import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.model_selection import GroupKFold

from tools import engine
from tools.clv import BetaGeoModel, CLVError, days_to_unit
from tools.compute import idle_cores
from tools.errors import TierwiseError
from tools.features import feature_table, top_values
from tools.progress import Progress, silent
from tools.retention import LAPSED_GAPS, LAPSED_P_ALIVE, OVERDUE_GAPS, RISK_LEVELS, churn_status
from tools.verdicts import MARGINS, auc_difference, judge

DEFAULT_HORIZON_DAYS = 90
HORIZON_CHOICES = (30, 60, 90, 120, 180)
HORIZON_GAP_QUANTILE = 0.8   # H covers this share of the repeat gaps seen so far
MIN_GAPS_FOR_HORIZON = 100   # fewer repeat gaps than this: too little to judge, use the default
MIN_CUSTOMERS = 200
TRAINING_WINDOWS = 5         # label windows stacked at as_of - H, - 2H, ... when history allows
HOLDOUT_SHARE = 0.2
MAX_TRAINING_CUSTOMERS = 30_000  # beyond this, train on a seeded sample of customers
CALIBRATION_FOLDS = 3
# Columns the calibrator blends with the trees' log-odds (see ChurnModel): BG/NBD's log-odds of
# churn, and the log of the counts and amounts that grow with customer age, which a linear term
# carries beyond the training range where trees would stop at their edge leaf.
BLEND_COLUMNS = ("bgnbd_expected_purchases", "recency_days", "tenure_days", "frequency", "total_spend",
                 "total_quantity")
CALIBRATE_BLOCK = 131072  # rows calibrated at a time: a million rows' inputs at once cost more than the blocks
# A feature goes to the trees only if at most this share of the customers scored at as_of
# fall outside the central SHIFT_RANGE of its training values (trees cannot extrapolate).
MAX_SHIFTED_SHARE = 0.1
SHIFT_RANGE = (0.005, 0.995)
MAX_IMPORTANCE_ROWS = 1000
IMPORTANCE_REPEATS = 2
TOP_IMPORTANCES = 10
REASONS_PER_CUSTOMER = 3
SCORING_CHUNK = 100_000      # customers scored (and given reasons) at a time

# Calibrated P(churn) at or above which a customer is in the band; below the last one: "low".
RISK_BANDS: dict[str, float] = {"high": 0.7, "medium": 0.4}

# When a behaviour counts as a reason (see _reasons).
REASON_LIMITS: dict[str, float] = {
    "overdue_ratio": 1.5,       # days since the last order vs the customer's usual gap
    "spend_drop": 0.4,          # last 90 days' spend at least 40% below the 90 days before
    "spend_rise": 0.4,
    "basket_shrink": 0.5,       # last order at most half their usual order value
    "gap_stretch": 1.5,         # last gap vs their earlier gaps
    "frequent_orders_year": 4,  # orders in the last 365 days that make a regular buyer
}

# Statuses in `cancelled_orders` that are refunds (the rest are cancellations): a refund is
# a customer who bought and was let down, which says more about churn than a cancellation.
REFUND_STATUSES = ("refunded", "refund", "returned", "return", "已退款", "退款", "退货")
RECENT_DAYS = 3             # the last three purchase days against the ones before
DISCOUNT_TOLERANCE = 0.97    # a line paid below 97% of the product's median unit price

STATUS_DEFINITION = (
    f"lapsed = already gone: no order for more than {LAPSED_GAPS:g}× their own expected gap between orders "
    f"(and at least the horizon), or a repeat buyer whom BG/NBD gives under {LAPSED_P_ALIVE:.0%} chance of still "
    f"being a customer; high = about to churn: still a customer and either P(churn) ≥ the high band or overdue "
    f"({OVERDUE_GAPS:g}× their expected gap without an order); medium and low = still a customer, by P(churn)")

_GBM_PARAMS = dict(learning_rate=0.05, max_iter=300, min_samples_leaf=100,
                   l2_regularization=1.0, early_stopping=True, n_iter_no_change=20)
_NOT_FEATURES = ("customer_id", "first_order_date", "last_order_date", "churned", "window")
_CATEGORICAL = ("top_channel", "top_category")


def choose_horizon(con: duckdb.DuckDBPyConnection, as_of: date) -> int:
    """Churn horizon in days: a high quantile of the repeat-purchase gaps, rounded to a usual choice."""
    as_of = _as_date(as_of)
    orders = _orders(con)
    if orders is None:
        return DEFAULT_HORIZON_DAYS
    days = orders.filter(orders.order_date.cast("date") <= ibis.literal(as_of)).select(
        customer_id=orders.customer_id.cast("string"), order_date=orders.order_date.cast("date")
    ).distinct()
    w = ibis.window(group_by=days.customer_id, order_by=days.order_date)
    gaps = days.mutate(gap=days.order_date.delta(days.order_date.lag().over(w), unit="day"))
    stats = gaps.aggregate(
        n=gaps.gap.count(), q=gaps.gap.quantile(HORIZON_GAP_QUANTILE), first=gaps.order_date.min()
    )
    n, q, first = _run(con, stats).iloc[0]
    if not n or n < MIN_GAPS_FOR_HORIZON or pd.isna(q):
        return DEFAULT_HORIZON_DAYS
    history = (as_of - pd.Timestamp(first).date()).days
    fitting = [h for h in HORIZON_CHOICES if 2 * h <= history]  # training needs 2H of history
    if not fitting:
        return DEFAULT_HORIZON_DAYS
    return int(min(fitting, key=lambda h: (abs(h - float(q)), -h)))


def churn_features(orders: ir.Table, as_of: date, *, cancelled: ir.Table | None = None,
                   categories: list[str] | None = None,
                   channels: list[str] | None = None, prices: ir.Table | None = None) -> ir.Table:
    """`tools.features.feature_table` plus order-history features, one row per customer, as of a date.

    Added columns (all from orders on or before as_of):
        last_gap_days        days between the last two purchase days
        last_gap_ratio       last_gap_days / mean of the earlier gaps (> 1: slowing down)
        last_spend_ratio     last purchase day's spend / mean of the earlier days
        last_lines_ratio     lines on the last purchase day / mean of the earlier days
        last_price_ratio     typical price of the products bought last / earlier days
        recent_gap_ratio, recent_spend_ratio, recent_lines_ratio, recent_price_ratio
                             the same for the last RECENT_DAYS purchase days against the ones
                             before (customers who are about to stop often fade out first)
        recency_share        recency_days / tenure_days
        discount_share       share of purchase days with a line paid below the product's usual price
        refunds, cancellations   orders in `cancelled_orders` (refund statuses: REFUND_STATUSES)
        days_since_refund    as_of - the last refunded order's date
        refund_after_last_order  1 when the latest refund is on or after the last kept order

    `prices` (product, usual_price) fixes the products' usual prices, as `usual_prices` gives them; by default
    they come from `orders`, so pass them when `orders` holds only some customers (an incremental refresh).
    """
    as_of = _as_date(as_of)
    base = feature_table(orders, as_of, categories=categories, channels=channels)
    history = _history_features(orders, as_of, prices)
    out = base.left_join(history, "customer_id").drop("customer_id_right")
    out = out.mutate(recency_share=ibis.ifelse(out.tenure_days > 0, out.recency_days / out.tenure_days,
                                               ibis.null("float64")))
    if cancelled is None or "status" not in cancelled.columns:
        return out.mutate(refunds=ibis.literal(0), cancellations=ibis.literal(0),
                          days_since_refund=ibis.null("int64"), refund_after_last_order=ibis.literal(0))
    out = out.left_join(_problem_orders(cancelled, as_of), "customer_id").drop("customer_id_right")
    since_refund = ibis.literal(as_of).delta(out.last_refund_date, unit="day")
    return out.mutate(
        refunds=out.refunds.fill_null(0),
        cancellations=out.cancellations.fill_null(0),
        days_since_refund=since_refund,
        refund_after_last_order=ibis.ifelse(since_refund <= out.recency_days, 1, 0),
    ).drop("last_refund_date")


def fit_churn(con: duckdb.DuckDBPyConnection, as_of: date, *, horizon_days: int | None = None,
              seed: int = 42, risk_bands: dict[str, float] | None = None,
              progress: Progress = silent) -> dict:
    """Train the churn model on a time split and score every customer at as_of.

    Returns {"scores": customer_id, churn_probability, churn_risk (one row per customer with an
    order on or before as_of); "reasons": customer_id, slot (0 = strongest), reason — one to
    REASONS_PER_CUSTOMER rows per customer; "card": the model card; "model": the fitted ChurnModel;
    "baseline_scores": customer_id and both baselines' P(churn) at as_of; "scoring": what tools.scoring needs
    to score customers again later without refitting}.
    """
    start = time.perf_counter()
    as_of = _as_date(as_of)
    bands = _check_bands(RISK_BANDS if risk_bands is None else risk_bands)
    orders = _orders(con)
    if orders is None:
        raise TierwiseError("The churn model needs an `orders` table; load transactions first.")
    chosen = horizon_days is None
    horizon = choose_horizon(con, as_of) if chosen else int(horizon_days)
    if horizon < 1:
        raise TierwiseError(f"The churn horizon must be at least 1 day; got {horizon_days}.")
    first_order, customers = _check_history(con, orders, as_of, horizon)
    cancelled = _table(con, "cancelled_orders")
    seen = orders.filter(orders.order_date.cast("date") <= ibis.literal(as_of))
    lists = {"categories": top_values(seen, "category"), "channels": top_values(seen, "channel")}

    def features_as_of(day: date) -> ir.Table:
        return churn_features(orders, day, cancelled=cancelled, **lists)

    progress("churn: training features", 0.05)
    # beyond MAX_TRAINING_CUSTOMERS, learn from a seeded sample of customers (all are scored)
    share = min(1.0, MAX_TRAINING_CUSTOMERS / customers)
    labelled = _training_windows(con, features_as_of, orders, as_of, horizon, first_order,
                                 share, seed, progress)
    progress("churn: scoring features", 0.4)
    now = _run_sorted(con, features_as_of(as_of))

    holdout = _holdout_customers(labelled["customer_id"], seed)
    in_holdout = labelled["customer_id"].isin(holdout).to_numpy()
    if labelled.loc[~in_holdout, "churned"].nunique() < 2:
        raise TierwiseError(
            "The churn model's training customers all had the same outcome; it needs some who "
            "ordered again and some who did not. Load more customers."
        )
    # BG/NBD is both a baseline and an input: refitted at every cut (training customers only)
    # and at as_of, its expected purchases carry recency and frequency forward the way the
    # purchase process implies, at any customer age.
    bgnbd = {k: _fit_bgnbd(part[~part["customer_id"].isin(holdout)])
             for k, part in labelled.groupby("window", sort=True)}
    labelled = pd.concat([_with_bgnbd(part, bgnbd[k], horizon)
                          for k, part in labelled.groupby("window", sort=True)])
    bgnbd_now = _fit_bgnbd(now)
    _add_bgnbd(now, bgnbd_now, horizon)  # in place: at 1M customers a copy of `now` costs ~1 GB
    train = labelled[~in_holdout]
    test = labelled[in_holdout & (labelled["window"] == 0).to_numpy()]
    candidates = [c for c in now.columns if c not in _NOT_FEATURES
                  and (c in _CATEGORICAL or pd.api.types.is_numeric_dtype(now[c]))]
    # a column the data never fills (no products, no channels, no refunds) carries nothing
    varied = _encoder(candidates, lists)(train).nunique() >= 2
    encode = _encoder([c for c in candidates if varied[c]], lists)

    progress("churn: fitting the model", 0.5)
    x_train, x_test = encode(train), encode(test)
    shifted = _shifted_features(x_train, now)
    model = ChurnModel(seed=seed, tree_exclude=shifted)
    with idle_cores():
        model.fit(x_train, train["churned"].to_numpy(), pd.factorize(train["customer_id"])[0])
        progress("churn: checking on held-out customers", 0.75)
        p_test = model.predict_proba(x_test)[:, 1]
        # the verdict reads every window of the held-out customers: more outcomes, a narrower interval
        held = labelled[in_holdout]
        p_held = model.predict_proba(encode(held))[:, 1]
        importances = _importances(model, x_test, test["churned"].to_numpy(), seed)
        progress("churn: scoring customers", 0.9)
        # in chunks, so the encoded matrix of every customer never exists at once; the trees' part is kept
        # for incremental refreshes (tools.scoring), which score time's passing without running the trees
        tree_parts, parts = [], []
        for _, part in _chunks(now):
            x_part = encode(part)
            tree_parts.append(model.tree_probability(x_part))
            parts.append(model.calibrate(x_part, tree_parts[-1])[:, 1])
        probability = np.concatenate(parts or [np.empty(0)])
        tree_probability = np.concatenate(tree_parts or [np.empty(0)])

    y_test = test["churned"].to_numpy()
    recency_train = _recency_model(train[train["window"] == 0])
    recency_test = _recency_churn(recency_train, test)
    bgnbd_test = _bgnbd_churn(bgnbd[0], test, horizon)
    baselines = {
        "recency_only": _metrics(y_test, recency_test),
        "bgnbd_expected_purchases": _metrics(y_test, bgnbd_test),
    }
    bgnbd_held = pd.concat([pd.Series(_bgnbd_churn(bgnbd[k], part, horizon), index=part.index)
                            for k, part in held.groupby("window", sort=True)]).reindex(held.index).to_numpy()
    y_held, who = held["churned"].to_numpy(), held["customer_id"].to_numpy()
    vs_recency = auc_difference(y_held, p_held, _recency_churn(recency_train, held), groups=who, seed=seed)
    vs_bgnbd = auc_difference(y_held, p_held, bgnbd_held, groups=who, seed=seed)
    verdict = judge(model="churn model", metric="ROC-AUC", model_value=vs_recency["auc"],
                    baseline_value=vs_recency["baseline_auc"], baseline_name="days since the last order alone",
                    difference=vs_recency["difference"], ci=vs_recency["ci"], margin=MARGINS["roc_auc"],
                    n=vs_recency["n"], fallback="days since the last order")
    recency_now_model = _recency_model(labelled[labelled["window"] == 0])
    recency_now = _recency_churn(recency_now_model, now)
    if verdict["verdict"] == "baseline" and np.isfinite(recency_now).all():
        probability = recency_now  # the baseline is what answers use, and it is a calibrated probability too
    status = churn_status(now, probability, horizon, bands)
    now["expected_gap_days"], now["overdue_ratio"] = status["expected_gap_days"], status["overdue_ratio"]
    scores = pd.DataFrame({
        "customer_id": now["customer_id"].astype(str),
        "churn_probability": probability,
        "churn_risk": status["churn_risk"].to_numpy(),
        "expected_gap_days": status["expected_gap_days"].to_numpy(),
    })
    reasons = _reasons(now, scores["churn_risk"], horizon)
    reasons = pd.DataFrame({"customer_id": scores["customer_id"].to_numpy()[reasons["row"].to_numpy()],
                            "slot": reasons["slot"].to_numpy(), "reason": reasons["reason"].to_numpy()})
    baseline_scores = pd.DataFrame({
        "customer_id": scores["customer_id"],
        "recency_only": recency_now,
        "bgnbd_expected_purchases": _bgnbd_churn(bgnbd_now, now, horizon),
    })
    cuts = sorted(as_of - timedelta(days=horizon * (int(k) + 1)) for k in labelled["window"].unique())
    card = {
        "model": "churn",
        "definition": f"no order in the {horizon} days after the as-of date",
        "as_of": as_of.isoformat(),
        "horizon_days": horizon,
        "horizon_source": "from repeat-purchase gaps" if chosen else "given",
        **_metrics(y_test, p_test),
        "top_decile_lift": _top_decile_lift(y_test, p_test),
        **_curves(y_test, p_test),
        "base_rate": float(y_test.mean()) if len(y_test) else None,
        "n_train": int(len(train)),
        "n_train_customers": int(train["customer_id"].nunique()),
        "n_holdout": int(len(test)),
        "training_cuts": [c.isoformat() for c in cuts],
        "validation": _validation_text(as_of, horizon, len(cuts)),
        "baselines": baselines,
        "verdict": verdict,
        "scored_by": "recency baseline" if verdict["verdict"] == "baseline" else "churn model",
        "vs_bgnbd": _versus(vs_bgnbd, "BG/NBD's expected purchases"),
        "feature_importances": importances,
        "features": list(x_train.columns),
        "features_out_of_training_range": list(shifted),  # kept from the trees
        "calibrator_weights": model.calibrator_weights(),
        "model_type": f"{CALIBRATION_FOLDS} HistGradientBoostingClassifiers on customer-grouped "
                      "folds, logistic calibration on their held-out scores blended with BG/NBD",
        "risk_bands": dict(bands),
        "risk_band_counts": {b: int((scores["churn_risk"] == b).sum()) for b in RISK_LEVELS},
        "status_definition": STATUS_DEFINITION,
        "customers_scored": int(len(scores)),
        "mean_churn_probability": float(probability.mean()) if len(probability) else None,
        "seed": seed,
        "seconds": round(time.perf_counter() - start, 2),
    }
    progress("churn: done", 1.0)
    # what scoring later customers with this fit needs (tools.scoring), besides the card
    scoring = {"model": model, "features": list(x_train.columns), "lists": lists, "bgnbd_now": bgnbd_now,
               "recency_model": recency_now_model, "horizon_days": horizon, "risk_bands": dict(bands),
               "scored_by": card["scored_by"], "inputs": now, "tree_probability": tree_probability}
    return {"scores": scores, "reasons": reasons, "card": card, "model": model, "baseline_scores": baseline_scores,
            "scoring": scoring}


def _versus(compared: dict, name: str) -> dict:
    """The AUC difference to another score with its bootstrap interval, and whether it is significant."""
    difference, ci = compared["difference"], compared["ci"]
    if difference is None or ci is None:
        return {"baseline": name, "difference": None, "ci_low": None, "ci_high": None, "significant": False,
                "sentence": f"Could not be compared with {name} on the held-out customers."}
    significant = bool(ci[0] > 0 or ci[1] < 0)
    side = "better" if difference > 0 else "worse"
    sentence = (f"ROC-AUC {compared['auc']:.3f} against {compared['baseline_auc']:.3f} for {name} "
                f"({difference:+.3f}, 95% CI {ci[0]:+.3f} to {ci[1]:+.3f}): ")
    sentence += (f"significantly {side}." if significant else
                 f"the difference is not significant; on this shop the model is no surer than {name}.")
    return {"baseline": name, "auc": compared["auc"], "baseline_auc": compared["baseline_auc"],
            "difference": difference, "ci_low": ci[0], "ci_high": ci[1], "significant": significant,
            "n": compared["n"], "sentence": sentence}


def _training_windows(con, features_as_of, orders: ir.Table, as_of: date, horizon: int,
                      first_order: date, share: float, seed: int, progress: Progress) -> pd.DataFrame:
    """Labelled feature rows for the cuts as_of - H, as_of - 2H, ... (column `window` = 0, 1, ...),
    for a `share` of the customers picked by a seeded hash of their id (the same in every window)."""
    windows = []
    for k in range(TRAINING_WINDOWS):
        cut = as_of - timedelta(days=horizon * (k + 1))
        if k > 0 and (cut - first_order).days < horizon:
            break  # an earlier window needs a horizon's worth of history before its cut
        expr = _labelled(features_as_of(cut), orders, cut, horizon)
        if share < 1:
            buckets = 100_000
            picked = (expr.customer_id + ibis.literal(f"|{seed}")).hash().abs() % buckets
            expr = expr.filter(picked < int(share * buckets))
        frame = _run_sorted(con, expr).assign(window=k)
        if len(frame) < MIN_CUSTOMERS:
            if k == 0:
                raise TierwiseError(
                    f"The churn model needs at least {MIN_CUSTOMERS} customers with an order on or "
                    f"before {cut} (as-of minus the {horizon}-day horizon) to learn from; found "
                    f"{len(frame)}. Load more customers or choose a shorter horizon."
                )
            break
        windows.append(frame)
        progress("churn: training features", 0.05 + 0.3 * (k + 1) / TRAINING_WINDOWS)
    labelled = pd.concat(windows, ignore_index=True)
    if labelled["churned"].nunique() < 2:
        outcome = "churned" if labelled["churned"].iloc[0] else "ordered again"
        raise TierwiseError(
            f"Every customer in the churn model's training window {outcome}, so there is nothing "
            f"to learn; try another horizon than {horizon} days or a later as-of date."
        )
    return labelled


def _validation_text(as_of: date, horizon: int, windows: int) -> str:
    cut = (as_of - timedelta(days=horizon)).isoformat()
    text = f"time split: trained on features as of {cut}, labels in ({cut}, {as_of.isoformat()}]"
    if windows > 1:
        text += f" (plus {windows - 1} earlier {horizon}-day window{'s' if windows > 2 else ''})"
    return text + (f"; evaluated on a held-out {HOLDOUT_SHARE:.0%} of customers never used in "
                   "training, on their most recent window")


# ----------------------------------------------------------------------------- data


def _as_date(value) -> date:
    if hasattr(value, "date") and callable(value.date):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _table(con: duckdb.DuckDBPyConnection, name: str) -> ir.Table | None:
    """A store table on the configured engine (tools.engine), or None."""
    return engine.for_store(con).table(name)


def _orders(con: duckdb.DuckDBPyConnection) -> ir.Table | None:
    return _table(con, "orders")


def _run(con: duckdb.DuckDBPyConnection, expr: ir.Table) -> pd.DataFrame:
    """Run an Ibis expression on the configured engine."""
    return engine.for_store(con).run(expr)


def _run_sorted(con: duckdb.DuckDBPyConnection, expr: ir.Table) -> pd.DataFrame:
    """Customer rows in id order: SQL row order is arbitrary, and the model's fit depends on it."""
    return _run(con, expr).sort_values("customer_id", kind="stable", ignore_index=True)


def _check_history(con, orders: ir.Table, as_of: date, horizon: int) -> tuple[date, int]:
    """The first order date and the number of customers; raises when either is too small."""
    seen = orders.filter(orders.order_date.cast("date") <= ibis.literal(as_of))
    stats = _run(con, seen.aggregate(first=seen.order_date.cast("date").min(),
                                     customers=seen.customer_id.nunique()))
    first, customers = stats.iloc[0]
    if pd.isna(first) or customers == 0:
        raise TierwiseError(f"The churn model found no orders on or before {as_of}; load "
                            f"transactions or pick a later as-of date.")
    first = pd.Timestamp(first).date()
    if customers < MIN_CUSTOMERS:
        raise TierwiseError(
            f"The churn model needs at least {MIN_CUSTOMERS} customers with orders; this "
            f"dataset has {customers} on or before {as_of}. Load more customers to use it."
        )
    history = (as_of - first).days
    if history < 2 * horizon:
        raise TierwiseError(
            f"The churn model needs at least {2 * horizon} days of order history for a "
            f"{horizon}-day horizon (one window to learn from, one to label it); this dataset "
            f"covers {history} days ({first} to {as_of}). Load a longer history or use a "
            f"shorter horizon (at most {history // 2} days)."
        )
    return first, int(customers)


def _labelled(features: ir.Table, orders: ir.Table, cut: date, horizon: int) -> ir.Table:
    """Add `churned` = 1 when the customer has no order in (cut, cut + horizon]."""
    d = orders.order_date.cast("date")
    window = (d > ibis.literal(cut)) & (d <= ibis.literal(cut + timedelta(days=horizon)))
    buyers = orders.filter(window).select(customer_id=orders.customer_id.cast("string")).distinct()
    buyers = buyers.mutate(bought=ibis.literal(1))
    joined = features.left_join(buyers, "customer_id").drop("customer_id_right")
    return joined.mutate(churned=joined.bought.isnull().cast("int8")).drop("bought")


def _priced_lines(orders: ir.Table, as_of: date) -> ir.Table:
    """Order lines on or before as_of with their unit price (amount / quantity when the quantity is positive)."""
    seen = orders.filter(orders.order_date.cast("date") <= ibis.literal(as_of))
    has = set(seen.columns)
    seen = seen.select(
        customer_id=seen.customer_id.cast("string"),
        order_date=seen.order_date.cast("date"),
        amount=seen.amount.cast("float64"),
        product=seen["product"].cast("string") if "product" in has else ibis.null("string"),
        quantity=seen.quantity.cast("float64") if "quantity" in has else ibis.null("float64"),
    )
    unit = ibis.ifelse(seen.quantity > 0, seen.amount / seen.quantity, ibis.null("float64"))
    return seen.mutate(unit_price=unit)


def usual_prices(orders: ir.Table, as_of: date) -> ir.Table:
    """A product's usual price: the median paid per unit up to as_of, so occasional discounts don't move it."""
    seen = _priced_lines(orders, as_of)
    return (seen.filter(seen["product"].notnull() & seen.unit_price.notnull())
            .group_by("product").aggregate(usual_price=seen.unit_price.median()))


def _history_features(orders: ir.Table, as_of: date, prices: ir.Table | None = None) -> ir.Table:
    """Per customer: how the last purchase days compare with the earlier ones (see churn_features)."""
    seen = _priced_lines(orders, as_of)
    usual = usual_prices(orders, as_of) if prices is None else prices
    lines = seen.left_join(usual, "product").drop("product_right")
    discounted = ibis.ifelse(lines.unit_price < DISCOUNT_TOLERANCE * lines.usual_price, 1, 0)
    days = lines.group_by(["customer_id", "order_date"]).aggregate(
        day_spend=lines.amount.sum(),
        day_lines=lines.count(),
        day_price=lines.usual_price.mean(),
        day_discounted=discounted.max(),
    )
    up = ibis.window(group_by=days.customer_id, order_by=days.order_date)
    down = ibis.window(group_by=days.customer_id, order_by=ibis.desc(days.order_date))
    days = days.mutate(gap=days.order_date.delta(days.order_date.lag().over(up), unit="day"),
                       back=ibis.row_number().over(down))
    last, earlier = days.back == 0, days.back > 0
    agg = days.group_by("customer_id").aggregate(
        last_gap_days=days.gap.max(where=last),
        earlier_gap=days.gap.mean(where=earlier),
        last_spend=days.day_spend.max(where=last),
        earlier_spend=days.day_spend.mean(where=earlier),
        last_lines=days.day_lines.max(where=last),
        earlier_lines=days.day_lines.mean(where=earlier),
        last_price=days.day_price.max(where=last),
        earlier_price=days.day_price.mean(where=earlier),
        discount_share=days.day_discounted.mean(),
        recent_gap=days.gap.mean(where=days.back < RECENT_DAYS),
        before_gap=days.gap.mean(where=days.back >= RECENT_DAYS),
        recent_spend=days.day_spend.mean(where=days.back < RECENT_DAYS),
        before_spend=days.day_spend.mean(where=days.back >= RECENT_DAYS),
        recent_lines=days.day_lines.mean(where=days.back < RECENT_DAYS),
        before_lines=days.day_lines.mean(where=days.back >= RECENT_DAYS),
        recent_price=days.day_price.mean(where=days.back < RECENT_DAYS),
        before_price=days.day_price.mean(where=days.back >= RECENT_DAYS),
    )

    def ratio(a, b):
        return ibis.ifelse(b > 0, a / b, ibis.null("float64"))

    return agg.select(
        "customer_id",
        "last_gap_days",
        last_gap_ratio=ratio(agg.last_gap_days, agg.earlier_gap),
        last_spend_ratio=ratio(agg.last_spend, agg.earlier_spend),
        last_lines_ratio=ratio(agg.last_lines, agg.earlier_lines),
        last_price_ratio=ratio(agg.last_price, agg.earlier_price),
        discount_share=agg.discount_share,
        recent_gap_ratio=ratio(agg.recent_gap, agg.before_gap),
        recent_spend_ratio=ratio(agg.recent_spend, agg.before_spend),
        recent_lines_ratio=ratio(agg.recent_lines, agg.before_lines),
        recent_price_ratio=ratio(agg.recent_price, agg.before_price),
    )


def _problem_orders(cancelled: ir.Table, as_of: date) -> ir.Table:
    """Refunds and cancellations per customer up to as_of."""
    c = cancelled.filter(cancelled.order_date.cast("date") <= ibis.literal(as_of))
    c = c.select(
        customer_id=c.customer_id.cast("string"),
        order_date=c.order_date.cast("date"),
        refund=c.status.cast("string").lower().strip().isin(REFUND_STATUSES),
        key=(ibis.coalesce(c.order_id.cast("string"), ibis.literal("day:") + c.order_date.cast("string"))
             if "order_id" in c.columns else ibis.literal("day:") + c.order_date.cast("string")),
    )
    return c.group_by("customer_id").aggregate(
        refunds=c.key.nunique(where=c.refund),
        cancellations=c.key.nunique(where=~c.refund),
        last_refund_date=c.order_date.max(where=c.refund),
    )


# ----------------------------------------------------------------------------- model


def _encoder(features: list[str], lists: dict[str, list[str]]):
    """A function from a feature frame to the model's numeric matrix (categories as codes)."""
    known = {"top_category": lists["categories"], "top_channel": lists["channels"]}

    def encode(frame: pd.DataFrame) -> pd.DataFrame:
        out = {}
        for name in features:
            if name in _CATEGORICAL:
                codes = pd.Categorical(frame[name], categories=known[name]).codes.astype(float)
                # values outside the top list (and none) become missing, a category of its own
                out[name] = np.where(codes < 0, np.nan, codes)
            else:
                out[name] = pd.to_numeric(frame[name], errors="coerce").astype(float).to_numpy()
        return pd.DataFrame(out, index=frame.index)

    return encode


class ChurnModel:
    """Boosted trees from customer-grouped folds, calibrated on their out-of-fold scores.

    Each of `folds` HistGradientBoostingClassifiers learns on the other folds' customers and
    scores its own, so every training row gets a score from a model that never saw that
    customer. A logistic calibrator is fitted on those held-out scores (as log-odds) together
    with the `blend` columns (BG/NBD's log-odds of churn; the log of recency, tenure, frequency,
    spend and quantity), standardised. Trees give every customer beyond their training range the
    same edge value; the BG/NBD term, which follows from the purchase process at any customer age,
    and the linear terms keep ranking them, and where the trees know better the calibrator
    weights them more. `tree_exclude` names features only the calibrator may use.
    predict_proba averages the fold models' probabilities, then calibrates.
    """

    def __init__(self, *, seed: int = 42, folds: int = CALIBRATION_FOLDS,
                 blend: tuple[str, ...] = BLEND_COLUMNS, tree_exclude: tuple[str, ...] = ()):
        self.seed, self.folds, self.blend, self.tree_exclude = seed, folds, blend, tuple(tree_exclude)

    def fit(self, x: pd.DataFrame, y: np.ndarray, groups: np.ndarray) -> "ChurnModel":
        self.features_ = list(x.columns)
        self.tree_features_ = [c for c in self.features_ if c not in self.tree_exclude]
        categorical = [c for c in self.tree_features_ if c in _CATEGORICAL] or None
        self.blend_ = [c for c in self.blend if c in self.features_]
        y = np.asarray(y)
        held_out = np.empty(len(y))
        self.trees_ = []
        for train, test in GroupKFold(n_splits=self.folds).split(x, y, groups):
            tree = HistGradientBoostingClassifier(
                categorical_features=categorical, random_state=self.seed, **_GBM_PARAMS
            ).fit(x[self.tree_features_].iloc[train], y[train])
            held_out[test] = tree.predict_proba(x[self.tree_features_].iloc[test])[:, 1]
            self.trees_.append(tree)
        inputs = self._blend_inputs(x, held_out, raw=True)
        self.center_, self.scale_ = inputs.mean(axis=0), inputs.std(axis=0)
        self.scale_[~(self.scale_ > 0)] = 1.0
        self.calibrator_ = LogisticRegression().fit((inputs - self.center_) / self.scale_, y)
        self.classes_ = np.array([0, 1])
        return self

    def _blend_inputs(self, x: pd.DataFrame, tree_probability: np.ndarray, *, raw: bool = False) -> np.ndarray:
        columns = [_logit(tree_probability)]
        for name in self.blend_:
            values = x[name].to_numpy(dtype=float)
            if name == "bgnbd_expected_purchases":  # as the log-odds of exp(-E), the baseline's P(churn)
                values = _logit(np.exp(-np.nan_to_num(values, nan=0.0)))
            else:  # counts and amounts on a log scale
                values = np.log1p(np.clip(np.nan_to_num(values, nan=0.0), 0, None))
            columns.append(np.nan_to_num(values))
        inputs = np.column_stack(columns)
        return inputs if raw else (inputs - self.center_) / self.scale_

    def calibrator_weights(self) -> dict[str, float]:
        """The calibrator's weight of each input, per standard deviation (trees, then the blend columns)."""
        return dict(zip(["trees", *self.blend_], np.round(self.calibrator_.coef_[0], 4).tolist()))

    def predict_proba(self, x: pd.DataFrame) -> np.ndarray:
        return self.calibrate(x, self.tree_probability(x))

    def tree_probability(self, x: pd.DataFrame) -> np.ndarray:
        """The fold models' mean probability: the costly part of a prediction (an incremental refresh keeps it)."""
        if not hasattr(self, "trees_"):
            raise TierwiseError("Fit the churn model before asking it for probabilities.")
        x = x[self.features_]
        return np.mean([tree.predict_proba(x[self.tree_features_])[:, 1] for tree in self.trees_], axis=0)

    def calibrate(self, x: pd.DataFrame, tree_probability: np.ndarray) -> np.ndarray:
        """The calibrated probabilities from the trees' mean probability and x's blend columns (the only ones read),
        a block of CALIBRATE_BLOCK rows at a time (a million rows' inputs at once cost more than the blocks)."""
        tree_probability = np.asarray(tree_probability, dtype=float)
        if len(x) <= CALIBRATE_BLOCK:
            return self.calibrator_.predict_proba(self._blend_inputs(x, tree_probability))
        out = np.empty((len(x), len(self.calibrator_.classes_)))
        for start in range(0, len(x), CALIBRATE_BLOCK):
            stop = start + CALIBRATE_BLOCK
            out[start:stop] = self.calibrator_.predict_proba(self._blend_inputs(x.iloc[start:stop],
                                                                                tree_probability[start:stop]))
        return out


def _shifted_features(train: pd.DataFrame, now: pd.DataFrame) -> tuple[str, ...]:
    """Numeric features whose values at as_of mostly lie beyond what training saw.

    In a shop whose customers all joined at once (CDNOW), everyone scored at as_of is older
    than anyone at the training cut: tenure and recency are out of range, and a tree would give
    them all its edge leaf. Those features are left to the BG/NBD term of the calibrator.
    """
    out = []
    for name in train.columns:
        if name in _CATEGORICAL or len(now) == 0:
            continue
        lo, hi = train[name].quantile(SHIFT_RANGE[0]), train[name].quantile(SHIFT_RANGE[1])
        values = pd.to_numeric(now[name], errors="coerce").astype(float)  # as the encoder reads it
        outside = ((values < lo) | (values > hi)).sum() / len(values)
        if outside > MAX_SHIFTED_SHARE:
            out.append(name)
    return tuple(out)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    return np.log(p) - np.log1p(-p)


def _holdout_customers(customers: pd.Series, seed: int) -> set:
    """A seeded random HOLDOUT_SHARE of the distinct customer ids."""
    ids = np.sort(customers.astype(str).unique())
    return set(ids[np.random.default_rng(seed).random(len(ids)) < HOLDOUT_SHARE])


def _metrics(y: np.ndarray, p: np.ndarray) -> dict:
    """ROC-AUC, PR-AUC and Brier score; None where they are undefined (one class, no scores)."""
    y, p = np.asarray(y, dtype=int), np.asarray(p, dtype=float)
    if len(y) == 0 or len(np.unique(y)) < 2 or not np.isfinite(p).all():
        return {"auc": None, "pr_auc": None, "brier": None}
    return {"auc": float(roc_auc_score(y, p)), "pr_auc": float(average_precision_score(y, p)),
            "brier": float(brier_score_loss(y, p))}


def _curves(y: np.ndarray, p: np.ndarray) -> dict:
    """Held-out calibration (mean predicted vs observed churn per probability decile) and lift by
    risk decile (churn rate in each tenth, riskiest first, over the overall rate)."""
    y, p = np.asarray(y, dtype=int), np.asarray(p, dtype=float)
    if len(y) < 10 or y.mean() == 0:
        return {}
    order = np.argsort(-p, kind="stable")
    deciles = np.array_split(order, 10)
    by_prob = np.array_split(np.argsort(p, kind="stable"), 10)
    return {
        "calibration": {"predicted": [round(float(p[d].mean()), 4) for d in by_prob],
                        "observed": [round(float(y[d].mean()), 4) for d in by_prob]},
        "lift_curve": {"decile": list(range(1, 11)),
                       "lift": [round(float(y[d].mean() / y.mean()), 4) for d in deciles]},
    }


def _top_decile_lift(y: np.ndarray, p: np.ndarray) -> float | None:
    """Churn rate among the tenth scored riskiest, over the overall churn rate."""
    y, p = np.asarray(y, dtype=int), np.asarray(p, dtype=float)
    if len(y) == 0 or y.mean() == 0:
        return None
    top = np.argsort(-p, kind="stable")[: max(1, len(p) // 10)]
    return float(y[top].mean() / y.mean())


def _recency_model(frame: pd.DataFrame) -> LogisticRegression | None:
    """The recency-only baseline: a logistic regression on log(1 + days since the last order)."""
    if frame["churned"].nunique() < 2:
        return None
    x = np.log1p(frame[["recency_days"]].to_numpy(dtype=float))
    return LogisticRegression().fit(x, frame["churned"].to_numpy())


def _recency_churn(model: LogisticRegression | None, frame: pd.DataFrame) -> np.ndarray:
    if model is None:
        return np.full(len(frame), np.nan)
    return model.predict_proba(np.log1p(frame[["recency_days"]].to_numpy(dtype=float)))[:, 1]


def _bgnbd_inputs(frame: pd.DataFrame):
    return (frame["frequency"].to_numpy(dtype=float),
            days_to_unit(frame["bgnbd_t_x_days"].to_numpy(dtype=float)),
            days_to_unit(frame["tenure_days"].to_numpy(dtype=float)))


def _fit_bgnbd(frame: pd.DataFrame) -> BetaGeoModel | None:
    try:
        return BetaGeoModel().fit(*_bgnbd_inputs(frame))
    except CLVError:
        return None  # e.g. nobody has a repeat purchase yet: no baseline, not a failure


def _with_bgnbd(frame: pd.DataFrame, model: BetaGeoModel | None, horizon: int) -> pd.DataFrame:
    frame = frame.copy()
    _add_bgnbd(frame, model, horizon)
    return frame


def _add_bgnbd(frame: pd.DataFrame, model: BetaGeoModel | None, horizon: int) -> None:
    """Add BG/NBD's P(alive) and expected purchases in the horizon as columns, in place."""
    inputs = _bgnbd_inputs(frame)
    if model is None:
        alive = expected = np.full(len(frame), np.nan)
    else:
        alive = model.probability_alive(*inputs)
        expected = model.expected_purchases(days_to_unit(horizon), *inputs)
    frame["bgnbd_p_alive"] = alive
    frame["bgnbd_expected_purchases"] = expected


def _chunks(frame: pd.DataFrame, size: int = SCORING_CHUNK):
    """(position of the first row, rows) for SCORING_CHUNK customers at a time."""
    for start in range(0, len(frame), size):
        yield start, frame.iloc[start:start + size]


def _bgnbd_churn(model: BetaGeoModel | None, frame: pd.DataFrame, horizon: int) -> np.ndarray:
    """P(no purchase in the horizon) ≈ exp(−expected purchases), the Poisson reading of BG/NBD."""
    if model is None:
        return np.full(len(frame), np.nan)
    expected = model.expected_purchases(days_to_unit(horizon), *_bgnbd_inputs(frame))
    return np.exp(-expected)


def _importances(model, x: pd.DataFrame, y: np.ndarray, seed: int) -> list[dict]:
    """Permutation importance on held-out customers: the drop in ROC-AUC when one feature is shuffled.

    The permuted copies of a group of features are scored in one call: the model's per-call
    overhead, not the rows, is what costs (sklearn's permutation_importance makes one call
    per feature and repeat).
    """
    if len(np.unique(y)) < 2:
        return []
    rng = np.random.default_rng(seed)
    if len(y) > MAX_IMPORTANCE_ROWS:
        rows = np.sort(rng.choice(len(y), MAX_IMPORTANCE_ROWS, replace=False))
        x, y = x.iloc[rows], y[rows]
    names, values, m = list(x.columns), x.to_numpy(dtype=float), len(y)
    base = roc_auc_score(y, model.predict_proba(x)[:, 1])
    drops = np.zeros((len(names), IMPORTANCE_REPEATS))
    per_call = max(1, 200_000 // (m * IMPORTANCE_REPEATS))  # features per call, ~200k rows
    for first in range(0, len(names), per_call):
        block = range(first, min(first + per_call, len(names)))
        copies = []
        for j in block:
            for _ in range(IMPORTANCE_REPEATS):
                shuffled = values.copy()
                shuffled[:, j] = values[rng.permutation(m), j]
                copies.append(shuffled)
        p = model.predict_proba(pd.DataFrame(np.vstack(copies), columns=names))[:, 1]
        p = p.reshape(len(block), IMPORTANCE_REPEATS, m)
        for k, j in enumerate(block):
            drops[j] = [base - roc_auc_score(y, p[k, r]) for r in range(IMPORTANCE_REPEATS)]
    mean, std = drops.mean(axis=1), drops.std(axis=1)
    order = np.argsort(-mean, kind="stable")[:TOP_IMPORTANCES]
    return [{"feature": names[i], "auc_drop": round(float(mean[i]), 5),
             "std": round(float(std[i]), 5)} for i in order]


def _check_bands(bands: dict[str, float]) -> dict[str, float]:
    if set(bands) != {"high", "medium"}:
        raise TierwiseError("Churn risk bands need exactly `high` and `medium` thresholds "
                            f"(below medium is low); got {', '.join(map(str, bands)) or 'none'}.")
    high, medium = float(bands["high"]), float(bands["medium"])
    if not (0 < medium <= high <= 1):
        raise TierwiseError(f"Churn risk thresholds must satisfy 0 < medium ≤ high ≤ 1; got "
                            f"high={high}, medium={medium}.")
    return {"high": high, "medium": medium}


def _risk_band(probability: np.ndarray, bands: dict[str, float]) -> np.ndarray:
    return np.select([probability >= bands["high"], probability >= bands["medium"]],
                     ["high", "medium"], default="low")


# ----------------------------------------------------------------------------- reasons


def typical_reason_gap(gap_mean_days: np.ndarray, horizon: int) -> float:
    """The typical customer's gap the reasons compare with: the median repeat buyer's, at least a week."""
    gap = np.asarray(gap_mean_days, dtype=float)
    repeat_gaps = gap[np.isfinite(gap) & (gap > 0)]
    return max(7.0, float(np.median(repeat_gaps))) if len(repeat_gaps) else float(horizon)


def _reasons(f: pd.DataFrame, risk: pd.Series | np.ndarray, horizon: int, *, typical: float | None = None) -> pd.DataFrame:
    """Reasons in long form: `row` (position in f), `slot` (0 = strongest) and `reason`, computed
    SCORING_CHUNK customers at a time (bounded working memory); the typical customer's gap is taken
    from everyone first so chunks don't change the sentences (pass `typical` when f is some of the customers)."""
    if typical is None:
        typical = typical_reason_gap(f["gap_mean_days"].to_numpy(dtype=float), horizon)
    risk = np.asarray(risk)
    parts = []
    for start, rows in _chunks(f):
        part = _reasons_chunk(rows, risk[start:start + len(rows)], typical)
        part["row"] += start
        parts.append(part)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["row", "slot", "reason"])


def reason_lists(reasons: pd.DataFrame, customer_ids: pd.Series) -> pd.Series:
    """The long reasons as one list per customer (for small frames and tests; the build aggregates in SQL)."""
    grouped = reasons.sort_values(["customer_id", "slot"]).groupby("customer_id")["reason"].agg(list)
    return grouped.reindex(customer_ids).reset_index(drop=True)


def _reasons_chunk(f: pd.DataFrame, risk: np.ndarray, typical: float) -> pd.DataFrame:
    """Up to REASONS_PER_CUSTOMER sentences per customer, strongest first: what raises the churn
    risk (high and medium bands) or what keeps it low (low band).

    Every candidate reason is a mask and a strength over all customers, and a sentence builder
    that is run, vectorized, only on the customers whose top reasons include it.
    """
    f = f.reset_index(drop=True)
    n = len(f)
    lim = REASON_LIMITS
    col = lambda name: f[name].to_numpy(dtype=float)  # noqa: E731
    recency, gap, freq, orders = col("recency_days"), col("gap_mean_days"), col("frequency"), col("orders")
    last180, prev180 = col("orders_last_180"), col("orders_prev_180")
    spend90, prev90 = col("spend_last_90"), col("spend_prev_90")
    days_on, orders_year, tenure = col("purchase_days"), col("orders_last_365"), col("tenure_days")
    last_spend, last_gap, last_gap_ratio = col("last_spend_ratio"), col("last_gap_days"), col("last_gap_ratio")
    refund_days = col("days_since_refund")
    own_gap = np.where(freq >= 1, gap, typical)

    with np.errstate(invalid="ignore", divide="ignore"):
        overdue = np.where(gap > 0, recency / gap, np.nan)
        change = np.where(prev90 > 0, spend90 / prev90 - 1, np.nan)
        risky = [
            ((freq >= 1) & (overdue >= lim["overdue_ratio"]), overdue,
             lambda i: "No order for " + _days(recency[i]) + ", " + _times(overdue[i])
             + "× longer than their usual gap of " + _days(gap[i])),
            (days_on == 1, 1 + recency / typical,
             lambda i: np.where(orders[i] == 1, "Only one order so far, ", "Only bought on one day so far, ")
             + _days(recency[i]) + " ago"),
            ((freq >= 1) & ~(overdue >= lim["overdue_ratio"]) & (recency >= 2 * typical), recency / typical,
             lambda i: "No order for " + _days(recency[i]) + "; most customers reorder within "
             + _days(np.full(len(i), typical))),
            (col("refund_after_last_order") == 1, np.full(n, 2.5),
             lambda i: "Their most recent order was refunded, " + _days(refund_days[i]) + " ago"),
            ((prev180 >= 2) & (last180 < prev180), 1 + 2 * (1 - last180 / prev180),
             lambda i: "Orders fell from " + _num(prev180[i]) + " to " + _num(last180[i])
             + " in the last 6 months"),
            ((spend90 > 0) & (change <= -lim["spend_drop"]), 1 - 2 * change,
             lambda i: "Spending down " + _num(-100 * change[i]) + "% versus the previous quarter"),
            ((prev90 > 0) & (spend90 <= 0) & (freq >= 1), np.full(n, 1.8),
             lambda i: "Nothing spent in the last 90 days, after " + _money(prev90[i])
             + " in the 90 days before"),
            ((days_on >= 3) & (last_spend <= lim["basket_shrink"]), 2 - last_spend,
             lambda i: "Last order was " + _num(100 * (1 - last_spend[i])) + "% smaller than their usual order"),
            ((days_on >= 3) & (last_gap_ratio >= lim["gap_stretch"]), last_gap_ratio / 1.5,
             lambda i: "Time between orders is growing: " + _days(last_gap[i]) + " last time, against "
             + _days(gap[i]) + " on average"),
        ]
        safe = [
            (recency < own_gap, 2 - recency / np.maximum(own_gap, 1),
             lambda i: "Ordered " + _days(recency[i]) + " ago, "
             + np.where(freq[i] >= 1, "sooner than their usual gap of ", "well within the typical gap of ")
             + _days(own_gap[i])),
            (orders_year >= lim["frequent_orders_year"], orders_year / lim["frequent_orders_year"],
             lambda i: "Regular buyer: " + _num(orders_year[i]) + " orders in the last 12 months"),
            ((last180 > prev180) & (prev180 >= 1), 1 + (last180 - prev180) / prev180,
             lambda i: "Orders up from " + _num(prev180[i]) + " to " + _num(last180[i]) + " in the last 6 months"),
            (change >= lim["spend_rise"], 1 + change,
             lambda i: "Spending up " + _num(100 * change[i]) + "% versus the previous quarter"),
            ((tenure >= 365) & (orders >= 5), orders / 10,
             lambda i: "Customer for " + _times(tenure[i] / 365.25) + " years with " + _num(orders[i]) + " orders"),
        ]
        is_low = np.asarray(risk) == "low"
        candidates = [(mask & ~is_low, strength, text) for mask, strength, text in risky]
        if "overdue_ratio" in f:
            ratio, expected = col("overdue_ratio"), col("expected_gap_days")
            candidates.insert(0, (np.asarray(risk) == "lapsed", np.full(n, 1e12),  # above every other reason
                                  lambda i: np.where(days_on[i] > 1, "Already lapsed: no order for " + _days(recency[i])
                                                     + ", " + _times(ratio[i]) + "× their expected gap of " + _days(expected[i]),
                                                     "Already lapsed: one purchase day, " + _days(recency[i])
                                                     + " ago, and nothing since")))
        candidates += [(mask & is_low, strength, text) for mask, strength, text in safe]
        # last resort, below every real reason, so nobody is left without one
        candidates.append((np.ones(n, dtype=bool), np.full(n, -1.0),
                           lambda i: "Last order " + _days(recency[i]) + " ago"))
        strength = np.column_stack([np.where(mask, np.nan_to_num(value, nan=0.0), -np.inf)
                                    for mask, value, _ in candidates])

    top = np.argsort(-strength, axis=1, kind="stable")[:, :REASONS_PER_CUSTOMER]
    keep = np.isfinite(np.take_along_axis(strength, top, axis=1))
    keep &= ~((top == len(candidates) - 1) & (keep.sum(axis=1, keepdims=True) > 1))
    sentences = np.empty(top.shape, dtype=object)
    for j, (_, _, text) in enumerate(candidates):
        rows, slots = np.nonzero((top == j) & keep)
        if len(rows):
            sentences[rows, slots] = pd.Series(text(rows)).to_numpy(dtype=object)
    # kept reasons are a prefix of each row (strongest first), so the flat list splits by counts
    rows, slots = np.nonzero(keep)  # kept reasons are a prefix of each row, strongest first
    return pd.DataFrame({"row": rows, "slot": slots.astype(np.int8), "reason": sentences[rows, slots]})


def _num(values) -> pd.Series:
    """Whole numbers as text ('143')."""
    return pd.Series(np.round(np.nan_to_num(np.asarray(values, dtype=float))).astype(np.int64)).astype(str)


def _days(values) -> pd.Series:
    """'1 day', '143 days'."""
    text = _num(values)
    return text + np.where(text == "1", " day", " days")


def _times(values) -> pd.Series:
    """A ratio as text with one decimal when it matters ('3', '2.5')."""
    text = pd.Series(np.round(np.nan_to_num(np.asarray(values, dtype=float)), 1)).astype(str)
    return text.str.replace(r"\.0$", "", regex=True)


def _money(values) -> pd.Series:
    return pd.Series(np.nan_to_num(np.asarray(values, dtype=float))).map("{:,.0f}".format)
