"""Answers and admin pages laid out to be read at a glance, read the way a person reads them (rendered text,
what is in view, what a click does), at a laptop's 1440×900 and a phone's 390×844: a headline and at most three
bullets before the table, ten rows and an expand control, campaign copy once in a card per variant with a copy
button that copies, the Data tab's mapping as dropdowns with no server path, the Models tab's verdicts in words.

Snapshots go to test-artifacts/ (answer-*, data-*, models-*) for review.
"""

import re
import shutil

import pytest

from tests.browser.test_chat_product import (BARE_FRACTION, CHAT, LAPTOP, PASSWORDS, PHONE, RATIO_HEADER,
                                             SERVER_PATH, SNAKE, ask, new_chat, show_answer, viewport_name)

pytestmark = pytest.mark.browser
VIEWPORTS = pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1440x900", "390x844"])
DATA = __import__("pathlib").Path(__file__).resolve().parents[1] / "data"

# the bot rows of the latest answer, in order: what each holds
LATEST = """
() => {
  const rows = Array.from(document.querySelectorAll('#tw-chat .message-row'));
  const last = rows.map((r) => r.classList.contains('user-row')).lastIndexOf(true);
  return rows.slice(last + 1).filter((r) => !r.querySelector('.thought-group')).map((row) => {
    const box = row.getBoundingClientRect();
    const first = row.querySelector('.prose > p:first-child');
    const list = row.querySelector('.prose > ul');
    return {top: box.top, text: row.innerText.trim(),
            headline: first && first.children.length === 1 && first.firstElementChild.tagName === 'STRONG'
                      ? first.innerText.trim() : null,
            bullets: list ? list.children.length : 0, table: !!row.querySelector('table.tw-table'),
            chart: !!row.querySelector('.js-plotly-plot'), cards: row.querySelectorAll('.tw-copy-card').length};
  });
}
"""
VISIBLE_ROWS = "(table) => Array.from(table.tBodies[0].rows).filter((r) => r.offsetParent !== null).length"


@pytest.fixture
def signed_in(browser):
    """A signed-in page at a viewport whose clipboard the page may write and the test may read."""
    contexts = []

    def open_(url: str, user: str, viewport: dict):
        context = browser.new_context(viewport=viewport, accept_downloads=True)
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url.rstrip("/"))
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


@VIEWPORTS
def test_an_answer_opens_with_a_headline_and_at_most_three_bullets_before_its_table_and_chart(
        demo_server, signed_in, artifacts, viewport):
    url, _ = demo_server
    page = signed_in(url, "mary", viewport)
    for kind, question in (("list", "Who is about to churn?"), ("breakdown-zh", "按细分群体比较客户价值")):
        new_chat(page)
        ask(page, question)
        page.locator(f"{CHAT} .js-plotly-plot").last.wait_for()  # a loaded machine draws it late
        show_answer(page)
        rows = page.evaluate(LATEST)
        text = rows[0]
        assert text["headline"] and re.search(r"\d", text["headline"]), rows[0]  # a headline with its number
        assert "\n" not in text["headline"] and 1 <= text["bullets"] <= 3, text
        table = next(i for i, r in enumerate(rows) if r["table"])
        chart = next(i for i, r in enumerate(rows) if r["chart"])
        assert 0 < table < chart and rows[0]["top"] < rows[table]["top"] < rows[chart]["top"]
        headline = page.locator(f"{CHAT} .message-row.bot-row .prose > p:first-child > strong").last
        assert headline.is_visible()
        box = page.locator(f"{CHAT} .bubble-wrap").bounding_box()
        assert box["y"] - 1 <= headline.bounding_box()["y"] < box["y"] + box["height"]  # read first, in view
        page.screenshot(path=str(artifacts / f"answer-{kind}-headline-{viewport_name(viewport)}.png"))


