"""Load a user's transactions (and optional customers) file into clean DuckDB tables, with a report."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

import duckdb

from tools import attributes as attr
from tools.item_lists import ITEM_FIELDS, explode_item_lists
from tools.cleaning import (
    LINE_REFUND_HEADER, MAX_AMOUNT, carry_order_fields, clean_customers, clean_transactions, decimal_warning, duplicate_rows,
    reason_counts, write_order_tables,
)
from tools.contract import CUSTOMERS_SCHEMA, ORDERS_SCHEMA
from tools.csv_cells import neutralised_select
from tools.output_files import output_file
from tools.errors import TierwiseError
from tools.mapping import build_mapping, map_by_name, parse_map_args as _parse_map_args
from tools.progress import Progress, silent
from tools.reading import CSV_ERROR, SERIAL_CSV, RawTable, read_raw

MAX_REJECTED_SHARE = 0.5     # refuse the load when more than this share of rows is rejected
PREVIEW_ROWS = 5
OUTPUT_TABLES = ("orders", "cancelled_orders", "anonymous_orders", "customers", "rejects")

__all__ = ["ingest", "parse_map_args", "MAX_REJECTED_SHARE", "MAX_AMOUNT"]


def parse_map_args(items: list[str],
                   kind: Literal["transactions", "customers"] = "transactions") -> dict[str, str]:
    """Turn `--map field=column` items into a {field: column} dict, checking each field name."""
    return _parse_map_args(items, kind)


def ingest(con: duckdb.DuckDBPyConnection, transactions: str | Path, *,
           customers: str | Path | None = None, mapping: dict[str, str] | None = None,
           customer_mapping: dict[str, str] | None = None, as_of: date | None = None,
           today: date | None = None, rejects_path: str | Path | None = None,
           progress: Progress = silent, anonymous: bool = True) -> dict:
    """Read, map, clean and store the files as orders/cancelled_orders/customers/rejects; return the load report.

    With `anonymous`, otherwise valid lines with no customer (a minority) are kept in anonymous_orders; without it
    (an append, which adds to orders only) they are rejected as 'missing customer id'."""
    raws: list[RawTable] = []
    try:
        def run() -> dict:
            return _ingest(con, Path(transactions), raws=raws, customers=Path(customers) if customers else None,
                           mapping=mapping, customer_mapping=customer_mapping, as_of=as_of,
                           today=today or date.today(), rejects_path=rejects_path, progress=progress,
                           anonymous=anonymous)
        try:
            return run()
        except (duckdb.Error, TierwiseError) as exc:
            scan = exc if isinstance(exc, duckdb.Error) else exc.__cause__
            csvs = [r for r in raws if r.format == "csv"]
            if not isinstance(scan, duckdb.Error) or CSV_ERROR not in str(scan) or SERIAL_CSV.get() \
                    or (csvs and not any(r.parallel for r in csvs)):
                raise
            # a quoted value spans lines beyond the sampled ones (found while reading a file, or by a later scan):
            # read again, one thread per file
            _drop_all(con)
            for raw in raws:
                raw.cleanup()
            raws.clear()
            token = SERIAL_CSV.set(True)
            try:
                return run()
            finally:
                SERIAL_CSV.reset(token)
    except TierwiseError:
        _drop_all(con)
        raise
    except duckdb.Error as exc:
        _drop_all(con)
        raise TierwiseError(
            f"Could not load '{Path(transactions).name}': {str(exc).splitlines()[0]}"
        ) from exc
    finally:
        for raw in raws:
            raw.cleanup()


def _ingest(con, path: Path, *, raws: list[RawTable], customers, mapping, customer_mapping, as_of, today,
            rejects_path, progress, anonymous: bool = True) -> dict:
    progress("reading transactions", 0.0)
    raw = read_raw(con, path, "raw_transactions")
    raws.append(raw)
    progress("mapping columns", 0.25)
    items = explode_item_lists(con, raw)  # an order's items packed into one column: a line per item first
    user = _lower_keys(mapping)
    if items:
        # the item's own fields are the line's product, quantity, price and amount (not the order's 'Total Quantity')
        named = {str(v).strip().lower() for v in (user or {}).values() if v is not None}
        hints = {f: items[1][j] for f, j in map_by_name(items[1], ITEM_FIELDS, set()).items()
                 if items[1][j].lower() not in named}
        user = {**hints, **(user or {})}
    fields, warnings = build_mapping(con, raw.table, raw.names, raw.header, user, "transactions", path.name)
    if items:
        warnings.insert(0, f"'{items[0]}' lists each order's items: each item is a line of its own, its fields "
                           + ", ".join(f"'{label}'" for label in items[1]) + " columns of their own.")
    progress("cleaning transactions", 0.35)
    carried = carry_order_fields(con, raw, fields)
    if carried:
        warnings.append("Columns written on an order's first line only were carried to the order's other lines: "
                        + ", ".join(f"'{raw.names[i]}'" for i in carried) + ".")
    if "unit_price" in fields and "amount" not in fields:
        warnings.append(f"'{raw.names[fields['unit_price']]}' is a price per unit: each line's amount is it times "
                        + (f"'{raw.names[fields['quantity']]}'" if "quantity" in fields else "1 (no quantity column)")
                        + ".")
    split = attr.split_pair_columns(con, raw, set(fields.values()))
    for label, parts in split:
        warnings.append(f"'{label}' holds name:value lists: each name is a column of its own ("
                        + ", ".join(f"'{p}'" for p in parts) + ").")
    personal = attr.personal_columns(raw.names, set(fields.values()))
    if personal:
        warnings.append("Kept out as personal data (not stored): "
                        + ", ".join(f"'{raw.names[i]}'" for i in personal) + ".")
    attrs = attr.plan(raw.names, set(fields.values()), "transactions")
    refund_state = next((a for a in attrs if LINE_REFUND_HEADER.search(a.label)), None)
    cleaned = clean_transactions(con, raw, fields, today=today, keep=[raw.columns[a.position] for a in attrs],
                                 anonymous=anonymous,
                                 line_refund=raw.columns[refund_state.position] if refund_state else None)
    if cleaned["line_refunds"]:
        warnings.append(f"{cleaned['line_refunds']:,} line{'s' if cleaned['line_refunds'] != 1 else ''} whose refund "
                        f"went through ('{refund_state.label}') are refunded lines (not sales), "
                        f"whatever their order's status.")
    warnings = raw.warnings + warnings
    if cleaned["phone_key"]:
        warnings.append(f"Customers are identified by their phone number (column '{raw.names[fields['customer_id']]}'); "
                        f"numbers are kept out of ids: each customer gets a stable pseudonymous id (P…).")
    if cleaned["email_key"]:
        warnings.append(f"Customers are identified by their email (column '{raw.names[fields['customer_id']]}'); "
                        f"emails are kept out of ids: each customer gets a stable pseudonymous id (E…).")
    progress("typing the other columns", 0.65)
    attrs, empty = attr.detect(con, "_typed_orders", attrs, grain=True)
    attr.find_merges(con, "_typed_orders", attrs)
    merges = attr.merge_fields(con, "_typed_orders",
                               [f for f in attr.MERGED_FIELDS if f in fields], "transactions")
    names = attr.Names()
    order_attrs = [a for a in attrs if a.grain == "order"]
    names.claim_all(order_attrs)
    extra, joins, params, joined = attr.select_sql(order_attrs)
    merged_cols, merge_joins, merge_params = merges.select(list(ORDERS_SCHEMA))
    write_order_tables(con, extra=extra, joins=joins + merge_joins, params={**params, **merge_params},
                       keep_order_by=joined or bool(merge_joins), fields=merged_cols,
                       anonymous=bool(cleaned["anonymous"]))
    progress("checking the result", 0.75)

    report = _file_report(con, raw, fields, empty)
    rejected = report["rows_rejected"]
    n = raw.rows_read
    reasons = ", ".join(f"{r}: {k:,}" for r, k in report["rejected_by_reason"].items())
    used = ", ".join(f"{f}={c}" for f, c in report["mapping"].items())
    if rejected > MAX_REJECTED_SHARE * n:
        raise TierwiseError(
            f"Refused to load '{path.name}': {rejected:,} of {n:,} rows "
            f"({rejected / n:.0%}) would be rejected ({reasons}). So many bad rows usually means "
            f"a wrong column mapping or date format; the mapping used was {used}. Fix the file "
            f"or pass --map field=column, then load again."
        )
    kept = report["rows_kept"]
    if kept == 0:
        raise TierwiseError(
            f"Refused to load '{path.name}': no orders are left after removing "
            f"{report['cancelled']:,} cancelled and {rejected:,} rejected rows."
        )
    if rejected and rejected == MAX_REJECTED_SHARE * n:
        warnings.append(f"Exactly half of the rows ({rejected:,} of {n:,}) were rejected "
                        f"({reasons}); check the mapping ({used}) before trusting the results.")
    elif rejected:
        warnings.append(f"{rejected:,} of {n:,} rows were rejected ({reasons}).")
    if cleaned["anonymous"]:
        anon_revenue = float(con.execute("SELECT coalesce(sum(amount), 0) FROM anonymous_orders").fetchall()[0][0])
        report["anonymous_sales"] = {"lines": cleaned["anonymous"], "revenue": round(anon_revenue, 2)}
        warnings.append(anonymous_sentence(cleaned["anonymous"], anon_revenue))
    if cleaned["refunds"]["refund_lines"]:
        report["refunds_netted"] = cleaned["refunds"]
        warnings.append(refunds_sentence(**cleaned["refunds"]))
    warnings += _parse_warnings(cleaned, report)
    warnings += _decimal_warnings(cleaned["study"], raw, fields, ("amount", "quantity"), attrs)

    lo, hi = con.execute("SELECT min(order_date), max(order_date) FROM orders").fetchall()[0]
    as_of_used = as_of or hi
    after = con.execute("SELECT count(*) FROM orders WHERE order_date > ?", [as_of_used]).fetchall()[0][0]
    if as_of and as_of < lo:
        warnings.append(f"The as-of date {as_of.isoformat()} is before the first order "
                        f"({lo.isoformat()}): no order would be seen.")
    if after:
        warnings.append(f"{after:,} orders fall after the as-of date {as_of_used.isoformat()}; "
                        f"features and models ignore them.")

    progress("building customers", 0.85)
    cust_report, cust_attrs, given = None, [], set()
    if customers is not None:
        cust_report, cust_attrs, given = _load_customers(
            con, customers, _lower_keys(customer_mapping), warnings, raws, names)
    else:
        con.execute(f"CREATE TABLE customers AS SELECT {_customer_columns('customer_id')} "
                    f"FROM (SELECT DISTINCT customer_id FROM orders) ORDER BY customer_id")
        if cleaned["emails"]:  # the customers' emails from the transactions file (guests' ids are pseudonyms of them)
            con.execute("""UPDATE customers SET email = e.email FROM (
                               SELECT customer_id, min(_email) AS email FROM _typed_orders
                               WHERE _reason IS NULL GROUP BY customer_id) e
                           WHERE customers.customer_id = e.customer_id""")
    per_customer = [a for a in attrs if a.grain == "customer"]
    attr.decide_fills(per_customer, given, names)
    names.claim_all([a for a in per_customer if not a.fills])
    attr.add_customer_attributes(con, per_customer)
    n_customers = con.execute("SELECT count(*) FROM customers").fetchall()[0][0]
    all_cancelled, their_lines = con.execute(
        """SELECT count(DISTINCT customer_id), count(*) FROM cancelled_orders
           WHERE customer_id IN (SELECT customer_id FROM cancelled_orders
                                 ANTI JOIN orders USING (customer_id))""").fetchall()[0]
    if all_cancelled:
        warnings.append(f"{all_cancelled:,} customer{'s' if all_cancelled != 1 else ''} had every "
                        f"order cancelled ({their_lines:,} line{'s' if their_lines != 1 else ''}); "
                        f"with no completed sale they are left out of the customers, features "
                        f"and models.")
    described = [attr.describe(con, a) for a in sorted(
        attrs, key=lambda a: a.position)] + [attr.describe(con, a) for a in cust_attrs]

    if rejects_path is not None:
        # rejected rows are the file's own text: a cell like =cmd|' /C calc'!A0 must not run when the file is opened;
        # the file is never written through a link (whether it may replace a file is the caller's question)
        with output_file(rejects_path, force=True) as part:
            con.sql(neutralised_select(con, "SELECT * FROM rejects", order_by="source_file, row_number")
                    ).write_csv(str(part))
    _drop_work(con)
    progress("done", 1.0)

    report.update({
        "date_min": lo.isoformat(),
        "date_max": hi.isoformat(),
        "as_of": as_of_used.isoformat(),
        "orders_after_as_of": int(after),
        "today": today.isoformat(),
        "customers": int(n_customers),
        "customers_all_cancelled": int(all_cancelled),
        "attributes": described,
        "customers_in_orders": int(con.execute(
            "SELECT count(DISTINCT customer_id) FROM orders").fetchall()[0][0]),
        "rejects_path": str(rejects_path) if rejects_path is not None else None,
        "warnings": warnings,
    })
    report["merged"] = dict(merges.merged)
    if cust_report is not None:
        report["customers_file"] = cust_report
        report["merged"].update(cust_report["merged"])
    return report


def anonymous_sentence(lines: int, revenue: float) -> str:
    """The load report's line on sales with no customer (walk-ins, guests without an email)."""
    return (f"Anonymous sales kept: {lines:,} line{'s' if lines != 1 else ''} with no customer, revenue "
            f"{revenue:,.2f} — counted in sales totals, not in customers or models.")


