"""Turn an Answer into chat messages: tool steps, text, tables, charts, downloads and copy.

Everything that comes from the dataset (names, products, categories, the answer text built
from them) is data, shown as plain text: it is escaped before it reaches the Markdown/HTML
renderer, so `<script>` or `![x](http://…)` in a product name renders inert.
"""

from __future__ import annotations

import atexit
import html
import json
import re
import shutil
import tempfile
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from assistant.answer import Answer, ToolCallRecord
from tools.csv_cells import write_csv
from tools.permissions import PermissionDenied, authorize
from tools.results import Table, ToolResult
from ui.cards import customer_card_html, refusal_html, tool_label, words
from ui.copy_cards import COPY_JS, copy_cards_html
from ui.formatting import (DisplayTable, Style, column_info, currency_parts, format_chart, format_table,
                           style_for)
from ui.outline import Outline, outline

_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+!|~])")
STATUS_ICON = {"ok": "✅", "denied": "⛔", "error": "⚠️"}
ROWS_SHOWN = 10  # a table shows its first rows; the rest open with a click (and stay in the download)
_CODE_SPAN = re.compile(r"`([^`\n]{1,200})`")


def escape_text(text: Any) -> str:
    """Plain text made safe for Markdown + HTML: shown as typed, never interpreted."""
    s = "" if text is None else str(text)
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = _MARKDOWN_PUNCTUATION.sub(r"\\\1", s)
    # bare URLs would be auto-linked by GFM; an entity breaks the pattern but reads the same
    return s.replace("://", "&#58;//").replace("www.", "www&#46;")


def code_block(text: str, language: str = "") -> str:
    """A fenced block longer than any backtick run inside, so the content can't close it."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text}\n{fence}"


def can_export(role: str) -> bool:
    try:
        authorize(role, "export_audience")
        return True
    except PermissionDenied:
        return False


def tool_step(record: ToolCallRecord, *, index: int, seconds: float | None = None,
              language: str = "en") -> dict[str, Any]:
    """A collapsed 🔧 message titled with the tool in words: its name and arguments as JSON, the status and
    the result's one-line summary. A refused step is a refusal card instead (refusal_message)."""
    if record.status == "denied":
        return refusal_message(record, language)
    args = json.dumps(record.args, ensure_ascii=False, indent=2, default=str)
    lines = [f"**Tool** `{escape_text(record.name)}`", f"**Arguments**\n\n{code_block(args, 'json')}",
             f"**Status:** {STATUS_ICON.get(record.status, '')} {escape_text(record.status)}"]
    if record.error:
        lines.append(escape_text(record.error))
    elif record.result is not None:
        lines.append(escape_text(record.result.summary))
    icon = "⚠️" if record.status == "error" else "🔧"
    metadata: dict[str, Any] = {"title": f"{icon} {tool_label(record.name, language)}", "status": "done",
                                "id": f"step-{index}", "log": record.status}
    if seconds is not None:
        metadata["duration"] = round(seconds, 2)
    return {"role": "assistant", "content": "\n\n".join(lines), "metadata": metadata}


def refusal_message(record: ToolCallRecord, language: str = "en") -> dict[str, Any]:
    """A refused step as a refusal, not as a tool that ran: ⛔, what was refused and why (class tw-refusal)."""
    card = refusal_html(record.name, record.error, Style(language=language), status=record.status)
    return {"role": "assistant", "content": gr.HTML(card, elem_classes=["tw-refusal-block"])}


def pending_step(text: str = "Working on it…") -> dict[str, Any]:
    return {"role": "assistant", "content": "", "metadata": {"title": f"⏳ {text}", "status": "pending", "id": "pending"}}


def text_message(text: str, choices: list[str] | None = None) -> dict[str, Any]:
    """An answer's text; a clarifying question's readings become buttons under it (their number is sent back)."""
    message: dict[str, Any] = {"role": "assistant", "content": escape_text(text)}
    if choices:
        message["options"] = [{"value": str(n), "label": f"{n}. {c}"} for n, c in enumerate(choices, 1)]
    return message


