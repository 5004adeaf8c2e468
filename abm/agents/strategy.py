"""The quarterly pivot decision: what a site is worth mining versus leased to an AI tenant.

Values are present values per MW over the strategy horizon, at the firm's cost of capital.
The mining value follows the firm's expected hashprice path (its adaptive expectation,
declining with difficulty growth, halved at each halving); the lease value is rent times
the NOI margin, with its escalator. Peers who pivoted raise a firm's belief that it can win
a lease (herding): it draws more firms into AI (measured in tests/agents/test_strategy.py).
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from abm.params import param

DAYS_PER_MONTH = 365.25 / 12


@dataclasses.dataclass(frozen=True)
class StrategyParams:
    """How firms weigh mining against AI hosting."""

    horizon_years: float = param(12.0, lo=1.0, hi=30.0, doc="years a site decision looks ahead")
    herding_strength: float = param(
        0.5, lo=0.0, hi=1.0, doc="weight of the share of peers that pivoted on a firm's belief"
    )
    peer_degree: int = param(4, lo=2, hi=50, doc="peers per firm (Watts-Strogatz ring degree)")
    peer_rewire_probability: float = param(
        0.1, lo=0.0, hi=1.0, doc="Watts-Strogatz rewiring probability (small world)"
    )
    award_steepness: float = param(
        10.0, lo=0.1, doc="how fast the expected award chance rises with readiness above need"
    )
    vacant_months_before_mining: int = param(
        6, lo=0, hi=120, doc="months a vacant AI site waits for a tenant before mining again"
    )


def _months(years: float) -> np.ndarray:
    """Mid-month times in years over a horizon."""
    return (np.arange(round(years * 12)) + 0.5) / 12.0


def mining_value_usd_per_mw(
    hashprice_usd_per_ph_day: float,
    decline_per_year: float,
    years_to_halving: float,
    j_per_th: float,
    cost_usd_per_mwh: float,
    rate_per_year: float,
    years: float,
    renewal_cost_usd_per_mwh: float | None = None,
    contract_years_left: float = np.inf,
) -> float:
    """PV of one MW mining for `years`: margin while positive, halvings every 4 years.

    Power costs `cost_usd_per_mwh` for the contract's `contract_years_left`, then
    `renewal_cost_usd_per_mwh` (the price it renews at; default: unchanged).
    """
    return float(
        np.add.reduce(
            _discounted_margin_usd_per_mw(
                hashprice_usd_per_ph_day,
                decline_per_year,
                years_to_halving,
                j_per_th,
                cost_usd_per_mwh,
                rate_per_year,
                years,
                renewal_cost_usd_per_mwh,
                contract_years_left,
            )
        )
    )


def mining_value_from_usd_per_mw(
    hashprice_usd_per_ph_day: float,
    decline_per_year: float,
    years_to_halving: float,
    j_per_th: float,
    cost_usd_per_mwh: float,
    rate_per_year: float,
    from_years: float,
    years: float,
) -> float:
    """`mining_value_usd_per_mw` for `years` less that for `from_years` (fewer), bit for bit.

    The shorter path's monthly terms are the first of the longer's (each month is
    computed alone), so both sums come from one discounted path.
    """
    discounted = _discounted_margin_usd_per_mw(
        hashprice_usd_per_ph_day,
        decline_per_year,
        years_to_halving,
        j_per_th,
        cost_usd_per_mwh,
        rate_per_year,
        years,
    )
    first = discounted[: round(from_years * 12)]
    return float(np.add.reduce(discounted)) - float(np.add.reduce(first))


def _discounted_margin_usd_per_mw(
    hashprice_usd_per_ph_day: float,
    decline_per_year: float,
    years_to_halving: float,
    j_per_th: float,
    cost_usd_per_mwh: float,
    rate_per_year: float,
    years: float,
    renewal_cost_usd_per_mwh: float | None = None,
    contract_years_left: float = np.inf,
) -> np.ndarray:
    """Each month's margin of one MW (see `mining_value_usd_per_mw`), discounted to today."""
    renewal = cost_usd_per_mwh if renewal_cost_usd_per_mwh is None else renewal_cost_usd_per_mwh
    t, margin = _margin_usd_per_mw_month(
        hashprice_usd_per_ph_day,
        decline_per_year,
        years_to_halving,
        j_per_th,
        cost_usd_per_mwh,
        years,
        renewal,
        contract_years_left,
    )
    return margin * np.exp(-rate_per_year * t)


