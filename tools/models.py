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

from tools import engine, store
from tools.errors import TierwiseError
from tools.progress import Progress, silent
from tools.retention import value_at_risk
from tools.scoring import keep_churn_scoring, save_fitted
from tools.verdicts import summary as verdict_summary

MIN_CUSTOMERS = 200
MIN_HISTORY_DAYS = 90
NEAR_HORIZON_DAYS = 90
SIMILAR_PER_PRODUCT = 50
TIER_COLUMNS = ("total_spend", "tenure_days", "first_order_date")
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
    fitted: dict[str, Any] = {}  # what tools.scoring keeps to score customers again without refitting

    def step(name: str):
        def register(func):
            steps.append((name, func))
            return func
        return register

    @step("clv")
    def _clv():
        from tools.value import COLUMNS, build_clv, clv_backtest

        _enough_data(reader.facts, as_of, "CLV")
        backtest = clv_backtest(con, as_of, seed=seed)
        cards["clv"], values = build_clv(reader.read(COLUMNS), as_of, backtest)
        for column, series in values.items():
            scores[column] = series

    @step("tiers")
    def _tiers():
        _enough_data(reader.facts, as_of, "value tiers")
        cards["tiers"], tier, predicted = build_tiers(con, reader.read(TIER_COLUMNS), scores, as_of, seed=seed,
                                                      clv_card=cards.get("clv"))
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
        fitted["personas"] = result["model"]
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
        scores["expected_gap_days"] = churn["expected_gap_days"].to_numpy()
        if "retained_value_12m" not in scores:  # no CLV model: a retained customer keeps their historical average
            from tools.value import CLV_HORIZON_DAYS, historical_average

            scores["retained_value_12m"] = historical_average(
                reader.read(("frequency", "tenure_days", "purchase_days", "total_spend")), CLV_HORIZON_DAYS)[1]
        scores["value_at_risk"] = value_at_risk(scores["retained_value_12m"].to_numpy(dtype=float),
                                                scores["churn_probability"].to_numpy(dtype=float))
        churn_reasons.append(result["reasons"])
        cards["churn"] = result["card"]
        fitted["churn"] = keep_churn_scoring(con, result["scoring"], as_of)

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
    if "tiers" in cards and "segment" in scores:
        cards["tiers"]["consistency"] = tier_segment_consistency(scores)
    _write_scores(con, scores, churn_reasons[0] if churn_reasons else None)
    _write_customer_view(con)
    save_fitted(con, as_of=as_of, churn=fitted.get("churn"), personas=fitted.get("personas"), scores=scores)
    engine.for_store(con).publish("scores")  # on Spark, scores go back as Parquet for the lake
    verdicts = verdict_summary(cards)
    store.write_meta(con, model_cards=cards, model_status=status, model_verdicts=verdicts,
                     models_built_at=_now(), models_as_of=as_of.isoformat())
    return {"status": status, "verdicts": verdicts, "customers": len(scores)}


def tier_basis(clv_card: dict | None) -> str | None:
    """Why tiers can't use predicted value (None when they can): tiers follow the CLV model only when
    it is at least weakly better than its baseline and separates customers."""
    if not clv_card:
        return "the CLV model is unavailable"
    verdict = (clv_card.get("verdict") or {}).get("verdict")
    if verdict == "baseline":
        return "the CLV model is no better than each customer's historical average"
    if clv_card.get("flat"):
        return "the CLV model's predictions are flat"
    return None


MIN_CUTOFF_RATIO = 1.25  # the high tier's lowest value at least 25% above the mid tier's


def _cut_tiers(con, customer_ids: pd.Series, values: pd.Series) -> tuple[np.ndarray, dict[str, float]]:
    """Tiers by value (tools.tiers.tier_table, in the engine) and each tier's lowest value."""
    from tools.tiers import tier_table

    frame = pd.DataFrame({"customer_id": customer_ids, "clv_12m": values.to_numpy()})
    tiered = store.run_on_frame(con, "_tier_values", frame, tier_table)
    tier = tiered.set_index("customer_id").reindex(customer_ids)["tier"].to_numpy()
    thresholds = frame.assign(tier=tier).groupby("tier")["clv_12m"].min()
    return tier, {k: float(v) for k, v in thresholds.items()}


