"""Expose any user file (CSV/TXT, Parquet, Excel) to DuckDB as a raw all-VARCHAR relation.

The relation (a temp view over the file, so a 600 MB CSV is parsed only when scanned) has
columns `c1 .. cn`, text exactly as read, in file order. What was detected about the file
comes back as a `RawTable` so the load report can say it.
"""

from __future__ import annotations

import codecs
import contextvars
import csv
import io
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
EXCEL_BATCH_ROWS = 50_000
EXCEL_BATCH_CELLS = 500_000  # values in a batch: 20,000 full rows of 1,000 columns held at once (within the cell
                             # limit) would be gigabytes of Python strings
HEADER_SAMPLE_ROWS = 50
DELIMITERS = (",", ";", "\t", "|")
WHITESPACE = "whitespace"
# Values that look like data rather than column names: numbers, dates, money. Every run is possessive (`*+`): a
# cell such as "1" + 3,000 spaces + "!" made the backtracking version try each split of the spaces between its
# runs (cubic: 4.5 s for a 1.5 KB file, minutes for 3 KB); this one reads a cell once.
_DATA_LIKE = re.compile(
    r"^\s*+(?:[-+(]\s*+)?(?:[$€£¥₩]\s*+)?\d[\d\s.,:/\-年月日T]*+\)?\s*+[A-Za-z]{0,3}\s*+$|^\s*$"
)


@dataclass(frozen=True)
class ReadLimits:
    """How big a file may be in each direction before it is refused with a sentence.

    Reading is bounded in the file's own terms (columns, cells, field and line length,
    unpacked size), so a small hostile file can't claim a large share of the machine.
    """
    max_columns: int = 1_000
    max_field_chars: int = 131_072            # Python's csv default; one cell of a table is far shorter
    max_line_bytes: int = 2 * 1024 * 1024     # longer CSV lines are rejected rows, named in the report
    max_excel_cells: int = 20_000_000         # rows × columns of the first sheet
    max_excel_unzipped_bytes: int = 1024 ** 3
    max_excel_ratio: float = 100.0            # unpacked ÷ stored, per large part; real workbooks are ~5-20
    max_excel_parts: int = 10_000


LIMITS = ReadLimits()

# DuckDB's parallel CSV scan (with null padding for short rows) cannot follow a quoted value across line breaks
# (a multi-line "Customer Note"). Files whose first lines show one are read by one thread; `ingest` sets this
# for a whole retry when a break turns up further down (CSV_ERROR in the scan's error).
SERIAL_CSV: contextvars.ContextVar[bool] = contextvars.ContextVar("tierwise_serial_csv", default=False)
CSV_ERROR = "CSV Error"


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
    parallel: bool = True            # scanned by several threads (no quoted line breaks seen)
    max_line_bytes: int | None = None  # lines longer than this are rejected rows
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


def read_raw(con: duckdb.DuckDBPyConnection, path: str | Path, table: str, *,
             limits: ReadLimits = LIMITS) -> RawTable:
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
            raw = _read_parquet(con, path, table, limits)
        elif kind == "excel":
            raw = _read_excel(con, path, table, limits)
        else:
            raw = _read_text(con, path, table, head, limits)
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

    # the sample is the file's first bytes and may end inside a character: guess from its whole lines (a line
    # feed byte never occurs inside a multi-byte character of GBK, Big5, Shift-JIS or UTF-8)
    if b"\n" in head[:-1]:
        head = head[:head.rindex(b"\n", 0, len(head) - 1) + 1]
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


_ASCII_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # category Cc in ASCII, bar tab, CR, LF


def _check_text(text: str, name: str) -> None:
    if not text.strip():
        raise TierwiseError(f"File '{name}' is empty: there is nothing to load.")
    if text.isascii():  # the same counts without a look at each character's category (a tenth of the time)
        controls, odd = len(_ASCII_CONTROLS.findall(text)), 0
    else:
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

