"""Data values as campaign copy names them: product codes set aside, and product and category names in
the copy's language, through the copy templates' own category names (prompts/copy/<lang>/common.txt)
and the bilingual glossary (prompts/glossary.json).

A name is translated whole when the glossary knows it ("Smartphone" -> 智能手机), or word by word when
what is left is a model code ("Smartphone X12" -> 智能手机 X12). A name that would come out half
translated ("Wireless 耳机") is not used in copy of that language; a name the glossary cannot
translate at all stays as the data spells it.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

GLOSSARY = Path(__file__).resolve().parents[1] / "prompts" / "glossary.json"
CJK = re.compile(r"[\u3400-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'&-]*")
# SKU1004, TBL345, 100-2034, A12/B: one token, digits in it, nothing but letters, digits and code punctuation
CODE = re.compile(r"(?=[^\s]*\d)[A-Za-z0-9][A-Za-z0-9\-_./#]*")


def looks_like_code(name: str) -> bool:
    """Whether a product value is a code rather than a name a customer would recognise."""
    return bool(CODE.fullmatch(str(name).strip()))


@lru_cache(maxsize=1)
def _entries() -> list[tuple[list[str], list[str]]]:
    data = json.loads(GLOSSARY.read_text(encoding="utf-8"))
    return [(list(e.get("en", [])), list(e.get("zh", []))) for e in data.get("values", []) + data.get("attributes", [])
            if e.get("en") and e.get("zh")]


@lru_cache(maxsize=1)
def _to_zh() -> dict[str, str]:
    return {en.lower(): zh[0] for ens, zh in _entries() for en in ens}


@lru_cache(maxsize=1)
def _to_en() -> dict[str, str]:
    return {z: ens[0] for ens, zhs in _entries() for z in zhs}


def _zh(name: str, own: dict[str, str]) -> str | None:
    if name in own:
        return own[name]
    if not LATIN_WORD.search(name):
        return name
    table = _to_zh()
    whole = table.get(name.lower().strip())
    if whole:
        return whole
    words = name.split()
    out, i, translated = [], 0, False
    while i < len(words):
        for size in range(min(4, len(words) - i), 0, -1):
            zh = table.get(" ".join(words[i:i + size]).lower())
            if zh:
                out.append(zh)
                i += size
                translated = True
                break
        else:
            out.append(words[i])
            i += 1
    if not translated:
        return name  # the glossary has no word for it: the data's own spelling
    leftover = [w for w in out if LATIN_WORD.fullmatch(w) and not CJK.search(w)]
    if leftover:
        return None  # half translated
    return re.sub(r"(?<=[\u3400-\u9fff]) (?=[\u3400-\u9fff])", "", " ".join(out))


def _en(name: str) -> str:
    if not CJK.search(name):
        return name
    en = _to_en().get(name.strip())
    return en[:1].upper() + en[1:] if en else name


def copy_name(value: str, language: str, *, own: dict[str, str] | None = None) -> str | None:
    """The name of a product or category in copy of `language`; None when it should not appear there."""
    value = str(value).strip()
    if not value:
        return None
    return _zh(value, own or {}) if language == "zh" else _en(value)


def copy_names(values: list[str], language: str, *, own: dict[str, str] | None = None,
               products: bool = False) -> list[str]:
    """The values copy of `language` can name, in order, without repeats; codes are left out of products."""
    shown: list[str] = []
    for value in values:
        if products and looks_like_code(value):
            continue
        name = copy_name(value, language, own=own)
        if name and name not in shown:
            shown.append(name)
    return shown
