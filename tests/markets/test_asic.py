"""ASIC market: generation table, list prices and the value-based secondary price."""

import dataclasses
import datetime as dt

import numpy as np
import pytest

from abm.markets.asic import AsicGeneration, AsicMarket, AsicMarketParams
from abm.markets.economics import breakeven_power_usd_per_mwh
from abm.params import ParamError, build

MARKET = AsicMarket(AsicMarketParams())
START = dt.date(2026, 1, 1)


def age_on(generation: AsicGeneration, date: dt.date) -> float:
    return (date - generation.release_date).days / 365.25


def by_name(name: str) -> AsicGeneration:
    return next(g for g in MARKET.generations if g.name == name)


def test_generations_available_respect_release_dates():
    """Generations become available on their release dates.

    On 2026-01-01 five are out (newest S21 XP); S23 from 2026-04-01; next_2027 from
    2027-10-01; none before the S19j Pro; datetime64 dates work too.
    """
    names = [g.name for g in MARKET.generations_available(START)]
    assert names == ["S19j Pro", "S19 XP", "S21", "S21 Pro", "S21 XP"]
    assert MARKET.newest(np.datetime64("2026-03-31")).name == "S21 XP"
    assert MARKET.newest(dt.date(2026, 4, 1)).name == "S23"
    assert MARKET.newest(dt.date(2027, 9, 30)).name == "S23"
    assert MARKET.newest(dt.date(2027, 10, 1)).name == "next_2027"
    assert MARKET.generations_available(dt.date(2021, 5, 31)) == []
    with pytest.raises(ValueError, match="no ASIC generation"):
        MARKET.newest(dt.date(2020, 1, 1))


def test_anchor_new_machines_trade_at_7_to_15_and_old_30_j_per_th_ones_near_3():
    """2026 anchor: current machines trade at 7-15 $/TH, old 30 J/TH ones near 3 $/TH.

    Hashprice 35 $/PH/day, power 45 $/MWh (DESIGN.md section 9): S21 XP at its 2026 age and a
    new S23 or S21 XP are worth 7-15 $/TH (S21 Pro at 1.5 years: 6.7); S19j Pro is worth
    3 $/TH; a 30 J/TH machine of any age 2-4 $/TH.
    """
    names = ["S19j Pro", "S19 XP", "S21", "S21 Pro", "S21 XP", "S23"]
    gens = [by_name(n) for n in names]
    j = np.array([g.j_per_th for g in gens])
    age = np.array([max(age_on(g, START), 0.0) for g in gens])
    price = dict(zip(names, MARKET.secondary_price_usd_per_th(j, age, 35.0, 45.0), strict=True))
    assert 7.0 <= price["S21 XP"] <= 15.0
    assert 7.0 <= price["S23"] <= 15.0
    assert 5.0 <= price["S21 Pro"] <= 15.0
    assert price["S19j Pro"] == pytest.approx(3.0)
    fresh = MARKET.secondary_price_usd_per_th(np.array([13.5, 30.0]), np.zeros(2), 35.0, 45.0)
    assert 7.0 <= fresh[0] <= 15.0
    assert 2.0 <= fresh[1] <= 4.0


def test_anchor_list_prices_of_models_on_sale_are_7_to_15():
    """List prices on 2026-01-01 at hashprice 35: S21 8.89, S21 Pro 11.17, S21 XP 13.77 $/TH."""
    for name, expected in [("S21", 8.89), ("S21 Pro", 11.17), ("S21 XP", 13.77)]:
        assert MARKET.new_price_usd_per_th(by_name(name), START, 35.0) == pytest.approx(
            expected, abs=0.01
        )


def test_list_price_moves_with_hashprice_at_the_elasticity_and_declines_with_age():
    """A list price moves with hashprice at the elasticity and declines after release.

    Doubling hashprice multiplies it by 2^0.8; a year after release it is exp(-0.15) lower;
    asking before release is an error.
    """
    s23 = by_name("S23")
    at_release = MARKET.new_price_usd_per_th(s23, s23.release_date, 35.0)
    assert at_release == pytest.approx(s23.new_price_usd_per_th)
    assert MARKET.new_price_usd_per_th(s23, s23.release_date, 70.0) == pytest.approx(
        at_release * 2**0.8
    )
    a_year_on = s23.release_date + dt.timedelta(days=365)
    assert MARKET.new_price_usd_per_th(s23, a_year_on, 35.0) == pytest.approx(
        at_release * np.exp(-0.15 * 365 / 365.25)
    )
    with pytest.raises(ValueError, match="S23 is released on 2026-04-01"):
        MARKET.new_price_usd_per_th(s23, START, 35.0)


