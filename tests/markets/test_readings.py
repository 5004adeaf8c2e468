"""`MarketReadings`: step counts of a span of years and the time left to the next halving."""

from __future__ import annotations

import numpy as np
import pytest

from abm.markets.readings import MarketReadings

SECONDS_PER_YEAR = 365.25 * 86_400


def readings(height: int = 930_000, dt_days: int = 1) -> MarketReadings:
    return MarketReadings(
        dt_days=dt_days,
        step_index=0,
        date=np.datetime64("2026-01-01"),
        height=height,
        policy_rate=0.04,
        btc_price_usd=80_000.0,
    )


@pytest.mark.parametrize(
    ("years", "dt_days", "steps"),
    [
        (1.0, 1, 365),  # int(365.25) = 365 daily steps
        (5.0, 1, 1826),  # int(1826.25)
        (1.0, 7, 52),  # 365 // 7
        (1.0, 30, 12),  # 365 // 30
        (0.5, 1, 182),  # int(182.625)
    ],
)
def test_steps_in_years_counts_whole_steps(years, dt_days, steps):
    assert readings(dt_days=dt_days).steps_in_years(years) == steps


@pytest.mark.parametrize(("years", "dt_days"), [(0.0, 1), (0.001, 1), (0.05, 30)])
def test_steps_in_years_is_at_least_one_step(years, dt_days):
    """0, 0.365 and 18 days would round down to no step; a span is at least one step."""
    assert readings(dt_days=dt_days).steps_in_years(years) == 1


def test_one_block_before_the_halving_leaves_600_seconds():
    """Height 1,049,999: the next block (1,050,000) halves the subsidy, 600 s away."""
    years = readings(height=1_049_999).years_to_halving()
    assert years == pytest.approx(600.0 / SECONDS_PER_YEAR, rel=1e-12)


def test_at_a_halving_height_the_next_halving_is_a_full_210000_blocks_away():
    """Height 1,050,000 is the halving block itself: 210,000 * 600 s = 3.993 years to go."""
    years = readings(height=1_050_000).years_to_halving()
    assert years == pytest.approx(210_000 * 600.0 / SECONDS_PER_YEAR, rel=1e-12)
    assert years == pytest.approx(3.993, abs=1e-3)


def test_from_the_2026_start_height_the_halving_is_120000_blocks_away():
    """Height 930,000 (Jan 2026): 120,000 blocks at 600 s = 2.2817 years (spring 2028)."""
    years = readings(height=930_000).years_to_halving()
    assert years == pytest.approx(120_000 * 600.0 / SECONDS_PER_YEAR, rel=1e-12)
