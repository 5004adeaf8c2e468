"""A mining firm: a mesa Agent that owns sites, machines and a balance sheet, and decides.

The firm's cash, BTC and flows live in the model's per-firm arrays (row `self.index`); its
sites and machines are rows of the model's `Sites` and `Fleet` tables. Daily operations are
vectorized in the model; this class holds the monthly finance and quarterly fleet decisions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from abm.agents.finance import DebtTranche, cost_of_capital, credit_spread
from abm.agents.fleet import Cooling, MachineState, Mode
from abm.agents.leasing import conversion_capex_usd_per_mw_it, upgrade_steps
from abm.agents.strategy import (
    award_chance,
    herded_belief,
    lease_value_usd_per_mw_it,
    mining_value_usd_per_mw,
)
from abm.chain import COIN_SAT

if TYPE_CHECKING:
    from abm.agents.population import FirmSeed
    from abm.model import MiningModel

DAYS_PER_MONTH = 365.25 / 12


class Miner(mesa.Agent):
    """A firm: listed miner or private bloc."""

    model: MiningModel

    def __init__(self, model: MiningModel, index: int, seed: FirmSeed):
        super().__init__(model)
        self.index = index
        self.name = seed.name
        self.group = seed.group
        self.listed = seed.listed
        self.debt: list[DebtTranche] = list(seed.debt)
        self.btc_sell_share = seed.btc_sell_share
        self.payback_months = seed.payback_months
        self.ai_optimism = seed.ai_optimism
        self.hurdle = seed.hurdle

    # --- balance sheet ---------------------------------------------------------------
    @property
    def cash_usd(self) -> float:
        """Cash on hand."""
        return float(self.model.ledger.cash_usd[self.index])

    @property
    def debt_usd(self) -> float:
        """Principal outstanding."""
        return sum(t.principal_usd for t in self.debt)

    def site_rows(self) -> np.ndarray:
        """Indices of this firm's sites in the model's site table."""
        return np.flatnonzero(self.model.sites.firm == self.index)

    def machine_rows(self, state: MachineState | None = None) -> np.ndarray:
        """Indices of this firm's vintages, optionally only those in `state`."""
        fleet = self.model.fleet
        mine = fleet.firm == self.index
        if state is not None:
            mine &= fleet.state == state
        return np.flatnonzero(mine)

    def assets_usd(self) -> float:
        """Everything the firm owns, valued today.

        Mining sites at market value, leased AI sites at the PV of their NOI (at cost while
        converting), machines at secondary prices, BTC at market, and cash.
        """
        m = self.model
        sites = self.site_rows()
        mining_sites = m.sites.mode[sites] != Mode.AI_HOSTING
        sites_mw = m.sites.gross_mw[sites[mining_sites]].sum()
        rows = self.machine_rows()
        machines = float((m.fleet.th[rows] * m.machine_value_usd_per_th[rows]).sum())
        btc = m.ledger.btc_sat[self.index] / COIN_SAT * m.btc_price_usd
        return (
            sites_mw * m.site_value_usd_per_mw()
            + m.hosting.ai_value_usd[self.index]
            + machines
            + btc
            + max(self.cash_usd, 0.0)
        )

    def leverage(self) -> float:
        """Debt over assets (1 if the firm has no assets left)."""
        assets = self.assets_usd()
        return self.debt_usd / assets if assets > 0 else 1.0

    # --- monthly finance -------------------------------------------------------------
    def monthly_finance(self, month_costs_usd: float) -> bool:
        """Pay G&A and interest, roll or repay maturing debt, restore cash; False if bankrupt.

        `month_costs_usd` is last month's power and opex: the firm keeps
        `min_cash_months` of it in cash, selling BTC, dormant machines, or borrowing.
        """
        m, fin, ledger, i = self.model, self.model.params.finance, self.model.ledger, self.index
        owned_mw = m.sites.gross_mw[self.site_rows()].sum()
        ledger.pay(i, "ga_usd", fin.ga_usd_per_mw_year * owned_mw / 12.0)
        if m.hosting.ai_team[i]:
            ledger.pay(i, "ai_team_usd", m.params.conversion.ai_team_usd_per_year / 12.0)
        interest = sum(t.principal_usd * t.rate(m.policy_rate) for t in self.debt) / 12.0
        ledger.pay(i, "interest_usd", interest)
        self._roll_maturing_debt()
        target = fin.min_cash_months * (month_costs_usd + interest)
        if self.cash_usd < target:
            self._sell_btc(target - self.cash_usd)
        if self.cash_usd < 0:
            self._sell_dormant_machines()
        if self.cash_usd < 0 and self.leverage() < fin.distress_borrow_max_leverage:
            self._borrow(target - self.cash_usd, term_years=1.0)
        return self.cash_usd >= 0

    def _roll_maturing_debt(self) -> None:
        m, fin = self.model, self.model.params.finance
        due = [t for t in self.debt if t.maturity_step <= m.step_index]
        if not due:
            return
        leverage = self.leverage()
        for tranche in due:
            self.debt.remove(tranche)
            if leverage < fin.refinance_max_leverage:
                spread = credit_spread(leverage, fin)
                self.debt.append(
                    DebtTranche(
                        tranche.principal_usd,
                        spread,
                        None if tranche.fixed_rate is None else m.policy_rate + spread,
                        m.step_index + m.steps_in_years(fin.refinance_term_years),
                    )
                )
                m.events.add("refinance", self.index, usd=tranche.principal_usd)
            else:
                self.model.ledger.pay(self.index, "debt_repaid_usd", tranche.principal_usd)
                m.events.add("debt_repaid", self.index, usd=tranche.principal_usd)

    def _borrow(self, amount_usd: float, term_years: float) -> None:
        m = self.model
        spread = credit_spread(self.leverage(), m.params.finance)
        maturity = m.step_index + m.steps_in_years(term_years)
        self.debt.append(DebtTranche(amount_usd, spread, None, maturity))
        m.ledger.receive(self.index, "debt_drawn_usd", amount_usd)
        m.events.add("borrow", self.index, usd=amount_usd)

    def _sell_btc(self, need_usd: float) -> None:
        """Sell treasury BTC worth up to `need_usd` at today's price."""
        m = self.model
        sat = min(
            int(np.ceil(need_usd / m.btc_price_usd * COIN_SAT)), int(m.ledger.btc_sat[self.index])
        )
        if sat > 0:
            m.ledger.sell_btc(self.index, sat, m.btc_price_usd)

    def _sell_dormant_machines(self) -> None:
        """Distress: sell every dormant machine to the secondary market."""
        for row in self.machine_rows(MachineState.DORMANT):
            self.model.sell_machines(row)

    # --- quarterly strategy: mining or AI, site by site -------------------------------
    def review_strategy(self) -> None:
        """Offer each AI-suitable mining site to tenants when leasing beats mining it.

        Expected gain of offering = award chance x (lease NOI value - capex - mining value
        given up); the site is offered when that gain exceeds the firm's hurdle times the
        capex and the firm can fund the equity share. Vacant AI sites that found no tenant
        for a while go back to mining.
        """
        m = self.model
        if not m.params.ai.enabled:
            return
        hosting, sp = m.hosting, m.params.strategy
        sites = [int(s) for s in self.site_rows() if m.sites.ai_suitable[s]]
        for site in sites:
            waited = hosting.month - hosting.vacant_since.get(site, hosting.month)
            if hosting.is_vacant(site) and waited >= sp.vacant_months_before_mining:
                hosting.return_to_mining(site)
        candidates = [s for s in sites if m.sites.mode[s] == Mode.MINING]
        offered = {s for s in sites if hosting.is_vacant(s)}
        if candidates:
            offered |= self._sites_worth_offering(candidates)
        mine = set(self.site_rows().tolist())
        hosting.offered = (hosting.offered - mine) | offered
        if offered and not hosting.ai_team[self.index]:
            hosting.ai_team[self.index] = True
            m.events.add("ai_team_hired", self.index)

    def _sites_worth_offering(self, candidates: list[int]) -> set[int]:
        m = self.model
        hosting, sp, cp = m.hosting, m.params.strategy, m.params.conversion
        rate = cost_of_capital(m.policy_rate, self.leverage(), m.params.finance)
        belief = herded_belief(
            self.ai_optimism, m.peer_pivot_share(self.index), sp.herding_strength
        )
        required, liquid_required, escalator, noi_margin = hosting.typical_lease(
            m.dates[m.step_index]
        )
        lease_pv = lease_value_usd_per_mw_it(
            hosting.market.lease_index_usd_per_kw_month,
            escalator,
            noi_margin,
            rate,
            sp.horizon_years,
        )
        cost, j_per_th = m.review_cost_usd_per_mwh, m.review_j_per_th
        budget = self.cash_usd - m.last_month_costs_usd[self.index]
        offered = set()
        for site in candidates:
            gross = float(m.sites.gross_mw[site])
            mine_pv = gross * mining_value_usd_per_mw(
                m.hashprice_expectation_usd_per_ph_day,
                m.params.asic.hashprice_decline_per_year,
                m.years_to_halving(),
                j_per_th[site],
                cost[site],
                rate,
                sp.horizon_years,
            )
            liquid_missing = liquid_required and m.sites.cooling[site] != Cooling.LIQUID_READY
            readiness = float(m.sites.readiness[site])
            steps = upgrade_steps(hosting.score(site), readiness, required, cp)
            upgraded = min(readiness + steps * cp.readiness_upgrade_step, 1.0)
            upgrade_usd = steps * cp.readiness_upgrade_usd_per_mw * gross
            it_mw = gross * cp.it_ratio
            capex = it_mw * conversion_capex_usd_per_mw_it(upgraded, liquid_missing, cp)
            score = hosting.score(site) + upgraded - readiness
            chance = award_chance(score, required, belief, sp.award_steepness)
            gain = chance * (it_mw * lease_pv - capex - mine_pv) - upgrade_usd
            equity = (1.0 - cp.project_loan_to_cost) * capex + upgrade_usd
            if gain > self.hurdle * capex and equity <= budget:
                offered.add(site)
                budget -= equity
                if steps:
                    self._invest_ahead(site, upgraded, upgrade_usd)
        return offered

    def _invest_ahead(self, site: int, readiness: float, usd: float) -> None:
        """Flexible site design: cooling and electrical work that raises a site's readiness."""
        m = self.model
        m.ledger.pay(self.index, "capex_usd", usd)
        m.sites.readiness[site] = readiness
        m.events.add("readiness_upgrade", self.index, site=site, usd=usd, readiness=readiness)

    # --- quarterly fleet review ------------------------------------------------------

    def review_fleet(self) -> None:
        """Mothball machines that lose money, scrap old ones, redeploy or buy to fill MW."""
        m = self.model
        fleet, policy = m.fleet, m.params.fleet
        hashprice_th_day = m.hashprice_expectation_usd_per_ph_day / 1000.0
        cost_per_mwh = m.review_cost_usd_per_mwh
        for row in self.machine_rows(MachineState.DEPLOYED):
            margin = hashprice_th_day - fleet.j_per_th[row] * 24e-6 * cost_per_mwh[fleet.site[row]]
            if margin < 0:
                m.mothball(row)
        for row in self.machine_rows(MachineState.DORMANT):
            if m.age_years(row) > policy.scrap_age_years:
                m.scrap(row)
        free_mw = self._free_mw_by_site()
        for row in self.machine_rows(MachineState.DORMANT):
            self._redeploy(row, free_mw, hashprice_th_day, cost_per_mwh)
        self._buy_new(free_mw, hashprice_th_day, cost_per_mwh)

    def _free_mw_by_site(self) -> dict[int, float]:
        m = self.model
        deployed = m.fleet.deployed_mw_by_site(m.sites.n)
        return {
            int(s): float(m.sites.gross_mw[s] - deployed[s])
            for s in self.site_rows()
            if m.sites.mode[s] == Mode.MINING
        }

    def _redeploy(self, row: int, free_mw: dict, hashprice_th_day: float, cost: np.ndarray) -> None:
        fleet = self.model.fleet
        power_mw = fleet.th[row] * fleet.j_per_th[row] * 1e-6
        for site, mw in free_mw.items():
            margin = hashprice_th_day - fleet.j_per_th[row] * 24e-6 * cost[site]
            if margin > 0 and mw >= power_mw:
                self.model.deploy(row, site)
                free_mw[site] -= power_mw
                return

    def _buy_new(self, free_mw: dict, hashprice_th_day: float, cost: np.ndarray) -> None:
        """Fill free MW with the newest generation when its payback beats the firm's."""
        m = self.model
        policy = m.params.fleet
        budget = policy.capex_cash_share * (
            self.cash_usd - policy.cash_reserve_months * m.last_month_costs_usd[self.index]
        )
        gen_index, gen = m.newest_generation()
        price_th = m.new_price_usd_per_th(gen)
        for site, mw in sorted(free_mw.items(), key=lambda kv: cost[kv[0]]):
            margin = hashprice_th_day - gen.j_per_th * 24e-6 * cost[site]
            if budget <= 0 or margin <= 0 or mw <= 0:
                continue
            if price_th / (margin * DAYS_PER_MONTH) > self.payback_months:
                continue
            th = min(mw * 1e6 / gen.j_per_th, budget / price_th)
            if th * gen.j_per_th * 1e-6 < 0.05:  # below 50 kW: not worth an order
                continue
            m.buy_machines(self.index, site, gen_index, th, price_th)
            budget -= th * price_th
