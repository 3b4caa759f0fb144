import numpy as np
import pytest
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize, proportions_ztest

from tools.errors import TierwiseError
from tools.experiments import ab_test, campaign_roi, required_sample_size

CASES = [(5000, 250, 5000, 300), (1200, 30, 1350, 29), (80, 20, 95, 41), (100000, 2100, 99000, 2190)]


@pytest.mark.parametrize("va,ca,vb,cb", CASES)
def test_p_value_agrees_with_statsmodels(va, ca, vb, cb):
    z, p = proportions_ztest([cb, ca], [vb, va])
    result = ab_test(va, ca, vb, cb)
    assert abs(result["p_value"] - p) < 1e-9
    assert abs(result["z"] - z) < 1e-9


@pytest.mark.parametrize("base,target", [(0.05, 0.06), (0.2, 0.25), (0.01, 0.012)])
def test_sample_size_agrees_with_a_standard_power_calculation(base, target):
    h = proportion_effectsize(target, base)
    expected = NormalIndPower().solve_power(effect_size=h, alpha=0.05, power=0.8, ratio=1.0)
    assert required_sample_size(base, target) == int(np.ceil(expected))


def test_the_published_example_is_a_significant_win_for_b():
    result = ab_test(5000, 250, 5000, 300)
    assert result["verdict"] == "B wins"
    assert result["relative_lift"] == pytest.approx(0.2)
    lo, hi = result["ci_absolute"]
    assert lo < result["absolute_lift"] < hi and lo > 0


def test_a_small_difference_is_not_called_a_win():
    assert ab_test(1000, 50, 1000, 52)["verdict"] == "no significant difference"


@pytest.mark.parametrize("args,word", [((100, 120, 100, 5), "cannot exceed"), ((0, 0, 10, 1), "visitors_a is 0"),
                                       ((10, -1, 10, 1), "conversions_a")])
def test_impossible_counts_are_refused_with_the_field_named(args, word):
    with pytest.raises(TierwiseError, match=word):
        ab_test(*args)


def test_campaign_roi_is_on_margin_and_costs_the_offer_for_every_redeemer():
    # two customers: P(churn) 0.5 and 0.8, expected value 100 and 50; 2 off per redeemer, 0.10 per message
    r = campaign_roi([0.5, 0.8], [100.0, 50.0], cost_per_redeemer=2, margin=0.4, save_rate=0.25,
                     send_cost_per_message=0.1)
    saved_revenue = (0.5 * 100 + 0.8 * 50) * 0.25                 # 22.5
    redeemers = 0.25 * (0.5 + 0.8) + (0.5 + 0.2)                   # saved + would have ordered anyway
    cost = redeemers * 2 + 2 * 0.1
    assert r["expected_saved_revenue"] == pytest.approx(saved_revenue)
    assert r["expected_saved_margin"] == pytest.approx(0.4 * saved_revenue)
    assert r["redeemers"] == pytest.approx(1.025)
    assert r["cost"] == pytest.approx(cost) and r["send_cost"] == pytest.approx(0.2)
    assert r["net"] == pytest.approx(9 - cost) and r["roi"] == pytest.approx((9 - cost) / cost)
    assert r["assumptions"]["margin"] == 0.4 and r["assumptions"]["save_rate"] == 0.25


def test_the_band_spans_the_save_rate_range_and_the_break_even_rate_nets_zero():
    r = campaign_roi([0.5, 0.8], [100.0, 50.0], cost_per_redeemer=2, margin=0.4, save_rate=0.25,
                     send_cost_per_message=0.1)
    assert [r["band"][k]["save_rate"] for k in ("low", "expected", "high")] == pytest.approx([0.125, 0.25, 0.375])
    assert r["band"]["low"]["net"] < r["band"]["expected"]["net"] < r["band"]["high"]["net"]
    s = r["break_even_save_rate"]
    assert s == pytest.approx((2 * 0.7 + 0.2) / (0.4 * 90 - 2 * 1.3))
    at_break_even = campaign_roi([0.5, 0.8], [100.0, 50.0], cost_per_redeemer=2, margin=0.4, save_rate=s,
                                 send_cost_per_message=0.1)
    assert at_break_even["net"] == pytest.approx(0, abs=1e-9)


def test_an_offer_dearer_than_the_margin_it_saves_never_breaks_even():
    r = campaign_roi([0.9, 0.9], [20.0, 20.0], cost_per_redeemer=10, margin=0.4, save_rate=0.3)
    assert r["break_even_save_rate"] is None
    assert all(b["net"] < 0 for b in r["band"].values())


def test_the_holdout_is_the_two_proportion_sample_size_for_the_save_rate():
    p = np.array([0.6] * 400 + [0.2] * 600)
    r = campaign_roi(p, np.full(1000, 30.0), cost_per_redeemer=1, margin=0.4, save_rate=0.2)
    baseline = 1 - p.mean()                     # ordering anyway
    treated = baseline + 0.2 * p.mean()         # plus the saved
    h = proportion_effectsize(treated, baseline)
    expected = NormalIndPower().solve_power(effect_size=h, alpha=0.05, power=0.8, ratio=1.0)
    assert r["holdout"]["per_group"] == int(np.ceil(expected))
    assert r["holdout"]["baseline_order_rate"] == pytest.approx(baseline)
    assert r["holdout"]["measurable"] is (2 * r["holdout"]["per_group"] <= 1000)


@pytest.mark.parametrize("kwargs, word", [({"margin": 0}, "margin"), ({"margin": 1.5}, "margin"),
                                          ({"save_rate": 1.2}, "save_rate"), ({"cost_per_redeemer": -1}, "cost_per_redeemer"),
                                          ({"save_rate": 0.2, "save_rate_low": 0.3}, "range")])
def test_impossible_campaign_assumptions_are_refused_with_the_field_named(kwargs, word):
    args = {"cost_per_redeemer": 1, "margin": 0.4, **kwargs}
    with pytest.raises(TierwiseError, match=word):
        campaign_roi([0.5], [10.0], **args)
