"""Customer features as of a date: hand-checked values, no leakage, engine neutrality, CDNOW."""

from datetime import date
from math import sqrt
from pathlib import Path

import duckdb
import ibis
import pandas as pd
import pytest

from tools.contract import ORDERS_SCHEMA
from tools.features import build_features, feature_table

AS_OF = date(2024, 3, 31)
CDNOW = Path(__file__).parents[1].parent / "shared/data/cdnow"
IBIS_TYPES = {"VARCHAR": "string", "DATE": "date", "DOUBLE": "float64"}
ORDERS_IBIS_SCHEMA = ibis.schema({k: IBIS_TYPES[v] for k, v in ORDERS_SCHEMA.items()})

# customer_id, order_date, amount, order_id, product, category, quantity, channel
ROWS = [
    # A: two rows on 2024-01-01 are one purchase day; the last order is ON the as-of date
    ("A", "2024-01-01", 10.0, None, "b1", "Books", 1.0, "web"),
    ("A", "2024-01-01", 30.0, None, "h1", "Home", 2.0, "web"),
    ("A", "2024-01-11", 20.0, None, "h2", "Home", 1.0, "app"),
    ("A", "2024-02-10", 40.0, None, "b2", "Books", 1.0, "web"),
    ("A", "2024-03-31", 20.0, None, "t1", "Toys", 1.0, "store"),
    # B: one day, two rows, no quantity
    ("B", "2024-02-01", 15.0, None, "h1", "Home", None, "web"),
    ("B", "2024-02-01", 5.0, None, "h3", "Home", None, "web"),
    # D: two days half a year apart
    ("D", "2023-06-01", 100.0, None, "b1", "Books", 1.0, "web"),
    ("D", "2023-12-01", 50.0, None, "b3", "Books", 1.0, "app"),
    # C: first order after the as-of date, so C has no features
    ("C", "2024-04-05", 99.0, None, "t1", "Toys", 1.0, "web"),
]


def orders_frame(rows) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["customer_id", "order_date", "amount", "order_id", "product",
                                     "category", "quantity", "channel"])
    df["order_date"] = pd.to_datetime(df["order_date"]).dt.date
    df["status"] = None
    return df[list(ORDERS_SCHEMA)]


def make_store(path: Path, rows) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    columns = ", ".join(f"{name} {kind}" for name, kind in ORDERS_SCHEMA.items())
    con.execute(f"CREATE OR REPLACE TABLE orders ({columns})")
    frame = orders_frame(rows)  # noqa: F841 - read by DuckDB's replacement scan
    con.execute("INSERT INTO orders SELECT * FROM frame")
    return con


def features_of(con, as_of=AS_OF) -> pd.DataFrame:
    build_features(con, as_of)
    return con.execute("SELECT * FROM features ORDER BY customer_id").df().set_index("customer_id")


@pytest.fixture
def store(tmp_path):
    con = make_store(tmp_path / "store.duckdb", ROWS)
    yield con
    con.close()


def test_a_repeat_buyer_has_hand_computed_recency_frequency_gaps_and_spend(store):
    a = features_of(store).loc["A"]
    assert (a.orders, a.order_lines, a.purchase_days, a.frequency) == (4, 5, 4, 3)
    assert a.recency_days == 0  # the order on the as-of date counts
    assert a.tenure_days == 90 and a.bgnbd_t_x_days == 90  # 2024 is a leap year
    assert a.total_spend == 120 and a.aov == 30 and a.max_order_value == 40
    assert a.mean_repeat_day_spend == pytest.approx(80 / 3)  # the first day's 40 left out
    assert a.total_quantity == 6 and a.distinct_products == 5 and a.distinct_categories == 3
    # gaps 10, 30, 50 days
    assert a.gap_mean_days == 30 and a.gap_max_days == 50
    assert a.gap_std_days == pytest.approx(sqrt(800 / 3))
    assert a.recency_to_gap_ratio == 0
    # (as_of - 90, as_of] starts after 2024-01-01, so the first day is outside it
    assert (a.orders_last_30, a.orders_last_90, a.orders_last_180) == (1, 3, 4)
    assert a.spend_last_90 == 80 and a.spend_prev_90 == 40 and a.spend_trend == 40
    assert a.share_cat_books == pytest.approx(50 / 120)
    assert a.share_cat_home == pytest.approx(50 / 120)
    assert a.share_cat_toys == pytest.approx(20 / 120)
    assert a.share_ch_web == pytest.approx(80 / 120)
    assert a.top_category == "Books"  # tied with Home on spend; alphabetical first wins
    assert a.top_channel == "web"


