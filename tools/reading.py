"""Expose any user file (CSV/TXT, Parquet, Excel) to DuckDB as a raw all-VARCHAR relation.

The relation (a temp view over the file, so a 600 MB CSV is parsed only when scanned) has
columns `c1 .. cn`, text exactly as read, in file order. What was detected about the file
comes back as a `RawTable` so the load report can say it.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from tools.errors import TierwiseError

SAMPLE_BYTES = 256 * 1024
SNIFF_LINES = 200
DELIMITERS = (",", ";", "\t", "|")
WHITESPACE = "whitespace"
# Values that look like data rather than column names: numbers, dates, money.
_DATA_LIKE = re.compile(
    r"^\s*[-+(]?\s*[$€£¥₩]?\s*\d[\d\s.,:/\-年月日T]*\)?\s*[A-Za-z]{0,3}\s*$|^\s*$"
)


@dataclass
class RawTable:
    table: str
    path: str
    format: str                      # csv | whitespace | parquet | excel
    encoding: str | None
    delimiter: str | None
    header: bool
    names: list[str]                 # display name per column: header text or "column N"
    rows_read: int | None = None     # known after the cleaning pass has read every row
    rejects_table: str | None = None # where DuckDB's CSV reader notes lines it could not split
    warnings: list[str] = field(default_factory=list)
    temp_dirs: list[str] = field(default_factory=list)

    def cleanup(self) -> None:
        """Remove temporary transcoded copies (call when every query on the table is done)."""
        for d in self.temp_dirs:
            shutil.rmtree(d, ignore_errors=True)
        self.temp_dirs.clear()

    @property
    def columns(self) -> list[str]:
        return [f"c{i}" for i in range(1, len(self.names) + 1)]


def read_raw(con: duckdb.DuckDBPyConnection, path: str | Path, table: str) -> RawTable:
    """Detect the file's format and load it as text into `table`; raise TierwiseError if unreadable."""
    path = Path(path)
    if not path.exists():
        raise TierwiseError(f"File '{path}' does not exist.")
    if path.is_dir():
        raise TierwiseError(f"'{path}' is a folder, not a data file.")
    if path.stat().st_size == 0:
        raise TierwiseError(f"File '{path.name}' is empty: there is nothing to load.")
    with open(path, "rb") as fh:
        head = fh.read(SAMPLE_BYTES)
    kind = _sniff_kind(path, head)
    try:
        if kind == "parquet":
            raw = _read_parquet(con, path, table)
        elif kind == "excel":
            raw = _read_excel(con, path, table)
        else:
            raw = _read_text(con, path, table, head)
        empty = not con.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchall()
    except duckdb.Error as exc:
        raise TierwiseError(
            f"Could not read '{path.name}' as {kind}: {str(exc).splitlines()[0]}"
        ) from exc
    if empty:
        raise TierwiseError(
            f"File '{path.name}' has no data rows"
            + (" (only a header line)." if raw.header else ".")
        )
    return raw


# --- format detection -------------------------------------------------------------------

