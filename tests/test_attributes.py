"""Every column beyond the contract is kept as a typed attribute at its grain, checked against pandas."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tools import store
from tools.attributes import AGE_BANDS, Attribute, Names, is_code_name, snake_name
from tools.cleaning import cancelled_params, cancelled_sql
from tools.contract import CANCELLED_KEYWORDS, COMPLETED_STATUSES, ORDERS_SCHEMA
from tools.errors import TierwiseError
from tools.ingest import ingest
from tools.loading import load_dataset
from tools.workspace import STORE_FILE, Workspace

DATA = Path(__file__).parent / "data"
SHOP = DATA / "attributes_shop.csv"
TMALL = Path(__file__).parents[1].parent / "shared" / "data" / "shops" / "tmall_style_orders.csv"
TODAY = date(2025, 6, 1)
CANCELLED = {"Cancelled", "Refunded", "Returned", "Payment Failed"}


@pytest.fixture(scope="module")
def raw():
    """The shop file as text, exactly as written."""
    return pd.read_csv(SHOP, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """(report, connection) of the shop file loaded once."""
    con = duckdb.connect(str(tmp_path_factory.mktemp("attrs") / "store.duckdb"))
    report = ingest(con, SHOP, today=TODAY)
    yield report, con
    con.close()


@pytest.fixture(scope="module")
def tmall(tmp_path_factory):
    if not TMALL.exists():
        pytest.fail(f"The tmall-style practice shop is missing: {TMALL}")
    con = duckdb.connect(str(tmp_path_factory.mktemp("tmall") / "store.duckdb"))
    report = ingest(con, TMALL, today=TODAY)
    yield report, con, pd.read_csv(TMALL, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    con.close()


def by_name(report):
    return {a["name"]: a for a in report["attributes"]}


def merge_key(value: str) -> str:
    return re.sub(r"[\W_]+", "", value.strip().lower())


def expected_spelling(values: pd.Series) -> dict[str, str]:
    """Each spelling → the most frequent spelling with the same letters and digits (ties: sort order)."""
    counts = values.str.strip().value_counts()
    best: dict[str, tuple[int, str]] = {}
    for spelling, n in counts.items():
        k = merge_key(spelling)
        if k not in best or (-n, spelling) < (-best[k][0], best[k][1]):
            best[k] = (n, spelling)
    return {s: best[merge_key(s)][1] for s in counts.index}


# --- types, grains, names -------------------------------------------------------------

def test_every_other_column_is_kept_with_its_type_and_grain(loaded):
    report, _ = loaded
    kinds = {n: (a["type"], a["grain"], a["label"], a["source_file"]) for n, a in by_name(report).items()}
    assert kinds == {
        "payment_method": ("categorical", "order", "Payment Method", "transactions"),
        "loyalty_member": ("boolean", "customer", "Loyalty Member", "transactions"),
        "rating": ("numeric", "order", "Rating", "transactions"),
        "age": ("numeric", "customer", "Age", "transactions"),
        "zip": ("categorical", "customer", "Zip", "transactions"),
        "delivery_date": ("date", "order", "Delivery Date", "transactions"),
        "gift_wrap": ("boolean", "order", "Gift Wrap", "transactions"),
    }


def test_only_a_column_without_any_value_is_left_unused(loaded):
    report, _ = loaded
    assert report["unmapped_columns"] == ["Notes"]
    assert "notes" not in by_name(report)


def test_order_attributes_are_typed_columns_of_orders_and_cancelled_orders(loaded):
    _, con = loaded
    extra = {"payment_method": "VARCHAR", "rating": "DOUBLE", "delivery_date": "DATE",
             "gift_wrap": "BOOLEAN"}
    for table in ("orders", "cancelled_orders"):
        types = {n: t for n, t, *_ in con.execute(f"DESCRIBE {table}").fetchall()}
        assert types == {**ORDERS_SCHEMA, **extra}


def test_customer_attributes_are_typed_columns_of_customers(loaded):
    _, con = loaded
    types = {n: t for n, t, *_ in con.execute("DESCRIBE customers").fetchall()}
    assert types["loyalty_member"] == "BOOLEAN"
    assert types["zip"] == "VARCHAR"
    assert types["age"] == "INTEGER"          # the contract's own age, filled from the file


def test_names_are_snake_case_keep_chinese_letters_and_avoid_taken_names():
    assert snake_name("Payment Method") == "payment_method"
    assert snake_name("  Add-on Total ($) ") == "add_on_total"
    assert snake_name("收货省份") == "收货省份"
    assert snake_name("会员 等级/Level") == "会员_等级_level"
    assert snake_name("___") == ""
    names = Names()
    attrs = [Attribute(position=i, label=label, source_file="transactions", slot=i)
             for i, label in enumerate(["Status", "Notes", "notes", "", "Segment", "status"])]
    names.claim_all(attrs)
    assert [a.name for a in attrs] == ["status_attr", "notes", "notes_2", "column_4",
                                       "segment_attr", "status_attr_2"]


def test_codes_are_recognised_by_their_names():
    for label in ("Zip", "Postal Code", "SKU", "StoreID", "会员ID", "Phone Number", "邮编",
                  "商品编号", "Order No"):
        assert is_code_name(label), label
    for label in ("Rating", "Number of Items", "Add-on Total", "Age", "年龄", "Width"):
        assert not is_code_name(label), label


def test_digit_codes_stay_labels_and_compact_dates_are_dates(tmp_path):
    lines = ["customer,order_date,amount,Store Code,Ship Day,Phone,Weight"]
    for i in range(40):
        lines.append(f"K{i % 10},2024-02-{i % 28 + 1:02d},{10 + i}.50,{1001 + i % 4},"
                     f"202403{i % 28 + 1:02d},1380013{i:04d},{0.5 + i / 10:.1f}")
    path = tmp_path / "codes.csv"
    path.write_text("\n".join(lines) + "\n")
    con = duckdb.connect()
    report = ingest(con, path, today=TODAY)
    kinds = {a["name"]: a["type"] for a in report["attributes"]}
    # A phone number is personal data: kept out of the attributes (and so of tables and the LLM), and said so.
    assert kinds == {"store_code": "categorical", "ship_day": "date", "weight": "numeric"}
    assert any("personal data" in w and "'Phone'" in w for w in report["warnings"])
    assert con.execute("SELECT min(ship_day), max(ship_day) FROM orders").fetchall() == [
        (date(2024, 3, 1), date(2024, 3, 28))]


# --- values against the raw file -----------------------------------------------------------

def test_payment_spellings_differing_only_by_case_spacing_or_punctuation_merge_into_the_most_frequent(loaded, raw):
    report, con = loaded
    spelling = expected_spelling(raw["Payment Method"])
    assert set(spelling.values()) == {"PayPal", "Card", "Cash"}
    assert by_name(report)["payment_method"]["merged"] == [
        {"into": "PayPal", "from": sorted((s for s in spelling if s != spelling[s]),
                                          key=lambda s: (-(raw["Payment Method"].str.strip() == s).sum(), s))}]
    done = raw[~raw["Status"].isin(CANCELLED)]
    expected = done["Payment Method"].str.strip().map(spelling).value_counts().to_dict()
    stored = dict(con.execute("SELECT payment_method, count(*) FROM orders GROUP BY 1").fetchall())
    assert stored == expected


def test_order_attributes_hold_each_lines_value(loaded, raw):
    _, con = loaded
    spelling = expected_spelling(raw["Payment Method"])
    done = raw[~raw["Status"].isin(CANCELLED)]
    expected = sorted(
        (r["Customer ID"], date.fromisoformat(r["Order Date"]), round(float(r["Amount"]), 2),
         spelling[r["Payment Method"].strip()], float(r["Rating"]) if r["Rating"] else None,
         date.fromisoformat(r["Delivery Date"]), r["Gift Wrap"] == "true")
        for _, r in done.iterrows())
    stored = con.execute("""SELECT customer_id, order_date, round(amount, 2), payment_method, rating,
                            delivery_date, gift_wrap FROM orders""").fetchall()
    assert sorted(stored, key=lambda r: tuple((v is None, v) for v in r)) == \
        sorted(expected, key=lambda r: tuple((v is None, v) for v in r))


def test_cancelled_orders_carry_the_attributes_too(loaded, raw):
    _, con = loaded
    spelling = expected_spelling(raw["Payment Method"])
    gone = raw[raw["Status"].isin(CANCELLED)]
    expected = sorted((r["Customer ID"], r["Order Date"], r["Status"], spelling[r["Payment Method"].strip()],
                       r["Delivery Date"]) for _, r in gone.iterrows())
    stored = sorted(con.execute("""SELECT customer_id, CAST(order_date AS VARCHAR), status, payment_method,
                                   CAST(delivery_date AS VARCHAR) FROM cancelled_orders""").fetchall())
    assert stored == expected
    assert len(stored) == 41


def test_customer_attributes_hold_each_customers_value(loaded, raw):
    _, con = loaded
    sold = raw[~raw["Status"].isin(CANCELLED)]["Customer ID"].unique()
    first = raw.groupby("Customer ID").first().loc[sorted(sold)]
    expected = [(cid, r["Loyalty Member"] == "Yes", r["Zip"], int(r["Age"])) for cid, r in first.iterrows()]
    stored = con.execute("SELECT customer_id, loyalty_member, zip, age FROM customers "
                         "ORDER BY customer_id").fetchall()
    assert stored == expected
    assert any(z.startswith("0") for _, _, z, _ in stored)   # leading zeros survive


def test_the_report_gives_values_missing_counts_and_bins(loaded, raw):
    report, con = loaded
    attrs = by_name(report)
    done = raw[~raw["Status"].isin(CANCELLED)]
    rating = attrs["rating"]
    assert rating["missing"] == int((done["Rating"] == "").sum()) > 0
    assert rating["distinct"] == 5
    counts = done.loc[done["Rating"] != "", "Rating"].value_counts()
    assert rating["values"] == sorted(counts.index, key=lambda v: (-counts[v], v))
    assert rating["bins"] == sorted(rating["bins"]) and all(1 < e <= 5 for e in rating["bins"])
    assert 3 <= len(rating["bins"]) <= 5
    assert attrs["age"]["bins"] == list(AGE_BANDS)
    assert "bins" not in attrs["zip"]
    loyal = raw[raw["Customer ID"].isin(done["Customer ID"])].groupby("Customer ID")["Loyalty Member"].first()
    shown = loyal.map({"Yes": "true", "No": "false"}).value_counts()
    assert attrs["loyalty_member"]["values"] == sorted(shown.index, key=lambda v: (-shown[v], v))
    assert attrs["loyalty_member"]["distinct"] == 2 and attrs["loyalty_member"]["missing"] == 0
    assert attrs["zip"]["distinct"] == con.execute("SELECT count(DISTINCT zip) FROM customers").fetchall()[0][0]
    for a in report["attributes"]:
        assert set(a) >= {"name", "label", "source_column", "source_file", "type", "grain", "distinct",
                          "values", "missing", "merged"}
        assert len(a["values"]) <= 8 and all(isinstance(v, str) for v in a["values"])


# --- statuses -----------------------------------------------------------------------------

def test_statuses_are_cancelled_by_keyword():
    cancelled = ["交易关闭", "退款成功", "Cancelled", "canceled by buyer", "REFUNDED", "Returned",
                 "void", "Closed", "Payment Failed", "declined", "chargeback", "已取消", "退货中",
                 "订单作废", "交易失败", "Storniert", "annulé", "Remboursée", "retourniert", "cancelado",
                 "待付款", "未付款", "Unpaid", "Awaiting payment", "Pending payment"]  # never paid: no sale
    kept = ["交易成功", "completed", "Shipped", "delivered", "paid", "已完成", "processing", "已付款", "待发货",
            "abgeschlossen", "livrée", "in transit", None]
    con = duckdb.connect()
    got = con.execute(f"SELECT s, {cancelled_sql('lower(s)')} FROM unnest($statuses) t(s)",
                      {**cancelled_params(), "statuses": cancelled + kept}).fetchall()
    assert dict(got) == {**{s: True for s in cancelled}, **{s: False for s in kept}}


def test_no_completed_status_contains_a_cancelled_keyword():
    for status in COMPLETED_STATUSES:
        assert not any(k in status.lower() for k in CANCELLED_KEYWORDS), status


def test_customers_whose_every_order_was_cancelled_are_counted_with_a_warning(loaded, raw):
    report, con = loaded
    sold = set(raw.loc[~raw["Status"].isin(CANCELLED), "Customer ID"])
    only_cancelled = set(raw["Customer ID"]) - sold
    assert report["customers_all_cancelled"] == len(only_cancelled) == 2
    assert any(w.startswith("2 customers had every order cancelled (10 lines)")
               for w in report["warnings"])
    assert report["customers"] == len(sold)


def test_the_tmall_export_counts_closed_and_refunded_orders_as_cancelled(tmall):
    report, con, tm = tmall
    status = tm["订单状态"]
    assert set(status) == {"交易成功", "交易关闭", "退款成功"}
    assert report["cancelled"] == int(status.isin(["交易关闭", "退款成功"]).sum())
    assert report["rows_kept"] == int((status == "交易成功").sum())
    assert con.execute("SELECT round(sum(amount), 2) FROM orders").fetchall()[0][0] == round(
        tm.loc[status == "交易成功", "买家实付金额"].astype(float).sum(), 2)
    buyers = tm.groupby("买家会员名")["订单状态"].apply(lambda s: (s != "交易成功").all())
    assert report["customers_all_cancelled"] == int(buyers.sum())


def test_the_tmall_province_and_member_level_are_customer_attributes_and_payment_an_order_one(tmall):
    report, con, tm = tmall
    attrs = {a["label"]: (a["name"], a["type"], a["grain"]) for a in report["attributes"]}
    assert attrs["收货省份"] == ("收货省份", "categorical", "customer")
    assert attrs["会员等级"] == ("会员等级", "categorical", "customer")
    assert attrs["支付方式"] == ("支付方式", "categorical", "order")
    sold = tm[tm["订单状态"] == "交易成功"]
    expected = sold.groupby("买家会员名")["收货省份"].first().sort_index()
    stored = con.execute('SELECT customer_id, "收货省份" FROM customers ORDER BY customer_id').fetchall()
    assert stored == list(expected.items())
    pays = dict(con.execute('SELECT "支付方式", count(*) FROM orders GROUP BY 1').fetchall())
    assert pays == sold["支付方式"].value_counts().to_dict()


# --- customers file, meta, and what the user sees ---------------------------------------------

def test_a_customers_file_column_is_a_customer_attribute_and_a_given_age_keeps_the_file_one(tmp_path, raw):
    ids = sorted(raw["Customer ID"].unique())
    lines = ["customer_id,age,Signup Source,VIP"] + [
        f"{cid},{30 + i % 20},{['Instagram', 'instagram', 'Search', 'Friend'][i % 4]},{'是' if i % 3 else '否'}"
        for i, cid in enumerate(ids)]
    customers = tmp_path / "customers.csv"
    customers.write_text("\n".join(lines) + "\n", encoding="utf-8")
    con = duckdb.connect()
    report = ingest(con, SHOP, customers=customers, today=TODAY)
    attrs = by_name(report)
    assert (attrs["signup_source"]["source_file"], attrs["signup_source"]["grain"]) == ("customers", "customer")
    assert attrs["signup_source"]["merged"] == [{"into": "Instagram", "from": ["instagram"]}]
    assert attrs["vip"]["type"] == "boolean"
    # the file gives age, so the transactions' Age is an attribute of its own
    assert (attrs["age_attr"]["type"], attrs["age_attr"]["grain"]) == ("numeric", "customer")
    rows = con.execute("SELECT customer_id, age, age_attr, signup_source, vip FROM customers "
                       "WHERE customer_id = 'C002'").fetchall()
    first = raw[raw["Customer ID"] == "C002"].iloc[0]
    assert rows == [("C002", 31, float(first["Age"]), "Instagram", True)]


def test_the_load_writes_the_attributes_to_the_store_meta_and_a_failed_load_keeps_them(tmp_path):
    ws = Workspace(tmp_path / "home")
    report = load_dataset(ws, SHOP, build_models=False)
    con = store.connect(ws.current() / STORE_FILE, read_only=True)
    try:
        meta = store.read_meta(con)
    finally:
        con.close()
    assert meta["attributes"] == report["attributes"]
    assert {a["name"] for a in meta["attributes"]} >= {"payment_method", "loyalty_member", "rating"}
    bad = tmp_path / "bad.csv"
    bad.write_text("customer_id,order_date,amount,Colour\nA1,someday,10,red\nA2,never,12,blue\n")
    with pytest.raises(TierwiseError):
        load_dataset(ws, bad, build_models=False)
    con = store.connect(ws.current() / STORE_FILE, read_only=True)
    try:
        assert store.read_meta(con)["attributes"] == report["attributes"]
        assert "payment_method" in {r[0] for r in con.execute("DESCRIBE orders").fetchall()}
    finally:
        con.close()


def test_the_cli_load_report_lists_attributes_with_type_grain_and_values(cli):
    code, out, err = cli("load", SHOP, "--skip-models", "--quiet")
    assert code == 0, err
    assert "not used" in out and "Notes" in out
    line = next(x for x in out.splitlines() if x.strip().startswith("payment_method"))
    assert "categorical, per order" in line and "PayPal" in line
    assert "merged Paypal, paypal, Pay-Pal into PayPal" in line
    assert any("loyalty_member" in x and "boolean, per customer" in x for x in out.splitlines())


def test_the_upload_preview_lists_the_columns_it_will_keep():
    from ui.upload import attribute_rows, describe_preview, preview_mapping

    found = preview_mapping(SHOP)
    kinds = {a["name"]: (a["type"], a["grain"]) for a in found["attributes"]}
    assert kinds["payment_method"] == ("categorical", "order")
    assert kinds["loyalty_member"] == ("boolean", "customer")
    assert found["unmapped_columns"] == ["Notes"]
    text = describe_preview(found)
    assert "Every other column is kept as an attribute: 7, listed below." in text
    assert ["Payment Method", "Category (text)", "Order line"] in [row[:3] for row in attribute_rows(found)]
    assert "Not used (no values): Notes" in text


def test_many_merged_spellings_are_joined_and_the_file_order_is_kept(monkeypatch, raw, tmp_path):
    from tools import attributes

    monkeypatch.setattr(attributes, "MAP_MERGES", 0)     # every merge goes through the join
    con = duckdb.connect(str(tmp_path / "store.duckdb"))
    ingest(con, SHOP, today=TODAY)
    spelling = expected_spelling(raw["Payment Method"])
    done = raw[~raw["Status"].isin(CANCELLED)]
    assert con.execute("SELECT customer_id, CAST(order_date AS VARCHAR), payment_method FROM orders").fetchall() == [
        (r["Customer ID"], r["Order Date"], spelling[r["Payment Method"].strip()]) for _, r in done.iterrows()]
