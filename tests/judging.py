"""The judges' harness: how tests/test_heldout_shop.py and tests/test_judge_*.py measure whether the product answers a
marketer's questions about a shop export with the right number.

A judge is a shop export nobody tuned the product on: tests/data/<name>/ holds make_shop.py (`write_shop(dir)`
writes the export), questions.jsonl (each question's id, lang, text and `expect`: kind, unit, optionally the
group it names) and expected.py (`load_all(csv)` reads the raw file under each of its open readings, pandas
only; `expected_values(shops)` gives each question's accepted value, or the list of them; `AMBIGUOUS` names
the readings). A judge module states its own history, floors, owner mapping and tests, and runs here:

1. generate the export (`generate`) and compute the expected answers from the raw file;
2. load it as a shop owner would, in a fresh TIERWISE_HOME workspace with the shop's currency: the automatic
   load (no mapping), or with an owner's mapping, optionally from a copy of the export (a diagnostic). A
   refused load is recorded, and every question then counts as wrong (there is no dataset to answer from);
3. ask every question offline in a fresh marketer conversation;
4. judge each answer's numbers (`judge`, or `judge_heldout` for the held-out shop), count the accuracy in
   English, Chinese and in all, print a table (`table`) and write test-artifacts/<name>.json.

The judging rules (first written for tests/test_heldout_shop.py, kept here unchanged). An answer is right when
1. a tool call's result carries the expected number: for query_metrics, the first metric column of the
   headline row (or of the asked group's row; for a top group, the first group's name; for a change, the
   metric's `_change` column) within a relative tolerance of 1e-6; for another tool, any number in its facts;
2. the answer text shows that number (thousands separators or not, 0-2 decimals, % for ratios, 万 in Chinese)
   or, for a top group, names the group; for a breakdown question (group_value) the table the answer shows
   may hold it instead, since a text cannot list every group (the row says "table").
`judge` (the rules of tests/test_judge_*.py) adds to `judge_heldout`: a top group with several acceptable
names tries each, and a single-number question is also read from the other metrics of the headline row.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE.parent / "test-artifacts"
REL_TOL = 1e-6


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


def judge_heldout(answer, expect: dict[str, Any], want: Any, lang: str) -> dict[str, Any]:
    """The held-out shop's rules (the module docstring): the first metric of the headline or asked group's row."""
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


def judge(answer, expect: dict[str, Any], want: Any, lang: str) -> dict[str, Any]:
    """`judge_heldout`; a top group with several acceptable names tries each, and a single-number question is also
    read from the other metrics of the headline row."""
    if expect["kind"] == "top_group" and isinstance(want, list):
        verdicts = [judge_heldout(answer, expect, w, lang) for w in want]
        return next((v for v in verdicts if v["right"]), verdicts[0])
    verdict = judge_heldout(answer, expect, want, lang)
    if expect["kind"] == "number" and not verdict["number_ok"]:
        # one change to the held-out judge: a single-number question answered by a query of several metrics
        # ("cancelled orders and cancelled revenue") is read from every metric of the headline row, not
        # only the first
        for record in answer.tool_calls:
            facts = (record.result.facts or {}) if record.result is not None else {}
            rows, metrics = facts.get("rows") or [], facts.get("metrics") or []
            if record.name != "query_metrics" or not rows or facts.get("by") or facts.get("grain"):
                continue
            hit = next((m for m in metrics[1:] if _close(rows[0].get(m), want)), None)
            if hit:
                verdict.update(number_ok=True, got=rows[0].get(hit), where=f"{hit} (not the first metric)",
                               right=verdict["text_ok"])
                break
    return verdict


# --- a judge: one shop export and its questions -----------------------------------------------------------
@dataclass(frozen=True)
class Judge:
    """A judge's data (tests/data/<name>/), the currency its owner sets, its target and its judging rules."""

    name: str                 # tests/data/<name>/ and test-artifacts/<name>.json
    currency: str             # the workspace's currency, as its owner sets it
    target: float = 0.9
    rules: Callable[..., dict[str, Any]] = judge

    @property
    def data(self) -> Path:
        return HERE / "data" / self.name

    @property
    def artifact(self) -> Path:
        return ARTIFACTS / f"{self.name}.json"

    @property
    def diagnostic_artifact(self) -> Path:
        return ARTIFACTS / f"{self.name}_diagnostic.json"

    def module(self, which: str):
        """tests/data/<name>/<which>.py: make_shop or expected."""
        return importlib.import_module(f"tests.data.{self.name}.{which}")

    def questions(self) -> list[dict[str, Any]]:
        with open(self.data / "questions.jsonl", encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]


@dataclass
class Export:
    """A generated export and its independent answers."""
    csv: Path
    shops: list            # expected.load_all(csv): the raw file under each of its readings
    expected: dict[str, Any]
    seconds: float         # how long write_shop took


def generate(judge_: Judge, directory: str | Path) -> Export:
    """Write the judge's export into `directory` and compute every question's expected answer from it."""
    started = time.perf_counter()
    csv = judge_.module("make_shop").write_shop(directory)
    seconds = time.perf_counter() - started
    expected = judge_.module("expected")
    shops = expected.load_all(csv)
    return Export(csv, shops, expected.expected_values(shops), seconds)


