"""Scoring customers again with the models the last build fitted, without refitting them.

A build fits every model on the customers as of its as-of date (tools.models). Beside the model cards
(which hold the CLV parameters and the tier cut-offs) it keeps what scoring needs later:
    fitted_models   the churn model with its BG/NBD input, category lists, horizon and risk bands; the
                    persona clustering; the RFM score boundaries (pickled / JSON, one row each)
    churn_inputs    per customer, the churn model's inputs that are not features (order-history ratios,
                    refunds), the probability its trees gave the customer, and the day they were computed for
    product_prices  each product's usual unit price, which the order-history ratios compare with

`score_customers` turns customer features at any later as-of date into the build's score columns.
Running the churn model's trees is the one costly step (at 1M customers it takes longer than a whole
refresh may), so it takes the trees' probability as given: an incremental refresh (tools.refresh)
runs the trees for the customers whose orders changed and keeps the probability of everyone else,
whose tree inputs moved by time alone; their recency, tenure and BG/NBD terms still enter the
calibrator at the new date, and the risk band's rhythm rules (lapsed, overdue) read the new recency.
RFM scores use the build's boundaries (R = 5 up to the build's quintile edge of days since the last
order, ...), tiers the build's value cut-offs and personas the build's clusters: a customer moves
when their own numbers cross a boundary, not because other customers' did. The next build refits all.
"""

from __future__ import annotations

import json
import pickle
from dataclasses import dataclass
from datetime import date
from typing import Any

import ibis
import numpy as np
import pandas as pd

from tools import store
from tools.errors import TierwiseError

FITTED_TABLE = "fitted_models"
INPUTS_TABLE = "churn_inputs"
PRICES_TABLE = "product_prices"
# churn inputs computed at scoring time from the model (BG/NBD) and the risk rules, never stored
SCORED_INPUTS = ("bgnbd_p_alive", "bgnbd_expected_purchases", "expected_gap_days", "overdue_ratio")
RFM_SCORES = {"r": ("r_score", "recency_days", -1.0), "f": ("f_score", "orders", 1.0),
              "m": ("m_score", "total_spend", 1.0)}
# scores a refresh leaves as the build wrote them (the young-customer classifier runs at build only)
KEPT_SCORES = ("predicted_tier_young",)


@dataclass
class Fitted:
    """What the last build fitted, as scoring reads it."""

    as_of: date                      # the date the models were fitted as of
    churn: dict[str, Any] | None     # tools.churn's `scoring` without its frames
    personas: dict[str, Any] | None  # tools.personas' `model`
    segments: dict[str, list] | None  # per score, [(score, lowest value with it), ...] highest first
    tiers: dict[str, Any] | None     # {"value": column, "thresholds": {tier: lowest value}}
    clv: dict[str, Any] | None       # the CLV model card (parameters, spend cap, verdict)

    @property
    def models_ready(self) -> bool:
        return any(part is not None for part in (self.churn, self.personas, self.segments, self.tiers, self.clv))


# ----------------------------------------------------------------------------- keeping what a build fitted


