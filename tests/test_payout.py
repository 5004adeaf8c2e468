"""`split_sat`: integer satoshis, pro rata to weights, summing exactly to the total.

The exact share of entry i is total * w_i / sum(w), computed here in rational arithmetic
(`fractions.Fraction` of the float weights, which is exact), so "within 1 sat" is checked
against the true value, not against another float computation.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abm.payout import split_sat, split_sat_rows

MAX_TOTAL = 10**12  # 10,000 BTC: far above a day's issuance

# Hashrate-like weights: zero, or a positive number of TH/s between 1e-6 and 1e15.
weight = st.one_of(
    st.just(0.0),
    st.floats(min_value=1e-6, max_value=1e15, allow_nan=False, allow_infinity=False),
)
weights = st.lists(weight, min_size=1, max_size=40).filter(lambda w: sum(w) > 0)


def exact_shares(total: int, w: list[float]) -> list[Fraction]:
    """The exact shares total * w_i / sum(w), as fractions."""
    fw = [Fraction(x) for x in w]
    s = sum(fw)
    return [Fraction(total) * x / s for x in fw]


@settings(max_examples=400, deadline=None)
@given(total=st.integers(min_value=0, max_value=MAX_TOTAL), w=weights)
def test_split_is_int64_exact_total_within_one_sat_and_zero_for_zero_weight(total, w):
    paid = split_sat(total, np.array(w))
    assert paid.dtype == np.int64
    assert paid.shape == (len(w),)
    assert int(paid.sum()) == total
    for p, share, x in zip(paid.tolist(), exact_shares(total, w), w, strict=True):
        assert abs(p - share) < 1, (p, share)
        assert p >= 0
        if x == 0:
            assert p == 0


any_weights = st.lists(
    st.floats(min_value=0.0, max_value=1.7e308, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=30,
).filter(lambda w: max(w) > 0)


@settings(max_examples=300, deadline=None)
@given(total=st.integers(min_value=0, max_value=MAX_TOTAL), w=any_weights)
def test_split_is_exact_for_any_finite_weights_subnormal_to_huge(total, w):
    """The same properties over every finite non-negative float (sums may overflow)."""
    paid = split_sat(total, np.array(w))
    assert paid.dtype == np.int64
    assert int(paid.sum()) == total
    for p, share, x in zip(paid.tolist(), exact_shares(total, w), w, strict=True):
        assert abs(p - share) < 1
        if x == 0:
            assert p == 0


@settings(max_examples=200, deadline=None)
@given(total=st.integers(min_value=0, max_value=MAX_TOTAL), n=st.integers(1, 30))
def test_equal_weights_differ_by_at_most_one_sat(total, n):
    paid = split_sat(total, np.ones(n))
    assert int(paid.sum()) == total
    assert paid.max() - paid.min() <= (0 if total % n == 0 else 1)


@settings(max_examples=200, deadline=None)
@given(total=st.integers(min_value=0, max_value=MAX_TOTAL), w=weights, k=st.floats(1e-3, 1e3))
def test_split_depends_only_on_weight_ratios(total, w, k):
    """Scaling every weight by k pays the same shares (up to the one-sat rounding)."""
    a = split_sat(total, np.array(w))
    b = split_sat(total, np.array(w) * k)
    assert int(b.sum()) == total
    assert np.abs(a - b).max() <= 1


# Rows of few distinct weights (ties, equal fractional parts across the cut-off) or any.
tied_row = st.lists(st.sampled_from([0.0, 1.0, 2.0, 3.0, 7.0]), min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(
    n=st.integers(1, 12),
    days=st.lists(
        st.tuples(st.integers(min_value=0, max_value=MAX_TOTAL), st.one_of(tied_row, weights)),
        min_size=1,
        max_size=6,
    ),
)
def test_rows_split_as_each_row_alone(n, days):
    """`split_sat_rows` pays each row exactly what `split_sat` pays it, ties included."""
    rows = [(total, (w * n)[:n]) for total, w in days if sum((w * n)[:n]) > 0]
    if not rows:
        return
    totals = np.array([total for total, _ in rows])
    w = np.array([row for _, row in rows])
    expected = [split_sat(int(total), row) for total, row in zip(totals, w, strict=True)]
    assert (split_sat_rows(totals, w) == np.array(expected)).all()


def test_largest_remainders_get_the_leftover_satoshis():
    # 10 sat over weights 1:1:1 -> 3.33 each: one leftover, to the first (stable order)
    assert split_sat(10, np.array([1.0, 1.0, 1.0])).tolist() == [4, 3, 3]
    # exact shares 6.5, 2.6, 0.9 -> floors 6, 2, 0; the two leftovers go to the largest
    # fractional parts, .9 and .6, not to the largest share
    assert split_sat(10, np.array([65.0, 26.0, 9.0])).tolist() == [6, 3, 1]


def test_zero_total_weight_raises_value_error():
    with pytest.raises(ValueError, match="zero total hashrate"):
        split_sat(100, np.zeros(5))
    with pytest.raises(ValueError):
        split_sat(1, np.array([]))


def test_zero_reward_pays_zero_even_with_no_hashrate():
    """The model relies on this: a step with no hashrate mines no block and pays nothing."""
    paid = split_sat(0, np.zeros(3))
    assert paid.dtype == np.int64 and paid.tolist() == [0, 0, 0]


@pytest.mark.parametrize(
    "total, w",
    [(1, [5e-324]), (10**12, [1e-300, 0.0, 1e-300]), (10**12, [1.7e308, 1.7e308])],
    ids=["subnormal", "tiny", "huge"],
)
def test_extreme_weights_still_sum_to_total(total, w):
    """Weights whose sum under- or overflows a float still split exactly and pro rata."""
    paid = split_sat(total, np.array(w))
    assert paid.dtype == np.int64
    assert int(paid.sum()) == total
    for p, share in zip(paid.tolist(), exact_shares(total, w), strict=True):
        assert abs(p - share) < 1


@pytest.mark.parametrize("bad", [np.nan, np.inf], ids=["nan", "inf"])
def test_non_finite_weights_raise_value_error(bad):
    with pytest.raises(ValueError):
        split_sat(100, np.array([1.0, bad]))
