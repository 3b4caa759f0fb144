"""Pieces of understanding the offline planner composes, each tested as a general mechanism in both languages: numbers
written in Chinese inside A/B prose, counts given together ("respectively", 分别), churn-state words, bounds written after
their number, list requests after long context, cohort questions without the word cohort, follow-ups that change one
number or the kind of offer, stated counts, and typos of the glossary's words.

Every question here is written for these tests; none comes from an eval file or a held-out split.
"""

from datetime import date

import pytest

from assistant.conversation import ConversationState
from assistant.language import numbers_to_digits
from assistant.planner import PlannedCall
from tests.test_planner import VOCAB, after, only_call, plan


@pytest.fixture(scope="module")
def planner():
    from assistant.planner import OfflinePlanner

    return OfflinePlanner()


def chain(planner, *questions, role="marketer"):
    """The calls of a conversation, one per turn (every turn must plan exactly one call)."""
    state, calls = ConversationState(), []
    for question in questions:
        p = plan(planner, question, state, role=role)
        calls.append(only_call(p))
        state = after(state, p)
        if calls[-1].name == "customer_lookup":  # what executor.remember_result keeps from a lookup's result
            state.customer_id = calls[-1].args["query"]
    return calls


# ------------------------------------------------------------------ numbers in Chinese words
@pytest.mark.parametrize("text, digits", [
    ("B组一万一千人", "B组11000人"),         # 万一 inside a number is no "in case"
    ("一万一千五百个访客", "11500个访客"),
    ("预算三千万", "预算30000000"),          # 千万 inside a number is no "by all means"
    ("8千2百个访客", "8200个访客"),          # digits with several units
    ("1万2千5百人", "12500人"),
    ("万一他们不回来呢", "万一他们不回来呢"),  # the idiom on its own stays a word
    ("先看一下", "先看一下"),
])
def test_a_chinese_numeral_holding_an_idiom_inside_is_still_a_number(text, digits):
    assert numbers_to_digits(text) == digits


# ------------------------------------------------------------------ A/B counts in prose
@pytest.mark.parametrize("question, counts", [
    # each number named by its word, wherever the sides' names fall; messages sent are what each side saw
    ("we mailed 2500 people the plain subject and got 70 orders, and 2500 people the emoji subject, which "
     "came with the new design, got 101 orders", (2500, 70, 2500, 101)),
    ("the push test: 6000 notifications for A led to 150 purchases, 6000 notifications for B led to 190 purchases",
     (6000, 150, 6000, 190)),
    # both counts of one kind together
    ("A and B saw 4200 and 4300 visitors, and converted 160 and 210 of them respectively", (4200, 160, 4300, 210)),
    ("the control and the challenger had 900 and 950 sign-ups out of 9000 and 9100 sessions", (9000, 900, 9100, 950)),
    ("两组的样本分别是六千和六千二，转化分别是一百八和二百三", (6000, 180, 6200, 230)),
    ("A组一万一千人、B组一万零八百人，下单分别为三百和三百六十", (11000, 300, 10800, 360)),
    ("老版本发了四千封邮件带来一百单，新版本发了四千封带来一百四十单", (4000, 100, 4000, 140)),
    # a side named by its age alone, counts before or after the names, a conversion count read from a rate
    ("the redesigned page converted 210 people out of 7000 while the old one converted 180 out of 7000", (7000, 180, 7000, 210)),
    ("44 sales out of 1500 sends for the short copy vs 61 sales out of 1500 sends for the new copy", (1500, 44, 1500, 61)),
    ("2500 emails went out per variant; the new got 81 orders and the old got 64", (2500, 64, 2500, 81)),
    ("版本A九千人访问，转化率4%；版本B九千五百人访问，420人转化", (9000, 360, 9500, 420)),
    ("方案B两千人，下单七十；方案A两千人，下单五十", (2000, 50, 2000, 70)),
    # each count after its word, the words run together without punctuation
    ("A组曝光两万 点击六百 B组曝光两万一千 点击七百 差别显著吗", (20000, 600, 21000, 700)),
])
def test_ab_counts_written_as_prose_reach_the_test(planner, question, counts):
    call = only_call(plan(planner, question))
    assert call.name == "ab_test"
    assert (call.args["visitors_a"], call.args["conversions_a"], call.args["visitors_b"], call.args["conversions_b"]) == counts