def keep_churn_scoring(con, scoring: dict[str, Any], as_of: date) -> dict[str, Any]:
    """Store the churn inputs per customer, the trees' probability and the products' usual prices;
    return the rest of `scoring` (what goes into fitted_models)."""
    from tools.churn import usual_prices

    now = scoring["inputs"]
    feature_columns = {r[0] for r in con.execute("DESCRIBE features").fetchall()}
    own = [c for c in now.columns if c not in feature_columns and c not in SCORED_INPUTS]
    frame = now[["customer_id", *own]].copy()
    frame["customer_id"] = frame["customer_id"].astype(str)
    frame["tree_probability"] = scoring["tree_probability"]
    frame["inputs_as_of"] = pd.Timestamp(as_of)  # days_since_refund counts to this day
    cur = con.cursor()
    try:
        cur.register("_churn_inputs", frame)
        cur.execute(f"CREATE OR REPLACE TABLE {INPUTS_TABLE} AS SELECT * EXCLUDE (inputs_as_of), "
                    f"CAST(inputs_as_of AS DATE) AS inputs_as_of FROM _churn_inputs")
        cur.unregister("_churn_inputs")
        backend = ibis.duckdb.from_connection(cur)
        if cur.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'orders'").fetchall()[0][0]:
            sql = ibis.to_sql(usual_prices(backend.table("orders"), as_of), dialect="duckdb")
            cur.execute(f"CREATE OR REPLACE TABLE {PRICES_TABLE} AS {sql}")
        else:  # orders read from elsewhere (a Spark source): refreshes read the store's own orders
            cur.execute(f"CREATE OR REPLACE TABLE {PRICES_TABLE} (product VARCHAR, usual_price DOUBLE)")
    finally:
        cur.close()
    return {k: v for k, v in scoring.items() if k not in ("inputs", "tree_probability")} | {"own_inputs": own}


def save_fitted(con, *, as_of: date, churn: dict[str, Any] | None, personas: dict[str, Any] | None,
                scores: pd.DataFrame) -> None:
    """Keep the fitted churn model and personas (pickled) and the RFM score boundaries of this build."""
    parts: dict[str, bytes] = {"as_of": pickle.dumps(as_of)}
    if churn is not None:
        parts["churn"] = pickle.dumps(churn)
    if personas is not None:
        parts["personas"] = pickle.dumps(personas)
    if {"r_score", "f_score", "m_score"} <= set(scores.columns) and scores["r_score"].notna().any():
        parts["segments"] = json.dumps(_segment_boundaries(con, scores)).encode()
    con.execute(f"CREATE OR REPLACE TABLE {FITTED_TABLE} (name VARCHAR PRIMARY KEY, blob BLOB)")
    con.executemany(f"INSERT INTO {FITTED_TABLE} VALUES (?, ?)", list(parts.items()))
    if churn is None:  # a build without a churn model leaves no stale inputs behind
        con.execute(f"DROP TABLE IF EXISTS {INPUTS_TABLE}")


def _segment_boundaries(con, scores: pd.DataFrame) -> dict[str, list]:
    """Per RFM score, the lowest value of its feature that earned each score (recency negated: fewer days rank higher)."""
    values = con.execute("SELECT customer_id, recency_days, orders, total_spend FROM features").df()
    frame = scores[["customer_id", "r_score", "f_score", "m_score"]].merge(values, on="customer_id")
    out = {}
    for key, (score, feature, sign) in RFM_SCORES.items():
        lowest = (frame[feature].astype(float) * sign).groupby(frame[score]).min()
        out[key] = [[int(s), float(v)] for s, v in lowest.sort_index(ascending=False).items()]
    return out


def load_fitted(con, meta: dict[str, Any]) -> Fitted:
    """What the build of this store fitted; raises when it was built before models were kept."""
    if not con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [FITTED_TABLE]).fetchall()[0][0]:
        raise TierwiseError("The models of this dataset were built before Tierwise kept them for refreshes; "
                            "run `tierwise build` once, then append.")
    parts = dict(con.execute(f"SELECT name, blob FROM {FITTED_TABLE}").fetchall())
    cards = meta.get("model_cards") or {}
    status = meta.get("model_status") or {}
    tiers = None
    if (status.get("tiers") or {}).get("available") and cards.get("tiers", {}).get("thresholds"):
        card = cards["tiers"]
        tiers = {"value": "clv_12m" if str(card.get("basis", "")).startswith("predicted") else "total_spend",
                 "thresholds": card["thresholds"]}
    clv = cards.get("clv") if (status.get("clv") or {}).get("available") else None
    return Fitted(as_of=pickle.loads(parts["as_of"]),
                  churn=pickle.loads(parts["churn"]) if "churn" in parts else None,
                  personas=pickle.loads(parts["personas"]) if "personas" in parts else None,
                  segments=json.loads(bytes(parts["segments"])) if "segments" in parts else None,
                  tiers=tiers, clv=clv)


