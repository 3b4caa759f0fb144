import ibis
import pandas as pd
import pytest

from tools.tiers import tier_table


def _scores(values):
    return ibis.memtable(pd.DataFrame({"customer_id": [f"c{i}" for i in range(len(values))], "clv_12m": values}))


def test_default_tiers_are_top_fifth_next_three_tenths_and_the_rest():
    out = tier_table(_scores([float(v) for v in range(100)])).execute()
    assert out.tier.value_counts().to_dict() == {"low": 50, "mid": 30, "high": 20}
    assert out[out.tier == "high"].clv_12m.min() > out[out.tier == "mid"].clv_12m.max()


def test_shares_are_configurable():
    out = tier_table(_scores([float(v) for v in range(10)]), high_share=0.1, mid_share=0.5).execute()
    assert out.tier.value_counts().to_dict() == {"high": 1, "mid": 5, "low": 4}


def test_equal_values_never_straddle_a_tier_boundary():
    out = tier_table(_scores([5.0] * 10 + [1.0] * 10)).execute()
    assert out.groupby("clv_12m").tier.nunique().max() == 1


def test_impossible_shares_are_refused_with_a_sentence():
    with pytest.raises(ValueError, match="add up to at most 1"):
        tier_table(_scores([1.0, 2.0]), high_share=0.8, mid_share=0.5)
