"""An order export that writes all of an order's items into one column becomes a file of item lines.

Some platforms export one row per order and pack its items into a single field, one record per item, each a list
of name:value pairs ("Product ID: 112, Product Qty: 2, Product Name: House Blend, Product Unit Price: 19.50,
Product Total Price: 39.00|Product ID: 206, …"). Products, units and a product's revenue live only there. Before
the columns are mapped, such a column is found by its values and every order row is repeated once per item, with a
column per item field appended ("Product Name", "Product Qty", "Product Total Price"); the packed column itself is
emptied. The mapping then reads an ordinary line-item file: the item's total is the line's amount, and the order's
own money (its total, shipping, tax), now written on each of its lines, is read as the order-level numbers it is.

What makes a column item lists, judged on a sample of its non-blank values: most of them are records of name:value
pairs separated by '|' (or ';', or a line break); the names found in nearly every record (the item's fields) are
the anchors a record is cut at, so a value holding commas or pairs of its own ('Variation: Size: 1kg, Grind: Whole
Bean', 'Filters 02, 100 Pack') stays whole; and among the fields one names the item (name, product, item, title,
SKU) and one counts or prices it (qty, quantity, price, total, amount). 'Colour: Sand, Size: 14 oz' (a variation
list) names no item and is left to the attribute split.
"""

from __future__ import annotations

import re
from collections import Counter

import duckdb

from tools.attributes import colon_columns
from tools.reading import RawTable

SAMPLE_ROWS = 5_000
LIST_SHARE = 0.8        # of the sampled non-blank values that must read as item records
FIELD_SHARE = 0.9       # a name is an item field when this share of the records hold it
MAX_FIELDS = 16
SEPARATORS = ("|", ";", "\n")
ITEM_WORDS = frozenset({"name", "product", "item", "title", "sku", "description"})
MEASURE_WORDS = frozenset({"qty", "quantity", "price", "total", "amount", "subtotal", "cost"})
ITEM_FIELDS = ("product", "quantity", "unit_price", "amount")  # the line's fields an item's own fields give
_NAME = re.compile(r"(?:^|,\s*)([^\W\d_][^:,;|\n]{0,39}?)\s*:")


def _fields(records: list[str]) -> list[str]:
    """The names nearly every record holds, in the order the first full record writes them."""
    counts = Counter(name for r in records for name in {m.group(1).strip() for m in _NAME.finditer(r)})
    common = {n for n, c in counts.items() if c >= FIELD_SHARE * len(records)}
    first = next((r for r in records if all(n in r for n in common)), "")
    ordered = sorted(common, key=lambda n: first.find(n + ":") if n + ":" in first else len(first))
    return ordered[:MAX_FIELDS]


def _is_item_list(fields: list[str]) -> bool:
    words = {w for f in fields for w in re.findall(r"[a-z]+", f.lower())}
    return len(fields) >= 2 and bool(words & ITEM_WORDS) and bool(words & MEASURE_WORDS)


def find_item_column(con: duckdb.DuckDBPyConnection, raw: RawTable) -> tuple[int, str, list[str]] | None:
    """(column index, record separator, item fields) of the column holding item lists, or None."""
    for i, values in colon_columns(con, raw, list(range(len(raw.names))), share=LIST_SHARE, rows=SAMPLE_ROWS):
        for sep in SEPARATORS:
            records = [r.strip() for v in values for r in v.split(sep) if r.strip()]
            if not records:
                continue
            fields = _fields(records)
            if not _is_item_list(fields):
                continue
            # every record starts with the first field: the separator cuts items, not values inside them
            starts = sum(r.startswith(fields[0] + ":") for r in records)
            if starts >= LIST_SHARE * len(records):
                return i, sep, fields
    return None


def explode_item_lists(con: duckdb.DuckDBPyConnection, raw: RawTable) -> tuple[str, list[str]] | None:
    """Repeat each row once per item of its item-list column, a column per item field appended and the packed
    column emptied (the raw table is replaced by the new one); returns (column label, [new labels]) or None."""
    found = find_item_column(con, raw)
    if found is None:
        return None
    i, sep, fields = found
    taken = {n.strip().lower() for n in raw.names}
    labels = [f if f.lower() not in taken else f"{raw.names[i]} {f}" for f in fields]
    anchors = "|".join(re.escape(f) for f in fields)
    extract = []
    for f in fields:
        # the field's value runs to the next item field's name (or the record's end): commas inside stay
        pattern = rf"(?:^|,\s*){re.escape(f)}\s*:\s*(.*?)\s*(?:,\s*(?:{anchors})\s*:|$)"
        extract.append("nullif(trim(regexp_extract(item, '" + pattern.replace("'", "''") + "', 1)), '')")
    first = len(raw.names)
    keep = ", ".join(f"{c}" if k != i else f"NULL::VARCHAR AS {c}" for k, c in enumerate(raw.columns))
    new = ", ".join(f"{e} AS c{first + k + 1}" for k, e in enumerate(extract))
    text = f"CAST({raw.columns[i]} AS VARCHAR)"
    table = f"{raw.table}_items"
    separator = sep.replace("'", "''")
    # an order without items keeps its one row (a blank item); the file's row order is kept
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {table} AS
        WITH rows AS (SELECT *, row_number() OVER () AS _row FROM {raw.table}),
        items AS (SELECT *, trim(unnest(string_split(coalesce({text}, ''), '{separator}'))) AS item FROM rows)
        SELECT {keep}, {new} FROM items
        WHERE item <> '' OR trim(coalesce({text}, '')) = ''
        ORDER BY _row""")
    raw.table = table
    raw.names = [*raw.names, *labels]
    return raw.names[i], labels
