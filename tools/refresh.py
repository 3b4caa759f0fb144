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
     every feature of those with new lines or with orders between the old and the new as-of date; only the
     time windows' counts and sums of those with an order that leaves a window as the date moves (the last
     30/90/180/365 days, the 90 before the last 90, the 180 before the last 180); everyone's days since the
     last and the first order grow by the days the as-of date moved, which is all that changes for the rest.
     Rows of `features` are updated in place, only in the columns whose values changed, and new customers
     added at the end: no row is deleted or moved
  6. every customer is scored at the new as-of date with the last build's models (tools.scoring); the churn
     trees run for the customers whose orders changed (the others' tree inputs moved with time alone, which
     the calibrator's recency, tenure and BG/NBD terms carry); churn reasons are written again for the
     customers of step 5 and for anyone whose risk band changed (the others keep theirs until the next build)
  7. the customer view is two tables read side by side (tools.models): the narrow `customer_now` (days since
     the last and the first order, every score that moves with time) is written again whole, the wide
     `customer_base` only where its columns changed, for the customers of step 5 and the new ones; `scores`
     becomes the view of the score columns; order headers and rollups of the customers with new lines; the
     meta; a snapshot. The store is checkpointed once, when the refresh is done. A workspace on Spark gets
     the refreshed scores as Parquet for the lake once the dataset is in service.

At a million customers the costs are scoring every customer's time-dependent values (reading their features,
BG/NBD's hypergeometric functions for P(alive), the 12-month value and the next order date, the churn
calibrator, RFM, personas) and writing them as one narrow table, the features of the customers whose orders
changed (computed, then every row group of most feature columns rewritten by the checkpoint), and starting
Python with DuckDB, Ibis, scikit-learn and SciPy (scikit-learn and Ibis' compilers are imported in a thread
while the file is read and merged); see docs/benchmarks.md.
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
from tools.models import NOW_TABLE
from tools.progress import Progress, silent
from tools.retention import RISK_LEVELS
from tools.scoring import INPUTS_TABLE, KEPT_SCORES, PRICES_TABLE, Fitted, churn_frame_columns, churn_reasons, \
    load_fitted, score_customers, tree_probability
from tools.workspace import STORE_FILE, Workspace

# Feature columns every customer's scoring reads (CLV, churn calibration and risk rules, RFM, reasons; the
# personas' columns are added from tools.personas), and the churn model's stored inputs the reasons read
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
    _import_model_libraries_meanwhile()

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
    max_age = int(read_settings(ws.home)["models_max_age_days"])

    progress("copying the dataset", 0.15)
    staged = ws.stage(copy_current=True)
    pending = None
    try:
        con = store.connect(staged / STORE_FILE)
        try:
            # one checkpoint when the connection closes, not one each time the log passes DuckDB's 16 MB default
            # mid-refresh: each rewrites the tables touched so far, and this refresh touches big ones several times
            con.execute("SET checkpoint_threshold = '1TB'")
            t = lap("copy", t)
            progress("adding the new orders", 0.25)
            merged = merge_incoming(con, incoming)
            t = lap("merge", t)
            report = _report(incoming, merged)
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
            t = time.perf_counter()
        finally:
            con.close()
        t = lap("checkpoint", t)
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
    published = _publish_scores(done)
    if published:
        report["published"] = published
        t = lap("publish", t)
    timings["total_seconds"] = round(time.perf_counter() - started, 3)
    report["timings"] = timings
    progress("appended; the refreshed data is in service", 1.0)
    return report


