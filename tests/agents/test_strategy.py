"""The quarterly pivot decision: closed forms, suitability, and herding across peers.

* closed forms of `abm.agents.strategy` on hand-computed cases;
* a firm without an AI-suitable site never converts: twin named firms, identical but for
  `ai_suitable`, in ai_boom with the listed group's sites beyond tenants' fiber screen;
* herding: `strategy.herding_strength` 0 vs 1 over 6 paired seeds, in an ai_boom where every
  listed site is AI-suitable (`listed_suitable`), private ones as drawn, and firms doubt
  they can win leases (AI optimism 0.1 +- 0.15), so beliefs, and therefore peers, decide
  who pivots. A firm's pivot date is its first `ai_team_hired` event (the quarter it first
  offers a site; it signs its first lease the next month); runs end 2027-12-31 (8 quarterly
  reviews).
"""

from __future__ import annotations

import copy
import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import abm
from abm.agents.finance import FinanceParams, cost_of_capital
from abm.agents.fleet import Mode
from abm.agents.strategy import (
    DAYS_PER_MONTH,
    award_chance,
    herded_belief,
    lease_value_usd_per_mw_it,
    mining_value_from_usd_per_mw,
    mining_value_usd_per_mw,
    offer_gain_usd,
)
from abm.network.peers import pivot_share


def groups_with(scenario: str, **changes) -> list[dict]:
    """The scenario's population groups with `changes` applied (callables get the group)."""
    groups = copy.deepcopy(abm.load_scenario(scenario).to_dict()["population"]["groups"])
    for group in groups:
        for key, value in changes.items():
            group[key] = value(group) if callable(value) else value
    return groups


BEYOND_FIBER_KM = 1e6  # far past tenants' fiber screen: no site of the group is suitable
LISTED_SUITABLE = {  # small listed sites pass too; about 10 % of private sites suit AI
    "population.suitability.min_site_mw": 0.0,
    "population.suitability.min_score": 0.6,
}


def listed_suitable(scenario: str, **changes) -> list[dict]:
    """The scenario's groups, every listed site AI-suitable, private ones as drawn.

    Listed sites sit at a fiber node, with water, in grids tenants accept: latency, water
    and region terms are full, so they score 0.7 plus their scale term, at least
    the `min_score` of `LISTED_SUITABLE`.
    """
    tenant = abm.load_scenario(scenario).population.suitability.tenant_regions
    groups = groups_with(scenario, **changes)
    for group in groups:
        if group["listed"]:
            kept = [k for k, region in enumerate(group["regions"]) if region in tenant]
            group["regions"] = [group["regions"][k] for k in kept]
            group["region_weights"] = [group["region_weights"][k] for k in kept]
            group["fiber_km_median"], group["water_share"] = 0.0, 1.0
    return groups


def stepped(scenario: str, seed: int, **overrides) -> abm.MiningModel:
    model = abm.MiningModel(scenario, seed=seed, security_metrics=False, **overrides)
    for _ in range(model.n_steps):
        model.step()
    return model


# --- closed forms -----------------------------------------------------------------------------


def test_herded_belief_moves_toward_one_by_the_pivoted_share():
    assert herded_belief(0.3, 0.75, 0.0) == 0.3  # herding off: unchanged
    assert herded_belief(0.3, 0.0, 1.0) == 0.3  # no peer pivoted
    assert herded_belief(0.3, 1.0, 1.0) == pytest.approx(1.0, abs=1e-15)
    assert herded_belief(0.2, 0.25, 0.5) == pytest.approx(0.2 + 0.5 * 0.25 * 0.8, rel=1e-15)


def test_award_chance_is_the_belief_times_a_logistic_in_readiness_above_need():
    assert award_chance(0.7, 0.7, 0.6, 10.0) == pytest.approx(0.3, rel=1e-15)
    assert award_chance(0.8, 0.7, 0.6, 10.0) == pytest.approx(0.6 / (1 + math.exp(-1.0)))
    assert award_chance(1.0, 0.0, 0.6, 10.0) == pytest.approx(0.6, rel=1e-4)


def test_lease_value_sums_monthly_noi_with_yearly_escalator_steps():
    """Rate 0: sum over months m of price x 1000 x (1 + e)^floor(m / 12) x NOI margin."""
    got = lease_value_usd_per_mw_it(150.0, 0.03, 0.85, 0.0, 2.0)
    assert got == pytest.approx(150.0 * 1000 * 0.85 * 12 * (1 + 1.03), rel=1e-12)
    rate = 0.1
    t = (np.arange(24) + 0.5) / 12
    discounted = (150e3 * 1.03 ** np.floor(t) * 0.85 * np.exp(-rate * t)).sum()
    assert lease_value_usd_per_mw_it(150.0, 0.03, 0.85, rate, 2.0) == pytest.approx(discounted)