def test_a_one_day_buyer_has_zero_frequency_and_no_gaps_or_repeat_spend(store):
    b = features_of(store).loc["B"]
    assert (b.orders, b.order_lines, b.frequency) == (1, 2, 0)
    assert b.recency_days == 59 and b.tenure_days == 59 and b.bgnbd_t_x_days == 0
    assert b.aov == 20 and b.max_order_value == 20
    assert pd.isna(b.mean_repeat_day_spend)
    assert pd.isna(b.gap_mean_days) and pd.isna(b.gap_std_days) and pd.isna(b.gap_max_days)
    assert pd.isna(b.recency_to_gap_ratio) and pd.isna(b.total_quantity)
    assert b.share_cat_home == 1 and b.share_cat_books == 0 and b.top_category == "Home"


def test_trend_compares_the_last_180_days_with_the_180_before(store):
    d = features_of(store).loc["D"]
    assert d.bgnbd_t_x_days == 183 and d.gap_mean_days == 183 and d.gap_std_days == 0
    assert d.recency_days == 121
    assert d.recency_to_gap_ratio == pytest.approx(121 / 183)
    assert (d.orders_last_180, d.orders_prev_180, d.trend_orders) == (1, 1, 0)
    assert d.orders_last_90 == 0 and d.spend_last_90 == 0
    assert d.share_ch_web == pytest.approx(100 / 150) and d.share_ch_app == pytest.approx(50 / 150)


def test_order_ids_make_transactions_while_days_stay_purchase_days(tmp_path):
    rows = [
        ("E", "2024-03-01", 10.0, "O1", "p1", "Home", 1.0, "web"),
        ("E", "2024-03-01", 20.0, "O1", "p2", "Home", 1.0, "web"),
        ("E", "2024-03-01", 5.0, "O2", "p3", "Toys", 1.0, "app"),
        ("E", "2024-03-10", 7.0, "O3", "p1", "Home", 1.0, "web"),
    ]
    e = features_of(make_store(tmp_path / "ids.duckdb", rows)).loc["E"]
    assert (e.orders, e.order_lines, e.purchase_days, e.frequency) == (3, 4, 2, 1)
    assert e.aov == 14 and e.max_order_value == 30
    assert e.mean_repeat_day_spend == 7 and e.gap_mean_days == 9


def test_one_row_per_customer_who_bought_by_the_as_of_date(store):
    summary = build_features(store, AS_OF)
    ids = [r[0] for r in store.execute("SELECT customer_id FROM features ORDER BY 1").fetchall()]
    assert ids == ["A", "B", "D"]  # C's first order is after the as-of date
    assert summary["customers"] == 3 and "share_cat_books" in summary["columns"]
    assert features_of(store, date(2023, 6, 1)).index.tolist() == ["D"]


def test_orders_after_the_as_of_date_change_no_feature(tmp_path):
    before = features_of(make_store(tmp_path / "before.duckdb", ROWS))
    future = [
        ("A", "2024-04-01", 5000.0, None, "x9", "Garden", 9.0, "app"),
        ("B", "2024-05-01", 1.0, None, "h1", "Home", 1.0, "store"),
        ("D", "2025-01-01", 777.0, None, "n1", "Novelty", 3.0, "phone"),
    ] + [("Z", "2024-04-02", 1.0 + i, None, f"z{i}", f"Cat{i}", 1.0, "web") for i in range(20)]
    con = make_store(tmp_path / "after.duckdb", ROWS + future)
    assert_frame_equal(before, features_of(con))
    # and changing those later orders' amounts and categories changes nothing either
    con.execute("UPDATE orders SET amount = amount * 100, category = 'Electronics', channel = 'app' "
                "WHERE order_date > DATE '2024-03-31'")
    assert_frame_equal(before, features_of(con))


def test_an_order_on_the_as_of_date_counts_and_one_a_day_later_does_not(store):
    on_the_day = features_of(store, AS_OF).loc["A"]
    day_before = features_of(store, date(2024, 3, 30)).loc["A"]
    assert on_the_day.orders == day_before.orders + 1
    assert on_the_day.total_spend == day_before.total_spend + 20
    assert day_before.last_order_date.date() == date(2024, 2, 10)
    assert day_before.recency_days == 49


def test_the_same_expression_gives_the_same_numbers_on_an_in_memory_backend(store):
    from_store = features_of(store)
    memory = ibis.duckdb.connect()  # a second, empty engine: nothing shared with the store
    orders = ibis.memtable(orders_frame(ROWS), schema=ORDERS_IBIS_SCHEMA)
    in_memory = memory.to_pandas(feature_table(orders, AS_OF))
    in_memory = in_memory.sort_values("customer_id").set_index("customer_id")
    assert_frame_equal(from_store, in_memory)


