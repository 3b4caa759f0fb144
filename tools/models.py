"""Build every model of a dataset from its features and write one `scores` row per customer.

Each model is built on its own; one lacking data records why (which model, what is short) and
the others still build. Cards (definition, validation, metrics vs baselines) go to the meta table
under `model_cards`; per-customer outputs go to `scores`; the recommender's item similarities go
to `item_similarity` and its popularity tables to `product_popularity`.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any, Callable

import duckdb
import ibis
import numpy as np
import pandas as pd

from tools import store
from tools.errors import TierwiseError
from tools.progress import Progress, silent

MIN_CUSTOMERS = 200
MIN_HISTORY_DAYS = 90
CLV_HORIZON_DAYS = 365
NEAR_HORIZON_DAYS = 90
OUTLIER_MEDIANS = 20  # a mean basket above 20× the median repeat buyer's counts as 20× (Gamma-Gamma)
SIMILAR_PER_PRODUCT = 50
CLV_COLUMNS = ("frequency", "bgnbd_t_x_days", "tenure_days", "mean_repeat_day_spend")
TIER_COLUMNS = ("spend_last_180", "tenure_days", "first_order_date")
SCORE_COLUMNS = ("customer_id", "tier", "segment", "persona", "churn_probability", "churn_risk",
                 "p_alive", "expected_orders_90d", "clv_12m", "next_order_date")


def _enough_data(facts: dict[str, Any], as_of: date, model: str) -> None:
    if facts["customers"] < MIN_CUSTOMERS:
        raise TierwiseError(f"The {model} model needs at least {MIN_CUSTOMERS} customers; "
                            f"this dataset has {facts['customers']}.")
    history = (as_of - facts["first_order"]).days if facts["first_order"] else 0
    if history < MIN_HISTORY_DAYS:
        raise TierwiseError(f"The {model} model needs at least {MIN_HISTORY_DAYS} days of history; "
                            f"this dataset has {history}.")


class FeatureReader:
    """Reads only the feature columns a model needs, in customer order; nothing is kept between reads,
    so at 1M customers no step holds the whole feature table in memory."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        self.columns = [r[0] for r in con.execute("DESCRIBE features").fetchall()]
        customers, first = con.execute("SELECT count(*), min(first_order_date) FROM features").fetchone()
        self.facts = {"customers": int(customers),
                      "first_order": pd.Timestamp(first).date() if first is not None else None}

    def read(self, columns) -> pd.DataFrame:
        wanted = ["customer_id", *[c for c in columns if c in self.columns and c != "customer_id"]]
        select = ", ".join(f'"{c}"' for c in wanted)
        return self.con.execute(f"SELECT {select} FROM features ORDER BY customer_id").df()


