"""Grounded campaign copy: a fact sheet of the audience, copy written only from it, and checks.

The copy may use nothing but the fact sheet: every number must appear in it, every product named
must be one of its products, and an offer appears only when one was given, exactly as given.
Without an LLM the copy comes from the templates in `prompts/copy/<language>/<goal>.txt`; with
one (`ctx.copywriter`), the LLM's variants go through the same checks, and any variant that
fails is replaced by template copy, which the checks report.

Length limits (LIMITS, data): SMS fits one message, 160 GSM-7 characters or 70 UCS-2
characters as soon as one character is outside GSM-7 (any Chinese text); push text fits about
110 columns, the width a lock-screen notification shows before cutting off, with CJK
characters counted as two columns; email subjects stay within 60 characters.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Literal, get_args

import pandas as pd

from tools.audience import AudienceFilters, describe
from tools.brand import SET_BRAND_HINT
from tools.context import ToolContext
from tools.customers import audience_where, recommend_for_customers
from tools.errors import TierwiseError
from tools.pii import pii_index
from tools.results import ToolResult, count
from tools.wording import copy_name, copy_names, looks_like_code

Goal = Literal["winback", "retention", "upsell", "cross_sell", "welcome", "loyalty", "announcement"]
Channel = Literal["email", "sms", "push"]
Language = Literal["en", "zh"]

COPY_DIR = Path(__file__).resolve().parents[1] / "prompts" / "copy"
MAX_VARIANTS = 5
DEFAULT_VARIANTS = {"email": 3, "sms": 1, "push": 1}  # email: one variant per angle of the templates
RECOMMEND_SAMPLE = 500  # the audience's most valuable customers whose recommendations are pooled
FACT_PRODUCTS = 3
PRODUCT_CANDIDATES = 10  # looked at to find FACT_PRODUCTS the copy's language can name
MONTH_DAYS = 30.4
MIN_MONTHS = 2  # "about N months since your last order" from two months on
FACT_CATEGORIES = 3
LIMITS = {"sms_gsm7": 160, "sms_ucs2": 70, "push_columns": 110, "email_subject": 60}
UNSUBSCRIBE_WORD = {"en": "unsubscribe", "zh": "退订"}
FIELDS = {"email": ("subject", "preheader", "body", "cta"), "sms": ("text",), "push": ("text",)}
# What a free-text tone asks for, mapped to the tags templates carry.
TONES = {
    "warm": ("warm", "friendly", "casual", "caring", "helpful", "亲切", "温暖", "友好", "真诚"),
    "playful": ("playful", "fun", "witty", "cheeky", "light", "humorous", "活泼", "俏皮", "有趣", "轻松", "幽默"),
    "premium": ("premium", "formal", "elegant", "professional", "luxury", "luxurious", "正式", "专业", "高端", "尊贵", "优雅"),
}


# ---------------------------------------------------------------------------------------------
# Templates

@dataclass(frozen=True)
class Template:
    goal: str
    channel: str
    tone: str
    fields: dict[str, str]
    index: int


@lru_cache(maxsize=None)
def load_templates(language: str) -> dict[tuple[str, str], list[Template]]:
    """Every template of a language by (goal, channel), in file order."""
    found: dict[tuple[str, str], list[Template]] = {}
    for goal in get_args(Goal):
        path = COPY_DIR / language / f"{goal}.txt"
        if not path.is_file():
            raise TierwiseError(f"Copy templates are missing: {path} does not exist.")
        blocks = re.split(r"^===\s*", path.read_text(encoding="utf-8"), flags=re.MULTILINE)[1:]
        for block in blocks:
            header, _, content = block.partition("\n")
            channel, _, options = header.partition("|")
            channel = channel.strip()
            tone = re.search(r"tone:\s*(\w+)", options)
            lines = [line for line in content.splitlines() if not line.lstrip().startswith("#")]
            if channel == "email":
                fields: dict[str, str] = {}
                for i, line in enumerate(lines):
                    key, sep, value = line.partition(":")
                    if key.strip() == "body" and sep:
                        fields["body"] = "\n".join(lines[i + 1:]).strip()
                        break
                    if sep and key.strip() in ("subject", "preheader", "cta"):
                        fields[key.strip()] = value.strip()
                missing = [f for f in FIELDS["email"] if f not in fields]
                if missing:
                    raise TierwiseError(f"An email template in {path} lacks {', '.join(missing)}.")
            elif channel in FIELDS:
                fields = {"text": " ".join(line.strip() for line in lines if line.strip())}
            else:
                raise TierwiseError(f"Unknown channel '{channel}' in {path}; use email, sms or push.")
            key = (goal, channel)
            found.setdefault(key, []).append(
                Template(goal, channel, tone.group(1) if tone else "warm", fields, len(found.get(key, []))))
    return found


@lru_cache(maxsize=None)
def load_common(language: str) -> dict[str, Any]:
    """Greeting, sign-off, footer, SMS prefix/opt-out, category names and synonyms of a language."""
    common: dict[str, Any] = {"categories": {}, "synonyms": {}}
    for line in (COPY_DIR / language / "common.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, _, value = line.partition(":")
        value = value.strip().replace("\\n", "\n")
        if key.startswith("category."):
            common["categories"][key.removeprefix("category.")] = value
        else:
            common[key.strip()] = value
    synonyms = COPY_DIR / language / "synonyms.txt"
    if synonyms.is_file():
        for line in synonyms.read_text(encoding="utf-8").splitlines():
            word, sep, replacement = line.partition("=")
            if sep and not line.lstrip().startswith("#"):
                common["synonyms"][word.strip().lower()] = replacement.strip()
    return common


CONDITION = re.compile(r"\[\[(\w+)\|((?:(?!\[\[|\]\]).)*)\]\]", re.DOTALL)
PLACEHOLDER = re.compile(r"(?<!\{)\{(\w+)\}(?!\})")


def _fill(text: str, values: dict[str, str], conditions: dict[str, bool]) -> str:
    while True:  # innermost blocks first, so blocks may nest
        text, n = CONDITION.subn(lambda m: m.group(2) if conditions[m.group(1)] else "", text)
        if not n:
            break

    def value(match: re.Match) -> str:
        if match.group(1) not in values:
            raise TierwiseError(f"A copy template uses an unknown placeholder {{{match.group(1)}}}.")
        return values[match.group(1)]

    text = PLACEHOLDER.sub(value, text)
    text = re.sub(r"([.!?。！？])[.。]", r"\1", text)  # an offer ending in a full stop, then the template's
    text = re.sub(r"[ \t]+([,.!?:;，。！？：；])", r"\1", text)
    text = re.sub(r"[ \t]{2,}", " ", text)
    return "\n".join(line.strip() for line in text.splitlines()).strip()


def render(template: Template, facts: dict[str, Any], language: str, *, products: list[str],
           categories: list[str]) -> dict[str, str]:
    """One variant from a template; only the fact sheet fills it. Without a brand, the shop is named
    neutrally ("our shop") and the copy signs off without a name."""
    common = load_common(language)
    cats = list(categories)
    offer = facts.get("offer") or ""
    months = facts.get("months_since_last_order")
    values = {"brand": facts.get("brand") or common["shop"], "offer": offer, "months": str(months or ""),
              "product_1": products[0] if products else "", "product_2": products[1] if len(products) > 1 else "",
              "category_1": cats[0] if cats else "", "category_2": cats[1] if len(cats) > 1 else ""}
    conditions = {"brand": bool(facts.get("brand")), "no_brand": not facts.get("brand"),
                  "offer": bool(offer), "no_offer": not offer, "product": bool(products),
                  "products2": len(products) > 1, "one_product": len(products) == 1, "no_product": not products,
                  "category": bool(cats), "category2": len(cats) > 1, "no_category": not cats,
                  "months": bool(months), "no_months": not months}
    out = {name: _fill(text, values, conditions) for name, text in template.fields.items()}
    if template.channel == "email":
        paragraphs = [p for p in out["body"].splitlines() if p.strip()]
        cta = _fill(common["cta_line"], {**values, "cta": out["cta"]}, conditions)
        body = [_fill(common["greeting"], values, conditions)] + paragraphs + [
            cta, _fill(common["signoff"], values, conditions), _fill(common["footer"], values, conditions)]
        out["body"] = "\n\n".join(body)
    elif template.channel == "sms":
        gap = "" if language == "zh" else " "
        out["text"] = gap.join(part for part in [_fill(common["sms_prefix"], values, conditions), out["text"],
                                                 _fill(common["sms_optout"], values, conditions)] if part)
    if language == "zh":  # a space is only kept beside Latin letters and digits ("为你挑了 Laptop Pro 14")
        out = {k: CJK_GAP.sub("", v) for k, v in out.items()}
    return out


CJK_GAP = re.compile(r"(?<=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]) +(?=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef])")


def _substitute(variant: dict[str, str], banned: list[str], language: str) -> dict[str, str]:
    """Replace banned words that have a synonym in the language's synonyms file."""
    synonyms = load_common(language)["synonyms"]
    out = dict(variant)
    for word in banned:
        replacement = synonyms.get(word.lower())
        if not replacement:
            continue
        pattern = _word_pattern(word)
        for key, text in out.items():
            out[key] = pattern.sub(lambda m: replacement.capitalize() if m.group(0)[:1].isupper() else replacement, text)
    return out


