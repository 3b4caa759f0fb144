"""Slot filling for the offline planner: from a normalised question to argument values
(filters, sort, dimension, metric, period, dates, horizon, copy options, A/B numbers, ids).

Each extractor is a small function over precompiled patterns; values use the tools' own names.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from assistant import planning_lexicon as lex
from assistant.glossary import discount_off
from assistant.language import horizon_days, relative_period
from tools.rfm import SEGMENTS

I = re.ASCII  # patterns run on lower-cased text (re.I would only cost time); \b and \w are ASCII so that an
# English word inside Chinese text is a word: "VIP的churn情况" names churn, "top10的客户" a top 10


def _compile(table: dict[str, str]) -> list[tuple[str, re.Pattern]]:
    return [(key, re.compile(pattern, I)) for key, pattern in table.items()]


TIERS = _compile(lex.TIER_CUES)
SEGMENT_PATTERNS = _compile(lex.SEGMENT_CUES)
CHURN = _compile(lex.CHURN_CUES)
COUNTRIES = _compile(lex.COUNTRY_ALIASES)
CHANNELS = _compile(lex.CHANNEL_ALIASES)
CATEGORIES = _compile(lex.CATEGORY_ALIASES)
BY_WORDS = _compile(lex.BY_CUES)
METRICS = _compile(lex.METRIC_CUES)
PERIODS = _compile(lex.PERIOD_CUES)
MODELS = _compile(lex.MODEL_CUES)
GOALS = _compile(lex.GOAL_CUES)
MESSAGE_CHANNELS = _compile(lex.MESSAGE_CHANNEL_CUES)
TONES = _compile(lex.TONE_CUES)
OFFERS = [re.compile(p, re.I | re.A) for p in lex.OFFER_PATTERNS]  # run on the original text
RISK_RANK = re.compile(lex.RISK_RANK.pattern, I)
CHURN_PICTURE = re.compile(lex.CHURN_PICTURE, I)
PROMOTION = re.compile(lex.PROMOTION, I)
OCCASIONS = [(re.compile(pattern, I), en, zh) for pattern, en, zh in lex.OCCASIONS]

# "by X" style mentions of a grouping dimension
_DIM_EN = {k: v.split("|")[0] for k, v in lex.BY_CUES.items()}
BY_LEAD_EN = re.compile(
    r"\b(?:by|per|across|for each|each|every|which|between|among|compare|comparing|split(?: \w+)? by|broken down by|grouped by|group by|versus)\s+"
    r"(?:the\s+|our\s+|their\s+|different\s+|value\s+|rfm\s+|customer\s+|sales\s+|purchase\s+|product\s+|acquisition\s+|marketing\s+|churn\s+)?"
    r"(tiers?|segments?|rfm|personas?|clusters?|countr(?:y|ies)|markets?|regions?|channels?|categor(?:y|ies)|risk (?:bands?|levels?|groups?)|churn risk|bands?)\b", I)
BY_LEAD_ZH = re.compile(
    r"(?:按照?|各(?:个)?|每(?:个)?|不同(?:的)?|哪(?:个|些)|分|对比|比较)(?:客户)?(?:的)?"
    r"(价值分层|价值层|分层|等级|层级|细分|分群|rfm|画像|人群|客群|流失风险|风险等级|国家|国(?!际|内|外)|地区|市场|渠道|品类|类目|类别)", I)
DIM_WORD = {
    "tier": re.compile(r"^(?:tiers?|价值分层|价值层|分层|等级|层级)$", I),
    "segment": re.compile(r"^(?:segments?|rfm|细分|分群)$", I),
    "persona": re.compile(r"^(?:personas?|clusters?|画像|人群|客群)$", I),
    "churn_risk": re.compile(r"^(?:risk (?:bands?|levels?|groups?)|churn risk|bands?|流失风险|风险等级)$", I),
    "country": re.compile(r"^(?:countr(?:y|ies)|markets?|regions?|国家|国|地区|市场)$", I),
    "channel": re.compile(r"^(?:channels?|渠道)$", I),
    "category": re.compile(r"^(?:categor(?:y|ies)|品类|类目|类别)$", I),
}

# ------------------------------------------------------------------ numeric filters
UNIT_DAYS = {"day": 1, "days": 1, "week": 7, "weeks": 7, "month": 30, "months": 30, "year": 365, "years": 365,
             "天": 1, "日": 1, "周": 7, "星期": 7, "个星期": 7, "个月": 30, "月": 30, "年": 365}
_UNIT = r"(days?|weeks?|months?|quarters?|years?)"
_ZH_UNIT = r"(天|日|周|个?星期|个月|月|个?季度|年)"
_MORE = r"(?:over|more than|above|at least|greater than|exceeding|in excess of|north of|upwards of|beyond|>=?|\+)"
_LESS = r"(?:under|below|less than|fewer than|at most|no more than|up to|<=?)"
_ORDER_VERB = (r"(?:ordered|order(?:ed)? anything|bought|bought anything|purchased|shopped|placed (?:an|any) orders?|made (?:a|any) purchases?"
               r"|been back|come back|returned|visited|spent anything|transacted|been in|been by|come in|dropped by|popped in|stopped by"
               r"|order|buy|purchase|shop|visit)")

MIN_DAYS = [re.compile(p, I) for p in [
    rf"(?:haven'?t|have not|hasn'?t|has not|hadn'?t|didn'?t|did not|not|never|no one has|without having)\s+(?:\w+\s+){{0,2}}?{_ORDER_VERB}\b[^.\d]{{0,30}}?(\d+)\s*\+?\s*{_UNIT}",
    rf"\bno (?:orders?|purchases?|activity|transactions?)\s+(?:\w+\s+){{0,3}}?(?:in|for|during|within)\s+(?:the\s+)?(?:last\s+|past\s+)?(?:over\s+|more than\s+)?(\d+)\s*\+?\s*{_UNIT}",
    # the negation after the buying: "bought 3 times but not in the last 4 months", "ordered before, just not lately: 60 days"
    rf"\b(?:but|and|yet|just)\s+(?:not|never|none)\s+(?:\w+\s+){{0,2}}?(?:in|within|during|over|for)\s+(?:the\s+)?(?:last|past)\s+(\d+)\s*{_UNIT}",
    rf"\b(?:inactive|dormant|silent|quiet|absent|away|idle|lapsed|gone)\s+(?:for\s+)?(?:{_MORE}\s+)?(\d+)\s*\+?\s*{_UNIT}",
    rf"\blast (?:order|purchase|visit)\w*\s+(?:was\s+|is\s+|placed\s+)?(?:{_MORE}\s+)?(\d+)\s*\+?\s*{_UNIT}\s+ago",
    rf"\b{_MORE}\s+(\d+)\s*{_UNIT}\s+(?:since|without|from)\s+(?:their|the|a)?\s*(?:last\s+)?(?:order|purchase)",
    rf"\b(\d+)\s*\+\s*{_UNIT}\s+(?:since|without|of inactivity|inactive|no order|from)",
    rf"\b(\d+)\s*\+\s*{_UNIT}\b",
    rf"(?:超过|已经|已|有|达|满)?(\d+)\s*{_ZH_UNIT}(?:以上|多|及以上)?(?:都|均|还)?(?:没有?|未|不曾)(?:再)?(?:下单|下过单|购买|购物|买|消费|复购|来|光顾|回购|交易)",
    rf"(?:没有?|未)(?:再)?(?:下单|下过单|购买|购物|消费|复购|回购|交易)(?:已经|已|超过|有)?(?:了)?(\d+)\s*{_ZH_UNIT}",
    rf"(?:沉默|不活跃|未活跃|休眠)(?:了|已)?(?:超过)?(\d+)\s*{_ZH_UNIT}",
    rf"(?:最近|上次|最后)(?:一次)?(?:下单|购买|消费)(?:在|是|距今)?(?:超过)?(\d+)\s*{_ZH_UNIT}(?:以)?前",
]]
NOT_SINCE = re.compile(r"\b(?:haven'?t|hasn'?t|have not|has not|had not|hadn'?t|didn'?t|did not|not|never|no one has)\s+(?:\w+\s+){0,2}?"
                       r"(?:ordered|bought|purchased|shopped|order|buy|purchase|shop|been back|come back|returned)\w*\s+(?:\w+\s+){0,2}?since\b"
                       r"|\bno (?:orders?|purchases?)\s+since\b"
                       r"|(?:以来|之后|以后|后)(?:就|都|再|一直)*(?:没|未|不曾)(?:有)?(?:再)?(?:下过?单|买过?|购买过?|消费过?|来过?)", I)
ONE_UNIT = re.compile(r"\b(in|for|within|over|than) (?:a|an|one) (year|month|week)\b", I)
MAX_DAYS = [re.compile(p, I) for p in [
    rf"\b(?:ordered|bought|purchased|shopped|active|order(?:ed)?|purchase[sd]?|buying|shopping)\s+(?:\w+\s+){{0,3}}?(?:in|within|during|over)\s+the\s+(?:last|past)\s+(\d+)\s*{_UNIT}",
    rf"\b(?:recent|active)\s+(?:buyers|customers|shoppers)?\s*(?:in|within|over)\s+(?:the\s+)?(?:last|past)\s+(\d+)\s*{_UNIT}",
    rf"\blast (?:order|purchase)\w*\s+(?:was\s+|is\s+)?(?:within|in|less than|under)\s+(?:the\s+)?(?:last\s+)?(\d+)\s*{_UNIT}",
    rf"(?:最近|近|过去)(\d+)\s*{_ZH_UNIT}(?:内|之内|里)?(?:有|曾)?(?:下过?单|购买过?|买过|消费过?|活跃|下单)",
]]
MIN_SPEND = [re.compile(p, I) for p in [
    rf"\b(?:spent|spend(?:ing)?|spenders?|paid|bought for|purchases? (?:of|worth)|total spend|lifetime spend|revenue)\s+(?:\w+\s+){{0,2}}?{_MORE}\s*(?:\$|€|£|usd|eur)?\s*(\d+(?:\.\d+)?)",
    rf"\b{_MORE}\s*(?:\$|€|£)?\s*(\d+(?:\.\d+)?)\s*(?:dollars?|euros?|pounds?|usd|eur)?\s+(?:spent|in (?:total )?(?:spend|purchases|sales|revenue)|lifetime spend)",
    r"\b(?:spent|spend)\s+(?:\$|€|£)?\s*(\d+(?:\.\d+)?)\s*\+",
    r"\b(?:spent|spend(?:ing)?)\s+(?:\$|€|£)?\s*(\d+(?:\.\d+)?)\s*(?:dollars?|euros?|pounds?|usd|eur)?\s+(?:or|and) (?:more|above|over)",
    r"(?:消费|花费|花了|消费金额|总消费|累计消费|支出|购买金额|总金额)(?:金额)?(?:总额)?\D{0,3}?(?:超过|大于|高于|多于|不低于|不少于|至少|满|达到|>)\s*\$?\s*(\d+(?:\.\d+)?)",
    r"(?:消费|花费|花了|累计消费|总消费)\D{0,3}?(\d+(?:\.\d+)?)\s*(?:元|块|美元|欧元)?(?:以上|及以上|多)",
]]
_ORDERS_WORD = r"(?:orders|purchases|transactions|visits|trips|baskets|bookings)"
MIN_ORDERS = [re.compile(p, I) for p in [
    rf"\b{_MORE}\s+(\d+)\s+(?:{_ORDERS_WORD}|times)\b",
    rf"\b(\d+)\s*\+\s*{_ORDERS_WORD}\b",
    rf"\b(\d+)\s+(?:or more|and more|and above|or above)\s+{_ORDERS_WORD}\b",
    rf"\b(\d+)\s+{_ORDERS_WORD}\s+(?:or more|and more|and above|or above|at least|minimum)\b",
    r"(?:下单|购买|买|消费|订单)(?:次数|数)(?:超过|多于|大于|至少|不少于|达到|满)\s*(\d+)",
    r"(?:下单|购买|买过?|消费|订单)?(?:超过|多于|大于|至少|不少于|达到|满)\s*(\d+)\s*(?:次|单|笔)",
    r"(\d+)\s*(?:次|单|笔)(?:及)?以上",
    r"(?:至少|最少|起码)(?:下过|下了|买过|买了|购买过?|消费过?)\s*(\d+)\s*(?:次|单|笔)",
]]
# a range of orders or spend: "between 5 and 10 orders", "5-10 purchases", 下单次数在5到10次之间, 消费1000到3000元的客户
ORDERS_BETWEEN = [re.compile(p, I) for p in [
    rf"\bbetween (\d+) and (\d+) (?:{_ORDERS_WORD}|times)\b",
    rf"\b(\d+)\s*(?:-|–|to)\s*(\d+) (?:{_ORDERS_WORD}|times)\b",
    r"(?:下单|购买|买|消费|订单)?(?:次数|数)?(?:在|为|是)?\s*(\d+)\s*(?:次|单|笔)?\s*(?:到|至|-|~|–)\s*(\d+)\s*(?:次|单|笔)(?:之间)?",
]]
SPEND_BETWEEN = [re.compile(p, I) for p in [
    r"\b(?:spent|spend(?:ing)?|total spend|lifetime spend)\s+(?:of\s+)?between\s+(?:\$|€|£)?\s*(\d+(?:\.\d+)?)\s+and\s+(?:\$|€|£)?\s*(\d+(?:\.\d+)?)",
    r"\b(?:spent|spend(?:ing)?)\s+(?:\$|€|£)?\s*(\d+(?:\.\d+)?)\s*(?:-|–|to)\s*(?:\$|€|£)?\s*(\d+(?:\.\d+)?)\b",
    r"(?:消费|花费|花了|累计消费|总消费|消费金额)(?:在|为|是)?\s*(\d+(?:\.\d+)?)\s*(?:元|块)?\s*(?:到|至|-|~|–)\s*(\d+(?:\.\d+)?)\s*(?:元|块)?(?:之间)?",
]]
MAX_ORDERS = [re.compile(p, I) for p in [
    rf"\b{_LESS}\s+(\d+)\s+{_ORDERS_WORD}\b",
    r"(?:下单|购买|订单)(?:次数|数)(?:少于|不超过|低于|最多)\s*(\d+)",
    r"(?:少于|不超过|低于|最多)\s*(\d+)\s*(?:次|单|笔)",
]]
ONE_TIME = re.compile(r"\b(?:1|one)[- ]time (?:buyers|customers|shoppers|purchasers)\b|\bonly (?:1|one) (?:order|purchase)\b|\bsingle[- ]purchase\b|\bbought (?:only )?once\b|只买过?1次|只下过?1单|只购买过?1次|仅购买1次|1次性客户", I)
REPEAT = re.compile(r"\brepeat (?:buyers|customers|shoppers|purchasers|clients)\b|\breturning (?:customers|buyers|shoppers|clients)\b|复购客户|回头客|老客|老顾客|老买家|回购客户", I)
_VALUE_WORDS = r"clv|ltv|lifetime value|predicted value|12[- ]month value|customer value|expected value"
CLV_BOUND = [(re.compile(p, I), key) for p, key in [
    (rf"\b(?:clv|ltv|lifetime value|predicted value|12[- ]month value|customer value|expected value)\s+(?:\w+\s+){{0,2}}?{_MORE}\s*(?:\$|€|£)?\s*(\d+(?:\.\d+)?)", "min_clv"),
    (rf"\b(?:clv|ltv|lifetime value|predicted value|12[- ]month value|customer value|expected value)\s+(?:\w+\s+){{0,2}}?{_LESS}\s*(?:\$|€|£)?\s*(\d+(?:\.\d+)?)", "max_clv"),
    (r"(?:clv|ltv|生命周期价值|终身价值|客户价值|预测价值|预期价值|预计价值)\s*(?:在)?(?:超过|大于|高于|至少|不低于|达到|>)\s*(\d+(?:\.\d+)?)", "min_clv"),
    (r"(?:clv|ltv|生命周期价值|终身价值|客户价值|预测价值|预期价值|预计价值)\s*(?:在)?(?:低于|小于|少于|不超过|不到|<)\s*(\d+(?:\.\d+)?)", "max_clv"),
    # the bound after its number: "clv 2000以上", "clv在1500及以上", "a clv of 2000 or more", "ltv 1500+"
    (rf"\b(?:{_VALUE_WORDS})\s*(?:of\s+|is\s+|at\s+|=\s*)?(?:\$|€|£)?\s*(\d+(?:\.\d+)?)\s*(?:\+|or (?:more|above|higher|over)\b|and (?:above|up|over|higher)\b)", "min_clv"),
    (rf"\b(?:{_VALUE_WORDS})\s*(?:of\s+|is\s+|at\s+|=\s*)?(?:\$|€|£)?\s*(\d+(?:\.\d+)?)\s*(?:or (?:less|below|lower|under)|and (?:below|under|lower))\b", "max_clv"),
    (r"(?:clv|ltv|生命周期价值|终身价值|客户价值|预测价值|预期价值|预计价值)\s*(?:在|是|为|达到|有)?\s*\$?\s*(\d+(?:\.\d+)?)\s*(?:元|块|美元|欧元)?\s*(?:以上|及以上|或以上|往上|\+)", "min_clv"),
    (r"(?:clv|ltv|生命周期价值|终身价值|客户价值|预测价值|预期价值|预计价值)\s*(?:在|是|为)?\s*\$?\s*(\d+(?:\.\d+)?)\s*(?:元|块|美元|欧元)?\s*(?:以下|及以下|或以下|以内)", "max_clv"),
]]
CHURN_PROB = [re.compile(p, I) for p in [
    rf"\bchurn (?:probability|prob|likelihood|score|chance|risk)\s+(?:\w+\s+){{0,2}}?{_MORE}\s*(\d+(?:\.\d+)?)\s*(%)?",
    rf"\b{_MORE}\s*(?:an?\s+)?(\d+(?:\.\d+)?)\s*(%)\s+(?:chance|probability|likely|likelihood) (?:of|to) (?:churn|leave)",
    r"流失(?:概率|可能性|风险)(?:超过|大于|高于|至少|不低于|在)\s*(\d+(?:\.\d+)?)\s*(%)?",
    r"流失(?:概率|可能性)(?:在)?\s*(\d+(?:\.\d+)?)\s*(%)?\s*(?:以上|及以上|往上)",
]]

# ------------------------------------------------------------------ sort and limit
SORT_CUES = [(re.compile(p, I), key) for p, key in [
    (lex.RISK_RANK.pattern + r"|\b(?:by|on) (?:their )?churn (?:probability|risk|score|likelihood)\b|\bsorted by churn\b|按流失(?:概率|风险)|流失(?:概率|风险|可能性)(?:最高的?|排名|排行)?前\s*\d+", "churn_probability"),
    (r"\b(?:biggest|top|largest|highest|best|number one) (?:\d+ )?spenders?\b|\bspent the most\b|\bspend the most\b|\bhighest (?:total )?spend\w*\b|\b(?:by|on) (?:total |lifetime )?spend(?:ing)?\b|消费最多|花得最多|花钱最多|按消费|消费(?:金额|额)?最高|买得最多", "total_spend"),
    (r"\bmost (?:orders|frequent|purchases)\b|\bordered the most\b|\b(?:buy|buys|order|orders|shop|shops) (?:the )?most often\b|\b(?:by|on) (?:number of |order )?(?:orders|order count|frequency)\b|订单最多|下单最多|购买次数最多|按订单|按下单次数", "orders"),
    (r"\bmost recent(?:ly)?\b|\b(?:by|on) (?:last|latest|most recent) (?:order|purchase)\b|\blatest (?:buyers|customers)\b|\b(?:newest|latest|most recent|recent) (?:first|on top)\b|最近下单|按最近|最近购买", "last_order_date"),
    (r"\b(?:by|on) (?:their |predicted |expected |customer )?(?:lifetime value|clv|ltv|value|12[- ]month value|predicted value)\b|\bmost valuable\b|\bhighest[- ](?:value|clv|ltv|lifetime value)\b|\bbest customers\b"
     r"|\b(?:highest|greatest|biggest|largest|top|best)\s+(?:predicted\s+|expected\s+|customer\s+|12[- ]month\s+)?(?:lifetime value|clv|ltv|value)\b"
     r"|价值最高|最有价值|(?:按|根据)(?:客户)?(?:终身|生命周期|预测|预期)?价值|按clv|按ltv|(?:终身|生命周期|预测|预期)价值(?:最高|最大|排名|排序|前\d+)|(?:clv|ltv)(?:最高|最大|排名|排序|前\d+)", "clv"),
]]
LIMITS = [re.compile(p, I) for p in [
    r"\btop\s+(\d+)\b",
    r"\b(?:riskiest|biggest|largest|best|highest|most valuable|most loyal)\s+(\d+)\b(?!\s*(?:%|days|weeks|months|years))",
    r"\b(\d+)\s+(?:most|best|highest|biggest|largest|top|riskiest|least|customers? most|customers? with the)\b",
    r"\b(?:first|show(?: me)?|list|give me|get(?: me)?|pull|find|display|name)\s+(?:the\s+|me\s+)?(\d+)\b",
    r"\b(\d+)\s+(?:customers|clients|people|shoppers|accounts)\b",
    r"前\s*(\d+)\s*(?:名|个|位)?",
    r"(?:给我|列|列出|要|看|拉|找|找出|显示|来)\s*(\d+)\s*(?:个|位|名)(?!\s*(?:月|天|周|星期|季度|年|小时|版本|版|方案|条|封))",  # 给我8个, 列10个
    r"(\d+)\s*(?:个|位|名)(?:最|客户|顾客)",
    r"(?:最高|最多|最大|最好)的\s*(\d+)\s*(?:个|位|名)?(?:人|客户|顾客|用户)",
]]

# ------------------------------------------------------------------ ids
CUSTOMER_ID = re.compile(r"(?<![A-Za-z0-9])([Cc])[-_ ]?(\d{3,})(?![A-Za-z0-9])")
NUMERIC_ID = re.compile(r"(?:customer|client|cust|account|user|member|客户|顾客|用户|会员)\s*(?:id|number|no\.?|#|编号|号|ID)?\s*[:#]?\s*(\d{3,})(?!\s*(?:days|orders|customers|visitors|%|天|个|次))", re.I)
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")  # ASCII: \w would take in "邮箱是"
NAME_EN = re.compile(r"(?:look ?up|find|profile (?:of|for)|(?:customer|client) (?:named|called)|pull up|search for|about|details (?:for|on|of)|info on|who is)\s+(?:customer\s+|client\s+)?([A-Z][a-z]+(?:\s+(?:[A-Z][a-z'\-]+|de|van|von|da|di|del|la)){1,3})")
# "caller says she's Megan Moore", "customer Megan Moore is on the phone", "客户Callum Edwards来电": a capitalised full name
NAME_LEAD = re.compile(r"(?:\b(?:(?:[Cc]ustomer|[Cc]lient|[Cc]aller)(?: is| named| called)?|[Ss]he'?s|[Hh]e'?s|[Ss]he is|[Hh]e is|[Nn]ame is|[Nn]ame's|[Tt]his is)\s+|(?:客户|顾客|用户|会员|来电(?:人|的)?(?:是)?)\s*)"
                       r"([A-Z][a-z]+(?:\s+(?:[A-Z][a-z'\-]+|de|van|von|da|di|del|la)){0,2}\s+[A-Z][a-z'\-]+)(?![A-Za-z])")
# A full name written with capitals anywhere in the question ("what's Iris Meijer's CLV", "Luca Conti的流失风险"): two or
# three capitalised words, one of which the planner does not know as a word of its own ("Black Friday", "Value Tier"
# and the data's countries, cities, categories and products are no names)
_CAP = r"[A-ZÀ-Þ](?:'[A-ZÀ-Þ])?[a-zß-ÿ]+(?:-[A-ZÀ-Þ]?[a-zß-ÿ]+)?"  # Iris, O'Brien, Jean-Luc
FULL_NAME = re.compile(rf"(?<![A-Za-zÀ-ÿ'\-])({_CAP}(?:\s+(?:(?:de|van|von|da|di|del|la|le|du|der|den|dos|das)\s+)?{_CAP}){{1,2}})(?:'s\b|s'(?!\w))?(?![A-Za-zÀ-ÿ])")
TITLE_CASE = re.compile(r"(?<=[A-Za-z,] )(?:The|Of|In|To|For|And|An?|Me|Us|With|By|On|At|Our|My|Who|What|Which|Is|Are|From)\b")
NOT_NAME_WORDS = frozenset("""
i a an the what which who whom whose how why when where is are was were do does did can could would will should shall
may might must has have had show list give find get tell draft write export compare forecast predict recommend send
make pull look run please hi hello hey thanks ok okay and or but vs versus for of in on at to from by with per
january february march april may june july august september october november december
monday tuesday wednesday thursday friday saturday sunday
black cyber prime boxing singles double christmas xmas easter valentine valentines mother mothers father fathers
new year years lunar chinese english spanish french german italian dutch american british canadian
united great north south east west hong kong tierwise vip vips rfm clv ltv aov roi csv excel crm esp mailchimp
klaviyo shopify etsy square woocommerce amazon google facebook instagram tiktok wechat sms email push app web store
""".split())
NAME_ZH = re.compile(r"(?:叫|名为|名字是|姓名为?)\s*([\u4e00-\u9fffA-Za-z][\u4e00-\u9fffA-Za-z ·.]{1,20}?)(?:的)?(?:客户|顾客|用户|$|[，,。？?])")

_NOT_A_COUNT = r"(?!\s*(?:%|percent|days?|weeks?|months?|quarters?|years?|customers?|clients?|orders?|visitors?|天|周|个?月|季度|年|元|块|客户|顾客|人|位))"
K_PRODUCTS = [re.compile(p, I) for p in [
    r"\b(?:top\s+)?(\d+)\s+(?:products?|items?|recommendations?|suggestions?|ideas?|picks?)\b",
    r"(\d+)\s*(?:个|款|种|件)(?:产品|商品|推荐)",
    # a count stated with the ask: "recommend 8", "give me 6", 推荐10个, 给我8个, 要6款
    rf"\brecommend(?:ations?)?\s+(\d+)\b{_NOT_A_COUNT}",
    rf"\b(?:give me|show me|get me|i want|i need|we need|make it|just|only|need)\s+(\d+)\b{_NOT_A_COUNT}",
    rf"(?:推荐|给我|要|来|列|挑|选|出)\s*(\d+)\s*(?:个|款|件|样|种)(?!\s*(?:客户|顾客|人|月|天|周|年|季度|%))",
]]
VARIANTS = [re.compile(p, I) for p in [
    r"\b(\d+)\s+(?:[a-z-]+\s+){0,2}?(?:variants?|versions?|options?|subject lines?|alternatives?|takes|drafts?|headlines?|copies|variations?|subjects?|messages?|push notifications|notifications|pushes|e-?mails|texts)\b",
    r"(\d+)\s*(?:个|种|套|版|条|封)[\u4e00-\u9fff]{0,6}?(?:版本|变体|标题|方案|文案|写法|短信|推送|邮件|消息|通知)",
    r"(\d+)\s*(?:版本|变体|标题|方案)",
]]

OFFER_COST = [re.compile(p, I) for p in [
    r"(?:立减|直降|减|返)\s*(\d+(?:\.\d+)?)\s*(?:元|块|美元|欧元)?",  # 减10元, 满200减20: what each redeemer gets
    r"(?:\$|€|£)\s?(\d+(?:\.\d+)?)",
    r"(\d+(?:\.\d+)?)\s*(?:dollars?|euros?|pounds?|usd|eur|gbp|bucks)\b",
    r"\b(?:costs?|costing|worth|value of|cost of)\s+(?:us\s+)?(?:about\s+)?(\d+(?:\.\d+)?)\b",
    r"(\d+(?:\.\d+)?)\s*(?:元|块|美元|美金|刀|欧元|欧|英镑|镑)",
    r"(?:成本|费用)(?:为|是)?\s*(\d+(?:\.\d+)?)",
]]
# A percentage off: "10% off", "a discount of 15%", "10%的折扣"; Chinese tenths (九折, 打8折, 85折) are read
# through the glossary's discount_off
OFFER_PERCENT = [re.compile(p, I) for p in [
    r"(?<![\d.])(\d+(?:\.\d+)?)\s*(?:%|percent|per cent)\s*(?:off|discount|coupon|voucher|promo(?:tion)?|markdown|reduction|rebate|price cut)\b",
    r"\b(?:discount|markdown|reduction|rebate|price cut|coupon|voucher)\s+of\s+(\d+(?:\.\d+)?)\s*(?:%|percent)",
    r"(?<![\d.])(\d+(?:\.\d+)?)\s*%\s*(?:的)?(?:折扣|优惠|折|降价|减免)",
    r"(?:打|降价|优惠|折扣|立减)\s*(\d+(?:\.\d+)?)\s*%",
    # the discount set to a new size: "make the discount 25%", "bump the markdown up to 30 percent", "折扣改成25%"
    r"\b(?:discount|markdown|reduction|rebate|price cut|coupon|voucher)\s+(?:\w+\s+)?(?:to|at|is|be|=|up to|down to)?\s*(\d+(?:\.\d+)?)\s*(?:%|percent)",
    r"(?:折扣|优惠|力度|降价)\s*(?:改成|换成|改为|调到|调成|设为|设成|变成|提到|提高到|降到|加到|定为|是|为)\s*(\d+(?:\.\d+)?)\s*%",
]]
FREE_SHIPPING = re.compile(r"\bfree (?:shipping|delivery)\b|\bships? free\b|包邮|免运费|免邮|免费配送", I)
PERCENT_WORD = re.compile(r"(\d)\s*(?:percent|per cent|pct)\b", I)
SAVE_RATE = [re.compile(p, I) for p in [
    # the rate set to a new value: "change the save rate to 30%", "挽回率改成30%", "成功率调到15%"
    r"\b(?:save|retention|success|win[- ]?back|recovery|response|redemption|take[- ]?up) rate\s+(?:\w+\s+){0,2}?(?:to|at|of|=|be|is)\s*(\d+(?:\.\d+)?)\s*%",
    r"(?:挽回率|挽留率|成功率|召回率|响应率|核销率|回流率)\s*(?:改成|换成|改为|调到|调成|设为|设成|变成|提到|提高到|降到|降低到|定为|算|按)\s*(\d+(?:\.\d+)?)\s*%",
    r"\b(?:save|retention|success|win[- ]?back|recovery|response|redemption|take[- ]?up) rate\s+(?:of\s+|is\s+|at\s+|=\s*|around\s+|about\s+)?(\d+(?:\.\d+)?)\s*%",
    r"(\d+(?:\.\d+)?)\s*%\s+(?:save|retention|success|win[- ]?back|recovery|response|redemption|take[- ]?up) rate\b",
    r"(\d+(?:\.\d+)?)\s*%\s*的?(?:挽回率|挽留率|成功率|召回率|响应率|核销率)",
    r"\b(?:save|win back|recover|retain|keep|convert)s?\s+(\d+(?:\.\d+)?)\s*%\s+of\b",
    r"\b(?:if|assuming|assume|suppose|say|with|and)\s+(?:that\s+)?(\d+(?:\.\d+)?)\s*%\s+(?:of (?:them|those|the customers|customers)\s+)?(?:come back|stay|are saved|get saved|are retained|respond|return|convert|redeem)",
    r"(?:挽回率|挽留率|成功率|召回率|响应率|核销率)\s*(?:为|是|按|取)?\s*(\d+(?:\.\d+)?)\s*%",
    r"(?:挽回|挽留|召回)\s*(\d+(?:\.\d+)?)\s*%",
    r"(?<![\d.])(\d+(?:\.\d+)?)\s*%\s+(?:of (?:them|those|the customers|customers)\s+)?(?:saved|retained|won back|recovered)\b",  # "30% saved"
    # "assume 20% come back", "if 15% of them are won back", "say a quarter of those would return"
    r"(?<![\d.])(\d+(?:\.\d+)?)\s*%\s+(?:of\s+(?:them|those|these|(?:the\s+|our\s+)?(?:[a-z-]+\s+){0,2}?(?:customers|clients|shoppers|buyers|vips|people|users|members)|the audience|the group|recipients|the segment)\s+)?"
    r"(?:will\s+|would\s+|might\s+|could\s+|do\s+|actually\s+)?(?:be\s+|are\s+|get\s+|is\s+)?(?:won back|win back|come back|came back|coming back|return(?:s|ed)?|respond(?:s|ed)?|"
    r"convert(?:s|ed)?|redeem(?:s|ed)?|reactivate[sd]?|brought back|bring back|buy again|order again|purchase again|stay(?:s|ed)?|stick around|saved|retained|recovered)\b",
    r"(?<![\d.])(\d+(?:\.\d+)?)\s*%\s*(?:的)?(?:客户|人|用户)?(?:能|会|可以|被)?(?:挽回|挽留|召回|回流|回来|留下)",  # 按三成挽回算
]]
ALPHA = [re.compile(p, I) for p in [
    r"\b(?:alpha|α)\s*(?:of|=|is|at|:)?\s*(0?\.\d+|\d+(?:\.\d+)?\s*%)",
    r"\b(?:significance|signif\w*)(?:\s+level)?\s*(?:of|=|is|at|:|set to|to)?\s*(0?\.\d+|\d+(?:\.\d+)?\s*%)",
    r"\b(\d{1,2}(?:\.\d+)?\s*%|0?\.\d+)\s*(?:confidence|significance(?: level)?|level(?: of significance)?|sig(?:nificance)? level)\b",
    r"\bconfidence(?: level)?\s*(?:of|=|is|at|:|to)?\s*(\d{2}(?:\.\d+)?\s*%)",
    r"(?:置信度|置信水平|置信区间)\s*(?:为|是|取|按|设为|改成|换成|=|:)?\s*(\d{2}(?:\.\d+)?\s*%)",
    r"(\d{2}(?:\.\d+)?\s*%)\s*(?:的)?置信",
    r"显著(?:性)?水平\s*(?:为|是|取|按|设为|定为|改成|换成|=|:)?\s*(0?\.\d+|\d+(?:\.\d+)?\s*%)",
    r"(0?\.\d+|\d+(?:\.\d+)?\s*%)\s*(?:的)?显著(?:性)?水平",
]]


@dataclass
class Slots:
    filters: dict[str, Any] = field(default_factory=dict)
    sort_by: str | None = None
    limit: int | None = None
    by: str | None = None
    dims: list[str] = field(default_factory=list)       # dimensions mentioned at all
    multi_values: str | None = None                      # a filter field named with 2+ values ("compare France and Spain")
    metric: str | None = None
    period: str | None = None
    since: str | None = None
    until: str | None = None
    horizon_days: int | None = None
    model: str | None = None
    goal: str | None = None
    message_channel: str | None = None
    tone: str | None = None
    offer: str | None = None
    occasion: tuple[str, str] | None = None  # (English, Chinese) name of a shopping occasion
    variants: int | None = None
    offer_cost: float | None = None       # an amount off per redeemer ("$5 off", 减5元, 10元红包)
    offer_percent: float | None = None    # a percentage off ("10% off", 九折 = 10, 打8折 = 20)
    free_shipping: bool = False
    save_rate: float | None = None
    alpha: float | None = None
    ab: dict[str, int] | None = None
    customer_query: str | None = None
    customer_id: str | None = None
    k: int | None = None
    excluded: dict[str, list[str]] = field(default_factory=dict)  # values named to be left out ("not low or mid tier")


def _num(text: str) -> float:
    value = float(text)
    return int(value) if value.is_integer() else value


def _first(patterns: list[re.Pattern], text: str) -> re.Match | None:
    for pattern in patterns:
        m = pattern.search(text)
        if m:
            return m
    return None


def _all_keys(table: list[tuple[str, re.Pattern]], text: str) -> list[str]:
    return [key for key, pattern in table if pattern.search(text)]


def _one_key(table: list[tuple[str, re.Pattern]], text: str) -> str | None:
    hits = _all_keys(table, text)
    return hits[0] if hits else None


def _iso_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def span_days(n: str, unit: str) -> int:
    """Days in '6 个月', '2 quarters', '1 year'."""
    n_, unit = int(n), unit.lower().lstrip("个").rstrip("s")
    per = {"day": 1, "天": 1, "week": 7, "周": 7, "星期": 7, "month": 30, "月": 30, "quarter": 90, "季度": 90, "year": 365, "年": 365}[unit]
    if per == 30 and n_ % 12 == 0:
        return 365 * (n_ // 12)
    if per == 90 and n_ % 4 == 0:
        return 365 * (n_ // 4)
    return n_ * per


def _days(n: str, unit: str) -> int:
    unit = unit.lower()
    n_int = int(float(n))
    if unit.startswith("year") or unit == "年":
        return 365 * n_int
    if unit.startswith("quarter") or unit.endswith("季度"):
        return 365 * (n_int // 4) if n_int % 4 == 0 else 90 * n_int
    if unit.startswith("month") or unit in ("个月", "月"):
        return 365 * (n_int // 12) if n_int % 12 == 0 else 30 * n_int
    for key, factor in UNIT_DAYS.items():
        if unit == key or unit.rstrip("s") == key:
            return n_int * factor
    return n_int


def _norm(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", text.lower()).strip()


MAX_VALUE_CHARS = 200  # no one types a value longer than this into a question; a hostile 1M-character one is skipped


@functools.lru_cache(maxsize=64)
def _value_patterns(valid: tuple[str, ...]) -> tuple[list[tuple[str, re.Pattern]], dict[str, str]]:
    """Each value of a vocabulary list as a pattern, and the values by their normalised spelling (built once a list)."""
    # a value of one or two Latin letters ('US', 'F') is too short to find in a lower-cased question ("spent more
    # than $500 with us"); country codes are read through the country aliases, written as codes
    valid = tuple(v for v in valid if len(v) <= MAX_VALUE_CHARS and not (len(v.strip()) <= 2 and v.isascii()))
    return ([(v, re.compile(rf"(?<![a-z]){re.escape(_norm(v))}(?![a-z])")) for v in valid], {_norm(v): v for v in valid})


def _vocab_match(text: str, aliases: list[tuple[str, re.Pattern]], valid: list[str]) -> list[str]:
    """Values of the dataset's own list named in the text, literally or through an alias."""
    found: list[str] = []
    lowered = _norm(text)
    patterns, valid_norm = _value_patterns(tuple(valid))
    for value, pattern in patterns:
        if pattern.search(lowered):
            found.append(value)
    for canonical, pattern in aliases:
        if pattern.search(text):
            value = valid_norm.get(_norm(canonical), canonical if not valid else None)
            if value is None and not valid_norm:
                value = canonical
            if value is None and canonical in lex.COUNTRY_ALIASES:
                value = canonical  # a country the data lacks: the tool will list the valid ones
            if value and value not in found:
                found.append(value)
    return found


