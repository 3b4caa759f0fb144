"""Campaign copy in the chat, shown once: a card per variant with a copy button.

An email reads as an email (subject, preheader, body, the call to action as a button, the
unsubscribe footer); an SMS or push message as a message, with its length against the limit
(tools/copywriting.py counts it as the phone will). The copy button copies the variant as plain
text, ready to paste (merge tags such as {{cta_url}} kept for the sending tool). Every value is
escaped; the markup and its classes are ours (styled in ui/chat.css).
"""

from __future__ import annotations

import re
from typing import Any

from tools.copywriting import LIMITS, UNSUBSCRIBE_WORD, display_width, sms_length
from ui.cards import text, words
from ui.formatting import Style, humanize, labels_book

MERGE_TAG = re.compile(r"\{\{\s*(\w+)\s*\}\}")

# The copy buttons of a block of cards: the variant's plain text goes to the clipboard (the
# asynchronous clipboard where the page is a secure context, else the older copy command).
COPY_JS = """
if (!element.dataset.twCopy) {
  element.dataset.twCopy = '1';
  element.addEventListener('click', function (event) {
    var button = event.target.closest ? event.target.closest('.tw-copy-btn') : null;
    if (!button || !element.contains(button)) return;
    var card = button.closest('.tw-copy-card');
    var text = card.querySelector('.tw-copy-text').value;
    var done = function () {
      button.textContent = button.dataset.copied;
      button.classList.add('tw-copied');
      setTimeout(function () { button.textContent = button.dataset.label; button.classList.remove('tw-copied'); }, 2500);
    };
    var fallback = function () {
      var area = document.createElement('textarea');
      area.value = text;
      area.setAttribute('readonly', '');
      area.style.position = 'fixed';
      area.style.opacity = '0';
      document.body.appendChild(area);
      area.select();
      try { document.execCommand('copy'); } finally { document.body.removeChild(area); }
      done();
    };
    if (navigator.clipboard && window.isSecureContext) { navigator.clipboard.writeText(text).then(done, fallback); }
    else { fallback(); }
  });
}
"""


def variant_text(variant: dict[str, Any]) -> str:
    """A copy variant as plain text, ready to paste into an email or SMS tool."""
    if "text" in variant and len(variant) == 1:
        return str(variant["text"])
    labels = {"subject": "Subject", "preheader": "Preheader", "body": None, "cta": "Call to action"}
    parts = []
    for key in ("subject", "preheader", "body", "cta"):
        if variant.get(key):
            parts.append(str(variant[key]) if labels[key] is None else f"{labels[key]}: {variant[key]}")
    parts += [f"{k}: {v}" for k, v in variant.items() if k not in labels and v]
    return "\n\n".join(parts)


def _with_tags(value: Any, style: Style) -> str:
    """Escaped text whose merge tags show as what they become ({{unsubscribe_url}} -> 'unsubscribe link'); the
    text to copy keeps the tags for the sending tool."""
    tags = labels_book()["merge_tags"]

    def tag(match: re.Match) -> str:
        name = match.group(1)
        shown = tags[name]["zh" if style.zh else "en"] if name in tags else humanize(name).lower()
        return f'<span class="tw-merge" title="{{{{{name}}}}}">{text(shown)}</span>'
    return MERGE_TAG.sub(tag, text(value))