def test_b_named_first_owns_the_first_counts(planner):
    call = only_call(plan(planner, "B and A reached 5100 and 5000 users, with 140 and 120 conversions"))
    assert (call.args["visitors_a"], call.args["conversions_a"], call.args["visitors_b"], call.args["conversions_b"]) == (5000, 120, 5100, 140)


def test_the_figures_of_two_variants_make_an_ab_test_whatever_words_surround_them(planner):
    # a message channel and order words would otherwise suggest a draft or a trend
    for question in ("our sms went out twice: the old text got 52 orders out of 2600, the new text 75 orders out of 2600",
                     "推送测试：旧文案三千次推送带来九十单，新文案三千次推送带来一百二十单，新文案好吗"):
        assert only_call(plan(planner, question)).name == "ab_test"


# ------------------------------------------------------------------ churn state words
@pytest.mark.parametrize("question, audience", [
    # gone: the lapsed band, whatever else describes the customers and wherever the state word stands
    ("流失的中等价值客户有多少人", {"tier": "mid", "churn_risk": "lapsed"}),
    ("看看流失掉的法国买家", {"country": "France", "churn_risk": "lapsed"}),
    ("我们丢了哪些加拿大的客户", {"country": "Canada", "churn_risk": "lapsed"}),
    ("which of our high value shoppers did we lose", {"tier": "high", "churn_risk": "lapsed"}),
    ("show me the Dutch customers who no longer order from us", {"country": "Netherlands", "churn_risk": "lapsed"}),
    ("who doesn't buy from us anymore", {"churn_risk": "lapsed"}),
    # drifting, not gone: the high band
    ("比较容易流失的VIP有哪些", {"tier": "high", "churn_risk": "high"}),
    ("快流失的中等价值客户", {"tier": "mid", "churn_risk": "high"}),
])
def test_a_churn_state_word_sets_the_risk_band_beside_the_other_filters(planner, question, audience):
    call = only_call(plan(planner, question))
    assert call.name == "find_customers"
    assert {k: call.args.get(k) for k in audience} == audience


@pytest.mark.parametrize("question", ["流失的原因是什么", "我们不想失去的客户是哪些", "customers who left a review"])
def test_words_near_churn_that_name_no_gone_customers_set_no_lapsed_band(planner, question):
    p = plan(planner, question)
    assert all(c.args.get("churn_risk") != "lapsed" for c in p.calls)


# ------------------------------------------------------------------ bounds after their number
@pytest.mark.parametrize("question, bound", [
    ("web customers with a clv of 1800 or more", ("min_clv", 1800)),
    ("list shoppers whose ltv is 900+", ("min_clv", 900)),
    ("customers with predicted value 300 or less", ("max_clv", 300)),
    ("门店渠道clv 1200以上的客户", ("min_clv", 1200)),
    ("生命周期价值在800及以上的客户有哪些", ("min_clv", 800)),
    ("clv 500以下的客户名单", ("max_clv", 500)),
])
def test_a_value_bound_written_after_its_number_is_a_filter_not_a_year_or_a_metric(planner, question, bound):
    call = only_call(plan(planner, question))
    assert call.name == "find_customers" and call.args.get(bound[0]) == bound[1]
    assert "since" not in call.args  # 2000-ish numbers are no year here


