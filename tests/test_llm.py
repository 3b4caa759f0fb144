"""The LLM planner end to end through LangChain, against a scripted OpenAI-compatible server."""

import json
import socket

import pytest

from assistant.core import Assistant
from assistant.llm import LLMFailure, LLMSettings, check_connection, make_copywriter
from tests.fake_llm import FakeLLM, Reply, delay, error, text, tool_call
from tools.workspace import Workspace

COPY = {"variants": [{"subject": "We saved your favourites", "preheader": "Still there for you",
                      "body": "Come back and see what's new. Unsubscribe any time.", "cta": "Shop now"}]}


@pytest.fixture
def fake():
    with FakeLLM() as server:
        yield server


def settings_for(fake: FakeLLM, **overrides) -> LLMSettings:
    options = dict(base_url=fake.url, api_key="test", model="fake", timeout_s=5, max_retries=0)
    options.update(overrides)
    return LLMSettings(**options)


@pytest.fixture
def make_assistant(built_home, fake):
    def make(**overrides) -> Assistant:
        return Assistant(Workspace(built_home), llm=settings_for(fake, **overrides))

    return make


def tool_messages(body: dict) -> list[dict]:
    return [m for m in body["messages"] if m["role"] == "tool"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- settings and connection ------------------------------------------------------------

def test_settings_come_from_the_openai_environment_variables():
    env = {"OPENAI_API_KEY": "sk-x", "OPENAI_BASE_URL": "http://localhost:11434/v1", "TIERWISE_MODEL": "llama3.1"}
    settings = LLMSettings.from_env(env)
    assert (settings.api_key, settings.base_url, settings.model) == ("sk-x", "http://localhost:11434/v1", "llama3.1")
    assert LLMSettings.from_env({"OPENAI_API_KEY": "sk-x"}).model == "gpt-4o-mini"
    assert LLMSettings.from_env({"TIERWISE_MODEL": "llama3.1"}) is None
    assert LLMSettings.from_env({}) is None


def test_connection_check_says_connected_or_why_not(fake):
    fake.queue(text("OK"))
    ok, message = check_connection(settings_for(fake))
    assert ok and "Connected to fake" in message
    ok, message = check_connection(LLMSettings(base_url=f"http://127.0.0.1:{free_port()}/v1", api_key="x"))
    assert not ok and "Could not connect" in message
    fake.queue(error(401, "bad key"))
    ok, message = check_connection(settings_for(fake))
    assert not ok and "API key" in message
    assert check_connection(None)[0] is False


def test_requests_carry_the_token_cap_model_and_streaming(make_assistant, fake):
    fake.queue(text("Hello."))
    make_assistant(max_tokens=123).ask("What data do we have loaded?")
    body = fake.requests[0]
    assert body["model"] == "fake" and body["stream"] is True
    assert body.get("max_completion_tokens", body.get("max_tokens")) == 123
    assert {t["function"]["name"] for t in body["tools"]} >= {"find_customers", "draft_campaign", "customer_lookup"}
    system = body["messages"][0]
    assert system["role"] == "system" and "Tierwise" in system["content"]


# -- the happy path ---------------------------------------------------------------------

def test_multi_step_tool_calls_feed_each_result_back_to_the_model(make_assistant, fake):
    fake.queue(
        tool_call("find_customers", {"churn_risk": "high"}),
        tool_call("draft_campaign", {"goal": "winback", "channel": "email", "churn_risk": "high"}),
        tool_call("CampaignCopy", COPY),  # the copywriter's structured-output request inside draft_campaign
        text("I drafted a win-back email for the high-risk customers."),
    )
    assistant = make_assistant()
    conversation = assistant.conversation("marketer")
    answer = assistant.ask("Who is about to churn? Draft a win-back email for them", conversation)

    assert answer.planner == "llm" and answer.notice is None
    assert answer.text == "I drafted a win-back email for the high-risk customers."
    assert [(c.name, c.status) for c in answer.tool_calls] == [("find_customers", "ok"), ("draft_campaign", "ok")]
    found = answer.tool_calls[0].result
    # the model saw the first result (count) before choosing the second call
    second = tool_messages(fake.requests[1])
    assert len(second) == 1 and json.loads(second[0]["content"])["facts"]["customers"] == found.facts["customers"]
    copy_request = fake.requests[2]
    assert copy_request["tool_choice"]["function"]["name"] == "CampaignCopy"
    assert "We saved your favourites" in json.dumps(answer.tool_calls[1].result.variants)
    assert len(tool_messages(fake.requests[3])) == 2
    assert conversation.state.audience.get("churn_risk") == "high"
    assert conversation.history[-1] == {"role": "assistant", "content": answer.text}


def test_text_streams_token_by_token_and_tool_records_as_they_run(make_assistant, fake):
    fake.queue(tool_call("dataset_overview", {}), text("There are several thousand customers in the data."))
    events = []
    answer = make_assistant().ask("What data do we have loaded?", on_event=lambda kind, value: events.append((kind, value)))
    tokens = [v for k, v in events if k == "token"]
    assert len(tokens) > 3 and "".join(tokens) == answer.text
    kinds = [k for k, _ in events]
    assert kinds.index("tool") < kinds.index("token")
    assert [v.name for k, v in events if k == "tool"] == ["dataset_overview"]


def test_earlier_turns_go_to_the_model_as_messages(make_assistant, fake):
    fake.queue(text("First answer."), text("Second answer."))
    assistant = make_assistant()
    conversation = assistant.conversation()
    assistant.ask("How many customers are there?", conversation)
    assistant.ask("And orders?", conversation)
    roles = [(m["role"], m.get("content")) for m in fake.requests[1]["messages"][1:]]
    assert roles == [("user", "How many customers are there?"), ("assistant", "First answer."), ("user", "And orders?")]


def test_follow_ups_see_the_last_audience_in_the_context(make_assistant, fake):
    fake.queue(tool_call("find_customers", {"segment": "lost"}), text("Found them."), text("OK."))
    assistant = make_assistant()
    conversation = assistant.conversation()
    assistant.ask("Show me the lost segment", conversation)
    assistant.ask("Export them", conversation)
    assert '"segment": "lost"' in fake.requests[2]["messages"][0]["content"]


def test_a_retry_gets_past_one_server_error(make_assistant, fake):
    fake.queue(error(500), text("Fine now."))
    answer = make_assistant(max_retries=1).ask("What data do we have loaded?")
    assert answer.planner == "llm" and answer.text == "Fine now."
    assert len(fake.requests) == 2


def test_an_answer_cut_at_the_token_cap_says_so(make_assistant, fake):
    fake.queue(text("The short answer is", finish_reason="length"))
    answer = make_assistant().ask("What data do we have loaded?")
    assert answer.planner == "llm" and "token cap" in answer.notice


# -- failures fall back to the offline planner ---------------------------------------------

def always(reply_factory):
    return lambda body: reply_factory()


FAILURES = {
    "timeout": ([delay(3.0)], {"timeout_s": 0.5}, "did not answer within 0.5 seconds"),
    "rate limited": ([error(429, "slow down")], {}, "HTTP 429"),
    "server error": ([error(503, "overloaded")], {}, "server error (HTTP 503)"),
    "malformed tool call twice": ([tool_call("find_customers", raw_arguments='{"churn_risk": high}'),
                                   tool_call("find_customers", raw_arguments='{"churn_risk": "hi')], {},
                                  "malformed tool call twice"),
    "unknown tool": ([tool_call("drop_database", {"really": True})], {}, "tool that does not exist ('drop_database')"),
    "empty response": ([text("")], {}, "empty answer"),
    "tool call cut at the token cap": ([Reply(tool_calls=[{"name": "find_customers", "arguments": '{"churn_risk": "hi'}],
                                              finish_reason="length")], {}, "cut off at the token cap (800 tokens)"),
}


@pytest.mark.parametrize("failure", list(FAILURES))
def test_each_llm_failure_falls_back_to_the_offline_answer_with_a_notice(make_assistant, fake, failure):
    replies, overrides, says = FAILURES[failure]
    fake.queue(*replies)
    assistant = make_assistant(**overrides)
    question = "What data do we have loaded?"
    events = []
    answer = assistant.ask(question, on_event=lambda kind, value: events.append((kind, value)))
    offline = assistant.ask(question, use_llm=False)

    assert answer.planner == "offline"
    assert says in answer.notice and "offline planner" in answer.notice
    assert "Traceback" not in answer.notice and "Error(" not in answer.notice
    assert answer.text == offline.text
    assert ("notice", answer.notice) in events
    assert all(c.name != "drop_database" for c in answer.tool_calls)


def test_an_unreachable_server_falls_back_with_a_notice(built_home):
    assistant = Assistant(Workspace(built_home), llm=LLMSettings(
        base_url=f"http://127.0.0.1:{free_port()}/v1", api_key="x", model="fake", max_retries=0))
    answer = assistant.ask("What data do we have loaded?")
    assert answer.planner == "offline" and "Could not connect to the LLM" in answer.notice
    assert answer.text == assistant.ask("What data do we have loaded?", use_llm=False).text


def test_a_model_that_never_stops_calling_tools_is_stopped_at_the_step_cap(make_assistant, fake):
    fake.responder = always(lambda: tool_call("dataset_overview", {}))
    assistant = make_assistant(max_steps=3)
    answer = assistant.ask("What data do we have loaded?")
    assert answer.planner == "offline" and "too many steps (more than 3 tool calls)" in answer.notice
    assert answer.text == assistant.ask("What data do we have loaded?", use_llm=False).text
    assert len(fake.requests) == 4  # three answered tool calls, the fourth request is cut off


def test_llm_failure_is_a_sentence_not_a_traceback(fake):
    fake.queue(error(500))
    copywriter = make_copywriter(settings_for(fake))
    with pytest.raises(LLMFailure, match=r"^The LLM at .* had a server error \(HTTP 500\)\.$"):
        copywriter({"customers": 10}, {"goal": "winback", "channel": "sms", "variants": 1})


# -- roles and hostile arguments --------------------------------------------------------

def test_support_user_asking_through_the_llm_cannot_export(built_home, make_assistant, fake):
    fake.queue(tool_call("export_audience", {"tier": "high"}), text("Sorry, I can't export for you."))
    assistant = make_assistant()
    exports = Workspace(built_home).home / "exports"
    before = set(exports.glob("*")) if exports.exists() else set()
    answer = assistant.ask("Export all high tier customers", assistant.conversation("support"))

    assert answer.planner == "llm"
    [record] = answer.tool_calls
    assert (record.name, record.status, record.result) == ("export_audience", "denied", None)
    assert "support account" in record.error
    assert (set(exports.glob("*")) if exports.exists() else set()) == before
    refusal = tool_messages(fake.requests[1])[0]["content"]
    assert refusal.startswith("DENIED") and "support" in refusal


@pytest.mark.parametrize("args,says", [
    ({"country": "Germany'; DROP TABLE customers; --"}, "Unknown country"),
    ({"tier": "high' OR '1'='1"}, "Invalid arguments"),
    ({"sql": "DROP TABLE customers"}, "has no argument sql"),
])
def test_hostile_tool_arguments_get_a_validation_error_and_nothing_runs(built_home, make_assistant, fake, args, says):
    snapshot = Assistant(Workspace(built_home)).dataset.snapshot()
    before = snapshot.scalar("SELECT count(*) FROM customers")
    fake.queue(tool_call("find_customers", args), text("That filter is not valid."))
    answer = make_assistant().ask("List German customers")

    [record] = answer.tool_calls
    assert record.status == "error" and says in record.error and record.result is None
    assert tool_messages(fake.requests[1])[0]["content"].startswith("ERROR")
    assert snapshot.scalar("SELECT count(*) FROM customers") == before


def test_the_agent_answers_the_long_tail_through_query_metrics_with_the_catalog_in_its_schema(make_assistant, fake, built_home):
    fake.queue(tool_call("query_metrics", {"metrics": ["aov"], "by": ["channel"], "filters": {"category": "Books"}}),
               text("Average order value of Books lines by channel is in the table."))
    answer = make_assistant().ask("What's the AOV of book orders per channel?")
    record = answer.tool_calls[0]
    assert (record.name, record.status) == ("query_metrics", "ok")
    spec = next(t for t in fake.requests[0]["tools"] if t["function"]["name"] == "query_metrics")["function"]
    assert "aov: revenue ÷ orders" in spec["description"] and '"Books"' in spec["description"]
    assert "an order is one order id" in spec["description"]
    # the number the model saw is the one pandas computes from the store
    from tools.dataset import Dataset
    snapshot = Dataset(Workspace(built_home)).snapshot()
    # sales figures count the lines without a customer too (anonymous_orders: the demo has a few), as the answer says
    sales = "orders" + (" UNION ALL BY NAME SELECT * FROM anonymous_orders" if "anonymous_orders" in snapshot.tables else "")
    lines = snapshot.query(
        f"SELECT channel, sum(amount) / count(DISTINCT coalesce(customer_id, '') || '|' || order_id) AS aov "
        f"FROM (SELECT * FROM {sales}) WHERE category = 'Books' "
        "AND order_date <= (SELECT max(order_date) FROM orders) GROUP BY 1")
    sent = json.loads(tool_messages(fake.requests[1])[0]["content"])
    rows = {r["channel"]: r["aov"] for r in sent["facts"]["rows"]}
    assert rows == pytest.approx(dict(zip(lines["channel"], lines["aov"])), rel=1e-6)


# -- one executor for both planners -------------------------------------------------------

def test_the_llm_path_runs_calls_through_the_same_executor_and_role_policy(make_assistant, fake):
    """A support agent with a customer in view asks 'is she likely to leave?'; the model proposes a group query.
    The executor (shared with the offline planner) turns it into that customer's lookup, as offline."""
    assistant = make_assistant()
    conversation = assistant.conversation("support")
    fake.queue(tool_call("customer_lookup", {"query": "C000042"}), text("Found the customer."))
    first = assistant.ask("what tier is customer C000042?", conversation)
    assert [(c.name, c.status) for c in first.tool_calls] == [("customer_lookup", "ok")]
    assert conversation.state.customer_id == "C000042"
    fake.queue(tool_call("find_customers", {"churn_risk": "high"}), text("She is at some risk."))
    second = assistant.ask("is she likely to leave?", conversation)
    assert [(c.name, c.status, c.args) for c in second.tool_calls] == [("customer_lookup", "ok", {"query": "C000042"})]
    offline = assistant.ask("is she likely to leave?", conversation, use_llm=False)
    assert [(c.name, c.args) for c in offline.tool_calls] == [("customer_lookup", {"query": "C000042"})]


# -- tool calls are read strictly, and the tool receives the validated values ----------------

@pytest.mark.parametrize("raw", ["{", '{"country": "Germany", "tier"', '{"tier": "high",}', '["tier", "high"]', '{"min_clv": NaN}'])
def test_truncated_tool_call_json_is_never_repaired_and_run(built_home, make_assistant, fake, raw):
    """Finding 8: streamed '{' ran as export_audience {} and exported everyone; a cut-off object lost its filter.
    Now nothing runs, the model is told its arguments were not valid JSON, and its corrected call runs."""
    exports = Workspace(built_home).home / "exports"
    before = set(exports.glob("*")) if exports.exists() else set()
    fake.queue(tool_call("export_audience", raw_arguments=raw),
               tool_call("find_customers", {"country": "Germany", "tier": "high"}),
               text("There are some high-tier customers in Germany."))
    answer = make_assistant().ask("How many high tier customers in Germany?")

    assert answer.planner == "llm" and answer.notice is None
    assert [(c.name, c.args, c.status) for c in answer.tool_calls] == [
        ("find_customers", {"country": "Germany", "tier": "high"}, "ok")]
    told = tool_messages(fake.requests[1])
    assert len(told) == 1 and told[0]["content"].startswith("ERROR") and "not valid JSON" in told[0]["content"]
    assert (set(exports.glob("*")) if exports.exists() else set()) == before


def test_a_second_malformed_tool_call_ends_in_the_offline_answer(make_assistant, fake):
    fake.queue(tool_call("export_audience", raw_arguments="{"), tool_call("export_audience", raw_arguments='{"tier": '))
    assistant = make_assistant()
    answer = assistant.ask("How many customers are in the high tier?")
    assert answer.planner == "offline" and "malformed tool call twice" in answer.notice
    assert "export_audience" not in [c.name for c in answer.tool_calls]
    assert len(fake.requests) == 2


def test_tool_arguments_are_validated_and_coerced_before_the_tool_runs(make_assistant, fake):
    """Finding 12: limit "20" reached the tool as a string (TypeError) and limit true ran as LIMIT 1."""
    fake.queue(tool_call("find_customers", {"churn_risk": "high", "limit": "20"}),
               tool_call("find_customers", {"churn_risk": "high", "limit": True}),
               text("Done."))
    answer = make_assistant().ask("Who is about to churn?")
    coerced, refused = answer.tool_calls
    assert coerced.status == "ok" and len(coerced.result.tables[0].rows) == 20
    assert refused.status == "error" and "limit: a number is needed, not true" in refused.error


# -- the outbound gate: caps per field and per request ---------------------------------------

def test_the_outbound_gate_caps_each_field_and_the_whole_request():
    from assistant.outbound import Limits, OutboundGate, RequestTooLarge
    from assistant.privacy import Redactor

    gate = OutboundGate(Redactor(), Limits(message=500, system_prompt=300, request=2_500, schema_text=50))
    payload = {"messages": [{"role": "system", "content": "rules " * 200},
                            {"role": "user", "content": "first question " * 200},
                            {"role": "assistant", "content": "first answer " * 200},
                            {"role": "user", "content": "second question " * 200},
                            {"role": "assistant", "content": "second answer " * 200},
                            {"role": "user", "content": "the question, mail ann@example.com " + "x" * 2_000}],
               "tools": [{"type": "function", "function": {"name": "t", "description": "d",
                                                           "parameters": {"properties": {"a": {"description": "y" * 900}}}}}]}
    out = gate.payload(payload)
    assert len(json.dumps(out, ensure_ascii=False)) <= 2_500
    roles = [m["role"] for m in out["messages"]]
    assert roles in (["system", "user", "assistant", "user"], ["system", "user"])  # oldest exchanges dropped first
    assert "first question" not in json.dumps(out)
    assert out["messages"][-1]["content"].startswith("the question, mail <email_1>")
    assert all(len(m["content"]) <= 500 + len(" …(truncated)") for m in out["messages"])
    assert len(out["tools"][0]["function"]["parameters"]["properties"]["a"]["description"]) < 70
    with pytest.raises(RequestTooLarge, match=r"over the cap of 2,500"):
        OutboundGate(Redactor(), Limits(request=2_500, message=4_000)).payload(
            {"messages": [{"role": "user", "content": "q " * 2_000}]})


def test_clipping_never_leaves_part_of_an_email_behind():
    from assistant.outbound import clip

    text = "see " * 10 + "jane.doe@example.com and more"
    for limit in range(41, 60):
        assert "jane" not in clip(text, limit) and "@" not in clip(text, limit)


def test_a_long_conversation_keeps_every_request_under_the_cap(make_assistant, fake):
    from assistant.outbound import LIMITS

    assistant = make_assistant()
    conversation = assistant.conversation()
    for i in range(10):
        conversation.remember(f"question {i} " + "word " * 2_000, f"answer {i} " + "word " * 2_000)
    fake.queue(text("Fine."))
    answer = assistant.ask("And the last question?", conversation)
    assert answer.planner == "llm"
    body = fake.raw_bodies[0]
    assert len(body) <= LIMITS.request and json.loads(body)["messages"][-1]["content"] == "And the last question?"