def _tone_tag(tone: str | None) -> str | None:
    if not tone:
        return None
    text = tone.lower()
    for tag, words in TONES.items():
        if any(word in text for word in words):
            return tag
    return None


def template_copy(facts: dict[str, Any], *, goal: str, channel: str, language: str, tone: str | None,
                  index: int, used: set[int], catalog: list[str]) -> tuple[dict[str, str], Template]:
    """Variant `index` from the templates: the first that passes every check, trying fewer details,
    other templates, then synonyms for banned words."""
    templates = load_templates(language)[(goal, channel)]
    start = index % len(templates)
    order = templates[start:] + templates[:start]
    tag = _tone_tag(tone)
    if tag:
        order = [t for t in order if t.tone == tag] + [t for t in order if t.tone != tag]
    shift = index // len(templates)  # more variants than templates: rotate the products instead
    names = facts.get("copy_names") or {"products": facts["products"], "categories": facts["top_categories"]}
    products = list(names["products"][shift:]) + list(names["products"][:shift])
    categories = list(names["categories"])
    detail_levels = [(products, categories), (products[:1], categories), ([], categories), ([], [])]
    best: tuple[int, dict[str, str], Template] | None = None
    for substitute in (False, True):
        for fresh_only in (True, False):
            for template in order:
                if fresh_only and template.index in used:
                    continue
                for prods, cats in detail_levels:
                    variant = render(template, facts, language, products=prods, categories=cats)
                    if substitute:
                        variant = _substitute(variant, facts["banned_words"], language)
                    failures = sum(not r["passed"] for r in
                                   check_variant(variant, facts, channel=channel, language=language, catalog=catalog).values())
                    if not failures:
                        return variant, template
                    if best is None or failures < best[0]:
                        best = (failures, variant, template)
    assert best is not None
    return best[1], best[2]


