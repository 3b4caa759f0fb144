"""States and provinces as data (prompts/regions.json): a column of region codes or names is read as the regions of
one country, and each region's names (English, Chinese, the short forms) find the column's own spelling, in the
semantic layer's value matching and in the offline planner. Figures are checked against pandas on the raw file."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from assistant.core import Assistant
from tools import regions
from tools.loading import load_dataset
from tools.workspace import Workspace
from tests.test_export_columns import write_export


def test_the_data_file_is_well_formed():
    data = json.loads(regions.REGIONS_PATH.read_text(encoding="utf-8"))
    seen = set()
    for r in data["regions"]:
        assert r["country"] in {"US", "CA", "AU", "CN"} and r["code"] and r["en"] and r["zh"], r
        assert (r["country"], r["code"]) not in seen, r
        seen.add((r["country"], r["code"]))
    assert sum(r["country"] == "US" for r in data["regions"]) >= 51


def test_a_column_is_read_against_the_country_its_values_name():
    us = ["CA", "NY", "TX", "WA", "OR"]
    assert regions.column_country(us) == "US"
    assert regions.same_region("California", us) == "CA" and regions.same_region("加州", us) == "CA"
    assert regions.same_region("Washington", us) == "WA"
    au = ["NSW", "VIC", "QLD", "WA", "SA"]
    assert regions.column_country(au) == "AU"
    assert regions.same_region("Western Australia", au) == "WA" and regions.same_region("Washington", au) is None
    cn = ["广东省", "浙江省", "江苏省", "上海市", "北京市"]
    assert regions.column_country(cn) == "CN"
    assert regions.same_region("广东", cn) == "广东省" and regions.same_region("Guangdong", cn) == "广东省"
    assert regions.same_region("四川", cn) is None  # a region the column lacks is not matched to another one


def test_columns_that_are_not_regions_are_left_alone():
    assert regions.column_country(["Red", "Blue", "Green", "Sand"]) is None
    assert regions.column_country(["CA", "NY"]) is None  # two codes are too few to tell
    assert regions.column_country(["Mugs", "CA", "Bowls", "Plates", "NY", "TX"]) is None
    assert regions.linked_names(["Web", "App", "Store"]) == {}


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    root = tmp_path_factory.mktemp("regions")
    raw = write_export(root / "sold_items.csv")
    load_dataset(Workspace(root / "home"), root / "sold_items.csv", build_models=False)
    return raw, Assistant(Workspace(root / "home"))


@pytest.mark.parametrize("question, state", [("What was our revenue in California?", "CA"),
                                             ("how much revenue did we make in texas", "TX"),
                                             ("加州的销售额是多少？", "CA"),
                                             ("纽约州一共卖了多少钱", "NY")])
def test_a_state_named_in_a_question_filters_the_shops_codes(shop, question, state):
    raw, assistant = shop
    answer = assistant.ask(question)
    call = answer.tool_calls[0]
    assert call.name == "query_metrics" and call.status == "ok", answer.to_json()
    want = raw.loc[raw["Ship State"] == state, "Item Total"].sum()
    assert f"{want:,.0f}" in answer.text, answer.text


def test_the_state_is_a_dimension_by_its_own_word(shop):
    raw, assistant = shop
    answer = assistant.ask("Which state brings in the most revenue?")
    best = raw.groupby("Ship State")["Item Total"].sum().sort_values().index[-1]
    assert answer.tool_calls[0].args.get("by") == ["ship_state"], answer.to_json()
    assert best in answer.text


def test_a_chinese_place_is_named_without_its_administrative_suffix(tmp_path):
    from tests.test_export_columns import write_youzan_like

    raw = write_youzan_like(tmp_path / "orders.csv")
    load_dataset(Workspace(tmp_path / "home"), tmp_path / "orders.csv", build_models=False)
    assistant = Assistant(Workspace(tmp_path / "home"))
    sold = raw[raw["商品退款状态"] != "退款成功"]
    for question, column, value in (("深圳的销售额是多少？", "收货人城市", "深圳市"), ("浙江卖了多少钱", "收货人省份", "浙江省")):
        answer = assistant.ask(question)
        assert answer.tool_calls[0].status == "ok", answer.to_json()
        want = sold.loc[sold[column] == value, "商品实际成交金额"].sum()
        assert f"{want:,.0f}" in answer.text, (question, answer.text)


def test_chinese_channel_values_are_named_in_english(tmp_path):
    """A Chinese shop's channels (直播, 分销) asked about in English ('live stream orders', 'distributors')."""
    import numpy as np

    rng = np.random.default_rng(1)
    n = 1500
    orders = pd.DataFrame({"订单号": [f"O{i}" for i in range(n)], "买家ID": [f"U{rng.integers(0, 300)}" for _ in range(n)],
                           "下单时间": (pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D")),
                           "金额": rng.integers(10, 200, n).astype(float),
                           "订单来源": rng.choice(["微信小程序", "直播", "分销"], n)})
    orders.to_csv(tmp_path / "orders.csv", index=False)
    load_dataset(Workspace(tmp_path / "home"), tmp_path / "orders.csv", build_models=False)
    assistant = Assistant(Workspace(tmp_path / "home"))
    answer = assistant.ask("How much revenue came from live stream orders?")
    assert answer.tool_calls[0].args.get("filters") == {"channel": "直播"}, answer.to_json()
    assert f"{orders.loc[orders['订单来源'] == '直播', '金额'].sum():,.0f}" in answer.text
    answer = assistant.ask("How many orders came in through our distributors?")
    assert answer.tool_calls[0].args.get("filters") == {"channel": "分销"}, answer.to_json()
    assert f"{(orders['订单来源'] == '分销').sum():,}" in answer.text


def test_a_head_noun_several_products_share_names_them_all(tmp_path):
    """'mugs' is every '… Mug' of the shop (one condition on those products), 马克杯 too through the glossary; a
    product's full name is still that product alone."""
    import numpy as np

    rng = np.random.default_rng(3)
    n = 2000
    products = ["Sea Glass Speckled Stoneware Mug", "Charcoal Stoneware Mug", "Tall Latte Mug", "Ramen Bowl",
                "Dinner Plate", "Serving Bowl"]
    lines = pd.DataFrame({"order": [f"O{i}" for i in range(n)], "customer": [f"C{rng.integers(0, 300)}" for _ in range(n)],
                          "date": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D"),
                          "product": rng.choice(products, n), "qty": rng.integers(1, 4, n),
                          "amount": rng.integers(10, 90, n).astype(float)})
    lines.to_csv(tmp_path / "orders.csv", index=False)
    load_dataset(Workspace(tmp_path / "home"), tmp_path / "orders.csv", build_models=False)
    assistant = Assistant(Workspace(tmp_path / "home"))
    mugs = lines[lines["product"].str.endswith("Mug")]
    for question in ("how many mugs did we sell?", "马克杯一共卖了多少个"):
        answer = assistant.ask(question)
        assert answer.tool_calls[0].args["filters"] == [{"field": "product", "op": "in", "value": sorted(set(mugs["product"]))}]
        assert f"{mugs['qty'].sum():,}" in answer.text, answer.text
    answer = assistant.ask("revenue by product excluding mugs")
    assert answer.tool_calls[0].args["filters"][0]["op"] == "not_in"
    answer = assistant.ask("Ramen Bowl revenue")
    assert answer.tool_calls[0].args["filters"] == {"product": "Ramen Bowl"}
    assert f"{lines.loc[lines['product'] == 'Ramen Bowl', 'amount'].sum():,.0f}" in answer.text


def test_an_address_prefix_names_a_place_not_a_money_column(tmp_path):
    """'Ship State' is the state; 'Shipping Discount' is a discount on shipping, not the discount: 'total discounts'
    sums 'Discount Amount'."""
    raw = write_export(tmp_path / "a.csv")
    raw["Shipping Discount"] = (raw.index % 7 == 0) * 4.5
    raw.to_csv(tmp_path / "b.csv", index=False)
    load_dataset(Workspace(tmp_path / "home"), tmp_path / "b.csv", build_models=False)
    assistant = Assistant(Workspace(tmp_path / "home"))
    answer = assistant.ask("total discounts")
    assert answer.tool_calls[0].args["metrics"] == ["sum_discount_amount"], answer.to_json()
    assert f"{raw['Discount Amount'].sum():,.0f}" in answer.text
    assert assistant.ask("revenue by state").tool_calls[0].args["by"] == ["ship_state"]
    assert assistant.ask("how much shipping discount did we give").tool_calls[0].args["metrics"] == ["sum_shipping_discount"]


def test_chinese_places_are_read_by_their_romanisation():
    assert regions.same_region("Hangzhou", ["杭州市", "深圳市", "北京市", "成都市"]) == "杭州市"
    assert regions.same_region("chongqing", ["重庆市", "深圳市", "北京市"]) == "重庆市"
    assert regions.same_region("Xiamen", ["杭州市", "深圳市", "北京市"]) is None  # a city the column lacks
    assert regions.romanised_places(["衬衫", "裤子", "袜子", "帽子"]) == {}  # words, not places
    # two places written alike in the Latin alphabet (山西省 / 陕西省 are both "shanxi" without tones): neither
    assert "shanxi" not in regions.romanised_places(["山西省", "陕西省", "广东省", "浙江省"])


def test_a_city_written_in_chinese_is_asked_about_in_english(tmp_path):
    from tests.test_export_columns import write_youzan_like

    raw = write_youzan_like(tmp_path / "orders.csv")
    load_dataset(Workspace(tmp_path / "home"), tmp_path / "orders.csv", build_models=False)
    assistant = Assistant(Workspace(tmp_path / "home"))
    sold = raw[raw["商品退款状态"] != "退款成功"]
    answer = assistant.ask("How much did we sell to customers in Shenzhen?")
    assert answer.tool_calls[0].status == "ok", answer.to_json()
    assert f"{sold.loc[sold['收货人城市'] == '深圳市', '商品实际成交金额'].sum():,.0f}" in answer.text, answer.text

    # the contract's own city column, written in Chinese
    import numpy as np

    rng = np.random.default_rng(3)
    n = 1200
    orders = pd.DataFrame({"Order ID": [f"A{i}" for i in range(n)], "Customer": [f"K{rng.integers(0, 250)}" for _ in range(n)],
                           "Order Date": (pd.Timestamp("2025-02-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D")),
                           "Amount": rng.integers(20, 400, n).astype(float),
                           "City": rng.choice(["杭州市", "上海市", "成都市", "武汉市"], n)})
    orders.to_csv(tmp_path / "cities.csv", index=False)
    load_dataset(Workspace(tmp_path / "home2"), tmp_path / "cities.csv", build_models=False)
    answer = Assistant(Workspace(tmp_path / "home2")).ask("What was revenue from Hangzhou?")
    assert answer.tool_calls[0].status == "ok", answer.to_json()
    assert f"{orders.loc[orders['City'] == '杭州市', 'Amount'].sum():,.0f}" in answer.text, answer.text
