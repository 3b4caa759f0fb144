"""A fifth, fresh held-out split for the offline planner: tests/data/router_heldout5.jsonl.

Written by an independent evaluator, to be measured once, at the end of the session in which it was written, after
the other engineers' changes to the planner are in. It must never be used for tuning: no question, phrasing or
expectation from it may go into prompts/router/, the lexicon, the glossary, the planner or any test the planner is
developed against; failures may be read only to report causes.

How it was written (independence rules followed): 128 items, 64 English and 64 Chinese: 112 single questions and 16
two-turn conversations (8 per language; 144 scored turns), over every intent of assistant.router.INTENTS including
what_changed, help and out_of_scope, with customer lookups as both support and marketer by id, email and name, and a
support agent asking for a list or an export (two per language, expected refused). Every question was written
before anything was run; the planner and the router were never run on them (the planner was not run at all while
the split was written). Not read: the training data (prompts/router/), the earlier held-out splits (beyond the first
two lines of router_heldout4.jsonl, read to copy the item keys), the shared eval set (../shared/evals/questions.jsonl),
the paraphrase file, the planner/router/glossary code (assistant/planner*.py, assistant/router.py,
assistant/glossary.py, assistant/planning_*.py), prompts/glossary*, or the planner and router tests' question lists.
Sources read: ../shared/PRODUCT.md (the tool contract) and ../shared/evals/README.md (the item format), the module
docstring of tests/test_router_heldout4.py (the expectation policy) and its code below the docstring (this module's
structure), tests/test_router.py's helpers, fixtures and score_split, assistant/evaluation.py (scoring),
assistant.router.INTENTS (the names only), tools/catalog.py, assistant/registry.py, tools/permissions.py, the tools'
signatures and first docstrings, the metric catalog (tools/semantic/metrics.json: metric and dimension names),
tools/rfm.py's segment names, tests/conftest.py (how the demo world is built) and tools/demo.py's docstring, and a
demo world generated into /tmp (seed 42, 5,000 customers) for the values: countries, channels, categories, products,
customers. Customer ids, names and emails come from that world: each is there exactly once (names
case-insensitively) and has at least three completed orders. A validation script (kept with the split's working
files, outside the repo) checked, without calling the planner or the router, that every item parses, every expected
tool is registered, every expected argument is in its tool's schema with the schema's type, metric and dimension
names are in the catalog, filter values exist in the demo world, the customers exist and are unique, and the
language balance. It also compared the questions (folded like `folded`) with the training file, the earlier splits,
the paraphrases and the eval set, printing only the ids of this split's colliding turns: four short questions
collided and were reworded before anything was run (h5-query_metrics-en-2, h5-out_of_scope-en-1, h5-kpi_trend-zh-1,
the second turn of h5-followup-zh-8), so COINCIDENT is empty. Chinese questions are written as Chinese users type
(no punctuation or a comma splice, English segment names inside Chinese: champions / hibernating / at_risk, rfm,
cohort, app推送; 一万五, 八千, 一万四千 / 五百二十, 三成, 八折 / 七五折, 满200减30, 包邮 with 运费按每单12块), not
translated from the English ones.

The form is varied on purpose: typos ("cusotmers", "forcast", "revnue", "recomendation"), lower case, fragments
("dataset summary pls", "c000798 last orders", "c000185 查一下"), long context before the ask (a Q1 reactivation
campaign to size first; a caller complaining), negations ("haven't placed an order in 120 days", "leave store orders
out of it", "don't mention any discount", "除了食品", "别提优惠", "没下过单"), numbers in words or shorthand ("three
thousand", "a dozen", "a quarter of them", "2.5k", 一万五, 八千, 三成), relative windows ("since september", "last
quarter", "this year", "the last 12 months", "next 90 days", 未来60天, 接下来120天, 上次快照以来), comparisons (men vs
women, web vs app vs store, old vs new landing page) and top-N. A two-turn item asks a question and then changes one
thing ("same thing for the netherlands", "ok write them an sms to win them back", "can you do the chinese version",
"and with a flat $8 discount instead of the percentage", "break that down by country", a recommendation for the
customer just looked up, "can i get that as a csv", "now show orders instead of revenue", 只看app渠道的, 给这些人打七五折,
改成短信, 换成按渠道看, 再帮我查下 <name> (support), 只看高价值的, 按季度的呢, 这批人导出一下); the second turn's
expectation carries what the first turn set and the change.

Expectations (the policy of splits 3 and 4): a turn carries what a correct answer needs and nothing the tool does by
default: an email draft need not say channel=email, an English draft need not say language=en, a retention draft
need not say goal=retention, the churn model card need not say model=churn, a month period, a revenue metric, a
365-day clv horizon or segment_summary's by=segment need not be said; a Chinese draft (or an English question asking
for the Chinese version) needs language=zh; a stated goal is expected (win-back / 召回 winback, welcome / 欢迎
welcome, loyalty / 忠诚度 loyalty, upsell, announcing / 通知 ... 上线 announcement). "Lapsed" / "already lost" / "已流失"
/ "已经流失" are churn_risk=lapsed; "likely to churn soon" / "at high risk of churning" / "high churn risk" / "快流失"
/ "流失风险高" churn_risk=high; "VIP" / "high value" / "high tier" / "高价值" tier=high, "mid tier" / "中等价值"
tier=mid; "new customers" / "新客户", "champions", "hibernating", "at_risk", "cannot lose" are RFM segments. "More
than X" / "超过X" spent is min_total_spend=X with min_total_spend_exclusive=true, "at least X" / "满X" is
min_total_spend=X alone; "at least a dozen orders" min_orders=12, "5次及以上" min_orders=5; "clv over 800"
min_clv=800; "churn probability above 0.7" / "大于80%" min_churn_probability 0.7 / 0.8; "in 120 days or more" /
"90天以上没下过单" / "150天没下单" / "not in the last 100 days" min_days_since_last_order. Countries are the data's
names (UK / 英国 -> United Kingdom, US -> United States), categories the data's (美妆 -> Beauty, 运动用品 -> Sports,
Home stuff -> Home). Offers: "20% off" / 八折 / 七五折 are offer_percent 20 / 20 / 25, "$15 off" / "a flat $8
discount" / 满200减30 offer_cost 15 / 8 / 30, free shipping / 包邮 free_shipping=true with the stated shipping cost as
shipping_cost; "a quarter of them stay" / "15% of them return" / 三成能挽回 / 25%的挽回率 save_rate 0.25 / 0.15 / 0.3 /
0.25, "between 10 and 20 percent" save_rate_low 0.1 and save_rate_high 0.2; "send it by sms" message_channel=sms. A
stated top-N is the limit (or k); a stated horizon in days is horizon_days. In an A/B question the control (or the
old version, or the one named first) is A. help expects no tool call (no_tool: every registered tool);
out_of_scope expects no tool call and an answer; a support agent asking for a list or an export expects a refusal
(denied). Not scored, by design: time windows (since/until have several valid spellings) and compare, sort strings
and sort_by, free-text offer and tone, margin, what_changed's since, and query_metrics' filter / audience conditions
(an exclusion has several valid spellings), so the query_metrics items score the metric list, the dimension list and
a stated limit.

First measurement, 2026-12-03, on commit 8fa51ba (the tree of 8fa51ba with only this split's files and the CI
summary line added), after the session's planner work on split 4's causes and on the shop judges: 88.2% of the turns
(en 86.1%, zh 90.3%). English misses 90%. Failed turns at the first measurement, for the record only (not to tune on):
h5-segment_summary-en-1, h5-kpi_trend-en-2, h5-recommend_products-en-3, h5-campaign_forecast-en-1/-2/-3,
h5-explain_model-en-3, h5-followup-en-1/-6/-8, h5-find_customers-zh-1, h5-segment_summary-zh-1, h5-query_metrics-zh-3,
h5-recommend_products-zh-2/-3, h5-campaign_forecast-zh-3, h5-export_audience-zh-2 (`pytest -s` prints each turn's
calls). Floors are these figures rounded down to 5% (85/85/90).

No question or expectation has been changed since the split was written (the four rewordings above came before any
run).
"""

