"""Statistical and bookkeeping tests of the simulated chain (`Chain.advance`).

Block arrivals are a Poisson process with mean interval D * 2**32 / hashrate, so every
tolerance below is derived from exponential / Gamma statistics and stated next to the test.
All generators are seeded, so the tests are deterministic; tolerances are >= 4 sigma so the
seeds are not cherry-picked.
"""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from abm.chain import (
    Chain,
    FeeProcess,
    bits_to_target,
    block_subsidy_sat,
    difficulty,
    next_bits,
    permitted_transition,
    subsidy_sum_sat,
    target_to_bits,
)

T = 1_209_600  # target timespan, s
DAY = 86_400.0
T0 = 1_700_000_000.0  # an arbitrary tip time (Nov 2023)
BITS = target_to_bits((0xFFFF << 208) // (14 * 10**13))  # difficulty ~1.4e14
K0 = 462  # 2016 * 462 = 931,392: a retarget height near today's chain tip


def matched_hashrate(bits: int, spacing_s: float = 600.0) -> float:
    """Hashrate (H/s) at which `bits` gives one block per `spacing_s` on average."""
    return difficulty(bits) * 2**32 / spacing_s


def interval_s(bits: int, hashrate: float) -> float:
    """Expected block interval at `bits` and `hashrate`."""
    return difficulty(bits) * 2**32 / hashrate


def test_start_bits_are_near_1p4e14():
    """The fixture bits encode difficulty 1.4e14 up to compact rounding (< 2**-15)."""
    assert difficulty(BITS) == pytest.approx(1.4e14, rel=2**-15)


# --------------------------------------------------------------------------------------
# Long-run mean interval at constant hashrate.
# --------------------------------------------------------------------------------------
# With constant hashrate H, period k's interval is T_k = D_k 2**32 / H. Its retarget timespan
# is the sum of 2015 gaps (first to last block of the period; the crossing gap into the period
# is not counted), i.e. T_k * G_k with G_k ~ Gamma(2015, 1). Then
#     T_{k+1} = T_k * 1209600 / (T_k G_k) = 1209600 / G_k,
# independent of T_k, so in steady state E[T] = 1209600 * E[1/G] = 1209600 / 2014 = 600.596 s.
# (1209600/2015 = 600.298 s would be the off-by-one alone; 600.596 adds Jensen's inequality.)
# The per-block average over K periods has sd ~0.027 s at K = 1000 (Monte Carlo of this
# reduced model, 2000 replicates); compact rounding raises it by ~1e-5 relative (< 0.01 s)
# and flooring block times to seconds is unbiased. Tolerance 0.12 s is > 4 sigma at K = 1200
# and still rejects 600.298 and 600.0.
LONG_RUN_MEAN_S = T / 2014
N_PERIODS = 1200


def _steady_state_mean_interval(timestamps: np.ndarray, first_height: int) -> float:
    """Per-block mean interval over whole periods, skipping the first (matched) one."""
    heights = first_height + np.arange(len(timestamps))
    ends = np.flatnonzero(heights % 2016 == 2015)  # last block of each period
    start, stop = ends[0], ends[-1]
    return float((timestamps[stop] - timestamps[start]) / (stop - start))


def test_long_run_mean_interval_one_span():
    """Constant matched hashrate, one long advance: mean interval 1209600/2014 = 600.596 s."""
    chain = Chain(2016 * K0, BITS, T0)
    step = chain.advance(matched_hashrate(BITS), N_PERIODS * T, np.random.default_rng(11))
    assert len(step.retargets) >= N_PERIODS - 5
    mean = _steady_state_mean_interval(step.timestamps, step.first_height)
    assert mean == pytest.approx(LONG_RUN_MEAN_S, abs=0.12)


def test_long_run_mean_interval_daily_steps():
    """Same, advancing one day per call: state carries over, mean is still 600.596 s."""
    chain = Chain(2016 * K0, BITS, T0)
    rng = np.random.default_rng(12)
    h = matched_hashrate(BITS)
    steps = [chain.advance(h, DAY, rng) for _ in range(int(N_PERIODS * T / DAY))]
    ts = np.concatenate([s.timestamps for s in steps])
    assert len(ts) == chain.height - 2016 * K0
    assert np.all(np.diff(ts) > 0)
    mean = _steady_state_mean_interval(ts, 2016 * K0 + 1)
    assert mean == pytest.approx(LONG_RUN_MEAN_S, abs=0.12)


# --------------------------------------------------------------------------------------
# Hashrate shocks right after a retarget.
# --------------------------------------------------------------------------------------
def _shock(fraction_left: float, days: float, seeds: range) -> list[tuple[Chain, object]]:
    """Start at a retarget height with matched bits; keep only `fraction_left` of hashrate."""
    out = []
    for seed in seeds:
        chain = Chain(2016 * K0, BITS, T0)
        step = chain.advance(
            fraction_left * matched_hashrate(BITS), days * DAY, np.random.default_rng(seed)
        )
        out.append((chain, step))
    return out


def test_half_hashrate_leaves_epoch_takes_28_days_and_difficulty_halves():
    """50 % leaves: period ~2015*1200 s = 27.99 days; next difficulty ~0.5005x.

    Per run the timespan is 1200 s * Gamma(2015): mean 2,418,000 s, sd 53,866 s (2.2 %).
    Over 400 runs the sd of the mean is 2,693 s, so +-11,000 s is ~4 sigma. The difficulty
    ratio is 1209600/timespan with mean 1209600/(1200*2014) = 0.500497 and per-run sd 0.0111;
    over 400 runs sd 0.00056, tolerance 0.0025 (~4.5 sigma).
    """
    runs = _shock(0.5, 40, range(1000, 1400))
    spans, ratios = [], []
    for chain, step in runs:
        assert len(step.retargets) == 1
        r = step.retargets[0]
        assert r.height == 2016 * (K0 + 1)
        assert r.old_bits == BITS
        # Retarget uses the floored times of the first and last block of the period.
        assert r.time_s == step.timestamps[r.height - 1 - step.first_height]
        assert r.timespan_s == math.floor(r.time_s) - math.floor(T0)
        assert r.new_bits == next_bits(BITS, math.floor(T0), math.floor(r.time_s))
        assert permitted_transition(r.height, r.old_bits, r.new_bits)
        # The first block at the new bits starts the new period.
        assert chain.epoch_start_s == step.timestamps[r.height - step.first_height]
        spans.append(r.timespan_s)
        ratios.append(difficulty(r.new_bits) / difficulty(r.old_bits))
        # Single-run sanity: within 5 sigma of 28 days.
        assert abs(r.timespan_s - 2015 * 1200) < 5 * 53_866
    assert np.mean(spans) == pytest.approx(2015 * 1200, abs=11_000)
    assert np.mean(spans) / DAY == pytest.approx(28.0, abs=0.15)
    assert np.mean(ratios) == pytest.approx(T / (1200 * 2014), abs=0.0025)


def test_ninety_percent_leaves_retarget_hits_the_clamp():
    """90 % leaves: the period takes ~140 days > 56, so difficulty drops by exactly 4x.

    Timespan is 6000 s * Gamma(2015) = 12.09e6 s +- 0.27e6 s, 27 sigma above the 4,838,400 s
    clamp, so every run must clamp: new target == compact(old target * 4).
    """
    for chain, step in _shock(0.1, 160, range(2000, 2020)):
        assert len(step.retargets) == 1
        r = step.retargets[0]
        assert r.timespan_s > 4 * T
        assert r.new_bits == target_to_bits(bits_to_target(BITS) * 4)
        assert r.new_bits == next_bits(BITS, 0, 4 * T)
        assert difficulty(r.new_bits) / difficulty(BITS) == pytest.approx(0.25, rel=2**-15)
        assert chain.bits == r.new_bits
        assert r.timespan_s / DAY == pytest.approx(2015 * 6000 / DAY, rel=0.12)


# --------------------------------------------------------------------------------------
# Retarget in the middle of a span.
# --------------------------------------------------------------------------------------
def test_mid_span_retarget_switches_block_spacing():
    """Crossing height 2016k mid-span: blocks after it are spaced at the new difficulty.

    Tip at 2016k - 10 with a period start as if the previous 2006 gaps took 300 s each, so the
    retarget roughly doubles difficulty. Each completed gap divided by the expected interval of
    the bits it was mined at must be Exp(1): mean 1 (sd 1/sqrt(n); n ~ 43,000 post-retarget
    gaps over 30 runs -> 0.005, tolerance 0.025) and a KS test against Exp(1) (p > 1e-3).
    """
    k = K0 + 1
    start_height = 2016 * k - 10
    epoch_start = T0 - 2006 * 300
    h = matched_hashrate(BITS)
    pre, post = [], []
    for seed in range(3000, 3030):
        chain = Chain(start_height, BITS, T0, epoch_start_s=epoch_start)
        step = chain.advance(h, 20 * DAY, np.random.default_rng(seed))
        assert step.first_height == start_height + 1
        assert len(step.retargets) == 1
        r = step.retargets[0]
        assert r.height == 2016 * k
        i_last = r.height - 1 - step.first_height  # index of block 2016k - 1
        assert r.time_s == step.timestamps[i_last]
        assert r.new_bits == next_bits(BITS, math.floor(epoch_start), math.floor(r.time_s))
        assert 1.9 < difficulty(r.new_bits) / difficulty(BITS) < 2.1
        assert chain.epoch_start_s == step.timestamps[i_last + 1]
        gaps = np.diff(np.concatenate([[T0], step.timestamps]))
        pre.append(gaps[: i_last + 1] / interval_s(BITS, h))
        post.append(gaps[i_last + 1 :] / interval_s(r.new_bits, h))
        assert step.first_height + step.blocks - 1 < 2016 * (k + 1)  # no second retarget
    pre_all, post_all = np.concatenate(pre), np.concatenate(post)
    assert len(post_all) > 35_000
    assert post_all.mean() == pytest.approx(1.0, abs=0.025)
    # At the old spacing the post-retarget gaps would average ~2, far outside the tolerance.
    assert stats.kstest(post_all, "expon").pvalue > 1e-3
    assert stats.kstest(np.concatenate([pre_all, post_all]), "expon").pvalue > 1e-3


def test_tip_is_last_block_of_period_retargets_before_next_block():
    """Chain built at height 2016k - 1: the very next block is mined at the new bits."""
    chain = Chain(2016 * K0 - 1, BITS, T0, epoch_start_s=T0 - 2 * T)
    step = chain.advance(matched_hashrate(BITS), DAY, np.random.default_rng(5))
    r = step.retargets[0]
    assert (r.height, r.time_s, r.timespan_s) == (2016 * K0, T0, 2 * T)
    assert r.new_bits == next_bits(BITS, math.floor(T0 - 2 * T), math.floor(T0))
    assert chain.bits == r.new_bits
    assert chain.epoch_start_s == step.timestamps[0]


def test_many_retargets_in_one_span_are_consistent():
    """A 300-day span at varying hashrate: retarget records chain up and are all permitted."""
    chain = Chain(2016 * K0, BITS, T0)
    rng = np.random.default_rng(77)
    records = []
    for i in range(60):
        h = matched_hashrate(BITS) * (1.0 + 0.5 * math.sin(i / 5.0))
        records += chain.advance(h, 5 * DAY, rng).retargets
    assert len(records) >= 15
    for a, b in itertools.pairwise(records):
        assert b.height == a.height + 2016
        assert b.old_bits == a.new_bits
        assert b.time_s > a.time_s
    for r in records:
        assert r.height % 2016 == 0
        assert permitted_transition(r.height, r.old_bits, r.new_bits)
    assert chain.bits == records[-1].new_bits


# --------------------------------------------------------------------------------------
# Bookkeeping: heights, clock, subsidy, fees.
# --------------------------------------------------------------------------------------
def test_step_bookkeeping_and_subsidy_conservation():
    """Each step: heights/timestamps consistent, clock advances, subsidy == range sum."""
    chain = Chain(2016 * K0, BITS, T0)
    rng = np.random.default_rng(99)
    h = matched_hashrate(BITS)
    for i in range(400):
        height0, clock0 = chain.height, chain.clock_s
        duration = [3600.0, DAY, 7 * DAY, 123.5][i % 4]
        step = chain.advance(h * (0.5 + (i % 7) / 4), duration, rng)
        assert step.blocks == len(step.timestamps) == chain.height - height0
        assert step.first_height == height0 + 1
        assert chain.clock_s == pytest.approx(clock0 + duration, abs=1e-6)
        assert chain.time_s <= chain.clock_s
        if step.blocks:
            assert step.timestamps.dtype == np.float64
            assert np.all(np.diff(step.timestamps) > 0)
            assert clock0 <= step.timestamps[0]
            assert step.timestamps[-1] < chain.clock_s
            assert chain.time_s == step.timestamps[-1]
        assert step.subsidy_sat == subsidy_sum_sat(height0 + 1, chain.height)
        assert step.fees_sat == 0  # no FeeProcess attached


def test_subsidy_split_across_halving_at_1050000():
    """A step covering heights 1,049,901.. splits: 99 blocks at 3.125 BTC, rest at 1.5625."""
    height = 1_049_900
    epoch_start = T0 - (height - 2016 * 520) * 600  # 2016*520 = 1,048,320 starts the period
    chain = Chain(height, BITS, T0, epoch_start_s=epoch_start)
    step = chain.advance(matched_hashrate(BITS), 2 * DAY, np.random.default_rng(1))
    assert step.blocks > 150
    assert block_subsidy_sat(1_049_999) == 312_500_000
    assert block_subsidy_sat(1_050_000) == 156_250_000
    assert step.subsidy_sat == 99 * 312_500_000 + (step.blocks - 99) * 156_250_000


def test_zero_hashrate_mines_nothing():
    """Zero hashrate is allowed: no blocks, no subsidy, no fees; only the clock moves."""
    chain = Chain(2016 * K0 + 5, BITS, T0, epoch_start_s=T0 - 3000, fees=FeeProcess(10**7))
    step = chain.advance(0.0, DAY, np.random.default_rng(0))
    assert (step.blocks, step.subsidy_sat, step.fees_sat, step.retargets) == (0, 0, 0, [])
    assert len(step.timestamps) == 0
    assert (chain.height, chain.time_s, chain.bits) == (2016 * K0 + 5, T0, BITS)
    assert chain.clock_s == T0 + DAY


@given(
    mean_sat=st.integers(0, 10**9),
    elasticity=st.sampled_from([0.0, 0.5, 1.0, 2.5]),
    interval_s=st.floats(1.0, 5000.0) | st.sampled_from([599.9999999999999, 600.0, 600.0001]),
)
def test_fee_mean_is_the_backlog_formula(mean_sat, elasticity, interval_s):
    """mean_sat is mean * max(interval / 600 s, 1) ** elasticity, bit for bit.

    Also where it skips the power (no slowdown, or no elasticity: the power is 1.0).
    """
    fees = FeeProcess(mean_sat, backlog_elasticity=elasticity)
    formula = mean_sat * max(interval_s / 600.0, 1.0) ** elasticity
    assert fees.mean_sat(interval_s).hex() == formula.hex()


def test_fee_mean_per_block():
    """Total fees / blocks ~= mean_sat_per_block (fees of N blocks ~ Gamma(4N, mean/4)).

    Over ~576,000 blocks the relative sd of the total is 1/sqrt(4N) = 0.066 %; tolerance
    0.4 % (6 sigma).
    """
    mean = 20_000_000  # 0.2 BTC per block
    chain = Chain(2016 * K0, BITS, T0, fees=FeeProcess(mean, shape=4.0))
    rng = np.random.default_rng(2024)
    h = matched_hashrate(BITS)
    steps = [chain.advance(h, DAY, rng) for _ in range(4000)]
    blocks = np.array([s.blocks for s in steps])
    fees = np.array([s.fees_sat for s in steps], dtype=np.float64)
    assert all(int(s.fees_sat) == s.fees_sat for s in steps)
    assert fees.sum() / blocks.sum() == pytest.approx(mean, rel=0.004)
    assert np.all(fees[blocks == 0] == 0)
    # Given n blocks, fees ~ Gamma(4n, mean/4): sd = mean*sqrt(n/4). Standardised residuals
    # have mean 0 (sd 1/sqrt(4000) = 0.016, tol 0.08) and sd 1 (sd of sd ~0.011, tol 0.06).
    ok = blocks > 0
    z = (fees[ok] - blocks[ok] * mean) / (mean * np.sqrt(blocks[ok] / 4.0))
    assert z.mean() == pytest.approx(0.0, abs=0.08)
    assert z.std() == pytest.approx(1.0, abs=0.06)


def test_fee_shape_controls_dispersion():
    """With shape 1 the per-step fee sd is mean*sqrt(n): standardised sd ~1 (tol 0.06)."""
    mean = 5_000_000
    chain = Chain(2016 * K0, BITS, T0, fees=FeeProcess(mean, shape=1.0))
    rng = np.random.default_rng(31)
    steps = [chain.advance(matched_hashrate(BITS), DAY, rng) for _ in range(4000)]
    n = np.array([s.blocks for s in steps], dtype=np.float64)
    f = np.array([s.fees_sat for s in steps], dtype=np.float64)
    z = (f - n * mean) / (mean * np.sqrt(n))
    assert z.std() == pytest.approx(1.0, abs=0.06)


# --------------------------------------------------------------------------------------
# Determinism.
# --------------------------------------------------------------------------------------
def _run(seed: int) -> tuple[np.ndarray, list[int], int]:
    chain = Chain(2016 * K0, BITS, T0, fees=FeeProcess(10**7))
    rng = np.random.default_rng(seed)
    steps = [chain.advance(matched_hashrate(BITS) * (1 + i / 50), DAY, rng) for i in range(40)]
    ts = np.concatenate([s.timestamps for s in steps])
    return ts, [s.fees_sat for s in steps], chain.bits


def test_same_seed_same_chain():
    """Identical seeds and calls give bit-identical timestamps, fees and bits."""
    a, b = _run(42), _run(42)
    assert np.array_equal(a[0], b[0])
    assert a[1] == b[1]
    assert a[2] == b[2]


def test_different_seeds_differ():
    """Different seeds give different block times."""
    a, b = _run(42), _run(43)
    assert len(a[0]) != len(b[0]) or not np.array_equal(a[0], b[0])


# --------------------------------------------------------------------------------------
# Bad input.
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("hashrate", [-1.0, -1e20, float("nan"), float("inf")])
def test_bad_hashrate_raises(hashrate):
    """Negative or non-finite hashrate -> ValueError."""
    chain = Chain(2016 * K0, BITS, T0)
    with pytest.raises(ValueError):
        chain.advance(hashrate, DAY, np.random.default_rng(0))


@pytest.mark.parametrize("duration", [0.0, -1.0, -DAY])
def test_non_positive_duration_raises(duration):
    """duration_s <= 0 -> ValueError."""
    chain = Chain(2016 * K0, BITS, T0)
    with pytest.raises(ValueError):
        chain.advance(matched_hashrate(BITS), duration, np.random.default_rng(0))


@pytest.mark.parametrize("bits", [0x04923456, 0x01FEDCBA, 0xFF123456, 0x23000001])
def test_invalid_bits_raise(bits):
    """Negative (sign bit) or overflowing compact bits in Chain(...) -> ValueError."""
    with pytest.raises(ValueError):
        Chain(2016 * K0, bits, T0)


@pytest.mark.parametrize("height", [1, 2015, 2016 * K0 + 1, 930_000])
def test_missing_epoch_start_raises_mid_period(height):
    """epoch_start_s is required unless height % 2016 == 0."""
    with pytest.raises(ValueError):
        Chain(height, BITS, T0)


def test_epoch_start_defaults_to_tip_time_at_period_start():
    """At a period's first block, epoch_start_s defaults to time_s and clock_s starts there."""
    chain = Chain(2016 * K0, BITS, T0)
    assert (chain.height, chain.bits, chain.time_s) == (2016 * K0, BITS, T0)
    assert chain.epoch_start_s == T0
    assert chain.clock_s == T0