@VIEWPORTS
def test_a_list_shows_ten_rows_and_an_expand_control_that_reveals_the_rest(demo_server, signed_in, artifacts,
                                                                           viewport):
    url, _ = demo_server
    page = signed_in(url, "mary", viewport)
    ask(page, "Who is about to churn?")
    show_answer(page)
    card = page.locator(f"{CHAT} .tw-table-card").last
    table = card.locator("table.tw-table")
    assert table.evaluate(VISIBLE_ROWS) == 10
    expand = card.locator("button.tw-expand")
    assert expand.is_visible() and expand.inner_text().strip() == "Show all 20 rows"
    expand.click()
    assert table.evaluate(VISIBLE_ROWS) == 20
    assert expand.inner_text().strip() == "Show the first 10 rows"
    page.screenshot(path=str(artifacts / f"answer-list-expanded-{viewport_name(viewport)}.png"))
    expand.click()
    assert table.evaluate(VISIBLE_ROWS) == 10


def _copy_cards(page, question: str, kind: str, count: int):
    ask(page, question)
    show_answer(page)
    cards = page.locator(f"{CHAT} .tw-copy-card.tw-{kind}")
    assert cards.count() == count
    return cards


@VIEWPORTS
def test_campaign_copy_is_shown_once_in_a_card_per_variant_with_a_copy_button_that_copies(
        demo_server, signed_in, artifacts, viewport):
    url, _ = demo_server
    page = signed_in(url, "mary", viewport)
    cards = _copy_cards(page, "Draft a win-back email for lapsed VIPs", "email", 3)
    chat = page.inner_text(CHAT)
    assert "Campaign copy, ready to paste" not in page.inner_text("body")  # no second copy under the input
    for i in range(3):
        card = cards.nth(i)
        subject = card.locator(".tw-email-subject strong").inner_text().strip()
        assert chat.count(subject) == 1, subject  # shown once, in its card
        assert card.locator(".tw-email-preheader").is_visible() and card.locator(".tw-cta-btn").is_visible()
        assert card.locator(".tw-copy-name").inner_text().strip() == f"Variant {'ABC'[i]} · Email"
    assert "{{" not in chat  # merge tags read as what they become
    assert page.locator(f"{CHAT} .message-row.bot-row .prose > p:first-child > strong").last.inner_text() \
        .startswith("Here is email copy")
    second = cards.nth(1)
    second.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / f"answer-copy-email-{viewport_name(viewport)}.png"))
    second.locator("button.tw-copy-btn").click()
    page.wait_for_function("(b) => b.textContent.includes('Copied')", arg=second.locator("button.tw-copy-btn")
                           .element_handle())
    pasted = page.evaluate("navigator.clipboard.readText()")
    subject = second.locator(".tw-email-subject strong").inner_text().strip()
    assert pasted.startswith(f"Subject: {subject}\n\nPreheader: ") and "Unsubscribe" in pasted
    assert pasted == second.locator("textarea.tw-copy-text").input_value()

    new_chat(page)
    sms = _copy_cards(page, "Draft an SMS for customers at high risk of churn", "sms", 1).first
    text = sms.locator(".tw-message-bubble").inner_text().strip()
    assert page.inner_text(CHAT).count(text) == 1
    count = re.fullmatch(r"(\d+) of 160 characters \(GSM-7, one message\)", sms.locator(".tw-message-count")
                         .inner_text().strip())
    assert count and int(count.group(1)) == len(text)
    sms.locator("button.tw-copy-btn").click()
    page.wait_for_function("(b) => b.textContent.includes('Copied')", arg=sms.locator("button.tw-copy-btn")
                           .element_handle())
    assert page.evaluate("navigator.clipboard.readText()") == text
    page.screenshot(path=str(artifacts / f"answer-copy-sms-{viewport_name(viewport)}.png"))

    new_chat(page)
    zh = _copy_cards(page, "给流失风险高的高价值客户写一封挽回邮件", "email", 1).first
    assert zh.locator(".tw-copy-name").inner_text().strip() == "版本 A · 邮件"
    assert zh.locator("button.tw-copy-btn").inner_text().strip() == "复制"
    assert page.inner_text(CHAT).count(zh.locator(".tw-email-subject strong").inner_text().strip()) == 1
    page.screenshot(path=str(artifacts / f"answer-copy-zh-{viewport_name(viewport)}.png"))


