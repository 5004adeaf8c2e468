"""The per-firm row index: rows of each owner, kept up to date, and exact per-owner sums."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from abm.agents.fleet import MARKET, RowsByOwner, numpy_sum


def test_rows_follow_their_owner_through_additions_and_moves():
    index = RowsByOwner(np.array([1, MARKET, 0, 1, 0]), n_owners=3)
    assert index.of(0).tolist() == [2, 4]
    assert index.of(1).tolist() == [0, 3]
    assert index.of(2).tolist() == []
    index.add(2, 5)
    index.move(np.array([3]), 1, 0)
    index.move(np.array([0]), 1, MARKET)
    assert index.of(0).tolist() == [2, 3, 4]
    assert index.of(1).tolist() == []
    assert index.of(2).tolist() == [5]


def test_sums_equal_numpy_sums_of_each_owners_rows_bit_for_bit():
    """Owners with 1 to 40 rows: numpy sums 8 terms or more pairwise, and so must we."""
    rng = np.random.default_rng(3)
    owners = rng.integers(-1, 12, size=400)
    owners[:40] = 0  # one owner with many rows
    values = rng.random(400) * 10.0 ** rng.uniform(-3, 9, 400)
    keep = rng.random(400) < 0.8
    index = RowsByOwner(owners, n_owners=12)
    for owner, total in enumerate(index.sums(values)):
        assert total == values[owners == owner].sum()
    for owner, total in enumerate(index.sums(values, keep=keep)):
        assert total == values[(owners == owner) & keep].sum()
    some = [5, 0, 11, 3]  # of some owners only, in their order
    for owner, total in zip(some, index.sums(values, keep=keep, owners=some), strict=True):
        assert total == values[(owners == owner) & keep].sum()


@given(st.lists(st.floats(-1e12, 1e12) | st.floats(0.0, 1e-6), max_size=40))
def test_numpy_sum_is_numpys_sum_bit_for_bit(values):
    """Below 8 terms the loop, from 8 numpy itself: each equals np.add.reduce of the array."""
    expected = np.add.reduce(np.array(values, dtype=np.float64))
    assert np.float64(numpy_sum(values)).tobytes() == expected.tobytes()  # -0.0 too
