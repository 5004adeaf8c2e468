"""BTC price process: closed-form moments, rate sensitivity, the path stepped, seeds, CSV replay."""

import dataclasses
import math

import numpy as np
import pytest

from abm.markets.btc_price import BtcPriceParams, BtcPriceProcess

QUIET = BtcPriceParams(volatility_per_year=0.0, jump_rate_per_year=0.0)


def days(start: str, n: int, step: int = 1) -> np.ndarray:
    return np.datetime64(start, "D") + np.arange(n) * step


def test_without_vol_or_jumps_the_price_compounds_at_the_drift():
    """With no volatility or jumps the price compounds at the drift: P_i = P_0 exp(mu t_i)."""
    params = dataclasses.replace(QUIET, drift_per_year=0.12)
    for dt_days in (1, 7):
        dates = days("2026-01-01", 300, dt_days)
        process = BtcPriceProcess(params, dates, dt_days, np.random.default_rng(0))
        prices = process.path(0.03, neutral_rate=0.03)
        t_years = np.arange(300) * dt_days / 365.25
        np.testing.assert_allclose(prices, 87_400.0 * np.exp(0.12 * t_years), rtol=1e-12)


def test_rate_gap_adds_rate_beta_times_the_gap_to_the_drift():
    """A policy rate below neutral adds rate_beta times the gap to the drift.

    No volatility: 2 pp below neutral with rate_beta 3 grows at mu + 0.06 per year, 2 pp
    above at mu - 0.06; the higher rate gives the lower path at every step.
    """
    params = dataclasses.replace(QUIET, drift_per_year=0.10, rate_beta=3.0)
    process = BtcPriceProcess(params, days("2026-01-01", 366), 1, np.random.default_rng(0))
    low = process.path(0.01, neutral_rate=0.03)
    high = process.path(0.05, neutral_rate=0.03)
    assert low[-1] == pytest.approx(87_400.0 * math.exp(0.16 * 365 / 365.25), rel=1e-12)
    assert high[-1] == pytest.approx(87_400.0 * math.exp(0.04 * 365 / 365.25), rel=1e-12)
    assert np.all(high[1:] < low[1:])


def test_daily_log_returns_have_the_ito_mean_and_the_diffusion_variance():
    """Daily log returns have mean (mu - sigma^2/2) dt and variance sigma^2 dt.

    sigma 0.5, no jumps, 2,000,000 daily returns; within 4 standard errors (SE of the mean
    1.85e-5, of the variance 0.1 %).
    """
    params = BtcPriceParams(drift_per_year=0.40, jump_rate_per_year=0.0)
    n = 2_000_000
    process = BtcPriceProcess(params, days("2026-01-01", n + 1), 1, np.random.default_rng(1))
    r = np.diff(process.log_path(0.03, neutral_rate=0.03))
    dt_years = 1 / 365.25
    assert r.mean() == pytest.approx(
        (0.40 - 0.125) * dt_years, abs=4 * 0.5 * dt_years**0.5 / n**0.5
    )
    assert r.var() == pytest.approx(0.25 * dt_years, rel=4 * (2 / n) ** 0.5)


def test_crash_jumps_add_their_compound_poisson_moments():
    """Crash jumps add lambda dt m to the mean and lambda dt (m^2 + s^2) to the variance.

    Jumps at 20 per year with log size N(-0.1, 0.05^2), sigma 0.3, 1,000,000 daily returns;
    within 4 SE for the mean and 5 SE for the variance.
    """
    params = BtcPriceParams(
        drift_per_year=0.0,
        volatility_per_year=0.3,
        jump_rate_per_year=20.0,
        jump_log_mean=-0.1,
        jump_log_sd=0.05,
    )
    n = 1_000_000
    process = BtcPriceProcess(params, days("2026-01-01", n + 1), 1, np.random.default_rng(2))
    r = np.diff(process.log_path(0.03, neutral_rate=0.03))
    dt_years = 1 / 365.25
    lam = 20.0 * dt_years
    var = 0.09 * dt_years + lam * (0.1**2 + 0.05**2)
    assert r.mean() == pytest.approx(-0.045 * dt_years - lam * 0.1, abs=4 * (var / n) ** 0.5)
    assert r.var() == pytest.approx(var, rel=0.02)  # jump kurtosis: SE about 0.4 %