import re
from collections import Counter
from pathlib import Path

from assistant import router
from assistant.evaluation import load_items, turns_of
from tests.test_router import assistant, chinese, folded, intents_of, score_split  # noqa: F401 (a fixture)

HELDOUT_5 = Path(__file__).parent / "data" / "router_heldout5.jsonl"
EARLIER = [Path(__file__).parent / "data" / name
           for name in ("router_heldout.jsonl", "router_heldout2.jsonl", "router_heldout3.jsonl",
                        "router_heldout4.jsonl")]
QUESTIONS = Path(__file__).parents[1].parent / "shared" / "evals" / "questions.jsonl"
PARAPHRASES = Path(__file__).parent / "data" / "paraphrases.jsonl"
# the first measurement (88.2%, en 86.1%, zh 90.3%) rounded down to 5%
FLOORS = {"held_out_5": 0.85, "held_out_5_en": 0.85, "held_out_5_zh": 0.90}
# Questions that also occur, word for word, in the training file or an earlier split (none when written)
COINCIDENT: set[str] = set()


def test_the_fifth_split_covers_every_intent_in_both_languages_with_follow_ups_and_both_roles():
    items = load_items(HELDOUT_5)
    assert len({item["id"] for item in items}) == len(items)
    assert all(item["id"].startswith("h5-") for item in items)
    assert all(item["lang"] == ("zh" if any(chinese(t["q"]) for t in turns_of(item)) else "en") for item in items)
    by_language = Counter(item["lang"] for item in items)
    assert len(items) >= 120 and by_language["en"] >= 60 and by_language["zh"] >= 60
    for language in ("en", "zh"):
        covered = {i for item in items if item["lang"] == language for i in intents_of(item)}
        assert covered == set(router.INTENTS), set(router.INTENTS) ^ covered
    conversations = [item for item in items if "turns" in item]
    assert all(len(item["turns"]) == 2 and all("q" in t and "expect" in t for t in item["turns"])
               for item in conversations)
    assert min(Counter(item["lang"] for item in conversations)[lang] for lang in ("en", "zh")) >= 8
    assert {item["role"] for item in items if "customer_lookup" in intents_of(item)} == {"support", "marketer"}
    lookups = [t["expect"]["args"]["query"] for item in items for t in (item.get("turns") or [item])
               if t["intent"] == "customer_lookup"]
    assert any("@" in q for q in lookups) and any(re.fullmatch(r"C\d{6}", q) for q in lookups) \
        and any(" " in q for q in lookups)
    refusals = [item for item in items for t in (item.get("turns") or [item]) if t["expect"].get("denied")]
    assert refusals and all(item["role"] == "support" for item in refusals)
    assert {item["lang"] for item in refusals} == {"en", "zh"}


