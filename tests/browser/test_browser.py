"""The chat in a real browser: sign in, ask, read the table and chart, open the tool steps,
download the CSV, ask in Chinese, be refused as support, and see hostile data as plain text."""

import csv
import os
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CHAT = "#tw-chat"
PASSWORDS = {"mary": "mary-pass", "sam": "sam-pass", "ada": "ada-pass"}  # as served by conftest.py


def sign_in(page, url: str, user: str) -> None:
    page.goto(url)
    page.get_by_label("username").fill(user)
    page.get_by_label("password").fill(PASSWORDS[user])
    page.get_by_role("button", name="Login").click()
    page.wait_for_selector("#tw-question textarea")
    page.wait_for_function("document.body.innerText.includes('Signed in as')")


def ask(page, question: str, expect: str) -> None:
    """Ask and wait until the answer text contains `expect` and nothing is pending any more."""
    page.fill("#tw-question textarea", question)
    page.click("#tw-ask")
    page.wait_for_function(
        "([sel, text]) => { const el = document.querySelector(sel);"
        " return el && el.innerText.includes(text) && !el.innerText.includes('⏳'); }",
        arg=[CHAT, expect])
    page.wait_for_timeout(500)  # let the chart finish drawing


def test_a_marketer_asks_who_is_about_to_churn_and_downloads_the_table(demo_server, page, artifacts, tmp_path):
    url, _ = demo_server
    sign_in(page, url, "mary")
    ask(page, "Who is about to churn?", "customers match")

    table = page.locator(f"{CHAT} table.tw-table").last
    table.wait_for()
    header = [h.strip() for h in table.locator("th").all_inner_texts()]
    assert header[:2] == ["Customer", "Value at risk"] and "Churn probability" in header  # key, then ranked by
    shown_ids = table.locator("tbody tr td:first-child").all_inner_texts()
    assert len(shown_ids) == 20 and all(re.fullmatch(r"C\d{6}", i) for i in shown_ids)
    page.locator(f"{CHAT} .js-plotly-plot").last.wait_for()
    page.screenshot(path=str(artifacts / "chat-churn.png"), full_page=True)
    if os.environ.get("TIERWISE_README_SCREENSHOT"):  # refreshes the README's picture when asked
        page.locator(f"{CHAT} .bubble-wrap").evaluate("el => { el.scrollTop = 0; }")
        page.wait_for_timeout(300)
        page.screenshot(path=str(ROOT / "docs" / "screenshot-chat.png"))

    # the tool step is collapsed; opening it shows the arguments
    page.get_by_text("🔧 Find customers").first.click()
    page.wait_for_function("document.querySelector('#tw-chat').innerText.includes('Arguments')")
    assert '"churn_risk": "high"' in page.inner_text(CHAT)
    page.screenshot(path=str(artifacts / "chat-churn-steps.png"), full_page=True)

    # sorting by a column reorders the rows by its raw values
    column = header.index("Total spend")
    table.locator("th", has_text="Total spend").click()
    cells = table.locator(f"tbody tr td:nth-child({column + 1})")
    values = [float(v) for v in cells.evaluate_all("tds => tds.map(td => td.dataset.v)")]
    assert values == sorted(values)

    with page.expect_download() as download:
        page.locator(f"{CHAT} a[data-testid=chatbot-file]").last.click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    with open(saved, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:2] == ["customer_id", "tier"] and "churn_probability" in rows[0]  # the data's own names
    assert sorted(r[0] for r in rows[1:]) == sorted(shown_ids)


def test_a_question_in_chinese_is_answered_in_chinese(demo_server, page, artifacts):
    url, _ = demo_server
    sign_in(page, url, "mary")
    ask(page, "哪些客户快要流失了？", "位客户符合条件")
    header = page.locator(f"{CHAT} table.tw-table").last.locator("th").all_inner_texts()
    assert [h.strip() for h in header[:4]] == ["客户编号", "风险价值", "价值分层", "RFM 细分"]
    page.screenshot(path=str(artifacts / "chat-chinese.png"), full_page=True)


