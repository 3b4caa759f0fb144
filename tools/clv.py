"""Customer lifetime value: BG/NBD purchase model and Gamma-Gamma spend model, fitted by maximum likelihood.

Vocabulary (one row per customer, the same as lifetimes / pymc-marketing):
``frequency`` x (repeat purchase days), ``recency`` t_x (last - first purchase day),
``T`` (as-of - first purchase day), ``monetary_value`` (mean spend per repeat purchase day).
Times are in the model's ``time_unit`` ("weeks" by default: days / 7), and every horizon a
method takes is in that same unit.

References:
- Fader, Hardie & Lee (2005), "Counting your customers the easy way: an alternative to the
  Pareto/NBD model", Marketing Science 24(2); the likelihood is eq. (6), the conditional
  expectation eq. (10), P(alive) from the technical note "Computing P(alive) using the BG/NBD".
- Fader & Hardie (2013), "The Gamma-Gamma model of monetary value".
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

from tools.errors import TierwiseError

TimeUnit = Literal["days", "weeks"]
TIME_UNITS: dict[str, float] = {"days": 1.0, "weeks": 7.0}  # days per unit
DAYS_PER_YEAR = 365.25
NEXT_PURCHASE_GRID = 2048  # points of the grid that brackets each customer's next purchase time
DISTINCT_FROM = 4096  # customers from which expectations are computed once per distinct (x, T)

SUMMARY_COLUMNS = ("frequency", "recency", "T", "monetary_value")


class CLVError(TierwiseError, ValueError):
    """A CLV model was used before fitting or given data it cannot use."""


def days_to_unit(days, time_unit: TimeUnit = "weeks"):
    """Convert a number of days into the model's time unit (e.g. a 90-day horizon into weeks)."""
    return np.asarray(days, dtype=float) / _days_per_unit(time_unit)


def _days_per_unit(time_unit: str) -> float:
    if time_unit not in TIME_UNITS:
        raise CLVError(f"Unknown time unit {time_unit!r}; choose one of {', '.join(TIME_UNITS)}.")
    return TIME_UNITS[time_unit]


def _column(data, name: str, value) -> np.ndarray:
    """Take `name` from a summary DataFrame when one is passed first, else use the array given."""
    if isinstance(data, pd.DataFrame):
        if name not in data.columns:
            raise CLVError(f"The customer summary has no {name!r} column; it needs "
                           f"{', '.join(SUMMARY_COLUMNS)}.")
        return data[name].to_numpy(dtype=float)
    if value is None:
        raise CLVError(f"Pass {name!r} (one value per customer) or a summary DataFrame with it.")
    return np.asarray(value, dtype=float)


def _rfm_arrays(frequency, recency, T) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = _column(frequency, "frequency", frequency)
    t_x = _column(frequency, "recency", recency)
    T_ = _column(frequency, "T", T)
    x, t_x, T_ = np.broadcast_arrays(x, t_x, T_)
    if not (np.isfinite(x).all() and np.isfinite(t_x).all() and np.isfinite(T_).all()):
        raise CLVError("frequency, recency and T must be finite numbers (found NaN or inf).")
    if (x < 0).any() or (np.abs(x - np.round(x)) > 1e-9).any():
        raise CLVError("frequency must be a whole number of repeat purchases, 0 or more.")
    if (t_x < 0).any():
        raise CLVError("recency must be 0 or more (time from first to last purchase).")
    if (t_x > T_ * (1 + 1e-9) + 1e-12).any():
        raise CLVError("recency cannot exceed T: the last purchase must be on or before the as-of date.")
    if ((x == 0) & (t_x > 0)).any():
        raise CLVError("recency must be 0 for customers with frequency 0 (no repeat purchase).")
    return np.round(x), t_x, T_


# ----------------------------------------------------------------------------- BG/NBD


class _BGNBDData:
    """Fitting data with each special function's argument reduced to its distinct values.

    Special functions (digamma, betaln, log) dominate the cost; x, t_x and T each take few
    distinct values (whole purchase counts, whole days), so they are evaluated on those and
    gathered back, leaving only cheap arithmetic per row.
    """

    def __init__(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, w: np.ndarray):
        self.w = w
        self.ux, self.ix = np.unique(x, return_inverse=True)
        self.ut, self.it = np.unique(t_x, return_inverse=True)
        self.uT, self.iT = np.unique(T, return_inverse=True)