def _inline(sentence: str) -> str:
    """A sentence as Markdown text: escaped, a `command` it names as code, never read as a list item."""
    pieces = _CODE_SPAN.split(sentence)
    shown = "".join(f"`{piece}`" if i % 2 else escape_text(piece) for i, piece in enumerate(pieces))
    if shown.startswith("-"):
        return "\\" + shown
    return re.sub(r"^(\d+)([.)])(\s)", r"\1\\\2\3", shown)


def outline_markdown(shape: Outline, style: Style | None = None) -> str:
    """The headline in bold, its bullets, and the rest folded under "More" (ui/outline.py)."""
    style = style or Style()
    parts = [f"**{_inline(shape.headline)}**"]
    if shape.bullets:
        parts.append("\n".join(f"- {_inline(b)}" for b in shape.bullets))
    if shape.more:
        # blank lines around the folded sentences, so Markdown still reads them
        parts.append(f'<details class="tw-more"><summary>{words("more", style)}</summary>\n\n'
                     + "\n\n".join(_inline(m) for m in shape.more) + "\n\n</details>")
    return "\n\n".join(parts)


def answer_outline(answer: Answer) -> Outline:
    """How the answer's text is laid out: campaign copy is left to its cards, a customer card carries the rest
    of a lookup, a sentence listing the groups of a table below is folded."""
    results = [r.result for r in answer.tool_calls if r.status == "ok" and r.result is not None]
    quoted = [value for result in results for variant in (result.variants or []) for value in variant.values()
              if isinstance(value, str)]
    quoted += [p for q in list(quoted) for p in re.split(r"\n\s*\n", q)]
    carded = any(r.name == "customer_lookup" and r.result is not None and r.result.facts.get("customer_id")
                 for r in answer.tool_calls)
    tabled = any(t.rows for result in results for t in result.tables)
    return outline(answer.text, quoted=quoted, tabled=tabled, one_sentence=carded)


def answer_messages(answer: Answer, *, steps_shown: bool = False) -> list[dict[str, Any]]:
    """The answer's text as a headline and at most three bullets (with a clarifying question's buttons),
    unless it only repeats a refusal the chat already shows as a refusal card."""
    refusals = {r.error.strip() for r in answer.tool_calls if r.status == "denied" and r.error}
    if steps_shown and not answer.choices and answer.text.strip() in refusals:
        return []
    if answer.choices:
        return [text_message(answer.text, answer.choices)]
    return [{"role": "assistant", "content": outline_markdown(answer_outline(answer), Style(language=answer.language))}]


def table_frame(table: Table) -> pd.DataFrame:
    return pd.DataFrame(table.rows, columns=table.columns)


# Sorts the table in place when a header is clicked by each cell's raw value (numbers numerically, text,
# ISO dates and periods alphabetically); the expand control shows the rows past the first ROWS_SHOWN
# (ui/chat.css hides them), or hides them again. The rows shown first are the first in the current order.
# gr.Dataframe can't be shown inside a Gradio 6.31 chat message (its page script fails), so tables
# in the chat are escaped HTML with this small sorter.
SORT_JS = """
if (!element.dataset.twSort) {
  element.dataset.twSort = '1';
  element.addEventListener('click', function (event) {
    var expand = event.target.closest ? event.target.closest('.tw-expand') : null;
    if (expand && element.contains(expand)) {
      var card = expand.closest('.tw-table-card');
      var open = card.classList.toggle('tw-open');
      expand.textContent = open ? expand.dataset.less : expand.dataset.more;
      expand.setAttribute('aria-expanded', open ? 'true' : 'false');
      return;
    }
    var th = event.target.closest ? event.target.closest('th') : null;
    if (!th || !element.contains(th)) return;
    var table = th.closest('table'), body = table.tBodies[0];
    var index = Array.prototype.indexOf.call(th.parentNode.children, th);
    var ascending = th.dataset.order !== 'asc';
    Array.prototype.forEach.call(th.parentNode.children, function (h) { delete h.dataset.order; });
    th.dataset.order = ascending ? 'asc' : 'desc';
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[index].dataset.v, y = b.cells[index].dataset.v;
      var nx = parseFloat(x), ny = parseFloat(y), c;
      var numeric = a.cells[index].classList.contains('num') && b.cells[index].classList.contains('num');
      if (numeric && !isNaN(nx) && !isNaN(ny)) { c = nx - ny; } else { c = String(x).localeCompare(String(y)); }
      return ascending ? c : -c;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  });
}
"""