@dataclass(frozen=True)
class Pass:
    """One way of loading the export: automatically (no mapping) or with an owner's mapping, from the export or
    from a copy `copy(export, workdir)` writes (a diagnostic: `copy_name` says what it is)."""
    floor: float
    mapping: dict[str, str] | None = None
    copy: Callable[[Path, Path], Path] | None = None
    copy_name: str = ""


_LOAD_KEYS = ("rows_read", "rows_kept", "cancelled", "rows_rejected", "rejected_by_reason", "as_of", "date_min",
              "date_max", "customers", "customers_all_cancelled", "mapping", "unmapped_columns", "warnings")
_ATTRIBUTE_KEYS = ("name", "source_column", "type", "grain", "distinct", "values", "missing", "merged")


def run(judge_: Judge, workdir: str | Path, pass_: Pass, export: Export | None = None) -> dict[str, Any]:
    """Generate (unless `export` is given), load as `pass_` says in a fresh TIERWISE_HOME workspace under `workdir`,
    ask every question, judge."""
    from assistant.core import Assistant
    from tools.errors import TierwiseError
    from tools.loading import load_dataset
    from tools.settings import write_settings
    from tools.workspace import Workspace

    workdir = Path(workdir)
    export = export or generate(judge_, workdir / "export")
    csv = pass_.copy(export.csv, workdir) if pass_.copy else export.csv
    ambiguous = judge_.module("expected").AMBIGUOUS
    home = workdir / "home"
    previous_home = os.environ.get("TIERWISE_HOME")
    os.environ["TIERWISE_HOME"] = str(home)
    try:
        write_settings(home, currency=judge_.currency)
        started = time.perf_counter()
        refused = None
        try:
            report = load_dataset(Workspace(home), csv, mapping=pass_.mapping)
        except TierwiseError as exc:
            report, refused = {}, str(exc)
            used = re.search(r"the mapping used was (.*?)\. Fix", refused)
            if used:  # the automatic mapping, as the refusal states it
                report["mapping"] = dict(pair.split("=", 1) for pair in used.group(1).split(", ") if "=" in pair)
        load_seconds = time.perf_counter() - started
        assistant = None if refused else Assistant(Workspace(home))
        rows = [_ask(judge_, assistant, q, export.expected[q["id"]], ambiguous.get(q["id"]), refused)
                for q in judge_.questions()]
    finally:
        if previous_home is None:
            os.environ.pop("TIERWISE_HOME", None)
        else:
            os.environ["TIERWISE_HOME"] = previous_home
    load_info = {k: report.get(k) for k in _LOAD_KEYS}
    load_info["attributes"] = [{k: a.get(k) for k in _ATTRIBUTE_KEYS} for a in report.get("attributes") or []]
    load_info["refused"] = refused
    load_info["mapping_given"] = pass_.mapping
    load_info["copy"] = pass_.copy_name or None
    load_info["seconds"] = round(load_seconds, 2)
    load_info["expected_as_of"] = export.shops[0].as_of.isoformat()
    return {"accuracy": accuracy(rows), "floor": pass_.floor, "target": judge_.target, "load": load_info,
            "questions": rows}


def _ask(judge_: Judge, assistant, q: dict[str, Any], want: Any, ambiguous: str | None,
         refused: str | None) -> dict[str, Any]:
    started = time.perf_counter()
    if assistant is None:
        verdict = {"number_ok": False, "text_ok": False, "shown_in": None, "right": False, "got": None,
                   "where": "load refused"}
        calls, text = [], f"(not asked: load refused: {refused})"
    else:
        answer = assistant.ask(q["q"], assistant.conversation("marketer"))
        verdict = judge_.rules(answer, q["expect"], want, q["lang"])
        calls = [{"name": c.name, "args": c.args, "status": c.status, "error": c.error} for c in answer.tool_calls]
        text = answer.text
    return {"id": q["id"], "lang": q["lang"], "q": q["q"], "kind": q["expect"]["kind"], "expected": want,
            "ambiguous": ambiguous, **verdict, "calls": calls, "answer": text,
            "seconds": round(time.perf_counter() - started, 3)}


