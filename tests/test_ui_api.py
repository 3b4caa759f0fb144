"""The web app driven through its named API endpoints with gradio_client, as each role.

The app is served in-process on a free loopback port over a copy of the built demo
workspace, so nothing is written into the shared `built_home`.
"""

import csv
import shutil

import httpx
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from tools.demo import generate_demo
from tools.store import dataset_status
from tools.workspace import Workspace
from ui.app import CONCURRENCY, QUEUE_SIZE, build_app, start

PASSWORDS = {"mary": ("marketer", "mary-pass"), "sam": ("support", "sam-pass"), "ada": ("admin", "ada-pass")}


def login(url: str, user: str) -> Client:
    return Client(url, auth=(user, PASSWORDS[user][1]), verbose=False)


@pytest.fixture(scope="module")
def served(built_home, tmp_path_factory):
    """The app over a copy of the built demo workspace: (url, home)."""
    home = tmp_path_factory.mktemp("ui-api") / "home"
    shutil.copytree(built_home, home)
    app = build_app(home, users=PASSWORDS)
    url = start(app)
    yield url, home
    app.close()


@pytest.fixture(scope="module")
def small_upload(tmp_path_factory):
    """A small demo dataset to upload: 400 customers, a different world from the served one."""
    out = tmp_path_factory.mktemp("upload")
    generate_demo(out, customers=400, seed=7)
    return out


def assistant_texts(history: list[dict]) -> list[str]:
    return [part["text"] for m in history if m["role"] == "assistant"
            for part in m["content"] if part.get("type") == "text"]


def components(history: list[dict], kind: str) -> list[dict]:
    return [part for m in history for part in m["content"] if part.get("type") == "component" and part["component"] == kind]


