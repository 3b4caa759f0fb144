"""Held-out judgement: answers with the right number on an unseen shop (issue 10's acceptance).

A German fashion & home retailer's export (tests/data/heldout_shop/make_shop.py: semicolons,
dd/mm/yyyy, "1.234,50 €", Order State, Member Tier, Store Region, Review Stars, messy columns) is
generated into a temporary directory and loaded as a shop owner would (automatic mapping, currency
EUR). Every question of tests/data/heldout_shop/questions.jsonl (half English, half Chinese, written
without looking at how questions are parsed) is asked offline in a fresh marketer conversation.

An answer is right when
1. a tool call's result carries the expected number, computed independently with pandas from the raw
   file (tests/data/heldout_shop/expected.py): for query_metrics, the first metric column of the
   headline row (or of the asked group's row; for a top group, the first group's name; for a change,
   the metric's `_change` column) within a relative tolerance of 1e-6; for another tool, any number
   in its facts; and
2. the answer text shows that number (thousands separators or not, 0-2 decimals, % for ratios, 万 in
   Chinese) or, for a top group, names the group; for a breakdown question (group_value) the table the
   answer shows may hold it instead, since a text cannot list every group (the row says "table").

`pytest -s tests/test_heldout_shop.py` or `python -m tests.test_heldout_shop` prints the per-question
table and the accuracy (English, Chinese, total); the test also writes test-artifacts/heldout_shop.json.
The floor asserted here guards against regressions below the first measurement (22/42 = 52% on 2026-12-02, before
the loader read "84,80 €" right); the target is 0.9. Questions are never tuned to pass.
"""

from __future__ import annotations

import json
import math
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "heldout_shop"
ARTIFACT = HERE.parent / "test-artifacts" / "heldout_shop.json"
FLOOR = 0.5
TARGET = 0.9
REL_TOL = 1e-6


