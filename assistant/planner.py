"""The offline planner: intent routing and slot filling for English and Chinese questions,
deterministic and fast, with answers written from tool results through templates in prompts/answers.

Routing is learned: assistant.router gives every intent a probability from the question's n-grams and the
cue and slot rules as features, trained on labelled examples (prompts/router/train.jsonl); slots come from
planning_slots. Follow-ups
("them", "only those in France", "now in Chinese") resolve against the ConversationState.
The planner plans what the user asked even when their role may not do it: roles are enforced by
the registry, and compose() explains a refusal in plain words.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import numpy as np

from assistant import clarify, glossary
from assistant import planning_lexicon as lex
from assistant import planning_metrics
from assistant import planning_slots
from assistant import router as intent_router
from assistant.answer import ToolCallRecord
from assistant.conversation import ConversationState
from assistant.language import EN_TENS, EN_UNITS, ChineseSpeller, Speller, detect_language, numbers_to_digits, to_standard_chinese
from assistant.planning_compose import compose_answer, fill, help_text, refusal_text, templates, zh_word
from assistant.planning_slots import Slots, extract
from tools.audience import FILTER_FIELDS

AUDIENCE_TOOLS = frozenset({"find_customers", "segment_summary", "kpi_trend", "cohort_retention", "clv_forecast",
                            "recommend_products", "draft_campaign", "campaign_forecast", "export_audience"})
# Tools that act on "the last audience" when the question names none (PRODUCT.md: "audience (filters or the last audience)")
LAST_AUDIENCE_TOOLS = frozenset({"draft_campaign", "campaign_forecast", "export_audience"})
SUMMARY_BY = ("tier", "segment", "persona", "churn_risk", "country", "channel", "category")
TREND_BY = ("channel", "country", "category", "tier")
# Below this probability no reading stands out: a fragment ("only Germany"), a number asked with no other intent,
# or nothing we do. In 5-fold cross-validation on the training file the router's best reading was right less often
# than not below one in two (and 9 times in 10 above 0.8)
WEAK = 0.5
LEADS_AT = 0.4
# A question after an answer is a new question, not a refinement of that answer, when it spells out a request of its
# own: the cues of the intent the router chose add up to this much ("forecast revenue next quarter" after a list).
# The router's confidence cannot tell: "what about low tier?" is confidently a list, yet it refines the last one.
OWN_WORDING = 3.0
# Intents that answer a question of their own even when it names a metric ("forecast revenue next quarter",
# "how is AOV calculated", "draft an email to high spenders"): the router's choice of them stands
OWN_QUESTION = frozenset({"customer_lookup", "recommend_products", "draft_campaign", "campaign_forecast", "ab_test",
                          "export_audience", "explain_model", "clv_forecast", "cohort_retention", "what_changed"})
# "since 2025-12-24", "自2025-12-24以来": the day a what-changed question compares with
ISO_DAY = re.compile(r"(?<!\d)(\d{4}-\d{2}-\d{2})(?!\d)")
# "how has revenue changed", "what were sales like": a KPI's course over time, kpi_trend's own question
TREND_QUESTION = re.compile(lex.INTENT_CUES["kpi_trend"][2][0] + "|" + lex.UP_OR_DOWN, re.A)
# A cohort table measured in money rather than in customers
COHORT_MONEY = re.compile(r"\b(?:revenue|sales|spend(?:ing)?|money|dollars?|euros?|amounts?|gmv|turnover)\b|收入|营收|销售额|营业额|金额|消费额|钱|gmv", re.A)
CJK = re.compile(r"[\u4e00-\u9fff]")
THEN_FOR_THAN = re.compile(r"\b(more|less|fewer|greater|higher|lower|bigger|smaller|older|younger|better|worse) then\b", re.I)
# Readings a question about the customer just looked up lands on when it borrows a list's or a total's words
ABOUT_ONE_PERSON = frozenset({"find_customers", "query_metrics", "kpi_trend", "segment_summary", "customer_lookup", "dataset_overview"})
ONE_PERSON = re.compile(r"\b(?:they|them|their|he|him|his|she|her|this (?:customer|person|caller|client)|that (?:customer|person))\b"
                        r"|他|她|这位|该客户|这个客户|此客户", re.A)
THEIR = re.compile(r"\btheir\b|他们的|她们的|这些客户|这批客户|这些人", re.A)
DEFAULT_AS_OF = date(2025, 12, 31)


# A capitalised word after a lower-case word or a comma: a name, not the start of a sentence
PROPER_NAME = re.compile(r"(?<=[a-z0-9,;:] )([A-Z][a-z]{2,})\b")

# Money signs and codes before an amount read as one sign ("¥2,000", "rmb 500", "₹900" are all "$2000" to the patterns),
# so a shop's own currency never turns its amounts into years or plain counts
CURRENCY_SIGN = re.compile(r"[¥₹₩₽₺₫฿₱₪€£]\s?(?=\d)|\b(?:rmb|cny|jpy|gbp|hkd|aud|cad|sgd|chf|inr|krw|nzd|usd|eur)\s?(?=\d)")


@dataclass
class PlannedCall:
    name: str
    args: dict[str, Any]


@dataclass
class Plan:
    calls: list[PlannedCall]
    language: Literal["en", "zh"]
    intent: str
    reply: str | None = None
    out_of_scope: bool = False
    focus: list[tuple[str, str, Any]] | None = None  # the group a breakdown was asked for ("Kids' share of revenue")
    probabilities: dict[str, float] | None = None  # the router's reading, best first (None when no routing ran)
    choices: list[dict[str, Any]] | None = None    # a clarifying question's readings (assistant.clarify)


@dataclass
class Routing:
    probabilities: dict[str, float]  # every intent, best first
    cues: dict[str, float]           # each intent's cue score (a feature of the router)
    out_of_scope: float              # the out-of-scope cue score (a feature, and the guard below)

    def best(self, *, skip: tuple[str, ...] = ("help", "out_of_scope")) -> tuple[str, float]:
        return next((i, p) for i, p in self.probabilities.items() if i not in skip)


@dataclass
class Reading:
    """A question as planning reads it, before any reading is chosen (OfflinePlanner.read)."""
    text: str
    original: str
    as_of: date | None
    slots: Slots
    query: Any  # planning_metrics' parsed metric query
    routing: Routing


def _strip_regex(pattern: str) -> str:
    return re.sub(r"\\[a-zA-Z]|\(\?[:!=<]*|[\[\](){}|?*+^$.\\]", " ", pattern)


def _module_patterns(module) -> list[str]:
    """Every regex source held by a module's constants (patterns, lists and tables of them)."""
    found: list[str] = []

    def walk(value, depth=0):
        if isinstance(value, re.Pattern):
            found.append(value.pattern)
        elif isinstance(value, (list, tuple)) and depth < 3:
            for item in value:
                walk(item, depth + 1)
        elif isinstance(value, dict) and depth < 3:
            for item in value.values():
                walk(item, depth + 1)

    for name, value in vars(module).items():
        if name.isupper():
            walk(value)
    return found


@functools.lru_cache(maxsize=1)
def _place_words() -> frozenset[str]:
    """Words of the names of states and provinces (texas, ontario, guangdong): a place typed in lower case is never a
    misspelt word of ours ("texas" is no "texts")."""
    from tools import regions

    return frozenset(w for name in regions.english_names() for w in re.findall(r"[a-z]+", name.lower()) if len(w) > 3)


def _lexicon_words() -> set[str]:
    texts: list[str] = []
    for cues in lex.INTENT_CUES.values():
        texts += [p for p, _ in cues]
    texts += [p for p, _ in lex.OUT_OF_SCOPE_CUES]
    for table in (lex.TIER_CUES, lex.SEGMENT_CUES, lex.CHURN_CUES, lex.COUNTRY_ALIASES, lex.CHANNEL_ALIASES,
                  lex.CATEGORY_ALIASES, lex.BY_CUES, lex.METRIC_CUES, lex.PERIOD_CUES, lex.MODEL_CUES, lex.GOAL_CUES,
                  lex.MESSAGE_CHANNEL_CUES, lex.TONE_CUES):
        texts += list(table.values())
    texts += [lex.PRONOUN.pattern, lex.MODIFIER.pattern, lex.INJECTION.pattern, lex.DATA_CHANGE.pattern,
              lex.RISK_RANK.pattern] + list(lex.OFFER_PATTERNS) + _module_patterns(planning_slots)
    words: set[str] = set()
    for text in texts:
        words.update(re.findall(r"[a-z]{3,}", _strip_regex(text)))
    return words