def _separation(thresholds: dict[str, float]) -> float:
    """How far apart the high and mid cut-offs are, as a ratio (inf when mid starts at 0)."""
    high, mid = thresholds.get("high"), thresholds.get("mid")
    if high is None or mid is None:
        return float("inf")
    return high / mid if mid > 0 else float("inf")


# RFM segments that say "valuable"; a low value tier beside them needs an explanation
VALUABLE_SEGMENTS = ("champions", "loyal", "cannot_lose")
TIER_EXPLANATIONS = {
    "gone": "they were valuable but have lapsed or are about to churn, so little value is expected from them",
    "small_baskets": "their spend is no more than the typical customer's (RFM monetary score 1-3): they earn "
                     "the segment by how often or how recently they buy",
}


def tier_segment_consistency(scores: pd.DataFrame) -> dict[str, Any]:
    """Customers in a valuable RFM segment but the low tier, each with the reason, and how many have none."""
    low = (scores["tier"] == "low") & scores["segment"].isin(VALUABLE_SEGMENTS)
    risk = scores["churn_risk"] if "churn_risk" in scores else pd.Series(None, index=scores.index)
    gone = low & risk.isin(["lapsed", "high"])
    small = low & ~gone & (pd.to_numeric(scores.get("m_score"), errors="coerce") <= 3)
    rows = []
    for segment in VALUABLE_SEGMENTS:
        in_segment = scores["segment"] == segment
        if (low & in_segment).any():
            rows.append({"segment": segment, "tier": "low", "customers": int((low & in_segment).sum()),
                         "gone": int((gone & in_segment).sum()), "small_baskets": int((small & in_segment).sum())})
    unexplained = int((low & ~gone & ~small).sum())
    return {"valuable_segments_in_low_tier": rows, "explanations": TIER_EXPLANATIONS, "unexplained": unexplained,
            "sentence": ("Every customer in a valuable segment but the low tier is explained: "
                         + "; or ".join(TIER_EXPLANATIONS.values()) + ".") if not unexplained else
                        f"{unexplained} customers are in a valuable RFM segment but the low tier without a known reason."}


def build_tiers(con, features: pd.DataFrame, scores: pd.DataFrame, as_of: date, *, seed: int,
                clv_card: dict | None = None):
    from tools.tiers import DEFAULT_SHARES, early_features_sql, fit_tier_classifier

    why_not = tier_basis(clv_card) if "clv_12m" in scores else "the CLV model is unavailable"
    realised = features["total_spend"].fillna(0)
    if why_not is None:
        basis, values = "predicted 12-month value (clv_12m)", scores["clv_12m"].fillna(0)
        tier, thresholds = _cut_tiers(con, scores["customer_id"], values)
        if _separation(thresholds) < MIN_CUTOFF_RATIO:
            why_not = (f"the predicted values put the high and mid cut-offs only "
                       f"{_separation(thresholds) - 1:.0%} apart")
    if why_not is not None:
        basis, values = f"realised value (spend to date, as RFM's monetary score reads it), because {why_not}", realised
        tier, thresholds = _cut_tiers(con, scores["customer_id"], values)
    frame = pd.DataFrame({"customer_id": scores["customer_id"], "clv_12m": values.to_numpy()})
    ratio = _separation(thresholds)
    card: dict[str, Any] = {
        "model": "tiers",
        "definition": f"high = top {DEFAULT_SHARES['high']:.0%}, mid = next {DEFAULT_SHARES['mid']:.0%}, "
                      f"low = the rest, by {basis}",
        "shares": DEFAULT_SHARES,
        "basis": basis,
        "sizes": pd.Series(tier).value_counts().to_dict(),
        "value_share": (frame.assign(tier=tier).groupby("tier")["clv_12m"].sum() / max(frame["clv_12m"].sum(), 1e-9)).to_dict(),
        "thresholds": thresholds,
        "cutoff_ratio": ratio if np.isfinite(ratio) else None,
        "cutoffs_separated": bool(ratio >= MIN_CUTOFF_RATIO),
    }
    if ratio < MIN_CUTOFF_RATIO:
        card["cutoffs_note"] = (f"The high and mid cut-offs are only {ratio - 1:.0%} apart: customers' values are "
                                "too alike for tiers to mean much in this shop.")
    predicted = pd.Series(index=scores["customer_id"], dtype=object)
    try:
        early = con.execute(early_features_sql(), [as_of]).df().set_index("customer_id")
        f = features.set_index("customer_id")
        result = fit_tier_classifier(early, pd.Series(tier, index=scores["customer_id"]), f["tenure_days"],
                                     pd.to_datetime(f["first_order_date"]), seed=seed)
        card["young_customer_classifier"] = result["card"]
        card["verdict"] = result["card"]["verdict"]
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
    "retained_value_12m": "DOUBLE", "value_at_risk": "DOUBLE", "expected_gap_days": "DOUBLE",
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
        # after an incremental refresh scores is a view of the customer view (tools.refresh); a build writes a table
        if cur.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'scores' AND NOT temporary").fetchall()[0][0]:
            cur.execute("DROP VIEW scores")
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


