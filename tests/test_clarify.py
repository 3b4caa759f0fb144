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