OPTIONAL_CJK = re.compile(r"\(\?:([\u4e00-\u9fff]{1,4})\)\?")


def _cjk_words(pattern: str) -> set[str]:
    """The Chinese words a pattern spells, with its optional characters both present and absent ("已(?:经)?流失" spells
    已流失 and 已经流失)."""
    variants = {pattern}
    for _ in range(3):
        expanded = set()
        for v in variants:
            m = OPTIONAL_CJK.search(v)
            expanded |= {v[:m.start()] + m.group(1) + v[m.end():], v[:m.start()] + v[m.end():]} if m else {v}
        variants = expanded
    return {w for v in variants for w in re.findall(r"[\u4e00-\u9fff]{2,}", _strip_regex(v))}


@functools.lru_cache(maxsize=1)
def chinese_speller() -> ChineseSpeller:
    """Typos of Chinese terms repaired into the glossary's metric, dimension and value words and the lexicon's words for
    tiers, segments, churn, channels, categories, groupings and models; every other word of the lexicon and glossary is
    known and kept (爬虫 is no 爬宠, 已流失 no 易流失)."""
    g = glossary.glossary()
    content_tables = (lex.TIER_CUES, lex.SEGMENT_CUES, lex.CHURN_CUES, lex.CHANNEL_ALIASES, lex.CATEGORY_ALIASES, lex.BY_CUES,
                      lex.METRIC_CUES, lex.MODEL_CUES)
    targets: set[str] = set()
    for part in ("metrics", "dimensions", "values", "attributes"):
        entries = g.get(part, {})
        for entry in (entries.values() if isinstance(entries, dict) else entries):
            targets.update(w for w in entry.get("zh", []) if isinstance(w, str))
    for table in content_tables:
        for pattern in table.values():
            targets |= _cjk_words(pattern)
    known = set(targets)
    for entries in g.values():
        if isinstance(entries, (dict, list)):
            known.update(re.findall(r"[\u4e00-\u9fff]{2,}", json.dumps(entries, ensure_ascii=False)))
    patterns = [p for cues in lex.INTENT_CUES.values() for p, _ in cues] + [p for p, _ in lex.OUT_OF_SCOPE_CUES]
    patterns += [lex.PRONOUN.pattern, lex.MODIFIER.pattern, lex.INJECTION.pattern, lex.DATA_CHANGE.pattern, lex.RISK_RANK.pattern,
                 lex.LIST_REQUEST.pattern, lex.SNAPSHOT.pattern] + _module_patterns(planning_slots) + _module_patterns(lex)
    for pattern in patterns:
        known |= _cjk_words(pattern)
    short = {w for w in targets if len(w) == 2} & (
        {w for e in g["metrics"].values() for w in e.get("zh", [])} | _cjk_words(lex.METRIC_CUES["revenue"])
        | {w for p in list(lex.METRIC_CUES.values()) + list(lex.CHURN_CUES.values()) for w in _cjk_words(p)})
    return ChineseSpeller(targets, known, short)


# Everyday words that must never be "corrected" into a lexicon word
COMMON_WORDS = """
about above after again against all also always among another answer anyone anything around because been before
being below between both bring brings bought brought can cannot could customer customers different does doing done
during each either enough every everyone example few first from give given going good great have having here
their them then there these they thing things think this those though through today together tomorrow under until
very want wants week weeks were what when where whether which while will with within without would year years your
please thanks thank kindly could should might shall quick quickly really actually maybe perhaps exactly only just
people person someone something somewhere again later latest lately recent recently earlier since still ever never
number numbers amount total totals value values money worth price prices cost costs pounds dollars euros percent
table tables list lists chart charts share shares group groups other others same such more most less least many much
paris london berlin madrid rome tokyo beijing shanghai china chinese english spanish french german italian dutch
hello there right left best better worse worst biggest largest smallest highest lowest newest oldest
caller callers phone calling line
""".split()

NUMBER_WORDS = [w for w in list(EN_UNITS) + list(EN_TENS) + ["hundred", "thousand", "million"] if " " not in w]
SHORTHAND = {"wil": "will", "teh": "the", "pls": "please", "plz": "please", "u": "you", "ur": "your", "thx": "thanks",
             "w/o": "without", "w/": "with", "cust": "customers", "custs": "customers", "vs": "vs", "mth": "month",
             "qtr": "quarter", "yr": "year", "rev": "revenue", "convs": "conversions", "wat": "what", "wht": "what",
             "hav": "have", "abt": "about", "gonna": "going to", "wanna": "want to", "gotta": "got to"}
SHORTHAND_WORD = re.compile(r"(?<![\w/])(" + "|".join(re.escape(k) for k in SHORTHAND) + r")(?![\w/])")
CONTRACTIONS = {"havent": "haven't", "hasnt": "hasn't", "didnt": "didn't", "dont": "don't", "doesnt": "doesn't",
                "cant": "can't", "wont": "won't", "whats": "what's", "isnt": "isn't", "arent": "aren't",
                "wasnt": "wasn't", "werent": "weren't", "hadnt": "hadn't", "thats": "that's", "whos": "who's"}
CONTRACTION = re.compile(r"\b(" + "|".join(CONTRACTIONS) + r")\b")
POLITE = re.compile(r"^(?:(?:hi|hello|hey)[,!\s]+)?(?:(?:could|can|would|will) you(?: please| kindly)?|please|kindly|i'?d like (?:you )?to|i want (?:you )?to|i need (?:you )?to|help me|let'?s|would you mind)\s+", re.I)
# Other names of a customer read as "customer" by the routing cues ("top clients", "顾客有多少"). The buyer words stay:
# "Laptop buyers" says who bought what, which the cues read on their own.
_SYNONYMS = [w for group in glossary.glossary().get("synonyms", []) for w in glossary.words(group)]
EN_CUSTOMER = re.compile(r"\b(" + "|".join(w for w in _SYNONYMS if w.isascii() and w not in ("customer", "buyer", "shopper")) + r")(s)?\b")
ZH_CUSTOMER = re.compile("|".join(w for w in _SYNONYMS if not w.isascii() and w not in ("客户", "买家")))


def customer_words(text: str) -> str:
    """'clients', 'patrons', '顾客', '客人' as the customer words the cues know."""
    text = EN_CUSTOMER.sub(lambda m: "customers" if m.group(2) or m.group(1) == "clientele" else "customer", text)
    return ZH_CUSTOMER.sub("客户", text)


ZH_POLITE = re.compile(r"^(?:请(?:你|您)?(?:帮我)?|麻烦(?:你|您)?(?:帮我)?|帮我|能不能(?:帮我)?|可以(?:帮我)?|能否(?:帮我)?|我想(?:要)?|我需要)")


ADMIN_ACTION = re.compile(
    r"\b(?:load|upload|import|replace|ingest)\b.{0,25}\b(?:data|dataset|file|csv|orders|transactions)\b|\b(?:rebuild|retrain|re-train|refit)\b"
    r"|\b(?:add|create|invite)\b.{0,15}\buser\b|(?:重新|帮我|请)?加载(?:新的?|一份|一个|这份)(?:数据|文件)|上传|导入数据|替换数据|重建模型|重新训练|重新构建|添加用户")


# Grouping the result just shown: "break it down by channel", "split that by country", "按渠道拆开看"
REGROUP = re.compile(r"\b(?:break|split|group|slice|cut|divide)\s+(?:it|that|this|these|those|them|the (?:numbers|results?|chart|trend))\s+(?:down\s+|up\s+|out\s+)?(?:by|per|across)\b"
                     r"|^(?:and\s+|now\s+|ok(?:ay)?,?\s+|then\s+)?(?:(?:broken\s+down|split|grouped)\s+)?(?:by|per)\s+\w+(?:\s+\w+)?\s*\??$"
                     r"|^(?:再|那|那就)?(?:按|分)(?:照)?.{1,6}(?:拆开|拆分|分开|分组|细分|分一下|看一下|看看|看)?(?:一下|下)?(?:呢)?[。？?]*$", re.A)


