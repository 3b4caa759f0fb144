"""A metrics question as a validated structure: metrics × dimensions × filters × time.

Everything a user or a model writes is checked here against the catalog and the data's own values;
the compiler only ever sees names from the catalog and values that exist in the data (or numbers and
dates it parsed itself).
"""

from __future__ import annotations

import calendar
import difflib
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Callable

from tools import countries, regions
from tools.errors import TierwiseError
from tools.semantic.catalog import TIME_GRAINS, Field, Metric, SemanticModel

OPS = ("=", "!=", "in", "not_in", ">", ">=", "<", "<=", "between", "not_null", "is_null")
OP_ALIASES = {"==": "=", "eq": "=", "is": "=", "ne": "!=", "<>": "!=", "not": "!=", "is_not": "!=", "not in": "not_in",
              "notin": "not_in", "gt": ">", "gte": ">=", "ge": ">=", "lt": "<", "lte": "<=", "le": "<=",
              "is not null": "not_null", "is_not_null": "not_null", "notnull": "not_null", "not null": "not_null",
              "has_value": "not_null", "exists": "not_null", "is null": "is_null", "isnull": "is_null", "null": "is_null",
              "missing": "is_null", "blank": "is_null", "empty": "is_null"}
NEGATIVE_OPS = ("!=", "not_in", "is_null")
VALUELESS_OPS = ("not_null", "is_null")  # "used a discount code", "no discount code": whether the field has a value
COMPARES = ("previous_period", "previous_year")
MAX_LIMIT = 1000
MAX_METRICS = 8
MAX_BY = 3
MAX_CONDITIONS = 12
MAX_VALUE_CHARS = 200
TRUE_WORDS = {"true", "yes", "y", "1", "t", "是", "真", "member", "会员"}
FALSE_WORDS = {"false", "no", "n", "0", "f", "否", "假", "non-member", "非会员"}
RELATIVE = re.compile(r"^(?:last|past)_(\d{1,4})_(day|week|month|quarter|year)s?$")


@dataclass(frozen=True)
class Condition:
    field: Field
    op: str
    value: Any  # a value, a tuple for in/not_in/between

    def describe(self, audience: bool) -> str:
        shown = ", ".join(map(_show, self.value)) if isinstance(self.value, tuple) else _show(self.value)
        name = self.field.label_en.lower() if self.field.label_en else self.field.name
        if self.op in VALUELESS_OPS:
            if audience and self.field.grain == "order":
                return f"{'never' if self.op == 'is_null' else 'ever'} had an order with a {name}"
            return f"{name} {'is blank' if self.op == 'is_null' else 'has a value'}"
        if audience and self.field.grain == "order":
            verb = "never bought" if self.op in NEGATIVE_OPS else "bought"
            return f"{verb} {name} {shown}" if self.field.name not in ("product", "category") else f"{verb} {shown}"
        word = {"=": "=", "!=": "≠", "in": "in", "not_in": "not in", ">": ">", ">=": "≥", "<": "<", "<=": "≤",
                "between": "between"}[self.op]
        return f"{name} {word} {shown}"


@dataclass
class MetricQuery:
    metrics: list[Metric]
    by: list[Field | str]
    grain: str | None
    filters: list[Condition]
    audience: list[Condition]
    start: date | None
    end: date
    as_of: date
    compare: str | None = None
    sort: str | None = None
    ascending: bool = False
    limit: int | None = None
    notes: list[str] = field(default_factory=list)
    requested_end: date | None = None  # the end asked for, before the as-of date cut it ("2024" with data to November)
    rolling: bool = False  # a window counted back from the as-of date ("last_30_days"): compared with as many days before

    @property
    def dims(self) -> list[Field]:
        return [d for d in self.by if isinstance(d, Field)]


