"""Keep every column the contract does not map, as a typed attribute at customer or order grain.

An attribute's type (categorical, numeric, boolean, date) comes from a bounded, evenly spaced
sample of its values; its grain from one grouped query over all the attributes of a file
(constant per customer → customer, otherwise order). The values are stored by the same SQL that
builds the clean tables: order attributes as extra columns of `orders` and `cancelled_orders`,
customer attributes as extra columns of `customers`. Categorical spellings that differ only by
case, spacing or punctuation are merged into the most frequent one, and the report says so.

Everything is set-based in DuckDB; the Python loops run over columns, never over rows.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Iterator, Literal

import duckdb

from tools.cleaning import (
    FALSE_TOKENS, MIN_YEAR, TRUE_TOKENS, _customer_id, _date, _number, _params, _text,
    date_formats, study_columns,
)
from tools.contract import CUSTOMERS_SCHEMA, ORDERS_SCHEMA
from tools.mapping import SYNONYMS, header_words, normalise
from tools.reading import RawTable

AttributeType = Literal["categorical", "numeric", "boolean", "date"]
STORED_TYPES = {"categorical": "VARCHAR", "numeric": "DOUBLE", "boolean": "BOOLEAN", "date": "DATE"}

TYPE_SAMPLE_ROWS = 50_000        # rows whose values decide an attribute's type
TYPE_SHARE = 0.95                # share of values that must read as numbers (or dates)
GRAIN_MIN_CUSTOMERS = 20         # customers with 2+ values needed to call a column per-customer
GRAIN_CONSTANT_SHARE = 0.98      # share of those whose values are all one
GRAIN_SAMPLE_ROWS = 2_000_000    # beyond this many rows, the grain check reads a hashed subset of customers
PREVIEW_SAMPLE_ROWS = 20_000     # rows the upload preview looks at
MAX_VALUES = 8                   # most frequent values listed per attribute
MAX_MERGES_REPORTED = 50         # merged groups listed per attribute
MAP_MERGES = 200                 # up to this many merged spellings are looked up in a map; more, by a join
AGE_BANDS = (18, 25, 35, 45, 55, 65)
BIN_QUANTILES = (1 / 6, 2 / 6, 3 / 6, 4 / 6, 5 / 6)

# Column names a person reads as a code or label even when every value is digits.
CODE_WORDS = frozenset({
    "zip", "zipcode", "postal", "postcode", "postalcode", "plz", "code", "sku", "id", "ids", "uuid",
    "guid", "phone", "tel", "telephone", "mobile", "fax", "ean", "upc", "isbn", "gtin", "barcode",
    "no", "nr", "iban",
})
CODE_FRAGMENTS = ("邮编", "邮政编码", "编号", "编码", "代码", "电话", "手机", "号码", "条码", "单号",
                  "卡号", "账号", "工号", "证号", "识别码")
AGE_WORDS = frozenset({"age"})
AGE_FRAGMENTS = ("年龄", "岁数")

# Names an attribute may not take: the contract's fields and the names the semantic layer and the
# customer view already give a meaning (dimensions, time grains, customer measures).
RESERVED_NAMES = frozenset(ORDERS_SCHEMA) | frozenset(CUSTOMERS_SCHEMA) | frozenset({
    "tier", "segment", "persona", "churn_risk", "cohort", "day", "week", "month", "quarter", "year",
    "orders", "order_lines", "revenue", "units", "customers", "total_spend", "aov", "recency_days",
    "tenure_days", "first_order_date", "last_order_date", "days_since_last_order", "clv_12m",
    "churn_probability", "p_alive", "top_channel", "top_category",
})

# The contract's categorical columns whose spellings are merged like a categorical attribute's.
MERGED_FIELDS = ("product", "category", "channel", "status", "country", "city", "gender")

# Customer fields of the contract a transactions-file column may fill (when it is constant per
# customer, of the right type, and the customers file does not give the field): its type here.
FILLABLE_FIELDS = {"country": "categorical", "city": "categorical", "gender": "categorical",
                   "age": "numeric", "signup_date": "date", "email_consent": "boolean"}

_MERGE_KEY = "lower(regexp_replace({x}, '[^\\p{{L}}\\p{{N}}]+', '', 'g'))"


@dataclass
class Attribute:
    position: int                      # 0-based column of its file
    label: str                         # the column's header (or "column N")
    source_file: str                   # transactions | customers
    slot: int                          # its working column `_x{slot}` in the typed table
    type: str = "categorical"
    grain: str = "order"
    name: str = ""
    fills: str | None = None           # the contract field this column fills, if any
    decimal_comma: bool = False
    decimal_votes: tuple[int, int] = (0, 0)   # values with a decimal comma, with a decimal point
    date_formats: list[str] = field(default_factory=list)
    merge_pairs: list[tuple[str, str]] = field(default_factory=list)  # (spelling, merged into)
    merge_join: bool = False           # too many spellings for a map: join the merge table
    merged: list[dict] = field(default_factory=list)

    @property
    def work(self) -> str:
        return f"_x{self.slot}"

    @property
    def key(self) -> str:
        return f"{self.source_file[0]}{self.slot}"

    @property
    def merge_table(self) -> str:
        return f"_attr_merge_{self.key}"

    @property
    def table(self) -> str:
        return "orders" if self.grain == "order" else "customers"


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def snake_name(label: str) -> str:
    """Lower case, runs of anything but letters and digits as one `_`; non-ASCII letters are kept."""
    return re.sub(r"[\W_]+", "_", str(label).strip().lower()).strip("_")


_words = header_words


def is_code_name(label: str) -> bool:
    """True when the header names a code (zip, SKU, id, phone, 邮编, 编号 …)."""
    return (bool(CODE_WORDS.intersection(_words(label)))
            or any(f in str(label) for f in CODE_FRAGMENTS) or str(label).strip().endswith("号"))


def is_age_name(label: str) -> bool:
    return bool(AGE_WORDS.intersection(_words(label))) or any(f in str(label) for f in AGE_FRAGMENTS)


# Headers naming a person's contact or identity data: never kept as attributes (they would reach tables,
# charts and the LLM's list of values); the load report names them.
PERSONAL_WORDS = frozenset({"email", "e-mail", "mail", "emailaddress", "phone", "tel", "telephone", "mobile",
                            "cell", "fax", "address", "street", "firstname", "lastname", "fullname", "surname",
                            "forename", "ssn", "passport", "iban", "password"})
PERSON_QUALIFIERS = frozenset({"first", "last", "full", "billing", "shipping", "customer", "client", "contact",
                               "buyer", "recipient", "sur", "given", "family", "user", "member", "account",
                               "ship", "to", "bill", "sold", "deliver", "delivery", "receiver", "payer", "owner",
                               "holder", "card", "person", "contact", "guest", "patient", "employee"})
PERSONAL_FRAGMENTS = ("邮箱", "电子邮件", "电话", "手机", "地址", "姓名", "收货人", "联系人", "身份证", "名字")
# fragments that only say whose a value is (the recipient's …): with a place word after them the column is a place
PERSON_ONLY_FRAGMENTS = frozenset({"收货人", "联系人"})
PLACE_FRAGMENTS = ("省", "城市", "市", "区县", "地区", "国家")


def is_personal_name(label: str) -> bool:
    """True when a header names personal data (Email, Phone, Billing Name, Shipping Address1, 收货人 …)."""
    words = _words(label)
    text = str(label)
    if set(words) & PERSONAL_WORDS or any(w.startswith(("address", "email", "phone")) for w in words):
        return True
    if [w for w in words if w not in PERSON_QUALIFIERS] == ["name"]:  # Name, Billing Name, Customer Name
        return True
    hits = [f for f in PERSONAL_FRAGMENTS if f in text]
    if hits and set(hits) <= PERSON_ONLY_FRAGMENTS and any(f in text for f in PLACE_FRAGMENTS):
        return False  # 收货人省份, 收货人城市: the recipient's province or city is a place, not the person
    return bool(hits)


def personal_columns(names: list[str], mapped: set[int] | list[int]) -> list[int]:
    """Positions of the unmapped columns that hold personal data by their header."""
    return [i for i in range(len(names)) if i not in set(mapped) and is_personal_name(names[i])]


# A column of "name:value" lists ("Colour:Sea Glass,Size:14 oz", Etsy's Variations, a variant's options): each
# name becomes an attribute of its own. Judged on the first PAIR_SAMPLE_ROWS non-empty values: at least
# PAIR_SHARE of them are such lists, and a name is kept when it is in PAIR_NAME_SHARE of them (at most PAIR_MAX_NAMES).
PAIR_SAMPLE_ROWS = 20_000
PAIR_SHARE = 0.8
PAIR_NAME_SHARE = 0.05
PAIR_MAX_NAMES = 8
_PAIR = r"[^\W\d_][^:,;|]{0,29}:[^,;|]+"
_PAIRS = re.compile(rf"\s*{_PAIR}(\s*[,;|]\s*{_PAIR})*\s*")
_PAIR_NAME = re.compile(r"(?:^|[,;|])\s*([^\W\d_][^:,;|]{0,29}?)\s*:", re.UNICODE)


def _pair_names(values: list[str]) -> list[list[str]] | None:
    """The names of a column's name:value pairs, spellings a letter apart merged (Color / Colour), the most frequent
    first; None when the values are not name:value lists."""
    lists = [v for v in values if _PAIRS.fullmatch(v) and "://" not in v]
    if not values or len(lists) < PAIR_SHARE * len(values):
        return None
    counts: dict[str, int] = {}
    for v in lists:
        for name in {m.group(1).strip().lower() for m in _PAIR_NAME.finditer(v)}:
            counts[name] = counts.get(name, 0) + 1
    groups: list[list[str]] = []
    for name in sorted(counts, key=lambda n: (-counts[n], n)):
        home = next((g for g in groups if _one_letter_apart(g[0], name)), None)
        home.append(name) if home else groups.append([name])
    kept = [g for g in groups if sum(counts[n] for n in g) >= PAIR_NAME_SHARE * len(lists)]
    # one name only ("Gift: wrap it", "Size: Large") is a value with a colon in it, already a column of its own
    return kept[:PAIR_MAX_NAMES] if len(kept) >= 2 else None


def _one_letter_apart(a: str, b: str) -> bool:
    if min(len(a), len(b)) < 4 or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) == 1
    short, long_ = sorted((a, b), key=len)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def colon_columns(con: duckdb.DuckDBPyConnection, raw: RawTable, columns: list[int], *, share: float,
                  rows: int) -> Iterator[tuple[int, list[str]]]:
    """(column, its non-blank values among the first `rows`) for each of `columns` whose sampled non-blank values
    hold a colon at least `share` of the time: the only columns that can hold name:value lists. One pass over the
    sample first, so only those columns are read into Python."""
    texts = {i: f"trim(CAST({raw.columns[i]} AS VARCHAR))" for i in columns}
    if not texts:
        return
    shares = con.execute("SELECT " + ", ".join(
        f"count(*) FILTER (WHERE contains({t}, ':')) >= {share} * count(*) FILTER (WHERE {t} <> '')"
        f" AND count(*) FILTER (WHERE {t} <> '') > 0" for t in texts.values())
        + f" FROM (SELECT * FROM {raw.table} LIMIT {rows})").fetchall()[0]
    for i in [i for i, maybe in zip(texts, shares) if maybe]:
        yield i, [r[0] for r in con.execute(
            f"SELECT {texts[i]} FROM (SELECT {raw.columns[i]} FROM {raw.table} LIMIT {rows}) "
            f"WHERE {texts[i]} <> ''").fetchall()]


def split_pair_columns(con: duckdb.DuckDBPyConnection, raw: RawTable, mapped: set[int]) -> list[tuple[str, list[str]]]:
    """Columns of name:value lists get one new column per name (labelled by the name as first written), appended to
    the raw table (replaced by a copy, in the file's order); returns [(column label, [new labels])] for the report."""
    free = [i for i in range(len(raw.names)) if i not in mapped]
    if not free:
        return []
    found: list[tuple[int, list[list[str]]]] = []
    for i, values in colon_columns(con, raw, free, share=PAIR_SHARE, rows=PAIR_SAMPLE_ROWS):
        groups = _pair_names(values)
        if groups:
            found.append((i, groups))
    if not found:
        return []
    taken = {normalise(n) for n in raw.names}
    extra, report, labels = [], [], []
    for i, groups in found:
        new = []
        for group in groups:
            label = group[0].title() if group[0].islower() else group[0]
            if normalise(label) in taken:
                label = f"{raw.names[i]} {label}"
            taken.add(normalise(label))
            names = "|".join(re.escape(n) for n in group)
            pattern = rf"(?i)(?:^|[,;|])\s*(?:{names})\s*:\s*([^,;|]+)"
            extra.append(f"nullif(trim(regexp_extract(CAST({raw.columns[i]} AS VARCHAR), "
                         f"'{pattern.replace(chr(39), chr(39) * 2)}', 1)), '')")
            labels.append(label)
            new.append(label)
        report.append((raw.names[i], new))
    first = len(raw.names)
    cols = ", ".join(f"{e} AS c{first + k + 1}" for k, e in enumerate(extra))
    table = f"{raw.table}_split"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT *, {cols} FROM {raw.table}")
    raw.table = table
    raw.names = [*raw.names, *labels]
    return report


def plan(names: list[str], mapped: set[int] | list[int], source_file: str) -> list[Attribute]:
    """One attribute per column not mapped to a contract field and not personal data, in file order."""
    skip = set(mapped) | set(personal_columns(names, mapped))
    free = [i for i in range(len(names)) if i not in skip]
    return [Attribute(position=i, label=str(names[i]), source_file=source_file, slot=j)
            for j, i in enumerate(free)]


class Names:
    """Hands out stored column names, unique within a load and clear of the reserved ones."""

    def __init__(self) -> None:
        self.taken: set[str] = set(RESERVED_NAMES)
        self.filled: set[str] = set()

    def claim(self, a: Attribute) -> None:
        base = snake_name(a.label) or f"column_{a.position + 1}"
        if base in RESERVED_NAMES:
            base += "_attr"
        name, k = base, 2
        while name in self.taken:
            name, k = f"{base}_{k}", k + 1
        self.taken.add(name)
        a.name = name

    def claim_all(self, attrs: list[Attribute]) -> None:
        for a in attrs:
            self.claim(a)


# --- detection ---------------------------------------------------------------------------

def detect(con: duckdb.DuckDBPyConnection, table: str, attrs: list[Attribute], *, grain: bool,
           where: str = "_reason IS NULL") -> tuple[list[Attribute], list[Attribute]]:
    """Type every attribute and, for a transactions file, find its grain; returns (kept, empty).

    `table` holds `customer_id` and the attributes' clean text `_x{slot}`; `where` picks its
    valid rows. A column with no value at all is not kept."""
    if not attrs:
        return [], []
    total = con.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchall()[0][0]
    step = max(1, total // TYPE_SAMPLE_ROWS)
    works = ", ".join(a.work for a in attrs)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _attr_sample AS SELECT {works} FROM {table} "
                f"WHERE {where} AND rowid % {step} = 0 LIMIT {TYPE_SAMPLE_ROWS}")
    counts = _classify(con, "_attr_sample", attrs)
    empty = []
    for a, n in zip(attrs, counts):
        if n:
            continue
        # Nothing in the spread-out sample: read the first values the column has, if any.
        con.execute(f"CREATE OR REPLACE TEMP TABLE _attr_sample AS SELECT {a.work} FROM {table} "
                    f"WHERE {where} AND {a.work} IS NOT NULL LIMIT {TYPE_SAMPLE_ROWS}")
        if not _classify(con, "_attr_sample", [a])[0]:
            empty.append(a)
    kept = [a for a in attrs if a not in empty]
    for a in kept:
        a.grain = "customer" if a.source_file == "customers" else "order"
    if grain and kept:
        _find_grain(con, table, kept, where, total)
    return kept, empty


def _classify(con, sample: str, attrs: list[Attribute]) -> list[int]:
    """Set each attribute's type from the values in `sample`; return the non-missing count of each."""
    study = study_columns(con, sample, None, [a.work for a in attrs])
    for a in attrs:
        a.decimal_comma = study["decimal_comma"][a.work]
        a.decimal_votes = study["decimal_votes"][a.work]
    parts = []
    for i, a in enumerate(attrs):
        x = a.work
        parts.append(f"""count({x}) AS n{i},
            count(*) FILTER (WHERE list_contains($bools, lower({x}))) AS nbool{i},
            count(DISTINCT lower({x})) FILTER (WHERE list_contains($bools, lower({x}))) AS dbool{i},
            count({_number(x, a.decimal_comma)}) AS nnum{i},
            count(*) FILTER (WHERE regexp_matches({x}, '\\d')) AS ndigit{i},
            count(*) FILTER (WHERE regexp_full_match({x}, '0\\d+')) AS lead0_{i},
            count(*) FILTER (WHERE regexp_full_match({x}, '\\d+')) AS ndig{i},
            min(length({x})) FILTER (WHERE regexp_full_match({x}, '\\d+')) AS minlen{i},
            max(length({x})) FILTER (WHERE regexp_full_match({x}, '\\d+')) AS maxlen{i}""")
    cur = con.execute(f"SELECT {', '.join(parts)} FROM {sample}",
                      {"bools": [t.lower() for t in TRUE_TOKENS + FALSE_TOKENS]})
    row = dict(zip([d[0] for d in cur.description], cur.fetchall()[0]))
    counts = []
    for i, a in enumerate(attrs):
        n = row[f"n{i}"]
        counts.append(n)
        a.type = "categorical"
        if not n:
            continue
        if row[f"nbool{i}"] == n and row[f"dbool{i}"] <= 2:
            a.type = "boolean"
        elif row[f"nnum{i}"] >= TYPE_SHARE * n:
            digits = row[f"ndig{i}"] >= TYPE_SHARE * n
            fixed = digits and row[f"minlen{i}"] == row[f"maxlen{i}"] and row[f"minlen{i}"] >= 5
            code = (is_code_name(a.label) or row[f"lead0_{i}"] >= max(1, 0.01 * n) or fixed
                    or (digits and row[f"maxlen{i}"] >= 12))
            if not code:
                a.type = "numeric"
            elif (digits and row[f"minlen{i}"] in (8, 14) and row[f"maxlen{i}"] in (8, 14)
                  and _is_date(con, sample, a, compact=True)):
                a.type = "date"          # 20240105: a compact date, not a code
        # Every date format has a digit: text without one is spared the format search.
        elif row[f"ndigit{i}"] >= TYPE_SHARE * n and _is_date(con, sample, a):
            a.type = "date"
    return counts


DATE_PROBE_ROWS = 1_000   # values tried first: most text columns fail here, cheaply


def _is_date(con, sample: str, a: Attribute, compact: bool = False) -> bool:
    """Whether TYPE_SHARE of the values of `a` in `sample` read as dates; sets a.date_formats."""
    day_first = study_columns(con, sample, a.work, [])["day_first"]
    a.date_formats = date_formats(con, sample, a.work, day_first)
    if compact:
        expr = f"CAST(try_strptime({a.work}, ['%Y%m%d', '%Y%m%d%H%M%S']) AS DATE)"
        params = None
    else:
        expr = _date(a.work, "fmts")
        params = {"fmts": a.date_formats}
    for limit in (f"LIMIT {DATE_PROBE_ROWS}", ""):
        n, dates = con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE year({expr}) >= {MIN_YEAR}) "
            f"FROM (SELECT {a.work} FROM {sample} WHERE {a.work} IS NOT NULL {limit})",
            params).fetchall()[0]
        if dates < TYPE_SHARE * n:
            return False
    return True


