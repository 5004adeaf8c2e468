"""`FirmView`: what a firm's reviews read of its rows, kept until they change.

After any sequence of transitions (machines mothballed, redeployed, scrapped, sold,
bought; site modes set; AI sites added; auctions; revaluations; PPAs renewed; every
view filled at once), each firm's rows by state, free MW, assets, cheapest region and
AI-suitable sites equal their recomputation from the tables, bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import abm
from abm.agents.fleet import MachineState, Mode
from abm.agents.industry import Industry
from abm.markets.economics import margin_usd_per_th_day

OPS = (
    "mothball",
    "deploy",
    "scrap",
    "sell",
    "buy",
    "mode",
    "ai_site",
    "auction",
    "revalue",
    "ppa",
    "fill",
)


def fresh_industry() -> Industry:
    """The industry of a fresh three-month baseline model (seed 1: 64 firms, 199 sites)."""
    model = abm.MiningModel("baseline_2026", seed=1, **{"run.end_date": "2026-03-31"})
    return model.industry


def rows_from_scratch(industry: Industry, firm: int, state: int) -> np.ndarray:
    f = industry.fleet
    return np.flatnonzero((f.firm == firm) & (f.state == state))


def free_mw_from_scratch(industry: Industry, firm: int) -> dict[int, float]:
    """Per mining site of the firm, ascending: gross MW less its deployed machines' MW."""
    s, f = industry.sites, industry.fleet
    sites = np.flatnonzero(s.firm == firm)
    rows = rows_from_scratch(industry, firm, MachineState.DEPLOYED)
    deployed = np.bincount(sites.searchsorted(f.site[rows]), f.power_mw(rows), len(sites))
    mining = s.mode[sites] == Mode.MINING
    free = (s.gross_mw[sites] - deployed)[mining]
    return dict(zip(sites[mining].tolist(), free.tolist(), strict=True))


def assets_from_scratch(industry: Industry) -> np.ndarray:
    """Every firm's assets from its rows found by a scan of the tables (no view, no index)."""
    s, f = industry.sites, industry.fleet
    value = f.th * industry.machine_value_usd_per_th
    owned = np.arange(industry.n_firms)[:, None]
    not_ai = (s.firm == owned) & (s.mode != Mode.AI_HOSTING)
    machines = (f.firm == owned) & (f.state != MachineState.SCRAPPED)
    return industry._assets_usd(
        np.array([s.gross_mw[rows].sum() for rows in not_ai]),
        industry.construction.usd_by_firm,
        industry.ai_value_usd,
        np.array([value[rows].sum() for rows in machines]),
        industry.ledger.btc_sat,
        np.maximum(industry.ledger.cash_usd, 0.0),
    )


def apply(industry: Industry, op: str, firm: int, pick: int) -> None:
    """One transition of `firm`'s rows (or of every firm's), chosen by `pick`."""
    s = industry.sites

    def one_of(rows):
        return int(rows[pick % len(rows)]) if len(rows) else None

    deployed = rows_from_scratch(industry, firm, MachineState.DEPLOYED)
    dormant = rows_from_scratch(industry, firm, MachineState.DORMANT)
    mining = np.flatnonzero((s.firm == firm) & (s.mode == Mode.MINING))
    owned = np.flatnonzero(s.firm >= 0)
    if op == "mothball" and (row := one_of(deployed)) is not None:
        industry.mothball(row)
    elif op == "deploy" and (row := one_of(dormant)) is not None and len(mining):
        industry.deploy(row, one_of(mining))
    elif op == "scrap" and (row := one_of(np.concatenate([deployed, dormant]))) is not None:
        industry.scrap(row)
    elif op == "sell" and (row := one_of(dormant)) is not None:
        industry.sell_machines(row)
    elif op == "buy" and len(mining):
        industry.buy_machines(firm, one_of(mining), pick % 3, 100.0 + pick, 15.0)
    elif op == "mode" and (site := one_of(owned)) is not None:
        industry.set_site_mode(site, pick % 4)
    elif op == "ai_site":
        industry.add_ai_site(firm, 0, 40.0, Mode.AI_HOSTING if pick % 2 else Mode.MINING)
    elif op == "auction" and (site := one_of(owned)) is not None:
        industry.auction_site(site, 0.0)
    elif op == "revalue":
        industry.readings.hashprice_usd_per_ph_day *= 1.0 + (pick % 7 - 3) / 10.0
        industry.revalue_machines()
    elif op == "ppa":  # the firm's PPAs reach their end and renew
        s.contract_end_step[s.firm == firm] = industry.readings.step_index
        industry.renew_expired_ppas()
    elif op == "fill":
        industry.fill_views()


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(OPS), st.integers(0, 5), st.integers(0, 1000)),
        min_size=1,
        max_size=25,
    )
)
def test_every_firms_view_equals_its_recomputation_after_any_transitions(ops):
    """Firms 0-5 act in turn; every firm's answers are checked after each transition.

    Whether or not it changed that firm's rows: a view of another firm must survive.
    """
    industry = fresh_industry()
    industry.fill_views()
    for op, firm, pick in ops:
        apply(industry, op, firm, pick)
        assets = industry.assets_by_firm()
        assert assets.tolist() == assets_from_scratch(industry).tolist()
        for f in range(industry.n_firms):
            for state in (MachineState.DEPLOYED, MachineState.DORMANT):
                got = industry.machine_rows(f, state)
                np.testing.assert_array_equal(got, rows_from_scratch(industry, f, state))
            assert industry.free_mw_by_site(f) == free_mw_from_scratch(industry, f)
            assert industry.assets_usd(f) == assets[f]
            sites = np.flatnonzero(industry.sites.firm == f)
            regions = np.unique(industry.sites.region[sites])
            prices = industry.region_mean_usd_per_mwh[regions]
            cheapest = int(regions[np.argmin(prices)]) if len(regions) else None  # first: lowest
            assert industry.cheapest_region(f) == cheapest
            suitable = sites[industry.sites.ai_suitable[sites]].tolist()
            assert industry.ai_suitable_site_rows(f) == suitable


