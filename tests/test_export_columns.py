"""Columns of a marketplace export that look like something else: a per-line "Transaction ID" next to the real
"Order ID", money that is not the sale ("Discount Amount", "Order Shipping"), a place called "State", an order-level
number repeated on each line of its order, and a column of name:value lists ("Colour:Blue,Size:Large"). Each is read
as a person reads it; the figures are checked against pandas on the raw file."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from tools.catalog import call_tool
from tools.ingest import ingest
from tools.mapping import map_by_name
from tests.loaded import loaded

COLOURS = ("Sea Glass", "Charcoal", "Sand")
SIZES = ("8 oz", "12 oz", "16 oz")
STATES = ("CA", "NY", "TX", "WA")


def write_export(path, seed: int = 5) -> pd.DataFrame:
    """Orders of one to three lines; shipping, tax and the coupon on every line of the order; a per-line
    transaction id; variations as name:value lists (a few listings spell it "Color")."""
    rng = np.random.default_rng(seed)
    rows, tx = [], 1000
    for o in range(600):
        buyer = f"buyer{int(rng.integers(0, 150))}"
        day = (pd.Timestamp("2025-01-01") + pd.Timedelta(days=int(rng.integers(0, 300)))).strftime("%m/%d/%y")
        shipping = float(rng.choice([0.0, 4.5, 7.25]))
        tax = round(float(rng.uniform(0, 6)), 2)
        state = STATES[int(rng.integers(0, len(STATES)))]
        for _ in range(int(rng.integers(1, 4))):
            qty = int(rng.integers(1, 3))
            price = float(rng.choice([18.0, 24.0, 32.0]))
            discount = round(price * qty * 0.1, 2) if rng.random() < 0.2 else 0.0
            colour_word = "Color" if rng.random() < 0.1 else "Colour"
            tx += 1
            rows.append({"Sale Date": day, "Item Name": "Stoneware Mug", "Buyer": buyer, "Quantity": qty,
                         "Price": price, "Discount Amount": discount, "Order Shipping": shipping,
                         "Order Sales Tax": tax, "Item Total": price * qty, "Transaction ID": str(tx),
                         "Ship State": state, "Order ID": f"3{o:06d}",
                         "Variations": f"{colour_word}:{COLOURS[int(rng.integers(0, 3))]},"
                                       f"Size:{SIZES[int(rng.integers(0, 3))]}"})
    frame = pd.DataFrame(rows)
    frame.to_csv(path, index=False)
    return frame


def test_the_order_id_the_sale_and_a_place_are_told_from_look_alikes():
    names = ["Sale Date", "Item Name", "Buyer", "Quantity", "Price", "Discount Amount", "Order Shipping",
             "Item Total", "Transaction ID", "Ship State", "Order ID"]
    got = {f: names[i] for f, i in map_by_name(names, ("customer_id", "order_date", "amount", "order_id", "status",
                                                         "product", "quantity", "unit_price"), set()).items()}
    assert got["order_id"] == "Order ID" and got["amount"] == "Item Total"
    assert "status" not in got
    # a status named as such is still a status; a lone "Transaction ID" is still the order
    got = map_by_name(["Date", "Customer", "Total", "Shipping Status", "Transaction ID"],
                      ("order_id", "status", "amount"), set())
    assert got == {"order_id": 4, "status": 3, "amount": 2}


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    root = tmp_path_factory.mktemp("export_columns")
    raw = write_export(root / "sold_items.csv")
    with loaded(root / "sold_items.csv", root / "home") as (report, ctx):
        yield report, raw, ctx


def _rows(ctx, **args) -> pd.DataFrame:
    return pd.DataFrame(call_tool(ctx, "query_metrics", args).facts["rows"])


def test_orders_are_orders_and_revenue_is_the_item_total(shop):
    report, raw, ctx = shop
    assert report["mapping"]["order_id"] == "Order ID" and report["mapping"]["amount"] == "Item Total"
    row = _rows(ctx, metrics=["revenue", "orders"]).iloc[0]
    assert row["revenue"] == pytest.approx(raw["Item Total"].sum())
    assert row["orders"] == raw["Order ID"].nunique()


def test_an_order_level_number_on_every_line_counts_once_per_order(shop):
    report, raw, ctx = shop
    attrs = {a["name"]: a for a in report["attributes"]}
    assert attrs["order_shipping"].get("per_order") and attrs["order_sales_tax"].get("per_order")
    assert not attrs["discount_amount"].get("per_order")
    per_order = raw.groupby("Order ID")[["Order Shipping", "Order Sales Tax"]].first()
    row = _rows(ctx, metrics=["sum_order_shipping", "avg_order_shipping", "sum_discount_amount"]).iloc[0]
    assert row["sum_order_shipping"] == pytest.approx(per_order["Order Shipping"].sum())
    assert row["avg_order_shipping"] == pytest.approx(per_order["Order Shipping"].mean())
    assert row["sum_discount_amount"] == pytest.approx(raw["Discount Amount"].sum())
    # by a line-level column the order's value is shared between its lines: the parts add up to the whole
    parts = _rows(ctx, metrics=["sum_order_shipping"], by=["size"])
    assert parts["sum_order_shipping"].sum() == pytest.approx(per_order["Order Shipping"].sum())
    # by a place (one per order), each order's value once
    by_state = _rows(ctx, metrics=["sum_order_sales_tax"], by=["ship_state"]).set_index("ship_state")
    want = raw.groupby("Order ID").first().groupby("Ship State")["Order Sales Tax"].sum()
    assert by_state["sum_order_sales_tax"].to_dict() == pytest.approx(want.to_dict())


def test_name_value_lists_become_columns_of_their_own(shop):
    report, raw, ctx = shop
    assert any("'Variations' holds name:value lists" in w and "'Colour'" in w and "'Size'" in w
               for w in report["warnings"])
    colour = raw["Variations"].str.extract(r"(?:Colou?r):([^,]+)")[0]
    got = _rows(ctx, metrics=["units"], by=["colour"]).set_index("colour")["units"]
    assert got.to_dict() == raw.groupby(colour)["Quantity"].sum().to_dict()
    size = raw["Variations"].str.extract(r"Size:([^,]+)")[0]
    got = _rows(ctx, metrics=["revenue"], by=["size"]).set_index("size")["revenue"]
    assert got.to_dict() == pytest.approx(raw.groupby(size)["Item Total"].sum().to_dict())


def test_values_that_merely_hold_a_colon_are_not_split(tmp_path):
    frame = pd.DataFrame({"customer": [f"C{i % 40}" for i in range(300)],
                          "date": pd.date_range("2025-01-01", periods=300).strftime("%Y-%m-%d"),
                          "amount": np.arange(300) % 50 + 1.0,
                          "time": [f"{i % 24:02d}:{i % 60:02d}:00" for i in range(300)],
                          "link": [f"https://shop.example/p/{i % 7}" for i in range(300)],
                          "note": ["Gift: wrap it" if i % 9 == 0 else "" for i in range(300)]})
    frame.to_csv(tmp_path / "orders.csv", index=False)
    report = ingest(duckdb.connect(), tmp_path / "orders.csv")
    assert not any("name:value" in w for w in report["warnings"])


def test_the_line_total_is_found_by_its_values_when_its_name_says_nothing(tmp_path):
    raw = write_export(tmp_path / "a.csv")
    # the line total under a name no synonym knows, a discount under the name 'Amount'
    raw.rename(columns={"Item Total": "Extended", "Discount Amount": "Amount"}).to_csv(tmp_path / "b.csv", index=False)
    report = ingest(duckdb.connect(), tmp_path / "b.csv")
    assert report["mapping"]["amount"] == "Extended"
    assert any("'Amount' is named like the amount but is rarely price x quantity" in w for w in report["warnings"])
    # no unit price: nothing to judge by, the name decides
    raw.drop(columns=["Price"]).rename(columns={"Item Total": "Extended", "Discount Amount": "Amount"}).to_csv(
        tmp_path / "c.csv", index=False)
    assert ingest(duckdb.connect(), tmp_path / "c.csv")["mapping"]["amount"] == "Amount"


def write_youzan_like(path, seed: int = 9) -> pd.DataFrame:
    """A Chinese mini-program shop's item lines: the buyer by nickname and phone, the order total on every line next to
    each line's own amount, the recipient's province, each line's refund state, and item specs as name:value lists."""
    rng = np.random.default_rng(seed)
    rows = []
    for o in range(500):
        buyer = int(rng.integers(0, 120))
        phone = f"1{38 + buyer % 10}{buyer:08d}"
        nickname = f"宝妈{buyer}" if rng.random() < 0.8 else "微信用户"  # nicknames change; the phone does not
        day = (pd.Timestamp("2025-01-01") + pd.Timedelta(days=int(rng.integers(0, 300)))).strftime("%Y-%m-%d %H:%M:%S")
        lines = [{"商品名称": f"连体衣{int(rng.integers(0, 5))}", "商品实际成交金额": float(rng.choice([59.0, 79.0, 99.0])),
                  "商品数量": 1, "商品规格": f"颜色:{rng.choice(['红色', '奶白'])};尺码:{rng.choice(['73cm', '90cm'])}",
                  "商品退款状态": "退款成功" if rng.random() < 0.05 else ("退款关闭" if rng.random() < 0.05 else "")}
                 for _ in range(int(rng.integers(1, 4)))]
        total = sum(line["商品实际成交金额"] for line in lines)
        for line in lines:
            rows.append({"订单号": f"E2025{o:06d}", "订单创建时间": day, "订单状态": "交易成功", "买家昵称": nickname,
                         "买家手机号": "\t" + phone, "订单实付金额": total, **line,
                         "收货人省份": rng.choice(["浙江省", "广东省", "江苏省"]),
                         "收货人城市": rng.choice(["杭州市", "深圳市", "南京市"]), "收货人手机号": "\t" + phone,
                         "详细收货地址": "某某路1号"})
    frame = pd.DataFrame(rows)
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    return frame