AT_LEAST = re.compile(r"at least|or more|and more|and above|or above|minimum|不低于|不少于|至少|以上|及以上|满|达到|>=|\d\s*\+", I)
MORE_THAN = re.compile(r"more than|\bover\b|above|greater than|higher than|exceed|beyond|north of|超过|大于|高于|多于|>", I)


def _strictly_more(phrase: str) -> bool:
    """'more than 500', 'over 500', '超过500' bound strictly; 'at least 500', '500 or more', '500以上', '不少于500' do not."""
    return bool(MORE_THAN.search(phrase)) and not AT_LEAST.search(phrase)


@functools.lru_cache(maxsize=1)
def _value_words() -> frozenset[str]:
    """Single English words of the glossary's retail values and attribute names (laptop, phone, earbuds, ...)."""
    from assistant import glossary

    found = set()
    for entry in glossary.value_entries() + glossary.attribute_entries():
        for phrase in entry:
            found.update(_singular(w) for w in re.findall(r"[a-z]{3,}", phrase.lower()))
    return frozenset(found)


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def full_name(original: str, vocabulary: dict[str, list[str]], known: frozenset[str] = frozenset()) -> str | None:
    """A person's full name written with capitals in the question, or None. `known` holds the planner's own words."""
    if TITLE_CASE.search(original):
        return None  # Title Case Questions: capitals say nothing about names
    for m in FULL_NAME.finditer(original):
        parts = [w for w in m.group(1).split() if w[:1].isupper()]
        while parts and parts[0].lower() in NOT_NAME_WORDS:
            parts = parts[1:]  # "Is Luca Conti ...", "Show Iris Meijer": the sentence's first word is no name
        if len(parts) < 2 or any(w.lower() in NOT_NAME_WORDS for w in parts):
            continue
        name = original[original.index(parts[0], m.start(1)):m.end(1)]
        if _looks_like_vocab(name, vocabulary) or all(w.lower() in known for w in parts) \
                or any(_singular(w.lower()) in _value_words() for w in parts):
            continue  # a product the glossary knows ("Phone Case", "Wireless Earbuds"), not a person
        return name
    return None


