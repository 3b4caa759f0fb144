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


# ---------------------------------------------------------------- Traditional characters and colloquial words
# Questions sometimes come in Traditional characters ("流失風險高的客戶") or chat shorthand ("买点啥", "咋样"). The
# lexicon is Simplified: common Traditional characters map to their Simplified form (only characters never used in
# Simplified text, so a Simplified question is unchanged), and colloquial words to the standard ones.
TRADITIONAL = "風險戶價層級單訂銷數據導郵簡訊薦趨勢營會員顧預測報購買賣費優門線網頁組轉顯實驗對細畫類國蘭義過個這們給寫條發該還沒來嗎準確麼後經裡誰與雙節聖誕圖書電產運動體裝飾妝護膚遊戲貨雜計劃統總結覽況時間週歲齡進讓說請幫聯關懷謝贈禮積歡喚斷續歷紀錄額幣錢塊張歐標題內兩萬億點擊頻變長漲環較盤庫載匯擇選篩濾樣詢詳檔冊應鬆輕親專業緊愛興嚴機構釋規則邏輯別區隊現當從開無視設刪將離脫復觀務東車啟維聽讀寶貝歸屬號碼帳賬戰銀紅滿減獎勵質評論壞舊頭腦際陸灣華倫亞鐘襪褲廚燈飲糧餅麵雞魚讚極緒態約僅夠麗貴賺賠虧損潤淨複係繫問幾並為剛纔須試證認識傳閱瀏換註躍熱種籤檻閾訓練譜潛誠絲鐵贏獲場廣貼資話術語氣調隨講紹聞筆順舉擴辦處於響遞達遠邊裏盡儘頂圓鍵範圍權"
SIMPLIFIED = "风险户价层级单订销数据导邮简讯荐趋势营会员顾预测报购买卖费优门线网页组转显实验对细画类国兰义过个这们给写条发该还没来吗准确么后经里谁与双节圣诞图书电产运动体装饰妆护肤游戏货杂计划统总结览况时间周岁龄进让说请帮联关怀谢赠礼积欢唤断续历纪录额币钱块张欧标题内两万亿点击频变长涨环较盘库载汇择选筛滤样询详档册应松轻亲专业紧爱兴严机构释规则逻辑别区队现当从开无视设删将离脱复观务东车启维听读宝贝归属号码账账战银红满减奖励质评论坏旧头脑际陆湾华伦亚钟袜裤厨灯饮粮饼面鸡鱼赞极绪态约仅够丽贵赚赔亏损润净复系系问几并为刚才须试证认识传阅浏换注跃热种签槛阈训练谱潜诚丝铁赢获场广贴资话术语气调随讲绍闻笔顺举扩办处于响递达远边里尽尽顶圆键范围权"
TO_SIMPLIFIED = str.maketrans(TRADITIONAL, SIMPLIFIED)
COLLOQUIAL = [(re.compile(p), r) for p, r in [
    (r"咋样|肿么样", "怎么样"), (r"咋|肿么", "怎么"), (r"啥|神马", "什么"), (r"木有", "没有"),
]]


def to_standard_chinese(text: str) -> str:
    """Simplified characters and standard words: '流失風險' -> '流失风险', '是啥' -> '是什么'."""
    text = text.translate(TO_SIMPLIFIED)
    for pattern, standard in COLLOQUIAL:
        text = pattern.sub(standard, text)
    return text


# ---------------------------------------------------------------- numbers in words
EN_UNITS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
            "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
            "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "a dozen": 12,
            "dozen": 12, "a couple of": 2, "a couple": 2, "couple of": 2, "a pair of": 2, "a few": 3, "a hundred": 100}
EN_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
EN_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
_EN_WORD = "|".join(sorted([k for k in EN_UNITS if " " not in k] + list(EN_TENS) + list(EN_SCALES), key=len, reverse=True))
EN_NUMBER_RUN = re.compile(rf"\b(?:a couple of|a couple|couple of|a pair of|a dozen|a few|a hundred|"
                           rf"(?:(?:{_EN_WORD})(?:[\s-]+(?:and\s+)?(?:{_EN_WORD}))*))\b(?!-time)", re.I | re.A)
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
             "一览", "一遍", "一番", "一并", "千万", "三思", "零食", "零售", "零件", "零钱", "零花", "零部件")