def questions() -> list[dict[str, Any]]:
    with open(DATA / "questions.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


# --- matching numbers -----------------------------------------------------------------------------------
def _close(got: Any, want: Any) -> bool:
    if isinstance(want, list):
        return any(_close(got, w) for w in want)
    if isinstance(got, bool) or not isinstance(got, (int, float)) or isinstance(want, str):
        return False
    if got is None or (isinstance(got, float) and math.isnan(got)):
        return False
    return math.isclose(float(got), float(want), rel_tol=REL_TOL, abs_tol=1e-9)


def renderings(value: float, unit: str, lang: str) -> set[str]:
    """The ways an answer may write the number."""
    out: set[str] = set()
    v = float(value)
    if unit == "ratio":
        p = v * 100
        for d in (0, 1, 2):
            out |= {f"{p:.{d}f}%", f"{p:.{d}f} %", f"{abs(p):.{d}f}%"}
        return out
    digits = (0,) if unit == "count" and float(v).is_integer() else (0, 1, 2)
    for d in digits:
        out |= {f"{v:,.{d}f}", f"{v:.{d}f}"}
    if lang == "zh" and abs(v) >= 10_000:
        for d in (1, 2):
            out.add(f"{v / 10_000:.{d}f}万")
    return out


def text_shows(text: str, value: Any, unit: str, lang: str) -> bool:
    values = value if isinstance(value, list) else [value]
    for v in values:
        for r in renderings(v, unit, lang):
            if re.search(r"(?<![\d.,])" + re.escape(r) + r"(?![\d]|[.,]\d)", text):
                return True
    return False


def _same_name(a: Any, b: str) -> bool:
    return isinstance(a, str) and a.strip().casefold() == b.strip().casefold()


def _group_match(row: dict, dims: list[str], group: str) -> bool:
    for d in dims:
        v = row.get(d)
        if _same_name(v, group) or (d == "period" and isinstance(v, str) and v.startswith(group)):
            return True
    return False


def _numbers(obj: Any):
    if isinstance(obj, bool):
        return
    if isinstance(obj, (int, float)):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _numbers(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _numbers(v)


def extract(record, expect: dict[str, Any]) -> tuple[Any, str]:
    """What one tool call answered for this kind of question: (value, where it was read)."""
    result = record.result
    if result is None:
        return None, f"{record.status}: {record.error or 'no result'}"
    facts = result.facts or {}
    kind, group = expect["kind"], expect.get("group")
    if record.name != "query_metrics":
        if kind == "top_group":
            rows = facts.get("rows") or (result.tables[0].rows if result.tables else [])
            first = rows[0] if rows else None
            names = list(first.values()) if isinstance(first, dict) else list(first or [])
            return next((n for n in names if isinstance(n, str)), None), "first row"
        if group:  # a breakdown from another tool: the numbers of the asked group's table row
            hit = [row for t in result.tables for row in t.rows
                   if any(_same_name(c, group) or (isinstance(c, str) and c.startswith(group)) for c in row)]
            if hit:
                return list(_numbers(hit)), f"table row of {group}"
            if kind == "group_value":
                return None, f"no table row for {group}"
        return list(_numbers(facts)), "any number in facts"
    rows, metrics = facts.get("rows") or [], facts.get("metrics") or []
    if not rows or not metrics:
        return None, "no rows"
    m0 = metrics[0]
    dims = list(facts.get("by") or []) + (["period"] if facts.get("grain") else [])
    if kind == "top_group":
        return (rows[0].get(dims[0]) if dims else None), f"first {dims[0] if dims else 'group (none)'}"
    if kind == "change":
        return [r.get(f"{m0}_change") for r in rows], f"{m0}_change"
    if group and dims:
        hit = [r for r in rows if _group_match(r, dims, group)]
        if hit:
            return hit[0].get(m0), f"{m0} of {group}"
        if kind == "group_value":
            return None, f"no row for {group} in {dims}"
    if kind == "group_value":
        return None, f"not grouped ({m0})"
    return rows[0].get(m0), f"{m0}" + (f" (first of {len(rows)} rows)" if len(rows) > 1 else "")


def judge(answer, expect: dict[str, Any], want: Any, lang: str) -> dict[str, Any]:
    unit = expect["unit"]
    number_ok, got, where = False, None, ""
    for record in answer.tool_calls:
        value, place = extract(record, expect)
        if got is None:
            got, where = value, place
        if expect["kind"] == "top_group":
            ok = _same_name(value, want)
        elif isinstance(value, list):
            ok = any(_close(v, want) for v in value)
        else:
            ok = _close(value, want)
        if ok:
            number_ok, got, where = True, value, place
            break
    shown_in = None
    if expect["kind"] == "top_group":
        shown_in = "text" if str(want).casefold() in answer.text.casefold() else None
    elif text_shows(answer.text, want, unit, lang):
        shown_in = "text"
    elif expect["kind"] == "group_value" and any(_table_shows(t, expect.get("group"), want, unit, lang)
                                                  for r in answer.results for t in r.tables):
        shown_in = "table"  # a breakdown of many groups: the table the user sees holds the group's number
    if isinstance(got, list):
        got = got[:6]
    return {"number_ok": number_ok, "text_ok": shown_in is not None, "shown_in": shown_in,
            "right": number_ok and shown_in is not None, "got": got, "where": where}


def _table_shows(table, group: str | None, want: Any, unit: str, lang: str) -> bool:
    for row in table.rows:
        if group and not any(_same_name(c, group) or (isinstance(c, str) and c.startswith(group)) for c in row):
            continue
        if any(_close(c, want) or text_shows(str(c), want, unit, lang) for c in row if c is not None):
            return True
    return False


# --- the run --------------------------------------------------------------------------------------------
def run(workdir: str | Path) -> dict[str, Any]:
    from assistant.core import Assistant
    from tests.data.heldout_shop.expected import AMBIGUOUS, EXPECTED, load
    from tests.data.heldout_shop.make_shop import write_shop
    from tools.loading import load_dataset
    from tools.settings import write_settings
    from tools.workspace import Workspace

    workdir = Path(workdir)
    csv = write_shop(workdir / "export")
    shop = load(csv)
    home = workdir / "home"
    write_settings(home, currency="EUR")
    started = time.perf_counter()
    report = load_dataset(Workspace(home), csv)
    load_seconds = time.perf_counter() - started
    assistant = Assistant(Workspace(home))
    rows = []
    for q in questions():
        want = EXPECTED[q["id"]](shop)
        started = time.perf_counter()
        answer = assistant.ask(q["q"], assistant.conversation("marketer"))
        verdict = judge(answer, q["expect"], want, q["lang"])
        rows.append({
            "id": q["id"], "lang": q["lang"], "q": q["q"], "kind": q["expect"]["kind"], "expected": want,
            "ambiguous": AMBIGUOUS.get(q["id"]), **verdict,
            "calls": [{"name": c.name, "args": c.args, "status": c.status, "error": c.error} for c in answer.tool_calls],
            "answer": answer.text, "seconds": round(time.perf_counter() - started, 3),
        })
    acc = {}
    for lang in ("en", "zh", "all"):
        part = [r for r in rows if lang == "all" or r["lang"] == lang]
        acc[lang] = {"right": sum(r["right"] for r in part), "asked": len(part),
                     "accuracy": round(sum(r["right"] for r in part) / len(part), 4)}
    load_info = {k: report.get(k) for k in ("rows_read", "rows_kept", "cancelled", "rows_rejected", "rejected_by_reason", "as_of",
                                            "date_min", "date_max", "customers", "customers_all_cancelled", "mapping",
                                            "unmapped_columns", "warnings")}
    load_info["attributes"] = [{k: a.get(k) for k in ("name", "source_column", "type", "grain", "distinct",
                                                      "values", "missing", "merged")}
                               for a in report.get("attributes") or []]
    load_info["seconds"] = round(load_seconds, 2)
    load_info["expected_as_of"] = shop.as_of.isoformat()
    return {"accuracy": acc, "floor": FLOOR, "target": TARGET, "load": load_info, "questions": rows}


def _short(value: Any, width: int = 22) -> str:
    if isinstance(value, float):
        text = f"{value:.6g}"
    elif isinstance(value, list):
        text = "[" + ", ".join(_short(v, 10) for v in value) + "]"
    else:
        text = str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def table(result: dict[str, Any]) -> str:
    lines = [f"{'id':5} {'ok':3} {'num':3} {'txt':3} {'expected':>14} {'got':>22}  calls / question"]
    for r in result["questions"]:
        calls = "; ".join(f"{c['name']}({', '.join(f'{k}={json.dumps(v, ensure_ascii=False)}' for k, v in c['args'].items())})"
                          + ("" if c["status"] == "ok" else f" [{c['status']}]") for c in r["calls"]) or "(no tool)"
        lines.append(f"{r['id']:5} {'✔' if r['right'] else '✘':3} {'y' if r['number_ok'] else '-':3} "
                     f"{(r['shown_in'] or '-')[:3]:3} {_short(r['expected'], 14):>14} {_short(r['got']):>22}  {r['q']}")
        lines.append(f"{'':19}{calls[:300]}")
        if not r["right"]:
            lines.append(f"{'':19}answer: {r['answer'][:300]!s}".replace("\n", " "))
    acc = result["accuracy"]
    lines.append("accuracy: " + ", ".join(f"{k} {v['right']}/{v['asked']} = {v['accuracy']:.1%}" for k, v in acc.items())
                 + f" (floor {FLOOR:.0%}, target {TARGET:.0%})")
    load = result["load"]
    lines.append(f"load: {load['rows_read']} rows read, {load['rows_kept']} kept, {load['cancelled']} cancelled, "
                 f"as-of {load['as_of']} (independent: {load['expected_as_of']}), {load['seconds']} s; "
                 f"mapping {json.dumps(load['mapping'], ensure_ascii=False)}")
    for a in load["attributes"]:
        lines.append(f"  attribute {a['name']} <- {a['source_column']!r}: {a['type']}, {a['grain']}, "
                     f"{a['distinct']} values {json.dumps(a['values'], ensure_ascii=False)[:90]}"
                     + (f", merged {json.dumps(a['merged'], ensure_ascii=False)[:120]}" if a.get("merged") else ""))
    return "\n".join(lines)


def write_artifact(result: dict[str, Any]) -> Path:
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    return ARTIFACT


# --- pytest ---------------------------------------------------------------------------------------------
def test_expected_answers_are_computable(tmp_path):
    """The independent pandas answers exist for every question and the file is what the generator promises."""
    from tests.data.heldout_shop.expected import EXPECTED, load
    from tests.data.heldout_shop.make_shop import write_shop

    shop = load(write_shop(tmp_path))
    qs = questions()
    assert {q["id"] for q in qs} == set(EXPECTED)
    assert sum(q["lang"] == "en" for q in qs) == sum(q["lang"] == "zh" for q in qs)
    assert 3000 <= len(shop.lines) <= 6000 and len(shop.clients) == 600
    for q in qs:
        value = EXPECTED[q["id"]](shop)
        assert value is not None and value == value, q["id"]


def test_heldout_shop_answers_with_the_right_number(tmp_path):
    result = run(tmp_path)
    write_artifact(result)
    print()
    print(table(result))
    assert result["load"]["rows_read"] is not None
    assert result["accuracy"]["all"]["accuracy"] >= FLOOR, table(result)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        outcome = run(tmp)
    print(table(outcome))
    print(f"written: {write_artifact(outcome)}")
    sys.exit(0 if outcome["accuracy"]["all"]["accuracy"] >= FLOOR else 1)
