"""The DuckDB store of one dataset: clean tables, features and a small meta table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb

from tools.errors import TierwiseError
from tools.workspace import STORE_FILE, Workspace


# DuckDB's default (80% of RAM) lets one query crowd out the Python side of a build; it spills past this
MEMORY_LIMIT = "2GB"
# What tells one order from another within a customer: its id, or its day when the data has no order ids.
ORDER_KEY_SQL = "coalesce(order_id, CAST(order_date AS VARCHAR))"


def connect(path: str | Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(path), read_only=read_only, config={"memory_limit": MEMORY_LIMIT})
    except duckdb.IOException as exc:
        raise TierwiseError(
            f"The data store {path} is busy or unreadable ({exc}). "
            "Close other Tierwise commands using this workspace and try again."
        ) from exc


def write_meta(con: duckdb.DuckDBPyConnection, **items: Any) -> None:
    con.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    for key, value in items.items():
        con.execute(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, json.dumps(value, default=str)]
        )


def read_meta(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    if not _has_table(con, "meta"):
        return {}
    return {k: json.loads(v) for k, v in con.execute("SELECT key, value FROM meta").fetchall()}


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
        ).fetchone()[0]
    )


def dataset_status(ws: Workspace) -> dict[str, Any]:
    """Counts and dates of the dataset in service; `loaded` is False before the first load."""
    current = ws.current()
    if current is None:
        return {"loaded": False, "home": str(ws.home)}
    con = connect(current / STORE_FILE, read_only=True)
    try:
        meta = read_meta(con)
        customers, lines, orders, revenue, dmin, dmax = con.execute(
            """
            SELECT count(DISTINCT customer_id), count(*),
                   count(DISTINCT coalesce(order_id, customer_id || '|' || CAST(order_date AS VARCHAR))),
                   round(coalesce(sum(amount), 0), 2), min(order_date), max(order_date)
            FROM orders
            """
        ).fetchone()
        feature_rows = (
            con.execute("SELECT count(*) FROM features").fetchone()[0]
            if _has_table(con, "features") else 0
        )
    finally:
        con.close()
    report = meta.get("load_report", {})
    return {
        "loaded": True,
        "home": str(ws.home),
        "dataset": current.name,
        "source": report.get("file"),
        "loaded_at": meta.get("loaded_at"),
        "customers": customers,
        "orders": orders,
        "order_lines": lines,
        "revenue": revenue,
        "date_min": dmin.isoformat() if dmin else None,
        "date_max": dmax.isoformat() if dmax else None,
        "as_of": meta.get("as_of"),
        "features": {"customers": feature_rows, "built_at": meta.get("features_built_at")},
    }


def run_on_frame(con: duckdb.DuckDBPyConnection, name: str, frame, build) -> Any:
    """`build(table)` (an Ibis expression over `frame`, registered as `name`) run on the store's own connection, so
    its memory cap holds rather than Ibis' default backend's; returns the result as a pandas frame."""
    import ibis

    cur = con.cursor()
    try:
        cur.register(name, frame)
        return cur.execute(ibis.to_sql(build(ibis.duckdb.from_connection(cur).table(name)), dialect="duckdb")).df()
    finally:
        cur.close()