# what the chat shows of the answers, tool steps left out, with every folded sentence and hidden row opened:
# the text, the text outside tables, and each table cell with its column header and its row's first cell
SHOWN_TEXT = """
() => {
  document.querySelectorAll('#tw-chat details').forEach((d) => { d.open = true; });
  document.querySelectorAll('#tw-chat .tw-table-card.tw-long').forEach((c) => c.classList.add('tw-open'));
  const rows = Array.from(document.querySelectorAll('#tw-chat .message-row.bot-row'))
    .filter((row) => !row.querySelector('.thought-group'));
  const cells = [];
  document.querySelectorAll('#tw-chat table.tw-table').forEach((table) => {
    const heads = Array.from(table.querySelectorAll('thead th')).map((th) => th.innerText.trim());
    table.querySelectorAll('tbody tr').forEach((tr) => Array.from(tr.cells).forEach((td, i) => {
      cells.push([heads[i] || '', tr.cells[0].innerText.trim(), td.innerText.trim()]);
    }));
  });
  return {text: rows.map((row) => row.innerText).join('\\n'), cells: cells,
          prose: rows.filter((row) => !row.querySelector('table')).map((row) => row.innerText).join('\\n')};
}
"""
COPY_QUESTIONS = ["Draft a win-back email for lapsed VIPs", "Draft an SMS for customers at high risk of churn",
                  "给流失风险高的高价值客户写一封挽回邮件", "Compare segments by value",
                  "Forecast the ROI of a 10% off email to customers at high risk of churn", "Who is about to churn?"]


def test_no_copy_card_folded_sentence_or_hidden_row_shows_a_column_name_a_fraction_or_a_path(demo_server,
                                                                                              signed_in):
    url, _ = demo_server
    page = signed_in(url, "mary", LAPTOP)
    for question in COPY_QUESTIONS:
        new_chat(page)
        ask(page, question)
        shown = page.evaluate(SHOWN_TEXT)
        text = shown["text"]
        assert not SNAKE.findall(text), (question, SNAKE.findall(text))
        prose = re.sub(r"--[\w-]+ \S+", "", shown["prose"])
        assert not BARE_FRACTION.findall(prose), (question, BARE_FRACTION.findall(prose))
        assert not SERVER_PATH.findall(text), (question, SERVER_PATH.findall(text))
        for header, row, cell in shown["cells"]:  # a share or rate, by its column or its row, reads as %
            if RATIO_HEADER.search(header) or (header == "Value" and RATIO_HEADER.search(row)):
                assert cell == "—" or cell.endswith("%"), (question, header, row, cell)
        # no copy icon under any bubble: the copy cards' buttons are the only ones
        # (Gradio's own copy buttons are labelled 'Copy message'; the cards' are .tw-copy-btn)
        assert page.locator(f"{CHAT} button[aria-label*=Copy i], {CHAT} button[title*=Copy i]").count() == 0


@pytest.fixture
def admin_server(built_home, tmp_path):
    """The app over its own copy of the built demo: a load replaces its data."""
    from tests.browser.conftest import serve

    home = tmp_path / "admin-home"
    shutil.copytree(built_home, home)
    app, url = serve(home)
    yield url, home
    app.close()


def _menu(page, field: str):
    return page.locator(f"#tw-map-transactions-{field} input[role=combobox]")


def _page_text_and_values(page, selector: str) -> str:
    """What a person reads in an area: its rendered text and the values in its boxes and menus."""
    return page.evaluate("""(sel) => { const root = document.querySelector(sel);
        const values = Array.from(root.querySelectorAll('input, textarea')).map((el) => el.value);
        return root.innerText + '\\n' + values.join('\\n'); }""", selector)


