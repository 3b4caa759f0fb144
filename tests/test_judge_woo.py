"""Independent judgement on a WooCommerce order export of a UK beauty & skincare shop (never seen by the planner).

tests/data/judge_woo/make_shop.py writes what a WooCommerce order export gives: "Order Number" is the order,
"Order Date" UK day-first ("05/03/2024 14:22"), "Order Status" Completed / Processing / On hold / Refunded /
Cancelled / Failed, "Customer User ID" 0 for guest checkouts (guests known by "Billing Email"), "Item Cost" a
unit price and "Line Total" = Quantity × Item Cost ("£1,234.00"), and the order-level "Order Total" REPEATED on
every line (summing it over lines overcounts); categories in a few messy spellings, a few blank quantities.
It is generated into a temporary directory and loaded as a shop owner would: the product's normal AUTOMATIC
load (no mapping; currency GBP) in a fresh TIERWISE_HOME workspace. The 40 questions of
tests/data/judge_woo/questions.jsonl (20 English, 20 Chinese, written as a marketer would type them, without
reading how questions are parsed) are each asked offline in a fresh marketer conversation.

The expected answers are computed independently with pandas from the raw file (tests/data/judge_woo/expected.py,
which states its reading of each question and accepts every value of its genuinely open readings). An answer is
right when a tool result carries the expected number and the answer text (or, for a breakdown, its table) shows
it: the judging rules of tests/test_heldout_shop.py, through tests/test_judge_shopify.py's `judge` (a top group
with several names, a number read from any metric of a several-metric headline row), reused by import.

`pytest -s tests/test_judge_woo.py` or `python -m tests.test_judge_woo` prints the load mapping and warnings,
the per-question table and the accuracy (English, Chinese, total) and writes test-artifacts/judge_woo.json.

Two passes, each in a fresh TIERWISE_HOME workspace:
1. automatic: the product's normal automatic load (no mapping) — the measurement that counts;
2. owner_mapping (diagnostic): the load a shop owner does after the automatic one is refused, naming the
   customer column (OWNER_MAPPING: customer_id=Billing Email), to tell the loader's losses from the planner's.

First measurement, 2026-12-03, on commit 7eace27 (HEAD, in a clean worktree; the automatic load is refused the
same way on the working tree of the day): automatic en 0/20, zh 0/20, total 0/40 = 0% — the load is refused
because customer_id was mapped by name to "Customer Note" (the synonym "customer no" is a substring of
"customernote"), leaving 96% of rows without a customer; owner_mapping en 16/20, zh 15/20, total 31/40 = 77.5%.
Each floor is its first measurement rounded down to the nearest 5% (0%, 75%), a guard against regressions;
TARGET = 0.9. Questions and expected answers are never tuned to pass.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.test_judge_shopify import judge, table

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "judge_woo"
ARTIFACT = HERE.parent / "test-artifacts" / "judge_woo.json"
FLOOR = 0.75         # automatic load: first measurement 0/40 (refused: customer_id = "Customer Note"), 2026-12-03, 7eace27;
                     # 31/40 after the loader matched header words whole and told guests (id 0) apart by email
FLOOR_MAPPED = 0.75  # diagnostic, owner mapping: first measurement 31/40 = 77.5%, 2026-12-03, 7eace27
TARGET = 0.9
# Diagnostic only (the automatic pass is the measurement that counts): the load a shop owner does after the
# automatic one is refused, naming the one contract field a WooCommerce export spells its own way — the
# customer is the billing email (guests have user id 0). It tells the loader's losses from the planner's.
OWNER_MAPPING = {"customer_id": "Billing Email"}


def questions() -> list[dict[str, Any]]:
    with open(DATA / "questions.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def run(workdir: str | Path, mapping: dict[str, str] | None = None) -> dict[str, Any]:
    """Generate, load automatically (or with `mapping`), ask every question, judge. A refused load is recorded and every
    question counts as wrong (there is no dataset to answer from)."""
    from assistant.core import Assistant
    from tests.data.judge_woo.expected import AMBIGUOUS, expected_values, load_all
    from tests.data.judge_woo.make_shop import write_shop
    from tools.errors import TierwiseError
    from tools.loading import load_dataset
    from tools.settings import write_settings
    from tools.workspace import Workspace

    workdir = Path(workdir)
    csv = write_shop(workdir / "export")
    shops = load_all(csv)
    expected = expected_values(shops)
    home = workdir / "home"
    previous_home = os.environ.get("TIERWISE_HOME")
    os.environ["TIERWISE_HOME"] = str(home)
    try:
        write_settings(home, currency="GBP")
        started = time.perf_counter()
        refused = None
        try:
            report = load_dataset(Workspace(home), csv, mapping=mapping)
        except TierwiseError as exc:
            report, refused = {}, str(exc)
            used = re.search(r"the mapping used was (.*?)\. Fix", refused)
            if used:
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
                calls = [{"name": c.name, "args": c.args, "status": c.status, "error": c.error}
                         for c in answer.tool_calls]
                text = answer.text
            rows.append({
                "id": q["id"], "lang": q["lang"], "q": q["q"], "kind": q["expect"]["kind"], "expected": want,
                "ambiguous": AMBIGUOUS.get(q["id"]), **verdict, "calls": calls, "answer": text,
                "seconds": round(time.perf_counter() - started, 3),
            })
    finally:
        if previous_home is None:
            os.environ.pop("TIERWISE_HOME", None)
        else:
            os.environ["TIERWISE_HOME"] = previous_home
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
    load_info["precleaned"] = False
    load_info["seconds"] = round(load_seconds, 2)
    load_info["expected_as_of"] = shops[0].as_of.isoformat()
    return {"accuracy": acc, "floor": FLOOR_MAPPED if mapping else FLOOR, "target": TARGET, "load": load_info,
            "questions": rows}


def run_both(workdir: str | Path) -> dict[str, Any]:
    workdir = Path(workdir)
    return {"automatic": run(workdir / "auto"), "owner_mapping": run(workdir / "mapped", OWNER_MAPPING)}


def write_artifact(result: dict[str, Any]) -> Path:
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    return ARTIFACT


# --- pytest ---------------------------------------------------------------------------------------------
def test_expected_answers_are_computable(tmp_path):
    """The independent pandas answers exist for every question and the file is what the generator promises."""
    import pandas as pd

    from tests.data.judge_woo.expected import FUNCTIONS, expected_values, load_all
    from tests.data.judge_woo.make_shop import write_shop

    started = time.perf_counter()
    path = write_shop(tmp_path)
    assert time.perf_counter() - started < 5
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert 10_000 <= len(raw) <= 14_000 and raw["Billing Email"].nunique() == 2000
    assert 0.12 <= (raw.groupby("Billing Email")["Customer User ID"].first() == "0").mean() <= 0.18  # guests
    assert raw["Order Date"].str[:2].astype(int).max() > 12  # day-first dates can be told
    assert raw["Line Total"].eq("£1,234.00").any() and raw["Quantity"].eq("").sum() == 6
    qs = questions()
    assert {q["id"] for q in qs} == set(FUNCTIONS) and len(qs) == 40
    assert sum(q["lang"] == "en" for q in qs) == sum(q["lang"] == "zh" for q in qs) == 20
    for qid, value in expected_values(load_all(path)).items():
        assert value is not None and value == value, qid


def test_judge_woo_answers_with_the_right_number(tmp_path):
    both = run_both(tmp_path)
    write_artifact(both)
    print()
    for result in both.values():
        print(table(result))
    assert both["owner_mapping"]["load"]["refused"] is None, table(both["owner_mapping"])
    for result in both.values():
        assert result["accuracy"]["all"]["accuracy"] >= result["floor"], table(result)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        outcome = run_both(tmp)
    for res in outcome.values():
        print(table(res))
    print(f"written: {write_artifact(outcome)}")
    sys.exit(0 if all(r["accuracy"]["all"]["accuracy"] >= r["floor"] for r in outcome.values()) else 1)