def extract(text: str, original: str, vocabulary: dict[str, list[str]], as_of: date,
            known: frozenset[str] = frozenset()) -> Slots:
    """Every slot the question fills. `text` is normalised; `original` keeps case (ids, names, offers); `known` are
    the planner's own words (a capitalised pair of them is no person's name)."""
    s = Slots()
    f = s.filters

    # -- ids first, then hide them so their digits never read as numbers
    ids = [f"{m.group(1).upper()}{m.group(2)}" for m in CUSTOMER_ID.finditer(original)]
    emails = EMAIL.findall(original)
    if emails:
        s.customer_query = emails[0]
    elif ids:
        s.customer_query = ids[0]
    else:
        m = NUMERIC_ID.search(original)
        if m:
            s.customer_query = m.group(1)
        else:
            m = NAME_EN.search(original) or NAME_ZH.search(original) or NAME_LEAD.search(original)
            if m and not _looks_like_vocab(m.group(1), vocabulary):
                s.customer_query = re.sub(r"'s$", "", m.group(1).strip())
            else:
                s.customer_query = full_name(original, vocabulary, known)
    if s.customer_query and (ids or NUMERIC_ID.search(original)):
        s.customer_id = s.customer_query
    text = CUSTOMER_ID.sub(" ", EMAIL.sub(" ", text))
    if s.customer_id:
        text = text.replace(s.customer_id.lower(), " ")

    # -- tier, segment, churn risk
    tiered = TIER_ELLIPSIS.sub(r"\1 \3", text)  # "not low or mid tier": low tier or mid tier
    tiers = _all_keys(TIERS, tiered)
    excluded = [t for t in tiers if _excluded(tiered, dict(TIERS)[t])]
    if excluded:
        # "not low or mid tier", "不是低价值也不是中等价值", "除了低价值客户以外": the tiers left, one of them a filter
        left = [t for t in ("high", "mid", "low") if t not in excluded and (t in tiers or len(tiers) == len(excluded))]
        tiers = left if len(left) == 1 else []
        if len(left) > 1:
            s.excluded["tier"] = excluded
    if tiers:
        f["tier"] = tiers[0]
    segments = []
    for name, pattern in SEGMENT_PATTERNS:
        if pattern.search(text):
            segments.append(name)
    for name in SEGMENTS:
        if name not in segments and re.search(rf"\b{name}\b|\b{name.replace('_', ' ')} segment\b", text):
            segments.append(name)
    if "potential_loyalist" in segments and "loyal" in segments:
        segments.remove("loyal")
    if "about_to_sleep" in segments and "hibernating" in segments and not re.search(r"hibernat|dormant|休眠", text):
        segments.remove("hibernating")
    churn = _all_keys(CHURN, text)
    if churn:
        f["churn_risk"] = churn[0]
        # "customers at risk of churning" speaks of churn, not of the at_risk segment
        if "at_risk" in segments and re.search(r"at[- ]risk of|at high risk|at a high risk", text):
            segments.remove("at_risk")
    if segments == ["lost"] and not lex.LOST_SEGMENT_NAMED.search(text) and not f.get("churn_risk"):
        # "who have we already lost", "lapsed VIPs", "已流失的客户", "流失客户": gone by their own rhythm (the lapsed
        # risk band), not the RFM segment, which is asked for by its name ("the lost segment", 流失分群)
        segments.pop(0)
        f["churn_risk"] = "lapsed"
    if f.get("tier") in ("high", "mid") and segments and segments[0] in lex.GONE_SEGMENTS and not lex.NAMED_SEGMENT.search(text):
        segments.pop(0)  # "dormant VIPs": valuable customers slipping away, not an empty high tier ∩ hibernating
        f.setdefault("churn_risk", "high")
    if segments:
        f["segment"] = segments[0]
        if len(segments) > 1:
            s.multi_values = "segment"

    # -- numeric filters
    # "haven't bought in a year": one unit reads as 1
    m = _first(MIN_DAYS, ONE_UNIT.sub(r"\1 1 \2", text))
    negated_recent = m is not None
    if m:
        f["min_days_since_last_order"] = _days(m.group(1), m.group(2))
    day = re.search(r"(?<!\d)(\d{4}-\d{2}-\d{2})(?!\d)", text)
    if not negated_recent and NOT_SINCE.search(text) and (
            since := (_iso_day(day.group(1)) if day else None) or relative_period(text, as_of)[0]) and since < as_of:
        # "who hasn't bought since September", "国庆以后就没再下过单": quiet since that day
        f["min_days_since_last_order"] = (as_of - since).days
        negated_recent = True
    m = None if negated_recent else _first(MAX_DAYS, text)
    if m:
        f["max_days_since_last_order"] = _days(m.group(1), m.group(2))
    m = _first(MIN_SPEND, text)
    if m:
        f["min_total_spend"] = _num(m.group(1))
        if _strictly_more(m.group(0)):
            f["min_total_spend_exclusive"] = True  # "spent more than 500", "消费超过500": > 500, not ≥
    if ONE_TIME.search(text):
        f["max_orders"] = 1
    elif REPEAT.search(text):
        f["min_orders"] = 2
    m = _first(MIN_ORDERS, text)
    if m:
        # "more than 10 orders", "超过5次": 11 and 6; "at least 10", "10 or more", "5次以上": 10 and 5
        f["min_orders"] = int(float(m.group(1))) + (1 if _strictly_more(m.group(0)) else 0)
    m = _first(MAX_ORDERS, text)
    if m:
        n = int(float(m.group(1)))
        strict = re.search(r"fewer than|less than|under|below|少于|低于", m.group(0), I)
        f["max_orders"] = max(n - 1, 0) if strict else n
    m = _first(ORDERS_BETWEEN, text)
    if m and int(m.group(1)) <= int(m.group(2)):
        f["min_orders"], f["max_orders"] = int(m.group(1)), int(m.group(2))
    m = _first(SPEND_BETWEEN, text)
    if m and float(m.group(1)) <= float(m.group(2)):
        f["min_total_spend"] = _num(m.group(1))
        f.pop("min_total_spend_exclusive", None)
    for pattern, key in CLV_BOUND:
        m = pattern.search(text)
        if m and key not in f:
            f[key] = _num(m.group(1))
    m = _first(CHURN_PROB, text)
    if m:
        value = float(m.group(1))
        f["min_churn_probability"] = round(value / 100 if (m.group(2) or value > 1) else value, 4)
        if f.get("churn_risk") == "high" and not re.search(r"high|高", text):
            f.pop("churn_risk")

    # -- country, channel, category, persona from the dataset's own lists
    countries = _vocab_match(text, COUNTRIES, vocabulary.get("countries", []))
    if lex.US_UPPER.search(original) and "United States" not in countries:
        countries.append(_canonical("United States", vocabulary.get("countries", [])))
    if countries:
        f["country"] = countries[0]
        if len(countries) > 1:
            s.multi_values = "country"
    channels = _vocab_match(text, CHANNELS, vocabulary.get("channels", []))
    if channels:
        f["channel"] = channels[0]
        if len(channels) > 1:
            s.multi_values = "channel"
    categories = _vocab_match(text, CATEGORIES, vocabulary.get("categories", []))
    if categories:
        f["category"] = categories[0]
        if len(categories) > 1:
            s.multi_values = "category"
    persona = _persona(text, vocabulary.get("personas", []))
    if persona:
        f["persona"] = persona

    # -- sort, limit
    for pattern, key in SORT_CUES:
        if pattern.search(text):
            s.sort_by = key
            break
    m = _first(LIMITS, text)
    if m:
        n = int(m.group(1))
        if 1 <= n <= 1000:
            s.limit = n
    if s.sort_by and s.limit and f.get("tier") == "high" and re.search(r"most valuable|best customers|最有价值|价值最高", text):
        f.pop("tier")  # "the 50 most valuable" is a ranking, not the high tier
    if s.sort_by == "churn_probability" and f.get("churn_risk") == "high" and not re.search(r"\bhigh\b|高风险", text):
        f.pop("churn_risk")  # "most likely to churn" ranks everyone by churn probability

    # -- dimension, metric, period, dates, horizon
    dims = []
    for m in list(BY_LEAD_EN.finditer(text)) + list(BY_LEAD_ZH.finditer(text)):
        word = m.group(1)
        for dim, pattern in DIM_WORD.items():
            if pattern.match(word) and dim not in dims:
                dims.append(dim)
    s.by = dims[0] if dims else None
    if s.by is None and not s.customer_query and CHURN_PICTURE.search(text):
        s.by = "churn_risk"  # "VIP的churn情况": how the VIPs spread over the risk bands
    s.dims = dims + [d for d in _all_keys(BY_WORDS, text) if d not in dims]
    s.metric = _one_key(METRICS, text)
    s.period = _one_key(PERIODS, text)
    since, until = relative_period(text, as_of)
    s.since = since.isoformat() if since else None
    s.until = until.isoformat() if until and until < as_of else None
    s.horizon_days = horizon_days(text)
    s.model = _one_key(MODELS, text)

    # -- campaign copy
    s.goal = _goal(text)
    s.message_channel = _one_key(MESSAGE_CHANNELS, text)
    s.tone = _one_key(TONES, text)
    for pattern in OFFERS:
        m = pattern.search(original)
        if m:
            s.offer = m.group(1).strip()
            break
    s.occasion = next(((en, zh) for pattern, en, zh in OCCASIONS if pattern.search(text)), None)
    m = _first(VARIANTS, text)
    if m and 1 <= int(m.group(1)) <= 10:
        s.variants = int(m.group(1))

    # -- money and experiments: one offer, a percentage off before an amount off before free shipping
    m = _first(OFFER_PERCENT, text)
    off = _num(m.group(1)) if m else discount_off(original)
    if off is not None and 0 < off < 100:
        off = _num(str(off))
        s.offer_percent = off
    else:
        m = _first(OFFER_COST, text)
        if m:
            s.offer_cost = _num(m.group(1))
        elif FREE_SHIPPING.search(text):
            s.free_shipping = True
    shares = PERCENT_WORD.sub(r"\1%", text)  # "20 percent" is 20%
    m = _first(SAVE_RATE, shares)
    if m:
        s.save_rate = round(float(m.group(1)) / 100, 4)
    m = _first(ALPHA, shares)
    if m:
        # a level of significance (0.05, 5%) or of confidence (95%, 99%): alpha is the first, 1 - the second
        value = float(m.group(1).rstrip("% "))
        alpha = value if value < 1 else (1 - value / 100 if value > 50 else value / 100)
        if 0 < alpha < 0.5:
            s.alpha = round(alpha, 4)
    s.ab = ab_numbers(text)
    m = _first(K_PRODUCTS, text)
    if m and 1 <= int(m.group(1)) <= 50:
        s.k = int(m.group(1))
    return s