def test_a_chinese_export_is_keyed_by_phone_and_counts_each_line_once(tmp_path):
    raw = write_youzan_like(tmp_path / "orders.csv")
    con = duckdb.connect()
    report = ingest(con, tmp_path / "orders.csv")
    m = report["mapping"]
    assert m["customer_id"] == "买家手机号" and m["amount"] == "商品实际成交金额" and m["order_date"] == "订单创建时间"
    # no phone number is stored anywhere: the key is a pseudonym
    ids = con.execute("SELECT DISTINCT customer_id FROM orders").fetchdf()["customer_id"]
    assert ids.str.fullmatch(r"P[0-9A-F]{16}").all()
    assert len(ids) == raw["买家手机号"].str.strip().nunique()
    phones = set(raw["买家手机号"].str.strip())
    for table in ("orders", "cancelled_orders", "customers"):
        text = con.execute(f"SELECT * FROM {table}").fetchdf().astype(str)
        assert not any(text[c].isin(phones).any() for c in text.columns), table
    # the recipient's province is a place, kept; the recipient's phone and address are not
    names = {a["label"] for a in report["attributes"]}
    assert "收货人省份" in names and "收货人手机号" not in names and "详细收货地址" not in names
    # a line whose refund went through is refunded (not a sale) whatever the order's status; a refund turned down
    # (退款关闭) is still a sale; the refund state is never carried to the order's other lines
    sold = raw[raw["商品退款状态"] != "退款成功"]
    assert con.execute("SELECT sum(amount) FROM orders").fetchall()[0][0] == pytest.approx(sold["商品实际成交金额"].sum())
    refunded = raw[raw["商品退款状态"] == "退款成功"]
    assert con.execute("SELECT count(*), sum(amount) FROM cancelled_orders WHERE status = 'refunded'").fetchall()[0] \
        == (len(refunded), pytest.approx(refunded["商品实际成交金额"].sum()))
    assert not any("carried" in w for w in report["warnings"])
    assert any("'订单实付金额' is the order's total" in w for w in report["warnings"])
    assert any("phone number in '买家手机号'" in w for w in report["warnings"])


