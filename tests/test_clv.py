"""BG/NBD and Gamma-Gamma: published CDNOW estimates, the paper's formulas, and invariants."""

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import approx_fprime
from scipy.special import hyp2f1

from tools.clv import (
    BetaGeoModel,
    GammaGammaModel,
    customer_lifetime_value,
    days_to_unit,
    summary_from_orders,
)

CDNOW = Path(__file__).parents[1].parent / "shared/data/cdnow"
CALIBRATION_END = "1997-09-30"

requires_cdnow = pytest.mark.usefixtures("shared_data")


def _orders(raw: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": raw["customer_id"],
        "order_date": pd.to_datetime(raw["date"], format="%Y%m%d"),
        "amount": raw["dollars"],
    })


@pytest.fixture(scope="module")
def sample_orders() -> pd.DataFrame:
    raw = pd.read_csv(CDNOW / "CDNOW_sample.txt", sep=r"\s+", header=None,
                      names=["customer_id", "master_id", "date", "cds", "dollars"],
                      dtype={"customer_id": str, "date": str})
    return _orders(raw)


@pytest.fixture(scope="module")
def calibration(sample_orders) -> pd.DataFrame:
    return summary_from_orders(sample_orders, CALIBRATION_END, time_unit="weeks")


@pytest.fixture(scope="module")
def bgnbd(calibration) -> BetaGeoModel:
    return BetaGeoModel().fit(calibration["frequency"], calibration["recency"], calibration["T"])


@pytest.fixture(scope="module")
def gamma_gamma(calibration) -> GammaGammaModel:
    return GammaGammaModel().fit(calibration["frequency"], calibration["monetary_value"])


# ------------------------------------------------------------------ published values


@requires_cdnow
def test_bgnbd_params_are_close_to_the_published_cdnow_estimates(bgnbd):
    published = {"r": 0.2426, "alpha": 4.4136, "a": 0.7929, "b": 2.4259}
    fitted = bgnbd.params()
    for name, value in published.items():
        assert fitted[name] == pytest.approx(value, rel=0.01), name
    assert bgnbd.converged_


@requires_cdnow
def test_bgnbd_log_likelihood_matches_the_published_cdnow_value(bgnbd):
    assert bgnbd.log_likelihood_ == pytest.approx(-9582.43, abs=0.1)


@requires_cdnow
def test_gamma_gamma_params_are_close_to_the_published_cdnow_estimates(calibration, gamma_gamma):
    assert (calibration["frequency"] > 0).sum() == 946
    assert gamma_gamma.n_customers_ == 946
    published = {"p": 6.25, "q": 3.74, "gamma": 15.44}
    fitted = gamma_gamma.params()
    for name, value in published.items():
        assert fitted[name] == pytest.approx(value, rel=0.02), name


@requires_cdnow
def test_holdout_purchases_match_the_published_forecast_which_under_predicts_cdnow(
        sample_orders, calibration, bgnbd):
    holdout = sample_orders[(sample_orders["order_date"] > CALIBRATION_END)
                            & (sample_orders["order_date"] <= "1998-06-30")]
    observed = len(holdout.drop_duplicates(["customer_id", "order_date"]))
    expected = bgnbd.expected_purchases(39, calibration["frequency"], calibration["recency"],
                                        calibration["T"]).sum()
    assert observed == pytest.approx(1882, abs=5)
    assert expected == pytest.approx(1653, rel=0.03)
    assert expected < observed  # the known ~12 % under-forecast on this sample


# ------------------------------------------------------------------ the paper's formulas


def _fhl_unconditional(t, r, alpha, a, b):
    """FHL 2005 eq. 9 as printed."""
    z = t / (alpha + t)
    return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, z))