# A bare span after a forecast ("那半年呢", "and 6 months?"): the same forecast over that horizon
BARE_SPAN = re.compile(r"(?<![\d.])(\d+)\s*(days?|weeks?|months?|quarters?|years?|天|周|个?星期|个?月|个?季度|年)(?![a-z])", re.A)
# Another take on the copy just drafted: "再来一版", "another version", "one more"
REDRAFT = re.compile(r"^(?:ok(?:ay)?,?\s+|and\s+|now\s+)?(?:(?:give me |write |try )?(?:another|a different|a new|one more|1 more) (?:version|one|take|variant|draft|option)"
                     r"|(?:one|1) more|that again|again|redo (?:it|that)|try again|rewrite (?:it|that))\b|^(?:再来|再写|重写|重新写)(?:1|一)?(?:版|个|条|封|份|次)?|^换(?:1|一)(?:版|个|条|种|份)(?:写法|文案)?", re.A)


# A lookup cue, then up to three lower-case words: a name typed without capitals ("caller is megan moore").
LOWER_NAME_LEAD = re.compile(r"\b(?:customer|client|caller|look ?up|find|profile (?:of|for)|pull up|search for|i have|i've got|i got|"
                             r"(?:speaking|talking|on the (?:line|phone)) (?:to|with)|"
                             r"details (?:for|on|of)|info on|who is|(?:she|he) is|name is|this is|^(?:is|does|did|has|was|will|can)|about)(?: is| named| called)?\s+(?:customer\s+|client\s+)?"
                             r"([a-z][a-z\-]+(?:\s+[a-z][a-z\-]+){1,2})\b")
CAPITALISED_NAME = re.compile(r"\b[A-Z][a-z]+\s+[A-Z][a-z'\-]+")
# Words that follow a lookup cue but are no names ("the caller says she …", "find them", "customer wants …").
NOT_NAMES = frozenset("says said say she he her his him hers they them their wants want wanted asks asked "
                      "calling called named this that these those who whom what which about from with just "
                      "also again please here there says".split())