def test_customer_attributes_join_when_the_customers_table_has_them(store):
    store.execute("CREATE TABLE customers (customer_id VARCHAR, country VARCHAR, email_consent BOOLEAN)")
    store.execute("INSERT INTO customers VALUES ('A', 'Germany', true), ('B', 'France', false)")
    f = features_of(store)
    assert f.loc["A", "country"] == "Germany" and bool(f.loc["A", "email_consent"]) is True
    assert pd.isna(f.loc["D", "country"]) and "signup_date" not in f.columns
    assert len(f) == 3


def test_the_memory_limit_is_put_back_after_a_build(store):
    store.execute("SET memory_limit = '10GB'")
    before = store.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    build_features(store, AS_OF)
    assert store.execute("SELECT current_setting('memory_limit')").fetchone()[0] == before


@pytest.fixture(scope="module")
def cdnow_store(tmp_path_factory):
    raw = pd.read_csv(CDNOW / "CDNOW_master.txt", sep=r"\s+", dtype={"customer_id": str})
    orders = pd.DataFrame({
        "customer_id": raw["customer_id"],
        "order_date": pd.to_datetime(raw["date"].astype(str), format="%Y%m%d").dt.date,
        "amount": raw["dollar_value"].astype(float),
        "quantity": raw["number_of_cds"].astype(float),
    })
    con = duckdb.connect(str(tmp_path_factory.mktemp("cdnow") / "store.duckdb"))
    columns = ", ".join(f"{name} {kind}" for name, kind in ORDERS_SCHEMA.items())
    con.execute(f"CREATE TABLE orders ({columns})")
    con.register("orders_df", orders)
    con.execute("INSERT INTO orders (customer_id, order_date, amount, quantity) "
                "SELECT customer_id, order_date, amount, quantity FROM orders_df")
    con.unregister("orders_df")
    build_features(con, date(1997, 9, 30))
    features = con.execute("SELECT * FROM features").df().set_index("customer_id")
    yield orders, features
    con.close()


def test_cdnow_calibration_has_every_customer_once(cdnow_store):
    _, features = cdnow_store
    assert len(features) == 23_570 and features.index.is_unique


def test_cdnow_frequency_matches_an_independent_count_of_repeat_purchase_days(cdnow_store):
    orders, features = cdnow_store
    seen = orders[orders["order_date"] <= date(1997, 9, 30)]
    days = seen.groupby("customer_id")["order_date"].agg(["nunique", "min", "max"])
    assert features["frequency"].sum() == (days["nunique"] - 1).sum()
    joined = features.join(days)
    assert (joined["frequency"] == joined["nunique"] - 1).all()
    t_x = (pd.to_datetime(joined["max"]) - pd.to_datetime(joined["min"])).dt.days
    assert (joined["bgnbd_t_x_days"] == t_x).all()


def test_cdnow_january_cohort_has_sensible_recency_and_age(cdnow_store):
    _, features = cdnow_store
    first = pd.to_datetime(features["first_order_date"]).dt.date
    cohort = features[first == date(1997, 1, 1)]
    assert len(cohort) > 0
    assert (cohort["tenure_days"] == 272).all()  # 1997-01-01 .. 1997-09-30
    assert (cohort["bgnbd_t_x_days"] <= 272).all()
    assert (cohort["recency_days"] + cohort["bgnbd_t_x_days"] == 272).all()
    assert ((cohort["frequency"] == 0) == (cohort["bgnbd_t_x_days"] == 0)).all()
    # every customer joined in Q1 1997, so nobody is older than the log or younger than 6 months
    assert features["tenure_days"].between(182, 272).all()
    repeaters = features[features["frequency"] > 0]
    assert repeaters["mean_repeat_day_spend"].notna().all()
    assert features.loc[features["frequency"] == 0, "mean_repeat_day_spend"].isna().all()


def assert_frame_equal(left: pd.DataFrame, right: pd.DataFrame) -> None:
    """Same columns and values; engines may differ in nullable vs float dtypes and date types."""
    assert list(left.columns) == list(right.columns)
    pd.testing.assert_frame_equal(_comparable(left), _comparable(right), check_exact=False, rtol=1e-12)


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for name, col in frame.items():
        if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
            out[name] = col.astype("float64")
        elif name.endswith("_date"):
            out[name] = pd.to_datetime(col).astype("datetime64[s]")
        else:
            out[name] = col.astype(object).where(col.notna(), None)
    return pd.DataFrame(out, index=frame.index.astype(object))