TIER_ELLIPSIS = re.compile(r"\b(low|mid|medium|high)\b(?=(\s*(?:,|/|or|and|nor)\s*(?:low|mid|medium|high)[- ](value|tier)s?\b))", I)
NEG_BEFORE = re.compile(r"(?:\b(?:not|no|except|excluding|exclude|other than|besides|apart from|but not|nor)\b|不是|除了|除|非|不要|不算|不含|排除|去掉)"
                        r"(?P<gap>[^.;!?。；！？]{0,16}?)$", I)
NEG_AFTER = re.compile(r"^[^.;!?。；！？,，]{0,6}?(?:以外|之外|除外)", I)


def _excluded(text: str, pattern: re.Pattern) -> bool:
    """Whether a slot word is named to be left out: a negation just before it, maybe across another value of its list
    ("not low or mid tier"), or 以外 / 之外 after it ("除了低价值客户以外")."""
    m = pattern.search(text)
    if not m:
        return False
    before = NEG_BEFORE.search(text[max(0, m.start() - 30):m.start()])
    if before and not re.search(r"\b(?:who|that|which|whose|with|in|from)\b|的|以外|之外|除外", before.group("gap")):
        return True
    return bool(NEG_AFTER.match(text[m.end():]))


def _goal(text: str) -> str | None:
    """The campaign goal named first; a sale or shopping festival announces, over what loyalty words suggest."""
    goal = _one_key(GOALS, text)
    if goal in lex.GOALS_A_PROMOTION_OUTRANKS and PROMOTION.search(text):
        return "announcement"
    if goal is None and any(pattern.search(text) for pattern, _, _ in OCCASIONS):
        return "announcement"  # "a Black Friday email" is news of the sale
    return goal


