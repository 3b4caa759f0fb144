"""Persona names read as who the customers are, and no two personas share one ('… (5)' is not a name)."""

import pandas as pd

from assistant.planning_compose import persona_name
from tools.personas import persona_names

TRAITS = ["share_ch_app", "share_ch_web", "orders", "distinct_categories", "recency_days"]


def deltas(*values: float) -> pd.Series:
    return pd.Series(values, index=TRAITS)


def test_each_persona_is_named_by_its_two_most_distinctive_traits():
    names = persona_names({0: deltas(2.0, -1.5, 0.1, 0.0, 0.0), 1: deltas(0.0, 0.1, 0.2, -0.3, 1.9)})
    assert names == {0: "App-first rarely-web customers", 1: "Lapsed single-category customers"}


def test_personas_that_would_share_a_name_are_told_apart_by_their_next_trait():
    names = persona_names({0: deltas(2.0, -1.5, 0.9, 0.1, 0.0), 1: deltas(1.9, -1.4, 0.1, -0.8, 0.0),
                           2: deltas(-1.0, 2.0, 0.0, 0.0, 0.5)})
    assert names[0] == "App-first rarely-web frequent customers"
    assert names[1] == "App-first rarely-web single-category customers"
    assert names[2] == "Web-first rarely-app customers"  # no clash: two traits
    assert not any("(" in name for name in names.values())


def test_a_three_trait_persona_has_a_chinese_name():
    assert persona_name("zh", "App-first rarely-web frequent customers") == "偏好 App、少用网页、常购的客户"
    assert persona_name("zh", "Recently active big-basket customers") == "近期活跃、大单的客户"