def _fhl_conditional(t, x, t_x, T, r, alpha, a, b):
    """FHL 2005 eq. 10 as printed."""
    z = t / (alpha + T + t)
    body = (a + b + x - 1) / (a - 1) * (
        1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z))
    dead_odds = np.where(x > 0, a / (b + np.maximum(x, 1) - 1)
                         * ((alpha + T) / (alpha + t_x)) ** (r + x), 0.0)
    return body / (1 + dead_odds)


@requires_cdnow
def test_expected_purchases_match_the_paper_formulas_written_out(bgnbd):
    params = (bgnbd.r_, bgnbd.alpha_, bgnbd.a_, bgnbd.b_)
    t = np.array([1.0, 13.0, 39.0, 78.0])
    assert bgnbd.expected_purchases_new(t) == pytest.approx(_fhl_unconditional(t, *params), rel=1e-8)
    x = np.array([0.0, 1.0, 2.0, 5.0, 7.0])
    t_x = np.array([0.0, 30.4, 10.0, 35.0, 20.1])
    T = np.array([38.9, 38.9, 36.0, 38.0, 38.3])
    assert bgnbd.expected_purchases(39, x, t_x, T) == pytest.approx(
        _fhl_conditional(39.0, x, t_x, T, *params), rel=1e-8)


@requires_cdnow
def test_a_new_customer_starts_buying_at_the_mean_rate_r_over_alpha(bgnbd):
    tiny = 1e-4
    assert bgnbd.expected_purchases_new(tiny) / tiny == pytest.approx(bgnbd.r_ / bgnbd.alpha_, rel=1e-3)


@requires_cdnow
def test_heavy_buyers_who_just_bought_get_finite_growing_forecasts(bgnbd):
    x = np.array([20.0, 60.0, 150.0, 400.0])
    forecast = bgnbd.expected_purchases(52, x, np.full(4, 39.0), np.full(4, 39.0))
    assert np.isfinite(forecast).all()
    assert (np.diff(forecast) > 0).all()
    # Below the posterior mean rate × 52 weeks, because some of them will drop out on the way.
    assert (forecast < (bgnbd.r_ + x) / (bgnbd.alpha_ + 39.0) * 52).all()


# ------------------------------------------------------------------ invariants


@requires_cdnow
def test_probability_alive_is_between_zero_and_one_and_one_without_repeat_purchases(calibration, bgnbd):
    p_alive = bgnbd.probability_alive(calibration["frequency"], calibration["recency"], calibration["T"])
    assert ((p_alive >= 0) & (p_alive <= 1)).all()
    assert (p_alive[calibration["frequency"].to_numpy() == 0] == 1).all()
    # A customer who bought often early and then went quiet is less likely alive than a recent one.
    lapsed, recent = bgnbd.probability_alive([5, 5], [5.0, 38.0], [39.0, 39.0])
    assert lapsed < recent


@requires_cdnow
def test_expected_purchases_increase_with_horizon(calibration, bgnbd):
    horizons = [1, 4, 13, 26, 52, 104]
    freq, rec, T = calibration["frequency"], calibration["recency"], calibration["T"]
    totals = [bgnbd.expected_purchases(h, freq, rec, T).sum() for h in horizons]
    assert np.all(np.diff(totals) > 0)
    assert np.all(np.diff(bgnbd.expected_purchases_new(horizons)) > 0)
    assert bgnbd.expected_purchases(0, freq, rec, T).sum() == 0


@pytest.mark.parametrize("call", [
    lambda: BetaGeoModel().probability_alive([1], [1.0], [2.0]),
    lambda: BetaGeoModel().expected_purchases(4, [1], [1.0], [2.0]),
    lambda: BetaGeoModel().expected_purchases_new(4),
    lambda: BetaGeoModel().expected_next_purchase_in([1], [1.0], [2.0]),
    lambda: BetaGeoModel().params(),
])
def test_asking_the_bgnbd_model_before_fit_raises_a_plain_sentence(call):
    with pytest.raises(ValueError, match=r"^Fit the BG/NBD model before asking for [a-z ]+\.$"):
        call()


