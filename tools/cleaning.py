"""Type and validate raw text columns in DuckDB, set-based: dates, money, ids, reject reasons."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import duckdb

from tools.contract import CANCELLED_KEYWORDS, COMPLETED_STATUSES, CUSTOMERS_SCHEMA, ORDERS_SCHEMA, PARTIAL_KEYWORDS
from tools.reading import RawTable

MAX_AMOUNT = 1_000_000.0     # one order above this is "absurd amount"
MIN_YEAR = 1900              # dates before this are typos, not history
MISSING_TOKENS = ("", "na", "n/a", "#n/a", "null", "none", "nan", "nat", "-", "--", "nil",
                  "无", "空", "缺失")
TRUE_TOKENS = ("true", "t", "yes", "y", "1", "1.0", "on", "opt-in", "optin", "subscribed",
               "是", "同意", "已订阅", "真")
FALSE_TOKENS = ("false", "f", "no", "n", "0", "0.0", "off", "opt-out", "optout", "unsubscribed",
                "否", "不同意", "未订阅", "假")

# Formats whose day/month order is not in doubt.
_DATE_FORMATS_FIXED = (
    "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%dT%H:%M:%S.%fZ", "%Y%m%d", "%Y/%m/%d", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
    "%Y.%m.%d", "%Y.%m.%d %H:%M:%S", "%Y.%m.%d %H:%M", "%Y年%m月%d日", "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M", "%Y年%m月%d日%H:%M:%S", "%Y年%m月%d日%H时%M分%S秒", "%Y年%m月%d号",
    "%d-%b-%Y", "%d %b %Y", "%b %d, %Y", "%B %d, %Y", "%d %B %Y", "%d-%b-%y",
    "%Y%m%d%H%M%S", "%Y%m%d %H:%M:%S",
)


def _day_month(first: str, second: str) -> tuple[str, ...]:
    out = []
    for sep in ("/", "-", "."):
        for year in ("%y", "%Y"):  # two-digit years first, or '24' would parse as year 24
            base = f"{first}{sep}{second}{sep}{year}"
            out += [base, f"{base} %H:%M:%S", f"{base} %H:%M"]
    return tuple(out)


DATE_FORMATS_DMY = _day_month("%d", "%m")
DATE_FORMATS_MDY = _day_month("%m", "%d")
DATE_FORMATS_ANY = _DATE_FORMATS_FIXED + DATE_FORMATS_MDY + DATE_FORMATS_DMY


def _text(col: str) -> str:
    """A trimmed raw column with the usual spellings of 'nothing' turned into NULL."""
    # Plain trim is several times faster than trim with a character set, so the rarer
    # tabs and no-break spaces are only handled on rows that still start or end with one.
    t = f"trim({col})"
    t = (f"CASE WHEN regexp_matches({t}, '^[\\s\\x{{a0}}\\x{{3000}}\\x{{feff}}]|[\\s\\x{{a0}}\\x{{3000}}]$') "
         f"THEN trim({t}, $ws) ELSE {t} END")
    # Every missing token is short: the length test spares the lookup on most rows. The list
    # is our own constant, so it is written into the SQL where the engine can fold it.
    tokens = ", ".join("'" + m.replace("'", "''") + "'" for m in MISSING_TOKENS)
    return f"CASE WHEN length({t}) <= 4 AND lower({t}) IN ({tokens}) THEN NULL ELSE {t} END"


def _date(text: str, param: str = "dates") -> str:
    """SQL: DATE from clean text using the formats in parameter `param`, then ISO casts, then Excel serials.

    coalesce evaluates each fallback only for the rows still NULL, so the common case costs
    one strptime per row."""
    return f"""coalesce(
        CAST(try_strptime({text}, ${param}) AS DATE),
        try_cast({text} AS DATE),
        CAST(try_cast({text} AS TIMESTAMP) AS DATE),
        CASE WHEN regexp_full_match({text}, '\\d{{5}}(\\.\\d+)?')
              AND try_cast({text} AS DOUBLE) BETWEEN 20000 AND 80000
             THEN DATE '1899-12-30' + CAST(floor(try_cast({text} AS DOUBLE)) AS INTEGER) END)"""


CURRENCY_CODES = ("usd", "eur", "gbp", "cny", "rmb", "jpy", "aud", "cad", "chf", "hkd", "sek", "nok",
                  "dkk", "pln", "czk", "huf", "inr", "brl", "mxn", "krw", "sgd", "nzd", "zar", "twd",
                  "thb", "rub")
CURRENCY_SIGNS = "$€£¥￥₩₹₽₺₴₫₱฿"


def _number_core(text: str) -> str:
    """SQL: number text without currency signs, codes, spaces and apostrophes (still text).

    '1.234,50 €', '€ 84,80', '84,80 EUR', "CHF 1'234.50" and '-CA$1.50' become '1.234,50', '84,80', '84,80',
    '1234.50' and '-1.50': what is left is digits, separators, a sign or parentheses."""
    codes = "|".join(CURRENCY_CODES + ("人民币", "元", "円"))
    # a dollar sign may carry its country's letters: CA$, C$, US$, A$, NZ$, HK$, S$, R$, MX$, NT$
    core = (f"regexp_replace({text}, '(?i)([a-z]{{1,2}}\\$|{codes})|[{CURRENCY_SIGNS}\\s\\x27\\x{{00a0}}\\x{{3000}}]', '', 'g')")
    return f"replace({core}, '−', '-')"


# On a number core: the last separator followed by one or two digits is a decimal separator
# ('84,80', '1.234,5', '(3,50)', '3,50-'); a comma before three digits is a thousands separator.
DECIMAL_COMMA_SHAPE = ",\\d{1,2}\\)?-?$"
DECIMAL_POINT_SHAPE = "\\.\\d{1,2}\\)?-?$"
THOUSANDS_COMMA_SHAPE = "\\d,\\d{3}(\\.|\\)?-?$)"


def _number_from_core(core: str, decimal_comma: bool) -> str:
    """SQL: DOUBLE from a number core (thousands, decimal comma, (negatives)); NULL if not a number.

    The file's decision (`decimal_comma`) reads every value whose shape does not say otherwise;
    a value that ends in the other separator and one or two digits ('84.80' or '1,234.50' in a
    decimal-comma column, '1.234,50' in a decimal-point one) can only be read one way and is read
    that way; the load report warns when a column mixes the two."""
    shaped = (f"regexp_full_match({core}, "
              f"'[-+]?\\(?[-+]?\\d[\\d.,]*\\)?-?|[-+]?\\(?[-+]?[.,]\\d+\\)?')")
    raw_digits = f"regexp_replace({core}, '[^0-9.,]', '', 'g')"
    comma_read = f"replace(replace({raw_digits}, '.', ''), ',', '.')"
    point_read = f"replace({raw_digits}, ',', '')"
    if decimal_comma:
        digits = f"(CASE WHEN regexp_matches({core}, '{DECIMAL_POINT_SHAPE}') THEN {point_read} ELSE {comma_read} END)"
    else:
        digits = f"(CASE WHEN regexp_matches({core}, '{DECIMAL_COMMA_SHAPE}') THEN {comma_read} ELSE {point_read} END)"
    negative = f"(regexp_matches({core}, '^[-(]|[-)]$') AND NOT regexp_matches({core}, '^\\+'))"
    value = f"try_cast({digits} AS DOUBLE)"
    return f"(CASE WHEN {shaped} THEN CASE WHEN {negative} THEN -{value} ELSE {value} END END)"


def _number(text: str, decimal_comma: bool) -> str:
    """SQL: DOUBLE from money-ish text; plain numbers take the fast path."""
    slow = _number_from_core(_number_core(text), decimal_comma)
    if decimal_comma:
        return slow
    return f"coalesce(try_cast({text} AS DOUBLE), {slow})"


def decimal_warning(label: str, votes: tuple[int, int], decimal_comma: bool) -> str | None:
    """A sentence for the load report when a number column's decimal separator was mixed in the
    rows studied (some values with a decimal comma, some with a decimal point); None otherwise."""
    comma, point = votes
    if not comma or not point:
        return None
    chosen, other = ("a decimal comma", "a decimal point") if decimal_comma else ("a decimal point", "a decimal comma")
    minority = point if decimal_comma else comma
    close = " (a close call)" if minority * 3 >= max(comma, point) else ""
    return (f"Column '{label}' mixes decimal commas ({comma:,} values) and decimal points "
            f"({point:,}) in the rows studied; it was read with {chosen}{close}. Values that can "
            f"only be read one way (such as {'84.80' if decimal_comma else '1.234,50'}) were read "
            f"with {other}; check the column's totals.")


def _customer_id(text: str, email_key: bool = False, phone_key: bool = False) -> str:
    if phone_key:
        # a customer known by phone number: a stable pseudonymous id of its digits; the number itself is stored nowhere
        digits = f"regexp_replace({text}, '[^0-9]', '', 'g')"
        return f"CASE WHEN length({digits}) >= 7 THEN 'P' || upper(substr(md5({digits}), 1, 16)) ELSE {text} END"
    if email_key:
        # A customer known by email gets a stable pseudonymous id: the email stays out of every id, table
        # and chart (and so out of what an LLM sees); it is kept as the customer's email.
        return (f"CASE WHEN regexp_full_match({text}, '{EMAIL_VALUE}') "
                f"THEN 'E' || upper(substr(md5(lower({text})), 1, 16)) ELSE {text} END")
    # Ids that went through a spreadsheet come back as '12345.0'.
    return (f"CASE WHEN contains({text}, '.') THEN regexp_replace({text}, '^(\\d+)\\.0+$', '\\1') "
            f"ELSE {text} END")


# Key values that stand for "no account" (a guest checkout): such rows are identified by their email if the file has one.
GUEST_KEYS = ("0", "-", "guest", "none", "n/a", "na", "null", "anonymous", "游客", "匿名", "访客")


def _guest_or_id(id_text: str, email_text: str, phone_key: bool = False) -> str:
    """SQL: the customer id, or for a guest checkout (blank or placeholder id) the pseudonym of their email."""
    keys = ", ".join(f"'{k}'" for k in GUEST_KEYS)
    return (f"CASE WHEN {id_text} IS NULL OR lower({id_text}) IN ({keys}) THEN {_customer_id(email_text, True)} "
            f"ELSE {_customer_id(id_text, phone_key=phone_key)} END")


def _email_of(text: str) -> str:
    return f"CASE WHEN regexp_full_match({text}, '{EMAIL_VALUE}') THEN lower({text}) END"


EMAIL_VALUE = "[^@\\s]+@[^@\\s]+\\.[^@\\s]+"
EMAIL_KEY_SHARE = 0.9


def is_email_key(con: duckdb.DuckDBPyConnection, table: str, column: str, sample: int = 2000) -> bool:
    """Whether a key column holds emails (at least EMAIL_KEY_SHARE of its first non-blank values)."""
    n, emails = con.execute(
        f"SELECT count(v), count(*) FILTER (WHERE regexp_full_match(v, '{EMAIL_VALUE}')) "
        f"FROM (SELECT {_text(column)} AS v FROM {table} LIMIT {int(sample)})", _params()).fetchall()[0]
    return bool(n) and emails >= EMAIL_KEY_SHARE * n


PHONE_VALUE = "\\+?[0-9][0-9 ()./-]{5,20}[0-9]"
PHONE_HEADER = re.compile(r"phone|mobile|\btel\b|\bcell|手机|电话", re.IGNORECASE)


def is_phone_key(con: duckdb.DuckDBPyConnection, table: str, column: str, label: str, sample: int = 2000) -> bool:
    """Whether a key column holds phone numbers: its header names a phone and at least EMAIL_KEY_SHARE of its first
    non-blank values are written like one (a numeric customer id under a plain header is no phone)."""
    if not PHONE_HEADER.search(str(label)):
        return False
    n, phones = con.execute(
        f"SELECT count(v), count(*) FILTER (WHERE regexp_full_match(v, '{PHONE_VALUE}')) "
        f"FROM (SELECT {_text(column)} AS v FROM {table} LIMIT {int(sample)})", _params()).fetchall()[0]
    return bool(n) and phones >= EMAIL_KEY_SHARE * n


def _params(**extra) -> dict:
    return {"ws": " \t\r\n\u00a0\u3000\ufeff", **extra}


STUDY_SAMPLE_ROWS = 200_000  # first rows examined to decide day/month order and decimal comma


def study_columns(con: duckdb.DuckDBPyConnection, table: str, date_col: str | None,
                  number_cols: list[str]) -> dict:
    """Decide day/month order and decimal comma per file, from its first rows."""
    parts = ["count(*) AS n"]
    cols = ["1 AS _one"]
    if date_col:
        cols.append(f"{_text(date_col)} AS d")
        pat = "'^(\\d{1,2})[/.-](\\d{1,2})[/.-]\\d{2,4}'"
        lead = f"try_cast(regexp_extract(d, {pat}, 1) AS INTEGER)"
        second = f"try_cast(regexp_extract(d, {pat}, 2) AS INTEGER)"
        parts += [f"count(*) FILTER (WHERE {lead} > 12 AND {second} <= 12) AS day_first",
                  f"count(*) FILTER (WHERE {second} > 12 AND {lead} <= 12) AS month_first",
                  f"count(*) FILTER (WHERE {lead} <= 12 AND {second} <= 12 AND {lead} <> {second}) AS unsure",
                  f"count(*) FILTER (WHERE regexp_matches(d, '^\\d{{1,2}}\\.\\d{{1,2}}\\.')) AS dotted"]
    for i, col in enumerate(number_cols):
        # Judged on the number's core: a currency sign or code ('84,80 €', 'EUR 84,80') must not
        # hide the separator.
        cols.append(f"{_number_core(_text(col))} AS x{i}")
        parts += [f"count(*) FILTER (WHERE regexp_matches(x{i}, '{DECIMAL_COMMA_SHAPE}')) AS comma{i}",
                  f"count(*) FILTER (WHERE regexp_matches(x{i}, '{DECIMAL_POINT_SHAPE}')"
                  f" OR regexp_matches(x{i}, '{THOUSANDS_COMMA_SHAPE}')) AS dot{i}"]
    # The first rows, not a random sample: stopping early spares a scan of a huge file.
    sample = f"(SELECT * FROM {table} LIMIT {STUDY_SAMPLE_ROWS})"
    cur = con.execute(f"SELECT {', '.join(parts)} FROM (SELECT {', '.join(cols)} FROM {sample})",
                      _params())
    row = cur.fetchall()[0]
    stats = dict(zip([d[0] for d in cur.description], row))
    out = {"day_first": False, "date_order_unsure": 0, "date_order_mixed": 0, "decimal_comma": {},
           "decimal_votes": {}}
    if date_col:
        # With no day above 12 to settle it, dotted dates (05.03.2024) are European: day first.
        out["day_first"] = (stats["day_first"] > stats["month_first"] or (
            stats["day_first"] == stats["month_first"] == 0 and stats["dotted"] > stats["unsure"] / 2))
        out["date_order_mixed"] = min(stats["day_first"], stats["month_first"])
        if not stats["day_first"] and not stats["month_first"] and not out["day_first"]:
            out["date_order_unsure"] = stats["unsure"]
    for i, col in enumerate(number_cols):
        out["decimal_comma"][col] = stats[f"comma{i}"] > stats[f"dot{i}"]
        out["decimal_votes"][col] = (int(stats[f"comma{i}"]), int(stats[f"dot{i}"]))
    return out


def date_formats(con: duckdb.DuckDBPyConnection, table: str, col: str, day_first: bool) -> list[str]:
    """The formats to try, the ones that fit the first rows first (each row stops at its first hit)."""
    fmts = list(_DATE_FORMATS_FIXED + (DATE_FORMATS_DMY if day_first else DATE_FORMATS_MDY))
    t = _text(col)
    hits = con.execute(
        "SELECT " + ", ".join(f"count(try_strptime(v, $f{i}))" for i in range(len(fmts)))
        + f" FROM (SELECT {t} AS v FROM {table} LIMIT 1000)",
        _params(**{f"f{i}": f for i, f in enumerate(fmts)}),
    ).fetchall()[0]
    order = sorted(range(len(fmts)), key=lambda i: -hits[i])
    return [fmts[i] for i in order]


def cancelled_sql(status: str) -> str:
    """SQL: whether a lower-cased status says the order did not count (a cancelled keyword in it).

    The common completed statuses are looked up first, so most rows skip the keyword search."""
    return (f"coalesce(CASE WHEN list_contains($completed, {status}) THEN false "
            f"WHEN regexp_matches({status}, $partial_pattern) THEN false "
            f"ELSE regexp_matches({status}, $cancel_pattern) END, false)")


def cancelled_params() -> dict:
    return {"completed": [s.lower() for s in COMPLETED_STATUSES], "partial_pattern": "|".join(PARTIAL_KEYWORDS),
            "cancel_pattern": "|".join(re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", k.lower())
                                      for k in CANCELLED_KEYWORDS)}


# A column of each line's refund state (商品退款状态, Refund Status, 售后状态), and the states that mean the refund went
# through (退款中 is under way and 退款关闭 was turned down: those lines are still sales)
LINE_REFUND_HEADER = re.compile(r"退款状态|售后状态|退货状态|refund[ _]?status|return[ _]?status", re.IGNORECASE)
REFUND_DONE = ("退款成功", "已退款", "退货成功", "已退货", "refunded", "returned", "refund complete", "refund completed",
               "refund succeeded", "refund successful")


def clean_transactions(con: duckdb.DuckDBPyConnection, raw: RawTable, mapping: dict[str, int],
                       *, today: date, max_amount: float = MAX_AMOUNT,
                       keep: list[str] | tuple[str, ...] = (), anonymous: bool = True,
                       line_refund: str | None = None) -> dict:
    """Build `_typed_orders` and the rejects from the raw table, in layered set-based SQL.

    `line_refund` (one of `keep`) is a column of each line's own refund state (有赞's 商品退款状态): a line whose
    refund went through is a refunded line, whatever its order's status.

    The raw columns in `keep` (the attributes) ride along as clean text `_x0`, `_x1`, …;
    `write_order_tables` then makes orders and cancelled_orders."""
    col = {fld: raw.columns[i] for fld, i in mapping.items()}
    numeric = [col[f] for f in ("amount", "quantity", "unit_price") if f in col]
    study = study_columns(con, raw.table, col["order_date"], numeric)
    email_key = is_email_key(con, raw.table, col["customer_id"])
    phone_key = not email_key and is_phone_key(con, raw.table, col["customer_id"], raw.names[mapping["customer_id"]])
    # No line total but a unit price: the line's amount is the price times the quantity (1 when blank).
    priced = "amount" not in col and "unit_price" in col
    fmts = date_formats(con, raw.table, col["order_date"], study["day_first"])

    # Layer 1: clean text once per field; layer 2: parse; layer 3: judge each row.
    texts = ", ".join([f"{_text(col[f])} AS {f}_t" for f in (*ORDERS_SCHEMA, "unit_price", "email") if f in col]
                      + [f"{_text(c)} AS _x{j}" for j, c in enumerate(keep)])
    parsed = []
    for fld, typ in ORDERS_SCHEMA.items():
        t = f"{fld}_t"
        if fld == "amount" and priced:
            price = _number("unit_price_t", study["decimal_comma"][col["unit_price"]])
            qty = (f"coalesce({_number('quantity_t', study['decimal_comma'][col['quantity']])}, 1)"
                   if "quantity" in col else "1")
            parsed.append(f"round({price} * {qty}, 6) AS amount")
        elif fld not in col:
            parsed.append(f"CAST(NULL AS {typ}) AS {fld}")
        elif fld == "customer_id" and "email" in col and not email_key:
            # an account id, and an email that identifies guest checkouts and stays the customer's email
            parsed.append(f"{_guest_or_id(t, 'email_t', phone_key)} AS {fld}")
            parsed.append(f"{_email_of('email_t')} AS _email")
        elif fld == "customer_id":
            parsed.append(f"{_customer_id(t, email_key, phone_key)} AS {fld}")
            if email_key:
                parsed.append(f"{_email_of(t)} AS _email")
        elif fld == "order_date":
            parsed.append(f"{_date(t)} AS _date")
        elif fld in ("amount", "quantity"):
            parsed.append(f"{_number(t, study['decimal_comma'][col[fld]])} AS {fld}")
        else:
            parsed.append(f"{t} AS {fld}")
    parsed += [f"_x{j}" for j in range(len(keep))]
    qty_t = "quantity_t" if "quantity" in col else "NULL"
    status = "lower(status)" if "status" in col else "NULL"
    raw_cols = ", ".join(raw.columns)
    # Raw text is kept only for rejected rows (for the rejects table), a hash of it for all
    # (to count exact duplicates); the temp table's rowid is the row's position in the file.
    keep_raw = ", ".join(f"CASE WHEN _reason IS NOT NULL THEN {c} END AS {c}" for c in raw.columns)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _typed_orders AS
        SELECT * EXCLUDE ({raw_cols}), {keep_raw} FROM (
        SELECT *,
          CASE WHEN customer_id IS NULL THEN 'missing customer id' ELSE _other END AS _reason,
          -- a line with no customer (blank, or a guest without an email) that is otherwise a valid sale
          customer_id IS NULL AND _other IS NULL AND NOT _cancelled AS _anon
        FROM (
        SELECT *,
          CASE WHEN order_date IS NULL THEN 'unparseable date'
               WHEN order_date > $today THEN 'date in the future'
               WHEN _cancelled THEN NULL
               WHEN _amount_t IS NULL THEN 'missing amount'
               WHEN amount IS NULL THEN 'unparseable amount'
               WHEN amount < 0 THEN 'negative amount'
               WHEN amount > $max_amount THEN 'absurd amount'
          END AS _other
        FROM (
          SELECT * EXCLUDE (_date),
            CASE WHEN year(_date) >= {MIN_YEAR} THEN _date END AS order_date,
            {cancelled_sql(status) if "status" in col else "false"} AS _cancelled
          FROM (
            SELECT {', '.join(parsed)}, {"unit_price_t" if priced else "amount_t"} AS _amount_t, {qty_t} AS _qty_t,
                   hash({raw_cols}) AS _hash, {raw_cols}
            FROM (SELECT {texts}, {raw_cols} FROM {raw.table})))))
        """, _params(dates=fmts, today=today, max_amount=max_amount,
                     **(cancelled_params() if "status" in col else {})))
    line_refunds = 0
    if line_refund is not None and line_refund in keep:
        x = f"_x{list(keep).index(line_refund)}"
        # also in an order closed as a whole (有赞 closes an order refunded in full): its lines were refunded, not cancelled
        line_refunds = con.execute(f"""UPDATE _typed_orders SET _cancelled = true, _anon = false, status = 'refunded'
            WHERE regexp_matches(lower({x}), $done)""",
            {"done": "|".join(re.escape(w) for w in REFUND_DONE)}).fetchall()[0][0]
    anonymous = keep_anonymous(con, raw, allowed=anonymous)
    refunds = net_refund_lines(con, raw, by_product="product" in col)
    _add_rejects(con, raw, "_typed_orders")
    bad_qty = 0
    if "quantity" in col:
        bad_qty = con.execute("SELECT count(*) FROM _typed_orders WHERE _reason IS NULL "
                              "AND _qty_t IS NOT NULL AND quantity IS NULL").fetchall()[0][0]
    return {"study": study, "date_formats": fmts, "bad_quantity": bad_qty, "email_key": email_key, "priced": priced,
            "emails": email_key or "email" in col, "anonymous": anonymous, "refunds": refunds, "phone_key": phone_key,
            "line_refunds": int(line_refunds)}


