"""Audience filters: validated against the data, compiled to a parameterised WHERE clause.

Nothing a user or model writes is ever pasted into SQL: every value is a bound parameter and
every column name comes from FILTER_SQL below.
"""

from __future__ import annotations

import difflib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tools import countries
from tools.data_values import plain_values
from tools.errors import TierwiseError
from tools.rfm import SEGMENTS

TierName = Literal["high", "mid", "low"]
RiskBand = Literal["high", "medium", "low", "lapsed"]
SortKey = Literal["churn_probability", "clv", "total_spend", "last_order_date", "orders", "value_at_risk",
                  "days_since_last_order"]
SORT_SQL = {"churn_probability": "churn_probability DESC NULLS LAST", "clv": "clv_12m DESC NULLS LAST",
            "total_spend": "total_spend DESC", "last_order_date": "last_order_date DESC", "orders": "orders DESC",
            "value_at_risk": "value_at_risk DESC NULLS LAST", "days_since_last_order": "recency_days DESC"}
# a list ranked by an amount names each first customer's amount ("the biggest spender spent 4,593"): sort -> column
RANKED_AMOUNTS = {"total_spend": "total_spend", "clv": "clv_12m", "orders": "orders", "value_at_risk": "value_at_risk"}


class AudienceFilters(BaseModel):
    """Who a question is about. Every field is optional; they combine with AND."""

    model_config = ConfigDict(extra="forbid")
    tier: TierName | None = Field(None, description="value tier: high, mid or low")
    segment: str | None = Field(None, description="RFM segment, e.g. champions, at_risk, lost")
    persona: str | None = Field(None, description="persona name as listed by segment_summary(by='persona')")
    churn_risk: RiskBand | None = Field(
        None, description="churn risk band: high = about to churn (still a customer, likely to leave or overdue "
                          "against their own rhythm), medium, low, or lapsed = already lost (gone by their own "
                          "buying rhythm; 'who have we already lost?')")
    min_churn_probability: float | None = Field(None, ge=0, le=1)
    min_clv: float | None = Field(None, ge=0, description="minimum predicted 12-month value")
    max_clv: float | None = Field(None, ge=0)
    min_orders: int | None = Field(None, ge=0)
    max_orders: int | None = Field(None, ge=0)
    min_days_since_last_order: int | None = Field(None, ge=0)
    max_days_since_last_order: int | None = Field(None, ge=0)
    country: str | None = None
    channel: str | None = Field(None, description="bought through this channel, e.g. web, app, store")
    category: str | None = Field(None, description="bought in this product category")
    min_total_spend: float | None = Field(None, ge=0, description="spent at least this much ('at least', 'or more', "
                                                               "'以上', '不少于')")
    min_total_spend_exclusive: bool | None = Field(
        None, description="true: spent strictly more than min_total_spend ('more than', 'over', '超过')")

    def active(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


FILTER_FIELDS = tuple(AudienceFilters.model_fields)

FILTER_SQL = {
    "tier": "tier = ?",
    "segment": "segment = ?",
    "persona": "persona = ?",
    "churn_risk": "churn_risk = ?",
    "min_churn_probability": "churn_probability >= ?",
    "min_clv": "clv_12m >= ?",
    "max_clv": "clv_12m <= ?",
    "min_orders": "orders >= ?",
    "max_orders": "orders <= ?",
    "min_days_since_last_order": "recency_days >= ?",
    "max_days_since_last_order": "recency_days <= ?",
    "country": "country = ?",
    "channel": ("customer_id IN (SELECT customer_id FROM orders WHERE channel = ? AND order_date <= ?)"),
    "category": ("customer_id IN (SELECT customer_id FROM orders WHERE category = ? AND order_date <= ?)"),
    "min_total_spend": "total_spend >= ?",
}
STRICT = {"min_total_spend": ("min_total_spend_exclusive", "total_spend > ?")}  # a bound and its strictness flag
DESCRIBE = {
    "tier": "{} tier", "segment": "segment {}", "persona": "persona '{}'", "churn_risk": "{} churn risk",
    "min_churn_probability": "churn probability ≥ {}", "min_clv": "12-month value ≥ {}",
    "max_clv": "12-month value ≤ {}", "min_orders": "≥ {} orders", "max_orders": "≤ {} orders",
    "min_days_since_last_order": "no order for {}+ days", "max_days_since_last_order": "ordered within {} days",
    "country": "in {}", "channel": "bought via {}", "category": "bought {}",
    "min_total_spend": "spent ≥ {}", "min_total_spend_exclusive": "",
}
DESCRIBE_STRICT = {"min_total_spend": "spent > {}"}


def _match(field: str, value: str, valid: list[str]) -> str:
    """The valid value meant by `value` (case, spaces and underscores ignored), or a clear error."""
    def norm(text: str) -> str:
        return "".join(ch for ch in text.lower() if ch.isalnum())

    by_norm = {norm(v): v for v in valid}
    if norm(value) in by_norm:
        return by_norm[norm(value)]
    close = plain_values(difflib.get_close_matches(value, valid, n=3, cutoff=0.6))
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    listed = plain_values(valid, 40)  # a value that reads as an instruction or markup is data, not a choice to offer
    shown = ", ".join(listed) + (" …" if len(valid) > len(listed) else "")
    raise TierwiseError(f"Unknown {field} '{value[:80]}'.{hint} Valid values: {shown}.")


def parse_filters(raw: dict[str, Any]) -> AudienceFilters:
    unknown = sorted(set(raw) - set(FILTER_FIELDS))
    if unknown:
        raise TierwiseError(f"Unknown filter {', '.join(unknown)}. Valid filters: {', '.join(FILTER_FIELDS)}.")
    try:
        return AudienceFilters(**raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise TierwiseError(f"Invalid filter value ({problems}).") from None


def resolve_filters(filters: AudienceFilters, vocabulary: dict[str, list[str]]) -> AudienceFilters:
    """Map free-text values onto the data's own spelling; unknown values list the valid ones."""
    values = filters.active()
    checks = {"segment": list(SEGMENTS), "persona": vocabulary.get("personas", []),
              "country": vocabulary.get("countries", []), "channel": vocabulary.get("channels", []),
              "category": vocabulary.get("categories", [])}
    for field, valid in checks.items():
        if field in values:
            if not valid:
                raise TierwiseError(f"This dataset has no {field} values to filter on.")
            same = countries.same_country(values[field], valid) if field == "country" else None
            values[field] = same or _match(field, str(values[field]), valid)  # 'Canada' is the data's 'CA'
    for low, high in (("min_clv", "max_clv"), ("min_orders", "max_orders"),
                      ("max_days_since_last_order", "min_days_since_last_order")):
        if low in values and high in values and values[low] > values[high]:
            raise TierwiseError(f"{low} ({values[low]}) is larger than {high} ({values[high]}), so nobody matches.")
    return AudienceFilters(**values)


def compile_where(filters: AudienceFilters, as_of) -> tuple[str, list[Any]]:
    """A WHERE clause over customer_view and its bound parameters."""
    clauses, params = [], []
    active = filters.active()
    for field, value in active.items():
        if field not in FILTER_SQL:
            continue  # a flag of another filter (min_total_spend_exclusive)
        strict = STRICT.get(field)
        clauses.append(strict[1] if strict and active.get(strict[0]) else FILTER_SQL[field])
        params.append(value)
        if field in ("channel", "category"):
            params.append(as_of)
    return (" AND ".join(clauses) if clauses else "TRUE"), params


def describe(filters: AudienceFilters) -> str:
    return describe_values(filters.active())


def describe_values(active: dict[str, Any]) -> str:
    """An audience's filter values in words ("already lapsed, Germany"); 'all customers' when there are none."""
    parts = ["already lapsed" if (f, v) == ("churn_risk", "lapsed")
             else (DESCRIBE_STRICT[f] if f in STRICT and active.get(STRICT[f][0]) else DESCRIBE[f]).format(str(v).replace("_", " "))
             for f, v in active.items() if f in FILTER_SQL and DESCRIBE.get(f)]
    return ", ".join(parts) if parts else "all customers"