# ------------------------------------------------------------------ list requests
@pytest.mark.parametrize("question, audience", [
    # kinds of customers named in a request to see them: the list, its filters carrying the kind
    ("who are our returning buyers in Spain", {"min_orders": 2, "country": "Spain"}),
    ("show me the repeat customers who shop on the app", {"min_orders": 2, "channel": "app"}),
    ("给我看看意大利的老顾客", {"min_orders": 2, "country": "Italy"}),
    ("列一下老客里面半年没下过单的", {"min_orders": 2, "min_days_since_last_order": 180}),
    ("有哪些荷兰的新客户", {"segment": "new_customers", "country": "Netherlands"}),
    ("买过6次以上的老顾客 列一下", {"min_orders": 6}),
])
def test_a_request_to_see_kinds_of_customers_is_a_list(planner, question, audience):
    call = only_call(plan(planner, question))
    assert call.name == "find_customers"
    assert {k: call.args.get(k) for k in audience} == audience


@pytest.mark.parametrize("question", ["how many returning customers did we have each month", "各国老客有多少",
                                      "每个月的新客户数"])
def test_counting_kinds_of_customers_over_time_or_by_group_stays_a_number(planner, question):
    assert only_call(plan(planner, question)).name != "find_customers"


@pytest.mark.parametrize("question, audience", [
    # context words (a horizon, a topic, a sale) before the request never route it to another tool
    ("the board meets next month to talk about retention and growth; for now just show me who in France has spent "
     "more than 600", {"country": "France", "min_total_spend": 600}),
    ("we're launching a summer sale next week and finance wants a forecast later. first, list the customers with "
     "at least 6 orders", {"min_orders": 6}),
    ("下个月要复盘复购率和留存，先把消费满800的英国客户列一下", {"country": "United Kingdom", "min_total_spend": 800}),
    ("老板下周要看营收预测，你先给我看看clv 1500以上的门店客户", {"min_clv": 1500, "channel": "store"}),
])
def test_a_list_asked_for_after_context_is_routed_by_its_own_clause(planner, question, audience):
    call = only_call(plan(planner, question))
    assert call.name == "find_customers"
    assert {k: call.args.get(k) for k in audience} == audience


def test_a_request_that_points_back_into_its_context_keeps_the_context(planner):
    call = only_call(plan(planner, "we are worried about the VIPs in Germany. list the ones who have not ordered in 60 days"))
    assert call.name == "find_customers"
    assert (call.args.get("tier"), call.args.get("country"), call.args.get("min_days_since_last_order")) == ("high", "Germany", 60)


def test_context_that_asks_for_something_itself_is_no_background(planner):
    # the draft is the request; the list words only say who gets it
    assert only_call(plan(planner, "write an sms for the lapsed vips, then show me who will get it")).name == "draft_campaign"


# ------------------------------------------------------------------ cohorts without the word
@pytest.mark.parametrize("question", [
    "among people whose first order came in february, how many ordered again afterwards",
    "are the shoppers we picked up in the autumn still buying?",
    "what share of first-time customers from the summer sale came back for a second purchase",
    "按首单月份看，新顾客后面几个月还有多少在消费",
    "去年十月第一次买的客户，后来有多少人又买了",
    "每个季度进来的新用户留下来了多少",
])
def test_first_buyers_followed_to_see_who_came_back_is_a_cohort_table(planner, question):
    assert only_call(plan(planner, question)).name == "cohort_retention"


@pytest.mark.parametrize("question", ["how many new customers did we gain per month in 2025", "每个月新增多少新客户",
                                      "new customer count by quarter"])
def test_counting_new_customers_over_time_is_still_a_trend(planner, question):
    call = only_call(plan(planner, question))
    assert call.name in ("kpi_trend", "query_metrics") and "new_customers" in str(call.args)


@pytest.mark.parametrize("question", [
    "for buyers we onboarded each quarter, do they keep spending in the following quarters?",
    "每个月进来的新顾客，过几个月还有多少人在下单",
])
def test_what_first_buyers_do_in_the_periods_after_is_a_cohort_table(planner, question):
    assert only_call(plan(planner, question)).name == "cohort_retention"