def _bgnbd_loglik_and_grad(log_params: np.ndarray, d: _BGNBDData):
    """Weighted BG/NBD log-likelihood (FHL 2005 eq. 6) and its gradient in log-parameters.

    ll = ln Γ(r+x) − ln Γ(r) + r ln α − ln B(a,b)
         + logaddexp( ln B(a, b+x) − (r+x) ln(α+T),
                      [x>0] ln B(a+1, b+x−1) − (r+x) ln(α+t_x) )
    """
    r, alpha, a, b = np.exp(log_params)
    ux, ix, w = d.ux, d.ix, d.w
    ux_safe = np.where(ux > 0, ux, 1.0)  # keeps b+x-1 > 0 where the second term is masked out
    # Special functions on distinct x, T and t_x only, gathered back per row.
    rx = r + ux
    beta1 = betaln(a, b + ux)
    beta2 = np.where(ux > 0, betaln(a + 1, b + ux_safe - 1), -np.inf)
    log_aT, log_atx = np.log(alpha + d.uT)[d.iT], np.log(alpha + d.ut)[d.it]
    rx_row = rx[ix]
    u1 = beta1[ix] - rx_row * log_aT
    u2 = beta2[ix] - rx_row * log_atx
    lse = np.logaddexp(u1, u2)
    const_x = gammaln(rx) - gammaln(r) + r * math.log(alpha) - betaln(a, b)
    ll = float(np.dot(w, const_x[ix] + lse))
    w1 = np.exp(u1 - lse)  # share of the "still alive at T" branch
    w2 = 1.0 - w1
    psi_abx = digamma(a + b + ux)
    inv_aT, inv_atx = (1.0 / (alpha + d.uT))[d.iT], (1.0 / (alpha + d.ut))[d.it]
    ww1, ww2 = w * w1, w * w2
    # Sums of per-x terms are taken once per distinct x via bincount.
    sw = np.bincount(ix, weights=w, minlength=ux.size)
    sw1 = np.bincount(ix, weights=ww1, minlength=ux.size)
    sw2 = sw - sw1
    d_r = (np.dot(sw, digamma(rx) - digamma(r) + math.log(alpha))
           - np.dot(ww1, log_aT) - np.dot(ww2, log_atx))
    d_alpha = r / alpha * sw.sum() - np.dot(rx_row, ww1 * inv_aT + ww2 * inv_atx)
    d_a = (-(digamma(a) - digamma(a + b)) * sw.sum() + np.dot(sw1, digamma(a) - psi_abx)
           + np.dot(sw2, digamma(a + 1) - psi_abx))
    d_b = (-(digamma(b) - digamma(a + b)) * sw.sum() + np.dot(sw1, digamma(b + ux) - psi_abx)
           + np.dot(sw2, np.where(ux > 0, digamma(b + ux_safe - 1) - psi_abx, 0.0)))
    g = np.array([d_r * r, d_alpha * alpha, d_a * a, d_b * b])
    return ll, g


def _aggregate(columns: dict[str, np.ndarray], weights) -> tuple[list[np.ndarray], np.ndarray]:
    """Collapse identical rows into one row with a weight: CDNOW-like data repeats a lot."""
    frame = pd.DataFrame(columns)
    frame["_w"] = 1.0 if weights is None else np.asarray(weights, dtype=float)
    if (frame["_w"] < 0).any() or not np.isfinite(frame["_w"]).all():
        raise CLVError("weights must be finite and 0 or more.")
    grouped = frame.groupby(list(columns), sort=False, as_index=False)["_w"].sum()
    grouped = grouped[grouped["_w"] > 0]
    return [grouped[c].to_numpy(dtype=float) for c in columns], grouped["_w"].to_numpy(dtype=float)


MAX_BETA_PARAM = 100.0  # a, b of BG/NBD's dropout Beta; beyond this the data can't tell them apart
# Every parameter lives in a box (log space): at the edges the data can't tell values apart (no
# spread in purchase rates sends r and α to infinity together), and predictions stay finite there.
MIN_PARAM, MAX_SHAPE, MAX_SCALE = 1e-4, 1e4, 1e8
MAX_ITERATIONS = 500       # L-BFGS-B steps; a fit that needs more is reported, not ground on
GRADIENT_TOLERANCE = 1e-5  # per-customer log-likelihood gradient at which a stopped fit counts as converged