# ---------------------------------------------------------------------------------------------
# Checks

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CN_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
ARABIC = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")
# Chinese numerals count only before a unit, so words like 一起 or 千万 are not read as numbers.
CHINESE = re.compile(r"[零〇一二两三四五六七八九十百千万]+(?=个月|小时|分钟|[折天日元块件个周月年次倍位款人%成])")
ENGLISH = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
           "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
           "hundred": 100, "thousand": 1000, "dozen": 12, "half": 50}
ENGLISH_WORD = re.compile(r"\b(" + "|".join(ENGLISH) + r")\b", re.IGNORECASE)


def _chinese_number(text: str) -> float:
    total, section, digit = 0, 0, 0
    for ch in text:
        if ch in CN_DIGITS:
            digit = CN_DIGITS[ch]
        elif ch == "万":
            total += (section + digit) * 10000
            section, digit = 0, 0
        else:
            section += (digit or 1) * CN_UNITS[ch]
            digit = 0
    return float(total + section + digit)


def _discount_alternatives(value: float) -> set[float]:
    """N折 is a price at N tenths (85折 at 85%): also the percentage off it stands for."""
    off = 100 - value * 10 if value < 10 else 100 - value
    return {value, round(off, 4)} if off > 0 else {value}


def numbers_in(text: str) -> list[tuple[str, set[float]]]:
    """Numbers written in a text (digits, Chinese numerals before a unit, English number words);
    each with the values it may stand for."""
    text = unicodedata.normalize("NFKC", text)
    found = []
    for match in ARABIC.finditer(text):
        value = float(match.group(0).replace(",", ""))
        after = text[match.end():match.end() + 2].lstrip()
        found.append((match.group(0), _discount_alternatives(value) if after.startswith("折") else {value}))
    for match in CHINESE.finditer(text):
        if match.group(0) == "一":  # as common as the English article "a"
            continue
        value = _chinese_number(match.group(0))
        after = text[match.end():match.end() + 1]
        found.append((match.group(0), _discount_alternatives(value) if after == "折" else {value}))
    for match in ENGLISH_WORD.finditer(text):
        if match.group(0).lower() == "half" and not re.match(r"\s*[- ]?price", text[match.end():], re.IGNORECASE):
            continue
        found.append((match.group(0), {float(ENGLISH[match.group(0).lower()])}))
    return found


def grounded_numbers(facts: dict[str, Any]) -> set[float]:
    """Every value a number in the copy may take: the fact sheet's numbers and their roundings."""
    allowed: set[float] = set()

    def walk(value: Any) -> None:
        if isinstance(value, bool) or value is None:
            return
        if isinstance(value, (int, float)):
            allowed.update({float(value), float(round(value)), round(float(value), 1), round(float(value), 2)})
        elif isinstance(value, str):
            for _, values in numbers_in(value):
                allowed.update(values)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)

    walk({k: v for k, v in facts.items() if k not in ("examples", "banned_words", "voice")})
    return allowed


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"([\u3400-\u9fff])", r" \1 ", text)  # each CJK character is a token of its own
    return " ".join(re.sub(r"[^\w'&+-]+", " ", text).split())


