"""A second, fresh held-out split for the offline planner: tests/data/router_heldout2.jsonl (issue 11).

The first held-out split (tests/data/router_heldout.jsonl) had been looked at too often to stay a fair measure, so
this one was written by an independent evaluator and measured once, before anyone changed the router. It must never
be used for tuning: no question, phrasing or expectation from it may go into prompts/router/, the lexicon, the
glossary, the planner or any test the planner is developed against; failures may be read only to report causes.

How it was written (independence rules followed): 142 single-turn questions, 71 English and 71 Chinese, over every
intent of assistant.router.INTENTS (marketer questions, and customer lookups as both support and marketer), written
before anything was run, without reading the training data (prompts/router/), the first held-out split, the shared
eval set (../shared/evals/questions.jsonl), the paraphrase files, the planner/router/glossary code or the planner
tests. Sources read: ../shared/PRODUCT.md (the tool contract), tools/demo.py (the demo world's values), the tool
schemas (tools/catalog.py via assistant/registry.py, tools/permissions.py), assistant/evaluation.py (scoring) and
tests/conftest.py. Customer ids, names and emails were taken from the demo world (seed 42): each named customer is
unique there and has completed orders. The Chinese questions are written as Chinese users type (万/千 units, 九折 /
八五折, 以上 / 超过), not translated from the English ones.

Expectations carry what a correct answer needs and nothing the tool would do by default (an email draft need not say
channel=email, an English draft need not say language=en, the churn model card need not say model=churn); a Chinese
draft needs language=zh. "Lapsed" / "already lost" customers are churn_risk=lapsed, as PRODUCT.md and the
find_customers schema define them (1,922 customers in the demo world), not the RFM segment 'lost' (684). help
expects no tool call; out_of_scope expects no tool call and an answer. Not scored, by design: time windows
(since/until have several valid spellings), sort strings, free-text offer and tone, and margin.

First measurement, 2026-12-03, commit bd5d98a (a clean export of HEAD; the working tree of e039b44 with other workers'
uncommitted tools/ edits gave the same turn-by-turn result; 57c5335, which adds only test data, too): 85.9%
(122/142), en 85.9% (61/71), zh 85.9% (61/71).
Floors are that measurement rounded down to 5%; the target is 90% in each language.

Known limit of the demo world, not of the questions: a free-shipping campaign forecast needs the shipping_cost setting,
which the demo world leaves unset, so the two free-shipping items (h2-campaign_forecast-en-3, -zh-3) cannot pass there
even when routed right (both were routed to another tool at the first measurement). No question or expectation has
been changed since the first measurement.
"""

from collections import Counter
from pathlib import Path

from assistant import router
from assistant.evaluation import load_items, turns_of
from tests.test_router import INTENTS_AFTER_THE_SPLITS, assistant, chinese, folded, score_split  # noqa: F401 (a fixture)

HELDOUT_2 = Path(__file__).parent / "data" / "router_heldout2.jsonl"
HELDOUT_1 = Path(__file__).parent / "data" / "router_heldout.jsonl"
QUESTIONS = Path(__file__).parents[1].parent / "shared" / "evals" / "questions.jsonl"
FLOORS = {"held_out_2": 0.85, "held_out_2_en": 0.85, "held_out_2_zh": 0.85}


def test_the_second_split_is_single_questions_in_both_languages_over_every_intent():
    items = load_items(HELDOUT_2)
    assert all("q" in item and "turns" not in item for item in items)
    assert len({item["id"] for item in items}) == len(items)
    assert all(item["lang"] == ("zh" if chinese(item["q"]) else "en") for item in items)
    by_language = Counter(item["lang"] for item in items)
    assert len(items) >= 140 and by_language["en"] >= 70 and by_language["zh"] >= 70
    for language in ("en", "zh"):
        assert {item["intent"] for item in items if item["lang"] == language} == set(router.INTENTS) - INTENTS_AFTER_THE_SPLITS
    assert {item["role"] for item in items if item["intent"] == "customer_lookup"} == {"support", "marketer"}


def test_no_question_is_copied_between_the_second_split_and_the_training_file_eval_set_or_first_split():
    ours = {folded(item["q"]) for item in load_items(HELDOUT_2)}
    assert not ours & {folded(e.q) for e in router.load_examples()}
    assert not ours & {folded(item["q"]) for item in load_items(HELDOUT_1)}
    if QUESTIONS.exists():
        assert not ours & {folded(t["q"]) for item in load_items(QUESTIONS) for t in turns_of(item)}


def test_the_planner_answers_the_second_held_out_split_in_both_languages(assistant, router_figures):
    accuracy, by_language, failures = score_split(assistant, HELDOUT_2)
    router_figures.update(held_out_2=accuracy, held_out_2_en=by_language["en"], held_out_2_zh=by_language["zh"])
    assert accuracy >= FLOORS["held_out_2"], failures
    assert by_language["en"] >= FLOORS["held_out_2_en"] and by_language["zh"] >= FLOORS["held_out_2_zh"], \
        (by_language, failures)
