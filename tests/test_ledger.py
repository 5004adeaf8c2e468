"""The ledger's postings in Python floats equal its numpy postings, bit for bit."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from abm.ledger import INFLOWS, OUTFLOWS, Ledger, sum_row_after_row

N_FIRMS = 4


class NoDays:
    """No days booked (the ledger's day book)."""

    def __init__(self) -> None:
        self.entries: list = []

    def settle(self) -> None:
        pass


amounts = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([0.0, -0.0, 1e-300])
postings = st.lists(
    st.tuples(st.integers(0, N_FIRMS - 1), st.sampled_from(INFLOWS + OUTFLOWS), amounts),
    max_size=60,
)


@given(postings, st.lists(amounts, min_size=N_FIRMS, max_size=N_FIRMS))
def test_posting_each_equals_receiving_and_paying_one_by_one(postings, cash_usd):
    """Any postings, NaN, infinities and -0.0 included: the same cash and flows bytes."""
    each, one_by_one = (Ledger(np.array(cash_usd), np.zeros(N_FIRMS), NoDays()) for _ in "ab")
    each.post_each(postings)
    for firm, flow, usd in postings:
        (one_by_one.receive if flow in INFLOWS else one_by_one.pay)(firm, flow, usd)
    assert _bytes(each.cash_usd) == _bytes(one_by_one.cash_usd)
    for flow, values in each.flows.items():
        assert _bytes(values) == _bytes(one_by_one.flows[flow]), flow


def _bytes(values: np.ndarray) -> bytes:
    """The values' bytes with every NaN as one NaN; -0.0 and every number stay exact.

    Which NaN operand's payload and sign an operation keeps differs between numpy
    versions' scalar paths (numpy 1.26 against Python floats); no output tells NaNs apart.
    """
    return np.where(np.isnan(values), np.nan, values).tobytes()


@given(
    st.integers(1, 70),
    st.sampled_from([(1,), (2,), (3,), (64,), (5, 1), (5, 64), (1, 1)]),
    st.integers(0, 2**32 - 1),
)
def test_a_sum_row_after_row_is_a_running_sums_last_row(days, row_shape, seed):
    """The same bytes as adding the rows one after the other, in order.

    Any number of rows of any shape, magnitudes from 1e-8 to 1e8 of both signs (where
    the order of the additions shows in the last bits).
    """
    rng = np.random.default_rng(seed)
    shape = (days, *row_shape)
    rows = rng.normal(size=shape) * 10.0 ** rng.integers(-8, 8, shape)  # the order shows
    running = rows[0].copy()
    for row in rows[1:]:
        running = running + row
    assert sum_row_after_row(rows).tobytes() == running.tobytes()
