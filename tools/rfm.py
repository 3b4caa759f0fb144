"""RFM scores and the eleven named segments, as an engine-neutral Ibis expression.

Scores are 1..5 from each customer's percent rank (ties share a score, so the many one-time
buyers all get F=1 rather than being split arbitrarily): score = 1 + floor(5 × percent_rank),
capped at 5. Recency ranks fewer days since the last order higher. The segment comes from the
recency score R and FM = round((F + M) / 2), matched against SEGMENT_RULES in order; the rules
are data and can be replaced by the caller.
"""

from __future__ import annotations

import ibis

# (segment, (min R, max R), (min FM, max FM)); the first matching rule wins.
SEGMENT_RULES: tuple[tuple[str, tuple[int, int], tuple[int, int]], ...] = (
    ("champions", (4, 5), (4, 5)),
    ("loyal", (3, 5), (3, 5)),
    ("potential_loyalist", (4, 5), (2, 2)),
    ("new_customers", (5, 5), (1, 1)),
    ("promising", (4, 4), (1, 1)),
    ("need_attention", (3, 3), (2, 2)),
    ("about_to_sleep", (3, 3), (1, 1)),
    ("cannot_lose", (1, 2), (5, 5)),
    ("at_risk", (1, 2), (3, 4)),
    ("hibernating", (2, 2), (1, 2)),
    ("lost", (1, 1), (1, 2)),
)
SEGMENTS = tuple(dict.fromkeys(name for name, _, _ in SEGMENT_RULES))
FALLBACK_SEGMENT = "need_attention"


def _score(column: ibis.Value) -> ibis.Value:
    pct = ibis.percent_rank().over(order_by=column)
    return ibis.least(5, (pct * 5).floor().cast("int64") + 1)


def rfm_table(features: ibis.Table, *, rules=SEGMENT_RULES) -> ibis.Table:
    """customer_id, r_score, f_score, m_score, fm_score, rfm_code and segment per customer."""
    scored = features.select(
        "customer_id",
        r_score=_score(-features.recency_days),
        f_score=_score(features.orders),
        m_score=_score(features.total_spend),
    )
    return name_segments(scored, rules=rules)


def name_segments(scored: ibis.Table, *, rules=SEGMENT_RULES) -> ibis.Table:
    """Add fm_score, rfm_code and segment to a table of r_score, f_score and m_score (1-5)."""
    fm = ((scored.f_score + scored.m_score + 1) / 2).floor().cast("int64")
    scored = scored.mutate(fm_score=fm)
    cases = [
        ((scored.r_score.between(*r)) & (scored.fm_score.between(*f)), name)
        for name, r, f in rules
    ]
    return scored.mutate(
        rfm_code=scored.r_score.cast("string") + scored.f_score.cast("string") + scored.m_score.cast("string"),
        segment=ibis.cases(*cases, else_=FALLBACK_SEGMENT),
    )