def _maximize(loglik_and_grad, start: np.ndarray, n_weight: float, bounds):
    """Maximize a log-likelihood over log-parameters with L-BFGS-B and the analytic gradient, in at
    most MAX_ITERATIONS steps. Returns scipy's result with `converged`: scipy's own success, or a
    line search that stopped where the projected gradient is already flat (float noise at the optimum)."""

    def objective(theta):
        ll, g = loglik_and_grad(theta)
        if not np.isfinite(ll) or not np.isfinite(g).all():
            return 1e10, np.zeros_like(theta)
        return -ll / n_weight, -g / n_weight  # per-customer scale keeps tolerances meaningful

    start = np.clip(start, [lo for lo, _ in bounds], [hi for _, hi in bounds])
    res = minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds,
                   options={"maxiter": MAX_ITERATIONS, "ftol": 1e-13, "gtol": 1e-8})
    _, g = objective(res.x)
    lo, hi = np.array(bounds).T
    # at a bound, only a gradient pointing back inside counts
    projected = np.where((res.x <= lo + 1e-9) & (g > 0), 0.0, np.where((res.x >= hi - 1e-9) & (g < 0), 0.0, g))
    res.converged = bool(res.success or np.abs(projected).max() < GRADIENT_TOLERANCE)
    return res


