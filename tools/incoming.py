"""A file of new orders for the dataset in service: read, mapped, cleaned and checked as a load is, then
merged into a staged copy of the store without counting an order line twice.

`read_incoming` ingests the file (tools.ingest) with the dataset's own column mapping into a throwaway
DuckDB connection. Any rejected row refuses the whole file: a load may drop a few bad rows of history,
but an append that dropped some would leave a day's orders half in, and nobody would notice.

`merge_incoming` lines the new rows up with the store's columns and types (a value that does not fit
the loaded column's type refuses the file), leaves out lines already loaded, refuses new lines for an
order id already loaded (an append adds orders; it does not edit them: load the full file again to
change loaded orders), inserts the rest and adds customers not seen before.

A line is already loaded when a line with the same contract fields (customer, day, amount, order id,
product, category, quantity, channel, status) is in the store; the n-th copy of a line in the file
matches the store's n-th copy, so identical lines a customer really bought twice keep counting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from tools.contract import ORDERS_SCHEMA
from tools.errors import TierwiseError
from tools.mapping import resolve_column
from tools.reading import read_raw

KEY_COLUMNS = tuple(ORDERS_SCHEMA)  # what makes two order lines the same line
SHOWN = 5                           # rows, ids or values named in a refusal


@dataclass
class Incoming:
    """A checked file of new orders: its clean tables (Arrow) and its load report."""

    file: str
    orders: pa.Table
    cancelled: pa.Table
    customers: pa.Table
    report: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


def read_incoming(transactions: str | Path, meta: dict[str, Any], *, customers: str | Path | None = None,
                  today: date | None = None) -> Incoming:
    """Read and clean the file with the dataset's mapping; refuse it whole if any row is bad."""
    from tools.ingest import ingest

    path = Path(transactions)
    for given in (path, customers):
        if given is not None and not Path(given).is_file():
            raise TierwiseError(f"File not found: {given}")
    report = meta.get("load_report") or {}
    con = duckdb.connect()
    try:
        warnings: list[str] = []
        mapping = _mapping_for(con, path, report.get("mapping") or {}, warnings)
        customer_mapping = (_mapping_for(con, Path(customers), (report.get("customers_file") or {}).get("mapping") or {},
                                         warnings) if customers is not None else None)
        try:
            found = ingest(con, path, customers=customers, mapping=mapping, customer_mapping=customer_mapping,
                           today=today, anonymous=False)  # an append adds orders: a sale with no customer is rejected
        except TierwiseError as exc:  # the loader's refusal (mostly bad rows, a column missing), said of an append
            text = str(exc).replace("Refused to load", "Refused to append").replace("then load again", "then append again")
            raise TierwiseError(f"{text} Nothing was appended; the data in service is unchanged.") from None
        _refuse_bad_rows(con, path.name, found)
        return Incoming(file=str(path), orders=con.sql("SELECT * FROM orders").to_arrow_table(),
                        cancelled=con.sql("SELECT * FROM cancelled_orders").to_arrow_table(),
                        customers=con.sql("SELECT * FROM customers").to_arrow_table(), report=found,
                        warnings=warnings + list(found.get("warnings") or []))
    finally:
        con.close()


def _mapping_for(con, path: Path, stored: dict[str, str], warnings: list[str]) -> dict[str, str]:
    """The dataset's {field: column} mapping, for the columns this file has (the others are detected or empty)."""
    raw = read_raw(con, path, "raw_mapping_check")
    try:
        names, header = raw.names, raw.header
    finally:
        raw.cleanup()
    usable = {}
    for fld, column in stored.items():
        try:
            resolve_column(column, names, header)
            usable[fld] = column
        except TierwiseError:
            warnings.append(f"'{path.name}' has no column '{column}' ({fld} in the loaded data); "
                            f"{fld} is detected from the other columns or left empty.")
    return usable


def _refuse_bad_rows(con, name: str, report: dict[str, Any]) -> None:
    files = [report] + ([report["customers_file"]] if report.get("customers_file") else [])
    bad = sum(int(f.get("rows_rejected") or 0) for f in files)
    if not bad:
        return
    reasons: dict[str, int] = {}
    for f in files:
        for reason, n in (f.get("rejected_by_reason") or {}).items():
            reasons[reason] = reasons.get(reason, 0) + int(n)
    examples = con.execute(f"SELECT source_file, row_number, reason FROM rejects ORDER BY source_file, row_number "
                           f"LIMIT {SHOWN}").fetchall()
    shown = "; ".join(f"data row {row} of '{Path(str(src)).name}': {reason}" for src, row, reason in examples)
    rows = int(report.get("rows_read") or 0)
    raise TierwiseError(
        f"Refused to append '{name}': {bad:,} of {rows:,} rows are bad ("
        + ", ".join(f"{r}: {n:,}" for r, n in reasons.items()) + f"), e.g. {shown}. An append takes a file "
        "whole or not at all: nothing was added and the data in service is unchanged. Fix or remove those rows "
        "and append the file again.")


