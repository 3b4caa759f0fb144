"""Independent judgement on a BigCommerce "Export Orders" CSV (Default template) of a small Australian coffee roaster
(never seen by the planner).

tests/data/judge_bigcommerce/make_shop.py writes what BigCommerce's Orders > Export (Default template, CSV) gives
for Bellbird Coffee Roasters, a specialty roaster in Marrickville, Sydney (AUD, GST-inclusive prices): ONE ROW PER
ORDER, ~13.6k orders (~13.8k physical lines: a few customer messages span two lines inside quotes) over two years up
to 2026-05-31, newest first, 57 columns in the template's order ("Order ID", "Customer ID", "Customer Name", "Customer
Email", "Customer Phone", "Order Date", "Order Status", "Subtotal (inc tax)", "Subtotal (ex tax)", "Tax Total",
"Shipping Cost (inc tax)", "Shipping Cost (ex tax)", "Ship Method", handling, store credit and gift certificate
columns, "Coupon Details", "Order Total (inc tax)", "Order Total (ex tax)", "Payment Method", "Total Quantity",
"Total Shipped", "Date Shipped", "Order Currency Code", "Exchange Rate", "Order Notes", "Customer Message", the
Billing and Shipping address blocks, "Combined Product Weight", "Product Details", "Refund Amount"). The items of an
order are all in the one "Product Details" field ("Product ID: 112, Product Qty: 2, Product SKU: …, Product Name:
Bellbird House Blend, Product Weight: 1.0000, Product Variation Details: Size: 1kg, Grind: Whole Bean, Product Unit
Price: 62.00, Product Total Price: 124.00|Product ID: …"); dates DD/MM/YYYY; guest checkouts have Customer ID 0
(~25% of orders) and are known by their e-mail only (sometimes typed in other case); statuses Shipped, Completed,
Awaiting Fulfillment/Pickup/Payment, Cancelled, Declined, Refunded, Partially Refunded (with "Refund Amount"); coffee
is GST-free, so "ex tax" is not "inc tax" / 1.1; every order is AUD. It is generated into a temporary directory and
loaded as a shop owner would: the product's normal AUTOMATIC load (no mapping; currency AUD) in a fresh
TIERWISE_HOME workspace. The 40 questions of tests/data/judge_bigcommerce/questions.jsonl (20 English, 20 Chinese,
written as the roaster's owner would type them, before anything was run and without reading how the product loads
files or parses questions, or any other judge's questions and answers) are each asked offline in a fresh marketer
conversation.

The expected answers are computed independently with pandas from the raw file (tests/data/judge_bigcommerce/
expected.py states the reading: an order is a row; its items are Product Details split on "|"; a sale is an order
not Cancelled, Refunded or Declined, Awaiting Payment in or out; revenue is Order Total or Subtotal, inc or ex GST,
a partial refund in full or net, all accepted; a product's revenue is its items' Product Total Price; a customer is
the e-mail, or the account with guests by e-mail, never "Customer ID 0" as one customer). An answer is right when a
tool result carries an accepted number and the answer text (or, for a breakdown, its table) shows it:
tests/judging.py's `judge`.

`pytest -s tests/test_judge_bigcommerce.py` (the automatic pass; `-m slow` for the diagnostic) or
`python -m tests.test_judge_bigcommerce` (every pass) prints the load mapping, the per-question table and the
accuracy (English, Chinese, total) and writes test-artifacts/judge_bigcommerce.json.

Four passes, each in a fresh TIERWISE_HOME workspace:
1. automatic: the product's normal automatic load (no mapping): the measurement that counts;
2. one_line_automatic (diagnostic, slow): the automatic load of a copy with the line breaks inside quoted cells
   replaced by a space (write_one_line_messages), to see past the reader;
3. owner_mapping (diagnostic, slow): the load naming the contract fields as the owner would (OWNER_MAPPING);
4. one_line_owner_mapping (diagnostic, slow): that mapping on the one-line copy.

First measurement, 2026-12-03, on commit d074b7b (a clean `git archive` of HEAD; the shared working tree held other
engineers' uncommitted edits in assistant/planning_metrics.py and tools/regions.py, not measured): automatic
en 0/20, zh 0/20, total 0/40 = 0%. Load REFUSED: "Could not read 'orders-2026-05-31.csv' as text: CSV Error on
Line: 380". Lines 379-381 are one row whose quoted "Customer Message" spans three lines ("Hi!" / "Could you please
send the freshest roast you have?" / "Thanks"). RFC 4180 allows this, and BigCommerce writes the message as the
customer typed it (an earlier draft of the generator failed the same way on line 258, its first two-line message).
All 40 questions fail for this one cause: nothing is loaded to answer from.
owner_mapping: the same refusal, 0/40.

one_line_automatic (diagnostic): en 2/20, zh 2/20, total 4/40 = 10%. The load reads all 13,586 rows and dates
(DD/MM/YYYY) right, as-of 2026-05-31. Customers = Customer ID with the e-mail for guests (Customer ID 0): 5,820,
one of the accepted readings. "Product Details" and "Coupon Details" are split into order-grain attributes (Product
Name etc.; no item lines: a multi-item order keeps one order row). The mistakes:
  amount = "Gift Certificate Amount Redeemed" (revenue AUD 10,491 of ~1.1M; Order Total / Subtotal are kept as
  attributes): e01 (dataset_overview "orders worth 10,491"), e03 0.81, e05 1,916, e11 600, e13 333.80, e14 +78.9%,
  e16 (top spender by gift certificates: "956"), e17 0 customers over $1,000, z01 10,491, z03 0.81, z04 4,811,
  z05 627.65, z12 +2.2%;
  status: "Partially Refunded" (75 orders) and "Awaiting Payment" (5) are counted as cancelled (651 =
  256 Cancelled + 171 Refunded + 144 Declined + 75 + 5), so the partly refunded sales leave every figure (this
  judge accepts a partial refund in full or net of its Refund Amount, not the whole order dropped): e02 12,935
  orders (13,010 / 13,015), e20 weight 1.1291, z02 12,935, z07 697 (702-731), z13 1,572, z19 2.098 per order
  (2.101 / 2.104); e08 4.8% (shown, but the number is 651/13,586, not 646/13,586);
  wrong metric: z09 取消了多少单 -> cancelled_orders 651 ("取消、关闭、退款或退货": refunds counted as cancellations;
  256 or 400 with Declined); z16 用了优惠码的订单占比 -> share_of_revenue 100% (the split Coupon Code attribute is
  not used);
  no product lines (Product Details not split into items; the planner groups by the whole "product_details"
  string): e06 and z10 name "Product ID: 112, Product Qty: 1, Product SKU: …" (the text holds "Bellbird House
  Blend", the group is not the product); e18 V60 dripper-not-filters -> all customers 5,820 (audience dropped);
  z15 Yirgacheffe -> whole-shop revenue (filter dropped);
  wrong tool: e07 "How many Baratza Encore grinders" -> customer_lookup("Baratza Encore") error;
  filter dropped: e12 Express Post in 2025 -> all 7,006 orders of 2025 (ship method not matched); z11 游客
  (Customer ID 0) -> whole-shop revenue; z18 到店自提 -> whole-shop revenue; z06 哪个州 -> top product_details by
  units (no state dimension picked);
  wrong window: e04 FY2024-25 (1 July 2024 to 30 June 2025) -> 2024-07-01..2024-07-31;
  wrong filter: e09 "revenue we have lost to cancellations" -> cancelled_revenue of customers with churn risk
  "lapsed" ("lost" read as lost customers);
  refused ("outside what I can help with"): e15 share of customers who ordered more than once; z14 top customer's
  spend; z20 运费一共收了多少 (Shipping Cost (inc tax) is a kept attribute).
  (e04, e09, z11, z15 and z18 also carry the wrong amount.)
  Right: e10 (Credit Card), e19 727 new customers in 90 days, z08 1.8% refunds, z17 880.
one_line_owner_mapping (diagnostic; amount = Order Total (inc tax), customer = e-mail, status = Order Status):
en 2/20, zh 2/20, total 4/40 = 10% (e10, e17 93, z08, z17 865). Revenue is now Order Total but the Partially Refunded
orders are still dropped, so every figure misses by exactly their value (checked with pandas): e01/z01 1,160,473
(Order Total without the 75 partly refunded orders), e03/z03 89.72, e05 193,087, e11 102,185, e13 69,394, e14
+46.94%, z04 622,267, z05 43,692, z12 +2.89%, e19 715, z13 1,568, plus e02, e08, e20, z02, z07, z19 as above. The
mapping-independent failures stay (e04, e06, e07, e09, e12, e15, e18, z06, z09, z10, z11, z14, z15, z16, z18, z20).
e16 now names a pseudonymous id (E3C5AF47C1E61D1B5: the e-mail key is personal data), not the café.

One judge edit after the first run, disclosed: e05, e11 and z05 ask one group's number but were first written as
kind group_value (a breakdown, which the harness rejects when answered with a filter). They are now kind number
with the group (a filter's row or the group's row both count). All four passes were run again: every verdict is
the same.
Floors are the first measurement rounded down to 5%: automatic 0 (0/40), owner_mapping 0, one_line_automatic 0.10,
one_line_owner_mapping 0.10; TARGET = 0.9. Questions and expected answers are never tuned to pass.

After loader and planner fixes of its causes, 2026-12-03 (no question or expected answer changed): the file loads (a
line break past the sampled lines retried one-threaded, e2f79bf); the sale is 'Order Total (inc tax)', money that
paid for an order is no sale, Partially Refunded orders still sold (68f6933); 'Product Details' becomes a line per
item with its own name, quantity and total (3e95355); products named by some of their words, 'shipping' of a money
column its cost, 'Express Post' a ship method's last words, 州 the state column (88dca56, dcc2c8f): automatic
23/40, then 27, 30, 31, and 32/40 = 80% (en 17/20, zh 15/20) on 94adc5a — contaminated, no longer an unseen-shop
figure. The automatic floor is raised to 0.75 as a guard; left: FY windows (e04), cancellations read apart from
refunds (e08, e09, z09), guests by Customer ID 0 (z11), pickup orders (z18), the coupon share (z16).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests import judging

JUDGE = judging.Judge("judge_bigcommerce", currency="AUD", target=0.9)
FLOOR = 0.75          # automatic load: first 0/40 (refused: a line break inside a quoted cell), d074b7b; 32/40 after fixes
FLOOR_MAPPED = 0.0    # diagnostic, owner mapping: first 0/40 (the same refusal)
FLOOR_ONE_LINE = 0.1  # diagnostic, automatic load of the one-line copy: first 4/40
FLOOR_ONE_LINE_MAPPED = 0.1  # diagnostic, owner mapping on the one-line copy: first 4/40
TARGET = JUDGE.target

# Diagnostic only: the contract fields under BigCommerce's names, as the owner names them after reading the load
# report. Revenue is what the customer paid (Order Total inc GST); the customer is the e-mail (guests are
# Customer ID 0); the items cannot be named: they are inside Product Details.
OWNER_MAPPING = {"customer_id": "Customer Email", "order_date": "Order Date", "amount": "Order Total (inc tax)",
                 "order_id": "Order ID", "status": "Order Status"}



def write_one_line_messages(csv: Path, workdir: Path) -> Path:
    """Diagnostic: the export with the line breaks inside quoted cells (a few "Customer Message"s) replaced by a
    space, every row on one physical line; nothing else changes."""
    import pandas as pd

    raw = pd.read_csv(csv, dtype=str, keep_default_na=False)
    for c in raw.columns:
        raw[c] = raw[c].str.replace(r"\s*\n\s*", " ", regex=True)
    out = workdir / "one_line" / csv.name
    out.parent.mkdir(parents=True, exist_ok=True)
    raw.to_csv(out, index=False)
    return out


AUTOMATIC = {"automatic": judging.Pass(FLOOR)}
DIAGNOSTICS = {"one_line_automatic": judging.Pass(FLOOR_ONE_LINE, None, write_one_line_messages,
                                                  "line breaks in cells flattened"),
               "owner_mapping": judging.Pass(FLOOR_MAPPED, OWNER_MAPPING),
               "one_line_owner_mapping": judging.Pass(FLOOR_ONE_LINE_MAPPED, OWNER_MAPPING,
                                                      write_one_line_messages, "line breaks in cells flattened")}

export = judging.export_fixture(JUDGE)


# --- pytest ---------------------------------------------------------------------------------------------
def test_expected_answers_are_computable(export):
    """The independent pandas answers exist for every question and the file is what the generator promises."""
    import pandas as pd

    from tests.data.judge_bigcommerce.expected import FUNCTIONS
    from tests.data.judge_bigcommerce.make_shop import COLUMNS

    raw = pd.read_csv(export.csv, dtype=str, keep_default_na=False)
    assert list(raw.columns) == COLUMNS and len(COLUMNS) == 57
    assert 12_000 <= len(raw) <= 16_000 and raw["Order ID"].is_unique
    lines = export.csv.read_text(encoding="utf-8").count("\n")
    assert 10_000 <= lines <= 20_000 and lines > len(raw) + 1  # quoted newlines in Customer Message
    assert raw["Order Date"].str.fullmatch(r"\d\d/\d\d/\d{4}").all()
    assert raw["Order Date"].iloc[0] == "31/05/2026"  # newest first
    assert raw["Order Date"].str[:2].astype(int).max() > 12  # the day comes first
    assert set(raw["Order Currency Code"]) == {"AUD"} and set(raw["Exchange Rate"]) == {"1.0000000000"}
    guest = raw["Customer ID"] == "0"
    assert 0.15 <= guest.mean() <= 0.4
    emails = raw["Customer Email"]
    assert (emails != emails.str.lower()).any()  # guests type their e-mail in other case now and then
    assert {"Shipped", "Completed", "Cancelled", "Refunded", "Partially Refunded", "Declined", "Awaiting Payment",
            "Awaiting Fulfillment"} <= set(raw["Order Status"])
    assert raw["Product Details"].str.contains("|", regex=False).sum() > 2_000  # several items in one field
    assert raw["Product Details"].str.contains("Hario V60 Paper Filters 02, 100 Pack", regex=False).any()
    money = {c: pd.to_numeric(raw[c]) for c in ("Subtotal (inc tax)", "Subtotal (ex tax)", "Order Total (inc tax)",
                                                 "Order Total (ex tax)", "Tax Total", "Shipping Cost (inc tax)")}
    assert ((money["Order Total (inc tax)"] - money["Order Total (ex tax)"] - money["Tax Total"]).abs() < 0.005).all()
    assert (money["Subtotal (inc tax)"] != money["Subtotal (ex tax)"]).any()
    assert ((money["Subtotal (inc tax)"] / 1.1 - money["Subtotal (ex tax)"]).abs() > 0.05).any()  # GST-free coffee
    assert raw["Billing Zip"].str.fullmatch(r"0\d{3}").any()  # Darwin 0800 keeps its zero
    assert judging.check_questions(JUDGE, FUNCTIONS, export, 20) is None


def test_judge_bigcommerce_answers_with_the_right_number(export, tmp_path):
    result = judging.run_passes(JUDGE, tmp_path, AUTOMATIC, export)
    judging.check(result, JUDGE.artifact)


@pytest.mark.slow
def test_judge_bigcommerce_owner_mapping_diagnostic(export, tmp_path):
    """Diagnostic: the automatic load of a copy with one line per row, and the owner-mapped loads, to tell the
    reader's, the mapping's and the planner's losses apart."""
    result = judging.run_passes(JUDGE, tmp_path, DIAGNOSTICS, export)
    judging.check(result, JUDGE.diagnostic_artifact)


if __name__ == "__main__":
    sys.exit(judging.main(JUDGE, {**AUTOMATIC, **DIAGNOSTICS}))
