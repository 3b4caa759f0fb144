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
it: the judging rules of tests/test_heldout_shop.py, through tests/judging.py's `judge` (a top group with
several names, a number read from any metric of a several-metric headline row), which also runs the passes.

`pytest -s tests/test_judge_woo.py` (pass 1; `-m slow` for pass 2) or `python -m tests.test_judge_woo` (both)
prints the load mapping and warnings, the per-question table and the accuracy (English, Chinese, total) and
writes test-artifacts/judge_woo.json (pass 2 under pytest: test-artifacts/judge_woo_diagnostic.json).

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

import sys

import pytest

from tests import judging

FLOOR = 0.75         # automatic load: first measurement 0/40 (refused: customer_id = "Customer Note"), 2026-12-03, 7eace27;
                     # 31/40 after the loader matched header words whole and told guests (id 0) apart by email
FLOOR_MAPPED = 0.75  # diagnostic, owner mapping: first measurement 31/40 = 77.5%, 2026-12-03, 7eace27
TARGET = 0.9
JUDGE = judging.Judge("judge_woo", currency="GBP", target=TARGET)  # tests/data/judge_woo/
# Diagnostic only (the automatic pass is the measurement that counts): the load a shop owner does after the
# automatic one is refused, naming the one contract field a WooCommerce export spells its own way — the
# customer is the billing email (guests have user id 0). It tells the loader's losses from the planner's.
OWNER_MAPPING = {"customer_id": "Billing Email"}
AUTOMATIC = {"automatic": judging.Pass(FLOOR)}
DIAGNOSTICS = {"owner_mapping": judging.Pass(FLOOR_MAPPED, OWNER_MAPPING)}


# --- pytest ---------------------------------------------------------------------------------------------
export = judging.export_fixture(JUDGE)  # the export and its answers, generated once for these tests


def test_expected_answers_are_computable(export):
    """The independent pandas answers exist for every question and the file is what the generator promises."""
    import pandas as pd

    from tests.data.judge_woo.expected import FUNCTIONS

    assert export.seconds < 5  # write_shop
    raw = pd.read_csv(export.csv, dtype=str, keep_default_na=False)
    assert 10_000 <= len(raw) <= 14_000 and raw["Billing Email"].nunique() == 2000
    assert 0.12 <= (raw.groupby("Billing Email")["Customer User ID"].first() == "0").mean() <= 0.18  # guests
    assert raw["Order Date"].str[:2].astype(int).max() > 12  # day-first dates can be told
    assert raw["Line Total"].eq("£1,234.00").any() and raw["Quantity"].eq("").sum() == 6
    judging.check_questions(JUDGE, FUNCTIONS, export, per_language=20)


def test_judge_woo_answers_with_the_right_number(export, tmp_path):
    judging.check(judging.run_passes(JUDGE, tmp_path, AUTOMATIC, export), JUDGE.artifact)


@pytest.mark.slow
def test_judge_woo_diagnostic_owner_mapping(export, tmp_path):
    """Diagnostic: the load with the owner's mapping, to tell the loader's losses from the planner's."""
    result = judging.run_passes(JUDGE, tmp_path, DIAGNOSTICS, export)
    judging.check(result, JUDGE.diagnostic_artifact)
    assert result["owner_mapping"]["load"]["refused"] is None, judging.table(result["owner_mapping"])


if __name__ == "__main__":
    sys.exit(judging.main(JUDGE, {**AUTOMATIC, **DIAGNOSTICS}))
