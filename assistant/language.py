"""Text handling for the offline planner: language detection, numbers written as words
(English and Chinese), typo repair of common words and relative dates.

Everything here is pure and deterministic; regexes are compiled once at import.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from functools import lru_cache
from typing import Iterable, Literal

Language = Literal["en", "zh"]

CJK = re.compile(r"[\u4e00-\u9fff]")


def detect_language(text: str) -> Language:
    """zh when the question is mostly written in Chinese characters, en otherwise."""
    cjk = len(CJK.findall(text))
    latin = len(re.findall(r"[A-Za-z]+", text))
    # An id like C000042 inside a Chinese sentence must not make it English
    return "zh" if cjk and cjk >= latin else "en"


# ---------------------------------------------------------------- numbers in words
EN_UNITS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
            "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
            "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "a dozen": 12,
            "dozen": 12, "a couple of": 2, "a couple": 2, "couple of": 2, "a pair of": 2, "a few": 3, "a hundred": 100}
EN_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
EN_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
_EN_WORD = "|".join(sorted([k for k in EN_UNITS if " " not in k] + list(EN_TENS) + list(EN_SCALES), key=len, reverse=True))
EN_NUMBER_RUN = re.compile(rf"\b(?:a couple of|a couple|couple of|a pair of|a dozen|a few|a hundred|"
                           rf"(?:(?:{_EN_WORD})(?:[\s-]+(?:and\s+)?(?:{_EN_WORD}))*))\b(?!-time)", re.I)
# "one" is often not a number ("no one", "this one", "the ones"): only convert it in a numeric context
ONE_NOT_NUMBER = re.compile(r"\b(?:no|any|every|some|this|that|the|which|each|someone|anyone)\s+$", re.I)


def _en_words_to_int(words: str) -> int | None:
    text = words.lower().strip()
    if text in EN_UNITS:
        return EN_UNITS[text]
    total, current = 0, 0
    for token in re.split(r"[\s-]+", text):
        if token == "and":
            continue
        if token in EN_UNITS:
            current += EN_UNITS[token]
        elif token in EN_TENS:
            current += EN_TENS[token]
        elif token == "hundred":
            current = max(current, 1) * 100
        elif token in EN_SCALES:
            total += max(current, 1) * EN_SCALES[token]
            current = 0
        else:
            return None
    return total + current


ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
ZH_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
ZH_NUMERAL_RUN = re.compile(r"[零〇一二两三四五六七八九十百千万]+")
# a lone 一 is usually part of a word (一下, 一些, 一起); convert it only before a measure word
ZH_MEASURE = re.compile(r"^(?:个|年|月|天|日|周|星期|季度|封|条|次|单|名|位|份|组|版|种|批|百|千|万|倍|成|折|块|元|美元|欧元|%|％)")
ZH_IDIOMS = ("一下", "一些", "一起", "一样", "一直", "统一", "唯一", "万一", "一般", "一点", "一致", "一定", "一共",
             "一览", "一遍", "一番", "一并", "千万", "三思")


def zh_to_int(text: str) -> int | None:
    """一百二十 -> 120, 两千 -> 2000, 三 -> 3, 二十五 -> 25; None when it is not a number."""
    if not text:
        return None
    if all(ch in ZH_DIGITS for ch in text) and len(text) > 1:
        return int("".join(str(ZH_DIGITS[ch]) for ch in text))
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in ZH_DIGITS:
            digit = ZH_DIGITS[ch]
        elif ch in ZH_UNITS:
            unit = ZH_UNITS[ch]
            if unit == 10000:
                section = (section + (digit or 0)) * unit
                total += section
                section = 0
            else:
                section += (1 if digit is None else digit) * unit
            digit = None
        else:
            return None
    return total + section + (digit or 0)


def numbers_to_digits(text: str) -> str:
    """Rewrite numbers written as words (three, twenty-five, 三个, 一百二十) as digits."""
    def en(match: re.Match) -> str:
        words = match.group(0)
        if words.lower() == "one" and ONE_NOT_NUMBER.search(text[:match.start()]):
            return words
        if words.lower() in ("hundred", "thousand", "million"):
            return words
        value = _en_words_to_int(words)
        return words if value is None else str(value)

    text = EN_NUMBER_RUN.sub(en, text)

    def zh(match: re.Match) -> str:
        run = match.group(0)
        start, end = match.span()
        around = text[max(0, start - 1):end + 1]
        if any(idiom in around for idiom in ZH_IDIOMS):
            return run
        if run in ("一", "万", "千", "百") and not ZH_MEASURE.match(text[end:]):
            return run
        value = zh_to_int(run)
        if value is None:
            return run
        # "方案二2500人" must not read as 22500: keep a converted numeral apart from digits around it
        before = " " if start and text[start - 1].isdigit() else ""
        after = " " if end < len(text) and text[end].isdigit() else ""
        return f"{before}{value}{after}"

    text = ZH_NUMERAL_RUN.sub(zh, text)
    # 5k / 1.5k / 2m visitors; 1,000 -> 1000
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    text = re.sub(r"\b(\d+(?:\.\d+)?)\s?k\b", lambda m: str(int(float(m.group(1)) * 1000)), text, flags=re.I)
    return text


# ---------------------------------------------------------------- typo repair
WORD = re.compile(r"[a-z][a-z']+")


class Speller:
    """Repairs misspelt words against the planner's own vocabulary.

    Candidates come from a delete-neighbourhood index (the SymSpell idea), so a lookup costs a few
    dict hits instead of a fuzzy scan; the closest candidate by edit distance wins, ties by name.
    """

    def __init__(self, vocabulary: Iterable[str], *, keep: Iterable[str] = ()):
        self.words = frozenset(w for w in vocabulary if len(w) >= 3)
        self.keep = frozenset(keep) | self.words
        self.stems = frozenset(w for w in self.words if len(w) >= 5)
        self.index: dict[str, set[str]] = {}
        for word in self.words:
            if len(word) < 4:
                continue
            for variant in _deletes(word, 1):
                self.index.setdefault(variant, set()).add(word)

    @staticmethod
    def max_distance(length: int) -> int:
        return 2 if length >= 8 else 1

    @lru_cache(maxsize=8192)
    def fix_word(self, word: str) -> str:
        if len(word) < 5 or word in self.keep:
            return word
        # a word that extends a lexicon stem ("countr" of countr(y|ies), "hibernat") is already understood
        if any(word[:n] in self.stems for n in range(5, len(word))):
            return word
        limit = self.max_distance(len(word))
        candidates: set[str] = set()
        for variant in _deletes(word, 1):  # one delete on each side finds single edits and swaps
            candidates |= self.index.get(variant, set())
        best = sorted((d, w) for w in candidates if (d := edit_distance(word, w)) <= limit)
        return best[0][1] if best else word

    def fix(self, text: str) -> str:
        return WORD.sub(lambda m: self.fix_word(m.group(0)), text)


def _deletes(word: str, depth: int) -> set[str]:
    found, frontier = {word}, {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1:] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


def edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (adjacent swaps count once)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


# ---------------------------------------------------------------- relative dates
MONTHS = {name: i + 1 for i, name in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"])}
MONTHS.update({name[:3]: num for name, num in list(MONTHS.items())})
MONTHS["sept"] = 9
MONTH_NAMES = "|".join(sorted(MONTHS, key=len, reverse=True))


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_end(day: date) -> date:
    return add_months(day, 1) - timedelta(days=1)


def _span_months(as_of: date, n: int) -> tuple[date, date]:
    # "the last 6 months" = six whole months ending with the as-of month
    return add_months(date(as_of.year, as_of.month, 1), -(n - 1)), as_of


REL_PATTERNS: list[tuple[re.Pattern, str]] = [(re.compile(p, re.I), kind) for p, kind in [
    (r"\b(?:last|past|previous|prior)\s+quarter\b|上(?:个|一)?季度", "last_quarter"),
    (r"\bthis\s+quarter\b|\bquarter to date\b|\bqtd\b|本季度|这个季度|这季度", "this_quarter"),
    (r"\bthis\s+year\b|\byear to date\b|\bytd\b|今年|本年度?", "this_year"),
    (r"\b(?:last|previous|prior)\s+year\b|去年|上一?年", "last_year"),
    (r"\bthis\s+month\b|\bmonth to date\b|\bmtd\b|本月|这个月", "this_month"),
    (r"\b(?:last|previous|prior)\s+month\b|上(?:个|一)?月(?!份)", "last_month"),
    (r"\b(?:last|past|previous)\s+(\d+)\s+(day|week|month|year)s?\b|(?:最近|过去|近)(\d+)\s*(天|日|周|个?星期|个?月|年)", "last_n"),
    (r"\b(?:last|past)\s+(day|week|month|year)\b", "last_1"),
    (r"\bsince\s+(?:the\s+start\s+of\s+|the\s+beginning\s+of\s+)?(" + MONTH_NAMES + r")\b(?:\s+(\d{4}))?", "since_month"),
    (r"(?:自|从)?(?:(\d{4})年)?(\d{1,2})月(?:份)?(?:以来|开始|起|至今)", "since_month_zh"),
    (r"\bsince\s+(\d{4})\b|(?:自|从)(\d{4})年(?:以来|开始|起)", "since_year"),
    (r"\bin\s+(\d{4})\b|(?<!\d)(\d{4})年(?!\d)", "in_year"),
    (r"\bsince\s+(\d{4}-\d{2}-\d{2})\b", "since_date"),
]]


def relative_period(text: str, as_of: date) -> tuple[date | None, date | None]:
    """(since, until) for a relative period in the text, computed from the as-of date; (None, None) if none."""
    for pattern, kind in REL_PATTERNS:
        m = pattern.search(text)
        if not m:
            continue
        if kind == "last_quarter":
            end = quarter_start(as_of) - timedelta(days=1)
            return quarter_start(end), end
        if kind == "this_quarter":
            return quarter_start(as_of), as_of
        if kind == "this_year":
            return date(as_of.year, 1, 1), as_of
        if kind == "last_year":
            return date(as_of.year - 1, 1, 1), date(as_of.year - 1, 12, 31)
        if kind == "this_month":
            return date(as_of.year, as_of.month, 1), as_of
        if kind == "last_month":
            start = add_months(date(as_of.year, as_of.month, 1), -1)
            return start, month_end(start)
        if kind in ("last_n", "last_1"):
            if kind == "last_1":
                n, unit = 1, m.group(1).lower()
            else:
                n = int(m.group(1) or m.group(3))
                unit = (m.group(2) or m.group(4)).lower()
            if unit in ("month", "个月", "月"):
                return _span_months(as_of, n)
            if unit in ("year", "年"):
                return _span_months(as_of, 12 * n)
            days = n * (7 if unit in ("week", "周", "星期", "个星期") else 1)
            return as_of - timedelta(days=days - 1), as_of
        if kind == "since_month":
            month = MONTHS[m.group(1).lower()]
            year = int(m.group(2)) if m.group(2) else (as_of.year if month <= as_of.month else as_of.year - 1)
            return date(year, month, 1), None
        if kind == "since_month_zh":
            month = int(m.group(2))
            if not 1 <= month <= 12:
                continue
            year = int(m.group(1)) if m.group(1) else (as_of.year if month <= as_of.month else as_of.year - 1)
            return date(year, month, 1), None
        if kind == "since_year":
            return date(int(m.group(1) or m.group(2)), 1, 1), None
        if kind == "in_year":
            year = int(m.group(1) or m.group(2))
            if 1990 <= year <= as_of.year:
                return date(year, 1, 1), min(date(year, 12, 31), as_of)
            continue
        if kind == "since_date":
            try:
                return date.fromisoformat(m.group(1)), None
            except ValueError:
                continue
    return None, None


HORIZON_PATTERNS: list[tuple[re.Pattern, object]] = [(re.compile(p, re.I), v) for p, v in [
    (r"\b(?:next|coming|following|over\s+the\s+next|within)\s+(\d+)\s*(day|week|month|year)s?\b"
     r"|(?:未来|接下来的?|今后|之后的?)\s*(\d+)\s*(天|日|周|个?星期|个?月|年)", "n"),
    (r"\bnext\s+quarter\b|\bcoming\s+quarter\b|下(?:个|一)?季度|未来(?:一|1)?个?季度", 90),
    (r"\bnext\s+(?:12\s+months|year)\b|\bcoming\s+year\b|\bnext\s+fiscal\s+year\b|\bnext\s+year'?s?\b|明年|未来(?:1|一)?年|下一年", 365),
    (r"\bnext\s+month\b|\bcoming\s+month\b|下(?:个|一)?月", 30),
    (r"\bnext\s+week\b|下(?:个|一)?(?:周|星期)", 7),
    (r"\b(?:next\s+)?half[- ]year\b|\bnext\s+6\s+months\b|未来半年|下半年", 180),
    (r"\b(\d+)[- ](day|week|month|year)s?\b(?! ago)|(?<!最近)(?<!过去)(?<!近)(\d+)\s*(天|周|个月)(?:内|的)?(?:营收|收入|价值|销售额|预测)", "n"),
    (r"\bover\s+(?:their|a|the)\s+lifetime\b|\blifetime\b", None),
]]


def horizon_days(text: str) -> int | None:
    """Days of a future horizon: 'next 90 days' 90, 'next quarter' 90, 'next year' 365, '未来三个月' 90."""
    for pattern, value in HORIZON_PATTERNS:
        m = pattern.search(text)
        if not m:
            continue
        if value != "n":
            return value  # type: ignore[return-value]
        n = int(m.group(1) or m.group(3))
        unit = (m.group(2) or m.group(4)).lower()
        if unit in ("day", "天", "日"):
            return n
        if unit in ("week", "周", "星期", "个星期"):
            return 7 * n
        if unit in ("year", "年"):
            return 365 * n
        return 365 * (n // 12) if n % 12 == 0 else 30 * n
    return None