@lru_cache(maxsize=8)
def _catalog_index(catalog: tuple[str, ...]) -> tuple[dict[str, str], int]:
    index = {_normalise(name): name for name in catalog if name and _normalise(name)}
    longest = max((len(key.split()) for key in index), default=0)
    return index, min(longest, 30)


def products_in(text: str, catalog: list[str]) -> list[str]:
    """Catalogue products named in a text, longest name first at each position."""
    index, longest = _catalog_index(tuple(catalog))
    tokens = _normalise(text).split()
    found, i = [], 0
    while i < len(tokens):
        for size in range(min(longest, len(tokens) - i), 0, -1):
            name = index.get(" ".join(tokens[i:i + size]))
            if name:
                found.append(name)
                i += size
                break
        else:
            i += 1
    return found


# Number runs are bounded ({1,20}): tried from every digit of a long run, an unbounded \d+ failing at the run's end
# cost the run's length each time (quadratic: 8 s for 12,000 digits in LLM copy); no offer has a longer number.
NUMERIC_OFFER = re.compile(
    r"\d{1,20}(?:\.\d{1,20})?\s*(?:%|percent\b)|[$€£¥]\s*\d{1,20}(?:\.\d{1,20})?(?:\s*off\b)?"
    r"|\b\d{1,20}(?:\.\d{1,20})?\s*off\b|\bsave\s+(?:up\s+to\s+)?[$€£¥]?\s*\d{1,20}|[\d.一二三四五六七八九]{1,20}\s*折"
    r"|满\s*\d{1,20}\s*减\s*\d{1,20}|立减\s*\d{1,20}|\d{1,20}\s*元",
    re.IGNORECASE)
PERKS = {
    "free shipping": re.compile(r"free\s+(?:shipping|delivery|returns)|ships?\s+free|包邮|免运费|免邮", re.IGNORECASE),
    "gift": re.compile(r"free\s+gift|gift\s+with\s+purchase|bonus\s+gift|赠品|赠送|礼品|好礼", re.IGNORECASE),
    "buy one get one": re.compile(r"buy\s+one,?\s+get\s+one|\bbogo\b|买一送一|买\S送\S", re.IGNORECASE),
    "half price": re.compile(r"half[-\s]price|半价", re.IGNORECASE),
}
GENERIC_OFFER = re.compile(
    r"\bdiscount(?:s|ed)?\b|\bcoupons?\b|\bvouchers?\b|\bpromo(?:tion)?s?\b|\bsale\b|\bdeals\b|\b(?:great|hot|best|special)\s+deal\b|\bcashback\b"
    r"|\bclearance\b|\b(?:special|exclusive|limited[-\s]time)\s+offers?\b|(?<!feel\s)\bfree\b|\bmarkdowns?\b"
    r"|优惠|折扣|打折|促销|特价|红包|返现|秒杀|券|满减|立减|免费", re.IGNORECASE)


def offer_mentions(text: str, offer: str | None) -> list[str]:
    """Offer wording in the copy that the given offer does not cover (all of it when there is none)."""
    if offer:
        text = text.replace(offer, " ")
    problems = []
    offer_values = set().union(*(v for _, v in numbers_in(offer))) if offer else set()
    for match in NUMERIC_OFFER.finditer(text):
        values = [v for _, v in numbers_in(match.group(0))]
        if not offer or not all(v & offer_values for v in values):
            problems.append(match.group(0).strip())
    text = NUMERIC_OFFER.sub(" ", text)
    for pattern in PERKS.values():
        for match in pattern.finditer(text):
            if not (offer and pattern.search(offer)):
                problems.append(match.group(0))
        text = pattern.sub(" ", text)  # so "free shipping" is not counted again as "free"
    if not offer:
        problems += [m.group(0) for m in GENERIC_OFFER.finditer(text)]
    return list(dict.fromkeys(problems))


GSM7 = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
           "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENDED = set("^{}\\[~]|€\f")


def sms_length(text: str) -> tuple[int, int, str]:
    """(length, limit, encoding) of a one-part SMS: GSM-7 (extended characters count twice) or UCS-2."""
    if all(ch in GSM7 or ch in GSM7_EXTENDED for ch in text):
        return sum(2 if ch in GSM7_EXTENDED else 1 for ch in text), LIMITS["sms_gsm7"], "GSM-7"
    return len(text.encode("utf-16-le")) // 2, LIMITS["sms_ucs2"], "UCS-2"


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _word_pattern(word: str) -> re.Pattern:
    escaped = re.escape(word)
    if re.fullmatch(r"[\w\s'-]+", word, re.ASCII):
        return re.compile(rf"(?<![\w]){escaped}(?![\w])", re.IGNORECASE)
    return re.compile(escaped, re.IGNORECASE)


