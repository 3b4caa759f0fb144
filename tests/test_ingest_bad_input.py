"""Bad input gives a TierwiseError sentence or a report line, never a traceback of another type."""

from __future__ import annotations

import csv
import os
from datetime import date
from pathlib import Path

import pytest

from tools.errors import TierwiseError
from tools.ingest import ingest, parse_map_args

DATA = Path(__file__).parent / "data"
TODAY = date(2025, 1, 1)



def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_empty_file_is_refused_with_a_sentence(con, tmp_path):
    with pytest.raises(TierwiseError, match="empty"):
        ingest(con, write(tmp_path, "empty.csv", ""), today=TODAY)


def test_header_only_file_says_there_are_no_data_rows(con, tmp_path):
    with pytest.raises(TierwiseError, match="no data rows"):
        ingest(con, write(tmp_path, "h.csv", "customer_id,order_date,amount\n"), today=TODAY)


def test_random_bytes_are_refused_as_binary(con, tmp_path):
    path = tmp_path / "noise.csv"
    path.write_bytes(os.urandom(4096))
    with pytest.raises(TierwiseError, match="binary"):
        ingest(con, path, today=TODAY)


def test_png_renamed_to_csv_is_named_as_an_image(con, tmp_path):
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(200))
    with pytest.raises(TierwiseError, match="PNG image"):
        ingest(con, path, today=TODAY)


def test_missing_required_column_lists_seen_columns_and_closest_candidates(con, tmp_path):
    path = write(tmp_path, "o.csv", "Customer ID,Purchase Date,Product Name\n"
                                    "C1,2024-01-05,Mug\nC2,2024-01-06,Cup\n")
    with pytest.raises(TierwiseError) as err:
        ingest(con, path, today=TODAY)
    msg = str(err.value)
    assert "amount" in msg and "Columns seen: 1: Customer ID, 2: Purchase Date, 3: Product Name" in msg
    assert "closest candidates" in msg or "no column name is close" in msg
    assert "--map amount=" in msg


def test_all_dates_unparseable_refuses_the_load_and_names_the_reason(con, tmp_path):
    path = write(tmp_path, "o.csv", "customer_id,order_date,amount\n"
                                    "C1,someday,10\nC2,later,20\nC3,soon,5\n")
    with pytest.raises(TierwiseError, match=r"3 of 3 rows .*unparseable date: 3"):
        ingest(con, path, today=TODAY)
    # A refused load leaves nothing behind.
    assert con.execute("SELECT count(*) FROM duckdb_tables()").fetchall()[0][0] == 0


def test_more_than_half_bad_is_refused_but_exactly_half_is_kept_with_a_warning(con, tmp_path):
    rows = "customer_id,order_date,amount\nC1,2024-01-01,10\nC2,2024-01-02,20\n"
    more = write(tmp_path, "more.csv", rows + "C3,bad,1\nC4,bad,1\nC5,bad,1\n")
    with pytest.raises(TierwiseError, match="Refused"):
        ingest(con, more, today=TODAY)
    half = write(tmp_path, "half.csv", rows + "C3,2024-01-03,ten\nC4,2024-01-04,-3\n")
    report = ingest(con, half, today=TODAY)
    assert report["rows_kept"] == 2
    assert report["rejected_by_reason"] == {"unparseable amount": 1, "negative amount": 1}
    assert any("Exactly half" in w for w in report["warnings"])


def test_each_reject_reason_is_counted_and_written_to_the_rejects_file(con, tmp_path):
    path = write(tmp_path, "o.csv", "\n".join([
        "customer_id,order_date,amount,status",
        "C1,2024-01-01,10.00,paid",
        "C2,2024-01-02,-5,paid",            # negative amount
        "C3,2024-01-03,2500000,paid",       # absurd amount
        "C4,2030-01-01,10,paid",            # date in the future
        "C5,2024-13-45,10,paid",            # unparseable date
        ",2024-01-05,10,paid",              # no customer: kept as an anonymous sale, not rejected
        "C6,2024-01-06,,paid",              # missing amount
        "C7,2024-01-07,ten,paid",           # unparseable amount
        "C8,2024-01-08,0,paid",             # zero is kept
        "C9,2024-01-09,30,Cancelled",       # cancelled, case-insensitive
        "C1,2024-01-10,$1,234.50,paid" .replace("$1,234.50", '"$1,234.50"'),
        "C1,2024-01-11,(12.00),paid",       # accounting negative
        "C2,2024-01-12,7,paid", "C3,2024-01-13,8,paid", "C4,2024-01-14,9,paid",
        "C5,2024-01-15,9,paid", "C6,2024-01-16,9,paid", "C7,2024-01-17,9,paid",
    ]) + "\n")
    rejects = tmp_path / "out" / "rejects.csv"
    report = ingest(con, path, today=TODAY, rejects_path=rejects)
    assert report["rejected_by_reason"] == {
        "negative amount": 2, "absurd amount": 1, "date in the future": 1,
        "unparseable date": 1, "missing amount": 1, "unparseable amount": 1}
    assert report["rows_rejected"] == 7
    assert report["cancelled"] == 1
    assert report["anonymous_sales"] == {"lines": 1, "revenue": 10.0}
    assert report["rows_kept"] == 18 - 7 - 1 - 1
    assert ("C1", 1234.5) in con.execute("SELECT customer_id, amount FROM orders").fetchall()
    assert con.execute("SELECT count(*) FROM orders WHERE amount = 0").fetchall()[0][0] == 1
    assert con.execute("SELECT customer_id FROM cancelled_orders").fetchall() == [("C9",)]
    with open(rejects, newline="", encoding="utf-8") as fh:
        written = list(csv.DictReader(fh))
    assert len(written) == 7
    by_row = {int(r["row_number"]): r for r in written}
    assert by_row[2]["reason"] == "negative amount"
    assert '"customer_id":"C2"' in by_row[2]["raw"].replace(" ", "")
    assert by_row[4]["reason"] == "date in the future"