def test_the_top_group_is_one_with_a_value(tmp_path):
    """'Which state brings in the most?': in-person sales with no ship state are no state, even when together they
    are the largest group; the full breakdown still shows them as (blank)."""
    raw = write_export(tmp_path / "a.csv")
    walk_ins = raw.head(400).assign(**{"Ship State": "", "Item Total": 500.0, "Quantity": 1, "Price": 500.0,
                                       "Order ID": [f"9{i:06d}" for i in range(400)]})
    pd.concat([raw, walk_ins]).to_csv(tmp_path / "b.csv", index=False)
    with loaded(tmp_path / "b.csv", tmp_path / "home") as (_, ctx):
        top = _rows(ctx, metrics=["revenue"], by=["ship_state"], sort="revenue", limit=1)
        assert top["ship_state"].tolist() == [raw.groupby("Ship State")["Item Total"].sum().idxmax()]
        every = _rows(ctx, metrics=["revenue"], by=["ship_state"])
        assert "(blank)" in every["ship_state"].tolist() and every.iloc[0]["ship_state"] == "(blank)"


def test_an_order_export_sells_its_order_total_with_tax_words_and_partial_refunds(tmp_path):
    """One row per order, the sale written 'Order Total (incl. GST)' beside money that is not the sale (a gift card
    redeemed, store credit, a refund column, items shipped); an order refunded in part still sold."""
    rng = np.random.default_rng(12)
    n = 2000
    total = np.round(rng.uniform(15, 240, n), 2)
    status = rng.choice(["Completed", "Shipped", "Cancelled", "Partially Refunded", "Refunded"], n,
                        p=[0.55, 0.3, 0.05, 0.05, 0.05])
    frame = pd.DataFrame({
        "Order Number": [f"{50000 + i}" for i in range(n)], "Buyer ID": [f"B{rng.integers(1, 600)}" for _ in range(n)],
        "Placed On": [(pd.Timestamp("2025-01-01") + pd.Timedelta(days=int(d))).strftime("%d/%m/%Y")
                      for d in rng.integers(0, 360, n)],
        "Order State": status, "Items Shipped": rng.integers(1, 6, n),
        "Gift Card Amount Redeemed": np.where(rng.random(n) < 0.1, 25.0, 0.0),
        "Store Credit Used": np.where(rng.random(n) < 0.05, 10.0, 0.0),
        "Order Total (incl. GST)": total, "Tax Total": np.round(total / 11, 2),
        "Refund Amount": np.where(status == "Partially Refunded", np.round(total * 0.3, 2), 0.0)})
    frame.to_csv(tmp_path / "orders.csv", index=False)
    with loaded(tmp_path / "orders.csv", tmp_path / "home") as (report, ctx):
        assert report["mapping"]["amount"] == "Order Total (incl. GST)", report["mapping"]
        sold = frame[frame["Order State"].isin(["Completed", "Shipped", "Partially Refunded"])]
        rows = _rows(ctx, metrics=["revenue", "orders"])
        assert rows.iloc[0]["revenue"] == pytest.approx(sold["Order Total (incl. GST)"].sum())
        assert rows.iloc[0]["orders"] == len(sold)