# One row per customer joining behaviour, scores and non-PII attributes: what tools filter on (the tables are
# named so that an incremental refresh can build some customers' rows from their rows alone)
VIEW_FROM_FEATURES = ("first_order_date", "last_order_date", "orders", "total_spend", "aov", "recency_days",
                      "tenure_days", "top_channel", "top_category")
VIEW_FROM_CUSTOMERS = {"country": "c.country", "city": "c.city", "email_consent": "coalesce(c.email_consent, false)"}
CUSTOMER_VIEW_COLUMNS = ", ".join(["f.customer_id", *(f"f.{c}" for c in VIEW_FROM_FEATURES),
                                   *(f"{sql} AS {c}" for c, sql in VIEW_FROM_CUSTOMERS.items()),
                                   "s.* EXCLUDE (customer_id)"])
CUSTOMER_VIEW_FROM = """
        FROM {features} f
        LEFT JOIN {scores} s USING (customer_id)
        LEFT JOIN {customers} c USING (customer_id)"""
CUSTOMER_VIEW_SELECT = f"""
        SELECT {CUSTOMER_VIEW_COLUMNS}{CUSTOMER_VIEW_FROM}"""
CUSTOMER_VIEW_SQL = CUSTOMER_VIEW_SELECT.format(features="features", scores="scores", customers="customers")

# The customer view is stored as two tables of one row per customer, row i of each being the customer of row i of
# `features` (rows are only ever updated in place or added at the end, never deleted), and read through a view
# that puts them side by side (DuckDB's POSITIONAL JOIN: no key lookup, scans as fast as one table):
#   customer_base  what changes only when a customer's orders do (or at a build): dates, orders, spend, country,
#                  churn reasons, the young-customer tier
#   customer_now   what changes as time passes: days since the last and the first order and the scores at the
#                  as-of date; an incremental refresh (tools.refresh) writes this narrow table again, whole, and
#                  touches the wide one only for the customers whose orders changed
# The churn reasons are kept as JSON text (REASONS_TEXT) and read back as a list by the view: DuckDB updates a list
# column by deleting the row and adding it at the end, which would move the customer out of line.
BASE_TABLE, NOW_TABLE = "customer_base", "customer_now"
BY_ID_VIEW = "customer_view_by_id"  # the customer view's rows for lookups of a few customers by id
NOW_COLUMNS = ("recency_days", "tenure_days", "tier", "segment", "persona", "churn_probability", "churn_risk",
               "p_alive", "expected_orders_90d", "clv_12m", "next_order_date", "r_score", "f_score", "m_score",
               "retained_value_12m", "value_at_risk", "expected_gap_days")
REASONS_TEXT = "churn_reasons_json"


def reasons_as_text(sql: str) -> str:
    """SQL of a list of reasons as customer_base keeps it."""
    return f"CAST(to_json({sql}) AS VARCHAR)"


