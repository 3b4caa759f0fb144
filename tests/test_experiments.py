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


def test_campaign_roi_shows_its_arithmetic_and_assumptions():
    r = campaign_roi([0.5, 0.8], [100.0, 50.0], offer_cost=10, save_rate=0.25)
    assert r["expected_saved_revenue"] == pytest.approx((0.5 * 100 + 0.8 * 50) * 0.25)
    assert r["cost"] == 20 and r["roi"] == pytest.approx((22.5 - 20) / 20)
    assert r["assumptions"]["save_rate"] == 0.25
