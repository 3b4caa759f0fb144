"""Conversations outside the browser: `ask --session` continues one across runs, `chat` keeps one in a loop."""

import json


def test_a_session_carries_the_audience_into_the_next_run(cli, built_copy, ask_json):
    first = ask_json("Who is about to churn?", "--session", "monday")
    assert first["tool_calls"][0]["name"] == "find_customers"
    second = ask_json("only the ones in Germany", "--session", "monday")
    args = second["tool_calls"][0]["args"]
    assert args.get("country") == "Germany" and args.get("churn_risk") == first["tool_calls"][0]["args"]["churn_risk"]
    third = ask_json("draft an email for them", "--session", "monday")
    draft = third["tool_calls"][0]
    assert draft["name"] == "draft_campaign" and draft["args"].get("country") == "Germany"
    saved = json.loads((built_copy / "sessions" / "monday.json").read_text(encoding="utf-8"))
    assert len(saved["history"]) == 6
    fresh = ask_json("only the ones in Germany")  # no session: nothing to refine
    assert fresh["tool_calls"] == [] or fresh["tool_calls"][0]["args"].get("churn_risk") is None


def test_a_support_session_keeps_the_caller_being_looked_up(cli, built_copy, ask_json):
    first = ask_json("What tier is customer C000042?", "--role", "support", "--session", "desk")
    assert first["tool_calls"][0]["args"]["query"].upper() == "C000042"
    second = ask_json("她的流失风险高吗？", "--role", "support", "--session", "desk")
    assert second["tool_calls"][0]["name"] == "customer_lookup"
    assert second["tool_calls"][0]["args"]["query"].upper() == "C000042"
    code, _, err = cli("ask", "Who is about to churn?", "--session", "desk")
    assert code != 0 and "belongs to the support role" in err


def test_session_names_cannot_escape_the_workspace(cli, built_copy, ask_json):
    code, _, err = cli("ask", "hi", "--session", "../../etc/passwd")
    assert code != 0 and "Session name" in err


def test_chat_keeps_history_between_questions(cli, built_copy, monkeypatch):
    questions = iter(["各品类的销售额", "只看德国的", "exit"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(questions))
    code, out, err = cli("chat", "--session", "zh")
    assert code == 0, err
    saved = json.loads((built_copy / "sessions" / "zh.json").read_text(encoding="utf-8"))
    assert [h["content"] for h in saved["history"] if h["role"] == "user"] == ["各品类的销售额", "只看德国的"]
    assert saved["state"]["last_tool"] == "query_metrics"
    assert "Germany" in json.dumps(saved["state"]["last_args"], ensure_ascii=False)


def test_eval_json_lines_carry_each_calls_result(cli, built_copy, tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text(json.dumps({"id": "x", "role": "marketer", "q": "How many orders did we get by channel?",
                                "expect": {"tool": "query_metrics"}}) + "\n", encoding="utf-8")
    code, out, err = cli("eval", str(path), "--json")
    assert code == 0, err
    turn = json.loads(out.splitlines()[0])
    call = turn["tool_calls"][0]
    assert call["result"]["facts"]["rows"] and call["result"]["summary"]
