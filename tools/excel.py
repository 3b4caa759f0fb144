"""Read the first sheet of an .xlsx workbook as rows of text, within stated bounds.

An .xlsx is a ZIP of XML, and a few kilobytes of it can describe a sheet far bigger than the
machine: one value in column XFD per row makes a padded reader allocate 16,384 cells a row,
and a deflate bomb unpacks a thousand times its size. So the archive is measured before
anything is parsed, and the sheet is streamed with only the cells actually present: a value
beyond the column limit, or more rows × columns than the cell limit, stops the read with a
sentence naming the cell and the limit.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

from openpyxl.utils import get_column_letter

from tools.errors import TierwiseError

LARGE_PART_BYTES = 1024 * 1024   # parts smaller than this are never ZIP bombs worth a check


def check_archive(path: Path, *, max_unzipped_bytes: int, max_ratio: float, max_parts: int) -> None:
    """Refuse a workbook whose ZIP directory promises more than the limits allow, before opening it."""
    name = path.name
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise TierwiseError(f"Could not open '{name}' as an Excel workbook: {exc}") from None
    if len(parts) > max_parts:
        raise TierwiseError(f"'{name}' holds {len(parts):,} parts; an Excel workbook has a few dozen (Tierwise "
                            f"opens up to {max_parts:,}). It is not a workbook Tierwise will read.")
    total = sum(p.file_size for p in parts)
    if total > max_unzipped_bytes:
        raise TierwiseError(f"'{name}' unpacks to {_size(total)} of spreadsheet XML; Tierwise reads workbooks up to "
                            f"{_size(max_unzipped_bytes)} unpacked. Save the sheet as CSV (no such limit) and load that.")
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > LARGE_PART_BYTES and ratio > max_ratio:
            raise TierwiseError(f"'{name}' looks like a ZIP bomb: its part {part.filename} unpacks {ratio:,.0f} times "
                                f"larger than it is stored (real workbooks stay under {max_ratio:,.0f} times). "
                                "Tierwise won't open it.")


def sheet_rows(path: Path, *, max_columns: int, max_cells: int,
               max_field_chars: int | None = None) -> Iterator[list[str | None]]:
    """The first sheet's non-empty rows as text, each as long as its last value (no padding).

    Raises TierwiseError at the first value beyond `max_columns` or longer than
    `max_field_chars`, or once rows × the widest row exceeds `max_cells`, so a hostile sheet
    costs no more than the limits.
    """
    # openpyxl's read-only worksheet pads every row to the sheet's width and, for a sheet with no
    # declared size, parses the whole sheet once just to measure it. Its reader's own steps and
    # sheet parser yield only the cells present, which is what keeps this bounded.
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet
    from openpyxl.worksheet._reader import WorkSheetParser

    name = path.name
    try:
        reader = ExcelReader(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise TierwiseError(f"Could not open '{name}' as an Excel workbook: {exc}") from exc
    try:
        try:
            reader.read_manifest()
            reader.read_strings()
            reader.read_workbook()
            apply_stylesheet(reader.archive, reader.wb)
            target = next((rel.target for _, rel in reader.parser.find_sheets()
                           if rel.target in reader.valid_files and "chartsheet" not in rel.Type), None)
        except Exception as exc:
            raise TierwiseError(f"Could not open '{name}' as an Excel workbook: {exc}") from exc
        if target is None:
            raise TierwiseError(f"'{name}' has no worksheet: there is nothing to load.")
        wb = reader.wb
        rows, width = 0, 0
        with reader.archive.open(target) as src:
            parser = WorkSheetParser(src, reader.shared_strings, data_only=True, epoch=wb.epoch,
                                     date_formats=wb._date_formats, timedelta_formats=wb._timedelta_formats)
            try:
                for _, cells in parser.parse():
                    row: list[str | None] = []
                    for cell in cells:
                        text = _text(cell["value"])
                        if text in (None, ""):
                            continue
                        column = cell["column"]
                        if max_field_chars is not None and len(text) > max_field_chars:
                            raise TierwiseError(
                                f"Cell {get_column_letter(min(column, 18278))}{cell['row']} of '{name}' holds "
                                f"{len(text):,} characters; Tierwise reads values up to {max_field_chars:,} characters. "
                                "A table of orders or customers has short values: check this is the right sheet.")
                        if column > max_columns:
                            raise TierwiseError(
                                f"'{name}' has a value in cell {get_column_letter(min(column, 18278))}{cell['row']} "
                                f"(column {column:,}); Tierwise reads sheets of up to {max_columns:,} columns. Delete "
                                "the stray cells far to the right, or save the table as CSV, and load it again.")
                        if column > len(row):
                            row.extend([None] * (column - len(row)))
                        row[column - 1] = text
                    if not row:
                        continue
                    rows, width = rows + 1, max(width, len(row))
                    if rows * width > max_cells:
                        raise TierwiseError(
                            f"The first sheet of '{name}' holds more than {max_cells:,} cells ({rows:,} rows by "
                            f"{width:,} columns so far); Tierwise reads Excel sheets up to that size. Save it as CSV "
                            "(no such limit) and load that.")
                    yield row
            except TierwiseError:
                raise
            except Exception as exc:  # a malformed sheet: bad cell references, broken XML
                raise TierwiseError(f"Could not read the first sheet of '{name}': {exc}") from exc
    finally:
        reader.archive.close()


def _text(value) -> str | None:
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _size(n: int) -> str:
    return f"{n / 1024 ** 3:,.1f} GB" if n >= 1024 ** 3 else f"{n / 1024 ** 2:,.0f} MB"
