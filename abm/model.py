"""MiningModel: wires markets, chain and firms together and owns the step order.

Each step (one day by default):
1. macro, BTC price and power prices advance;
2. every machine vintage of every firm runs iff hashprice beats its marginal power cost;
3. the chain mines at the resulting hashrate: blocks, fees, retargets with their real lag;
4. block rewards are paid pro rata to running hashrate, power is billed by contract;
5. on month and quarter boundaries: finance, fleet decisions, bankruptcies and auctions;
6. the step's metrics are recorded.
Steps 2-4 and 6 are vectorized over all vintages of all firms.
"""

from __future__ import annotations

import datetime as dt
import zlib

import mesa
import networkx as nx
import numpy as np
import pandas as pd

from abm.agents.fleet import MARKET, NO_SITE, Contract, Fleet, MachineState, Mode, Sites
from abm.agents.hosting import AiHosting
from abm.agents.miner import Miner
from abm.agents.population import StartConditions, draw_population, finance_firm
from abm.chain import (
    COIN_SAT,
    Chain,
    FeeProcess,
    bits_for_difficulty,
    block_subsidy_sat,
    subsidy_sum_sat,
)
from abm.chain.consensus import HALVING_INTERVAL, RETARGET_INTERVAL, TARGET_SPACING_S
from abm.ledger import Ledger
from abm.markets.asic import AsicMarket
from abm.markets.btc_price import BtcPriceProcess
from abm.markets.macro import policy_rate_path
from abm.markets.power import spot_price_paths
from abm.markets.shocks import offline_share_paths
from abm.metrics import security as sec
from abm.metrics.bifurcation import classify_firms
from abm.metrics.snapshot import SECURITY_COLUMNS, STATE_COLUMNS, security_columns
from abm.network.pools import PoolNetwork
from abm.payout import split_sat
from abm.recorder import EventLog, ModelSeries
from abm.scenario import Scenario, load_scenario

SECONDS_PER_DAY = 86_400
MODEL_FLOAT_COLUMNS = (
    "difficulty",
    "hashrate_eh",
    "mean_block_interval_s",
    "max_block_interval_s",
    "btc_price_usd",
    "hashprice_usd_per_ph_day",
    "policy_rate",
    "subsidy_btc",
    "fees_btc",
    "active_hashrate_eh",
    "curtailed_hashrate_eh",
    "mothballed_hashrate_eh",
    "dormant_hashrate_eh",
    "scrapped_hashrate_eh",
    "mean_power_price_usd_per_mwh",
    "ai_mw_in_service",
    "ai_mw_converting",
    "lease_index_usd_per_kw_month",
    "ai_demand_mw",
    "schedule_slip_s",
    *SECURITY_COLUMNS,
)
MODEL_INT_COLUMNS = ("height", "blocks", "retargets", "gaps_over_1h", "gaps_over_2h", "firms_alive")


def rng_stream(root: np.random.SeedSequence, name: str) -> np.random.Generator:
    """An independent generator for one named stream of a run.

    The child's spawn key is derived from the stream's name, not its position, so adding a
    stream never shifts the numbers of the others.
    """
    key = (*root.spawn_key, zlib.crc32(name.encode()))
    return np.random.default_rng(np.random.SeedSequence(root.entropy, spawn_key=key))