def test_the_path_is_the_log_price_stepped_day_by_day_bit_for_bit():
    """Pricing a whole run at its start changes no price, bit for bit.

    With a falling macro path, price i is exp(log price i-1 + mu_i dt + shock_i), each exp
    taken alone; mu_i = 0.20 + 2.0 (0.03 - rate_i) (the defaults' drift and rate beta).
    """
    dates = days("2026-01-01", 1000)
    rates = np.linspace(0.0375, 0.02, 1000)
    process = BtcPriceProcess(BtcPriceParams(), dates, 1, np.random.default_rng(3))
    path = process.path(rates, neutral_rate=0.03)
    p = BtcPriceParams()
    log_price = np.log(np.float64(p.start_price_usd))
    stepped = [p.start_price_usd]
    for i in range(1, 1000):
        mu = p.drift_per_year + p.rate_beta * (0.03 - rates[i])
        log_price = log_price + (mu * (1 / 365.25) + process._shock[i])
        stepped.append(float(np.exp(log_price)))
    assert (p.drift_per_year, p.rate_beta) == (0.20, 2.0)
    assert path.tolist() == stepped


def test_same_seed_same_path_other_seed_other_path():
    """The same generator state gives identical arrays starting at 87,400; another seed does not."""
    dates = days("2026-01-01", 1826)
    a = BtcPriceProcess(BtcPriceParams(), dates, 1, np.random.default_rng(42)).path(0.035, 0.03)
    b = BtcPriceProcess(BtcPriceParams(), dates, 1, np.random.default_rng(42)).path(0.035, 0.03)
    c = BtcPriceProcess(BtcPriceParams(), dates, 1, np.random.default_rng(43)).path(0.035, 0.03)
    np.testing.assert_array_equal(a, b)
    assert a[0] == 87_400.0
    assert not np.array_equal(a, c)


def write_csv(path, text):
    path.write_text(text)
    return str(path)


def test_csv_replay_gives_the_csv_prices_on_its_dates_and_log_interpolates_between(tmp_path):
    """CSV replay gives the CSV prices on its dates and interpolates geometrically between.

    100 on 2021-05-01 and 400 on 2021-05-05 give 100, 141.4, 200, 282.8, 400; rates do not
    move a replayed path.
    """
    name = write_csv(tmp_path / "p.csv", "date,price_usd\n2021-05-01,100\n2021-05-05,400\n")
    params = BtcPriceParams(path_csv=name)
    process = BtcPriceProcess(params, days("2021-05-01", 5), 1, None)
    expected = np.array([100, 100 * 2**0.5, 200, 200 * 2**0.5, 400])
    np.testing.assert_allclose(process.path(0.05, 0.03), expected, rtol=1e-12)
    np.testing.assert_allclose(process.path(0.10, 0.0), expected, rtol=1e-12)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("day,price_usd\n2021-05-01,100\n", "column 'date' is missing"),
        ("date,close\n2021-05-01,100\n", "column 'price_usd' is missing"),
        ("date,price_usd\n2021-05-01,abc\n", "line 2: column 'price_usd' = 'abc'"),
        ("date,price_usd\n2021-05-01,-3\n", "line 2: column 'price_usd' = '-3'"),
        ("date,price_usd\n01/05/2021,100\n", "line 2: column 'date' = '01/05/2021'"),
        ("date,price_usd\n2021-05-02,100\n2021-05-01,90\n", "line 3: column 'date'"),
        ("date,price_usd\n2021-05-01,100\n2021-05-03,90\n", "covers 2021-05-01 to 2021-05-03"),
    ],
)
def test_a_bad_csv_is_a_value_error_naming_the_file_and_the_column(tmp_path, text, message):
    """A bad CSV (columns, values, date order, coverage) is a ValueError naming file and column."""
    name = write_csv(tmp_path / "bad.csv", text)
    with pytest.raises(ValueError, match=r"bad\.csv") as err:
        BtcPriceProcess(BtcPriceParams(path_csv=name), days("2021-05-01", 5), 1, None)
    assert message in str(err.value)


def test_a_missing_csv_file_is_a_value_error_naming_it(tmp_path):
    """A CSV path that does not exist is a ValueError naming the path and the key to change."""
    name = str(tmp_path / "nowhere.csv")
    with pytest.raises(ValueError, match=r"nowhere\.csv: cannot read.*path_csv"):
        BtcPriceProcess(BtcPriceParams(path_csv=name), days("2021-05-01", 5), 1, None)
