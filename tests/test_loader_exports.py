"""Platform order exports as shops download them: one row per line item, the customer known only by email,
order numbers like #1001, a price per unit instead of a line total, and order-level fields written on an
order's first line only. Every figure is checked against pandas on the raw file."""

from __future__ import annotations

import random
import re
from datetime import date, timedelta

import duckdb
import pandas as pd
import pytest

from tools.ingest import ingest

TODAY = date(2025, 1, 1)
BOOKS = [("The Quiet Garden", "Fiction", 14.5), ("Bread at Home", "Cooking", 22.0),
         ("Stars for Beginners", "Science", 18.75), ("Little Fox Finds a Hat", "Children", 9.99),
         ("Mountain Roads", "Travel", 27.4)]
STATUSES = ["paid"] * 8 + ["refunded", "voided"]
SOURCES = ["web", "pos", "android"]


def bookshop_export(path, *, orders: int = 260, seed: int = 11) -> pd.DataFrame:
    """A bookshop's line-item export written by hand, in its own column names: "Order" (#5001 …), "Buyer Email",
    "Placed" (with a UTC offset), "Qty", "Price" (per unit), "Title", "Genre", and the order-level "Payment State",
    "Source", "Coupon", "Buyer Phone" and "Ship To Name" written on the first line of an order only."""
    rng = random.Random(seed)
    emails = [f"reader{i}@example.org" if i % 3 else f"Reader.{i}@Example.org" for i in range(60)]
    rows = []
    day0 = date(2024, 1, 1)
    for n in range(orders):
        email = rng.choice(emails)
        placed = day0 + timedelta(days=rng.randrange(360))
        state, source = rng.choice(STATUSES), rng.choice(SOURCES)
        for j in range(rng.randint(1, 4)):
            title, genre, price = rng.choice(BOOKS)
            first = j == 0
            rows.append({"Order": f"#{5001 + n}", "Buyer Email": email.upper() if rng.random() < 0.1 else email,
                         "Placed": f"{placed.isoformat()} {rng.randint(8, 20):02d}:15:00 -0500",
                         "Payment State": state if first else "", "Source": source if first else "",
                         "Coupon": (rng.choice(["READ10", ""]) if first else ""),
                         "Title": title, "Genre": genre, "Qty": rng.randint(1, 3), "Price": f"{price:.2f}",
                         "Buyer Phone": f"+1 555 010 {n % 100:04d}" if first else "",
                         "Ship To Name": f"Reader {n}" if first else ""})
    frame = pd.DataFrame(rows)
    frame.to_csv(path, index=False)
    return frame


@pytest.fixture
def export(tmp_path):
    path = tmp_path / "orders_export.csv"
    frame = bookshop_export(path)
    con = duckdb.connect()
    report = ingest(con, path, today=TODAY)
    return frame, report, con


def carried(frame: pd.DataFrame, column: str) -> pd.Series:
    """The order-level value of each line, as an analyst fills it in pandas."""
    return frame[column].replace("", pd.NA).groupby(frame["Order"]).transform("first")


def test_the_columns_are_mapped_as_a_shop_owner_reads_them(export):
    _, report, _ = export
    m = report["mapping"]
    assert (m["order_id"], m["customer_id"], m["unit_price"], m["quantity"], m["channel"], m["status"]) == \
        ("Order", "Buyer Email", "Price", "Qty", "Source", "Payment State")
    assert "amount" not in m
    assert any("price per unit" in w for w in report["warnings"])


def test_a_unit_price_times_the_quantity_is_the_line_amount_and_order_fields_reach_every_line(export):
    frame, _, con = export
    frame = frame.assign(state=carried(frame, "Payment State"), source=carried(frame, "Source"))
    done = frame[frame.state == "paid"]
    want = (done["Qty"] * done["Price"].astype(float)).sum()
    got = con.execute("SELECT sum(amount), count(*) FROM orders").fetchall()[0]
    assert got[0] == pytest.approx(want, rel=1e-9) and got[1] == len(done)
    # A refunded order is cancelled on every line, not only on its first.
    assert con.execute("SELECT count(*) FROM cancelled_orders").fetchall()[0][0] == int((frame.state != "paid").sum())
    by_source = dict(con.execute("SELECT channel, sum(amount) FROM orders GROUP BY 1").fetchall())
    want_source = (done["Qty"] * done["Price"].astype(float)).groupby(done["source"]).sum().to_dict()
    assert by_source == pytest.approx(want_source, rel=1e-9) and None not in by_source


