"""Refund lines of a point-of-sale export (a line of its own with a negative amount, in the ticket it refunds) are
netted against the sales they refund: sales totals are net of refunds, a line refunded in full is a refunded line
(not a sale), a partial refund reduces its sale and is itself a refunded line; a negative line with nothing in the
file to refund stays rejected. Every figure is checked against pandas on the raw file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tools.catalog import call_tool
from tests.loaded import loaded

ITEMS = {"Latte": 4.75, "Croissant": 3.25, "Beans 1kg": 24.0, "Sandwich": 8.5}


def write_till(path, seed: int = 11) -> pd.DataFrame:
    """Tickets of one to three lines (a quarter anonymous); ~8% of tickets refund one line in full, ~4% in part;
    a few negative lines that refund nothing in the file (another ticket, or a product the ticket doesn't have)."""
    rng = np.random.default_rng(seed)
    rows = []
    for t in range(500):
        customer = "" if rng.random() < 0.25 else f"C{int(rng.integers(0, 60)):03d}"
        day = (pd.Timestamp("2025-01-01") + pd.Timedelta(days=int(rng.integers(0, 200)))).date().isoformat()
        names = rng.choice(list(ITEMS), size=int(rng.integers(1, 4)), replace=False)
        lines = [{"Transaction ID": f"T{t:04d}", "Customer ID": customer, "Date": day, "Item": str(n),
                  "Qty": int(rng.integers(1, 3)), "Event Type": "Payment"} for n in names]
        for line in lines:
            line["Net Sales"] = round(ITEMS[line["Item"]] * line["Qty"], 2)
        rows += lines
        r = rng.random()
        if r < 0.12:
            line = lines[0]
            part = line["Net Sales"] if r < 0.08 else round(line["Net Sales"] / 2, 2)
            rows.append({**line, "Qty": -line["Qty"] if r < 0.08 else 0, "Net Sales": -part, "Event Type": "Refund"})
        elif r < 0.13:  # refunds a product the ticket does not have: a data error, not a refund of this ticket
            missing = next(n for n in ITEMS if n not in names)
            rows.append({**lines[0], "Item": missing, "Net Sales": -ITEMS[missing], "Event Type": "Refund"})
    rows.append({"Transaction ID": "T9999", "Customer ID": "C001", "Date": "2025-03-01", "Item": "Latte", "Qty": -1,
                 "Net Sales": -4.75, "Event Type": "Refund"})  # a ticket that is not in the file
    till = pd.DataFrame(rows)
    till.to_csv(path, index=False)
    return till


def _expected(till: pd.DataFrame) -> dict:
    """Net sales per ticket line (refund lines taken off the ticket's line of the same item); the orphans apart."""
    sales = till[till["Net Sales"] > 0]
    refunds = till[till["Net Sales"] < 0]
    key = ["Transaction ID", "Item"]
    matched = refunds.merge(sales[key].drop_duplicates(), on=key, how="inner")
    orphans = len(refunds) - len(matched)
    net = pd.concat([sales, matched]).groupby(key, as_index=False).agg(
        net=("Net Sales", "sum"), customer=("Customer ID", "first"))
    kept = net[net["net"] > 0.005]
    return {"revenue": kept["net"].sum(), "orders": kept["Transaction ID"].nunique(),
            "refunded": -matched["Net Sales"].sum(), "refund_lines": len(matched), "orphans": orphans,
            "full": int((net["net"] <= 0.005).sum()),
            "refunded_orders": matched["Transaction ID"].nunique(),
            "customer_revenue": kept[kept["customer"] != ""].groupby("customer")["net"].sum()}


@pytest.fixture(scope="module")
def till(tmp_path_factory):
    root = tmp_path_factory.mktemp("refunds")
    raw = write_till(root / "till.csv")
    with loaded(root / "till.csv", root / "home") as (report, ctx):
        yield report, raw, ctx


def _ask(ctx, **args) -> pd.Series:
    return pd.DataFrame(call_tool(ctx, "query_metrics", args).facts["rows"]).iloc[0]


def test_refund_lines_are_netted_and_reported_and_orphans_rejected(till):
    report, raw, _ = till
    want = _expected(raw)
    assert want["full"] > 10 and want["refund_lines"] - want["full"] > 5 and want["orphans"] > 2  # the file has all kinds
    assert report["refunds_netted"] == {"refund_lines": want["refund_lines"], "refunded_in_full": want["full"],
                                        "reduced": want["refund_lines"] - want["full"]}
    assert report["rejected_by_reason"] == {"negative amount": want["orphans"]}
    assert any(w.startswith(f"Refunds netted: {want['refund_lines']:,} refund lines") for w in report["warnings"])


def test_sales_are_net_of_refunds_and_refunds_are_their_own_figures(till):
    _, raw, ctx = till
    want = _expected(raw)
    row = _ask(ctx, metrics=["revenue", "orders", "refunded_revenue", "refunded_orders"])
    assert row["revenue"] == pytest.approx(want["revenue"])
    assert row["orders"] == want["orders"]
    assert row["refunded_revenue"] == pytest.approx(want["refunded"])
    assert row["refunded_orders"] == want["refunded_orders"]
    # the whole file's net sales, less only the refunds of nothing in the file
    orphans = raw[(raw["Net Sales"] < 0)].merge(raw[raw["Net Sales"] > 0][["Transaction ID", "Item"]],
                                                  how="left", indicator=True, on=["Transaction ID", "Item"])
    assert row["revenue"] == pytest.approx(raw["Net Sales"].sum()
                                           - orphans.loc[orphans["_merge"] == "left_only", "Net Sales"].sum())


def test_a_customers_spend_is_net_of_their_refunds(till):
    _, raw, ctx = till
    want = _expected(raw)["customer_revenue"]
    spend = ctx.snapshot.query("SELECT customer_id, sum(amount) AS s FROM orders GROUP BY 1").set_index("customer_id")["s"]
    assert spend.to_dict() == pytest.approx(want.to_dict())
    assert ctx.snapshot.scalar("SELECT count(*) FROM orders WHERE amount <= 0") == 0


def test_the_day_of_the_week_is_a_dimension_and_a_filter(till):
    _, raw, ctx = till
    want = _expected(raw)
    rows = pd.DataFrame(call_tool(ctx, "query_metrics", {"metrics": ["revenue"], "by": ["weekday"]}).facts["rows"])
    assert set(rows["weekday"]) <= {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
    assert rows["revenue"].sum() == pytest.approx(want["revenue"])
    sales = raw[raw["Net Sales"] > 0]
    day = pd.to_datetime(sales["Date"]).dt.day_name()
    saturday_tickets = sales.loc[day == "Saturday", "Transaction ID"].nunique()
    row = _ask(ctx, metrics=["orders"], filters=[{"field": "weekday", "op": "=", "value": "Saturday"}])
    # tickets refunded in full are no orders: at most the Saturday tickets, and at least those not refunded
    refunded = raw.loc[raw["Net Sales"] < 0, "Transaction ID"]
    assert saturday_tickets - refunded.nunique() <= row["orders"] <= saturday_tickets
    assert 0 < row["orders"]