class OfflinePlanner:
    """Plans tool calls for a question without any network; composes the answer from the results."""

    def __init__(self) -> None:
        self.speller = Speller(_lexicon_words() | set(COMMON_WORDS) | set(NUMBER_WORDS), keep=set(COMMON_WORDS) | _place_words())

    # ------------------------------------------------------------------ normalisation
    def normalise(self, question: str) -> tuple[str, str]:
        """(normalised text for matching, original with unified width and spacing)."""
        original = to_standard_chinese(unicodedata.normalize("NFKC", question).replace("’", "'").replace("‘", "'").strip())
        original = re.sub(r"\s+", " ", original)
        original = THEN_FOR_THAN.sub(r"\1 than", original)  # "more then 5 orders": a comparison, not a sequence
        original, name = self._capitalise_name(original)
        text = CONTRACTION.sub(lambda m: CONTRACTIONS[m.group(1)], original.lower())
        text = SHORTHAND_WORD.sub(lambda m: SHORTHAND[m.group(1)], text)
        if name and name.lower() in text:  # a person's name is no misspelt word: the speller leaves it alone
            before, after = text.split(name.lower(), 1)
            text = self.speller.fix(before) + name.lower() + self.speller.fix(after)
        else:
            # a capitalised word inside the sentence is a name (Texas, Paris), never a misspelt word of ours ("texts")
            text = self.speller.fix(text, frozenset(w.lower() for w in PROPER_NAME.findall(original)))
        text = CURRENCY_SIGN.sub("$", customer_words(numbers_to_digits(text)))
        text = POLITE.sub("", text)
        text = ZH_POLITE.sub("", text)
        if CJK.search(text):  # a Chinese term typed with the input method's wrong same-sound candidate (复够率)
            speller = chinese_speller()
            return speller.fix(text), speller.fix(numbers_to_digits(original))
        return text, numbers_to_digits(original)

    def _capitalise_name(self, original: str) -> tuple[str, str | None]:
        """'customer megan moore is on the phone' -> 'customer Megan Moore is on the phone': after a lookup cue,
        two or three words none of which the planner knows are a name typed in lower case."""
        if CAPITALISED_NAME.search(original):
            return original, None  # the name is already written with capitals
        position = 0
        while m := LOWER_NAME_LEAD.search(original, position):  # overlapping: "caller says she is megan moore"
            position = m.start() + 1
            unknown = []
            for word in m.group(1).split():
                if len(word) <= 2 or word in NOT_NAMES or word in self.speller.keep or word in self.speller.words:
                    break  # "is", "on", "the": the name ended
                unknown.append(word)
            if len(unknown) >= 2:
                name = " ".join(w[:1].upper() + w[1:] for w in unknown)
                start = m.start(1)
                return original[:start] + name + original[start + len(" ".join(unknown)):], name
        return original, None

    # ------------------------------------------------------------------ routing
    def route(self, text: str, slots: Slots, oos_text: str | None = None) -> Routing:
        """The router's reading of a normalised question: every intent's probability, with the rule features
        (cue scores, out-of-scope score) that fed it."""
        cues = intent_router.cue_scores(text)
        oos = intent_router.out_of_scope_score(text if oos_text is None else oos_text)
        probabilities = trained_router().probabilities(text, intent_router.rule_features(cues, slots, oos))
        return Routing(probabilities, cues, oos)

    def read(self, question: str, vocabulary: dict[str, list[str]], *,
             normalised: tuple[str, str] | None = None) -> Reading:
        """What planning reads of `question` before choosing: its normalised text, the slots, the metric query and
        the router's intent probabilities (`explain` shows the same reading). `normalised` is (text, original) when
        the caller has already normalised it."""
        text, original = normalised or self.normalise(question)
        as_of = _as_of(vocabulary)
        slots = extract(text, original, vocabulary, as_of, self.speller.keep)
        query = planning_metrics.parse(CURRENCY_SIGN.sub("$", SHORTHAND_WORD.sub(lambda m: SHORTHAND[m.group(1)], original.lower())), vocabulary,
                                       as_of, slot_filters=slots.filters, keep=self.speller.keep,
                                       slot_exclusions=slots.excluded)
        # a word of the data's own ("zip code", a product called "Python Projects") is no out-of-scope topic
        oos_text = text
        for word in query.data_words:
            oos_text = oos_text.replace(word, " ")
        return Reading(text, original, as_of, slots, query, self.route(routing_text(text, slots), slots, oos_text))

    def _request_reading(self, question: str, whole: Reading, vocabulary: dict[str, list[str]]) -> Reading:
        """A list asked for after context ("our loyal shoppers get a note, but next week …: list the customers in
        Germany who …", "下周要做活动，先列一下…"): the request's own clause says which tool answers, so context words
        (next week, retention, a sale) never route it elsewhere; every filter the question states still counts."""
        clause = request_clause(question)
        if clause is None:
            return whole
        part = self.read(clause, vocabulary)
        intent, p = part.routing.best()
        if intent != "find_customers" or p < WEAK:
            return whole
        part.slots.filters = {**whole.slots.filters, **part.slots.filters}
        return part

    # ------------------------------------------------------------------ planning
    def plan(self, question: str, state: ConversationState, vocabulary: dict[str, list[str]], *, role: str,
             force_intent: str | None = None) -> Plan:
        """The calls that answer `question`. `force_intent` plans it with that reading instead of the router's best
        (the reading a user picked from a clarifying question)."""
        question = question[:intent_router.MAX_CHARS]  # longer questions are refused before planning
        language = detect_language(question)
        text, original = self.normalise(question)

        if lex.INJECTION.search(text) or lex.DATA_CHANGE.search(text):
            return Plan([], language, "refuse", reply=refusal_text(language, "data_change" if lex.DATA_CHANGE.search(text)
                                                                     and not lex.INJECTION.search(text) else "injection"),
                        out_of_scope=True)
        reading = self.read(question, vocabulary, normalised=(text, original))
        if not force_intent:
            reading = self._request_reading(question, reading, vocabulary)
        slots, metric_query, routing = reading.slots, reading.query, reading.routing
        top = force_intent or next(iter(routing.probabilities))
        intent, p = (force_intent, 1.0) if force_intent else routing.best()
        countable = metric_query.explicit or _lossy(metric_query)  # query_metrics needs something to count
        # Readings a hard constraint rules out: never planned, never offered in a clarifying question; the readings
        # left share the probability the ruled-out ones had
        rejected: set[str] = set()
        if not countable:
            rejected.add("query_metrics")  # an aggregate needs something to count or sum
        if _order_kpi(slots, metric_query) and not lex.SNAPSHOT.search(text):
            # "how did revenue change recently" follows one KPI: a trend, not what moved between snapshots (which
            # "did the high-risk count go up since last week" or "who became high risk" asks of the scores)
            rejected.add("what_changed")
        if metric_query.by and metric_query.explicit and metric_query.limit and not state.last_tool \
                and not planning_metrics.CUSTOMER_WORD.search(text):
            # "直播间和小程序哪个卖得多", "which state orders most": the top group of a grouping, no list of people
            rejected.add("find_customers")
        if not slots.customer_query and not state.customer_id and (slots.by or slots.dims or slots.filters):
            # "segment profile with size and value", "各国家的画像": a profile of groups, no customer to look up
            rejected.add("customer_lookup")
        decided = False  # a hard constraint chose the reading: nothing to ask about
        if not force_intent:
            intent, p = _best_left(routing, rejected)
            if (intent in AGGREGATE_READINGS or intent == "find_customers") and _asks_for_people(text, slots, metric_query):
                # "列一下老客里最近60天没买过的", "who are our repeat buyers in Canada": the people, not their number
                top, intent, p, decided = "find_customers", "find_customers", max(p, WEAK), True
            if slots.ab and intent != "ab_test":
                # visitors and conversions of two variants are an A/B test's figures whatever words surround them
                # ("the new email got 95 orders out of 3000 sends while the old one got 80"): a hard constraint
                top, (intent, p), decided = "ab_test", ("ab_test", 1.0), True
        # the best reading that is no aggregate: what a question query_metrics cannot carry is asked of instead
        other, _ = routing.best(skip=("help", "out_of_scope", "query_metrics") + tuple(rejected))
        # No tool reading stands out, or the best is that the question asks about us (help) or is none of ours:
        # fragments, follow-ups and a column of the data are tried below before the question is answered with help
        runner_up = next((q for i, q in routing.probabilities.items() if i != intent), 0.0)
        # below one in two, a reading still stands out when it is twice as likely as any other (help and out of scope
        # included) and no word of a topic we never answer was seen
        weak = top in ("help", "out_of_scope") or (p < WEAK and not (p >= LEADS_AT and p >= 2 * runner_up
                                                                      and not routing.out_of_scope))
        strong = not weak and routing.cues.get(intent, 0.0) >= OWN_WORDING
        # Guards, kept as rules because they are hard constraints, not readings to weigh: a question about a topic
        # we never answer (weather, code, films) outweighing every cue of ours is out of scope, and loading data or
        # managing users is an admin action no question routes to
        if routing.out_of_scope and routing.out_of_scope >= max(v for k, v in routing.cues.items() if k != "help") \
                and not (slots.ab or slots.customer_id):  # an A/B test's figures or a customer id are ours ("who won?")
            return Plan([], language, "out_of_scope", reply=help_text(language, out_of_scope=True), out_of_scope=True,
                        probabilities=routing.probabilities)
        if ADMIN_ACTION.search(text) and not strong:
            return Plan([], language, "admin_action", reply=refusal_text(language, "admin_action"), out_of_scope=True,
                        probabilities=routing.probabilities)
        plan = self._plan(state, vocabulary, role, language, text, slots, metric_query, intent, weak, strong, top, other)
        plan.probabilities = routing.probabilities
        if not force_intent and not decided and role != "support" and plan.calls and plan.intent == intent \
                and plan.calls[0].name != state.last_tool:
            # two readings about as likely and the question planned as the first: ask which one is meant (a
            # follow-up going on with the last tool is read in the conversation's context, not asked about)
            if plan.calls[0].name == "query_metrics" and (_lossy(metric_query) or (
                    metric_query.named and not set(metric_query.metrics) <= set(PEOPLE_METRICS))):
                # a metric named (冠军客户的购买频率) or a condition a list cannot hold (用过A但没用过B的客户有多少): a list of
                # customers answers neither, so it is no reading to offer
                rejected.add("find_customers")
            if plan.calls[0].name == "query_metrics" and (metric_query.audience or metric_query.filters or metric_query.by
                                                          or metric_query.since or metric_query.until):
                rejected.add("dataset_overview")  # the overview holds no condition, grouping or window
            ranked = [(i, q) for i, q in routing.probabilities.items()
                      if i not in ("help", "out_of_scope") and i not in rejected]
            choices = clarify.readings(ranked, question, language)
            if choices:
                return Plan([], language, "clarify", reply=clarify.question_text(language, choices),
                            probabilities=routing.probabilities, choices=choices)
        return plan

    def _plan(self, state: ConversationState, vocabulary: dict[str, list[str]], role: str, language: str, text: str,
              slots: Slots, metric_query: planning_metrics.MetricQuery, intent: str, weak: bool, strong: bool,
              top: str, other: str) -> Plan:
        switch = next((lang for lang, p in lex.LANGUAGE_SWITCH.items() if p.search(text)), None)
        pronoun = bool(lex.PRONOUN.search(text))
        modifier = bool(lex.MODIFIER.search(text))
        new_filters = dict(slots.filters)
        follow_up_possible = state.last_tool is not None

        # "now in Chinese" / "and in English?": the last call again, in that language
        if switch and follow_up_possible and not strong and not new_filters:
            args = dict(state.last_args)
            if state.last_tool == "draft_campaign":
                args["language"] = switch
            return Plan([PlannedCall(state.last_tool, args)], switch, state.last_tool)

        # "switch to quarters", "按季度看": the last trend, breakdown or cohort table again at that grain
        grain = _grain_switch(text)
        if follow_up_possible and grain and (state.last_tool in ("kpi_trend", "query_metrics") or (
                state.last_tool == "cohort_retention" and grain in ("month", "quarter"))):
            name, args = state.last_tool, dict(state.last_args)
            if name == "kpi_trend" and grain == "year":
                # a trend's periods stop at quarters: by year is the same metric per year from the semantic layer
                name, args = "query_metrics", _trend_as_metrics(args)
            if name == "query_metrics":
                args["grain"] = grain
                if args.get("compare") == "previous_period" and not (args.get("since") or args.get("until")):
                    args.pop("compare")
            else:
                args["period"] = grain
            return Plan([PlannedCall(name, args)], language, name)

        # "99% confidence instead", "显著性水平改成0.01": the last A/B test again at that level
        if follow_up_possible and state.last_tool == "ab_test" and slots.alpha is not None and not slots.ab:
            return Plan([PlannedCall("ab_test", {**state.last_args, "alpha": slots.alpha})], language, "ab_test")

        # "what did they order most recently?", "他的流失风险高吗" right after a lookup: that customer's card, which answers
        # it, not a list or a total over everyone
        # ("is she a VIP?", "他的流失风险高吗": a tier or risk word asks about that customer, it picks no new audience)
        if state.customer_id and state.last_tool in ("customer_lookup", "recommend_products") \
                and set(new_filters) <= {"tier", "segment", "churn_risk", "persona"} and not slots.customer_query \
                and ONE_PERSON.search(text) and (weak or intent in ABOUT_ONE_PERSON | {"explain_model"}):
            return Plan([PlannedCall("customer_lookup", {"query": state.customer_id})], language, "customer_lookup")

        # "what if it's 25% instead", "推荐10个", "give me 8": the last call again with only its number changed
        # (list words in it, "top 3 only", do not make it a new list: a count is what it says)
        if follow_up_possible and (not strong or intent in ("find_customers", state.last_tool)) and not new_filters \
                and not slots.customer_query:
            changed = _number_change(state, slots, text)
            if changed is not None:
                return Plan([PlannedCall(state.last_tool, changed)], switch or language, state.last_tool)

        # "再来一版", "another version, friendlier": the last draft again, with any new tone or option
        if follow_up_possible and state.last_tool == "draft_campaign" and REDRAFT.search(text) and not strong and not new_filters:
            args = dict(state.last_args)
            for key in ("tone", "offer", "variants"):
                if getattr(slots, key) is not None:
                    args[key] = getattr(slots, key)
            if slots.message_channel:
                args["channel"] = slots.message_channel
            if switch:
                args["language"] = switch
            return Plan([PlannedCall("draft_campaign", args)], switch or language, "draft_campaign")

        # "那半年呢" after a forecast: the same forecast over that span
        if follow_up_possible and state.last_tool in ("clv_forecast", "campaign_forecast") and not slots.horizon_days \
                and not strong and (span := BARE_SPAN.search(text)) and (modifier or len(text) < 30):
            slots.horizon_days = planning_slots.span_days(span.group(1), span.group(2))

        # "换成国家", "country instead", "渠道呢" after a breakdown: the same breakdown by that dimension
        regrouped = _regrouped(state, slots, text, new_filters)
        if follow_up_possible and regrouped and not strong:
            return Plan([PlannedCall(state.last_tool, regrouped)], language, state.last_tool)

        # a follow-up of an aggregate answer: "only Germany", "and by month?", "what about AOV?", "只看会员"
        own = intent in OWN_QUESTION and not weak
        if follow_up_possible and state.last_tool == "query_metrics" and not own:
            refined = planning_metrics.refine(state.last_args, metric_query)
            if refined and (modifier or not metric_query.explicit or REGROUP.search(text)):
                return Plan([PlannedCall("query_metrics", refined)], switch or language, "query_metrics")
        # a question asking for an aggregate number or breakdown: one query_metrics call, composed from its pieces
        if (intent in ("find_customers", "query_metrics") or weak) and _lossy(metric_query) and not slots.sort_by and not metric_query.explicit:
            # "clients who bought A but never B", "shoppers in Bavaria": conditions a customer list cannot hold
            # (a product, a negation, a column of the shop's own) are counted rather than dropped
            metric_query.metrics, metric_query.explicit = ["customers"], True
        wants_metrics = self._wants_metrics(intent, weak, metric_query, text, slots)
        if intent == "query_metrics" and not wants_metrics:
            intent = other  # "the ten customers with the most orders" ranks customers: the list, not an aggregate
        theirs = pronoun or bool(THEIR.search(text))
        if metric_query.missing and metric_query.explicit and (wants_metrics or not own):
            return Plan([], language, "query_metrics", reply=missing_text(language, metric_query.missing, vocabulary))
        if wants_metrics and not modifier and not theirs:
            return Plan([PlannedCall("query_metrics", metric_query.args())], language, "query_metrics",
                        focus=metric_query.focus or None)

        # "only the ones in France", "what about the mid tier?", "and for next quarter?": refine the last call
        refinement = self._refinement(state, slots, text)
        # "and C000043?" after a recommendation asks for the same about another customer
        other_customer = modifier and slots.customer_id and state.last_tool in ("recommend_products", "customer_lookup")
        # "break it down by channel" after a trend or a breakdown groups that same result
        regroup = bool(REGROUP.search(text)) and state.last_tool in ("kpi_trend", "segment_summary") and bool(slots.by)
        if follow_up_possible and refinement and (weak or (modifier and not strong)
                                                  or (modifier and intent == state.last_tool) or other_customer or regroup):
            name, args = refinement
            language = switch or language
            if name == "draft_campaign":
                args["language"] = switch or args.get("language") or language
            return Plan([PlannedCall(name, args)], language, name)

        if wants_metrics:
            args = metric_query.args()
            if theirs and state.audience and not slots.customer_id:
                # "what's their AOV?" after a list: the customers just found
                own = planning_metrics.conditions(args.get("audience"))
                inherited = [c for c in planning_metrics.from_flat(state.audience) if c[0] not in {f for f, _, _ in own}]
                args["audience"] = planning_metrics.shape(inherited + own)
            return Plan([PlannedCall("query_metrics", args)], language, "query_metrics", focus=metric_query.focus or None)
        if intent == "kpi_trend" and not slots.since and metric_query.since:
            slots.since, slots.until = metric_query.since, metric_query.until  # "revenue by month for 2024"

        if weak:
            if new_filters:
                intent = "find_customers"
            elif pronoun and state.audience:
                intent = "find_customers"
            elif slots.sort_by and top == "find_customers" and not metric_query.by:
                intent = "find_customers"  # customers ranked ("消费最高的是哪位客户"), the likeliest reading though weak
            elif metric_query.fallback:  # a column of the shop's own is never out of scope
                return Plan([PlannedCall("query_metrics", metric_query.fallback)], language, "query_metrics")
            elif top == "help":
                return Plan([], language, "help", reply=help_text(language))
            else:
                return Plan([], language, "out_of_scope", reply=help_text(language, out_of_scope=True), out_of_scope=True)

        audience = dict(new_filters)
        if intent in AUDIENCE_TOOLS and state.audience and (
                (pronoun and not slots.customer_id)
                or (intent in LAST_AUDIENCE_TOOLS and not new_filters and not slots.customer_id)):
            audience = _merge(state.audience, new_filters)
        args = self.build_args(intent, slots, audience, text, language, switch, state)
        if intent == "kpi_trend" and args is not None and state.last_tool == "segment_summary" and not slots.metric \
                and not slots.by and not slots.dims and state.last_args.get("by") in TREND_BY:
            # "now the trend of that monthly" after a breakdown by tier: that breakdown over time
            args = {**{k: v for k, v in state.last_args.items() if k in FILTER_FIELDS}, **args, "by": state.last_args["by"]}
        if args is not None and intent == state.last_tool and intent in SUBJECT_TOOLS and not new_filters \
                and not slots.customer_query and _short(text):
            # "多推荐几个，给我10个" after recommendations for champions: the same tool again names no subject of its
            # own, so it goes on with the last one (its audience or customer), with what it changes
            kept = {k: v for k, v in state.last_args.items() if not (args.keys() & OFFER_KINDS and k in OFFER_KINDS)}
            args = {**kept, **args}
        if args is None:
            return Plan([], language, intent, reply=_missing_reply(intent, language))
        if role == "support" and intent == "recommend_products" and args.get("customer_id"):
            # a support agent asking what to offer one customer gets that customer's card, which carries the
            # recommendations and the next best action (the one view their role has)
            intent, args = "customer_lookup", {"query": args["customer_id"]}
        return Plan([PlannedCall(intent, args)], language, intent)

    def _wants_metrics(self, intent: str, weak: bool, q: planning_metrics.MetricQuery, text: str, slots: Slots) -> bool:
        """Whether the question asks for an aggregate that query_metrics answers, rather than what the intent's own
        tool does. The router reads which it is; the older tools then keep only the questions their arguments can
        hold exactly (one KPI over time, a customer breakdown, plain totals, a customer list): anything more (an
        order filter, a negation, a comparison, several metrics) is a hard constraint only query_metrics can carry."""
        if not q.explicit:
            return False
        if q.sort and not q.by and not q.grain:
            return False  # "the ten customers with the most orders" ranks customers: a list
        if weak or intent == "query_metrics":
            return True  # no other reading: "营业额是多少"
        if intent in OWN_QUESTION:
            return False
        # the values of a grouping compared ("web vs app") are that grouping, which the older tools show whole
        filters = [c for c in q.filters if not (c[0] in q.by and c[1] == "in")]
        audience = [c for c in q.audience if not (c[0] in q.by and c[1] == "in")]
        plain = not filters and planning_metrics.to_flat(audience) is not None and not (q.compare or q.sort)
        if intent == "find_customers" and not _lossy(q) and (q.wants_list or (q.limit and not q.by) or _kinds_of_customers(q, slots) or (
                plain and not q.by and not q.grain and not (q.since or q.until) and set(q.metrics) <= {"customers"})):
            return False
        if intent == "kpi_trend" and plain and not q.limit and len(q.metrics) <= 1 \
                and set(q.metrics) <= planning_metrics.TREND_METRICS and set(q.by) <= set(TREND_BY) and len(q.by) <= 1 \
                and (q.grain or q.trend or TREND_QUESTION.search(text)) and q.grain != "year":
            return False  # a trend of one KPI: kpi_trend's own question
        if intent == "segment_summary" and q.implied == "popular" and set(q.by) <= set(SUMMARY_BY) and not q.filters \
                and q.audience:
            return False  # "which channel do VIPs use most": no metric named, the customer breakdown of that group
        if intent == "segment_summary" and plain and not q.limit and set(q.by) <= set(SUMMARY_BY) and len(q.by) <= 1 \
                and set(q.metrics) <= planning_metrics.CUSTOMER_METRICS and not (q.since or q.until or q.grain):
            return False  # customers, value or risk per tier/segment/country: the customer breakdown
        if intent == "dataset_overview" and plain and not q.limit and not (q.by or q.audience or q.since or q.until or q.grain) \
                and set(q.metrics) <= {"customers", "orders", "revenue"}:
            return False
        return True

    def _refinement(self, state: ConversationState, slots: Slots, text: str) -> tuple[str, dict[str, Any]] | None:
        """The last call with the question's new values; None when the question adds nothing to it."""
        last = state.last_tool
        if not last or last == "query_metrics":
            return None  # an aggregate is refined by planning_metrics.refine
        base = dict(state.last_args)
        if last == "customer_lookup" and slots.customer_query:
            return last, {"query": slots.customer_query}
        if last == "recommend_products" and slots.customer_id:
            return last, {**{k: v for k, v in base.items() if k not in FILTER_FIELDS}, "customer_id": slots.customer_id}
        changes: dict[str, Any] = {}
        if last in AUDIENCE_TOOLS:
            changes.update(slots.filters)
            if last == "draft_campaign":
                changes.pop("channel", None)
        own = self.build_args(last, slots, {}, text, "en", None, state, defaults=False) or {}
        changes.update({k: v for k, v in own.items() if k not in ("language",)})
        if not changes:
            if last not in AUDIENCE_TOOLS and slots.filters:
                return "find_customers", _merge(state.audience, slots.filters)
            return None
        if last not in AUDIENCE_TOOLS and slots.filters and not own:
            return "find_customers", _merge(state.audience, slots.filters)
        if changes.keys() & OFFER_KINDS:
            # one offer at a time: "要是减20块呢" after 九折 replaces the percentage, it is no second offer
            base = {k: v for k, v in base.items() if k not in OFFER_KINDS}
        return last, _merge(base, changes)

    # ------------------------------------------------------------------ arguments per tool
    def build_args(self, intent: str, s: Slots, audience: dict[str, Any], text: str, language: str,
                   switch: str | None, state: ConversationState, *, defaults: bool = True) -> dict[str, Any] | None:
        a = dict(audience)
        if intent == "dataset_overview":
            return {}
        if intent == "find_customers":
            if s.sort_by:
                a["sort_by"] = s.sort_by
            if s.limit and (s.sort_by or defaults):
                a["limit"] = s.limit
            return a
        if intent == "segment_summary":
            by = _pick_by(s, SUMMARY_BY, loose=defaults)
            if by is None and defaults:
                by = s.multi_values or "segment"
            if by:
                # "compare France and Spain" groups by country rather than filtering on one of them;
                # "by churn risk" must not also filter on the band the word "churn risk" suggested
                if by == s.multi_values or by == "churn_risk":
                    a.pop(by, None)
                a["by"] = by
            return a
        if intent == "customer_lookup":
            query = s.customer_query or (state.customer_id if defaults else None)
            if not query:
                return None if defaults else {}
            return {"query": query}
        if intent == "kpi_trend":
            metric = s.metric if s.metric else ("revenue" if defaults else None)
            if metric == "new_customers" and a.get("segment") == "new_customers":
                a.pop("segment")
            if metric == "customers" and not s.metric:
                metric = "revenue"
            if metric:
                a["metric"] = metric
            if s.period:
                a["period"] = s.period
            by = _pick_by(s, TREND_BY, loose=defaults)
            if by is None and defaults and s.multi_values in TREND_BY:
                by = s.multi_values  # "monthly revenue for Electronics vs Fashion": one line per category named
            if by:
                a["by"] = by
                if a.get(by) and s.multi_values == by:
                    a.pop(by)
            if s.since:
                a["since"] = s.since
            if s.until:
                a["until"] = s.until
            return a
        if intent == "cohort_retention":
            if a.get("segment") == "new_customers":
                a.pop("segment")  # cohorts are new customers by construction: "新客留存" is every cohort, not one segment
            if s.period in ("month", "quarter"):
                a["period"] = s.period
            elif defaults and (unit := re.search(r"\b(month|quarter)s?\b|(季度|月)", text)):
                a["period"] = "quarter" if (unit.group(1) or unit.group(2)) in ("quarter", "季度") else "month"  # "after their first month"
            if COHORT_MONEY.search(text):
                a["metric"] = "revenue"  # "by revenue", "in money terms", "按金额", "看销售额"
            return a
        if intent == "clv_forecast":
            if s.horizon_days:
                a["horizon_days"] = s.horizon_days
            elif defaults and re.search(r"\bnext quarter|\bquarter\b|季度", text):
                a["horizon_days"] = 90
            return a
        if intent == "recommend_products":
            if s.customer_id or (s.customer_query and not audience):
                a = {"customer_id": s.customer_id or s.customer_query}
            elif defaults and state.customer_id and (
                    re.search(r"\b(?:him|her|this customer|that customer|this person)\b|这位|该客户|这个客户", text)
                    or (state.last_tool == "customer_lookup" and not s.filters)):
                a = {"customer_id": state.customer_id}  # "what should we recommend to them?" after a lookup
            if s.k:
                a["k"] = s.k
            return a
        if intent == "draft_campaign":
            a.pop("channel", None)  # a purchase-channel filter would collide with the message channel
            goal = s.goal or (_default_goal(a) if defaults else None)
            if goal:
                a["goal"] = goal
            if s.message_channel:
                a["channel"] = s.message_channel
            for key in ("tone", "offer", "variants"):
                value = getattr(s, key)
                if value is not None:
                    a[key] = value
            if defaults:
                a["language"] = switch or language
            elif switch:
                a["language"] = switch
            if s.occasion:
                a["offer"] = _occasion_offer(s.occasion, a.get("offer"), a.get("language") or language)
            return a
        if intent == "campaign_forecast":
            # the offer as the question gives it: a percentage of the order ("10% off", 九折), an amount per redeemer
            # ("$5 off", 减10元) or free shipping (包邮)
            if s.offer_percent is not None:
                a["offer_percent"] = s.offer_percent
            elif s.offer_cost is not None:
                a["offer_cost"] = s.offer_cost
            elif s.free_shipping:
                a["free_shipping"] = True
            if s.message_channel:
                a["message_channel"] = s.message_channel
            if s.save_rate is not None:
                a["save_rate"] = s.save_rate
            if s.horizon_days:
                a["horizon_days"] = s.horizon_days
            if defaults and not audience and re.search(r"\bchurn|流失", text) and "churn_risk" not in a:
                a["churn_risk"] = "high"
            return a
        if intent == "ab_test":
            if not s.ab:
                return None if defaults else {}
            args: dict[str, Any] = dict(s.ab)
            if s.alpha is not None and 0 < s.alpha < 1:
                args["alpha"] = s.alpha
            return args
        if intent == "export_audience":
            return a
        if intent == "what_changed":
            # a day named wins; "since last week" compares with the last snapshot by the end of last week; none: the previous one
            day = ISO_DAY.search(text)
            since = day.group(1) if day else (s.until or s.since)
            return {"since": since} if since else {}
        if intent == "explain_model":
            model = s.model
            if model is None and defaults:
                model = "churn"
            # "how are tiers defined" names tiers, not churn, even if both words appear
            if model and re.search(r"\btiers?\b|分层|等级", text) and re.search(r"defin|determin|assign|decid|划分|定义|怎么分", text):
                model = "tiers"
            # "how do you decide who's a champion?": a named RFM segment comes from the segment rules
            elif s.filters.get("segment") and s.filters["segment"] != "new_customers" and model in (None, "churn") \
                    and re.search(r"defin|determin|assign|decid|qualif|count as|划分|定义|怎么分|算是|判定|标准", text):
                model = "segments"
            return {"model": model} if model else {}
        return a

    # ------------------------------------------------------------------ answers
    def compose(self, plan: Plan, records: list[ToolCallRecord]) -> str:
        if plan.reply and not records:
            return plan.reply
        return compose_answer(plan.language, records, plan.reply, focus=plan.focus)


