"""Loading real files of every supported shape into clean DuckDB tables."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from tools.contract import CUSTOMERS_SCHEMA, ORDERS_SCHEMA
from tools.ingest import ingest

DATA = Path(__file__).parent / "data"
CDNOW = Path(__file__).parents[1].parent / "shared/data/cdnow"
TODAY = date(2025, 1, 1)



def table_types(con, table):
    return {name: typ for name, typ, *_ in con.execute(f"DESCRIBE {table}").fetchall()}


def orders(con):
    return con.execute("SELECT customer_id, order_date, amount FROM orders").fetchall()


needs_cdnow = pytest.mark.usefixtures("shared_data")


@needs_cdnow
def test_cdnow_master_loads_with_no_mapping_and_matches_the_published_counts(con):
    report = ingest(con, CDNOW / "CDNOW_master.txt")
    assert report["format"] == "whitespace"
    assert report["header"] is True
    assert report["rows_read"] == 69_659
    assert report["rows_kept"] == 69_659
    assert report["rows_rejected"] == 0
    assert report["customers"] == 23_570
    assert (report["date_min"], report["date_max"]) == ("1997-01-01", "1998-06-30")
    assert report["as_of"] == "1998-06-30"
    assert report["mapping"] == {"customer_id": "customer_id", "order_date": "date",
                                 "quantity": "number_of_cds", "amount": "dollar_value"}
    assert con.execute("SELECT count(*) FROM orders").fetchall()[0][0] == 69_659
    assert con.execute("SELECT count(DISTINCT customer_id) FROM customers").fetchall()[0][0] == 23_570
    # Zero amounts (free items) are kept, and customer ids keep their leading zeros.
    assert con.execute("SELECT count(*) FROM orders WHERE amount = 0").fetchall()[0][0] > 0
    assert con.execute("SELECT min(customer_id) FROM orders").fetchall()[0][0] == "00001"
    json.dumps(report)


@needs_cdnow
def test_cdnow_sample_loads_headerless_with_a_positional_mapping(con):
    report = ingest(con, CDNOW / "CDNOW_sample.txt",
                    mapping={"customer_id": "1", "order_date": "3", "quantity": "4", "amount": "5"})
    assert report["header"] is False
    assert report["rows_kept"] == 6_919
    assert report["customers"] == 2_357
    assert report["mapping"] == {"customer_id": "column 1", "order_date": "column 3",
                                 "quantity": "column 4", "amount": "column 5"}
    # The unmapped column (the customer's id in the full file, with leading zeros) is kept as a
    # per-customer code, not thrown away.
    assert report["unmapped_columns"] == []
    assert [(a["name"], a["type"], a["grain"]) for a in report["attributes"]] == [
        ("column_2", "categorical", "customer")]
    assert report["preview"][0] == {"1": "00004", "2": "0001", "3": "19970101", "4": "2",
                                    "5": "29.33"}


def test_output_tables_have_exactly_the_contract_columns_and_types(con):
    ingest(con, DATA / "orders_chinese_headers.csv", today=TODAY)
    assert table_types(con, "orders") == ORDERS_SCHEMA
    assert table_types(con, "cancelled_orders") == ORDERS_SCHEMA
    assert table_types(con, "customers") == CUSTOMERS_SCHEMA
    assert set(table_types(con, "rejects")) == {"source_file", "row_number", "reason", "raw"}
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    views = {r[0] for r in con.execute(
        "SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    assert tables == {"orders", "cancelled_orders", "customers", "rejects"}
    assert views == set()


def test_chinese_headers_are_recognised_and_cancelled_orders_are_set_apart(con):
    report = ingest(con, DATA / "orders_chinese_headers.csv", today=TODAY)
    assert report["mapping"]["customer_id"] == "客户ID"
    assert report["mapping"]["order_date"] == "下单时间"
    assert report["mapping"]["amount"] == "金额"
    assert report["mapping"]["status"] == "订单状态"
    assert report["cancelled"] == 1
    assert report["rows_kept"] == 3
    assert con.execute("SELECT customer_id, status FROM cancelled_orders").fetchall() == [
        ("U001", "已取消")]
    # '2024年3月6日' and '¥56.50' parse.
    assert ("U002", date(2024, 3, 6), 56.5) in orders(con)


def test_semicolon_csv_with_decimal_commas_and_dotted_dates_reads_euros_and_days_first(con):
    report = ingest(con, DATA / "orders_semicolon_decimal_comma.csv", today=TODAY)
    assert report["delimiter"] == ";"
    assert orders(con) == [("K1", date(2024, 3, 5), 12.5), ("K2", date(2024, 3, 6), 1234.75),
                           ("K1", date(2024, 3, 7), 3.0), ("K3", date(2024, 3, 8), 99.99)]


@pytest.mark.parametrize("name, encoding", [("orders_gbk.csv", "gb18030"),
                                            ("orders_utf8_bom.csv", "utf-8-sig"),
                                            ("orders_latin1.csv", "cp1252")])
def test_files_in_common_encodings_are_decoded(con, name, encoding):
    report = ingest(con, DATA / name, today=TODAY)
    assert report["encoding"] == encoding
    assert report["rows_kept"] >= 3
    assert report["warnings"] == []


def test_gbk_file_keeps_its_chinese_column_names(con):
    report = ingest(con, DATA / "orders_gbk.csv", today=TODAY)
    assert report["mapping"] == {"customer_id": "客户编号", "order_date": "订单日期",
                                 "amount": "实付金额"}


def test_utf8_bom_does_not_leak_into_the_first_column_name(con):
    report = ingest(con, DATA / "orders_utf8_bom.csv", today=TODAY)
    assert report["mapping"]["customer_id"] == "Customer ID"


def test_latin1_accents_survive(con):
    ingest(con, DATA / "orders_latin1.csv", today=TODAY)
    ids = {r[0] for r in orders(con)}
    assert ids == {"Müller", "Lefèvre", "Garçon"}


def test_headerless_file_is_mapped_from_its_values(con):
    report = ingest(con, DATA / "orders_headerless.csv", today=TODAY)
    assert report["header"] is False
    assert report["mapping"] == {"customer_id": "column 1", "order_date": "column 2",
                                 "quantity": "column 3", "amount": "column 4"}
    assert orders(con)[0] == ("00017", date(2024, 1, 5), 10.5)


@pytest.mark.parametrize("name, fmt", [("orders.parquet", "parquet"), ("orders.xlsx", "excel")])
def test_parquet_and_excel_files_load(con, name, fmt):
    report = ingest(con, DATA / name, today=TODAY)
    assert report["format"] == fmt
    assert report["mapping"] == {"customer_id": "CustomerID", "order_date": "InvoiceDate",
                                 "amount": "Revenue", "channel": "Channel"}
    assert orders(con) == [("C1", date(2024, 1, 5), 10.5), ("C2", date(2024, 1, 6), 20.0),
                           ("C1", date(2024, 2, 1), 7.25), ("C3", date(2024, 2, 3), 5.0)]


def test_customers_file_is_typed_deduplicated_and_completed_from_orders(con):
    report = ingest(con, DATA / "orders.parquet", customers=DATA / "customers_small.csv",
                    today=TODAY)
    sub = report["customers_file"]
    assert sub["rows_read"] == 5
    assert sub["rejected_by_reason"] == {"missing customer id": 1}
    assert sub["duplicate_ids"] == 1
    assert sub["added_from_orders"] == 1           # C3 ordered but is not in the file
    assert sub["without_orders"] == 1              # C9 is in the file but never ordered
    assert report["customers"] == 4
    rows = {r[0]: r[1:] for r in con.execute(
        "SELECT customer_id, name, email, signup_date, age, email_consent FROM customers"
    ).fetchall()}
    assert rows["C1"] == ("Ann Lee", "ann@example.com", date(2023, 12, 1), 34, True)
    assert rows["C2"][0] == "Bo Chen"              # the first row for a repeated id wins
    assert rows["C3"] == (None, None, None, None, None)
    assert rows["C9"] == ("Nine", "nine@example.com", None, None, None)
    assert any("C9" not in w and "could not be read" in w for w in report["warnings"])
    assert table_types(con, "customers") == CUSTOMERS_SCHEMA


def test_as_of_defaults_to_the_last_order_and_counts_later_orders_when_given(con, tmp_path):
    report = ingest(con, DATA / "orders.parquet", today=TODAY)
    assert report["as_of"] == "2024-02-03"
    assert report["orders_after_as_of"] == 0
    con2 = duckdb.connect(str(tmp_path / "other.duckdb"))
    report = ingest(con2, DATA / "orders.parquet", as_of=date(2024, 1, 31), today=TODAY)
    assert report["as_of"] == "2024-01-31"
    assert report["orders_after_as_of"] == 2
    # Later orders stay in the table; features filter them.
    assert con2.execute("SELECT count(*) FROM orders").fetchall()[0][0] == 4


def test_report_is_json_serialisable_and_has_the_documented_keys(con):
    report = ingest(con, DATA / "orders_chinese_headers.csv", today=TODAY)
    for key in ("file", "format", "encoding", "delimiter", "header", "rows_read", "rows_kept",
                "rows_rejected", "rejected_by_reason", "cancelled", "duplicate_rows", "date_min",
                "date_max", "as_of", "orders_after_as_of", "customers", "mapping",
                "unmapped_columns", "preview", "warnings"):
        assert key in report
    assert report["preview"][0]["1"] == "U001"
    assert len(report["preview"]) == 4
    json.loads(json.dumps(report))


def test_connection_is_usable_after_a_load(con):
    ingest(con, DATA / "orders.parquet", today=TODAY)
    assert con.sql("SELECT count(*) FROM orders").fetchall() == [(4,)]


@pytest.mark.parametrize("shift", [0, 1], ids=["sample ends between characters", "sample ends inside a character"])
def test_a_large_gbk_export_is_read_whichever_byte_its_encoding_sample_ends_on(con, tmp_path, shift):
    """The encoding is guessed from the file's first bytes, which may cut a two-byte Chinese character in half."""
    from tools.reading import SAMPLE_BYTES

    lines = ["订单编号,买家会员名,下单时间,商品类目,实付金额"]
    n, size = 0, 0
    while size < 2 * SAMPLE_BYTES:
        lines.append(f"T{n:06d},买家{n % 700:04d},2024-{1 + n % 12:02d}-{1 + n % 28:02d},"
                     f"{['绿茶', '红茶', '乌龙茶', '普洱'][n % 4]},{10 + n % 90}.00")
        size += len(lines[-1].encode("gb18030")) + 1
        n += 1
    body = ("\n".join(lines) + "\n").encode("gb18030")
    # pad the header's first name with spaces until the sample's last byte is the first (or second) of a character
    for pad in range(4):
        data = body.replace("订单编号".encode("gb18030"), "订单编号".encode("gb18030") + b" " * pad, 1)
        cut = data[:SAMPLE_BYTES]
        try:
            cut.decode("gb18030")
            inside = False
        except UnicodeDecodeError:
            inside = True
        if inside == bool(shift):
            break
    else:
        raise AssertionError("could not place the sample's end as wanted")
    path = tmp_path / "big_gbk.csv"
    path.write_bytes(data)
    report = ingest(con, path, today=TODAY)
    assert report["encoding"] == "gb18030"
    assert report["rows_kept"] == n
    assert report["mapping"]["customer_id"] == "买家会员名"
