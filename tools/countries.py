"""Countries as data (prompts/countries.json): ISO 3166-1 codes with English and Chinese names and aliases.

One table for every place that reads a country: the planner links a shop's country column to every name of each
country it holds ("Canada", "加拿大" and "CA" are one country), and the semantic layer matches a country value
through it, so a shop that writes "CA" answers "Canada" and one that writes "Germany" answers "DE", and a country
the data lacks is said to be missing instead of being matched to a look-alike (Austria is no Australia).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import prompts

COUNTRIES_PATH = Path(prompts.__file__).resolve().parent / "countries.json"
SHARE = 0.8  # a column is a country column when this share of its (non-blank) values name a country


@dataclass(frozen=True)
class Country:
    code: str                 # ISO 3166-1 alpha-2, e.g. "CA"
    alpha3: str
    en: tuple[str, ...]       # English names and aliases, the usual name first
    zh: tuple[str, ...]       # Chinese names, the usual name first
    ambiguous: bool = False   # a name that is also a common word (Turkey, Jersey, Chad)

    @property
    def name(self) -> str:
        return self.en[0]

    def names(self) -> tuple[str, ...]:
        return self.en + self.zh


def _key(text: str) -> str:
    return re.sub(r"[\s._'’-]+", " ", str(text).strip().lower()).strip()


@lru_cache(maxsize=1)
def _table() -> tuple[tuple[Country, ...], dict[str, Country], frozenset[str]]:
    doc = json.loads(COUNTRIES_PATH.read_text(encoding="utf-8"))
    countries = tuple(Country(e["code"], e["alpha3"], tuple(e["en"]), tuple(e["zh"]), bool(e.get("ambiguous")))
                      for e in doc["countries"])
    by_key: dict[str, Country] = {}
    for c in countries:  # names first, codes after: a name never loses to a code spelt the same
        for name in c.names():
            by_key.setdefault(_key(name), c)
    for c in countries:
        by_key.setdefault(_key(c.code), c)
        by_key.setdefault(_key(c.alpha3), c)
    return countries, by_key, frozenset(code.lower() for code in doc.get("codes_not_in_questions", []))


def countries() -> tuple[Country, ...]:
    return _table()[0]


def lookup(text: object) -> Country | None:
    """The country a value names: a code (CA, CAN), a name or an alias, in English or Chinese; None otherwise."""
    if text is None:
        return None
    return _table()[1].get(_key(str(text)))


def code_in_question(code: str) -> bool:
    """Whether a two-letter code may be read as a country in a question ('DE', 'GB'; not 'us', 'in', 'it', 'no')."""
    return code.lower() not in _table()[2]


def is_country_column(values: Iterable[object]) -> bool:
    """Whether the values of a column are countries (codes or names): most of its non-blank values name one."""
    seen = [v for v in values if v is not None and str(v).strip()][:60]
    if not seen:
        return False
    hits = sum(lookup(v) is not None for v in seen)
    return hits >= SHARE * len(seen) and hits >= min(2, len(seen))


def same_country(value: object, valid: Iterable[str]) -> str | None:
    """The data's own spelling of the country `value` names ('Canada' -> 'CA', 'DE' -> 'Germany'), or None."""
    country = lookup(value)
    if country is None:
        return None
    return next((v for v in valid if lookup(v) == country), None)
