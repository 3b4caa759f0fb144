"""The admin's data page behind the UI: check an upload, preview its column mapping, load, rebuild.

The preview runs the loader's own reading and mapping detection on a throwaway in-memory
DuckDB connection, so nothing is stored until the admin confirms the load; the load itself is
`tools.loading.load_dataset`, which swaps the new dataset in only when all of it succeeded.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Callable

import duckdb

from tools import attributes
from tools.contract import (CUSTOMER_OPTIONAL, CUSTOMER_REQUIRED, TRANSACTION_OPTIONAL, TRANSACTION_REQUIRED,
                            FileKind)
from tools.errors import TierwiseError
from tools.ingest import parse_map_args
from tools.mapping import build_mapping, fields_for, map_by_name
from tools.reading import read_raw

MAX_UPLOAD_MB = 200   # the default; TIERWISE_MAX_UPLOAD_MB sets another
ACCEPTED_SUFFIXES = (".csv", ".txt", ".tsv", ".dat", ".parquet", ".pq", ".xlsx", ".xls", ".xlsm")
PREVIEW_ROWS = 5
NO_COLUMN = "(none)"  # an optional field the file has no column for
SAMPLES = 3
SAMPLE_ROWS = 200
FIELD_LABELS = {"customer_id": "Customer ID", "order_date": "Order date", "amount": "Amount (line total)",
                "order_id": "Order ID", "product": "Product", "category": "Category", "quantity": "Quantity",
                "channel": "Sales channel", "status": "Order status", "unit_price": "Unit price", "email": "Email",
                "name": "Name", "country": "Country", "city": "City", "signup_date": "Signup date",
                "gender": "Gender", "age": "Age", "email_consent": "Email consent"}
TYPE_WORDS = {"categorical": "Category (text)", "numeric": "Number", "boolean": "Yes / no", "date": "Date"}
GRAIN_WORDS = {"customer": "Customer (one value each)", "order": "Order line"}


def max_upload_mb() -> int:
    """The largest web upload in MB: TIERWISE_MAX_UPLOAD_MB, or MAX_UPLOAD_MB."""
    text = os.environ.get("TIERWISE_MAX_UPLOAD_MB", "").strip()
    if not text:
        return MAX_UPLOAD_MB
    if not text.isdigit() or int(text) < 1:
        raise TierwiseError(f"TIERWISE_MAX_UPLOAD_MB must be a whole number of megabytes, like 200; got '{text[:20]}'.")
    return int(text)


def check_upload(path: str | Path | None, *, what: str = "transactions file", required: bool = True) -> Path | None:
    """The uploaded file's path, or a sentence saying why it can't be loaded."""
    if not path:
        if required:
            raise TierwiseError(f"Choose a {what} to upload first (CSV, Parquet or Excel).")
        return None
    path = Path(path)
    if not path.is_file():
        raise TierwiseError(f"The uploaded {what} is no longer on the server; upload it again.")
    size_mb, limit = path.stat().st_size / 1024 / 1024, max_upload_mb()
    if size_mb > limit:
        raise TierwiseError(f"The {what} '{path.name}' is {size_mb:,.0f} MB; the web upload takes up to "
                            f"{limit} MB. Load bigger files with `tierwise load FILE` on the server.")
    if path.suffix.lower() not in ACCEPTED_SUFFIXES:
        raise TierwiseError(f"'{path.name}' is not a file type Tierwise reads; upload CSV/TXT, Parquet or Excel "
                            f"({', '.join(ACCEPTED_SUFFIXES)}).")
    return path


def preview_mapping(path: str | Path, kind: FileKind = "transactions",
                    mapping: dict[str, str] | None = None) -> dict[str, Any]:
    """What the loader would detect: format, columns, the field → column mapping and the first rows."""
    path = Path(path)
    con = duckdb.connect()
    raw = None
    try:
        raw = read_raw(con, path, "raw_preview")
        try:
            fields, warnings = build_mapping(con, raw.table, raw.names, raw.header,
                                             {k.lower(): v for k, v in (mapping or {}).items()} or None,
                                             kind, path.name)
        except TierwiseError as exc:
            if mapping:
                raise
            # a required field not found: still offer the columns, so the admin can choose them
            fields = map_by_name(raw.names, fields_for(kind)[0], set()) if raw.header else {}
            warnings = [str(exc)]
        rows = con.execute(f"SELECT {', '.join(raw.columns)} FROM {raw.table} LIMIT {PREVIEW_ROWS}").fetchall()
        # a few distinct values of each column, from its first rows, to show next to its name
        samples = {str(name): [str(v[0]) for v in con.execute(
            f"SELECT DISTINCT {column} FROM (SELECT {column} FROM {raw.table} LIMIT {SAMPLE_ROWS}) "
            f"WHERE {column} IS NOT NULL AND trim(CAST({column} AS VARCHAR)) <> '' LIMIT {SAMPLES}").fetchall()]
            for name, column in zip(raw.names, raw.columns)}
        kept, empty = attributes.preview(con, raw, fields, kind)
        return {
            "file": path.name, "format": raw.format, "encoding": raw.encoding,
            "delimiter": {"\t": "tab"}.get(raw.delimiter, raw.delimiter), "header": raw.header,
            "columns": list(raw.names),
            "mapping": {f: raw.names[i] for f, i in sorted(fields.items(), key=lambda kv: kv[1])},
            "missing": [f for f in fields_for(kind)[1] if f not in fields],
            # Every other column is kept as an attribute (judged here from the first rows);
            # only columns with no value at all are not used.
            "attributes": kept,
            "unmapped_columns": empty,
            "warnings": raw.warnings + warnings,
            "preview": [list(r) for r in rows],
            "samples": samples,
        }
    except duckdb.Error as exc:
        raise TierwiseError(f"Could not read '{path.name}': {str(exc).splitlines()[0]}") from exc
    finally:
        if raw is not None:
            raw.cleanup()
        con.close()


def mapping_text(mapping: dict[str, str | None]) -> str:
    """The mapping as editable lines, `field=column`, one per line (`field=`: the file has no such column)."""
    return "\n".join(f"{field}={column or ''}" for field, column in mapping.items())


# --- the mapping as one dropdown per field ----------------------------------------------------

def contract_fields(kind: FileKind) -> list[tuple[str, bool]]:
    """(field, required) of a file kind, required first."""
    if kind == "customers":
        return [(f, True) for f in CUSTOMER_REQUIRED] + [(f, False) for f in CUSTOMER_OPTIONAL]
    return [(f, True) for f in TRANSACTION_REQUIRED] + [(f, False) for f in TRANSACTION_OPTIONAL]


def field_label(field: str, required: bool) -> str:
    return f"{FIELD_LABELS.get(field, field.replace('_', ' ').capitalize())} · {'required' if required else 'optional'}"


def sample_values(preview: dict[str, Any]) -> dict[str, str]:
    """A few values of each column, as the dropdowns show them next to its name."""
    short = lambda v: v.strip() if len(v.strip()) <= 24 else v.strip()[:23] + "…"  # noqa: E731
    return {column: ", ".join(short(v) for v in values) for column, values in (preview.get("samples") or {}).items()}


def column_choices(preview: dict[str, Any], *, required: bool) -> list[tuple[str, str]]:
    """(label, value) of a field's dropdown: every column with its sample values; '(none)' for an optional field."""
    samples = sample_values(preview)
    choices = [(f"{c} — {samples[str(c)]}" if samples.get(str(c)) else str(c), str(c)) for c in preview["columns"]]
    return choices if required else [(f"{NO_COLUMN} — not in this file", NO_COLUMN)] + choices


