"""Keep customer PII away from an external LLM: redact it into placeholders, restore it server-side.

Emails and phone numbers are found by pattern; customer names by looking up the word runs of a
text in the dataset's customers table (bound parameters, never pasted SQL). Each distinct value
gets a stable placeholder such as `<customer_1>` for the whole conversation turn, so the model can
still refer to "that customer" and ask `customer_lookup` about it; the real value is put back
only when the tool runs here, and in the answer shown to the user who typed it.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterable

EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# A run of digits with separators, optionally +country code / (area code); checked further in _is_phone.
PHONE_CANDIDATE = re.compile(r"(?<![\w.+/-])(?:\+|00)?\(?\d[\d\s().\-/]{5,}\d(?![\w/])")
CN_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
DATE_INSIDE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4}")
DECIMAL = re.compile(r"^\d+(?:[.,]\d+)?$")
WORD = re.compile(r"[^\W\d_]+")
CJK_RUN = re.compile(r"[\u3400-\u9fff]{2,}")
PLACEHOLDER = re.compile(r"<?\b(customer|email|phone)_(\d+)\b>?")

MAX_NAME_WORDS = 4  # "Emma van den Berg"
MIN_PHONE_DIGITS, MAX_PHONE_DIGITS = 8, 15  # E.164 allows at most 15 digits

NameLookup = Callable[[list[str]], set[str]]


def _is_phone(candidate: str) -> bool:
    """Digits written like a phone number, not an amount, a decimal or a date."""
    text = candidate.strip()
    digits = sum(ch.isdigit() for ch in text)
    if not MIN_PHONE_DIGITS <= digits <= MAX_PHONE_DIGITS or DATE_INSIDE.search(text) or DECIMAL.match(text):
        return False
    groups = [g for g in re.split(r"\D+", text) if g]
    # "15000000" is an amount: phones are written with a + or in groups ("+49 30 1234 5678", "138-1234-5678")
    if len(groups) < 2:
        return text.startswith(("+", "00"))
    return max(map(len, groups)) <= 8 and ("." not in text or max(map(len, groups)) <= 4)


def name_candidates(text: str) -> dict[str, list[tuple[int, int]]]:
    """Strings that could be a name, lower-cased, and where they occur: runs of 2..4 words
    ("Emma van den Berg", "O'Brien" included) and, in Chinese text written without spaces,
    every 2..4 character stretch ("王芳" in "客户王芳的等级")."""
    words = [(m.start(), m.end()) for m in WORD.finditer(text)]
    found: dict[str, list[tuple[int, int]]] = {}
    for i in range(len(words)):
        for j in range(i + 1, min(i + MAX_NAME_WORDS, len(words))):
            gap = text[words[j - 1][1]:words[j][0]]
            if len(gap) > 2 or "\n" in gap:  # names are written with a space, hyphen or apostrophe between words
                break
            start, end = words[i][0], words[j][1]
            found.setdefault(" ".join(text[start:end].lower().split()), []).append((start, end))
    for m in CJK_RUN.finditer(text):
        for start in range(m.start(), m.end()):
            for end in range(start + 2, min(start + MAX_NAME_WORDS, m.end()) + 1):
                found.setdefault(text[start:end], []).append((start, end))
    return found


def customer_name_lookup(snapshot) -> NameLookup | None:
    """A lookup of which candidate strings are customer names in this dataset (case-insensitive)."""
    try:
        columns = set(snapshot.query("SELECT * FROM customers LIMIT 0").columns)
    except Exception:  # no customers table: nothing to look up
        return None
    if "name" not in columns:
        return None

    def lookup(candidates: list[str]) -> set[str]:
        if not candidates:
            return set()
        rows = snapshot.query("""
            SELECT DISTINCT n FROM (SELECT lower(trim(name)) AS n FROM customers)
            WHERE n IN (SELECT unnest(?::VARCHAR[]))""", [candidates])
        return set(rows["n"].tolist())

    return lookup


class Redactor:
    """Replaces PII with placeholders and back. One per conversation turn; placeholders are stable."""

    def __init__(self, names: NameLookup | None = None):
        self._names = names
        self.values: dict[str, str] = {}        # placeholder -> real value (as first seen)
        self._by_value: dict[tuple[str, str], str] = {}  # (kind, lower-cased value) -> placeholder
        self._counts = {"customer": 0, "email": 0, "phone": 0}
        self._is_name: dict[str, bool] = {}  # candidate -> is a customer name (one lookup per candidate)

    @classmethod
    def for_snapshot(cls, snapshot) -> Redactor:
        return cls(customer_name_lookup(snapshot) if snapshot is not None else None)

    def _placeholder(self, kind: str, value: str) -> str:
        key = (kind, " ".join(value.lower().split()))
        if key not in self._by_value:
            self._counts[kind] += 1
            holder = f"<{kind}_{self._counts[kind]}>"
            self._by_value[key] = holder
            self.values[holder] = value
        return self._by_value[key]

    def redact(self, text: str, *, phones: bool = True) -> str:
        """The text with emails, phone numbers and customer names replaced by placeholders.

        `phones=False` for tool output, which holds no phone numbers but many figures that a phone
        pattern could mistake for one; values already redacted are still replaced.
        """
        if not text:
            return text
        spans: list[tuple[int, int, str]] = []
        # values seen before (a phone the user typed, echoed in a tool's error sentence)
        for holder, value in self.values.items():
            kind = holder[1:holder.index("_")]
            spans.extend((m.start(), m.end(), kind) for m in re.finditer(re.escape(value), text, re.IGNORECASE))
        for m in EMAIL.finditer(text):
            spans.append((m.start(), m.end(), "email"))
        for pattern in (PHONE_CANDIDATE, CN_MOBILE) if phones else ():
            for m in pattern.finditer(text):
                if pattern is CN_MOBILE or _is_phone(m.group()):
                    spans.append((m.start(), m.end(), "phone"))
        if self._names is not None:
            candidates = name_candidates(text)
            self._look_up(candidates)
            for candidate, where in candidates.items():
                if self._is_name[candidate]:
                    spans.extend((s, e, "customer") for s, e in where)
        return self._replace(text, spans)

    def prefetch(self, texts: Iterable[str]) -> None:
        """Look up the names of many texts in one query (e.g. a conversation's history)."""
        if self._names is not None:
            candidates: dict[str, Any] = {}
            for text in texts:
                candidates.update(name_candidates(text or ""))
            self._look_up(candidates)

    def _look_up(self, candidates: Iterable[str]) -> None:
        new = [c for c in candidates if c not in self._is_name]
        if new:
            found = self._names(new)
            self._is_name.update((c, c in found) for c in new)

    def _replace(self, text: str, spans: Iterable[tuple[int, int, str]]) -> str:
        # Longest first, so "Emma van den Berg" wins over "van den Berg" and an email over its digits.
        chosen: list[tuple[int, int, str]] = []
        for start, end, kind in sorted(spans, key=lambda s: (-(s[1] - s[0]), s[0])):
            if all(end <= s or start >= e for s, e, _ in chosen):
                chosen.append((start, end, kind))
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
