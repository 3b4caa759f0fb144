"""Who is about to churn and who is already gone, judged by each customer's own buying rhythm.

Definitions (thresholds are data below, overridable by argument)
    expected gap    the customer's own mean days between purchase days, shrunk towards the shop's
                    typical gap (the median of customers' mean gaps) with PRIOR_GAPS pseudo-gaps, so
                    one or two gaps don't decide alone; customers with one purchase day get the
                    typical gap.
    lapsed          already gone: no order for more than LAPSED_GAPS × their expected gap (and at
                    least the churn horizon), or, for repeat buyers, BG/NBD P(alive) below
                    LAPSED_P_ALIVE. Answered by "who have we already lost?" (churn_risk = lapsed).
    high            about to churn: still a customer (not lapsed) and either likely to leave
                    (P(churn) at or above the high band) or overdue against their own rhythm (no
                    order for OVERDUE_GAPS × their expected gap).
    medium, low     still a customer, P(churn) in the medium band or below it.
    value at risk   value if retained (12-month value of a customer who stays) × P(churn): what
                    the shop expects to lose. "About to churn" lists are ranked by it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tools.errors import TierwiseError

RISK_LEVELS = ("high", "medium", "low", "lapsed")
LAPSED_GAPS = 4.0
LAPSED_P_ALIVE = 0.1
OVERDUE_GAPS = 1.5
PRIOR_GAPS = 2.0


def typical_gap_days(gap_mean_days: np.ndarray, default: float) -> float:
    """The shop's typical days between purchase days: the median of the repeat buyers' mean gaps."""
    gaps = np.asarray(gap_mean_days, dtype=float)
    gaps = gaps[np.isfinite(gaps) & (gaps > 0)]
    return float(np.median(gaps)) if len(gaps) else float(default)


def expected_gap_days(frequency: np.ndarray, gap_mean_days: np.ndarray, typical: float,
                      *, prior_gaps: float = PRIOR_GAPS) -> np.ndarray:
    """Each customer's expected days between orders: their own mean gap shrunk towards the typical one."""
    n = np.asarray(frequency, dtype=float)
    own = np.nan_to_num(np.asarray(gap_mean_days, dtype=float), nan=typical)
    return np.where(n > 0, (n * own + prior_gaps * typical) / (n + prior_gaps), typical)


def churn_status(frame: pd.DataFrame, probability: np.ndarray, horizon_days: int, bands: dict[str, float], *,
                 lapsed_gaps: float = LAPSED_GAPS, lapsed_p_alive: float = LAPSED_P_ALIVE,
                 overdue_gaps: float = OVERDUE_GAPS) -> pd.DataFrame:
    """Per row of `frame` (frequency, gap_mean_days, recency_days and optionally bgnbd_p_alive):
    `churn_risk` (high / medium / low / lapsed), `expected_gap_days` and `overdue_ratio`."""
    code, gap, ratio = churn_status_codes(frame, probability, horizon_days, bands, lapsed_gaps=lapsed_gaps,
                                          lapsed_p_alive=lapsed_p_alive, overdue_gaps=overdue_gaps)
    return pd.DataFrame({"churn_risk": np.asarray(RISK_LEVELS)[code], "expected_gap_days": gap, "overdue_ratio": ratio},
                        index=frame.index)


def churn_status_codes(frame: pd.DataFrame, probability: np.ndarray, horizon_days: int, bands: dict[str, float], *,
                       lapsed_gaps: float = LAPSED_GAPS, lapsed_p_alive: float = LAPSED_P_ALIVE,
                       overdue_gaps: float = OVERDUE_GAPS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """churn_status as arrays: each row's risk as its position in RISK_LEVELS, expected gap and overdue ratio (a
    million risk labels made as text cost more than the rules)."""
    if not (1 < overdue_gaps < lapsed_gaps):
        raise TierwiseError(f"Overdue must come before lapsed: need 1 < overdue_gaps < lapsed_gaps; got "
                            f"overdue_gaps={overdue_gaps}, lapsed_gaps={lapsed_gaps}.")
    frequency = frame["frequency"].to_numpy(dtype=float)
    recency = frame["recency_days"].to_numpy(dtype=float)
    typical = typical_gap_days(frame["gap_mean_days"].to_numpy(dtype=float), horizon_days)
    gap = expected_gap_days(frequency, frame["gap_mean_days"].to_numpy(dtype=float), typical)
    ratio = recency / np.maximum(gap, 1.0)
    p_alive = (frame["bgnbd_p_alive"].to_numpy(dtype=float) if "bgnbd_p_alive" in frame
               else np.full(len(frame), np.nan))
    lapsed = (recency > np.maximum(lapsed_gaps * gap, horizon_days)) | (
        (frequency > 0) & (np.nan_to_num(p_alive, nan=1.0) < lapsed_p_alive))
    probability = np.asarray(probability, dtype=float)
    high = (probability >= bands["high"]) | (ratio >= overdue_gaps)
    level = {name: i for i, name in enumerate(RISK_LEVELS)}
    code = np.select([lapsed, high, probability >= bands["medium"]], [level["lapsed"], level["high"], level["medium"]],
                     default=level["low"]).astype(np.int8)
    return code, gap, ratio


def value_at_risk(retained_value: np.ndarray, probability: np.ndarray) -> np.ndarray:
    """What the shop expects to lose over the value horizon: value if retained × P(churn)."""
    return np.nan_to_num(np.asarray(retained_value, dtype=float)) * np.asarray(probability, dtype=float)
