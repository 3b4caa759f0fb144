"""An answer laid out to be read at a glance: a headline and at most three bullets, tables showing ten rows
with the rest behind an expand control and their key columns first, campaign copy once in a card per variant."""

import re

from assistant.answer import Answer, ToolCallRecord
from tools.results import Table, ToolResult
from ui.copy_cards import copy_cards_html, variant_text
from ui.formatting import Style
from ui.outline import outline, sentences
from ui.render import answer_extras, answer_messages, key_columns_first, table_html

LIST = ("1,661 customers match (high churn risk). Their expected 12-month value is 356,976, of which 224,344 is at "
        "risk of churn; they have spent 745,989 so far (average churn probability 76%, e.g. 133 days since the last "
        "order). Top by value at risk: C000848, C001982. You can ask me to draft a campaign for them.")
GROUPS = ("11 groups by segment over 4,935 customers (all customers). champions: 1,199 customers (24%), value 843,176; "
          "loyal: 1,096 customers (22%), value 247,694; at risk: 723 customers (15%), value 33,597. Revenue at risk "
          "in total: 566,242.")
ZH = "共有 1,661 位客户符合条件（流失风险高）。他们未来 12 个月的预期价值为 356,976。排名靠前的客户：C000848。您可以让我写文案。还有一句。"
EMAIL = {"subject": "We saved you a few ideas", "preheader": "Picked from Electronics",
         "body": "Hi there,\n\nCustomers like you chose Coffee Beans 1kg and <b>Serum</b>.\n\nSee your picks → "
                 "{{cta_url}}\n\nWarm wishes\n\nYou are receiving this email because you signed up. Unsubscribe: "
                 "{{unsubscribe_url}}", "cta": "See your picks"}
SMS = {"text": "We miss you! Picked for you: Coffee Beans 1kg. Reply STOP to opt out"}


def test_sentences_split_english_and_chinese_but_not_abbreviations_or_decimals():
    assert len(sentences(LIST)) == 4 and sentences(LIST)[1].endswith("order).")
    assert sentences("Costs 9.23 per redeemer. Net -1,159.") == ["Costs 9.23 per redeemer.", "Net -1,159."]
    assert sentences(ZH)[:2] == ["共有 1,661 位客户符合条件（流失风险高）。", "他们未来 12 个月的预期价值为 356,976。"]
    assert sentences(GROUPS)[1].startswith("champions:")


def test_the_first_sentence_is_the_headline_and_at_most_three_bullets_follow():
    shape = outline(ZH)
    assert shape.headline == "共有 1,661 位客户符合条件（流失风险高）。"
    assert len(shape.bullets) == 3 and shape.more == ["还有一句。"]
    assert outline(LIST).bullets[-1] == "You can ask me to draft a campaign for them."


def test_a_sentence_listing_the_groups_of_the_table_below_is_folded():
    shape = outline(GROUPS, tabled=True)
    assert shape.bullets == ["Revenue at risk in total: 566,242."] and shape.more[0].startswith("champions:")
    assert outline(GROUPS).bullets[0].startswith("champions:")  # without a table, the sentence is the answer


def test_the_answer_text_is_a_bold_headline_and_bullets_in_markdown():
    answer = Answer(text=LIST + " Fifth sentence (run `tierwise build`).")
    text = answer_messages(answer)[0]["content"]
    lines = text.split("\n\n")
    assert lines[0] == "**1,661 customers match \\(high churn risk\\).**"
    assert lines[1].count("\n- ") == 2 and lines[1].startswith("- Their expected")
    assert '<details class="tw-more"><summary>More</summary>' in text and "`tierwise build`" in text


def test_a_looked_up_customer_gets_one_sentence_the_card_carries_the_rest():
    result = ToolResult(summary="Customer C1.", facts={"customer_id": "C1", "tier": "high"}, customer_id="C1")
    answer = Answer(text="Customer C1: high tier. Churn risk low. 4 orders.",
                    tool_calls=[ToolCallRecord("customer_lookup", {"query": "C1"}, "ok", result=result)])
    assert answer_messages(answer)[0]["content"] == "**Customer C1: high tier.**"


def _copy_answer(variants, channel="email", language="en") -> Answer:
    quoted = "\n\n".join(f"Variant {i}\nSubject: {v['subject']}\nPreheader: {v['preheader']}\n\n{v['body']}"
                         if "subject" in v else f"Variant {i}: {v['text']}" for i, v in enumerate(variants, 1))
    text = f"Here is {channel} copy for high tier (goal: winback):\n\n{quoted}\n\nNo brand is set."
    result = ToolResult(summary="Drafted.", variants=variants, checks={"sms_length": {"passed": True, "detail": "ok"}})
    return Answer(text=text, language=language,
                  tool_calls=[ToolCallRecord("draft_campaign", {"channel": channel}, "ok", result=result)])


