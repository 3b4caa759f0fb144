"""No customer name, email or phone number ever reaches the external LLM."""

import json
import re
import shutil
from pathlib import Path

import pytest

from assistant.core import Assistant
from assistant.llm import LLMSettings
from assistant.privacy import Redactor, StreamRestorer
from tests.fake_llm import FakeLLM, text, tool_call
from tools.workspace import Workspace

QUESTIONS = Path(__file__).resolve().parents[1].parent / "shared" / "evals" / "questions.jsonl"
PLACEHOLDER = re.compile(r"<(?:customer|email|phone)_\d+>")
COPY = {"variants": [{"subject": "A thank-you for our best customers", "preheader": "Just for you",
                      "body": "Thanks for shopping with us. Unsubscribe any time.", "cta": "Shop now",
                      "text": "Thanks for shopping with us. Reply STOP to opt out."}]}


@pytest.fixture(scope="module")
def home(built_home, tmp_path_factory):
    """A copy of the built demo world: the eval questions include exports, which write files."""
    copy = tmp_path_factory.mktemp("privacy") / "home"
    shutil.copytree(built_home, copy)
    return copy


@pytest.fixture(scope="module")
def customers(home):
    snapshot = Assistant(Workspace(home)).dataset.snapshot()
    return snapshot.query("SELECT * FROM customers ORDER BY customer_id")


@pytest.fixture(scope="module")
def unique_customer(customers):
    names = customers["name"].str.lower()
    unique = customers[~names.duplicated(keep=False) & customers["email"].notna()]
    # a name with an accent, if there is one, to cover non-ASCII text end to end
    accented = unique[unique["name"].map(lambda n: not n.isascii())]
    return (accented if len(accented) else unique).iloc[0]


# -- the redactor on its own ------------------------------------------------------------

def test_emails_and_phone_numbers_become_placeholders_and_come_back():
    redactor = Redactor()
    question = "Is jane.doe+shop@example.co.uk the same as +44 20 7946 0958 or 138-1234-5678?"
    redacted = redactor.redact(question)
    assert redacted == "Is <email_1> the same as <phone_1> or <phone_2>?"
    assert redactor.restore(redacted) == question


@pytest.mark.parametrize("figure", [
    "Variant A had 5000 visitors and 250 conversions", "revenue was 500527.43", "as of 2025-12-31 00:00:00",
    "customer C000123", "15000000 in total", "between 2024-01-01 and 2024-03-31", "a 15 dollar coupon",
])
def test_figures_ids_and_dates_are_not_mistaken_for_phone_numbers(figure):
    assert Redactor().redact(figure) == figure


def test_customer_names_are_found_in_the_dataset_whatever_their_case(home, unique_customer):
    snapshot = Assistant(Workspace(home)).dataset.snapshot()
    redactor = Redactor.for_snapshot(snapshot)
    name = unique_customer["name"]
    redacted = redactor.redact(f"What tier is {name.upper()}? And {name}'s last order?")
    assert redacted == "What tier is <customer_1>? And <customer_1>'s last order?"
    assert redactor.restore_args({"query": "<customer_1>", "k": 3}) == {"query": name.upper(), "k": 3}
    assert redactor.redact("Show mid tier customers who bought Electronics") == \
        "Show mid tier customers who bought Electronics"


def test_chinese_names_written_without_spaces_are_found():
    redactor = Redactor(lambda candidates: {"王芳"} & set(candidates))
    assert redactor.redact("客户王芳的等级是什么？") == "客户<customer_1>的等级是什么？"


def test_a_value_redacted_once_is_redacted_wherever_it_comes_back():
    redactor = Redactor()
    redactor.redact("call +44 20 7946 0958")
    # a tool's error sentence echoing the restored value gets the same placeholder
    assert redactor.redact("No customer found for '+44 20 7946 0958'.") == "No customer found for '<phone_1>'."


def test_a_placeholder_split_across_streamed_chunks_is_restored_whole():
    redactor = Redactor()
    redactor.redact("mail ann@example.com")
    out = []
    stream = StreamRestorer(redactor, out.append)
    for chunk in ["Write to <em", "ail_1", "> today", " <b>ok</b>"]:
        stream.feed(chunk)
    stream.flush()
    assert "".join(out) == "Write to ann@example.com today <b>ok</b>"


# -- end to end: everything the server received ---------------------------------------

def test_the_model_looks_a_customer_up_by_placeholder_and_the_user_sees_the_name(home, unique_customer):
    name = unique_customer["name"]
    with FakeLLM() as fake:
        fake.queue(tool_call("customer_lookup", {"query": "<customer_1>"}),
                   text("<customer_1> is a customer; see the profile card."))
        assistant = Assistant(Workspace(home), llm=LLMSettings(base_url=fake.url, api_key="test", model="fake",
                                                               max_retries=0))
        tokens = []
        answer = assistant.ask(f"What tier is {name}?", assistant.conversation("support"),
                               on_event=lambda kind, value: kind == "token" and tokens.append(value))
        sent = "\n".join(fake.raw_bodies)

    [record] = answer.tool_calls
    assert record.args == {"query": name} and record.status == "ok"
    assert record.result.customer_id == unique_customer["customer_id"]
    assert answer.text == f"{name} is a customer; see the profile card." == "".join(tokens)
    assert json.loads(fake.raw_bodies[0])["messages"][-1]["content"] == "What tier is <customer_1>?"
    assert name.lower() not in json.dumps([json.loads(b) for b in fake.raw_bodies], ensure_ascii=False).lower()
    assert unique_customer["email"].lower() not in sent.lower()


