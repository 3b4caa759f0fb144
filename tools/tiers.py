"""Value tiers high / mid / low by predicted 12-month value (top 20% / next 30% / rest by default)."""

from __future__ import annotations

from typing import Literal

import ibis

Tier = Literal["high", "mid", "low"]
TIERS: tuple[Tier, ...] = ("high", "mid", "low")
DEFAULT_SHARES = {"high": 0.2, "mid": 0.3}


def tier_table(scores: ibis.Table, *, value: str = "clv_12m", high_share: float = DEFAULT_SHARES["high"],
               mid_share: float = DEFAULT_SHARES["mid"]) -> ibis.Table:
    """Add `value_rank_share` (share of customers valued at least as much) and `tier`."""
    if not (0 < high_share < 1 and 0 <= mid_share < 1 and high_share + mid_share <= 1):
        raise ValueError(
            f"Tier shares must be between 0 and 1 and add up to at most 1; got high={high_share}, mid={mid_share}."
        )
    # Rank by value, highest first; customers with equal value share a tier.
    share = ibis.cume_dist().over(order_by=ibis.desc(scores[value]))
    ranked = scores.mutate(value_rank_share=share)
    return ranked.mutate(tier=ibis.cases(
        (ranked.value_rank_share <= high_share, "high"),
        (ranked.value_rank_share <= high_share + mid_share, "mid"),
        else_="low",
    ))