LIST_FIELDS = frozenset(f for f, _ in planning_metrics.FLAT_FILTERS.values())
# The bounds a customer list can hold: spend has a floor and no ceiling, orders both ("spent 500 to 1000" is counted)
LIST_BOUNDS = frozenset((f, "min" if op[0] == ">" else "max") for f, op in planning_metrics.FLAT_FILTERS.values() if op != "=")


# What the what-changed report follows between snapshots of the scores: customers per risk band, tier or segment and
# their value (tools/changes.py); an order KPI named (revenue, orders, AOV) is followed over time by a trend instead
SCORE_KPIS = frozenset({"customers", "expected_value_12m", "revenue_at_risk", "churn_probability", "p_alive"})


def _order_kpi(slots: Slots, q: planning_metrics.MetricQuery) -> bool:
    """Whether the question follows an order KPI rather than the scores' movements."""
    if q.explicit:
        return not set(q.metrics) <= SCORE_KPIS
    return slots.metric not in (None, "customers")


# Metrics that only count a kind of customer the list's own filters carry: "returning customers" is min_orders 2,
# "new customers" the new_customers segment
PEOPLE_METRICS = {"customers": None, "returning_customers": ("min_orders", 2), "new_customers": ("segment", "new_customers")}
# Readings that answer with a number rather than the people: a list request overrides them
AGGREGATE_READINGS = frozenset({"query_metrics", "dataset_overview", "kpi_trend", "segment_summary"})


