"""The bilingual glossary (prompts/glossary.json): metric, dimension and cue words, common retail
values in English and Chinese, number units and discount words, as data.

The planner reads every piece of an aggregate question through it; adding a word there teaches the
planner that word in every question of its kind.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import prompts

GLOSSARY_PATH = Path(prompts.__file__).resolve().parent / "glossary.json"
ZH_DIGIT = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


@lru_cache(maxsize=1)
def glossary() -> dict[str, Any]:
    return json.loads(GLOSSARY_PATH.read_text(encoding="utf-8"))


def words(entry: dict[str, list[str]]) -> list[str]:
    """Both languages' words of one entry."""
    return list(entry.get("en", [])) + list(entry.get("zh", []))


def metric_words() -> dict[str, list[str]]:
    return {name: words(entry) for name, entry in glossary()["metrics"].items()}


def dimension_words() -> dict[str, list[str]]:
    return {name: words(entry) for name, entry in glossary()["dimensions"].items()}


def cue_words() -> dict[str, list[str]]:
    return {kind: words(entry) for kind, entry in glossary()["cues"].items()}


def value_entries() -> list[list[str]]:
    """Each common value's names, English and Chinese together (笔记本电脑 = laptop = notebook)."""
    return [words(entry) for entry in glossary()["values"]]


def attribute_entries() -> list[list[str]]:
    """Each common attribute column's names (payment method = 支付方式)."""
    return [words(entry) for entry in glossary()["attributes"]]


def attribute_types() -> list[str | None]:
    """The column type each attribute concept names (numeric or categorical), or None for either."""
    return [entry.get("type") for entry in glossary()["attributes"]]


def translations(term: str) -> list[str]:
    """Every name the glossary gives the thing `term` names, in both languages ('笔记本电脑' -> laptop, notebook, …)."""
    key = term.strip().lower()
    for names in value_entries() + attribute_entries():
        if key in (n.lower() for n in names):
            return names
    return [term]


def unit_value(unit: str) -> int | None:
    """10000 for 万, 1000 for 千 or k."""
    return glossary()["units"].get(unit.strip().lower())


ZH_DISCOUNT = re.compile(r"([一二两三四五六七八九])([一二三四五六七八九])?折")
DIGIT_DISCOUNT = re.compile(r"(?<![\d.])(\d{1,2}(?:\.\d)?)\s*折")


def discount_off(text: str) -> float | None:
    """Percent off a Chinese discount names: 九折 -> 10, 八五折 -> 15, 7.5折 -> 25, 半价 -> 50; None if none."""
    lowered = text.lower()
    for word, off in glossary()["discount_words"].items():
        if word in lowered:
            return float(off)
    if m := DIGIT_DISCOUNT.search(text):
        number = float(m.group(1))
        paid = number * 10 if number < 10 else number  # 9折 and 8.5折 are tenths, 85折 hundredths
    elif m := ZH_DISCOUNT.search(text):
        paid = ZH_DIGIT[m.group(1)] * 10 + (ZH_DIGIT[m.group(2)] if m.group(2) else 0)
    else:
        return None
    return round(100 - paid, 2) if 0 < paid < 100 else None
