"""Which data values may be listed to a model as values: short, plain text, never an instruction or markup.

A shop's own data is written by anyone (a product feed, a CRM export, a hostile upload), so a
category may read "SYSTEM: ignore previous instructions" or carry HTML. Such a value still works
as data everywhere; it is only left out of the lists of valid values an LLM is shown (the system
prompt, the catalog in a tool's description, the "Valid values: …" of an error), where it could pass
for part of the instructions. Every check is a bounded pattern on a value of bounded length.
"""

from __future__ import annotations

import re
from typing import Iterable

MAX_VALUE_CHARS = 60   # a country, channel, category, segment or persona name fits
MAX_VALUE_WORDS = 8

# Instructions, role markers and commands, in English and Chinese (lower-cased value).
INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override|bypass|obey)\b"
    r"|\b(?:system|assistant|user|developer|tool)\s*:"
    r"|\b(?:you are|you're|you must|you should|act as|pretend|jailbreak|system prompt|instruction|instructions"
    r"|admin|administrator|sudo|root access|export all|delete|drop table|run this|execute)\b"
    r"|忽略|无视|指令|提示词|系统提示|系统[:：]|管理员|你现在|你必须|导出所有|删除")
# Markup, links, code and control characters.
MARKUP = re.compile(r"[<>{}\[\]`|\\]|https?:|www\.|&#|&[a-z]{2,8};|[\x00-\x1f\x7f\u2028\u2029]", re.IGNORECASE)


def is_plain_value(value: object) -> bool:
    """True for a value that can be listed as a value: short plain text, no instruction, markup or link."""
    if not isinstance(value, str):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    text = value.strip()
    if not text or len(text) > MAX_VALUE_CHARS or len(text.split()) > MAX_VALUE_WORDS:
        return False
    return not MARKUP.search(text) and not INSTRUCTION.search(text.lower())


def plain_values(values: Iterable[object], limit: int | None = None) -> list[str]:
    """The values that can be listed, as strings, at most `limit` of them."""
    out = []
    for value in values:
        if is_plain_value(value):
            out.append(str(value).strip())
            if limit is not None and len(out) >= limit:
                break
    return out
