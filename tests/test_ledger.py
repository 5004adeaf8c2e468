"""The ledger's postings in Python floats equal its numpy postings, bit for bit."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from abm.ledger import INFLOWS, OUTFLOWS, Ledger, sum_row_after_row
from abm.payout import split_sat

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


@given(st.integers(1, 31), st.booleans(), st.integers(0, 2**32 - 1))
def test_days_booked_post_as_posting_each_day_alone(days, one_share_array, seed):
    """A month of booked days posts the same bytes as posting each day alone.

    Each day's reward split, BTC sold and power as `mine`, `sell_btc_every_firm`,
    `pay_every_firm` and `receive_every_firm` post them, whether every day reads one
    sell-share array (the industry's) or each its own.
    """
    rng = np.random.default_rng(seed)
    shares = rng.random(N_FIRMS)
    booked = []
    for _ in range(days):
        weights = rng.random(N_FIRMS) * (rng.random(N_FIRMS) < 0.8)
        weights[rng.integers(N_FIRMS)] += 1.0  # some hashrate runs every day
        share = shares if one_share_array else rng.random(N_FIRMS)
        booked.append((int(rng.integers(0, 10**11)), weights, share, rng.uniform(1e4, 2e5)))
        booked.append((rng.normal(size=(3, N_FIRMS)) * 10.0 ** rng.integers(-3, 7, (3, N_FIRMS)),))
    cash, btc = rng.normal(size=N_FIRMS) * 1e6, rng.integers(0, 10**9, N_FIRMS)
    at_once = NoDays()
    at_once.entries = list(booked)
    posted, alone = Ledger(cash, btc, at_once), Ledger(cash, btc, NoDays())
    for (reward_sat, weights, share, price_usd), ((bill, opex, resale),) in zip(
        booked[0::2], booked[1::2], strict=True
    ):
        sat = split_sat(reward_sat, weights)
        alone.mine(sat, price_usd)
        alone.sell_btc_every_firm(np.floor(sat * share).astype(np.int64), price_usd)
        alone.pay_every_firm("power_cost_usd", bill)
        alone.pay_every_firm("opex_usd", opex)
        alone.receive_every_firm("resale_usd", resale)
    assert posted.btc_sat.tolist() == alone.btc_sat.tolist()
    assert _bytes(posted.cash_usd) == _bytes(alone.cash_usd)
    for flow, values in posted.flows.items():
        assert _bytes(values) == _bytes(alone.flows[flow]), flow


def test_flows_taken_stay_as_taken_while_the_next_period_posts():
    """`take_period` hands over the period's flows; the next period starts at zero."""
    ledger = Ledger(np.zeros(N_FIRMS), np.zeros(N_FIRMS, dtype=np.int64), NoDays())
    ledger.receive(1, "ai_rent_usd", 5.0)
    ledger.mine(np.array([0, 3, 0, 0]), 1e8)
    taken = ledger.take_period()
    ledger.receive(1, "ai_rent_usd", 2.0)
    ledger.mine(np.array([0, 0, 7, 0]), 1e8)
    assert taken["ai_rent_usd"].tolist() == [0.0, 5.0, 0.0, 0.0]
    assert taken["btc_mined_sat"].tolist() == [0, 3, 0, 0]
    assert ledger.flows["ai_rent_usd"].tolist() == [0.0, 2.0, 0.0, 0.0]
    assert ledger.flows["btc_mined_sat"].tolist() == [0, 0, 7, 0]
    assert ledger.flows["btc_mined_sat"].dtype == np.int64
    assert ledger.take_period()["mining_revenue_usd"].tolist() == [0.0, 0.0, 7.0, 0.0]
