"""Aggregate questions as one `query_metrics` call, composed from the pieces a question names.

A question is read once, left to right: its words are matched (longest first) against a phrase
index built from the glossary (prompts/glossary.json) and the loaded data's own vocabulary
(categories, products, countries, channels, cities, attribute names, labels and values), so each
span becomes a *mention*: a metric, a dimension, a value of a field, or a cue (by, which, top,
highest, never, bought, customers, orders, vs last year, …). The mentions then compose:

- metrics from metric words, or from what a cue implies (best-selling → units, how much … spend → revenue);
- `by` from a dimension after "by/per/each/按/各" or after "which/哪个" or a ranking word;
- a value of an order-grain field (product, category, channel, order attribute) is an order
  filter, unless the question puts it in a buyer's clause ("customers who bought a laptop",
  "web buyers", "买过智能手表的客户"), where it is an audience condition; customer-grain fields
  (country, city, customer attributes, tier, segment) are always audience; a negation before it
  (not, never, except, 没, 除了 …) turns = into != ;
- the time window from the as-of date, a comparison, a sort and a limit.

Matching is a dictionary walk over tokens (English words, Chinese characters), linear in the
question's length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from itertools import combinations
from typing import Any, Iterable

from assistant import glossary as gl
from tools import countries as ct
from tools import regions as rg
from assistant import planning_slots as ps
from assistant.language import MONTHS, Speller, add_months, month_end, numbers_to_digits, relative_period

Cond = tuple[str, str, Any]  # (field, op, value)

ORDER_FIELDS = {"product", "category", "channel"}
CUSTOMER_FIELDS = {"country", "city", "tier", "segment", "persona", "churn_risk"}
TIME_GRAINS = ("day", "week", "month", "quarter", "year")
PERIOD_DAYS = {"day": 1, "week": 7, "month": 31, "quarter": 92, "year": 366}
# Customer columns of the data contract that work like attributes: age (bands, bounds) and gender
CONTRACT_ATTRIBUTES = {"age": {"type": "numeric", "grain": "customer", "label": "age", "contract": True},
                       "gender": {"type": "categorical", "grain": "customer", "label": "gender", "contract": True}}
# Summable with their own words: "add-on revenue" is the attribute's sum, not revenue
MONEY_METRICS = {"revenue"}
TREND_METRICS = {"revenue", "orders", "customers", "new_customers", "aov", "repeat_purchase_rate"}
CUSTOMER_METRICS = {"customers", "expected_value_12m", "revenue_at_risk", "churn_probability", "p_alive"}
# How the planner's flattened audience (find_customers' filters) reads as conditions
FLAT_FILTERS: dict[str, tuple[str, str]] = {
    "tier": ("tier", "="), "segment": ("segment", "="), "persona": ("persona", "="), "churn_risk": ("churn_risk", "="),
    "country": ("country", "="), "channel": ("channel", "="), "category": ("category", "="),
    "min_total_spend": ("total_spend", ">="), "min_orders": ("orders", ">="), "max_orders": ("orders", "<="),
    "min_days_since_last_order": ("days_since_last_order", ">="), "max_days_since_last_order": ("days_since_last_order", "<="),
    "min_clv": ("clv_12m", ">="), "max_clv": ("clv_12m", "<="), "min_churn_probability": ("churn_probability", ">="),
}
FLAT_OF = {(f, op): key for key, (f, op) in FLAT_FILTERS.items()}

EN_FILLERS = frozenset("a an the any some our their my your its ever also only just all of have has had that were was is are did do does "
                       "there in on at from with for to this these those what's whats".split())
ZH_FILLERS = frozenset("的了过个些在里中这那是有再都还类款种名位件次")
STRONG_BREAKS = frozenset("?？.。;；!！:：")
WEAK_BREAKS = frozenset(",，")
COUNT_WORDS = frozenset("个 名 款 种 位 家 座 件".split())  # "3个商品", "前5名"


# ------------------------------------------------------------------ tokens
TOKEN = re.compile(r"\d+(?:\.\d+)?|[a-z0-9]+|[\u4e00-\u9fff]|[<>]=?|[?？.。;；!！:：,，、]")


def singular(word: str) -> str:
    """English plural to singular, the same way for the index and the question ('categories' -> 'category')."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


MAX_CHARS = 2000  # a question is read up to here: nobody asks for a number in more words


def prepare(text: str) -> str:
    """Lower case; "n't" as "not", possessive 's dropped (women's -> women), other apostrophes removed; a digit run
    too long to be a number is dropped (the slot patterns would rescan it)."""
    text = re.sub(r"\d{16,}", " ", text[:MAX_CHARS].lower().replace("’", "'"))
    text = re.sub(r"n't\b", " not", text)
    text = re.sub(r"'s\b|'", "", text)
    return re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)  # 20,000 -> 20000


def phrase_key(phrase: str) -> tuple[str, ...]:
    return tuple(singular(t) for t in TOKEN.findall(prepare(phrase)) if t not in "、,，")


@dataclass
class Token:
    text: str          # singular, for matching
    raw: str
    start: int         # character offsets in the prepared text
    end: int
    number: float | None = None

    @property
    def plural(self) -> bool:
        return self.raw != self.text and self.raw.isalpha()


@dataclass
class Unit:
    """One step of the question: a matched phrase (kinds non-empty) or a bare token."""
    kinds: dict[str, Any]
    tokens: list[Token]

    @property
    def text(self) -> str:
        return " ".join(t.text for t in self.tokens)

    @property
    def start(self) -> int:
        return self.tokens[0].start

    @property
    def end(self) -> int:
        return self.tokens[-1].end

    def has(self, *kinds: str) -> bool:
        return any(k in self.kinds for k in kinds)

    @property
    def number(self) -> float | None:
        return self.tokens[0].number if len(self.tokens) == 1 and not self.kinds else None

    @property
    def filler(self) -> bool:
        return not self.kinds and len(self.tokens) == 1 and (self.tokens[0].text in EN_FILLERS or self.tokens[0].text in ZH_FILLERS)

    @property
    def strong_break(self) -> bool:
        return not self.kinds and self.tokens[0].text in STRONG_BREAKS


# ------------------------------------------------------------------ the phrase index
@dataclass
class Lexicon:
    index: dict[tuple[str, ...], dict[str, Any]]
    longest: dict[str, int]                 # first token -> longest phrase starting with it
    speller: Speller
    attributes: dict[str, dict[str, Any]]   # name -> {type, grain, label}
    country_field: str | None = None        # the column holding countries: the contract's or an attribute's
    country_values: tuple[str, ...] = ()    # its values as the data spells them (codes or names)


def _add(index: dict, key: tuple[str, ...], kind: str, payload: Any = True, rank: tuple = ()) -> None:
    if not key:
        return
    slot = index.setdefault(key, {})
    if kind == "value":
        current = slot.get("value")
        if current is not None and current[2] >= rank:
            return
        slot["value"] = (*payload, rank)
    else:
        slot.setdefault(kind, payload)


@lru_cache(maxsize=1)
def _static_index() -> dict[tuple[str, ...], dict[str, Any]]:
    g = gl.glossary()
    index: dict[tuple[str, ...], dict[str, Any]] = {}
    for name, words in gl.metric_words().items():
        for w in words:
            _add(index, phrase_key(w), "metric", name)
    for kind, entry in g["compare"].items():
        for w in gl.words(entry):
            _add(index, phrase_key(w), "compare", kind)
    for name, words in gl.dimension_words().items():
        for w in words:
            _add(index, phrase_key(w), "dim", name)
    for grain, entry in g["time_units"].items():
        for w in gl.words(entry):
            _add(index, phrase_key(w), "time", grain)
    for grain, entry in g["grains"].items():
        for w in gl.words(entry):
            _add(index, phrase_key(w), "grain", grain)
    for grain, entry in g["period_over_period"].items():
        for w in gl.words(entry):
            _add(index, phrase_key(w), "over", grain)
    for kind, words in gl.cue_words().items():
        for w in words:
            _add(index, phrase_key(w), kind)
    for word, country in g["demonyms"].items():
        _add(index, phrase_key(word), "demonym", country)
    # "各国", "每国", "分市": a by cue and a dimension's one-character short form (planning_lexicon.ZH_SHORT_DIMENSIONS)
    for cue in set(g["cues"]["by"]["zh"]) | {"每"}:
        for short, dim in ps.lex.ZH_SHORT_DIMENSIONS.items():
            _add(index, phrase_key(cue + short), "by")
            _add(index, phrase_key(cue + short), "dim", dim)
    # "折扣总金额", "total amount": an amount said with a total word is a total too (the sum, never the average)
    totals = {key for key in map(phrase_key, gl.cue_words().get("total", [])) if len(key) == 1}
    for key, kinds in index.items():
        if "money_noun" in kinds and len(key) > 1 and any((t,) in totals for t in key):
            kinds.setdefault("total", True)
    # "revenue per client", "新顾客": every phrase naming a customer also reads with the customer's other names
    for key, kinds in list(index.items()):
        for variant in synonym_variants(key):
            for kind, payload in kinds.items():
                _add(index, variant, kind, payload)
    # questions are read with their Chinese numbers as digits (不止一次 -> 不止1次): so are the phrases holding one
    for key, kinds in list(index.items()):
        if all(not t.isascii() for t in key):
            digits = phrase_key(numbers_to_digits("".join(key)))
            if digits != key:
                for kind, payload in kinds.items():
                    _add(index, digits, kind, payload)
    return index


@lru_cache(maxsize=1)
def _synonym_groups() -> tuple[tuple[tuple[str, ...], ...], ...]:
    return tuple(tuple(phrase_key(w) for w in gl.words(group)) for group in gl.glossary().get("synonyms", []))


def synonym_variants(key: tuple[str, ...]) -> set[tuple[str, ...]]:
    """The phrase with one of its words swapped for a synonym ('revenue per customer' -> 'revenue per client', …)."""
    out: set[tuple[str, ...]] = set()
    for group in _synonym_groups():
        for member in group:
            n = len(member)
            for i in range(len(key) - n + 1):
                if key[i:i + n] == member:
                    out.update(key[:i] + other + key[i + n:] for other in group if other != member)
    return out


# head nouns that name a packaging, not a kind of product ("Gift Set", "Starter Kit"); at most this many products
# read as one family (beyond it the head is too common a word)
GENERIC_HEADS = frozenset({"set", "kit", "box", "bundle", "pair", "lot", "combo", "gift", "pack", "item", "piece", "edition"})
MAX_FAMILY = 60
MODEL_WORD = re.compile(r"^(?:\d.*|.*\d.*|pro|max|mini|plus|ultra|lite|se|inch|pack|kg|ml|xl|xxl)$")


MAX_MENTIONED_PRODUCTS = 3000  # products named by some of their words: catalogs up to this size


