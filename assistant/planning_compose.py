"""Answers of the offline planner, written from tool results with the templates in
prompts/answers/{en,zh}.json. Values from the dataset are only ever inserted as text; names and
emails (result.pii) never enter the answer.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import prompts
from assistant.answer import ToolCallRecord
from tools.audience import DESCRIBE, RANKED_AMOUNTS, describe_values
from tools import countries
from tools.results import Table, ToolResult, count, money
from tools.semantic.compiler import BLANK_LABEL

ANSWERS_DIR = Path(prompts.__file__).resolve().parent / "answers"


@lru_cache(maxsize=2)
def templates(language: str) -> dict[str, Any]:
    return json.loads((ANSWERS_DIR / f"{'zh' if language == 'zh' else 'en'}.json").read_text(encoding="utf-8"))


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "?"


def fill(template: str, **values: Any) -> str:
    return template.format_map(_Blank({k: ("?" if v is None else v) for k, v in values.items()}))


_SLOTS = {"d": r"\d[\d,]* days?", "n": r"-?\d[\d,.]*", "m": r"[-\d,.]+", "p": r".+", "s": r"[\w ]+", "b": r"\w+",
          "k": r"[a-z ]+?", "q": r"day|week|month|quarter", "t": r".+", "c": r".+?", "f": r"[\w /-]+?"}
# slots whose value is a key of a label group (segment 'at risk' -> label of 'at_risk')
_SLOT_LABELS = {"s": "segment", "b": "by", "k": "metric", "q": "period"}


@lru_cache(maxsize=None)  # one compiled list per part of the phrasebook (sentences, titles, charts)
def _phrasebook(part: str = "sentences") -> list[tuple[re.Pattern, str]]:
    """zh.json's sentence (or table title) pairs as (pattern over the English text, Chinese template)."""
    out = []
    for english, chinese in templates("zh")["phrases"][part]:
        parts = re.split(r"\{(\w+)\}", english)
        pattern = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>{_SLOTS[part[0]]})"
                          for i, part in enumerate(parts))
        out.append((re.compile(pattern + r"\.?"), chinese))
    return out


def phrase(language: str, text: Any, part: str = "sentences") -> str:
    """A sentence a model wrote in English (a churn or recommendation reason, an error, a table title),
    in the answer's language; unknown sentences stay as they are."""
    text = str(text)
    if language != "zh":
        return text
    book = templates("zh")["phrases"]
    for pattern, chinese in _phrasebook(part):
        match = pattern.fullmatch(text.strip())
        if not match:
            continue
        values = {}
        for key, value in match.groupdict().items():
            kind = key[0]
            if kind == "d":
                value = book["day"].format(n=value.split()[0])
            elif kind in _SLOT_LABELS:
                value = label("zh", _SLOT_LABELS[kind], value.strip().replace(" ", "_"))
            elif kind == "t":
                value = phrase("zh", value, "titles")
            elif kind == "c":  # a country, by its Chinese name (France -> 法国)
                country = countries.lookup(value)
                value = country.zh[0] if country and country.zh else value
            elif kind == "f":  # a column's label (billing country -> 国家)
                value = _zh_field(value.strip().replace(" ", "_"))
            values[key] = value
        return chinese.format(**values)
    return text


def persona_name(language: str, name: Any) -> str:
    """'Slow-cycle lapsed customers' -> '回购周期长、已沉寂的客户' (the persona model names clusters by two traits, more
    when two clusters would share a name)."""
    if language != "zh" or not name:
        return "?" if not name else str(name)
    book = templates("zh")["phrases"]
    words = book["persona_words"]
    match = re.fullmatch(r"(.+?) customers( \(\d+\))?", str(name).strip(), flags=re.IGNORECASE)
    if not match:
        return str(name)
    traits, suffix = match.group(1).lower(), match.group(2) or ""
    found, rest = [], traits
    known = sorted(words, key=len, reverse=True)  # 'recently active' is one trait
    while rest:
        word = next((w for w in known if rest == w or rest.startswith(w + " ")), None)
        if word is None:
            return str(name)
        found.append(words[word])
        rest = rest[len(word):].lstrip()
    if len(found) < 2:
        return str(name)
    return book["persona"].format(a=found[0], b="、".join(found[1:])) + suffix.strip()


LOCALIZED_VALUES = {"tier": "tier", "segment": "segment", "churn_risk": "risk", "country": "country",
                    "channel": "channel", "category": "category"}