def test_a_who_question_after_context_is_a_list(planner):
    call = only_call(plan(planner, "Marketing wants to call our best shoppers next month. Who has spent over 900 on the app?"))
    assert call.name == "find_customers" and call.args.get("min_total_spend") == 900 and call.args.get("channel") == "app"


# ------------------------------------------------------------------ follow-ups that change one number or the offer
def test_an_english_forecast_chain_changes_the_discount_then_the_save_rate_then_the_offer_kind(planner):
    first, second, third = chain(planner,
                                 "would 12% off for the at risk segment pay back if a quarter of them return?",
                                 "what about 18% instead",
                                 "and a flat $6 off?")
    assert first.name == second.name == third.name == "campaign_forecast"
    assert (first.args["offer_percent"], second.args["offer_percent"]) == (12, 18)
    assert second.args.get("segment") == "at_risk" and second.args.get("save_rate") == first.args.get("save_rate")
    assert third.args.get("offer_cost") == 6 and "offer_percent" not in third.args  # one offer at a time


def test_a_chinese_forecast_chain_replaces_the_offer_and_then_the_save_rate(planner):
    first, second, third = chain(planner, "给中等价值客户打八五折，挽回率按15%算，能回本吗", "那改成每人减15元呢", "挽回率调到25%")
    assert first.args["offer_percent"] == 15 and first.args["tier"] == "mid"
    assert second.args.get("offer_cost") == 15 and "offer_percent" not in second.args and second.args["tier"] == "mid"
    assert third.args.get("save_rate") == 0.25 and third.args.get("offer_cost") == 15


def test_a_bare_percentage_changes_the_save_rate_when_the_forecast_had_no_discount(planner):
    _, second = chain(planner, "if 10% of lapsed customers come back after an email, what's the return", "what if it's 15%")
    assert second.name == "campaign_forecast" and second.args.get("save_rate") == 0.15 and "offer_percent" not in second.args


def test_a_recommendation_chain_keeps_its_subject_while_the_count_changes(planner):
    first, second, third = chain(planner, "what should we suggest to the potential loyalists", "give me 12", "just 4 then")
    assert first.name == second.name == third.name == "recommend_products"
    assert [c.args.get("k") for c in (first, second, third)] == [None, 12, 4]
    assert third.args.get("segment") == "potential_loyalist"


def test_a_chinese_recommendation_chain_keeps_the_customer_while_the_count_changes(planner):
    first, second, third = chain(planner, "C000321适合买点什么", "推荐6个", "再多一点，要9款")
    assert [c.name for c in (first, second, third)] == ["recommend_products"] * 3
    assert [c.args.get("k") for c in (second, third)] == [6, 9]
    assert third.args.get("customer_id") == "C000321"


def test_a_short_count_after_a_list_is_its_length(planner):
    first, second = chain(planner, "德国的高价值客户", "只要前5个")
    assert second.name == "find_customers" and second.args.get("limit") == 5 and second.args.get("country") == "Germany"


@pytest.mark.parametrize("question, k", [
    ("recommend 7 products for new customers", 7),
    ("what can we sell to champions? give me 5", 5),
    ("给忠诚客户推荐商品，给我8个", 8),
    ("给冠军客户挑几样东西，要6款", 6),
])
def test_a_stated_count_of_recommendations_is_carried(planner, question, k):
    call = only_call(plan(planner, question))
    assert call.name == "recommend_products" and call.args.get("k") == k


# ------------------------------------------------------------------ typos
@pytest.mark.parametrize("question, metric", [
    # a pinyin input method's same-sound candidate in one character of a glossary term
    ("每周的客蛋价走势", "aov"),
    ("按季度看复构率", "repeat_rate"),
    ("最近三个月销手额的趋势", "revenue"),
    ("每个月的定单量", "orders"),
])
def test_a_chinese_term_typed_with_a_same_sound_character_is_read_as_the_term(planner, question, metric):
    call = only_call(plan(planner, question))
    assert metric in str(call.args)