def zh_to_int(text: str) -> int | None:
    """一百二十 -> 120, 两千 -> 2000, 三 -> 3, 二十五 -> 25; a last digit right after a unit counts in the next
    lower unit, as people say it: 两千五 -> 2500, 三万五 -> 35000, 一百二 -> 120 (一百零五 is 105). None when no number."""
    if not text:
        return None
    if all(ch in ZH_DIGITS for ch in text) and len(text) > 1:
        return int("".join(str(ZH_DIGITS[ch]) for ch in text))
    total, section, digit, last_unit, zero = 0, 0, None, 0, False
    for ch in text:
        if ch in ZH_DIGITS:
            digit = ZH_DIGITS[ch]
            zero = zero or digit == 0
        elif ch in ZH_UNITS:
            unit = ZH_UNITS[ch]
            if unit == 10000:
                section = (section + (digit or 0)) * unit
                total += section
                section = 0
            else:
                section += (1 if digit is None else digit) * unit
            digit, last_unit, zero = None, unit, False
        else:
            return None
    if digit and last_unit >= 100 and not zero:
        digit *= last_unit // 10
    return total + section + (digit or 0)


def _in_idiom(text: str, start: int, end: int) -> bool:
    """Whether the numeral run text[start:end] is (part of) a word rather than a number: an idiom that is the whole run
    or reaches past its edge ("一下", "统一", "万一他们不来"). One wholly inside a longer run is a number's own
    characters ("一万一千" holds 万一, "三千万" holds 千万)."""
    lo = max(0, start - 1)
    around = text[lo:end + 1]
    for idiom in ZH_IDIOMS:
        at = around.find(idiom)
        while at >= 0:
            first, last = lo + at, lo + at + len(idiom)
            if first < start or last > end or (first, last) == (start, end):
                return True
            at = around.find(idiom, at + 1)
    return False


DIGIT_UNITS_RUN = re.compile(r"(?<![\d.])\d+(?:\.\d+)?[万千百](?:\d+(?:\.\d+)?[千百十])+\d?(?![\d万千百])")
DIGIT_UNIT_VALUE = {"万": 10000, "千": 1000, "百": 100, "十": 10}