def test_filled_views_equal_each_firms_own_answers_bit_for_bit(short_stepped):
    """Every view filled at once: each firm's rows, free MW and cheapest region as alone.

    After three months of a run (machines bought and mothballed).
    """
    industry = short_stepped.model.industry
    industry.tables_changed()  # forget: each firm's answers computed alone
    alone = [
        (
            industry.machine_rows(f, MachineState.DEPLOYED),
            industry.machine_rows(f, MachineState.DORMANT),
            industry.free_mw_by_site(f),
            industry.cheapest_region(f),
        )
        for f in range(industry.n_firms)
    ]
    industry.fill_views()
    assert sum(len(free) for _, _, free, _ in alone) > 100
    assert len({region for *_, region in alone}) > 1
    for f, (deployed, dormant, free, region) in enumerate(alone):
        np.testing.assert_array_equal(industry.machine_rows(f, MachineState.DEPLOYED), deployed)
        np.testing.assert_array_equal(industry.machine_rows(f, MachineState.DORMANT), dormant)
        assert industry.free_mw_by_site(f) == free
        assert industry.cheapest_region(f) == region


def test_free_mw_is_a_new_dict_each_call():
    """Spending a firm's free MW in the dict returned leaves the next answer whole."""
    industry = fresh_industry()
    free = industry.free_mw_by_site(0)
    site, mw = next(iter(free.items()))
    free[site] -= 1.0
    assert industry.free_mw_by_site(0)[site] == mw


def test_the_reviews_losing_vintages_are_each_firms_deployed_ones_with_negative_margin(
    short_stepped,
):
    """`SiteReview.losing_rows`, found for all firms at once, are each firm's own.

    Per firm: the deployed vintages its margin test at the review's costs finds losing.
    """
    industry = short_stepped.model.industry
    hashprice = industry.readings.hashprice_expectation_usd_per_ph_day
    industry.readings.hashprice_expectation_usd_per_ph_day = 0.6 * hashprice  # some lose
    try:
        review = industry.site_review()
    finally:
        industry.readings.hashprice_expectation_usd_per_ph_day = hashprice
    f = industry.fleet
    expected = {}
    for firm in range(industry.n_firms):
        rows = rows_from_scratch(industry, firm, MachineState.DEPLOYED)
        margin = margin_usd_per_th_day(
            0.6 * hashprice, f.j_per_th[rows], np.array(review.cost_usd_per_mwh)[f.site[rows]]
        )
        if (margin < 0).any():
            expected[firm] = rows[margin < 0].tolist()
    assert 0 < sum(map(len, expected.values())) < len(f.th)
    assert review.losing_rows == expected


def test_the_reviews_newest_machines_and_scrap_ages_hold_through_a_review_round(stepper):
    """What `SiteReview` takes as a round starts still holds after every firm's reviews.

    Its newest generation, that generation's list price and the vintages past the scrap
    age: purchases add only young vintages, and the date and hashprice stay. Baseline
    seed 1 to the end of June 2026 (two review rounds), the last round replayed.
    """
    model = stepper("baseline_2026", seed=1, **{"run.end_date": "2026-06-30"}).model
    industry, policy = model.industry, model.params.fleet
    review = industry.site_review()
    rows = industry.fleet.n
    for miner in model._alive_miners():
        miner.review_strategy(review)
        miner.review_fleet(review)
        miner.review_expansion(review)
    assert industry.fleet.n > rows  # some bought
    newest = industry.newest_generation()
    assert review.newest == newest
    assert review.new_usd_per_th == industry.new_price_usd_per_th(newest[1])
    past = industry.age_years(np.arange(industry.fleet.n)) > policy.scrap_age_years
    np.testing.assert_array_equal(review.past_scrap_age, past[:rows])
    assert not past[rows:].any()


@pytest.mark.parametrize("prices", ["all equal", "pairs equal"])
def test_filled_cheapest_regions_break_ties_as_each_firms_own(prices):
    """Regions equally cheap: the filled views pick the lowest numbered, as alone."""
    industry = fresh_industry()
    means = industry.region_mean_usd_per_mwh
    n = len(means)
    means[:] = 40.0 if prices == "all equal" else 40.0 + np.arange(n)[::-1] // 2
    alone = [industry.cheapest_region(f) for f in range(industry.n_firms)]
    industry.tables_changed()
    industry.fill_views()
    assert [industry.cheapest_region(f) for f in range(industry.n_firms)] == alone
    assert len(set(alone)) > 1