@settings(max_examples=100, deadline=None)
@given(
    price=st.floats(1.0, 300.0),
    escalator=st.floats(0.0, 0.1),
    noi=st.floats(0.1, 1.0),
    rates=st.lists(st.floats(-0.05, 0.5), min_size=1, max_size=4),
    years=st.sampled_from([1.0, 2.0, 12.0, 15.5]),
)
def test_lease_value_from_the_rounds_kept_noi_path_is_the_direct_sum_bit_for_bit(
    price, escalator, noi, rates, years
):
    """Firms with different rates share one NOI path: each value is the direct sum's.

    Whichever rate asked first, bit for bit.
    """
    t = (np.arange(round(years * 12)) + 0.5) / 12.0
    rent = price * 1000.0 * (1.0 + escalator) ** np.floor(t)
    for rate in rates:
        direct = float((rent * noi * np.exp(-rate * t)).sum())
        assert lease_value_usd_per_mw_it(price, escalator, noi, rate, years) == direct


def test_mining_value_is_the_positive_margin_halved_at_the_halving():
    """Rate 0, no decline: 40 USD/PH/day at 20 J/TH on 30 USD/MWh, halving after 1 year."""
    th_per_mw = 1e6 / 20.0
    revenue = 40.0 / 1000 * th_per_mw * DAYS_PER_MONTH  # USD per MW-month
    cost = 30.0 * 24 * DAYS_PER_MONTH
    after = max(revenue / 2 - cost, 0.0)
    got = mining_value_usd_per_mw(40.0, 0.0, 1.0, 20.0, 30.0, 0.0, 2.0)
    assert got == pytest.approx(12 * (revenue - cost) + 12 * after, rel=1e-12)
    assert mining_value_usd_per_mw(40.0, 0.0, 5.0, 20.0, 1e4, 0.0, 2.0) == 0.0  # curtailed


@settings(max_examples=300, deadline=None)
@given(
    hashprice=st.floats(0.0, 500.0),
    decline=st.floats(-0.5, 0.5),
    halving=st.floats(0.0, 4.0),
    j_per_th=st.floats(5.0, 100.0),
    cost=st.floats(0.0, 1e4),
    rate=st.floats(-0.05, 1.0),
    renewal=st.floats(0.0, 1e4),
    contract_years=st.floats(0.0, 20.0),
)
def test_mining_value_is_never_negative(
    hashprice, decline, halving, j_per_th, cost, rate, renewal, contract_years
):
    """A loss-making month is curtailed (0), so the strategy review may skip pricing it."""
    args = (hashprice, decline, halving, j_per_th, cost, rate, 12.0, renewal, contract_years)
    assert mining_value_usd_per_mw(*args) >= 0.0


@settings(max_examples=500, deadline=None)
@given(
    chance=st.floats(0.0, 1.0),
    lease_net=st.floats(-1e12, 1e12),
    mine_pv=st.floats(0.0, 1e12),
    upgrade=st.floats(0.0, 1e9),
    hurdle=st.floats(-1e11, 1e11),
)
def test_a_site_failing_the_hurdle_giving_up_no_mining_fails_giving_up_any(
    chance, lease_net, mine_pv, upgrade, hurdle
):
    """A rounded gain never grows with the mining given up.

    So the strategy review prices a site's mining only when the gain of offering it,
    giving up none, passes the hurdle.
    """
    gain, without = (offer_gain_usd(chance, lease_net, m, upgrade) for m in (mine_pv, 0.0))
    assert gain <= without
    if not without > hurdle:
        assert not gain > hurdle
    assert offer_gain_usd(0.5, 1000.0, 200.0, 100.0) == 300.0


def test_mining_value_prices_power_at_the_contract_until_it_ends_then_at_its_renewal():
    """Rate 0, no halving: 18 months at 30 USD/MWh, then 6 at the 50 USD/MWh renewal."""
    revenue = 40.0 / 1000 * (1e6 / 20.0) * DAYS_PER_MONTH
    hours = 24 * DAYS_PER_MONTH
    expected = 18 * (revenue - 30.0 * hours) + 6 * (revenue - 50.0 * hours)
    got = mining_value_usd_per_mw(40.0, 0.0, 9.0, 20.0, 30.0, 0.0, 2.0, 50.0, 1.5)
    assert got == pytest.approx(expected, rel=1e-12)
    no_end = mining_value_usd_per_mw(40.0, 0.0, 9.0, 20.0, 30.0, 0.0, 2.0, 50.0, np.inf)
    assert no_end == mining_value_usd_per_mw(40.0, 0.0, 9.0, 20.0, 30.0, 0.0, 2.0)


