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
shows it — the judging rules of tests/test_heldout_shop.py (one change: a single-number question is also
read from the other metrics of the headline row): tests/judging.py's `judge`, which also runs the passes.

Three passes, each in a fresh TIERWISE_HOME workspace:
1. automatic: the product's normal automatic load (no mapping) — the measurement that counts;
2. owner_mapping: the load a shop owner does after the automatic one is refused, naming the contract
   fields the export has under Shopify's names (OWNER_MAPPING: customer_id=Email, order_id=Name,
   channel=Source); nothing can tell the loader that "Lineitem price" is a unit price;
3. diagnostic_precleaned: a copy with the order-level columns carried to every line and a "Line Total"
   = quantity × price, to tell the loader's losses from the planner's.

`pytest -s tests/test_judge_shopify.py` (pass 1; `-m slow` for passes 2 and 3) or `python -m
tests.test_judge_shopify` (every pass) prints, per pass, the load mapping, the per-question table and the
accuracy (English, Chinese, total) and writes test-artifacts/judge_shopify.json (passes 2 and 3 under pytest:
test-artifacts/judge_shopify_diagnostic.json).

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

import sys
from pathlib import Path

import pytest

from tests import judging

FLOOR = 0.75             # automatic load: first measurement 0/40 (refused); 32/40 after the loader read platform
                         # exports (email keys, #order numbers, unit prices, first-line order fields), 2026-12-03
FLOOR_MAPPED = 0.05      # load with OWNER_MAPPING: first measurement 3/40 = 7.5%
FLOOR_PRECLEANED = 0.75  # diagnostic, pre-cleaned copy: first measurement 30/40 = 75%
TARGET = 0.9
JUDGE = judging.Judge("judge_shopify", currency="USD", target=TARGET)  # tests/data/judge_shopify/


# The mapping a shop owner passes after the automatic load is refused (its error says "pass --map
# field=column"): the contract fields the export has under Shopify's own names. Nothing can say that
# "Lineitem price" is a unit price to multiply by the quantity, so amount stays as the loader chose.
OWNER_MAPPING = {"customer_id": "Email", "order_id": "Name", "channel": "Source"}
# Diagnostic only: the same questions on a pre-cleaned copy of the export (order-level columns carried to
# every line of the order, "Line Total" = quantity × price instead of "Lineitem price"), loaded with this
# mapping. What it gets right and the owner-mapped load does not is lost to the loader; what it still gets
# wrong is the planner's or the semantic layer's.
PRECLEANED_MAPPING = {**OWNER_MAPPING, "amount": "Line Total"}


def write_precleaned(csv: Path, workdir: Path) -> Path:
    import pandas as pd

    from tests.data.judge_shopify.expected import read_raw

    out = workdir / "precleaned" / "orders_precleaned.csv"
    raw = read_raw(csv)  # order-level columns carried to the order's later lines
    qty = pd.to_numeric(raw["Lineitem quantity"].replace("", None)).fillna(1)
    raw["Line Total"] = (qty * raw["Lineitem price"].astype(float)).round(2)
    out.parent.mkdir(parents=True, exist_ok=True)
    raw.drop(columns=["Lineitem price"]).to_csv(out, index=False)
    return out


AUTOMATIC = {"automatic": judging.Pass(FLOOR)}
DIAGNOSTICS = {"owner_mapping": judging.Pass(FLOOR_MAPPED, OWNER_MAPPING),
               "diagnostic_precleaned": judging.Pass(FLOOR_PRECLEANED, PRECLEANED_MAPPING, write_precleaned,
                                                     "pre-cleaned copy")}


# --- pytest ---------------------------------------------------------------------------------------------
export = judging.export_fixture(JUDGE)  # the export and its answers, generated once for these tests


def test_expected_answers_are_computable(export):
    """The independent pandas answers exist for every question and the file is what the generator promises."""
    import pandas as pd

    from tests.data.judge_shopify.expected import FUNCTIONS

    # the generator's speed is no test's business (a busy machine takes 7 s)
    raw = pd.read_csv(export.csv, dtype=str, keep_default_na=False)
    assert 13_000 <= len(raw) <= 17_000 and raw["Email"].nunique() == 2500
    assert raw["Financial Status"].eq("").mean() > 0.4  # order-level fields only on an order's first line
    judging.check_questions(JUDGE, FUNCTIONS, export, per_language=20)


def test_judge_shopify_answers_with_the_right_number(export, tmp_path):
    judging.check(judging.run_passes(JUDGE, tmp_path, AUTOMATIC, export), JUDGE.artifact)


@pytest.mark.slow
def test_judge_shopify_diagnostic_passes(export, tmp_path):
    """Diagnostic: the owner-mapped load and the pre-cleaned copy, to tell the loader's losses from the planner's."""
    result = judging.run_passes(JUDGE, tmp_path, DIAGNOSTICS, export)
    judging.check(result, JUDGE.diagnostic_artifact)
    assert result["owner_mapping"]["load"]["rows_read"] is not None
    assert result["diagnostic_precleaned"]["load"]["rows_read"] is not None


if __name__ == "__main__":
    sys.exit(judging.main(JUDGE, {**AUTOMATIC, **DIAGNOSTICS}))
