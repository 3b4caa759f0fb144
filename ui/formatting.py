"""One formatting layer for what the chat shows: every table, card and chart.

Column names become labels (ui/labels.json for the customer tables, the metric catalog for every
metric and dimension), values are shown in their unit (the shop's currency, % for ratios and
probabilities, thousands separators, months as "Aug 2024" / "2024年8月"), label values read as
words ("cannot_lose" -> "Can't lose" / "不能失去") and a Chinese answer gets Chinese captions and axes.
Only the view changes: downloads keep the data's own column names and raw values.
"""

from __future__ import annotations

import copy
import json
import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from assistant.planning_compose import persona_name, phrase, templates
from tools.results import Table
from tools.semantic.catalog import raw_catalog
from tools.semantic.compiler import BLANK_LABEL

LABELS_FILE = Path(__file__).with_name("labels.json")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
NUMERIC_UNITS = {"money", "ratio", "change", "count", "number", "score", "multiple", "days"}
# a sign before the amount; a word after it
CURRENCY_SIGNS = {"USD": "$", "EUR": "€", "GBP": "£", "CNY": "¥", "RMB": "¥", "JPY": "¥", "人民币": "¥", "KRW": "₩",
                  "INR": "₹", "$": "$", "€": "€", "£": "£", "¥": "¥", "￥": "¥", "₩": "₩", "₹": "₹"}
CURRENCY_WORDS = {"元", "円"}
ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ][\d:.]+)?$")
ZH_GROUPS = ("country", "channel", "category")  # values the Chinese templates name (美国, 网站, 电子产品)