# Every firm's review on one date prices the same paths (the hashprice expectation and the
# halving are common; sites share regions' costs): each is computed once, only the firm's
# discount rate is applied per call. Keyed on every input, so a hit is the same numbers.
@functools.lru_cache(maxsize=1024)
def _margin_usd_per_mw_month(
    hashprice_usd_per_ph_day: float,
    decline_per_year: float,
    years_to_halving: float,
    j_per_th: float,
    cost_usd_per_mwh: float,
    years: float,
    renewal_cost_usd_per_mwh: float,
    contract_years_left: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Mid-month times and one MW's margin in each month, USD, 0 where curtailed (read only)."""
    t, hashprice = _hashprice_path(
        hashprice_usd_per_ph_day, decline_per_year, years_to_halving, years
    )
    th_per_mw = 1e6 / j_per_th
    revenue = hashprice / 1000.0 * th_per_mw * DAYS_PER_MONTH
    cost_usd_per_mwh = np.where(t < contract_years_left, cost_usd_per_mwh, renewal_cost_usd_per_mwh)
    cost = cost_usd_per_mwh * 24.0 * DAYS_PER_MONTH
    margin = np.maximum(revenue - cost, 0.0)  # a loss-making month is curtailed
    margin.flags.writeable = False
    return t, margin


@functools.lru_cache(maxsize=64)
def _hashprice_path(
    hashprice_usd_per_ph_day: float, decline_per_year: float, years_to_halving: float, years: float
) -> tuple[np.ndarray, np.ndarray]:
    """Mid-month times and the expected hashprice at each (decline, halvings), read only."""
    t = _months(years)
    halvings = np.floor((t - years_to_halving) / 4.0) + 1.0
    hashprice = hashprice_usd_per_ph_day * np.exp(-decline_per_year * t)
    hashprice = hashprice * 0.5 ** np.clip(halvings, 0.0, None)
    t.flags.writeable = hashprice.flags.writeable = False
    return t, hashprice


# Every firm's strategy review in a round bounds its offers by the same lease value.
@functools.lru_cache(maxsize=64)
def lease_value_usd_per_mw_it(
    price_usd_per_kw_month: float,
    escalator_per_year: float,
    noi_margin: float,
    rate_per_year: float,
    years: float,
) -> float:
    """PV of one MW IT leased for `years`: NOI with the escalator, monthly."""
    t, noi = _noi_usd_per_mw_it_month(price_usd_per_kw_month, escalator_per_year, noi_margin, years)
    return float((noi * np.exp(-rate_per_year * t)).sum())


# Every firm's strategy review in a round prices the same lease terms; only its rate differs.
@functools.lru_cache(maxsize=64)
def _noi_usd_per_mw_it_month(
    price_usd_per_kw_month: float, escalator_per_year: float, noi_margin: float, years: float
) -> tuple[np.ndarray, np.ndarray]:
    """Mid-month times and one MW IT's NOI in each month, USD, undiscounted (read only)."""
    t = _months(years)
    rent = price_usd_per_kw_month * 1000.0 * (1.0 + escalator_per_year) ** np.floor(t)
    noi = rent * noi_margin
    t.flags.writeable = noi.flags.writeable = False
    return t, noi


def award_chance(readiness: float, required: float, belief: float, steepness: float) -> float:
    """A firm's expected chance to win a lease for a site.

    Its belief times a logistic in how far the site's score exceeds what tenants require.
    """
    return belief / (1.0 + np.exp(-steepness * (readiness - required)))


def offer_gain_usd(
    chance: float, lease_net_usd: float, mine_pv_usd: float, upgrade_usd: float
) -> float:
    """Expected gain of offering a site, USD: chance x (lease value - capex - mining).

    The lease's NOI value less its capex and the mining given up, times the award chance,
    less the readiness upgrade paid whatever happens. Never more with more mining given
    up, for any `chance` >= 0 (or NaN either way), so a site failing the hurdle giving up
    none (`mine_pv_usd` 0) fails it: its mining need not be priced.
    """
    return chance * (lease_net_usd - mine_pv_usd) - upgrade_usd


def herded_belief(belief: float, peers_pivoted_share: float, herding: float) -> float:
    """Belief raised toward 1 by the share of peers that pivoted (herding 0: unchanged)."""
    return belief + herding * peers_pivoted_share * (1.0 - belief)