# ----------------------------------------------------------------------------- scoring


def churn_frame_columns(fitted: Fitted) -> list[str]:
    """The churn model's stored inputs (churn_inputs' columns besides the id and the trees' probability)."""
    return list(fitted.churn["own_inputs"]) if fitted.churn else []


def tree_probability(fitted: Fitted, frame: pd.DataFrame) -> np.ndarray:
    """The churn trees' mean probability for customers given every churn input (features and churn_inputs)."""
    from tools.churn import _add_bgnbd, _encoder
    from tools.compute import idle_cores

    churn = fitted.churn
    if churn is None or frame.empty:
        return np.full(len(frame), np.nan)
    _add_bgnbd(frame, churn["bgnbd_now"], churn["horizon_days"])
    encode = _encoder(churn["features"], churn["lists"])
    with idle_cores():
        return churn["model"].tree_probability(encode(frame))


def score_customers(con, frame: pd.DataFrame, fitted: Fitted, as_of: date,
                    tree_probability: np.ndarray) -> pd.DataFrame:
    """Score columns (as tools.models writes them, churn reasons aside), one row per row of `frame` (the features
    of customers as of `as_of`; no ids needed); `tree_probability` is the churn trees' probability of each row.
    Adds the scored churn inputs (BG/NBD terms, expected gap, overdue ratio) to `frame` in place, for the reasons.
    Text columns (tier, segment, persona, churn risk) are categoricals made from codes: a million labels made as
    text one by one cost more than the scoring."""
    from tools.retention import RISK_LEVELS, churn_status_codes, value_at_risk
    from tools.value import CLV_HORIZON_DAYS, historical_average

    out: dict[str, Any] = {}
    if fitted.clv is not None:
        for column, values in _values(fitted.clv, frame, as_of).items():
            out[column] = values
    churn = fitted.churn
    if churn is not None:
        from tools.churn import _add_bgnbd, _recency_churn

        _add_bgnbd(frame, churn["bgnbd_now"], churn["horizon_days"])
        if churn["scored_by"] == "recency baseline" and churn["recency_model"] is not None:
            probability = _recency_churn(churn["recency_model"], frame)
        else:
            probability = churn["model"].calibrate(frame, np.asarray(tree_probability, dtype=float))[:, 1]
        risk, gap, ratio = churn_status_codes(frame, probability, churn["horizon_days"], churn["risk_bands"])
        out["churn_probability"] = probability
        out["churn_risk"] = pd.Categorical.from_codes(risk, categories=list(RISK_LEVELS))
        out["expected_gap_days"] = gap
        frame["expected_gap_days"] = gap
        frame["overdue_ratio"] = ratio
        retained = (np.asarray(out["retained_value_12m"], dtype=float) if "retained_value_12m" in out
                    else historical_average(frame, CLV_HORIZON_DAYS)[1])
        if "retained_value_12m" not in out:
            out["retained_value_12m"] = retained
        out["value_at_risk"] = value_at_risk(retained, probability)
    if fitted.tiers is not None:
        values = (pd.Series(out["clv_12m"]) if fitted.tiers["value"] == "clv_12m" and "clv_12m" in out
                  else frame["total_spend"]).fillna(0).to_numpy(dtype=float)
        cut = fitted.tiers["thresholds"]
        code = np.select([values >= cut.get("high", np.inf), values >= cut.get("mid", np.inf)], [0, 1], default=2)
        out["tier"] = pd.Categorical.from_codes(code.astype(np.int8), categories=["high", "mid", "low"])
    if fitted.segments is not None:
        for column, segment in _segments(con, frame, fitted.segments).items():
            out[column] = segment
    if fitted.personas is not None:
        from tools.personas import persona_codes

        out["persona"] = _categorical(*persona_codes(frame, fitted.personas))
    return pd.DataFrame(out, index=frame.index, copy=False)  # not consolidated: a copy of every column