def _add_product_mentions(index: dict, products: Iterable[str]) -> None:
    """A product named by some of its words in their order, as people shorten a catalog name ('V60 dripper' for
    'Hario V60 Ceramic Dripper 02', 'V60 paper filters', 'Yirgacheffe' for 'Ethiopia Yirgacheffe Kochere'): two or
    three of its words, or one word of six letters or more, that no other product holds and that mean nothing else."""
    products = list(products)
    if len(products) > MAX_MENTIONED_PRODUCTS:
        return
    owners: dict[tuple[str, ...], set[str]] = {}
    for value in products:
        words = [w for w in phrase_key(value) if w.isalnum() and w.isascii()]
        if not 2 <= len(words) <= 10:
            continue
        named = [w for w in words if not w.isdigit()]
        mentions = {(w,) for w in named if len(w) >= 6 and w.isalpha()}
        mentions |= set(combinations(named, 2)) | set(combinations(named, 3))
        for mention in mentions:
            owners.setdefault(mention, set()).add(value)
    for mention, who in owners.items():
        # words that name the product, not the sentence around it: "the last" of 'The Last Orchard' is a time window
        # ("orders for the last 3 months"), so a mention holds no function word and not only words the planner reads
        if len(who) == 1 and not index.get(mention) and not any(w in EN_FILLERS or w in FUNCTION_WORDS for w in mention) \
                and not all(index.get((w,)) for w in mention):
            _add(index, mention, "value", ("product", next(iter(who))), (0, -4))


TITLE_BREAK = re.compile(r"[,|/;()\[\]]|\s[-–—]\s|\b(?:with|for|in|and|plus)\b", re.I)


def _heads(value: str) -> set[str]:
    """A product's head nouns: each part of a listing title's last word ('Custom Wedding Mug Set, Personalized
    Couples Mugs' -> mug; 'Tall Latte Mug - Wheel Thrown Pottery Mug with Handle' -> mug), a generic word ('set',
    'pack') giving way to the one before it."""
    out = set()
    parts = TITLE_BREAK.split(value)
    for part in parts:
        core = [w for w in _core(phrase_key(part)) if w.isalpha()]
        while core and core[-1] in GENERIC_HEADS:
            core.pop()
        if core and len(core[-1]) >= 3 and (len(core) >= 2 or len(parts) > 1):
            out.add(core[-1])
    return out


def _core(key: tuple[str, ...]) -> tuple[str, ...]:
    """A product name without model words: 'laptop pro 14' -> ('laptop',), '4k monitor 27 inch' -> ('monitor',)."""
    return tuple(w for w in key if not MODEL_WORD.match(w))


def _vocab_key(vocabulary: dict[str, Any]) -> tuple:
    attrs = tuple((a.get("name"), a.get("label"), a.get("type"), a.get("grain"), tuple(str(v) for v in a.get("values") or []))
                  for a in vocabulary.get("attributes") or [] if isinstance(a, dict) and a.get("name"))
    lists = tuple(tuple(str(v) for v in vocabulary.get(k) or [])
                  for k in ("categories", "products", "channels", "countries", "cities", "personas", "genders"))
    return lists + (attrs,)


def lexicon(vocabulary: dict[str, Any], keep: Iterable[str] = ()) -> Lexicon:
    return _lexicon(_vocab_key(vocabulary), frozenset(keep))


@lru_cache(maxsize=8)
def _lexicon(key: tuple, keep: frozenset[str]) -> Lexicon:
    categories, products, channels, countries, cities, personas, genders, attrs = key
    named = {a[0] for a in attrs}
    attrs = attrs + tuple((name, info["label"], info["type"], info["grain"], genders if name == "gender" else ())
                          for name, info in CONTRACT_ATTRIBUTES.items() if name not in named)
    index = {k: dict(v) for k, v in _static_index().items()}
    glossary_terms: dict[tuple[str, ...], list[int]] = {}
    entries = gl.value_entries()
    for i, names in enumerate(entries):
        for name in names:
            glossary_terms.setdefault(phrase_key(name), []).append(i)

    def add_value(fieldname: str, value: str, order: int) -> None:
        key_ = phrase_key(value)
        if not key_ or (len("".join(key_)) <= 2 and key_[0].isascii()):
            keys = set()  # 'F', 'M', 'US': too short to read in a question; the glossary may still name them
        else:
            keys = {key_}
            _add(index, key_, "value", (fieldname, value), (3, -order))
        forms = {key_}
        if fieldname == "persona":  # "Frequent big-basket customers (5)" is also named without its count and noun
            short = tuple(w for w in key_ if w not in ("customer", "(", ")") and not w.isdigit())
            if short and short != key_:
                _add(index, short, "value", (fieldname, value), (2, -order))
        core = _core(key_)
        if fieldname == "product" and core and core != key_:
            forms.add(core)
            _add(index, core, "value", (fieldname, value), (2, -order))
        place = PLACE_SUFFIX.fullmatch(value.strip())
        if place:  # 深圳市 is also 深圳, 西湖区 西湖: a place is named without its administrative suffix
            _add(index, phrase_key(place.group(1)), "value", (fieldname, value), (2, -order))
        for form in forms | keys:
            for i in glossary_terms.get(form, []):
                for name in entries[i]:
                    alias = phrase_key(name)
                    if len("".join(alias)) > 1 or not alias[0].isascii():
                        _add(index, alias, "value", (fieldname, value), (1, -order))

    fields = [("category", categories), ("product", products), ("channel", channels), ("country", countries), ("city", cities),
              ("persona", personas)]
    def add_tails(fieldname: str, values: Iterable[str]) -> None:
        """A value's last words that no other value of its column ends with name it ('express post' for 'Australia
        Post Express Post'), when they are two words or more and name nothing else; a Chinese value's first or last
        two characters or more alike (小程序, 微信 for 微信小程序)."""
        owners: dict[tuple[str, ...], set[str]] = {}
        for value in values:
            key_ = phrase_key(value)
            if len(key_) >= 3 and all(w.isascii() for w in key_):
                for k in range(1, len(key_) - 1):
                    owners.setdefault(key_[k:], set()).add(value)
            elif len(key_) >= 4 and all(len(w) == 1 and "\u4e00" <= w <= "\u9fff" for w in key_):
                # a Chinese value by its first or last characters: 微信小程序 is also 小程序 (and 微信)
                for k in range(2, len(key_) - 1):
                    owners.setdefault(key_[-k:], set()).add(value)
                    owners.setdefault(key_[:k], set()).add(value)
        for tail, who in owners.items():
            if len(who) == 1 and not index.get(tail):
                _add(index, tail, "value", (fieldname, next(iter(who))), (0, -3))

    for order, (fieldname, values) in enumerate(fields):
        for value in values:
            add_value(fieldname, value, order)
        if fieldname not in ("product", "country", "persona"):
            add_tails(fieldname, values)
    for alias, value in rg.linked_names(list(cities)).items():  # 'Hangzhou' for a city written 杭州市
        if not (index.get(phrase_key(alias), {}).keys() - {"value"}):
            _add(index, phrase_key(alias), "value", ("city", value), (1, -len(fields)))
    # a product's head noun ("earbuds" for Wireless Earbuds, "keyboard" for Mechanical Keyboard); a head several
    # products share names them all (mugs: every "… Mug"), read as one condition on those products
    heads: dict[tuple[str, ...], list[str]] = {}
    for value in products:
        for head in _heads(value):
            heads.setdefault((head,), []).append(value)
    for head, owners in heads.items():
        if len(owners) > MAX_FAMILY:
            continue
        payload = ("product", owners[0] if len(owners) == 1 else tuple(owners))
        for key_ in (head, (head[0] + "s",), (head[0] + "es",)) if len(owners) > 1 else (head,):
            if "value" not in index.get(key_, {}) and not index.get(key_):
                _add(index, key_, "value", payload, (0, -1))
        for i in glossary_terms.get(head, []):
            for name in entries[i]:
                _add(index, phrase_key(name), "value", payload, (0, -2))
    _add_product_mentions(index, products)

    attributes: dict[str, dict[str, Any]] = {}
    attr_entries, attr_types = gl.attribute_entries(), gl.attribute_types()
    attr_terms: dict[tuple[str, ...], list[int]] = {}

    def concepts(form: tuple[str, ...], kind: str | None) -> list[int]:
        """The attribute concepts a column label names that fit the column's type."""
        fits = "numeric" if kind == "numeric" else "categorical"
        return [i for i in _attribute_concepts(form, attr_terms) if attr_types[i] in (None, fits)]

    for i, names in enumerate(attr_entries):
        for name in names:
            attr_terms.setdefault(phrase_key(name), []).append(i)
    # A column's own words ("Payment Method Title" read as "payment method", and the concept words of that core:
    # 支付方式) come before the glossary's words for what another column is about ("Order Shipping" is about
    # shipping, whose words include "shipping method"): the shop's own columns first, then the loop below.
    for name, label, kind, grain, values in attrs:
        if name in CONTRACT_ATTRIBUTES:
            continue
        forms = {phrase_key(name.replace("_", " ")), phrase_key(label or "")} - {()}
        for form in {f for f in map(_core_form, forms) if f} - forms:
            if "attr" in index.get(form, {}) or form in CONTRACT_WORDS:
                continue  # a contract field's own word ("Billing Country" -> country) is linked by its own rules
            index.setdefault(form, {})["attr"] = name
            for i in concepts(form, kind):
                if any(phrase_key(alias) == form for alias in attr_entries[i]):
                    for alias in attr_entries[i]:
                        index.setdefault(phrase_key(alias), {}).setdefault("attr", name)
    for order, (name, label, kind, grain, values) in enumerate(attrs):
        contract = name in CONTRACT_ATTRIBUTES and name not in named
        forms = {phrase_key(name.replace("_", " ")), phrase_key(label or "")} - {()}
        if contract and any("attr" in index.get(form, {}) for form in forms):
            continue  # the data's own column says it already ("Customer Age")
        attributes[name] = {"type": kind or "categorical", "grain": grain or "order", "label": label or name,
                            "contract": contract}
        for form in forms:
            index.setdefault(form, {})["attr"] = name
            for variant in synonym_variants(form):
                index.setdefault(variant, {}).setdefault("attr", name)
            for i in concepts(form, kind):
                for alias in attr_entries[i]:
                    index.setdefault(phrase_key(alias), {}).setdefault("attr", name)
        if kind in ("categorical", None):
            for value in values:
                if not re.fullmatch(r"[\d.\s-]*", value):
                    add_value(name, value, len(fields) + order)
            add_tails(name, values)
            # a state or province column: every name of each region it holds reads as its value (加州 -> 'CA')
            for alias, value in rg.linked_names(list(values)).items():
                key = phrase_key(alias)
                if key and not (index.get(key, {}).keys() - {"value"}):
                    _add(index, key, "value", (name, value), (1, -(len(fields) + order)))

    country_field, country_values = _country_column(countries, attrs, attributes)
    quiet = _link_countries(index, country_field, country_values)
    longest: dict[str, int] = {}
    words: set[str] = set()
    for k in index:
        longest[k[0]] = max(longest.get(k[0], 0), len(k))
        if k not in quiet:  # a country the data lacks is read when named, never a spelling to correct towards
            words.update(w for w in k if w.isalpha() and w.isascii())
    raw = {w.lower() for v in [*categories, *products, *channels, *countries, *cities] for w in re.findall(r"[A-Za-z]+", v)}
    speller = Speller(words | raw, keep=keep | words | raw)
    speller.stems = frozenset()  # "smartwach" is a typo of smartwatch, not a longer form of "smart"
    return Lexicon(index, longest, speller, attributes, country_field, tuple(country_values))


