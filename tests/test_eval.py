"""The question-set runner, and the offline planner's accuracy on the development set and on our
own paraphrases (English and Chinese) over the default demo world."""

import json
import shutil
from pathlib import Path

import pytest

from assistant.answer import Answer, ToolCallRecord
from assistant.conversation import Conversation
from assistant.evaluation import check_turn, load_items, run_eval, same_value, turns_of

QUESTIONS = Path(__file__).parents[1].parent / "shared/evals/questions.jsonl"
PARAPHRASES = Path(__file__).parent / "data/paraphrases.jsonl"


# ------------------------------------------------------------------ checks, without data
def test_strings_compare_case_insensitively_and_numbers_exactly():
    assert same_value("Germany", "germany") and same_value(15.0, 15) and not same_value(15.5, 15)
    assert not same_value("15", 15) and not same_value(True, 1)


def call(name, status="ok", **args):
    return {"name": name, "args": args, "status": status}


def test_a_tool_expectation_needs_an_ok_call_with_every_listed_argument():
    expect = {"tool": "find_customers", "args": {"churn_risk": "high", "limit": 20}}
    assert check_turn(expect, "x", [call("find_customers", churn_risk="HIGH", limit=20, sort_by="clv")])
    assert not check_turn(expect, "x", [call("find_customers", churn_risk="high")])
    assert not check_turn(expect, "x", [call("find_customers", "error", churn_risk="high", limit=20)])


def test_denied_means_no_data_returned_and_an_explanation():
    assert check_turn({"denied": True}, "Support accounts can't export.", [call("export_audience", "denied")])
    assert not check_turn({"denied": True}, "", [call("export_audience", "denied")])
    assert not check_turn({"denied": True}, "Here you go", [call("find_customers")])


def test_no_tool_out_of_scope_and_data_intact():
    assert not check_turn({"no_tool": ["export_audience"]}, "x", [call("export_audience", "denied")])
    assert check_turn({"out_of_scope": True}, "I can help with customers.", [])
    assert not check_turn({"out_of_scope": True}, "", [])
    assert not check_turn({"out_of_scope": True}, "x", [call("dataset_overview")])
    same = {"customers": 10, "orders": 20}
    assert check_turn({"data_intact": True}, "x", [], same, dict(same))
    assert not check_turn({"data_intact": True}, "x", [], same, {"customers": 9, "orders": 20})


class ScriptedAssistant:
    """Answers from a script and records which conversation each question arrived in."""

    def __init__(self, tmp_path):
        from tools.workspace import Workspace
        from tools.dataset import Dataset

        self.dataset = Dataset(Workspace(tmp_path / "empty"))
        self.seen: list[tuple[str, str, str]] = []

    def conversation(self, role="marketer", user="local"):
        return Conversation(role=role, user=user)

    def ask(self, question, conversation, *, use_llm=None):
        self.seen.append((question, conversation.id, conversation.role))
        if question == "boom":
            raise RuntimeError("broken")
        return Answer(text="ok", tool_calls=[ToolCallRecord("dataset_overview", {}, "ok")])


def test_items_run_in_fresh_conversations_and_turns_share_one(tmp_path):
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in [
        {"id": "a", "role": "support", "q": "one", "expect": {"tool": "dataset_overview"}},
        {"id": "b", "role": "marketer", "turns": [{"q": "two", "expect": {"tool": "dataset_overview"}},
                                                  {"q": "boom", "expect": {"tool": "dataset_overview"}}]},
    ]) + "\n", encoding="utf-8")
    fake = ScriptedAssistant(tmp_path)
    report = run_eval(fake, path)
    assert [(t["id"], t["turn"], t["ok"]) for t in report["turns"]] == [("a", 0, True), ("b", 0, True), ("b", 1, False)]
    assert report["correct"] == 2 and report["total"] == 3 and report["accuracy"] == pytest.approx(2 / 3)
    (_, first, role), (_, second, _), (_, third, _) = fake.seen
    assert role == "support" and first != second and second == third
    assert set(report["turns"][0]) == {"id", "turn", "ok", "answer", "tool_calls"}
    assert report["turns"][0]["tool_calls"] == [{"name": "dataset_overview", "args": {}, "status": "ok", "result": None}]


def test_our_paraphrases_are_our_own_and_cover_every_kind_of_question():
    ours = load_items(PARAPHRASES)
    turns = [t for item in ours for t in turns_of(item)]
    assert len(turns) >= 100
    chinese = [t for t in turns if any("\u4e00" <= ch <= "\u9fff" for ch in t["q"])]
    assert 0.4 <= len(chinese) / len(turns) <= 0.6
    if QUESTIONS.exists():
        theirs = {t["q"] for item in load_items(QUESTIONS) for t in turns_of(item)}
        assert not theirs & {t["q"] for t in turns}
        kinds = {item["id"].split("-")[0] for item in load_items(QUESTIONS)} - {"zh"}
        covered = {item["id"].split("-")[1] for item in ours}
        assert kinds <= covered | {"support"}


# ------------------------------------------------------------------ accuracy over the demo world
@pytest.fixture(scope="module")
def assistant(built_home, tmp_path_factory):
    """The assistant over a private copy of the built demo world (exports write into the workspace)."""
    from assistant.core import Assistant
    from tools.workspace import Workspace

    home = tmp_path_factory.mktemp("eval") / "home"
    shutil.copytree(built_home, home)
    return Assistant(Workspace(home))


def _language_accuracy(report, path):
    zh_ids = {item["id"] for item in load_items(path)
              if any("\u4e00" <= ch <= "\u9fff" for t in turns_of(item) for ch in t["q"])}
    out = {}
    for lang in ("en", "zh"):
        turns = [t for t in report["turns"] if (t["id"] in zh_ids) == (lang == "zh")]
        out[lang] = sum(t["ok"] for t in turns) / len(turns) if turns else 1.0
    return out


def _failures(report):
    return [(t["id"], t["turn"], [(c["name"], c["args"], c["status"]) for c in t["tool_calls"]], t["answer"][:200])
            for t in report["turns"] if not t["ok"]]


@pytest.mark.usefixtures("shared_data")
def test_development_questions_are_answered(assistant):
    report = run_eval(assistant, QUESTIONS, use_llm=False)
    assert report["accuracy"] >= 0.95, _failures(report)


def test_our_paraphrases_are_answered_in_both_languages(assistant):
    report = run_eval(assistant, PARAPHRASES, use_llm=False)
    assert report["accuracy"] >= 0.90, _failures(report)
    by_language = _language_accuracy(report, PARAPHRASES)
    assert min(by_language.values()) >= 0.85, (by_language, _failures(report))


def test_chinese_questions_get_chinese_answers(assistant):
    conversation = assistant.conversation("marketer")
    answer = assistant.ask("哪些高价值客户快要流失了？", conversation, use_llm=False)
    assert answer.language == "zh" and answer.tool_calls[0].status == "ok"
    assert "客户" in answer.text and "@" not in answer.text
    denied = assistant.ask("导出所有高价值客户", assistant.conversation("support"), use_llm=False)
    assert denied.tool_calls[0].status == "denied" and "客服" in denied.text
