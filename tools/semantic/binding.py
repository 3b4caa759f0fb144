"""The semantic layer bound to one dataset in service: its model, its tables and the values of its fields."""

from __future__ import annotations

import threading
from typing import Any

import ibis
import pandas as pd

from tools import engine
from tools.semantic.catalog import Field, SemanticModel, build_model
from tools.semantic.compiler import REFUND_WORDS, Tables
from tools.semantic.query import MetricQuery, build_query

PII_COLUMNS = ("name", "email", "phone")
CUSTOMER_CONTRACT = ("country", "city", "gender", "age", "signup_date", "email_consent")
MODEL_COLUMNS = ("tier", "segment", "persona", "churn_risk", "churn_probability", "clv_12m", "p_alive")
DIM_SAMPLE_VALUES = 12
_lock = threading.Lock()
_bound: dict[str, "Bound"] = {}


def _ibis_type(duck: str) -> str:
    d = duck.upper()
    if d.startswith(("VARCHAR", "TEXT")):
        return "string"
    if d == "DATE":
        return "date"
    if d.startswith("TIMESTAMP"):
        return "timestamp"
    if d == "BOOLEAN":
        return "boolean"
    if d in ("DOUBLE", "FLOAT", "REAL") or d.startswith("DECIMAL"):
        return "float64"
    if d in ("BIGINT", "HUGEINT", "UBIGINT"):
        return "int64"
    if d in ("INTEGER", "SMALLINT", "TINYINT", "UINTEGER", "USMALLINT", "UTINYINT"):
        return "int32"
    if d.endswith("[]"):
        return "array<string>"
    return "string"