def _digit_units(run: str) -> int:
    """'8千2百' -> 8200, '1万2千5' -> 12500 (a last bare digit counts in the unit below the one before it)."""
    total, last = 0.0, 10000
    for number, unit in re.findall(r"(\d+(?:\.\d+)?)([万千百十]?)", run):
        if unit:
            last = DIGIT_UNIT_VALUE[unit]
            total += float(number) * last
        else:
            total += float(number) * max(last // 10, 1)
    return int(round(total))


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
        if _in_idiom(text, start, end):
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

    # digits with several units: 8千2百 = 8200, 1万2千5百 = 12500, 3万5千 = 35000
    text = DIGIT_UNITS_RUN.sub(lambda m: str(_digit_units(m.group(0))), text)
    # 1万 / 1.5万 / 5千 after digits: 10000, 15000, 5000 ("A组1万人")
    text = re.sub(r"(?<![\d.])(\d+)万([1-9])(?![\d万千百])", lambda m: str(int(m.group(1)) * 10000 + int(m.group(2)) * 1000), text)  # 3万5
    text = re.sub(r"(?<![\d.])(\d+(?:\.\d+)?)\s*([万千])(?![万千])", lambda m: f"{float(m.group(1)) * (10000 if m.group(2) == '万' else 1000):g}", text)
    text = ZH_NUMERAL_RUN.sub(zh, text)
    text = re.sub(r"百分之\s*(\d+(?:\.\d+)?)", r"\1%", text)  # 百分之八十 -> 80%
    # 两成 / 3成 / 1.5成 are tenths: 20%, 30%, 15% ("挽回率按两成算"); 八折 stays a discount
    text = re.sub(r"(?<![\d.])([1-9])成([1-9])(?![\d成])", r"\1\2%", text)  # 九成九 -> 99%
    text = re.sub(r"(?<![\d.])([1-9](?:\.\d)?)\s*成(?![交功本员为立绩果熟])", lambda m: f"{float(m.group(1)) * 10:g}%", text)
    # half a year is 6 months ("半年没买", "next half year"); 上半年/下半年 and "first half of the year" are named halves
    text = re.sub(r"(?<![上下])半年", "6个月", text)
    text = re.sub(r"(?<!first )(?<!second )\bhalf[- ]?(?:a[- ])?year\b", "6 months", text, flags=re.I)
    # 5k / 1.5k / 2m visitors; 1,000 -> 1000
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    text = re.sub(r"\b(\d+(?:\.\d+)?)\s?k\b", lambda m: str(int(float(m.group(1)) * 1000)), text, flags=re.I)
    return text


# ---------------------------------------------------------------- typo repair
WORD = re.compile(r"[a-z][a-z']+")
MAX_SPELLED = 30  # letters of the longest word typo repair looks at ("internationalization" is 20)


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
            # a data value can be a word of any length (a hostile 1M-character category); its delete
            # neighbourhood is quadratic in its length, and nobody mistypes a word that long
            if not 4 <= len(word) <= MAX_SPELLED:
                continue
            for variant in _deletes(word, 1):
                self.index.setdefault(variant, set()).add(word)

    @staticmethod
    def max_distance(length: int) -> int:
        return 2 if length >= 8 else 1

    @lru_cache(maxsize=8192)
    def fix_word(self, word: str) -> str:
        if not 5 <= len(word) <= MAX_SPELLED or word in self.keep:
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

    def fix(self, text: str, keep: frozenset[str] = frozenset()) -> str:
        """`text` with misspelt words corrected; words in `keep` (names the question capitalised) stay as written."""
        return WORD.sub(lambda m: m.group(0) if m.group(0) in keep else self.fix_word(m.group(0)), text)


CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
MAX_TERM_CHARS = 8  # the longest Chinese term a typo is looked for in


@lru_cache(maxsize=16384)
def syllable(char: str) -> str:
    """A Chinese character's most common reading without tones ('够' -> 'gou', '率' -> 'lv'): what a pinyin input
    method was typing when it offered that character."""
    from pypinyin import Style, lazy_pinyin

    return lazy_pinyin(char, style=Style.NORMAL, errors="default")[0]


class ChineseSpeller:
    """Repairs Chinese words typed with a pinyin input method's wrong candidate: one character of a known term
    replaced by another of the same sound (复够率 for 复购率, 客蛋价 for 客单价, 流逝风险 for 流失风险).

    `targets` are the terms a typo is repaired into, indexed by their syllables; `known` are every word the planner
    reads (targets included), kept as written. A question is read left to right, the longest reading first: a known
    word stays, and a run of characters no known word spells but exactly one target sounds like, differing in one
    character, becomes that target (复购绿 is 复购率, not 复购 and 绿). A target of two characters is repaired into only
    when it is one of `short_targets` and the run differs in its last character (流逝 -> 流失): two characters that
    sound like a term are more often another real word. Linear in the question's length (at most MAX_TERM_CHARS
    lookups a character).
    """

    def __init__(self, targets: Iterable[str], known: Iterable[str] = (), short_targets: Iterable[str] = ()):
        def cjk(words: Iterable[str], shortest: int) -> frozenset[str]:
            return frozenset(w for w in words if shortest <= len(w) <= MAX_TERM_CHARS and CJK_RUN.fullmatch(w))

        self.short = frozenset(w for w in cjk(short_targets, 2) if len(w) == 2)
        self.targets = cjk(targets, 3) | self.short
        self.known = cjk(known, 2) | self.targets
        self.longest = max((len(t) for t in self.known), default=0)
        by_sound: dict[tuple[str, ...], set[str]] = {}
        for term in self.targets:
            by_sound.setdefault(tuple(syllable(c) for c in term), set()).add(term)
        self.by_sound = by_sound

    def _sound_alike(self, window: str) -> str | None:
        found = self.by_sound.get(tuple(syllable(c) for c in window), ())
        fits = [t for t in found if sum(a != b for a, b in zip(t, window)) == 1 and (len(t) > 2 or t[0] == window[0])]
        return fits[0] if len(fits) == 1 else None

    def _fix_run(self, run: str) -> str:
        out, i, n = [], 0, len(run)
        while i < n:
            step, word = 1, run[i]
            for length in range(min(self.longest, n - i), 1, -1):
                window = run[i:i + length]
                found = window if window in self.known else self._sound_alike(window)
                if found:
                    step, word = length, found
                    break
            out.append(word)
            i += step
        return "".join(out)

    def fix(self, text: str) -> str:
        if not self.targets:
            return text
        return CJK_RUN.sub(lambda m: self._fix_run(m.group(0)), text)


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


Span = tuple[date | None, date | None]

# Numbers are digits by the time periods are read ("过去三个月" is "过去3个月"). English and Chinese name the same
# periods; a calendar period ("last month", "上个月") is whole, a count ("last 3 months", "近3个月") ends at as-of.
_EN_UNIT = r"(day|week|month|quarter|year)s?"
_ZH_RECENT = r"(?:最近|过去|近|这|前面)(?:的|这)?"
_ZH_UNIT = r"(天|日|周|个?星期|个?礼拜|个?月|个?季度|年)"
_SINCE_EN = r"\bsince (?:the (?:start|beginning) of )?"
_SINCE_ZH = r"(?:以来|开始|起|至今|到现在|到今天)"
ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}