def _paragraphs(body: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", body or "") if p.strip()]


def _email_body(variant: dict[str, Any], style: Style) -> str:
    """The body's paragraphs; the paragraph linking {{cta_url}} becomes the call-to-action button, the one with
    the unsubscribe link the footer (a body without a link gets the button after its text)."""
    cta = str(variant.get("cta") or "").strip()
    button = f'<p class="tw-email-cta"><span class="tw-cta-btn" role="button">{text(cta)}</span></p>' if cta else ""
    out, placed = [], False
    for para in _paragraphs(str(variant.get("body") or "")):
        if "cta_url" in para and not placed:
            out.append(button)
            placed = True
        elif "unsubscribe_url" in para or UNSUBSCRIBE_WORD["zh" if style.zh else "en"] in para.lower():
            if not placed:
                out.append(button)
                placed = True
            out.append(f'<p class="tw-email-footer">{_with_tags(para, style)}</p>')
        else:
            out.append("<p>" + "<br>".join(_with_tags(line, style) for line in para.splitlines()) + "</p>")
    if not placed:
        out.append(button)
    return "".join(out)


def _head(name: str, style: Style) -> str:
    label, copied = words("copy", style), words("copied", style)
    return (f'<div class="tw-copy-head"><span class="tw-copy-name">{text(name)}</span>'
            f'<button type="button" class="tw-copy-btn" data-label="{text(label)}" data-copied="{text(copied)}">'
            f"{text(label)}</button></div>")


def email_card(variant: dict[str, Any], name: str, style: Style) -> str:
    meta = (f'<div class="tw-email-meta"><div class="tw-email-subject"><span class="tw-k">{words("subject", style)}'
            f'</span><strong>{text(variant.get("subject"))}</strong></div>')
    if variant.get("preheader"):
        meta += (f'<div class="tw-email-preheader"><span class="tw-k">{words("preheader", style)}</span>'
                 f'{text(variant.get("preheader"))}</div>')
    meta += "</div>"
    return (f'<article class="tw-copy-card tw-email">{_head(name, style)}{meta}'
            f'<div class="tw-email-body">{_email_body(variant, style)}</div>'
            f'<textarea class="tw-copy-text" readonly hidden>{text(variant_text(variant))}</textarea></article>')


def message_card(variant: dict[str, Any], name: str, channel: str, style: Style) -> str:
    """An SMS (its length and the one-message limit for its encoding) or a push message (its width)."""
    body = str(variant.get("text") or "")
    if channel == "push":
        count = words("push_length", style, n=display_width(body), limit=LIMITS["push_columns"])
        over = display_width(body) > LIMITS["push_columns"]
    else:
        length, limit, encoding = sms_length(body)
        count = words("sms_length", style, n=length, limit=limit, encoding=encoding)
        over = length > limit
    return (f'<article class="tw-copy-card tw-{"push" if channel == "push" else "sms"}">{_head(name, style)}'
            f'<div class="tw-message-bubble">{_with_tags(body, style)}</div>'
            f'<div class="tw-message-count{" tw-over" if over else ""}">{text(count)}</div>'
            f'<textarea class="tw-copy-text" readonly hidden>{text(variant_text(variant))}</textarea></article>')


def checks_html(checks: dict[str, Any] | None, style: Style) -> str:
    """The compliance checks, folded when all passed: ✅ 9 of 9 checks passed."""
    if not checks:
        return ""
    rows, passed = [], 0
    for name, check in checks.items():
        ok = check.get("passed") if isinstance(check, dict) else bool(check)
        passed += bool(ok)
        detail = check.get("detail", "") if isinstance(check, dict) else ""
        rows.append(f"<li>{'✅' if ok else '❌'} {text(humanize(name))}" + (f": {text(detail)}" if detail else "")
                    + "</li>")
    summary = words("checks_passed", style, n=passed, total=len(checks))
    return (f'<details class="tw-checks"{"" if passed == len(checks) else " open"}><summary>'
            f"{'✅' if passed == len(checks) else '⚠️'} {text(summary)}</summary><ul>{''.join(rows)}</ul></details>")


def copy_cards_html(variants: list[dict[str, Any]], *, channel: str | None, style: Style,
                    checks: dict[str, Any] | None = None) -> str:
    """Every variant once, as a card with a copy button, and the checks the copy passed."""
    cards = []
    for i, variant in enumerate(variants):
        kind = "email" if ("subject" in variant or "body" in variant) else (channel if channel == "push" else "sms")
        letter = chr(65 + i) if i < 26 else str(i + 1)
        name = words("variant_name", style, letter=letter, channel=words(f"channel_{kind}", style))
        cards.append(email_card(variant, name, style) if kind == "email" else message_card(variant, name, kind, style))
    return (f'<div class="tw-copy-block"><div class="tw-copy-cards">{"".join(cards)}</div>'
            f"{checks_html(checks, style)}</div>")
