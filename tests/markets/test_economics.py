"""A miner's unit economics: hashprice, power cost and margin per TH-day, contract prices.

Reference numbers are worked by hand in the docstrings; tolerances are relative unless said.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abm.markets.economics import (
    Contract,
    breakeven_power_usd_per_mwh,
    contract_price_usd_per_mwh,
    hashprice_usd_per_ph_day,
    margin_usd_per_th_day,
    marginal_price_usd_per_mwh,
    power_cost_usd_per_th_day,
)

REL = 1e-12  # float round-off of a handful of multiplications

difficulty = st.floats(min_value=1e6, max_value=1e18)
reward_btc = st.floats(min_value=0.01, max_value=100.0)
price_usd = st.floats(min_value=100.0, max_value=1e7)
factor = st.floats(min_value=0.01, max_value=100.0)
j_per_th = st.floats(min_value=5.0, max_value=150.0)
hashprice = st.floats(min_value=0.5, max_value=1_000.0)
usd_per_mwh = st.floats(min_value=0.0, max_value=1_000.0)


# --- hashprice -----------------------------------------------------------------------------


def test_hashprice_at_130_t_difficulty_3155_btc_and_80k_usd_is_39_0571_usd_per_ph_day():
    """3.155 * 80,000 * 86,400e15 / (130e12 * 2**32) = 39.0571 USD/PH/day (to 1e-4)."""
    value = hashprice_usd_per_ph_day(130e12, 3.155, 80_000.0)
    assert float(value) == pytest.approx(39.0571, abs=1e-4)
    assert float(value) == pytest.approx(3.155 * 80_000 * 86_400e15 / (130e12 * 2**32), rel=REL)


@settings(max_examples=200, deadline=None)
@given(d=difficulty, r=reward_btc, p=price_usd, k=factor)
def test_hashprice_is_linear_in_reward_and_price_and_inverse_in_difficulty(d, r, p, k):
    base = float(hashprice_usd_per_ph_day(d, r, p))
    assert float(hashprice_usd_per_ph_day(d, k * r, p)) == pytest.approx(k * base, rel=REL)
    assert float(hashprice_usd_per_ph_day(d, r, k * p)) == pytest.approx(k * base, rel=REL)
    assert float(hashprice_usd_per_ph_day(k * d, r, p)) == pytest.approx(base / k, rel=REL)


def test_hashprice_works_on_arrays_element_by_element():
    d = np.array([130e12, 260e12])
    values = hashprice_usd_per_ph_day(d, 3.155, 80_000.0)
    assert values.shape == (2,)
    assert values[1] == pytest.approx(values[0] / 2, rel=REL)


@pytest.mark.parametrize("bad", [0.0, -1.0])
def test_hashprice_refuses_a_difficulty_that_is_not_positive(bad):
    with pytest.raises(ValueError, match="difficulty must be > 0"):
        hashprice_usd_per_ph_day(bad, 3.125, 80_000.0)


# --- power cost, margin, breakeven ---------------------------------------------------------


def test_one_th_at_20_j_per_th_and_50_usd_per_mwh_costs_0_024_usd_a_day():
    """20 W for 24 h = 480 Wh = 0.00048 MWh, at 50 USD/MWh = 0.024 USD."""
    assert float(power_cost_usd_per_th_day(20.0, 50.0)) == pytest.approx(0.024, rel=REL)


def test_power_cost_doubles_with_j_per_th_and_with_the_power_price():
    base = float(power_cost_usd_per_th_day(20.0, 50.0))
    assert float(power_cost_usd_per_th_day(40.0, 50.0)) == pytest.approx(2 * base, rel=REL)
    assert float(power_cost_usd_per_th_day(20.0, 100.0)) == pytest.approx(2 * base, rel=REL)


@pytest.mark.parametrize(
    ("power_usd_per_mwh", "expected_margin"),
    [
        (50.0, 0.0390571 - 0.024),  # earns 0.0150571 USD/TH-day
        (100.0, 0.0390571 - 0.048),  # loses 0.0089429 USD/TH-day
    ],
)
def test_margin_is_hashprice_per_th_less_power_cost_with_its_sign(
    power_usd_per_mwh, expected_margin
):
    """At 39.0571 USD/PH/day a 20 J/TH machine earns 0.0390571 USD/TH-day before power."""
    margin = float(margin_usd_per_th_day(39.0571, 20.0, power_usd_per_mwh))
    assert margin == pytest.approx(expected_margin, rel=1e-9)
    assert math.copysign(1.0, margin) == math.copysign(1.0, expected_margin)


def test_breakeven_of_a_20_j_per_th_machine_at_39_0571_usd_per_ph_day_is_81_369_usd_per_mwh():
    """0.0390571 USD/TH-day / (20 J/TH * 24e-6 MWh per TH-day per J/TH) = 81.369 USD/MWh."""
    assert float(breakeven_power_usd_per_mwh(20.0, 39.0571)) == pytest.approx(81.369, abs=1e-3)


@settings(max_examples=300, deadline=None)
@given(j=j_per_th, hp=hashprice)
def test_the_breakeven_power_price_makes_the_margin_zero(j, hp):
    """Zero to round-off: 1e-12 of the revenue per TH-day."""
    power = breakeven_power_usd_per_mwh(j, hp)
    assert abs(float(margin_usd_per_th_day(hp, j, power))) <= 1e-12 * hp / 1000.0


# --- contract prices -----------------------------------------------------------------------

SPOT, MEAN, AGREED, MARKUP = 60.0, 50.0, 40.0, 5.0  # USD/MWh


@pytest.mark.parametrize(
    ("contract", "resale", "billed", "marginal"),
    [
        pytest.param(Contract.SPOT, False, SPOT + MARKUP, SPOT + MARKUP, id="spot: spot+markup"),
        pytest.param(
            Contract.INDEXED, False, AGREED * SPOT / MEAN, AGREED * SPOT / MEAN, id="indexed"
        ),
        pytest.param(Contract.FIXED_PPA, False, AGREED, 0.0, id="ppa: sunk, marginal 0"),
        pytest.param(Contract.FIXED_PPA, True, AGREED, SPOT, id="ppa+resale: marginal spot"),
    ],
)
def test_contract_bills_and_marginal_price_by_contract_type(contract, resale, billed, marginal):
    """Spot 60, region mean 50, agreed 40, markup 5 (USD/MWh).

    Billed / marginal: spot 65 / 65, indexed 48 / 48, PPA 40 / 0, PPA with resale 40 / 60.
    """
    args = dict(
        contract=np.array([contract]),
        agreed_usd_per_mwh=np.array([AGREED]),
        spot_markup_usd_per_mwh=np.array([MARKUP]),
        spot_usd_per_mwh=np.array([SPOT]),
        region_mean_usd_per_mwh=np.array([MEAN]),
    )
    assert contract_price_usd_per_mwh(**args)[0] == pytest.approx(billed, rel=REL)
    assert marginal_price_usd_per_mwh(resale=np.array([resale]), **args)[0] == pytest.approx(
        marginal, rel=REL
    )


site = st.tuples(
    st.sampled_from([Contract.FIXED_PPA, Contract.INDEXED, Contract.SPOT]),
    st.floats(min_value=1.0, max_value=300.0),  # agreed
    st.floats(min_value=0.0, max_value=50.0),  # markup
    st.booleans(),  # resale
    st.floats(min_value=-50.0, max_value=3_000.0),  # spot (negative prices happen)
    st.floats(min_value=5.0, max_value=300.0),  # regional mean
)


@settings(max_examples=200, deadline=None)
@given(sites=st.lists(site, min_size=1, max_size=30))
def test_spot_and_indexed_sites_pay_at_the_margin_what_they_are_billed(sites):
    """Spot and indexed sites pay for the MWh they use: marginal == billed, never more.

    A PPA's MWh is paid anyway: its marginal price is the spot it could resell at, or 0.
    """
    contract, agreed, markup, resale, spot, mean = (np.array(c) for c in zip(*sites, strict=True))
    billed = contract_price_usd_per_mwh(contract, agreed, markup, spot, mean)
    marginal = marginal_price_usd_per_mwh(contract, agreed, markup, resale, spot, mean)
    pays_as_used = contract != Contract.FIXED_PPA
    assert np.array_equal(marginal[pays_as_used], billed[pays_as_used])
    ppa = ~pays_as_used
    assert np.array_equal(billed[ppa], agreed[ppa])
    assert np.array_equal(marginal[ppa], np.where(resale[ppa], spot[ppa], 0.0))