@VIEWPORTS
def test_the_admin_maps_columns_with_dropdowns_and_reads_no_server_path(admin_server, signed_in, artifacts, viewport):
    url, _ = admin_server
    page = signed_in(url, "ada", viewport)
    page.get_by_role("tab", name="Data").click()
    page.set_input_files("#tw-upload input[type=file]", str(DATA / "attributes_shop.csv"))
    page.locator("#tw-upload", has_text="attributes_shop").wait_for()
    page.click("#tw-detect")
    fields = page.locator("#tw-fields-transactions").first  # Gradio 6.31 renders a group's id twice
    fields.wait_for(state="visible")
    page.wait_for_function("document.querySelector('#tw-map-transactions-customer_id input').value !== ''")
    # the detected column chosen, its sample values beside it; '(none)' for an optional field the file lacks
    assert _menu(page, "customer_id").input_value() == "Customer ID — C001, C002, C003"
    assert _menu(page, "order_date").input_value().startswith("Order Date — 2024-")
    assert _menu(page, "status").input_value().startswith("Status — ")
    assert _menu(page, "order_id").input_value() == "(none) — not in this file"
    assert fields.inner_text().count("· required") == 3
    assert page.locator("#tw-map-transactions-amount").is_visible()
    # the other columns are listed with their type and grain, in words
    attributes = page.inner_text("#tw-attributes")
    assert "Payment Method" in attributes and "Order line" in attributes and "Customer (one value each)" in attributes
    assert not SNAKE.findall(fields.inner_text() + attributes)
    page.screenshot(path=str(artifacts / f"data-mapping-{viewport_name(viewport)}.png"), full_page=True)

    # the admin says the file has no order status: the load maps none, and keeps Status as an attribute
    _menu(page, "status").click()
    page.locator("li[data-testid=dropdown-option]", has_text="(none) — not in this file").first.click()
    assert _menu(page, "status").input_value() == "(none) — not in this file"
    page.click("#tw-load")
    page.wait_for_function("document.querySelector('#tw-report textarea').value.startsWith('Loaded')",
                           timeout=300_000)
    report = page.input_value("#tw-report textarea")
    assert report.startswith("Loaded. The new data is in service.\n\nLoaded attributes_shop.csv (")
    mapping = next(line for line in report.splitlines() if line.strip().startswith("mapping"))
    assert "Customer ID" in mapping and "Status" not in mapping
    assert "Status" in report.split("attributes", 1)[1]
    # nothing the admin reads names a server or temporary path
    shown = _page_text_and_values(page, "#tw-tab-data")
    assert "attributes_shop.csv" in shown and not SERVER_PATH.findall(shown), SERVER_PATH.findall(shown)
    # nor the page's markup, but for the address Gradio serves the upload back from (its own file cache)
    markup = re.sub(r'href="[^"]*/gradio_api/file=[^"]*"', "", page.content())
    assert "/tmp" not in markup and not SERVER_PATH.findall(page.evaluate("document.body.innerText"))
    page.screenshot(path=str(artifacts / f"data-loaded-{viewport_name(viewport)}.png"), full_page=True)


VERDICT_WORDS = r"(Good|Weak|No better than the baseline|Rules, not a prediction|Clear|Weak structure|No clear structure)"


@VIEWPORTS
def test_the_models_tab_leads_each_model_with_its_verdict_in_words_and_shows_no_e_notation(
        demo_server, signed_in, artifacts, viewport):
    url, _ = demo_server
    page = signed_in(url, "mary", viewport)
    page.get_by_role("tab", name="Models").click()
    page.locator("#tw-model-cards .tw-model").first.wait_for()
    sections = page.locator("#tw-model-cards .tw-model")
    assert sections.count() == 6
    for i in range(sections.count()):
        lines = [line.strip() for line in sections.nth(i).inner_text().splitlines() if line.strip()]
        assert re.match(VERDICT_WORDS + r": \w", lines[1]), lines[:2]  # under the title, the verdict first
    everything = page.evaluate("document.querySelector('#tw-model-cards').textContent")  # folded figures too
    assert not re.search(r"\d(\.\d+)?e[-+]?\d", everything), re.findall(r"\S*\de[-+]?\d\S*", everything)
    assert not re.search(r"customers \(\d+\)", everything)  # no persona named with a number
    assert not SNAKE.findall(everything), SNAKE.findall(everything)
    assert "High from" in everything and "Low the rest" in everything
    page.screenshot(path=str(artifacts / f"models-{viewport_name(viewport)}.png"), full_page=True)
