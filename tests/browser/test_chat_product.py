"""The chat as a product, read the way a person reads it: rendered text (innerText and drawn glyphs), at a
laptop's 1440×900 and a phone's 390×844, for each main answer kind, in English and Chinese.

Snapshots of each answer kind go to test-artifacts/answer-<kind>-<viewport>.png for review.
"""

import re

import pytest

from tests.browser.test_fonts import DRAW

pytestmark = pytest.mark.browser

CHAT = "#tw-chat"
PASSWORDS = {"mary": "mary-pass", "sam": "sam-pass", "ada": "ada-pass"}  # as served by conftest.py
LAPTOP, PHONE = {"width": 1440, "height": 900}, {"width": 390, "height": 844}
SNAKE = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b")
BARE_FRACTION = re.compile(r"(?<![\w.,:/-])0\.\d+(?![\d%])")
SERVER_PATH = re.compile(r"(?:/tmp/|/home/|/root/|/srv/|/var/|/work/|/Users/|[A-Za-z]:\\)")
# headers of columns that hold probabilities, shares and rates
RATIO_HEADER = re.compile(r"probability|share|rate|ROI|%|概率|占比|率")
# what the chat renders, without the tool steps (their arguments are the tools' own JSON)
# where the latest question and the first line of its answer are: relative to the chat's scroll box and to
# the window; `end`: the box can't scroll further (a short chat)
PINNED = """
() => {
  const chat = document.querySelector('#tw-chat'), box = chat && chat.querySelector('.bubble-wrap');
  const rows = chat ? chat.querySelectorAll('.message-row.user-row') : [];
  if (!box || !rows.length) return null;
  const question = rows[rows.length - 1];
  let answer = question.nextElementSibling;
  while (answer && !answer.classList.contains('bot-row')) answer = answer.nextElementSibling;
  const top = box.getBoundingClientRect().top;
  const first = answer ? answer.getBoundingClientRect() : null;
  return {question: question.getBoundingClientRect().top - top, box: box.getBoundingClientRect(),
          answerTop: first ? first.top : null, scrollTop: box.scrollTop, questions: rows.length,
          end: box.scrollTop + box.clientHeight >= box.scrollHeight - 2, height: innerHeight};
}
"""
ANSWER_TEXT = """
() => Array.from(document.querySelectorAll('#tw-chat .message-row.bot-row')).map((row) => {
  const copy = row.cloneNode(true);
  copy.querySelectorAll('.thought-group').forEach((el) => el.remove());
  return copy.innerText;
}).join('\\n')
"""
RATIO_CELLS = """
(pattern) => {
  const re = new RegExp(pattern);
  const out = [];
  document.querySelectorAll('#tw-chat table.tw-table').forEach((table) => {
    const heads = Array.from(table.querySelectorAll('thead th')).map((th) => th.innerText.trim());
    table.querySelectorAll('tbody tr').forEach((tr) => Array.from(tr.cells).forEach((td, i) => {
      if (re.test(heads[i] || '')) out.push([heads[i], td.innerText.trim()]);
    }));
  });
  return out;
}
"""