# Each new question is pinned to the top of the chat as soon as it shows, so its answer is read from its
# first line while it streams in below (the chat doesn't follow the bottom: autoscroll is off); earlier
# answers stay above it. A short chat can't scroll that far yet, and a chart may still be drawing, so the
# pin holds until the reader scrolls, clicks or types. On a phone the chat is brought above the pinned
# question box.
# Installed once per page; it watches the chat for a new question bubble.
PIN_QUESTION_JS = """
() => {
  if (window.__twPinQuestions) return;
  window.__twPinQuestions = true;
  let seen = 0, pinning = false;
  const stop = () => { pinning = false; };
  ['wheel', 'touchmove', 'mousedown', 'keydown'].forEach((e) => window.addEventListener(e, stop, {passive: true}));
  const showChat = (chat) => {
    const bar = document.querySelector('#tw-ask-row');
    const floor = bar && getComputedStyle(bar).position === 'fixed' ? bar.getBoundingClientRect().top : innerHeight;
    const rect = chat.getBoundingClientRect();
    if (rect.top < 0) window.scrollBy(0, rect.top);
    else if (rect.bottom > floor) window.scrollBy(0, Math.min(rect.bottom - floor, rect.top));
  };
  const pin = () => {
    const chat = document.querySelector('#tw-chat');
    if (!chat) return;
    const rows = chat.querySelectorAll('.message-row.user-row');
    if (rows.length < seen) seen = rows.length;  // a new chat
    if (rows.length > seen) { seen = rows.length; pinning = true; showChat(chat); }
    const box = chat.querySelector('.bubble-wrap'), question = rows[rows.length - 1];
    if (!pinning || !box || !question) return;
    const offset = question.getBoundingClientRect().top - box.getBoundingClientRect().top - 8;
    if (Math.abs(offset) >= 2) box.scrollTop += offset;
  };
  new MutationObserver(() => requestAnimationFrame(pin)).observe(document.body, {childList: true, subtree: true});
}
"""


def _html_text(value: Any) -> str:
    # `$` too: Gradio's HTML component fills `${...}` templates
    return html.escape("" if value is None else str(value), quote=True).replace("$", "&#36;")


def table_html(table: Table | DisplayTable, style: Style | None = None) -> str:
    """An escaped, sortable HTML table: labelled columns, values in their unit (ui/formatting.py), numbers
    right-aligned, its title and how many rows it holds; each cell sorts by its raw value. Past ROWS_SHOWN rows
    the rest are behind an expand control."""
    style = style or Style()
    shown = table if isinstance(table, DisplayTable) else format_table(table, style)
    rows = len(shown.rows)
    num = ' class="num"'
    head = "".join(f'<th{num if c.numeric else ""} title="{_html_text(_sort_hint(c.label, style))}">'
                   f"{_html_text(c.label)}</th>" for c in shown.columns)
    body = "".join("<tr>" + "".join(f'<td{num if cell.numeric else ""} data-v="{_html_text(_sort_value(cell.sort))}">'
                                    f"{_html_text(cell.text)}</td>" for cell in row) + "</tr>" for row in shown.rows)
    # the caption sits above the scrolling area, so it stays in view while a wide table scrolls sideways
    expand = ""
    if rows > ROWS_SHOWN:
        more, less = words("show_all_rows", style, n=f"{rows:,}"), words("show_fewer_rows", style, n=ROWS_SHOWN)
        expand = (f'<button type="button" class="tw-expand" aria-expanded="false" data-more="{_html_text(more)}" '
                  f'data-less="{_html_text(less)}">{_html_text(more)}</button>')
    return (f'<div class="tw-table-card{" tw-long" if expand else ""}"><div class="tw-caption">'
            f'{_html_text(shown.caption(style))}</div>'
            f'<div class="tw-table-wrap"><table class="tw-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody>'
            f"</table></div>{expand}</div>")