def test_an_orders_items_packed_into_one_column_become_lines(tmp_path):
    """One row per order, its items in one 'Line Items' field ('SKU: …, Item Name: …, Quantity: 2, Line Total: …' per
    item, items separated by ' | ', a name holding a comma, an option list inside an item): each item is a line, so
    products, units and a product's revenue are the items', and an order is still one order."""
    rng = np.random.default_rng(21)
    catalog = [("MUG-1", "Trail Mug, Enamel", 14.0), ("BTL-2", "Summit Bottle", 22.5), ("CUP-3", "Camp Cup", 9.0),
               ("KNF-4", "Ridge Knife", 48.0)]
    rows, lines = [], []
    for k in range(1500):
        order, picks = f"{9000 + k}", rng.choice(len(catalog), size=int(rng.integers(1, 4)), replace=False)
        items = []
        for j in picks:
            sku, name, price = catalog[j]
            qty = int(rng.integers(1, 4))
            items.append(f"SKU: {sku}, Item Name: {name}, Options: Colour: Red, Size: L, Quantity: {qty}, "
                         f"Unit Price: {price:.2f}, Line Total: {price * qty:.2f}")
            lines.append({"order": order, "product": name, "qty": qty, "amount": price * qty})
        total = sum(line["amount"] for line in lines if line["order"] == order)
        rows.append({"Order Number": order, "Customer": f"K{int(rng.integers(1, 400))}",
                     "Created": f"2025-{int(rng.integers(1, 13)):02d}-{int(rng.integers(1, 29)):02d}",
                     "Total Items": sum(int(i.split("Quantity: ")[1].split(",")[0]) for i in items),
                     "Order Total": round(total + 5.0, 2), "Line Items": " | ".join(items)})
    pd.DataFrame(rows).to_csv(tmp_path / "orders.csv", index=False)
    want = pd.DataFrame(lines)
    with loaded(tmp_path / "orders.csv", tmp_path / "home") as (report, ctx):
        got = {f: report["mapping"].get(f) for f in ("product", "quantity", "amount")}
        assert got == {"product": "Item Name", "quantity": "Quantity", "amount": "Line Total"}, report["mapping"]
        by_product = _rows(ctx, metrics=["revenue", "units"], by=["product"]).set_index("product")
        for name, group in want.groupby("product"):
            assert by_product.loc[name, "revenue"] == pytest.approx(group["amount"].sum())
            assert by_product.loc[name, "units"] == group["qty"].sum()
        assert _rows(ctx, metrics=["orders"]).iloc[0]["orders"] == len(rows)