def _show(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _listify(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, str):
        return [v for v in (p.strip() for p in value.split(",")) if v]
    return [value]


def _raw_conditions(raw: Any, what: str) -> list[tuple[str, str, Any]]:
    """Accept {"field": value}, {"field": [values]}, {"field": {"op": value}} or [{field, op, value}]."""
    if raw is None or raw == {} or raw == []:
        return []
    out: list[tuple[str, str, Any]] = []
    if isinstance(raw, dict):
        for name, value in raw.items():
            if isinstance(value, dict):
                for op, v in value.items():
                    out.append((str(name), str(op), v))
            elif isinstance(value, (list, tuple)):
                out.append((str(name), "in", list(value)))
            else:
                out.append((str(name), "=", value))
    elif isinstance(raw, (list, tuple)):
        for item in raw:
            if not isinstance(item, dict) or "field" not in item:
                raise TierwiseError(f"Each {what} condition needs a field, e.g. {{\"field\": \"category\", "
                                    f"\"op\": \"=\", \"value\": \"Books\"}}; got {str(item)[:80]}.")
            out.append((str(item["field"]), str(item.get("op", "=")), item.get("value")))
    else:
        raise TierwiseError(f"{what} must be an object like {{\"category\": \"Books\"}} or a list of conditions.")
    if len(out) > MAX_CONDITIONS:
        raise TierwiseError(f"At most {MAX_CONDITIONS} {what} conditions at once; got {len(out)}.")
    return out


def _norm_value(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def match_value(f: Field, value: Any, valid: list[str]) -> str:
    """The data's own spelling of a categorical value (case, spacing and punctuation ignored), or a clear error."""
    text = str(value).strip()
    if len(text) > MAX_VALUE_CHARS:
        raise TierwiseError(f"The value for {f.name} is too long ({len(text):,} characters).")
    by_norm = {_norm_value(v): v for v in valid}
    if _norm_value(text) in by_norm:
        return by_norm[_norm_value(text)]
    if countries.lookup(text) is not None and countries.is_country_column(valid):
        # a country column: 'Canada' is the data's 'CA', 'DE' its 'Germany'; a country it lacks is missing, never a
        # look-alike (Austria for Australia)
        same = countries.same_country(text, valid)
        if same is not None:
            return same
        shown = ", ".join(valid[:30]) + (" …" if len(valid) > 30 else "")
        raise TierwiseError(f"There is no {countries.lookup(text).name} in this data ({f.label_en.lower() or f.name} "
                            f"values: {shown}).")
    region = regions.same_region(text, valid)  # a state or province column: 'California' is its 'CA', 广东 its 广东省
    if region is not None:
        return region
    close = difflib.get_close_matches(text, valid, n=3, cutoff=0.75)
    if len(close) == 1 or (close and difflib.SequenceMatcher(None, text.lower(), close[0].lower()).ratio() > 0.88):
        return close[0]
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    shown = ", ".join(valid[:30]) + (" …" if len(valid) > 30 else "")
    raise TierwiseError(f"Unknown {f.name} '{text[:60]}'.{hint} Valid values: {shown}.")


def _typed(f: Field, value: Any, values_of: Callable[[Field], list[str]]) -> Any:
    if f.type == "numeric":
        try:
            return float(str(value).replace(",", "").strip())
        except ValueError:
            raise TierwiseError(f"{f.name} needs a number; got '{str(value)[:40]}'.") from None
    if f.type == "date":
        try:
            return date.fromisoformat(str(value)[:10])
        except ValueError:
            raise TierwiseError(f"{f.name} needs a date like 2024-08-31; got '{str(value)[:40]}'.") from None
    if f.type == "boolean":
        text = str(value).strip().lower()
        if isinstance(value, bool):
            return value
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
        raise TierwiseError(f"{f.name} is yes or no; got '{str(value)[:40]}'.")
    return match_value(f, value, values_of(f))


def resolve_conditions(raw: Any, model: SemanticModel, values_of: Callable[[Field], list[str]], *,
                       what: str) -> list[Condition]:
    out = []
    for name, op, value in _raw_conditions(raw, what):
        f = model.field(name)
        op = OP_ALIASES.get(op.strip().lower(), op.strip().lower())
        if op not in OPS:
            raise TierwiseError(f"Unknown operator '{op}' for {f.name}. Operators: {', '.join(OPS)}.")
        if op in VALUELESS_OPS:
            out.append(Condition(f, op, None))  # whether there is a value at all; any value given is ignored
            continue
        if op in ("in", "not_in", "between"):
            items = _listify(value)
            if not items:
                raise TierwiseError(f"{f.name} {op} needs at least one value.")
            if op == "between" and len(items) != 2:
                raise TierwiseError(f"{f.name} between needs two values, low and high; got {len(items)}.")
            typed = tuple(_typed(f, v, values_of) for v in items)
        else:
            if isinstance(value, (list, tuple)):
                op, typed = ("in" if op == "=" else "not_in" if op == "!=" else op), tuple(
                    _typed(f, v, values_of) for v in value)
                if op not in ("in", "not_in"):
                    raise TierwiseError(f"{f.name} {op} takes one value.")
            else:
                typed = _typed(f, value, values_of)
        if op in (">", ">=", "<", "<=", "between") and f.type in ("categorical", "boolean"):
            raise TierwiseError(f"{f.name} is a {f.type} field: use =, !=, in or not_in.")
        out.append(Condition(f, op, typed))
    return out


def _month_end(d: date) -> date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def _shift_months(d: date, months: int) -> date:
    y, m = divmod(d.year * 12 + d.month - 1 + months, 12)
    return date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))


def _quarter_start(d: date) -> date:
    return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)