_YEAR_WORD_EN = r"(this year|last year|\d{4})"
_YEAR_WORD_ZH = r"(?:(\d{4})年|(今年|去年|前年|本年)的?)"
YEAR_WORDS = {"this year": 0, "今年": 0, "本年": 0, "last year": -1, "去年": -1, "前年": -2}
_NOT_A_COUNT = r"(?<!近)(?<!过去)(?<!这)(?<!来)(?<!前面)(?<![\d个])"  # "近3月" is a count of months, "3月" is March

# Shopping days named instead of dated: "去年双十一" is 2025-11-11 (questions reach here with numbers as digits)
FESTIVAL_DAYS = {"singles": (11, 11), "double12": (12, 12), "christmas": (12, 25), "christmas eve": (12, 24),
                 "valentine": (2, 14), "black friday": None, "cyber monday": None}
FESTIVALS_EN = r"black friday|cyber monday|christmas eve|christmas(?: day)?|valentine'?s day|singles'? day"
FESTIVALS_ZH = r"双\s*11|光棍节|双\s*12|平安夜|圣诞节?|情人节|黑五|黑色星期五"
_FESTIVAL_NAMES = [("christmas eve", "christmas eve"), ("平安夜", "christmas eve"), ("christmas", "christmas"),
                   ("圣诞", "christmas"), ("black friday", "black friday"), ("黑五", "black friday"),
                   ("黑色星期五", "black friday"), ("cyber monday", "cyber monday"), ("valentine", "valentine"),
                   ("情人节", "valentine"), ("singles", "singles"), ("光棍节", "singles"), ("12", "double12"),
                   ("11", "singles")]


def _festival(text: str, as_of: date) -> Span:
    """The day a named shopping day fell on: in the year the text names (去年, 2024, last year), else the last one
    on or before the as-of date."""
    low = text.lower()
    name = next(n for key, n in _FESTIVAL_NAMES if key in low)

    def day_in(year: int) -> date:
        if FESTIVAL_DAYS[name]:
            return date(year, *FESTIVAL_DAYS[name])
        nov1 = date(year, 11, 1)
        thanksgiving = nov1 + timedelta(days=(3 - nov1.weekday()) % 7 + 21)  # the fourth Thursday of November
        return thanksgiving + timedelta(days=1 if name == "black friday" else 4)

    year = re.search(r"(?<!\d)(\d{4})(?!\d)", low)
    if year:
        y = int(year.group(1))
    elif "去年" in low or "last year" in low:
        y = as_of.year - 1
    elif "前年" in low:
        y = as_of.year - 2
    elif "今年" in low or "本年" in low or "this year" in low:
        y = as_of.year
    else:
        y = as_of.year if day_in(as_of.year) <= as_of else as_of.year - 1
    day = day_in(y)
    return day, day