def _import_model_libraries_meanwhile() -> None:
    """Start importing what reading the kept models needs (scikit-learn: about a second of a fresh process) and Ibis'
    DuckDB backend in a thread, while the file is read, the dataset copied and the lines merged (DuckDB's work, which
    lets it run). Only third-party modules: Tierwise's own are imported where they are used, so the two never wait on
    each other."""
    import threading

    def load() -> None:
        try:
            import ibis.backends.duckdb  # noqa: F401 - with every SQL dialect's compiler: half a second
            import sklearn.cluster  # noqa: F401
            import sklearn.ensemble  # noqa: F401
            import sklearn.linear_model  # noqa: F401
            import sklearn.metrics  # noqa: F401
            import sklearn.model_selection  # noqa: F401
            import sklearn.preprocessing  # noqa: F401
        except Exception:  # noqa: BLE001 - the import where they are used says what is wrong
            pass

    threading.Thread(target=load, name="tierwise-model-imports", daemon=True).start()


def _publish_scores(dataset: Path) -> str | None:
    """A workspace on Spark (TIERWISE_ENGINE=spark) keeps its scores as Parquet for the lake: write the refreshed
    ones, as a build does (tools.engine.publish, by DuckDB: no Spark session is started); None on DuckDB."""
    from tools import engine

    if engine.configured() != "spark":
        return None
    con = store.connect(dataset / STORE_FILE, read_only=True)
    try:
        out = engine.publish(con, "scores")
    finally:
        con.close()
    return str(out) if out else None


class _NothingNew(Exception):
    def __init__(self, report: dict[str, Any]):
        super().__init__("nothing new")
        self.report = report