def _sort_hint(label: str, style: Style) -> str:
    return f"按{label}排序" if style.zh else f"Sort by {label}"


def _sort_value(value: Any) -> str:
    if isinstance(value, float):
        return repr(value)
    return "" if value is None else str(value)


# a sort key named otherwise than its column
SORT_COLUMNS = {"clv": "clv_12m", "value": "value_12m", "churn": "churn_probability"}


def key_columns_first(table: Table, facts: dict[str, Any] | None = None, args: dict[str, Any] | None = None) -> Table:
    """The key columns (the customer, the group, the period) first, then the metric asked for (what the rows
    are ranked by), then the rest: on a phone the first columns are the ones in view."""
    facts, args = facts or {}, args or {}
    asked = facts.get("sorted_by") or args.get("sort_by") or args.get("sort")
    if not isinstance(asked, str):
        return table
    column = asked if asked in table.columns else SORT_COLUMNS.get(asked)
    by = facts.get("by")
    keys = max(1, len(by) if isinstance(by, list) else 1)
    if column not in table.columns or table.columns.index(column) <= keys:
        return table
    at = table.columns.index(column)
    order = [*range(keys), at, *(i for i in range(keys, len(table.columns)) if i != at)]
    return table.model_copy(update={"columns": [table.columns[i] for i in order],
                                    "rows": [[row[i] for i in order] for row in table.rows]})


def table_component(table: Table, style: Style | None = None) -> gr.HTML:
    return gr.HTML(table_html(table, style), js_on_load=SORT_JS, elem_classes=["tw-table-block"])


def _inert_chart_text(value: Any) -> Any:
    """Plotly reads a few HTML-like tags in labels; escape angle brackets so data stays text."""
    if isinstance(value, str):
        return value.replace("<", "&lt;").replace(">", "&gt;")
    if isinstance(value, list):
        return [_inert_chart_text(v) for v in value]
    if isinstance(value, dict):
        # templates are ours, not data: they keep their <br>
        return {k: v if k in ("hovertemplate", "texttemplate") else _inert_chart_text(v) for k, v in value.items()}
    return value


def _display_width(text: str) -> int:
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text)  # CJK characters are twice as wide


def wrapped_title(title: str, width: int = 32) -> str:
    """A chart title in lines that fit a phone (Plotly never wraps one), broken at a space where there is
    one, else between Chinese characters. The text is already escaped; the <br> are ours."""
    lines, line = [], ""
    for piece in re.findall(r"\S+\s*|\s+", title):
        while _display_width(line + piece) > width and (line or _display_width(piece) > width):
            if line:
                lines.append(line.rstrip())
                line = ""
                continue
            cut = next(i for i in range(len(piece), 0, -1) if _display_width(piece[:i]) <= width)
            lines.append(piece[:cut])
            piece = piece[cut:]
        line += piece
    return "<br>".join([*lines, line.rstrip()]) if lines else title


def figure(spec: dict[str, Any]):
    import plotly.graph_objects as go

    fig = go.Figure(_inert_chart_text(spec))
    title = fig.layout.title.text
    lines = wrapped_title(title).count("<br>") + 1 if title else 1
    fig.update_layout(margin={"l": 40, "r": 20, "t": 30 + 22 * lines, "b": 40}, height=380 + 22 * (lines - 1),
                      title={"text": wrapped_title(title) if title else title, "x": 0.02, "xanchor": "left",
                             "font": {"size": 15}})
    return fig


