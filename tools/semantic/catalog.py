"""The metric catalog (metrics.json) and what one dataset can be asked: its metrics, dimensions and
filter fields, with the data's own attributes added. Built once per dataset and cached."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from tools.errors import TierwiseError

CATALOG_FILE = Path(__file__).with_name("metrics.json")
TIME_GRAINS = ("day", "week", "month", "quarter", "year")
# Customer facts every dataset has after a load (features), and those the models add.
CUSTOMER_FACTS = {"total_spend": "number", "orders": "number", "days_since_last_order": "number",
                  "first_order_date": "date", "last_order_date": "date"}
MODEL_FACTS = {"clv_12m": "number", "churn_probability": "number", "p_alive": "number",
               "tier": "categorical", "segment": "categorical", "persona": "categorical",
               "churn_risk": "categorical"}
# the weekday dimension's values, as the engines name days
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
CONTRACT_ORDER_DIMS = ("product", "category", "channel")
CONTRACT_CUSTOMER_DIMS = ("country", "city", "gender")
AGE_BANDS = (18, 25, 35, 45, 55, 65)
MAX_SHOWN_CHARS = 40  # a data value shown to the agent is at most this long


@lru_cache(maxsize=1)
def raw_catalog() -> dict[str, Any]:
    return json.loads(CATALOG_FILE.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Metric:
    name: str
    label_en: str
    label_zh: str
    unit: str
    kind: str  # line | cancelled | customer | ratio | share | attribute
    formula: str
    definition_en: str
    definition_zh: str
    spec: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Field:
    """A dimension or filter field: where it lives and what values it takes."""
    name: str
    label_en: str
    label_zh: str
    grain: str   # order | customer
    type: str    # categorical | numeric | boolean | date
    column: str  # the stored column (orders.<column> or the customer table's <column>)
    bins: tuple[float, ...] = ()
    values: tuple[str, ...] = ()


@dataclass
class SemanticModel:
    """What this dataset can answer; validates names and lists the closest valid ones."""
    metrics: dict[str, Metric]
    dimensions: dict[str, Field]
    fields: dict[str, Field]
    has_order_ids: bool
    has_models: bool
    attributes: list[dict[str, Any]]

    def metric(self, name: str) -> Metric:
        key = _norm_name(name)
        if key in self.metrics:
            return self.metrics[key]
        raise TierwiseError(f"Unknown metric '{name}'.{_closest(name, self.metrics)} "
                            f"Metrics: {', '.join(self.metrics)}.")

    def dimension(self, name: str) -> Field | str:
        key = _norm_name(name)
        if key in TIME_GRAINS:
            return key
        if key in self.dimensions:
            return self.dimensions[key]
        raise TierwiseError(f"Unknown dimension '{name}'.{_closest(name, list(self.dimensions) + list(TIME_GRAINS))} "
                            f"Dimensions: {', '.join(list(self.dimensions) + list(TIME_GRAINS))}.")

    def field(self, name: str) -> Field:
        key = _norm_name(name)
        if key in self.fields:
            return self.fields[key]
        raise TierwiseError(f"Unknown filter field '{name}'.{_closest(name, self.fields)} "
                            f"Fields: {', '.join(self.fields)}.")

    def order_definition(self, language: str = "en") -> str:
        od = raw_catalog()["order_definition"]
        return od[("with_order_id_" if self.has_order_ids else "without_order_id_") + language]

    def describe_for_llm(self, max_values: int = 12) -> str:
        """The catalog as the agent sees it: names, labels, definitions, dimensions and a few values."""
        lines = ["Metrics (name: definition):"]
        lines += [f"- {m.name}: {m.definition_en}" for m in self.metrics.values()]
        lines.append("Dimensions for `by` (also time grains day/week/month/quarter/year):")
        for d in self.dimensions.values():
            shown = [json.dumps(v[:MAX_SHOWN_CHARS], ensure_ascii=False) for v in d.values[:max_values]]
            vals = f" e.g. {', '.join(shown)}" if shown else ""
            lines.append(f"- {d.name} ({d.grain} level, {d.type}){vals}")
        extra = [f for f in self.fields.values() if f.name not in self.dimensions]
        if extra:
            lines.append("Other filter fields: " + ", ".join(f"{f.name} ({f.type})" for f in extra))
        lines.append(f"Orders: {self.order_definition()}.")
        return "\n".join(lines)


def _norm_name(name: Any) -> str:
    return "_".join(str(name).strip().lower().replace("-", " ").split())


def _closest(name: str, valid) -> str:
    close = difflib.get_close_matches(_norm_name(name), list(valid), n=3, cutoff=0.5)
    return f" Did you mean {', '.join(close)}?" if close else ""


def _metric(entry: dict[str, Any]) -> Metric:
    return Metric(name=entry["name"], label_en=entry["label_en"], label_zh=entry["label_zh"], unit=entry["unit"],
                  kind=entry["kind"], formula=entry["formula"], definition_en=entry["definition_en"],
                  definition_zh=entry["definition_zh"], spec=entry)


def attribute_metrics(attr: dict[str, Any]) -> list[Metric]:
    """sum_<name> and avg_<name> of a numeric attribute, from the catalog's templates."""
    out = []
    templates = raw_catalog()["attribute_metrics"]
    once = bool(attr.get("per_order"))  # one value per order, repeated on its lines: counted once per order
    grain_en = "per customer" if attr["grain"] == "customer" else "per order" if once else "per order line"
    grain_zh = "按客户" if attr["grain"] == "customer" else "按订单" if once else "按订单行"
    label = str(attr.get("label") or attr["name"])
    for agg in ("sum", "avg"):
        t = templates[agg]
        fmt = {"label": label, "grain_en": grain_en, "grain_zh": grain_zh}
        out.append(Metric(name=f"{agg}_{attr['name']}", label_en=t["label_en"].format(**fmt),
                          label_zh=t["label_zh"].format(**fmt), unit="number", kind="attribute",
                          formula=t["formula"].format(**fmt), definition_en=t["definition_en"].format(**fmt),
                          definition_zh=t["definition_zh"].format(**fmt),
                          spec={"agg": f"order_{agg}" if once else agg, "column": attr["name"], "grain": attr["grain"]}))
    return out