def test_asking_the_gamma_gamma_model_before_fit_raises_a_plain_sentence():
    with pytest.raises(ValueError, match=r"^Fit the Gamma-Gamma model before asking for expected spend\.$"):
        GammaGammaModel().expected_spend([1], [10.0])


@requires_cdnow
def test_days_and_weeks_give_the_same_model(sample_orders, bgnbd):
    in_days = summary_from_orders(sample_orders, CALIBRATION_END, time_unit="days")
    daily = BetaGeoModel(time_unit="days").fit(in_days["frequency"], in_days["recency"], in_days["T"])
    assert daily.alpha_ == pytest.approx(7 * bgnbd.alpha_, rel=1e-3)
    for name in ("r", "a", "b"):
        assert getattr(daily, name + "_") == pytest.approx(getattr(bgnbd, name + "_"), rel=1e-3)
    in_weeks = summary_from_orders(sample_orders, CALIBRATION_END, time_unit="weeks")
    cols = lambda s: (s["frequency"], s["recency"], s["T"])  # noqa: E731
    assert daily.expected_purchases(days_to_unit(273, "days"), *cols(in_days)) == pytest.approx(
        bgnbd.expected_purchases(days_to_unit(273, "weeks"), *cols(in_weeks)), rel=1e-3)
    assert daily.probability_alive(*cols(in_days)) == pytest.approx(
        bgnbd.probability_alive(*cols(in_weeks)), rel=1e-3)


@requires_cdnow
def test_weights_give_the_same_fit_as_repeated_rows(calibration, bgnbd):
    counted = calibration.groupby(["frequency", "recency", "T"], as_index=False).size()
    weighted = BetaGeoModel().fit(counted["frequency"], counted["recency"], counted["T"],
                                  weights=counted["size"])
    assert weighted.log_likelihood_ == pytest.approx(bgnbd.log_likelihood_, abs=1e-6)
    assert weighted.r_ == pytest.approx(bgnbd.r_, rel=1e-6)


@requires_cdnow
def test_fitting_accepts_a_summary_dataframe(calibration, bgnbd):
    assert BetaGeoModel().fit(calibration).r_ == pytest.approx(bgnbd.r_, rel=1e-9)


@requires_cdnow
def test_analytic_gradients_match_finite_differences(calibration):
    from tools.clv import _BGNBDData, _GGData, _bgnbd_loglik_and_grad, _gg_loglik_and_grad

    x, t_x, T = (calibration[c].to_numpy() for c in ("frequency", "recency", "T"))
    data = _BGNBDData(x, t_x, T, np.ones_like(x))
    theta = np.log([0.3, 5.0, 0.9, 2.0])
    numeric = approx_fprime(theta, lambda th: _bgnbd_loglik_and_grad(th, data)[0], 1e-6)
    assert _bgnbd_loglik_and_grad(theta, data)[1] == pytest.approx(numeric, rel=1e-4)

    repeat = (x > 0) & (calibration["monetary_value"].to_numpy() > 0)
    gg = _GGData(x[repeat], calibration["monetary_value"].to_numpy()[repeat], np.ones(repeat.sum()))
    theta = np.log([5.0, 3.0, 12.0])
    numeric = approx_fprime(theta, lambda th: _gg_loglik_and_grad(th, gg)[0], 1e-6)
    assert _gg_loglik_and_grad(theta, gg)[1] == pytest.approx(numeric, rel=1e-4)


def test_bad_inputs_are_refused_with_sentences_naming_the_column():
    model = BetaGeoModel()
    with pytest.raises(ValueError, match="recency cannot exceed T"):
        model.fit([1, 2], [5.0, 9.0], [4.0, 10.0])
    with pytest.raises(ValueError, match="frequency must be a whole number"):
        model.fit([1.5], [1.0], [2.0])
    with pytest.raises(ValueError, match="recency must be 0 for customers with frequency 0"):
        model.fit([0], [1.0], [2.0])
    with pytest.raises(ValueError, match="Unknown time unit 'months'; choose one of days, weeks"):
        BetaGeoModel(time_unit="months")


