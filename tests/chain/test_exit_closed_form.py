"""Closed forms of a hashrate exit on the simulated chain (`abm.chain.Chain`).

A fraction f of the hashrate leaves right after a retarget: the chain's tip is the first
block of a period (height 2016k) mined at bits matched to the old hashrate H, and the
remaining (1 - f) H mines on. Until the next retarget the 2015 gaps of the period are
exponential with mean

    mu = D * 2**32 / ((1 - f) H) = 600 / (1 - f) s,

and the retarget sets the difficulty to D * 1209600 / timespan with timespan = mu * G,
G ~ Gamma(2015, 1) (2015 gaps: first to last block of the period). Since E[1/G] = 1/2014,
the expected factor is (1 - f) * 1209600 / (600 * 2014) = (1 - f) * 1.000993, i.e. (1 - f)
up to Satoshi's off-by-one and Jensen's inequality. A timespan above 4 * 1209600 s is clamped
(the factor is then exactly 1/4); with G above c = 4 * 1209600 / mu,

    E[factor] = 1209600 / (mu * 2014) * P(Gamma(2014) < c) + 1/4 * P(Gamma(2015) >= c)

(E[1/G; G < c] = P(Gamma(2014) < c) / 2014). The clamp is the mean timespan at f = 0.75
(2400 s * 2015 = 4,836,000 s against 4,838,400 s): about half the runs clamp there, and
every run of f = 0.8 does (mean 9 sd above the clamp).

Generators are seeded, so the tests are deterministic; tolerances are 4 standard errors of
the statistics named, computed from the exponential / Gamma distributions, not from the
draws.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from abm.chain import (
    MAX_TIMESPAN_S,
    TARGET_TIMESPAN_S,
    Chain,
    bits_to_target,
    difficulty,
    next_bits,
    target_to_bits,
)

K0 = 462  # 2016 * 462 = 931,392: a retarget height near today's chain tip
START_HEIGHT = 2016 * K0
BITS = target_to_bits((0xFFFF << 208) // (14 * 10**13))  # difficulty ~1.4e14
T0 = 1_700_000_000.0  # an integer tip time, so floor(T0) == T0
GAPS_PER_PERIOD = 2015  # gaps mined at the old bits: heights 2016k+1 .. 2016k+2015
N_SEEDS = 200
FRACTIONS = (0.1, 0.25, 0.5, 0.75)
COMPACT_REL = 2.0**-15  # compact rounding of a target: mantissa >= 0x8000


def matched_hashrate(bits: int) -> float:
    """Hashrate (H/s) that finds one block per 600 s on average at `bits`."""
    return difficulty(bits) * 2**32 / 600.0


def expected_factor(mu_s: float) -> float:
    """E[new / old difficulty] after a period of mean gap `mu_s`, clamp included."""
    c = MAX_TIMESPAN_S / mu_s
    unclamped = TARGET_TIMESPAN_S / (mu_s * (GAPS_PER_PERIOD - 1))
    return unclamped * stats.gamma.cdf(c, GAPS_PER_PERIOD - 1) + 0.25 * stats.gamma.sf(
        c, GAPS_PER_PERIOD
    )


def exit_runs(f: float, seeds: range) -> list[dict]:
    """Per seed: gaps before/after the next retarget, the retarget, the chain."""
    hashrate = (1.0 - f) * matched_hashrate(BITS)
    mu = 600.0 / (1.0 - f)
    # The period takes 2015 mu, sd 45 mu: 2285 mu (6 sd more) reaches its retarget in every
    # run, and leaves too little time for the next period (2016 mu_new >= 504 mu) to end.
    duration = (GAPS_PER_PERIOD + 6 * 45) * mu
    out = []
    for seed in seeds:
        chain = Chain(START_HEIGHT, BITS, T0)
        step = chain.advance(hashrate, duration, np.random.default_rng(seed))
        assert len(step.retargets) == 1, f"f={f}, seed {seed}: {len(step.retargets)} retargets"
        gaps = np.diff(step.timestamps, prepend=T0)
        out.append(
            {
                "pre": gaps[:GAPS_PER_PERIOD],
                "post": gaps[GAPS_PER_PERIOD:],
                "retarget": step.retargets[0],
                "hashrate": hashrate,
            }
        )
    return out


@pytest.fixture(scope="module", params=FRACTIONS, ids=lambda f: f"f={f}")
def exit_case(request) -> tuple[float, list[dict]]:
    f = request.param
    return f, exit_runs(f, range(10_000, 10_000 + N_SEEDS))


def test_mean_interval_is_600_over_one_minus_f_until_the_next_retarget(exit_case):
    """Pooled mean of the 2015 pre-retarget gaps = 600/(1-f) s within 4 SE.

    SE of the pooled mean of n = 200 * 2015 exponential gaps is mu / sqrt(n) = 0.16 % of mu,
    so the tolerance is 0.63 % of mu; 600/(1-f) and 600 s differ by >= 11 %. Each seed's own
    mean (sd mu / sqrt(2015) = 2.2 %) must lie within 5 sd (11 %) of mu.
    """
    f, runs = exit_case
    mu = 600.0 / (1.0 - f)
    pre = np.concatenate([r["pre"] for r in runs])
    assert len(pre) == N_SEEDS * GAPS_PER_PERIOD
    se = mu / math.sqrt(len(pre))
    assert pre.mean() == pytest.approx(mu, abs=4 * se), (
        f"f={f}: mean {pre.mean():.2f} s, expected {mu:.2f} +- {4 * se:.2f} s"
    )
    per_seed = np.array([r["pre"].mean() for r in runs])
    assert np.all(np.abs(per_seed - mu) < 5 * mu / math.sqrt(GAPS_PER_PERIOD))


def test_the_retarget_ends_the_slow_blocks(exit_case):
    """After the retarget, gaps are spaced at the new bits: gap / mu_new ~ Exp(1).

    mu_new = D_new * 2**32 / ((1-f) H). The pooled normalized mean is 1 within 4/sqrt(n)
    (n >= 200 * 270 gaps: <= 1.7 %; dropping the censored last gap biases it by ~1/n). In raw
    seconds an unclamped new period runs at 1209600 / G s per block, mean 600.6 s: within 2 %
    of 600 s (its sd over 200 runs is 0.16 %), which rejects 600/(1-f) >= 667 s.
    """
    f, runs = exit_case
    normalized = np.concatenate(
        [r["post"] / (difficulty(r["retarget"].new_bits) * 2**32 / r["hashrate"]) for r in runs]
    )
    assert len(normalized) > N_SEEDS * 250
    assert normalized.mean() == pytest.approx(1.0, abs=4 / math.sqrt(len(normalized)))
    post = np.concatenate([r["post"] for r in runs])
    if f < 0.75:  # at f = 0.75 half the runs clamp, leaving blocks slightly slower
        assert post.mean() == pytest.approx(600.0, rel=0.02)


def test_next_difficulty_factor_is_one_minus_f_within_the_noise(exit_case):
    """Mean new/old difficulty = (1-f) * 1209600 / (600 * 2014), clamp included.

    Per run the factor has relative sd 1/sqrt(2013) = 2.23 % (1/G); over 200 runs the SE is
    0.158 % of (1-f); tolerance 4 SE plus compact rounding (2**-15 relative). Below f = 0.75
    the factor differs from (1 - f) only by the 0.1 % off-by-one/Jensen term, so it is within
    1 % of (1 - f); at f = 0.75 the clamp cuts off the factors below 1/4 and the expected mean
    is 0.25235 (+0.94 %), which the clamp-aware expectation above covers.
    """
    f, runs = exit_case
    mu = 600.0 / (1.0 - f)
    factors = np.array(
        [difficulty(r["retarget"].new_bits) / difficulty(r["retarget"].old_bits) for r in runs]
    )
    expected = expected_factor(mu)
    se = (1.0 - f) / math.sqrt(GAPS_PER_PERIOD - 2) / math.sqrt(N_SEEDS)
    tolerance = 4 * se + COMPACT_REL * (1.0 - f)
    assert factors.mean() == pytest.approx(expected, abs=tolerance), (
        f"f={f}: mean factor {factors.mean():.5f}, expected {expected:.5f} +- {tolerance:.5f}"
    )
    if f < 0.75:
        assert factors.mean() == pytest.approx(1.0 - f, rel=0.01)
    for r in runs:
        ret = r["retarget"]
        assert ret.height == START_HEIGHT + 2016
        assert ret.old_bits == BITS
        assert ret.new_bits == next_bits(BITS, math.floor(T0), math.floor(ret.time_s))


def test_at_f_075_about_half_of_the_retargets_hit_the_clamp():
    """At f = 0.75, P(2400 s * Gamma(2015) > 4,838,400 s) = 0.49; binomial 4 sd over 200 runs."""
    mu = 2400.0
    runs = exit_runs(0.75, range(10_000, 10_000 + N_SEEDS))
    clamped = sum(r["retarget"].timespan_s > MAX_TIMESPAN_S for r in runs)
    p = stats.gamma.sf(MAX_TIMESPAN_S / mu, GAPS_PER_PERIOD)
    assert 0.45 < p < 0.55
    assert abs(clamped - N_SEEDS * p) <= 4 * math.sqrt(N_SEEDS * p * (1 - p)), (clamped, p)
    for r in runs:
        ret = r["retarget"]
        factor = difficulty(ret.new_bits) / difficulty(ret.old_bits)
        assert factor >= 0.25 * (1 - COMPACT_REL)  # never below the clamp


@pytest.mark.parametrize("f", [0.8, 0.85])
def test_exits_above_three_quarters_always_hit_the_clamp(f):
    """Above f = 0.75 the mean timespan is >= 9 sd above the clamp, so every run divides D by 4.

    f = 0.8: 3000 s * Gamma(2015) = 6.045e6 s, sd 0.135e6 s, clamp 4.838e6 s (9 sd);
    f = 0.85 is 18 sd above. New target = compact(old target * 4), factor 1/4 within 2**-15.
    """
    clamp_bits = target_to_bits(bits_to_target(BITS) * 4)
    runs = exit_runs(f, range(20_000, 20_050))
    for r in runs:
        ret = r["retarget"]
        assert ret.timespan_s > MAX_TIMESPAN_S
        assert ret.new_bits == clamp_bits
        assert difficulty(ret.new_bits) / difficulty(BITS) == pytest.approx(0.25, rel=COMPACT_REL)
    pre = np.concatenate([r["pre"] for r in runs])
    mu = 600.0 / (1.0 - f)
    assert pre.mean() == pytest.approx(mu, abs=4 * mu / math.sqrt(len(pre)))