def test_same_sound_typos_of_churn_and_tier_words_reach_the_filters(planner):
    assert only_call(plan(planner, "流逝风险高的客户有哪些")).args.get("churn_risk") == "high"
    assert only_call(plan(planner, "高价置客户有哪些")).args.get("tier") == "high"


def test_real_words_that_sound_like_a_term_stay_as_written(planner):
    from assistant.planner import chinese_speller

    speller = chinese_speller()
    for text in ("已流失的客户", "帮我写个爬虫", "冬天进来的客户", "今天股市怎么样", "这个季度的收入"):
        assert speller.fix(text) == text


def test_more_then_is_read_as_more_than(planner):
    call = only_call(plan(planner, "customers in germany with more then 5 orders"))
    assert call.name == "find_customers" and call.args.get("min_orders") == 6 and call.args.get("country") == "Germany"


# ------------------------------------------------------------------ time windows beside product names
def test_a_time_window_is_never_read_as_a_product_named_with_the_same_words(planner):
    shop = {**VOCAB, "products": ["The Last Orchard", "Morning Light Candle", "Yoga Mat"]}
    call = only_call(planner.plan("weekly orders for the last 3 months", ConversationState(), shop, role="marketer"))
    assert "product" not in str(call.args) and call.args.get("period", call.args.get("grain")) == "week"
    call = only_call(planner.plan("units of the last orchard sold this year", ConversationState(), shop, role="marketer"))
    assert call.args.get("filters") == {"product": "The Last Orchard"}


def test_a_negation_after_the_buying_is_a_quiet_spell(planner):
    call = only_call(plan(planner, "which shoppers from Canada bought more than 3 times but not in the last 4 months"))
    assert (call.name, call.args.get("min_orders"), call.args.get("min_days_since_last_order")) == ("find_customers", 4, 120)


# ------------------------------------------------------------------ more follow-ups and readings
def test_period_over_period_across_a_longer_window_is_a_series_of_periods(planner):
    call = only_call(plan(planner, "how did the average order value move week over week this quarter"))
    assert call.args.get("period", call.args.get("grain")) == "week"
    call = only_call(plan(planner, "revenue this month, month over month"))
    assert call.args.get("compare") == "previous_period"  # one period against the one before


def test_a_sports_word_beside_ab_figures_is_no_out_of_scope_question(planner):
    call = only_call(plan(planner, "two banners, 7000 visitors each, click-through 1.8% vs 2.3% - who won?"))
    assert call.name == "ab_test" and call.args["visitors_a"] == 7000


@pytest.mark.parametrize("role", ["support", "marketer"])
def test_asking_about_them_after_a_lookup_stays_with_that_customer(planner, role):
    first, second, third = chain(planner, "look up C000777", "what did they order most recently", "他们的流失风险高吗",
                                 role=role)
    assert [c.name for c in (first, second, third)] == ["customer_lookup"] * 3
    assert second.args == third.args == {"query": "C000777"}


def test_a_save_rate_follow_up_after_a_forecast_is_that_forecast_again(planner):
    _, second, third = chain(planner, "would 10% off for hibernating customers pay off",
                             "and if 35% of them come back?", "那挽回率一成呢")
    assert second.name == third.name == "campaign_forecast"
    assert (second.args.get("save_rate"), second.args.get("offer_percent"), second.args.get("segment")) == (0.35, 10, "hibernating")
    assert third.args.get("save_rate") == 0.1