def test_marketer_gets_a_table_and_a_csv_of_it_for_who_is_about_to_churn(served):
    url, _ = served
    answer, files = login(url, "mary").predict("Who is about to churn?", api_name="/ask")

    call = answer["tool_calls"][0]
    assert (call["name"], call["status"]) == ("find_customers", "ok")
    table = call["tables"][0]
    assert table["rows"] and "churn_probability" in table["columns"]
    preview = [f for f in files if "customers-top-" in f]
    assert len(preview) == 1
    with open(preview[0], newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == table["columns"]
    assert [r[0] for r in rows[1:]] == [r[0] for r in table["rows"]]


def test_the_chat_streams_tool_steps_before_the_final_answer(served):
    url, _ = served
    job = login(url, "mary").submit("Who is about to churn?", api_name="/chat")
    final_history, _ = job.result()
    updates = job.outputs()

    assert len(updates) >= 2  # a pending step first, then the answer
    assert any(m.get("metadata", {}) and m["metadata"].get("status") == "pending" for m in updates[0][0])
    steps = [m for m in final_history if (m.get("metadata") or {}).get("title") == "🔧 Find customers"]
    assert steps and '"churn_risk"' in steps[0]["content"][0]["text"]
    assert any("customers match" in t for t in assistant_texts(final_history))
    assert components(final_history, "html") and components(final_history, "plot")


def test_a_chinese_question_gets_a_chinese_answer(served):
    url, _ = served
    answer, _ = login(url, "mary").predict("哪些客户快要流失了？", api_name="/ask")
    assert answer["language"] == "zh"
    assert "客户" in answer["answer"]
    assert answer["tool_calls"][0]["name"] == "find_customers"


def test_support_is_refused_an_export_in_plain_words_and_gets_no_file(served):
    url, _ = served
    answer, files = login(url, "sam").predict("Export the customers at risk of churn", api_name="/ask")

    assert answer["role"] == "support"
    assert all(c["status"] == "denied" for c in answer["tool_calls"])
    assert "support account can't" in answer["answer"]
    assert not files and not answer["files"]


def test_support_sees_a_masked_email_in_a_customer_lookup(served, built_home):
    url, _ = served
    with open(built_home.parent / "demo" / "customers.csv", newline="", encoding="utf-8") as fh:
        email = next(r["email"] for r in csv.DictReader(fh) if r["customer_id"] == "C000042")
    history, _ = login(url, "sam").predict("What tier is customer C000042?", api_name="/chat")

    shown = "\n".join(assistant_texts(history) + [str(c["value"]) for c in components(history, "html")])
    assert "C000042" in shown
    assert email not in shown
    assert f"{email[0]}***@{email.split('@')[1]}" in shown  # j***@example.com, on the customer card


def test_marketer_sees_the_customers_name_and_email(served, built_home):
    url, _ = served
    with open(built_home.parent / "demo" / "customers.csv", newline="", encoding="utf-8") as fh:
        email = next(r["email"] for r in csv.DictReader(fh) if r["customer_id"] == "C000042")
    history, _ = login(url, "mary").predict("Look up customer C000042", api_name="/chat")
    card = "\n".join(str(c["value"]) for c in components(history, "html"))
    assert "tw-customer" in card and email in card


def test_two_sessions_never_share_a_conversation(served):
    url, _ = served
    first, second = login(url, "mary"), login(url, "mary")
    history, _ = first.predict("Who is about to churn?", api_name="/chat")
    assert history

    other, _ = second.predict("", api_name="/chat")  # an empty question just shows this session's chat
    assert other == []
    again, _ = first.predict("", api_name="/chat")
    assert len(again) == len(history)


def test_new_chat_starts_a_fresh_conversation(served):
    url, _ = served
    client = login(url, "mary")
    client.predict("Who is about to churn?", api_name="/chat")
    cleared = client.predict(api_name="/new_chat")
    assert cleared[0] == []
    history, _ = client.predict("", api_name="/chat")
    assert history == []


def test_the_role_is_not_a_parameter_any_client_can_send(served):
    url, _ = served
    api = login(url, "sam").view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert [p["parameter_name"] for p in api["/ask"]["parameters"]] == ["text"]
    assert [p["parameter_name"] for p in api["/chat"]["parameters"]] == ["text"]


def test_a_wrong_password_does_not_sign_in(served):
    url, _ = served
    with pytest.raises(Exception):
        Client(url, auth=("mary", "not-her-password"), verbose=False)


def test_a_marketer_cannot_load_data_or_rebuild_models(served, small_upload):
    url, home = served
    client = login(url, "mary")
    before = dataset_status(Workspace(home))
    with pytest.raises(httpx.HTTPStatusError, match="403"):  # not even the upload is taken
        client.predict(handle_file(str(small_upload / "transactions.csv")), None, "", "", api_name="/load_data")
    with pytest.raises(AppError, match="can't load data"):
        client.predict(None, None, "", "", api_name="/load_data")
    with pytest.raises(AppError, match="can't rebuild models"):
        client.predict(api_name="/rebuild_models")
    assert dataset_status(Workspace(home))["dataset"] == before["dataset"]


def test_model_cards_show_every_model_with_charts(served):
    url, _ = served
    markdown, tiers, segments, personas, clv, churn = login(url, "ada").predict(api_name="/model_cards")
    for title in ("Customer lifetime value", "Value tiers", "RFM segments", "Personas", "Churn"):
        assert title in markdown
    assert all(plot is not None for plot in (tiers, segments, personas, clv))
    assert churn["data"][0][0] == "Churn model" and churn["headers"][1] == "ROC-AUC"


def test_settings_report_the_offline_planner_and_refuse_non_admins(served):
    url, _ = served
    assert "offline" in login(url, "ada").predict("offline", "", "", api_name="/check_connection")
    with pytest.raises(AppError, match="can't change the planner"):
        login(url, "mary").predict("llm", "http://127.0.0.1:9/v1", "m", api_name="/save_settings")


def test_an_admin_sets_the_shops_brand_currency_and_margin_and_a_marketer_cannot(served):
    from tools.settings import read_settings, write_settings

    url, home = served
    before = read_settings(home)
    try:
        note = login(url, "ada").predict("Harbour Goods", "EUR", "35%", api_name="/save_shop_settings")
        assert "Harbour Goods" in note and "35%" in note
        assert {k: read_settings(home)[k] for k in ("brand", "currency", "margin")} == \
            {"brand": "Harbour Goods", "currency": "EUR", "margin": 0.35}
        assert "Not saved" in login(url, "ada").predict("", "euros!", "40%", api_name="/save_shop_settings")
        with pytest.raises(AppError, match="can't change the shop settings"):
            login(url, "mary").predict("Mary's Shop", "", "", api_name="/save_shop_settings")
        assert read_settings(home)["brand"] == "Harbour Goods"
    finally:
        write_settings(home, brand=before["brand"], currency=before["currency"], margin=None)


def test_an_unreachable_llm_endpoint_gets_a_plain_sentence(served):
    url, _ = served
    status = login(url, "ada").predict("llm", "http://127.0.0.1:9/v1", "tiny", api_name="/check_connection")
    assert status.startswith("❌") and "127.0.0.1:9" in status


def test_the_queue_is_bounded_so_a_flood_gets_a_busy_message(served):
    app = build_app(served[1], users=PASSWORDS)
    assert app._queue.max_size == QUEUE_SIZE
    assert app._queue.default_concurrency_limit == CONCURRENCY


# --- the admin's data page: upload -> mapping -> load -> rebuild, on its own copy ------------

@pytest.fixture
def admin_app(built_home, tmp_path):
    home = tmp_path / "admin-home"
    shutil.copytree(built_home, home)
    app = build_app(home, users=PASSWORDS)
    url = start(app)
    yield url, home
    app.close()


def test_admin_uploads_reviews_the_mapping_loads_and_rebuilds(admin_app, small_upload):
    url, home = admin_app
    client = login(url, "ada")
    tx, cust = handle_file(str(small_upload / "transactions.csv")), handle_file(str(small_upload / "customers.csv"))

    detected, tx_map, cust_map, head, *_ = client.predict(tx, cust, api_name="/preview_upload")
    assert "customer_id <- customer_id" in detected and "amount <- amount" in detected
    assert "order_date=order_date" in tx_map.splitlines()
    assert "email=email" in cust_map.splitlines()
    assert head["headers"][:2] == ["order_id", "customer_id"]

    edited = "\n".join(line for line in tx_map.splitlines() if not line.startswith("status="))  # let it detect status
    report, status = client.predict(tx, cust, edited, cust_map, api_name="/load_data")
    assert report.startswith("Loaded."), report
    assert "rows read" in report and "mapping" in report
    assert "Loaded transactions.csv (" in report and "/tmp" not in report and str(small_upload) not in report
    loaded = dataset_status(Workspace(home))
    assert loaded["customers"] < 400 < 5000  # the small upload is now in service
    assert f"{loaded['customers']:,} customers" in status

    answer, _ = client.predict("What data is loaded?", api_name="/ask")
    assert f"{loaded['customers']:,} customers" in answer["answer"]

    rebuilt, _ = client.predict(api_name="/rebuild_models")
    assert rebuilt.startswith("Rebuilt as of"), rebuilt
    assert dataset_status(Workspace(home))["customers"] == loaded["customers"]


def test_a_bad_upload_is_refused_and_the_old_data_keeps_answering(admin_app, tmp_path):
    url, home = admin_app
    client = login(url, "ada")
    before = dataset_status(Workspace(home))
    bad = tmp_path / "not_orders.csv"
    bad.write_text("foo,bar\nhello,world\nagain,more\n", encoding="utf-8")

    detected, *_ = client.predict(handle_file(str(bad)), None, api_name="/preview_upload")
    assert "Not found: customer_id, order_date, amount (required)" in detected  # to choose in the dropdowns
    report, _ = client.predict(handle_file(str(bad)), None, "", "", api_name="/load_data")
    assert report.startswith("Load failed:") and "still in service" in report

    assert dataset_status(Workspace(home))["dataset"] == before["dataset"]
    answer, _ = login(url, "mary").predict("Who is about to churn?", api_name="/ask")
    assert answer["tool_calls"][0]["status"] == "ok"


def test_a_mapping_naming_a_missing_column_is_refused_with_the_columns_seen(admin_app, small_upload):
    url, home = admin_app
    before = dataset_status(Workspace(home))
    report, _ = login(url, "ada").predict(handle_file(str(small_upload / "transactions.csv")), None,
                                          "amount=Total Price", "", api_name="/load_data")
    assert report.startswith("Load failed:") and "Total Price" in report and "Columns seen" in report
    assert dataset_status(Workspace(home))["dataset"] == before["dataset"]


def test_an_admin_switches_to_an_llm_endpoint_and_the_chat_streams_its_tool_steps(admin_app):
    from tests.fake_llm import FakeLLM, text, tool_call

    url, _ = admin_app
    admin = login(url, "ada")
    with FakeLLM() as llm:
        llm.queue(text("OK"))
        status = admin.predict("llm", llm.url, "fake-model", api_name="/check_connection")
        assert status.startswith("✅") and "fake-model" in status
        planner, saved = admin.predict("llm", llm.url, "fake-model", api_name="/save_settings")
        assert "LLM" in planner and saved.startswith("Saved")

        llm.queue(tool_call("find_customers", {"churn_risk": "high"}), text("Many customers are about to churn."))
        answer, _ = login(url, "mary").predict("Who is about to churn?", api_name="/ask")
        assert answer["planner"] == "llm"
        assert [c["name"] for c in answer["tool_calls"]] == ["find_customers"]
        assert "about to churn" in answer["answer"]


def test_an_unreachable_llm_gets_the_offline_answer_with_a_notice(admin_app):
    url, _ = admin_app
    login(url, "ada").predict("llm", "http://127.0.0.1:9/v1", "tiny", api_name="/save_settings")
    history, _ = login(url, "mary").predict("Who is about to churn?", api_name="/chat")
    texts = assistant_texts(history)
    assert any(t.startswith("ℹ️") and "offline planner" in t for t in texts)
    assert any("customers match" in t for t in texts)
