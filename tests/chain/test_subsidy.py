"""Block subsidy (GetBlockSubsidy in Bitcoin Core validation.cpp) and its range sums."""

import numpy as np
import pytest

from abm.chain import HALVING_INTERVAL, block_subsidy_sat, subsidy_sum_sat

COIN = 100_000_000
TOTAL_ISSUANCE_SAT = 2_099_999_997_690_000
LAST_PAYING_HEIGHT = 33 * 210_000 - 1  # 6,929,999: the 33rd halving pays 5e9 >> 33 == 0


def test_halving_interval():
    """Mainnet halves the subsidy every 210,000 blocks."""
    assert HALVING_INTERVAL == 210_000


@pytest.mark.parametrize(
    ("height", "sat"),
    [
        (0, 50 * COIN),
        (1, 50 * COIN),
        (209_999, 50 * COIN),
        (210_000, 25 * COIN),
        (419_999, 25 * COIN),
        (420_000, 1_250_000_000),
        (630_000, 625_000_000),
        (840_000, 312_500_000),
        (930_000, 312_500_000),
        (1_049_999, 312_500_000),
        (1_050_000, 156_250_000),  # 1.5625 BTC
        (32 * 210_000, 1),  # 5e9 >> 32 == 1 sat
        (LAST_PAYING_HEIGHT, 1),
        (33 * 210_000, 0),  # 5e9 >> 33 == 0: first height with no subsidy
        (63 * 210_000, 0),
        (64 * 210_000, 0),  # Core returns 0 explicitly once halvings >= 64
        (64 * 210_000 + 1, 0),
        (10**9, 0),
    ],
)
def test_block_subsidy_values(height, sat):
    """Subsidy is 50 BTC >> (height // 210000), and 0 from the 33rd halving on."""
    assert block_subsidy_sat(height) == sat


def test_subsidy_is_integer_satoshis():
    """The subsidy is an exact integer number of satoshis."""
    for h in (0, 210_000, 1_050_000, 32 * 210_000):
        value = block_subsidy_sat(h)
        assert int(value) == value


def test_total_issuance_brute_force():
    """Sum of block_subsidy_sat over heights 0..6,929,999 is 2,099,999,997,690,000 sat."""
    total = sum(block_subsidy_sat(h) for h in range(LAST_PAYING_HEIGHT + 1))
    assert total == TOTAL_ISSUANCE_SAT


def test_total_issuance_from_range_sum():
    """subsidy_sum_sat over all paying heights, and far beyond, is the 21M-BTC cap exactly."""
    assert subsidy_sum_sat(0, LAST_PAYING_HEIGHT) == TOTAL_ISSUANCE_SAT
    assert subsidy_sum_sat(0, 64 * 210_000) == TOTAL_ISSUANCE_SAT
    assert subsidy_sum_sat(0, 10**9) == TOTAL_ISSUANCE_SAT
    assert subsidy_sum_sat(33 * 210_000, 10**9) == 0


def test_range_sum_single_height_and_era_boundaries():
    """subsidy_sum_sat(h, h) is the block subsidy; era boundaries split correctly."""
    for h in (0, 209_999, 210_000, 1_049_999, 1_050_000, 32 * 210_000, 33 * 210_000):
        assert subsidy_sum_sat(h, h) == block_subsidy_sat(h)
    assert subsidy_sum_sat(0, 209_999) == 210_000 * 50 * COIN
    assert subsidy_sum_sat(209_999, 210_000) == 50 * COIN + 25 * COIN
    # Crossing the 2028 halving at 1,050,000: 10 blocks at 3.125 BTC, 5 at 1.5625 BTC.
    assert subsidy_sum_sat(1_049_990, 1_050_004) == 10 * 312_500_000 + 5 * 156_250_000


def test_range_sum_matches_brute_force_on_random_ranges():
    """subsidy_sum_sat(a, b) equals sum(block_subsidy_sat(h) for h in a..b) on 300 ranges."""
    rng = np.random.default_rng(20240601)
    for _ in range(300):
        a = int(rng.integers(0, 7_200_000))
        # Mix short ranges near a boundary with longer ones.
        if rng.random() < 0.5:
            boundary = 210_000 * int(rng.integers(1, 35))
            a = max(0, boundary - int(rng.integers(0, 50)))
        b = a + int(rng.integers(0, 3_000))
        assert subsidy_sum_sat(a, b) == sum(block_subsidy_sat(h) for h in range(a, b + 1)), (a, b)


def test_range_sum_matches_brute_force_on_long_ranges():
    """Ranges spanning several halvings: closed form vs. per-era brute-force arithmetic."""
    rng = np.random.default_rng(7)
    for _ in range(50):
        a = int(rng.integers(0, 7_500_000))
        b = a + int(rng.integers(0, 2_000_000))
        expected = 0
        h = a
        while h <= b:  # walk era by era, pricing each block with block_subsidy_sat
            era_end = min(b, (h // 210_000 + 1) * 210_000 - 1)
            expected += (era_end - h + 1) * block_subsidy_sat(h)
            h = era_end + 1
        assert subsidy_sum_sat(a, b) == expected, (a, b)
