"""Independent judgement on a Shopify order export of a US pet-supplies shop (never seen by the planner).

tests/data/judge_shopify/make_shop.py writes what Shopify's order export gives: "Name" (#1001) is the
order, "Email" the customer, "Created at" local time with a UTC offset ("2024-03-05 14:22:10 -0500"),
"Lineitem quantity" × "Lineitem price" (a unit price) the line's amount, "Financial Status" paid / pending /
refunded / partially_refunded / voided, "Source" the channel, "Product Type" in messy spellings, and the
order-level columns (Financial Status, Source, Discount Code, Billing *, Tags, ...) on an order's first
line only, as real exports do; plus a few blank quantities and negative refund lines. It is generated into
a temporary directory and loaded as a shop owner would (automatic mapping, currency USD, a fresh
TIERWISE_HOME workspace). The 40 questions of tests/data/judge_shopify/questions.jsonl (20 English,
20 Chinese, written as a marketer would type them, without reading how questions are parsed) are each
asked offline in a fresh marketer conversation.

The expected answers are computed independently with pandas from the raw file
(tests/data/judge_shopify/expected.py, which states its reading of each question). An answer is right
when a tool result carries the expected number and the answer text (or, for a breakdown, its table)
shows it — the judging rules of tests/test_heldout_shop.py, whose helpers are reused (one change: a
single-number question is also read from the other metrics of the headline row, see `judge`).

Three passes, each in a fresh TIERWISE_HOME workspace:
1. automatic: the product's normal automatic load (no mapping) — the measurement that counts;
2. owner_mapping: the load a shop owner does after the automatic one is refused, naming the contract
   fields the export has under Shopify's names (OWNER_MAPPING: customer_id=Email, order_id=Name,
   channel=Source); nothing can tell the loader that "Lineitem price" is a unit price;
3. diagnostic_precleaned: a copy with the order-level columns carried to every line and a "Line Total"
   = quantity × price, to tell the loader's losses from the planner's.

`pytest -s tests/test_judge_shopify.py` or `python -m tests.test_judge_shopify` prints, per pass, the load
mapping, the per-question table and the accuracy (English, Chinese, total) and writes
test-artifacts/judge_shopify.json.

Second measurement, 2026-12-03, after the loader learned platform exports (customers keyed by email, '#1001'
order numbers, a unit price times the quantity, order-level fields carried from an order's first line, a
bare "Source" as the channel): automatic 32/40 = 80% (en 16/20, zh 16/20). Those fixes were driven by this
judge's findings, so from here it is a regression guard, no longer an unseen measurement.

First measurement, 2026-12-03, on commit c71719e (also on d6e2d6b, and on the working tree of the day:
same verdicts): automatic 0/40 = 0% (load refused: customer_id was mapped to "Discount Code");
owner_mapping en 2/20, zh 1/20, total 3/40 = 7.5%; diagnostic_precleaned en 15/20, zh 15/20, total
30/40 = 75%. Each floor is its first measurement rounded down to the nearest 5% (0%, 5%, 75%), a guard
against regressions; TARGET = 0.9. Questions and expected answers are never tuned to pass.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.test_heldout_shop import _close, _short
from tests.test_heldout_shop import judge as _judge

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "judge_shopify"
ARTIFACT = HERE.parent / "test-artifacts" / "judge_shopify.json"
FLOOR = 0.75             # automatic load: first measurement 0/40 (refused); 32/40 after the loader read platform
                         # exports (email keys, #order numbers, unit prices, first-line order fields), 2026-12-03
FLOOR_MAPPED = 0.05      # load with OWNER_MAPPING: first measurement 3/40 = 7.5%
FLOOR_PRECLEANED = 0.75  # diagnostic, pre-cleaned copy: first measurement 30/40 = 75%
TARGET = 0.9


def questions() -> list[dict[str, Any]]:
    with open(DATA / "questions.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def judge(answer, expect: dict[str, Any], want: Any, lang: str) -> dict[str, Any]:
    """test_heldout_shop's judge; a top group with several acceptable names tries each."""
    if expect["kind"] == "top_group" and isinstance(want, list):
        verdicts = [_judge(answer, expect, w, lang) for w in want]
        return next((v for v in verdicts if v["right"]), verdicts[0])
    verdict = _judge(answer, expect, want, lang)
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