@pytest.fixture
def open_page(browser):
    """A signed-in page at a viewport: open_page(url, user, viewport)."""
    contexts = []

    def open_(url: str, user: str, viewport: dict) -> object:
        context = browser.new_context(viewport=viewport, accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(90_000)
        page.goto(url)
        page.get_by_label("username").fill(user)
        page.get_by_label("password").fill(PASSWORDS[user])
        page.get_by_role("button", name="Login").click()
        page.wait_for_selector("#tw-question textarea")
        page.wait_for_function("document.body.innerText.includes('Signed in as')")
        return page

    yield open_
    for context in contexts:
        context.close()


def ask(page, question: str) -> None:
    """Ask and wait until the answer is complete (the user's bubble is in, nothing is pending)."""
    before = page.locator(f"{CHAT} .message-row.user-row").count()
    page.fill("#tw-question textarea", question)
    page.click("#tw-ask")
    page.wait_for_function(
        "(n) => { const el = document.querySelector('#tw-chat');"
        " return el && el.querySelectorAll('.message-row.user-row').length > n && !el.innerText.includes('⏳'); }",
        arg=before)
    page.wait_for_timeout(700)  # charts finish drawing


def drawn_as_glyphs(page, selector: str) -> list[str]:
    """The characters of an element's text that its own font draws as missing-glyph boxes."""
    element = page.locator(selector).first
    font = element.evaluate("el => getComputedStyle(el).font")
    text = element.inner_text()
    return [d["ch"] for d in page.evaluate(DRAW, [re.sub(r"\s", "", text)[:20], font]) if d["box"]]


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1440x900", "390x844"])
def test_a_chinese_answer_shows_its_table_header_and_chart_title_in_chinese(demo_server, open_page, artifacts,
                                                                           viewport):
    url, _ = demo_server
    page = open_page(url, "mary", viewport)
    ask(page, "按细分群体比较客户价值")
    table = page.locator(f"{CHAT} table.tw-table").last
    table.locator("th").first.wait_for()
    header = [h.strip() for h in table.locator("th").all_inner_texts()]
    assert header[:3] == ["RFM 细分", "客户数", "客户占比"] and "未来12个月预期价值" in header
    shown = table.text_content()  # the 11th row too, behind the expand control
    assert "不能失去" in shown and "cannot_lose" not in shown
    assert not drawn_as_glyphs(page, f"{CHAT} table.tw-table >> nth=-1 >> th >> nth=0")
    title = page.locator(f"{CHAT} .js-plotly-plot .gtitle").last
    title.wait_for()
    assert re.search(r"[\u4e00-\u9fff]", title.text_content()) and "by segment" not in title.text_content()
    axis = page.locator(f"{CHAT} .js-plotly-plot .ytitle").last.text_content()
    assert axis == "未来12个月预期价值"
    name = "1440x900" if viewport is LAPTOP else "390x844"
    page.screenshot(path=str(artifacts / f"answer-breakdown-zh-{name}.png"))


def test_a_customer_list_is_labelled_with_percentages_money_and_dates(demo_server, open_page):
    url, _ = demo_server
    page = open_page(url, "mary", LAPTOP)
    ask(page, "Who is about to churn?")
    table = page.locator(f"{CHAT} table.tw-table").last
    header = [h.strip() for h in table.locator("th").all_inner_texts()]
    assert header[:4] == ["Customer", "Value at risk", "Tier", "Segment"]  # the key, then what it is ranked by
    first = [c.strip() for c in table.locator("tbody tr").first.locator("td").all_inner_texts()]
    churn = header.index("Churn probability")
    assert re.fullmatch(r"\d{1,2}(\.\d)?%", first[churn]), first
    assert re.fullmatch(r"\d{1,2} [A-Z][a-z]{2} \d{4}", first[header.index("Last order")]), first
    # numbers sit on the right of their cells
    align = table.locator("tbody tr").first.locator("td").nth(churn).evaluate("el => getComputedStyle(el).textAlign")
    assert align == "right"


QUESTIONS = ["Who is about to churn?", "Compare segments by value", "Monthly revenue trend by channel",
             "Revenue by category last quarter", "Cohort retention by month", "What data do we have loaded?",
             "Expected revenue next quarter by tier", "Forecast the ROI of a 10% off email to customers at high "
             "risk of churn", "Look up customer C000042", "哪些客户快要流失了？", "各渠道每月销售额趋势",
             "上个季度各品类的销售额", "客户 C000042 是什么等级？", "数据概况"]


def test_no_rendered_answer_shows_a_column_name_a_bare_fraction_or_a_server_path(demo_server, open_page):
    url, _ = demo_server
    page = open_page(url, "mary", LAPTOP)
    for question in QUESTIONS:
        page.click("#tw-new-chat")
        page.wait_for_function("document.querySelectorAll('#tw-chat .message-row').length === 0")
        ask(page, question)
        text = page.evaluate(ANSWER_TEXT)
        assert text.strip(), question
        assert not SNAKE.findall(text), (question, SNAKE.findall(text))
        prose = re.sub(r"--[\w-]+ \S+", "", text)  # a command's option ('--margin 0.35') is typed as it is
        assert not BARE_FRACTION.findall(prose), (question, BARE_FRACTION.findall(prose))
        assert not SERVER_PATH.findall(text), (question, SERVER_PATH.findall(text))
        for header, cell in page.evaluate(RATIO_CELLS, RATIO_HEADER.pattern):
            assert cell == "—" or cell.endswith("%"), (question, header, cell)
        labels = " ".join(page.locator(f"{CHAT} .js-plotly-plot .gtitle, {CHAT} .js-plotly-plot .g-ytitle, "
                                       f"{CHAT} .js-plotly-plot .xtick, {CHAT} .js-plotly-plot .legendtext")
                          .all_text_contents())
        assert not SNAKE.findall(labels), (question, SNAKE.findall(labels))


def viewport_name(viewport: dict) -> str:
    return f"{viewport['width']}x{viewport['height']}"


def new_chat(page) -> None:
    """New chat: the button on a laptop, the chat's own clear button on a phone (the button is hidden there)."""
    if page.locator(f"{CHAT} .message-row").count() == 0:
        return
    button = page.locator("#tw-new-chat")
    (button if button.is_visible() else page.locator(f"{CHAT} button[aria-label=Clear]")).click()
    page.wait_for_function("document.querySelectorAll('#tw-chat .message-row').length === 0")


def show_answer(page) -> None:
    """Wait until the chat has pinned the latest question to its top (the app does it, not the test)."""
    from playwright.sync_api import TimeoutError as Timeout

    try:
        page.wait_for_function(f"() => {{ const p = ({PINNED})(); return p && (Math.abs(p.question) < 12 || p.end); }}",
                               timeout=20_000)
    except Timeout:
        raise AssertionError(f"the latest question was not brought to the top of the chat: {page.evaluate(PINNED)}")
    page.wait_for_timeout(300)


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1440x900", "390x844"])
def test_support_sees_only_the_chat_a_customer_card_and_refusals_styled_as_refusals(demo_server, open_page, artifacts,
                                                                                    viewport):
    url, _ = demo_server
    page = open_page(url, "sam", viewport)
    for tab in ("data", "models", "settings"):
        page.locator(f"#tw-tab-{tab}-button").wait_for(state="hidden")
    assert page.get_by_role("tab", name="Chat").is_visible()
    assert "What tier is customer" in page.get_attribute("#tw-question textarea", "placeholder")
    assert "Who is about to churn" not in page.inner_text("#tw-examples")

    ask(page, "客户 C000042 是什么等级？")
    card = page.locator(f"{CHAT} .tw-customer").last
    card.wait_for()
    badge = card.locator(".tw-badge")
    assert badge.is_visible() and badge.inner_text().strip() in ("高价值层", "中价值层", "低价值层")
    assert card.locator(".tw-risk").inner_text().strip().endswith("%")
    assert card.locator("ul.tw-reasons li").count() >= 1 and card.locator("table.tw-orders tbody tr").count() >= 1
    assert "下一步建议" in card.inner_text() and "***@" in card.inner_text()  # the email masked for support
    show_answer(page)
    page.screenshot(path=str(artifacts / f"answer-lookup-zh-{viewport_name(viewport)}.png"))

    ask(page, "Export the customers at risk of churn")
    refusal = page.locator(f"{CHAT} .tw-refusal").last
    refusal.wait_for()
    assert "⛔" in refusal.inner_text() and "Not allowed: Export audience" in refusal.inner_text()
    colour = refusal.evaluate("el => getComputedStyle(el).backgroundColor")
    assert colour not in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)")
    # said once, as a refusal, and never as a step that ran
    assert page.locator(f"{CHAT} .thought-group", has_text="Export audience").count() == 0
    assert page.inner_text(CHAT).count("support account can't use export audience") == 1
    show_answer(page)
    page.screenshot(path=str(artifacts / f"answer-refusal-{viewport_name(viewport)}.png"))