def build_models(con: duckdb.DuckDBPyConnection, as_of: date, *, seed: int = 42,
                 progress: Progress = silent) -> dict[str, Any]:
    reader = FeatureReader(con)
    scores = reader.read([])
    churn_reasons: list[pd.DataFrame] = []  # long form (customer_id, slot, reason); lists are made in SQL
    cards: dict[str, Any] = {}
    status: dict[str, Any] = {}
    steps: list[tuple[str, Callable[[], None]]] = []

    def step(name: str):
        def register(func):
            steps.append((name, func))
            return func
        return register

    @step("clv")
    def _clv():
        _enough_data(reader.facts, as_of, "CLV")
        cards["clv"], values = build_clv(reader.read(CLV_COLUMNS), as_of)
        cards["clv"]["backtest"] = clv_backtest(con, as_of)
        for column, series in values.items():
            scores[column] = series

    @step("tiers")
    def _tiers():
        _enough_data(reader.facts, as_of, "value tiers")
        cards["tiers"], tier, predicted = build_tiers(con, reader.read(TIER_COLUMNS), scores, as_of, seed=seed)
        scores["tier"] = tier
        scores["predicted_tier_young"] = predicted

    @step("segments")
    def _segments():
        from tools.rfm import SEGMENT_RULES, rfm_table

        _enough_data(reader.facts, as_of, "RFM segments")
        table = ibis.duckdb.from_connection(con).table("features")
        rfm = con.execute(ibis.to_sql(rfm_table(table), dialect="duckdb")).df()
        rfm = rfm.set_index("customer_id").reindex(scores["customer_id"])
        for column in ("r_score", "f_score", "m_score", "segment"):
            scores[column] = rfm[column].to_numpy()
        sizes = rfm["segment"].value_counts()
        cards["segments"] = {
            "model": "segments",
            "definition": "RFM quintile scores (1-5 by percent rank; ties share a score) and named "
                          "segments from recency R and FM = round((F+M)/2)",
            "rules": [{"segment": n, "r": list(r), "fm": list(f)} for n, r, f in SEGMENT_RULES],
            "sizes": {k: int(v) for k, v in sizes.items()},
        }

    @step("personas")
    def _personas():
        from tools.personas import design_columns, fit_personas

        _enough_data(reader.facts, as_of, "personas")
        result = fit_personas(reader.read(design_columns(reader.columns)), seed=seed)
        scores["persona"] = result["assignments"].set_index("customer_id").reindex(scores["customer_id"])["persona"].to_numpy()
        card = result["card"]
        card["profiles"] = result["profiles"].to_dict(orient="records")
        card["map"] = result["map"].to_dict(orient="list")
        cards["personas"] = card

    @step("churn")
    def _churn():
        from tools.churn import fit_churn

        _enough_data(reader.facts, as_of, "churn")
        result = fit_churn(con, as_of, seed=seed, progress=progress)
        churn = result["scores"].set_index("customer_id").reindex(scores["customer_id"])
        scores["churn_probability"] = churn["churn_probability"].to_numpy()
        scores["churn_risk"] = churn["churn_risk"].to_numpy()
        churn_reasons.append(result["reasons"])
        cards["churn"] = result["card"]

    @step("recommendations")
    def _recommendations():
        cards["recommendations"] = build_recommendations(con, as_of, scores, seed=seed)

    total = len(steps)
    for i, (name, func) in enumerate(steps):
        progress(f"building {name}", i / total)
        started = time.perf_counter()
        try:
            func()
            status[name] = {"available": True, "seconds": round(time.perf_counter() - started, 2)}
        except TierwiseError as exc:
            status[name] = {"available": False, "reason": str(exc)}
            progress(f"{name} not built: {exc}")
    _write_scores(con, scores, churn_reasons[0] if churn_reasons else None)
    _write_customer_view(con)
    store.write_meta(con, model_cards=cards, model_status=status, models_built_at=_now(),
                     models_as_of=as_of.isoformat())
    return {"status": status, "customers": len(scores)}


def build_clv(features: pd.DataFrame, as_of: date) -> tuple[dict, dict[str, np.ndarray]]:
    from tools.clv import BetaGeoModel, GammaGammaModel, customer_lifetime_value

    x = features["frequency"].to_numpy(float)
    t_x = features["bgnbd_t_x_days"].to_numpy(float) / 7.0
    T = features["tenure_days"].to_numpy(float) / 7.0
    m = features["mean_repeat_day_spend"].fillna(0).to_numpy(float)
    repeat_spend = m[(x > 0) & (m > 0)]
    cap = float(np.median(repeat_spend)) * OUTLIER_MEDIANS if repeat_spend.size else np.inf
    capped = int((m > cap).sum())
    m = np.minimum(m, cap)
    bg = BetaGeoModel(time_unit="weeks").fit(x, t_x, T)
    gg = GammaGammaModel().fit(x, m)
    p_alive = bg.probability_alive(x, t_x, T)
    orders_90 = bg.expected_purchases(NEAR_HORIZON_DAYS / 7.0, x, t_x, T)
    clv_12m = customer_lifetime_value(bg, gg, x, t_x, T, m, horizon=CLV_HORIZON_DAYS / 7.0)
    next_in = bg.expected_next_purchase_in(x, t_x, T) * 7.0
    next_in = np.where(np.isfinite(next_in) & (next_in < 365 * 1000), next_in, np.nan)  # NaT: not expected
    next_date = (pd.Timestamp(as_of) + pd.to_timedelta(next_in, unit="D")).floor("D")
    card = {
        "model": "clv",
        "definition": "BG/NBD purchase model and Gamma-Gamma spend model fitted by maximum likelihood; "
                      "a purchase is a customer-day (same-day orders summed), time unit weeks",
        "bgnbd": bg.params(),
        "gamma_gamma": gg.params(),
        "time_unit": "weeks",
        "horizon_days": CLV_HORIZON_DAYS,
        "total_expected_revenue_12m": float(np.nansum(clv_12m)),
        "total_expected_orders_90d": float(np.nansum(orders_90)),
        "spend_cap": cap if np.isfinite(cap) else None,
        "outliers": f"mean spend per transaction capped at {OUTLIER_MEDIANS}× the median repeat buyer's "
                    f"({cap:,.2f}); {capped} customers capped",
    }
    return card, {"p_alive": p_alive, "expected_orders_90d": orders_90, "clv_12m": clv_12m,
                  "next_order_date": next_date.to_numpy()}