# ------------------------------------------------------------------ spend, value, next purchase


@requires_cdnow
def test_expected_spend_blends_the_customers_mean_with_the_population_mean(gamma_gamma):
    p, q, gam = gamma_gamma.p_, gamma_gamma.q_, gamma_gamma.gamma_
    population = p * gam / (q - 1)
    assert gamma_gamma.expected_spend([0], [0.0])[0] == pytest.approx(population)
    one, many = gamma_gamma.expected_spend([1, 200], [100.0, 100.0])
    assert population < one < many < 100.0
    assert many == pytest.approx(100.0, rel=0.01)


@requires_cdnow
def test_capping_spend_keeps_a_few_huge_baskets_from_inflating_the_spend_model(calibration, gamma_gamma):
    repeaters = calibration[calibration["frequency"] > 0]
    polluted = repeaters["monetary_value"].to_numpy().copy()
    polluted[:5] = 50_000.0  # five wholesale-sized orders among 946 customers
    raw = GammaGammaModel().fit(repeaters["frequency"], polluted)
    capped = GammaGammaModel(cap_quantile=0.99).fit(repeaters["frequency"], polluted)
    clean_mean = gamma_gamma.expected_spend([0], [0.0])[0]
    assert abs(capped.expected_spend([0], [0.0])[0] - clean_mean) < abs(
        raw.expected_spend([0], [0.0])[0] - clean_mean)
    assert capped.cap_ < 50_000.0


@requires_cdnow
def test_lifetime_value_is_expected_purchases_times_expected_spend_and_discounting_lowers_it(
        calibration, bgnbd, gamma_gamma):
    cols = [calibration[c] for c in ("frequency", "recency", "T", "monetary_value")]
    value = customer_lifetime_value(bgnbd, gamma_gamma, *cols, horizon=52)
    expected = (bgnbd.expected_purchases(52, *cols[:3])
                * gamma_gamma.expected_spend(cols[0], cols[3]))
    assert value == pytest.approx(expected)
    discounted = customer_lifetime_value(bgnbd, gamma_gamma, *cols, horizon=52, discount_rate=0.10)
    assert (discounted <= value + 1e-12).all()
    # Over one year at 10 %/year, the discount is at most 10 %.
    assert (discounted >= value / 1.10 - 1e-9).all()


@requires_cdnow
def test_next_purchase_is_soon_for_active_buyers_and_never_for_lapsed_ones(bgnbd):
    active, slower, lapsed = bgnbd.expected_next_purchase_in([12, 3, 12], [38.0, 37.0, 4.0],
                                                             [39.0, 39.0, 39.0])
    assert 0 < active < slower < np.inf
    assert lapsed == np.inf
    # By definition one purchase is expected at that point.
    assert bgnbd.expected_purchases(active, 12, 38.0, 39.0) == pytest.approx(1.0, abs=1e-3)


def test_summary_from_orders_merges_same_day_orders_and_ignores_later_ones():
    orders = pd.DataFrame({
        "customer_id": ["a", "a", "a", "a", "b", "c"],
        "order_date": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-08", "2024-01-22",
                                      "2024-01-15", "2024-03-01"]),
        "amount": [10.0, 5.0, 7.0, 30.0, 8.0, 99.0],
    })
    summary = summary_from_orders(orders, "2024-01-29", time_unit="weeks").set_index("customer_id")
    assert list(summary.index) == ["a", "b"]  # c's first order is after the as-of date
    assert summary.loc["a"].to_dict() == pytest.approx(
        {"frequency": 2, "recency": 3.0, "T": 4.0, "monetary_value": (12.0 + 30.0) / 2})
    assert summary.loc["b"].to_dict() == pytest.approx(
        {"frequency": 0, "recency": 0.0, "T": 2.0, "monetary_value": 0.0})
    in_days = summary_from_orders(orders, "2024-01-22", time_unit="days").set_index("customer_id")
    assert in_days.loc["a", "recency"] == 21 and in_days.loc["a", "T"] == 21  # as-of day is inclusive