class Bound:
    """One snapshot's semantic model and tables; built once, the snapshot never changes. Queries run on the
    engine TIERWISE_ENGINE names (or `engine_name`); the model, schemas and field values are read from the store."""

    def __init__(self, snap, engine_name: engine.EngineName | None = None):
        self.snap = snap
        self.engine = engine.for_snapshot(snap, engine=engine_name)
        # headers and rollups summarise the store's own orders: not those of a lake Spark reads instead
        rollups = (snap.meta.get("order_rollups") or {}) if self.engine.reads_store_orders else {}
        self.schemas = {t: self._schema(t) for t in ("orders", "cancelled_orders", "customers", "features", "customer_view",
                                                     *(("order_headers",) if self.engine.reads_store_orders else ()),
                                                     *rollups.values()) if t in snap.tables}
        self.has_models = "customer_view" in snap.tables
        # sales lines with no customer (walk-ins) the loader kept; a lake Spark reads instead of the store's orders
        # has its own lines, so the store's anonymous ones are not added to it
        self.anonymous_lines = 0
        if self.engine.reads_store_orders and "anonymous_orders" in snap.tables:
            self.anonymous_lines = int(snap.scalar("SELECT count(*) FROM anonymous_orders") or 0)
            if self.anonymous_lines:
                self.schemas["anonymous_orders"] = self._schema("anonymous_orders")
        counts = snap.query("SELECT count(order_id) AS order_id, count(product) AS product, count(category) AS category, "
                            "count(channel) AS channel, count(quantity) AS quantity FROM orders").iloc[0]
        cust = self.schemas.get("customers", {})
        ccounts = {}
        present = [c for c in ("country", "city", "gender", "age") if c in cust]
        if present:
            row = snap.query("SELECT " + ", ".join(f'count("{c}") AS "{c}"' for c in present) + " FROM customers").iloc[0]
            ccounts = {c: bool(row[c]) for c in present}
        refund = False
        if "cancelled_orders" in self.schemas:
            pattern = "|".join(REFUND_WORDS)
            refund = bool(snap.scalar("SELECT count(*) FROM cancelled_orders WHERE regexp_matches(lower(status), ?)",
                                      [pattern]))
        attributes = [a for a in snap.meta.get("attributes", []) or [] if self._attribute_stored(a)]
        self._values: dict[str, list[str]] = {}
        self.model: SemanticModel = build_model(
            order_columns={k: bool(counts[k]) for k in counts.index}, customer_columns=ccounts,
            has_order_ids=bool(counts["order_id"]), has_models=self.has_models, attributes=attributes,
            has_refund_status=refund)
        self.tables = self._tables()
        for d in self.model.dimensions.values():  # a few values per dimension for the agent and the parser
            if d.type == "categorical" and not d.bins and d.name != "cohort" and not d.values:
                object.__setattr__(d, "values", tuple(self.values_of(d)[:DIM_SAMPLE_VALUES]))

    def _schema(self, table: str) -> dict[str, str]:
        rows = self.snap.query("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
                               "ORDER BY ordinal_position", [table])
        return dict(zip(rows["column_name"], rows["data_type"]))

    def _attribute_stored(self, attr: dict[str, Any]) -> bool:
        table = "orders" if attr.get("grain") == "order" else "customers"
        return attr.get("name") in self.schemas.get(table, {})

    def _table(self, name: str, columns: list[str] | None = None):
        schema = self.schemas[name]
        cols = columns or list(schema)
        present = self.engine.columns(name)
        if present is not None:
            cols = [c for c in cols if c in present]
        return ibis.table({c: _ibis_type(schema[c]) for c in cols}, name=self.engine.relation(name))

    def _tables(self) -> Tables:
        orders = self._table("orders")
        cancelled = self._table("cancelled_orders") if "cancelled_orders" in self.schemas else None
        wanted = ["customer_id", "first_order_date", "last_order_date", "orders", "total_spend", "recency_days",
                  "top_category", "top_channel"]
        feats = self._table("features", [c for c in wanted if c in self.schemas["features"]]).rename(
            days_since_last_order="recency_days")
        cust_cols = [c for c in self.schemas.get("customers", {}) if c not in PII_COLUMNS and c not in feats.columns
                     or c == "customer_id"]
        # every known customer (the file's, and everyone with an order); facts where they have completed orders
        customers = self._table("customers", cust_cols).left_join(feats, "customer_id").drop("customer_id_right")
        if self.has_models:
            view = self._table("customer_view", ["customer_id", *[c for c in MODEL_COLUMNS if c in self.schemas["customer_view"]]])
            customers = customers.left_join(view, "customer_id").drop("customer_id_right")
        headers = self._table("order_headers") if "order_headers" in self.schemas else None
        carried = frozenset(self.snap.meta.get("order_header_columns") or []) & set(self.schemas.get("order_headers", {}))
        rollups = {col: self._table(table) for col, table in (self.snap.meta.get("order_rollups") or {}).items()
                   if table in self.schemas}
        anonymous = self._table("anonymous_orders") if "anonymous_orders" in self.schemas else None
        return Tables(orders=orders, cancelled=cancelled, customers=customers, run=self.run, headers=headers,
                      header_columns=carried, rollups=rollups, anonymous=anonymous)

    def run(self, expr) -> pd.DataFrame:
        return self.engine.run(expr)

    def values_of(self, f: Field) -> list[str]:
        """Every value of a categorical field in the data (for validation), most frequent first."""
        if f.name not in self._values and f.column == "order_date" and f.values:
            self._values[f.name] = list(f.values)  # a dimension derived from the date (weekday) names its values
        if f.name not in self._values:
            if f.grain == "order":
                table = "orders"
            else:
                table = next(t for t in ("customers", "features", "customer_view")
                             if f.column in self.schemas.get(t, {}))
            col = f'"{f.column.replace(chr(34), "")}"'
            if table == "orders" and f.column in self.schemas.get("anonymous_orders", {}):
                # walk-ins' values too ('in_person' may be on sales with no customer only)
                table = f"(SELECT {col} FROM orders UNION ALL SELECT {col} FROM anonymous_orders)"
            frame = self.snap.query(f"SELECT CAST({col} AS VARCHAR) AS v, count(*) AS n FROM {table} "
                                    f"WHERE {col} IS NOT NULL GROUP BY 1 ORDER BY n DESC, v LIMIT 5000")
            self._values[f.name] = frame["v"].tolist()
        return self._values[f.name]

    def query(self, **args) -> MetricQuery:
        return build_query(self.model, self.values_of, as_of=self.snap.as_of, **args)


def bind(snap) -> Bound:
    """The semantic layer of a snapshot on the configured engine (cached per dataset directory and engine)."""
    name = engine.configured()
    key = f"{snap.path}|{name}"
    with _lock:
        bound = _bound.get(key)
        if bound is None or bound.snap is not snap:
            bound = Bound(snap, name)
            if len(_bound) > 8:
                _bound.clear()
            _bound[key] = bound
        return bound