# ------------------------------------------------------------------ lists of values and ranges
@pytest.mark.parametrize("question, values", [
    ("high value customers not in Germany or France", ["Germany", "France"]),
    ("除了美国和加拿大以外的客户营收", ["United States", "Canada"]),
])
def test_a_negation_reaches_every_value_listed_after_it(planner, question, values):
    call = only_call(plan(planner, question))
    conds = [c for c in call.args.get("audience", []) if isinstance(c, dict) and c.get("field") == "country"]
    assert conds == [{"field": "country", "op": "not_in", "value": values}]


@pytest.mark.parametrize("question, bounds", [
    ("customers with between 3 and 6 orders in Italy", (3, 6)),
    ("who has 2-4 purchases", (2, 4)),
    ("下单次数在5到10次之间的客户", (5, 10)),
])
def test_a_range_of_orders_sets_both_bounds(planner, question, bounds):
    call = only_call(plan(planner, question))
    assert call.name == "find_customers" and (call.args.get("min_orders"), call.args.get("max_orders")) == bounds


def test_a_range_of_spend_a_list_cannot_hold_is_counted_with_both_bounds(planner):
    call = only_call(plan(planner, "消费1000到3000元的客户有多少"))
    assert call.name == "query_metrics"
    assert [(c["op"], c["value"]) for c in call.args["audience"] if c["field"] == "total_spend"] == [(">=", 1000), ("<=", 3000)]


@pytest.mark.parametrize("question", ["忠诚客户的平均下单间隔", "average basket size of lapsed shoppers in Spain",
                                      "没买过图书但买过玩具的客户有多少"])
def test_a_question_a_list_cannot_answer_never_offers_a_list(planner, question):
    p = plan(planner, question)
    assert all(choice["intent"] != "find_customers" for choice in (p.choices or []))
    assert p.calls == [] or p.calls[0].name == "query_metrics"


# ------------------------------------------------------------------ Chinese question forms
def test_an_a_not_a_question_negates_nothing(planner):
    call = only_call(plan(planner, "有没有荷兰的客户已经一年多没下过单了"))
    assert "Netherlands" in str(call.args) and "!=" not in str(call.args) and "not_in" not in str(call.args)


def test_up_or_down_asked_in_chinese_is_a_trend(planner):
    call = only_call(plan(planner, "最近几个月客单价是涨了还是跌了"))
    assert call.name == "kpi_trend" and call.args.get("metric") == "aov"


def test_a_chinese_ab_test_with_sides_named_by_age_and_a_shared_size(planner):
    call = only_call(plan(planner, "两版详情页，老的8千访客成交240，新的8千2百访客成交300，新的好吗"))
    assert (call.args["visitors_a"], call.args["conversions_a"], call.args["visitors_b"], call.args["conversions_b"]) == (8000, 240, 8200, 300)
    call = only_call(plan(planner, "方案一转化率2%，方案二2.6%，各发了一万五条，有显著差异吗"))
    assert (call.args["visitors_a"], call.args["conversions_a"], call.args["visitors_b"], call.args["conversions_b"]) == (15000, 300, 15000, 390)


def test_will_they_buy_again_after_their_first_month_is_a_cohort_question(planner):
    assert only_call(plan(planner, "首单后的第三个月新顾客还会回来买吗")).name == "cohort_retention"


# ------------------------------------------------------------------ support calls, quiet since a day, sample sizes
def test_a_caller_named_in_lower_case_on_the_line_is_looked_up(planner):
    call = only_call(plan(planner, "hi, i have megan moore on the line - is she likely to churn?", role="support"))
    assert call == PlannedCall("customer_lookup", {"query": "Megan Moore"})


@pytest.mark.parametrize("question, days", [
    ("who hasn't ordered since october", (date(2025, 12, 31) - date(2025, 10, 1)).days),
    ("customers in France with no purchases since 2025-06-30", (date(2025, 12, 31) - date(2025, 6, 30)).days),
    ("十一月以后就没再下过单的客户", (date(2025, 12, 31) - date(2025, 11, 1)).days),
])
def test_not_buying_since_a_day_is_a_quiet_spell_up_to_the_as_of_date(planner, question, days):
    call = only_call(plan(planner, question))
    assert call.name == "find_customers" and call.args.get("min_days_since_last_order") == days