def _report(incoming, merged: dict[str, Any]) -> dict[str, Any]:
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
    con.execute("SET preserve_insertion_order = true")  # rows are matched by position: scans keep the tables' order
    fitted = load_fitted(con, meta)
    if fitted.churn is not None and "inputs_as_of" not in _columns(con, INPUTS_TABLE):
        con.execute(f"ALTER TABLE {INPUTS_TABLE} ADD COLUMN inputs_as_of DATE DEFAULT DATE '{fitted.as_of.isoformat()}'")
    shift = (as_of - old_as_of).days
    unviewed = _align_customer_tables(con)
    known = con.execute("SELECT count(*) FROM features").fetchall()[0][0]
    changed, rewindowed = _customers_to_recompute(con, old_as_of, as_of)
    progress("features of the customers with new orders", 0.45)
    moved = _recompute_features(con, fitted, as_of, shift)
    timings["features_seconds"] = round(time.perf_counter() - t, 3)

    t = time.perf_counter()
    progress("scoring every customer", 0.6)
    frame = _scoring_frame(con, fitted)
    scores = score_customers(con, frame, fitted, as_of, frame["tree_probability"].to_numpy(dtype=float))
    timings["scoring_seconds"] = round(time.perf_counter() - t, 3)

    t = time.perf_counter()
    progress("writing churn reasons of the customers who changed", 0.8)
    # row i of features is the customer of row i of the customer tables (rowid = position); rows from `known` on
    # are customers new to them
    mask = np.zeros(len(frame), dtype=bool)
    mask[_rows_of(con, "_refeature")] = True
    mask[known:] = True
    if unviewed:
        mask[_rows_of(con, "_unviewed")] = True
    if "churn_risk" in scores:
        # compared as codes: a million strings read into Python would cost more than the comparison
        levels = {level: code for code, level in enumerate(RISK_LEVELS)}
        cases = " ".join(f"WHEN '{level}' THEN {code}" for level, code in levels.items())
        old_code = con.execute(f"SELECT coalesce(CASE churn_risk {cases} END, -1) AS code FROM {NOW_TABLE}"
                               ).fetchnumpy()["code"]
        risk = scores["churn_risk"]
        if isinstance(risk.dtype, pd.CategoricalDtype):  # as score_customers makes it: compared by its codes
            position = np.array([levels.get(c, -2) for c in risk.cat.categories] + [-2])
            new_code = position[risk.cat.codes.to_numpy()]  # code -1 (no risk) is the last: -2
        else:
            new_code = np.select([risk.to_numpy() == level for level in levels], list(levels.values()), default=-2)
        mask[:known] |= np.asarray(old_code)[:known] != new_code[:known]
    reasons = None
    if fitted.churn is not None:
        from tools.churn import typical_reason_gap

        typical = typical_reason_gap(frame["gap_mean_days"].to_numpy(dtype=float), fitted.churn["horizon_days"])
        rows = np.flatnonzero(mask)
        subset = _with_reason_inputs(con, frame.iloc[rows].reset_index(drop=True), rows, as_of)
        reasons = churn_reasons(fitted, subset, scores["churn_risk"].to_numpy()[rows], typical)
        reasons["row"] = rows[reasons["row"].to_numpy(dtype=np.int64)]
    timings["reasons_seconds"] = round(time.perf_counter() - t, 3)

    t = time.perf_counter()
    _write_scores(con, frame, scores, reasons, mask, known, moved)
    store.write_meta(con, features_refreshed_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    timings["write_seconds"] = round(time.perf_counter() - t, 3)
    return {"customers_recomputed": int(changed), "customers_rewindowed": int(rewindowed),
            "customers_scored": int(len(scores)), "reasons_rewritten": int(mask.sum()), "days_moved": shift}


def _rows_of(con, ids_table: str) -> np.ndarray:
    """The rows (positions) in features of the customers of `ids_table`."""
    rows = con.execute(f"SELECT rowid AS _row FROM features WHERE customer_id IN (SELECT customer_id FROM {ids_table})"
                       ).fetchnumpy()["_row"]
    return np.asarray(rows, dtype=np.int64)


def _align_customer_tables(con) -> bool:
    """Make customer_base and customer_now hold the customers of `features` row for row (tools.models), when they do
    not: a store written before they existed kept the customer view as one table, and a build stopped between its
    features and its models leaves them apart. Returns whether features had customers the view had not (temp
    table _unviewed: they are scored and given reasons as new customers are)."""
    from tools.models import CUSTOMER_VIEW_COLUMNS, CUSTOMER_VIEW_FROM, SCORE_TYPES, customer_tables_aligned, \
        write_customer_tables

    if customer_tables_aligned(con):
        return False
    rows, end = con.execute("SELECT count(*), coalesce(max(rowid) + 1, 0) FROM features").fetchall()[0]
    if rows != end:  # deleted rows: positions are no longer rowids
        con.execute("CREATE OR REPLACE TABLE features AS SELECT * FROM features ORDER BY rowid")
    con.execute("CREATE OR REPLACE TEMP TABLE _unviewed AS SELECT customer_id FROM features "
                "WHERE customer_id NOT IN (SELECT customer_id FROM customer_view)")
    present = set(_columns(con, "customer_view"))
    kept = ", ".join(c if c in present else f"CAST(NULL AS {kind}) AS {c}"
                     for c, kind in SCORE_TYPES.items() if c != "customer_id")
    scores = f"(SELECT customer_id, {kept} FROM customer_view)"
    write_customer_tables(con, f"SELECT f.rowid AS _position, {CUSTOMER_VIEW_COLUMNS}"
                               + CUSTOMER_VIEW_FROM.format(features="features", scores=scores, customers="customers"))
    return bool(con.execute("SELECT count(*) FROM _unviewed").fetchall()[0][0])


def _customers_to_recompute(con, old_as_of: date, as_of: date) -> tuple[int, int]:
    """Temp tables _recompute (customers whose orders changed: new lines, or orders the new date brings into view)
    and _rewindow (the others with an order leaving a time window as the date moves); returns their sizes."""
    con.execute("""CREATE OR REPLACE TEMP TABLE _recompute AS
        SELECT DISTINCT customer_id FROM (
            SELECT customer_id FROM _appended_lines
            UNION ALL SELECT customer_id FROM orders WHERE order_date > ? AND order_date <= ?
            UNION ALL SELECT customer_id FROM cancelled_orders WHERE order_date > ? AND order_date <= ?)""",
                [old_as_of, as_of, old_as_of, as_of])
    bands = [(old_as_of - timedelta(days=n), as_of - timedelta(days=n)) for n in window_edges()] if as_of > old_as_of else []
    inside = " OR ".join("(order_date > ? AND order_date <= ?)" for _ in bands) or "false"
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _rewindow AS
        SELECT DISTINCT customer_id FROM orders WHERE ({inside})
        AND customer_id NOT IN (SELECT customer_id FROM _recompute)""", [d for band in bands for d in band])
    return (con.execute("SELECT count(*) FROM _recompute").fetchall()[0][0],
            con.execute("SELECT count(*) FROM _rewindow").fetchall()[0][0])


def _recompute_features(con, fitted: Fitted, as_of: date, shift: int) -> list[str]:
    """Features at as_of of _recompute's customers (with the churn model's own inputs and the trees' probability)
    and of _rewindow's (features only: their order history did not change); everyone else's days since the last
    and the first order moved by `shift`. Rows are updated in place (only the columns whose values changed) and
    new customers added at the end, so row i stays the customer of row i of the customer tables. Returns the
    columns whose values changed for some existing customer."""
    from tools.churn import churn_features
    from tools.features import feature_table, window_feature_table

    backend = ibis.duckdb.from_connection(con)
    lists = _value_lists(con, fitted)
    con.execute("CREATE OR REPLACE TEMP TABLE _refeature AS SELECT customer_id FROM _recompute "
                "UNION ALL SELECT customer_id FROM _rewindow")
    # their lines, found in one pass over the orders
    con.execute("CREATE OR REPLACE TEMP TABLE _refeature_orders AS SELECT * FROM orders "
                "WHERE customer_id IN (SELECT customer_id FROM _refeature)")
    orders = backend.table("_refeature_orders")
    recompute = backend.table("_recompute")
    # every feature of the customers whose orders changed (and the churn model's own inputs) ...
    if fitted.churn is not None:
        cancelled = backend.table("cancelled_orders").semi_join(recompute, "customer_id")
        expr = churn_features(orders.semi_join(recompute, "customer_id"), as_of, cancelled=cancelled,
                              prices=backend.table(PRICES_TABLE), **lists)
    else:
        expr = feature_table(orders.semi_join(recompute, "customer_id"), as_of, **lists)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _fresh AS {ibis.to_sql(expr, dialect='duckdb')}")
    # ... and only the time windows' counts and sums of those with an order leaving a window
    expr = window_feature_table(orders.semi_join(backend.table("_rewindow"), "customer_id"), as_of)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _fresh_windows AS {ibis.to_sql(expr, dialect='duckdb')}")
    if shift:  # everyone; the rows computed again are then written over
        con.execute(f"""UPDATE features SET recency_days = recency_days + {shift}, tenure_days = tenure_days + {shift},
                            recency_to_gap_ratio = CASE WHEN gap_mean_days > 0 THEN (recency_days + {shift}) / gap_mean_days END""")
    moved = _update_features(con, "_fresh", "_recompute", whole_rows=True)
    moved += [c for c in _update_features(con, "_fresh_windows", "_rewindow", whole_rows=False) if c not in moved]
    con.execute("CREATE OR REPLACE TEMP TABLE _fresh_new AS SELECT * FROM _fresh "
                "WHERE customer_id NOT IN (SELECT customer_id FROM features) ORDER BY customer_id")
    _insert_features(con, "_fresh_new")
    if fitted.churn is None:
        return moved
    own = churn_frame_columns(fitted)
    # the trees run for the customers whose orders changed; the others' inputs moved with time alone
    frame = con.execute("SELECT * FROM _fresh WHERE customer_id IN (SELECT customer_id FROM _recompute) "
                        "ORDER BY customer_id").df()
    inputs = frame[["customer_id", *own]].copy()
    inputs["tree_probability"] = tree_probability(fitted, frame)
    inputs["inputs_as_of"] = pd.Timestamp(as_of)
    con.execute(f"DELETE FROM {INPUTS_TABLE} WHERE customer_id IN (SELECT customer_id FROM _recompute)")
    con.register("_fresh_inputs", inputs)
    try:
        con.execute(f"INSERT INTO {INPUTS_TABLE} BY NAME SELECT * EXCLUDE (inputs_as_of), "
                    f"CAST(inputs_as_of AS DATE) AS inputs_as_of FROM _fresh_inputs")
    finally:
        con.unregister("_fresh_inputs")
    return moved


def _update_features(con, source: str, group: str, *, whole_rows: bool) -> list[str]:
    """Write `source`'s rows over the rows of their customers of `group` (a temp table of ids) in features, in place:
    only the columns where some value differs, in the table's row order (in another order DuckDB's updates cost far
    more), so the checkpoint rewrites those values alone (the customers whose orders changed change most columns,
    those with an order leaving a time window only the windows' counts and sums: each group is written on its own).
    With `whole_rows` (source has feature_table's columns, maybe more), columns `source` lacks keep the customer
    attributes features carry and are NULL otherwise, as a row written anew would have them; otherwise the other
    columns are left alone. Returns the columns written."""
    from tools.features import CUSTOMER_ATTRIBUTES

    have = set(_columns(con, source))
    types = {r[0]: r[1] for r in con.execute("DESCRIBE features").fetchall()}
    value = {c: (f'CAST(r."{c}" AS {kind})' if c in have else "NULL") for c, kind in types.items()
             if c != "customer_id" and (c in have or (whole_rows and c not in CUSTOMER_ATTRIBUTES))}
    if not value:
        return []
    rows = f"features f JOIN {source} r USING (customer_id) WHERE customer_id IN (SELECT customer_id FROM {group})"
    differs = con.execute("SELECT " + ", ".join(f"coalesce(bool_or({_differs(f'f.{_quote(c)}', v, types[c])}), false)"
                                                for c, v in value.items()) + f" FROM {rows}").fetchall()[0]
    moved = [c for c, d in zip(value, differs) if d]
    if moved:
        con.execute(f"""CREATE OR REPLACE TEMP TABLE _feature_rows AS
            SELECT f.rowid AS _rid, {', '.join(f'{value[c]} AS "{c}"' for c in moved)} FROM {rows} ORDER BY _rid""")
        assign = ", ".join(f'"{c}" = r."{c}"' for c in moved)
        con.execute(f"UPDATE features SET {assign} FROM _feature_rows r WHERE features.rowid = r._rid")
    return moved


def _differs(old: str, new: str, kind: str) -> str:
    """SQL: whether a value computed again differs from the stored one. Sums computed again may differ in their last
    bits (the order of the additions is the engine's): within a relative 1e-12 a number is the same one."""
    if kind in ("DOUBLE", "FLOAT", "REAL"):
        return (f"({old} IS DISTINCT FROM {new} AND NOT coalesce(abs({old} - {new}) <= "
                f"1e-12 * greatest(abs({old}), abs({new})), false))")
    return f"({old} IS DISTINCT FROM {new})"


def _quote(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def _insert_features(con, source: str) -> None:
    """Insert `source`'s rows (feature_table's columns, maybe more) into features, with the customer attributes
    features carry."""
    from tools.features import CUSTOMER_ATTRIBUTES

    have = set(_columns(con, source))
    columns = _columns(con, "features")
    attributes = [c for c in columns if c in CUSTOMER_ATTRIBUTES and c not in have]
    select = ", ".join(f'r."{c}"' if c in have else (f'a."{c}"' if c in attributes else f'NULL AS "{c}"')
                       for c in columns)
    joined = ""
    if attributes:
        values = ", ".join(f'any_value("{c}") AS "{c}"' for c in attributes)
        joined = (f"LEFT JOIN (SELECT customer_id, {values} FROM customers WHERE customer_id IN "
                  f"(SELECT customer_id FROM {source}) GROUP BY customer_id) a USING (customer_id)")
    con.execute(f"INSERT INTO features ({', '.join(chr(34) + c + chr(34) for c in columns)}) "
                f"SELECT {select} FROM {source} r {joined}")


def _value_lists(con, fitted: Fitted) -> dict[str, list[str]]:
    """The categories and channels that have share columns, as the build chose them."""
    if fitted.churn is not None:
        return {"categories": fitted.churn["lists"]["categories"], "channels": fitted.churn["lists"]["channels"]}
    from tools.features import share_column

    columns = set(_columns(con, "features"))
    out = {}
    for key, column, prefix in (("categories", "category", "share_cat_"), ("channels", "channel", "share_ch_")):
        values = [r[0] for r in con.execute(f"SELECT DISTINCT {column} FROM orders WHERE {column} IS NOT NULL "
                                            f"ORDER BY 1").fetchall()] if column in _columns(con, "orders") else []
        out[key] = [v for v in values if share_column(prefix, v) in columns]
    return out


def _columns(con, table: str) -> list[str]:
    return [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]


def _scoring_frame(con, fitted: Fitted) -> pd.DataFrame:
    """Every customer's features that scoring reads and the churn trees' probability, one row per row of features,
    in its order (rows are matched to ids by position: no id is read into Python)."""
    from tools.personas import design_columns

    present = _columns(con, "features")
    wanted = list(dict.fromkeys([*SCORING_FEATURES, *design_columns(present)]))
    columns = [c for c in wanted if c in present and c != "customer_id"]
    frame = _numpy_frame(con.execute(f"SELECT {', '.join(_quote(c) for c in columns)} FROM features").fetchnumpy())
    probability = np.full(len(frame), np.nan)
    if fitted.churn is not None:
        got = con.execute(f"SELECT f.rowid AS _row, i.tree_probability FROM features f "
                          f"JOIN {INPUTS_TABLE} i USING (customer_id)").fetchnumpy()
        probability[np.asarray(got["_row"], dtype=np.int64)] = np.ma.filled(
            np.ma.asarray(got["tree_probability"], dtype=float), np.nan)
    frame["tree_probability"] = probability
    return frame


def _numpy_frame(columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """A DataFrame of DuckDB's fetchnumpy() columns, typed as .df() types them (NULLs: NaN in numbers, pandas' NA
    in integer columns that have any), at a third of .df()'s cost for a million rows."""
    out = {}
    for name, values in columns.items():
        if np.ma.isMaskedArray(values):
            mask, data = np.ma.getmaskarray(values), np.ma.getdata(values)
            if not mask.any():
                values = data
            elif data.dtype.kind in "iu":
                values = pd.arrays.IntegerArray(data, mask)
            elif data.dtype.kind == "f":
                values = np.where(mask, np.nan, data)
            elif data.dtype.kind == "b":
                values = pd.arrays.BooleanArray(data, mask)
            else:
                values = pd.Series(values.astype(object).filled(None))
        out[name] = values
    return pd.DataFrame(out, copy=False)  # the arrays as they are: consolidating a million rows copies them all


def _with_reason_inputs(con, frame: pd.DataFrame, rows: np.ndarray, as_of: date) -> pd.DataFrame:
    """The scoring frame's rows `rows` with the churn model's stored inputs the reasons read (days since a refund
    counted to as_of)."""
    stored = set(_columns(con, INPUTS_TABLE))
    wanted = [c for c in REASON_INPUTS if c in stored]
    if not wanted or not len(rows):
        return frame
    select = ", ".join(f'(i."{c}" + (DATE \'{as_of.isoformat()}\' - i.inputs_as_of)) AS "{c}"'
                       if c == "days_since_refund" else f'i."{c}"' for c in wanted)
    con.register("_reason_rows", pd.DataFrame({"_row": rows.astype(np.int64)}))
    try:
        extra = con.execute(f"""SELECT {select} FROM _reason_rows r
                                JOIN (SELECT rowid AS _row, customer_id FROM features) p USING (_row)
                                LEFT JOIN {INPUTS_TABLE} i USING (customer_id) ORDER BY r._row""").df()
    finally:
        con.unregister("_reason_rows")
    for column in wanted:
        frame[column] = extra[column].to_numpy()
    return frame


def _arrow_column(values: pd.Series):
    """A score column as Arrow (NaN and NaT as nulls); text as a dictionary of its few distinct values (tiers,
    segments, risk bands), encoded by Arrow itself."""
    import pyarrow as pa

    array = pa.array(values, from_pandas=True)
    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        return array.dictionary_encode()
    return array


def _write_scores(con, frame: pd.DataFrame, scores: pd.DataFrame, reasons: pd.DataFrame | None, rescored: np.ndarray,
                  known: int, moved: list[str]) -> None:
    """Write the customer tables (tools.models): customer_now again, whole (every customer's days since their
    last and first order and score columns; a column no model computed keeps its values); in customer_base,
    the columns that changed of the customers whose features were computed again, the churn reasons of the
    rescored customers (the others keep theirs: rewriting a million lists of sentences is what would cost) and
    rows for customers new to it. `scores` becomes the view of the customer view's score columns (a build writes
    a table again). The scores the build alone writes (KEPT_SCORES) stay."""
    import pyarrow as pa

    from tools.models import BASE_TABLE, NOW_TABLE, REASONS_TEXT, SCORE_TYPES, VIEW_FROM_CUSTOMERS, VIEW_FROM_FEATURES, \
        reasons_as_text

    now_types = {r[0]: r[1] for r in con.execute(f"DESCRIBE {NOW_TABLE}").fetchall()}
    arrays = {}
    for column in now_types:
        source = frame if column in ("recency_days", "tenure_days") else scores
        if column in source and column not in KEPT_SCORES:
            arrays[column] = _arrow_column(source[column])
    con.register("_now_scores", pa.table(arrays))
    try:
        select = ", ".join(f"CAST(s.{c} AS {kind}) AS {c}" if c in arrays else f"o.{c}" for c, kind in now_types.items())
        old = f" POSITIONAL JOIN {NOW_TABLE} o" if set(now_types) - set(arrays) else ""
        con.execute(f"CREATE OR REPLACE TABLE {NOW_TABLE} AS SELECT {select} FROM _now_scores s{old}")
    finally:
        con.unregister("_now_scores")
    # churn reasons of the rescored rows (new customers among them), as lists
    rows = np.flatnonzero(rescored).astype(np.int64)
    probability = (scores["churn_probability"].to_numpy(dtype=float)[rows] if "churn_probability" in scores
                   else np.full(len(rows), np.nan))
    con.register("_rescored_rows", pa.table({"_row": pa.array(rows), "_scored": pa.array(~np.isnan(probability))}))
    if reasons is not None:
        con.register("_new_reasons", pa.table({"_row": pa.array(reasons["row"].to_numpy(dtype=np.int64)),
                                               "slot": pa.array(reasons["slot"].to_numpy(dtype=np.int64)),
                                               "reason": pa.array(reasons["reason"].to_numpy(dtype=object))}))
    lists = ("SELECT _row, list(reason ORDER BY slot) AS churn_reasons FROM _new_reasons GROUP BY 1" if reasons is not None
             else "SELECT NULL::BIGINT AS _row, NULL::VARCHAR[] AS churn_reasons")
    try:
        con.execute(f"""CREATE OR REPLACE TEMP TABLE _rescored AS
            SELECT x._row, {reasons_as_text('CASE WHEN NOT x._scored THEN []::VARCHAR[] '
                                            'ELSE coalesce(r.churn_reasons, []::VARCHAR[]) END')} AS {REASONS_TEXT}
            FROM _rescored_rows x LEFT JOIN ({lists}) r USING (_row) ORDER BY x._row""")
    finally:
        con.unregister("_rescored_rows")
        if reasons is not None:
            con.unregister("_new_reasons")
    # customers already in the base whose columns from features changed (those whose orders did): those columns
    base_columns = _columns(con, BASE_TABLE)
    from_features = [c for c in VIEW_FROM_FEATURES if c in moved and c in base_columns]
    if from_features:
        differs = " OR ".join(f"f.{c} IS DISTINCT FROM b.{c}" for c in from_features)
        con.execute(f"""CREATE OR REPLACE TEMP TABLE _base_rows AS
            SELECT _rid, {', '.join(from_features)} FROM (
                SELECT f.rowid AS _rid, {', '.join(f'f.{c}' for c in from_features)}, {differs} AS _differs
                FROM features f POSITIONAL JOIN {BASE_TABLE} b) WHERE _rid < {known} AND _differs ORDER BY _rid""")
        assign = ", ".join(f"{c} = r.{c}" for c in from_features)
        con.execute(f"UPDATE {BASE_TABLE} SET {assign} FROM _base_rows r WHERE {BASE_TABLE}.rowid = r._rid")
    # only the lists that changed: each row updated costs the checkpoint too
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _reasons_rows AS
        SELECT r._row, r.{REASONS_TEXT} FROM _rescored r JOIN (SELECT rowid AS _row, {REASONS_TEXT} FROM {BASE_TABLE}) b
        USING (_row) WHERE r._row < {known} AND r.{REASONS_TEXT} IS DISTINCT FROM b.{REASONS_TEXT} ORDER BY r._row""")
    con.execute(f"UPDATE {BASE_TABLE} SET {REASONS_TEXT} = r.{REASONS_TEXT} FROM _reasons_rows r "
                f"WHERE {BASE_TABLE}.rowid = r._row")
    # customers new to it, in the order of their rows in features
    values = {**{c: f"f.{c}" for c in ("customer_id", *VIEW_FROM_FEATURES)}, **VIEW_FROM_CUSTOMERS,
              REASONS_TEXT: f"coalesce(r.{REASONS_TEXT}, {reasons_as_text('[]::VARCHAR[]')})"}
    select = ", ".join(f"{values[c]} AS {c}" if c in values else f"NULL AS {c}" for c in base_columns)
    con.execute(f"""INSERT INTO {BASE_TABLE} ({', '.join(base_columns)})
        SELECT {select} FROM (SELECT rowid AS _row, * FROM features WHERE rowid >= {known}) f
        LEFT JOIN customers c USING (customer_id) LEFT JOIN _rescored r USING (_row) ORDER BY f._row""")
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in ("features", BASE_TABLE, NOW_TABLE)}
    if len(set(counts.values())) != 1:
        raise TierwiseError(f"The refreshed customer tables do not line up with the features ({counts}); "
                            "nothing was changed. Run `tierwise build` to rebuild them.")
    score_columns = ", ".join(c for c in SCORE_TYPES)
    if con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'scores' AND NOT temporary").fetchall()[0][0]:
        con.execute("DROP TABLE scores")
    con.execute(f"CREATE OR REPLACE VIEW scores AS SELECT {score_columns} FROM customer_view")


def _headers(con, meta: dict[str, Any]) -> None:
    """Order headers and rollups of the new lines (all of them again when a carried column no longer fits)."""
    from tools.semantic.headers import refresh_order_headers, rollup_values, write_order_headers, write_order_rollups

    constant = list(meta.get("order_header_columns") or [])
    rollups = dict(meta.get("order_rollups") or {})
    values = rollup_values(con, rollups, meta.get("order_rollup_values"), "_new_orders")
    if values is not None and refresh_order_headers(con, "_new_orders", constant, rollups):
        store.write_meta(con, order_rollup_values=values)
        return
    attributes = meta.get("attributes") or []
    headers = write_order_headers(con, attributes)
    rollups = write_order_rollups(con, attributes, headers)
    store.write_meta(con, order_header_columns=headers, order_rollups=rollups,
                     order_rollup_values=rollup_values(con, rollups, None, "_new_orders"))
