"""Ask instead of guessing: close readings become a clarifying question; the next turn picks one."""

from assistant import clarify


def test_close_readings_are_offered_and_a_clear_winner_is_not():
    close = clarify.readings([("find_customers", 0.41), ("segment_summary", 0.35), ("kpi_trend", 0.1)], "vip churn", "en")
    assert [c["intent"] for c in close] == ["find_customers", "segment_summary"]
    assert all(c["question"] == "vip churn" for c in close)
    assert clarify.readings([("find_customers", 0.7), ("segment_summary", 0.25)], "q", "en") is None
    assert clarify.readings([("find_customers", 0.5), ("segment_summary", 0.2)], "q", "en") is None
    assert clarify.readings([("find_customers", 0.5)], "q", "en") is None


def test_the_question_lists_the_readings_in_the_question_language():
    choices = clarify.readings([("kpi_trend", 0.4), ("query_metrics", 0.38)], "销售情况", "zh")
    text = clarify.question_text("zh", choices)
    assert text.splitlines()[1].startswith("1. ") and "趋势" in text and "序号" in text
    english = clarify.question_text("en", clarify.readings([("kpi_trend", 0.4), ("query_metrics", 0.38)], "sales", "en"))
    assert "Which do you mean?" in english and "2. a number from the sales data" in english


def test_a_reply_picks_by_number_ordinal_or_words_and_anything_else_is_a_new_question():
    choices = clarify.readings([("find_customers", 0.41), ("segment_summary", 0.35)], "q", "en")
    assert clarify.pick("2", choices)["intent"] == "segment_summary"
    assert clarify.pick("option 1", choices)["intent"] == "find_customers"
    assert clarify.pick("第二个", choices)["intent"] == "segment_summary"
    assert clarify.pick("the first one", choices)["intent"] == "find_customers"
    assert clarify.pick("A list of the customers who match.", choices)["intent"] == "find_customers"
    assert clarify.pick("3", choices) is None
    assert clarify.pick("how many orders last month?", choices) is None
    assert clarify.pick("2", []) is None


# -- end to end: the planner asks, the next turn picks ---------------------------------------------------

import pytest  # noqa: E402

from assistant.core import Assistant  # noqa: E402
from tools.workspace import Workspace  # noqa: E402


@pytest.fixture(scope="module")
def assistant(built_home):
    return Assistant(Workspace(built_home))


@pytest.fixture
def unsure(monkeypatch):
    """Every reading counts as close (how close is close is set in clarify and checked above): the flow is tested."""
    monkeypatch.setattr(clarify, "CONFIDENT", 1.01)
    monkeypatch.setattr(clarify, "CLOSE_MARGIN", 1.0)


def test_an_ambiguous_question_gets_choices_and_a_number_picks_one(assistant, unsure):
    """A question with close readings is answered with the readings; '2' plans the same question with the second."""
    conversation = assistant.conversation("marketer")
    asked = assistant.ask("churn of France customers", conversation)
    assert asked.tool_calls == [] and len(asked.choices) >= 2
    assert "Which do you mean?" in asked.text and asked.to_json()["choices"] == asked.choices
    intents = [c["intent"] for c in conversation.state.pending_choices]
    picked = assistant.ask("2", conversation)
    assert [c.name for c in picked.tool_calls] == [intents[1]]
    assert conversation.state.pending_choices == [] and picked.choices == []


def test_a_new_question_after_the_choices_is_just_a_new_question(assistant, unsure):
    conversation = assistant.conversation("marketer")
    assistant.ask("churn of France customers", conversation)
    monkeypatch_free = clarify.pick("How many orders were there in 2025?", conversation.state.pending_choices)
    assert monkeypatch_free is None
    answer = assistant.ask("How many orders were there in 2025?", conversation)
    assert [c.name for c in answer.tool_calls] == [] and answer.choices  # asked again: every reading is close here
    assert conversation.state.pending_choices and \
        conversation.state.pending_choices[0]["question"] == "How many orders were there in 2025?"


def test_support_is_never_asked_to_choose(assistant, unsure):
    answer = assistant.ask("churn of France customers", assistant.conversation("support"))
    assert answer.choices == []