# ----------------------------------------------------------------------------- merging into the store


def merge_incoming(con: duckdb.DuckDBPyConnection, incoming: Incoming) -> dict[str, Any]:
    """Insert the new lines and customers into the store on `con`; return what was added and left out.

    Leaves temp table `_appended_lines` (the order lines and cancelled lines added, with `_cancelled`) for the
    refresh that follows. Raises TierwiseError, before changing anything, for a value that does not fit the
    loaded column's type or new lines of an order id already loaded.
    """
    con.register("_in_orders", incoming.orders)
    con.register("_in_cancelled", incoming.cancelled)
    con.register("_in_customers", incoming.customers)
    name = Path(incoming.file).name
    warnings: list[str] = []
    try:
        lines = {}
        for table, source, cancelled in (("orders", "_in_orders", False), ("cancelled_orders", "_in_cancelled", True)):
            select = _aligned(con, source, table, name, warnings)
            con.execute(f"CREATE OR REPLACE TEMP TABLE _aligned_{table} AS SELECT {select}, "
                        f"row_number() OVER () AS _pos FROM {source} s LEFT JOIN _in_customers c USING (customer_id)")
            lines[table] = _new_lines(con, f"_aligned_{table}", table)
        _refuse_reused_order_ids(con, name)
        added = {}
        for table in ("orders", "cancelled_orders"):
            columns = ", ".join(_quote(c) for c in _columns(con, table))
            added[table] = con.execute(f"SELECT count(*) FROM _new_{table}").fetchall()[0][0]
            con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM _new_{table} ORDER BY _pos")
        con.execute("""CREATE OR REPLACE TEMP TABLE _appended_lines AS
                       SELECT customer_id, order_date, order_id, false AS _cancelled FROM _new_orders
                       UNION ALL SELECT customer_id, order_date, order_id, true FROM _new_cancelled_orders""")
        new_customers = _add_customers(con, name, warnings, with_details=bool(incoming.report.get("customers_file")))
    finally:
        for view in ("_in_orders", "_in_cancelled", "_in_customers"):
            con.unregister(view)
    duplicates = {t: lines[t]["read"] - added[t] for t in lines}
    if duplicates["orders"] or duplicates["cancelled_orders"]:
        warnings.append(f"{duplicates['orders'] + duplicates['cancelled_orders']:,} lines of '{name}' were already "
                        "loaded; they were left out, not counted twice.")
    return {"order_lines_added": int(added["orders"]), "cancelled_lines_added": int(added["cancelled_orders"]),
            "duplicate_lines": int(duplicates["orders"]), "duplicate_cancelled_lines": int(duplicates["cancelled_orders"]),
            "customers_added": int(new_customers), "warnings": warnings}


def _columns(con, table: str) -> dict[str, str]:
    return {r[0]: r[1] for r in con.execute(f"DESCRIBE {_quote(table)}").fetchall()}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _aligned(con, source: str, table: str, name: str, warnings: list[str]) -> str:
    """A SELECT list giving the store table's columns, in its types, from the incoming rows `s` (or from their
    customer `c` when the file's few rows made a column look like a customer attribute)."""
    target, have, per_customer = _columns(con, table), _columns(con, source), _columns(con, "_in_customers")
    parts = []
    for column, kind in target.items():
        where = "s" if column in have else ("c" if column in per_customer and column != "customer_id" else None)
        if where is None:
            parts.append(f"CAST(NULL AS {kind}) AS {_quote(column)}")
            continue
        value = f"{where}.{_quote(column)}"
        bad = con.execute(f"SELECT {value} FROM {source} s LEFT JOIN _in_customers c USING (customer_id) "
                          f"WHERE {value} IS NOT NULL AND TRY_CAST({value} AS {kind}) IS NULL LIMIT {SHOWN}").fetchall()
        if bad:
            raise TierwiseError(
                f"Refused to append '{name}': column '{column}' holds values that are not {kind.lower()} as in the "
                f"loaded data (e.g. {', '.join(repr(str(v[0])[:40]) for v in bad)}). Nothing was appended; fix the "
                "values or load the full data again.")
        parts.append(f"CAST({value} AS {kind}) AS {_quote(column)}" if column != "customer_id" else "s.customer_id")
    extra = [c for c in have if c not in target]
    if extra and table == "orders":
        warnings.append(f"Columns of '{name}' the loaded data does not have were not kept: "
                        + ", ".join(f"'{c}'" for c in extra[:10]) + ".")
    return ", ".join(parts)