def chart_component(spec: dict[str, Any]) -> gr.Plot:
    return gr.Plot(value=figure(spec), label=str((spec.get("layout", {}).get("title") or {}).get("text") or "Chart"))


def preview_chart(table: Table, style: Style | None = None) -> dict[str, Any] | None:
    """A chart for a customer preview that came without one: churn probability against expected value
    (the value if retained, for an about-to-churn list)."""
    style = style or Style()
    frame = table_frame(table)
    value_column = next((c for c in ("clv_12m", "retained_value_12m") if c in frame.columns), None)
    if frame.empty or "churn_probability" not in frame.columns or value_column is None:
        return None
    groups = frame["churn_risk"].fillna("unknown") if "churn_risk" in frame else pd.Series("customers", index=frame.index)
    value_label = column_info(value_column, style)[0]
    probability = column_info("churn_probability", style)[0]
    prefix, suffix = currency_parts(style.currency)
    traces = [{"type": "scatter", "mode": "markers", "name": str(name), "marker": {"size": 9},
               "x": part["churn_probability"].tolist(), "y": part[value_column].tolist(),
               "text": part["customer_id"].astype(str).tolist() if "customer_id" in part else None,
               "hovertemplate": f"%{{text}}<br>{probability} %{{x:.1%}}<br>{value_label} {prefix}%{{y:,.0f}}{suffix}"
                                "<extra></extra>"}
              for name, part in frame.groupby(groups, sort=False)]
    # the table above names the customers; a short title fits a phone
    title = f"{probability}与{value_label}" if style.zh else f"{probability} vs {value_label.lower()}"
    layout = {"title": {"text": title},
              "xaxis": {"title": {"text": "churn probability"}},
              "yaxis": {"title": {"text": value_column}}, "legend": {"title": {"text": "churn risk"}}}
    return {"data": traces, "layout": layout}


_downloads: Path | None = None


def downloadable(path: str | Path) -> str:
    """A private copy of an export for Gradio to serve from its cache.

    The exports folder itself is never an allowed path of the server, so nobody can fetch an
    export by guessing its name; Gradio serves the copy under a content-hash URL.
    """
    global _downloads
    if _downloads is None:
        _downloads = Path(tempfile.mkdtemp(prefix="tierwise-downloads-"))
        atexit.register(shutil.rmtree, _downloads, True)
    folder = _downloads / uuid.uuid4().hex
    folder.mkdir()
    return str(shutil.copy2(path, folder / Path(path).name))


def file_message(path: str, label: str) -> dict[str, Any]:
    return {"role": "assistant", "content": {"path": downloadable(path), "alt_text": label}}


def write_table_csv(table: Table, exports_dir: Path, stem: str) -> Path:
    """Write a table's rows to the exports dir as CSV and return the path."""
    exports_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    path = exports_dir / f"{stem}-{stamp}.csv"
    write_csv(table_frame(table), path)  # formula-leading cells neutralised
    return path


def copy_component(variants: list[dict[str, Any]], *, channel: str | None, style: Style,
                   checks: dict[str, Any] | None = None) -> gr.HTML:
    """Campaign copy, once: a card per variant with its copy button (ui/copy_cards.py)."""
    return gr.HTML(copy_cards_html(variants, channel=channel, style=style, checks=checks), js_on_load=COPY_JS,
                   elem_classes=["tw-copy-message"])


def pii_lines(result: ToolResult) -> str | None:
    if not result.pii:
        return None
    rows = []
    for cid, fields in list(result.pii.items())[:10]:
        parts = [escape_text(fields.get(k)) for k in ("name", "email", "phone") if fields.get(k)]
        rows.append(f"- {escape_text(cid)}: " + " · ".join(parts))
    return "**Customer details**\n\n" + "\n".join(rows)


