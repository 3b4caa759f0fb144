"""Order headers: one row per order (customer, order key, day) with its totals and the columns that are the
same on every line of an order. Most questions count orders without splitting them by a line-level column
(category, product), and a table of orders answers those without a distinct count over every line."""

from __future__ import annotations

from typing import Any

from tools.store import ORDER_KEY_SQL

MAX_ROLLUP_VALUES = 500
# measured at 1M customers / 10M lines: count(DISTINCT ...) over the lines takes ~1 s, count(*) over headers ~30 ms


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def write_order_headers(con, attributes: list[dict[str, Any]] | None = None) -> list[str]:
    """Create `order_headers`; return the order-level columns it carries (constant within every order)."""
    present = {r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'orders'").fetchall()}
    candidates = [c for c in ("channel", "status") if c in present]
    candidates += [a["name"] for a in attributes or [] if a.get("grain") == "order" and a.get("name") in present
                   and a.get("type") in ("categorical", "boolean", "date")]
    constant: list[str] = []
    if candidates:
        counts = ", ".join(f"count(DISTINCT {_quote(c)}) AS c{i}" for i, c in enumerate(candidates))
        maxes = ", ".join(f"max(c{i})" for i in range(len(candidates)))
        row = con.execute(f"SELECT {maxes} FROM (SELECT {counts} FROM orders "
                          f"GROUP BY customer_id, order_date, {ORDER_KEY_SQL})").fetchone()
        constant = [c for c, n in zip(candidates, row) if (n or 0) <= 1]
    con.execute(f"CREATE OR REPLACE TABLE order_headers AS {_header_select(constant)}")
    return constant


def write_order_rollups(con, attributes: list[dict[str, Any]] | None, constant: list[str]) -> dict[str, str]:
    """One table per line-level column of few values (category, and such order attributes): a row per order and
    value, so "orders by category" counts rows instead of distinct orders. Returns {column: table}."""
    present = {r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'orders'").fetchall()}
    candidates = [c for c in ("category",) if c in present and c not in constant]
    candidates += [a["name"] for a in attributes or [] if a.get("grain") == "order" and a.get("name") in present
                   and a.get("type") in ("categorical", "boolean") and a["name"] not in constant]
    for old in [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                          r"WHERE table_name LIKE 'order\_rollup\_%' ESCAPE '\'").fetchall()]:
        con.execute(f"DROP TABLE {_quote(old)}")
    out = {}
    for i, column in enumerate(candidates):
        n = con.execute(f"SELECT count(DISTINCT {_quote(column)}) FROM orders").fetchone()[0]
        if not n or n > MAX_ROLLUP_VALUES:
            continue
        table = f"order_rollup_{i}"
        con.execute(f"CREATE TABLE {table} AS {_rollup_select(column, constant)}")
        out[column] = table
    return out


def _header_select(constant: list[str], source: str = "orders") -> str:
    carried = "".join(f", any_value({_quote(c)}) AS {_quote(c)}" for c in constant)
    return f"""SELECT customer_id, order_date, {ORDER_KEY_SQL} AS order_key, sum(amount) AS amount, count(*) AS lines,
               sum(quantity) AS units{carried}
        FROM {source} GROUP BY customer_id, order_date, order_key"""


def _rollup_select(column: str, constant: list[str], source: str = "orders") -> str:
    carried = "".join(f", any_value({_quote(c)}) AS {_quote(c)}" for c in constant)
    return f"""SELECT customer_id, order_date, {ORDER_KEY_SQL} AS order_key, {_quote(column)}, sum(amount) AS amount,
               count(*) AS lines, sum(quantity) AS units{carried}
        FROM {source} GROUP BY customer_id, order_date, order_key, {_quote(column)}"""


def rollup_values(con, rollups: dict[str, str], known: dict[str, list] | None, new_lines: str) -> dict[str, list] | None:
    """Each rollup column's values after lines of table `new_lines` were added: `known` (the values before, kept
    in the meta; read from the rollup tables when missing) with the new lines' values. None when a column then
    has more than MAX_ROLLUP_VALUES values: its rollup no longer applies, only a full write is right."""
    out = {}
    for column, table in rollups.items():
        values = (known or {}).get(column)
        if values is None:
            values = [r[0] for r in con.execute(f"SELECT DISTINCT {_quote(column)} FROM {_quote(table)}").fetchall()]
        have = set(values)
        added = [r[0] for r in con.execute(f"SELECT DISTINCT {_quote(column)} FROM {new_lines}").fetchall()
                 if r[0] not in have]
        if len(have) + len(added) > MAX_ROLLUP_VALUES:
            return None
        out[column] = list(values) + added
    return out


def refresh_order_headers(con, new_lines: str, constant: list[str], rollups: dict[str, str]) -> bool:
    """Add the orders of table `new_lines` (order lines just added to `orders`) to the header and rollup tables
    (rollup_values says whether the rollups still apply). Returns False, changing nothing, when the new lines make
    a carried column differ within an order: then only a full write is right."""
    newest = con.execute("SELECT max(order_date) FROM order_headers").fetchall()[0][0]
    first_new = con.execute(f"SELECT min(order_date) FROM {new_lines}").fetchall()[0][0]
    if first_new is None:
        return True
    if newest is not None and first_new > newest:
        # every new line's day is after every loaded order's: its orders are new ones, their rows only added
        lines, where = new_lines, ""
    else:  # some join orders already loaded (no order id, a day already seen): their customers' rows again
        where = f"WHERE customer_id IN (SELECT customer_id FROM {new_lines})"
        con.execute(f"CREATE OR REPLACE TEMP TABLE _their_lines AS SELECT * FROM orders {where}")
        lines = "_their_lines"
    if constant:
        counts = ", ".join(f"count(DISTINCT {_quote(c)}) AS c{i}" for i, c in enumerate(constant))
        maxes = ", ".join(f"coalesce(max(c{i}), 0)" for i in range(len(constant)))
        if any(n > 1 for n in con.execute(f"SELECT {maxes} FROM (SELECT {counts} FROM {lines} "
                                          f"GROUP BY customer_id, order_date, {ORDER_KEY_SQL})").fetchall()[0]):
            return False
    if where:
        con.execute(f"DELETE FROM order_headers {where}")
    con.execute(f"INSERT INTO order_headers {_header_select(constant, lines)}")
    for column, table in rollups.items():
        if where:
            con.execute(f"DELETE FROM {_quote(table)} {where}")
        con.execute(f"INSERT INTO {_quote(table)} {_rollup_select(column, constant, lines)}")
    con.execute("DROP TABLE IF EXISTS _their_lines")
    return True