def _new_lines(con, incoming: str, table: str) -> dict[str, int]:
    """Create _new_<table>: the incoming lines the store does not hold yet (the n-th copy against the n-th)."""
    keys = [c for c in KEY_COLUMNS if c in _columns(con, table)]
    part = ", ".join(_quote(c) for c in keys)
    same = " AND ".join(f"i.{_quote(c)} IS NOT DISTINCT FROM o.{_quote(c)}" for c in keys) + " AND i._n = o._n"
    # a loaded line can only be the same line if it has the same customer and day: the store's lines are read for
    # the file's customers on the file's days alone (the days bound the scan: orders are stored roughly by date)
    days, bounds = "", []
    if "order_date" in keys:
        bounds = list(con.execute(f"SELECT min(order_date), max(order_date) FROM {incoming}").fetchall()[0])
        days = "AND (order_date BETWEEN ? AND ? OR order_date IS NULL)" if None not in bounds else ""
        bounds = bounds if days else []
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _new_{table} AS
        WITH i AS (SELECT *, row_number() OVER (PARTITION BY {part} ORDER BY _pos) AS _n FROM {incoming}),
             o AS (SELECT {part}, row_number() OVER (PARTITION BY {part}) AS _n FROM {_quote(table)}
                   WHERE customer_id IN (SELECT customer_id FROM {incoming}) {days})
        SELECT i.* EXCLUDE (_n) FROM i WHERE NOT EXISTS (SELECT 1 FROM o WHERE {same})""", bounds)
    return {"read": con.execute(f"SELECT count(*) FROM {incoming}").fetchall()[0][0]}


def _refuse_reused_order_ids(con, name: str) -> None:
    """New lines (not copies of loaded ones) of an order id the store already has: an edit, not an append."""
    if "order_id" not in _columns(con, "orders"):
        return
    # the store's lines are probed against the (few) new ids, not the other way round
    reused = con.execute("""
        WITH ids AS (SELECT DISTINCT order_id FROM _new_orders WHERE order_id IS NOT NULL
                     UNION SELECT DISTINCT order_id FROM _new_cancelled_orders WHERE order_id IS NOT NULL)
        SELECT DISTINCT order_id FROM (
            SELECT order_id FROM orders WHERE order_id IN (SELECT order_id FROM ids)
            UNION ALL SELECT order_id FROM cancelled_orders WHERE order_id IN (SELECT order_id FROM ids))
        ORDER BY order_id""").fetchall()
    if reused:
        shown = ", ".join(str(r[0]) for r in reused[:SHOWN])
        raise TierwiseError(
            f"Refused to append '{name}': {len(reused):,} order id{'s' if len(reused) != 1 else ''} ({shown}"
            + (", ..." if len(reused) > SHOWN else "") + ") are already loaded, and the file has other lines for "
            "them. An append adds new orders; it does not change loaded ones. Remove those lines, or load the "
            "full data again with `tierwise load` to replace it. Nothing was appended.")


def _add_customers(con, name: str, warnings: list[str], *, with_details: bool) -> int:
    """Insert the incoming customers the store does not have; return how many."""
    target = _columns(con, "customers")
    have = _columns(con, "_in_customers")
    parts = [f"CAST({_quote(c)} AS {kind}) AS {_quote(c)}" if c in have else f"CAST(NULL AS {kind}) AS {_quote(c)}"
             for c, kind in target.items()]
    known = con.execute("SELECT count(*) FROM _in_customers WHERE customer_id IN (SELECT customer_id FROM customers)"
                        ).fetchall()[0][0]
    added = con.execute(f"""INSERT INTO customers SELECT {', '.join(parts)} FROM _in_customers
                            WHERE customer_id NOT IN (SELECT customer_id FROM customers)""").fetchall()[0][0]
    if known and with_details:
        warnings.append(f"{known:,} customers in '{name}' were already loaded; their details were kept as loaded.")
    return int(added)