def _country_column(countries: tuple[str, ...], attrs: tuple, attributes: dict[str, dict[str, Any]]) -> tuple[str | None, list[str]]:
    """The column holding countries: the contract's country when the data has one, else a categorical attribute named
    for countries (Billing Country, Ship Country, 国家) or whose values are country codes or names; customer ones first."""
    if countries:
        return "country", list(countries)
    found = []
    for name, label, kind, grain, values in attrs:
        if name not in attributes or attributes[name].get("contract") or kind not in ("categorical", None):
            continue
        words = set(phrase_key(str(label or name).replace("_", " ")))
        named = bool(words & {"country", "nation", "国", "家"}) and ("国" not in words or "家" in words)
        if named or ct.is_country_column(values):
            found.append((grain != "customer", not named, name, list(values)))
    if not found:
        return None, []
    _, _, name, values = min(found)
    return name, values


def _link_countries(index: dict, field: str | None, values: list[str]) -> set[tuple[str, ...]]:
    """Every name of each country the column holds (Canada, 加拿大, CA for 'CA'; DE, 德国 for 'Germany') reads as its
    value; a country it lacks, named in a question, reads as that country on the same column (or on 'country' when
    the data has none), so the answer can say it is not there rather than drop the condition. Returns the keys of
    the countries it lacks."""
    linked: set[str] = set()
    for value in values:
        country = ct.lookup(value)
        if country is None:
            continue
        linked.add(country.code)
        names = country.names() + ((country.code,) if ct.code_in_question(country.code) else ())
        for name in names:
            key = phrase_key(name)
            if key and not (index.get(key, {}).keys() - {"value", "demonym"}):
                _add(index, key, "value", (field, value), (1, 0))
    quiet: set[tuple[str, ...]] = set()
    for country in ct.countries():
        if country.code in linked or country.ambiguous:
            continue
        for name in country.names():
            key = phrase_key(name)
            if key and key not in index:
                _add(index, key, "value", (field or "country", country.name), (0, -99))
                quiet.add(key)
    return quiet


CANCEL_WORD = re.compile(r"cancel|取消")  # "cancelled orders" says it; "lost revenue" (the same metric) does not
# customers said to be gone in words no money is said with ("lost" is both)
LAPSED_WORD = re.compile(r"lapsed|churned|inactive|dormant|lost (?:customers|clients|buyers|shoppers)|流失|沉睡")

# A Chinese place value and its administrative suffix (city, province, district, county, region)
PLACE_SUFFIX = re.compile(r"([\u4e00-\u9fff]{2,}?)(?:特别行政区|自治区|自治州|市|省|区|县|州|盟)")


# Words export tools wrap around a column's own name: "Billing City", "Payment Method Title", "Lineitem Vendor"
PLATFORM_PREFIXES = frozenset({"billing", "shipping", "ship", "lineitem", "line", "item", "order", "customer", "cust"})
PLATFORM_SUFFIXES = frozenset({"title", "label", "text", "value", "name", "desc", "description"})
ZH_LABEL_SUFFIXES = ("昵称", "名称", "名字")


CONTRACT_WORDS = frozenset({("country",), ("city",), ("gender",), ("age",), ("channel",), ("category",), ("product",),
                            ("status",), ("quantity",), ("amount",), ("email",), ("date",)})
CUSTOMER_WORD = re.compile(r"\b(?:customers?|clients?|buyers?|shoppers?|members?|users?|accounts?)\b|客户|顾客|用户|买家|会员|新客")


def _core_form(form: tuple[str, ...]) -> tuple[str, ...] | None:
    """A label without the export's wrapping words, or None: a trailing one goes ('payment method title' -> 'payment
    method'); a leading one only when a single word is left ('billing city' -> 'city', but 'shipping method' stays)."""
    core = list(form)
    while len(core) > 1 and core[-1] in PLATFORM_SUFFIXES:
        core.pop()
    joined = "".join(core)
    suffix = next((z for z in ZH_LABEL_SUFFIXES if joined.endswith(z) and len(joined) - len(z) >= 2), None)
    if suffix and all(not w.isascii() for w in core):  # 分销员昵称 -> 分销员
        core = core[:len(core) - len(suffix)]
    if len(form) == 2 and core == list(form) and core[0] in PLATFORM_PREFIXES \
            and (core[0] not in ADDRESS_PREFIXES or core[1] in ADDRESS_WORDS):
        core.pop(0)
    return tuple(core) if tuple(core) != form else None


# Words after which the rest of a label qualifies an amount ('inc tax', 'excl. VAT', 'before discount', 'Postage Paid')
AMOUNT_QUALIFIERS = frozenset({"inc", "incl", "including", "ex", "exc", "excl", "excluding", "before", "after", "paid",
                               "charged", "collected", "received"})

# An address's prefix names whose address a column is ('Billing City', 'Ship State'); before any other word it says
# what the column is about ('Shipping Discount' is a discount on shipping, not the discount)
ADDRESS_PREFIXES = frozenset({"billing", "shipping", "ship", "bill"})
ADDRESS_WORDS = frozenset({"city", "country", "state", "province", "region", "county", "district", "zip", "zipcode",
                           "postcode", "postal", "address", "name", "company", "phone", "email"})


def _attribute_concepts(form: tuple[str, ...], terms: dict[tuple[str, ...], list[int]]) -> list[int]:
    """The glossary's attribute concepts a column label names: the label itself, the label with a customer synonym
    ('Client Age' is 'customer age'), or its head word ('Store Region' is a region, '客户年龄' an age), without the
    words that qualify an amount ('Shipping Cost (inc tax)' is a shipping cost)."""
    cut = next((k for k in range(1, len(form)) if form[k] in AMOUNT_QUALIFIERS), len(form))
    form = form[:cut]
    for candidate in [form, *sorted(synonym_variants(form))]:
        if candidate in terms:
            return terms[candidate]
    minimum = 1 if form[-1].isascii() else 2  # a Chinese head word is two characters or more
    for start in range(1, len(form) - minimum + 1):
        if form[start:] in terms:
            return terms[form[start:]]
    return []


# ------------------------------------------------------------------ reading a question
def tokenize(text: str, lex: Lexicon, masked: list[tuple[int, int]]) -> list[Token]:
    tokens = []
    for m in TOKEN.finditer(text):
        if any(a <= m.start() < b for a, b in masked):
            continue
        raw = m.group(0)
        number = float(raw) if raw[0].isdigit() and re.fullmatch(r"\d+(?:\.\d+)?", raw) else None
        word = raw
        if raw.isascii() and raw.isalpha() and len(raw) >= 5:
            word = lex.speller.fix_word(raw)
        tokens.append(Token(singular(word), word, m.start(), m.end(), number))
    return tokens


FUNCTION_WORDS = frozenset({"the", "a", "an", "our", "my", "your", "their", "its", "this", "that"})


# a count of pieces asked for in Chinese ("卖出去多少个", "几件"): units, even with 一共 (which also asks how much money)
PIECES = re.compile(r"(?:多少|几)\s*(?:个|件|只|台|双|瓶|盒|包|套|杯|本|支|份|条|张|袋)")

# "altogether": one total asked for ("优惠券一共优惠掉了多少钱" is the coupons' discount in all, not per coupon code)
ALTOGETHER = re.compile(r"一共|总共|合计|总计|加起来|\bin total\b|\baltogether\b|\ball together\b|\bin all\b")

# A numeric column holding money: "运费收了多少" (多少 is also how many) asks for its total, not its average
MONEY_LABEL = re.compile(r"shipping|postage|freight|fee|cost|price|amount|discount|tax|vat|gst|total|revenue|spend|tip"
                         r"|金额|运费|邮费|费|价|折扣|优惠|税|收入|消费", re.I)

# One-character dimension words that also end place names (州 of 杭州, 省, 市): read alone only after a known word
PLACE_SUFFIX_CHARS = frozenset("州省市")


def _unknown_cjk(text: str, lex: Lexicon) -> bool:
    return len(text) == 1 and "\u4e00" <= text <= "\u9fff" and text not in lex.longest


def units_of(tokens: list[Token], lex: Lexicon) -> list[Unit]:
    """The question's phrases: the split covering the most tokens with known phrases, then the fewest
    phrases ("的人均消费" is 的 + 人均消费, not 的人 + 均 + 消费); a dynamic programme, linear in length."""
    n = len(tokens)
    best: list[tuple[int, int]] = [(0, 0)] * (n + 1)  # from position i: (tokens covered, -phrases)
    step: list[int] = [1] * (n + 1)
    # an article or possessive covered by a phrase adds nothing: "the average order value" is the + "average order
    # value", not "the average order" + "value"
    weight = [0 if t.text in FUNCTION_WORDS else 1 for t in tokens]
    for i in range(n - 1, -1, -1):
        covered, phrases = best[i + 1]
        best[i], step[i] = (covered, phrases - 1), 1
        first = tokens[i].text
        for length in range(min(lex.longest.get(first, 0), n - i), 0, -1):
            if length == 1 and first in PLACE_SUFFIX_CHARS and i and _unknown_cjk(tokens[i - 1].text, lex):
                continue  # 杭州 is a place the data lacks, not 杭 + 州 (the state dimension)
            if tuple(t.text for t in tokens[i:i + length]) in lex.index:
                covered, phrases = best[i + length]
                option = (covered + sum(weight[i:i + length]), phrases - 1)
                if option > best[i]:
                    best[i], step[i] = option, length
    units: list[Unit] = []
    i = 0
    while i < n:
        length = step[i]
        alone = length == 1 and tokens[i].text in PLACE_SUFFIX_CHARS and i and _unknown_cjk(tokens[i - 1].text, lex)
        kinds = lex.index.get(tuple(t.text for t in tokens[i:i + length]), {}) \
            if (length > 1 or tokens[i].text in lex.longest) and not alone else {}
        units.append(Unit(dict(kinds), tokens[i:i + length]))
        i += length
    return units


@dataclass
class MetricQuery:
    metrics: list[str] = field(default_factory=list)
    explicit: bool = False            # a metric was named, or a cue implies one (best-selling, how much … spend)
    named: bool = False               # a metric word itself was in the question
    implied: str | None = None        # what implied the metric when none was named ("popular")
    by: list[str] = field(default_factory=list)
    grain: str | None = None
    filters: list[Cond] = field(default_factory=list)
    audience: list[Cond] = field(default_factory=list)
    since: str | None = None
    until: str | None = None
    compare: str | None = None
    sort: str | None = None
    limit: int | None = None
    trend: bool = False               # trend words: the old kpi_trend answers these
    wants_list: bool = False          # a list of people ("which customers", 名单)
    breakdown: bool = False           # "breakdown", "distribution", 分布
    data_words: list[str] = field(default_factory=list)  # the data's own names the question used ("zip code")
    focus: list[Cond] = field(default_factory=list)       # the group asked about within a breakdown ("Kids' share")
    missing: str | None = None        # a dimension the question needs and the data lacks ("product")
    fallback: dict[str, Any] | None = None  # what a question naming only a column asks: its average or its breakdown
    window_defaulted: bool = False    # since/until chosen by the planner for a comparison that named no period

    def args(self) -> dict[str, Any]:
        args: dict[str, Any] = {"metrics": list(dict.fromkeys(self.metrics or ["revenue"]))}  # each metric once
        if self.by:
            args["by"] = list(self.by)
        if self.filters:
            args["filters"] = shape(self.filters)
        if self.audience:
            args["audience"] = shape(self.audience)
        for key in ("since", "until", "grain", "compare", "sort", "limit"):
            value = getattr(self, key)
            if value is not None:
                args[key] = value
        return args


