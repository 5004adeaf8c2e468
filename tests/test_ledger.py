"""The ledger's postings in Python floats equal its numpy postings, bit for bit."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from abm.ledger import INFLOWS, OUTFLOWS, Ledger

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
    assert each.cash_usd.tobytes() == one_by_one.cash_usd.tobytes()
    for flow, values in each.flows.items():
        assert values.tobytes() == one_by_one.flows[flow].tobytes(), flow