def result_messages(record: ToolCallRecord, *, role: str, exports_dir: Path, language: str = "en",
                    currency: str | None = None) -> list[dict[str, Any]]:
    """Chat messages for one tool result: a customer card, tables (key columns first), a chart, downloads,
    campaign copy in its cards. Shown through ui/formatting.py in the answer's language; downloads keep the
    data's own names, order and values."""
    result = record.result
    if result is None:
        return []
    style = style_for(result.facts, record.args, language=language, currency=currency)
    messages: list[dict[str, Any]] = []
    if record.name == "customer_lookup" and result.facts.get("customer_id"):
        # one customer at a glance: the card holds the details, last orders and recommendations
        card = customer_card_html(result, style)
        messages.append({"role": "assistant", "content": gr.HTML(card, elem_classes=["tw-card-block"])})
    else:
        details = pii_lines(result)
        if details:
            messages.append({"role": "assistant", "content": details})
        for table in result.tables:
            if table.rows:
                shown = key_columns_first(table, result.facts, record.args)
                messages.append({"role": "assistant", "content": table_component(shown, style)})
    chart = result.chart or (preview_chart(result.tables[0], style) if record.name == "find_customers" and result.tables
                             else None)
    if chart:
        group = result.tables[0].columns[0] if result.tables and result.tables[0].columns else None
        messages.append({"role": "assistant", "content": chart_component(format_chart(chart, style, group=group))})
    if can_export(role):
        for path in result.files:
            messages.append(file_message(path, f"Download {Path(path).name}"))
        if record.name == "find_customers" and result.tables and result.tables[0].rows:
            slug = re.sub(r"[^a-z0-9]+", "-", result.tables[0].title.lower()).strip("-")[:50] or "preview"
            path = write_table_csv(result.tables[0], exports_dir, f"customers-{slug}")
            messages.append(file_message(str(path), "Download table as CSV"))
    if result.variants:  # the answer's text leaves the copy to these cards (answer_outline)
        channel = record.args.get("channel") if isinstance(record.args.get("channel"), str) else None
        messages.append({"role": "assistant", "content": copy_component(result.variants, channel=channel, style=style,
                                                                        checks=result.checks)})
    return messages


def answer_extras(answer: Answer, *, role: str, exports_dir: Path, currency: str | None = None,
                  steps_shown: bool = False) -> list[dict[str, Any]]:
    """Everything shown after the answer text: refusals, a customer card, tables, charts, files, copy cards.
    `currency`: the shop's (workspace settings), for money in tables and charts; `steps_shown`: the chat already
    shows each step (and a refused one as a refusal card)."""
    messages: list[dict[str, Any]] = []
    for record in answer.tool_calls:
        # a refusal or error must be visible even when the written answer doesn't repeat it
        shown = steps_shown and record.status == "denied"  # its step is already a refusal card
        if record.status != "ok" and record.error and record.error not in answer.text and not shown:
            messages.append(refusal_message(record, answer.language))
        messages += result_messages(record, role=role, exports_dir=exports_dir, language=answer.language,
                                    currency=currency)
    return messages


def answer_summary(answer: Answer, *, role: str, files: list[str]) -> dict[str, Any]:
    """The answer as JSON for API clients: text, tool calls (without PII), tables and file names."""
    calls = []
    for record in answer.tool_calls:
        item: dict[str, Any] = {"name": record.name, "args": record.args, "status": record.status}
        if record.error:
            item["error"] = record.error
        if record.result is not None:
            item["summary"] = record.result.summary
            item["tables"] = [t.model_dump() for t in record.result.tables]
            item["has_chart"] = record.result.chart is not None
            if record.result.variants:
                item["variants"] = record.result.variants
            if record.result.checks:
                item["checks"] = record.result.checks
        calls.append(item)
    return {"answer": answer.text, "language": answer.language, "planner": answer.planner, "notice": answer.notice,
            "role": role, "tool_calls": calls, "files": [Path(f).name for f in files], "choices": list(answer.choices)}