def test_no_question_is_copied_from_the_training_file_the_earlier_splits_the_paraphrases_or_the_eval_set():
    items = load_items(HELDOUT_5)
    assert COINCIDENT <= {item["id"] for item in items}
    ours = {folded(t["q"]) for item in items if item["id"] not in COINCIDENT for t in turns_of(item)}
    assert not ours & {folded(e.q) for e in router.load_examples()}
    for path in EARLIER + [PARAPHRASES]:
        assert not ours & {folded(t["q"]) for item in load_items(path) for t in turns_of(item)}, path.name
    if QUESTIONS.exists():
        assert not ours & {folded(t["q"]) for item in load_items(QUESTIONS) for t in turns_of(item)}


def test_the_planner_answers_the_fifth_held_out_split_in_both_languages(assistant, router_figures):
    accuracy, by_language, failures = score_split(assistant, HELDOUT_5)
    router_figures.update(held_out_5=accuracy, held_out_5_en=by_language["en"], held_out_5_zh=by_language["zh"])
    for failure in failures:  # shown with -s: the failed turns and the calls made for them
        print("held-out-5 failed:", failure)
    assert accuracy >= FLOORS["held_out_5"], failures
    assert by_language["en"] >= FLOORS["held_out_5_en"] and by_language["zh"] >= FLOORS["held_out_5_zh"], \
        (by_language, failures)