def _read_text(con: duckdb.DuckDBPyConnection, path: Path, table: str, head: bytes,
               limits: ReadLimits = LIMITS) -> RawTable:
    name = path.name
    encoding = detect_encoding(head, name)
    sample = codecs.getincrementaldecoder(encoding)("replace").decode(head, final=False)
    sample = sample.lstrip("\ufeff")
    _check_text(sample, name)
    lines = sample.splitlines()
    if len(head) == SAMPLE_BYTES and lines:
        # the last sampled line may be cut short; already longer than a value may be, it is refused
        if len(lines[-1]) > limits.max_field_chars:
            start = len(sample) - len(lines[-1])
            raise _field_too_long(name, len(lines), _line_chars(path, encoding, start), limits)
        lines = lines[:-1]
    numbered = [(i, ln) for i, ln in enumerate(lines, start=1) if ln.strip()][:SNIFF_LINES]
    lines = [ln for _, ln in numbered]
    try:
        delim, ncols = sniff_delimiter(lines)
        if delim == WHITESPACE:
            rows = [ln.split() for ln in lines]
        else:
            rows = list(csv.reader(lines, delimiter=delim, quotechar='"'))
    except csv.Error:
        # Python's csv refuses a field over its limit; say which line holds it
        rows = None
    longest = next(((n, ln) for n, ln in numbered
                    if len(ln) > limits.max_field_chars
                    and (rows is None or max(map(len, _split(ln, delim)), default=0) > limits.max_field_chars)), None)
    if longest is not None:
        raise _field_too_long(name, longest[0], len(longest[1]), limits)
    if rows is None:
        raise TierwiseError(f"Could not split the first lines of '{name}' into columns; check it is a CSV file.")
    if ncols > limits.max_columns:
        shown = "whitespace" if delim == WHITESPACE else repr(delim)
        raise TierwiseError(f"'{name}' splits into {ncols:,} columns at {shown}; Tierwise reads files of up to "
                            f"{limits.max_columns:,} columns. Check the delimiter, or keep only the columns you need.")
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
    raw.parallel = not (SERIAL_CSV.get() or (delim != WHITESPACE and _quoted_line_break(lines, delim)))
    _text_view(con, source, raw, delim, ncols, limits.max_line_bytes)
    return raw


def _quoted_line_break(lines: list[str], delim: str) -> bool:
    """True when a quoted value of the sampled lines runs over a line break (its quotes pair up across lines)."""
    try:
        rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delim, quotechar='"'))
    except csv.Error:
        return False
    return any("\n" in value for row in rows for value in row)


def _split(line: str, delim: str) -> list[str]:
    """One sample line's fields, without Python's csv field limit (the sample is bounded)."""
    if delim == WHITESPACE:
        return line.split()
    # csv.reader may refuse this line; a plain split can only cut a quoted value shorter, never longer
    return line.split(delim)


def _line_chars(path: Path, encoding: str, start: int, cap: int = 64 * 1024 * 1024) -> int | None:
    """Characters from `start` (a character offset) to the next line break; None past `cap` of them."""
    with open(path, encoding=encoding, errors="replace", newline="") as fh:
        fh.read(start)  # the codec drops a byte-order mark, as the sample did
        seen = 0
        while seen < cap and (chunk := fh.read(1024 * 1024)):
            cut = min((i for i in (chunk.find("\n"), chunk.find("\r")) if i >= 0), default=-1)
            if cut >= 0:
                return seen + cut
            seen += len(chunk)
    return seen if seen < cap else None


def _field_too_long(name: str, line: int, chars: int | None, limits: ReadLimits) -> TierwiseError:
    size = f"{chars:,} characters long" if chars is not None else "longer than 64 MB"
    return TierwiseError(
        f"Line {line} of '{name}' is {size}, with a single value of more than {limits.max_field_chars:,} "
        f"characters; Tierwise reads values up to that length. A table of orders or customers has short values "
        "in every column: check this is the right file and that its quotes are balanced.")


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


def _text_view(con, source: Path, raw: RawTable, delim: str, ncols: int, max_line_bytes: int) -> None:
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
                            null_padding=true, strict_mode=false, max_line_size={int(max_line_bytes)})
              WHERE trim(line, E' \\t\\r') <> '')"""
        )
        return
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(1, ncols + 1)) + "}"
    dl = "'" + delim.replace("'", "''") + "'"
    raw.rejects_table = f"{table}_rej"
    raw.max_line_bytes = int(max_line_bytes)
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW {table} AS SELECT * FROM read_csv({src}, delim={dl},
            quote='"', escape='"', header={str(raw.header).lower()}, columns={columns},
            auto_detect=false, null_padding=true, store_rejects=true, max_line_size={int(max_line_bytes)},
            parallel={str(raw.parallel).lower()},
            rejects_table='{table}_rej', rejects_scan='{table}_rejscan')"""
    )