def _sniff_kind(path: Path, head: bytes) -> str:
    name = path.name
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        if path.suffix.lower() in (".xlsx", ".xlsm") or b"xl/" in head or b"[Content_Types]" in head:
            return "excel"
        raise TierwiseError(f"File '{name}' is a ZIP archive; unzip it and load the CSV inside.")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise TierwiseError(
            f"File '{name}' is an old-style .xls workbook; save it as .xlsx or CSV and load that."
        )
    for magic, what in ((b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
                        (b"%PDF", "a PDF document"), (b"\x1f\x8b", "a gzip archive"),
                        (b"GIF8", "a GIF image")):
        if head.startswith(magic):
            raise TierwiseError(
                f"File '{name}' is {what}, not a data table; load a CSV, Excel or Parquet file."
            )
    if path.suffix.lower() == ".parquet":
        raise TierwiseError(f"File '{name}' is named .parquet but is not a Parquet file.")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        raise TierwiseError(f"File '{name}' is named {path.suffix} but is not an Excel workbook.")
    return "text"


def detect_encoding(head: bytes, name: str = "file") -> str:
    """Name the text encoding of a sample: utf-8 (with or without BOM), utf-16, or a guess."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if b"\x00" in head:
        raise _binary(name)
    try:
        codecs.getincrementaldecoder("utf-8-sig")("strict").decode(head, final=False)
        return "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(head).best()
    if best is None:
        raise _binary(name)
    enc = best.encoding.lower().replace("-", "_")
    # Short samples leave the detector unsure between close relatives. Tierwise's users write
    # Chinese or Western European text, so a CJK guess that gb18030 can decode is Chinese, and
    # a Latin-script single-byte guess is Windows-1252 (a superset of Latin-1's letters).
    if enc in _CJK_GUESSES and _decodes(head, "gb18030"):
        return "gb18030"
    if enc in _LATIN_GUESSES:
        return "cp1252" if _decodes(head, "cp1252") else "latin-1"
    return enc


_CJK_GUESSES = {"gbk", "gb2312", "gb18030", "hz", "cp936", "cp949", "euc_kr", "johab", "big5",
                "big5hkscs", "cp950", "shift_jis", "cp932", "euc_jp", "iso2022_jp", "iso2022_kr",
                "shift_jis_2004", "shift_jisx0213", "euc_jis_2004"}
_LATIN_GUESSES = {"latin_1", "iso8859_1", "cp1252", "cp1250", "iso8859_2", "iso8859_3",
                  "iso8859_4", "iso8859_9", "iso8859_10", "iso8859_13", "iso8859_14",
                  "iso8859_15", "iso8859_16", "cp1254", "cp1257", "mac_roman", "mac_latin2",
                  "mac_iceland", "mac_turkish", "cp850", "cp437", "cp858", "cp1258"}


def _decodes(head: bytes, encoding: str) -> bool:
    try:
        codecs.getincrementaldecoder(encoding)("strict").decode(head, final=False)
        return True
    except UnicodeDecodeError:
        return False


def _binary(name: str) -> TierwiseError:
    return TierwiseError(
        f"File '{name}' looks like binary data, not a text table; "
        "load a CSV, Excel (.xlsx) or Parquet file."
    )


def _check_text(text: str, name: str) -> None:
    if not text.strip():
        raise TierwiseError(f"File '{name}' is empty: there is nothing to load.")
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\r\n")
    odd = sum(1 for ch in text if unicodedata.category(ch) in ("Co", "Cn", "Cs") or ch == "\ufffd")
    if (controls + odd) > max(2, 0.01 * len(text)):
        raise _binary(name)


def sniff_delimiter(lines: list[str]) -> tuple[str, int]:
    """Pick the delimiter that splits the sample lines into the most consistent field count."""
    best: tuple[float, int, int, str] | None = None
    candidates = [(d, [len(r) for r in csv.reader(lines, delimiter=d, quotechar='"')])
                  for d in DELIMITERS]
    candidates.append((WHITESPACE, [len(line.split()) for line in lines]))
    for rank, (delim, counts) in enumerate(candidates):
        counts = [c for c in counts if c > 0]
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        if mode < 2:
            continue
        consistency = counts.count(mode) / len(counts)
        key = (round(consistency, 2), mode, -rank, delim)
        if best is None or key > best:
            best = key
    if best is None or best[0] < 0.6:
        return ",", 1
    return best[3], best[1]


def looks_like_header(first: list[str], rest: list[list[str]]) -> bool:
    """True when the first row reads like column names rather than data."""
    from tools.mapping import is_known_name

    cells = [c.strip() for c in first]
    if not any(cells):
        return False
    if any(is_known_name(c) for c in cells):
        return True
    if any(_DATA_LIKE.match(c) for c in cells if c):
        return False
    # All text: a header if some column below it holds mostly data-like values.
    for i in range(len(cells)):
        below = [r[i] for r in rest if i < len(r) and r[i].strip()]
        if below and sum(bool(_DATA_LIKE.match(v)) for v in below) / len(below) >= 0.8:
            return True
    # Text over text: names are unique and don't repeat in the data.
    if len(set(cells)) == len(cells) and rest:
        seen = {v.strip() for r in rest for v in r}
        return not any(c in seen for c in cells)
    return False


def _header_names(first: list[str], n: int) -> list[str]:
    names: list[str] = []
    for i in range(n):
        name = first[i].strip() if i < len(first) and first[i].strip() else f"column {i + 1}"
        base, k = name, 2
        while name in names:
            name, k = f"{base}_{k}", k + 1
        names.append(name)
    return names


# --- text files ---------------------------------------------------------------------------

def _read_text(con: duckdb.DuckDBPyConnection, path: Path, table: str, head: bytes) -> RawTable:
    name = path.name
    encoding = detect_encoding(head, name)
    sample = codecs.getincrementaldecoder(encoding)("replace").decode(head, final=False)
    sample = sample.lstrip("\ufeff")
    _check_text(sample, name)
    lines = sample.splitlines()
    if len(head) == SAMPLE_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last sampled line may be cut short
    lines = [ln for ln in lines if ln.strip()][:SNIFF_LINES]
    delim, ncols = sniff_delimiter(lines)
    if delim == WHITESPACE:
        rows = [ln.split() for ln in lines]
    else:
        rows = list(csv.reader(lines, delimiter=delim, quotechar='"'))
    header = looks_like_header(rows[0], rows[1:]) if rows else False
    names = _header_names(rows[0], ncols) if header else [f"column {i}" for i in range(1, ncols + 1)]

    raw = RawTable(table, str(path), "whitespace" if delim == WHITESPACE else "csv", encoding,
                   "whitespace" if delim == WHITESPACE else delim, header, names)
    source = path
    if encoding not in ("utf-8", "utf-8-sig"):
        raw.temp_dirs.append(tempfile.mkdtemp(prefix="tierwise-"))
        source = Path(raw.temp_dirs[-1]) / "utf8.txt"
        if not _transcode(path, source, encoding):
            raw.warnings.append(f"Some bytes in '{name}' are not valid {encoding}; they were "
                                f"replaced with '\ufffd'.")
    elif not _is_utf8(path):
        # The sample was UTF-8 but later bytes are not: replace them rather than lose rows.
        raw.temp_dirs.append(tempfile.mkdtemp(prefix="tierwise-"))
        source = Path(raw.temp_dirs[-1]) / "utf8.txt"
        _transcode(path, source, "utf-8", errors="replace")
        raw.warnings.append(f"Some bytes in '{name}' are not valid UTF-8; they were replaced "
                            f"with '\ufffd'.")
    _text_view(con, source, raw, delim, ncols)
    return raw


def _is_utf8(path: Path) -> bool:
    """Check the whole file decodes as UTF-8, in chunks (about 1 s per GB)."""
    dec = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(16 * 1024 * 1024):
                dec.decode(chunk)
            dec.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _transcode(src: Path, dst: Path, encoding: str, errors: str = "strict") -> bool:
    """Write a UTF-8 copy; False when some bytes had to be replaced."""
    try:
        with open(src, encoding=encoding, errors=errors, newline="") as fin, \
                open(dst, "w", encoding="utf-8", newline="") as fout:
            shutil.copyfileobj(fin, fout, 4 * 1024 * 1024)
        return True
    except UnicodeDecodeError:
        # The guess from the sample does not hold for the whole file: keep every row anyway.
        with open(src, encoding=encoding, errors="replace", newline="") as fin, \
                open(dst, "w", encoding="utf-8", newline="") as fout:
            shutil.copyfileobj(fin, fout, 4 * 1024 * 1024)
        return False


def _text_view(con, source: Path, raw: RawTable, delim: str, ncols: int) -> None:
    """Create the view `raw.table` over the text file; the file is parsed on each scan."""
    table = raw.table
    # Paths are bound as parameters for checks, but a view's SQL must hold a literal.
    src = "'" + str(source).replace("'", "''") + "'"
    if delim == WHITESPACE:
        # One VARCHAR per line, split on runs of whitespace in the engine; surplus fields are
        # kept joined in the last column so nothing disappears silently.
        parts = "".join(f"parts[{i}] AS c{i}, " for i in range(1, ncols))
        parts += f"array_to_string(parts[{ncols}:], ' ') AS c{ncols}"
        # Splitting by regex is the slow part, so it is done once into a temp table.
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {table} AS
            SELECT {parts} FROM (
              SELECT regexp_split_to_array(trim(line, E' \\t\\r'), '[ \\t]+') AS parts
              FROM read_csv({src}, delim='\x1f', quote='', escape='', header={str(raw.header).lower()},
                            columns={{'line': 'VARCHAR'}}, auto_detect=false,
                            null_padding=true, strict_mode=false)
              WHERE trim(line, E' \\t\\r') <> '')"""
        )
        return
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(1, ncols + 1)) + "}"
    dl = "'" + delim.replace("'", "''") + "'"
    raw.rejects_table = f"{table}_rej"
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW {table} AS SELECT * FROM read_csv({src}, delim={dl},
            quote='"', escape='"', header={str(raw.header).lower()}, columns={columns},
            auto_detect=false, null_padding=true, store_rejects=true,
            rejects_table='{table}_rej', rejects_scan='{table}_rejscan')"""
    )


# --- binary formats -------------------------------------------------------------------------

def _read_parquet(con, path: Path, table: str) -> RawTable:
    desc = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
    names = _header_names([d[0] for d in desc], len(desc))
    cols = ", ".join(f'CAST("{d[0]}" AS VARCHAR) AS c{i}'
                     for i, d in enumerate((d for d in desc), start=1)
                     if not d[0].count('"'))
    if len(cols.split(" AS c")) - 1 != len(desc):
        raise TierwiseError(f"A column name in '{path.name}' contains a double quote; rename it.")
    src = "'" + str(path).replace("'", "''") + "'"
    con.execute(f"CREATE OR REPLACE TEMP VIEW {table} AS SELECT {cols} FROM read_parquet({src})")
    return RawTable(table, str(path), "parquet", None, None, True, names)


def _excel_text(value) -> str | None:
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_excel(con, path: Path, table: str) -> RawTable:
    import openpyxl
    import pyarrow as pa

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise TierwiseError(f"Could not open '{path.name}' as an Excel workbook: {exc}") from exc
    try:
        ws = wb.worksheets[0]
        rows = [[_excel_text(v) for v in r] for r in ws.iter_rows(values_only=True)]
    finally:
        wb.close()
    rows = [r for r in rows if any(v not in (None, "") for v in r)]
    if not rows:
        raise TierwiseError(f"The first sheet of '{path.name}' is empty: there is nothing to load.")
    ncols = max(len(r) for r in rows)
    while ncols > 1 and all(len(r) < ncols or r[ncols - 1] in (None, "") for r in rows):
        ncols -= 1
    rows = [(r + [None] * ncols)[:ncols] for r in rows]
    header = looks_like_header([v or "" for v in rows[0]], [[v or "" for v in r] for r in rows[1:50]])
    names = _header_names([v or "" for v in rows[0]], ncols) if header else [
        f"column {i}" for i in range(1, ncols + 1)]
    data = rows[1:] if header else rows
    arrow = pa.table({f"c{i + 1}": pa.array([r[i] for r in data], type=pa.string())
                      for i in range(ncols)})
    con.register("_tierwise_excel", arrow)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM _tierwise_excel")
    finally:
        con.unregister("_tierwise_excel")
    return RawTable(table, str(path), "excel", None, None, header, names)