def shape(conds: list[Cond]) -> dict[str, Any] | list[dict[str, Any]]:
    """{"field": value} when every condition is one field's equality; otherwise the list form."""
    fields = [f for f, _, _ in conds]
    if all(op == "=" for _, op, _ in conds) and len(set(fields)) == len(fields):
        return {f: v for f, _, v in conds}
    return [{"field": f, "op": op, "value": v} for f, op, v in conds]


def conditions(value: Any) -> list[Cond]:
    """Conditions from either accepted shape."""
    if isinstance(value, dict):
        return [(f, "=", v) for f, v in value.items()]
    if isinstance(value, list):
        return [(c["field"], c.get("op", "="), c.get("value")) for c in value if isinstance(c, dict) and "field" in c]
    return []


def from_flat(audience: dict[str, Any]) -> list[Cond]:
    """The planner's flattened audience (tier=…, min_total_spend=…) as conditions; 'spent more than' stays strict."""
    strict = bool(audience.get("min_total_spend_exclusive"))
    return [(FLAT_FILTERS[k][0], ">" if (k == "min_total_spend" and strict) else FLAT_FILTERS[k][1], v)
            for k, v in audience.items() if k in FLAT_FILTERS]


def to_flat(conds: list[Cond]) -> dict[str, Any] | None:
    """Conditions find_customers can take as its own filters, or None when one of them has no such filter."""
    flat = {}
    for f, op, v in conds:
        if (f, op) == ("total_spend", ">"):  # spent more than: min_total_spend, strictly
            if "min_total_spend" in flat:
                return None
            flat["min_total_spend"], flat["min_total_spend_exclusive"] = v, True
            continue
        op = {">": ">="}.get(op, op) if f in ("days_since_last_order", "clv_12m", "churn_probability") else op
        key = FLAT_OF.get((f, op))
        if key is None or key in flat:
            return None
        flat[key] = v
    return flat


# ------------------------------------------------------------------ customer-level numbers the slot patterns read
def _op_of(text: str, strict_default: bool = False) -> str:
    if re.search(r"at least|or more|不低于|不少于|至少|以上|>=|满", text):
        return ">="
    if re.search(r"\d\s*\+", text):
        return ">="  # "spent 500+": 500 or more
    if re.search(r"more than|over|above|greater|exceed|beyond|north of|超过|大于|高于|多于|>", text):
        return ">"
    return ">" if strict_default else ">="


def numeric_audience(text: str) -> tuple[list[Cond], list[tuple[int, int]]]:
    """Customer bounds (spent more than 20000, more than 3 orders, no order in 90 days, CLV over 500) and their spans."""
    conds: list[Cond] = []
    spans: list[tuple[int, int]] = []
    m = ps._first(ps.MIN_DAYS, text)
    if m:
        conds.append(("days_since_last_order", ">=", ps._days(m.group(1), m.group(2))))
        spans.append(m.span())
    m = ps._first(ps.MIN_SPEND, text)
    if m:
        conds.append(("total_spend", _op_of(m.group(0)), ps._num(m.group(1))))
        spans.append(m.span())
    if ps.ONE_TIME.search(text):
        conds.append(("orders", "=", 1))
    m = ps._first(ps.ORDERS_BETWEEN, text)
    if m and int(m.group(1)) <= int(m.group(2)):  # "5 to 10 orders", 5到10次之间: both bounds, the words no metric
        conds += [("orders", ">=", int(m.group(1))), ("orders", "<=", int(m.group(2)))]
        spans.append(m.span())
    m = None if m else ps._first(ps.SPEND_BETWEEN, text)
    if m and float(m.group(1)) <= float(m.group(2)):
        conds += [("total_spend", ">=", ps._num(m.group(1))), ("total_spend", "<=", ps._num(m.group(2)))]
        spans.append(m.span())
    m = ps._first(ps.MIN_ORDERS, text)
    if m:
        conds.append(("orders", ">" if re.search(r"more than|over|above|超过|多于|大于", m.group(0)) else ">=", int(float(m.group(1)))))
        spans.append(m.span())
    m = ps._first(ps.MAX_ORDERS, text)
    if m:
        conds.append(("orders", "<" if re.search(r"fewer than|less than|under|below|少于|低于", m.group(0)) else "<=", int(float(m.group(1)))))
        spans.append(m.span())
    for pattern, key in ps.CLV_BOUND:
        m = pattern.search(text)
        if m:
            conds.append(("clv_12m", _op_of(m.group(0)) if key == "min_clv" else "<=", ps._num(m.group(1))))
            spans.append(m.span())
            break
    m = ps._first(ps.CHURN_PROB, text)
    if m:
        value = float(m.group(1))
        conds.append(("churn_probability", _op_of(m.group(0)), round(value / 100 if (m.group(2) or value > 1) else value, 4)))
        spans.append(m.span())
    return conds, spans


ORDER_AMOUNT = re.compile(
    r"\b(?:orders?|baskets?|purchases|transactions)\s+(?:worth\s+|of\s+|with (?:a |an )?(?:value|total|amount) (?:of\s+)?)?"
    r"(over|above|more than|greater than|at least|under|below|less than|at most)\s*[$€£]?\s*(\d+(?:\.\d+)?)"
    r"|(?:订单|单笔|每单)金额\s*(超过|大于|高于|不低于|至少|低于|小于|不超过|不到)\s*(\d+(?:\.\d+)?)"
    r"|(?<![\d.])(\d+(?:\.\d+)?)\s*(?:元|块|美元|欧元)?(以上|以下)的订单")


def order_amount(text: str) -> tuple[Cond | None, tuple[int, int] | None]:
    """'orders over 100', '单笔金额超过500', '500元以上的订单': which order lines count, by the order's amount."""
    m = ORDER_AMOUNT.search(text)
    if not m:
        return None, None
    word, number = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4)) if m.group(3) else (m.group(6), m.group(5))
    op = {"over": ">", "above": ">", "more than": ">", "greater than": ">", "at least": ">=", "under": "<", "below": "<",
          "less than": "<", "at most": "<=", "超过": ">", "大于": ">", "高于": ">", "不低于": ">=", "至少": ">=", "低于": "<",
          "小于": "<", "不超过": "<=", "不到": "<", "以上": ">=", "以下": "<="}[word]
    return ("amount", op, ps._num(number)), m.span()


# ------------------------------------------------------------------ comparisons
# "compared with the month before", "vs a year earlier", "比上个月", "和去年相比": a comparison word, then the period
# compared with; that period is no time window of its own
_THEN = r"(?:vs\.?|versus|compared (?:to|with)|against|than|relative to)\s+(?:that of\s+)?(?:the\s+)?"
COMPARE_PATTERNS = [(re.compile(p, re.A), kind) for p, kind in [
    (_THEN + r"(?:same (?:\w+ ){0,2}?(?:last|previous|prior) year|(?:last|previous|prior) year|(?:a|1|one) year (?:ago|earlier|before)|year before)\b",
     "previous_year"),
    (_THEN + r"(?:(?:last|previous|prior|preceding) (?:month|quarter|week|day|period)|(?:month|quarter|week|day|period) before)\b",
     "previous_period"),
    (r"(?:和|与|跟|较|比|相比|对比|相较于?)\s*(?:去年同期|去年同月|上年同期|去年)(?:\s*(?:相比|比较|对比|比))?", "previous_year"),
    (r"(?:和|与|跟|较|比|相比|对比|相较于?)\s*上(?:个|一)?(?:月|季度|周|星期|期)(?:\s*(?:相比|比较|对比|比))?", "previous_period"),
]]


def comparison(text: str) -> tuple[str | None, tuple[int, int] | None]:
    for pattern, kind in COMPARE_PATTERNS:
        m = pattern.search(text)
        if m:
            return kind, m.span()
    return None, None


# ------------------------------------------------------------------ windows
MONTH_WORD = re.compile(r"\b(?:(in|during|for|of|over|throughout|since)\s+)?(january|february|march|april|june|july|august|september|october|november|december|"
                        r"jan|feb|apr|jun|jul|aug|sept|sep|oct|nov|dec|may|mar)\b(?:\s+(?:of\s+)?(\d{4}))?", re.A)
BARE_YEAR = re.compile(r"(?<![\d$€£.,])\b((?:19|20)\d\d)\b(?!\s*(?:\+|%|元|块|dollars?|euros?|customers?|orders?|units?|pieces?))", re.A)


SEASON = re.compile(r"\b(?:(last|this|the|in|during|over)\s+)?(summer|winter|spring|autumn|fall)\b(?:\s+(?:of\s+)?(\d{4}))?"
                    r"|(?:(\d{4})年|(去年|今年))?的?(夏天|夏季|冬天|冬季|春天|春季|秋天|秋季)", re.A)
SEASON_MONTH = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12, "春": 3, "夏": 6, "秋": 9, "冬": 12}


