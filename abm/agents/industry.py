"""The industry's state: every firm's sites, machines, cash, BTC and debt, and what changes it.

`Industry` owns the struct-of-arrays tables (sites, fleet), the ledger and the debt book;
every transition of a machine or a site and every valuation goes through it. The daily
operations (which vintages run, who is paid, what power costs) are vectorized over all
vintages of all firms here, over constants gathered once per change of the tables
(`DailyArrays`); firms (agents) and the AI hosting round receive the industry and act on
their own rows through its methods, which keep an index of each firm's rows.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from abm.agents.daily import DailyArrays, DayBook
from abm.agents.expansion import Build, Pipeline, closing_month, machines_payback_months
from abm.agents.finance import DebtBook, FinanceParams
from abm.agents.fleet import (
    MARKET,
    NO_SITE,
    Cooling,
    Fleet,
    FleetPolicyParams,
    MachineState,
    Mode,
    RowsByOwner,
    Sites,
    numpy_sum,
)
from abm.agents.population import FirmSeed
from abm.agents.siting import SuitabilityParams, ai_suitability, is_suitable
from abm.chain import COIN_SAT
from abm.events import EventLog
from abm.ledger import Ledger, sum_row_after_row
from abm.markets import economics as econ
from abm.markets.asic import AsicGeneration, AsicMarket
from abm.markets.economics import Contract
from abm.markets.readings import MarketReadings
from abm.units import DAYS_PER_MONTH, DAYS_PER_YEAR, HOURS_PER_DAY

NO_REGION = -1  # a firm's cheapest region when it has no site


@dataclasses.dataclass(frozen=True)
class SiteReview:
    """What every site costs to mine at a quarterly review, for all firms' decisions.

    What the fleet reviews read site by site in Python are lists of floats (a numpy
    scalar costs more to index and compare).
    """

    cost_usd_per_mwh: list[float]  # marginal power at the region's mean spot, plus opex
    j_per_th: np.ndarray  # TH-weighted efficiency of its deployed machines
    cash_cost_usd_per_mwh: np.ndarray  # what mining a MWh costs under the contract, plus opex
    renewal_cost_usd_per_mwh: np.ndarray  # the same once a PPA has ended and renewed
    contract_years_left: np.ndarray  # years the contract price holds (inf: not a PPA)
    new_machines_payback_months: list[float]  # newest machines at list price, at that cost
    losing_rows: dict[int, list[int]]  # per firm: deployed vintages whose margin is < 0
    newest: tuple[int, AsicGeneration]  # the newest generation on sale (`newest_generation`)
    new_usd_per_th: float  # its list price (`new_price_usd_per_th`): the date's and hashprice's
    past_scrap_age: np.ndarray  # per vintage of the review's start: older than the scrap age
    # per region: a new site's power price and cash cost (USD/MWh) and the newest machines'
    # payback there (months), the same for every firm this round: kept by the first to ask
    new_site_quotes: dict[int, tuple[float, float, float]] = dataclasses.field(
        default_factory=dict, compare=False
    )


class FirmView:
    """What a firm's decisions read of its own rows, kept until they change.

    A change of its sites forgets all of it (`Industry.tables_changed(firm)`), a change of
    its machines what depends on them (`forget_machines`), a month end's revaluation
    `machines_usd`. None: not computed since.
    """

    __slots__ = ("ai_sites", "cheapest_region", "free_mw", "machines_usd", "rows", "sites_mw")

    def __init__(self) -> None:
        self.sites_mw: float | None = None  # MW of sites not hosting AI (`assets_usd`)
        self.cheapest_region: int | None = None  # `cheapest_region`, NO_REGION: no site
        self.ai_sites: list[int] | None = None  # `ai_suitable_site_rows`
        self.forget_machines()

    def forget_machines(self) -> None:
        """The firm's machines changed: what depends on them is computed again."""
        self.rows: dict[int, np.ndarray] = {}  # by MachineState (`machine_rows`)
        self.free_mw: dict[int, float] | None = None  # `free_mw_by_site`
        self.machines_usd: float | None = None  # machines not scrapped, at value


