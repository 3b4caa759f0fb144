"""`tierwise append FILE`: new orders into the dataset in service, features and scores refreshed without
refitting the models, and a snapshot recorded.

Everything happens in a staged copy of the dataset that is swapped in only when every step succeeded, so
a refused or failed append leaves the data, the models and the snapshots as they were:
  1. the file is read and checked as a load reads it, with the dataset's column mapping; one bad row
     refuses it whole (tools.incoming)
  2. new lines go in; lines already loaded are left out and counted; customers not seen before are added
  3. the as-of date moves to the last new order (never back)
  4. a full build refits every model when asked (`refit=True`) or when the models were fitted more than
     the `models_max_age_days` setting before the new as-of date (days of data); otherwise:
  5. features are computed again for the customers whose features can change beyond the passing of time:
     those with new lines, with orders between the old and the new as-of date, and with an order that
     leaves a time window as the date moves (the last 30/90/180/365 days, the 90 before the last 90, the
     180 before the last 180); everyone else's days since the last and the first order grow by the days
     the as-of date moved, which is all that changes for them
  6. every customer is scored at the new as-of date with the last build's models (tools.scoring); the churn
     trees run for the customers of step 5 only; churn reasons are written again for them and for anyone
     whose risk band changed (the others keep theirs until the next build)
  7. order headers and rollups of the customers with new lines, the customer view, the meta, a snapshot
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import ibis
import numpy as np
import pandas as pd

from tools import snapshots, store
from tools.errors import TierwiseError
from tools.incoming import merge_incoming, read_incoming
from tools.progress import Progress, silent
from tools.scoring import INPUTS_TABLE, KEPT_SCORES, PRICES_TABLE, Fitted, churn_frame_columns, churn_reasons, \
    load_fitted, score_customers, tree_probability
from tools.workspace import STORE_FILE, Workspace

DEFAULT_MODELS_MAX_AGE_DAYS = 30
# Columns every customer's scoring reads (features, then the churn model's own inputs the reasons need)
SCORING_FEATURES = ("customer_id", "frequency", "recency_days", "tenure_days", "bgnbd_t_x_days", "mean_repeat_day_spend",
                    "purchase_days", "total_spend", "spend_last_365", "orders", "total_quantity", "gap_mean_days",
                    "orders_last_180", "orders_prev_180", "orders_last_365", "spend_last_90", "spend_prev_90",
                    "aov", "distinct_categories")
REASON_INPUTS = ("last_spend_ratio", "last_gap_days", "last_gap_ratio", "days_since_refund", "refund_after_last_order")


def window_edges() -> tuple[int, ...]:
    """Days before the as-of date where a feature's time window starts (an order older than that has left it)."""
    from tools.features import ORDER_WINDOWS, SPEND_TREND_DAYS, SPEND_WINDOWS, TREND_DAYS

    return tuple(sorted({*ORDER_WINDOWS, *SPEND_WINDOWS, TREND_DAYS, 2 * TREND_DAYS, SPEND_TREND_DAYS,
                         2 * SPEND_TREND_DAYS}))


