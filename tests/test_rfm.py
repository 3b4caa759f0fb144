import ibis
import pandas as pd

from tools.rfm import SEGMENT_RULES, SEGMENTS, rfm_table


def _features(n=100):
    # customer i: recency falls with i, orders and spend rise with i
    return pd.DataFrame({
        "customer_id": [f"c{i:03d}" for i in range(n)],
        "recency_days": [float(n - i) for i in range(n)],
        "orders": [1 if i < 40 else i for i in range(n)],
        "total_spend": [10.0 * (i + 1) for i in range(n)],
    })


def test_the_rules_name_every_recency_and_fm_score_combination():
    for r in range(1, 6):
        for fm in range(1, 6):
            hits = [name for name, rr, ff in SEGMENT_RULES if rr[0] <= r <= rr[1] and ff[0] <= fm <= ff[1]]
            assert hits, f"R={r} FM={fm} falls through to the fallback"


def test_the_eleven_standard_segments_are_the_vocabulary():
    assert set(SEGMENTS) == {"champions", "loyal", "potential_loyalist", "new_customers", "promising",
                             "need_attention", "about_to_sleep", "at_risk", "cannot_lose",
                             "hibernating", "lost"}


def test_best_customer_is_a_champion_and_worst_is_lost():
    out = rfm_table(ibis.memtable(_features())).execute().set_index("customer_id")
    assert out.loc["c099", "segment"] == "champions"
    assert out.loc["c000", "segment"] == "lost"
    assert out[["r_score", "f_score", "m_score"]].isin(range(1, 6)).all().all()


def test_tied_values_share_a_score_so_one_time_buyers_are_not_split():
    out = rfm_table(ibis.memtable(_features())).execute()
    one_timers = out[out.customer_id < "c040"]
    assert one_timers.f_score.nunique() == 1 and one_timers.f_score.iloc[0] == 1


def test_scores_split_distinct_values_into_fifths():
    out = rfm_table(ibis.memtable(_features())).execute()
    assert out.m_score.value_counts().sort_index().tolist() == [20, 20, 20, 20, 20]


def test_custom_rules_replace_the_defaults():
    rules = (("everyone", (1, 5), (1, 5)),)
    out = rfm_table(ibis.memtable(_features()), rules=rules).execute()
    assert set(out.segment) == {"everyone"}
