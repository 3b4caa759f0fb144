"""Cards in the chat: one customer at a glance (a customer_lookup answer) and a refused step.

Every value from the dataset or a tool is escaped here; the markup and its classes are ours
(styled in ui/chat.css). Values are shown through ui/formatting.py, like tables.
"""

from __future__ import annotations

import html
from typing import Any

from assistant.planning_compose import phrase
from tools.results import Table, ToolResult
from ui.formatting import Style, column_info, format_table, format_text, format_value, labels_book


def text(value: Any) -> str:
    # `$` too: Gradio's HTML component fills `${...}` templates
    return html.escape("" if value is None else str(value), quote=True).replace("$", "&#36;")


def words(key: str, style: Style, **values: Any) -> str:
    return labels_book()["phrases"][key]["zh" if style.zh else "en"].format(**values)


def tool_label(name: str, language: str) -> str:
    """'find_customers' -> 'Find customers' / '查找客户'."""
    entry = labels_book()["tools"].get(name)
    if isinstance(entry, dict):
        return entry["zh" if language == "zh" else "en"]
    return name.replace("_", " ").capitalize()


def _sentence(value: Any, style: Style) -> str:
    shown = phrase("zh", value) if style.zh else str(value)
    return shown[:1].upper() + shown[1:]


def _fact(label: str, value: str, css: str = "") -> str:
    dd = f'<dd class="{css}">' if css else "<dd>"
    return f'<div class="tw-fact"><dt>{text(label)}</dt>{dd}{text(value)}</dd></div>'


def _table(result: ToolResult, columns: set[str]) -> Table | None:
    return next((t for t in result.tables if columns <= set(t.columns) and t.rows), None)


def customer_card_html(result: ToolResult, style: Style) -> str:
    """One customer: id, name and (masked) email, a tier badge, churn risk with its reasons as bullets,
    expected value, last orders, recommendations and the next best action."""
    f = result.facts
    cid = str(f.get("customer_id") or result.customer_id or "")
    value = lambda column: format_value(column, f.get(column), style)  # noqa: E731
    person = result.pii.get(cid, {})
    who = " · ".join(str(person[k]) for k in ("name", "email") if person.get(k))
    tier = format_text("tier", f.get("tier"), style)
    risk = str(f.get("churn_risk") or "unknown")
    risk_shown = format_text("churn_risk", f.get("churn_risk"), style)
    probability = value("churn_probability") if f.get("churn_probability") is not None else ""
    head = (f'<div class="tw-card-head"><span class="tw-card-id">{text(cid)}</span>'
            + (f'<span class="tw-card-who">{text(who)}</span>' if who else "")
            + f'<span class="tw-badge tw-tier-{text(f.get("tier") or "unknown")}">'
              f'{text(words("tier_badge", style, tier=tier))}</span></div>')
    last = value("last_order_date")
    if f.get("days_since_last_order") is not None:
        last += f" ({words('days_ago', style, n=format_value('orders', f['days_since_last_order'], style))})"
    facts = [
        _fact(words("churn_risk", style), f"{risk_shown} · {probability}" if probability else risk_shown,
              f"tw-risk tw-risk-{text(risk)}"),
        _fact(column_info("clv_12m", style)[0], value("clv_12m")),
        _fact(column_info("segment", style)[0], format_text("segment", f.get("segment"), style)),
        _fact(column_info("persona", style)[0], format_text("persona", f.get("persona"), style)),
        _fact(column_info("orders", style)[0], value("orders")),
        _fact(column_info("total_spend", style)[0], value("total_spend")),
        _fact(column_info("last_order_date", style)[0], last),
        _fact(column_info("next_order_date", style)[0], value("next_order_date")),
    ]
    parts = [head, f'<dl class="tw-facts">{"".join(facts)}</dl>']
    reasons = [r for r in (f.get("churn_reasons") or []) if r]
    if reasons:
        items = "".join(f"<li>{text(_sentence(r, style))}</li>" for r in reasons)
        parts.append(f'<h4>{text(words("why_at_risk", style))}</h4><ul class="tw-reasons">{items}</ul>')
    if f.get("next_best_action"):
        parts.append(f'<h4>{text(words("next_best_action", style))}</h4>'
                     f'<p class="tw-action">{text(_sentence(f["next_best_action"], style))}</p>')
    orders = _table(result, {"order_date"})
    if orders is not None:
        shown = format_table(orders.model_copy(update={"rows": orders.rows[:5]}), style)
        keep = [i for i, c in enumerate(shown.columns) if c.name in ("order_date", "product", "amount")]
        num = ' class="num"'
        rows = "".join("<tr>" + "".join(f"<td{num if row[i].numeric else ''}>{text(row[i].text)}</td>" for i in keep)
                       + "</tr>" for row in shown.rows)
        heads = "".join(f"<th{num if shown.columns[i].numeric else ''}>{text(shown.columns[i].label)}</th>"
                        for i in keep)
        parts.append(f'<h4>{text(words("last_orders", style))}</h4><table class="tw-orders"><thead><tr>{heads}'
                     f"</tr></thead><tbody>{rows}</tbody></table>")
    recommended = _table(result, {"product", "reason"})
    if recommended is not None:
        shown = format_table(recommended, style)
        items = "".join(f"<li><strong>{text(row[0].text)}</strong> · {text(row[1].text)}</li>" for row in shown.rows)
        parts.append(f'<h4>{text(words("recommended", style))}</h4><ul class="tw-recommended">{items}</ul>')
    return f'<div class="tw-card tw-customer" data-customer="{text(cid)}">{"".join(parts)}</div>'


def refusal_html(tool: str, reason: str | None, style: Style, *, status: str = "denied") -> str:
    """A refused (or failed) step: an icon, what was refused, and the sentence saying why."""
    icon, heading, css = (("⛔", words("not_allowed", style), "tw-refusal") if status == "denied"
                          else ("⚠️", words("failed", style), "tw-failure"))
    title = f"{heading}: {tool_label(tool, style.language)}" if not style.zh else f"{heading}：{tool_label(tool, 'zh')}"
    body = f"<p>{text(reason)}</p>" if reason else ""
    return (f'<div class="{css}" role="note" data-tool="{text(tool)}"><span class="tw-refusal-icon" aria-hidden="true">'
            f"{icon}</span><div><strong>{text(title)}</strong>{body}</div></div>")