def refunds_sentence(refund_lines: int, refunded_in_full: int, reduced: int) -> str:
    """The load report's line on refund lines (negative amounts) netted against the sales they refund."""
    parts = []
    if refunded_in_full:
        parts.append(f"{refunded_in_full:,} sale line{'s' if refunded_in_full != 1 else ''} refunded in full are set "
                     f"aside as refunded (not sales)")
    if reduced:
        parts.append(f"{reduced:,} reduced by a partial refund")
    return (f"Refunds netted: {refund_lines:,} refund line{'s' if refund_lines != 1 else ''} (negative amounts in an "
            f"order of the file) taken off the lines they refund; " + " and ".join(parts) + ".")


def _lower_keys(mapping: dict[str, str | None] | None) -> dict[str, str | None] | None:
    # None: the file has no column for that field (not detected either)
    return {str(k).strip().lower(): None if v is None else str(v) for k, v in mapping.items()} if mapping else None


def _file_report(con, raw: RawTable, fields: dict[str, int], empty: list) -> dict:
    """What was read and what became of it; the shared part of both files' reports."""
    reasons = reason_counts(con, raw.path)
    report = {
        "file": raw.path,
        "format": raw.format,
        "encoding": raw.encoding,
        "delimiter": {"\t": "tab"}.get(raw.delimiter, raw.delimiter),
        "header": raw.header,
        "columns": {str(i): name for i, name in enumerate(raw.names, start=1)},
        "rows_read": int(raw.rows_read),
        "rows_kept": int(con.execute("SELECT count(*) FROM orders").fetchall()[0][0])
        if raw.table.startswith("raw_transactions") else None,
        "rows_rejected": int(sum(reasons.values())),
        "rejected_by_reason": reasons,
        "cancelled": int(con.execute("SELECT count(*) FROM cancelled_orders").fetchall()[0][0])
        if raw.table.startswith("raw_transactions") else None,
        "duplicate_rows": duplicate_rows(
            con, "_typed_orders" if raw.table.startswith("raw_transactions") else "_typed_customers"),
        "mapping": {f: raw.names[i] for f, i in sorted(fields.items(), key=lambda kv: kv[1])},
        # Every other column is kept as an attribute; only the empty ones are not used.
        "unmapped_columns": [a.label for a in empty],
        "preview": _preview(con, raw),
    }
    if not raw.table.startswith("raw_transactions"):
        for key in ("rows_kept", "cancelled"):
            report.pop(key)
    return report