REL_PATTERNS: list[tuple[re.Pattern, str]] = [(re.compile(p, re.I | re.A), kind) for p, kind in [
    (rf"{_SINCE_EN}last year\b|(?:自|从)?去年{_SINCE_ZH}", "since_last_year"),
    (rf"{_SINCE_EN}last quarter\b|(?:自|从)?上(?:个|一)?季度{_SINCE_ZH}", "since_last_quarter"),
    (rf"{_SINCE_EN}last month\b|(?:自|从)?上(?:个|一)?月{_SINCE_ZH}", "since_last_month"),
    (rf"{_SINCE_EN}({MONTH_NAMES})\b(?:\s+{_YEAR_WORD_EN})?|(?:自|从)?{_YEAR_WORD_ZH}?{_NOT_A_COUNT}(\d{{1,2}})月(?:份)?{_SINCE_ZH}", "since_month"),
    (rf"\bsince\s+(\d{{4}})\b|(?:自|从)(\d{{4}})年{_SINCE_ZH}", "since_year"),
    (r"\bsince\s+(\d{4}-\d{2}-\d{2})\b", "since_date"),
    (rf"\b(?:{_YEAR_WORD_EN}'?s?\s+)?q([1-4])(?:\s+(?:of\s+)?{_YEAR_WORD_EN})?\b"
     rf"|\b(?:{_YEAR_WORD_EN}'?s?\s+)?(first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter(?:\s+of\s+{_YEAR_WORD_EN})?\b"
     rf"|{_YEAR_WORD_ZH}?(?:第)?{_NOT_A_COUNT}([1-4])季度", "named_quarter"),
    (rf"\bin\s+({MONTH_NAMES})\b(?:\s+(?:of\s+)?{_YEAR_WORD_EN})?|\b({MONTH_NAMES})\s+(\d{{4}})\b|\b{_YEAR_WORD_EN}'?s?\s+({MONTH_NAMES})\b"
     rf"|{_YEAR_WORD_ZH}?{_NOT_A_COUNT}(\d{{1,2}})月份?", "named_month"),
    (rf"\b(?:{_YEAR_WORD_EN}'?s?\s+)?(first|second) half(?:\s+of\s+(?:the year|{_YEAR_WORD_EN}))?\b|\bh([12])(?:\s+{_YEAR_WORD_EN})?\b"
     rf"|{_YEAR_WORD_ZH}?(上)半年|{_YEAR_WORD_ZH}(下)半年", "named_half"),  # a bare 下半年 is the future half (a horizon)
    (rf"\b(?:{_YEAR_WORD_EN}'?s?\s+)?(?:{FESTIVALS_EN})(?:\s+(?:of\s+)?{_YEAR_WORD_EN})?\b|{_YEAR_WORD_ZH}?(?:{FESTIVALS_ZH})",
     "festival"),
    (r"\b(?:the )?year before last\b|前年", "year_before_last"),
    (r"\b(?:the )?month before last\b|上上(?:个|一)?月", "month_before_last"),
    (r"\b(?:last|past|previous|prior)\s+quarter\b|(?<!上)上(?:个|一)?季度", "last_quarter"),
    (r"\bthis\s+quarter\b|\bquarter to date\b|\bqtd\b|本季度?|这个?季度|季度?初(?:至今|以来|到现在)", "this_quarter"),
    (r"\bthis\s+year\b|\byear to date\b|\bytd\b|\bsince the (?:start|beginning) of (?:the|this) year\b|今年|本年度?|年初(?:至今|以来|到现在|到今天)", "this_year"),
    (r"\b(?:last|previous|prior)\s+year\b|去年|上一?年", "last_year"),
    (r"\bthis\s+month\b|\bmonth to date\b|\bmtd\b|本月|这个?月|月初(?:至今|以来|到现在)", "this_month"),
    (r"\b(?:last|previous|prior)\s+month\b|(?<!上)上(?:个|一)?月(?!份)", "last_month"),
    (r"\bthis\s+week\b|\bweek to date\b|\bwtd\b|本周|这周|这个?(?:星期|礼拜)", "this_week"),
    (r"\b(?:last|previous|prior)\s+week\b|(?<!上)上(?:个|一)?(?:周|星期|礼拜)", "last_week"),
    (rf"\b(?:last|past|previous|prior)\s+(\d+)\s+{_EN_UNIT}\b|{_ZH_RECENT}(\d+)\s*{_ZH_UNIT}|(\d+)\s*{_ZH_UNIT}(?:以来|来)", "last_n"),
    (rf"\b(?:last|past|previous|prior)\s+half[- ]?(?:a[- ])?year\b|{_ZH_RECENT}半年|半年(?:以)?来", "last_half_year"),
    (r"\b(?:last|past)\s+(day|week|month|year)\b", "last_1"),
    (r"\bin\s+(\d{4})\b|(?<!\d)(\d{4})年(?!\d)", "in_year"),
]]