def resolve_window(value: Any, as_of: date, name: str) -> tuple[date, date | None]:
    """A date or a window relative to the as-of date -> (start, implied end or None)."""
    text = str(value).strip().lower().replace(" ", "_").replace("-", "_") if not isinstance(value, date) else ""
    if isinstance(value, date):
        return value, None
    m = RELATIVE.match(text)
    if m:
        n, unit = int(m.group(1)), m.group(2)
        if unit == "day":
            return as_of - timedelta(days=n - 1), as_of
        if unit == "week":
            return as_of - timedelta(days=7 * n - 1), as_of
        months = {"month": 1, "quarter": 3, "year": 12}[unit] * n
        return _shift_months(as_of, -months) + timedelta(days=1), as_of
    qs = _quarter_start(as_of)
    named = {
        "this_month": (as_of.replace(day=1), as_of), "mtd": (as_of.replace(day=1), as_of),
        "last_month": (_shift_months(as_of.replace(day=1), -1), as_of.replace(day=1) - timedelta(days=1)),
        "this_quarter": (qs, as_of), "qtd": (qs, as_of),
        "last_quarter": (_shift_months(qs, -3), qs - timedelta(days=1)),
        "this_year": (date(as_of.year, 1, 1), as_of), "ytd": (date(as_of.year, 1, 1), as_of),
        "last_year": (date(as_of.year - 1, 1, 1), date(as_of.year - 1, 12, 31)),
    }
    if text in named:
        return named[text]
    raw = str(value).strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}", raw):
            d = date.fromisoformat(raw + "-01")
            return d, _month_end(d)
        if re.fullmatch(r"\d{4}", raw):
            return date(int(raw), 1, 1), date(int(raw), 12, 31)
        return date.fromisoformat(raw[:10]), None
    except ValueError:
        raise TierwiseError(f"{name} must be a date like 2024-08-01 or a window such as last_90_days, this_month, "
                            f"last_quarter, this_year; got '{raw[:40]}'.") from None


def build_query(model: SemanticModel, values_of: Callable[[Field], list[str]], *, as_of: date,
                metrics: list[str] | str | None = None, by: list[str] | str | None = None, filters: Any = None,
                audience: Any = None, since: Any = None, until: Any = None, grain: str | None = None,
                compare: str | None = None, sort: str | None = None, limit: int | None = None) -> MetricQuery:
    names = _listify(metrics) or ["revenue"]
    if len(names) > MAX_METRICS:
        raise TierwiseError(f"At most {MAX_METRICS} metrics at once; got {len(names)}.")
    chosen: list[Metric] = []
    for n in names:
        m = model.metric(n)
        if m not in chosen:
            chosen.append(m)
    dims: list[Field | str] = []
    for n in _listify(by):
        d = model.dimension(n)
        if isinstance(d, str):
            if grain and grain != d:
                raise TierwiseError(f"Two time grains asked for ({grain} and {d}); choose one.")
            grain = d
        elif d not in dims:
            dims.append(d)
    if len(dims) > MAX_BY:
        raise TierwiseError(f"At most {MAX_BY} dimensions at once; got {len(dims)}.")
    if grain is not None:
        grain = str(grain).strip().lower()
        if grain not in TIME_GRAINS:
            raise TierwiseError(f"Unknown grain '{grain}'. Choose one of {', '.join(TIME_GRAINS)}.")
    if compare is not None and compare not in COMPARES:
        raise TierwiseError(f"Unknown compare '{compare}'. Choose previous_period or previous_year.")
    start, implied_end = resolve_window(since, as_of, "since") if since not in (None, "") else (None, None)
    end = resolve_window(until, as_of, "until") if until not in (None, "") else None
    end_date = (end[1] or end[0]) if end else (implied_end or as_of)
    notes = []
    requested_end = end_date
    if end_date > as_of:
        notes.append(f"data is used up to the as-of date {as_of.isoformat()}")
        end_date = as_of
    if start is not None and start > end_date:
        raise TierwiseError(f"The window starts ({start}) after it ends ({end_date}); the data runs to {as_of}.")
    if compare and start is None and grain is None:
        raise TierwiseError("compare needs a window (since/until) or a time grain to compare against.")
    sort_name, ascending = None, False
    if sort:
        text = str(sort).strip()
        ascending = text.startswith("-") is False and text.lower().endswith((":asc", " asc"))
        if text.startswith("-"):
            text, ascending = text[1:], False
        text = re.sub(r"[: ](asc|desc)$", "", text, flags=re.I)
        sort_name = model.metric(text).name
        if model.metrics[sort_name] not in chosen:
            chosen.append(model.metrics[sort_name])
    if limit is not None:
        limit = int(limit)
        if not 1 <= limit <= MAX_LIMIT:
            raise TierwiseError(f"limit must be between 1 and {MAX_LIMIT}; got {limit}.")
    return MetricQuery(metrics=chosen, by=dims, grain=grain,
                       filters=resolve_conditions(filters, model, values_of, what="filters"),
                       audience=resolve_conditions(audience, model, values_of, what="audience"),
                       start=start, end=end_date, as_of=as_of, compare=compare, sort=sort_name,
                       ascending=ascending, limit=limit, notes=notes, requested_end=requested_end,
                       rolling=bool(since not in (None, "") and RELATIVE.match(str(since).strip().lower().replace(" ", "_")
                                                                              .replace("-", "_"))))
