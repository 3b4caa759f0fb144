"""Run a question set (JSONL, see shared/evals/README.md) through the assistant and score each turn.

Each item runs in a fresh conversation with its role; the turns of a multi-turn item share one
conversation, so follow-ups resolve as they would in the chat. A turn is correct when every check
its `expect` names passes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tools.errors import TierwiseError
from tools.store import dataset_status

# Tools that hand back nothing from the dataset: a refused user may still get these
NON_DATA_TOOLS = frozenset({"ab_test"})
# Presets over the semantic layer: a query_metrics call carrying the expected values meets their expectation
PRESETS = frozenset({"kpi_trend", "segment_summary", "dataset_overview"})
PRESET_METRICS = {"repeat_rate": "repeat_purchase_rate"}
STATUS_KEYS = ("dataset", "customers", "orders", "order_lines", "revenue", "date_min", "date_max")


def load_items(path: str | Path) -> list[dict[str, Any]]:
    items = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TierwiseError(f"{path}, line {number}: not valid JSON ({exc.msg}).") from None
        if "q" not in item and "turns" not in item:
            raise TierwiseError(f"{path}, line {number}: an item needs either 'q' or 'turns'.")
        items.append(item)
    return items


def turns_of(item: dict[str, Any]) -> list[dict[str, Any]]:
    return item["turns"] if "turns" in item else [{"q": item["q"], "expect": item.get("expect", {})}]


def same_value(actual: Any, expected: Any) -> bool:
    """Strings compare case-insensitively, numbers exactly (5 == 5.0), anything else by equality."""
    if isinstance(expected, str):
        return isinstance(actual, str) and actual.strip().lower() == expected.strip().lower()
    if isinstance(expected, bool) or isinstance(actual, bool):
        return actual is expected
    if isinstance(expected, (int, float)):
        return isinstance(actual, (int, float)) and actual == expected
    return actual == expected


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _conditions(value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [(k, v) for k, v in value.items()]
    return [(c.get("field"), c.get("value")) for c in _listed(value) if isinstance(c, dict)]


def preset_met(expected: dict[str, Any], args: dict[str, Any]) -> bool:
    """Whether a query_metrics call carries a preset's expected values: metric among its metrics, period as its
    grain, by among its dimensions, dates equal, an audience filter as a condition on that field."""
    from assistant.planning_metrics import FLAT_FILTERS

    conds = _conditions(args.get("audience")) + _conditions(args.get("filters"))
    for key, want in expected.items():
        if key == "metric":
            ok = any(same_value(m, PRESET_METRICS.get(want, want)) for m in _listed(args.get("metrics")))
        elif key == "period":
            ok = same_value(args.get("grain"), want) or any(same_value(b, want) for b in _listed(args.get("by")))
        elif key == "by":
            ok = any(same_value(b, want) for b in _listed(args.get("by")))
        elif key in FLAT_FILTERS:
            name = FLAT_FILTERS[key][0]
            ok = any(f == name and (same_value(v, want) or (isinstance(v, list) and any(same_value(x, want) for x in v)))
                     for f, v in conds)
        else:
            ok = key in args and same_value(args[key], want)
        if not ok:
            return False
    return True


def _call_meets(expect: dict[str, Any], call: dict[str, Any]) -> bool:
    if call["status"] != "ok":
        return False
    wanted = expect.get("args", {})
    if call["name"] == expect["tool"]:
        return all(k in call["args"] and same_value(call["args"][k], v) for k, v in wanted.items())
    return expect["tool"] in PRESETS and call["name"] == "query_metrics" and preset_met(wanted, call["args"])


def check_turn(expect: dict[str, Any], answer: str, calls: list[dict[str, Any]],
               before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> bool:
    """Whether a turn meets every check of its `expect` (README: tool, args, denied, no_tool, data_intact, out_of_scope)."""
    checks: list[bool] = []
    if "tool" in expect:
        checks.append(any(_call_meets(expect, c) for c in calls))
    if expect.get("denied"):
        checks.append(bool(answer.strip())
                      and not any(c["status"] == "ok" and c["name"] not in NON_DATA_TOOLS for c in calls))
    if "no_tool" in expect:
        checks.append(not any(c["name"] in expect["no_tool"] for c in calls))
    if expect.get("data_intact"):
        checks.append(before is not None and after is not None
                      and all(before.get(k) == after.get(k) for k in STATUS_KEYS))
    if expect.get("out_of_scope"):
        checks.append(not calls and bool(answer.strip()))
    if not checks:
        checks.append(bool(answer.strip()))
    return all(checks)


def _status(assistant) -> dict[str, Any]:
    try:
        return dataset_status(assistant.dataset.workspace)
    except Exception as exc:  # a broken store counts as changed data, never as a crash of the eval
        return {"error": str(exc)}


def run_eval(assistant, path: str | Path, *, use_llm: bool | None = None) -> dict[str, Any]:
    """Every turn of the question set: {id, turn, ok, answer, tool_calls}, plus accuracy, correct and total."""
    results: list[dict[str, Any]] = []
    for item in load_items(path):
        conversation = assistant.conversation(role=item.get("role", "marketer"))
        for index, turn in enumerate(turns_of(item)):
            expect = turn.get("expect") or {}
            before = _status(assistant) if expect.get("data_intact") else None
            try:
                answer = assistant.ask(turn["q"], conversation, use_llm=use_llm)
                text = answer.text or ""
                calls = [c.to_json() for c in answer.tool_calls]  # with each call's result, as `ask --json`
            except Exception as exc:  # one broken turn must not end the run
                text, calls = f"The assistant failed: {type(exc).__name__}: {exc}", []
                ok = False
            else:
                after = _status(assistant) if expect.get("data_intact") else None
                ok = check_turn(expect, text, calls, before, after)
            results.append({"id": item.get("id", ""), "turn": index, "ok": ok, "answer": text, "tool_calls": calls})
    correct = sum(1 for r in results if r["ok"])
    total = len(results)
    return {"turns": results, "accuracy": correct / total if total else 0.0, "correct": correct, "total": total}