def test_sample_sizes_written_n_equals_are_the_visitors(planner):
    call = only_call(plan(planner, "control 3.1% (n=6400) vs test 3.9% (n=6300), significant?"))
    assert (call.args["visitors_a"], call.args["conversions_a"], call.args["visitors_b"], call.args["conversions_b"]) == (6400, 198, 6300, 246)


# ------------------------------------------------------------------ switching a breakdown's grouping
@pytest.mark.parametrize("first, second, tool, by", [
    ("refund rate by category", "country instead", "query_metrics", ["country"]),
    ("各渠道的营收", "换成品类", "query_metrics", ["category"]),
    ("revenue per customer by tier", "渠道呢", "query_metrics", ["channel"]),
    ("break customers down by segment", "switch to personas", "segment_summary", "persona"),
    ("按国家看客户分布", "改成按价值分层", "segment_summary", "tier"),
])
def test_a_short_switch_to_another_dimension_regroups_the_last_breakdown(planner, first, second, tool, by):
    calls = chain(planner, first, second)
    assert calls[1].name == tool and calls[1].args["by"] == by
    assert {k: v for k, v in calls[1].args.items() if k != "by"} == {k: v for k, v in calls[0].args.items() if k != "by"}


def test_a_grouping_phrase_holding_its_own_which_groups(planner):
    call = only_call(plan(planner, "which day of the week brings the most revenue"))
    assert call.name == "query_metrics" and call.args.get("by") == ["weekday"]


def test_top_picks_for_a_segment_are_recommendations(planner):
    assert only_call(plan(planner, "our best picks for new customers")).name == "recommend_products"


@pytest.mark.parametrize("question, limit", [("法国花钱最多的客户，给我6个", 6), ("列12个快流失的VIP", 12)])
def test_a_count_after_a_chinese_list_verb_is_the_lists_length(planner, question, limit):
    call = only_call(plan(planner, question))
    assert call.name == "find_customers" and call.args.get("limit") == limit


def test_top_n_after_recommendations_is_their_count_not_a_new_list(planner):
    _, second = chain(planner, "what would C000901 like next", "top 4 only")
    assert second == PlannedCall("recommend_products", {"customer_id": "C000901", "k": 4})


# ------------------------------------------------------------------ left-out tiers and bare phrases naming customers
@pytest.mark.parametrize("question, country", [
    ("shoppers from Italy who are not low or mid tier", "Italy"),
    ("不是低价值也不是中等价值的荷兰客户", "Netherlands"),
])
def test_leaving_out_two_tiers_leaves_the_third(planner, question, country):
    call = only_call(plan(planner, question))
    assert call.name == "find_customers" and (call.args.get("tier"), call.args.get("country")) == ("high", country)


def test_leaving_out_one_tier_is_counted_over_the_other_two(planner):
    call = only_call(plan(planner, "除了低价值客户以外的法国客户"))
    assert call.name == "query_metrics"
    assert {"field": "tier", "op": "not_in", "value": ["low"]} in call.args["audience"]
    assert {"field": "country", "op": "=", "value": "France"} in call.args["audience"]


@pytest.mark.parametrize("question, audience", [
    ("mid value customers", {"tier": "mid"}),
    ("lapsed customers in the Netherlands", {"churn_risk": "lapsed", "country": "Netherlands"}),
    ("两个季度没复购的老顾客", {"min_orders": 2, "min_days_since_last_order": 180}),
])
def test_a_bare_phrase_naming_customers_is_their_list(planner, question, audience):
    call = only_call(plan(planner, question))
    assert call.name == "find_customers" and {k: call.args.get(k) for k in audience} == audience
