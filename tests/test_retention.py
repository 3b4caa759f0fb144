"""'About to churn' vs 'already lost', judged on what the demo world's customers really did next.

Past-year revenue is read from the raw export with pandas and the outcome from the generator's
truth files, never from the models' own tables.
"""

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from tools.catalog import call_tool
from tools.context import ToolContext
from tools.dataset import Dataset
from tools.workspace import Workspace

LOST_HORIZON_DAYS = 90
TOP = 100


@pytest.fixture(scope="module")
def snap(built_home):
    return Dataset(Workspace(built_home)).snapshot()


@pytest.fixture(scope="module")
def world(snap, demo_truth):
    """Every customer with the models' view of them, their real past-year revenue and what they lose us:
    that revenue when they place no order in the LOST_HORIZON_DAYS after the as-of date."""
    as_of = pd.Timestamp(snap.as_of)
    raw = pd.read_csv(demo_truth.parent / "transactions.csv", dtype={"customer_id": str})
    raw["order_date"] = pd.to_datetime(raw["order_date"], errors="coerce")
    raw["amount"] = pd.to_numeric(raw["amount"], errors="coerce")
    year = raw[(raw["order_date"] > as_of - pd.Timedelta(days=365)) & (raw["order_date"] <= as_of)
               & (raw["amount"] > 0) & (raw["status"] == "completed")]
    future = pd.read_csv(demo_truth / "future_orders.csv", dtype={"customer_id": str}, parse_dates=["order_date"])
    came_back = set(future.loc[future["order_date"] <= as_of + timedelta(days=LOST_HORIZON_DAYS), "customer_id"])
    view = snap.query("SELECT customer_id, churn_risk, churn_probability, value_at_risk, recency_days, "
                      "churn_reasons FROM customer_view")
    view["past_year"] = view["customer_id"].map(year.groupby("customer_id")["amount"].sum()).fillna(0.0)
    view["came_back"] = view["customer_id"].isin(came_back)
    view["lost_value"] = np.where(view["came_back"], 0.0, view["past_year"])
    return view


@pytest.fixture(scope="module")
def about_to_churn(snap):
    """The top 100 the tool lists for 'who is about to churn?'."""
    ctx = ToolContext(snapshot=snap, exports_dir=None, role="marketer")
    table = call_tool(ctx, "find_customers", {"churn_risk": "high", "limit": TOP}).tables[0]
    return [row[table.columns.index("customer_id")] for row in table.rows]


def _top(world: pd.DataFrame, column: str) -> pd.DataFrame:
    return world.sort_values([column, "customer_id"], ascending=[False, True]).head(TOP)


def test_the_top_100_about_to_churn_capture_more_lost_value_than_churn_probability_or_recency(world, about_to_churn):
    ours = world.set_index("customer_id").loc[about_to_churn, "lost_value"].sum()
    by_probability = _top(world, "churn_probability")["lost_value"].sum()
    by_recency = _top(world, "recency_days")["lost_value"].sum()
    assert len(about_to_churn) == TOP
    assert ours > by_probability and ours > by_recency, (ours, by_probability, by_recency)


def test_none_of_the_top_100_about_to_churn_is_lapsed(world, about_to_churn):
    chosen = world.set_index("customer_id").loc[about_to_churn]
    assert (chosen["churn_risk"] != "lapsed").all()


def test_the_top_100_about_to_churn_spent_at_least_twice_the_median_customer_last_year(world, about_to_churn):
    chosen = world.set_index("customer_id").loc[about_to_churn]
    assert chosen["past_year"].median() >= 2 * world["past_year"].median()


def test_lapsed_customers_really_are_gone_and_the_rest_still_buy(world):
    lapsed, rest = world[world["churn_risk"] == "lapsed"], world[world["churn_risk"] != "lapsed"]
    assert len(lapsed) > 0
    assert lapsed["came_back"].mean() <= 0.10
    assert rest["came_back"].mean() >= 4 * lapsed["came_back"].mean()


def test_every_lapsed_customer_says_so_first_and_every_other_has_a_reason(world):
    first = world["churn_reasons"].map(lambda r: r[0] if len(r) else "")
    lapsed = world["churn_risk"] == "lapsed"
    assert first[lapsed].str.startswith("Already lapsed").all()
    assert not first[~lapsed].str.startswith("Already lapsed").any()
    assert (first.str.len() > 10).all()


def test_churn_bands_are_four_and_lapsed_is_in_no_other(world):
    assert set(world["churn_risk"]) == {"high", "medium", "low", "lapsed"}
