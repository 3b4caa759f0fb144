"""The intent router (assistant/router.py): what it learns from, how well it generalises, and its bounds.

The figures CI prints after every run (tests/conftest.py, `pytest_terminal_summary`):
"router: train X%, cross-val Y%, held-out Z% (en A%, zh B%)", where
- train is the intent accuracy on prompts/router/train.jsonl itself (resubstitution),
- cross-val the intent accuracy over 5 stratified folds of that file (each fold predicted by a router fitted on
  the other four),
- held-out the full planner's accuracy (right tool and arguments, scored by assistant.evaluation over the demo
  world like the paraphrases) on tests/data/router_heldout.jsonl, a split written before the router was measured
  on it and never used to change the planner, the lexicon or the training file.

Floors are the first measurements rounded down to 5%, guards against regressions; the target for held-out
accuracy is 90% in each language. First measured on 2026-12-03 (commit 10ba0d2, 1,194 training questions):
train 99.9%, cross-val 90.1%, held-out 88.1% (en 89.6%, zh 86.6%); after a duplicated paraphrase was dropped
from the training file (1,193): train 99.9%, cross-val 89.9% (en 91.2%, zh 88.7%), held-out 88.8% (en 89.6%,
zh 88.1%). The offline planner before the router (hand-weighted cues) scored 82.1% (en 85.1%, zh 79.1%) on the
same split. Cross-val then falls with harder examples, not a worse router: after 508 varied questions were added
where the file was thin (commit afc306e; 1,745 in all): train 99.9%, cross-val 86.8% (en 88.1%, zh 85.4%), the
earlier 1,237 questions 90.5% within it (89.9% before) and the new ones 77.8%.
"""

import json
import re
import shutil
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from assistant import router
from assistant.conversation import ConversationState
from assistant.evaluation import load_items, run_eval, turns_of
from assistant.planner import OfflinePlanner, router_inputs, trained_router

HELDOUT = Path(__file__).parent / "data" / "router_heldout.jsonl"
QUESTIONS = Path(__file__).parents[1].parent / "shared" / "evals" / "questions.jsonl"
TARGET = 0.90
FLOORS = {"train": 0.95, "cross_val": 0.85, "held_out": 0.85, "held_out_en": 0.85, "held_out_zh": 0.85}
VOCAB = {"countries": ["Germany", "France", "Spain"], "channels": ["app", "store", "web"],
         "categories": ["Books", "Toys"], "as_of": ["2025-12-31"]}


def chinese(text: str) -> bool:
    """Whether a question is written in Chinese (the held-out splits' language check shares it)."""
    return bool(re.search(r"[\u4e00-\u9fff]", text))


def folded(text: str) -> str:
    """A question with case, spacing and punctuation folded: how the splits tell a copied question."""
    return re.sub(r"[\s\W_]+", " ", text.lower()).strip()


def intents_of(item) -> list[str]:
    """The intent of each turn of a held-out item (one question, or a conversation's turns)."""
    return [t["intent"] for t in item["turns"]] if "turns" in item else [item["intent"]]


@pytest.fixture(scope="module")
def examples():
    return router.load_examples()


@pytest.fixture(scope="module")
def inputs(examples):
    texts, rules = router_inputs([e.q for e in examples])
    return np.array(texts, dtype=object), rules, np.array([e.intent for e in examples])


# ------------------------------------------------------------------ the data
def test_every_intent_has_at_least_fifteen_examples_in_each_language(examples):
    counts = Counter((e.intent, e.lang) for e in examples)
    thin = {(i, lang): counts[(i, lang)] for i in router.INTENTS for lang in ("en", "zh") if counts[(i, lang)] < 15}
    assert thin == {}
    assert all((e.lang == "zh") == chinese(e.q) for e in examples), [e.q for e in examples if (e.lang == "zh") != chinese(e.q)]
    assert len({e.q for e in examples}) == len(examples)


# Intents the router learned after the held-out splits were written: a split covers them only when questions
# written for it by someone who has not seen the planner are added, never from the training file
INTENTS_AFTER_THE_SPLITS = frozenset({"what_changed"})


def test_the_held_out_split_is_single_questions_in_both_languages_over_every_intent():
    items = load_items(HELDOUT)
    assert all("q" in item and "turns" not in item for item in items)
    by_language = Counter("zh" if chinese(item["q"]) else "en" for item in items)
    assert len(items) >= 120 and by_language["en"] >= 60 and by_language["zh"] >= 60
    for language in ("en", "zh"):
        assert {item["intent"] for item in items if (item["lang"] == language)} == set(router.INTENTS) - INTENTS_AFTER_THE_SPLITS


def test_no_question_is_copied_between_the_eval_set_the_training_file_and_the_held_out_split(examples):
    training = {folded(e.q) for e in examples}
    held_out = {folded(item["q"]) for item in load_items(HELDOUT)}
    assert not training & held_out
    if QUESTIONS.exists():
        theirs = {folded(t["q"]) for item in load_items(QUESTIONS) for t in turns_of(item)}
        assert not theirs & training and not theirs & held_out