PII_PLACEHOLDER = re.compile(r"<\s{0,2}(?:customer|email|phone)_\d{1,6}\s{0,2}>", re.IGNORECASE)


def _result(problems: list[str], ok: str) -> dict[str, Any]:
    return {"passed": not problems, "detail": "; ".join(problems) if problems else ok}


def check_variant(variant: dict[str, Any], facts: dict[str, Any], *, channel: str, language: str,
                  catalog: list[str], personal_data: Callable[[str], list[str]] | None = None
                  ) -> dict[str, dict[str, Any]]:
    """Every compliance check of one variant: name -> {passed, detail}.

    `personal_data` finds customers' names and emails in a text (tools.pii); copy for more than one
    customer must hold none, nor any placeholder standing for one (<customer_1>).
    """
    fields = FIELDS[channel]
    missing = [f for f in fields if not isinstance(variant.get(f), str) or not variant[f].strip()]
    text = "\n".join(str(variant.get(f) or "") for f in fields)
    results = {"complete": _result([f"missing {', '.join(missing)}"] if missing else [],
                                   f"has {', '.join(fields)}")}

    many = (facts.get("customers") or 0) > 1
    personal = [m.group(0) for m in PII_PLACEHOLDER.finditer(text)]
    if many and personal_data is not None:
        personal += personal_data(text)
    results["no_personal_data"] = _result(
        [f"'{p}' names one person, in copy for {count(facts.get('customers'))} customers" if many
         else f"'{p}' is a placeholder, not copy" for p in dict.fromkeys(personal)],
        "no customer's name, email or placeholder")

    allowed = grounded_numbers(facts)
    ungrounded = sorted({raw for raw, values in numbers_in(text)
                         if not any(abs(v - a) < 1e-6 for v in values for a in allowed)})
    results["numbers_grounded"] = _result([f"{n} is not in the facts" for n in ungrounded],
                                          "every number appears in the facts")

    named = products_in(text, catalog)
    known = {p.lower() for p in facts.get("products", [])}
    strangers = sorted({p for p in named if p.lower() not in known})
    results["products_grounded"] = _result([f"'{p}' is not among the fact sheet's products" for p in strangers],
                                           "every product named is in the facts" if named else "no product named")

    plain = text
    for name in sorted(set(named) | {facts.get("brand") or ""}, key=len, reverse=True):
        if name:
            plain = re.sub(re.escape(name), " ", plain, flags=re.IGNORECASE)
    offer = facts.get("offer")
    invented = offer_mentions(plain, offer)
    results["offer_not_invented"] = _result(
        [f"'{m}' is {'not part of the offer given' if offer else 'an offer, but none was given'}" for m in invented],
        f"only the offer given ({offer})" if offer else "no offer, and none mentioned")

    if channel == "sms":
        length, limit, encoding = sms_length(variant.get("text") or "")
        results["sms_length"] = _result([f"{length} {encoding} characters, over the limit of {limit}"] if length > limit else [],
                                        f"{length} of {limit} {encoding} characters (one message)")
    elif channel == "push":
        width = display_width(variant.get("text") or "")
        limit = LIMITS["push_columns"]
        results["push_length"] = _result([f"{width} columns, over the limit of {limit}"] if width > limit else [],
                                         f"{width} of {limit} columns (CJK characters count 2)")
    else:
        subject = variant.get("subject") or ""
        limit = LIMITS["email_subject"]
        results["subject_length"] = _result([f"subject has {len(subject)} characters, over {limit}"] if len(subject) > limit else [],
                                            f"subject has {len(subject)} of {limit} characters")
        word = UNSUBSCRIBE_WORD[language]
        body_text = (variant.get("body") or "").lower()
        cta = (variant.get("cta") or "").strip().lower()
        at, footer = body_text.find(cta) if cta else -1, body_text.find(word)
        results["cta_before_footer"] = _result(
            [] if at >= 0 and (footer < 0 or at < footer) else
            [f"the call to action ('{variant.get('cta')}') {'is not in the body' if at < 0 else 'comes after the unsubscribe line'}"],
            "the call to action comes before the unsubscribe line")
        has = word in body_text
        results["unsubscribe_line"] = _result([] if has else [f"the body has no unsubscribe line ('{word}')"],
                                              f"the body has an unsubscribe line ('{word}')")

    banned = [w for w in facts.get("banned_words", []) if _word_pattern(w).search(text)]
    results["banned_words_absent"] = _result([f"uses the banned word '{w}'" for w in banned],
                                             "no banned word from the brand guide")
    return results