def _kinds_of_customers(q: planning_metrics.MetricQuery, slots: Slots) -> bool:
    """Whether the question's metrics only name kinds of customers that the list's filters hold, with nothing only an
    aggregate carries (a grouping, a grain, a window, a comparison, a sort)."""
    if not q.metrics or q.by or q.grain or q.since or q.until or q.compare or q.sort or q.filters:
        return False
    for metric in q.metrics:
        if metric not in PEOPLE_METRICS:
            return False
        held = PEOPLE_METRICS[metric]
        if held and not (slots.filters.get(held[0]) == held[1] or (held[0] == "min_orders" and (slots.filters.get("min_orders") or 0) >= 2)):
            return False
    return True


# A question that is only a noun phrase naming customers ("high value customers in Italy", "过去一个季度没复购的老顾客"):
# who they are, like "list …"; any question word or count word makes it a question about them instead
PEOPLE_PHRASE = re.compile(r"(?:\b(?:customers|clients|shoppers|buyers|vips|members|users|people)\b(?:\s+(?:in|from|on|at|of)\s+[\w ]{1,30})?"
                           r"|客户|顾客|老客|用户|会员|买家|VIP|vip)\s*[.。!！]*$", re.A)
QUESTION_WORDS = re.compile(r"\b(?:how|what|which|why|when|where|is|are|do|does|did|can|should|count|number|total|share|average)\b"
                            r"|多少|几|吗|怎么|如何|哪|是否|为什么|占比|比例|数量|人数|[?？]", re.A)


