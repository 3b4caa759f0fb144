"""Regions as data (prompts/regions.json): states, provinces and territories with codes, English and Chinese names.

A shop's region column (Ship State of a US shop written "CA", 省份 written "广东省") is recognised by its values,
and every name of each region it holds reads as that value: "California" and "加州" are the column's "CA",
"Guangdong" and "广东" its "广东省". Codes are ambiguous across countries (WA is Washington and Western Australia),
so a column is read against the one country whose regions its values name best.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import prompts

REGIONS_PATH = Path(prompts.__file__).resolve().parent / "regions.json"
SHARE = 0.8          # a column is a region column when this share of its (non-blank) values name regions of one country
MIN_DISTINCT = 3     # and it holds at least this many different regions (two codes are too few to tell)


@dataclass(frozen=True)
class Region:
    country: str              # ISO 3166-1 alpha-2 of the country, e.g. "US"
    code: str                 # postal or common code, e.g. "CA"
    en: tuple[str, ...]
    zh: tuple[str, ...]

    def names(self) -> tuple[str, ...]:
        """Every name but the code (a two-letter code is read from a question only when the column is of codes)."""
        return self.en + self.zh


def _key(text: str) -> str:
    return re.sub(r"[\s.\-_'’]+", "", str(text).strip().lower())


@lru_cache(maxsize=1)
def _table() -> dict[str, dict[str, Region]]:
    """{country: {key of a code or name: region}}."""
    data = json.loads(REGIONS_PATH.read_text(encoding="utf-8"))
    out: dict[str, dict[str, Region]] = {}
    for entry in data["regions"]:
        region = Region(entry["country"], entry["code"], tuple(entry["en"]), tuple(entry["zh"]))
        book = out.setdefault(region.country, {})
        for name in (region.code, *region.names()):
            book.setdefault(_key(name), region)
    return out


def english_names() -> set[str]:
    """Every English name of every region (for a speller that must leave place names alone)."""
    return {name for book in _table().values() for region in book.values() for name in region.en}


def column_country(values: Iterable[object]) -> str | None:
    """The country whose regions a column's values name (codes or names), or None when it is not a region column."""
    seen = [str(v) for v in values if v is not None and str(v).strip()][:200]
    if not seen:
        return None
    best, best_hits = None, 0
    for country, book in _table().items():
        found = [book.get(_key(v)) for v in seen]
        hits = sum(r is not None for r in found)
        if hits > best_hits and len({r for r in found if r is not None}) >= MIN_DISTINCT:
            best, best_hits = country, hits
    return best if best is not None and best_hits >= SHARE * len(seen) else None


def lookup(text: object, country: str) -> Region | None:
    """The region of `country` a text names (its code, or an English or Chinese name); None otherwise."""
    return _table().get(country, {}).get(_key(str(text))) if text is not None else None


def same_region(value: object, valid: list[str]) -> str | None:
    """The data's own spelling of the region `value` names ('California' -> 'CA', '广东' -> '广东省') when `valid`
    is a region column; None otherwise."""
    country = column_country(valid)
    if country is None:
        return None
    region = lookup(value, country)
    if region is None:
        return None
    return next((v for v in valid if lookup(v, country) == region), None)


def linked_names(values: list[str]) -> dict[str, str]:
    """For a region column: every name of each region it holds -> the column's value ('加州' -> 'CA'); empty for
    another column. The codes themselves are left to the column's own values."""
    country = column_country(values)
    if country is None:
        return {}
    out: dict[str, str] = {}
    for value in values:
        region = lookup(value, country)
        if region is not None:
            for name in region.names():
                out.setdefault(name, value)
    return out