# --- suitability ------------------------------------------------------------------------------

TWIN = {
    "hashrate_eh": 20.0,
    "region": "texas_ercot",
    "listed": True,
    "sites": 3,
    "contract": "fixed_ppa",
    "power_price_usd_per_mwh": 35.0,
    "cooling": "liquid_ready",
    "readiness": 1.0,
    "fleet_generations": ["S21", "S21 XP"],
    "fleet_shares": [0.5, 0.5],
    "leverage": 0.2,
    "cash_months": 12.0,
    "ai_optimism": 1.0,
    "hurdle": 0.0,
}


@pytest.mark.parametrize("seed", [1, 2])
def test_a_firm_without_a_suitable_site_never_converts(seed):
    """Twins identical but for ai_suitable; the listed group's sites unsuitable too.

    The suitable twin (readiness 1, optimism 1, hurdle 0) leases all 3 of its sites by the
    end of 2027; the unsuitable twin and every listed-group firm never hire an AI team,
    never sign, never have a MW converting or in AI service.
    """
    firms = [TWIN | {"name": "suited", "ai_suitable": True}]
    firms.append(TWIN | {"name": "unsuited", "ai_suitable": False})
    model = stepped(
        "ai_boom",
        seed,
        **{
            "population.firms": firms,
            "population.groups": groups_with(
                "ai_boom",
                fiber_km_median=lambda g: BEYOND_FIBER_KM if g["listed"] else g["fiber_km_median"],
            ),
            "run.end_date": "2027-12-31",
        },
    )
    panel, events = model.firm_table(), model.event_table()
    index = {m.name: m.index for m in model.miners}
    never = {index["unsuited"]} | set(panel.loc[panel["group"] == "listed", "firm_id"])
    sites = model.industry.sites
    assert not sites.ai_suitable[np.isin(sites.firm, list(never))].any()
    assert (events["kind"] == "auction").sum() == 0  # nobody bought a suitable site
    ai_events = events[events["kind"].isin(["ai_team_hired", "lease_signed", "readiness_upgrade"])]
    assert not ai_events["firm_id"].isin(never).any()
    mine = panel[panel["firm_id"].isin(never)]
    assert (mine[["mw_ai", "mw_converting", "ai_mw_contracted", "ai_rent_usd"]] == 0).all().all()
    assert not mine["ai_team"].any()
    # the suitable twin converts: not a vacuous pass
    suited = events[(events["kind"] == "lease_signed") & (events["firm_id"] == index["suited"])]
    assert len(suited) == 3
    assert panel.loc[panel["firm_id"] == index["suited"], "mw_ai"].max() > 100.0
    assert all(model.industry.sites.ai_suitable[x.site] for x in model.hosting.book.leases)
    sites = model.industry.sites
    ai_sites = (sites.mode == Mode.AI_HOSTING) | (sites.mode == Mode.CONVERTING)
    assert not (ai_sites & ~sites.ai_suitable).any()


# --- herding ----------------------------------------------------------------------------------

HERDING_SEEDS = tuple(range(1, 7))
HERDING = (0.0, 1.0)


def herding_overrides(strength: float) -> dict:
    """Drawn firms only: named firms hold AI teams from the start, which every peer sees.

    25 listed firms with 35 % of the hashrate, the drawn population before the 2026 start.
    """
    groups = listed_suitable(
        "ai_boom",
        ai_optimism_mean=0.1,
        count=lambda g: 25 if g["listed"] else g["count"],
        network_share=lambda g: 0.35 if g["listed"] else 0.65,
    )
    return {
        "population.firms": [],
        "population.groups": groups,
        "population.draw.ai_optimism_sd": 0.15,
        **LISTED_SUITABLE,
        "strategy.herding_strength": strength,
        "run.end_date": "2027-12-31",
    }


@dataclasses.dataclass
class Pivots:
    """First-pivot quarters of one run and whether each pivot followed a peer's lease."""

    quarters: np.ndarray  # year * 4 + quarter index of each pivoting firm's first offer
    followed: np.ndarray  # a peer had signed a lease before the firm's pivot date

    @property
    def top2(self) -> int:
        """Pivots in the run's busiest two quarters."""
        return int(pd.Series(self.quarters).value_counts().iloc[:2].sum()) if self.n else 0

    @property
    def n(self) -> int:
        return len(self.quarters)