# --- binary formats -------------------------------------------------------------------------

def _read_parquet(con, path: Path, table: str, limits: ReadLimits = LIMITS) -> RawTable:
    desc = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
    if len(desc) > limits.max_columns:
        raise TierwiseError(f"'{path.name}' has {len(desc):,} columns; Tierwise reads files of up to "
                            f"{limits.max_columns:,} columns. Keep only the columns you need and load it again.")
    names = _header_names([d[0] for d in desc], len(desc))
    cols = ", ".join(f'CAST("{d[0]}" AS VARCHAR) AS c{i}'
                     for i, d in enumerate((d for d in desc), start=1)
                     if not d[0].count('"'))
    if len(cols.split(" AS c")) - 1 != len(desc):
        raise TierwiseError(f"A column name in '{path.name}' contains a double quote; rename it.")
    src = "'" + str(path).replace("'", "''") + "'"
    con.execute(f"CREATE OR REPLACE TEMP VIEW {table} AS SELECT {cols} FROM read_parquet({src})")
    return RawTable(table, str(path), "parquet", None, None, True, names)


def _read_excel(con, path: Path, table: str, limits: ReadLimits = LIMITS) -> RawTable:
    """Stream the first sheet into `table` in batches; the limits are checked before and while reading."""
    import pyarrow as pa

    from tools import excel

    excel.check_archive(path, max_unzipped_bytes=limits.max_excel_unzipped_bytes,
                        max_ratio=limits.max_excel_ratio, max_parts=limits.max_excel_parts)
    stage = f"{table}_sheet"
    head: list[list[str | None]] = []
    width = rows = 0
    batch: list[list[str | None]] = []
    batch_values = 0

    def flush() -> None:
        nonlocal width
        if not batch:
            return
        wide = max(len(r) for r in batch)
        if not width:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {stage} (_r BIGINT)")
        for i in range(width + 1, wide + 1):
            con.execute(f"ALTER TABLE {stage} ADD COLUMN c{i} VARCHAR")
        width = max(width, wide)
        start = rows - len(batch)
        arrow = pa.table({"_r": pa.array(range(start, rows), type=pa.int64()),
                          **{f"c{i + 1}": pa.array([r[i] if i < len(r) else None for r in batch], type=pa.string())
                             for i in range(wide)}})
        con.register("_tierwise_excel", arrow)
        try:
            con.execute(f"INSERT INTO {stage} BY NAME SELECT * FROM _tierwise_excel")
        finally:
            con.unregister("_tierwise_excel")
        batch.clear()

    try:
        for row in excel.sheet_rows(path, max_columns=limits.max_columns, max_cells=limits.max_excel_cells,
                                    max_field_chars=limits.max_field_chars):
            if len(head) < HEADER_SAMPLE_ROWS:
                head.append(row)
            batch.append(row)
            batch_values += len(row) - row.count(None)  # the values present: a row is padded only up to its last one
            rows += 1
            if len(batch) >= EXCEL_BATCH_ROWS or batch_values >= EXCEL_BATCH_CELLS:
                flush()
                batch_values = 0
        flush()
        if not rows:
            raise TierwiseError(f"The first sheet of '{path.name}' is empty: there is nothing to load.")
        padded = [[v or "" for v in (r + [None] * width)[:width]] for r in head]
        header = looks_like_header(padded[0], padded[1:])
        names = _header_names(padded[0], width) if header else [f"column {i}" for i in range(1, width + 1)]
        columns = ", ".join(f"c{i}" for i in range(1, width + 1))
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT {columns} FROM {stage} "
                    f"WHERE _r >= {1 if header else 0} ORDER BY _r")
    finally:
        con.execute(f"DROP TABLE IF EXISTS {stage}")
    return RawTable(table, str(path), "excel", None, None, header, names)
