"""`tierwise ask "…" --explain`: how the question was read (pieces, intent probabilities, the planned call),
then the answer as usual; with --json the same under "explain"."""

import json


def test_explain_prints_the_reading_before_the_answer(cli, built_copy, ask_json):
    code, out, err = cli("ask", "Which customers in Germany are about to churn?", "--explain")
    assert code == 0, err
    reading, answer = out.split("\n\n", 1)
    assert reading.startswith("How the offline planner read the question:")
    assert "normalised: which customers in germany are about to churn?" in reading
    assert 'slots: filters={"churn_risk": "high", "country": "Germany"}' in reading
    assert "query pieces: metrics=-" in reading and "save rate=-" in reading
    intents = [line.split()[0] for line in reading.splitlines() if line.startswith("    ")]
    assert len(intents) == 5 and intents[0] == "find_customers"
    assert 'call: find_customers {"churn_risk": "high", "country": "Germany"}' in reading
    assert "customers match" in answer and "· find_customers" in answer


def test_explain_with_json_adds_an_explain_object_matching_the_call_made(cli, built_copy, ask_json):
    data = ask_json("各渠道上季度的客单价", "--explain")
    e = data["explain"]
    assert e["language"] == "zh" and e["normalised"] == "各渠道上季度的客单价"
    assert e["pieces"]["metrics"] == ["aov"] and e["pieces"]["by"] == ["channel"]
    assert (e["pieces"]["since"], e["pieces"]["until"]) == ("2025-07-01", "2025-09-30")
    probabilities = [row["probability"] for row in e["intents"]]
    assert probabilities == sorted(probabilities, reverse=True) and 0 < sum(probabilities) <= 1.0001
    assert e["intents"][0]["intent"] == "query_metrics"
    assert e["calls"] == [{"name": c["name"], "args": c["args"]} for c in data["tool_calls"]]
    assert "explain" not in ask_json("各渠道上季度的客单价")


def test_explain_reads_a_follow_up_against_the_session_and_changes_nothing(cli, built_copy, ask_json):
    ask_json("Who is about to churn?", "--session", "desk")
    data = ask_json("only the ones in Germany", "--session", "desk", "--explain")
    planned = data["explain"]["calls"][0]
    assert planned["name"] == "find_customers" and planned["args"].get("country") == "Germany"
    assert planned["args"].get("churn_risk") == data["tool_calls"][0]["args"].get("churn_risk")
    saved = json.loads((built_copy / "sessions" / "desk.json").read_text(encoding="utf-8"))
    assert len(saved["history"]) == 4  # two questions and two answers: reading the question asked nothing
