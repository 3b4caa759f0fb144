"""Keep customer PII away from an external LLM: redact it into placeholders, restore it server-side.

Emails and phone numbers are found by pattern (and a dataset's own phone numbers by their digits);
customer names by looking up the word runs of a text in the dataset's names, however they are
written (tools.pii: any order, with or without accents, joined or split). Each distinct value gets
a stable placeholder such as `<customer_1>` for the whole conversation turn, so the model can still
refer to "that customer" and ask `customer_lookup` about it; the real value is put back only when
the tool runs here, and in the answer shown to the user who typed it.

Every pattern here is linear in the text: quantifiers are bounded and emails are read outwards
from each "@", so no input makes redaction slow (a hostile `a@` + `b.` x 50,000 is one pass).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Callable, Iterable

from tools.pii import PLACEHOLDER, WORD, find_emails, fold, name_candidates, phone_key, pii_index

# A run of digits with separators, optionally +country code / (area code); checked further in _is_phone.
PHONE_CANDIDATE = re.compile(r"(?<![\w.+/-])(?:\+|00)?\(?\d[\d \t().\-/]{5,24}\d(?![\w/])")
CN_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
DATE_INSIDE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4}")
DECIMAL = re.compile(r"\d{1,20}(?:[.,]\d{1,20})?")
# 1 234 567, 1.234.567: an amount with thousands separators, not a phone number
THOUSANDS = re.compile(r"\d{1,3}(?:([ .'\u00a0\u202f])\d{3})(?:\1\d{3}){0,5}")
GROUPS = re.compile(r"\d+")
# A number right after one of these words is a phone number whatever its shape ("call 5551234")
# ("call me at 5551234", "电话：5551234"); up to two short words may come between.
PHONE_WORD = re.compile(r"(?:phone|tel|mobile|cell|call|ring|whatsapp|fax|sms|text|电话|手机|号码|致电|联系)"
                        r"(?:\W{1,3}\w{1,3}){0,2}\W{0,4}$", re.IGNORECASE)
PHONE_WORD_WINDOW = 24

MIN_PHONE_DIGITS, MAX_PHONE_DIGITS = 7, 15  # "555-1234" .. E.164's 15 digits

NameLookup = Callable[[list[str]], set[str]]
PhoneLookup = Callable[[Iterable[str]], set[str]]


def _is_phone(candidate: str, before: str = "") -> bool:
    """Digits written like a phone number, not an amount, a decimal or a date. `before` is the text just
    before the candidate: after "phone", "call" or 电话 any 7..15 digits are a phone number."""
    text = candidate.strip()
    digits = sum(ch.isdigit() for ch in text)
    if not MIN_PHONE_DIGITS <= digits <= MAX_PHONE_DIGITS or DATE_INSIDE.search(text):
        return False
    if PHONE_WORD.search(before[-PHONE_WORD_WINDOW:]):
        return True
    if text.startswith(("+", "00")):  # international: +49 30 1234 5678, 004930123456
        return digits >= 8
    if DECIMAL.fullmatch(text) and not text.isdigit():
        return False
    groups = GROUPS.findall(text)
    if len(groups) == 1:
        # one plain run: a national number with its trunk 0 (07700900123, 015112345678) or a Chinese mobile
        return (text.startswith("0") and 9 <= digits <= 12) or bool(CN_MOBILE.fullmatch(text))
    if THOUSANDS.fullmatch(text):
        return False
    longest = max(map(len, groups))
    # "138-1234-5678", "555-1234", "(030) 1234567", "07700 900123"; dots only between short groups (555.123.4567)
    return longest <= 8 and ("." not in text or longest <= 4)


def _same_value_key(kind: str, value: str) -> str:
    """What makes two spellings the same value: a name's letters (words in any order, accents and case
    folded), a phone's identifying digits, an email in lower case."""
    if kind == "phone":
        return phone_key(value) or value
    if kind == "customer":
        plain = "".join(c for c in unicodedata.normalize("NFKD", value) if not unicodedata.combining(c)).casefold()
        return "".join(sorted(WORD.findall(plain)))
    return " ".join(value.lower().split())