def clv_backtest(con, as_of: date) -> dict[str, Any]:
    """Refit at an earlier cut and compare predicted with actual purchase days after it, against the
    naive baseline "each customer keeps their past purchase rate"."""
    from tools.clv import BetaGeoModel
    from tools.features import feature_table

    first = con.execute("SELECT min(order_date) FROM orders").fetchone()[0]
    history = (as_of - first).days
    horizon = min(180, history // 3)
    if horizon < 30:
        return {"available": False, "reason": f"needs at least 90 days of history; has {history}"}
    cut = as_of - timedelta(days=horizon)
    backend = ibis.duckdb.from_connection(con)
    past = con.execute(ibis.to_sql(feature_table(backend.table("orders"), cut).select(
        "customer_id", "frequency", "bgnbd_t_x_days", "tenure_days", "purchase_days"), dialect="duckdb")).df()
    if len(past) < MIN_CUSTOMERS:
        return {"available": False, "reason": f"only {len(past)} customers before {cut}"}
    actual = con.execute("""SELECT customer_id, count(DISTINCT order_date) AS actual FROM orders
                            WHERE order_date > ? AND order_date <= ? GROUP BY 1""", [cut, as_of]).df()
    past = past.merge(actual, on="customer_id", how="left").fillna({"actual": 0})
    x, t_x, T = (past["frequency"].to_numpy(float), past["bgnbd_t_x_days"].to_numpy(float) / 7,
                 past["tenure_days"].to_numpy(float) / 7)
    bg = BetaGeoModel().fit(x, t_x, T)
    predicted = bg.expected_purchases(horizon / 7, x, t_x, T)
    naive = past["frequency"].to_numpy(float) / np.maximum(past["tenure_days"].to_numpy(float), 1) * horizon
    truth = past["actual"].to_numpy(float)
    return {
        "cut": cut.isoformat(), "horizon_days": horizon, "customers": int(len(past)),
        "actual_purchase_days": float(truth.sum()), "predicted_purchase_days": float(predicted.sum()),
        "naive_predicted_purchase_days": float(naive.sum()),
        "mae": float(np.abs(predicted - truth).mean()), "naive_mae": float(np.abs(naive - truth).mean()),
        "definition": f"BG/NBD refitted on data up to {cut} predicts repeat purchase days in the next {horizon} "
                      "days; the naive baseline assumes each customer keeps their past repeat rate",
    }


def build_tiers(con, features: pd.DataFrame, scores: pd.DataFrame, as_of: date, *, seed: int):
    from tools.tiers import DEFAULT_SHARES, early_features_sql, fit_tier_classifier, tier_table

    if "clv_12m" in scores:
        basis, values = "clv_12m", scores["clv_12m"].fillna(0)
    else:
        basis, values = "spend in the last 180 days (CLV model unavailable)", features["spend_last_180"].fillna(0)
    frame = pd.DataFrame({"customer_id": scores["customer_id"], "clv_12m": values.to_numpy()})
    cur = con.cursor()  # on the store's connection (its memory cap), not ibis' default backend
    try:
        cur.register("_tier_values", frame)
        tiered = cur.execute(ibis.to_sql(tier_table(ibis.duckdb.from_connection(cur).table("_tier_values")),
                                         dialect="duckdb")).df()
    finally:
        cur.close()
    tiered = tiered.set_index("customer_id").reindex(scores["customer_id"])
    tier = tiered["tier"].to_numpy()
    card: dict[str, Any] = {
        "model": "tiers",
        "definition": f"high = top {DEFAULT_SHARES['high']:.0%}, mid = next {DEFAULT_SHARES['mid']:.0%}, "
                      f"low = the rest, by predicted 12-month value ({basis})",
        "shares": DEFAULT_SHARES,
        "basis": basis,
        "sizes": pd.Series(tier).value_counts().to_dict(),
        "value_share": (frame.assign(tier=tier).groupby("tier")["clv_12m"].sum() / max(frame["clv_12m"].sum(), 1e-9)).to_dict(),
        "thresholds": frame.assign(tier=tier).groupby("tier")["clv_12m"].min().to_dict(),
    }
    predicted = pd.Series(index=scores["customer_id"], dtype=object)
    try:
        early = con.execute(early_features_sql(), [as_of]).df().set_index("customer_id")
        f = features.set_index("customer_id")
        result = fit_tier_classifier(early, pd.Series(tier, index=scores["customer_id"]), f["tenure_days"],
                                     pd.to_datetime(f["first_order_date"]), seed=seed)
        card["young_customer_classifier"] = result["card"]
        predicted = result["predictions"].reindex(scores["customer_id"])
    except TierwiseError as exc:
        card["young_customer_classifier"] = {"available": False, "reason": str(exc)}
    return card, tier, predicted.to_numpy()


def build_recommendations(con, as_of: date, scores: pd.DataFrame, *, seed: int) -> dict[str, Any]:
    from tools.recommend import CoPurchaseRecommender, evaluate

    has_products = con.execute("SELECT count(product) FROM orders WHERE order_date <= ?", [as_of]).fetchall()[0][0]
    if not has_products:
        raise TierwiseError("Recommendations need a product column; this dataset has no products.")
    split = as_of - timedelta(days=NEAR_HORIZON_DAYS)
    pair_sql = ("SELECT DISTINCT customer_id, product FROM orders WHERE product IS NOT NULL "
                "AND order_date > ? AND order_date <= ?")
    before = con.execute(pair_sql, [date(1, 1, 1), split]).df()
    after = con.execute(pair_sql, [split, as_of]).df()
    everything = con.execute(pair_sql, [date(1, 1, 1), as_of]).df()
    segments = scores.set_index("customer_id")["segment"] if "segment" in scores else None
    evaluation = evaluate(before, after, segments=segments, seed=seed)
    model = CoPurchaseRecommender().fit(everything, segments=segments)
    sim = model.similarity_
    products = model.products_
    # keep each product's strongest neighbours as a table the tools query with SQL
    k = min(SIMILAR_PER_PRODUCT, len(products) - 1) if len(products) > 1 else 0
    rows = []
    if k > 0:
        top = np.argsort(-sim, axis=1)[:, :k]
        a = np.repeat(np.arange(len(products)), k)
        b = top.ravel()
        s = sim[a, b]
        keep = s > 0
        rows = pd.DataFrame({"product_a": products[a[keep]], "product_b": products[b[keep]], "similarity": s[keep]})
    sim_frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(columns=["product_a", "product_b", "similarity"])
    con.register("_sim", sim_frame)
    con.execute("CREATE OR REPLACE TABLE item_similarity AS SELECT product_a::VARCHAR AS product_a, "
                "product_b::VARCHAR AS product_b, similarity::DOUBLE AS similarity FROM _sim")
    con.unregister("_sim")
    seg_pop = [pd.DataFrame({"segment": "__all__", "product": products, "buyers": model.popularity_})]
    for name, pop in model.segment_popularity_.items():
        seg_pop.append(pd.DataFrame({"segment": name, "product": products, "buyers": pop}))
    pop_frame = pd.concat(seg_pop, ignore_index=True)
    con.register("_pop", pop_frame)
    con.execute("CREATE OR REPLACE TABLE product_popularity AS SELECT segment::VARCHAR AS segment, "
                "product::VARCHAR AS product, buyers::DOUBLE AS buyers FROM _pop WHERE buyers > 0")
    con.unregister("_pop")
    return {
        "model": "recommendations",
        "definition": "item-item co-purchase (cosine similarity of who bought what), products already "
                      "bought left out; customers without co-purchase signal get their RFM segment's "
                      "most popular products",
        "validation": f"time split at {split}: trained on purchases up to it, judged on new products bought "
                      f"in the {NEAR_HORIZON_DAYS} days after",
        **evaluation,
        "products": int(len(products)),
    }


SCORE_TYPES = {
    "customer_id": "VARCHAR", "tier": "VARCHAR", "segment": "VARCHAR", "persona": "VARCHAR",
    "churn_probability": "DOUBLE", "churn_risk": "VARCHAR", "p_alive": "DOUBLE",
    "expected_orders_90d": "DOUBLE", "clv_12m": "DOUBLE", "next_order_date": "DATE",
    "predicted_tier_young": "VARCHAR", "r_score": "INTEGER", "f_score": "INTEGER", "m_score": "INTEGER",
    "churn_reasons": "VARCHAR[]",
}


def _write_scores(con, scores: pd.DataFrame, reasons: pd.DataFrame | None = None) -> None:
    """Write `scores` with fixed column types, NULL where a model could not be built. Churn reasons
    come in long form and become each customer's list (strongest first) in the engine; a customer
    the churn model scored has at least one, one it did not score has none."""
    columns = [c for c in SCORE_TYPES if c != "churn_reasons"]
    frame = scores.copy()
    for column in columns:
        if column not in frame:
            frame[column] = None  # NULL, not NaN, where a model could not be built
    frame = frame[columns]
    cur = con.cursor()  # its own connection: a half-read result elsewhere must not block the write
    try:
        cur.register("_scores", frame)
        select = ", ".join(f"CAST(s.{c} AS {SCORE_TYPES[c]}) AS {c}" for c in columns)
        if reasons is None:
            cur.execute(f"CREATE OR REPLACE TABLE scores AS SELECT {select}, "
                        "CAST(NULL AS VARCHAR[]) AS churn_reasons FROM _scores s")
        else:
            cur.register("_reasons", reasons)
            cur.execute(f"""
                CREATE OR REPLACE TABLE scores AS
                SELECT {select},
                       CASE WHEN s.churn_probability IS NULL THEN []::VARCHAR[]
                            ELSE coalesce(r.churn_reasons, []::VARCHAR[]) END AS churn_reasons
                FROM _scores s
                LEFT JOIN (SELECT CAST(customer_id AS VARCHAR) AS customer_id,
                                  list(CAST(reason AS VARCHAR) ORDER BY slot) AS churn_reasons
                           FROM _reasons GROUP BY 1) r
                       ON r.customer_id = CAST(s.customer_id AS VARCHAR)
                ORDER BY s.customer_id""")
    finally:
        cur.close()


def _write_customer_view(con) -> None:
    """One row per customer joining behaviour, scores and non-PII attributes: what tools filter on."""
    con.execute("""
        CREATE OR REPLACE TABLE customer_view AS
        SELECT f.customer_id, f.first_order_date, f.last_order_date, f.orders, f.total_spend, f.aov,
               f.recency_days, f.tenure_days, f.top_channel, f.top_category,
               c.country, c.city, coalesce(c.email_consent, false) AS email_consent,
               s.* EXCLUDE (customer_id)
        FROM features f
        LEFT JOIN scores s USING (customer_id)
        LEFT JOIN customers c USING (customer_id)
    """)


def _now() -> str:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).isoformat(timespec="seconds")