# Lines with no customer are kept as anonymous sales only while they are a minority of the file's rows: most rows
# with no customer usually means a wrong customer column, and the load is refused as before.
MAX_ANONYMOUS_SHARE = 0.5


def keep_anonymous(con: duckdb.DuckDBPyConnection, raw: RawTable, *, allowed: bool = True) -> int:
    """Keep the otherwise valid lines with no customer (walk-in sales) as anonymous sales, not rejects, when they
    are fewer than MAX_ANONYMOUS_SHARE of the rows; return how many were kept (0: they stay rejected)."""
    n_anon, n = con.execute("SELECT count(*) FILTER (WHERE _anon), count(*) FROM _typed_orders").fetchall()[0]
    if not allowed or not n_anon or n_anon >= MAX_ANONYMOUS_SHARE * n:
        con.execute("UPDATE _typed_orders SET _anon = false WHERE _anon")
        return 0
    raw_null = ", ".join(f"{c} = NULL" for c in raw.columns)
    # with walk-ins kept, a walk-in's cancelled line is kept with the cancelled ones (refund and cancellation figures
    # count walk-ins where sales do), and a walk-in line still rejected is rejected for what is wrong with it
    con.execute(f"UPDATE _typed_orders SET _reason = NULL, {raw_null} WHERE _anon OR (customer_id IS NULL AND _other IS NULL)")
    con.execute("UPDATE _typed_orders SET _reason = _other WHERE customer_id IS NULL AND _other IS NOT NULL")
    return int(n_anon)


