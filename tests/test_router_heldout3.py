"""A third, fresh held-out split for the offline planner: tests/data/router_heldout3.jsonl (issue 11).

Written by an independent evaluator and measured once, before anyone changed the planner for it. It must never be
used for tuning: no question, phrasing or expectation from it may go into prompts/router/, the lexicon, the glossary,
the planner or any test the planner is developed against; failures may be read only to report causes.

How it was written (independence rules followed): 160 items, 80 English and 80 Chinese: 138 single questions and 22
two-turn conversations (11 per language; 182 scored turns), over every intent of assistant.router.INTENTS
including what_changed (marketer questions, and customer lookups as both support and marketer), all written before
anything was run, without reading the training data (prompts/router/), the first or second held-out split, the
shared eval set (../shared/evals/questions.jsonl), the paraphrase file, the planner/router/glossary code or the
planner tests. Sources read: ../shared/PRODUCT.md (the tool contract), ../shared/evals/README.md (the item format),
tools/demo.py (the demo world's values), the tool schemas (tools/catalog.py, assistant/registry.py,
tools/permissions.py), the metric catalog's names (tools/semantic/metrics.json), assistant/evaluation.py (scoring),
tests/conftest.py and tests/test_router.py (score_split, the fixtures). Customer ids, names and emails were taken
from the demo world (seed 42): each named customer is unique there and has completed orders. The Chinese questions
are written as Chinese users type (万/千, 九折 / 八五折 / 八折, 以上 / 满 / 超过, 减30块), not translated from the
English ones.

The form is varied on purpose: typos, lower case, no punctuation, long context before the ask, terse fragments,
negations ("not counting customers in Germany", "not an email - an sms", "不用给我名单"), numbers in words
("two thousand", "fifteen", 1.2万, 8千), relative windows, comparisons and top-N. A two-turn item asks a question and
then changes one thing ("ok and how many of those are VIPs", "same thing but in Chinese please", "按渠道拆一下",
"改成短信吧", "要是八折呢"); the second turn's expectation carries what the first turn set and the change.

Expectations carry what a correct answer needs and nothing the tool does by default (an email draft need not say
channel=email, an English draft need not say language=en, the churn model card need not say model=churn, a month
period or a 365-day horizon need not be said); a Chinese draft needs language=zh. "Lapsed" / "already lost" /
"已经流失" customers are churn_risk=lapsed; "about to churn" / "快流失" / "high risk" is churn_risk=high; "VIP" /
"high value" / "高价值" is tier=high. "More than X" spent is min_total_spend=X with min_total_spend_exclusive=true,
"at least X" / "满X" / "X以上" is min_total_spend=X alone (the schema's own wording); "more than 10 orders" is
min_orders=11. help expects no tool call; out_of_scope expects no tool call and an answer; a support agent asking for
a list expects a refusal (denied). Not scored, by design: time windows (since/until have several valid spellings),
sort strings and sort_by, free-text offer and tone, margin, and query_metrics' filter / audience conditions (an
exclusion such as "not in Germany" has several valid spellings: op != or not_in, order or customer grain), so the
negated query_metrics items score the metric and the dimension only.

First measurement, 2026-12-03, commit 16b9aaa (the working tree of 16b9aaa, which held other workers' uncommitted
edits to tools/cleaning.py, tools/ingest.py and tools/semantic/compiler.py; a clean export of HEAD gave the same
turn-by-turn result), scored per turn like the other splits: 78.6% (143/182 turns), en 82.4% (75/91),
zh 74.7% (68/91).

Notes on the items, none changed since the first measurement: two turns ask for a comparison with the previous
period without naming a window (h3-query_metrics-en-6, the second turn of h3-followup-zh-7); query_metrics refuses
compare without a window or grain, so they pass only if the planner supplies a default window. No customer in the
demo world has spent 20,000 (h3-export_audience-zh-3): a correct export there writes an empty file, which the tool
reports as ok. No question or expectation has been changed since the first measurement.

After that first measurement its failure causes, as the evaluator reported them (not its items, which nobody changing
the planner read), informed planner changes (issue 11: a28d803, 5b2de7d, f2aa8cd, 2e93104, 102a86a), so it is no
longer a fresh measure; measured after them on 102a86a: 96.2% (175/182 turns), en 96.7% (88/91), zh 95.6% (87/91).
Floors were the first measurement rounded down to 5% (75/80/70) and are now these figures rounded down to 5%; the
target is 90% in each language.
"""

from collections import Counter
from pathlib import Path

from assistant import router
from assistant.evaluation import load_items, turns_of
from tests.test_router import assistant, chinese, folded, intents_of, score_split  # noqa: F401 (a fixture)

HELDOUT_3 = Path(__file__).parent / "data" / "router_heldout3.jsonl"
HELDOUT_2 = Path(__file__).parent / "data" / "router_heldout2.jsonl"
HELDOUT_1 = Path(__file__).parent / "data" / "router_heldout.jsonl"
QUESTIONS = Path(__file__).parents[1].parent / "shared" / "evals" / "questions.jsonl"
FLOORS = {"held_out_3": 0.95, "held_out_3_en": 0.95, "held_out_3_zh": 0.95}


def test_the_third_split_covers_every_intent_in_both_languages_with_follow_ups_and_both_roles():
    items = load_items(HELDOUT_3)
    assert len({item["id"] for item in items}) == len(items)
    assert all(item["lang"] == ("zh" if any(chinese(t["q"]) for t in turns_of(item)) else "en") for item in items)
    by_language = Counter(item["lang"] for item in items)
    assert len(items) >= 150 and by_language["en"] >= 75 and by_language["zh"] >= 75
    for language in ("en", "zh"):
        covered = {i for item in items if item["lang"] == language for i in intents_of(item)}
        assert covered == set(router.INTENTS), set(router.INTENTS) ^ covered
    assert "what_changed" in {i for item in items for i in intents_of(item)}
    conversations = [item for item in items if "turns" in item]
    assert all(len(item["turns"]) == 2 and all("q" in t and "expect" in t for t in item["turns"]) for item in conversations)
    assert min(Counter(item["lang"] for item in conversations)[lang] for lang in ("en", "zh")) >= 10
    assert {item["role"] for item in items if "customer_lookup" in intents_of(item)} == {"support", "marketer"}


def test_no_question_is_copied_from_the_training_file_the_earlier_splits_or_the_eval_set():
    ours = {folded(t["q"]) for item in load_items(HELDOUT_3) for t in turns_of(item)}
    assert not ours & {folded(e.q) for e in router.load_examples()}
    assert not ours & {folded(item["q"]) for item in load_items(HELDOUT_1)}
    assert not ours & {folded(t["q"]) for item in load_items(HELDOUT_2) for t in turns_of(item)}
    if QUESTIONS.exists():
        assert not ours & {folded(t["q"]) for item in load_items(QUESTIONS) for t in turns_of(item)}


def test_the_planner_answers_the_third_held_out_split_in_both_languages(assistant, router_figures):
    accuracy, by_language, failures = score_split(assistant, HELDOUT_3)
    router_figures.update(held_out_3=accuracy, held_out_3_en=by_language["en"], held_out_3_zh=by_language["zh"])
    assert accuracy >= FLOORS["held_out_3"], failures
    assert by_language["en"] >= FLOORS["held_out_3_en"] and by_language["zh"] >= FLOORS["held_out_3_zh"], \
        (by_language, failures)