def accuracy(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Right answers in English, in Chinese and in all."""
    acc = {}
    for lang in ("en", "zh", "all"):
        part = [r for r in rows if lang == "all" or r["lang"] == lang]
        acc[lang] = {"right": sum(r["right"] for r in part), "asked": len(part),
                     "accuracy": round(sum(r["right"] for r in part) / len(part), 4)}
    return acc


def export_fixture(judge_: Judge):
    """A module-scoped pytest fixture named `export`: the judge's export and its answers, generated once for the
    module's tests (`export = judging.export_fixture(JUDGE)` in a judge module)."""
    import pytest

    @pytest.fixture(scope="module", name="export")
    def _export(tmp_path_factory) -> Export:
        return generate(judge_, tmp_path_factory.mktemp(judge_.name) / "export")

    return _export


def run_passes(judge_: Judge, workdir: str | Path, passes: dict[str, Pass],
               export: Export | None = None) -> dict[str, dict[str, Any]]:
    """Each pass in its own workdir/<pass name>, on one generated export."""
    workdir = Path(workdir)
    export = export or generate(judge_, workdir / "export")
    return {name: run(judge_, workdir / name, p, export) for name, p in passes.items()}


def passed(result: dict[str, Any]) -> bool:
    return result["accuracy"]["all"]["accuracy"] >= result["floor"]


# --- reporting ------------------------------------------------------------------------------------------
def _short(value: Any, width: int = 22) -> str:
    if isinstance(value, float):
        text = f"{value:.6g}"
    elif isinstance(value, list):
        text = "[" + ", ".join(_short(v, 10) for v in value) + "]"
    else:
        text = str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def table(result: dict[str, Any]) -> str:
    """One pass: the load (mapping, warnings, attributes), a row per question (verdict, expected and found
    number, where it was read, the calls, the answer's start) and the accuracy."""
    load = result["load"]
    given = load["mapping_given"]
    lines = [f"== {'DIAGNOSTIC ' + load['copy'] + ', ' if load.get('copy') else ''}"
             f"{'load with --map ' + json.dumps(given, ensure_ascii=False) if given else 'automatic load'}"]
    if load["refused"]:
        lines.append(f"load REFUSED: {load['refused']}")
    lines += [f"load: {load['rows_read']} rows read, {load['rows_kept']} kept, {load['cancelled']} cancelled, "
              f"rejected {json.dumps(load['rejected_by_reason'], ensure_ascii=False)}, customers {load['customers']}, "
              f"dates {load['date_min']}..{load['date_max']}, as-of {load['as_of']} "
              f"(independent: {load['expected_as_of']}), {load['seconds']} s",
              f"mapping: {json.dumps(load['mapping'], ensure_ascii=False)}",
              f"unmapped: {json.dumps(load['unmapped_columns'], ensure_ascii=False)}",
              f"warnings: {json.dumps(load['warnings'], ensure_ascii=False)[:600]}"]
    for a in load["attributes"]:
        lines.append(f"  attribute {a['name']} <- {a['source_column']!r}: {a['type']}, {a['grain']}, "
                     f"{a['distinct']} values, {a['missing']} missing {json.dumps(a['values'], ensure_ascii=False)[:90]}"
                     + (f", merged {json.dumps(a['merged'], ensure_ascii=False)[:120]}" if a.get("merged") else ""))
    lines.append(f"{'id':5} {'lang':4} {'ok':3} {'num':3} {'txt':3} {'expected':>16} {'found':>24}  question / calls / answer")
    for r in result["questions"]:
        calls = "; ".join(f"{c['name']}({', '.join(f'{k}={json.dumps(v, ensure_ascii=False)}' for k, v in c['args'].items())})"
                          + ("" if c["status"] == "ok" else f" [{c['status']}]") for c in r["calls"]) or "(no tool)"
        lines.append(f"{r['id']:5} {r['lang']:4} {'✔' if r['right'] else '✘':3} {'y' if r['number_ok'] else '-':3} "
                     f"{(r['shown_in'] or '-')[:3]:3} {_short(r['expected'], 16):>16} {_short(r['got'], 24):>24}  {r['q']}")
        lines.append(f"{'':24}{r['where']} | {calls[:300]}")
        lines.append(f"{'':24}answer: {r['answer'][:100]!s}".replace("\n", " "))
    acc = result["accuracy"]
    lines.append("accuracy: " + ", ".join(f"{k} {v['right']}/{v['asked']} = {v['accuracy']:.1%}" for k, v in acc.items())
                 + f" (floor {result['floor']:.0%}, target {result['target']:.0%})")
    return "\n".join(lines)


def write_artifact(result: dict[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    return path


def check(results: dict[str, dict[str, Any]], path: Path) -> None:
    """Write the passes' artifact, print each pass's table (seen with `pytest -s`) and assert each pass's accuracy is
    at its floor."""
    write_artifact(results, path)
    print()
    for result in results.values():
        print(table(result))
    for result in results.values():
        assert result["accuracy"]["all"]["accuracy"] >= result["floor"], table(result)


def check_questions(judge_: Judge, functions: dict[str, Any], export: Export, per_language: int) -> None:
    """The questions file has `per_language` questions in English and as many in Chinese, one per function of
    expected.py, and every question has an expected answer."""
    qs = judge_.questions()
    assert {q["id"] for q in qs} == set(functions) and len(qs) == 2 * per_language
    assert sum(q["lang"] == "en" for q in qs) == sum(q["lang"] == "zh" for q in qs) == per_language
    for qid, value in export.expected.items():
        assert value is not None and value == value and value != [], qid


def main(judge_: Judge, passes: dict[str, Pass]) -> int:
    """`python -m tests.test_judge_<name>`: every pass, printed and written to test-artifacts/<name>.json; 0 when
    each is at its floor."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        results = run_passes(judge_, tmp, passes)
    for result in results.values():
        print(table(result))
    print(f"written: {write_artifact(results, judge_.artifact)}")
    return 0 if all(passed(r) for r in results.values()) else 1