def append_orders(ws: Workspace, transactions: str | Path, *, customers: str | Path | None = None,
                  refit: bool = False, seed: int = 42, today: date | None = None,
                  progress: Progress = silent) -> dict[str, Any]:
    """Add the file's new orders (and customers) to the dataset in service; return the append report."""
    from tools.settings import read_settings

    started = time.perf_counter()
    timings: dict[str, float] = {}

    def lap(name: str, since: float) -> float:
        now = time.perf_counter()
        timings[f"{name}_seconds"] = round(now - since, 3)
        return now

    current = ws.require_current()
    con = store.connect(current / STORE_FILE, read_only=True)
    try:
        meta = store.read_meta(con)
    finally:
        con.close()
    if "model_status" not in meta:
        raise TierwiseError("The dataset in service has no models yet; run `tierwise build` before appending.")
    progress("reading the new orders", 0.0)
    incoming = read_incoming(transactions, meta, customers=customers, today=today)
    t = lap("read", started)
    if not snapshots.list_snapshots(ws.home, lineage=meta.get("loaded_at")):
        snapshots.record_current(ws, kind="baseline")  # built before snapshots were kept: "what changed" needs a start
        t = lap("baseline_snapshot", t)
    max_age = int(read_settings(ws.home).get("models_max_age_days") or DEFAULT_MODELS_MAX_AGE_DAYS)

    progress("copying the dataset", 0.15)
    staged = ws.stage(copy_current=True)
    pending = None
    try:
        con = store.connect(staged / STORE_FILE)
        try:
            t = lap("copy", t)
            progress("adding the new orders", 0.25)
            merged = merge_incoming(con, incoming)
            t = lap("merge", t)
            report = _report(incoming, merged, meta)
            if not (merged["order_lines_added"] or merged["cancelled_lines_added"] or merged["customers_added"]):
                report["changed"] = False
                report["warnings"].append("Nothing new: every line of the file was already loaded. The data in service "
                                          "is unchanged.")
                raise _NothingNew(report)
            old_as_of = date.fromisoformat(meta["as_of"])
            last = con.execute("SELECT max(order_date) FROM _appended_lines WHERE NOT _cancelled").fetchall()[0][0]
            as_of = max(old_as_of, last) if last is not None else old_as_of
            models_as_of = date.fromisoformat(meta.get("models_as_of") or meta["as_of"])
            age = (as_of - models_as_of).days
            report.update(as_of_before=old_as_of.isoformat(), as_of=as_of.isoformat(),
                          models_as_of=models_as_of.isoformat(), models_age_days=age, models_max_age_days=max_age)
            if refit or age > max_age:
                report["refit"] = ("asked" if refit else
                                   f"the models were fitted {age} days of data before the new as-of date "
                                   f"(more than models_max_age_days = {max_age})")
                progress("refitting every model", 0.4)
                from tools.loading import _features, _models

                _features(con, as_of, progress)
                store.write_meta(con, as_of=as_of.isoformat())
                report["models"] = _models(con, as_of, seed, progress)
            else:
                report["refit"] = None
                report["refresh"] = refresh_scores(con, meta, old_as_of, as_of, timings=timings, progress=progress)
                t = time.perf_counter()
                _headers(con, meta)
                t = lap("headers", t)
            appends = list(meta.get("appends") or [])[-99:]
            appends.append({k: report[k] for k in ("file", "appended_at", "as_of_before", "as_of", "order_lines_added",
                                                   "duplicate_lines", "customers_added", "refit")})
            store.write_meta(con, as_of=as_of.isoformat(), appends=appends, refreshed_at=report["appended_at"],
                             **({"scores_as_of": as_of.isoformat()} if not report["refit"] else {}))
            pending = snapshots.record(con, ws.home, kind="append",
                                       detail={"file": report["file"], "order_lines_added": report["order_lines_added"]})
            t = lap("snapshot", t)
        finally:
            con.close()
        done = ws.activate(staged)
    except _NothingNew as nothing:
        ws.discard(staged)
        nothing.report["timings"] = timings
        return nothing.report
    except BaseException:
        ws.discard(staged)
        snapshots.discard(pending)
        raise
    report["snapshot"] = (snapshots.commit(pending, dataset=done.name) or {}).get("id")
    report["dataset"] = done.name
    t = lap("swap", t)
    timings["total_seconds"] = round(time.perf_counter() - started, 3)
    report["timings"] = timings
    progress("appended; the refreshed data is in service", 1.0)
    return report


class _NothingNew(Exception):
    def __init__(self, report: dict[str, Any]):
        super().__init__("nothing new")
        self.report = report