def _canonical(value: str, valid: list[str]) -> str:
    norm = {_norm(v): v for v in valid}
    return norm.get(_norm(value), value)


def _looks_like_vocab(name: str, vocabulary: dict[str, list[str]]) -> bool:
    low = _norm(name)
    pool = [v for key in ("countries", "cities", "channels", "categories", "products", "personas") for v in vocabulary.get(key, [])]
    pool += [str(v) for a in vocabulary.get("attributes") or [] if isinstance(a, dict) for v in a.get("values") or []]
    return any(low == _norm(v) or low in _norm(v) for v in pool) or low.split()[0] in {
        "the", "our", "my", "all", "high", "mid", "low", "customer", "customers", "champions", "vip", "vips"}


def _persona(text: str, personas: list[str]) -> str | None:
    lowered = _norm(text)
    best, best_len = None, 0
    for name in personas:
        full = _norm(name)
        core = re.sub(r"\s*customers?\b|\s*\(\d+\)", "", full).strip()
        words = [w for w in core.split() if len(w) > 2]
        if full in lowered or (core and core in lowered) or (words and all(re.search(rf"\b{re.escape(w)}\b", lowered) for w in words)):
            if len(core) > best_len:
                best, best_len = name, len(core)
    return best


# ------------------------------------------------------------------ A/B numbers
AB_SPLIT = re.compile("|".join(rf"(?P<{side}>{pattern})" for side, pattern in lex.AB_SIDE_CUES.items()), re.I | re.A)
# what each side was shown to or sent: visitors, or the messages themselves ("3000 emails", "2000 texts", 3000封邮件)
VISITOR_WORDS = (r"(?:visitors?|visits?|users?|sessions?|people|views?|recipients?|participants?|impressions?|sends?|shoppers?|customers?"
                 r"|e-?mails?|mails?|texts?|messages?|sms(?:es)?|pushes|push notifications?|notifications?|deliveries"
                 r"|sample size|n(?=\s*=)|访客|用户|人|次访问|访问|曝光|样本(?:量|数)?|封(?:邮件)?|条(?:短信|推送|消息)?|次推送)")