def _find_grain(con, table: str, attrs: list[Attribute], where: str, total: int) -> None:
    """Customer grain when, among the customers with 2+ values, nearly all have one value.

    One grouped query for every attribute; a big table is read for a hashed subset of its
    customers (whole customers, so their lines stay together)."""
    subset = ""
    if total > GRAIN_SAMPLE_ROWS:
        subset = f" AND hash(customer_id) % {math.ceil(total / GRAIN_SAMPLE_ROWS)} = 0"
    keys = ", ".join(f"lower({a.work}) AS k{i}" for i, a in enumerate(attrs))
    per = ", ".join(f"count(k{i}) AS n{i}, min(k{i}) AS lo{i}, max(k{i}) AS hi{i}"
                    for i in range(len(attrs)))
    outer = ", ".join(f"count(*) FILTER (WHERE n{i} >= 2) AS e{i}, "
                      f"count(*) FILTER (WHERE n{i} >= 2 AND lo{i} = hi{i}) AS c{i}"
                      for i in range(len(attrs)))
    cur = con.execute(f"""SELECT {outer} FROM (
        SELECT customer_id, {per} FROM (SELECT customer_id, {keys} FROM {table}
                                        WHERE {where}{subset} AND customer_id IS NOT NULL)
        GROUP BY customer_id)""")
    row = dict(zip([d[0] for d in cur.description], cur.fetchall()[0]))
    # a value on a sale with no customer (a walk-in's 'Order Type: in_person') belongs to no customer: order grain
    walk_ins = con.execute("SELECT " + ", ".join(f"count({a.work})" for a in attrs)
                           + f" FROM {table} WHERE {where} AND customer_id IS NULL").fetchall()[0]
    for i, a in enumerate(attrs):
        several, constant = row[f"e{i}"], row[f"c{i}"]
        a.grain = ("customer" if several >= GRAIN_MIN_CUSTOMERS and constant >= GRAIN_CONSTANT_SHARE * several
                   and not walk_ins[i] else "order")