def _categorical(codes: np.ndarray, labels) -> pd.Categorical:
    """The labels of `codes` (positions in `labels`, which may repeat a label) as a categorical."""
    distinct, categories = pd.factorize(np.asarray(labels, dtype=object))
    return pd.Categorical.from_codes(distinct[np.asarray(codes, dtype=np.intp)], categories=list(categories))


def _values(card: dict[str, Any], frame: pd.DataFrame, as_of: date) -> dict[str, np.ndarray]:
    """The CLV columns from the card's BG/NBD and Gamma-Gamma parameters (the model in service at build)."""
    from tools.clv import BetaGeoModel, GammaGammaModel
    from tools.value import value_predictions, values_in_service

    bg = BetaGeoModel(time_unit=card["bgnbd"].get("time_unit", "weeks"))
    bg.r_, bg.alpha_, bg.a_, bg.b_ = (float(card["bgnbd"][k]) for k in ("r", "alpha", "a", "b"))
    gg = GammaGammaModel()
    gg.p_, gg.q_, gg.gamma_ = (float(card["gamma_gamma"][k]) for k in ("p", "q", "gamma"))
    gg.cap_ = card["gamma_gamma"].get("cap")
    cap = card.get("spend_cap")
    predicted = value_predictions(bg, gg, np.inf if cap is None else float(cap), frame, as_of)
    at_baseline = ((card.get("verdict") or {}).get("verdict") == "baseline")
    return values_in_service(predicted, at_baseline=at_baseline)


def rfm_scores(frame: pd.DataFrame, boundaries: dict[str, list]) -> dict[str, np.ndarray]:
    """R, F and M scores from a build's boundaries: the highest score whose lowest value the customer reaches."""
    out = {}
    for key, (score, feature, sign) in RFM_SCORES.items():
        pairs = sorted(boundaries[key], key=lambda p: p[1])  # lowest value first
        edges = np.array([v for _, v in pairs])
        names = np.array([s for s, _ in pairs])
        values = frame[feature].to_numpy(dtype=float) * sign
        position = np.searchsorted(edges, np.nan_to_num(values, nan=-np.inf), side="right") - 1
        out[score] = names[np.clip(position, 0, len(names) - 1)]
    return out


def _segments(con, frame: pd.DataFrame, boundaries: dict[str, list]) -> dict[str, np.ndarray]:
    """RFM scores and segment names: the segment rules of tools.rfm, run in the engine on each distinct
    (R, F, M) -- at most 125 of them -- and looked up for every customer."""
    from tools.rfm import name_segments

    scores = rfm_scores(frame, boundaries)
    code = (scores["r_score"] * 100 + scores["f_score"] * 10 + scores["m_score"]).astype(np.int64)
    inverse, distinct = pd.factorize(code)  # by hashing: a million codes sorted cost more
    scored = pd.DataFrame({"customer_id": distinct.astype(str), "r_score": distinct // 100,
                           "f_score": distinct // 10 % 10, "m_score": distinct % 10})
    named = store.run_on_frame(con, "_rfm_scores", scored, name_segments)
    segment = named.set_index("customer_id").reindex(scored["customer_id"])["segment"].to_numpy()
    return {**scores, "segment": _categorical(inverse.ravel(), segment)}


def churn_reasons(fitted: Fitted, frame: pd.DataFrame, risk: np.ndarray, typical: float) -> pd.DataFrame:
    """Reasons in long form (row: position in `frame`, slot, reason) for the customers of `frame`, scored
    (expected_gap_days and overdue_ratio set by score_customers); `typical` is the shop's typical gap over
    every customer."""
    from tools.churn import _reasons

    if fitted.churn is None or frame.empty:
        return pd.DataFrame({"row": np.zeros(0, dtype=np.int64), "slot": np.zeros(0, dtype=np.int8),
                             "reason": np.zeros(0, dtype=object)})
    return _reasons(frame.reset_index(drop=True), risk, fitted.churn["horizon_days"], typical=typical)