def localize_table(table: Table, language: str) -> Table:
    """A result table as a reader of the answer's language sees it: headers, labels (tier, segment,
    risk, persona), reasons and the title translated; ids, products and numbers as they are."""
    if language != "zh":
        return table
    names = templates("zh")["phrases"]["columns"]

    def cell(column: str, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if value == BLANK_LABEL:
            return templates("zh")["labels"]["blank"]
        if column in LOCALIZED_VALUES:
            return label("zh", LOCALIZED_VALUES[column], value)
        if column == "persona":
            return persona_name("zh", value)
        if column == "reason":
            return phrase("zh", value)
        return value

    rows = [[cell(c, v) for c, v in zip(table.columns, row)] for row in table.rows]
    return table.model_copy(update={"title": phrase("zh", table.title, "titles"),
                                    "columns": [names.get(c, c) for c in table.columns], "rows": rows})


def _chart_word(text: Any, groups: tuple[str, ...]) -> Any:
    """An axis title, legend entry or category in Chinese: chart words, then column names, then the labels
    of the given groups (tier, risk, channel, ...); anything else (products, ids, dates) as it is."""
    if not isinstance(text, str):
        return text
    book = templates("zh")["phrases"]
    key = text.strip()
    if key in book["chart_words"]:
        return book["chart_words"][key]
    if key.replace(" ", "_") in book["columns"]:
        return book["columns"][key.replace(" ", "_")]
    labels = templates("zh")["labels"]
    for group in groups:
        if key in labels.get(group, {}):
            return labels[group][key]
    return text


def localize_chart(spec: dict[str, Any] | None, language: str) -> dict[str, Any] | None:
    """A chart spec (tools/charts.py) with its title, axis titles, legend and categories in the answer's language."""
    if language != "zh" or not spec:
        return spec
    import copy

    spec = copy.deepcopy(spec)
    layout = spec.get("layout", {})
    legend = (layout.get("legend") or {}).get("title", {}).get("text")
    # what the categories are: the legend's or the title's grouping ("... by churn_risk"), then the usual ones
    named = re.search(r"\bby (\w+)", layout.get("title", {}).get("text") or "")
    first = "churn_risk" if legend == "churn risk" else (named.group(1) if named else "")
    groups = ({"churn_risk": "risk"}.get(first, first), "tier", "segment", "channel", "country", "category", "metric")
    if layout.get("title", {}).get("text"):
        layout["title"]["text"] = phrase("zh", layout["title"]["text"], "charts")
    for axis in ("xaxis", "yaxis"):
        title = layout.get(axis, {}).get("title", {})
        if title.get("text"):
            title["text"] = _chart_word(title["text"], ("metric",))
    if legend:
        layout["legend"]["title"]["text"] = _chart_word(legend, ())
    for trace in spec.get("data", []):
        if "name" in trace:
            trace["name"] = _chart_word(trace["name"], groups)
        if trace.get("type") == "bar":
            trace["x"] = [_chart_word(x, groups) for x in trace.get("x", [])]
        bar_title = trace.get("colorbar", {}).get("title", {})
        if bar_title.get("text"):
            bar_title["text"] = _chart_word(bar_title["text"], ())
    return spec


def help_text(language: str, *, out_of_scope: bool = False) -> str:
    return templates(language)["out_of_scope" if out_of_scope else "help"]


def refusal_text(language: str, kind: str) -> str:
    return templates(language)["refuse"][kind]


def compose_answer(language: str, records: list[ToolCallRecord], reply: str | None = None, *,
                   focus: list[tuple[str, str, Any]] | None = None) -> str:
    parts = [reply] if reply else []
    for record in records:
        parts.append(compose_record(language, record, focus=focus))
    return "\n\n".join(p for p in parts if p) or help_text(language)


def compose_record(language: str, record: ToolCallRecord, *, focus: list[tuple[str, str, Any]] | None = None) -> str:
    t = templates(language)
    if record.status == "denied":
        return _denied(language, record)
    if record.status != "ok" or record.result is None:
        return fill(t["error"], error=phrase(language, record.error or "the tool returned nothing."))
    writer = WRITERS.get(record.name)
    try:
        text = writer(language, record, record.result) if writer else None
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        text = None  # a result shaped unlike we expect still gets an answer: the tool's own summary
    text = text or record.result.summary
    lead = _focus_lead(language, record, focus) if focus and record.name == "query_metrics" else None
    return f"{lead} {text}" if lead else text


def _focus_lead(lang: str, record: ToolCallRecord, focus: list[tuple[str, str, Any]]) -> str | None:
    """The asked group's value first when a breakdown was asked for one group ('Kids: 18.2% of revenue'); its row is
    moved to the top of the result's rows and table too."""
    f = record.result.facts if record.result else {}
    rows, by, names = f.get("rows") or [], f.get("by") or [], f.get("metrics") or []
    field, _, wanted = focus[0]
    if not names or field not in by or f.get("grain"):
        return None
    row = next((row for row in rows if str(row.get(field)).lower() == str(wanted).lower()), None)
    if row is None:
        return None
    # the asked group's row leads the result as it leads the answer: the facts' headline row and the table's first
    rows.insert(0, rows.pop(rows.index(row)))
    for table in record.result.tables if field in by[:1] else ():
        if field in table.columns:
            i = table.columns.index(field)
            hit = next((r for r in table.rows if str(r[i]) == str(row.get(field))), None)
            if hit is not None:
                table.rows.insert(0, table.rows.pop(table.rows.index(hit)))
    first = names[0]
    label = ((f.get("labels") or {}).get(first) or {}).get(lang) or first
    value = _metric_value(row.get(first), (f.get("units") or {}).get(first), f.get("currency"), lang)
    group = _zh_value(row.get(field)) if lang == "zh" else str(row.get(field))
    dim = _zh_field(field) if lang == "zh" else field.replace("_", " ")
    tools = templates(lang)["tools"]
    template = tools.get(f"query_metrics.focus.{first}", tools["query_metrics.focus"])
    return fill(template, metric=label, group=group, dim=dim, value=value)


def _denied(language: str, record: ToolCallRecord) -> str:
    if language != "zh":
        return record.error or "Sorry, your account may not do that."
    t = templates("zh")
    m = re.search(r"your (\w+) account", record.error or "")
    role = m.group(1) if m else ""
    if role not in t["roles"]:
        return fill(t["error"], error=phrase(language, record.error))
    tool = ZH_TOOL_NAMES.get(record.name, record.name)
    return fill(t["denied"], role=t["roles"][role], tool=tool, why=t["why"].get(role, ""))


ZH_TOOL_NAMES = {"dataset_overview": "数据概况", "find_customers": "客户筛选", "segment_summary": "分组汇总",
                 "customer_lookup": "客户查询", "kpi_trend": "指标趋势", "cohort_retention": "同期群留存",
                 "clv_forecast": "价值预测", "recommend_products": "商品推荐", "draft_campaign": "营销文案",
                 "campaign_forecast": "活动回报测算", "ab_test": "A/B 测试", "export_audience": "导出名单",
                 "explain_model": "模型说明", "what_changed": "变化报告"}


# ------------------------------------------------------------------ formatting helpers
def pct(value: Any, digits: int = 1) -> str:
    try:
        return f"{float(value):.{digits}%}"
    except (TypeError, ValueError):
        return "?"


def label(language: str, group: str, value: Any) -> str:
    if value is None:
        return "?"
    if language == "zh":
        return templates("zh")["labels"].get(group, {}).get(str(value), str(value).replace("_", " "))
    labels = templates("en")["labels"].get(group, {})
    return labels.get(str(value), str(value).replace("_", " "))


def who(language: str, audience: dict[str, Any] | None) -> str:
    """The audience in words; dataset values are quoted as they are."""
    audience = audience or {}
    strict = bool(audience.get("min_total_spend_exclusive"))  # "spent more than 500": > 500, not ≥
    if language != "zh":
        return describe_values(audience)
    labels = templates("zh")["labels"]
    parts = []
    for key, value in audience.items():
        if key == "min_total_spend_exclusive":
            continue  # the strictness of min_total_spend, said with it
        pattern = labels["filters"].get("min_total_spend_over" if strict and key == "min_total_spend" else key)
        if pattern is None:
            continue
        if key == "tier":
            shown = label("zh", "tier", value)
        elif key == "segment":
            shown = label("zh", "segment", value)
        elif key == "churn_risk" and value == "lapsed":
            pattern, shown = "{}", label("zh", "risk", value)  # 已流失, not 流失风险已流失
        elif key == "churn_risk":
            shown = label("zh", "risk", value)
        elif key in ("country", "channel", "category"):
            shown = label("zh", key, value)
        elif key == "min_churn_probability":
            shown = pct(value, 0)
        elif key in ("min_clv", "max_clv", "min_total_spend"):
            shown = money(value)
        else:
            shown = str(value)
        parts.append(pattern.format(shown))
    return "，".join(parts) if parts else labels["all_customers"]


def _table_ids(result: ToolResult, limit: int = 5) -> str:
    """The first customers of a list; ranked by an amount, each with it ("a (4,593), b (3,980)")."""
    if not result.tables:
        return "?"
    table = result.tables[0]
    if "customer_id" not in table.columns:
        return "?"
    i = table.columns.index("customer_id")
    column = RANKED_AMOUNTS.get(str(result.facts.get("sorted_by")))
    j = table.columns.index(column) if column in table.columns else None
    shown = money if column in ("total_spend", "clv_12m", "value_at_risk") else count
    ids = [f"{row[i]} ({shown(row[j])})" if j is not None and row[j] is not None else str(row[i])
           for row in table.rows[:limit]]
    return ", ".join(ids) if ids else "?"


def day(value: Any) -> str:
    """2025-08-08 from a date, a datetime or their ISO text."""
    if value is None:
        return "—"
    text = str(value)
    return text[:10] if re.match(r"^\d{4}-\d{2}-\d{2}", text) else text


def _list(items: list[Any], language: str, limit: int = 5) -> str:
    items = [str(i) for i in items[:limit]]
    return ("、" if language == "zh" else ", ").join(items) if items else "—"


# ------------------------------------------------------------------ per tool
def _overview(lang: str, record: ToolCallRecord, r: ToolResult) -> str:
    t, f = templates(lang)["tools"], r.facts
    ready = f.get("models_ready") or []
    missing = f.get("models_missing") or {}
    names = (lambda m: label("zh", "model", m)) if lang == "zh" else (lambda m: m)
    models = fill(t["dataset_overview.models_ready"], ready=_list([names(m) for m in ready], lang, 10)) if ready \
        else t["dataset_overview.models_none"]
    if missing:
        models += fill(t["dataset_overview.models_missing"], missing=_list([names(m) for m in missing], lang, 10))
    revenue = money(f["revenue"])
    if f.get("anonymous_lines"):  # sales with no customer (walk-ins) are in the orders and revenue, not the customers
        n = count(f["anonymous_lines"])
        revenue += f"（含匿名销售 {n} 行）" if lang == "zh" else f" (incl. {n} anonymous sales lines)"
    return fill(t["dataset_overview"], customers=count(f["customers"]), orders=count(f["orders"]),
                revenue=revenue, first_order=day(f.get("first_order")), last_order=day(f.get("last_order")),
                as_of=day(f.get("as_of")), models=models)


def _find(lang: str, record: ToolCallRecord, r: ToolResult) -> str:
    t, f = templates(lang)["tools"], r.facts
    if not f.get("customers"):
        return fill(t["find_customers.none"], who=who(lang, r.audience))
    sorted_by = f.get("sorted_by")
    sorted_label = label(lang, "sort", sorted_by) if lang == "zh" else str(sorted_by).replace("_", " ")
    text = fill(t["find_customers"], n=count(f["customers"]), who=who(lang, r.audience), value=money(f.get("value_12m")),
                at_risk=money(f.get("revenue_at_risk")), spent=money(f.get("total_spend")),
                avg_churn=pct(f.get("avg_churn_probability"), 0), avg_days=f"{float(f.get('avg_days_since_last_order') or 0):.0f}",
                sorted=sorted_label, top_ids=_table_ids(r))
    if f.get("top_customer") and not r.audience and record.args.get("sort_by"):
        # everyone ranked by an amount asked for ("who is our biggest spender"): the first one leads the answer
        shown = count if sorted_by == "orders" else money
        text = fill(t["find_customers.top"], sorted=sorted_label, id=f["top_customer"], value=shown(f["top_value"])) \
            + " " + text
    return text


def _summary(lang: str, record: ToolCallRecord, r: ToolResult) -> str:
    t, f = templates(lang)["tools"], r.facts
    if not f.get("rows"):
        return fill(t["segment_summary.none"], who=who(lang, r.audience))
    by = f["by"]
    rows = f["rows"]

    def name(value: Any) -> str:
        if lang == "zh" and by in ("tier", "segment", "country", "channel", "category"):
            return label("zh", "risk" if by == "churn_risk" else by, value)
        if lang == "zh" and by == "churn_risk":
            return label("zh", "risk", value)
        if by == "persona":
            return persona_name(lang, value)
        return str(value).replace("_", " ") if by in ("segment",) else str(value)

    shown = [fill(t["segment_summary.row"], name=name(row.get(by)), customers=count(row.get("customers")),
                  share=pct(row.get("share"), 0), value=money(row.get("value_12m")), at_risk=money(row.get("revenue_at_risk")))
             for row in rows[:5]]
    sep = "；" if lang == "zh" else "; "
    return fill(t["segment_summary"], groups=f.get("groups", len(rows)), by=label(lang, "by", by),
                n=count(sum(int(row.get("customers") or 0) for row in rows)), who=who(lang, r.audience),
                rows=sep.join(shown) + (sep + "…" if len(rows) > 5 else ""),
                at_risk=money(sum(float(row.get("revenue_at_risk") or 0) for row in rows)))


def _action_zh(action: str | None) -> str:
    if not action:
        return "?"
    for key, text in templates("zh")["labels"]["actions"]:
        if key in action:
            return text
    return action


def _lookup(lang: str, record: ToolCallRecord, r: ToolResult) -> str:
    t, f = templates(lang)["tools"], r.facts
    if "candidates" in f:
        return fill(t["customer_lookup.candidates"], n=len(f["candidates"]), ids=_list(f["candidates"], lang, 6))
    reasons = [phrase(lang, r) for r in f.get("churn_reasons") or []]
    reason_text = fill(t["customer_lookup.reasons"], reasons=_list(reasons, lang, 3)) if reasons else ""
    zh = lang == "zh"
    return fill(t["customer_lookup"], customer_id=f.get("customer_id"),
                tier=label(lang, "tier", f.get("tier")) if zh else f.get("tier"),
                segment=label(lang, "segment", f.get("segment")),
                persona=persona_name(lang, f.get("persona")), churn_risk=label(lang, "risk", f.get("churn_risk")) if zh else f.get("churn_risk"),
                churn_pct=pct(f.get("churn_probability"), 0), reasons=reason_text, orders=f.get("orders"),
                spent=money(f.get("total_spend")), last_order=day(f.get("last_order_date")), days=f.get("days_since_last_order"),
                clv=money(f.get("clv_12m")), next_order=day(f.get("next_order_date")),
                recs=_list(f.get("recommendations") or [], lang, 3),
                action=_action_zh(f.get("next_best_action")) if zh else f.get("next_best_action"))


def _trend(lang: str, record: ToolCallRecord, r: ToolResult) -> str:
    t, f = templates(lang)["tools"], r.facts
    if not r.tables or not r.tables[0].rows:
        return fill(t["kpi_trend.none"], who=who(lang, r.audience))
    metric, period, by = f.get("metric", "revenue"), f.get("period", "month"), f.get("by")
    table = r.tables[0]
    rows = table.rows
    periods = sorted({str(row[0]) for row in rows})
    fmt = (lambda v: pct(v)) if metric == "repeat_rate" else (lambda v: money(v) if metric in ("revenue", "aov") else count(v))
    last_rows = [row for row in rows if str(row[0]) == periods[-1]]
    period_label = label(lang, "period", period) if lang == "zh" else period
    partial = ""
    if "partial" in r.summary:
        as_of = re.search(r"data to (\d{4}-\d{2}-\d{2})", r.summary)
        partial = fill(t["kpi_trend.partial"], period=period, period_unit=period_label, as_of=as_of.group(1) if as_of else "?")
    common = dict(metric=label(lang, "metric", metric), period=period_label if lang == "zh" else period, period_unit=period_label,
                  first=periods[0], last=periods[-1], who=who(lang, r.audience), partial=partial)
    if by:
        sep = "，" if lang == "zh" else ", "
        group = (lambda g: label("zh", by, g)) if lang == "zh" else str
        latest = sep.join(f"{group(row[1])}: {fmt(row[2])}" for row in last_rows)
        return fill(t["kpi_trend.by"], by=label(lang, "by", by), latest=latest, **common)
    row = last_rows[0]
    change = row[2] if len(row) == 2 else row[-1]
    value = row[1]
    change_text = fill(t["kpi_trend.change"], change=f"{float(change):+.1%}", period=period, period_unit=period_label) \
        if isinstance(change, (int, float)) else ""
    return fill(t["kpi_trend"], latest=fmt(value), change=change_text, **common)


def _cohort(lang: str, record: ToolCallRecord, r: ToolResult) -> str:
    t, f = templates(lang)["tools"], r.facts
    if not f.get("cohorts"):
        return fill(t["cohort_retention.none"], who=who(lang, r.audience))
    period = f.get("period", "month")
    period_label = label(lang, "period", period) if lang == "zh" else period
    return fill(t["cohort_retention"], cohorts=f["cohorts"], period=period_label, period_unit=period_label,
                who=who(lang, r.audience), avg_next=pct(f.get("avg_next_period")))


def _clv(lang: str, record: ToolCallRecord, r: ToolResult) -> str:
    t, f = templates(lang)["tools"], r.facts
    if not f.get("customers"):
        return fill(t["clv_forecast.none"], who=who(lang, r.audience))
    sep = "；" if lang == "zh" else "; "
    tiers = sep.join(f"{label(lang, 'tier', row.get('tier')) if lang == 'zh' else row.get('tier')}: {money(row.get('expected_revenue'))}"
                     for row in f.get("by_tier") or [])
    return fill(t["clv_forecast"], horizon=f.get("horizon_days"), n=count(f["customers"]), who=who(lang, r.audience),
                orders=f"{float(f.get('expected_orders') or 0):,.0f}", revenue=money(f.get("expected_revenue")),
                by_tier=tiers or "—")


def _recommend(lang: str, record: ToolCallRecord, r: ToolResult) -> str:
    t, f = templates(lang)["tools"], r.facts
    products = f.get("products") or []
    if not products:
        return t["recommend_products.empty"] if f else r.summary
    if f.get("customer_id"):
        reasons = {}
        if r.tables and "reason" in r.tables[0].columns:
            cols = r.tables[0].columns
            reasons = {row[cols.index("product")]: row[cols.index("reason")] for row in r.tables[0].rows}
        shown = [(f"{p}（{phrase(lang, reasons[p])}）" if lang == "zh" else f"{p} ({reasons[p]})") if p in reasons
                 else str(p) for p in products]
        return fill(t["recommend_products.customer"], customer_id=f["customer_id"], products=_list(shown, lang, 10))
    return fill(t["recommend_products.audience"], n=count(f.get("customers")), who=who(lang, r.audience),
                products=_list(products, lang, 10))


def _draft(lang: str, record: ToolCallRecord, r: ToolResult) -> str:
    t = templates(lang)["tools"]
    variants = r.variants or []
    if not variants:
        return r.summary
    texts = []
    for i, v in enumerate(variants, 1):
        if "text" in v and "body" not in v:
            texts.append(fill(t["draft_campaign.text"], i=i, text=v.get("text")))
        else:
            texts.append(fill(t["draft_campaign.email"], i=i, subject=v.get("subject"), preheader=v.get("preheader") or "—",
                              body=v.get("body"), cta=v.get("cta")))
    failed = [k.replace("_", " ") for k, v in (r.checks or {}).items() if v is False]
    checks = fill(t["draft_campaign.checks"], checks=_list(failed, lang, 10)) if failed else ""
    if not r.facts.get("brand"):
        checks += t["draft_campaign.no_brand"]
    args = record.args
    channel = args.get("channel") or ("sms" if any("text" in v and "body" not in v for v in variants) else "email")
    goal = args.get("goal") or r.facts.get("goal")
    audience = {k: v for k, v in (r.audience or args).items()
                if k in DESCRIBE and not (k == "channel" and v in ("email", "sms", "push"))}
    return fill(t["draft_campaign"], channel=label(lang, "channel", channel) if lang == "zh" else channel,
                who=who(lang, audience), goal=label(lang, "goal", goal) if goal else "—",
                language=label(lang, "language", args.get("language") or r.facts.get("language") or lang),
                variants="\n\n".join(texts), checks=checks)


def _roi(lang: str, record: ToolCallRecord, r: ToolResult) -> str:
    t, f = templates(lang)["tools"], r.facts
    if "cost" not in f or "band" not in f:
        return r.summary
    a, offer, band, hold = f.get("assumptions") or {}, f.get("offer") or {}, f["band"], f.get("holdout") or {}
    currency = f.get("currency")

    def cash(value: Any) -> str:
        return f"{currency} {money(value)}" if currency else money(value)

    def rate(value: Any) -> str:
        return "—" if value is None else pct(value, 0)

    kind = offer.get("kind") or "none"
    shipping = offer.get("shipping") or {}
    # a free shipping cost the shop never set says where it came from: the data's shipping amounts or an assumption
    shipping_note = (fill(t[f"campaign_forecast.shipping.{shipping['source']}"], column=shipping.get("column"),
                          share=pct(shipping.get("share"), 0))
                     if shipping.get("source") in ("data", "assumed") else "")
    shown = fill(t[f"campaign_forecast.offer.{kind}"], percent=f"{float(offer.get('percent') or 0):g}%",
                 aov=cash(f.get("average_order_value")), per=cash(offer.get("cost_per_redeemer")), shipping_note=shipping_note)
    parts = (fill(t["campaign_forecast.cost_parts"], offer_cost=cash(f.get("offer_cost")), redeemers=count(round(f.get("redeemers") or 0)),
                  send_cost=cash(f.get("send_cost"))) if kind != "none"
             else fill(t["campaign_forecast.cost_send"], send_cost=cash(f.get("send_cost"))))
    even = f.get("break_even_save_rate")
    break_even = (fill(t["campaign_forecast.break_even"], rate=pct(max(even, 0.001), 1)) if even is not None
                  else t["campaign_forecast.never"])
    holdout = ""
    if hold.get("per_group"):
        holdout = fill(t["campaign_forecast.holdout" if hold.get("measurable") else "campaign_forecast.holdout_small"],
                       need=count(hold["per_group"]), n=count(f.get("customers")), horizon=a.get("horizon_days"),
                       baseline=pct(hold.get("baseline_order_rate"), 1), treated=pct(hold.get("treated_order_rate"), 1))
    channel = a.get("message_channel") or "email"
    text = fill(t["campaign_forecast"], offer=shown, n=count(f.get("customers")), who=who(lang, r.audience),
                channel=label(lang, "channel", channel) if lang == "zh" else {"sms": "SMS"}.get(channel, channel),
                save_rate=pct(a.get("save_rate"), 0), horizon=a.get("horizon_days"), saved=cash(f.get("expected_saved_revenue")),
                saved_margin=cash(f.get("expected_saved_margin")), margin=pct(a.get("margin"), 0),
                margin_note=t["campaign_forecast.margin_default"] if f.get("margin_is_default") else "",
                cost=cash(f.get("cost")), cost_parts=parts, net=cash(f.get("net")), roi=rate(f.get("roi")),
                verdict=t["campaign_forecast.pays"] if (f.get("net") or 0) > 0 else t["campaign_forecast.loses"],
                low_rate=pct(band["low"]["save_rate"], 0), high_rate=pct(band["high"]["save_rate"], 0),
                low_roi=rate(band["low"]["roi"]), high_roi=rate(band["high"]["roi"]), break_even=break_even,
                holdout=holdout + (t["campaign_forecast.name_offer"] if kind == "none" else ""))
    return text.replace(" ,", ",").replace(" \n", "\n")


def _ab(lang: str, record: ToolCallRecord, r: ToolResult) -> str:
    t, f = templates(lang)["tools"], r.facts
    lo, hi = (f.get("ci_absolute") or [None, None])[:2]
    need = f.get("sample_size_per_variant")
    alpha = float(f.get("alpha") or 0.05)
    return fill(t["ab_test"], rate_a=pct(f.get("rate_a"), 2), rate_b=pct(f.get("rate_b"), 2),
                lift=f"{f['relative_lift']:+.1%}" if f.get("relative_lift") is not None else "n/a",
                confidence=pct(1 - alpha, 0), lo=f"{lo:+.2%}" if lo is not None else "?", hi=f"{hi:+.2%}" if hi is not None else "?",
                p=f"{float(f.get('p_value')):.4f}" if f.get("p_value") is not None else "?",
                verdict=label(lang, "verdict", f.get("verdict")),
                sample=fill(t["ab_test.sample"], need=f"{int(need):,}") if need else "")


def _export(lang: str, record: ToolCallRecord, r: ToolResult) -> str:
    t, f = templates(lang)["tools"], r.facts
    if "exported" not in f:
        return r.summary
    if f.get("consent_data") is False:
        consent = t["export_audience.no_consent_data"]
    else:
        consent = (fill(t["export_audience.said_no"], excluded=count(f.get("excluded_no_consent")))
                   if f.get("excluded_no_consent") else "")
        consent += fill(t["export_audience.unknown"], unknown=count(f["consent_unknown"])) if f.get("consent_unknown") else ""
    return fill(t["export_audience"], exported=count(f["exported"]), who=who(lang, r.audience), file=f.get("file"),
                consent=consent)


def _explain(lang: str, record: ToolCallRecord, r: ToolResult) -> str:
    if lang != "zh":
        return r.summary
    f = r.facts
    model, card = f.get("model"), f.get("card") or {}
    name = label("zh", "model", model)
    if model == "churn":
        base = card.get("baselines") or {}
        best = max((b.get("auc") or 0 for b in base.values() if isinstance(b, dict)), default=0)
        return (f"{name}：流失定义为未来 {card.get('horizon_days')} 天内没有下单。在留出的客户上，模型的 ROC-AUC 为 "
                f"{float(card.get('auc') or 0):.3f}（最佳基线 {best:.3f}），Brier 分数 {float(card.get('brier') or 0):.3f}，"
                f"前 10% 客户的提升度为 {float(card.get('top_decile_lift') or 0):.2f} 倍。")
    if model == "clv":
        bg, gg = card.get("bgnbd") or {}, card.get("gamma_gamma") or {}
        return (f"{name}：用 BG/NBD 模型预测购买次数、Gamma-Gamma 模型预测客单价。参数 r={float(bg.get('r') or 0):.4f}，"
                f"alpha={float(bg.get('alpha') or 0):.4f}，a={float(bg.get('a') or 0):.4f}，b={float(bg.get('b') or 0):.4f}；"
                f"p={float(gg.get('p') or 0):.3f}，q={float(gg.get('q') or 0):.3f}，gamma={float(gg.get('gamma') or 0):.3f}。"
                f"未来 12 个月预期营收：{money(card.get('total_expected_revenue_12m'))}。")
    if model == "tiers":
        sizes = card.get("sizes") or {}
        total = sum(int(v or 0) for v in sizes.values()) or 1
        text = (f"{name}：按预测的未来 12 个月价值给客户排序，分为高、中、低三层。各层人数："
                + "，".join(f"{label('zh', 'tier', t)} {count(sizes[t])}（{pct(int(sizes[t] or 0) / total, 0)}）"
                           for t in ("high", "mid", "low") if t in sizes) + "。")
        clf = card.get("young_customer_classifier") or {}
        if clf.get("accuracy") is not None:
            text += (f"新客户的分层由其最初几周的行为预测，准确率 {pct(clf['accuracy'])}"
                     f"（多数类基线 {pct(clf.get('majority_baseline_accuracy'))}）。")
        return text
    if model == "segments":
        return (f"{name}：按最近购买时间（R）、购买频次（F）和消费金额（M）的五分位打分，再按规则把客户归入 "
                f"{len(card.get('rules') or [])} 条规则对应的命名细分（如冠军客户、有流失风险、已流失等）。")
    if model == "personas":
        return (f"{name}：对标准化后的行为特征做 K-Means 聚类，按轮廓系数选出 k={card.get('k')}"
                f"（轮廓系数 {float(card.get('silhouette') or 0):.2f}）。人群：" + _list(card.get("names") or [], "zh", 10) + "。")
    if model == "recommendations":
        return (f"{name}：基于商品共购的物品相似度，并以细分内热门商品兜底。按时间切分评估，命中率@{card.get('k')} 为 "
                f"{pct(card.get('hit_rate'))}，单纯热门推荐为 {pct(card.get('popularity_hit_rate'))}。")
    return r.summary


# ------------------------------------------------------------------ query_metrics
ADDITIVE = frozenset({"revenue", "orders", "order_lines", "units", "cancelled_orders", "cancelled_revenue",
                      "refunded_orders", "refunded_revenue"})


def _additive(name: str) -> bool:
    """Whether groups' values add up to a total (not ratios, averages or counts of distinct customers)."""
    return name in ADDITIVE or name.startswith("sum_")


def _metric_value(value: Any, unit: str | None, currency: str | None, lang: str) -> str:
    """A value in its unit: money with the workspace currency, ratios as %, days in days."""
    if value is None:
        return "—"
    if unit == "date":
        return day(value)
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if unit == "ratio":
        return pct(v)
    if unit == "money":
        v = round(v, 2)  # to the cent first: a sum of cents off by float noise (….4999999) rounds as its cents do
        text = f"{v:,.0f}" if abs(v) >= 1000 else f"{v:,.2f}"
        return f"{currency} {text}" if currency else text
    if unit == "count":
        return f"{v:,.0f}"
    if unit == "days":
        return f"{v:,.1f} 天" if lang == "zh" else f"{v:,.1f} days"
    return f"{v:,.2f}" if abs(v) < 1000 else f"{v:,.0f}"


def _zh_value(text: Any) -> str:
    """A data value as the answer shows it: the templates' Chinese label where there is one (Germany -> 德国),
    otherwise exactly as the data spells it."""
    word = str(text)
    labels = templates("zh")["labels"]
    if word == BLANK_LABEL:
        return labels["blank"]
    for group in ("country", "category", "channel", "tier", "segment"):
        if word in labels.get(group, {}):
            return labels[group][word]
    return word


def zh_word(text: Any) -> str:
    """A column or metric word in Chinese where the glossary knows it (Payment Method -> 支付方式)."""
    from assistant.glossary import translations

    word = str(text)
    names = translations(word)
    zh = [n for n in names if any("\u4e00" <= ch <= "\u9fff" for ch in n)]
    return zh[0] if zh and word.lower() in (n.lower() for n in names) and names != [word] else word


def _zh_field(name: str) -> str:
    fields = templates("zh")["labels"]["fields"]
    if name in fields:
        return fields[name]
    if name.endswith("_band"):
        return _zh_field(name[:-5]) + "分段"
    return zh_word(name.replace("_", " "))


def _zh_condition(cond: dict[str, Any], audience: bool, scope: str = "") -> str:
    labels = templates("zh")["labels"]
    field, op, value = cond.get("field"), cond.get("op", "="), cond.get("value")
    values = value if isinstance(value, list) else [value]
    if op in ("not_null", "is_null"):
        # "used a discount code": an order with one (in an audience, ever); or the field has a value / is blank
        if audience and field not in labels["fields"] and "had an order with" in scope.lower():
            return labels["had"][op].format(f=_zh_field(field))
        return f"{_zh_field(field)}{labels['ops'][op]}"
    if op == "between" and len(values) == 2:
        return f"{_zh_field(field)}介于 {values[0]} 和 {values[1]} 之间"
    shown = "或".join(_zh_value(v) for v in values)
    if isinstance(value, bool):
        return ("" if value == (op == "=") else "不") + f"是{_zh_field(field)}"
    if audience and field in ("product", "category"):
        return labels["bought"].get(op, "买过{v}").format(v=shown)
    # an order attribute in an audience means "ever had such an order" (the tool's English scope says "bought")
    if audience and field not in labels["fields"] and f"bought {str(field).replace('_', ' ').lower()}" in scope.lower():
        return labels["had"].get(op, "有过{f}为{v}的订单").format(f=_zh_field(field), v=shown)
    return f"{_zh_field(field)}{labels['ops'].get(op, op)}{shown}"


def _conds(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return [{"field": k, "op": "in" if isinstance(v, list) else "=", "value": v} for k, v in value.items()]
    return [c for c in value or [] if isinstance(c, dict)]


def _zh_scope(args: dict[str, Any], f: dict[str, Any]) -> str:
    t = templates("zh")["tools"]
    parts = []
    filters, audience = _conds(args.get("filters")), _conds(args.get("audience"))
    if filters:
        parts.append(fill(t["query_metrics.filters"], conds="、".join(_zh_condition(c, False) for c in filters)))
    if audience:
        parts.append(fill(t["query_metrics.audience"],
                          conds="、".join(_zh_condition(c, True, str(f.get("scope") or "")) for c in audience)))
    if f.get("since"):
        parts.append(fill(t["query_metrics.window"], since=f["since"], until=f.get("until")))
    else:
        parts.append(fill(t["query_metrics.history"], until=f.get("until")))
    if f.get("anonymous_lines"):  # sales with no customer (walk-ins) counted
        parts.append(f"含匿名销售 {int(f['anonymous_lines']):,} 行")
    return "；".join(parts)


def _zh_label(name: str, f: dict[str, Any]) -> str:
    """A metric's Chinese label; an attribute's average or total with the attribute named in Chinese where the
    glossary knows it ('Average Rating' -> 平均评分)."""
    from tools.semantic.catalog import raw_catalog

    labels = (f.get("labels") or {}).get(name) or {}
    catalog = {m["name"]: m for m in raw_catalog()["metrics"]}
    if name in catalog:  # a catalog metric (avg_days_between_orders too) has its own Chinese label
        return catalog[name].get("label_zh") or labels.get("zh") or name
    if name.startswith(("avg_", "sum_")):
        english = str(labels.get("en") or name)
        attribute = re.sub(r"^(?:Average|Total)\s+", "", english)
        word = zh_word(attribute)
        return f"平均{word}" if name.startswith("avg_") else f"{word}合计"
    return labels.get("zh") or name


def _zh_definition(args: dict[str, Any], f: dict[str, Any]) -> str:
    from tools.semantic.catalog import raw_catalog

    t = templates("zh")["tools"]
    catalog = {m["name"]: m for m in raw_catalog()["metrics"]}
    defs = []
    for name in (f.get("metrics") or [])[:3]:
        label_zh = _zh_label(name, f)
        definition = catalog.get(name, {}).get("definition_zh") or (
            ("所有值的平均" if name.startswith("avg_") else "所有值之和") if name.startswith(("avg_", "sum_")) else label_zh)
        defs.append(f"{label_zh} = {definition}")
    extra = []
    od = raw_catalog()["order_definition"]
    if f.get("order_definition"):
        extra.append(od["with_order_id_zh"] if f["order_definition"] == od["with_order_id_en"] else od["without_order_id_zh"])
    has_filters, has_audience = bool(args.get("filters")), bool(args.get("audience"))
    if has_filters and has_audience:
        extra.append(t["query_metrics.both"])
    elif has_filters:
        extra.append(t["query_metrics.only_filters"])
    elif has_audience:
        extra.append(t["query_metrics.only_audience"])
    cancelled = any(n in ("cancelled_orders", "cancelled_revenue", "cancellation_rate", "refund_rate",
                                                      "refunded_orders", "refunded_revenue") for n in f.get("metrics") or [])
    extra.append(t["query_metrics.cancelled"] if cancelled else t["query_metrics.completed"])
    return fill(t["query_metrics.definition"], defs="；".join(defs), extra="；".join(extra))


def _metrics(lang: str, record: ToolCallRecord, r: ToolResult) -> str:
    f, args = r.facts, record.args
    names = f.get("metrics") or []
    if not names:
        return r.summary
    rows = f.get("rows") or []
    units, labels, currency = f.get("units") or {}, f.get("labels") or {}, f.get("currency")
    first = names[0]
    by = f.get("by") or []
    sort = str(args.get("sort") or "")
    direction = "asc" if sort.endswith(":asc") else "desc"

    def value(row: dict[str, Any], name: str = first) -> str:
        return _metric_value(row.get(name), units.get(name), currency, lang)

    if lang != "zh":
        if rows and by and not f.get("grain") and args.get("limit") == 1 and args.get("sort"):
            t = templates("en")["tools"]
            lead = fill(t["query_metrics.top1"], direction=templates("en")["labels"]["direction"][direction],
                        metric=(labels.get(first) or {}).get("en", first).lower(), dim=" / ".join(b.replace("_", " ") for b in by),
                        group=" / ".join(str(rows[0].get(b)) for b in by), value=value(rows[0]))
            return lead + " " + r.summary
        return r.summary

    from tools.metrics import period_label

    t = templates("zh")["tools"]
    zh_labels = templates("zh")["labels"]
    scope = _zh_scope(args, f)
    definition = _zh_definition(args, f)
    metric = _zh_label(first, f)
    if not rows:
        return fill(t["query_metrics.none"], scope=scope, definition=definition)
    group = lambda row: " / ".join(_zh_value(row.get(b)) if b != "cohort" else period_label(row.get(b), "month", "zh") for b in by)  # noqa: E731
    dims = "、".join(_zh_field(b) for b in by)
    grain = f.get("grain")
    if grain:
        grain_zh = templates("zh")["labels"]["period"].get(grain, "年" if grain == "year" else grain)
        periods = sorted({str(row.get("period")) for row in rows})
        last = [row for row in rows if str(row.get("period")) == periods[-1]]
        partial = ""
        if f.get("until") and periods[-1] and str(f["until"]) < _period_end(periods[-1], grain):
            partial = fill(t["query_metrics.partial"], grain=grain_zh, as_of=f["until"])
        common = dict(metric=metric, grain=grain_zh, scope=scope, first=period_label(periods[0], grain, "zh"),
                      last=period_label(periods[-1], grain, "zh"), partial=partial, definition=definition)
        if by:
            latest = "，".join(f"{group(row)}：{value(row)}" for row in last[:6])
            return fill(t["query_metrics.series_by"], dims=dims, latest=latest, **common)
        total = ""
        if _additive(first) and f.get("row_count", 0) <= len(rows):
            total = fill(t["query_metrics.series_total"], total=_metric_value(sum(float(row.get(first) or 0) for row in rows),
                                                                                units.get(first), currency, lang))
        return fill(t["query_metrics.series"], latest=value(last[0]), total=total, **common)
    if by:
        if args.get("limit") == 1 and args.get("sort"):
            return fill(t["query_metrics.top1"], metric=metric, direction=zh_labels["direction"][direction], dim=dims,
                        group=group(rows[0]), value=value(rows[0]), scope=scope, definition=definition)
        shown = "；".join(f"{group(row)}：{value(row)}" for row in rows[:5]) + ("；…" if len(rows) > 5 else "")
        if args.get("limit"):
            groups = fill(t["query_metrics.bottom" if direction == "asc" else "query_metrics.top"], n=len(rows))
        else:
            groups = fill(t["query_metrics.groups"], n=f.get("row_count", len(rows)))
        total = ""
        if _additive(first) and not args.get("limit") and f.get("row_count", 0) <= len(rows):
            total = fill(t["query_metrics.sum"], total=_metric_value(sum(float(row.get(first) or 0) for row in rows),
                                                                      units.get(first), currency, lang))
        return fill(t["query_metrics.by"], metric=metric, dims=dims, scope=scope, groups=groups, rows=shown, total=total,
                    definition=definition)
    row = rows[0]
    values = "；".join(f"{_zh_label(n, f)}：{value(row, n)}" for n in names)
    compare = ""
    if f.get("compare") and row.get(f"{first}_previous") is not None:
        change = row.get(f"{first}_change")
        against = zh_labels["metric_against"].get(f["compare"], f["compare"])
        if f.get("previous_since") and f.get("previous_until"):
            against += "（" + fill(t["query_metrics.window"], since=f["previous_since"], until=f["previous_until"]) + "）"
        compare = fill(t["query_metrics.compare"], against=against,
                       previous=value(row, f"{first}_previous"),
                       change=f"{float(change):+.1%}" if change is not None else "—")
    return fill(t["query_metrics.total"], values=values, scope=scope, compare=compare, definition=definition)


def _period_end(start: str, grain: str) -> str:
    from datetime import date, timedelta

    from assistant.language import add_months

    d = date.fromisoformat(str(start)[:10])
    step = {"day": 1, "week": 7}.get(grain)
    if step:
        return (d + timedelta(days=step - 1)).isoformat()
    months = {"month": 1, "quarter": 3, "year": 12}[grain]
    return (add_months(d, months) - timedelta(days=1)).isoformat()


def _changes(lang: str, record: ToolCallRecord, r: ToolResult) -> str:
    t, f = templates(lang)["tools"], r.facts
    zh = lang == "zh"
    if not f.get("compared"):
        return t["what_changed.none"]

    def named(group: str, value: Any) -> str:
        return label(lang, group, value) if zh else str(value).replace("_", " ")

    def move(moves: list[dict[str, Any]], group: str) -> str:
        if not moves:
            return ""
        top = moves[0]
        return fill(t["what_changed.move"], **{"from": named(group, top["from"]), "to": named(group, top["to"]),
                                               "n": count(top["customers"])})

    def value(kpi: str, v: Any) -> str:
        return "?" if v is None else (money(v) if kpi in MONEY_KPIS else count(v))

    outside = [k for k in f.get("kpis") or [] if k.get("outside_usual_range")]
    rule = t["what_changed.rule"]
    kpis = (fill(t["what_changed.kpis_outside"], rule=rule, kpis=_list(
        [fill(t["what_changed.kpi"], kpi=label(lang, "kpi", k["kpi"]), now=value(k["kpi"], k.get("now")),
              low=value(k["kpi"], k.get("usual_low")), high=value(k["kpi"], k.get("usual_high"))) for k in outside],
        lang, 10)) if outside else fill(t["what_changed.kpis_none"], rule=rule))
    newly, high = f["newly_high_risk"], f["new_high_value"]
    text = fill(t["what_changed"], before=day(f["before"]["as_of"]), now=day(f["now"]["as_of"]),
                newly=count(newly["customers"]), at_risk=money(newly["value_at_risk"]),
                top=fill(t["what_changed.top"], ids=_list(newly["top"], lang)) if newly["top"] else "",
                up=count(f["tier_up"]), down=count(f["tier_down"]), tier_move=move(f["tier_moves"], "tier"),
                moved=count(f["segment_moved"]), segment_move=move(f["segment_moves"], "segment"), kpis=kpis,
                new_high=count(high["customers"]), new_top=fill(t["what_changed.new_top"], ids=_list(high["top"], lang)) if high["top"] else "")
    if f.get("note"):
        text = fill(t["what_changed.note"], since=day(f.get("since"))) + text
    return text


MONEY_KPIS = frozenset({"revenue", "aov", "value_at_risk_high_risk", "expected_value_12m"})


WRITERS = {"query_metrics": _metrics, "dataset_overview": _overview, "find_customers": _find, "segment_summary": _summary,
           "customer_lookup": _lookup, "kpi_trend": _trend, "cohort_retention": _cohort, "clv_forecast": _clv,
           "recommend_products": _recommend, "draft_campaign": _draft, "campaign_forecast": _roi, "ab_test": _ab,
           "export_audience": _export, "explain_model": _explain, "what_changed": _changes}