def chosen_mapping(kind: FileKind, values: list[str | None]) -> str:
    """The dropdowns' choices as mapping lines for the loader: a column, `field=` for '(none)'; a field left
    unchosen is detected at load."""
    lines = []
    for (field, _), value in zip(contract_fields(kind), values):
        if value == NO_COLUMN:
            lines.append(f"{field}=")
        elif value:
            lines.append(f"{field}={value}")
    return "\n".join(lines)


def attribute_rows(preview: dict[str, Any]) -> list[list[str]]:
    """The file's other columns, kept as attributes: [column, type, grain, sample values] in words."""
    return [[str(a.get("label") or a.get("name")), TYPE_WORDS.get(a.get("type"), str(a.get("type"))),
             GRAIN_WORDS.get(a.get("grain"), str(a.get("grain"))), ", ".join(map(str, (a.get("values") or [])[:4]))]
            for a in preview.get("attributes") or []]


# --- no server path in what the admin reads ---------------------------------------------------

def without_paths(text: str, *paths: str | Path | None) -> str:
    """The text with every uploaded file's server path written as its own name (Gradio keeps uploads in a
    temporary folder whose path is nobody's business)."""
    for path in paths:
        if path:
            path = Path(path)
            text = text.replace(str(path), path.name).replace(str(path.parent) + os.sep, "")
    return re.sub(r"(?<![\w.])/(?:tmp|var|private|home|root|srv)/\S*?([^/\s'\"]+\.\w{1,8})\b", r"\1", text)


