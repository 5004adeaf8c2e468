"""A signed lease's value: the expected PV of its NOI with the tenant's default risk.

One formula from signing to the end, so finishing a conversion does not move it.
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from abm.agents.leasing import Lease


def lease(months_paid: int = 0, escalator: float = 0.0) -> Lease:
    return Lease(
        lease_id=0,
        firm=0,
        site=0,
        tenant=0,
        mw_it=10.0,
        price_usd_per_kw_month=150.0,
        escalator_per_year=escalator,
        noi_margin=0.85,
        term_months=24,
        signed_month=0,
        promised_month=6,
        ready_month=6,
        months_paid=months_paid,
    )


def test_value_is_the_closed_form_noi_discounted_at_rate_plus_hazard():
    """24 months of 10 MW x 1000 kW x 150 USD x 0.85, month k paid at (k + 0.5) / 12 years."""
    rate, hazard = 0.08, 0.06
    noi = 10.0 * 1000 * 150.0 * 0.85
    t = (np.arange(24) + 0.5) / 12
    expected = float((noi * np.exp(-(rate + hazard) * t)).sum())
    assert lease().remaining_noi_value_usd(rate, hazard) == pytest.approx(expected, rel=1e-12)
    riskless = lease().remaining_noi_value_usd(rate)
    assert riskless == pytest.approx(float((noi * np.exp(-rate * t)).sum()), rel=1e-12)
    assert lease().remaining_noi_value_usd(rate, hazard) < riskless


@given(
    months_to_rent=st.integers(0, 36),
    rate=st.floats(0.0, 0.3),
    hazard=st.floats(0.0, 0.5),
    escalator=st.floats(0.0, 0.1),
)
def test_a_conversion_is_worth_the_lease_in_service_discounted_by_the_months_to_rent(
    months_to_rent, rate, hazard, escalator
):
    """Value k months before rent = value in service x exp(-(rate + hazard) k / 12).

    At the ready month (k = 0) the two are the same number: net worth does not jump there.
    """
    converting = lease(escalator=escalator).remaining_noi_value_usd(rate, hazard, months_to_rent)
    in_service = lease(escalator=escalator).remaining_noi_value_usd(rate, hazard)
    factor = math.exp(-(rate + hazard) * months_to_rent / 12)
    assert converting == pytest.approx(in_service * factor, rel=1e-12)