def test_support_is_refused_an_export_and_gets_no_download(demo_server, page, artifacts):
    url, _ = demo_server
    sign_in(page, url, "sam")
    assert "(support)" in page.inner_text("body")
    ask(page, "Export the customers at risk of churn", "can't")
    text = page.inner_text(CHAT)
    assert "support account can't use export audience" in text
    assert page.locator(f"{CHAT} a[data-testid=chatbot-file]").count() == 0
    page.screenshot(path=str(artifacts / "chat-support-refused.png"), full_page=True)


def test_support_sees_the_data_tab_as_a_sentence(demo_server, page):
    url, _ = demo_server
    sign_in(page, url, "sam")
    page.locator("#tw-tab-data-button").wait_for(state="hidden")  # support sees the chat only
    page.eval_on_selector("#tw-tab-data-button", "el => el.click()")  # reached anyway: a sentence
    page.wait_for_function("document.body.innerText.includes('needs an admin account')")
    assert page.locator("#tw-upload").count() == 0 or not page.locator("#tw-upload").is_visible()


def test_finding_11_support_sees_the_models_tab_as_a_sentence_without_its_numbers(demo_server, page, artifacts):
    url, _ = demo_server
    sign_in(page, url, "sam")
    page.locator("#tw-tab-models-button").wait_for(state="hidden")  # support sees the chat only
    page.eval_on_selector("#tw-tab-models-button", "el => el.click()")  # reached anyway: a sentence
    page.wait_for_function("document.body.innerText.includes('need a marketer or admin account')")
    page.wait_for_timeout(1000)  # the tab's select event has run
    text = page.inner_text("body")
    assert "Value tiers" not in text and "sizes:" not in text and not page.locator("#tw-model-cards").is_visible()
    page.screenshot(path=str(artifacts / "models-support.png"), full_page=True)


def test_hostile_strings_from_the_dataset_render_as_plain_text(hostile_server, hostile, page, artifacts):
    url, home = hostile_server
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_in(page, url, "mary")

    ask(page, "Look up customer C000001", "Customer C000001")
    ask(page, "Look up customer C000002", "Customer C000002")
    ask(page, "Look up customer C000003", "Customer C000003")
    ask(page, "Compare customers by category", "groups by category")
    page.locator(f"{CHAT} .js-plotly-plot").last.wait_for()
    page.screenshot(path=str(artifacts / "chat-hostile.png"), full_page=True)

    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("img[src*='127.0.0.1:9']").count() == 0
    assert page.locator(f"{CHAT} script").count() == 0
    assert not dialogs
    text = page.inner_text(CHAT)
    for shown_as_typed in hostile.values():
        assert shown_as_typed in text
    # the injected "instruction" in a name and a product was never followed
    assert not (home / "exports").exists() or not list((home / "exports").glob("audience-*"))


def test_the_models_tab_and_the_report_lead_with_each_verdict_in_words(demo_server, page, artifacts, tmp_path):
    from tools.dataset import Dataset
    from tools.report import write_html_report
    from tools.workspace import Workspace

    url, home = demo_server
    sign_in(page, url, "mary")
    page.get_by_role("tab", name="Models").click()
    page.wait_for_selector("#tw-model-cards .tw-verdict")
    cards = page.inner_text("#tw-model-cards")
    for title in ("Customer lifetime value", "Value tiers", "Churn", "Recommendations"):
        body = [line.strip() for line in cards.split(title, 1)[1].splitlines()[1:] if line.strip()]
        assert re.match(r"(Good|Weak|No better than the baseline): ", body[0]), (title, body[:2])
    page.screenshot(path=str(artifacts / "models-verdicts.png"), full_page=True)

    report = write_html_report(Dataset(Workspace(home)).snapshot(), tmp_path / "report.html")
    page.goto(report.as_uri())
    page.wait_for_selector("ul.verdicts")
    text = page.inner_text("body")
    first_card = min(text.find(name) for name in ("clv\n", "tiers\n", "churn\n") if text.find(name) >= 0)
    assert text.find("Verdicts") < first_card
    for model in ("churn", "clv", "recommendations", "tiers"):
        assert re.search(rf"{model}: (Good|Weak|No better than the baseline)", text), model
    page.screenshot(path=str(artifacts / "report-verdicts.png"), full_page=True)
