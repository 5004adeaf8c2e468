"""Compact ("nBits") encoding and GetDifficulty, checked against Bitcoin Core.

Vectors come from Bitcoin Core:
  * src/test/arith_uint256_tests.cpp, test case ``bignum_SetCompact``
    (arith_uint256::SetCompact / GetCompact);
  * src/test/blockchain_tests.cpp, ``get_difficulty_for_*`` (GetDifficulty in rpc/blockchain.cpp).
Only the numbers are taken from there; the checks below are written from scratch.
"""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from abm.chain import (
    POW_LIMIT,
    POW_LIMIT_BITS,
    bits_to_target,
    difficulty,
    target_to_bits,
)

# --------------------------------------------------------------------------------------
# SetCompact / GetCompact vectors (src/test/arith_uint256_tests.cpp, bignum_SetCompact).
# (compact, decoded target, GetCompact() of the decoded target)
# --------------------------------------------------------------------------------------
SET_COMPACT_VALID = [
    (0x00000000, 0x0, 0x00000000),
    (0x00123456, 0x0, 0x00000000),
    (0x01003456, 0x0, 0x00000000),
    (0x02000056, 0x0, 0x00000000),
    (0x03000000, 0x0, 0x00000000),
    (0x04000000, 0x0, 0x00000000),
    # Sign bit set but the (shifted) mantissa is zero: neither negative nor overflow in Core.
    (0x00923456, 0x0, 0x00000000),
    (0x01803456, 0x0, 0x00000000),
    (0x02800056, 0x0, 0x00000000),
    (0x03800000, 0x0, 0x00000000),
    (0x04800000, 0x0, 0x00000000),
    (0x01123456, 0x12, 0x01120000),
    (0x02123456, 0x1234, 0x02123400),
    (0x03123456, 0x123456, 0x03123456),
    (0x04123456, 0x12345600, 0x04123456),
    (0x05009234, 0x92340000, 0x05009234),
    (0x20123456, 0x1234560000000000000000000000000000000000000000000000000000000000, 0x20123456),
]


@pytest.mark.parametrize(
    ("compact", "target", "recompact"),
    SET_COMPACT_VALID,
    ids=[f"{c:#010x}" for c, _, _ in SET_COMPACT_VALID],
)
def test_set_compact_core_vectors_decode_and_reencode(compact, target, recompact):
    """Core's bignum_SetCompact vectors: decoded value and GetCompact() of it match."""
    assert bits_to_target(compact) == target
    assert target_to_bits(target) == recompact


@pytest.mark.parametrize("compact", [0x01FEDCBA, 0x04923456])
def test_negative_compact_raises(compact):
    """Core flags 0x01fedcba and 0x04923456 as fNegative; bits_to_target rejects them."""
    with pytest.raises(ValueError, match=r"(?i)negative"):
        bits_to_target(compact)


@pytest.mark.parametrize(
    "compact",
    [
        0xFF123456,  # Core vector: fOverflow.
        0x23000001,  # size 35 > 34 with a nonzero mantissa.
        0x22000100,  # size 34 with mantissa > 0xff.
        0x21010000,  # size 33 with mantissa > 0xffff.
    ],
)
def test_overflowing_compact_raises(compact):
    """Core's fOverflow rule (0xff123456 and the size-34/33/32 boundaries) -> ValueError."""
    with pytest.raises(ValueError, match=r"(?i)overflow"):
        bits_to_target(compact)


@pytest.mark.parametrize(
    ("compact", "target"),
    [
        (0x22000001, 1 << 248),  # size 34, mantissa <= 0xff: fits in 256 bits.
        (0x2100FFFF, 0xFFFF << 240),  # size 33, mantissa <= 0xffff: fits.
        (0x207FFFFF, 0x7FFFFF << 232),  # size 32: any positive mantissa fits.
        (0xFF000000, 0),  # zero mantissa never overflows, whatever the size.
    ],
)
def test_overflow_rule_boundaries_that_fit(compact, target):
    """Largest sizes that Core's fOverflow rule still accepts decode to the exact value."""
    assert bits_to_target(compact) == target


def test_get_compact_never_sets_sign_bit_for_0x80():
    """Core: GetCompact(0x80) == 0x02008000 (mantissa shifted so 0x00800000 stays clear)."""
    assert target_to_bits(0x80) == 0x02008000
    assert bits_to_target(0x02008000) == 0x80