@lru_cache(maxsize=1)
def labels_book() -> dict[str, Any]:
    return json.loads(LABELS_FILE.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def catalog_names() -> dict[str, dict[str, str]]:
    """The metric catalog's metrics and dimensions: name -> {en, zh, unit}."""
    raw = raw_catalog()
    names = {d["name"]: {"en": d["label_en"], "zh": d["label_zh"], "unit": "text"} for d in raw["dimensions"]}
    names.update({m["name"]: {"en": m["label_en"], "zh": m["label_zh"], "unit": m["unit"]} for m in raw["metrics"]})
    return names


@dataclass(frozen=True)
class Style:
    """How one answer is shown: its language, the shop's currency and what the result says of its columns."""
    language: str = "en"
    currency: str | None = None
    units: dict[str, str] = field(default_factory=dict)               # column -> unit (query_metrics facts)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)   # column -> {en, zh} (query_metrics facts)
    grain: str | None = None                                          # of period and cohort columns
    dimensions: tuple[str, ...] = ()                                  # grouping columns (query_metrics facts)

    @property
    def zh(self) -> bool:
        return self.language == "zh"

    def word(self, en: str, zh: str) -> str:
        return zh if self.zh else en


def humanize(name: str) -> str:
    """'payment_method' -> 'Payment method': never a raw snake_case name on screen."""
    text = str(name).replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else text


def column_info(name: str, style: Style) -> tuple[str, str]:
    """(label, unit) of a column or a row key, in the answer's language."""
    lang = "zh" if style.zh else "en"
    book = labels_book()["columns"]
    if name in style.labels:
        return style.labels[name].get(lang) or humanize(name), style.units.get(name) or _unit_of(name)
    if name in book:
        return book[name][lang], style.units.get(name) or book[name]["unit"]
    if name in catalog_names():
        entry = catalog_names()[name]
        return entry[lang], style.units.get(name) or entry["unit"]
    for suffix, en, zh in (("_previous", "{} (previous period)", "上期{}"), ("_change", "{} change", "{}变化")):
        base = name[: -len(suffix)] if name.endswith(suffix) else None
        if base and (base in style.labels or base in book or base in catalog_names()):
            label, unit = column_info(base, style)
            return (zh if style.zh else en).format(label), "change" if suffix == "_change" else unit
    if re.fullmatch(r"\+\d+", name):  # periods after the first purchase, in a cohort matrix
        return name, "ratio"
    return humanize(name), style.units.get(name) or "number"


def _unit_of(name: str) -> str:
    book = labels_book()["columns"]
    return book.get(name, catalog_names().get(name, {})).get("unit", "number")


def word_info(text: str, style: Style) -> tuple[str, str | None]:
    """A chart's axis title, legend title or trace name: its label and unit, if it is a known word or column."""
    key = str(text).strip()
    words = labels_book()["words"]
    lang = "zh" if style.zh else "en"
    if key.lower() in words and isinstance(words[key.lower()], dict):
        entry = words[key.lower()]
        return entry[lang], entry["unit"]
    for candidate in (key, key.replace(" ", "_")):
        if candidate in style.labels or candidate in labels_book()["columns"] or candidate in catalog_names():
            return column_info(candidate, style)
    for entry in catalog_names().values():  # a catalog label written out ("Revenue")
        if key.lower() in (entry["en"].lower(), entry["zh"]):
            return entry[lang], entry["unit"]
    return key, None


# --- values --------------------------------------------------------------------------------

def currency_parts(currency: str | None) -> tuple[str, str]:
    """(prefix, suffix) around an amount: '$', '€' before it; 'CHF ' before; '元' after."""
    if not currency:
        return "", ""
    code = currency.strip()
    if code.upper() in CURRENCY_SIGNS or code in CURRENCY_SIGNS:
        return CURRENCY_SIGNS.get(code.upper(), CURRENCY_SIGNS.get(code, code)), ""
    if code in CURRENCY_WORDS:
        return "", f" {code}"
    return f"{code} ", ""


def money_decimals(values: list[Any]) -> int:
    """Whole amounts once a column reaches thousands; cents below that."""
    numbers = [abs(float(v)) for v in values if _is_number(v)]
    return 0 if numbers and max(numbers) >= 1000 else 2


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(float(value)) \
        and not math.isinf(float(value))


def _percent(value: float, signed: bool = False) -> str:
    text = f"{abs(value) * 100:,.1f}"
    text = text[:-2] if text.endswith(".0") else text
    sign = "-" if value < 0 and text not in ("0", "0.0") else ("+" if signed and value > 0 else "")
    return f"{sign}{text}%"


def format_number(value: Any, unit: str, style: Style, *, decimals: int | None = None, label: str = "") -> str:
    """A number in its unit: money with the currency, ratios as %, counts with separators."""
    if not _is_number(value):
        return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
    v = float(value)
    if unit == "money":
        prefix, suffix = currency_parts(style.currency)
        places = decimals if decimals is not None else (0 if abs(v) >= 1000 else 2)
        if v == 0:
            places = 0  # nothing has no cents ('0.00' reads as a fraction)
        elif abs(v) < 10 ** -places:  # a sub-cent price keeps two digits: 0.002, not 0.00
            shown = f"{abs(v):.{1 - math.floor(math.log10(abs(v)))}f}".rstrip("0")
            return f"{'-' if v < 0 else ''}{prefix}{shown}{suffix}"
        return f"{'-' if v < 0 else ''}{prefix}{abs(v):,.{places}f}{suffix}"
    if unit == "ratio":
        return _percent(v)
    if unit == "change":
        return _percent(v, signed=True)
    if unit == "count":
        return f"{v:,.0f}" if abs(v) >= 10 or v == int(v) else f"{v:,.1f}"
    if unit == "days":
        shown = f"{v:,.0f}"
        if "day" in label.lower() or "天" in label:
            return shown
        return f"{shown} 天" if style.zh else f"{shown} day{'' if shown == '1' else 's'}"
    if unit == "score":
        return f"{v:.3f}"
    if unit == "multiple":
        return f"{v:,.2f}×"
    if unit == "id":
        return str(int(v)) if v == int(v) else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    return f"{v:,.2f}" if abs(v) >= 100 else f"{v:.4g}"


def parse_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    match = ISO_DATE.match(str(value).strip()) if value is not None else None
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def parse_period(value: Any) -> tuple[date, str] | None:
    """A period label the tools wrote ('Aug 2024', 'Q3 2024', 'week of 2024-01-08', '2024') as (start, grain)."""
    text = str(value).strip()
    if m := re.fullmatch(r"([A-Z][a-z]{2}) (\d{4})", text):
        if m.group(1) in MONTHS:
            return date(int(m.group(2)), MONTHS.index(m.group(1)) + 1, 1), "month"
    if m := re.fullmatch(r"Q([1-4]) (\d{4})", text):
        return date(int(m.group(2)), 3 * int(m.group(1)) - 2, 1), "quarter"
    if m := re.fullmatch(r"week of (\d{4}-\d{2}-\d{2})", text):
        day = parse_date(m.group(1))
        return (day, "week") if day else None
    if re.fullmatch(r"\d{4}", text):
        return date(int(text), 1, 1), "year"
    return None


def format_date(day: date, style: Style) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if style.zh else f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def format_period(start: date, grain: str | None, style: Style) -> str:
    """'Aug 2024' / '2024年8月' for a month; quarters, years and weeks alike; a day as a date."""
    if grain == "month":
        return f"{start.year}年{start.month}月" if style.zh else f"{MONTHS[start.month - 1]} {start.year}"
    if grain == "quarter":
        quarter = (start.month - 1) // 3 + 1
        return f"{start.year}年第{quarter}季度" if style.zh else f"Q{quarter} {start.year}"
    if grain == "year":
        return f"{start.year}年" if style.zh else str(start.year)
    if grain == "week":
        return f"{format_date(start, style)}当周" if style.zh else f"Week of {format_date(start, style)}"
    return format_date(start, style)


def column_grain(values: list[Any], style: Style) -> str | None:
    """The grain of a period column: the result's, else months when every date is a first of the month."""
    if style.grain:
        return style.grain
    days = [parse_date(v) for v in values if v is not None]
    if days and all(d is not None and d.day == 1 for d in days) and len(days) > 1:
        return "month"
    return None


def format_text(column: str, value: Any, style: Style) -> str:
    """A label value in words and in the answer's language; data the shop typed stays as typed."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return labels_book()["values"]["boolean"][str(value).lower()]["zh" if style.zh else "en"]
    text = str(value)
    if text == BLANK_LABEL:
        return templates("zh")["labels"]["blank"] if style.zh else text
    groups = labels_book()["values"]
    # a column of a group's values before or after a change (tier_before, segment_now) reads as the group
    base = re.sub(r"_(?:before|now)$", "", column)
    group = column if column in groups else (base if base in groups else None)
    if group and text in groups[group]:
        return groups[group][text]["zh" if style.zh else "en"]
    if not style.zh:
        return text
    if column == "persona":
        return persona_name("zh", text)
    if column in ("why", "reason", "value_basis", "churn_basis", "redeemers", "offer"):
        return phrase("zh", text)
    if column in ZH_GROUPS:
        return templates("zh")["labels"].get(column, {}).get(text, text)
    return text


def format_value(column: str, value: Any, style: Style, *, unit: str | None = None, decimals: int | None = None,
                 grain: str | None = None) -> str:
    """One value of a column (or of a row key) as the chat shows it."""
    label, known = column_info(column, style)
    unit = unit or known
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, bool):
        return format_text(column, value, style)
    if unit == "file":
        return Path(str(value)).name  # never a server path
    if not _is_number(value):
        day = parse_date(value)
        if day is not None:
            return format_period(day, grain, style) if unit == "period" and grain else format_date(day, style)
        parsed = parse_period(value)
        if parsed is not None and unit in ("period", "date"):
            return format_period(parsed[0], parsed[1], style)
        return format_text(column, value, style)
    return format_number(value, unit if unit in NUMERIC_UNITS or unit == "id" else "number", style,
                         decimals=decimals, label=label)


# --- tables --------------------------------------------------------------------------------

@dataclass
class Cell:
    text: str          # what the reader sees
    sort: Any          # what the column sorts by (the raw value)
    numeric: bool


@dataclass
class Column:
    name: str
    label: str
    unit: str
    numeric: bool


@dataclass
class DisplayTable:
    title: str
    columns: list[Column]
    rows: list[list[Cell]]
    shown: int
    total: int

    def caption(self, style: Style) -> str:
        if self.total == self.shown:
            return self.title
        more = f"（显示 {self.total:,} 行中的 {self.shown:,} 行）" if style.zh else \
            f" (showing {self.shown:,} of {self.total:,})"
        return f"{self.title}{more}"


def format_title(title: str, style: Style, *, chart: bool = False) -> str:
    """A table or chart title in the answer's language, with column names written as labels."""
    text = str(title or "").strip()
    if style.zh:
        extra = labels_book()["titles"].get(text)
        if extra:
            return extra
        if re.search(r"[\u4e00-\u9fff]", text):
            return text
        for part in (("charts", "titles") if chart else ("titles", "charts")):
            shown = phrase("zh", text, part)
            if shown != text:
                return shown
        composed = _zh_metric_title(style)
        return composed or text

    def label(match: re.Match) -> str:
        name = match.group(2)
        if "_" not in name and name not in ("clv",):
            return match.group(0)
        shown, _ = column_info(name, style)
        return f"{match.group(1)}{shown[:1].lower()}{shown[1:]}"

    text = re.sub(r"(\bby |\bper )([a-z][a-z0-9_]*)", label, text)
    text = re.sub(r"\b[a-z]+(?:_[a-z0-9]+)+\b", lambda m: column_info(m.group(0), style)[0].lower(), text)
    return text[:1].upper() + text[1:]


def _zh_metric_title(style: Style) -> str | None:
    """'Revenue by category' in Chinese, from what the result says it holds: 销售额（按品类）."""
    if not style.labels:
        return None
    metrics = "、".join(v.get("zh") or humanize(k) for k, v in list(style.labels.items())[:3])
    dims = "、".join(column_info(d, style)[0] for d in style.dimensions)
    grain = dict(raw_catalog()["time_grains"]).get(style.grain or "", [None, None])[1]
    return metrics + (f"（按{dims}）" if dims else "") + (f"，每{grain}" if grain else "")


def _sort_key(value: Any, unit: str, text: str) -> Any:
    """What a cell sorts by: a number by its raw value, a date or period by its ISO date ('Aug 2024' by
    2024-08-01), a label by the words shown."""
    if value is None:
        return ""
    if unit in ("period", "date") and isinstance(value, str):
        if parse_date(value) is not None:
            return value
        parsed = parse_period(value)
        return parsed[0].isoformat() if parsed else text
    return value if _is_number(value) else text


def format_table(table: Table, style: Style) -> DisplayTable:
    """A result table as the chat shows it: labelled columns, values in their unit, raw values to sort by."""
    names = list(table.columns)
    columns: list[Column] = []
    value_key = "value" in names and any(n in names for n in ("measure", "metric", "item"))
    key_index = next((names.index(n) for n in ("measure", "metric", "item") if n in names), None)
    for i, name in enumerate(names):
        label, unit = column_info(name, style)
        if unit in ("key", "keyed") and not value_key:
            unit = "text"
        values = [row[i] for row in table.rows]
        numeric = unit in NUMERIC_UNITS and any(_is_number(v) for v in values)
        if unit not in NUMERIC_UNITS and unit not in ("keyed",) and values and all(
                _is_number(v) for v in values if v is not None) and any(_is_number(v) for v in values) \
                and unit not in ("id", "date", "period"):
            unit, numeric = "number", True
        columns.append(Column(name, label, unit, numeric))
    decimals = {c.name: money_decimals([row[i] for row in table.rows])
                for i, c in enumerate(columns) if c.unit == "money"}
    grains = {c.name: column_grain([row[i] for row in table.rows], style)
              for i, c in enumerate(columns) if c.unit == "period"}
    rows = []
    for row in table.rows:
        cells = []
        for i, (column, value) in enumerate(zip(columns, row)):
            if value_key and column.name == "value" and key_index is not None:
                key = str(row[key_index])
                key_label, key_unit = column_info(key, style)
                text = format_value(key, value, style, unit=key_unit, grain=None)
                cells.append(Cell(text, _sort_key(value, key_unit, text), _is_number(value) and key_unit in NUMERIC_UNITS))
            elif column.unit == "key":
                shown = column_info(str(value), style)[0]
                cells.append(Cell(shown, shown, False))
            else:
                text = format_value(column.name, value, style, unit=column.unit, decimals=decimals.get(column.name),
                                    grain=grains.get(column.name))
                cells.append(Cell(text, _sort_key(value, column.unit, text), column.numeric))
        rows.append(cells)
    if value_key:  # a column of mixed measures: right-aligned where its numbers are
        index = names.index("value")
        columns[index].numeric = any(r[index].numeric for r in rows)
    total = table.total_rows if table.total_rows is not None else len(table.rows)
    return DisplayTable(format_title(table.title, style), columns, rows, len(table.rows), total)


# --- charts --------------------------------------------------------------------------------

def d3_format(unit: str | None, style: Style, *, small: bool = False) -> tuple[str, str, str]:
    """(tickformat, prefix, suffix) for an axis or a hover value in a unit."""
    if unit == "ratio":
        return ".1%" if small else ".0%", "", ""
    if unit == "change":
        return "+.1%", "", ""
    if unit == "money":
        prefix, suffix = currency_parts(style.currency)
        return (",.2f" if small else ",.0f"), prefix, suffix
    if unit in ("count", "days"):
        return ",.0f", "", ""
    return "", "", ""


def _axis_unit(axis: dict[str, Any], style: Style) -> tuple[str | None, str | None]:
    title = (axis.get("title") or {}).get("text")
    if not title:
        return None, None
    label, unit = word_info(title, style)
    return label, unit


def _category(value: Any, style: Style, groups: tuple[str, ...]) -> Any:
    """A bar's category or a trace's name in words: a label value of the charted grouping, a column, or as it is."""
    if not isinstance(value, str):
        return value
    book = labels_book()["values"]
    for group in groups:
        if group in book and value in book[group]:
            return book[group][value]["zh" if style.zh else "en"]
    if style.zh:
        if groups and groups[0] == "persona":
            return persona_name("zh", value)
        for group in ZH_GROUPS:
            shown = templates("zh")["labels"].get(group, {}).get(value)
            if shown:
                return shown
        if value == BLANK_LABEL:
            return templates("zh")["labels"]["blank"]
    label, unit = word_info(value, style)
    if unit is not None:
        return label
    day = parse_date(value)
    if day is not None:
        return format_period(day, style.grain, style) if style.grain else format_date(day, style)
    parsed = parse_period(value)
    if parsed is not None:
        return format_period(parsed[0], parsed[1], style)
    return value


def chart_groups(spec: dict[str, Any], style: Style, hint: str | None) -> tuple[str, ...]:
    """Which label group a chart's categories are: the result's grouping column, else the one the title names."""
    groups = [g for g in (hint, *style.dimensions) if g]
    title = str((spec.get("layout", {}).get("title") or {}).get("text") or "")
    named = re.search(r"\bby (\w+)", title)
    if named:
        groups.append(named.group(1))
    legend = str(((spec.get("layout", {}).get("legend") or {}).get("title") or {}).get("text") or "")
    if legend:
        groups.append(legend.replace(" ", "_"))
    return tuple(dict.fromkeys([*groups, "tier", "segment", "churn_risk"]))


def format_chart(spec: dict[str, Any] | None, style: Style, *, group: str | None = None,
                 value_unit: str | None = None) -> dict[str, Any] | None:
    """A chart spec with a translated title, labelled axes and legend, categories in words and values in
    their unit (ticks and hover). `group`: the column its categories come from; `value_unit`: of its values."""
    if not spec:
        return spec
    spec = copy.deepcopy(spec)
    layout = spec.setdefault("layout", {})
    groups = chart_groups(spec, style, group)
    if (layout.get("title") or {}).get("text"):
        layout["title"]["text"] = format_title(layout["title"]["text"], style, chart=True)
    units: dict[str, str | None] = {}
    for axis in ("xaxis", "yaxis"):
        if axis in layout:
            label, unit = _axis_unit(layout[axis], style)
            if label:
                layout[axis]["title"]["text"] = label
            units[axis] = unit
    legend_title = ((layout.get("legend") or {}).get("title") or {})
    if legend_title.get("text"):
        legend_title["text"] = word_info(legend_title["text"], style)[0]
    y_unit = value_unit or units.get("yaxis")
    for trace in spec.get("data", []):
        kind = trace.get("type", "scatter")
        if "name" in trace and trace["name"] is not None:
            trace["name"] = _category(str(trace["name"]), style, groups)
        if kind == "heatmap":
            trace["y"] = [_category(v, style, ()) for v in trace.get("y", [])]
            z_unit = word_info(((trace.get("colorbar") or {}).get("title") or {}).get("text") or "", style)[1] \
                or "ratio"
            bar_title = (trace.get("colorbar") or {}).get("title") or {}
            if bar_title.get("text"):
                bar_title["text"] = word_info(bar_title["text"], style)[0]
            fmt, prefix, suffix = d3_format(z_unit, style, small=True)
            trace.setdefault("colorbar", {})["tickformat"] = d3_format(z_unit, style)[0]
            trace["hovertemplate"] = f"%{{y}} · %{{x}}: {prefix}%{{z:{fmt}}}{suffix}<extra></extra>"
            continue
        if kind == "bar" or trace.get("mode", "").startswith("lines"):
            trace["x"] = [_category(v, style, groups) for v in trace.get("x", [])]
        if kind in ("bar", "scatter", "scattergl") and y_unit and "hovertemplate" not in trace:
            small = y_unit != "money" or money_decimals(list(trace.get("y") or [])) == 2
            fmt, prefix, suffix = d3_format(y_unit, style, small=small)
            name = "%{fullData.name} · " if len(spec.get("data", [])) > 1 else ""
            trace["hovertemplate"] = f"{name}%{{x}}: {prefix}%{{y:{fmt}}}{suffix}<extra></extra>"
    for axis, unit in (("yaxis", y_unit), ("xaxis", units.get("xaxis"))):
        fmt, prefix, suffix = d3_format(unit, style)
        if fmt:
            layout.setdefault(axis, {}).update({"tickformat": fmt, "tickprefix": prefix, "ticksuffix": suffix})
    layout["separators"] = ".,"
    return spec


# --- one record ----------------------------------------------------------------------------

def style_for(facts: dict[str, Any] | None, args: dict[str, Any] | None, *, language: str,
              currency: str | None) -> Style:
    """The style of one tool result: its language and currency, and what its facts say of units and grain."""
    facts, args = facts or {}, args or {}
    units = dict(facts.get("units") or {})
    labels = {k: dict(v) for k, v in (facts.get("labels") or {}).items() if isinstance(v, dict)}
    metric = facts.get("metric")
    if isinstance(metric, str):  # kpi_trend: one metric over periods
        _, unit = column_info(metric, Style(language=language))
        units.setdefault(metric, unit)
    grain = facts.get("grain") or (facts.get("period") if isinstance(facts.get("period"), str) else None) \
        or (args.get("period") if isinstance(args.get("period"), str) else None)
    dims = tuple(d for d in (facts.get("by") or []) if isinstance(d, str)) if isinstance(facts.get("by"), list) else \
        ((facts["by"],) if isinstance(facts.get("by"), str) else ())
    return Style(language="zh" if language == "zh" else "en", currency=currency or facts.get("currency"),
                 units=units, labels=labels, grain=grain if grain in ("day", "week", "month", "quarter", "year") else None,
                 dimensions=dims)