def test_a_column_only_walk_ins_fill_is_a_dimension_of_the_sales(tmp_path):
    """Walk-in sales (no buyer) carry 'Sale Channel: market' and a 'Market Stall' name no online customer has; the
    columns stay per-order values of every sale, listed in the load report and asked about like any other."""
    rng = np.random.default_rng(8)
    n = 3000
    walk_in = rng.random(n) < 0.15
    walk_in[1::2] = walk_in[::2]  # two lines per order, both a walk-in's or both a buyer's
    buyers = [f"user{int(rng.integers(1, 500))}" for _ in range(n // 2)]
    frame = pd.DataFrame({
        "Order ID": [f"S{i // 2}" for i in range(n)],
        "Buyer": np.where(walk_in, "", [buyers[i // 2] for i in range(n)]),
        "Order Shipping": [float((i // 2) % 3 * 4) for i in range(n)],  # the order's, on each of its lines
        "Date": [(pd.Timestamp("2025-03-01") + pd.Timedelta(days=int(d))).date().isoformat()
                 for d in np.repeat(rng.integers(0, 300, n // 2), 2)],
        "Item Total": np.round(rng.uniform(8, 90, n), 2),
        "Sale Channel": np.where(walk_in, "market", "online"),
        "Market Stall": np.where(walk_in, rng.choice(["Riverside Market", "Winter Fair"], n), "")})
    frame.to_csv(tmp_path / "sales.csv", index=False)
    with loaded(tmp_path / "sales.csv", tmp_path / "home") as (report, ctx):
        described = {a["source_column"]: a for a in report["attributes"]}
        assert described["Sale Channel"]["grain"] == "order" and "market" in described["Sale Channel"]["values"]
        assert set(described["Market Stall"]["values"]) == {"Riverside Market", "Winter Fair"}
        by_stall = _rows(ctx, metrics=["revenue"], by=["market_stall"]).set_index("market_stall")["revenue"]
        for stall, group in frame[walk_in].groupby("Market Stall"):
            assert by_stall[stall] == pytest.approx(group["Item Total"].sum())
        got = _rows(ctx, metrics=["revenue"], filters={"sale_channel": "market"}).iloc[0]["revenue"]
        assert got == pytest.approx(frame.loc[walk_in, "Item Total"].sum())
        # the order's number written on both its lines still counts once per order
        shipping = _rows(ctx, metrics=["sum_order_shipping"]).iloc[0]["sum_order_shipping"]
        assert shipping == pytest.approx(frame.groupby("Order ID")["Order Shipping"].first().sum())


def test_a_checkout_never_paid_for_is_neither_a_sale_nor_a_cancellation(tmp_path):
    rng = np.random.default_rng(17)
    n = 1200
    status = rng.choice(["Completed", "Cancelled", "Awaiting Payment", "Refunded"], n, p=[0.8, 0.08, 0.07, 0.05])
    frame = pd.DataFrame({"Order ID": [f"P{i}" for i in range(n)], "Customer": [f"C{int(rng.integers(1, 300))}" for _ in range(n)],
                          "Date": [f"2025-{int(m):02d}-10" for m in rng.integers(1, 13, n)],
                          "Total": np.round(rng.uniform(10, 200, n), 2), "Status": status})
    frame.to_csv(tmp_path / "orders.csv", index=False)
    with loaded(tmp_path / "orders.csv", tmp_path / "home") as (_, ctx):
        row = _rows(ctx, metrics=["cancelled_orders", "cancelled_revenue", "cancellation_rate", "orders"]).iloc[0]
        gone = frame[frame["Status"].isin(["Cancelled", "Refunded"])]
        placed = frame[frame["Status"] != "Awaiting Payment"]
        assert row["orders"] == (frame["Status"] == "Completed").sum()
        assert row["cancelled_orders"] == len(gone)
        assert row["cancelled_revenue"] == pytest.approx(gone["Total"].sum())
        assert row["cancellation_rate"] == pytest.approx(len(gone) / len(placed))
