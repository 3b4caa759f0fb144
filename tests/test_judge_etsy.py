"""Independent judgement on an Etsy "Sold Order Items" CSV export of a small handmade ceramics shop (never seen by
the planner).

tests/data/judge_etsy/make_shop.py writes what Etsy's Order Items download gives for Saltmarsh Clay, a one-person
stoneware studio in Portland, Maine (USD): one row per item line, ~15.8k lines / ~11.1k orders over two years up
to 2026-04-30, newest first, in Etsy's column order ("Sale Date", "Item Name", "Buyer", "Quantity", "Price",
"Coupon Code", "Coupon Details", "Discount Amount", "Shipping Discount", "Order Shipping", "Order Sales Tax",
"Item Total", "Currency", "Transaction ID", "Listing ID", "Date Paid", "Date Shipped", "Ship Name", "Ship
Address1", "Ship Address2", "Ship City", "Ship State", "Ship Zipcode", "Ship Country", "Order ID", "Variations",
"Order Type", "Listings Type", "Payment Type", "InPerson Discount", "InPerson Location", "VAT Paid by Buyer",
"SKU"); dates US "MM/DD/YY"; "Buyer" the Etsy username, the only customer key (~8,300 buyers; "Ship Name" is the
recipient, someone else on a gift); ~1,200 in-person lines (farmers market, craft fair) with no buyer and no
shipping columns; plain-number money; the order-level columns (Order Shipping, Shipping Discount, Order Sales
Tax, VAT Paid by Buyer, Coupon Code) repeated on every line of an order; "Variations" like "Colour:Sea
Glass,Size:14 oz" ("Color:" on two listings); zip codes with leading zeros (04101) and some ZIP+4; a few "Ship
Country" values in other case ("united states", "CANADA"). The Order Items export has no order status (refunds
show only in the Sold Orders export's Adjusted columns), so every line is a sale. Every line is in USD (Etsy
records a sale in the shop's listing currency). It is generated into a temporary directory and loaded as a shop
owner would: the product's normal AUTOMATIC load (no mapping; currency USD) in a fresh TIERWISE_HOME workspace.
The 40 questions of tests/data/judge_etsy/questions.jsonl (20 English, 20 Chinese, written as an Etsy seller
would type them, before anything was run and without reading how questions are parsed or any other judge's
questions) are each asked offline in a fresh marketer conversation.

The expected answers are computed independently with pandas from the raw file (tests/data/judge_etsy/expected.py
states the reading: revenue is the lines' Item Total, before or after their Discount Amount / InPerson Discount,
both accepted, never shipping or tax; an order is an Order ID; a customer is a non-blank Buyer, in-person sales
are revenue and orders but no customer; the order-level columns count once per order; Ship Country compared
without case). An answer is right when a tool result carries an accepted number and the answer text (or, for a
breakdown, its table) shows it: tests/judging.py's `judge`.

`pytest -s tests/test_judge_etsy.py` (the automatic pass; `-m slow` for the diagnostics) or
`python -m tests.test_judge_etsy` (every pass) prints the load mapping, the per-question table and the accuracy
(English, Chinese, total) and writes test-artifacts/judge_etsy.json (the diagnostics:
test-artifacts/judge_etsy_diagnostic.json).

Three passes, each in a fresh TIERWISE_HOME workspace:
1. automatic: the product's normal automatic load (no mapping) — the measurement that counts;
2. owner_mapping (diagnostic, slow): the load naming the contract fields as an Etsy seller would (OWNER_MAPPING);
3. excel_resave (diagnostic, slow): the same mapping on the copy an owner gets after opening the export in a
   spreadsheet and saving it again (dates M/D/YYYY, zip codes without their leading zeros), nothing else changed.

First measurement, 2026-12-03, on commit 16b9aaa (the working tree, with other engineers' uncommitted edits in
tools/cleaning.py, tools/ingest.py, tools/semantic/compiler.py and tests/conftest.py; the automatic pass run again
on a clean export of 16b9aaa gave the same verdict on every question): automatic en 3/20, zh 3/20, total 6/40 =
15%. The load keeps every line (15,807 read; 1,229 in-person lines kept as anonymous sales, 8,303 customers, dates
and as-of right: MM/DD/YY is read month first), but the automatic mapping took amount = "Discount Amount" (Item
Total is kept as an attribute), order_id = "Transaction ID" (one per line: every line is an order) and status =
"Ship State" (no state dimension is left). Right: e04, e06, e20, z08; z04 (the top product by "revenue", here the
discount total, is the mug either way); z15 (find_customers with no 2025 window: the all-time top buyer is also
2025's). Its 34 failures:
  wrong column mapped, amount = Discount Amount (the planner's query was right; the number is the discounts):
  e01 10,085; e05 5,939 (2025); e08 UK 503; e10 SUMMER15 2,278; e13 Dec 2025 664; e15 -8.5%; e18 0 buyers over
  $150; z01 1,106; z05 Germany 161; z09 Feb 2026 339; z16 +35.8%;
  wrong column mapped, order_id = Transaction ID (orders counted as lines): e02 15,807; e17 1,998 coupon orders;
  e19 645 to Canada in 2025; z02 717 in March; z07 3,158 buyers with 2+ "orders"; z11 908 WELCOME10; z17 455;
  both: e03 AOV 0.64, z03 AOV 0.70;
  wrong metric: e11 coupon discounts -> sum of Shipping Discount (1,712; that column is also typed customer-grain);
  z10 优惠券优惠掉了多少 -> revenue by coupon code; z18 超过90天没再下单的回头客 -> returning_customers in the window
  (0), not customers with 2+ orders lapsed 90 days; z13 马克杯卖出多少个 -> total revenue (no units, mug filter
  dropped);
  no state dimension (Ship State mapped as status): e09 and z06 answered with find_customers(country=United
  States) (a customer, not a state); z20 加州 filter dropped (whole-shop revenue);
  not grouped by a variation property ("Variations" is one attribute, "Colour:…,Size:…" is not split): e16 colour,
  z19 尺寸, both answered with the top product;
  refused ("outside what I can help with"): e07 share of buyers who ordered more than once; z14 去年运费收了多少;
  wrong filter: z12 线下摆摊 dropped (whole-shop revenue); the in-person lines' attributes are not kept (Order
  Type has only "online", InPerson Location no values), so there is nothing to filter on;
  order-level column summed over lines: e12 shipping 96,893 = Order Shipping on every line (66,541.70 once per
  order);
  wrong dimension: e14 top customer by total spend -> the "item total band" attribute (76+).
owner_mapping (same working tree): en 15/20, zh 12/20, total 27/40 = 67.5%: the 20 mapping losses above and e14
are right; lost still: e07, z14 (refused), e09, z06, z20 (Ship State is still taken as status: a mapping cannot
un-map it), e16, z19 (Variations), e11, z10, z13, z18 (wrong metric), z12 (in-person filter dropped; with the Order
Type mapped as channel), e12 (Order Shipping summed over lines). excel_resave: the same 27/40, question for
question (M/D/YYYY dates and zip codes without their zeros change nothing).

After loader fixes, 2026-12-03 (the exact header naming a key most directly wins: "Order ID" before "Transaction
ID"; money that is not the sale - discount, tax, shipping, fee - is never the amount; a "State" next to a place word is
not the status; an order-level number repeated on its lines counts once per order; name:value lists split into
columns): automatic en 17/20, zh 12/20, total 29/40 = 72.5%. Left: e07, e11, z10 (coupon discounts), e09, z06, z20
(state: values are codes, "California"/"加州" not matched to CA), e16/z19 now have colour/size columns but the
planner doesn't pick them, z12, z13, z14, z18.
At the end of the 2026-12-03 session (planner and semantic-layer changes since, incl. product families, top-N
without the blank group, returning customers over all history, "Shipping Discount" no longer the discount): 33/40 = 82.5%.
The automatic floor is now that measurement rounded down to 5% (0.7); each diagnostic floor is its first
measurement rounded down to the nearest 5%, a guard against regressions; TARGET = 0.9.
Questions and expected answers are never tuned to pass.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests import judging

JUDGE = judging.Judge("judge_etsy", currency="USD", target=0.9)
FLOOR = 0.7           # automatic load: first 6/40 = 15% (16b9aaa); 29/40 after the loader fixes
FLOOR_MAPPED = 0.65   # diagnostic, owner mapping: first measurement 27/40 = 67.5%
FLOOR_RESAVED = 0.65  # diagnostic, owner mapping on the spreadsheet re-save: first measurement 27/40 = 67.5%
TARGET = JUDGE.target

# Diagnostic only: the contract fields under Etsy's own names, as a seller names them after reading the load
# report. Revenue is the Item Total; the order is the Order ID; the buyer is the Etsy username.
OWNER_MAPPING = {"customer_id": "Buyer", "order_date": "Sale Date", "amount": "Item Total",
                 "order_id": "Order ID", "product": "Item Name", "quantity": "Quantity", "channel": "Order Type"}


def write_excel_resave(csv: Path, workdir: Path) -> Path:
    """Diagnostic: the export as a spreadsheet saves it again: "04/03/26" -> "4/3/2026" in the three date
    columns, "04101" -> "4101" in Ship Zipcode (ZIP+4 and foreign codes stay text); nothing else changes."""
    import pandas as pd

    raw = pd.read_csv(csv, dtype=str, keep_default_na=False)
    for c in ("Sale Date", "Date Paid", "Date Shipped"):
        d = pd.to_datetime(raw[c].replace("", None), format="%m/%d/%y")
        raw[c] = [f"{x.month}/{x.day}/{x.year}" if pd.notna(x) else "" for x in d]
    z = raw["Ship Zipcode"]
    numeric = z.str.fullmatch(r"\d+")
    raw.loc[numeric, "Ship Zipcode"] = z[numeric].str.lstrip("0")
    out = workdir / "excel_resave" / csv.name
    out.parent.mkdir(parents=True, exist_ok=True)
    raw.to_csv(out, index=False)
    return out


AUTOMATIC = {"automatic": judging.Pass(FLOOR)}
DIAGNOSTICS = {"owner_mapping": judging.Pass(FLOOR_MAPPED, OWNER_MAPPING),
               "excel_resave": judging.Pass(FLOOR_RESAVED, OWNER_MAPPING, write_excel_resave,
                                            "re-saved from a spreadsheet")}


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    """The export and its independent answers, generated once for this module's tests."""
    return judging.generate(JUDGE, tmp_path_factory.mktemp("judge_etsy") / "export")