CONVERSION_WORDS = r"(?:conversions?|converted|convert|signups?|sign-ups?|purchases?|orders?|sales|clicks?|buyers?|转化|成交|下单|购买|点击|付费)"
PAIR_FRACTION = re.compile(rf"(\d+)\s*(?:(?:{CONVERSION_WORDS}|{VISITOR_WORDS})\s+)?(?:/|out of|of)\s*(\d+)", re.I)  # "95 orders out of 3000"
RATE = re.compile(r"(\d+(?:\.\d+)?)\s*%")
EACH = re.compile(rf"(\d+)\s*(?:{VISITOR_WORDS})?\s*(?:(?:went out|were sent|sent|shown|delivered|went|got sent)\s+)?(?:each|per (?:variant|group|arm|version)|apiece|in each|for each|每组|各)|(?:each|every variant|both)\s+(?:\w+\s+){{0,2}}?(\d+)|(?:各|每组|每个版本|每边|每个)[^\d，,。；;]{{0,6}}?(\d+)")


# Both sides' counts of one kind given together: "转化分别是300和350", "分别有300和350个转化", "3000 and 3100 visitors",
# "conversions of 95 and 120 (respectively)": the first number is the side named first
_PAIR_SEP = r"\s*(?:和|与|跟|、|,|，|and|vs\.?|versus|&)\s*"
_PAIR_AND = r"\s*(?:and|vs\.?|versus|&)\s*"  # without 分别 a comma is a list, not a pair ("sent to 3000, 95 orders")
PAIRED = [re.compile(p, re.I | re.A) for p in [
    rf"(?P<word>{VISITOR_WORDS}|{CONVERSION_WORDS})\s*(?:数|量|人数)?\s*(?:分别|各自|依次)(?:是|为|有)?\s*(?P<x>\d+){_PAIR_SEP}(?P<y>\d+)(?![\d.]*\s*%)",
    rf"(?:分别|各自|依次)(?:是|为|有)?\s*(?P<x>\d+)\s*(?:个|次|笔|单|名|位|人)?{_PAIR_SEP}(?P<y>\d+)\s*(?:个|次|笔|单|名|位)?\s*(?P<word>{VISITOR_WORDS}|{CONVERSION_WORDS})",
    rf"\b(?P<x>\d+){_PAIR_AND}(?P<y>\d+)\s+(?P<word>{VISITOR_WORDS}|{CONVERSION_WORDS})\b",
    rf"\b(?P<word>{VISITOR_WORDS}|{CONVERSION_WORDS})\s+(?:of|were|was|:)?\s*(?P<x>\d+){_PAIR_AND}(?P<y>\d+)\b(?![\d.]*\s*%)",
]]


