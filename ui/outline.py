"""An answer's text as a reader takes it in: a one-line headline, at most three bullets, the rest folded.

The planners write answers as sentences (templates in prompts/answers/, or an LLM's reply); the chat
shows the first sentence as the headline (it carries the key number: "1,661 customers match"), the
next sentences as bullets, and whatever is beyond three bullets, or only repeats the table below in
words (a sentence listing many groups), under a folded "More". The text itself is unchanged for the
CLI and the API; only the chat lays it out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

MAX_BULLETS = 3
LIST_SEPARATORS = 2   # a sentence with this many '; ' is a list of groups: the table says it better
# words whose full stop ends no sentence
ABBREVIATIONS = ("e.g", "i.e", "vs", "etc", "approx", "incl", "cf", "no", "mr", "mrs", "ms", "dr", "st")
_EN_END = re.compile(r"""(?<=[.!?])["'”’)\]]*\s+(?=["“'‘(\[]?[A-Za-z0-9$€£¥+\-−])""")
_ZH_END = re.compile(r"(?<=[。！？])[”’）」』]*")


@dataclass
class Outline:
    headline: str
    bullets: list[str] = field(default_factory=list)
    more: list[str] = field(default_factory=list)


def sentences(text: str) -> list[str]:
    """The text's sentences in order, English and Chinese alike; paragraphs and lines end one too."""
    out: list[str] = []
    for line in re.split(r"\n+", text or ""):
        line = line.strip()
        if not line:
            continue
        out += [s for part in _split_zh(line) for s in _split_en(part)]
    return [s.strip() for s in out if s.strip()]


def _split_zh(line: str) -> list[str]:
    cuts = [m.end() for m in _ZH_END.finditer(line)]
    pieces, start = [], 0
    for cut in cuts:
        if cut > start:
            pieces.append(line[start:cut])
            start = cut
    pieces.append(line[start:])
    return [p for p in pieces if p.strip()]


def _split_en(line: str) -> list[str]:
    pieces, start = [], 0
    for match in _EN_END.finditer(line):
        before = line[start:match.start()].rstrip(".!?\"'”’)] ").lower()
        word = re.split(r"[\s(]", before)[-1] if before else ""
        if word in ABBREVIATIONS or re.fullmatch(r"[a-z]", word):
            continue
        pieces.append(line[start:match.start()])
        start = match.end()
    pieces.append(line[start:])
    return pieces


def _lists_groups(sentence: str) -> bool:
    return sentence.count("; ") + sentence.count("；") >= LIST_SEPARATORS


def outline(text: str, *, quoted: Iterable[str] = (), tabled: bool = False, one_sentence: bool = False) -> Outline:
    """The headline, bullets and folded rest of an answer. `quoted`: texts shown elsewhere in the answer
    (campaign copy in its cards): paragraphs quoting them are left out; `tabled`: a table follows, so a
    sentence that lists many groups is folded; `one_sentence`: a card carries the rest, the headline alone."""
    quotes = [q.strip() for q in quoted if q and len(q.strip()) >= 8]
    kept = [p for p in re.split(r"\n\s*\n", text or "") if p.strip() and not any(q in p or p.strip() in q
                                                                                for q in quotes)]
    said = sentences("\n\n".join(kept))
    if not said:
        return Outline(headline=(text or "").strip())
    head, rest = said[0], said[1:]
    if one_sentence:
        return Outline(headline=head)
    bullets, more = [], []
    for sentence in rest:
        if (tabled and _lists_groups(sentence)) or len(bullets) >= MAX_BULLETS:
            more.append(sentence)
        else:
            bullets.append(sentence)
    return Outline(headline=head, bullets=bullets, more=more)