class Industry:
    """Firms' assets and balance sheets as arrays, with the operations that change them.

    Args:
        n_firms: number of firms (rows of the ledger and the debt book).
        asic: the ASIC market (generations, list and secondary prices).
        region_mean_usd_per_mwh: long-run mean spot price per power region.
        finance, fleet_policy: the scenario's balance-sheet and fleet rules.
        readings: today's clock and prices (updated by the model).
        events: the run's event log.
    """

    def __init__(
        self,
        n_firms: int,
        asic: AsicMarket,
        region_mean_usd_per_mwh: np.ndarray,
        finance: FinanceParams,
        fleet_policy: FleetPolicyParams,
        readings: MarketReadings,
        events: EventLog,
    ):
        self.n_firms = n_firms
        self.asic = asic
        self.generation_j_per_th = np.array([g.j_per_th for g in asic.generations])
        self.region_mean_usd_per_mwh = region_mean_usd_per_mwh
        # the regions' long-run means never change: machines are valued at their mean
        self._valuation_power_usd_per_mwh = float(region_mean_usd_per_mwh.mean())
        self.finance = finance
        self.fleet_policy = fleet_policy
        self.readings = readings
        self.events = events
        self.sites, self.fleet = Sites(), Fleet()
        self.days = DayBook(finance.nonpower_opex_usd_per_mwh)  # operated, not yet posted
        self.ledger = Ledger(np.zeros(n_firms), np.zeros(n_firms, dtype=np.int64), self.days)
        self.debt = DebtBook(n_firms)
        self.alive = np.ones(n_firms, dtype=bool)
        self.ai_value_usd = np.zeros(n_firms)  # AI sites: leases at PV of NOI, conversions at cost
        self.construction = Pipeline(n_firms)  # mining sites being built, at cost
        self.btc_sell_share = np.zeros(n_firms)
        self.firm_running_th = np.zeros(n_firms)
        self._month_costs_usd = np.zeros(n_firms)  # power and opex of the month under way
        self.last_month_costs_usd = np.zeros(n_firms)
        self.running_th_total = 0.0  # TH/s running today (`operate_today`)
        self._daily: DailyArrays | None = None
        self._sites_of = self._machines_of = None  # RowsByOwner, once placed
        self._views: dict[int, FirmView] = {}  # per firm, until its rows change

    def tables_changed(self, firm: int | None = None) -> None:
        """Machines or sites changed: the daily constants are gathered again on next use.

        `firm`: only that firm's rows changed (its `FirmView` is forgotten); None: any
        rows may have (every view is). Every transition through this class calls it; call
        it after writing the tables directly.
        """
        self._daily = None
        if firm is None:
            self._views.clear()
        else:
            self._views.pop(firm, None)

    def _contracts_changed(self) -> None:
        """Only power contracts changed: `tables_changed` keeping every firm's view.

        No view reads a contract.
        """
        self._daily = None

    def _machines_changed(self, firm: int) -> None:
        """Only the firm's machines changed: `tables_changed` keeping its sites' answers."""
        self._daily = None
        view = self._views.get(firm)
        if view is not None:
            view.forget_machines()

    def _view(self, firm: int) -> FirmView:
        """The firm's `FirmView`; empty if its rows changed since it was last filled."""
        view = self._views.get(firm)
        if view is None:
            view = self._views[firm] = FirmView()
        return view

    def fill_views(self) -> None:
        """Every firm's `FirmView` at once, as the quarterly reviews read them all.

        Their dormant rows, free MW and cheapest region (the rest as kept, or computed on
        first use); the same answers, bit for bit, as each firm's own (`machine_rows`,
        `free_mw_by_site`, `cheapest_region`): rows ascending, each site's deployed MW
        summed in row order (every deployed vintage is at a site of its owner).
        """
        s, f, n = self.sites, self.fleet, self.n_firms
        views = [self._view(firm) for firm in range(n)]
        for view, region in zip(views, self._cheapest_region_by_firm(), strict=True):
            view.cheapest_region = region
        dormant = np.flatnonzero((f.firm >= 0) & (f.state == MachineState.DORMANT))
        dormant_of: dict[int, list[int]] = {}  # few firms store machines
        for firm, row in zip(f.firm[dormant].tolist(), dormant.tolist(), strict=True):
            dormant_of.setdefault(firm, []).append(row)
        none = dormant[:0]
        for firm, view in enumerate(views):
            rows = dormant_of.get(firm)
            view.rows[MachineState.DORMANT] = none if rows is None else np.array(rows, np.int64)
        deployed = np.flatnonzero(f.state == MachineState.DEPLOYED)
        deployed_mw = np.bincount(f.site[deployed], f.power_mw(deployed), s.n)
        free_mw = s.gross_mw - deployed_mw
        for view in views:
            view.free_mw = {}
        mining = np.flatnonzero((s.firm >= 0) & (s.mode == Mode.MINING))  # ascending
        firms, free_mw = s.firm[mining].tolist(), free_mw[mining].tolist()
        for site, firm, mw in zip(mining.tolist(), firms, free_mw, strict=True):
            views[firm].free_mw[site] = mw

    def _cheapest_region_by_firm(self) -> list[int]:
        """Every firm's `cheapest_region` at once (NO_REGION: no site).

        Its sites' region of the lowest mean power price, of equally cheap ones the lowest
        numbered: the first of the regions ranked by price, ties by number.
        """
        s = self.sites
        by_price = np.argsort(self.region_mean_usd_per_mwh, kind="stable")  # ties: by number
        rank = np.empty_like(by_price)
        rank[by_price] = np.arange(len(by_price))
        owned = s.firm >= 0
        best = np.full(self.n_firms, len(by_price))  # past the last rank: no site
        np.minimum.at(best, s.firm[owned], rank[s.region[owned]])
        regions = [*by_price.tolist(), NO_REGION]
        return [regions[k] for k in best.tolist()]

    def daily(self) -> DailyArrays:
        """The daily operations' constants as of the last change of the tables."""
        if self._daily is None:
            self._daily = DailyArrays(
                self.sites, self.fleet, self.region_mean_usd_per_mwh, self.n_firms
            )
        return self._daily

    # --- construction -----------------------------------------------------------------
    def place(self, seeds: list[FirmSeed]) -> None:
        """Put drawn firms' sites and machines into the tables (firm i is seeds[i])."""
        sites, vintages = [], []
        for f, seed in enumerate(seeds):
            first_site = self.sites.n + len(sites)
            for site in seed.sites:
                attributes = vars(site).copy()  # scalars only: no deep copy needed
                del attributes["stated_suitable"]  # applied by rate_ai_suitability
                sites.append({"firm": f, "mode": Mode.MINING, **attributes})
            vintages += [
                {
                    "firm": f,
                    "site": first_site + v.site,
                    "generation": v.generation,
                    "th": v.th,
                    "j_per_th": self.generation_j_per_th[v.generation],
                    "bought_step": v.bought_step,
                    "state": MachineState.DEPLOYED,
                }
                for v in seed.vintages
            ]
            self.btc_sell_share[f] = seed.btc_sell_share
        self.btc_sell_share.flags.writeable = False  # fixed from here: booked days share it
        self.sites.extend(sites)
        self.fleet.extend(vintages)
        self._sites_of = RowsByOwner(self.sites.firm, self.n_firms)
        self._machines_of = RowsByOwner(self.fleet.firm, self.n_firms)
        self.tables_changed()

    def scale_to_start_hashrate(
        self, start_th: float, spot_by_day_region: np.ndarray, utilization: np.ndarray
    ) -> None:
        """Scale fleets so the hashrate running over the first days averages `start_th`.

        The start hashrate is observed running hashrate (a moving average over the days in
        `spot_by_day_region`, one row a day), so machines curtailed on those days at
        today's hashprice are added on top of it rather than counted in it. Sites are then
        sized to their machines; `utilization` is each firm's share of site MW they fill.
        """
        running_th = np.mean(
            [
                float(
                    (self.fleet.th * self.running_mask(self.marginal_power_usd_per_mwh(spot))).sum()
                )
                for spot in spot_by_day_region
            ]
        )
        if running_th <= 0:
            raise ValueError("no machine is profitable at the start: check prices and fleets")
        self.fleet.th[:] *= start_th / running_th
        self.sites.gross_mw[:] = (
            self.fleet.deployed_mw_by_site(self.sites.n) / utilization[self.sites.firm]
        )
        self.tables_changed()

    def rate_ai_suitability(
        self, params: SuitabilityParams, tenant_regions: np.ndarray, stated: np.ndarray
    ) -> None:
        """Score every site as tenants screen it, once sites are sized to their machines.

        `tenant_regions` flags each power region tenants accept; `stated` holds, per site,
        1 or 0 where the scenario states the tenants' verdict (named firms' public deals)
        and NaN where the verdict follows from the score.
        """
        s = self.sites
        s.tenant_region[:] = tenant_regions[s.region]
        s.ai_suitability[:] = ai_suitability(
            s.gross_mw, s.fiber_km, s.water, s.tenant_region, params
        )
        derived = is_suitable(s.ai_suitability, s.gross_mw, s.fiber_km, params)
        s.ai_suitable[:] = np.where(np.isnan(stated), derived, stated == 1.0)
        self.tables_changed()

    def add_ai_site(self, firm: int, region: int, gross_mw: float, mode: int) -> int:
        """A site built for an AI tenant (liquid-ready, fully ready); returns its row.

        Its power is bought for the tenant's load (assumption: passed through, so the firm
        pays only for what runs there, and nothing runs while it converts).
        """
        return self._add_site(
            firm=firm,
            region=region,
            gross_mw=gross_mw,
            contract=Contract.SPOT,
            cooling=Cooling.LIQUID_READY,
            readiness=1.0,
            water=True,
            tenant_region=True,
            ai_suitability=1.0,
            ai_suitable=True,
            mode=mode,
        )

    def start_site_build(
        self, firm: int, region: int, mw: float, usd: float, usd_per_mwh: float, lead_months: int
    ) -> None:
        """A firm pays for a new mining site, energized `lead_months` month ends from now."""
        due = closing_month(self.readings.date) + lead_months
        self.ledger.pay(firm, "capex_usd", usd)
        self.construction.add(Build(firm, region, mw, usd, usd_per_mwh, due))
        self.events.add("site_build", firm, mw=mw, usd=usd, region=region, lead_months=lead_months)

    def energize_sites(self, month_last_day: np.datetime64) -> None:
        """Sites due by this month's end become mining sites (a bankrupt firm's are lost).

        A new site is air-cooled and not AI-ready; its power is indexed to the region's
        spot at its contract's mean price, for the MWh it uses.
        """
        due = self.construction.take_due(int(np.datetime64(month_last_day, "M").astype(int)))
        built = [b for b in due if self.alive[b.firm]]
        sites = iter(self._add_sites([self._new_site_columns(b) for b in built]))
        for b in due:  # events in the order the builds fell due
            if not self.alive[b.firm]:
                self.events.add("site_build_abandoned", b.firm, mw=b.mw, usd=b.usd)
                continue
            site = next(sites)
            self.construction.mw_energized += b.mw
            self.events.add("site_energized", b.firm, site=site, mw=b.mw, region=b.region)

    @staticmethod
    def _new_site_columns(b: Build) -> dict:
        """The site row a finished build becomes."""
        return {
            "firm": b.firm,
            "region": b.region,
            "gross_mw": b.mw,
            "contract": Contract.INDEXED,
            "contract_price_usd_per_mwh": b.cost_usd_per_mwh,
            "cooling": Cooling.AIR,
            "mode": Mode.MINING,
        }

    def _add_site(self, **columns) -> int:
        """Append a site row for `columns["firm"]`; returns its row."""
        return self._add_sites([columns])[0]

    def _add_sites(self, rows: list[dict]) -> range:
        """Append site rows, each for its `"firm"`, in one table extension; their rows."""
        if not rows:
            return range(0)
        sites = self.sites.extend(rows)
        for columns, site in zip(rows, sites, strict=True):
            self._sites_of.add(columns["firm"], site)
            self.tables_changed(columns["firm"])
        return sites

    # --- rows of one firm ------------------------------------------------------------
    def site_rows(self, firm: int) -> np.ndarray:
        """Indices of a firm's sites in the site table, ascending (read only)."""
        return self._sites_of.of(firm)

    def cheapest_region(self, firm: int) -> int | None:
        """The region of the firm's sites with the lowest mean power price (None: no site).

        Of equally cheap regions, the lowest numbered. Kept in the firm's view: the
        regions' long-run means never change.
        """
        view = self._view(firm)
        if view.cheapest_region is None:
            regions = sorted(set(self.sites.region[self.site_rows(firm)].tolist()))
            mean_usd_per_mwh = self.region_mean_usd_per_mwh.__getitem__
            view.cheapest_region = min(regions, key=mean_usd_per_mwh, default=NO_REGION)
        return None if view.cheapest_region == NO_REGION else view.cheapest_region

    def ai_suitable_site_rows(self, firm: int) -> list[int]:
        """A firm's sites that pass tenants' screens (`ai_suitable`), ascending (read only)."""
        view = self._view(firm)
        if view.ai_sites is None:
            rows = self.site_rows(firm)
            view.ai_sites = rows[self.sites.ai_suitable[rows]].tolist()
        return view.ai_sites

    def machine_rows(self, firm: int, state: int | None = None) -> np.ndarray:
        """Indices of a firm's vintages, ascending, optionally only those in `state` (read only)."""
        rows = self._machines_of.of(firm)
        if state is None:
            return rows
        view = self._view(firm)
        in_state = view.rows.get(state)
        if in_state is None:
            in_state = view.rows[state] = rows[self.fleet.state[rows] == state]
        return in_state

    def free_mw_by_site(self, firm: int) -> dict[int, float]:
        """A firm's mining sites, ascending, with the MW their deployed machines leave free.

        A new dict each call: the caller may spend the MW in it.
        """
        view = self._view(firm)
        if view.free_mw is None:
            s, f = self.sites, self.fleet
            sites = self.site_rows(firm)
            rows = self.machine_rows(firm, MachineState.DEPLOYED)  # all at the firm's own sites
            deployed = np.bincount(sites.searchsorted(f.site[rows]), f.power_mw(rows), len(sites))
            mining = s.mode[sites] == Mode.MINING
            free = (s.gross_mw[sites] - deployed)[mining]
            view.free_mw = dict(zip(sites[mining].tolist(), free.tolist(), strict=True))
        return dict(view.free_mw)

    # --- power prices by site ---------------------------------------------------------
    def marginal_power_usd_per_mwh(self, spot_by_region: np.ndarray) -> np.ndarray:
        """Per site: what running one more MWh costs (opportunity cost for a PPA with resale)."""
        s = self.sites
        return econ.marginal_price_usd_per_mwh(
            s.contract,
            s.contract_price_usd_per_mwh,
            s.spot_markup_usd_per_mwh,
            s.resale,
            spot_by_region[s.region],
            self.region_mean_usd_per_mwh[s.region],
        )

    def expected_cash_cost_usd_per_mwh(self) -> np.ndarray:
        """Per site: power at the region's mean spot (at the contract price for PPAs) + opex."""
        s = self.sites
        at_mean = self.marginal_power_usd_per_mwh(self.region_mean_usd_per_mwh)
        is_ppa = s.contract == Contract.FIXED_PPA
        power = np.where(is_ppa, s.contract_price_usd_per_mwh, at_mean)
        return power + self.finance.nonpower_opex_usd_per_mwh

    def expected_marginal_cost_usd_per_mwh(self) -> np.ndarray:
        """Per site: what running a MWh costs at the region's mean spot, plus opex.

        Fleet decisions use this: power under a take-or-pay PPA without resale is paid
        whether machines run or not, so only opex is saved by switching them off.
        """
        at_mean = self.marginal_power_usd_per_mwh(self.region_mean_usd_per_mwh)
        return at_mean + self.finance.nonpower_opex_usd_per_mwh

    def monthly_power_cost_estimate(self) -> np.ndarray:
        """Per firm: a month of power and opex at the start, USD (sizes starting cash)."""
        cost = self.expected_cash_cost_usd_per_mwh()[self.fleet.site]
        usd = self.fleet.power_mw() * HOURS_PER_DAY * DAYS_PER_MONTH * cost
        return np.bincount(self.fleet.firm, weights=usd, minlength=self.n_firms)

    # --- the daily operations, vectorized over all vintages ----------------------------
    def running_mask(self, marginal_by_site: np.ndarray) -> np.ndarray:
        """Vintages that run: deployed at a mining site, margin over marginal power > 0."""
        d = self.daily()
        margin = econ.margin_usd_per_th_day(
            self.readings.hashprice_usd_per_ph_day, d.j_per_th, marginal_by_site[d.site]
        )
        return d.may_run & (margin > 0)

    def operate_today(
        self,
        spot_by_step_region: np.ndarray,
        step: int,
        online_by_region: np.ndarray | None,
        priced_until: int | None = None,
    ) -> np.ndarray:
        """Step `step`'s running vintages at its row of the spot paths; TH/s running each.

        `online_by_region` None: every region fully online. A vintage runs where it may
        (`running_mask`) times its region's online share; `running_th_total` is the sum, and
        `bill_power_today` bills what ran. The array returned is reused the next day. A
        read-only `spot_by_step_region` (the model's) has the days ahead priced at once,
        those before step `priced_until` (None: to its end).
        """
        d = self.daily()
        if d.full:  # every row of its days is waiting to be billed
            self.days.settle()
        hashprice = self.readings.hashprice_usd_per_ph_day
        th_running = d.operate(spot_by_step_region, step, online_by_region, hashprice, priced_until)
        self.running_th_total = float(np.add.reduce(th_running))  # th_running.sum()
        return th_running

    def pay_rewards(self, reward_sat: int, th_running: np.ndarray) -> int:
        """Every satoshi issued goes to firms pro rata to running hashrate (FPPS pools).

        Returns the satoshis paid (all of `reward_sat`); each firm sells its share of them.
        """
        price, n = self.readings.btc_price_usd, self.n_firms
        firm_th = np.bincount(self.daily().firm_of_vintage_bin, th_running, n + 1)[:n]
        self.firm_running_th = firm_th
        # split (`split_sat`, exact to the satoshi) and posted when the ledger is next read
        self.days.mining(reward_sat, firm_th, self.btc_sell_share, price)
        return reward_sat

    def bill_power_today(self, dt_days: int) -> None:
        """Bill each site's power by its contract for what `operate_today` ran, at its prices.

        A PPA pays its MW whether it runs or not and resells unused MWh at spot where
        allowed; other contracts pay the MWh used; opex is paid on the MWh used. Billed
        when the ledger, `month_costs_usd` or `mean_power_prices` is next read
        (`DayBook`).
        """
        self.days.power(self.daily(), HOURS_PER_DAY * dt_days, self.readings.step_index)

    def mean_power_prices(self) -> tuple[list[int], np.ndarray]:
        """(steps, the mean price of the MWh used on each) billed since last asked."""
        return self.days.take_mean_prices()

    @property
    def month_costs_usd(self) -> np.ndarray:
        """Per firm: power and opex less resale of the month under way, USD.

        Days billed by `bill_power_today` are added when it is read, each day's
        `bill + opex - resale` in day order, as adding them day by day would.
        """
        booked = self.days.take_costs()
        if booked is not None:
            costs = np.empty((len(booked) + 1, self.n_firms))
            costs[0] = self._month_costs_usd
            np.add(booked[:, 0], booked[:, 1], out=costs[1:])
            np.subtract(costs[1:], booked[:, 2], out=costs[1:])
            self._month_costs_usd[:] = sum_row_after_row(costs)
        return self._month_costs_usd

    @month_costs_usd.setter
    def month_costs_usd(self, values: np.ndarray) -> None:
        if values is not self.month_costs_usd:  # the days booked go to the array replaced
            self._month_costs_usd = values

    def close_month(self) -> None:
        """The month's power and opex become last month's (what firms keep cash for)."""
        self.last_month_costs_usd = self.month_costs_usd
        self.month_costs_usd = np.zeros(self.n_firms)

    # --- machines ---------------------------------------------------------------------
    def age_years(self, rows) -> np.ndarray:
        """Age of vintages in years at the current step."""
        r = self.readings
        return (r.step_index - self.fleet.bought_step[rows]) * r.dt_days / DAYS_PER_YEAR

    def newest_generation(self) -> tuple[int, AsicGeneration]:
        """(index, AsicGeneration) of the newest generation on sale today."""
        gen = self.asic.newest(self.readings.date)
        return self.asic.generations.index(gen), gen

    def new_price_usd_per_th(self, generation: AsicGeneration) -> float:
        """Today's list price of a new machine of `generation`, USD/TH."""
        r = self.readings
        return self.asic.new_price_usd_per_th(generation, r.date, r.hashprice_usd_per_ph_day)

    @property
    def machine_value_usd_per_th(self) -> np.ndarray:
        """Secondary price of every vintage, USD/TH: the fleet's `value_usd_per_th` column."""
        return self.fleet.value_usd_per_th

    def revalue_machines(self) -> None:
        """Secondary price of every vintage, USD/TH (at the mean regional power price)."""
        self.fleet.value_usd_per_th[:] = self.asic.secondary_price_usd_per_th(
            self.fleet.j_per_th,
            self.age_years(slice(None)),
            self.readings.hashprice_usd_per_ph_day,
            self._valuation_power_usd_per_mwh,
        )
        for view in self._views.values():
            view.machines_usd = None

    def site_j_per_th(self) -> np.ndarray:
        """Per site: TH-weighted J/TH of its deployed machines (newest generation if none)."""
        f, n = self.fleet, self.sites.n
        deployed = f.state == MachineState.DEPLOYED
        th = np.bincount(f.site[deployed], f.th[deployed], n)
        power = np.bincount(f.site[deployed], (f.th * f.j_per_th)[deployed], n)
        newest = self.newest_generation()[1].j_per_th
        return np.divide(power, th, out=np.full(n, newest), where=th > 0)

    def site_review(self) -> SiteReview:
        """Per-site costs and efficiencies as of now, read by every firm's quarterly review.

        A PPA's price holds until its end and renews at `ppa_renewal_usd_per_mwh` after, the
        same rule `renew_expired_ppas` applies when the day comes. The vintages losing money
        at `cost_usd_per_mwh` and the expected hashprice are those deployed now (a firm's
        machines move only in its own fleet review), and the vintages past the scrap age
        those of now (the round adds only new ones). Fills every firm's view
        (`fill_views`): each firm's review reads its own.
        """
        s, r = self.sites, self.readings
        cash = self.expected_cash_cost_usd_per_mwh()
        is_ppa = s.contract == Contract.FIXED_PPA
        opex = self.finance.nonpower_opex_usd_per_mwh
        renewal = np.where(is_ppa, self.ppa_renewal_usd_per_mwh() + opex, cash)
        steps_left = np.maximum(s.contract_end_step - r.step_index, 0)
        years_left = np.where(is_ppa, steps_left * r.dt_days / DAYS_PER_YEAR, np.inf)
        self.fill_views()
        cost = self.expected_marginal_cost_usd_per_mwh()
        newest = self.newest_generation()
        new_usd_per_th = self.new_price_usd_per_th(newest[1])
        payback = machines_payback_months(
            r.hashprice_expectation_usd_per_ph_day, newest[1].j_per_th, new_usd_per_th, cost
        )
        f = self.fleet
        deployed = np.flatnonzero(f.state == MachineState.DEPLOYED)
        margin = econ.margin_usd_per_th_day(
            r.hashprice_expectation_usd_per_ph_day, f.j_per_th[deployed], cost[f.site[deployed]]
        )
        losing = deployed[margin < 0]
        losing_rows = {}
        for firm, row in zip(f.firm[losing].tolist(), losing.tolist(), strict=True):
            losing_rows.setdefault(firm, []).append(row)
        past_scrap_age = self.age_years(slice(None)) > self.fleet_policy.scrap_age_years
        return SiteReview(
            cost.tolist(),
            self.site_j_per_th(),
            cash,
            renewal,
            years_left,
            payback.tolist(),
            losing_rows,
            newest,
            new_usd_per_th,
            past_scrap_age,
        )

    def mothball(self, row: int) -> None:
        """Power a deployed vintage off and put it in storage (dormant, redeployable)."""
        self._move(row, MachineState.DORMANT, NO_SITE, "mothball")

    def deploy(self, row: int, site: int) -> None:
        """Install a dormant vintage at `site`."""
        self._move(row, MachineState.DEPLOYED, site, "redeploy")

    def scrap(self, row: int) -> None:
        """Scrap a vintage: its hashrate leaves for good."""
        self._move(row, MachineState.SCRAPPED, NO_SITE, "scrap")

    def _move(self, row: int, state: int, site: int, kind: str) -> None:
        f = self.fleet
        f.state[row], f.site[row] = state, site
        firm = int(f.firm[row])
        self._machines_changed(firm)
        self.events.add(kind, firm, th=float(f.th[row]), generation=int(f.generation[row]))

    def sell_machines(self, row: int) -> None:
        """A firm sells a vintage to the secondary market; they become market inventory."""
        f = self.fleet
        firm = int(f.firm[row])
        usd = float(f.th[row] * self.machine_value_usd_per_th[row])
        self.ledger.receive(firm, "asset_sales_usd", usd)
        f.firm[row], f.site[row], f.state[row] = MARKET, NO_SITE, MachineState.DORMANT
        self._machines_of.move(np.array([row]), firm, MARKET)
        self._machines_changed(firm)
        self.events.add("asic_sale", firm, th=float(f.th[row]), usd=usd)

    def buy_machines(
        self, firm: int, site: int, generation: int, th: float, usd_per_th: float
    ) -> None:
        """A firm buys new machines and installs them at one of its sites."""
        row = self.fleet.append(
            firm=firm,
            site=site,
            generation=generation,
            th=th,
            j_per_th=self.generation_j_per_th[generation],
            bought_step=self.readings.step_index,
            state=MachineState.DEPLOYED,
            value_usd_per_th=usd_per_th,  # at cost until the month end revalues it
        )
        self._machines_of.add(firm, row)
        self._machines_changed(firm)
        self.ledger.pay(firm, "capex_usd", th * usd_per_th)
        self.events.add("asic_purchase", firm, th=th, usd=th * usd_per_th, generation=generation)

    def scrap_old_market_inventory(self) -> None:
        """Machines the secondary market could not sell are scrapped past a given age."""
        f = self.fleet
        old = (f.firm == MARKET) & (f.state == MachineState.DORMANT)
        old &= self.age_years(np.arange(f.n)) > self.fleet_policy.market_scrap_age_years
        for row in np.flatnonzero(old):
            self.scrap(row)

    # --- sites ------------------------------------------------------------------------
    def clear_site(self, site: int) -> None:
        """Move a converting site's machines to the firm's free MW elsewhere, else mothball."""
        f = self.fleet
        firm = int(self.sites.firm[site])
        rows = self.machine_rows(firm, MachineState.DEPLOYED)
        rows = rows[f.site[rows] == site]
        free = self.free_mw_by_site(firm)  # the converting site is no longer mining
        for row in rows:
            need = f.power_mw(row)
            room = [o for o in free if free[o] >= need]
            if room:
                self._move(row, MachineState.DEPLOYED, room[0], "relocate")
                free[room[0]] -= need
            else:
                self.mothball(row)

    def set_site_mode(self, site: int, mode: int) -> None:
        """A site starts mining, converting or hosting AI (the AI round decides which)."""
        self.sites.mode[site] = mode
        self.tables_changed(int(self.sites.firm[site]))

    def upgrade_readiness(self, site: int, readiness: float, usd: float) -> None:
        """Invest ahead in cooling and electrical work that raises a site's AI readiness."""
        firm = int(self.sites.firm[site])
        self.ledger.pay(firm, "capex_usd", usd)
        self.sites.readiness[site] = readiness
        self.events.add("readiness_upgrade", firm, site=site, usd=usd, readiness=readiness)

    def ppa_renewal_usd_per_mwh(self) -> np.ndarray:
        """Per site: the price a PPA renews at, the region's mean spot plus a premium."""
        premium = self.finance.ppa_renewal_premium
        return self.region_mean_usd_per_mwh[self.sites.region] * (1.0 + premium)

    def renew_expired_ppas(self) -> None:
        """A PPA past its term renews at `ppa_renewal_usd_per_mwh` for the renewal term."""
        s, step = self.sites, self.readings.step_index
        expired = (s.contract == Contract.FIXED_PPA) & (s.contract_end_step <= step)
        if expired.any():
            s.contract_price_usd_per_mwh[expired] = self.ppa_renewal_usd_per_mwh()[expired]
            years = self.finance.ppa_renewal_years
            s.contract_end_step[expired] = step + self.readings.steps_in_years(years)
            self._contracts_changed()

    def site_mw_by_firm(self) -> np.ndarray:
        """Gross MW of each firm's sites."""
        s = self.sites
        owned = s.firm >= 0
        return np.bincount(s.firm[owned], s.gross_mw[owned], self.n_firms)

    def site_mw_by_mode(self) -> np.ndarray:
        """Gross MW of each firm's sites in each mode: row `Mode.MINING` and so on.

        One `np.bincount` over (mode, firm): each adds its sites in site order, as one
        over the sites in that mode would.
        """
        s, n = self.sites, self.n_firms
        owned = s.firm >= 0
        modes = 1 + max(Mode.MINING, Mode.IDLE, Mode.CONVERTING, Mode.AI_HOSTING)
        by_mode = s.mode[owned] * n + s.firm[owned]
        return np.bincount(by_mode, s.gross_mw[owned], modes * n).reshape(modes, n)

    def share_of_mw_in_ai(self) -> float:
        """Share of all site MW now hosting AI or converting to it."""
        s = self.sites
        in_ai = (s.mode == Mode.AI_HOSTING) | (s.mode == Mode.CONVERTING)
        return float(s.gross_mw[in_ai].sum() / s.gross_mw.sum())

    def firm_indicators(self) -> dict[str, np.ndarray]:
        """Per firm: the indicators analysts watch (power, contracts, readiness, fleet, size)."""
        s, n, r = self.sites, self.n_firms, self.readings
        owned = s.firm >= 0
        firm = s.firm[owned]
        mw = np.bincount(firm, s.gross_mw[owned], n)

        def mw_mean(values: np.ndarray) -> np.ndarray:
            total = np.bincount(firm, (s.gross_mw * values)[owned], n)
            return np.divide(total, mw, out=np.full(n, np.nan), where=mw > 0)

        is_ppa = (s.contract == Contract.FIXED_PPA).astype(float)
        years_left = np.maximum(s.contract_end_step - r.step_index, 0) * r.dt_days / DAYS_PER_YEAR
        f = self.fleet
        deployed = (f.state == MachineState.DEPLOYED) & (f.firm >= 0)
        th = np.bincount(f.firm[deployed], f.th[deployed], n)
        power = np.bincount(f.firm[deployed], (f.th * f.j_per_th)[deployed], n)
        return {
            "power_usd_per_mwh": mw_mean(self.expected_cash_cost_usd_per_mwh()),
            "long_contract_share": mw_mean(is_ppa),
            "ppa_years_left": mw_mean(is_ppa * years_left),
            "readiness": mw_mean(s.readiness),
            "ai_suitable_share": mw_mean(s.ai_suitable.astype(float)),
            "ai_suitability": mw_mean(s.ai_suitability),
            "j_per_th": np.divide(power, th, out=np.full(n, np.nan), where=th > 0),
            "site_mw": mw,
        }

    # --- valuation --------------------------------------------------------------------
    def site_value_usd_per_mw(self) -> float:
        """What lenders and bidders pay for a MW of mining site today.

        Assumption: mining-site values (EV per MW) move with the expected hashprice
        relative to the reference, within the scenario's range.
        """
        ratio = (
            self.readings.hashprice_expectation_usd_per_ph_day
            / self.asic.params.reference_hashprice_usd_per_ph_day
        )
        low, high = self.finance.site_value_ratio_range
        return self.finance.site_value_usd_per_mw * min(max(ratio, low), high)

    def assets_usd(self, firm: int) -> float:
        """Everything a firm owns, valued today (see `_assets_usd`).

        In Python floats, the sums as numpy adds them (`numpy_sum`): a numpy call on one
        firm's few numbers costs more than the arithmetic.
        """
        f, ledger = self.fleet, self.ledger
        view = self._view(firm)
        if view.machines_usd is None:
            rows = self.machine_rows(firm)
            if MachineState.SCRAPPED in f.state[rows].tolist():  # scrapped: worth nothing
                rows = rows[f.state[rows] != MachineState.SCRAPPED]
            machines = np.add.reduce(f.th[rows] * self.machine_value_usd_per_th[rows])
            view.machines_usd = float(machines)
        return self._assets_usd(
            self._sites_mw(firm, view),
            float(self.construction.usd_by_firm[firm]),
            float(self.ai_value_usd[firm]),
            view.machines_usd,
            float(ledger.btc_sat[firm]),
            max(float(ledger.cash_usd[firm]), 0.0),
        )

    def _sites_mw(self, firm: int, view: FirmView) -> float:
        """MW of the firm's sites not hosting AI (valued as mining sites), kept in its view."""
        if view.sites_mw is None:
            s, sites = self.sites, self.site_rows(firm)
            modes, gross_mw = s.mode[sites].tolist(), s.gross_mw[sites].tolist()
            view.sites_mw = numpy_sum(
                [mw for mw, mode in zip(gross_mw, modes, strict=True) if mode != Mode.AI_HOSTING]
            )
        return view.sites_mw

    def assets_by_firm(self) -> np.ndarray:
        """`assets_usd` of every firm at once (the same numbers, bit for bit).

        Each firm's MW of sites not hosting AI is its view's (`_sites_mw`), kept until its
        sites change (most firms' sites do not change in a month), and so is its machines'
        value where a review or a refinancing has read it since the month's revaluation;
        the others' are summed at once, and kept.
        """
        ledger, f = self.ledger, self.fleet
        views = [self._view(firm) for firm in range(self.n_firms)]
        sites_mw = np.array([self._sites_mw(firm, view) for firm, view in enumerate(views)])
        machines_usd = [view.machines_usd for view in views]
        missing = [firm for firm, usd in enumerate(machines_usd) if usd is None]
        if missing:
            value_usd = f.th * self.machine_value_usd_per_th
            summed = self._machines_of.sums(
                value_usd, keep=f.state != MachineState.SCRAPPED, owners=missing
            )
            for firm, usd in zip(missing, summed.tolist(), strict=True):
                machines_usd[firm] = views[firm].machines_usd = usd
        return self._assets_usd(
            sites_mw,
            self.construction.usd_by_firm,
            self.ai_value_usd,
            np.array(machines_usd),
            ledger.btc_sat,
            np.maximum(ledger.cash_usd, 0.0),
        )

    def _assets_usd(self, sites_mw, construction_usd, ai_usd, machines_usd, btc_sat, cash_usd):
        """Assets given their parts: of one firm (floats) or of every firm (arrays).

        Mining sites at market value (at cost while being built), leased AI sites at the
        PV of their NOI (at cost while converting), machines at secondary prices, BTC at
        market, and cash (none below zero).
        """
        btc = btc_sat / COIN_SAT * self.readings.btc_price_usd
        return (
            sites_mw * self.site_value_usd_per_mw()
            + construction_usd
            + ai_usd
            + machines_usd
            + btc
            + cash_usd
        )

    def spare_cash_usd(
        self, reserve_months: float, firms: int | slice = slice(None)
    ) -> float | np.ndarray:
        """Cash above a reserve of `reserve_months` of last month's costs: of one firm, or all.

        A month whose power resale exceeded its bills reserves nothing, never less, so
        spending the spare cash cannot leave a firm below zero. One firm's in Python
        floats (numpy calls on one number cost more), the same numbers bit for bit.
        """
        if isinstance(firms, slice):
            costs = np.maximum(self.last_month_costs_usd[firms], 0.0)
            return self.ledger.cash_usd[firms] - reserve_months * costs
        costs = float(self.last_month_costs_usd[firms])
        costs = costs if costs > 0.0 or math.isnan(costs) else 0.0  # np.maximum: -0.0 is 0.0
        return float(self.ledger.cash_usd[firms]) - reserve_months * costs

    def leverage(self, firm: int) -> float:
        """Debt over assets (1 if the firm has no assets left)."""
        assets = self.assets_usd(firm)
        return self.debt.principal_usd(firm) / assets if assets > 0 else 1.0

    def net_worth_usd(self, firm: int) -> float:
        """Assets less debt."""
        return self.assets_usd(firm) - self.debt.principal_usd(firm)

    def leverage_and_net_worth_by_firm(self) -> tuple[np.ndarray, np.ndarray]:
        """`leverage` and `net_worth_usd` of every firm at once (the same numbers)."""
        assets, debt = self.assets_by_firm(), self.debt.principal_by_firm()
        leverage = np.ones(len(assets))  # 1 without assets, as `leverage`
        np.divide(debt, assets, out=leverage, where=assets > 0)
        return leverage, assets - debt

    # --- bankruptcy -------------------------------------------------------------------
    def declare_bankrupt(self, firm: int) -> None:
        """The firm leaves; creditors take its debt claims and its dormant machines are sold."""
        self.alive[firm] = False
        self.events.add(
            "bankruptcy",
            firm,
            usd=self.debt.principal_usd(firm),
            cash_usd=float(self.ledger.cash_usd[firm]),
            btc=self.ledger.btc_sat[firm] / COIN_SAT,
        )
        self.debt.clear(firm)

    def auction_site(self, site: int, lease_value_usd: float) -> int:
        """Sell a bankrupt firm's site with its machines to the richest solvent bidder.

        The price is a distressed fraction of book value (site, machines and the value of
        its leases); with no bidder able to pay, the site idles (owned by no firm) and its
        machines go to the secondary market. Returns the buyer (MARKET if none).
        """
        s, f, fin = self.sites, self.fleet, self.finance
        seller = int(s.firm[site])
        rows = self.machine_rows(seller, MachineState.DEPLOYED)
        rows = rows[f.site[rows] == site]
        value = (
            s.gross_mw[site] * self.site_value_usd_per_mw()
            + float((f.th[rows] * self.machine_value_usd_per_th[rows]).sum())
            + lease_value_usd
        )
        price = fin.auction_discount * value
        cash = self.ledger.cash_usd
        can_pay = self.alive & (self.spare_cash_usd(fin.min_cash_months) - price > 0)
        bidders = np.flatnonzero(can_pay)
        if len(bidders):
            buyer = int(bidders[np.argmax(cash[bidders])])  # the first of equally rich
            self.ledger.pay(buyer, "capex_usd", price)
            s.firm[site] = buyer
            f.firm[rows] = buyer
        else:
            buyer = MARKET
            s.firm[site], s.mode[site] = MARKET, Mode.IDLE
            f.firm[rows], f.site[rows], f.state[rows] = MARKET, NO_SITE, MachineState.DORMANT
        self._sites_of.move(np.array([site]), seller, buyer)
        self._machines_of.move(rows, seller, buyer)
        self.tables_changed()
        self.events.add(
            "auction",
            seller,
            buyer_id=buyer,
            site=site,
            mw=float(s.gross_mw[site]),
            th=float(f.th[rows].sum()),
            usd=price if buyer != MARKET else 0.0,
        )
        return buyer