def place_cta(variant: dict[str, Any], language: str) -> dict[str, Any]:
    """An email whose body lacks its call to action gets the CTA line before the unsubscribe paragraph."""
    body, cta = variant.get("body"), variant.get("cta")
    if not isinstance(body, str) or not isinstance(cta, str) or not cta.strip() or cta.strip().lower() in body.lower():
        return variant
    line = _fill(load_common(language)["cta_line"], {"cta": cta.strip()}, {})
    paragraphs = re.split(r"\n\s*\n", body.strip())
    footer = next((i for i, p in enumerate(paragraphs) if UNSUBSCRIBE_WORD[language] in p.lower()), len(paragraphs))
    return {**variant, "body": "\n\n".join(paragraphs[:footer] + [line] + paragraphs[footer:])}


def _merge_checks(per_variant: list[dict[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for name in per_variant[0]:
        details = [checks[name]["detail"] for checks in per_variant]
        failures = [f"variant {i + 1}: {d}" for i, (checks, d) in enumerate(zip(per_variant, details))
                    if not checks[name]["passed"]]
        if failures:
            detail = "; ".join(failures)
        elif len(set(details)) == 1:
            detail = details[0] if len(details) == 1 else f"all {len(details)} variants: {details[0]}"
        else:
            detail = "; ".join(f"variant {i + 1}: {d}" for i, d in enumerate(details))
        merged[name] = {"passed": not failures, "detail": detail}
    return merged


# ---------------------------------------------------------------------------------------------
# The fact sheet

def fact_sheet(ctx: ToolContext, filters: AudienceFilters, where: str, params: list[Any], *,
               offer: str | None, language: str, goal: str, channel: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The audience's non-PII facts plus brand rules; returns (facts, retrieved examples)."""
    snap = ctx.snapshot
    stats = snap.query(f"""
        SELECT count(*) AS customers, sum(CASE WHEN email_consent THEN 1 ELSE 0 END) AS with_email_consent,
               sum(total_spend) / nullif(sum(orders), 0) AS aov, median(recency_days) AS median_recency
        FROM customer_view WHERE {where}""", params).iloc[0]
    n = int(stats["customers"])
    facts: dict[str, Any] = {
        "audience": describe(filters),
        "filters": filters.active(),
        "customers": n,
        "with_email_consent": 0 if pd.isna(stats["with_email_consent"]) else int(stats["with_email_consent"]),
        "average_order_value": None if pd.isna(stats["aov"]) else round(float(stats["aov"]), 2),
        "median_days_since_last_order": None if pd.isna(stats["median_recency"]) else int(round(float(stats["median_recency"]))),
        "top_categories": [],
        "products": [],
        "offer": offer.strip() if offer and offer.strip() else None,
    }
    if n:
        cats = snap.query(f"""
            SELECT category, sum(amount) AS spend FROM orders
            WHERE order_date <= ? AND category IS NOT NULL
              AND customer_id IN (SELECT customer_id FROM customer_view WHERE {where})
            GROUP BY 1 ORDER BY spend DESC, category LIMIT {FACT_CATEGORIES}""", [snap.as_of] + params)
        facts["top_categories"] = [str(c) for c in cats["category"]]
        candidates = _audience_products(snap, where, params, limit=PRODUCT_CANDIDATES)
        named = [(p, copy_name(p, language)) for p in candidates if not looks_like_code(p)]
        named = [(p, name) for p, name in named if name][:FACT_PRODUCTS]
        facts["products"] = [p for p, _ in named]
        own = load_common(language)["categories"] if language == "zh" else {}
        facts["copy_names"] = {"products": [name for _, name in named],
                               "categories": copy_names(facts["top_categories"], language, own=own)}
        if candidates and all(looks_like_code(p) for p in candidates):
            facts["products_not_named"] = "the data's product values are codes, so the copy names categories"
    median = facts["median_days_since_last_order"]
    facts["months_since_last_order"] = (int(round(median / MONTH_DAYS)) if median is not None
                                        and round(median / MONTH_DAYS) >= MIN_MONTHS else None)
    rules, examples = _knowledge(ctx, language, f"{goal} {channel} campaign for {facts['audience']}")
    facts.update(rules)
    facts["examples"] = list(dict.fromkeys(e["source"] for e in examples))
    return facts, examples


def _audience_products(snap, where: str, params: list[Any], *, limit: int = FACT_PRODUCTS) -> list[str]:
    """Products recommended most often across the audience's most valuable customers; the
    audience's most bought products when there are no recommendations."""
    if "item_similarity" in snap.tables:
        ids = snap.query(f"""SELECT customer_id FROM customer_view WHERE {where}
                             ORDER BY clv_12m DESC NULLS LAST, customer_id LIMIT {RECOMMEND_SAMPLE}""", params)
        recs = recommend_for_customers(snap, ids["customer_id"].tolist(), 5)
        if not recs.empty:
            top = (recs.groupby("product").agg(customers=("customer_id", "nunique"), score=("score", "sum"))
                   .reset_index().sort_values(["customers", "score", "product"], ascending=[False, False, True]))
            return [str(p) for p in top["product"].head(limit)]
    if "product" not in snap.query("SELECT * FROM orders LIMIT 0").columns:
        return []
    popular = snap.query(f"""
        SELECT product, count(DISTINCT customer_id) AS buyers FROM orders
        WHERE order_date <= ? AND product IS NOT NULL
          AND customer_id IN (SELECT customer_id FROM customer_view WHERE {where})
        GROUP BY 1 ORDER BY buyers DESC, product LIMIT {int(limit)}""", [snap.as_of] + params)
    return [str(p) for p in popular["product"]]


def _knowledge(ctx: ToolContext, language: str, query: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Brand name (the workspace's, else a brand document's, else None), voice, banned words and examples."""
    from tools.knowledge import KnowledgeBase

    brand = ctx.settings.get("brand") or None
    try:
        kb = KnowledgeBase(ctx.workspace_home)
        rules = kb.brand_rules(language)
        examples = kb.search(query, k=4)
    except TierwiseError:
        raise
    except Exception as exc:  # a broken index must not stop a draft; the checks say so
        return {"brand": brand, "voice": "", "banned_words": [],
                "knowledge_base_error": f"{type(exc).__name__}: {exc}"}, []
    return {"brand": brand or rules["brand"], "voice": rules["voice"], "banned_words": rules["banned_words"]}, examples


# ---------------------------------------------------------------------------------------------
# The tool

def _choice(name: str, value: Any, options: tuple[Any, ...]) -> None:
    if value not in options:
        raise TierwiseError(f"Unknown {name} '{value}'. Choose one of {', '.join(map(str, options))}.")


def draft_campaign(ctx: ToolContext, audience: AudienceFilters | None = None, *, goal: Goal = "retention",
                   channel: Literal["email", "sms", "push"] = "email", tone: str | None = None, offer: str | None = None,
                   language: Literal["en", "zh"] = "en", variants: int | None = None) -> ToolResult:
    """Draft campaign copy (email subject/preheader/body/CTA, or SMS/push text) for an audience, grounded in its facts and checked for compliance."""
    _choice("goal", goal, get_args(Goal))
    _choice("channel", channel, get_args(Channel))
    _choice("language", language, get_args(Language))
    variants = DEFAULT_VARIANTS.get(channel, 1) if variants is None else variants
    if not 1 <= int(variants) <= MAX_VARIANTS:
        raise TierwiseError(f"variants must be between 1 and {MAX_VARIANTS}; got {variants}.")
    filters, where, params = audience_where(ctx, audience)
    facts, examples = fact_sheet(ctx, filters, where, params, offer=offer, language=language, goal=goal, channel=channel)
    if facts["customers"] == 0:
        summary = (f"没有符合条件的顾客（{facts['audience']}），因此没有起草文案。" if language == "zh"
                   else f"No customers match ({facts['audience']}), so there is nothing to draft.")
        return ToolResult(summary=summary, facts=facts, variants=[], checks={}, audience=filters.active())

    catalog = ctx.snapshot.vocabulary.get("products", [])
    brief = {"goal": goal, "channel": channel, "tone": tone, "offer": facts["offer"], "language": language,
             "variants": int(variants), "brand": facts["brand"], "voice": facts["voice"],
             "banned_words": facts["banned_words"], "fields": list(FIELDS[channel]),
             "limits": {"sms": "one message: 160 GSM-7 characters, 70 if any character is not GSM-7 (Chinese)",
                        "push": f"{LIMITS['push_columns']} columns, CJK characters count 2",
                        "email_subject": f"{LIMITS['email_subject']} characters"}[
                 "email_subject" if channel == "email" else channel],
             "rules": ["Use only numbers and products from the facts.",
                       "Mention the offer exactly as given, or no offer at all.",
                       "Name products and categories as copy_names spells them (the copy's language).",
                       "Weave in at least two of the audience's facts: a product from products, the favourite "
                       "category (top_categories[0]), the months since the last order.",
                       "Give each variant a different angle (the time away, a pick for them, their favourite category).",
                       "Email bodies carry the call to action before the sign-off and the unsubscribe line.",
                       "Email bodies end with an unsubscribe line." if language == "en" else "邮件正文结尾要有退订说明（含“退订”）。",
                       "Never use the banned words."]
             + ([] if facts["brand"] else ["No brand name is set: name no shop and sign off without a name."]),
             "examples": [{"source": e["source"], "text": e["text"]} for e in examples]}

    drafted: list[dict[str, str]] = []
    per_variant: list[dict[str, dict[str, Any]]] = []
    fallbacks: list[str] = []
    llm_copy: list[Any] | None = None
    llm_failed = False
    if ctx.copywriter is not None:
        try:
            llm_copy = list(ctx.copywriter(facts, brief) or [])
        except Exception as exc:  # any LLM failure: template copy, and the checks say why
            fallbacks.append(f"the copywriter failed ({type(exc).__name__}: {exc}), so every variant is template copy")
            llm_copy, llm_failed = [], True
    used: set[int] = set()
    personal_data = pii_index(ctx.snapshot).personal_data_in if llm_copy else None
    for i in range(int(variants)):
        if llm_copy is not None and i < len(llm_copy):
            candidate = llm_copy[i]
            variant = {f: candidate.get(f) if isinstance(candidate, dict) else None for f in FIELDS[channel]}
            if channel == "email":
                variant = place_cta(variant, language)
            checks = check_variant(variant, facts, channel=channel, language=language, catalog=catalog,
                                   personal_data=personal_data)
            failed = [f"{name} ({result['detail']})" for name, result in checks.items() if not result["passed"]]
            if not failed:
                drafted.append({f: variant[f].strip() for f in FIELDS[channel]})
                per_variant.append(checks)
                continue
            fallbacks.append(f"variant {i + 1}: the LLM copy failed {'; '.join(failed)}, so template copy replaced it")
        elif llm_copy is not None and not llm_failed:
            fallbacks.append(f"variant {i + 1}: the copywriter returned no copy for it, so it is template copy")
        variant, template = template_copy(facts, goal=goal, channel=channel, language=language, tone=tone,
                                          index=i, used=used, catalog=catalog)
        used.add(template.index)
        drafted.append(variant)
        per_variant.append(check_variant(variant, facts, channel=channel, language=language, catalog=catalog))

    checks = _merge_checks(per_variant)
    if "knowledge_base_error" in facts:
        checks["brand_rules_loaded"] = {"passed": False, "detail": "the knowledge base could not be read "
                                        f"({facts['knowledge_base_error']}); no banned words were checked"}
    if ctx.copywriter is not None:
        checks["llm_copy_used"] = {"passed": not fallbacks,
                                   "detail": "; ".join(fallbacks) if fallbacks else "every variant is the LLM's copy"}
    return ToolResult(summary=_summary(facts, checks, goal=goal, channel=channel, language=language, n=len(drafted)),
                      facts=facts, variants=drafted, checks=checks, audience=filters.active())


GOAL_NAMES_ZH = {"winback": "挽回", "retention": "留存", "upsell": "升级销售", "cross_sell": "交叉销售",
                 "welcome": "欢迎", "loyalty": "忠诚回馈", "announcement": "公告"}
CHANNEL_NAMES_EN = {"email": "email", "sms": "SMS", "push": "push"}
CHANNEL_NAMES_ZH = {"email": "邮件", "sms": "短信", "push": "推送"}


def _summary(facts: dict[str, Any], checks: dict[str, dict[str, Any]], *, goal: str, channel: str,
             language: str, n: int) -> str:
    failed = [name for name, result in checks.items() if not result["passed"]]
    if language == "zh":
        head = (f"已为 {count(facts['customers'])} 位顾客（{facts['audience']}）起草 {n} 个"
                f"{GOAL_NAMES_ZH[goal]}{CHANNEL_NAMES_ZH[channel]}版本。")
        tail = (f"{len(checks)} 项检查全部通过。" if not failed else f"未通过的检查：{'、'.join(failed)}。")
        brand = "" if facts.get("brand") else f"尚未设置品牌，文案不写店名；{SET_BRAND_HINT['zh']}。"
        return head + tail + brand
    head = (f"Drafted {n} {CHANNEL_NAMES_EN[channel]} variant{'s' if n != 1 else ''} for a {goal.replace('_', '-')} campaign to "
            f"{count(facts['customers'])} customers ({facts['audience']}).")
    tail = f" All {len(checks)} checks passed." if not failed else f" Checks not passed: {', '.join(failed)}."
    brand = "" if facts.get("brand") else f" No brand is set, so the copy names no shop; {SET_BRAND_HINT['en']}."
    return head + tail + brand