class MiningModel(mesa.Model):
    """The mining industry over the scenario's horizon.

    Args:
        scenario: a `Scenario`, a path to a scenario TOML, or a shipped scenario's name.
        seed: root seed of the run (an int or a SeedSequence); the same (scenario, seed)
            gives the same run bit for bit.
        security_metrics: compute the security columns at the end of the run (off: they
            stay NaN and the trajectory is the same, since metrics only read state).
        **overrides: scenario keys to override, dotted ("btc_price.volatility_per_year"),
            so that `mesa.batch_run` can vary them.
    """

    def __init__(
        self,
        scenario: Scenario | str = "baseline_2026",
        seed: int | np.random.SeedSequence | None = 0,
        security_metrics: bool = True,
        **overrides,
    ):
        root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        super().__init__(rng=rng_stream(root, "agents"))
        if not isinstance(scenario, Scenario) or overrides:
            base = scenario.to_dict() if isinstance(scenario, Scenario) else scenario
            scenario = load_scenario(base, overrides)
        self.params = scenario
        self.security_metrics = security_metrics
        self.seed_sequence = root
        run = scenario.run
        self.dt_days = run.dt_days
        n_steps = (run.end_date - run.start_date).days // run.dt_days + 1
        start = np.datetime64(run.start_date, "D")
        self.dates = start + np.arange(n_steps) * np.timedelta64(run.dt_days, "D")
        self.n_steps = n_steps
        self.step_index = 0  # index of the step being (or last) simulated
        self._init_markets(root)
        self._init_chain(root)
        self._init_population(root)
        self.series = ModelSeries(n_steps, MODEL_FLOAT_COLUMNS, MODEL_INT_COLUMNS)
        self.state = ModelSeries(n_steps, STATE_COLUMNS, ())
        self.firm_th_by_step = np.zeros((n_steps, len(self.miners)))
        self.pool_th_by_step = np.zeros((n_steps, len(self.pools.names)))
        self.firm_rows: list[dict] = []
        self.events = EventLog(lambda i: self.dates[i])
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "hashrate_eh": lambda m: m.series.columns["hashrate_eh"][m.step_index],
                "difficulty": lambda m: m.chain.difficulty,
                "btc_price_usd": lambda m: m.btc_price_usd,
                "firms_alive": lambda m: int(m.alive.sum()),
            }
        )

    # --- construction ----------------------------------------------------------------
    def _init_markets(self, root: np.random.SeedSequence) -> None:
        p = self.params
        self.policy_rates = policy_rate_path(p.macro, self.dates, rng_stream(root, "macro"))
        self.btc = BtcPriceProcess(p.btc_price, self.dates, self.dt_days, rng_stream(root, "price"))
        regions = p.power.regions
        self.region_names = tuple(r.name for r in regions)
        self.region_mean_usd_per_mwh = np.array([r.mean_price_usd_per_mwh for r in regions])
        self.spot = spot_price_paths(regions, self.dates, self.dt_days, rng_stream(root, "power"))
        self.offline_share = offline_share_paths(p.shocks, self.dates, self.region_names)
        self.asic = AsicMarket(p.asic)
        self.reference_hashprice = p.asic.reference_hashprice_usd_per_ph_day
        self.policy_rate = float(self.policy_rates[0])
        self.btc_price_usd = p.btc_price.start_price_usd

    def _init_chain(self, root: np.random.SeedSequence) -> None:
        net = self.params.network
        start_s = float(dt.datetime.combine(self.params.run.start_date, dt.time()).timestamp())
        into_period = net.start_height % RETARGET_INTERVAL  # assume the period ran on schedule
        self.chain = Chain(
            net.start_height,
            bits_for_difficulty(net.start_difficulty),
            start_s,
            epoch_start_s=start_s - into_period * TARGET_SPACING_S,
            fees=FeeProcess(
                round(net.mean_fee_btc_per_block * COIN_SAT),
                net.fee_shape,
                net.fee_backlog_elasticity,
            ),
        )
        self.block_rng = rng_stream(root, "blocks")
        self.total_paid_sat = 0
        self.ai_mw_in_service = self.ai_mw_converting = 0.0
        self.start_time_s = start_s
        self.start_height = net.start_height
        self.hashprice_usd_per_ph_day = self._expected_hashprice()
        self.hashprice_expectation_usd_per_ph_day = self.hashprice_usd_per_ph_day

    def _init_population(self, root: np.random.SeedSequence) -> None:
        p = self.params
        gens = self.asic.generations
        self.generation_j_per_th = np.array([g.j_per_th for g in gens])
        start = StartConditions(
            start_date=p.run.start_date,
            dt_days=self.dt_days,
            region_names=self.region_names,
            region_mean_usd_per_mwh=tuple(self.region_mean_usd_per_mwh),
            generation_names=tuple(g.name for g in gens),
            generation_release=tuple(g.release_date for g in gens),
            policy_rate=self.policy_rate,
        )
        rng = rng_stream(root, "population")
        seeds = draw_population(
            p.population.groups, p.population.firms, p.network.start_hashrate_eh * 1e6, start, rng
        )
        self.sites, self.fleet = Sites(), Fleet()
        for f, seed in enumerate(seeds):
            first_site = self.sites.n
            for site in seed.sites:
                self.sites.append(firm=f, mode=Mode.MINING, **vars(site))
            for v in seed.vintages:
                self.fleet.append(
                    firm=f,
                    site=first_site + v.site,
                    generation=v.generation,
                    th=v.th,
                    j_per_th=self.generation_j_per_th[v.generation],
                    bought_step=v.bought_step,
                    state=MachineState.DEPLOYED,
                )
        self._scale_to_start_hashrate(seeds)
        self.machine_value_usd_per_th = self._machine_values()
        self.ledger = Ledger(np.zeros(len(seeds)), np.zeros(len(seeds), dtype=np.int64))
        self.hosting = AiHosting(
            self, len(seeds), rng_stream(root, "ai_demand"), rng_stream(root, "ai_leasing")
        )
        month_power = self._monthly_power_cost_estimate()
        for f, seed in enumerate(seeds):
            seed.sites = []  # sites now live in the table
            sat = round(seed.treasury_btc * COIN_SAT)
            self.ledger.btc_sat[f] = sat
            agent = Miner(self, f, seed)
            finance_firm(seed, agent.assets_usd(), month_power[f], start, p.finance, rng)
            agent.debt = list(seed.debt)
            self.ledger.cash_usd[f] = seed.cash_usd
        self.miners: list[Miner] = list(self.agents)
        self.btc_sell_share = np.array([m.btc_sell_share for m in self.miners])
        self.firm_running_th = np.zeros(len(self.miners))
        firm_th = np.bincount(self.fleet.firm, self.fleet.th, len(self.miners))
        self.pool_rng = rng_stream(root, "pools")
        self.pools = PoolNetwork(p.pools, firm_th, self.pool_rng)
        self.alive = np.ones(len(seeds), dtype=bool)
        self.peers = self._peer_graph(rng_stream(root, "peers"))
        self.listed = np.array([m.listed for m in self.miners])
        self.start_net_worth_usd = np.array([self.net_worth_usd(m) for m in self.miners])
        self.start_attributes = self._firm_attributes() | {
            "leverage": np.array([m.leverage() for m in self.miners]),
            "hashrate_eh": np.bincount(self.fleet.firm, self.fleet.th, len(self.miners)) / 1e6,
            "net_worth_usd": self.start_net_worth_usd,
        }
        self.last_month_costs_usd = month_power
        self._month_costs = np.zeros(len(seeds))

    def _scale_to_start_hashrate(self, seeds) -> None:
        """Scale fleets so the hashrate running on the first day is the scenario's; size sites.

        The start hashrate is observed running hashrate, so machines that would be curtailed
        at the start are added on top of it rather than counted in it.
        """
        running = self._running_mask(self.marginal_power_usd_per_mwh(self.spot[0]))
        running_th = float((self.fleet.th * running).sum())
        if running_th <= 0:
            raise ValueError("no machine is profitable at the start: check prices and fleets")
        self.fleet.th[:] *= self.params.network.start_hashrate_eh * 1e6 / running_th
        utilization = np.array([seeds[f].utilization for f in self.sites.firm])
        self.sites.gross_mw[:] = self.fleet.deployed_mw_by_site(self.sites.n) / utilization

    # --- prices ----------------------------------------------------------------------
    def _expected_hashprice(self) -> float:
        """Hashprice at the current difficulty, next subsidy and mean fee, USD/PH/day."""
        reward_btc = (
            block_subsidy_sat(self.chain.height + 1) + self.chain.fees.mean_sat_per_block
        ) / COIN_SAT
        return float(
            sec.hashprice_usd_per_ph_day(self.chain.difficulty, reward_btc, self.btc_price_usd)
        )

    def marginal_power_usd_per_mwh(self, spot_by_region: np.ndarray) -> np.ndarray:
        """Per site: what running one more MWh costs (opportunity cost for a PPA with resale)."""
        s = self.sites
        spot = spot_by_region[s.region]
        return np.select(
            [s.contract == Contract.SPOT, s.contract == Contract.INDEXED, s.resale],
            [
                spot + s.spot_markup_usd_per_mwh,
                s.contract_price_usd_per_mwh * spot / self.region_mean_usd_per_mwh[s.region],
                spot,
            ],
            default=0.0,  # take-or-pay PPA without resale: the MWh is paid for anyway
        )

    def expected_cash_cost_usd_per_mwh(self) -> np.ndarray:
        """Per site: power at the region's mean spot (at the contract price for PPAs) + opex."""
        s = self.sites
        at_mean = self.marginal_power_usd_per_mwh(self.region_mean_usd_per_mwh)
        is_ppa = s.contract == Contract.FIXED_PPA
        power = np.where(is_ppa, s.contract_price_usd_per_mwh, at_mean)
        return power + self.params.finance.nonpower_opex_usd_per_mwh

    def expected_marginal_cost_usd_per_mwh(self) -> np.ndarray:
        """Per site: what running a MWh costs at the region's mean spot, plus opex.

        Fleet decisions use this: power under a take-or-pay PPA without resale is paid
        whether machines run or not, so only opex is saved by switching them off.
        """
        at_mean = self.marginal_power_usd_per_mwh(self.region_mean_usd_per_mwh)
        return at_mean + self.params.finance.nonpower_opex_usd_per_mwh

    def _running_mask(self, marginal_by_site: np.ndarray) -> np.ndarray:
        """Vintages that run: deployed at a mining site, margin over marginal power > 0."""
        f, s = self.fleet, self.sites
        hashprice_th_day = self.hashprice_usd_per_ph_day / 1000.0
        cost_th_day = f.j_per_th * 24e-6 * marginal_by_site[f.site]
        return (
            (f.state == MachineState.DEPLOYED)
            & (s.mode[f.site] == Mode.MINING)
            & (hashprice_th_day > cost_th_day)
        )

    def _machine_values(self) -> np.ndarray:
        """Secondary price of every vintage, USD/TH (at the mean regional power price)."""
        age = self.age_years(np.arange(self.fleet.n))
        return self.asic.secondary_price_usd_per_th(
            self.fleet.j_per_th,
            age,
            self.hashprice_usd_per_ph_day,
            float(self.region_mean_usd_per_mwh.mean()),
        )

    def _monthly_power_cost_estimate(self) -> np.ndarray:
        """Per firm: a month of power and opex at the start, USD (sizes starting cash)."""
        cost = self.expected_cash_cost_usd_per_mwh()[self.fleet.site]
        usd = self.fleet.power_mw() * 24.0 * 30.44 * cost
        return np.bincount(self.fleet.firm, weights=usd, minlength=len(self.agents))

    # --- helpers used by agents ------------------------------------------------------
    def steps_in_years(self, years: float) -> int:
        """Number of steps in `years` years."""
        return max(int(years * 365.25) // self.dt_days, 1)

    def age_years(self, rows) -> np.ndarray:
        """Age of vintages in years at the current step."""
        return (self.step_index - self.fleet.bought_step[rows]) * self.dt_days / 365.25

    def newest_generation(self):
        """(index, AsicGeneration) of the newest generation on sale today."""
        gen = self.asic.newest(self.dates[self.step_index])
        return self.asic.generations.index(gen), gen

    def new_price_usd_per_th(self, generation) -> float:
        """Today's list price of a new machine of `generation`, USD/TH."""
        return self.asic.new_price_usd_per_th(
            generation, self.dates[self.step_index], self.hashprice_usd_per_ph_day
        )

    def site_value_usd_per_mw(self) -> float:
        """What lenders and bidders pay for a MW of mining site today.

        Assumption: mining-site values (EV per MW) move with the expected hashprice
        relative to the reference, within a factor of 4 below and 2 above.
        """
        ratio = self.hashprice_expectation_usd_per_ph_day / self.reference_hashprice
        return self.params.finance.site_value_usd_per_mw * min(max(ratio, 0.25), 2.0)

    def net_worth_usd(self, miner: Miner) -> float:
        """Assets less debt."""
        return miner.assets_usd() - miner.debt_usd

    # --- machine transitions (each one an event) -------------------------------------
    def mothball(self, row: int) -> None:
        """Power a deployed vintage off and put it in storage (dormant, redeployable)."""
        self._move(row, MachineState.DORMANT, NO_SITE, "mothball")

    def deploy(self, row: int, site: int) -> None:
        """Install a dormant vintage at `site`."""
        self._move(row, MachineState.DEPLOYED, site, "redeploy")

    def scrap(self, row: int) -> None:
        """Scrap a vintage: its hashrate leaves for good."""
        self._move(row, MachineState.SCRAPPED, NO_SITE, "scrap")

    def _move(self, row: int, state: MachineState, site: int, kind: str) -> None:
        f = self.fleet
        f.state[row], f.site[row] = state, site
        self.events.add(
            kind, int(f.firm[row]), th=float(f.th[row]), generation=int(f.generation[row])
        )

    def sell_machines(self, row: int) -> None:
        """A firm sells a vintage to the secondary market; they become market inventory."""
        f = self.fleet
        firm = int(f.firm[row])
        usd = float(f.th[row] * self.machine_value_usd_per_th[row])
        self.ledger.receive(firm, "asset_sales_usd", usd)
        f.firm[row], f.site[row], f.state[row] = MARKET, NO_SITE, MachineState.DORMANT
        self.events.add("asic_sale", firm, th=float(f.th[row]), usd=usd)

    def buy_machines(
        self, firm: int, site: int, generation: int, th: float, usd_per_th: float
    ) -> None:
        """A firm buys new machines and installs them at one of its sites."""
        self.fleet.append(
            firm=firm,
            site=site,
            generation=generation,
            th=th,
            j_per_th=self.generation_j_per_th[generation],
            bought_step=self.step_index,
            state=MachineState.DEPLOYED,
        )
        self.machine_value_usd_per_th = np.append(self.machine_value_usd_per_th, usd_per_th)
        self.ledger.pay(firm, "capex_usd", th * usd_per_th)
        self.events.add("asic_purchase", firm, th=th, usd=th * usd_per_th, generation=generation)

    # --- the step --------------------------------------------------------------------
    def step(self) -> None:
        """Advance one step (see the module docstring for the order)."""
        i = self.step_index = self.steps - 1
        self.events.step = i
        date = self.dates[i]
        if i > 0:  # one month end per month boundary crossed (a long step may cross two)
            last_month = self.dates[i - 1].astype("datetime64[M]").astype(int)
            for month in range(last_month + 1, date.astype("datetime64[M]").astype(int) + 1):
                month_last_day = np.datetime64(month, "M").astype("datetime64[D]") - 1
                self._month_end(month_last_day, month % self.params.fleet.review_months == 0)
        self.policy_rate = float(self.policy_rates[i])
        self.btc_price_usd = self.btc.step(i, self.policy_rate, self.params.macro.neutral_rate)
        self.hashprice_usd_per_ph_day = self._expected_hashprice()
        spot = self.spot[i]
        marginal = self.marginal_power_usd_per_mwh(spot)
        site_online = 1.0 - self.offline_share[i, self.sites.region]
        run_share = self._running_mask(marginal) * site_online[self.fleet.site]
        th_running = self.fleet.th * run_share
        hashrate_hs = float(th_running.sum()) * 1e12
        tip_before = self.chain.time_s
        mined = self.chain.advance(hashrate_hs, self.dt_days * SECONDS_PER_DAY, self.block_rng)
        self._pay_rewards(mined.subsidy_sat + mined.fees_sat, th_running)
        self._bill_power(spot, run_share)
        self._record(i, mined, tip_before, th_running)
        self._update_expectation()
        if i == self.n_steps - 1:
            self._month_end(date, quarter=False)
            if self.security_metrics:
                self.finish_metrics()
            self.running = False

    def _pay_rewards(self, reward_sat: int, th_running: np.ndarray) -> None:
        """Every satoshi issued goes to firms pro rata to running hashrate (FPPS pools)."""
        n = len(self.miners)
        firm_th = np.bincount(self.fleet.firm[th_running > 0], th_running[th_running > 0], n)
        sat = split_sat(reward_sat, firm_th)
        self.total_paid_sat += int(sat.sum())
        self.ledger.mine(sat, self.btc_price_usd)
        self.firm_running_th = firm_th
        sold = np.floor(sat * self.btc_sell_share).astype(np.int64)
        self.ledger.sell_btc(np.arange(n), sold, self.btc_price_usd)

    def _bill_power(self, spot: np.ndarray, run_share: np.ndarray) -> None:
        """Bill each site's power by its contract; resell unused PPA energy where allowed."""
        s, f = self.sites, self.fleet
        hours = 24.0 * self.dt_days
        on = run_share > 0
        used_mwh = np.bincount(f.site[on], f.power_mw()[on] * run_share[on] * hours, s.n)
        spot_site = spot[s.region]
        owned = s.firm != MARKET
        is_ppa = (s.contract == Contract.FIXED_PPA) & owned
        billed = (s.mode == Mode.MINING) | (s.mode == Mode.CONVERTING)  # AI tenants pay power
        ppa_mwh = np.where(is_ppa & billed, s.gross_mw * hours, 0.0)
        price = np.select(
            [s.contract == Contract.SPOT, s.contract == Contract.INDEXED],
            [
                spot_site + s.spot_markup_usd_per_mwh,
                s.contract_price_usd_per_mwh * spot_site / self.region_mean_usd_per_mwh[s.region],
            ],
            default=s.contract_price_usd_per_mwh,
        )
        bill = np.where(is_ppa, ppa_mwh, used_mwh) * price
        resale = np.where(is_ppa & s.resale, np.maximum(ppa_mwh - used_mwh, 0.0) * spot_site, 0.0)
        opex = used_mwh * self.params.finance.nonpower_opex_usd_per_mwh
        firm = np.where(owned, s.firm, 0)
        n = len(self.miners)
        bill_f = np.bincount(firm, np.where(owned, bill, 0.0), n)
        opex_f = np.bincount(firm, np.where(owned, opex, 0.0), n)
        resale_f = np.bincount(firm, np.where(owned, resale, 0.0), n)
        self.ledger.pay(slice(None), "power_cost_usd", bill_f)
        self.ledger.pay(slice(None), "opex_usd", opex_f)
        self.ledger.receive(slice(None), "resale_usd", resale_f)
        self._month_costs += bill_f + opex_f - resale_f
        self.mean_power_price_usd_per_mwh = (
            float((bill.sum() - resale.sum()) / used_mwh.sum()) if used_mwh.sum() > 0 else np.nan
        )

    def _update_expectation(self) -> None:
        """Adaptive expectation of hashprice: an exponential average of observed values."""
        halflife = self.params.fleet.expectation_halflife_days / self.dt_days
        weight = 1.0 - 0.5 ** (1.0 / halflife)
        self.hashprice_expectation_usd_per_ph_day += weight * (
            self.hashprice_usd_per_ph_day - self.hashprice_expectation_usd_per_ph_day
        )

    def _record(self, i, mined, tip_before, th_running) -> None:
        f = self.fleet
        th = f.th
        active_th = float(th_running.sum())
        deployed_th = float(th[f.state == MachineState.DEPLOYED].sum())
        curtailed = deployed_th - active_th  # economics or a shock keep them off
        mothballed = float(th[f.state == MachineState.DORMANT].sum())
        if mined.blocks:
            gaps = np.diff(mined.timestamps, prepend=tip_before)
            mean_gap, max_gap = float(gaps.mean()), float(gaps.max())
            over_1h, over_2h = int((gaps > 3600).sum()), int((gaps > 7200).sum())
        else:
            mean_gap = max_gap = np.nan
            over_1h = over_2h = 0
        for r in mined.retargets:
            self.events.add(
                "retarget",
                height=r.height,
                old_bits=r.old_bits,
                new_bits=r.new_bits,
                timespan_s=r.timespan_s,
                time_s=r.time_s,
            )
        if mined.blocks and block_subsidy_sat(mined.first_height - 1) != block_subsidy_sat(
            self.chain.height
        ):
            self.events.add("halving", height=self.chain.height)
        self.series.set(
            i,
            height=self.chain.height,
            difficulty=self.chain.difficulty,
            hashrate_eh=active_th / 1e6,
            blocks=mined.blocks,
            retargets=len(mined.retargets),
            mean_block_interval_s=mean_gap,
            max_block_interval_s=max_gap,
            gaps_over_1h=over_1h,
            gaps_over_2h=over_2h,
            btc_price_usd=self.btc_price_usd,
            hashprice_usd_per_ph_day=self.hashprice_usd_per_ph_day,
            policy_rate=self.policy_rate,
            subsidy_btc=mined.subsidy_sat / COIN_SAT,
            fees_btc=mined.fees_sat / COIN_SAT,
            active_hashrate_eh=active_th / 1e6,
            curtailed_hashrate_eh=curtailed / 1e6,
            mothballed_hashrate_eh=mothballed / 1e6,
            dormant_hashrate_eh=(curtailed + mothballed) / 1e6,
            scrapped_hashrate_eh=float(th[f.state == MachineState.SCRAPPED].sum()) / 1e6,
            mean_power_price_usd_per_mwh=self.mean_power_price_usd_per_mwh,
            ai_mw_in_service=self.ai_mw_in_service,
            ai_mw_converting=self.ai_mw_converting,
            lease_index_usd_per_kw_month=self.hosting.market.lease_index_usd_per_kw_month,
            ai_demand_mw=self.hosting.demand_mw,
            firms_alive=int(self.alive.sum()),
        )
        self._record_security_state(i, th_running)
        self.datacollector.collect(self)

    def _record_security_state(self, i: int, th_running: np.ndarray) -> None:
        """Store the raw state the security measures read after the run."""
        f = self.fleet
        owned_off = np.where(f.state == MachineState.SCRAPPED, 0.0, f.th) - th_running
        dormant_th = float(owned_off.sum())  # mothballed, curtailed or forced off
        _, newest = self.newest_generation()
        self.state.set(
            i,
            state_active_th=float(th_running.sum()),
            state_dormant_th=dormant_th,
            state_dormant_value_usd=float(owned_off @ self.machine_value_usd_per_th),
            state_dormant_j_per_th=float(owned_off @ f.j_per_th) / dormant_th
            if dormant_th > 0
            else newest.j_per_th,
            state_new_price_usd_per_th=self.new_price_usd_per_th(newest),
            state_new_j_per_th=newest.j_per_th,
            state_supply_btc=subsidy_sum_sat(0, self.chain.height) / COIN_SAT,
        )
        self.series.set(
            i,
            schedule_slip_s=float(
                sec.schedule_slip_s(
                    self.chain.clock_s - self.start_time_s, self.chain.height - self.start_height
                )
            ),
        )
        self.firm_th_by_step[i] = self.firm_running_th
        self.pool_th_by_step[i] = self.pools.pool_th(self.firm_running_th)

    def finish_metrics(self) -> None:
        """Compute the security columns of every step run so far (metrics read only)."""
        n = self.step_index + 1
        columns = {name: values[:n] for name, values in self.series.columns.items()}
        columns |= {name: values[:n] for name, values in self.state.columns.items()}
        measures = security_columns(
            columns, self.firm_th_by_step[:n], self.pool_th_by_step[:n], self.dt_days
        )
        for name, values in measures.items():
            self.series.columns[name][:n] = values

    def share_of_mw_in_ai(self) -> float:
        """Share of all site MW now hosting AI or converting to it."""
        s = self.sites
        in_ai = (s.mode == Mode.AI_HOSTING) | (s.mode == Mode.CONVERTING)
        return float(s.gross_mw[in_ai].sum() / s.gross_mw.sum())

    # --- output tables ---------------------------------------------------------------
    def model_table(self) -> pd.DataFrame:
        """One row per step simulated so far."""
        return self.series.frame(self.dates, self.step_index + 1)

    def firm_table(self) -> pd.DataFrame:
        """One row per firm per month recorded so far, with each firm's class at the end."""
        firms = pd.DataFrame(self.firm_rows)
        if len(firms):
            firms["firm_class"] = firms["firm_id"].map(classify_firms(firms))
        return firms

    def event_table(self) -> pd.DataFrame:
        """Every event so far."""
        return self.events.frame()

    # --- AI and strategy helpers ------------------------------------------------------
    def _peer_graph(self, rng: np.random.Generator) -> nx.Graph:
        """Small-world peer graph among firms (who watches whom pivot)."""
        sp, n = self.params.strategy, len(self.miners)
        k = min(sp.peer_degree, n - 1 - (n - 1) % 2) if n > 2 else 0
        seed = int(rng.integers(2**31))
        return nx.watts_strogatz_graph(n, max(k, 0), sp.peer_rewire_probability, seed=seed)

    def peer_pivot_share(self, firm: int) -> float:
        """Share of a firm's peers that announced a pivot to AI (hired an AI team)."""
        peers = list(self.peers.neighbors(firm))
        if not peers:
            return 0.0
        return float(self.hosting.ai_team[peers].mean())

    def years_to_halving(self) -> float:
        """Expected years to the next halving at 600 s per block."""
        blocks = HALVING_INTERVAL - self.chain.height % HALVING_INTERVAL
        return blocks * TARGET_SPACING_S / (365.25 * SECONDS_PER_DAY)

    def site_j_per_th(self) -> np.ndarray:
        """Per site: TH-weighted J/TH of its deployed machines (newest generation if none)."""
        f, n = self.fleet, self.sites.n
        deployed = f.state == MachineState.DEPLOYED
        th = np.bincount(f.site[deployed], f.th[deployed], n)
        power = np.bincount(f.site[deployed], (f.th * f.j_per_th)[deployed], n)
        newest = self.newest_generation()[1].j_per_th
        return np.divide(power, th, out=np.full(n, newest), where=th > 0)

    def clear_site(self, site: int) -> None:
        """Move a converting site's machines to the firm's free MW elsewhere, else mothball."""
        f, s = self.fleet, self.sites
        firm = int(s.firm[site])
        rows = np.flatnonzero((f.site == site) & (f.state == MachineState.DEPLOYED))
        free = s.gross_mw - f.deployed_mw_by_site(s.n)
        others = np.flatnonzero((s.firm == firm) & (s.mode == Mode.MINING))
        for row in rows:
            need = f.th[row] * f.j_per_th[row] * 1e-6
            room = [o for o in others if free[o] >= need]
            if room:
                self._move(row, MachineState.DEPLOYED, room[0], "relocate")
                free[room[0]] -= need
            else:
                self.mothball(row)

    def _firm_attributes(self) -> dict[str, np.ndarray]:
        """Per firm: the indicators analysts watch (power, contracts, readiness, fleet, size)."""
        s, n = self.sites, len(self.miners)
        owned = s.firm >= 0
        firm = s.firm[owned]
        mw = np.bincount(firm, s.gross_mw[owned], n)

        def mw_mean(values: np.ndarray) -> np.ndarray:
            total = np.bincount(firm, (s.gross_mw * values)[owned], n)
            return np.divide(total, mw, out=np.full(n, np.nan), where=mw > 0)

        is_ppa = (s.contract == Contract.FIXED_PPA).astype(float)
        years_left = np.maximum(s.contract_end_step - self.step_index, 0) * self.dt_days / 365.25
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
            "j_per_th": np.divide(power, th, out=np.full(n, np.nan), where=th > 0),
            "site_mw": mw,
        }

    # --- month and quarter ends ------------------------------------------------------
    def _month_end(self, month_last_day: np.datetime64, quarter: bool) -> None:
        """Finance every firm, review fleets (`quarter`: a review month), record the panel."""
        self.machine_value_usd_per_th = self._machine_values()
        self._renew_expired_ppas()
        month_costs, self._month_costs = self._month_costs, np.zeros(len(self.miners))
        self.last_month_costs_usd = month_costs
        self.hosting.month_end(month_last_day)
        for miner in self._alive_miners():
            if not miner.monthly_finance(float(month_costs[miner.index])):
                self._bankrupt(miner)
        for firm, old, new in self.pools.switch(self.pool_rng, self.alive):
            self.events.add("pool_switch", firm, old_pool=old, new_pool=new)
        if quarter:
            self.review_cost_usd_per_mwh = self.expected_marginal_cost_usd_per_mwh()
            self.review_j_per_th = self.site_j_per_th()
            reviewers = self._alive_miners()
            self.random.shuffle(reviewers)  # earlier pivots this quarter sway later reviews
            for miner in reviewers:
                miner.review_strategy()
                miner.review_fleet()
            self._scrap_old_market_inventory()
        self._record_firms()

    def _alive_miners(self) -> list[Miner]:
        return [m for m in self.miners if self.alive[m.index]]

    def _renew_expired_ppas(self) -> None:
        """A PPA past its term renews at the region's mean spot plus a premium."""
        s, fin = self.sites, self.params.finance
        expired = (s.contract == Contract.FIXED_PPA) & (s.contract_end_step <= self.step_index)
        if expired.any():
            mean = self.region_mean_usd_per_mwh[s.region[expired]]
            s.contract_price_usd_per_mwh[expired] = mean * (1.0 + fin.ppa_renewal_premium)
            s.contract_end_step[expired] = self.step_index + self.steps_in_years(
                fin.ppa_renewal_years
            )

    def _scrap_old_market_inventory(self) -> None:
        f = self.fleet
        old = (f.firm == MARKET) & (f.state == MachineState.DORMANT)
        old &= self.age_years(np.arange(f.n)) > self.params.fleet.market_scrap_age_years
        for row in np.flatnonzero(old):
            self.scrap(row)

    def _bankrupt(self, miner: Miner) -> None:
        """The firm leaves; creditors take its cash and BTC; its sites are auctioned."""
        i = miner.index
        self.alive[i] = False
        self.events.add(
            "bankruptcy",
            i,
            usd=miner.debt_usd,
            cash_usd=miner.cash_usd,
            btc=self.ledger.btc_sat[i] / COIN_SAT,
        )
        miner.debt = []
        self.pools.remove_firm(i)
        for row in miner.machine_rows(MachineState.DORMANT):
            self.sell_machines(row)
        for site in miner.site_rows():
            self._auction_site(int(site))
        miner.remove()

    def _auction_site(self, site: int) -> None:
        """Sell a bankrupt firm's site with its machines to the richest solvent bidder.

        The price is a distressed fraction of book value; with no bidder able to pay, the
        site idles (owned by no firm) and its machines go to the secondary market.
        """
        s, f, fin = self.sites, self.fleet, self.params.finance
        seller = int(s.firm[site])
        rows = np.flatnonzero((f.site == site) & (f.state == MachineState.DEPLOYED))
        value = (
            s.gross_mw[site] * self.site_value_usd_per_mw()
            + float((f.th[rows] * self.machine_value_usd_per_th[rows]).sum())
            + self.hosting.site_value_usd(site)
        )
        price = fin.auction_discount * value
        bidders = [
            m
            for m in self._alive_miners()
            if m.cash_usd - price > self.last_month_costs_usd[m.index] * fin.min_cash_months
        ]
        if bidders:
            buyer = max(bidders, key=lambda m: m.cash_usd).index
            self.ledger.pay(buyer, "capex_usd", price)
            s.firm[site] = buyer
            f.firm[rows] = buyer
        else:
            buyer = MARKET
            s.firm[site], s.mode[site] = MARKET, Mode.IDLE
            f.firm[rows], f.site[rows], f.state[rows] = MARKET, NO_SITE, MachineState.DORMANT
        self.hosting.transfer_site(site, buyer)
        self.events.add(
            "auction",
            seller,
            buyer_id=buyer,
            site=site,
            mw=float(s.gross_mw[site]),
            th=float(f.th[rows].sum()),
            usd=price if buyer != MARKET else 0.0,
        )

    def _record_firms(self) -> None:
        """One panel row per firm (alive or not) for the month just ended."""
        flows = self.ledger.take_period()
        h = self.hosting
        mw_mining = h.site_mw_by_firm(Mode.MINING)
        mw_ai = h.site_mw_by_firm(Mode.AI_HOSTING)
        mw_converting = h.site_mw_by_firm(Mode.CONVERTING)
        contracted = h.mw_by_firm(("converting", "in_service"))
        delivered = h.mw_by_firm(("in_service",))
        indicators = self._firm_attributes()
        assets = [m.assets_usd() if self.alive[m.index] else 0.0 for m in self.miners]
        self.ai_mw_in_service, self.ai_mw_converting = (
            delivered.sum(),
            (contracted - delivered).sum(),
        )
        date = self.dates[self.step_index]
        for m in self.miners:
            i = m.index
            row = {
                "date": date,
                "firm_id": i,
                "name": m.name,
                "group": m.group,
                "listed": m.listed,
                "alive": bool(self.alive[i]),
                "hashrate_eh": self.firm_running_th[i] / 1e6,  # running on the last day
                "cash_usd": float(self.ledger.cash_usd[i]),
                "btc_held": self.ledger.btc_sat[i] / COIN_SAT,
                "debt_usd": m.debt_usd,
                "net_worth_usd": assets[i] - m.debt_usd if self.alive[i] else 0.0,
                "leverage": m.debt_usd / assets[i] if self.alive[i] and assets[i] > 0 else np.nan,
                "mw_mining": float(mw_mining[i]),
                "mw_ai": float(mw_ai[i]),
                "mw_converting": float(mw_converting[i]),
                "ai_mw_contracted": float(contracted[i]),
                "ai_mw_delivered": float(delivered[i]),
                "ai_utilization": delivered[i] / contracted[i] if contracted[i] > 0 else np.nan,
                "ai_team": bool(h.ai_team[i]),
                "capex_to_debt": h.ai_book_usd[i] / m.debt_usd if m.debt_usd > 0 else np.nan,
            }
            row.update({name: values[i] for name, values in flows.items()})
            revenue = row["mining_revenue_usd"] + row["ai_rent_usd"]
            row["ai_revenue_usd"] = row["ai_rent_usd"]
            row["ai_revenue_share"] = row["ai_rent_usd"] / revenue if revenue > 0 else 0.0
            row.update({name: values[i] for name, values in indicators.items()})
            row.update({f"start_{k}": v[i] for k, v in self.start_attributes.items()})
            self.firm_rows.append(row)