def _report(incoming, merged: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
    r = incoming.report
    return {
        "file": Path(incoming.file).name, "appended_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "changed": True, "rows_read": r.get("rows_read"), "cancelled": r.get("cancelled"),
        "order_lines_added": merged["order_lines_added"], "cancelled_lines_added": merged["cancelled_lines_added"],
        "duplicate_lines": merged["duplicate_lines"] + merged["duplicate_cancelled_lines"],
        "customers_added": merged["customers_added"], "date_min": r.get("date_min"), "date_max": r.get("date_max"),
        "mapping": r.get("mapping"), "warnings": incoming.warnings + merged["warnings"],
    }


# ----------------------------------------------------------------------------- the incremental refresh


def refresh_scores(con, meta: dict[str, Any], old_as_of: date, as_of: date, *, timings: dict[str, float] | None = None,
                   progress: Progress = silent) -> dict[str, Any]:
    """Features of the customers whose orders changed or left a time window, everyone's time-dependent features,
    and everyone's scores at `as_of`, with the models of the last build. Reads temp table _appended_lines."""
    timings = timings if timings is not None else {}
    t = time.perf_counter()
    fitted = load_fitted(con, meta)
    shift = (as_of - old_as_of).days
    recompute = _customers_to_recompute(con, old_as_of, as_of)
    progress("features of the customers with new orders", 0.45)
    _recompute_features(con, fitted, as_of, shift)
    timings["features_seconds"] = round(time.perf_counter() - t, 3)

    t = time.perf_counter()
    progress("scoring every customer", 0.6)
    frame = _scoring_frame(con, fitted)
    frame_ids = frame["customer_id"].astype(str)
    old = con.execute(f"SELECT customer_id, churn_risk, {', '.join(KEPT_SCORES)} FROM scores").df()
    old = old.set_index("customer_id").reindex(frame_ids)
    scores = score_customers(con, frame, fitted, as_of, frame["tree_probability"].to_numpy(dtype=float))
    timings["scoring_seconds"] = round(time.perf_counter() - t, 3)

    t = time.perf_counter()
    progress("writing churn reasons of the customers who changed", 0.8)
    rescored = frame_ids.isin(set(con.execute("SELECT customer_id FROM _recompute").df()["customer_id"].astype(str)))
    if "churn_risk" in scores:
        rescored |= (scores["churn_risk"].to_numpy() != old["churn_risk"].to_numpy())
    reasons = pd.DataFrame(columns=["customer_id", "slot", "reason"])
    if fitted.churn is not None:
        from tools.churn import typical_reason_gap

        typical = typical_reason_gap(frame["gap_mean_days"].to_numpy(dtype=float), fitted.churn["horizon_days"])
        subset = frame[rescored.to_numpy()]
        reasons = churn_reasons(fitted, subset, scores.loc[rescored.to_numpy(), "churn_risk"].to_numpy(), typical)
    for column in KEPT_SCORES:
        scores[column] = old[column].to_numpy()
    _write_scores(con, scores, reasons, rescored.to_numpy())
    timings["reasons_and_write_seconds"] = round(time.perf_counter() - t, 3)

    t = time.perf_counter()
    from tools.models import _write_customer_view

    _write_customer_view(con)
    store.write_meta(con, features_refreshed_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    timings["customer_view_seconds"] = round(time.perf_counter() - t, 3)
    return {"customers_recomputed": int(recompute), "customers_scored": int(len(scores)),
            "reasons_rewritten": int(rescored.sum()), "days_moved": shift}


def _customers_to_recompute(con, old_as_of: date, as_of: date) -> int:
    """Create temp table _recompute: customers whose features change beyond the passing of time. Returns its size."""
    bands = [(old_as_of, as_of)]  # orders the new date brings into view
    if as_of > old_as_of:
        bands += [(old_as_of - timedelta(days=n), as_of - timedelta(days=n)) for n in window_edges()]
    inside = " OR ".join("(order_date > ? AND order_date <= ?)" for _ in bands)
    params = [d for band in bands for d in band]
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _recompute AS
        SELECT DISTINCT customer_id FROM (
            SELECT customer_id FROM _appended_lines
            UNION ALL SELECT customer_id FROM orders WHERE {inside}
            UNION ALL SELECT customer_id FROM cancelled_orders WHERE order_date > ? AND order_date <= ?)""",
                params + [old_as_of, as_of])
    return con.execute("SELECT count(*) FROM _recompute").fetchall()[0][0]


def _recompute_features(con, fitted: Fitted, as_of: date, shift: int) -> None:
    """Features (and the churn model's own inputs and trees' probability) of _recompute's customers at as_of;
    everyone else's days since the last and first order moved by `shift`."""
    from tools.churn import churn_features
    from tools.features import CUSTOMER_ATTRIBUTES, feature_table

    backend = ibis.duckdb.from_connection(con)
    ids = backend.table("_recompute")
    orders = backend.table("orders").semi_join(ids, "customer_id")
    lists = _value_lists(con, fitted)
    if fitted.churn is not None:
        cancelled = backend.table("cancelled_orders").semi_join(ids, "customer_id")
        expr = churn_features(orders, as_of, cancelled=cancelled, prices=backend.table(PRICES_TABLE), **lists)
    else:
        expr = feature_table(orders, as_of, **lists)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _fresh AS {ibis.to_sql(expr, dialect='duckdb')}")
    fresh = {r[0] for r in con.execute("DESCRIBE _fresh").fetchall()}
    columns = [r[0] for r in con.execute("DESCRIBE features").fetchall()]
    attributes = [c for c in columns if c in CUSTOMER_ATTRIBUTES and c not in fresh]
    select = ", ".join(f'r."{c}"' if c in fresh else (f'a."{c}"' if c in attributes else f'NULL AS "{c}"')
                       for c in columns)
    attrs = ", ".join(f'any_value("{c}") AS "{c}"' for c in attributes)
    joined = (f"LEFT JOIN (SELECT customer_id, {attrs} FROM customers WHERE customer_id IN "
              f"(SELECT customer_id FROM _recompute) GROUP BY customer_id) a USING (customer_id)" if attributes else "")
    con.execute("DELETE FROM features WHERE customer_id IN (SELECT customer_id FROM _recompute)")
    con.execute(f"INSERT INTO features ({', '.join(chr(34) + c + chr(34) for c in columns)}) "
                f"SELECT {select} FROM _fresh r {joined}")
    if shift:
        con.execute(f"""UPDATE features SET recency_days = recency_days + {shift}, tenure_days = tenure_days + {shift},
                            recency_to_gap_ratio = CASE WHEN gap_mean_days > 0 THEN (recency_days + {shift}) / gap_mean_days END
                        WHERE customer_id NOT IN (SELECT customer_id FROM _recompute)""")
    if fitted.churn is None:
        return
    own = churn_frame_columns(fitted)
    frame = con.execute("SELECT * FROM _fresh ORDER BY customer_id").df()
    inputs = frame[["customer_id", *own]].copy()
    inputs["tree_probability"] = tree_probability(fitted, frame)
    con.execute(f"DELETE FROM {INPUTS_TABLE} WHERE customer_id IN (SELECT customer_id FROM _recompute)")
    con.register("_fresh_inputs", inputs)
    try:
        con.execute(f"INSERT INTO {INPUTS_TABLE} BY NAME SELECT * FROM _fresh_inputs")
    finally:
        con.unregister("_fresh_inputs")
    if shift:
        stored = {r[0] for r in con.execute(f"DESCRIBE {INPUTS_TABLE}").fetchall()}
        sets = [f"days_since_refund = days_since_refund + {shift}"] if "days_since_refund" in stored else []
        if "recency_share" in stored:
            sets.append("recency_share = CASE WHEN f.tenure_days > 0 THEN f.recency_days / f.tenure_days END")
        if sets:
            con.execute(f"""UPDATE {INPUTS_TABLE} SET {', '.join(sets)} FROM features f
                            WHERE f.customer_id = {INPUTS_TABLE}.customer_id
                              AND {INPUTS_TABLE}.customer_id NOT IN (SELECT customer_id FROM _recompute)""")


def _value_lists(con, fitted: Fitted) -> dict[str, list[str]]:
    """The categories and channels that have share columns, as the build chose them."""
    if fitted.churn is not None:
        return {"categories": fitted.churn["lists"]["categories"], "channels": fitted.churn["lists"]["channels"]}
    from tools.features import share_column

    columns = {r[0] for r in con.execute("DESCRIBE features").fetchall()}
    out = {}
    for key, column, prefix in (("categories", "category", "share_cat_"), ("channels", "channel", "share_ch_")):
        values = [r[0] for r in con.execute(f"SELECT DISTINCT {column} FROM orders WHERE {column} IS NOT NULL "
                                            f"ORDER BY 1").fetchall()] if column in _columns(con, "orders") else []
        out[key] = [v for v in values if share_column(prefix, v) in columns]
    return out


def _columns(con, table: str) -> list[str]:
    return [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]


def _scoring_frame(con, fitted: Fitted) -> pd.DataFrame:
    """Every customer's features that scoring reads, with the churn trees' probability and the reasons' inputs."""
    from tools.personas import design_columns

    present = _columns(con, "features")
    wanted = list(dict.fromkeys([*SCORING_FEATURES, *design_columns(present)]))
    select = ", ".join(f'f."{c}"' for c in wanted if c in present)
    if fitted.churn is None:
        return con.execute(f"SELECT {select}, NULL::DOUBLE AS tree_probability FROM features f ORDER BY f.customer_id").df()
    stored = set(_columns(con, INPUTS_TABLE))
    extra = "".join(f', i."{c}"' for c in REASON_INPUTS if c in stored)
    return con.execute(f"""SELECT {select}, i.tree_probability{extra} FROM features f
                           LEFT JOIN {INPUTS_TABLE} i USING (customer_id) ORDER BY f.customer_id""").df()


def _write_scores(con, scores: pd.DataFrame, reasons: pd.DataFrame, rescored: np.ndarray) -> None:
    """Replace `scores`: the new columns for everyone, new churn reasons for the rescored, kept ones otherwise."""
    from tools.models import SCORE_TYPES

    columns = [c for c in SCORE_TYPES if c != "churn_reasons"]
    frame = scores.copy()
    for column in columns:
        if column not in frame:
            frame[column] = None
    frame = frame[columns]
    frame["_rescored"] = rescored
    select = ", ".join(f"CAST(s.{c} AS {SCORE_TYPES[c]}) AS {c}" for c in columns)
    con.register("_new_scores", frame)
    con.register("_new_reasons", reasons)
    try:
        con.execute(f"""
            CREATE OR REPLACE TABLE _scores_next AS
            SELECT {select},
                   CASE WHEN s.churn_probability IS NULL THEN []::VARCHAR[]
                        WHEN s._rescored THEN coalesce(r.churn_reasons, []::VARCHAR[])
                        ELSE coalesce(o.churn_reasons, []::VARCHAR[]) END AS churn_reasons
            FROM _new_scores s
            LEFT JOIN (SELECT CAST(customer_id AS VARCHAR) AS customer_id,
                              list(CAST(reason AS VARCHAR) ORDER BY slot) AS churn_reasons
                       FROM _new_reasons GROUP BY 1) r ON r.customer_id = s.customer_id
            LEFT JOIN scores o ON o.customer_id = s.customer_id
            ORDER BY s.customer_id""")
    finally:
        con.unregister("_new_scores")
        con.unregister("_new_reasons")
    con.execute("DROP TABLE scores")
    con.execute("ALTER TABLE _scores_next RENAME TO scores")


def _headers(con, meta: dict[str, Any]) -> None:
    """Order headers and rollups of the customers with new lines (all of them when a carried column no longer fits)."""
    from tools.semantic.headers import refresh_order_headers, write_order_headers, write_order_rollups

    con.execute("CREATE OR REPLACE TEMP TABLE _appended_customers AS SELECT DISTINCT customer_id FROM _appended_lines "
                "WHERE NOT _cancelled")
    constant = list(meta.get("order_header_columns") or [])
    rollups = dict(meta.get("order_rollups") or {})
    if not refresh_order_headers(con, "_appended_customers", constant, rollups):
        attributes = meta.get("attributes") or []
        headers = write_order_headers(con, attributes)
        store.write_meta(con, order_header_columns=headers, order_rollups=write_order_rollups(con, attributes, headers))
