"""The admin's data page behind the UI: check an upload, preview its column mapping, load, rebuild.

The preview runs the loader's own reading and mapping detection on a throwaway in-memory
DuckDB connection, so nothing is stored until the admin confirms the load; the load itself is
`tools.loading.load_dataset`, which swaps the new dataset in only when all of it succeeded.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

import duckdb

from tools import attributes
from tools.contract import FileKind
from tools.errors import TierwiseError
from tools.ingest import parse_map_args
from tools.mapping import build_mapping
from tools.reading import read_raw

MAX_UPLOAD_MB = 200   # the default; TIERWISE_MAX_UPLOAD_MB sets another
ACCEPTED_SUFFIXES = (".csv", ".txt", ".tsv", ".dat", ".parquet", ".pq", ".xlsx", ".xls", ".xlsm")
PREVIEW_ROWS = 5


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
        fields, warnings = build_mapping(con, raw.table, raw.names, raw.header,
                                         {k.lower(): v for k, v in (mapping or {}).items()} or None,
                                         kind, path.name)
        rows = con.execute(f"SELECT {', '.join(raw.columns)} FROM {raw.table} LIMIT {PREVIEW_ROWS}").fetchall()
        kept, empty = attributes.preview(con, raw, fields, kind)
        return {
            "file": path.name, "format": raw.format, "encoding": raw.encoding,
            "delimiter": {"\t": "tab"}.get(raw.delimiter, raw.delimiter), "header": raw.header,
            "columns": list(raw.names),
            "mapping": {f: raw.names[i] for f, i in sorted(fields.items(), key=lambda kv: kv[1])},
            # Every other column is kept as an attribute (judged here from the first rows);
            # only columns with no value at all are not used.
            "attributes": kept,
            "unmapped_columns": empty,
            "warnings": raw.warnings + warnings,
            "preview": [list(r) for r in rows],
        }
    except duckdb.Error as exc:
        raise TierwiseError(f"Could not read '{path.name}': {str(exc).splitlines()[0]}") from exc
    finally:
        if raw is not None:
            raw.cleanup()
        con.close()


def mapping_text(mapping: dict[str, str]) -> str:
    """The mapping as editable lines, `field=column`, one per line."""
    return "\n".join(f"{field}={column}" for field, column in mapping.items())


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
             "Detected mapping: " + ", ".join(f"{f} <- {c}" for f, c in preview["mapping"].items())]
    for a in preview.get("attributes") or []:
        lines.append(f"Kept: {a['label']} as {a['name']} ({a['type']}, per {a['grain']}"
                     + (f": {', '.join(map(str, a['values']))}" if a.get("values") else "") + ")")
    if preview.get("unmapped_columns"):
        lines.append("Not used (no values): " + ", ".join(map(str, preview["unmapped_columns"])))
    lines += [f"Note: {w}" for w in preview.get("warnings") or []]
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
