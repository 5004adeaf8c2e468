"""Regional spot power prices: the level the mean pins, seasonality, spikes, OU moments."""

import dataclasses
import math

import numpy as np
import pytest

from abm.markets.power import (
    DEFAULT_REGIONS,
    PowerParams,
    RegionParams,
    spike_probability,
    spot_price_paths,
)
from abm.params import ParamError, build


def days(start: str, n: int, step: int = 1) -> np.ndarray:
    return np.datetime64(start, "D") + np.arange(n) * step


FLAT = RegionParams(
    name="flat",
    mean_price_usd_per_mwh=40.0,
    volatility_per_year=0.0,
    seasonal_amplitude=0.0,
    spike_rate_per_year=0.0,
)


def test_shape_is_steps_by_regions_and_the_same_seed_gives_the_same_prices():
    """Shape is (steps, regions), the same seed gives the same prices, regions append cleanly.

    Six default regions over 2026-2030: shape (1826, 6), all positive; a seventh region at
    the end leaves the first six columns unchanged.
    """
    dates = days("2026-01-01", 1826)
    a = spot_price_paths(DEFAULT_REGIONS, dates, 1, np.random.default_rng(5))
    b = spot_price_paths(DEFAULT_REGIONS, dates, 1, np.random.default_rng(5))
    more = spot_price_paths((*DEFAULT_REGIONS, FLAT), dates, 1, np.random.default_rng(5))
    assert a.shape == (1826, 6)
    assert np.all(a > 0)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(more[:, :6], a)
    np.testing.assert_allclose(more[:, 6], 40.0, rtol=1e-12)


def test_the_mean_parameter_pins_the_long_run_average_price_and_the_log_mean_follows():
    """The mean parameter pins the long-run average price; the log mean follows in closed form.

    ERCOT defaults over 400 years: average price 45 within 2 %; average log price
    log(45) - sigma^2/(4 kappa) - log(1 + q(M-1)) + q log M + log((1 + sqrt(1 - A^2)) / 2)
    within 0.01.
    """
    region = DEFAULT_REGIONS[0]
    assert region.name == "texas_ercot"
    prices = spot_price_paths((region,), days("2026-01-01", 146_100), 1, np.random.default_rng(8))
    q = spike_probability(region, 1)
    m, a = region.spike_multiplier, region.seasonal_amplitude
    kappa, sigma = region.mean_reversion_per_year, region.volatility_per_year
    expected_log_mean = (
        math.log(45.0)
        - sigma**2 / (4 * kappa)
        - math.log(1 + q * (m - 1))
        + q * math.log(m)
        + math.log((1 + math.sqrt(1 - a**2)) / 2)
    )
    assert prices.mean() == pytest.approx(45.0, rel=0.02)
    assert np.log(prices).mean() == pytest.approx(expected_log_mean, abs=0.01)


def test_log_price_has_the_ou_stationary_variance_and_daily_autocorrelation():
    """The log price has the OU stationary variance and daily autocorrelation.

    No seasons or spikes, kappa 20, sigma 2, 200 years: var(log P) = sigma^2 / (2 kappa) = 0.1
    and lag-1 autocorrelation exp(-20 / 365.25) = 0.947.
    """
    region = dataclasses.replace(FLAT, mean_reversion_per_year=20.0, volatility_per_year=2.0)
    log_p = np.log(
        spot_price_paths((region,), days("2026-01-01", 73_050), 1, np.random.default_rng(9))[:, 0]
    )
    assert log_p.var() == pytest.approx(0.1, rel=0.05)
    assert np.corrcoef(log_p[:-1], log_p[1:])[0, 1] == pytest.approx(
        math.exp(-20 / 365.25), abs=0.003
    )
    assert log_p.mean() == pytest.approx(math.log(40.0) - 0.05, abs=0.01)


