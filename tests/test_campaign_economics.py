"""campaign_forecast on margin: offers as a percentage, an amount, free shipping or none; send costs;
a low/expected/high band; the break-even save rate; the holdout to measure it; in English and Chinese.

Figures are recomputed here from the demo world's customer_view with pandas, never read back from
the tool's own output.
"""

from datetime import date

import pytest

from assistant.answer import ToolCallRecord
from assistant.conversation import ConversationState
from assistant.planner import OfflinePlanner
from assistant.planning_compose import compose_record
from assistant.planning_slots import extract
from tools.catalog import call_tool
from tools.context import ToolContext
from tools.dataset import Dataset
from tools.errors import TierwiseError
from tools.settings import write_settings
from tools.workspace import Workspace

HIGH_RISK = {"churn_risk": "high"}


@pytest.fixture(scope="module")
def dataset(built_home):
    return Dataset(Workspace(built_home))


@pytest.fixture
def ctx(dataset, isolated_home):
    return ToolContext(snapshot=dataset.snapshot(), exports_dir=dataset.exports_dir, home=isolated_home)


def audience(ctx, where="churn_risk = 'high'"):
    return ctx.snapshot.query(f"SELECT churn_probability, total_spend, orders FROM customer_view WHERE {where}")


def forecast(ctx, **args):
    return call_tool(ctx, "campaign_forecast", {**HIGH_RISK, **args})


def expected_cost(frame, per_redeemer, *, save_rate=0.2, send=0.002):
    p = frame["churn_probability"].fillna(0)
    redeemers = save_rate * p.sum() + (1 - p).sum()
    return redeemers, redeemers * per_redeemer + len(frame) * send


# -- the offer's cost --------------------------------------------------------------------------

def test_a_percentage_offer_costs_that_share_of_the_audiences_average_order_value(ctx):
    frame = audience(ctx)
    aov = frame["total_spend"].sum() / frame["orders"].sum()
    result = forecast(ctx, offer_percent=10)
    assert result.facts["offer"]["kind"] == "percent"
    assert result.facts["offer"]["cost_per_redeemer"] == pytest.approx(0.10 * aov)
    redeemers, cost = expected_cost(frame, 0.10 * aov)
    assert result.facts["redeemers"] == pytest.approx(redeemers)
    assert result.facts["cost"] == pytest.approx(cost)


def test_an_amount_offer_costs_that_amount_per_redeemer_not_per_customer(ctx):
    frame = audience(ctx)
    result = forecast(ctx, offer_cost=5)
    redeemers, cost = expected_cost(frame, 5)
    assert result.facts["offer"] == {"kind": "amount", "percent": None, "cost_per_redeemer": 5.0,
                                     "costed_as": result.facts["offer"]["costed_as"]}
    assert result.facts["cost"] == pytest.approx(cost)
    assert result.facts["cost"] < 5 * len(frame)  # only redeemers use it


def test_roi_is_on_gross_margin_at_the_workspace_margin(ctx, isolated_home):
    frame = audience(ctx)
    default = forecast(ctx, offer_cost=5)
    assert default.facts["assumptions"]["margin"] == 0.4 and default.facts["margin_is_default"]
    write_settings(isolated_home, margin="30%")
    result = forecast(dataclass_copy(ctx), offer_cost=5)
    _, cost = expected_cost(frame, 5)
    assert result.facts["assumptions"]["margin"] == 0.3 and not result.facts["margin_is_default"]
    assert result.facts["expected_saved_margin"] == pytest.approx(0.3 * result.facts["expected_saved_revenue"])
    assert result.facts["roi"] == pytest.approx((0.3 * result.facts["expected_saved_revenue"] - cost) / cost)


def dataclass_copy(ctx):
    """A fresh context: settings are read once per context, as per tool call in the app."""
    import dataclasses

    return dataclasses.replace(ctx)


def test_each_message_costs_its_channels_send_cost(ctx, isolated_home):
    frame = audience(ctx)
    write_settings(isolated_home, send_cost_sms=0.07)
    result = forecast(dataclass_copy(ctx), message_channel="sms")
    assert result.facts["offer"]["kind"] == "none"
    assert result.facts["send_cost"] == pytest.approx(0.07 * len(frame))
    assert result.facts["cost"] == pytest.approx(0.07 * len(frame))