# The mapping a shop owner passes after the automatic load is refused (its error says "pass --map
# field=column"): the contract fields the export has under Shopify's own names. Nothing can say that
# "Lineitem price" is a unit price to multiply by the quantity, so amount stays as the loader chose.
OWNER_MAPPING = {"customer_id": "Email", "order_id": "Name", "channel": "Source"}
# Diagnostic only: the same questions on a pre-cleaned copy of the export (order-level columns carried to
# every line of the order, "Line Total" = quantity × price instead of "Lineitem price"), loaded with this
# mapping. What it gets right and the owner-mapped load does not is lost to the loader; what it still gets
# wrong is the planner's or the semantic layer's.
PRECLEANED_MAPPING = {**OWNER_MAPPING, "amount": "Line Total"}


def write_precleaned(csv: Path, out: Path) -> Path:
    import pandas as pd

    from tests.data.judge_shopify.expected import read_raw

    raw = read_raw(csv)  # order-level columns carried to the order's later lines
    qty = pd.to_numeric(raw["Lineitem quantity"].replace("", None)).fillna(1)
    raw["Line Total"] = (qty * raw["Lineitem price"].astype(float)).round(2)
    out.parent.mkdir(parents=True, exist_ok=True)
    raw.drop(columns=["Lineitem price"]).to_csv(out, index=False)
    return out


def run(workdir: str | Path, mapping: dict[str, str] | None = None, precleaned: bool = False) -> dict[str, Any]:
    """Generate, load (automatically, or with `mapping`), ask every question, judge. A refused load is
    recorded and every question counts as wrong (there is no dataset to answer from)."""
    from assistant.core import Assistant
    from tests.data.judge_shopify.expected import AMBIGUOUS, expected_values, load_all
    from tests.data.judge_shopify.make_shop import write_shop
    from tools.errors import TierwiseError
    from tools.loading import load_dataset
    from tools.settings import write_settings
    from tools.workspace import Workspace

    workdir = Path(workdir)
    csv = write_shop(workdir / "export")
    shops = load_all(csv)
    expected = expected_values(shops)
    if precleaned:
        csv = write_precleaned(csv, workdir / "precleaned" / "orders_precleaned.csv")
    home = workdir / "home"
    write_settings(home, currency="USD")
    started = time.perf_counter()
    refused = None
    try:
        report = load_dataset(Workspace(home), csv, mapping=mapping)
    except TierwiseError as exc:
        report, refused = {}, str(exc)
        used = re.search(r"the mapping used was (.*?)\. Fix", refused)
        if used:  # the automatic mapping, as the refusal states it
            report["mapping"] = dict(pair.split("=", 1) for pair in used.group(1).split(", "))
    load_seconds = time.perf_counter() - started
    assistant = None if refused else Assistant(Workspace(home))
    rows = []
    for q in questions():
        want = expected[q["id"]]
        started = time.perf_counter()
        if assistant is None:
            verdict = {"number_ok": False, "text_ok": False, "shown_in": None, "right": False, "got": None,
                       "where": "load refused"}
            calls, text = [], f"(not asked: load refused: {refused})"
        else:
            answer = assistant.ask(q["q"], assistant.conversation("marketer"))
            verdict = judge(answer, q["expect"], want, q["lang"])
            calls = [{"name": c.name, "args": c.args, "status": c.status, "error": c.error} for c in answer.tool_calls]
            text = answer.text
        rows.append({
            "id": q["id"], "lang": q["lang"], "q": q["q"], "kind": q["expect"]["kind"], "expected": want,
            "ambiguous": AMBIGUOUS.get(q["id"]), **verdict, "calls": calls, "answer": text,
            "seconds": round(time.perf_counter() - started, 3),
        })
    acc = {}
    for lang in ("en", "zh", "all"):
        part = [r for r in rows if lang == "all" or r["lang"] == lang]
        acc[lang] = {"right": sum(r["right"] for r in part), "asked": len(part),
                     "accuracy": round(sum(r["right"] for r in part) / len(part), 4)}
    load_info = {k: report.get(k) for k in ("rows_read", "rows_kept", "cancelled", "rows_rejected", "rejected_by_reason",
                                            "as_of", "date_min", "date_max", "customers", "customers_all_cancelled",
                                            "mapping", "unmapped_columns", "warnings")}
    load_info["attributes"] = [{k: a.get(k) for k in ("name", "source_column", "type", "grain", "distinct",
                                                      "values", "missing", "merged")}
                               for a in report.get("attributes") or []]
    load_info["refused"] = refused
    load_info["mapping_given"] = mapping
    load_info["precleaned"] = precleaned
    load_info["seconds"] = round(load_seconds, 2)
    load_info["expected_as_of"] = shops[0].as_of.isoformat()
    floor = FLOOR_PRECLEANED if precleaned else FLOOR_MAPPED if mapping else FLOOR
    return {"accuracy": acc, "floor": floor, "target": TARGET, "load": load_info, "questions": rows}