def test_mixed_date_formats_in_one_file_parse(con, tmp_path):
    path = write(tmp_path, "o.csv", "\n".join([
        "customer_id,order_date,amount",
        "C1,2024-03-05,1", "C2,20240306,1", "C3,2024/03/07,1", "C4,2024.03.08,1",
        "C5,2024年3月9日,1", "C6,2024-03-10 14:22:01,1", "C7,03/11/2024,1", "C8,03/25/2024,1",
        "C9,45000,1",
    ]) + "\n")
    report = ingest(con, path, today=TODAY)
    assert report["rows_rejected"] == 0
    got = dict(con.execute("SELECT customer_id, order_date FROM orders").fetchall())
    assert got == {"C1": date(2024, 3, 5), "C2": date(2024, 3, 6), "C3": date(2024, 3, 7),
                   "C4": date(2024, 3, 8), "C5": date(2024, 3, 9), "C6": date(2024, 3, 10),
                   "C7": date(2024, 3, 11), "C8": date(2024, 3, 25), "C9": date(2023, 3, 15)}


def test_day_first_file_is_recognised_from_an_unambiguous_day(con, tmp_path):
    path = write(tmp_path, "o.csv", "customer_id,order_date,amount\n"
                                    "C1,03/04/2024,1\nC2,25/04/2024,1\nC3,01/02/2024,1\n")
    ingest(con, path, today=TODAY)
    got = dict(con.execute("SELECT customer_id, order_date FROM orders").fetchall())
    assert got == {"C1": date(2024, 4, 3), "C2": date(2024, 4, 25), "C3": date(2024, 2, 1)}


def test_lines_with_too_many_fields_are_rejected_as_malformed_with_their_row_number(con, tmp_path):
    path = write(tmp_path, "o.csv", "customer_id,order_date,amount\n"
                                    "C1,2024-01-01,1\nC2,2024-01-02,2,extra\nC3,2024-01-03,3\n"
                                    "C4,oops,4\n")
    report = ingest(con, path, today=TODAY)
    assert report["rows_read"] == 4
    assert report["rejected_by_reason"] == {"malformed line": 1, "unparseable date": 1}
    rows = dict(con.execute("SELECT row_number, reason FROM rejects").fetchall())
    assert rows == {2: "malformed line", 4: "unparseable date"}


def test_unknown_map_field_suggests_the_closest_one():
    with pytest.raises(TierwiseError, match=r"Unknown field 'amout' in --map\. Valid fields: .*"
                                            r"Did you mean 'amount'\?"):
        parse_map_args(["customer_id=1", "amout=Total"])


def test_map_args_parse_and_reject_malformed_items():
    assert parse_map_args(["customer_id=1", "amount = Total Price"]) == {
        "customer_id": "1", "amount": "Total Price"}
    with pytest.raises(TierwiseError, match="field=column"):
        parse_map_args(["customer_id"])
    with pytest.raises(TierwiseError, match="Unknown field"):
        parse_map_args(["amount=3"], kind="customers")


def test_map_pointing_at_a_missing_column_lists_the_columns_seen(con):
    with pytest.raises(TierwiseError, match="'Total' .*not in the file.*Columns seen: 1: CustomerID"):
        ingest(con, DATA / "orders.parquet", mapping={"amount": "Total"}, today=TODAY)
    with pytest.raises(TierwiseError, match="Column 9 .*does not exist.*4 columns"):
        ingest(con, DATA / "orders_headerless.csv", mapping={"amount": "9"}, today=TODAY)


def test_map_override_wins_over_auto_detection(con, tmp_path):
    path = write(tmp_path, "o.csv", "customer_id,order_date,amount,net\n"
                                    "C1,2024-01-01,10,8\nC2,2024-01-02,20,16\n")
    report = ingest(con, path, mapping={"Amount": "NET"}, today=TODAY)
    assert report["mapping"]["amount"] == "net"
    assert sorted(r[0] for r in con.execute("SELECT amount FROM orders").fetchall()) == [8, 16]


def test_nonexistent_file_is_a_sentence(con, tmp_path):
    with pytest.raises(TierwiseError, match="does not exist"):
        ingest(con, tmp_path / "nope.csv", today=TODAY)