def test_customers_known_by_email_get_pseudonymous_ids_and_keep_their_email(export):
    frame, report, con = export
    ids = [r[0] for r in con.execute("SELECT DISTINCT customer_id FROM orders").fetchall()]
    assert ids and not any("@" in i for i in ids)
    assert all(re.fullmatch(r"E[0-9A-F]{16}", i) for i in ids)
    paid = frame[carried(frame, "Payment State") == "paid"]
    assert len(ids) == paid["Buyer Email"].str.lower().nunique()
    emails = {r[0] for r in con.execute("SELECT email FROM customers").fetchall()}
    assert emails == set(paid["Buyer Email"].str.lower())
    assert any("identified by their email" in w for w in report["warnings"])


def test_the_same_email_gets_the_same_id_in_another_load(tmp_path, export):
    _, _, con = export
    again = duckdb.connect()
    bookshop_export(tmp_path / "again.csv", orders=40, seed=3)
    ingest(again, tmp_path / "again.csv", today=TODAY)
    first = dict(con.execute("SELECT email, customer_id FROM customers").fetchall())
    second = dict(again.execute("SELECT email, customer_id FROM customers").fetchall())
    shared = first.keys() & second.keys()
    assert shared and all(first[e] == second[e] for e in shared)


def test_personal_columns_are_not_kept_and_the_report_says_so(export):
    _, report, con = export
    labels = {a["label"] for a in report["attributes"]}
    assert {"Buyer Phone", "Ship To Name"}.isdisjoint(labels) and "Coupon" in labels
    note = next(w for w in report["warnings"] if "personal data" in w)
    assert "'Buyer Phone'" in note and "'Ship To Name'" in note
    stored = {r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name IN ('orders', 'customers')").fetchall()}
    assert not any("phone" in c or "ship_to" in c for c in stored)


def test_a_mostly_blank_code_column_is_never_the_customer_key(tmp_path):
    """No customer column by name: the key is guessed from values, and a coupon column (blank on most rows) is
    no customer key even though its values look like ids."""
    lines = ["Ref,When,Total,Voucher"]
    for i in range(300):
        lines.append(f"K{i % 40:03d},2024-03-{i % 28 + 1:02d},{10 + i % 7}.25,{'SAVE5' if i % 9 == 0 else ''}")
    path = tmp_path / "guess.csv"
    path.write_text("\n".join(lines) + "\n")
    report = ingest(duckdb.connect(), path, today=TODAY)
    assert report["mapping"]["customer_id"] == "Ref"


def test_guest_checkouts_with_a_placeholder_id_are_told_apart_by_their_email(tmp_path):
    """An account id of 0 means a guest checkout: each guest is a customer of their own (by email), never one
    giant customer '0'; registered customers keep their ids, and every customer keeps their email."""
    rng = random.Random(4)
    rows = []
    for n in range(400):
        registered = rng.random() < 0.7
        k = rng.randrange(50)
        rows.append({"Order ID": 9000 + n, "Account ID": 100 + k if registered else 0,
                     "Billing Email": f"member{k}@shop.test" if registered else f"guest{rng.randrange(80)}@mail.test",
                     "Order Date": f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                     "Line Total": f"{rng.uniform(5, 90):.2f}", "Customer Note": rng.choice(["", "", "gift"])})
    frame = pd.DataFrame(rows)
    path = tmp_path / "guests.csv"
    frame.to_csv(path, index=False)
    con = duckdb.connect()
    report = ingest(con, path, today=TODAY)
    assert (report["mapping"]["customer_id"], report["mapping"]["email"]) == ("Account ID", "Billing Email")
    ids = dict(con.execute("SELECT customer_id, sum(amount) FROM orders GROUP BY 1").fetchall())
    assert "0" not in ids
    members = frame[frame["Account ID"] != 0]
    guests = frame[frame["Account ID"] == 0]
    assert len(ids) == members["Account ID"].nunique() + guests["Billing Email"].nunique()
    assert ids["100"] == pytest.approx(members[members["Account ID"] == 100]["Line Total"].astype(float).sum())
    emails = dict(con.execute("SELECT customer_id, email FROM customers").fetchall())
    assert emails["100"] == "member0@shop.test" and all(emails.values())