def find_merges(con, table: str, attrs: list[Attribute], where: str = "_reason IS NULL") -> None:
    """For each categorical attribute: spellings differing only by case, spacing or punctuation
    merge into the most frequent one (ties: the first in sort order)."""
    cats = [a for a in attrs if a.type == "categorical"]
    counts = count_values(con, table, [a.work for a in cats], where)
    for i, a in enumerate(cats):
        a.merged, a.merge_pairs, a.merge_join = spelling_merges(con, counts, i, a.merge_table)


COUNT_BATCH = 30   # columns counted per scan (GROUPING() is a bit mask over them)


def count_values(con, table: str, columns: list[str], where: str = "_reason IS NULL") -> str:
    """Temp table `_attr_values` (col, v, n): each value of each text column of `table` and how
    many rows of `where` carry it; `col` is the column's place in `columns`. One scan per
    COUNT_BATCH columns."""
    con.execute("CREATE OR REPLACE TEMP TABLE _attr_values (col INTEGER, v VARCHAR, n BIGINT)")
    for start in range(0, len(columns), COUNT_BATCH):
        batch = columns[start:start + COUNT_BATCH]
        k = len(batch)
        # GROUPING(...) has a bit per column, the first column's the highest; 0 = grouped by it.
        which = f"grouping({', '.join(batch)})"
        cases = " ".join(f"WHEN {(1 << k) - 1 - (1 << (k - 1 - i))} THEN {start + i}" for i in range(k))
        value = f"coalesce({', '.join(batch)})" if k > 1 else batch[0]
        con.execute(f"""INSERT INTO _attr_values
            SELECT * FROM (SELECT CASE {which} {cases} END AS col, CAST({value} AS VARCHAR) AS v,
                                  count(*) AS n
                           FROM {table} WHERE {where} GROUP BY GROUPING SETS ({", ".join(f"({c})" for c in batch)}))
            WHERE v IS NOT NULL""")
    return "_attr_values"