def report_text(result: dict[str, Any]) -> str:
    """The load report as the Data tab shows it: the uploaded files by their own names."""
    from assistant.cli import format_load_report

    shown = dict(result)
    paths = [result.get("file")]
    if result.get("file"):
        shown["file"] = Path(str(result["file"])).name
    if isinstance(result.get("customers_file"), dict) and result["customers_file"].get("file"):
        paths.append(result["customers_file"]["file"])
        shown["customers_file"] = {**result["customers_file"], "file": Path(str(result["customers_file"]["file"])).name}
    return without_paths(format_load_report(shown), *paths)


def parse_mapping_text(text: str | None, kind: FileKind = "transactions") -> dict[str, str]:
    """The admin's edited `field=column` lines as a mapping; blank lines and `#` comments are skipped."""
    lines = [line.strip() for line in (text or "").splitlines()]
    return parse_map_args([line for line in lines if line and not line.startswith("#")], kind)


def describe_preview(preview: dict[str, Any]) -> str:
    """A plain-text summary of what was detected (shown in a text box, never as Markdown)."""
    lines = [f"{preview['file']}: {preview['format']}"
             + (f", {preview['encoding']}" if preview.get("encoding") else "")
             + (f", delimiter {preview['delimiter']!r}" if preview.get("delimiter") else "")
             + (", header" if preview.get("header") else ", no header"),
             "Columns: " + ", ".join(f"{i}: {n}" for i, n in enumerate(preview["columns"], start=1)),
             "Detected mapping: " + (", ".join(f"{f} <- {c}" for f, c in preview["mapping"].items()) or "none")]
    missing = preview.get("missing") or []
    if missing:
        lines.append(f"Not found: {', '.join(missing)} (required). Choose {'its column' if len(missing) == 1 else 'their columns'} "
                     "below.")
    if preview.get("attributes"):
        lines.append(f"Every other column is kept as an attribute: {len(preview['attributes'])}, listed below.")
    if preview.get("unmapped_columns"):
        lines.append("Not used (no values): " + ", ".join(map(str, preview["unmapped_columns"])))
    lines += [f"Note: {w}" for w in preview.get("warnings") or [] if not (missing and w.startswith("Could not find"))]
    return "\n".join(lines)


class StageProgress:
    """Map the loader's per-stage fractions onto one bar that only moves forward.

    load_dataset reports ingest (0..1), then features, then each model (0..1 again); the bar
    shows ingest as 0-30%, features 30-40% and models 40-100%.
    """

    SPANS = {"ingest": (0.0, 0.3), "features": (0.3, 0.4), "models": (0.4, 1.0)}

    def __init__(self, report: Callable[[float, str], None], *, start_phase: str = "ingest"):
        self.report, self.phase, self.shown = report, start_phase, 0.0

    def __call__(self, stage: str, fraction: float | None = None) -> None:
        text = stage.lower()
        if "feature" in text:
            self.phase = "features"
        elif text.startswith("building ") or "model" in text:
            self.phase = "models"
        if text.endswith("in service"):
            value = 1.0
        else:
            lo, hi = self.SPANS[self.phase]
            value = lo + (hi - lo) * (fraction if fraction is not None else 0.0)
        self.shown = max(self.shown, min(value, 1.0))
        self.report(self.shown, stage)
