"""Difficulty retargeting: CalculateNextWorkRequired and PermittedDifficultyTransition.

Core vectors come from Bitcoin Core src/test/pow_tests.cpp (get_next_work,
get_next_work_pow_limit, get_next_work_lower_limit_actual, get_next_work_upper_limit_actual);
the numbers are copied, the code is not.
"""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from abm.chain import (
    POW_LIMIT,
    POW_LIMIT_BITS,
    RETARGET_INTERVAL,
    TARGET_SPACING_S,
    TARGET_TIMESPAN_S,
    bits_to_target,
    difficulty,
    next_bits,
    permitted_transition,
    target_to_bits,
)

T = 1_209_600  # two weeks, nPowTargetTimespan
BITS_1P4E14 = target_to_bits((0xFFFF << 208) // (14 * 10**13))  # difficulty ~1.4e14


def test_retarget_constants():
    """Mainnet: 2016-block interval, 600 s spacing, 1,209,600 s target timespan."""
    assert RETARGET_INTERVAL == 2016
    assert TARGET_SPACING_S == 600
    assert TARGET_TIMESPAN_S == T == RETARGET_INTERVAL * TARGET_SPACING_S


# --------------------------------------------------------------------------------------
# Core vectors (src/test/pow_tests.cpp).  (last_retarget_time, last_height, last_time,
# last_bits, expected_bits)
# --------------------------------------------------------------------------------------
CORE_CASES = {
    # No constraint applies (blocks #30240..#32255).
    "get_next_work": (1261130161, 32255, 1262152739, 0x1D00FFFF, 0x1D00D86A),
    # Result capped at powLimit (blocks #0..#2015).
    "get_next_work_pow_limit": (1231006505, 2015, 1233061996, 0x1D00FFFF, 0x1D00FFFF),
    # Timespan below nPowTargetTimespan/4 is clamped (blocks #66528..#68543).
    "get_next_work_lower_limit_actual": (1279008237, 68543, 1279297671, 0x1C05A3F4, 0x1C0168FD),
    # Timespan above 4*nPowTargetTimespan is clamped (first time is not a real block time).
    "get_next_work_upper_limit_actual": (1263163443, 46367, 1269211443, 0x1C387F6F, 0x1D00E1FD),
}


@pytest.mark.parametrize("case", sorted(CORE_CASES))
def test_core_next_work_vectors(case):
    """Core pow_tests: CalculateNextWorkRequired result, and it is a permitted transition."""
    first, last_height, last_time, old_bits, expected = CORE_CASES[case]
    assert next_bits(old_bits, first, last_time) == expected
    assert permitted_transition(last_height + 1, old_bits, expected)


def test_core_lower_limit_one_less_is_not_permitted():
    """Core get_next_work_lower_limit_actual: expected_nbits - 1 is not a permitted transition."""
    assert not permitted_transition(68544, 0x1C05A3F4, 0x1C0168FD - 1)


def test_core_upper_limit_one_more_is_not_permitted():
    """Core get_next_work_upper_limit_actual: expected_nbits + 1 is not a permitted transition."""
    assert not permitted_transition(46368, 0x1C387F6F, 0x1D00E1FD + 1)


# --------------------------------------------------------------------------------------
# Clamping, cap and direction.
# --------------------------------------------------------------------------------------
def test_timespan_clamped_to_quarter_and_four_times():
    """Timespans outside [302400, 4838400] behave exactly like the nearest bound."""
    b = BITS_1P4E14
    assert next_bits(b, 0, 302_400) == next_bits(b, 0, 1) == next_bits(b, 0, 0)
    assert next_bits(b, 1000, 0) == next_bits(b, 0, 302_400)  # negative timespan
    assert next_bits(b, 0, 4_838_400) == next_bits(b, 0, 10 * T) == next_bits(b, 0, 10**9)
    # Just inside the bounds the result differs (1 % steps; 1 s is below compact resolution).
    assert next_bits(b, 0, 305_424) != next_bits(b, 0, 302_400)
    assert next_bits(b, 0, 4_790_016) != next_bits(b, 0, 4_838_400)


def test_clamp_bounds_are_x4_and_div4():
    """At the clamps the new target is exactly old*4 and old//4 (then compact-encoded)."""
    b = BITS_1P4E14
    old = bits_to_target(b)
    assert next_bits(b, 0, 4 * T) == target_to_bits(old * 4)
    assert next_bits(b, 0, T // 4) == target_to_bits(old // 4)
    assert difficulty(next_bits(b, 0, 4 * T)) / difficulty(b) == pytest.approx(0.25, rel=2**-15)
    assert difficulty(next_bits(b, 0, T // 4)) / difficulty(b) == pytest.approx(4.0, rel=2**-15)


def test_result_capped_at_pow_limit():
    """An easy target times a slow period never exceeds powLimit: result is 0x1d00ffff."""
    assert next_bits(0x1D00FFFF, 0, 4 * T) == POW_LIMIT_BITS
    assert next_bits(0x1C7FFFFF, 0, 4 * T) == POW_LIMIT_BITS  # 0x7fffff*4 > 0xffff00
    assert next_bits(0x1C7FFFFF, 0, T) == 0x1C7FFFFF  # below the limit: unchanged


def test_256_bit_multiplication_wraps_like_arith_uint256():
    """Core's bnNew *= timespan wraps mod 2**256: 2**255 * 4838400 wraps to 0 -> bits 0."""
    # 4838400 = 2**10 * 4725, so 2**255 * 4838400 == 0 (mod 2**256) and the result is 0.
    assert bits_to_target(0x21008000) == 2**255
    assert next_bits(0x21008000, 0, 4 * T) == 0
    # Without the wrap the result would have been capped at powLimit.
    assert next_bits(0x21008000, 0, 4 * T) != POW_LIMIT_BITS


def test_slow_period_lowers_difficulty():
    """A period twice as long as two weeks halves the difficulty (target x2)."""
    b = BITS_1P4E14
    new = next_bits(b, 1_700_000_000, 1_700_000_000 + 2 * T)
    assert new == target_to_bits(bits_to_target(b) * 2)
    assert difficulty(new) < difficulty(b)
    assert difficulty(new) / difficulty(b) == pytest.approx(0.5, rel=2**-15)


def test_fast_period_raises_difficulty():
    """A period half as long as two weeks doubles the difficulty (target / 2)."""
    b = BITS_1P4E14
    new = next_bits(b, 1_700_000_000, 1_700_000_000 + T // 2)
    assert new == target_to_bits(bits_to_target(b) // 2)
    assert difficulty(new) > difficulty(b)
    assert difficulty(new) / difficulty(b) == pytest.approx(2.0, rel=2**-15)


@pytest.mark.parametrize("bits", [BITS_1P4E14, 0x1D00FFFF, 0x1B0404CB, 0x1C05A3F4, 0x17034219])
def test_exact_two_week_period_keeps_bits(bits):
    """A timespan of exactly 1,209,600 s returns the same (normalized) bits."""
    assert next_bits(bits, 1_600_000_000, 1_600_000_000 + T) == bits


def test_period_one_second_short_scales_target_with_floor_division():
    """Timespan T-1 gives compact(old * (T-1) // T): integer floor division, as in Core."""
    b = 0x1D00FFFF
    old = bits_to_target(b)
    assert next_bits(b, 0, T - 1) == target_to_bits(old * (T - 1) // T)


# --------------------------------------------------------------------------------------
# PermittedDifficultyTransition.
# --------------------------------------------------------------------------------------
def test_no_change_allowed_between_retargets():
    """At heights not divisible by 2016 the bits must stay identical."""
    b = BITS_1P4E14
    for h in (1, 2015, 2017, 930_001, 2016 * 461 + 624):
        assert permitted_transition(h, b, b)
        assert not permitted_transition(h, b, b + 1)
        assert not permitted_transition(h, b, next_bits(b, 0, T // 2))


def test_retarget_transition_bounds():
    """At a retarget height any target within [old/4, old*4] (compact-rounded) is allowed."""
    b = BITS_1P4E14
    old = bits_to_target(b)
    h = 2016 * 462
    assert permitted_transition(h, b, b)
    assert permitted_transition(h, b, target_to_bits(old * 4))
    assert permitted_transition(h, b, target_to_bits(old // 4))
    assert not permitted_transition(h, b, target_to_bits(old * 5))
    assert not permitted_transition(h, b, target_to_bits(old // 5))
    # Largest permitted step is capped at powLimit.
    assert permitted_transition(2016, 0x1D00FFFF, 0x1D00FFFF)
    assert not permitted_transition(2016, 0x1D00FFFF, 0x1D010000)


# --------------------------------------------------------------------------------------
# Properties.
# --------------------------------------------------------------------------------------
def _reference_next_bits(bits: int, first: int, last: int) -> int:
    """Independent restatement of CalculateNextWorkRequired on Python ints."""
    span = min(max(last - first, T // 4), T * 4)
    target = (bits_to_target(bits) * span) % 2**256 // T
    return target_to_bits(min(target, POW_LIMIT))


valid_bits = st.builds(
    lambda e, m: (e << 24) | m, st.integers(3, 32), st.integers(0x008000, 0x7FFFFF)
)
bits_up_to_pow_limit = valid_bits.filter(lambda b: bits_to_target(b) <= POW_LIMIT)
times = st.integers(0, 2**32 - 1)
deltas = st.integers(-(10**7), 10**8)


@given(valid_bits, times, deltas)
def test_next_bits_matches_reference(bits, first, delta):
    """next_bits equals clamp -> multiply (mod 2**256) -> floor-divide -> cap -> compact."""
    assert next_bits(bits, first, first + delta) == _reference_next_bits(bits, first, first + delta)


@given(bits_up_to_pow_limit, times, deltas, st.integers(1, 10_000))
def test_next_bits_is_always_permitted_and_below_limit(bits, first, delta, k):
    """For valid bits <= powLimit, next_bits is a permitted transition at 2016*k, <= powLimit."""
    new = next_bits(bits, first, first + delta)
    assert permitted_transition(2016 * k, bits, new)
    assert 0 < bits_to_target(new) <= POW_LIMIT


@given(bits_up_to_pow_limit, st.integers(-(10**6), 10**7), st.integers(0, 10**6))
def test_next_target_monotone_in_timespan(bits, span, extra):
    """A longer period never yields a smaller target (never a higher difficulty)."""
    a = bits_to_target(next_bits(bits, 0, span))
    b = bits_to_target(next_bits(bits, 0, span + extra))
    assert a <= b