# A refund line may reverse a little more than its payment (rounding of tax-inclusive prices): up to a cent.
REFUND_TOLERANCE = 0.005


def net_refund_lines(con: duckdb.DuckDBPyConnection, raw: RawTable, *, by_product: bool) -> dict[str, int]:
    """Point-of-sale exports write a refund as a line of its own with a negative amount, in the ticket it refunds
    (Square: Event Type = Refund, same Transaction ID). Such a line is netted against the lines it refunds instead of
    being rejected while the refunded sale still counts:

    - it refunds the sale lines of the same order id and product (with no product column: of the same order id, and
      only when its own status says refund or cancel; a lone negative line is a data error, not a refund);
    - refunded in full (the refund reaches the paid amount, within a cent): the sale lines become refunded lines
      (status 'refunded', set aside with the cancelled ones, so refund metrics see them and sales don't), and the
      refund line is dropped;
    - refunded in part: the sale lines are reduced in proportion, and the refund line is kept as a refunded line
      of the refunded amount, under the sale's customer;
    - a refund with no sale line to net against in the file, or larger than it, stays rejected ("negative amount").

    Returns the counts for the load report: refund lines netted, sale lines refunded in full, sale lines reduced."""
    none = {"refund_lines": 0, "refunded_in_full": 0, "reduced": 0}
    refund = "t.amount < 0 AND t.order_id IS NOT NULL AND t.order_date IS NOT NULL"
    # a status saying refund makes the line cancelled before its amount is judged (_other stays NULL)
    refund += (" AND (t._other = 'negative amount' OR (t._other IS NULL AND t._cancelled))" if by_product
               else " AND t._other IS NULL AND t._cancelled")
    key = "coalesce(t.product, '')" if by_product else "''"
    sale = "t._reason IS NULL AND NOT t._cancelled AND t.amount > 0"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _refund_groups AS
        SELECT r.order_id, r.pkey, r.refunded, s.paid, s.customer_id,
               r.refunded >= s.paid - {REFUND_TOLERANCE} AS full_refund
        FROM (SELECT t.order_id, {key} AS pkey, -sum(t.amount) AS refunded FROM _typed_orders t
              WHERE {refund} GROUP BY ALL) r
        JOIN (SELECT t.order_id, {key} AS pkey, sum(t.amount) AS paid, any_value(t.customer_id) AS customer_id
              FROM _typed_orders t WHERE {sale} GROUP BY ALL) s USING (order_id, pkey)
        WHERE r.refunded <= s.paid + {REFUND_TOLERANCE}""")
    if not con.execute("SELECT count(*) FROM _refund_groups").fetchall()[0][0]:
        con.execute("DROP TABLE _refund_groups")
        return none
    in_group = f"t.order_id = g.order_id AND {key} = g.pkey"
    raw_null = ", ".join(f"{c} = NULL" for c in raw.columns)
    counts = dict(none)
    counts["refund_lines"] = con.execute(f"SELECT count(*) FROM _typed_orders t, _refund_groups g "
                                         f"WHERE {in_group} AND {refund}").fetchall()[0][0]
    counts["refunded_in_full"] = con.execute(f"""
        UPDATE _typed_orders t SET _cancelled = true, _anon = false, status = 'refunded'
        FROM _refund_groups g WHERE g.full_refund AND {in_group} AND {sale}""").fetchall()[0][0]
    counts["reduced"] = con.execute(f"""
        UPDATE _typed_orders t SET amount = round(t.amount * (g.paid - g.refunded) / g.paid, 6)
        FROM _refund_groups g WHERE NOT g.full_refund AND {in_group} AND {sale}""").fetchall()[0][0]
    # a partial refund stays as a refunded line of the refunded amount; a full one is carried by the refunded lines
    con.execute(f"""
        UPDATE _typed_orders t SET amount = -t.amount, quantity = abs(t.quantity), _cancelled = true, _anon = false,
            status = 'refunded', customer_id = coalesce(t.customer_id, g.customer_id), _other = NULL, _reason = NULL,
            {raw_null}
        FROM _refund_groups g WHERE NOT g.full_refund AND {in_group} AND {refund}""")
    con.execute(f"""DELETE FROM _typed_orders t USING _refund_groups g
                    WHERE g.full_refund AND {in_group} AND {refund}""")
    con.execute("DROP TABLE _refund_groups")
    return {k: int(v) for k, v in counts.items()}


def write_order_tables(con: duckdb.DuckDBPyConnection, *, extra: str = "", joins: str = "",
                       params: dict | None = None, keep_order_by: bool = False,
                       fields: dict[str, str] | None = None, anonymous: bool = False) -> None:
    """orders, cancelled_orders and anonymous_orders (sales with no customer) from `_typed_orders t`: the contract
    columns, then `extra`; anonymous_orders only when `anonymous` (lines with no customer were kept).

    `extra` (", expr AS name, …") and `joins` come from the attributes; `fields` gives the SQL of
    a contract column that is not stored as typed (merged spellings); a join does not keep the
    file's row order, so `keep_order_by` sorts by the row's place in the file."""
    cols = ", ".join(f"{(fields or {}).get(c, f't.{c}')} AS {c}" for c in ORDERS_SCHEMA)
    order = " ORDER BY t.rowid" if keep_order_by else ""
    tables = [("orders", "NOT t._cancelled AND NOT t._anon"), ("cancelled_orders", "t._cancelled")]
    for table, cancelled in tables + ([("anonymous_orders", "t._anon")] if anonymous else []):
        con.execute(f"CREATE TABLE {table} AS SELECT {cols}{extra} FROM _typed_orders t {joins} "
                    f"WHERE t._reason IS NULL AND {cancelled}{order}", params or None)


def create_rejects(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE TABLE IF NOT EXISTS rejects (source_file VARCHAR, row_number BIGINT, "
                "reason VARCHAR, raw VARCHAR)")


def _add_rejects(con: duckdb.DuckDBPyConnection, raw: RawTable, typed: str) -> None:
    """Append rejected rows of `typed` and unsplittable lines; set raw.rows_read."""
    create_rejects(con)
    _malformed_lines(con, raw)
    keys = {f"k{i}": name for i, name in enumerate(raw.names)}
    obj = ", ".join(f"$k{i}, t.{c}" for i, c in enumerate(raw.columns))
    # A kept row's place in the file counts the malformed lines before it (few: an ASOF join).
    con.execute(
        f"""INSERT INTO rejects
        SELECT $source, t.rowid + 1 + coalesce(m.shift, 0), t._reason,
               CAST(json_object({obj}) AS VARCHAR)
        FROM (SELECT rowid, * FROM {typed} WHERE _reason IS NOT NULL) t
        ASOF LEFT JOIN (SELECT line - row_number() OVER (ORDER BY line) AS k,
                               row_number() OVER (ORDER BY line) AS shift
                        FROM _malformed) m ON t.rowid >= m.k
        ORDER BY t.rowid""",
        {"source": raw.path, **keys},
    )
    con.execute("""INSERT INTO rejects SELECT $source, line,
                   CASE WHEN too_long THEN 'line too long' ELSE 'malformed line' END,
                   CAST(json_object('line', csv_line) AS VARCHAR) FROM _malformed""",
                {"source": raw.path})
    n_malformed, n_long = con.execute("SELECT count(*), count(*) FILTER (WHERE too_long) FROM _malformed").fetchall()[0]
    raw.rows_read = con.execute(f"SELECT count(*) FROM {typed}").fetchall()[0][0] + n_malformed
    name = Path(raw.path).name
    if n_long:
        raw.warnings.append(f"{n_long:,} lines of '{name}' are longer than {raw.max_line_bytes or 0:,} bytes, far "
                            "longer than a row of orders or customers, and were rejected (see 'line too long').")
    if n_malformed - n_long:
        raw.warnings.append(f"{n_malformed - n_long:,} lines of '{name}' could not be split "
                            f"into {len(raw.names)} columns and were rejected as malformed.")


def _malformed_lines(con: duckdb.DuckDBPyConnection, raw: RawTable) -> None:
    """Table `_malformed` (line, csv_line): lines DuckDB's CSV reader refused in the last scan."""
    if raw.rejects_table and con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?",
            [raw.rejects_table]).fetchall()[0][0]:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _malformed AS
            SELECT line - ? AS line, any_value(csv_line) AS csv_line,
                   bool_or(error_type = 'LINE SIZE OVER MAXIMUM') AS too_long FROM {raw.rejects_table}
            WHERE scan_id = (SELECT max(scan_id) FROM {raw.rejects_table})
            GROUP BY line ORDER BY line""",
            [1 if raw.header else 0],
        )
    else:
        con.execute("CREATE OR REPLACE TEMP TABLE _malformed (line BIGINT, csv_line VARCHAR, too_long BOOLEAN)")


def reason_counts(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, int]:
    rows = con.execute("SELECT reason, count(*) FROM rejects WHERE source_file = ? "
                       "GROUP BY reason ORDER BY count(*) DESC, reason", [source]).fetchall()
    return {r: int(n) for r, n in rows}


def duplicate_rows(con: duckdb.DuckDBPyConnection, typed: str) -> int:
    """Rows identical to an earlier row in every column (64-bit hash; collisions negligible)."""
    return int(con.execute(f"SELECT count(*) - count(DISTINCT _hash) FROM {typed}")
               .fetchall()[0][0])


def clean_customers(con: duckdb.DuckDBPyConnection, raw: RawTable, mapping: dict[str, int],
                    keep: list[str] | tuple[str, ...] = ()) -> dict:
    """Build `_typed_customers` and append its rejects; dedup is left to the caller.

    The raw columns in `keep` (the attributes) ride along as clean text `_x0`, `_x1`, …"""
    col = {fld: raw.columns[i] for fld, i in mapping.items()}
    fmts = list(_DATE_FORMATS_FIXED)
    study = {"decimal_comma": {}, "decimal_votes": {}}
    if "signup_date" in col or "age" in col:
        # The same decisions as the transactions file: day/month order and decimal comma.
        study = study_columns(con, raw.table, col.get("signup_date"),
                              [col["age"]] if "age" in col else [])
    if "signup_date" in col:
        fmts = date_formats(con, raw.table, col["signup_date"], study["day_first"])
    exprs = {}
    for fld, typ in CUSTOMERS_SCHEMA.items():
        if fld not in col:
            exprs[fld] = f"CAST(NULL AS {typ})"
            continue
        t = _text(col[fld])
        if fld == "customer_id":
            exprs[fld] = _customer_id(t, is_email_key(con, raw.table, col[fld]))
        elif fld == "signup_date":
            exprs[fld] = f"(CASE WHEN year({_date(t)}) >= {MIN_YEAR} THEN {_date(t)} END)"
        elif fld == "age":
            number = _number(t, study["decimal_comma"][col[fld]])
            exprs[fld] = (f"(CASE WHEN try_cast({number} AS INTEGER) BETWEEN 0 AND 120 "
                          f"THEN try_cast({number} AS INTEGER) END)")
        elif fld == "email_consent":
            exprs[fld] = (f"(CASE WHEN list_contains($true, lower({t})) THEN true "
                          f"WHEN list_contains($false, lower({t})) THEN false END)")
        elif fld == "email":
            exprs[fld] = f"lower({t})"
        else:
            exprs[fld] = t
    texts = ", ".join([f"{_text(col[f])} AS _{f}_text" for f in ("signup_date", "age", "email_consent")
                       if f in col] + [f"{_text(c)} AS _x{j}" for j, c in enumerate(keep)])
    select = ",\n".join(f"{e} AS {f}" for f, e in exprs.items())
    raw_cols = ", ".join(raw.columns)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _typed_customers AS
        SELECT {select}{', ' + texts if texts else ''},
               CASE WHEN {exprs['customer_id']} IS NULL THEN 'missing customer id' END AS _reason,
               hash({raw_cols}) AS _hash, {raw_cols}
        FROM {raw.table}""", _params(**({"dates": fmts} if "signup_date" in col else {}),
                                     **({"true": list(TRUE_TOKENS), "false": list(FALSE_TOKENS)}
                                        if "email_consent" in col else {})))
    _add_rejects(con, raw, "_typed_customers")
    unreadable = {}
    for fld in ("signup_date", "age", "email_consent"):
        if fld in col:
            unreadable[fld] = con.execute(
                f"SELECT count(*) FROM _typed_customers WHERE _reason IS NULL "
                f"AND _{fld}_text IS NOT NULL AND {fld} IS NULL").fetchall()[0][0]
    return {"unreadable": unreadable, "study": study}