def build_model(*, order_columns: dict[str, bool], customer_columns: dict[str, bool], has_order_ids: bool,
                has_models: bool, attributes: list[dict[str, Any]], has_refund_status: bool,
                values: dict[str, list[str]] | None = None) -> SemanticModel:
    """The semantic model of one dataset. `*_columns` map a contract column to whether it holds data."""
    cat = raw_catalog()
    values = values or {}
    metrics: dict[str, Metric] = {}
    for entry in cat["metrics"]:
        needs = entry.get("needs")
        if needs == "quantity" and not order_columns.get("quantity"):
            continue
        if needs == "models" and not has_models:
            continue
        if needs == "refund_status" and not has_refund_status:
            continue
        metrics[entry["name"]] = _metric(entry)
    dims: dict[str, Field] = {}
    fields: dict[str, Field] = {}
    for entry in cat["dimensions"]:
        name = entry["name"]
        if entry.get("needs") == "models" and not has_models:
            continue
        if name in CONTRACT_ORDER_DIMS and not order_columns.get(name):
            continue
        if name in CONTRACT_CUSTOMER_DIMS and not customer_columns.get(name):
            continue
        if entry.get("band_of") and not customer_columns.get(entry["band_of"]):
            continue
        if entry.get("needs_order_column") and not order_columns.get(entry["needs_order_column"]):
            continue
        column = entry.get("column") or entry.get("band_of") or ("first_order_date" if name == "cohort" else name)
        ftype = "categorical"
        known = WEEKDAYS if name == "weekday" else values.get(name, ())
        f = Field(name=name, label_en=entry["label_en"], label_zh=entry["label_zh"], grain=entry["grain"], type=ftype,
                  column=column, bins=AGE_BANDS if entry.get("band_of") else (), values=tuple(known))
        dims[name] = f
        if name not in ("cohort", "age_band"):
            fields[name] = f
    if customer_columns.get("age"):
        fields["age"] = Field("age", "Age", "年龄", "customer", "numeric", "age")
    for name, ftype in {**CUSTOMER_FACTS, **(MODEL_FACTS if has_models else {})}.items():
        if name not in fields:
            fields[name] = Field(name, name.replace("_", " ").capitalize(), name, "customer",
                                 "numeric" if ftype == "number" else ftype, name)
    for attr in attributes:
        name = attr["name"]
        f = Field(name=name, label_en=str(attr.get("label") or name), label_zh=str(attr.get("label") or name),
                  grain=attr["grain"], type=attr["type"], column=name,
                  bins=tuple(attr.get("bins") or ()), values=tuple(str(v) for v in attr.get("values") or ()))
        fields[name] = f
        if attr["type"] in ("categorical", "boolean"):
            dims[name] = f
        elif attr["type"] == "numeric":
            for m in attribute_metrics(attr):
                metrics[m.name] = m
            if f.bins:
                dims[f"{name}_band"] = Field(f"{name}_band", f"{f.label_en} band", f"{f.label_zh}分段", attr["grain"],
                                             "categorical", name, bins=f.bins)
    return SemanticModel(metrics=metrics, dimensions=dims, fields=fields, has_order_ids=has_order_ids,
                         has_models=has_models, attributes=attributes)