def test_campaign_copy_is_shown_once_in_its_cards_not_in_the_answer_text(tmp_path):
    answer = _copy_answer([EMAIL, {**EMAIL, "subject": "Another subject"}])
    text = answer_messages(answer)[0]["content"]
    assert "We saved you a few ideas" not in text and "Coffee Beans" not in text and "Variant" not in text
    assert text.startswith("**Here is email copy") and "No brand is set." in text
    cards = [m["content"].value for m in answer_extras(answer, role="marketer", exports_dir=tmp_path)]
    assert len(cards) == 1 and cards[0].count('class="tw-copy-card tw-email"') == 2
    assert cards[0].count("We saved you a few ideas") == 2  # the card's subject, and its text to copy


def test_an_email_card_reads_as_an_email_with_its_call_to_action_as_a_button():
    html = copy_cards_html([EMAIL], channel="email", style=Style())
    assert "Variant A · Email" in html and '<button type="button" class="tw-copy-btn"' in html
    assert '<span class="tw-k">Subject</span><strong>We saved you a few ideas</strong>' in html
    assert "Picked from Electronics" in html
    assert '<p class="tw-email-cta"><span class="tw-cta-btn" role="button">See your picks</span></p>' in html
    assert "→" not in html.split("tw-copy-text")[0]  # the link line became the button
    footer = re.search(r'<p class="tw-email-footer">(.*?)</p>', html).group(1)
    assert footer.endswith('Unsubscribe: <span class="tw-merge" title="{{unsubscribe_url}}">unsubscribe link</span>')
    assert "&lt;b&gt;Serum&lt;/b&gt;" in html and "<b>" not in html
    zh = copy_cards_html([{**EMAIL, "body": "你好，\n\n如不想再收到，可随时退订：{{unsubscribe_url}}"}], channel="email",
                         style=Style(language="zh"))
    assert '可随时退订：<span class="tw-merge" title="{{unsubscribe_url}}">退订链接</span>' in zh
    pasted = re.search(r'<textarea class="tw-copy-text" readonly hidden>(.*?)</textarea>', html, re.S).group(1)
    assert pasted.startswith("Subject: We saved you a few ideas\n\nPreheader:") and "{{cta_url}}" in pasted


def test_an_sms_card_shows_its_length_against_the_one_message_limit():
    html = copy_cards_html([SMS], channel="sms", style=Style())
    assert "Variant A · SMS" in html and f"{len(SMS['text'])} of 160 characters (GSM-7, one message)" in html
    zh = copy_cards_html([{"text": "好久不见！为你挑了防晒霜。回T退订"}], channel="sms", style=Style(language="zh"))
    assert "版本 A · 短信" in zh and "17 / 70 个字符" in zh and ">复制<" in zh
    long = copy_cards_html([{"text": "x" * 170}], channel="sms", style=Style())
    assert 'class="tw-message-count tw-over"' in long


def test_copy_variants_are_plain_text_ready_to_paste():
    assert variant_text(EMAIL).endswith("Call to action: See your picks")
    assert variant_text(SMS) == SMS["text"]


def _rows(n: int) -> Table:
    return Table(title="Top customers", columns=["customer_id", "tier", "total_spend", "value_at_risk"],
                 rows=[[f"C{i:03d}", "high", 100.0 + i, 50.0 + i] for i in range(n)], total_rows=n * 10)


def test_a_table_over_ten_rows_puts_the_rest_behind_an_expand_control():
    html = table_html(_rows(20))
    assert html.count("<tr>") == 21  # every row is there, to sort and to expand
    assert 'class="tw-table-card tw-long"' in html and ">Show all 20 rows</button>" in html
    assert 'data-less="Show the first 10 rows"' in html
    short = table_html(_rows(10))
    assert "tw-expand" not in short and "tw-long" not in short
    assert "显示全部 20 行" in table_html(_rows(20), Style(language="zh"))


def test_the_metric_a_list_is_ranked_by_comes_right_after_its_key_column():
    table = key_columns_first(_rows(3), {"sorted_by": "value_at_risk"}, {})
    assert table.columns == ["customer_id", "value_at_risk", "tier", "total_spend"]
    assert table.rows[1] == ["C001", 51.0, "high", 101.0]
    assert key_columns_first(_rows(3), {}, {"sort_by": "clv"}).columns == _rows(3).columns  # not a column here
    grouped = Table(title="t", columns=["period", "channel", "orders", "revenue"], rows=[["2024-01-01", "web", 1, 2.0]])
    assert key_columns_first(grouped, {"by": ["period", "channel"]}, {"sort": "revenue"}).columns == [
        "period", "channel", "revenue", "orders"]
