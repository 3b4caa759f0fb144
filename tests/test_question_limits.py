"""Questions too long to be questions are refused before any parsing; pathological text within the cap still
answers (a timeout guards against parsing that grows faster than the text; speed itself is in `tierwise latency`)."""

import pytest

from assistant.core import MAX_QUESTION_CHARS, Assistant
from tools.workspace import Workspace


@pytest.fixture(scope="module")
def assistant(built_home):
    return Assistant(Workspace(built_home))


def test_a_hundred_thousand_characters_are_refused_with_the_limit_named(assistant):
    answer = assistant.ask("revenue by category " + "x" * 99980)
    assert not answer.tool_calls
    assert "100,000 characters" in answer.text and f"{MAX_QUESTION_CHARS:,}" in answer.text


def test_a_two_thousand_digit_number_is_refused_in_the_question_language(assistant):
    answer = assistant.ask("1" * 2000)
    assert not answer.tool_calls and "2,000 digits" in answer.text
    zh = assistant.ask("消费超过" + "9" * 500 + "的客户")
    assert not zh.tool_calls and "500 位" in zh.text


@pytest.mark.timeout(20)
@pytest.mark.parametrize("text", ["a" * 1999, "1 " * 999, "customers who spent more than 5 " * 60, "销" * 1999,
                                  "a@" + "b." * 990, "by " * 666, "vs " * 666, "top 5 " * 333,
                                  ("123456789012345678 " * 105)[:1999]])
def test_pathological_questions_within_the_cap_still_get_an_answer(assistant, text):
    answer = assistant.ask(text)
    assert answer.text