def _shift_year(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _season(m: re.Match, as_of: date) -> tuple[date, date] | None:
    word = m.group(2) or m.group(6)
    if word == "fall" and not m.group(1):
        return None  # "sales fall" is a verb
    month = SEASON_MONTH[word if word in SEASON_MONTH else word[0]]
    year = m.group(3) or m.group(4)
    if year:
        start = date(int(year) - (1 if month == 12 else 0), month, 1)  # winter 2025 began in December 2024
    else:
        start = date(as_of.year, month, 1)
        while start > as_of:
            start = _shift_year(start, -1)
        if m.group(1) == "last" or m.group(5) == "去年":
            start = _shift_year(start, -1)
    return start, min(month_end(add_months(start, 2)), as_of)


def window(text: str, as_of: date) -> tuple[date | None, date | None]:
    m = SEASON.search(text)  # first: "去年夏天" is a summer, not all of last year
    if m and (span := _season(m, as_of)):
        return span
    since, until = relative_period(text, as_of)
    if since or until:
        return since, until
    for m in MONTH_WORD.finditer(text):
        name, year = m.group(2), m.group(3)
        if name in ("may", "mar") and not (m.group(1) or year):
            continue  # "may" is a verb, "mar" a word, unless a date says otherwise
        month = MONTHS[name]
        start = date(int(year), month, 1) if year else date(as_of.year if date(as_of.year, month, 1) <= as_of else as_of.year - 1, month, 1)
        if m.group(1) == "since":
            return start, None
        return start, min(month_end(start), as_of)
    m = BARE_YEAR.search(text)
    if m and 1990 <= int(m.group(1)) <= as_of.year:
        year = int(m.group(1))
        return date(year, 1, 1), min(date(year, 12, 31), as_of)
    return None, None


# ------------------------------------------------------------------ composing the pieces
class Reader:
    """Walks the units of one question and composes a MetricQuery."""

    def __init__(self, units: list[Unit], lex: Lexicon):
        self.u = units
        self.lex = lex
        self.used: set[int] = set()
        self.present = set().union(*(u.kinds for u in units)) if units else set()
        # where each unit's clause ends (a metric, an order noun, a count word or a full stop closes it): one pass
        self.clause_end = [len(units)] * len(units)
        end = len(units)
        for j in range(len(units) - 1, -1, -1):
            unit = units[j]
            if unit.strong_break or unit.has("metric", "order_noun", "how_many", "how_much"):
                end = j - 1
            self.clause_end[j] = end

    # neighbours, skipping fillers ("the", "的", "了")
    def after(self, i: int, n: int = 1, *, stop_weak: bool = True) -> list[int]:
        out, j = [], i + 1
        while j < len(self.u) and len(out) < n:
            unit = self.u[j]
            if unit.strong_break or (stop_weak and not unit.kinds and unit.tokens[0].text in WEAK_BREAKS):
                break
            if not unit.filler:
                out.append(j)
            j += 1
        return out

    def before(self, i: int, n: int = 1, *, stop_weak: bool = True) -> list[int]:
        out, j = [], i - 1
        while j >= 0 and len(out) < n:
            unit = self.u[j]
            if unit.strong_break or (stop_weak and not unit.kinds and unit.tokens[0].text in WEAK_BREAKS):
                break
            if not unit.filler:
                out.append(j)
            j -= 1
        return out

    def first(self, idx: list[int], *kinds: str) -> int | None:
        for j in idx:
            if self.u[j].has(*kinds):
                return j
        return None

    def any(self, *kinds: str) -> bool:
        return any(k in self.present for k in kinds)

    def dim_of(self, j: int) -> str | None:
        """The grouping a unit names: a dimension, an attribute (numeric ones in bands) or a time grain."""
        unit = self.u[j]
        if "attr" in unit.kinds:
            name = unit.kinds["attr"]
            kind = self.lex.attributes.get(name, {}).get("type")
            return f"{name}_band" if kind == "numeric" else name
        if "dim" in unit.kinds:
            if unit.kinds["dim"] == "age_band":  # "by age group": the bands of the data's own age column
                name = self.lex.index.get(("age",), {}).get("attr")
                if name and self.lex.attributes.get(name, {}).get("type") == "numeric":
                    return f"{name}_band"
            return unit.kinds["dim"]
        if "time" in unit.kinds:
            return "time:" + unit.kinds["time"]
        return None


QUESTION_VERBS = frozenset("is are was were do does did has have".split())


def _verb_between(units: list[Unit], i: int, j: int) -> bool:
    """'what is the age …': a verb after the question word makes it no determiner of a grouping ('what region')."""
    return any(not u.kinds and u.tokens[0].text in QUESTION_VERBS for u in units[i + 1:j])


def _plural(unit: Unit) -> bool:
    return any(t.plural for t in unit.tokens)


def parse(text: str, vocabulary: dict[str, Any], as_of: date, *, slot_filters: dict[str, Any] | None = None,
          keep: Iterable[str] = (), slot_exclusions: dict[str, list[str]] | None = None) -> MetricQuery:
    """The query_metrics reading of a question (`text` lower-cased, numbers as digits)."""
    lex = lexicon(vocabulary, keep)
    text = prepare(text)
    q = MetricQuery()

    amount, amount_span = order_amount(text)
    numeric, spans = numeric_audience(text if not amount_span else text[:amount_span[0]] + " " * (amount_span[1] - amount_span[0]) + text[amount_span[1]:])
    compare, compare_span = comparison(text)
    masked = spans + ([amount_span] if amount_span else []) + ([compare_span] if compare_span else [])
    units = units_of(tokenize(text, lex, masked), lex)
    r = Reader(units, lex)

    q.data_words = [text[u.start:u.end] for u in units if u.has("value", "attr", "dim")]
    q.trend = r.any("trend")
    q.wants_list = r.any("list")
    q.breakdown = r.any("breakdown")
    q.compare = compare or next((u.kinds["compare"] for u in units if u.has("compare")), None)

    # -- groupings: "by X", "每个X", "哪个X", "X是哪个"
    by: list[str] = []
    sort_metric: str | None = None
    which_single: bool | None = None

    def add_by(dim: str | None) -> None:
        if dim is None:
            return
        if dim == "product":
            dim = product_field(vocabulary, lex)
            if dim is None:
                q.missing = "product"
                return
        if dim.startswith("time:"):
            q.grain = q.grain or dim[5:]
        elif dim not in by:
            by.append(dim)

    for i, unit in enumerate(units):
        if unit.has("grain"):
            q.grain = q.grain or unit.kinds["grain"]
        if unit.has("time") and not unit.text.isascii() and i + 1 < len(units) and units[i + 1].has("metric") \
                and not unit.has("by") and (i == 0 or not (units[i - 1].number is not None or units[i - 1].text in ("上", "下", "本", "这", "当", "每", "前", "后", "近", "个"))):
            q.grain = q.grain or unit.kinds["time"]  # 月销售额, 日订单量: a metric per month, per day
        if unit.has("by") and unit.has("dim"):  # "各国": the cue and the grouping in one
            add_by(r.dim_of(i))
            r.used.add(i)
            continue
        if unit.has("by"):
            nxt = r.after(i, 2)
            if len(nxt) == 2 and _is_customer(units[nxt[0]]) and r.dim_of(nxt[1]):
                nxt = nxt[1:]  # "by client age group", "per customer segment": the customer's grouping
            if nxt and r.dim_of(nxt[0]):
                add_by(r.dim_of(nxt[0]))
                r.used.add(nxt[0])
                # "by category and channel", "按渠道和国家"
                more = r.after(nxt[0], 2)
                if len(more) == 2 and units[more[0]].has("conj", "or") and r.dim_of(more[1]):
                    add_by(r.dim_of(more[1]))
                    r.used.add(more[1])
            elif nxt and units[nxt[0]].has("metric"):
                sort_metric = units[nxt[0]].kinds["metric"]
        if unit.has("which_one", "which_many"):
            nxt = r.after(i, 1)
            j = nxt[0] if nxt and r.dim_of(nxt[0]) and not _verb_between(units, i, nxt[0]) else None
            if j is None:  # "国家是哪个", "品类有哪些"
                back = [k for k in r.before(i, 2) if units[k].kinds or units[k].tokens[0].text not in "是有"]
                j = back[0] if back and r.dim_of(back[0]) else None
            if j is not None:
                add_by(r.dim_of(j))
                r.used.add(j)
                which_single = unit.has("which_one") and not _plural(units[j])

    # a dimension phrase that holds its own which ("which day of the week has the most orders"): the grouping
    for i, unit in enumerate(units):
        if unit.has("dim") and unit.tokens[0].text in ("which", "what") and i not in r.used and r.dim_of(i):
            add_by(r.dim_of(i))
            r.used.add(i)

    # "compare the tiers on AOV", "the segments compared": a dimension compared is the grouping
    if not by:
        for i, unit in enumerate(units):
            if unit.has("versus") and (nxt := r.after(i, 1)) and r.dim_of(nxt[0]) and _plural(units[nxt[0]]):
                add_by(r.dim_of(nxt[0]))
                r.used.add(nxt[0])
                break

    # -- ranking: top 5 …, the highest …, best-selling, 收入最高的5个类目
    ranked = False
    plural = False
    ascending = False
    limit: int | None = None
    popular = False
    often = False  # "most popular", "most often", 最常: how many orders chose it
    for i, unit in enumerate(units):
        if not unit.has("top", "high", "low", "popular", "popular_low", "often"):
            continue
        if unit.has("top") and not unit.has("high", "popular") and not (r.after(i, 1) and units[r.after(i, 1)[0]].number):
            continue  # "first", "前" without a number rank nothing
        ranked = True
        plural = plural or _plural(unit)
        ascending = ascending or unit.has("low", "popular_low")
        popular = popular or unit.has("popular", "popular_low", "often")
        often = often or unit.has("often")
        for j in r.after(i, 4):
            nxt = units[j]
            if nxt.number is not None and limit is None and 0 < nxt.number <= 1000 and float(nxt.number).is_integer():
                limit = int(nxt.number)
                continue
            if not nxt.kinds and nxt.tokens[0].text in COUNT_WORDS:
                continue
            if nxt.has("metric") and sort_metric is None:
                sort_metric = nxt.kinds["metric"]
                continue
            if r.dim_of(j):
                add_by(r.dim_of(j))
                r.used.add(j)
                if which_single is None:
                    which_single = not _plural(nxt)
            if nxt.has("cust") and not sort_metric:
                sort_metric = "customers"
            elif nxt.has("order_noun") and not sort_metric:
                sort_metric = "orders"
            break
        back = r.before(i, 1)
        if back and units[back[0]].has("metric") and sort_metric is None:
            sort_metric = units[back[0]].kinds["metric"]  # 收入最高, 销量最低
    # a count before a grouping word when something ranks: "3 best-selling products", "5个类目"
    if ranked and limit is None:
        for i, unit in enumerate(units):
            if unit.number is not None and float(unit.number).is_integer() and 0 < unit.number <= 1000:
                nxt = [j for j in r.after(i, 2) if units[j].kinds or units[j].tokens[0].text not in COUNT_WORDS]
                if nxt and (r.dim_of(nxt[0]) or units[nxt[0]].has("popular", "high", "low")):
                    limit = int(unit.number)
                    if r.dim_of(nxt[0]):
                        add_by(r.dim_of(nxt[0]))  # "the 4 categories with the most revenue"
                        r.used.add(nxt[0])
                    break

    # -- metrics
    metrics: list[str] = []
    for unit in units:
        if unit.has("metric") and unit.kinds["metric"] not in metrics:
            metrics.append(unit.kinds["metric"])
    explicit = bool(metrics)
    q.named = explicit

    # attributes: average/total of a numeric one, or a condition on it
    attr_conds: list[tuple[int, Cond]] = []
    presence: list[tuple[int, Cond]] = []
    for i, unit in enumerate(units):
        if not unit.has("attr") or i in r.used:
            continue
        name = unit.kinds["attr"]
        info = lex.attributes.get(name, {})
        kind = info.get("type")
        back = r.before(i, 1)
        negated = bool(back and units[back[0]].has("neg"))
        if kind == "numeric":
            cond = _comparison(r, i, name)
            if info.get("contract") and not cond:
                continue  # the contract's age has bands and bounds, no sum or average in the catalog
            if cond:
                attr_conds.append((i, cond))
            elif back and units[back[0]].has("total") or any(units[j].kinds.get("metric") in MONEY_METRICS for j in r.after(i, 1)) \
                    or (r.any("how_much", "total") and not r.any("avg")) \
                    or (r.any("how_many") and not r.any("avg") and MONEY_LABEL.search(f"{name} {info.get('label', '')}")):
                # "how much did we give in discounts", "折扣总共多少": an amount asked for is the sum, not the average
                metrics = [m for m in metrics if m not in MONEY_METRICS] + [f"sum_{name}"]
                explicit = True
            elif back and units[back[0]].has("avg") or not metrics:
                metrics.append(f"avg_{name}")
                explicit = True
        elif kind == "boolean":
            attr_conds.append((i, (name, "=", not negated)))
        elif not ranked and (has := _presence(r, i)) is not None and not any(
                u.has("value") and u.kinds["value"][0] == name for u in units):
            # "orders that used a discount code", "without a coupon", "没有用优惠码的订单": whether the column has a value
            r.used.add(i)
            presence.append((i, (name, "is_null" if has is False else "not_null", None)))
        elif not by and (explicit or ranked or q.breakdown) and (ranked or q.breakdown or not any(
                u.has("value") and u.kinds["value"][0] == name for u in units)) \
                and not (ranked is False and not q.breakdown and ALTOGETHER.search(text) and any(
                    u.has("attr") and lex.attributes.get(u.kinds["attr"], {}).get("type") == "numeric" for u in units)):
            # "支付方式的销售额", "revenue payment method split": the attribute is the grouping; with one of its values
            # named ("会员等级为Gold的客户") it only says whose value that is
            add_by(name)

    age = _age_condition(r)
    if age:
        attr_conds.append(age)
    elif not metrics and (age_name := _age_average(r)):
        metrics, explicit = [f"avg_{age_name}"], True  # "how old are our customers on average"
    if popular and not by and not (often and r.any("cust", "list")):  # "which customer orders most" ranks customers
        goods = product_field(vocabulary, lex)
        if goods is None:
            q.missing = "product"
        elif vocabulary.get("products") or goods != "product":
            by.append(goods)  # "our best sellers" are products (after the columns named: "the most used payment type")

    # what a cue implies when no metric is named
    how_many = r.any("how_many")
    how_much = r.any("how_much")
    # refunds and cancellations are said by a cue ("returned") or inside a metric's own word ("退款订单", "取消的订单")
    said_refund = r.any("refund") or bool(set(metrics) & {"refunded_orders", "refunded_revenue"})
    said_cancel = r.any("cancel") or any(u.kinds.get("metric") in ("cancelled_orders", "cancelled_revenue")
                                         and CANCEL_WORD.search(text[u.start:u.end]) for u in units)
    # "lost customers", "流失" are people; "lost revenue", "lost to refunds" money
    lost_money = any(u.has("lost") and not any(r.u[j].has("cust") for j in r.after(i)) for i, u in enumerate(r.u))
    cancelled = said_refund or said_cancel or lost_money
    rateable = {"purchase_frequency", "share_of_revenue", "orders", "cancelled_orders", "refunded_orders"}
    if cancelled and r.any("share_word") and (set(metrics) & rateable or not metrics or r.any("order_noun")):
        # "what percentage of orders get cancelled", "how often are orders returned", "退款比例", "cancelled, as a rate"
        rate = "refund_rate" if said_refund and not said_cancel else "cancellation_rate"
        kept = [m for m in metrics if m not in rateable]
        metrics, explicit = [rate] + kept, True
    if r.any("again") and set(metrics) <= {"customers", "share_of_revenue", "purchase_frequency", "returning_customers"}:
        # "what share of customers come back and buy again" is the repeat-purchase rate; "how many came back" a count
        if r.any("share_word") or "share_of_revenue" in metrics:
            metrics, explicit = ["repeat_purchase_rate"], True
        elif metrics == ["customers"] or (how_many and r.any("cust")):
            metrics, explicit = ["returning_customers"], True
    if not metrics:
        if popular:
            # what sells is counted in units for goods, in orders for anything else (a payment method); what is
            # popular or chosen most often, in the orders that chose it
            goods = {"product", "category", product_field(vocabulary, lex)}
            metrics = ["units"] if not often and (not by or set(by) & goods) else ["orders"]
            q.implied = "popular"
        elif (how_much or ranked) and r.any("money_verb") and not PIECES.search(text):
            metrics = ["revenue"]
        elif how_many and r.any("money_verb") and not r.any("cust"):
            metrics = ["units"]  # "how many smartwatches did we sell", "马克杯一共卖出去多少个"
        elif how_many and r.any("cust"):
            metrics = ["customers"]
        elif r.any("cancel", "refund") and (how_much or r.any("total", "money_noun", "money_verb")):
            metrics = ["revenue"]  # "how much have we refunded (in total)", "退了多少钱": the money, refunded below
        elif r.any("cancel", "refund") and how_many:
            metrics = ["orders"]  # "how many orders did we refund"
        elif r.any("order_noun") and (how_many or by or q.grain or ranked or q.compare or r.any("value", "over") or attr_conds or presence
                                      or relative_period(text, as_of) != (None, None)):
            metrics = ["orders"]  # "orders paid by PayPal", "monthly orders", "orders last week"
        elif sort_metric:
            metrics = [sort_metric]
        explicit = bool(metrics)
    elif sort_metric and sort_metric not in metrics:
        metrics.append(sort_metric)
    # a unit of measure after "per order" / "per customer" makes a ratio: "how much per order" is AOV,
    # "items per order", "orders per customer", "人均消费"; "how many times do they buy" is a purchase frequency
    per_order, per_customer = r.any("per_order"), r.any("per_customer")
    money = {"revenue"} & set(metrics) or (not metrics and (how_much or r.any("money_verb")))
    if per_order and (r.any("items") or "units" in metrics):
        metrics, explicit = ["items_per_order"] + [m for m in metrics if m not in ("units", "orders")], True
    elif per_order and money:
        metrics, explicit = ["aov"] + [m for m in metrics if m != "revenue"], True
    elif per_customer and money:
        metrics, explicit = ["revenue_per_customer"] + [m for m in metrics if m != "revenue"], True
    elif (per_customer or r.any("times")) and (r.any("buy", "order_noun") or "orders" in metrics) \
            and set(metrics) <= {"orders", "customers"}:
        metrics, explicit = ["purchase_frequency"], True  # "how many orders does a client place", "每位客户下了几单"
    elif (not metrics or (metrics == ["customers"] and not q.named)) and r.any("avg") and r.any("money_verb") and r.any("cust"):
        metrics, explicit = ["revenue_per_customer"], True  # "what do customers spend on average", "客人的平均消费是多少"
    if set(metrics) <= {"orders", "customers", "purchase_frequency"} and _asks_interval(r):
        metrics, explicit = ["avg_days_between_orders"], True  # "how many days pass between two orders"
    if _money_of_orders(r):
        # "the value of cancelled orders", "取消的订单金额", "订单金额": money, not a count of orders
        swapped = [{"orders": "revenue", "cancelled_orders": "cancelled_revenue"}.get(m, m) for m in metrics]
        metrics, explicit = (swapped if metrics else ["revenue"]), True
    if metrics == ["revenue"] and (r.any("portion") or any(u.has("share_word") and u.text in PERCENT_WORDS for u in units)):
        # "how much of our revenue does Fashion make up", "女装占销售额多少", "what percent of sales come from Toys"
        metrics = ["share_of_revenue"]
    if _at_risk_of_revenue(r):
        metrics = ["revenue_at_risk"] + [m for m in metrics if m not in ("revenue", "share_of_revenue", "revenue_at_risk")]
    if cancelled:  # "revenue we lost to cancellations", "how many orders were returned"
        metrics = [{"revenue": "cancelled_revenue", "orders": "cancelled_orders"}.get(m, m) for m in metrics]
        if said_refund and not said_cancel and "refunded_revenue" in (vocabulary.get("metrics") or ()):
            # "how much did we lose to refunds", "退款金额": refunds alone, not every cancelled or closed order
            metrics = [{"cancelled_revenue": "refunded_revenue", "cancelled_orders": "refunded_orders"}.get(m, m)
                       for m in metrics]
        if said_refund and said_cancel:
            # "refunds and cancellations", "退款和取消的订单": both, which the cancelled figures count (every order
            # not completed: cancelled, refunded or returned)
            metrics = [{"refunded_revenue": "cancelled_revenue", "refunded_orders": "cancelled_orders"}.get(m, m)
                       for m in metrics]
        if r.any("lost") and set(metrics) & {"cancelled_revenue", "refunded_revenue"}:
            # "how much revenue did refunded orders lose us", "退款的订单损失了多少销售额": the money; orders say which
            metrics = [m for m in metrics if m not in ("cancelled_orders", "refunded_orders")]
        metrics = list(dict.fromkeys(metrics))
    # "new customers' AOV": a group of customers is who, when another metric says what
    if set(metrics) == {"new_customers", "customers"}:
        metrics = ["new_customers"]  # "新客户有多少": one count of customers, the new ones
    if len(metrics) > 1 and "new_customers" in metrics:
        metrics.remove("new_customers")
        q.audience.append(("segment", "=", "new_customers"))
    q.metrics = metrics
    q.explicit = explicit
    named = None if metrics else next((u.kinds["attr"] for i, u in enumerate(units) if u.has("attr") and i not in r.used), None)

    # -- values: order filters or audience, negated or not
    values: list[tuple[int, Cond, bool]] = []  # (unit index, condition, audience?)
    buyer_clause_until = -1
    for i, unit in enumerate(units):
        if unit.has("demonym"):
            nxt = r.after(i, 1)
            if nxt and units[nxt[0]].has("cust"):
                # "Canadian customers": Canada as the data's country column spells it ('CA' in a Billing Country)
                named = unit.kinds["demonym"]
                country = ct.same_country(named, lex.country_values) or _canonical(named, list(lex.country_values))
                values.append((i, (lex.country_field or "country", "!=" if _negated(r, i) else "=", country), True))
            continue
        if not unit.has("value") or i in r.used:
            continue
        fieldname, value, _ = unit.kinds["value"]
        value = list(value) if isinstance(value, tuple) else value  # a family of products: one condition on them all
        negated = _negated(r, i) or _listed_after_negated(r, i, values)
        if _customer_field(fieldname, lex):
            audience = True
        else:
            audience = _buyer(r, i) or (i <= buyer_clause_until and not _order_context(r, i))
            if audience:
                buyer_clause_until = _clause_end(r, i)
        values.append((i, (fieldname, "!=" if negated else "=", value), audience))

    # two values of one field compared ("Electronics vs Fashion", "德国和法国哪个…"): grouped by that field
    # "how does revenue split between web, app and store", "Books、Toys和Home的销售额分布": the values as groups
    compared = r.any("versus") or which_single is not None or r.any("which_one", "which_many") or q.breakdown \
        or r.any("between")
    seen: dict[str, list[int]] = {}
    for n, (_, (f, op, _), _) in enumerate(values):
        if op == "=":
            seen.setdefault(f, []).append(n)
    for f, ns in seen.items():
        if len(ns) >= 2 and compared and f not in by:
            by.append(f)
            if q.implied == "popular" and len(by) == 2 and by[0] in ("product", product_field(vocabulary, lex)):
                by.pop(0)  # "直播和小程序哪个卖得多": the compared values are the groups, not the products
            if q.implied == "popular" and q.missing == "product":
                q.missing = None  # no product column is needed to compare them
    q.by = by

    for i, cond in presence:
        # an order column's presence is about orders ("orders with a coupon") unless customers are named before it
        # ("customers who used a coupon", "没用过优惠码的客户"); a customer column's always about customers
        about_customers = _customer_field(cond[0], lex) or any(_is_customer(units[j]) for j in range(max(0, i - 6), i)) \
            or any(_is_customer(units[j]) for j in r.after(i, 2)) and not any(units[j].has("order_noun") for j in r.after(i, 2))
        values.append((i, cond, about_customers))
    values.sort(key=lambda v: v[0])
    filters, audience = _group(values, units, lambda f: _customer_field(f, lex))
    q.filters = filters + ([amount] if amount else [])
    q.audience = q.audience + audience + [c for _, c in attr_conds if lex.attributes[c[0]].get("grain") == "customer"]
    q.filters += [c for _, c in attr_conds if lex.attributes[c[0]].get("grain") != "customer"]
    q.audience += numeric

    # tier, segment, churn risk, persona as the slot filler read them
    for key in ("tier", "segment", "churn_risk", "persona"):
        value = (slot_filters or {}).get(key)
        if value is None or any(f == key for f, _, _ in q.audience) or key in by:
            continue
        if key == "segment" and value == "new_customers" and "new_customers" in metrics:
            continue  # "how many new customers": the metric, not the segment
        if (key, value) in (("segment", "lost"), ("churn_risk", "lapsed")) and not LAPSED_WORD.search(text) \
                and set(metrics) & {"cancelled_revenue", "refunded_revenue", "cancellation_rate", "refund_rate"}:
            continue  # "how much revenue was lost (to refunds)" speaks of money, not of lost customers
        if key == "churn_risk" and (set(metrics) & {"churn_probability", "revenue_at_risk"}) and not re.search(r"\bhigh\b|\bmedium\b|\blow\b|高|中|低", text):
            continue
        q.audience.append((key, "=", value))
    for key, left_out in (slot_exclusions or {}).items():  # "not low tier": the tiers but those
        if not any(f == key for f, _, _ in q.audience):
            q.audience.append((key, "not_in", list(left_out)))

    # -- window: the question without its comparison, values and audience phrases
    hidden = [(u.start, u.end) for u in units if u.has("compare", "value")] + masked
    chars = list(text)
    for a, b in hidden:
        chars[a:b] = " " * (b - a)
    plain = "".join(chars)
    # "customers acquired in 2024", "2024年首购的客户": that period dates the customers' first order
    acquired = next((u for u in units if u.has("acquired")), None)
    if acquired is not None and not (r.any("cust") or set(q.metrics) & {"customers", "new_customers"}
                                     or CUSTOMER_WORD.search(plain)):
        acquired = None  # "how many orders did we get in May": winning is said of customers; with none named, a window
    counts_customers = bool(q.metrics) and set(q.metrics) <= {"customers", "new_customers"} or (
        not q.metrics and how_many and r.any("cust"))
    if acquired is not None and counts_customers:
        # "new customers acquired in May", "how many customers did we win in 2024", "5月新增了多少客户": the customers
        # whose first order falls in the window, counted over that window (the period is the window, no audience)
        q.metrics, q.explicit = ["new_customers"], True
        acquired = None
    if acquired is not None:
        stop = re.search(r"[,，;；?？。!！]|\bby\b|\bper\b|按|各", plain[acquired.end:])
        spans = [(acquired.end, acquired.end + (stop.start() if stop else 40)), (max(0, acquired.start - 12), acquired.start)]
        for a, b in spans:
            first_since, first_until = window(plain[a:b], as_of)
            if first_since:
                q.audience.append(("first_order_date", "between", [first_since.isoformat(), (first_until or as_of).isoformat()]))
                plain = plain[:a] + " " * (b - a) + plain[b:]
                break
    since, until = window(plain, as_of)
    # "Q4 2024 vs Q4 2023", "11月和10月对比": two periods named around a comparison word
    splits = [u for u in units if u.has("versus", "conj")][:3] if r.any("versus") else []
    for versus in splits:
        if q.compare is not None:
            break
        left, right = window(plain[:versus.start], as_of), window(plain[versus.end:], as_of)
        if left[0] and right[0] and left != right:
            earlier, later = sorted([left, right], key=lambda w: w[0])
            later_end = later[1] or as_of
            if _shift_year(earlier[0], 1) == later[0]:
                q.compare = "previous_year"
            elif earlier[1] and (later[0] - earlier[1]).days == 1:
                q.compare = "previous_period"
            if q.compare:
                since, until = later[0], later_end
    q.since = since.isoformat() if since else None
    q.until = until.isoformat() if until and until < as_of else None
    if q.grain == "day" and since and since == until:
        q.grain = None  # "那天卖了多少": one day's figure, no series of one day
    # "what share of revenue comes from the app": the app's share among all channels, not the app's share of itself
    # (any field's value: a category, a region, a payment type, a member tier); the answer leads with that group
    if "share_of_revenue" in q.metrics and not by:
        positive = [(target, c) for target in (q.filters, q.audience) for c in target
                    if c[1] == "=" and isinstance(c[2], (str, bool))]
        if len(positive) == 1:
            target, cond = positive[0]
            target.remove(cond)
            by.append(cond[0])
            q.focus = [cond]

    # "AOV month over month": a series by month; "revenue this month, month over month": a comparison
    over = next((u.kinds["over"] for u in units if u.has("over")), None)
    if over and not q.compare:
        start = date.fromisoformat(q.since) if q.since else None
        end = date.fromisoformat(q.until) if q.until else as_of
        if start and (end - start).days + 1 > 1.5 * PERIOD_DAYS[over]:
            q.grain = q.grain or over  # "AOV month over month this year": the months of the year, each against the one before
        elif q.since or q.until:
            q.compare = "previous_year" if over == "year" else "previous_period"
        else:
            q.grain = q.grain or over
    if q.grain and q.compare == "previous_period" and not (q.since or q.until):
        q.compare = None  # a series by period already shows each period against the one before
    if q.compare and not (q.since or q.until or q.grain):
        # "compare revenue with the previous period", "营收环比怎么样" name no period: the last DEFAULT_COMPARE_DAYS days to
        # the as-of date, against the days before (or the same days a year earlier); the answer's definition line names them
        q.since, q.window_defaulted = (as_of - timedelta(days=DEFAULT_COMPARE_DAYS - 1)).isoformat(), True

    # "how many new customers in France" with no period counts the new-customer segment; new customers are
    # only a metric over a window or per period ("new customers last month", "monthly new customers")
    if "new_customers" in q.metrics and not (q.since or q.until or q.grain or q.compare):
        q.metrics = [m for m in q.metrics if m != "new_customers"]
        if not any(f == "segment" for f, _, _ in q.audience):
            q.audience.append(("segment", "=", "new_customers"))
        if not q.metrics and how_many:
            q.metrics = ["customers"]
        q.explicit = bool(q.metrics)

    # -- sort and limit
    if ranked and q.metrics:
        target = sort_metric if sort_metric in q.metrics else q.metrics[0]
        q.sort = f"{target}:asc" if ascending else target
        if limit is None and by and which_single is not False and not q.grain:
            limit = 1 if (which_single or not (plural or any(_plural(units[j]) for j in r.used))) else None
    elif limit is None and by:
        # "取前5", "top 10" with the grouping named elsewhere
        for i, unit in enumerate(units):
            if unit.has("top"):
                nxt = r.after(i, 1)
                if nxt and units[nxt[0]].number:
                    limit = int(units[nxt[0]].number)
                    q.sort = q.metrics[0] if q.metrics else None
    q.limit = limit
    info = lex.attributes.get(named) if named else None
    if info and not info.get("contract"):
        # a question naming a column and nothing to compute ("what about client age", "会员等级呢"): its average when
        # it is a number, else how the customers (or orders) split over its values
        if info["type"] == "numeric":
            q.fallback = {**q.args(), "metrics": [f"avg_{named}"]}
        else:
            q.fallback = {**q.args(), "metrics": ["customers" if info["grain"] == "customer" else "orders"],
                          "by": list(dict.fromkeys([*q.by, named]))}
    return q


def product_field(vocabulary: dict[str, Any], lex: Lexicon) -> str | None:
    """The field that holds products: the product dimension when the data has products; otherwise an order attribute
    whose label names products ('SKU Name', 'Item', 'Article', '商品名称'); None when the data has neither."""
    if vocabulary.get("products") or "products" not in vocabulary:
        return "product"
    words = [phrase_key(w) for w in gl.dimension_words()["product"]]
    for name, info in lex.attributes.items():
        if info.get("type") != "categorical" or info.get("grain") == "customer" or info.get("contract"):
            continue
        label = phrase_key(str(info.get("label") or name))
        if any(label[i:i + len(w)] == w for w in words for i in range(len(label) - len(w) + 1)):
            return name
    return None


def _asks_interval(r: Reader) -> bool:
    """A duration between orders: 'how many days pass between two orders', 'how long until a client orders again',
    '平均隔几天下一单'. A span after a number ('in the last 30 days') is a window, no duration."""
    duration = False
    for i, unit in enumerate(r.u):
        if not unit.has("duration"):
            continue
        back = r.before(i, 1)
        if unit.has("time") and back and (r.u[back[0]].number is not None or r.u[back[0]].text in WINDOW_WORDS):
            continue
        duration = True
    orders = r.any("order_noun", "buy", "again", "per_order") or any(
        u.kinds.get("metric") in ("orders", "purchase_frequency") for u in r.u)
    return duration and r.any("interval", "again") and orders


WINDOW_WORDS = frozenset("last past previous next first 近 过去 最近 前 后".split())
ORDER_COUNTS = ("orders", "cancelled_orders")
DEFAULT_COMPARE_DAYS = 30  # a comparison that names no period compares the last 30 days


def _money_of_orders(r: Reader) -> bool:
    """Money said of orders: a money word right after them ('cancelled orders' value', '取消的订单金额', 'orders were
    worth'), 'value of / worth of' before them, or 'how much' asked of them."""
    how_much = any(u.has("how_much") and u.tokens[0].text == "how" for u in r.u) and not r.any("how_many")
    for i, unit in enumerate(r.u):
        if not (unit.kinds.get("metric") in ORDER_COUNTS or unit.has("order_noun")):
            continue
        if how_much:
            return True
        after = r.after(i, 1)
        if after and r.u[after[0]].has("money_noun"):
            return True
        j = i - 1
        while j >= 0 and r.u[j].filler and r.u[j].text != "of":
            j -= 1
        if j >= 1 and r.u[j].text == "of" and r.u[j - 1].has("money_noun") and r.u[j - 1].text != "amount":
            return True  # "the value of cancelled orders" (but "the amount of orders" counts them)
    return False


def _at_risk_of_revenue(r: Reader) -> bool:
    """'revenue at risk', 'share of revenue is at risk', '营收处于风险中': at risk said of money, not of customers."""
    for i, unit in enumerate(r.u):
        if unit.has("at_risk"):
            back = r.before(i, 2)
            if any(r.u[j].kinds.get("metric") in ("revenue", "share_of_revenue") for j in back):
                return True
    return False


def _comparison(r: Reader, i: int, name: str) -> Cond | None:
    """'age over 40', '评分4分以上', 'rating between 3 and 5': a bound on a numeric attribute."""
    ops = {"gt": ">", "ge": ">=", "lt": "<", "le": "<="}
    op, numbers = None, []
    for j in r.after(i, 5):
        unit = r.u[j]
        if unit.number is not None:
            numbers.append(unit.number)
            if op and op != "between":
                break
            continue
        kind = next((k for k in ("between", "ge", "le", "gt", "lt") if k in unit.kinds), None)
        if kind and (op is None or numbers):
            op = op or ("between" if kind == "between" else ops[kind])
            if numbers and op != "between":
                break
            continue
        if unit.kinds and not unit.has("conj", "measure"):
            break
    if not numbers:
        return None
    if op is None:
        following = r.u[i + 1] if i + 1 < len(r.u) else None
        if not (following and following.number is not None and following.number < 1900):
            return None  # "average rating in 2024" names a year, not a rating
        op = "="  # "orders rated 5", "评分5分的订单"
    value = lambda x: int(x) if float(x).is_integer() else x
    if op == "between":
        return (name, "between", [value(min(numbers[:2])), value(max(numbers[:2]))]) if len(numbers) >= 2 else None
    return (name, op, value(numbers[0]))


PERCENT_WORDS = frozenset(["percentage", "percent", "proportion", "share", "fraction", "%", "比 例", "百 分 比",
                           "多 大 比 例", "几 成"])
HAS_WORDS = frozenset("with had has have having used use uses using applied apply redeemed entered carried 用 有 带 使 附".split())
NO_WORDS = frozenset("without no 无 未 没 不".split())


def _presence(r: Reader, i: int) -> bool | None:
    """Whether a column is said to be there or not just before it: 'used a discount code', 'with a coupon', 'had a promo
    code', '用了优惠码' (True); 'without a coupon', 'no promo code', '没有用优惠码', '不带优惠码' (False); None when neither."""
    has = negated = False
    for j in range(i - 1, max(-1, i - 5), -1):
        unit = r.u[j]
        if unit.strong_break:
            break
        if unit.has("neg") or (not unit.kinds and unit.tokens[0].text in NO_WORDS):
            negated = True
            if unit.text in ("without", "no", "无", "没 有", "不 带", "未 使 用"):
                has = True
            continue
        if unit.has("use") or (not unit.kinds and unit.tokens[0].text in HAS_WORDS):
            has = True
            continue
        if unit.filler:
            continue
        break
    return (not negated) if has else None


def _age_average(r: Reader) -> str | None:
    """The age attribute asked about with no bound ('how old are they on average', '客户多大'), if the data has one
    with an average (the contract's age has bands only)."""
    name = r.lex.index.get(("age",), {}).get("attr")
    if not name or r.lex.attributes.get(name, {}).get("contract"):
        return None
    asks = any(u.has("age_word") and u.text in ("how old", "多 大", "几 岁") for u in r.u)
    return name if asks else None


def _age_condition(r: Reader) -> tuple[int, Cond] | None:
    """'older than 40', 'aged 30 to 40', '40岁以上', '25 years old': a bound on the age attribute, when the data has one."""
    name = r.lex.index.get(("age",), {}).get("attr")
    if not name:
        return None
    for i, unit in enumerate(r.u):
        # "customers under 30", "shoppers over 60": a bound right after a customer noun is an age
        if unit.has("gt", "lt", "ge", "le") and not unit.has("age_word"):
            back, nxt = r.before(i, 1), r.after(i, 2)
            if back and _is_customer(r.u[back[0]]) and nxt and r.u[nxt[0]].number is not None and r.u[nxt[0]].number <= 120 \
                    and (len(nxt) < 2 or not r.u[nxt[1]].kinds or r.u[nxt[1]].has("age_word", "measure")):
                op = next(o for k, o in (("ge", ">="), ("le", "<="), ("gt", ">"), ("lt", "<")) if k in unit.kinds)
                value = r.u[nxt[0]].number
                return i, (name, op, int(value) if float(value).is_integer() else value)
        if not unit.has("age_word"):
            continue
        around = r.before(i, 3)[::-1] + r.after(i, 3)
        numbers = [r.u[j].number for j in around if r.u[j].number is not None]
        if not numbers:
            continue
        word = unit.text
        op = ">" if word.startswith("older") else "<" if word.startswith("younger") else None
        for j in around:
            kind = next((k for k in ("between", "ge", "le", "gt", "lt") if k in r.u[j].kinds), None)
            if kind and op is None:
                op = {"between": "between", "ge": ">=", "le": "<=", "gt": ">", "lt": "<"}[kind]
        value = lambda x: int(x) if float(x).is_integer() else x
        if op == "between" or (op is None and len(numbers) >= 2):
            return i, (name, "between", [value(min(numbers[:2])), value(max(numbers[:2]))])
        return i, (name, op or "=", value(numbers[0]))
    return None


def _listed_after_negated(r: Reader, i: int, values: list[tuple[int, Cond, bool]]) -> bool:
    """A value listed right after a negated value of the same field shares its negation: "not in Germany or France",
    "除了美国和加拿大", "excluding books, toys and games"."""
    if not values:
        return False
    j, (fieldname, op, _), _ = values[-1]
    between = r.u[j + 1:i]
    return op == "!=" and fieldname == r.u[i].kinds["value"][0] and len(between) <= 2 and all(
        u.has("or", "conj") or (not u.kinds and u.tokens[0].text in ("or", "and", "nor", "、", ",", "，", "和", "或", "及", "与"))
        for u in between)


def _a_not_a(r: Reader, j: int) -> bool:
    """A 不/没 between the same character asks a question, it negates nothing: 有没有德国的客户…, 是不是, 会不会, 买没买."""
    if not 0 < j < len(r.u) - 1:
        return False
    before, toks = r.u[j - 1].tokens, r.u[j].tokens
    if toks[0].raw not in ("没", "不") or len(before) != 1:
        return False
    repeated = toks[1].raw if len(toks) > 1 else r.u[j + 1].tokens[0].raw  # 有没有 is one unit (没有) or two (没, 有)
    return before[-1].raw == repeated


def _negated(r: Reader, i: int) -> bool:
    """A negation just before the value ('not in Germany', 'never a smartwatch', '没买过图书') or 以外 after it."""
    for j in r.before(i, 3):
        unit = r.u[j]
        if unit.has("neg") and not _a_not_a(r, j):
            # 不是高价值的西班牙客户: a negation ends at 的, which starts the noun it describes (Spain is who they are)
            return not any(not u.kinds and u.tokens[0].text == "的" for u in r.u[j + 1:i])
        if unit.has("value", "metric", "cust", "order_noun") or unit.number is not None:
            return False
    nxt = r.after(i, 1)
    return bool(nxt and r.u[nxt[0]].has("neg_post"))


CUSTOMER_COUNTS = ("customers", "new_customers", "returning_customers")


def _is_customer(unit: Unit) -> bool:
    """A customer noun, or a count of customers ("客户有多少"), names who the clause is about."""
    return unit.has("cust") or unit.kinds.get("metric") in CUSTOMER_COUNTS


def _buyer(r: Reader, i: int) -> bool:
    """Whether a value sits in a clause about who bought it."""
    if i >= 2 and r.u[i - 1].text == "of" and _is_customer(r.u[i - 2]):
        return True  # "buyers of headphones"
    back = r.before(i, 4)
    for n, j in enumerate(back):
        unit = r.u[j]
        if unit.has("buy"):
            return True
        if unit.has("use") and any(_is_customer(r.u[k]) for k in r.before(j, 3)):
            return True  # "customers who paid with PayPal": a use verb counts after a customer noun
        if unit.has("value", "metric", "order_noun") or unit.number is not None:
            break
    nxt = r.after(i, 4)
    for n, j in enumerate(nxt):
        unit = r.u[j]
        if unit.has("order_noun"):
            return False
        if _is_customer(unit) and n <= 1:
            return True  # "web buyers", "智能手表的客户"
        if unit.has("buy", "use"):
            # "在门店买过东西的客户"; "顾客里在线上买过…的": the customer named before the value
            return any(_is_customer(r.u[k]) for k in r.after(j, 4)) or (n == 0 and any(_is_customer(r.u[k]) for k in back))
        if unit.has("value", "metric"):
            break
    return False


def _order_context(r: Reader, i: int) -> bool:
    nxt = r.after(i, 1)
    return bool(nxt and r.u[nxt[0]].has("order_noun"))


def _clause_end(r: Reader, i: int) -> int:
    """Where a buyer's clause that names a value ends: at a metric, an order noun or a full stop."""
    return r.clause_end[i + 1] if i + 1 < len(r.u) else len(r.u)


def _customer_field(name: str, lex: Lexicon) -> bool:
    """A field with one value per customer (country, tier, a customer attribute)."""
    return name in CUSTOMER_FIELDS or lex.attributes.get(name, {}).get("grain") == "customer"


def _group(values: list[tuple[int, Cond, bool]], units: list[Unit], single: Any) -> tuple[list[Cond], list[Cond]]:
    """Conditions in question order; one field's several values are one `in` (`not_in`), except a buyer's
    "bought a laptop and a smartwatch", where both must hold (a customer has one country, but many purchases)."""
    filters: list[Cond] = []
    audience: list[Cond] = []
    for idx, (i, (f, op, v), is_audience) in enumerate(values):
        target = audience if is_audience else filters
        same = [n for n, c in enumerate(target) if c[0] == f and c[1] in (("=", "in") if op == "=" else ("!=", "not_in"))]
        either = any(units[k].has("or") for k in range(values[idx - 1][0] + 1, i)) if idx else False
        if same and (not is_audience or either or op == "!=" or single(f)):
            n = same[0]
            old = target[n]
            merged = (old[2] if isinstance(old[2], list) else [old[2]]) + (v if isinstance(v, list) else [v])
            target[n] = (f, "in" if op == "=" else "not_in", merged)
        elif isinstance(v, list):
            target.append((f, "in" if op == "=" else "not_in", v))
        else:
            target.append((f, op, v))
    return filters, audience


def _canonical(value: str, valid: list[str]) -> str:
    return next((v for v in valid if v.lower() == value.lower()), value)


# ------------------------------------------------------------------ follow-ups
def refine(last: dict[str, Any], q: MetricQuery) -> dict[str, Any] | None:
    """The last query_metrics call with what this question changes; None when it changes nothing."""
    args = {k: (list(v) if isinstance(v, list) else v) for k, v in last.items()}
    changed = False
    if q.explicit and q.metrics and q.metrics != last.get("metrics"):
        args["metrics"] = list(dict.fromkeys(q.metrics))
        changed = True
    if q.by and q.by != last.get("by"):
        args["by"] = list(q.by)
        changed = True
    for key in ("grain", "compare", "sort", "limit"):
        value = getattr(q, key)
        if value is not None and value != last.get(key):
            args[key] = value
            changed = True
    if (q.since or q.until) and not (q.window_defaulted and (last.get("since") or last.get("until") or last.get("grain"))):
        args.pop("since", None)
        args.pop("until", None)
        if q.since:
            args["since"] = q.since
        if q.until:
            args["until"] = q.until
        changed = True
    for key, new in (("filters", q.filters), ("audience", q.audience)):
        if not new:
            continue
        fields = {f for f, _, _ in new}
        kept = [c for c in conditions(last.get(key)) if c[0] not in fields]
        args[key] = shape(kept + list(new))
        changed = True
    return args if changed else None