# ------------------------------------------------------------------ scale


@requires_cdnow
def test_fitting_the_cdnow_master_is_quick(capsys):
    raw = pd.read_csv(CDNOW / "CDNOW_master.txt", sep=r"\s+", header=0,
                      names=["customer_id", "date", "cds", "dollars"],
                      dtype={"customer_id": str, "date": str})
    summary = summary_from_orders(_orders(raw), CALIBRATION_END)
    assert len(summary) == 23_570
    start = time.perf_counter()
    model = BetaGeoModel().fit(summary["frequency"], summary["recency"], summary["T"])
    seconds = time.perf_counter() - start
    with capsys.disabled():
        print(f"\nBG/NBD fit on CDNOW master ({len(summary):,} customers): {seconds:.3f} s; "
              f"r={model.r_:.4f} alpha={model.alpha_:.4f} a={model.a_:.4f} b={model.b_:.4f}")
    assert model.converged_


def _simulate_bgnbd(n: int, r: float, alpha: float, a: float, b: float, seed: int = 0):
    """Draw (x, t_x, T) from the BG/NBD story, with purchase times rounded down to whole days."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(r, 1 / alpha, n)
    dropout = rng.beta(a, b, n)
    T = rng.integers(1, 731, n) / 7
    arrivals = rng.poisson(rate * T)
    x = np.minimum(arrivals, rng.geometric(dropout))  # dropout can follow any repeat purchase
    t_x = np.zeros(n)
    bought = x > 0
    # The x-th of N uniform arrival times on (0, T] is T times a Beta(x, N - x + 1) draw.
    t_x[bought] = rng.beta(x[bought], arrivals[bought] - x[bought] + 1) * T[bought]
    return x.astype(float), np.floor(t_x * 7) / 7, T


@pytest.mark.slow
def test_bgnbd_recovers_known_parameters_from_a_million_simulated_customers(capsys):
    truth = {"r": 0.5, "alpha": 6.0, "a": 0.8, "b": 3.0}
    x, t_x, T = _simulate_bgnbd(1_000_000, **truth)
    start = time.perf_counter()
    model = BetaGeoModel().fit(x, t_x, T)
    seconds = time.perf_counter() - start
    with capsys.disabled():
        print(f"\nBG/NBD fit on 1,000,000 simulated customers: {seconds:.2f} s "
              f"({model.n_unique_rows_:,} distinct rows)")
    fitted = model.params()
    for name, value in truth.items():
        assert fitted[name] == pytest.approx(value, rel=0.05), name


def test_forecasts_stay_finite_when_the_data_barely_identifies_dropout(tmp_path):
    # a small demo world where a and b of the dropout Beta run off together towards infinity
    import duckdb

    from tools.demo import generate_demo
    from tools.loading import load_dataset
    from tools.workspace import Workspace

    generate_demo(tmp_path / "demo", customers=400, seed=3)
    ws = Workspace(tmp_path / "home")
    load_dataset(ws, tmp_path / "demo" / "transactions.csv", customers=tmp_path / "demo" / "customers.csv",
                 build_models=False)
    con = duckdb.connect(str(ws.current_store()), read_only=True)
    f = con.execute("SELECT frequency, bgnbd_t_x_days, tenure_days FROM features").df()
    con.close()
    x, t_x, T = f["frequency"].to_numpy(float), f["bgnbd_t_x_days"].to_numpy(float) / 7, f["tenure_days"].to_numpy(float) / 7
    model = BetaGeoModel().fit(x, t_x, T)
    forecast = model.expected_purchases(52, x, t_x, T)
    assert np.isfinite(forecast).all() and forecast.sum() > 0