def _preview(con, raw: RawTable) -> list[dict[str, str | None]]:
    rows = con.execute(f"SELECT {', '.join(raw.columns)} FROM {raw.table} "
                       f"LIMIT {PREVIEW_ROWS}").fetchall()
    return [{str(i): v for i, v in enumerate(r, start=1)} for r in rows]


def _parse_warnings(cleaned: dict, report: dict) -> list[str]:
    out = []
    study = cleaned["study"]
    order = "day/month/year" if study["day_first"] else "month/day/year"
    if study["date_order_unsure"]:
        out.append(f"{study['date_order_unsure']:,} dates such as 03/04/2024 could be read either "
                   f"way and no date settles it; they were read as {order}.")
    if study["date_order_mixed"]:
        out.append(f"The file mixes day/month and month/day dates; it was read as {order}, and "
                   f"{study['date_order_mixed']:,} dates in the other order were rejected.")
    if cleaned["bad_quantity"]:
        out.append(f"{cleaned['bad_quantity']:,} kept rows have a quantity that is not a number; "
                   f"it was left empty.")
    if report["duplicate_rows"]:
        out.append(f"{report['duplicate_rows']:,} rows are exact copies of an earlier row; they "
                   f"were kept, since one customer can place identical orders.")
    return out


def _decimal_warnings(study: dict, raw: RawTable, fields: dict[str, int], numbers: tuple[str, ...],
                      attrs: list) -> list[str]:
    """A warning for each number column (the contract's and the numeric attributes) whose decimal
    separator was mixed in the rows studied."""
    out = []
    for fld in numbers:
        if fld in fields:
            c = raw.columns[fields[fld]]
            if c in study["decimal_votes"]:
                out.append(decimal_warning(raw.names[fields[fld]], study["decimal_votes"][c],
                                           study["decimal_comma"][c]))
    for a in attrs:
        if a.type == "numeric":
            out.append(decimal_warning(a.label, a.decimal_votes, a.decimal_comma))
    return [w for w in out if w]