def _asks_for_people(text: str, slots: Slots, q: planning_metrics.MetricQuery) -> bool:
    """A request to see customers ("list …", "who are …", "列一下", "有哪些", or only a phrase naming them) whose metric
    words only say which customers."""
    if re.search(r"\bhow many\b|多少|几个|几位|人数|数量", text):
        return False
    asked = bool(lex.LIST_REQUEST.search(text)) or (PEOPLE_PHRASE.search(text) is not None and not QUESTION_WORDS.search(text)
                                                     and bool(slots.filters) and not (slots.by or slots.dims or q.breakdown)
                                                     and not slots.model and slots.metric in (None, "customers")
                                                     and not re.search(r"\bof\b", text))  # "churn of France customers" asks about them
    nothing_else = not (q.metrics or q.by or q.grain or q.since or q.until or q.compare or q.sort or q.filters)
    return asked and (_kinds_of_customers(q, slots) or (nothing_else and bool(slots.filters)))


# Where a clause starts: after a sentence mark, a comma, or a turn like "but" / "so"
CLAUSE_START = re.compile(r"[.;:!?。；：！？\n,，]\s*|\s(?:but|so|and then|anyway|for now)\s+", re.A)
# A request clause that points back into its context ("list the ones in it", "其中…") is read whole
BACK_REFERENCE = re.compile(lex.PRONOUN.pattern + r"|\b(?:in|of|from|among) it\b|其中|里面|当中|这里", re.A)


# Tools a context clause asks for in its own words (a draft, an export, a forecast, a test, recommendations, what moved
# since a snapshot)
REQUESTS_OF_THEIR_OWN = frozenset({"draft_campaign", "export_audience", "campaign_forecast", "ab_test", "recommend_products", "what_changed",
                                   "customer_lookup"})


def request_clause(question: str) -> str | None:
    """The clause of `question` that asks for a list, from its start to the end, when context comes before it (at
    least three words or six characters of it) and it does not point back into that context; else None."""
    lowered = question[:intent_router.MAX_CHARS].lower()
    m = lex.LIST_REQUEST.search(lowered)
    if not m:
        return None
    start = 0
    for b in CLAUSE_START.finditer(lowered, 0, m.start()):
        start = b.end()
    context = lowered[:start]
    if not start or (len(re.findall(r"[a-z]+", context)) < 3 and len(re.findall(r"[\u4e00-\u9fff]", context)) < 6):
        return None
    cues = intent_router.cue_scores(context)
    if any(score >= 2.5 for intent, score in cues.items() if intent in REQUESTS_OF_THEIR_OWN):
        return None  # the context asks for something itself ("write an SMS to …, list who gets it"): the whole is the request
    clause = question[start:]
    return None if BACK_REFERENCE.search(clause.lower()) else clause


# The kinds of offer a campaign forecast takes, one at a time
OFFER_KINDS = frozenset({"offer_percent", "offer_cost", "free_shipping"})
BARE_PERCENT = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*%")
BARE_COUNT = re.compile(r"(?<![\d.$€£¥])(\d{1,3})(?![\d.])" + planning_slots._NOT_A_COUNT, re.A)
# A follow-up that only changes a number is short: a few words, or a short Chinese phrase
SHORT_WORDS, SHORT_CHARS = 8, 14


# Tools whose call is about a subject (an audience or a customer) a short follow-up goes on with
SUBJECT_TOOLS = frozenset({"recommend_products", "clv_forecast", "campaign_forecast", "draft_campaign", "find_customers"})


def _short(text: str) -> bool:
    return len(re.findall(r"[a-z]+", text)) <= SHORT_WORDS and len(re.findall(r"[\u4e00-\u9fff]", text)) <= SHORT_CHARS


# Asking for the same result another way: "换成…", "…instead", "what about …", "…呢"
SWITCH_WORDS = re.compile(r"\b(?:instead|rather|switch(?: it| that)? to|change(?: it| that)? to|what about|how about)\b"
                          r"|换成|改成|改为|换为|变成|换个|^(?:那|那就|再)?(?:按|看)?[^，,。？?]{1,6}呢[。？?！!]*$", re.A)


def _regrouped(state: ConversationState, slots: Slots, text: str, new_filters: dict[str, Any]) -> dict[str, Any] | None:
    """The last breakdown's arguments grouped by the one dimension a short switching follow-up names, or None."""
    last, args = state.last_tool, dict(state.last_args)
    if last not in ("query_metrics", "segment_summary", "kpi_trend") or new_filters or not _short(text) \
            or not SWITCH_WORDS.search(text) or len(slots.dims) != 1 or slots.metric:
        return None
    dim = slots.dims[0]
    if last == "query_metrics":
        if not args.get("by") or args["by"] == [dim]:
            return None
        return {**args, "by": [dim]}
    allowed = SUMMARY_BY if last == "segment_summary" else TREND_BY
    if dim not in allowed or args.get("by") == dim or (last == "segment_summary" and not args.get("by")):
        return None
    return {**{k: v for k, v in args.items() if k != dim}, "by": dim}