def _paired_counts(text: str) -> dict[str, tuple[int, int]]:
    """{'visitors': (a, b), 'conversions': (a, b)} for the kinds whose two counts are given together."""
    found: dict[str, tuple[int, int]] = {}
    for pattern in PAIRED:
        for m in pattern.finditer(text):
            kind = "visitors" if re.fullmatch(VISITOR_WORDS, m.group("word"), re.I) else "conversions"
            found.setdefault(kind, (int(m.group("x")), int(m.group("y"))))
    return found


def _side_numbers(part: str) -> tuple[int | None, int | None, float | None, bool]:
    """(visitors, conversions, rate, guessed) of one side's stretch; guessed when bare numbers had to be taken by size."""
    visitors = conversions = None
    guessed = False
    m = re.search(rf"(\d+)\s*(?:个|名|位)?\s*{VISITOR_WORDS}", part, re.I)
    word_first = m is None  # "访客12000 转化360": each word before its number, so 转化 names 360, not 12000
    m = m or re.search(rf"{VISITOR_WORDS}\s*(?:数|量)?\s*(?:of|:|=|为|是)?\s*(\d+)", part, re.I)
    if m:
        visitors = int(m.group(1))
    word_first = word_first and m is not None
    # "385人转化" counts people who converted; "2500人下单125" is 2500 people and 125 orders
    before = re.search(rf"(\d+)\s*(?:(?:个|次|笔|单)?\s*{CONVERSION_WORDS}|(?:人|位|名)\s*{CONVERSION_WORDS}(?![\s了]*\d))", part, re.I)
    after = re.search(rf"{CONVERSION_WORDS}\s*(?:数|量)?\s*(?:of|:|=|为|是|了)?\s*(\d+)(?![\d.]*\s*%)", part, re.I)
    m = (after or before) if word_first else (before or after)
    if m:
        conversions = int(m.group(1))
    m = PAIR_FRACTION.search(part)
    if m and m.group(1) != m.group(2):  # "converted 210 people out of 7000": the fraction says which is which
        visitors = conversions = None
    if visitors is None or conversions is None:
        if m:
            a, b = int(m.group(1)), int(m.group(2))
            conversions, visitors = min(a, b), max(a, b)
    if visitors is None or conversions is None:
        nums = [int(n) for n in re.findall(r"(?<![\d.])(\d+)(?![\d.]*\s*%)", part)]
        if len(nums) >= 2:
            visitors, conversions, guessed = max(nums[:2]), min(nums[:2]), True
        elif len(nums) == 1 and visitors is None and conversions is None:
            conversions, guessed = nums[0], True  # "the old got 80" beside "3000 sends each": what it won
    rate = RATE.search(part)
    if rate and visitors and (conversions is None or guessed):  # "12000 visitors, 3% converted": the count from the rate
        conversions, guessed = round(visitors * float(rate.group(1)) / 100), False
    return visitors, conversions, float(rate.group(1)) / 100 if rate else None, guessed