KINDS = [("list-zh", "哪些客户快要流失了？"), ("breakdown", "Compare segments by value"),
         ("trend-zh", "各渠道每月销售额趋势"), ("copy", "Draft a win-back email for lapsed VIPs"),
         ("lookup", "Look up customer C000123")]


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1440x900", "390x844"])
def test_a_snapshot_of_each_answer_kind_for_review(demo_server, open_page, artifacts, viewport, monkeypatch):
    from assistant import clarify

    url, _ = demo_server
    page = open_page(url, "mary", viewport)
    for kind, question in KINDS:
        new_chat(page)
        ask(page, question)
        show_answer(page)
        page.screenshot(path=str(artifacts / f"answer-{kind}-{viewport_name(viewport)}.png"))

    # every reading counts as close, so the planner asks which one is meant (the server runs in this process)
    monkeypatch.setattr(clarify, "CONFIDENT", 1.01)
    monkeypatch.setattr(clarify, "CLOSE_MARGIN", 1.0)
    new_chat(page)
    ask(page, "法国客户的流失情况")
    options = page.locator(f"{CHAT} button.option")
    options.first.wait_for()
    assert options.first.inner_text().startswith("1. ") and re.search(r"[\u4e00-\u9fff]", options.first.inner_text())
    show_answer(page)
    page.screenshot(path=str(artifacts / f"answer-clarify-zh-{viewport_name(viewport)}.png"))


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1440x900", "390x844"])
def test_a_new_answer_starts_at_the_top_of_the_chat_and_the_last_one_stays_above(demo_server, open_page, viewport):
    url, _ = demo_server
    page = open_page(url, "mary", viewport)
    ask(page, "Who is about to churn?")
    ask(page, "Compare segments by value")
    show_answer(page)
    where = page.evaluate(PINNED)
    assert abs(where["question"]) < 12, where  # the question at the top of the chat
    box = where["box"]
    assert box["top"] - 1 <= where["answerTop"] < min(box["bottom"], where["height"]), where  # its answer in view
    assert where["scrollTop"] > 0 and where["questions"] == 2  # the previous answer is above, a scroll away
    # the reader scrolls up to the previous answer and it is there
    page.locator(f"{CHAT} .bubble-wrap").evaluate("el => { el.scrollTop = 0; }")
    assert page.locator(f"{CHAT} .message-row.user-row").first.is_visible()