def _number_change(state: ConversationState, slots: Slots, text: str) -> dict[str, Any] | None:
    """The last call's arguments with the one number a short follow-up gives put where it belongs ("what if it's 25%
    instead" after a forecast with a 20% discount: the discount; "推荐10个" after recommendations: k; "just 5" after a
    list: the limit); None when the question is no such follow-up."""
    if not _short(text):
        return None
    last, args = state.last_tool, dict(state.last_args)
    if last == "campaign_forecast" and not any(getattr(slots, key) is not None for key in (
            "tone", "occasion", "sort_by", "by", "metric", "period", "model")):  # a goal word ("come back") is no change
        # a worded change of the forecast's own values only ("what if 30% of them come back", "换成减20块"), which the
        # router may read as another question ("come back" is a cohort word): the forecast again with it
        worded = {"offer_percent": slots.offer_percent, "offer_cost": slots.offer_cost, "save_rate": slots.save_rate,
                  "free_shipping": slots.free_shipping or None, "horizon_days": slots.horizon_days,
                  "message_channel": slots.message_channel}
        worded = {k: v for k, v in worded.items() if v is not None}
        if worded:
            kept = {k: v for k, v in args.items() if not (worded.keys() & OFFER_KINDS and k in OFFER_KINDS)}
            return {**kept, **worded}
    if any(getattr(slots, key) is not None for key in (
            "tone", "offer", "goal", "message_channel", "occasion", "sort_by", "by", "metric", "period", "horizon_days")):
        return None  # more than a number changes: the refinement below reads every change
    if last == "campaign_forecast":
        m = BARE_PERCENT.search(text)
        if not m or not 0 < float(m.group(1)) < 100:
            return None
        value = planning_slots._num(m.group(1))
        # the percentage the last forecast was about: its discount, else its save rate
        if "offer_percent" in args or not ({"save_rate"} & args.keys() or not args.keys() & OFFER_KINDS):
            return {**{k: v for k, v in args.items() if k not in OFFER_KINDS}, "offer_percent": value}
        return {**args, "save_rate": round(float(m.group(1)) / 100, 4)}
    key = {"recommend_products": "k", "find_customers": "limit", "draft_campaign": "variants"}.get(last or "")
    if key is None:
        return None
    stated = {"k": slots.k, "limit": slots.limit, "variants": slots.variants}[key]
    if stated is None:
        m = BARE_COUNT.search(text)
        stated = int(m.group(1)) if m else None
    if stated is None or not 1 <= stated <= (10 if key == "variants" else 50 if key == "k" else 1000):
        return None
    return {**args, key: stated}


def _lossy(q: planning_metrics.MetricQuery) -> bool:
    """Whether the question's audience holds a condition the customer list's filters cannot (a negation, a product,
    an attribute of the shop's own)."""
    return any(op in ("!=", "not_in") or f not in LIST_FIELDS
               or (op in ("<", "<=", ">", ">=") and (f, "min" if op[0] == ">" else "max") not in LIST_BOUNDS)
               for f, op, _ in q.audience)


def missing_text(language: str, dimension: str, vocabulary: dict[str, Any]) -> str:
    """A plain reply when the data lacks the dimension asked for, naming what it can be cut by instead."""
    names = [str(a.get("label") or a.get("name")) for a in vocabulary.get("attributes") or []
             if isinstance(a, dict) and a.get("type") == "categorical"][:4]
    columns = (["category"] if vocabulary.get("categories") else []) + names
    if language == "zh":
        columns = [zh_word(c) if c != "category" else "品类" for c in columns]
    t = templates(language)["missing_dimension"]
    return fill(t.get(dimension, t["other"]), dimension=dimension, columns=("、" if language == "zh" else ", ").join(columns)
                or ("无" if language == "zh" else "none"))


def _as_of(vocabulary: dict[str, list[str]]) -> date:
    try:
        return date.fromisoformat((vocabulary.get("as_of") or [])[0])
    except (IndexError, ValueError, TypeError):
        return DEFAULT_AS_OF


def _merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    # a new value replaces the old one of the same field; a new tier/segment/risk leaves the others be
    merged.update(changes)
    return merged


def _best_left(routing: Routing, rejected: set[str]) -> tuple[str, float]:
    """The best reading no hard constraint rules out, with the probability of the ruled-out readings shared out over
    the readings left."""
    intent, p = routing.best(skip=("help", "out_of_scope") + tuple(rejected))
    gone = sum(routing.probabilities.get(i, 0.0) for i in rejected)
    return intent, (p / (1.0 - gone) if gone < 1.0 else p)


def _trend_as_metrics(args: dict[str, Any]) -> dict[str, Any]:
    """A kpi_trend call's question as query_metrics arguments (its metric, grouping, window and audience)."""
    metric = {"repeat_rate": "repeat_purchase_rate"}.get(args.get("metric") or "revenue", args.get("metric") or "revenue")
    out: dict[str, Any] = {"metrics": [metric]}
    if args.get("by"):
        out["by"] = [args["by"]]
    for key in ("since", "until"):
        if args.get(key):
            out[key] = args[key]
    audience = planning_metrics.from_flat({k: v for k, v in args.items() if k in FILTER_FIELDS})
    if audience:
        out["audience"] = planning_metrics.shape(audience)
    return out


def _grain_switch(text: str) -> str | None:
    """The grain a follow-up switches to ("switch to quarters" -> quarter, "按月看" -> month), or None."""
    m = lex.GRAIN_SWITCH.search(text.strip())
    if not m:
        return None
    word = (m.group(1) or m.group(2)).lower()
    return next((grain for key, grain in lex.GRAIN_WORDS.items() if word.startswith(key)), None)


def _pick_by(s: Slots, allowed: tuple[str, ...], *, loose: bool = True) -> str | None:
    """The grouping asked for: "by X" first; any dimension named at all only when loose."""
    if s.by in allowed:
        return s.by
    if not loose:
        return None
    for dim in s.dims:
        if dim in allowed:
            return dim
    return None


def _default_goal(audience: dict[str, Any]) -> str | None:
    segment, risk = audience.get("segment"), audience.get("churn_risk")
    if risk in ("high", "lapsed") or segment in ("at_risk", "cannot_lose", "hibernating", "lost", "about_to_sleep") \
            or (audience.get("min_days_since_last_order") or 0) >= 60:
        return "winback"
    if segment in ("new_customers",):
        return "welcome"
    if segment in ("champions", "loyal") or audience.get("tier") == "high":
        return "loyalty"
    if segment in ("potential_loyalist", "promising", "need_attention"):
        return "retention"
    return None


def _missing_reply(intent: str, language: str) -> str:
    if intent == "ab_test":
        return ("请告诉我 A 和 B 各自的访客数和转化数，例如：“A 有 5000 个访客、250 个转化，B 有 5000 个访客、300 个转化”。"
                if language == "zh" else
                "Give me the visitors and conversions of A and B, e.g. “A had 5000 visitors and 250 conversions, "
                "B had 5000 visitors and 300 conversions”.")
    if intent == "customer_lookup":
        return ("请告诉我要查哪位客户：客户编号（如 C000042）、邮箱或姓名。" if language == "zh" else
                "Which customer? Give me an id like C000042, an email or a name.")
    return help_text(language)


def _occasion_offer(occasion: tuple[str, str], offer: str | None, language: str) -> str:
    """The copy's offer with the occasion named ('25% off for Black Friday', '双十一8折'); with no offer
    stated, the occasion's picks (no sale is invented)."""
    en, zh = occasion
    if language == "zh":
        return f"{zh}{offer}" if offer else f"{zh}精选"
    return f"{offer} for {en}" if offer else f"our {en} picks"


@functools.cache
def trained_router() -> intent_router.IntentRouter:
    """The router fitted on prompts/router/train.jsonl, once per process."""
    examples = intent_router.load_examples()
    texts, rules = router_inputs([e.q for e in examples])
    return intent_router.IntentRouter().fit(texts, rules, [e.intent for e in examples])


def routing_text(text: str, slots: Slots) -> str:
    """The text the router reads: a customer's name reads as a customer id does ("what's Iris Meijer's CLV" as
    "what's C000001's CLV"), so the examples asked by id teach the router the questions asked by name."""
    name = slots.customer_query
    if not name or name == slots.customer_id or "@" in name or name.lower() not in text:
        return text
    return text.replace(name.lower(), " c000000 ")


def router_inputs(questions: list[str], reader: OfflinePlanner | None = None) -> tuple[list[str], np.ndarray]:
    """The router's inputs for questions read as the planner reads them: the normalised text, and the rule features
    (slots found with a vocabulary of the lexicon's own countries, channels and categories; a shop's data adds its
    own values at run time)."""
    reader = reader or OfflinePlanner()
    texts, rules = [], []
    for question in questions:
        text, original = reader.normalise(question[:intent_router.MAX_CHARS])
        slots = extract(text, original, TRAIN_VOCABULARY, DEFAULT_AS_OF, reader.speller.keep)
        text = routing_text(text, slots)
        texts.append(text)
        rules.append(intent_router.rule_features(intent_router.cue_scores(text), slots, intent_router.out_of_scope_score(text)))
    return texts, np.vstack(rules) if rules else np.zeros((0, len(intent_router.FEATURE_NAMES)))


TRAIN_VOCABULARY: dict[str, list[str]] = {
    "countries": list(lex.COUNTRY_ALIASES), "channels": list(lex.CHANNEL_ALIASES),
    "categories": list(lex.CATEGORY_ALIASES), "segments": list(lex.SEGMENT_CUES), "as_of": [DEFAULT_AS_OF.isoformat()],
}