def _groups(m: re.Match) -> list[str]:
    return [g for g in m.groups() if g]


def _year_of(m: re.Match, as_of: date) -> int | None:
    """The year a match names: 2024, or this/last year, 今年/去年/前年; None when it names none."""
    for g in _groups(m):
        if re.fullmatch(r"\d{4}", g):
            return int(g)
        if g.lower() in YEAR_WORDS:
            return as_of.year + YEAR_WORDS[g.lower()]
    return None


def _named(m: re.Match) -> str:
    """The month or quarter a match names (a word or its number), leaving the year aside."""
    return next(g for g in _groups(m) if not re.fullmatch(r"\d{4}", g) and g.lower() not in YEAR_WORDS)


def _month_number(name: str) -> int:
    return int(name) if name.isdigit() else MONTHS[name.lower()]


def _latest(year: int | None, month: int, as_of: date) -> date:
    """The named month (or quarter's first month) of that year, or without one the latest that has begun by as-of."""
    start = date(year or as_of.year, month, 1)
    return start if year is not None or start <= as_of else date(start.year - 1, month, 1)


def _last_n(m: re.Match, as_of: date) -> Span:
    n, unit = int(_groups(m)[0]), _groups(m)[1].lower().lstrip("个")
    if unit in ("month", "月"):
        return _span_months(as_of, n)
    if unit in ("quarter", "季度"):
        return _span_months(as_of, 3 * n)
    if unit in ("year", "年"):
        return _span_months(as_of, 12 * n)
    days = n * (7 if unit in ("week", "周", "星期", "礼拜") else 1)
    return as_of - timedelta(days=days - 1), as_of


def _last_1(m: re.Match, as_of: date) -> Span:
    unit = m.group(1).lower()
    if unit in ("month", "year"):
        return _span_months(as_of, 12 if unit == "year" else 1)
    return as_of - timedelta(days=(7 if unit == "week" else 1) - 1), as_of


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _last_quarter(as_of: date) -> Span:
    end = quarter_start(as_of) - timedelta(days=1)
    return quarter_start(end), end


def _since_month(m: re.Match, as_of: date) -> Span | None:
    month = _month_number(_named(m))
    return (_latest(_year_of(m, as_of), month, as_of), None) if 1 <= month <= 12 else None


def _named_quarter(m: re.Match, as_of: date) -> Span:
    name = _named(m).lower()
    q = ORDINALS[name] if name in ORDINALS else int(name)
    start = _latest(_year_of(m, as_of), 3 * q - 2, as_of)
    return start, min(month_end(add_months(start, 2)), as_of)


def _named_month(m: re.Match, as_of: date) -> Span | None:
    month = _month_number(_named(m))
    if not 1 <= month <= 12:
        return None
    start = _latest(_year_of(m, as_of), month, as_of)
    return start, min(month_end(start), as_of)


def _named_half(m: re.Match, as_of: date) -> Span:
    first = _named(m).lower() in ("first", "1", "上")
    start = _latest(_year_of(m, as_of), 1 if first else 7, as_of)
    return start, min(month_end(add_months(start, 5)), as_of)


def _in_year(m: re.Match, as_of: date) -> Span | None:
    year = _year_of(m, as_of)
    return (date(year, 1, 1), min(date(year, 12, 31), as_of)) if year and 1990 <= year <= as_of.year else None