def _counts_in_order(text: str, swap: bool) -> dict[str, int] | None:
    """'2000 visitors in control with 100 orders, 2100 visitors in the variant with 130 orders': exactly two
    visitor counts and two conversion counts, paired in order; the side named first owns the first pair."""
    visitors = [int(n) for n in re.findall(rf"(\d+)\s*(?:个|名|位)?\s*{VISITOR_WORDS}", text, re.I)]
    conversions = [int(n) for n in re.findall(rf"(\d+)\s*(?:个|次|笔|单)?\s*{CONVERSION_WORDS}", text, re.I)]
    if len(visitors) != 2 or len(conversions) != 2 or any(c > v for c, v in zip(conversions, visitors)):
        return None
    first, second = (1, 0) if swap else (0, 1)
    return {"visitors_a": visitors[first], "conversions_a": conversions[first],
            "visitors_b": visitors[second], "conversions_b": conversions[second]}


BARE_SIDE = {side: re.compile(rf"(?<![\w/']){side}(?![\w/'])", re.A) for side in "ab"}


def _b_named_first(text: str, labels: list[tuple[int, int, str]]) -> bool:
    """Whether B is named before A ("the variant got … while control got …", "B and A had …"): numbers given in order
    then belong to B first. Sides named as such decide; else the bare letters (an article 'a' only keeps A first,
    the default); B alone is first when named before any count."""
    named = {side: [start for start, _, s in labels if s == side] for side in "ab"}
    if not (named["a"] and named["b"]):
        for side in "ab":
            named[side] += [m.start() for m in BARE_SIDE[side].finditer(text)]
    first_b, first_a = min(named["b"], default=len(text)), min(named["a"], default=len(text))
    if not named["a"]:  # only B named: B first when named before any count ("the new page got 130 of 2100, the old 100 of 2000")
        digit = re.search(r"\d", text)
        return first_b < (digit.start() if digit else len(text))
    return first_b < first_a


CLAUSE_BREAK = re.compile(r"[;；。.!?？，]|\b(?:vs\.?|versus|while|whereas)\b|,\s*(?:and|but)\b|而", re.A)


def _side_of(m: re.Match, labels: list[tuple[int, int, str]], swap: bool) -> str:
    """The side a count belongs to: the nearest side's name within its clause (before or after it), else the order."""
    near = []
    for start, end, side in labels:
        lo, hi = (end, m.start()) if end <= m.start() else (m.end(), start)
        if not CLAUSE_BREAK.search(m.string, lo, hi):
            near.append((hi - lo, side))
    return min(near)[1] if near else ("b" if swap else "a")


def ab_numbers(text: str) -> dict[str, int] | None:
    """visitors/conversions of A and B from 'A had 5000 visitors and 250 conversions, B ...' or '5% vs 6% with 5000 each'."""
    labels = [(m.start(), m.end(), "a" if m.group("a") else "b") for m in AB_SPLIT.finditer(text)]
    sides: dict[str, str] = {}
    for i, (_, end_of_name, side) in enumerate(labels):
        end = labels[i + 1][0] if i + 1 < len(labels) else len(text)
        stretch = text[end_of_name:end]  # after the name: "group 2" must not lend its 2 to the numbers
        if side not in sides or not re.search(r"\d\d", sides[side]):  # "did the new page beat the old one? old page: ..."
            sides[side] = stretch
    each = EACH.search(text)
    shared = next((int(g) for g in each.groups() if g), None) if each else None
    paired = _paired_counts(text)
    swap = _b_named_first(text, labels)
    if len(paired) == 2:
        (va, vb), (ca, cb) = paired["visitors"], paired["conversions"]
        if swap:
            va, vb, ca, cb = vb, va, cb, ca
        if va >= ca and vb >= cb and va > 0 and vb > 0:
            return {"visitors_a": va, "conversions_a": ca, "visitors_b": vb, "conversions_b": cb}
    ordered = _counts_in_order(text, swap)
    if "a" in sides and "b" in sides:
        va, ca, ra, guessed_a = _side_numbers(sides["a"])
        vb, cb, rb, guessed_b = _side_numbers(sides["b"])
        if ordered and (guessed_a or guessed_b):
            # "3000 emails with the old subject got 95 orders, 3000 emails with the new one got 126": the counts come
            # before the names, so a side's stretch holds the other side's numbers; their words say what each is
            return ordered
        if "visitors" in paired:  # "A组11000人，B组10500人，转化分别是300和350": the pair overrides what each side's stretch held
            va, vb = paired["visitors"][::-1] if swap else paired["visitors"]
        if "conversions" in paired:
            ca, cb = paired["conversions"][::-1] if swap else paired["conversions"]
        if ra is not None and rb is not None and (shared or (va and vb)):
            va, vb = va or shared, vb or shared
            if ca is None or ca == va or (ca and ca > va):
                ca = round(va * ra)
            if cb is None or cb == vb or (cb and cb > vb):
                cb = round(vb * rb)
        if shared and (va is None or vb is None):
            va, vb = va or shared, vb or shared
        if None not in (va, ca, vb, cb) and va >= ca and vb >= cb and va > 0 and vb > 0:
            return {"visitors_a": va, "conversions_a": ca, "visitors_b": vb, "conversions_b": cb}
    if ordered:
        return ordered
    rates = [float(r) / 100 for r in RATE.findall(text)]
    if len(rates) >= 2 and shared:
        return {"visitors_a": shared, "conversions_a": round(shared * rates[0]),
                "visitors_b": shared, "conversions_b": round(shared * rates[1])}
    fractions = list(PAIR_FRACTION.finditer(text))[:2]
    if len(fractions) == 2:
        (c1, v1), (c2, v2) = [(min(int(m.group(1)), int(m.group(2))), max(int(m.group(1)), int(m.group(2)))) for m in fractions]
        if _side_of(fractions[0], labels, swap) == "b":  # "95 of 3000 for the new subject vs 80 of 3000 for the old"
            (c1, v1), (c2, v2) = (c2, v2), (c1, v1)
        return {"visitors_a": v1, "conversions_a": c1, "visitors_b": v2, "conversions_b": c2}
    return None