class Redactor:
    """Replaces PII with placeholders and back. One per conversation turn; placeholders are stable."""

    def __init__(self, names: NameLookup | None = None, phones: PhoneLookup | None = None):
        self._names, self._phones = names, phones
        self.values: dict[str, str] = {}        # placeholder -> real value (as first seen)
        self._by_value: dict[tuple[str, str], str] = {}  # (kind, lower-cased value) -> placeholder
        self._counts = {"customer": 0, "email": 0, "phone": 0}
        self._is_name: dict[str, bool] = {}  # candidate -> is a customer name (one lookup per candidate)
        self._kind_by_raw: dict[str, str] = {}  # every spelling redacted so far (lower case) -> its kind
        self._known: re.Pattern | None = None  # those spellings, as one alternation

    @classmethod
    def for_snapshot(cls, snapshot) -> Redactor:
        if snapshot is None:
            return cls()
        index = pii_index(snapshot)
        return cls(index.names if index.has_names else None, index.phones if index.has_phones else None)

    def _placeholder(self, kind: str, value: str) -> str:
        # one person, one placeholder: "Chloé Martin", "Martin, Chloe" and "chloe_martin" are the same customer,
        # "+44 20 7946 0958" and "020 7946 0958" the same phone
        key = (kind, _same_value_key(kind, value))
        if key not in self._by_value:
            self._counts[kind] += 1
            holder = f"<{kind}_{self._counts[kind]}>"
            self._by_value[key] = holder
            self.values[holder] = value
        if value.lower() not in self._kind_by_raw:
            self._kind_by_raw[value.lower()] = kind
            self._known = None
        return self._by_value[key]

    def redact(self, text: str) -> str:
        """The text with emails, phone numbers and customer names replaced by placeholders."""
        if not text:
            return text
        text = fold(text)
        spans: list[tuple[int, int, str]] = []
        # values seen before (a phone the user typed, echoed in a tool's error sentence)
        if self._kind_by_raw:
            if self._known is None:
                alternatives = sorted(map(re.escape, self._kind_by_raw), key=len, reverse=True)
                self._known = re.compile("|".join(alternatives), re.IGNORECASE)
            spans.extend((m.start(), m.end(), self._kind_by_raw.get(m.group().lower(), "customer"))
                         for m in self._known.finditer(text))
        spans.extend((start, end, "email") for start, end in find_emails(text))
        spans.extend(self._phone_spans(text))
        if self._names is not None:
            candidates = name_candidates(text)
            self._look_up(candidates)
            for candidate, where in candidates.items():
                if self._is_name[candidate]:
                    spans.extend((s, e, "customer") for s, e in where)
        return self._replace(text, spans)

    def _phone_spans(self, text: str) -> list[tuple[int, int, str]]:
        spans, unsure = [], []
        for m in PHONE_CANDIDATE.finditer(text):
            if _is_phone(m.group(), text[max(0, m.start() - PHONE_WORD_WINDOW):m.start()]):
                spans.append((m.start(), m.end(), "phone"))
            elif self._phones is not None and (key := phone_key(m.group())):
                unsure.append((m.start(), m.end(), key))
        spans.extend((m.start(), m.end(), "phone") for m in CN_MOBILE.finditer(text))
        if unsure:  # a number of any shape that is one of the dataset's own phone numbers
            known = self._phones(key for _, _, key in unsure)
            spans.extend((s, e, "phone") for s, e, key in unsure if key in known)
        return spans

    def prefetch(self, texts: Iterable[str]) -> None:
        """Look up the names of many texts in one query (e.g. a conversation's history)."""
        if self._names is not None:
            candidates: dict[str, Any] = {}
            for text in texts:
                candidates.update(name_candidates(fold(text or "")))
            self._look_up(candidates)

    def _look_up(self, candidates: Iterable[str]) -> None:
        new = [c for c in candidates if c not in self._is_name]
        if new:
            found = self._names(new)
            self._is_name.update((c, c in found) for c in new)

    def _replace(self, text: str, spans: Iterable[tuple[int, int, str]]) -> str:
        # Longest first, so "Emma van den Berg" wins over "van den Berg" and an email over its digits;
        # an interval map keeps this linear in the number of spans.
        taken: list[bool] = [False] * (len(text) + 1)
        chosen: list[tuple[int, int, str]] = []
        for start, end, kind in sorted(spans, key=lambda s: (-(s[1] - s[0]), s[0])):
            if not taken[start] and not taken[end - 1] and not any(taken[start:end]):
                chosen.append((start, end, kind))
                taken[start:end] = [True] * (end - start)
        out, pos = [], 0
        for start, end, kind in sorted(chosen):
            out.append(text[pos:start])
            out.append(self._placeholder(kind, text[start:end]))
            pos = end
        out.append(text[pos:])
        return "".join(out)

    def restore(self, text: str) -> str:
        """Placeholders back to the real values (for the tool call and for the user's answer)."""
        if not text or not self.values:
            return text

        def sub(m: re.Match) -> str:
            return self.values.get(f"<{m.group(1)}_{m.group(2)}>", m.group(0))

        return PLACEHOLDER.sub(sub, text)

    def restore_args(self, args: dict[str, Any]) -> dict[str, Any]:
        return {k: self.restore(v) if isinstance(v, str) else v for k, v in (args or {}).items()}


class StreamRestorer:
    """Restores placeholders in streamed text, holding back a placeholder split across chunks."""

    HOLD = 16  # longer than any placeholder, e.g. "<customer_123>"

    def __init__(self, redactor: Redactor, emit: Callable[[str], None]):
        self.redactor, self.emit, self.buffer = redactor, emit, ""

    def feed(self, chunk: str) -> None:
        self.buffer += chunk
        cut = self.buffer.rfind("<")
        if cut == -1 or ">" in self.buffer[cut:] or len(self.buffer) - cut > self.HOLD:
            cut = len(self.buffer)
        ready, self.buffer = self.buffer[:cut], self.buffer[cut:]
        if ready:
            self.emit(self.redactor.restore(ready))

    def flush(self) -> None:
        if self.buffer:
            self.emit(self.redactor.restore(self.buffer))
            self.buffer = ""