def test_secondary_price_falls_with_j_per_th_and_age_and_rises_with_hashprice():
    """The secondary price falls with J/TH and age, rises with hashprice, floors at scrap.

    Above the floor the changes are strict; over a grid of J/TH and ages the minimum is the
    3 $/TH floor.
    """
    j = np.linspace(8.0, 22.0, 30)
    by_j = MARKET.secondary_price_usd_per_th(j, np.zeros_like(j), 35.0, 45.0)
    assert np.all(np.diff(by_j) < 0)
    age = np.linspace(0.0, 2.5, 30)
    by_age = MARKET.secondary_price_usd_per_th(np.full(30, 13.5), age, 35.0, 45.0)
    assert np.all(np.diff(by_age) < 0)
    hashprices = np.linspace(30.0, 80.0, 30)
    by_hp = [
        MARKET.secondary_price_usd_per_th(np.array([17.5]), 1.0, h, 45.0)[0] for h in hashprices
    ]
    assert np.all(np.diff(by_hp) > 0)
    grid = MARKET.secondary_price_usd_per_th(
        np.linspace(5, 40, 50)[:, None], np.linspace(0, 6, 40)[None, :], 35.0, 45.0
    )
    assert grid.shape == (50, 40)
    assert grid.min() == 3.0


def test_secondary_price_is_the_closed_form_discounted_margin():
    """Without decline or discount the secondary price is margin times life left.

    10 J/TH with 2 years left at hashprice 50 and power 50: (0.05 - 0.012) * 365.25 * 2 =
    27.76 $/TH; a 50 J/TH machine (unprofitable) and one past its life are worth 0.
    """
    plain = AsicMarket(
        AsicMarketParams(
            hashprice_decline_per_year=0.0, discount_rate_per_year=0.0, scrap_value_usd_per_th=0.0
        )
    )
    value = plain.secondary_price_usd_per_th(
        np.array([10.0, 50.0, 10.0]), np.array([1, 1, 4]), 50.0, 50.0
    )
    np.testing.assert_allclose(value, [(0.05 - 0.012) * 365.25 * 2, 0.0, 0.0], atol=1e-12)


def test_a_machine_is_switched_off_once_the_declining_hashprice_falls_below_its_cost():
    """A machine is switched off once the declining hashprice falls below its power cost.

    Hashprice falling 25 % a year, no discount, h = 1.5 c: it runs ln(1.5) / 0.25 = 1.62 of
    its 3 years and is worth h (1 - exp(-0.25 T)) / 0.25 - c T.
    """
    params = dataclasses.replace(
        AsicMarketParams(), discount_rate_per_year=0.0, scrap_value_usd_per_th=0.0
    )
    # c = 20 J/TH at 45 $/MWh = 0.0216 $/TH/day; h = 1.5 c -> hashprice 32.4 $/PH/day
    value = AsicMarket(params).secondary_price_usd_per_th(np.array([20.0]), 0.0, 32.4, 45.0)[0]
    h, c, t = 0.0324 * 365.25, 0.0216 * 365.25, np.log(1.5) / 0.25
    assert value == pytest.approx(h * (1 - np.exp(-0.25 * t)) / 0.25 - c * t, rel=1e-12)


def test_breakeven_power_is_where_the_margin_is_zero():
    """Breakeven power is where the margin is zero: hashprice / 1000 / (J/TH * 24e-6).

    At 35 $/PH/day: 108.02 $/MWh for 13.5 J/TH, 49.44 $/MWh for 29.5 J/TH; vectorized.
    """
    be = breakeven_power_usd_per_mwh(np.array([13.5, 29.5]), 35.0)
    np.testing.assert_allclose(be, [35 / 1000 / (13.5 * 24e-6), 35 / 1000 / (29.5 * 24e-6)])
    assert be[0] == pytest.approx(108.02, abs=0.01)
    assert be[1] == pytest.approx(49.44, abs=0.01)


def test_generation_tables_build_and_duplicate_names_are_rejected():
    """The loader builds generation tables (dates from strings) and rejects repeated names."""
    row = {
        "name": "X1",
        "release_date": "2028-01-01",
        "j_per_th": 6.0,
        "new_price_usd_per_th": 20.0,
    }
    params = build(AsicMarketParams, {"generations": [row]}, "s.toml", "asic")
    assert params.generations[0].release_date == dt.date(2028, 1, 1)
    with pytest.raises(ParamError, match=r"s.toml: \[asic\] generations names must be unique"):
        build(AsicMarketParams, {"generations": [row, row]}, "s.toml", "asic")


def test_newest_prices_of_all_days_at_once_are_the_daily_quotes_bit_for_bit():
    """Ten years of days across every release, at hashprices from 5 to 200 $/PH/day."""
    days = np.arange(np.datetime64("2025-01-01"), np.datetime64("2035-01-01"))
    hashprices = np.random.default_rng(4).uniform(5.0, 200.0, len(days))
    price, j_per_th = MARKET.newest_prices_usd_per_th(days, hashprices)
    newest = [MARKET.newest(day) for day in days.tolist()]
    assert len(set(newest)) >= 3  # releases in the period
    assert price.tolist() == [
        MARKET.new_price_usd_per_th(generation, day, hashprice)
        for generation, day, hashprice in zip(
            newest, days.tolist(), hashprices.tolist(), strict=True
        )
    ]
    assert j_per_th.tolist() == [generation.j_per_th for generation in newest]
    with pytest.raises(ValueError, match="no ASIC generation is released on or before 1990"):
        MARKET.newest_prices_usd_per_th(np.array(["1990-01-01"], "datetime64[D]"), [35.0])
