"""The admin's Data tab: a dropdown per contract field with the detected column chosen and sample values beside
each column, '(none)' for an optional field the file lacks, the other columns listed as attributes with their
type and grain, and no server path in what the admin reads."""

from pathlib import Path

import pytest

from tools.errors import TierwiseError
from ui.upload import (NO_COLUMN, attribute_rows, chosen_mapping, column_choices, contract_fields, describe_preview,
                       field_label, parse_mapping_text, preview_mapping, report_text, without_paths)

DATA = Path(__file__).parent / "data"


def test_every_contract_field_gets_a_dropdown_required_first():
    fields = contract_fields("transactions")
    assert fields[:3] == [("customer_id", True), ("order_date", True), ("amount", True)]
    assert ("channel", False) in fields and ("email_consent", False) in contract_fields("customers")
    assert field_label("amount", True) == "Amount (line total) · required"
    assert field_label("channel", False) == "Sales channel · optional"


def test_a_dropdown_offers_each_column_with_sample_values_and_none_only_when_optional():
    found = preview_mapping(DATA / "attributes_shop.csv")
    assert found["mapping"]["customer_id"] == "Customer ID"
    required = column_choices(found, required=True)
    assert required[0] == ("Customer ID — C001, C002, C003", "Customer ID")
    assert ("Payment Method — Card, Cash, PayPal", "Payment Method") in required or \
        any(label.startswith("Payment Method — ") for label, _ in required)
    assert all(value != NO_COLUMN for _, value in required)
    assert column_choices(found, required=False)[0] == ("(none) — not in this file", NO_COLUMN)


def test_the_choices_become_mapping_lines_and_none_keeps_a_column_from_being_detected():
    values = ["Customer ID", "Order Date", "Amount", NO_COLUMN, None, NO_COLUMN, None, None, "Status", None, None]
    text = chosen_mapping("transactions", values)
    assert text.splitlines() == ["customer_id=Customer ID", "order_date=Order Date", "amount=Amount", "order_id=",
                                 "category=", "status=Status"]
    assert parse_mapping_text(text)["order_id"] is None
    assert preview_mapping(DATA / "attributes_shop.csv")["mapping"]["status"] == "Status"
    without = preview_mapping(DATA / "attributes_shop.csv", mapping={"status": None})
    assert "status" not in without["mapping"]  # '(none)': not detected behind the admin's back
    assert "Status" in [a["label"] for a in without["attributes"]]  # kept as an attribute instead
    with pytest.raises(TierwiseError, match="'amount' is required"):
        preview_mapping(DATA / "orders_utf8_bom.csv", mapping={"amount": None})


def test_a_file_without_the_required_columns_still_offers_its_columns_to_choose_from(tmp_path):
    bad = tmp_path / "not_orders.csv"
    bad.write_text("foo,bar\nhello,world\n", encoding="utf-8")
    found = preview_mapping(bad)
    assert found["missing"] == ["customer_id", "order_date", "amount"] and found["columns"] == ["foo", "bar"]
    assert "Not found: customer_id, order_date, amount (required). Choose their columns below." in describe_preview(found)
    assert [v for _, v in column_choices(found, required=True)] == ["foo", "bar"]


def test_attributes_are_listed_with_their_type_and_grain_in_words():
    rows = {r[0]: r for r in attribute_rows(preview_mapping(DATA / "attributes_shop.csv"))}
    assert rows["Payment Method"][1:3] == ["Category (text)", "Order line"]
    assert rows["Loyalty Member"][1:3] == ["Yes / no", "Customer (one value each)"]
    assert rows["Delivery Date"][1] == "Date" and rows["Rating"][1] == "Number"


def test_no_server_path_reaches_the_load_report_or_an_error():
    upload = "/tmp/gradio/0f3a9c/orders.csv"
    assert without_paths(f"Could not load '{upload}': bad", upload) == "Could not load 'orders.csv': bad"
    assert without_paths("IO Error: No files found that match the pattern \"/var/tmp/x/shop.parquet\"") == \
        'IO Error: No files found that match the pattern "shop.parquet"'
    report = report_text({"file": upload, "format": "csv", "rows_read": 3, "mapping": {"amount": "Total"},
                          "customers_file": {"file": "/tmp/gradio/77/customers.csv", "rows_kept": 2}})
    assert report.startswith("Loaded orders.csv (csv") and "customers file  customers.csv" in report
    assert "/tmp" not in report