def run_both(workdir: str | Path) -> dict[str, Any]:
    workdir = Path(workdir)
    return {"automatic": run(workdir / "auto"), "owner_mapping": run(workdir / "mapped", OWNER_MAPPING),
            "diagnostic_precleaned": run(workdir / "precleaned", PRECLEANED_MAPPING, precleaned=True)}


def table(result: dict[str, Any]) -> str:
    load = result["load"]
    lines = [f"== {'DIAGNOSTIC pre-cleaned copy, ' if load['precleaned'] else ''}"
             f"{'load with --map ' + json.dumps(load['mapping_given']) if load['mapping_given'] else 'automatic load'}"]
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
                 + f" (floor {result['floor']:.0%}, target {TARGET:.0%})")
    return "\n".join(lines)


def write_artifact(result: dict[str, Any]) -> Path:
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    return ARTIFACT


# --- pytest ---------------------------------------------------------------------------------------------
def test_expected_answers_are_computable(tmp_path):
    """The independent pandas answers exist for every question and the file is what the generator promises."""
    import pandas as pd

    from tests.data.judge_shopify.expected import FUNCTIONS, expected_values, load_all
    from tests.data.judge_shopify.make_shop import write_shop

    path = write_shop(tmp_path)  # its speed is no test's business (a busy machine takes 7 s)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert 13_000 <= len(raw) <= 17_000 and raw["Email"].nunique() == 2500
    assert raw["Financial Status"].eq("").mean() > 0.4  # order-level fields only on an order's first line
    qs = questions()
    assert {q["id"] for q in qs} == set(FUNCTIONS) and len(qs) == 40
    assert sum(q["lang"] == "en" for q in qs) == sum(q["lang"] == "zh" for q in qs) == 20
    for qid, value in expected_values(load_all(path)).items():
        assert value is not None and value == value, qid


def test_judge_shopify_answers_with_the_right_number(tmp_path):
    both = run_both(tmp_path)
    write_artifact(both)
    print()
    for result in both.values():
        print(table(result))
    assert both["owner_mapping"]["load"]["rows_read"] is not None
    assert both["diagnostic_precleaned"]["load"]["rows_read"] is not None
    for result in both.values():
        assert result["accuracy"]["all"]["accuracy"] >= result["floor"], table(result)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        outcome = run_both(tmp)
    for res in outcome.values():
        print(table(res))
    print(f"written: {write_artifact(outcome)}")
    sys.exit(0 if all(r["accuracy"]["all"]["accuracy"] >= r["floor"] for r in outcome.values()) else 1)