def eval_turns():
    for line in QUESTIONS.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            yield item["id"], item["role"], item.get("turns") or [{"q": item["q"], "expect": item["expect"]}]


def plausible_call(question: str, expect: dict) -> tuple[str, dict] | None:
    """What a sensible model would call: the expected tool, or for refused questions the tool asked for."""
    if expect.get("tool"):
        return expect["tool"], dict(expect.get("args", {}))
    if expect.get("denied"):
        return ("export_audience", {"tier": "high"}) if "export" in question.lower() else \
            ("find_customers", {"churn_risk": "high"})
    return None


class ScriptedModel:
    """Answers like a tool-calling model: call the planned tool, then summarise; copy on request."""

    def __init__(self):
        self.plan: tuple[str, dict] | None = None

    def __call__(self, body: dict):
        if body.get("tool_choice"):  # the copywriter's structured-output request
            return tool_call(body["tool_choice"]["function"]["name"], COPY)
        last = body["messages"][-1]
        if last["role"] == "tool":
            return text("Here is what I found; the details are in the table.")
        placeholders = PLACEHOLDER.findall(last.get("content") or "")
        if placeholders:  # a question naming a customer: look them up by the placeholder
            return tool_call("customer_lookup", {"query": placeholders[0]})
        if self.plan:
            return tool_call(*self.plan)
        return text("I can help with customers, segments, campaigns and forecasts.")


def words(text: str) -> list[str]:
    return re.findall(r"[^\W\d_]+", text.lower())


def test_no_customer_pii_reaches_the_llm_for_any_eval_question(home, customers, unique_customer):
    name, email = unique_customer["name"], unique_customer["email"]
    other = customers.iloc[len(customers) // 2]
    named_questions = [
        ("support", [{"q": f"What tier is {name}?", "expect": {}}]),
        ("support", [{"q": f"Look up {email} for me", "expect": {}}]),
        ("marketer", [{"q": f"Is {name.lower()} ({email}) about to churn? Her phone is +44 20 7946 0958.", "expect": {}},
                      {"q": f"And {other['name']}?", "expect": {}}]),
        ("marketer", [{"q": f"客户 {other['email']} 是哪个等级？", "expect": {}}]),
    ]
    conversations = [(role, turns) for _, role, turns in eval_turns()] + named_questions

    model = ScriptedModel()
    with FakeLLM() as fake:
        fake.responder = model
        assistant = Assistant(Workspace(home), llm=LLMSettings(base_url=fake.url, api_key="test", model="fake",
                                                                     timeout_s=10, max_retries=0))
        answers = []
        for role, turns in conversations:
            conversation = assistant.conversation(role)
            for turn in turns:
                model.plan = plausible_call(turn["q"], turn["expect"])
                answers.append(assistant.ask(turn["q"], conversation))
        bodies = [json.dumps(json.loads(raw), ensure_ascii=False).lower() for raw in fake.raw_bodies]

    # every name (as a run of words), email and phone of the customers table, against every body
    sent = "\n".join(bodies)
    sent_words = words(sent)
    runs = {" ".join(sent_words[i:i + n]) for n in range(2, 6) for i in range(len(sent_words) - n + 1)}
    names = {" ".join(words(n)) for n in customers["name"].dropna()}
    leaked_names = names & runs
    sent_emails = set(re.findall(r"[\w.+%-]+@[\w.-]+\w", sent))
    leaked_emails = {e.lower() for e in customers["email"].dropna()} & sent_emails
    leaked_phones = set()
    if "phone" in customers.columns:  # the demo has none, a shop's own customers file may
        sent_numbers = {re.sub(r"\D", "", m) for m in re.findall(r"\+?\d[\d\s().-]{5,}\d", sent)}
        leaked_phones = {re.sub(r"\D", "", str(p)) for p in customers["phone"].dropna()} & sent_numbers
    assert len(names) > 1000 and len(customers["email"].dropna()) > 1000
    assert not leaked_names
    assert not leaked_emails
    assert not leaked_phones
    assert "+44 20 7946 0958" not in sent and "<customer_1>" in sent and "<email_1>" in sent and "<phone_1>" in sent
    assert all(a.planner == "llm" for a in answers), [a.notice for a in answers if a.planner != "llm"]
    lookups = [c for a in answers for c in a.tool_calls if c.name == "customer_lookup" and c.status == "ok"]
    assert {c.result.customer_id for c in lookups} >= {unique_customer["customer_id"], other["customer_id"]}
    assert len(bodies) > 2 * len(conversations)