def _bgnbd_start(x: np.ndarray, t_x: np.ndarray, T: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Method-of-moments start (log r, log α, log a, log b): purchase rates x/T across customers,
    less their Poisson noise, give the Gamma's mean r/α and variance r/α²; dropout starts at
    a mean of 1/4 per purchase (a=1, b=3)."""
    span = np.maximum(T, 1e-9)
    rate = x / span
    mean = float(np.average(rate, weights=w))
    noise = float(np.average(rate / span, weights=w))  # E[Var(x/T | λ)] = E[λ/T]
    spread = float(np.average((rate - mean) ** 2, weights=w)) - noise
    mean = max(mean, 1e-6)
    r = mean * mean / spread if spread > 0 else 10.0
    r = float(np.clip(r, 0.05, 10.0))
    return np.log([r, r / mean, 1.0, 3.0])


def _gg_start(x: np.ndarray, m: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Method-of-moments start (log p, log q, log γ). With ν ~ Gamma(q, γ) and z ~ Gamma(p, ν):
    E[m̄] = pγ/(q−1) and Var(m̄ | x) = A/x + B with A = pγ²/((q−1)(q−2)), B = p²γ²/((q−1)²(q−2)),
    so a weighted fit of the spread of mean spends against 1/x gives q = 2 + E[m̄]²/B and p = (q−1)B/A."""
    mean = float(np.average(m, weights=w))
    fallback = np.log([4.0, 3.0, mean * 2.0 / 4.0])
    groups = pd.DataFrame({"x": x, "m": m, "w": w})
    groups["wm"], groups["wm2"] = groups["w"] * groups["m"], groups["w"] * groups["m"] ** 2
    by_x = groups.groupby("x")[["w", "wm", "wm2"]].sum()
    by_x = by_x[by_x["w"] >= 2]
    if len(by_x) < 2:
        return fallback
    variance = (by_x["wm2"] / by_x["w"] - (by_x["wm"] / by_x["w"]) ** 2).to_numpy()
    design = np.column_stack([1.0 / by_x.index.to_numpy(dtype=float), np.ones(len(by_x))])
    weight = np.sqrt(by_x["w"].to_numpy())
    (A, B), *_ = np.linalg.lstsq(design * weight[:, None], variance * weight, rcond=None)
    if not (A > 0 and B > 0):
        return fallback
    q = 2.0 + mean * mean / B
    p = (q - 1.0) * B / A
    gamma = mean * (q - 1.0) / p
    start = np.array([p, q, gamma])
    return np.log(start) if np.isfinite(start).all() and (start > 0).all() else fallback


class BetaGeoModel:
    """BG/NBD: customers buy at a Poisson rate λ ~ Gamma(r, α) and, after each repeat purchase,
    drop out for good with probability p ~ Beta(a, b).

    ``time_unit`` names the unit of recency, T and every horizon ("weeks" keeps α near 1-10,
    which is better conditioned; "days" gives α seven times larger and the same predictions).
    """

    def __init__(self, *, time_unit: TimeUnit = "weeks"):
        _days_per_unit(time_unit)
        self.time_unit = time_unit

    # -- fitting
    def fit(self, frequency, recency=None, T=None, *, weights=None) -> "BetaGeoModel":
        """Fit r, α, a, b by maximum likelihood; ``frequency`` may be a summary DataFrame."""
        x, t_x, T_ = _rfm_arrays(frequency, recency, T)
        if x.size == 0:
            raise CLVError("The BG/NBD model needs at least one customer to fit.")
        if weights is not None and np.shape(weights) != x.shape:
            raise CLVError("weights must have one value per customer.")
        (x, t_x, T_), w = _aggregate({"x": x, "t_x": t_x, "T": T_}, weights)
        if not (w[x > 0].sum() > 0):
            raise CLVError("The BG/NBD model needs some customers with a repeat purchase "
                           "(frequency > 0); none were found.")
        n = float(w.sum())
        start = _bgnbd_start(x, t_x, T_, w)
        data = _BGNBDData(x, t_x, T_, w)
        # With little dropout information a and b run off together towards infinity (only their
        # ratio is identified), which overflows the forecasts; capping them keeps the same ratio.
        low, cap = math.log(MIN_PARAM), math.log(MAX_BETA_PARAM)
        bounds = [(low, math.log(MAX_SHAPE)), (low, math.log(MAX_SCALE)), (low, cap), (low, cap)]
        res = _maximize(lambda th: _bgnbd_loglik_and_grad(th, data), start, n, bounds)
        self.r_, self.alpha_, self.a_, self.b_ = (float(v) for v in np.exp(res.x))
        self.log_likelihood_ = float(-res.fun * n)
        self.converged_ = res.converged
        self.iterations_, self.fit_message_ = int(res.nit), str(res.message)
        self.n_customers_ = n
        self.n_unique_rows_ = int(x.size)
        return self

    def _require_fit(self, what: str) -> None:
        if not hasattr(self, "r_"):
            raise CLVError(f"Fit the BG/NBD model before asking for {what}.")

    def params(self) -> dict:
        """Fitted parameters and fit quality, as plain numbers (for model cards and reports)."""
        self._require_fit("its parameters")
        return {"r": self.r_, "alpha": self.alpha_, "a": self.a_, "b": self.b_,
                "log_likelihood": self.log_likelihood_, "time_unit": self.time_unit,
                "converged": self.converged_, "iterations": self.iterations_, "n_customers": self.n_customers_}

    # -- predictions
    def _log_odds_dead(self, x, t_x, T):
        """ln of P(dead)/P(alive) given (x, t_x, T); −inf for customers without a repeat purchase."""
        r, alpha, a, b = self.r_, self.alpha_, self.a_, self.b_
        x_safe = np.where(x > 0, x, 1.0)
        z = (np.log(a) - np.log(b + x_safe - 1)
             + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x)))
        return np.where(x > 0, z, -np.inf)

    def probability_alive(self, frequency, recency=None, T=None) -> np.ndarray:
        """P(customer still active at T | x, t_x, T); 1 for customers with no repeat purchase."""
        self._require_fit("probabilities")
        x, t_x, T_ = _rfm_arrays(frequency, recency, T)
        return np.clip(expit(-self._log_odds_dead(x, t_x, T_)), 0.0, 1.0)

    def _conditional_expectation(self, t, x, t_x, T, *, given_alive: bool = False):
        a, b = self.a_, self.b_
        if abs(a - 1.0) < 1e-7:  # the closed form is 0/0 at a = 1; its limit is continuous
            a = 1.0 + 1e-7
        t = np.asarray(t, dtype=float)
        tail = self._tail(t, x, T, a)
        alive = 1.0 if given_alive else expit(-self._log_odds_dead(x, t_x, T))
        out = (a + b + x - 1.0) / (a - 1.0) * (1.0 - tail) * alive
        return np.where(t > 0, np.maximum(out, 0.0), 0.0)

    def _tail(self, t: np.ndarray, x, T, a: float) -> np.ndarray:
        """(1−z)^(a−1) · 2F1(a+b−1−r, a−1; a+b+x−1; z) with z = t / (α+T+t). FHL eq. 10 holds
        ((α+T)/(α+T+t))^(r+x) · 2F1(r+x, b+x; a+b+x−1; z); Euler's transform turns it into this, whose parameters
        no longer grow with x, so heavy buyers don't overflow or lose precision. It depends on x and T alone: for one
        horizon and many customers it is computed once per distinct (x, T) (a million customers have some tens of
        thousands), the same values."""
        r, alpha, b = self.r_, self.alpha_, self.b_
        x, T = np.asarray(x, dtype=float), np.asarray(T, dtype=float)
        if t.ndim == 0 and x.shape == T.shape and x.size >= DISTINCT_FROM:
            (ux, uT), inverse = _distinct_rows(x.ravel(), T.ravel())
            if ux.size < x.size // 2:
                return self._tail(t, ux, uT, a)[inverse].reshape(x.shape)
        z = t / (alpha + T + t)
        return np.power(1.0 - z, a - 1.0) * hyp2f1(a + b - 1.0 - r, a - 1.0, a + b + x - 1.0, z)

    def expected_purchases(self, t, frequency, recency=None, T=None) -> np.ndarray:
        """Expected repeat purchases in (T, T+t] given each customer's history (t in the model's unit)."""
        self._require_fit("expected purchases")
        x, t_x, T_ = _rfm_arrays(frequency, recency, T)
        if (np.asarray(t) < 0).any():
            raise CLVError("The horizon t must be 0 or more.")
        return self._conditional_expectation(t, x, t_x, T_)

    def expected_purchases_if_alive(self, t, frequency, recency=None, T=None) -> np.ndarray:
        """Expected repeat purchases in (T, T+t] for a customer who is still active at T: what they
        are worth if retained (expected_purchases = this × P(alive))."""
        self._require_fit("expected purchases")
        x, t_x, T_ = _rfm_arrays(frequency, recency, T)
        if (np.asarray(t) < 0).any():
            raise CLVError("The horizon t must be 0 or more.")
        return self._conditional_expectation(t, x, t_x, T_, given_alive=True)

    def expected_purchases_new(self, t) -> np.ndarray:
        """Expected repeat purchases in the first t time units of a brand-new customer (E[X(t)])."""
        self._require_fit("expected purchases")
        t = np.asarray(t, dtype=float)
        if (t < 0).any():
            raise CLVError("The horizon t must be 0 or more.")
        zero = np.zeros_like(t)
        return self._conditional_expectation(t, zero, zero, zero)

    def expected_next_purchase_in(self, frequency, recency=None, T=None, *,
                                  within: float | None = None) -> np.ndarray:
        """Time from T until the customer is expected to have bought once more: the smallest t with
        E[purchases in (T, T+t]] = 1. That folds in both the purchase rate and P(alive), so a
        probably-lapsed customer gets a later date. inf when the expectation does not reach 1
        within ``within`` (default 5 years in the model's unit): treat them as practically gone.
        """
        self._require_fit("the next purchase time")
        x, t_x, T_ = _rfm_arrays(frequency, recency, T)
        if within is None:
            within = 5 * DAYS_PER_YEAR / _days_per_unit(self.time_unit)
        tolerance = 0.01 / _days_per_unit(self.time_unit)  # a hundredth of a day is plenty
        # Solve once per distinct (x, t_x, T), then map back (a sort of the three columns finds them)
        (ux, utx, uT), inverse = _distinct_rows(x.ravel(), t_x.ravel(), T_.ravel())
        answer = np.full(ux.shape, np.inf)
        at_within = self._conditional_expectation(within, ux, utx, uT)
        reaches = at_within >= 1.0
        ux, utx, uT = ux[reaches], utx[reaches], uT[reaches]
        lo, hi, at_lo, at_hi = self._next_purchase_bracket(ux, utx, uT, float(within), at_within[reaches])

        def reached(t, rows):
            return self._conditional_expectation(t, ux[rows], utx[rows], uT[rows]) >= 1.0

        # a straight line through the bracket's ends is usually within a hundredth of a day of the answer:
        # checked half a tolerance either side; rows where it is not are bisected in their bracket
        with np.errstate(divide="ignore", invalid="ignore"):
            guess = lo + (hi - lo) * (1.0 - at_lo) / (at_hi - at_lo)
        rows = np.flatnonzero(np.isfinite(guess))
        above = np.minimum(guess[rows] + 0.5 * tolerance, within)
        done = reached(above, rows) & ~reached(np.maximum(above - tolerance, 0.0), rows)
        found = np.full(ux.shape, np.nan)
        found[rows[done]] = above[done]
        rows = np.flatnonzero(np.isnan(found))
        lo, hi = lo[rows], hi[rows]
        while len(rows) and (hi - lo).max() > tolerance:
            mid = 0.5 * (lo + hi)
            up = reached(mid, rows)
            hi, lo = np.where(up, mid, hi), np.where(up, lo, mid)
        found[rows] = hi
        answer[reaches] = found
        return answer[inverse].reshape(x.shape)

    def _next_purchase_bracket(self, x, t_x, T, within: float, at_within: np.ndarray,
                               points: int = NEXT_PURCHASE_GRID) -> tuple[np.ndarray, ...]:
        """For each customer (who reaches one expected purchase by `within`, where they expect `at_within`), times
        lo < t ≤ hi around the time they do and the expected purchases there, from a grid. The expected purchases
        are P(alive) × c(x) × (1 − tail(z)) with z = t / (α + T + t): the shape depends on x alone, so one grid of
        z per distinct x serves everyone, and its values are exact at the grid's times."""
        r, alpha, a, b = self.r_, self.alpha_, self.a_, self.b_
        if abs(a - 1.0) < 1e-7:
            a = 1.0 + 1e-7
        alive = expit(-self._log_odds_dead(x, t_x, T))
        lo, hi = np.zeros_like(T), np.full_like(T, within)
        at_lo, at_hi = np.zeros_like(T), np.asarray(at_within, dtype=float).copy()
        # grid in s = t / (α + T) = z / (1 − z), denser near 0 where most answers are
        s_max = within / (alpha + T.min()) if len(T) else 1.0
        s = np.concatenate([[0.0], np.geomspace(s_max * 1e-6, s_max, points - 1)])
        z = s / (1.0 + s)
        for value in np.unique(x):
            rows = np.flatnonzero(x == value)
            shape = (a + b + value - 1.0) / (a - 1.0) * (
                1.0 - np.power(1.0 - z, a - 1.0) * hyp2f1(a + b - 1.0 - r, a - 1.0, a + b + value - 1.0, z))
            need = 1.0 / np.maximum(alive[rows], 1e-300)  # expected purchases reach 1 where shape reaches this
            k = np.clip(np.searchsorted(np.maximum.accumulate(shape), need, side="left"), 1, points - 1)
            scale = alpha + T[rows]
            lo[rows], hi[rows] = s[k - 1] * scale, s[k] * scale
            at_lo[rows], at_hi[rows] = alive[rows] * shape[k - 1], alive[rows] * shape[k]
        beyond = hi > within  # the grid's point past `within`: `within` itself brackets the answer
        hi[beyond], at_hi[beyond] = within, at_within[beyond]
        # a bracket the grid got wrong (rounding at its ends) falls back to the whole range
        wrong = (lo >= hi) | (at_lo >= 1.0) | (at_hi < 1.0)
        lo[wrong], hi[wrong], at_lo[wrong], at_hi[wrong] = 0.0, within, 0.0, at_within[wrong]
        return lo, hi, at_lo, at_hi


