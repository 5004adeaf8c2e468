"""A mining firm: a mesa Agent that decides, month by month and quarter by quarter.

The firm's sites, machines, cash, BTC and debt are its rows of the `Industry` it receives;
it changes them only through the industry's and the AI hosting round's methods, and it
reads the markets from the `MarketReadings` it is given. Daily operations are vectorized
in the industry; this class holds the monthly finance and the quarterly strategy and fleet
decisions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

import mesa
import networkx as nx
import numpy as np

from abm.agents.capital import CapitalMarket
from abm.agents.expansion import (
    can_fund_a_site,
    machines_payback_months,
    machines_usd_per_mw,
    price_site,
    site_mw_to_build,
)
from abm.agents.finance import DebtTranche, FinanceParams, cost_of_capital, credit_spread
from abm.agents.fleet import Cooling, MachineState, Mode
from abm.agents.hosting import AiHosting
from abm.agents.industry import Industry, SiteReview
from abm.agents.leasing import conversion_capex_usd_per_mw_it, upgrade_steps
from abm.agents.population import FirmSeed
from abm.agents.strategy import (
    award_chance,
    herded_belief,
    lease_value_usd_per_mw_it,
    mining_value_usd_per_mw,
    offer_gain_usd,
)
from abm.chain import COIN_SAT
from abm.markets.economics import margin_usd_per_th_day
from abm.markets.readings import MarketReadings
from abm.network.peers import pivot_share

if TYPE_CHECKING:  # read only: the scenario's rules, not the model
    from abm.ledger import Ledger
    from abm.scenario import Scenario


class MonthCharges(NamedTuple):
    """What firms pay first at a month end, in this order, USD per firm (each its flow).

    G&A on the site MW owned, the AI team's G&A (0.0 without a team: paying 0.0 changes
    no sum) and a month's interest.
    """

    ga_usd: np.ndarray
    ai_team_usd: np.ndarray
    interest_usd: np.ndarray

    def pay(self, ledger: Ledger, firms: np.ndarray) -> dict[str, np.ndarray]:
        """`firms` (one per charge) pay their charges, each in order.

        Returns their books before (cash and the charges' flows), for `unpay`.
        """
        before = {"cash_usd": ledger.cash_usd[firms]}
        before |= {flow: ledger.flows[flow][firms] for flow in self._fields}
        for flow, usd in zip(self._fields, self, strict=True):
            ledger.pay(firms, flow, usd)
        return before

    @classmethod
    def unpay(
        cls, ledger: Ledger, firms: np.ndarray, before: dict[str, np.ndarray], rows: slice
    ) -> None:
        """Undo `pay` for `firms[rows]`: their books back to `before`, bit for bit."""
        ledger.cash_usd[firms[rows]] = before["cash_usd"][rows]
        for flow in cls._fields:
            ledger.flows[flow][firms[rows]] = before[flow][rows]


class Miner(mesa.Agent):
    """A firm: listed miner or private bloc.

    Args:
        model: the mesa model it is registered with (never read by the firm).
        index: its row in the industry's per-firm arrays.
        seed: its drawn attributes.
        industry, capital, hosting, readings, peers: what the firm may act on and observe.
        rules: the scenario (read only).
    """

    def __init__(
        self,
        model: mesa.Model,
        index: int,
        seed: FirmSeed,
        industry: Industry,
        capital: CapitalMarket,
        hosting: AiHosting,
        readings: MarketReadings,
        peers: nx.Graph,
        rules: Scenario,
    ):
        super().__init__(model)
        self.index = index
        self.name = seed.name
        self.group = seed.group
        self.listed = seed.listed
        self.payback_months = seed.payback_months
        self.ai_optimism = seed.ai_optimism
        self.hurdle = seed.hurdle
        self.industry, self.hosting, self.readings, self.peers = industry, hosting, readings, peers
        self.capital = capital
        self.rules = rules

    # --- balance sheet ---------------------------------------------------------------
    @property
    def cash_usd(self) -> float:
        """Cash on hand."""
        return float(self.industry.ledger.cash_usd[self.index])

    @property
    def debt_usd(self) -> float:
        """Principal outstanding."""
        return self.industry.debt.principal_usd(self.index)

    def leverage(self) -> float:
        """Debt over assets (1 if the firm has no assets left)."""
        return self.industry.leverage(self.index)

    # --- monthly finance -------------------------------------------------------------
    def monthly_finance(self, month_costs_usd: float, interest_usd: float) -> bool:
        """Roll or repay maturing debt, then restore cash; False if the firm is bankrupt.

        Runs once the firm paid its month's charges (`month_charges_usd`, with its month's
        `interest_usd`). `month_costs_usd` is last month's power and opex: the firm keeps
        `min_cash_months` of it and of the interest in cash, selling BTC; short of cash
        after that, a listed firm sells shares at its distressed multiple, then dormant
        machines go, then it borrows. It reads and changes only its own books.
        """
        fin, i = self.rules.finance, self.index
        self._roll_maturing_debt()
        target = cash_reserve_usd(fin, month_costs_usd, interest_usd)
        cash = self.cash_usd
        if cash < target:
            self._sell_btc(target - cash)
            cash = self.cash_usd
        if cash < 0:  # each step below runs only while cash is short, and changes it
            self.capital.rescue(i, target - cash)
            cash = self.cash_usd
        if cash < 0:
            self._sell_dormant_machines()
            cash = self.cash_usd
        if cash < 0:
            leverage = self.leverage()
            if leverage < fin.distress_borrow_max_leverage:
                self._borrow(target - cash, 1.0, leverage)
            cash = self.cash_usd
        return cash >= 0

    def _roll_maturing_debt(self) -> None:
        industry, fin, r, i = self.industry, self.rules.finance, self.readings, self.index
        due = industry.debt.due(i, r.step_index)
        if not due:
            return
        leverage = self.leverage()
        for tranche in due:
            industry.debt.remove(i, tranche)
            if leverage < fin.refinance_max_leverage:
                spread = credit_spread(leverage, fin)
                fixed = None if tranche.fixed_rate is None else r.debt_policy_rate + spread
                maturity = r.step_index + r.steps_in_years(fin.refinance_term_years)
                rolled = DebtTranche(tranche.principal_usd, spread, fixed, maturity)
                industry.debt.add(i, rolled)
                rate = rolled.rate(r.debt_policy_rate)
                industry.events.add("refinance", i, usd=tranche.principal_usd, rate=rate)
            else:
                industry.ledger.pay(i, "debt_repaid_usd", tranche.principal_usd)
                industry.events.add("debt_repaid", i, usd=tranche.principal_usd)

    def _borrow(self, amount_usd: float, term_years: float, leverage: float) -> None:
        """Draw a loan priced at `leverage`, the firm's leverage just before the draw."""
        industry, r = self.industry, self.readings
        spread = credit_spread(leverage, self.rules.finance)
        maturity = r.step_index + r.steps_in_years(term_years)
        loan = DebtTranche(amount_usd, spread, None, maturity)
        industry.debt.add(self.index, loan)
        industry.ledger.receive(self.index, "debt_drawn_usd", amount_usd)
        industry.events.add(
            "borrow", self.index, usd=amount_usd, rate=loan.rate(r.debt_policy_rate)
        )

    def _sell_btc(self, need_usd: float) -> None:
        """Sell treasury BTC worth up to `need_usd` at today's price."""
        ledger, price = self.industry.ledger, self.readings.btc_price_usd
        sat = min(int(np.ceil(need_usd / price * COIN_SAT)), int(ledger.btc_sat[self.index]))
        if sat > 0:
            ledger.sell_btc(self.index, sat, price)

    def _sell_dormant_machines(self) -> None:
        """Distress: sell every dormant machine to the secondary market."""
        for row in self.industry.machine_rows(self.index, MachineState.DORMANT):
            self.industry.sell_machines(row)

    # --- quarterly strategy: mining or AI, site by site -------------------------------
    def review_strategy(self, review: SiteReview) -> None:
        """Offer each AI-suitable mining site to tenants when leasing beats mining it.

        Expected gain of offering = award chance x (lease NOI value - capex - mining value
        given up); the site is offered when that gain exceeds the firm's hurdle times the
        capex and the firm can fund the equity share (spare cash plus what it can raise).
        Vacant AI sites that found no tenant for a while go back to mining.
        """
        if not self.rules.ai.enabled:
            return
        hosting, sp, table = self.hosting, self.rules.strategy, self.industry.sites
        sites = self.industry.ai_suitable_site_rows(self.index)
        for site in sites:
            waited = hosting.waited_months(site)
            if hosting.is_vacant(site) and waited >= sp.vacant_months_before_mining:
                spare = self.industry.spare_cash_usd(1.0, self.index)
                if spare >= hosting.return_cost_usd(site):
                    hosting.return_to_mining(site)
        candidates = [s for s in sites if table.mode[s] == Mode.MINING]
        offered = {s for s in sites if hosting.is_vacant(s)}
        if candidates:
            offered |= self._sites_worth_offering(candidates, review)
        hosting.offer_sites(self.index, offered)
        if offered:
            hosting.hire_team(self.index)

    def _sites_worth_offering(self, candidates: list[int], review: SiteReview) -> set[int]:
        """The candidates the firm offers (and funds the readiness upgrades of).

        Each site is first tested giving up no mining at a lease value no firm's exceeds:
        discounted at a hair below an unlevered firm's rate (NOI >= 0, so a higher rate is
        worth less; 1e-9 a year is far beyond exp's rounding). Most sites fail it, and
        fail at the firm's own rate, so most reviews read no leverage.
        """
        industry, hosting, r = self.industry, self.hosting, self.readings
        sp, cp, fin = self.rules.strategy, self.rules.conversion, self.rules.finance
        peers_pivoted = pivot_share(self.peers, self.index, hosting.ai_team)
        belief = herded_belief(self.ai_optimism, peers_pivoted, sp.herding_strength)
        required, liquid_required, escalator, noi_margin = hosting.typical_lease(r.date)
        lease_index = hosting.market.lease_index_usd_per_kw_month
        lowest_rate = cost_of_capital(r.discount_policy_rate, 0.0, fin) - 1e-9
        most_lease_pv = lease_value_usd_per_mw_it(
            lease_index, escalator, noi_margin, lowest_rate, sp.horizon_years
        )
        table = industry.sites
        terms = []  # per site that may pass: what its offer costs and wins
        for site in candidates:
            gross = float(table.gross_mw[site])
            liquid_missing = liquid_required and table.cooling[site] != Cooling.LIQUID_READY
            readiness = float(table.readiness[site])
            score = hosting.score(site)
            steps = upgrade_steps(score, readiness, required, cp)
            upgraded = min(readiness + steps * cp.readiness_upgrade_step, 1.0)
            upgrade_usd = steps * cp.readiness_upgrade_usd_per_mw * gross
            it_mw = gross * cp.it_ratio
            capex = it_mw * conversion_capex_usd_per_mw_it(upgraded, liquid_missing, cp)
            chance = award_chance(
                score + upgraded - readiness, required, belief, sp.award_steepness
            )
            hurdle_usd = self.hurdle * capex
            most_net_usd = it_mw * most_lease_pv - capex
            if offer_gain_usd(chance, most_net_usd, 0.0, upgrade_usd) > hurdle_usd:
                terms.append(
                    (site, gross, steps, upgraded, upgrade_usd, it_mw, capex, chance, hurdle_usd)
                )
        if not terms:
            return set()
        rate = cost_of_capital(r.discount_policy_rate, self.leverage(), fin)
        lease_pv = lease_value_usd_per_mw_it(
            lease_index, escalator, noi_margin, rate, sp.horizon_years
        )
        j_per_th = review.j_per_th
        budget = None  # fundable cash, read once a site's gain passes (most reviews: none)
        offered = set()
        for site, gross, steps, upgraded, upgrade_usd, it_mw, capex, chance, hurdle_usd in terms:
            lease_net_usd = it_mw * lease_pv - capex
            if not offer_gain_usd(chance, lease_net_usd, 0.0, upgrade_usd) > hurdle_usd:
                continue  # fails giving up no mining, so any (mine_pv >= 0, chance >= 0)
            mine_pv = gross * mining_value_usd_per_mw(
                r.hashprice_expectation_usd_per_ph_day,
                self.rules.asic.hashprice_decline_per_year,
                r.years_to_halving(),
                j_per_th[site],
                review.cash_cost_usd_per_mwh[site],
                rate,
                sp.horizon_years,
                review.renewal_cost_usd_per_mwh[site],
                review.contract_years_left[site],
            )
            gain = offer_gain_usd(chance, lease_net_usd, mine_pv, upgrade_usd)
            equity = (1.0 - cp.project_loan_to_cost) * capex + upgrade_usd
            if not gain > hurdle_usd:
                continue
            if budget is None:
                budget = self.capital.fundable_usd(self.index)  # keeps a month of costs
            if equity <= budget:
                if steps and not self.capital.fund(self.index, upgrade_usd):
                    continue  # the market took less than the firm counted on
                offered.add(site)
                budget -= equity
                if steps:  # flexible site design: invest ahead to meet tenants' standards
                    industry.upgrade_readiness(site, upgraded, upgrade_usd)
        return offered

    # --- quarterly fleet review ------------------------------------------------------

    def review_fleet(self, review: SiteReview) -> None:
        """Mothball machines that lose money, scrap old ones, redeploy or buy to fill MW."""
        industry, i = self.industry, self.index
        hashprice = self.readings.hashprice_expectation_usd_per_ph_day
        cost_per_mwh = review.cost_usd_per_mwh
        for row in review.losing_rows.get(i, ()):
            industry.mothball(row)
        dormant = industry.machine_rows(i, MachineState.DORMANT)
        stored = []  # (row, MW, J/TH) of dormant vintages kept, in row order
        if len(dormant):  # most firms store nothing
            fleet = industry.fleet
            rows = zip(
                dormant.tolist(),
                review.past_scrap_age[dormant].tolist(),  # all there as the round began
                fleet.power_mw(dormant).tolist(),
                fleet.j_per_th[dormant].tolist(),
                strict=True,
            )
            for row, old, power_mw, j_per_th in rows:
                if old:
                    industry.scrap(row)
                else:
                    stored.append((row, power_mw, j_per_th))
        free_mw = industry.free_mw_by_site(i)
        if stored:
            most_free_mw = max(free_mw.values(), default=-np.inf)  # it only shrinks below
            for row, power_mw, j_per_th in stored:
                if not power_mw > most_free_mw:  # else no site has room for it
                    self._redeploy(row, power_mw, j_per_th, free_mw, hashprice, cost_per_mwh)
        self._buy_new(free_mw, review)

    def review_expansion(self, review: SiteReview) -> None:
        """Start a new mining site when filling it with new machines pays (`abm.agents.expansion`).

        Priced in the region of the firm's cheapest power, with what is left of the budget
        the fleet review spends from; the loan share only below the leverage limit. The
        cheap tests come first, as most reviews build nothing: a budget that cannot pay for
        the smallest site prices none, nor do machines that fail the firm's payback test.
        A region's power price and payback are quoted once a round
        (`SiteReview.new_site_quotes`).
        """
        ex, industry, r, i = self.rules.expansion, self.industry, self.readings, self.index
        if not ex.enabled:
            return
        policy = self.rules.fleet
        budget = policy.capex_cash_share * industry.spare_cash_usd(policy.cash_reserve_months, i)
        _, gen = review.newest
        usd_per_th = review.new_usd_per_th
        if not can_fund_a_site(budget, machines_usd_per_mw(usd_per_th, gen.j_per_th), ex):
            return  # too little cash for the smallest site, whatever it is worth
        region = industry.cheapest_region(i)
        if region is None:
            return
        hashprice = r.hashprice_expectation_usd_per_ph_day
        quote = review.new_site_quotes.get(region)
        if quote is None:  # the first firm of the round to build there
            usd_per_mwh = industry.region_mean_usd_per_mwh[region] * (1.0 + ex.power_premium)
            cost = usd_per_mwh + self.rules.finance.nonpower_opex_usd_per_mwh
            payback = machines_payback_months(hashprice, gen.j_per_th, usd_per_th, cost)
            quote = review.new_site_quotes[region] = usd_per_mwh, cost, payback
        usd_per_mwh, cost_usd_per_mwh, payback = quote
        if payback > self.payback_months:
            return  # the site would stand empty (`site_mw_to_build`), whatever it is worth
        leverage = self.leverage()
        case = price_site(
            hashprice,
            r.years_to_halving(),
            gen.j_per_th,
            usd_per_th,
            cost_usd_per_mwh,
            cost_of_capital(r.discount_policy_rate, leverage, self.rules.finance),
            ex,
            payback,
        )
        loan_to_cost = ex.loan_to_cost if leverage < ex.max_leverage else 0.0
        mw = site_mw_to_build(case, self.hurdle, self.payback_months, budget, loan_to_cost, ex)
        if mw > 0:
            if loan_to_cost > 0:
                self._borrow(loan_to_cost * mw * case.site, ex.loan_term_years, leverage)
            industry.start_site_build(
                i, region, mw, mw * case.site, float(usd_per_mwh), ex.lead_time_months
            )

    def _redeploy(
        self,
        row: int,
        power_mw: float,
        j_per_th: float,
        free_mw: dict,
        hashprice: float,
        cost: list[float],
    ) -> None:
        """Install a dormant vintage drawing `power_mw` at the first site with room for it.

        The first, in site order, whose free MW holds it and where it earns a margin.
        """
        for site, mw in free_mw.items():
            if mw >= power_mw and margin_usd_per_th_day(hashprice, j_per_th, cost[site]) > 0:
                self.industry.deploy(row, site)
                free_mw[site] -= power_mw
                return

    def _buy_new(self, free_mw: dict, review: SiteReview) -> None:
        """Fill free MW with the newest generation when its payback beats the firm's.

        Sites with room are filled cheapest power first (the review's cost per site)
        while the budget lasts; the newest machines' payback per site at their list price
        is the review's.
        """
        room_mw = [(site, mw) for site, mw in free_mw.items() if mw > 0]
        if not room_mw:  # a full fleet: its cash need not be read
            return
        industry, policy = self.industry, self.rules.fleet
        spare = industry.spare_cash_usd(policy.cash_reserve_months, self.index)
        budget = policy.capex_cash_share * spare
        if budget <= 0:  # as the loop below would buy nothing
            return
        gen_index, gen = review.newest
        price_th = review.new_usd_per_th
        cost, payback_months = review.cost_usd_per_mwh, review.new_machines_payback_months
        for site, mw in sorted(room_mw, key=lambda kv: cost[kv[0]]):
            if budget <= 0:  # spent: it never grows
                break
            if payback_months[site] > self.payback_months:  # inf: the machines would lose
                continue
            th = min(mw * 1e6 / gen.j_per_th, budget / price_th)
            if th * gen.j_per_th * 1e-6 < 0.05:  # below 50 kW: not worth an order
                continue
            industry.buy_machines(self.index, site, gen_index, th, price_th)
            budget -= th * price_th


def cash_reserve_usd(finance: FinanceParams, month_costs_usd, interest_usd):
    """Cash a firm keeps at a month end, USD (of one firm, or arrays of many).

    `min_cash_months` of last month's power and opex and of the month's interest.
    """
    return finance.min_cash_months * (month_costs_usd + interest_usd)


def month_charges_usd(miners: Sequence[Miner], owned_mw: np.ndarray) -> MonthCharges:
    """Each of `miners`' month-end charges (`MonthCharges`), at today's policy rate.

    `owned_mw` (one per miner) is the site MW each owned as the month ended, before this
    month end's auctions (a site bought from a bankrupt firm was paid for by its seller).
    """
    first = miners[0]
    industry, rules, rate = first.industry, first.rules, first.readings.debt_policy_rate
    firms = [m.index for m in miners]
    team_usd = rules.conversion.ai_team_usd_per_year / 12.0
    return MonthCharges(
        ga_usd=rules.finance.ga_usd_per_mw_year * owned_mw / 12.0,
        ai_team_usd=np.where(first.hosting.ai_team[firms], team_usd, 0.0),
        interest_usd=industry.debt.interest_by_firm_usd_per_year(firms, rate) / 12.0,
    )