def _write_customer_view(con) -> None:
    """The customer view (CUSTOMER_VIEW_SQL) as its two tables in the order of `features`, and the view."""
    write_customer_tables(con, f"SELECT f.rowid AS _position, {CUSTOMER_VIEW_COLUMNS}"
                               + CUSTOMER_VIEW_FROM.format(features="features", scores="scores", customers="customers"))


def write_customer_tables(con, rows_sql: str) -> None:
    """Write customer_base and customer_now from `rows_sql` (the customer view's columns and _position, the row's
    position in `features`), and the customer view over them."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE _customer_rows AS SELECT * EXCLUDE (_position) FROM ({rows_sql}) "
                f"ORDER BY _position")
    try:
        columns = [r[0] for r in con.execute("DESCRIBE _customer_rows").fetchall()]
        now = [c for c in columns if c in NOW_COLUMNS]
        base = [reasons_as_text(c) + f" AS {REASONS_TEXT}" if c == "churn_reasons" else c
                for c in columns if c not in NOW_COLUMNS]
        drop_customer_view(con)
        con.execute(f"CREATE OR REPLACE TABLE {BASE_TABLE} AS SELECT {', '.join(base)} FROM _customer_rows")
        con.execute(f"CREATE OR REPLACE TABLE {NOW_TABLE} AS SELECT {', '.join(now)} FROM _customer_rows")
    finally:
        con.execute("DROP TABLE IF EXISTS _customer_rows")
    create_customer_view(con, columns)


def create_customer_view(con, columns: list[str]) -> None:
    """The customer view: customer_base and customer_now side by side, `columns` in this order."""
    def column(name: str) -> str:
        if name in NOW_COLUMNS:
            return f"n.{name}"
        if name == "churn_reasons":
            return f"""from_json(b.{REASONS_TEXT}, '["VARCHAR"]') AS churn_reasons"""
        return f"b.{name}"

    select = ", ".join(column(c) for c in columns)
    con.execute(f"CREATE OR REPLACE VIEW customer_view AS SELECT {select} FROM {BASE_TABLE} b POSITIONAL JOIN {NOW_TABLE} n")
    # the same rows for a lookup by id: a filter on the id narrows the wide table's scan, and the narrow table is
    # joined by row number (the positional join reads both tables whole: 3 ms -> 80 ms for one customer at 1M)
    con.execute(f"CREATE OR REPLACE VIEW {BY_ID_VIEW} AS SELECT {select} "
                f"FROM (SELECT rowid AS _row, * FROM {BASE_TABLE}) b JOIN (SELECT rowid AS _row, * FROM {NOW_TABLE}) n "
                f"USING (_row)")


def drop_customer_view(con) -> None:
    """Drop customer_view, a table (as stores before customer_base and customer_now kept it) or a view."""
    kind = con.execute("SELECT table_type FROM information_schema.tables WHERE table_name = 'customer_view' "
                       "AND table_schema = current_schema()").fetchall()
    if kind:
        con.execute("DROP VIEW customer_view" if kind[0][0] == "VIEW" else "DROP TABLE customer_view")
    con.execute(f"DROP VIEW IF EXISTS {BY_ID_VIEW}")


def customer_tables_aligned(con) -> bool:
    """Whether customer_base and customer_now hold row for row the customers of `features`, with no deleted rows
    (a row's rowid is its position)."""
    present = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall()}
    if not {BASE_TABLE, NOW_TABLE, "features"} <= present:
        return False
    counts = [con.execute(f"SELECT count(*), coalesce(max(rowid) + 1, 0) FROM {t}").fetchall()[0]
              for t in ("features", BASE_TABLE, NOW_TABLE)]
    if len({n for pair in counts for n in pair}) != 1:
        return False
    return not con.execute(f"SELECT count(*) FROM features f POSITIONAL JOIN {BASE_TABLE} b "
                           f"WHERE f.customer_id IS DISTINCT FROM b.customer_id").fetchall()[0][0]


def _now() -> str:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).isoformat(timespec="seconds")