def _distinct_rows(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """The distinct rows of equal-length float columns (as columns, in order of first appearance) and each row's
    index into them. Each column's values are numbered by hashing (a million customers have few distinct
    frequencies, ages or recencies), and a row is the one number their numbers make; no sort."""
    if not len(columns[0]):
        return [np.asarray(c, dtype=float)[:0] for c in columns], np.zeros(0, dtype=np.intp)
    numbered = [pd.factorize(np.asarray(c, dtype=float).ravel(), use_na_sentinel=False) for c in columns]
    sizes = [len(values) for _, values in numbered]
    if math.prod(sizes) >= 2 ** 62:  # too many to number as one: sort the rows instead
        columns = [np.asarray(c, dtype=float).ravel() for c in columns]
        order = np.lexsort(columns[::-1])
        ordered = [c[order] for c in columns]
        new = np.ones(len(order), dtype=bool)
        new[1:] = np.any([c[1:] != c[:-1] for c in ordered], axis=0)
        inverse = np.empty(len(order), dtype=np.intp)
        inverse[order] = np.cumsum(new) - 1
        return [c[new] for c in ordered], inverse
    key = numbered[0][0].astype(np.int64)
    for (codes, _), size in zip(numbered[1:], sizes[1:]):
        key = key * size + codes
    inverse, keys = pd.factorize(key)
    out = []
    for (_, values), size in zip(reversed(numbered), reversed(sizes)):
        out.append(np.asarray(values, dtype=float)[keys % size])
        keys = keys // size
    return out[::-1], inverse.astype(np.intp, copy=False)


# ----------------------------------------------------------------------------- Gamma-Gamma


def _weighted_correlation(u: np.ndarray, v: np.ndarray, w: np.ndarray) -> float:
    du, dv = u - np.average(u, weights=w), v - np.average(v, weights=w)
    denom = math.sqrt(np.dot(w, du * du) * np.dot(w, dv * dv))
    return float(np.dot(w, du * dv) / denom) if denom > 0 else float("nan")


class _GGData:
    """Fitting data with the parameter-free pieces (logs, distinct x) computed once."""

    def __init__(self, x: np.ndarray, m: np.ndarray, w: np.ndarray):
        self.x, self.m, self.w = x, m, w
        self.ux, self.ix = np.unique(x, return_inverse=True)
        self.sw = np.bincount(self.ix, weights=w, minlength=self.ux.size)
        self.log_mx = np.log(m) + np.log(x)
        self.w_log_m = float(np.dot(w, np.log(m)))


def _gg_loglik_and_grad(log_params: np.ndarray, d: _GGData):
    """Weighted Gamma-Gamma log-likelihood of mean spends m over x transactions (Fader & Hardie 2013).

    ll = ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln γ + (px−1) ln m + px ln x − (px+q) ln(γ + x m)
    """
    p, q, gam = np.exp(log_params)
    x, m, w, ux, sw = d.x, d.m, d.w, d.ux, d.sw
    pux = p * ux  # gammaln/digamma once per distinct x
    px = pux[d.ix]
    log_gxm = np.log(gam + x * m)
    ll = (np.dot(sw, gammaln(pux + q) - gammaln(pux) - gammaln(q) + q * math.log(gam))
          + np.dot(w, px * (d.log_mx - log_gxm) - q * log_gxm) - d.w_log_m)
    d_p = (np.dot(sw, ux * (digamma(pux + q) - digamma(pux)))
           + np.dot(w, x * (d.log_mx - log_gxm)))
    d_q = np.dot(sw, digamma(pux + q) - digamma(q) + math.log(gam)) - np.dot(w, log_gxm)
    d_g = q / gam * sw.sum() - np.dot(w, (px + q) / (gam + x * m))
    return float(ll), np.array([d_p * p, d_q * q, d_g * gam])


class GammaGammaModel:
    """Gamma-Gamma: each transaction's spend ~ Gamma(p, ν) with ν ~ Gamma(q, γ) across customers.

    Only customers with a repeat purchase (frequency > 0) and a positive mean spend inform the fit.
    Outliers: ``cap_quantile`` (e.g. 0.99) clips mean spends at that quantile of the fitting
    customers before fitting and when predicting, so a handful of wholesale-sized baskets cannot
    drag q towards 1 (where the population mean explodes). Off by default, as in the paper.
    """

    def __init__(self, *, cap_quantile: float | None = None):
        if cap_quantile is not None and not 0.5 <= cap_quantile <= 1.0:
            raise CLVError("cap_quantile must be between 0.5 and 1 (e.g. 0.99), or None for no cap.")
        self.cap_quantile = cap_quantile

    def _require_fit(self, what: str) -> None:
        if not hasattr(self, "p_"):
            raise CLVError(f"Fit the Gamma-Gamma model before asking for {what}.")

    def fit(self, frequency, monetary_value=None) -> "GammaGammaModel":
        """Fit p, q, γ by maximum likelihood on customers with frequency > 0 and spend > 0."""
        x = _column(frequency, "frequency", frequency)
        m = _column(frequency, "monetary_value", monetary_value)
        x, m = np.broadcast_arrays(x, m)
        if not (np.isfinite(x).all() and np.isfinite(m).all()):
            raise CLVError("frequency and monetary_value must be finite numbers (found NaN or inf).")
        if (m < 0).any():
            raise CLVError("monetary_value must be 0 or more; remove refunds before fitting.")
        usable = (x > 0) & (m > 0)
        # A zero mean spend (free items only) has zero density under a gamma model: left out, counted.
        self.n_zero_spend_excluded_ = int(((x > 0) & (m == 0)).sum())
        if usable.sum() < 2:
            raise CLVError("The Gamma-Gamma model needs customers with a repeat purchase and a "
                           f"positive spend; found {int(usable.sum())}.")
        x, m = x[usable], m[usable]
        self.cap_ = float(np.quantile(m, self.cap_quantile)) if self.cap_quantile else None
        if self.cap_ is not None:
            m = np.minimum(m, self.cap_)
        (x, m), w = _aggregate({"x": x, "m": m}, None)
        n = float(w.sum())
        start = _gg_start(x, m, w)
        data = _GGData(x, m, w)
        low = math.log(MIN_PARAM)
        bounds = [(low, math.log(MAX_SHAPE)), (low, math.log(MAX_SHAPE)), (low, math.log(MAX_SCALE * max(1.0, float(m.max()))))]
        res = _maximize(lambda th: _gg_loglik_and_grad(th, data), start, n, bounds)
        self.p_, self.q_, self.gamma_ = (float(v) for v in np.exp(res.x))
        self.log_likelihood_ = float(-res.fun * n)
        self.converged_ = res.converged
        self.iterations_, self.fit_message_ = int(res.nit), str(res.message)
        self.n_customers_ = n
        # The model assumes spend per transaction is independent of how often people buy.
        self.frequency_spend_correlation_ = _weighted_correlation(x, m, w)
        return self

    def params(self) -> dict:
        """Fitted parameters and fit details, as plain numbers."""
        self._require_fit("its parameters")
        return {"p": self.p_, "q": self.q_, "gamma": self.gamma_,
                "log_likelihood": self.log_likelihood_, "converged": self.converged_,
                "iterations": self.iterations_, "n_customers": self.n_customers_, "cap": self.cap_,
                "frequency_spend_correlation": self.frequency_spend_correlation_}

    def expected_spend(self, frequency, monetary_value=None) -> np.ndarray:
        """Expected mean spend per future transaction: a credibility blend of the customer's own
        mean and the population mean p·γ/(q−1), weighted by how many repeat purchases we saw."""
        self._require_fit("expected spend")
        x = _column(frequency, "frequency", frequency)
        m = _column(frequency, "monetary_value", monetary_value)
        x, m = np.broadcast_arrays(x, m)
        if self.q_ <= 1:
            raise CLVError(f"The fitted Gamma-Gamma q is {self.q_:.3g} (≤ 1), so average spend has no "
                           "finite mean; refit with cap_quantile=0.99 to tame outliers.")
        m = np.where(x > 0, m, 0.0)
        if self.cap_ is not None:
            m = np.minimum(m, self.cap_)
        p, q, gam = self.p_, self.q_, self.gamma_
        return (p * gam + p * x * m) / (p * x + q - 1.0)


# ----------------------------------------------------------------------------- value and summary


def customer_lifetime_value(bgnbd: BetaGeoModel, gg: GammaGammaModel, frequency, recency, T,
                            monetary_value, *, horizon: float, discount_rate: float = 0.0) -> np.ndarray:
    """Expected spend over the next ``horizon`` (the BG/NBD model's time unit): expected purchases
    × expected spend per purchase. ``discount_rate`` is annual (0.1 = 10 %/year); with it, each
    week's expected purchases are discounted to today by (1 + rate) ** years-from-now."""
    bgnbd._require_fit("customer lifetime value")
    gg._require_fit("customer lifetime value")
    if horizon < 0:
        raise CLVError("horizon must be 0 or more.")
    if discount_rate < 0:
        raise CLVError("discount_rate must be 0 or more (an annual rate such as 0.1).")
    x, t_x, T_ = _rfm_arrays(frequency, recency, T)
    spend = gg.expected_spend(x, np.broadcast_to(np.asarray(monetary_value, dtype=float), x.shape))
    if discount_rate == 0 or horizon == 0:
        return bgnbd._conditional_expectation(horizon, x, t_x, T_) * spend
    unit_days = _days_per_unit(bgnbd.time_unit)
    step = 7.0 / unit_days  # one week per step, in the model's unit
    edges = np.linspace(0.0, horizon, max(1, int(math.ceil(horizon / step))) + 1)
    keys = np.stack([x.ravel(), t_x.ravel(), T_.ravel()], axis=1)
    uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
    ux, utx, uT = uniq.T
    discounted, previous = np.zeros(len(uniq)), np.zeros(len(uniq))
    for end in edges[1:]:
        cumulative = bgnbd._conditional_expectation(end, ux, utx, uT)
        years = end * unit_days / DAYS_PER_YEAR
        discounted += (cumulative - previous) / (1.0 + discount_rate) ** years
        previous = cumulative
    return discounted[inverse.ravel()].reshape(x.shape) * spend


def summary_from_orders(orders: pd.DataFrame, as_of, *, time_unit: TimeUnit = "weeks") -> pd.DataFrame:
    """One row per customer (customer_id, frequency, recency, T, monetary_value) from orders
    (customer_id, order_date, amount) seen on or before ``as_of``. Orders on the same day are one
    transaction with their amounts summed; monetary_value is the mean over repeat days only."""
    days_per_unit = _days_per_unit(time_unit)
    missing = [c for c in ("customer_id", "order_date", "amount") if c not in orders.columns]
    if missing:
        raise CLVError(f"The orders table needs columns customer_id, order_date and amount; "
                       f"missing {', '.join(missing)}.")
    if pd.api.types.is_numeric_dtype(orders["order_date"]):
        raise CLVError("order_date holds numbers, not dates; parse it first "
                       "(e.g. pd.to_datetime(col.astype(str), format='%Y%m%d') for 19970101).")
    as_of = pd.Timestamp(as_of).normalize()
    frame = pd.DataFrame({
        "customer_id": orders["customer_id"].to_numpy(),
        "day": pd.to_datetime(orders["order_date"]).dt.normalize().to_numpy(),
        "amount": pd.to_numeric(orders["amount"]).to_numpy(dtype=float),
    })
    frame = frame[frame["day"] <= as_of]
    daily = frame.groupby(["customer_id", "day"], sort=True, as_index=False)["amount"].sum()
    per_customer = daily.groupby("customer_id", sort=True).agg(
        first=("day", "min"), last=("day", "max"), days=("day", "size"),
        total=("amount", "sum"), first_amount=("amount", "first"))
    frequency = per_customer["days"] - 1
    repeat_spend = per_customer["total"] - per_customer["first_amount"]
    return pd.DataFrame({
        "customer_id": per_customer.index.to_numpy(),
        "frequency": frequency.to_numpy(dtype=float),
        "recency": ((per_customer["last"] - per_customer["first"]).dt.days / days_per_unit).to_numpy(),
        "T": ((as_of - per_customer["first"]).dt.days / days_per_unit).to_numpy(),
        "monetary_value": np.where(frequency > 0, repeat_spend / frequency.clip(lower=1), 0.0),
    })