# ------------------------------------------------------------------ the model
def test_two_fits_give_identical_probabilities(inputs):
    texts, rules, intents = inputs
    one = router.IntentRouter().fit(texts, rules, intents)
    two = router.IntentRouter().fit(texts, rules, intents)
    assert one.classes_ == two.classes_
    assert np.array_equal(one.predict_proba(list(texts[:200]), rules[:200]), two.predict_proba(list(texts[:200]), rules[:200]))


def test_probabilities_cover_every_intent_and_agree_with_scikit_learn(inputs):
    texts, rules, _ = inputs
    fitted = trained_router()
    for i in range(0, len(texts), 97):
        p = fitted.probabilities(texts[i], rules[i])
        assert set(p) == set(router.INTENTS) and all(0 <= v <= 1 for v in p.values())
        assert sum(p.values()) == pytest.approx(1.0)
        assert list(p.values()) == sorted(p.values(), reverse=True)
        reference = dict(zip(fitted.classes_, fitted.predict_proba([texts[i]], rules[i])[0]))
        assert all(p[k] == pytest.approx(reference[k], abs=1e-12) for k in p)


def test_an_unfitted_router_says_so():
    with pytest.raises(RuntimeError, match="not been fitted"):
        router.IntentRouter().probabilities("revenue", np.zeros(len(router.FEATURE_NAMES)))


def test_a_training_file_naming_an_unknown_intent_is_refused(tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_text(json.dumps({"q": "hi", "lang": "en", "intent": "weather"}) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 1: intent 'weather'"):
        router.load_examples(path)


def test_routing_a_hundred_thousand_character_question_is_never_pathologically_slow():
    """The planner reads at most 2,000 characters (Assistant.ask refuses longer questions before planning, and
    numbers over 18 digits: tests/test_question_limits.py); what it reads is routed in linear time. A guard, not a
    speed measurement: ~0.05 s CPU each on a quiet machine (issue 11 asks < 0.5 s); the bound is 2 s of this
    process's CPU time because under two test workers and other work one run took 0.77 s, while the quadratic
    patterns this guards against took seconds at 2,000 digits and never finished at 50,000."""
    planner = OfflinePlanner()
    planner.plan("who is about to churn?", ConversationState(), VOCAB, role="marketer")  # the router is fitted once
    for question in ("which customers in Germany are about to churn " * 2200, "哪些客户快要流失了" * 11_200,
                     "customers who spent more than 5 " * 3200, "top 5 " * 17_000):
        assert len(question) >= 100_000
        start = time.process_time()
        plan = planner.plan(question, ConversationState(), VOCAB, role="marketer")
        assert time.process_time() - start < 2.0, question[:40]
        assert plan.probabilities and sum(plan.probabilities.values()) == pytest.approx(1.0)


# ------------------------------------------------------------------ accuracy, reported by CI
def test_the_router_learns_its_examples_and_generalises_across_folds(examples, inputs, router_figures):
    from sklearn.model_selection import StratifiedKFold

    texts, rules, intents = inputs
    languages = np.array([e.lang for e in examples])
    fitted = router.IntentRouter().fit(texts, rules, intents)
    train = np.mean([next(iter(fitted.probabilities(t, r))) == y for t, r, y in zip(texts, rules, intents)])
    right = np.zeros(len(texts), dtype=bool)
    for fit_on, held in StratifiedKFold(n_splits=5, shuffle=True, random_state=0).split(texts, intents):
        fold = router.IntentRouter().fit(texts[fit_on], rules[fit_on], intents[fit_on])
        right[held] = [next(iter(fold.probabilities(texts[i], rules[i]))) == intents[i] for i in held]
    router_figures.update(train=float(train), cross_val=float(right.mean()),
                          cross_val_en=float(right[languages == "en"].mean()), cross_val_zh=float(right[languages == "zh"].mean()),
                          examples=len(texts))
    assert train >= FLOORS["train"]
    assert right.mean() >= FLOORS["cross_val"]


@pytest.fixture(scope="module")
def assistant(built_home, tmp_path_factory):
    """The assistant over a private copy of the built demo world (exports write into the workspace)."""
    from assistant.core import Assistant
    from tools.workspace import Workspace

    home = tmp_path_factory.mktemp("router-heldout") / "home"
    shutil.copytree(built_home, home)
    return Assistant(Workspace(home))


def score_split(assistant, path: Path) -> tuple[float, dict[str, float], list]:
    """A held-out split answered offline: accuracy, accuracy per language, and the failed turns' calls."""
    report = run_eval(assistant, path, use_llm=False)
    language = {item["id"]: item["lang"] for item in load_items(path)}
    by_language = {lang: float(np.mean([t["ok"] for t in report["turns"] if language[t["id"]] == lang]))
                   for lang in ("en", "zh")}
    failures = [(t["id"], [(c["name"], c["args"], c["status"]) for c in t["tool_calls"]])
                for t in report["turns"] if not t["ok"]]
    return report["accuracy"], by_language, failures


def test_the_planner_answers_the_held_out_split_in_both_languages(assistant, router_figures):
    accuracy, by_language, failures = score_split(assistant, HELDOUT)
    router_figures.update(held_out=accuracy, held_out_en=by_language["en"], held_out_zh=by_language["zh"])
    assert accuracy >= FLOORS["held_out"], failures
    assert by_language["en"] >= FLOORS["held_out_en"] and by_language["zh"] >= FLOORS["held_out_zh"], (by_language, failures)