CARRY_SAMPLE_ROWS = 200_000   # first rows studied to find columns written on an order's first line only
CARRY_MIN_ORDERS = 5          # multi-line orders with a value needed to judge a column
LINE_FIELDS = ("product", "category", "quantity", "amount", "unit_price", "order_id")
ITEM_HEADER = re.compile(r"^(?:商品|宝贝|子订单)|\b(?:item|lineitem|line item|product|sku)\b", re.IGNORECASE)


def carry_order_fields(con: duckdb.DuckDBPyConnection, raw: RawTable, mapping: dict[str, int]) -> list[int]:
    """Columns an export writes on an order's first line only (Shopify: Financial Status, Source, Discount
    Code, Billing Country …) are carried to the order's other lines, so a refunded order is refunded on
    every line and a line's channel is its order's.

    A column qualifies when, in the multi-line orders where it has a value, it is blank on some lines of
    at least half of them and never takes two different values within one (on the first rows). Line fields
    (product, category, quantity, amount) never qualify. Replaces `raw.table` with a table in the file's
    order that has the carried values; returns the positions of the carried columns."""
    if "order_id" not in mapping:
        return []
    key = raw.columns[mapping["order_id"]]
    skip = {mapping[f] for f in LINE_FIELDS if f in mapping}
    # a header naming the item (商品退款状态, Lineitem Status) is the line's own, whatever lines it is written on
    cands = [i for i in range(len(raw.columns)) if i not in skip and not ITEM_HEADER.search(str(raw.names[i]))]
    if not cands:
        return []
    inner = ", ".join(f"count({_text(raw.columns[i])}) AS f{i}, count(DISTINCT {_text(raw.columns[i])}) AS d{i}"
                      for i in cands)
    # the value must sit on the order's first line: a flag set on some lines only (商品退款状态, a line's refund) is
    # the line's own, not the order's
    inner += ", " + ", ".join(f"arg_min({_text(raw.columns[i])}, _pos) IS NOT NULL AS first{i}" for i in cands)
    outer = ", ".join(f"count(*) FILTER (WHERE f{i} > 0) AS any{i}, "
                      f"count(*) FILTER (WHERE f{i} > 0 AND f{i} < lines) AS partial{i}, "
                      f"count(*) FILTER (WHERE f{i} > 0 AND f{i} < lines AND first{i}) AS onfirst{i}, "
                      f"count(*) FILTER (WHERE d{i} > 1) AS varied{i}" for i in cands)
    cur = con.execute(f"""SELECT {outer} FROM (
        SELECT count(*) AS lines, {inner} FROM (SELECT *, row_number() OVER () AS _pos FROM
                                               (SELECT * FROM {raw.table} LIMIT {CARRY_SAMPLE_ROWS}))
        WHERE {_text(key)} IS NOT NULL GROUP BY {_text(key)} HAVING count(*) >= 2)""", _params())
    stats = dict(zip([d[0] for d in cur.description], cur.fetchall()[0]))
    carried = [i for i in cands if stats[f"any{i}"] >= CARRY_MIN_ORDERS
               and stats[f"partial{i}"] >= 0.5 * stats[f"any{i}"] and stats[f"varied{i}"] == 0
               and stats[f"onfirst{i}"] >= 0.9 * stats[f"partial{i}"]]
    if not carried:
        return []
    k = _text(key)
    cols = ", ".join(
        (f"CASE WHEN {k} IS NULL OR {_text(c)} IS NOT NULL THEN {c} "
         f"ELSE max({_text(c)}) OVER (PARTITION BY {k}) END AS {c}") if j in carried else c
        for j, c in enumerate(raw.columns))
    table = f"{raw.table}_carried"
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {table} AS
        SELECT {", ".join(raw.columns)} FROM (
            SELECT {cols}, _pos FROM (SELECT *, row_number() OVER () AS _pos FROM {raw.table}))
        ORDER BY _pos""", _params())
    raw.table = table
    return carried