# --- pytest ---------------------------------------------------------------------------------------------
def test_expected_answers_are_computable(export):
    """The independent pandas answers exist for every question and the file is what the generator promises."""
    import pandas as pd

    from tests.data.judge_etsy.expected import FUNCTIONS
    from tests.data.judge_etsy.make_shop import COLUMNS

    raw = pd.read_csv(export.csv, dtype=str, keep_default_na=False)
    assert list(raw.columns) == COLUMNS
    assert 15_000 <= len(raw) <= 20_000
    assert raw["Transaction ID"].is_unique and 10_000 <= raw["Order ID"].nunique() <= 13_000
    assert 7_000 <= raw["Buyer"].replace("", None).nunique() <= 9_500
    assert raw["Sale Date"].str.fullmatch(r"\d\d/\d\d/\d\d").all()
    assert raw["Sale Date"].iloc[0] == "04/30/26"  # newest first
    assert raw["Sale Date"].str[3:5].astype(int).max() > 12  # the day is the middle part
    assert set(raw["Currency"]) == {"USD"}
    in_person = raw["Order Type"] == "in_person"
    assert set(raw["Order Type"]) == {"online", "in_person"} and 800 <= in_person.sum() <= 2_000
    assert raw.loc[in_person, "Buyer"].eq("").all() and raw.loc[~in_person, "Buyer"].ne("").all()
    assert raw.loc[in_person, ["Ship Country", "Ship Zipcode", "Date Shipped"]].eq("").all().all()
    qty, price, total = (pd.to_numeric(raw[c]) for c in ("Quantity", "Price", "Item Total"))
    assert ((qty * price - total).abs() < 0.005).all()
    orders = raw.groupby("Order ID")
    for c in ("Order Shipping", "Shipping Discount", "Order Sales Tax", "VAT Paid by Buyer", "Coupon Code"):
        assert orders[c].nunique().max() == 1, c  # order-level, repeated on each line
    assert (orders.size() > 1).sum() > 2_000
    assert raw["Ship Zipcode"].str.fullmatch(r"0\d{4}").sum() > 500  # leading zeros kept
    assert raw["Ship Zipcode"].str.fullmatch(r"\d{5}-\d{4}").any()
    countries = raw["Ship Country"]
    assert countries.isin(["united states", "UNITED STATES"]).any() and countries.str.casefold().eq("canada").any()
    assert raw["Variations"].str.contains("Colour:").any() and raw["Variations"].str.contains("Color:").any()
    assert {"WELCOME10", "SUMMER15", "BLACKFRIDAY20", "THANKYOU5", "FREESHIP"} <= set(raw["Coupon Code"])
    qs = JUDGE.questions()
    assert {q["id"] for q in qs} == set(FUNCTIONS) and len(qs) == 40
    assert sum(q["lang"] == "en" for q in qs) == sum(q["lang"] == "zh" for q in qs) == 20
    for qid, value in export.expected.items():
        assert value is not None and value == value and value != [], qid


def test_judge_etsy_answers_with_the_right_number(export, tmp_path):
    result = judging.run_passes(JUDGE, tmp_path, AUTOMATIC, export)
    judging.check(result, JUDGE.artifact)


@pytest.mark.slow
def test_judge_etsy_owner_mapping_diagnostic(export, tmp_path):
    """Diagnostic: the owner-mapped load and the spreadsheet re-save, to tell the loader's losses from the
    planner's."""
    result = judging.run_passes(JUDGE, tmp_path, DIAGNOSTICS, export)
    judging.check(result, JUDGE.diagnostic_artifact)


if __name__ == "__main__":
    sys.exit(judging.main(JUDGE, {**AUTOMATIC, **DIAGNOSTICS}))