def _since_date(m: re.Match, as_of: date) -> Span | None:
    try:
        return date.fromisoformat(m.group(1)), None
    except ValueError:
        return None


PERIOD_OF: dict[str, object] = {
    "festival": lambda m, d: _festival(m.group(0), d),
    "since_last_year": lambda m, d: (date(d.year - 1, 1, 1), None),
    "since_last_quarter": lambda m, d: (_last_quarter(d)[0], None),
    "since_last_month": lambda m, d: (add_months(date(d.year, d.month, 1), -1), None),
    "year_before_last": lambda m, d: (date(d.year - 2, 1, 1), date(d.year - 2, 12, 31)),
    "month_before_last": lambda m, d: (add_months(date(d.year, d.month, 1), -2), month_end(add_months(date(d.year, d.month, 1), -2))),
    "last_quarter": lambda m, d: _last_quarter(d),
    "this_quarter": lambda m, d: (quarter_start(d), d),
    "this_year": lambda m, d: (date(d.year, 1, 1), d),
    "last_year": lambda m, d: (date(d.year - 1, 1, 1), date(d.year - 1, 12, 31)),
    "this_month": lambda m, d: (date(d.year, d.month, 1), d),
    "last_month": lambda m, d: (add_months(date(d.year, d.month, 1), -1), month_end(add_months(date(d.year, d.month, 1), -1))),
    "this_week": lambda m, d: (_week_start(d), d),
    "last_week": lambda m, d: (_week_start(d) - timedelta(days=7), _week_start(d) - timedelta(days=1)),
    "last_n": _last_n,
    "last_half_year": lambda m, d: _span_months(d, 6),
    "last_1": _last_1,
    "since_month": _since_month,
    "since_year": lambda m, d: (date(_year_of(m, d), 1, 1), None),
    "since_date": _since_date,
    "named_quarter": _named_quarter,
    "named_month": _named_month,
    "named_half": _named_half,
    "in_year": _in_year,
}


def relative_period(text: str, as_of: date) -> Span:
    """(since, until) for a relative period in the text, computed from the as-of date; (None, None) if none."""
    for pattern, kind in REL_PATTERNS:
        m = pattern.search(text)
        if m:
            span = PERIOD_OF[kind](m, as_of)  # type: ignore[operator]
            if span is not None:
                return span
    return None, None


HORIZON_PATTERNS: list[tuple[re.Pattern, object]] = [(re.compile(p, re.I | re.A), v) for p, v in [
    (r"\b(?:next|coming|following|over\s+the\s+next|within)\s+(\d+)\s*(day|week|month|quarter|year)s?\b"
     r"|(?:未来|接下来的?|今后|之后的?)\s*(\d+)\s*(天|日|周|个?星期|个?季度|个?月|年)", "n"),
    (r"\bnext\s+quarter\b|\bcoming\s+quarter\b|下(?:个|一)?季度|未来(?:一|1)?个?季度", 90),
    (r"\bnext\s+(?:12\s+months|year)\b|\bcoming\s+year\b|\bnext\s+fiscal\s+year\b|\bnext\s+year'?s?\b|明年|未来(?:1|一)?年|下一年", 365),
    (r"\bnext\s+month\b|\bcoming\s+month\b|下(?:个|一)?月", 30),
    (r"\bnext\s+week\b|下(?:个|一)?(?:周|星期)", 7),
    (r"(?<!last )(?<!past )(?<!previous )(?<!prior )\b(?:next\s+)?half[- ]year\b|\bnext\s+6\s+months\b|未来半年|(?<!年)(?<!去)(?<!今)(?<!前)下半年", 180),
    (r"(?<!last )(?<!past )(?<!previous )(?<!prior )\b(\d+)[- ](day|week|month|year)s?\b(?! ago)|(?<!最近)(?<!过去)(?<!近)(\d+)\s*(天|周|个月)(?:内|的)?(?:营收|收入|价值|销售额|预测)", "n"),
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
        if unit.lstrip("个") in ("quarter", "季度"):
            return 365 * (n // 4) if n % 4 == 0 else 90 * n  # 2 quarters: 180 days, 4 quarters: a year
        return 365 * (n // 12) if n % 12 == 0 else 30 * n
    return None