def test_free_shipping_is_costed_at_the_shipping_cost_setting(ctx, isolated_home):
    write_settings(isolated_home, shipping_cost=4.5)
    result = forecast(dataclass_copy(ctx), free_shipping=True)
    redeemers, cost = expected_cost(audience(ctx), 4.5)
    assert result.facts["offer"]["kind"] == "free_shipping" and result.facts["cost"] == pytest.approx(cost)


def test_unset_free_shipping_without_shipping_amounts_is_an_assumed_share_of_the_order_said_so(ctx, isolated_home):
    # the demo shop has no shipping column: 10% of the audience's average order value, and the answer says so
    frame = audience(ctx)
    aov = frame["total_spend"].sum() / frame["orders"].sum()
    result = forecast(ctx, free_shipping=True)
    assert result.facts["offer"]["cost_per_redeemer"] == pytest.approx(0.10 * aov)
    assert result.facts["cost"] == pytest.approx(expected_cost(frame, 0.10 * aov)[1])
    assert "assumed 10% of the average order value" in result.summary and "--shipping-cost" in result.summary
    write_settings(isolated_home, shipping_cost_share="15%")
    assert forecast(dataclass_copy(ctx), free_shipping=True).facts["offer"]["cost_per_redeemer"] == pytest.approx(0.15 * aov)


def test_unset_free_shipping_is_what_the_orders_paid_for_shipping_when_the_data_says(tmp_path):
    from tests.loaded import loaded
    from tests.test_export_columns import write_export
    from tools.forecasts import shipping_paid

    raw = write_export(tmp_path / "sold.csv")
    with loaded(tmp_path / "sold.csv", tmp_path / "home") as (_, shop):
        paid, label = shipping_paid(shop)
    assert paid == pytest.approx(raw.groupby("Order ID")["Order Shipping"].first().mean())  # per order, not per line
    assert label.lower() == "order shipping"


def test_free_shipping_that_cannot_be_costed_says_how_to_set_it(ctx, isolated_home):
    from tools.forecasts import _offer

    with pytest.raises(TierwiseError, match="tierwise settings --shipping-cost"):
        _offer(ctx, offer_percent=None, offer_cost=None, free_shipping=True, shipping_cost=None, order_value=None)


def test_two_offers_at_once_are_refused(ctx):
    with pytest.raises(TierwiseError, match="one offer"):
        forecast(ctx, offer_percent=10, offer_cost=5)


# -- band, break-even, holdout ----------------------------------------------------------------

def test_the_band_break_even_and_holdout_follow_from_the_audience(ctx):
    frame = audience(ctx)
    p = frame["churn_probability"].fillna(0)
    result = forecast(ctx, offer_cost=5, save_rate=0.2, save_rate_low=0.1, save_rate_high=0.4)
    band = result.facts["band"]
    assert [band[k]["save_rate"] for k in ("low", "expected", "high")] == [0.1, 0.2, 0.4]
    # net margin is linear in the save rate, so the break-even rate lies where the band's line crosses zero
    low, high = band["low"], band["high"]
    slope = (high["net"] - low["net"]) / (0.4 - 0.1)
    assert result.facts["break_even_save_rate"] == pytest.approx(0.1 - low["net"] / slope)
    hold = result.facts["holdout"]
    assert hold["baseline_order_rate"] == pytest.approx((1 - p).mean())
    assert hold["treated_order_rate"] == pytest.approx((1 - p).mean() + 0.2 * p.mean())
    assert hold["per_group"] > 0


# -- the answer, in English and Chinese --------------------------------------------------------

def answer(ctx, language, **args):
    args = {**HIGH_RISK, **args}
    record = ToolCallRecord("campaign_forecast", args, "ok", result=call_tool(ctx, "campaign_forecast", args))
    return compose_record(language, record), record.result.facts


def test_the_english_answer_states_the_offer_margin_break_even_and_holdout(ctx):
    text, f = answer(ctx, "en", offer_percent=10)
    assert "10% discount" in text and "10% of their average order value" in text
    assert "40% margin (the default" in text and "tierwise settings --margin" in text
    assert "on margin" in text
    assert ("breaks even at a save rate of" in text) or ("No save rate pays it back" in text)
    assert f"holdout of {f['holdout']['per_group']:,} customers" in text


def test_the_chinese_answer_states_the_offer_margin_break_even_and_holdout(ctx):
    text, f = answer(ctx, "zh", offer_cost=5, save_rate=0.3)
    assert "每位使用者减 5.00 的优惠" in text and "40% 的毛利率（默认值" in text
    assert "保本" in text or "无法回本" in text
    assert f"留出 {f['holdout']['per_group']:,} 位客户" in text
    assert not any(word in text for word in ("redeemer", "save rate", "holdout", "discount"))