def test_on_a_phone_the_question_box_stays_in_view_tables_scroll_sideways_and_charts_have_no_toolbar(
        demo_server, open_page, artifacts):
    url, _ = demo_server
    page = open_page(url, "mary", PHONE)
    ask(page, "Who is about to churn?")
    ask(page, "Compare segments by value")
    show_answer(page)
    box = page.locator("#tw-question textarea").bounding_box()
    assert box and 0 <= box["y"] and box["y"] + box["height"] <= PHONE["height"]  # pinned to the bottom
    assert page.locator("#tw-ask").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # nothing wider than the phone
    wrap = page.locator(f"{CHAT} .tw-table-wrap").last
    sizes = wrap.evaluate("el => [el.scrollWidth, el.clientWidth, el.getBoundingClientRect().right]")
    assert sizes[0] > sizes[1] and sizes[2] <= PHONE["width"]  # the table scrolls inside its card
    wrap.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    first = wrap.locator("tbody tr td").first  # the key column stays while the rest scrolls
    assert first.bounding_box()["x"] >= wrap.bounding_box()["x"] - 1
    plot = page.locator(f"{CHAT} .js-plotly-plot").last
    plot.wait_for()
    assert plot.bounding_box()["x"] + plot.bounding_box()["width"] <= PHONE["width"]
    toolbars = page.locator(f"{CHAT} .modebar-container")
    assert all(not toolbars.nth(i).is_visible() for i in range(toolbars.count()))
    page.screenshot(path=str(artifacts / "answer-phone-breakdown-390x844.png"))