def spelling_merges(con, counts: str, col: int, merge_table: str
                    ) -> tuple[list[dict], list[tuple[str, str]], bool]:
    """The spellings of column `col` of `counts` (see count_values) that differ only by case,
    spacing or punctuation, each merged into its group's most frequent spelling (ties: the first in
    sort order).

    Writes `merge_table` (v, target, n) and returns (the groups for the report: [{into, from}],
    the (spelling, target) pairs when few enough for a map, whether the table must be joined)."""
    key = _MERGE_KEY.format(x="v")
    # A value of punctuation only (key '') stays alone: it is its own partition.
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {merge_table} AS
        WITH keyed AS (SELECT v, n, {key} AS k FROM {counts} WHERE col = {int(col)}),
        ranked AS (SELECT v, n, first_value(v) OVER (
                       PARTITION BY CASE WHEN k = '' THEN v ELSE k END ORDER BY n DESC, v) AS target
                   FROM keyed)
        SELECT v, target, n FROM ranked WHERE v <> target""")
    n_merged = con.execute(f"SELECT count(*) FROM {merge_table}").fetchall()[0][0]
    if not n_merged:
        return [], [], False
    groups = con.execute(f"""SELECT target, list(v ORDER BY n DESC, v) FROM {merge_table}
        GROUP BY target ORDER BY sum(n) DESC, target LIMIT {MAX_MERGES_REPORTED}""").fetchall()
    merged = [{"into": t, "from": list(f)} for t, f in groups]
    if n_merged <= MAP_MERGES:
        return merged, con.execute(f"SELECT v, target FROM {merge_table} ORDER BY v").fetchall(), False
    return merged, [], True


def merged_sql(x: str, key: str, pairs: list[tuple[str, str]], join: bool, merge_table: str
               ) -> tuple[str, str, dict]:
    """(SQL of text `x` with its merged spellings replaced, a join it needs or "", its parameters)."""
    if join:
        alias = f"m_{key}"
        return (f"coalesce({alias}.target, {x})",
                f" LEFT JOIN {merge_table} {alias} ON {alias}.v = {x}", {})
    if pairs:
        return (f"coalesce(map_extract_value(MAP($mk_{key}, $mv_{key}), {x}), {x})", "",
                {f"mk_{key}": [p[0] for p in pairs], f"mv_{key}": [p[1] for p in pairs]})
    return x, "", {}


@dataclass
class FieldMerges:
    """Merged spellings of the contract's own categorical columns (channel, category, country …)
    in a typed table, applied when the clean table is written."""
    source_file: str
    merged: dict[str, list[dict]] = field(default_factory=dict)       # field -> [{into, from}]
    _sql: dict[str, tuple[list, bool]] = field(default_factory=dict)  # field -> (pairs, join)

    def key(self, fld: str) -> str:
        return f"f{self.source_file[0]}_{fld}"

    def select(self, fields: list[str], ref: str = "t") -> tuple[dict[str, str], str, dict]:
        """({field: SQL of its merged value from `ref`}, joins, parameters) for the fields that merge."""
        exprs, joins, params = {}, "", {}
        for fld in fields:
            if fld not in self._sql:
                continue
            pairs, join = self._sql[fld]
            key = self.key(fld)
            expr, j, p = merged_sql(f"{ref}.{fld}", key, pairs, join, f"_attr_merge_{key}")
            exprs[fld] = expr
            joins += j
            params.update(p)
        return exprs, joins, params


def merge_fields(con, table: str, fields: list[str], source_file: str,
                 where: str = "_reason IS NULL") -> FieldMerges:
    """Find the merged spellings of each of `fields` (text columns of `table` named as the field)."""
    out = FieldMerges(source_file)
    counts = count_values(con, table, list(fields), where)
    for i, fld in enumerate(fields):
        merged, pairs, join = spelling_merges(con, counts, i, f"_attr_merge_{out.key(fld)}")
        if merged:
            out.merged[fld] = merged
            out._sql[fld] = (pairs, join)
    return out


def decide_fills(attrs: list[Attribute], given: set[str], names: Names) -> None:
    """A transactions-file column constant per customer whose header names a customer field of the
    contract (age, gender, city …) fills that field when the customers file does not give it."""
    for a in attrs:
        # "Billing City", "Shipping Country", "Customer Gender": a qualifier before the field's own word
        norms = {normalise(a.label), normalise("".join(w for w in _words(a.label) if w not in PERSON_QUALIFIERS))}
        for fld, typ in FILLABLE_FIELDS.items():
            if (a.grain == "customer" and a.type == typ and fld not in given
                    and fld not in names.filled
                    and norms & {normalise(s) for s in SYNONYMS.get(fld, ())}):
                a.fills = a.name = fld
                names.filled.add(fld)
                break


# --- storing -----------------------------------------------------------------------------

def value_sql(a: Attribute, ref: str = "t") -> tuple[str, str, dict]:
    """(SQL of the typed value from `ref`.`_x{slot}`, a join it needs or "", its parameters)."""
    x = f"{ref}.{a.work}"
    join, params = "", {}
    if a.type == "categorical":
        expr, join, params = merged_sql(x, a.key, a.merge_pairs, a.merge_join, a.merge_table)
    elif a.type == "numeric":
        expr = _number(x, a.decimal_comma)
    elif a.type == "boolean":
        params = {"attr_true": [t.lower() for t in TRUE_TOKENS],
                  "attr_false": [t.lower() for t in FALSE_TOKENS]}
        expr = (f"CASE WHEN list_contains($attr_true, lower({x})) THEN true "
                f"WHEN list_contains($attr_false, lower({x})) THEN false END")
    else:
        d = _date(x, f"dates_{a.key}")
        params = {f"dates_{a.key}": a.date_formats}
        expr = f"CASE WHEN year({d}) >= {MIN_YEAR} THEN {d} END"
    return f"CAST({expr} AS {STORED_TYPES[a.type]})", join, params


def select_sql(attrs: list[Attribute], ref: str = "t", alias=None) -> tuple[str, str, dict, bool]:
    """(", value AS name, …", joins, parameters, whether a join is used) for a SELECT from `ref`.

    `alias(a)` names each output column (default: the attribute's quoted name)."""
    extra, joins, params = "", "", {}
    for a in attrs:
        expr, join, p = value_sql(a, ref)
        extra += f", {expr} AS {alias(a) if alias else quote(a.name)}"
        joins += join
        params.update(p)
    return extra, joins, params, bool(joins)


def add_customer_attributes(con, attrs: list[Attribute]) -> None:
    """Transactions-file customer attributes onto `customers`: each customer's most frequent value
    (ties: the first in sort order), from every valid line, cancelled ones included."""
    if not attrs:
        return
    for a in attrs:
        expr, join, params = value_sql(a, "t")
        con.execute(f"""CREATE OR REPLACE TEMP TABLE _attr_cust_{a.key} AS
            SELECT customer_id, first(v ORDER BY n DESC, v) AS v FROM (
                SELECT customer_id, v, count(*) AS n FROM (
                    SELECT t.customer_id, {expr} AS v FROM _typed_orders t{join}
                    WHERE t._reason IS NULL)
                WHERE v IS NOT NULL GROUP BY customer_id, v)
            GROUP BY customer_id""", params or None)
    columns = [r[0] for r in con.execute("DESCRIBE customers").fetchall()]
    fills = {a.fills: a for a in attrs if a.fills}
    select = []
    for c in columns:
        a = fills.get(c)
        if a is None:
            select.append(f"c.{quote(c)}")
        elif c == "age":
            select.append(f"coalesce(c.age, CAST(CASE WHEN a_{a.key}.v BETWEEN 0 AND 120 "
                          f"THEN round(a_{a.key}.v) END AS INTEGER)) AS age")
        else:
            select.append(f"coalesce(c.{quote(c)}, CAST(a_{a.key}.v AS {CUSTOMERS_SCHEMA[c]})) "
                          f"AS {quote(c)}")
    select += [f"a_{a.key}.v AS {quote(a.name)}" for a in attrs if not a.fills]
    joins = "".join(f" LEFT JOIN _attr_cust_{a.key} a_{a.key} ON a_{a.key}.customer_id = c.customer_id"
                    for a in attrs)
    con.execute(f"""CREATE OR REPLACE TABLE _attr_customers AS SELECT {', '.join(select)}
        FROM (SELECT rowid AS _r, * FROM customers) c{joins} ORDER BY c._r""")
    con.execute("DROP TABLE customers")
    con.execute("ALTER TABLE _attr_customers RENAME TO customers")


# --- describing --------------------------------------------------------------------------

def describe(con, a: Attribute) -> dict:
    """The attribute's entry in the load report and the store's meta, from its stored column."""
    col, table = quote(a.name), a.table
    if table == "orders" and con.execute(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'anonymous_orders' AND column_name = ?",
            [a.name]).fetchall()[0][0]:
        # the walk-ins' values too ('Order Type: in_person' is only on sales with no customer)
        table = f"(SELECT {col} FROM orders UNION ALL SELECT {col} FROM anonymous_orders)"
    missing, distinct = con.execute(
        f"SELECT count(*) - count({col}), count(DISTINCT {col}) FROM {table}").fetchall()[0]
    top = con.execute(f"SELECT {col} FROM {table} WHERE {col} IS NOT NULL GROUP BY 1 "
                      f"ORDER BY count(*) DESC, 1 LIMIT {MAX_VALUES}").fetchall()
    entry = {
        "name": a.name,
        "label": a.label,
        "source_column": a.label,
        "source_file": a.source_file,
        "type": a.type,
        "grain": a.grain,
        "distinct": int(distinct),
        "values": [_show(v) for (v,) in top],
        "missing": int(missing),
        "merged": a.merged,
    }
    if a.type == "numeric":
        entry["bins"] = _bins(con, a)
        if a.grain == "order" and a.table == "orders" and _per_order(con, col):
            entry["per_order"] = True
    return entry


# An order-level number written on every line of its order ("Order Shipping", "Order Sales Tax"): judged on the
# orders of 2+ lines with a value; at least this many, and this share of them with one value on all their lines.
PER_ORDER_MIN_ORDERS = 20
PER_ORDER_CONSTANT_SHARE = 0.99


def _per_order(con, col: str) -> bool:
    """Whether a numeric order attribute is one value per order repeated on its lines (then its sum counts it once
    per order, not once per line). Only files with order ids tell."""
    if not con.execute("SELECT count(order_id) > 0 FROM orders").fetchall()[0][0]:
        return False
    several, constant = con.execute(f"""
        SELECT count(*), count(*) FILTER (WHERE lo = hi) FROM (
            SELECT min({col}) AS lo, max({col}) AS hi FROM orders WHERE order_id IS NOT NULL AND {col} IS NOT NULL
            GROUP BY customer_id, order_id HAVING count(*) >= 2)""").fetchall()[0]
    return several >= PER_ORDER_MIN_ORDERS and constant >= PER_ORDER_CONSTANT_SHARE * several


def _show(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)


def _bins(con, a: Attribute) -> list[float]:
    """Band edges: fixed age bands for an age, else ~5 rounded quantiles inside the value range."""
    if is_age_name(a.label) or a.fills == "age":
        return list(AGE_BANDS)
    col, table = quote(a.name), a.table
    lo, hi, whole, qs = con.execute(
        f"SELECT min({col}), max({col}), bool_and({col} = round({col})), "
        f"quantile_cont({col}, {list(BIN_QUANTILES)}) FROM {table}").fetchall()[0]
    if lo is None:
        return []
    edges = sorted({_round_edge(q, whole) for q in qs})
    return [int(e) if float(e).is_integer() else e for e in edges if lo < e <= hi]


def _round_edge(x: float, whole: bool) -> float:
    """Two significant figures (whole numbers stay whole)."""
    if x == 0:
        return 0
    digits = 1 - int(math.floor(math.log10(abs(x))))
    r = round(x, digits)
    return float(round(r)) if whole else r


# --- the upload preview --------------------------------------------------------------------

def preview(con, raw: RawTable, fields: dict[str, int], kind: str) -> tuple[list[dict], list[str]]:
    """What the load would keep, judged from the file's first rows: ([{name, label, type, grain,
    values}], names of empty columns). Nothing is stored."""
    attrs = plan(raw.names, set(fields.values()), kind)
    if not attrs or "customer_id" not in fields:
        return [], []
    cid = _customer_id(_text(raw.columns[fields["customer_id"]]))
    texts = ", ".join(f"{_text(raw.columns[a.position])} AS {a.work}" for a in attrs)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _attr_preview AS
        SELECT {cid} AS customer_id, {texts} FROM (SELECT * FROM {raw.table} LIMIT {PREVIEW_SAMPLE_ROWS})""",
                _params())
    kept, empty = detect(con, "_attr_preview", attrs, grain=kind == "transactions",
                         where="customer_id IS NOT NULL")
    names = Names()
    names.claim_all(kept)
    out = []
    for a in kept:
        top = con.execute(f"SELECT {a.work} FROM _attr_preview WHERE {a.work} IS NOT NULL "
                          f"GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 3").fetchall()
        out.append({"name": a.name, "label": a.label, "type": a.type, "grain": a.grain,
                    "values": [v for (v,) in top]})
    drop_work(con)
    return out, [a.label for a in empty]


def drop_work(con) -> None:
    """Drop the attribute work tables (temporary, and the staging copy of customers)."""
    for name, temporary in con.execute(
            "SELECT table_name, temporary FROM duckdb_tables() WHERE table_name LIKE '\\_attr\\_%' ESCAPE '\\'"
    ).fetchall():
        con.execute(f"DROP TABLE IF EXISTS {'temp.' if temporary else ''}{quote(name)}")