def test_an_estimated_free_shipping_cost_is_said_to_be_an_assumption_in_both_languages(ctx, isolated_home):
    text, f = answer(ctx, "en", free_shipping=True)
    assert f["offer"]["shipping"] == {"source": "assumed", "share": 0.1}
    assert "an assumed 10% of their average order value" in text and "--shipping-cost" in text
    text, _ = answer(ctx, "zh", free_shipping=True)
    assert "假设为平均客单价的 10%" in text and "--shipping-cost" in text
    write_settings(isolated_home, shipping_cost=3)
    text, f = answer(dataclass_copy(ctx), "en", free_shipping=True)
    assert f["offer"]["shipping"] == {"source": "setting"} and "assumed" not in text  # the shop's own cost: nothing to flag


def test_with_no_offer_given_the_answer_says_so_and_asks_for_one(ctx):
    text, f = answer(ctx, "en")
    assert f["offer"]["kind"] == "none" and f["offer_cost"] == 0
    assert text.startswith("No offer was given") and "“10% off”" in text
    text, _ = answer(ctx, "zh")
    assert text.startswith("未指定优惠") and "九折" in text


# -- the offer words of a question ------------------------------------------------------------

@pytest.mark.parametrize("question, percent, amount", [
    ("What would a 10% discount win-back campaign for at-risk customers return?", 10, None),
    ("ROI of 10% off for lapsed VIPs", 10, None),
    ("给流失风险高的客户做九折活动，回报怎么样", 10, None),
    ("打8折的挽回活动划算吗", 20, None),
    ("8折券发给高风险客户的投资回报率", 20, None),
    ("Is $5 off worth it for the at-risk segment?", None, 5),
    ("给流失客户减5元的回报率", None, 5),
    ("减10元的优惠划算吗", None, 10),
    ("给高风险客户发10元红包能回本吗", None, 10),
])
def test_the_offer_words_reach_the_slots(question, percent, amount):
    slots = extract(question.lower(), question, {}, date(2025, 12, 31))
    assert (slots.offer_percent, slots.offer_cost) == (percent, amount)


def test_free_shipping_words_reach_the_slots():
    for question in ("What would free shipping for at-risk customers return?", "包邮挽回活动的回报"):
        slots = extract(question.lower(), question, {}, date(2025, 12, 31))
        assert slots.free_shipping and slots.offer_percent is None and slots.offer_cost is None


@pytest.mark.parametrize("question", ["What would a 10% discount win-back campaign for at-risk customers return?",
                                      "给流失风险高的客户做九折挽回活动，回报怎么样"])
def test_a_percentage_offer_reaches_campaign_forecast_through_the_offline_planner(question):
    vocabulary = {"segments": ["at_risk"], "as_of": ["2025-12-31"]}
    plan = OfflinePlanner().plan(question, ConversationState(), vocabulary, role="marketer")
    assert [c.name for c in plan.calls] == ["campaign_forecast"]
    assert plan.calls[0].args.get("offer_percent") == 10 and "offer_cost" not in plan.calls[0].args


def test_free_shipping_reaches_campaign_forecast_through_the_offline_planner():
    vocabulary = {"segments": ["at_risk"], "as_of": ["2025-12-31"]}
    plan = OfflinePlanner().plan("给流失风险高的客户包邮，挽回的回报怎么样？", ConversationState(), vocabulary, role="marketer")
    assert [(c.name, c.args.get("free_shipping")) for c in plan.calls] == [("campaign_forecast", True)]


@pytest.mark.parametrize("question, language", [("Is $5 off worth it for customers at high churn risk?", "en"),
                                                ("给流失风险高的客户减5元，回报率怎么样？", "zh")])
def test_an_amount_off_reaches_campaign_forecast_through_the_offline_planner_as_5_per_redeemer(ctx, question, language):
    vocabulary = {"segments": ["at_risk"], "as_of": ["2025-12-31"]}
    plan = OfflinePlanner().plan(question, ConversationState(), vocabulary, role="marketer")
    assert [(c.name, c.args) for c in plan.calls] == [("campaign_forecast", {"churn_risk": "high", "offer_cost": 5})]
    text, f = answer(ctx, language, offer_cost=5)
    redeemers, cost = expected_cost(audience(ctx), 5)
    assert f["cost"] == pytest.approx(cost) and f["offer"]["cost_per_redeemer"] == 5
    assert ("5.00 off per redeemer" if language == "en" else "每位使用者减 5.00") in text