def pivots(model: abm.MiningModel) -> Pivots:
    events = model.event_table()
    first = events[events["kind"] == "ai_team_hired"].groupby("firm_id")["date"].min()
    signed = events[events["kind"] == "lease_signed"].groupby("firm_id")["date"].min()
    followed = [
        any(signed.get(peer, pd.Timestamp.max) < date for peer in model.peers.neighbors(firm))
        for firm, date in first.items()
    ]
    quarters = (first.dt.year * 4 + (first.dt.month - 1) // 3).to_numpy()
    return Pivots(quarters, np.array(followed, dtype=bool))


@pytest.fixture(scope="module")
def herding() -> dict[float, list[Pivots]]:
    return {
        h: [pivots(stepped("ai_boom", seed, **herding_overrides(h))) for seed in HERDING_SEEDS]
        for h in HERDING
    }


def pooled(runs: list[Pivots]) -> dict[str, float]:
    n = sum(r.n for r in runs)
    return {
        "pivots": n,
        "top2_share": sum(r.top2 for r in runs) / n,
        "sd_quarters": float(np.mean([r.quarters.std() for r in runs if r.n])),
        "followed_share": sum(int(r.followed.sum()) for r in runs) / n,
    }


def test_peer_pivot_share_is_the_share_of_neighbours_that_hired_an_ai_team():
    model = stepped("ai_boom", 1, **herding_overrides(1.0))
    leased = model.hosting.ai_team
    assert leased.sum() >= 3
    for firm in range(len(model.miners)):
        peers = list(model.peers.neighbors(firm))
        assert len(peers) >= 2
        share = pivot_share(model.peers, firm, leased)
        assert share == pytest.approx(leased[peers].mean(), abs=1e-15)


def test_herding_draws_more_firms_into_ai_through_their_peers(herding):
    """Herding 0 vs 1, 6 seeds: more firms pivot, and they pivot after their peers.

    Measured (site-attribute suitability, drawn firms only): 8 pivoting firms without
    herding, 17 with (no seed fewer); pivots that came after a peer's lease: 0 of 8 vs 9 of
    17 (0.53).

    Thresholds: at least 1.5x the pivots pooled and no seed with fewer; the share of
    pivots following a peer's lease up by at least 0.1 (measured +0.53, over 4 binomial sd
    at 17 pivots).
    """
    off, on = pooled(herding[0.0]), pooled(herding[1.0])
    assert on["pivots"] >= 1.5 * off["pivots"], (off, on)
    assert all(b.n >= a.n for a, b in zip(herding[0.0], herding[1.0], strict=True))
    assert on["followed_share"] >= off["followed_share"] + 0.1, (off, on)


@pytest.mark.parametrize("from_years", [0.0, 1.0, 1.5])
@pytest.mark.parametrize("rate", [0.05, 0.31])
def test_mining_value_from_is_the_difference_of_two_values_bit_for_bit(from_years, rate):
    args = (60.0, 0.3, 1.7, 18.0, 55.0, rate)
    expected = mining_value_usd_per_mw(*args, from_years + 6.0) - mining_value_usd_per_mw(
        *args, from_years
    )
    assert mining_value_from_usd_per_mw(*args, from_years, from_years + 6.0) == expected


@settings(max_examples=300, deadline=None)
@given(
    price=st.floats(1.0, 500.0),
    escalator=st.floats(0.0, 0.5),
    noi_margin=st.floats(0.0, 1.0),
    policy_rate=st.floats(-0.02, 0.2),
    leverage=st.floats(0.0, 5.0) | st.sampled_from([0.0, 1e-300, -0.0]),
    years=st.sampled_from([1.0, 5.0, 12.0, 30.0]),
)
def test_no_firms_lease_value_exceeds_the_one_its_offers_are_first_tested_at(
    price, escalator, noi_margin, policy_rate, leverage, years
):
    """No firm's lease value exceeds the one its offers are tested at first.

    That is at a rate 1e-9 below an unlevered firm's; at any leverage >= 0 a firm's rate
    is no lower and NOI is >= 0, so its value is no larger, in floating point too.
    """
    fin = FinanceParams()
    lowest_rate = cost_of_capital(policy_rate, 0.0, fin) - 1e-9
    firms_rate = cost_of_capital(policy_rate, leverage, fin)
    most = lease_value_usd_per_mw_it(price, escalator, noi_margin, lowest_rate, years)
    assert lease_value_usd_per_mw_it(price, escalator, noi_margin, firms_rate, years) <= most