@pytest.mark.parametrize("peak_day", [15, 213])
def test_seasonality_peaks_on_the_stated_day_of_year(peak_day):
    """Seasonality peaks on the stated day of year at 1 + A times the level.

    No noise or spikes, amplitude 0.3, level 40: in each of 2026-2029 the maximum 52 falls on
    the peak day and the minimum is 28.
    """
    region = dataclasses.replace(FLAT, seasonal_amplitude=0.3, seasonal_peak_day_of_year=peak_day)
    dates = days("2026-01-01", 4 * 365 + 1)
    prices = spot_price_paths((region,), dates, 1, np.random.default_rng(0))[:, 0]
    for year in range(2026, 2030):
        in_year = (dates >= np.datetime64(f"{year}-01-01")) & (
            dates < np.datetime64(f"{year + 1}-01-01")
        )
        peak = dates[in_year][np.argmax(prices[in_year])]
        assert peak == np.datetime64(f"{year}-01-01") + (peak_day - 1)
        assert prices[in_year].max() == pytest.approx(52.0, rel=1e-12)
        assert prices[in_year].min() == pytest.approx(28.0, rel=1e-4)


def test_spikes_start_at_the_stated_rate_and_last_the_stated_days():
    """Spikes start at the stated rate, last the stated days and keep the long-run mean.

    4 per year lasting 5 days at 5x, 500 years of days, no other noise: episode onsets per
    day p (1 - p)^5 with p = 1 - exp(-4 / 365.25), within 4 Poisson SD; share of spiking days
    1 - exp(-20 / 365.25); episodes last at least (median exactly) 5 days; mean price 40.
    """
    region = dataclasses.replace(
        FLAT, spike_rate_per_year=4.0, spike_multiplier=5.0, spike_duration_days=5
    )
    n = 182_625
    prices = spot_price_paths((region,), days("2026-01-01", n), 1, np.random.default_rng(4))[:, 0]
    base = prices.min()
    on = prices > 2 * base
    np.testing.assert_allclose(prices[on], 5 * base, rtol=1e-12)
    p = 1 - math.exp(-4 / 365.25)
    onsets = np.flatnonzero(on[1:] & ~on[:-1]) + 1
    expected = (n - 1) * p * (1 - p) ** 5
    assert abs(onsets.size - expected) < 4 * math.sqrt(expected)
    assert on.mean() == pytest.approx(1 - math.exp(-20 / 365.25), rel=0.05)
    run_lengths = np.diff(np.flatnonzero(np.diff(np.concatenate(([0], on, [0])).astype(int))))[::2]
    assert np.all(run_lengths >= 5)
    assert np.median(run_lengths) == 5
    assert prices.mean() == pytest.approx(40.0, rel=0.02)


def test_weekly_steps_scale_the_spike_probability_and_the_ou_persistence():
    """Weekly steps scale the spike probability and the OU persistence.

    A 7-day spike lasts one step, on with probability 1 - exp(-2 * 7 / 365.25); the lag-1
    autocorrelation of log P is exp(-30 * 7 / 365.25).
    """
    region = dataclasses.replace(
        FLAT, spike_rate_per_year=2.0, spike_duration_days=7, volatility_per_year=2.0
    )
    q = spike_probability(region, 7)
    assert q == pytest.approx(1 - math.exp(-14 / 365.25))
    no_spikes = dataclasses.replace(region, spike_rate_per_year=0.0)
    log_p = np.log(
        spot_price_paths((no_spikes,), days("2026-01-01", 50_000, 7), 7, np.random.default_rng(1))
    )[:, 0]
    assert np.corrcoef(log_p[:-1], log_p[1:])[0, 1] == pytest.approx(
        math.exp(-30 * 7 / 365.25), abs=0.01
    )


def test_uneven_dates_are_rejected():
    """Dates one day apart with dt_days = 7 are a ValueError about the spacing."""
    with pytest.raises(ValueError, match="evenly spaced by 7"):
        spot_price_paths(DEFAULT_REGIONS, days("2026-01-01", 10), 7, np.random.default_rng(0))


def test_region_tables_build_and_duplicate_names_are_rejected():
    """The loader builds region tables, rejects duplicate names and out-of-range amplitudes."""
    table = {"regions": [{"name": "a", "mean_price_usd_per_mwh": 30.0}, {"name": "b"}]}
    params = build(PowerParams, table, "s.toml", "power")
    assert params.regions[0].mean_price_usd_per_mwh == 30.0
    assert params.regions[1].spike_rate_per_year == 1.0
    table["regions"][1]["name"] = "a"
    with pytest.raises(ParamError, match=r"s.toml: \[power\] regions names must be unique"):
        build(PowerParams, table, "s.toml", "power")
    with pytest.raises(ParamError, match=r"seasonal_amplitude = 1\.5 is out of range"):
        build(PowerParams, {"regions": [{"name": "x", "seasonal_amplitude": 1.5}]}, "s.toml")