def _customer_columns(id_expr: str) -> str:
    return ", ".join([f"{id_expr} AS customer_id"] + [
        f"CAST(NULL AS {typ}) AS {fld}" for fld, typ in CUSTOMERS_SCHEMA.items()
        if fld != "customer_id"])


def _load_customers(con, path: Path, mapping: dict[str, str] | None, warnings: list[str],
                    raws: list[RawTable], names: attr.Names) -> tuple[dict, list, set[str]]:
    """Build customers from the customers file; returns (its report, its attributes, fields it gives)."""
    raw = read_raw(con, path, "raw_customers")
    raws.append(raw)
    fields, map_warnings = build_mapping(con, raw.table, raw.names, raw.header, mapping,
                                         "customers", path.name)
    attrs = attr.plan(raw.names, set(fields.values()), "customers")
    info = clean_customers(con, raw, fields, keep=[raw.columns[a.position] for a in attrs])
    warnings += raw.warnings + map_warnings
    attrs, empty = attr.detect(con, "_typed_customers", attrs, grain=False)
    attr.find_merges(con, "_typed_customers", attrs)
    merges = attr.merge_fields(con, "_typed_customers",
                               [f for f in attr.MERGED_FIELDS if f in fields], "customers")
    warnings += _decimal_warnings(info["study"], raw, fields, ("age",), attrs)
    names.claim_all(attrs)
    extra, joins, params, _ = attr.select_sql(attrs, alias=lambda a: f"_v{a.slot}")
    merged_cols, merge_joins, merge_params = merges.select(list(CUSTOMERS_SCHEMA))
    extra += "".join(f", {e} AS _f_{f}" for f, e in merged_cols.items())
    cols = ", ".join([f"_f_{f} AS {f}" if f in merged_cols else f for f in CUSTOMERS_SCHEMA]
                     + [f"_v{a.slot} AS {attr.quote(a.name)}" for a in attrs])
    con.execute(f"""CREATE TABLE customers AS SELECT {cols} FROM (
        SELECT *, row_number() OVER (PARTITION BY customer_id ORDER BY _pos) AS _k
        FROM (SELECT t.rowid AS _pos, t.*{extra} FROM _typed_customers t{joins}{merge_joins})
        WHERE _reason IS NULL)
        WHERE _k = 1 ORDER BY _pos""", {**params, **merge_params} or None)
    valid = con.execute("SELECT count(*) FROM _typed_customers WHERE _reason IS NULL").fetchall()[0][0]
    in_file = con.execute("SELECT count(*) FROM customers").fetchall()[0][0]
    dup = valid - in_file
    added = con.execute(
        f"""INSERT INTO customers BY NAME SELECT {_customer_columns('customer_id')} FROM (
            SELECT DISTINCT customer_id FROM orders
            WHERE customer_id NOT IN (SELECT customer_id FROM customers)) ORDER BY customer_id"""
    ).fetchall()[0][0]
    no_orders = con.execute(
        "SELECT count(*) FROM customers WHERE customer_id NOT IN "
        "(SELECT DISTINCT customer_id FROM orders)").fetchall()[0][0]
    report = _file_report(con, raw, fields, empty)
    report.update({
        "rows_kept": int(in_file),
        "duplicate_ids": int(dup),
        "added_from_orders": int(added),
        "without_orders": int(no_orders),
        "unreadable_values": {k: int(v) for k, v in info["unreadable"].items() if v},
        "merged": dict(merges.merged),
    })
    name = path.name
    if dup:
        warnings.append(f"{dup:,} rows in '{name}' repeat a customer id already seen; the first "
                        f"row for each id was kept.")
    if added:
        warnings.append(f"{added:,} customers have orders but are not in '{name}'; they were "
                        f"added with empty details.")
    if report["rows_rejected"]:
        warnings.append(f"{report['rows_rejected']:,} rows in '{name}' were rejected "
                        f"({', '.join(f'{r}: {k:,}' for r, k in report['rejected_by_reason'].items())}).")
    for fld, k in report["unreadable_values"].items():
        warnings.append(f"{k:,} values of {fld} in '{name}' could not be read and were left empty.")
    return report, attrs, set(fields)


WORK_RELATIONS = ("raw_transactions", "raw_transactions_carried", "raw_transactions_split",
                  "raw_transactions_carried_split", "raw_customers", "raw_transactions_rej",
                  "raw_transactions_rejscan", "raw_customers_rej", "raw_customers_rejscan",
                  "_typed_orders", "_typed_customers", "_malformed")


def _drop_work(con) -> None:
    """Drop the temp views and tables of a load; only the output tables remain."""
    attr.drop_work(con)
    views = {r[0] for r in con.execute(
        "SELECT view_name FROM duckdb_views() WHERE temporary").fetchall()}
    for name in WORK_RELATIONS:
        kind = "VIEW" if name in views else "TABLE"
        con.execute(f"DROP {kind} IF EXISTS {name}")


def _drop_all(con) -> None:
    """Leave the connection as it was given: a failed load creates nothing."""
    try:
        _drop_work(con)
        for t in OUTPUT_TABLES:
            con.execute(f"DROP TABLE IF EXISTS {t}")
    except duckdb.Error:
        pass