@pytest.mark.parametrize(
    ("target", "bits"),
    [
        (0x800000, 0x04008000),  # 0x800000 would set the sign bit at size 3; low byte lost.
        (0x800001, 0x04008000),
        (0x7FFFFF, 0x037FFFFF),
        (1, 0x01010000),
        (0xFF, 0x0200FF00),
        (2**256 - 1, 0x2100FFFF),
    ],
)
def test_get_compact_normalisation_examples(target, bits):
    """GetCompact examples at the 0x800000 boundary, tiny values and 2**256 - 1."""
    assert target_to_bits(target) == bits


@pytest.mark.parametrize("target", [-1, 2**256, 2**300])
def test_target_to_bits_rejects_out_of_range(target):
    """target_to_bits accepts only 0 <= target < 2**256."""
    with pytest.raises(ValueError):
        target_to_bits(target)


def test_pow_limit_constants():
    """Mainnet powLimit is 2**224 - 1 and its compact form is 0x1d00ffff (genesis nBits)."""
    assert POW_LIMIT == 2**224 - 1
    assert POW_LIMIT_BITS == 0x1D00FFFF
    assert target_to_bits(POW_LIMIT) == 0x1D00FFFF
    assert bits_to_target(0x1D00FFFF) == 0xFFFF << 208


# --------------------------------------------------------------------------------------
# GetDifficulty (src/test/blockchain_tests.cpp; Core compares with |diff| < 1e-5).
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("bits", "expected"),
    [
        (0x1F111111, 0.000001),
        (0x1EF88F6F, 0.000016),
        (0x1DF88F6F, 0.004023),
        (0x1CF88F6F, 1.029916),
        (0x12345678, 5913134931067755359633408.0),
    ],
)
def test_get_difficulty_core_vectors(bits, expected):
    """Core's get_difficulty_for_{very_low,low,mid,high,very_high}_target within 1e-5."""
    assert abs(difficulty(bits) - expected) < 1e-5


def test_difficulty_of_pow_limit_is_one():
    """GetDifficulty(0x1d00ffff) is exactly 1.0."""
    assert difficulty(0x1D00FFFF) == 1.0


def test_difficulty_known_mainnet_value():
    """Mainnet nBits 0x1b0404cb (2010) has difficulty 65535/0x0404cb * 256**2 = 16307.42..."""
    assert difficulty(0x1B0404CB) == pytest.approx(16307.420938523983, rel=1e-14)


def test_difficulty_matches_target_ratio():
    """difficulty(bits) == 0xffff * 2**208 / target(bits) to double precision."""
    for bits in (0x1D00FFFF, 0x1B0404CB, 0x17034219, 0x1C05A3F4, 0x207FFFFF):
        expected = (0xFFFF << 208) / bits_to_target(bits)
        assert difficulty(bits) == pytest.approx(expected, rel=1e-12)


# --------------------------------------------------------------------------------------
# Properties.
# --------------------------------------------------------------------------------------
normalized_bits = st.one_of(
    st.builds(
        lambda e, m: (e << 24) | m,
        st.integers(3, 32),
        st.integers(0x008000, 0x7FFFFF),
    ),
    # Size 33 only fits mantissas <= 0xffff (Core's fOverflow rule).
    st.builds(lambda m: (33 << 24) | m, st.integers(0x008000, 0x00FFFF)),
)


@given(normalized_bits)
def test_roundtrip_bits_target_bits(bits):
    """target_to_bits(bits_to_target(b)) == b for every normalized, valid compact b."""
    assert target_to_bits(bits_to_target(bits)) == bits


@given(st.integers(0, 2**256 - 1))
def test_roundtrip_target_bits_target_only_drops_low_bits(target):
    """bits_to_target(target_to_bits(t)) is t with only low-order bits cleared (>= 16 kept)."""
    bits = target_to_bits(target)
    assert 0 <= bits < 2**32
    assert bits & 0x00800000 == 0  # GetCompact never emits the sign bit
    back = bits_to_target(bits)
    assert back <= target
    exponent = bits >> 24
    shift = 8 * max(0, exponent - 3)
    assert back == (target >> shift) << shift
    if target > 0:
        # At least 16 significant bits survive, so the relative loss is < 2**-15.
        assert target - back < 2 ** max(0, target.bit_length() - 16)
    # Encoding is idempotent.
    assert target_to_bits(back) == bits


@given(st.integers(1, POW_LIMIT))
def test_difficulty_is_inverse_of_target(target):
    """difficulty(target_to_bits(t)) == 0xffff*2**208/t up to compact rounding (< 2**-15)."""
    bits = target_to_bits(target)
    d = difficulty(bits)
    exact = (0xFFFF << 208) / target
    assert math.isfinite(d)
    assert exact * (1 - 1e-12) <= d <= exact * (1 + 2**-15 + 1e-12)
