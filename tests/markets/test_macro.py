"""Policy-rate path: knots, linear interpolation, flat ends, AR(1) noise statistics."""

import datetime as dt

import numpy as np
import pytest

from abm.markets.macro import MacroParams, RateKnot, ar1_path, policy_rate_path
from abm.params import ParamError, build


def days(start: str, n: int, step: int = 1) -> np.ndarray:
    return np.datetime64(start, "D") + np.arange(n) * step


KNOTS = (
    RateKnot(dt.date(2026, 1, 1), 0.04),
    RateKnot(dt.date(2026, 5, 1), 0.03),
    RateKnot(dt.date(2027, 1, 1), 0.05),
)


def test_path_hits_the_knots_and_is_linear_between_them():
    """Noise off, the path hits each knot on its date, is linear between and flat outside.

    Knots 4 % (2026-01-01), 3 % (2026-05-01), 5 % (2027-01-01): daily moves of -0.01/120 then
    +0.02/245, 4 % before the first knot and 5 % after the last.
    """
    dates = days("2025-12-01", 500)
    rates = policy_rate_path(MacroParams(policy_rate_knots=KNOTS), dates)
    for knot in KNOTS:
        assert rates[dates == np.datetime64(knot.date)][0] == pytest.approx(knot.rate, abs=1e-15)
    first = np.flatnonzero(dates == np.datetime64("2026-01-01"))[0]
    second = np.flatnonzero(dates == np.datetime64("2026-05-01"))[0]
    third = np.flatnonzero(dates == np.datetime64("2027-01-01"))[0]
    np.testing.assert_allclose(np.diff(rates[first : second + 1]), -0.01 / 120, atol=1e-15)
    np.testing.assert_allclose(np.diff(rates[second : third + 1]), 0.02 / 245, atol=1e-15)
    assert np.all(rates[:first] == 0.04)
    assert np.all(rates[third:] == 0.05)


def test_baseline_is_3625_bp_at_end_2025_and_3375_bp_from_end_2026():
    """Baseline: 3.625 % on 2025-12-31, linear to 3.375 % on 2026-12-31, flat to 2030."""
    dates = days("2025-12-31", 5 * 366)
    rates = policy_rate_path(MacroParams(), dates)
    assert rates[0] == pytest.approx(0.03625)
    assert rates[365] == pytest.approx(0.03375)
    assert np.all(rates[365:] == rates[365])
    assert rates[182] == pytest.approx(0.03625 - 0.0025 * 182 / 365)


def test_noise_has_the_stated_ar1_statistics():
    """Noise on, the deviation has the stated AR(1) sd and autocorrelations and starts at 0.

    sd 0.5 pp, persistence 0.99 a day, flat 10 % path, 400,000 days: sd 0.005 (5 %),
    lag-1 autocorrelation 0.99, lag-10 0.99^10, mean 0 within 4.5 SE.
    """
    params = MacroParams(
        policy_rate_knots=(RateKnot(dt.date(2026, 1, 1), 0.10),),
        noise_sd=0.005,
        noise_persistence_per_day=0.99,
    )
    rates = policy_rate_path(params, days("2026-01-01", 400_000), np.random.default_rng(7))
    assert rates[0] == 0.10
    dev = rates[1000:] - 0.10
    assert dev.std() == pytest.approx(0.005, rel=0.05)
    assert np.corrcoef(dev[:-1], dev[1:])[0, 1] == pytest.approx(0.99, abs=0.002)
    assert np.corrcoef(dev[:-10], dev[10:])[0, 1] == pytest.approx(0.99**10, abs=0.01)
    assert abs(dev.mean()) < 5e-4  # 4.5 standard errors of 1.1e-4 (effective n about 2,000)


def test_noise_on_weekly_steps_uses_the_seventh_power_of_the_daily_persistence():
    """Weekly steps: lag-1 autocorrelation 0.99^7 = 0.932 and the same stationary sd 0.005."""
    params = MacroParams(
        policy_rate_knots=(RateKnot(dt.date(2026, 1, 1), 0.10),),
        noise_sd=0.005,
        noise_persistence_per_day=0.99,
    )
    rates = policy_rate_path(params, days("2026-01-01", 100_000, 7), np.random.default_rng(3))
    dev = rates[200:] - 0.10
    assert np.corrcoef(dev[:-1], dev[1:])[0, 1] == pytest.approx(0.99**7, abs=0.005)
    assert dev.std() == pytest.approx(0.005, rel=0.05)


def test_noise_never_takes_the_rate_below_the_floor_and_is_reproducible():
    """A 0.5 % path with 1 pp noise never goes below 0 %; the same seed gives the same array."""
    params = MacroParams(policy_rate_knots=(RateKnot(dt.date(2026, 1, 1), 0.005),), noise_sd=0.01)
    dates = days("2026-01-01", 2000)
    a = policy_rate_path(params, dates, np.random.default_rng(11))
    b = policy_rate_path(params, dates, np.random.default_rng(11))
    assert a.min() == 0.0
    np.testing.assert_array_equal(a, b)


def test_noise_without_a_generator_is_an_error():
    """noise_sd > 0 without a generator is a ValueError saying a generator is needed."""
    with pytest.raises(ValueError, match="random generator"):
        policy_rate_path(MacroParams(noise_sd=0.01), days("2026-01-01", 10))


def test_scenario_tables_build_and_unordered_knots_are_rejected():
    """The loader's build() accepts knot tables and rejects knots out of date order."""
    table = {
        "policy_rate_knots": [
            {"date": "2026-01-01", "rate": 0.04},
            {"date": "2026-06-30", "rate": 0.03},
        ],
        "noise_sd": 0.002,
    }
    params = build(MacroParams, table, "s.toml", "macro")
    assert params.policy_rate_knots[1] == RateKnot(dt.date(2026, 6, 30), 0.03)
    table["policy_rate_knots"].reverse()
    with pytest.raises(ParamError, match=r"s\.toml: \[macro\] policy_rate_knots dates"):
        build(MacroParams, table, "s.toml", "macro")


@pytest.mark.parametrize("phi", [0.0, 0.37, 0.999, -0.5, 1.2])
def test_an_ar1_path_equals_scipys_filter_bit_for_bit(phi):
    """One path (Python floats) and several at once (numpy) equal scipy's filter.

    `lfilter([1], [1, -phi], e)`, bit for bit, over 2,000 steps of heavy-tailed shocks.
    """
    from scipy.signal import lfilter

    e = np.random.default_rng(3).standard_t(3, size=(2000, 3))
    expected = lfilter([1.0], [1.0, -phi], e, axis=0)
    assert ar1_path(e, phi).tobytes() == expected.tobytes()
    for k in range(3):
        assert ar1_path(e[:, k], np.float64(phi)).tobytes() == expected[:, k].tobytes()
    assert ar1_path(np.array([]), phi).shape == (0,)
