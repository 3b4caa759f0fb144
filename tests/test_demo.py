"""The demo world generator: files, formats, determinism and the latent process behind them."""

from __future__ import annotations

import time
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from tools.demo import DEMO_AS_OF, generate_demo

TRANSACTION_HEADER = "order_id,customer_id,order_date,product,category,quantity,amount,channel,status"
CUSTOMER_HEADER = "customer_id,name,email,country,city,signup_date,gender,age,email_consent"
FUTURE_HEADER = "customer_id,order_date,amount,product,category"


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[dict, Path]:
    out = tmp_path_factory.mktemp("demo")
    return generate_demo(out, customers=4000, seed=42), out


@pytest.fixture(scope="module")
def tx(demo) -> pd.DataFrame:
    return pd.read_csv(demo[1] / "transactions.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def latent(demo) -> pd.DataFrame:
    return pd.read_csv(demo[1] / "truth" / "customers_latent.csv")


@pytest.fixture(scope="module")
def future(demo) -> pd.DataFrame:
    return pd.read_csv(demo[1] / "truth" / "future_orders.csv")


def _bytes(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*.csv"))}


def test_same_seed_gives_byte_identical_files_and_another_seed_differs(tmp_path):
    generate_demo(tmp_path / "a", customers=800, seed=7)
    generate_demo(tmp_path / "b", customers=800, seed=7)
    generate_demo(tmp_path / "c", customers=800, seed=8)
    a, b, c = _bytes(tmp_path / "a"), _bytes(tmp_path / "b"), _bytes(tmp_path / "c")
    assert set(a) == {"transactions.csv", "customers.csv", "truth/future_orders.csv",
                      "truth/customers_latent.csv"}
    assert a == b
    for name in a:
        assert a[name] != c[name], name


def test_files_carry_the_contract_headers(demo):
    _, out = demo
    assert (out / "transactions.csv").read_text().splitlines()[0] == TRANSACTION_HEADER
    assert (out / "customers.csv").read_text().splitlines()[0] == CUSTOMER_HEADER
    assert (out / "truth" / "future_orders.csv").read_text().splitlines()[0] == FUTURE_HEADER
    latent_header = (out / "truth" / "customers_latent.csv").read_text().splitlines()[0].split(",")
    for column in ("customer_id", "purchase_rate_per_year", "dropout_probability", "spend_level",
                   "alive_at_as_of", "preferred_category"):
        assert column in latent_header


def test_customer_ids_are_zero_padded_and_cover_every_customer(demo):
    summary, out = demo
    customers = pd.read_csv(out / "customers.csv", dtype=str)
    assert len(customers) == summary["customers"] == 4000
    assert customers.customer_id.str.fullmatch(r"C\d{6}").all()
    assert customers.customer_id.iloc[0] == "C000001"
    assert customers.customer_id.iloc[-1] == "C004000"
    assert customers.customer_id.is_unique
    assert customers.email.is_unique
    assert customers.email.str.fullmatch(r"[a-z0-9._]+@example\.(com|org|net)").all()


def test_wide_populations_get_wider_ids():
    from tools.demo import _id_strings
    import numpy as np

    assert _id_strings("C", np.array([1, 1_234_567]), 7).to_pylist() == ["C0000001", "C1234567"]


def test_customers_come_from_the_listed_countries_and_channels_and_categories(demo, tx):
    _, out = demo
    customers = pd.read_csv(out / "customers.csv")
    assert set(customers.country) == {"United States", "United Kingdom", "Germany", "France",
                                      "Spain", "Italy", "Netherlands", "Canada"}
    assert set(tx.channel) == {"web", "app", "store"}
    assert set(tx.category) == {"Electronics", "Home", "Fashion", "Beauty", "Sports", "Books",
                                "Toys", "Grocery"}
    assert tx.groupby("category")["product"].nunique().between(8, 15).all()


def test_no_transaction_is_after_the_as_of_date_and_history_starts_in_2024(tx):
    dates = pd.to_datetime(tx.order_date, format="%Y-%m-%d", errors="coerce").dropna()
    assert dates.max() == pd.Timestamp(DEMO_AS_OF)
    assert dates.min() == pd.Timestamp(2024, 1, 1)
    # New customers keep arriving up to the as-of date.
    assert (dates > pd.Timestamp(DEMO_AS_OF - timedelta(days=30))).sum() > 0


def test_truth_rows_fall_exactly_in_the_365_days_after_the_as_of_date(demo, future):
    summary, _ = demo
    dates = pd.to_datetime(future.order_date, format="%Y-%m-%d")
    assert dates.min() > pd.Timestamp(DEMO_AS_OF)
    assert dates.max() <= pd.Timestamp(DEMO_AS_OF + timedelta(days=365))
    assert summary["as_of"] == "2025-12-31" == DEMO_AS_OF.isoformat()
    assert len(future) > 0 and (future.amount > 0).all()


def test_about_eighty_percent_of_customers_consent_to_email(demo):
    customers = pd.read_csv(demo[1] / "customers.csv", dtype=str)
    assert set(customers.email_consent) == {"true", "false"}
    assert 0.76 <= (customers.email_consent == "true").mean() <= 0.84


def test_amounts_have_two_decimals_and_few_orders_are_not_completed(tx):
    assert tx.amount.str.fullmatch(r"-?\d+\.\d{2}").all()
    not_completed = (tx.status != "completed").mean()
    assert set(tx.status) == {"completed", "cancelled", "refunded"}
    assert 0.01 <= not_completed <= 0.04


def test_dirty_rows_are_present_in_small_numbers(demo, tx):
    summary, _ = demo
    bad_date = pd.to_datetime(tx.order_date, format="%Y-%m-%d", errors="coerce").isna()
    negative = tx.amount.str.startswith("-")
    missing_id = tx.customer_id == ""
    counts = summary["dirty_rows"]
    assert counts == {"unparseable_date": int(bad_date.sum()), "negative_amount": int(negative.sum()),
                      "missing_customer_id": int(missing_id.sum())}
    share = (bad_date | negative | missing_id).mean()
    assert all(v > 0 for v in counts.values())
    assert 0.001 <= share <= 0.003
    assert summary["rows"] == len(tx)
    assert summary["orders"] == tx.order_id.nunique()


def test_customers_dead_at_the_as_of_date_have_no_future_orders(latent, future):
    dead = set(latent.loc[~latent.alive_at_as_of, "customer_id"])
    alive = set(latent.loc[latent.alive_at_as_of, "customer_id"])
    buyers = set(future.customer_id)
    assert 0.2 < len(dead) / len(latent) < 0.8
    assert buyers.isdisjoint(dead)
    assert len(buyers & alive) > 0.3 * len(alive)


def test_latent_parameters_are_heterogeneous_and_in_range(latent):
    assert latent.dropout_probability.between(0, 1).all()
    assert (latent.purchase_rate_per_year > 0).all()
    assert latent.purchase_rate_per_year.std() > 0.5 * latent.purchase_rate_per_year.mean()
    assert latent.spend_level.max() > 5 * latent.spend_level.median()


def test_store_and_app_customers_are_more_loyal_than_web_customers(latent):
    p = latent.groupby("preferred_channel").dropout_probability.mean()
    assert p["store"] < p["web"] and p["app"] < p["web"]


def test_top_fifth_of_customers_hold_most_of_future_revenue(latent, future):
    revenue = future.groupby("customer_id").amount.sum().reindex(latent.customer_id, fill_value=0)
    top = revenue.sort_values(ascending=False).iloc[: len(revenue) // 5]
    assert top.sum() / revenue.sum() >= 0.5


def test_next_orders_often_hold_a_complement_of_the_previous_one(tx):
    from tools.demo import CATALOG

    complements = {(name, c) for cat in CATALOG.values() for name, _, cs in cat["products"] for c in cs}
    ok = tx[(tx.customer_id != "") & (tx.status == "completed")]
    firsts = ok.drop_duplicates("order_id")[["customer_id", "order_id", "product"]]
    firsts = firsts.sort_values(["customer_id", "order_id"])
    prev = firsts.groupby("customer_id")["product"].shift()
    pairs = list(zip(prev[prev.notna()], firsts["product"][prev.notna()]))
    share = sum(pair in complements for pair in pairs) / len(pairs)
    # A random pair of products is a listed complement about 2% of the time.
    assert share > 0.2


def test_fifty_thousand_customers_give_about_ten_rows_each(tmp_path):
    start = time.perf_counter()
    summary = generate_demo(tmp_path, customers=50_000, seed=3)
    seconds = time.perf_counter() - start
    print(f"50k customers: {summary['rows']:,} rows in {seconds:.1f}s")
    assert 8 <= summary["rows"] / 50_000 <= 12
    assert summary["future_orders"] > 0


def test_zero_customers_is_refused_with_a_sentence(tmp_path):
    with pytest.raises(ValueError, match="at least 1 customer"):
        generate_demo(tmp_path, customers=0)
