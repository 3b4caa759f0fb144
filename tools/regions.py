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
    is a region column, or of the Chinese place it romanises ('Hangzhou' -> '杭州市'); None otherwise."""
    country = column_country(valid)
    if country is None:
        text = _key(str(value))
        return romanised_places(valid).get(text) if text.isascii() and text.isalpha() else None
    region = lookup(value, country)
    if region is None:
        return None
    return next((v for v in valid if lookup(v, country) == region), None)


def linked_names(values: list[str]) -> dict[str, str]:
    """For a region column: every name of each region it holds -> the column's value ('加州' -> 'CA'); for a column
    of Chinese place names, each one's romanisation too ('Hangzhou' -> '杭州市'); empty for another column. The codes
    themselves are left to the column's own values."""
    out: dict[str, str] = {}
    country = column_country(values)
    if country is not None:
        for value in values:
            region = lookup(value, country)
            if region is not None:
                for name in region.names():
                    out.setdefault(name, value)
    for name, value in romanised_places(values).items():
        out.setdefault(name, value)
    return out


# A Chinese place name and its administrative suffix: 杭州市, 西湖区, 广东省, 延边朝鲜族自治州
CHINESE_PLACE = re.compile(r"([\u4e00-\u9fff]{2,}?)(?:特别行政区|自治区|自治州|自治县|地区|市|省|区|县|州|盟|旗)?")


def romanised_places(values: Iterable[object]) -> dict[str, str]:
    """For a column of Chinese place names (80% of its values, at least three different ones): each place's
    romanisation without tones or suffix -> the value ('hangzhou' -> '杭州市', 'chongqing' -> '重庆'), so a question
    in English names a city the data writes in Chinese. A romanisation two places share names neither."""
    seen = [str(v).strip() for v in values if v is not None and str(v).strip()]
    places = [(v, m.group(1)) for v in seen if (m := CHINESE_PLACE.fullmatch(v))]
    if len({v for v, _ in places}) < MIN_DISTINCT or len(places) < SHARE * len(seen) \
            or not any(v != stem for v, stem in places):  # no suffix anywhere: words, not place names
        return {}
    from pypinyin import lazy_pinyin  # only for a column of Chinese places

    out: dict[str, str] = {}
    shared: set[str] = set()
    for value, stem in places:
        name = "".join(lazy_pinyin(stem))
        if out.get(name, value) != value:
            shared.add(name)
        out.setdefault(name, value)
    return {name: value for name, value in out.items() if name not in shared}
