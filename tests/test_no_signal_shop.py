"""A shop whose future owes nothing to its past: every customer orders at the same steady rate, so
no model can know who leaves. The models must say so and answers must fall back to the baseline."""

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from assistant import Assistant
from tools.catalog import call_tool
from tools.context import ToolContext
from tools.dataset import Dataset
from tools.loading import load_dataset
from tools.workspace import Workspace

START = date(2024, 1, 1)
DAYS = 730
RATE_PER_DAY = 1 / 40


def write_no_signal_shop(path, *, customers: int = 600, seed: int = 3) -> None:
    """Each customer orders on each day with the same chance, whatever they did before, so when they
    order next owes nothing to their past; basket sizes differ between customers (a spend level each),
    so there is value to tier."""
    rng = np.random.default_rng(seed)
    ordered = rng.random((customers, DAYS)) < RATE_PER_DAY
    who, day = np.nonzero(ordered)
    level = rng.lognormal(3.5, 0.8, customers)
    frame = pd.DataFrame({
        "customer_id": [f"N{c:05d}" for c in who],
        "order_date": [(START + timedelta(days=int(d))).isoformat() for d in day],
        "amount": np.round(level[who] * rng.lognormal(0, 0.3, len(who)), 2),
    })
    frame.to_csv(path, index=False)


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    root = tmp_path_factory.mktemp("no_signal")
    write_no_signal_shop(root / "orders.csv")
    home = root / "home"
    load_dataset(Workspace(home), root / "orders.csv")
    return home


@pytest.fixture(scope="module")
def snap(shop):
    return Dataset(Workspace(shop)).snapshot()


def test_the_churn_verdict_is_baseline_with_its_figures(snap):
    verdict = snap.meta["model_cards"]["churn"]["verdict"]
    assert verdict["verdict"] == "baseline", verdict
    assert verdict["ci_low"] <= 0 and "No better than the baseline" in verdict["sentence"]
    assert snap.meta["model_cards"]["churn"]["scored_by"] == "recency baseline"


def test_about_to_churn_says_so_and_ranks_by_days_since_the_last_order(snap):
    ctx = ToolContext(snapshot=snap, exports_dir=None, role="marketer")
    result = call_tool(ctx, "find_customers", {"churn_risk": "high", "limit": 50})
    assert result.facts["customers"] > 0
    assert result.summary.startswith(result.facts["notice"]) and "days since" in result.facts["notice"]
    assert result.facts["sorted_by"] == "days_since_last_order"
    table = result.tables[0]
    last = [row[table.columns.index("last_order_date")] for row in table.rows]
    assert last == sorted(last)  # oldest last order first


def test_who_is_about_to_churn_gets_customers_not_an_empty_answer(shop):
    answer = Assistant(shop).ask("Who is about to churn?")
    assert answer.tool_calls and answer.tool_calls[0].result.facts["customers"] > 0
    assert "No customers match" not in answer.text


def test_tier_cutoffs_separate_customers_and_agree_with_segments(snap):
    tiers = snap.meta["model_cards"]["tiers"]
    assert tiers["cutoffs_separated"] and tiers["thresholds"]["high"] >= 1.25 * tiers["thresholds"]["mid"]
    assert tiers["consistency"]["unexplained"] == 0
    # a champion in the low tier is one whose spend is no more than typical (RFM monetary score ≤ 3)
    big_spending_champions_low = snap.scalar(
        "SELECT count(*) FROM scores WHERE segment = 'champions' AND tier = 'low' AND m_score > 3")
    assert big_spending_champions_low == 0


def test_a_campaign_forecast_says_its_churn_figures_come_from_days_since_the_last_order(snap):
    ctx = ToolContext(snapshot=snap, exports_dir=None, role="marketer")
    result = call_tool(ctx, "campaign_forecast", {"churn_risk": "high", "offer_cost": 5})
    said = result.facts["assumptions"]["models_at_baseline"]
    assert "The churn model is no better than days since the last order" in said
    assert result.summary.startswith(said)


def test_tierwise_build_prints_each_verdict_in_words(shop, cli, monkeypatch):
    monkeypatch.setenv("TIERWISE_HOME", str(shop))
    code, out, err = cli("build", "--quiet")
    assert code == 0, err
    churn = out.split("churn", 1)[1]
    assert "No better than the baseline: ROC-AUC" in churn and "days since the last order" in churn
    assert "Good:" in out or "Weak:" in out or out.count("No better than the baseline") >= 2
