"""The debt book keeps each firm's principal and first maturity between changes.

Whatever the sequence of loans added, tranches removed and books cleared, what it answers
equals the plain sums over the firm's tranches, bit for bit.
"""

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from abm.agents.finance import DebtBook, DebtTranche

N_FIRMS = 3

tranches = st.builds(
    DebtTranche,
    principal_usd=st.floats(0.0, 1e9),
    spread=st.floats(0.0, 0.2),
    fixed_rate=st.none() | st.floats(0.0, 0.2),
    maturity_step=st.integers(0, 100),
)
changes = st.lists(
    st.tuples(st.sampled_from(["add", "remove", "clear"]), st.integers(0, N_FIRMS - 1), tranches),
    max_size=40,
)


def added_in_order(values) -> float:
    """`((0 + v0) + v1) + ...`: Python 3.11's `sum` of floats (3.12 compensates its sum)."""
    total = 0
    for value in values:
        total += value
    return total


def assert_answers_the_plain_sums(book: DebtBook, step: int, rate: float) -> None:
    # all firms first, before `principal_usd` keeps each firm's sum
    assert book.principal_by_firm().tolist() == [
        sum(t.principal_usd for t in book.of(firm)) for firm in range(N_FIRMS)
    ]
    for firm in range(N_FIRMS):
        held = book.of(firm)
        assert book.principal_usd(firm) == sum(t.principal_usd for t in held)
        interest = added_in_order(t.principal_usd * t.rate(rate) for t in held)
        assert book.interest_by_firm_usd_per_year([firm], rate).tolist() == [interest]
        assert book.due(firm, step) == [t for t in held if t.maturity_step <= step]
        assert book.any_due([firm], step).tolist() == [any(t.maturity_step <= step for t in held)]
    firms = [2, 0, 2, 1]
    assert book.interest_by_firm_usd_per_year(firms, rate).tolist() == [
        added_in_order(t.principal_usd * t.rate(rate) for t in book.of(firm)) for firm in firms
    ]


@given(changes, st.integers(0, 100), st.lists(st.floats(0.0, 0.2), min_size=1, max_size=3))
def test_kept_sums_equal_the_plain_sums_after_any_changes(changes, step, rates):
    """Read after each change at policy rates that move and repeat."""
    book = DebtBook(N_FIRMS)
    for k, (kind, firm, tranche) in enumerate(changes):
        if kind == "add":
            book.add(firm, tranche)
        elif kind == "remove" and book.of(firm):
            book.remove(firm, book.of(firm)[0])
        elif kind == "clear":
            book.clear(firm)
        rate = rates[k % len(rates)]
        assert_answers_the_plain_sums(book, step, rate)  # kept, then forgotten on a change


def test_tranches_cannot_change_behind_the_book():
    tranche = DebtTranche(1e6, 0.03, None, 12)
    with pytest.raises(dataclasses.FrozenInstanceError):
        tranche.principal_usd = 2e6
