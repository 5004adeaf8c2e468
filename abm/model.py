"""MiningModel: wires markets, chain and firms together and owns the step order.

Each step (one day by default):
1. macro, BTC price and power prices advance;
2. every machine vintage of every firm runs iff hashprice beats its marginal power cost;
3. the chain mines at the resulting hashrate: blocks, fees, retargets with their real lag;
4. block rewards are paid pro rata to running hashrate, power is billed by contract;
5. on month and quarter boundaries: finance, AI hosting, strategy and fleet decisions,
   bankruptcies and auctions;
6. the step's metrics are recorded.
Steps 2-4 and 6 are vectorized over all vintages of all firms (in `Industry` and
`Recorder`); per-firm Python runs only at month and quarter ends (in `Miner`).
"""

from __future__ import annotations

import datetime as dt
import warnings
import zlib

import mesa
import numpy as np
import pandas as pd

from abm.agents.capital import CapitalMarket
from abm.agents.fleet import MachineState
from abm.agents.hosting import AiHosting
from abm.agents.industry import Industry
from abm.agents.miner import Miner, cash_reserve_usd, month_charges_usd
from abm.agents.population import StartConditions, draw_population, finance_firm
from abm.chain import (
    COIN_SAT,
    HALVING_INTERVAL,
    Chain,
    FeeProcess,
    bits_for_difficulty,
    block_subsidy_sat,
)
from abm.chain.consensus import RETARGET_INTERVAL, TARGET_SPACING_S
from abm.events import EventLog
from abm.markets.ai_demand import AiMarket
from abm.markets.asic import AsicMarket
from abm.markets.btc_price import BtcPriceProcess
from abm.markets.economics import hashprice_usd_per_ph_day
from abm.markets.macro import policy_rate_path, rate_in_force
from abm.markets.power import spot_price_paths
from abm.markets.readings import MarketReadings
from abm.markets.shocks import offline_share_paths
from abm.network.peers import peer_graph
from abm.network.pools import PoolNetwork
from abm.recorder import BatchRunView, Recorder
from abm.scenario import Scenario, load_scenario
from abm.units import SECONDS_PER_DAY


def rng_stream(root: np.random.SeedSequence, name: str) -> np.random.Generator:
    """An independent generator for one named stream of a run.

    The child's spawn key is derived from the stream's name, not its position, so adding a
    stream never shifts the numbers of the others.
    """
    key = (*root.spawn_key, zlib.crc32(name.encode()))
    return np.random.default_rng(np.random.SeedSequence(root.entropy, spawn_key=key))


def _run_is_over() -> None:
    raise RuntimeError("the run has reached the scenario's end date; start a new model")


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
        self.month_ends = self._month_ends_by_step(scenario.fleet.review_months)
        ends = np.array([*sorted(self.month_ends), self.n_steps])  # the run's end reads too
        # the step of the next month end after each step: the days are priced up to it
        self._next_month_end = ends[ends.searchsorted(np.arange(self.n_steps), "right")].tolist()
        self.events = EventLog(self.dates.__getitem__)
        self._init_markets(root)
        self._init_chain(root)
        self._init_industry(root)
        self.recorder = Recorder(
            self.dates,
            self.dt_days,
            self.industry,
            self.capital,
            self.hosting,
            self.chain,
            self.pools,
            self.readings,
            [(m.name, m.group, m.listed) for m in self.miners],
            self._start_attributes(),
            self.events,
        )

    # --- construction ----------------------------------------------------------------
    def _month_ends_by_step(self, review_months: int) -> dict[int, list]:
        """Step -> (last day, review month?) of each month that ended before it.

        A long step may cross two month boundaries; the first step ends no month.
        """
        months = self.dates.astype("datetime64[M]").astype(int)
        ends: dict[int, list] = {}
        for i in np.flatnonzero(np.diff(months)) + 1:
            for month in range(months[i - 1] + 1, months[i] + 1):
                last_day = np.datetime64(month, "M").astype("datetime64[D]") - 1
                ends.setdefault(int(i), []).append((last_day, month % review_months == 0))
        return ends

    def _init_markets(self, root: np.random.SeedSequence) -> None:
        p = self.params
        self.policy_rates = policy_rate_path(p.macro, self.dates, rng_stream(root, "macro"))
        self._policy_rates = self.policy_rates.tolist()  # floats, read one a step
        self.btc = BtcPriceProcess(p.btc_price, self.dates, self.dt_days, rng_stream(root, "price"))
        regions = p.power.regions
        self.region_names = tuple(r.name for r in regions)
        self.region_mean_usd_per_mwh = np.array([r.mean_price_usd_per_mwh for r in regions])
        self.spot = spot_price_paths(regions, self.dates, self.dt_days, rng_stream(root, "power"))
        self.online_share = 1.0 - offline_share_paths(p.shocks, self.dates, self.region_names)
        self.all_online = (self.online_share == 1.0).all(axis=1)  # days with no outage
        self.asic = AsicMarket(p.asic)

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
        self._step_s = float(self.dt_days * SECONDS_PER_DAY)
        halflife = self.params.fleet.expectation_halflife_days / self.dt_days  # in steps
        self._expectation_weight = 1.0 - 0.5 ** (1.0 / halflife)  # a constant of the run
        self._reward_era = self._reward_btc = None  # `_expected_hashprice`: (era, its reward)
        self.total_paid_sat = 0
        self.readings = MarketReadings(
            dt_days=self.dt_days,
            step_index=0,
            date=self.dates[0],
            height=self.chain.height,
            policy_rate=float(self.policy_rates[0]),
            btc_price_usd=self.params.btc_price.start_price_usd,
        )
        self.rate_in_force_at_start = rate_in_force(self.params.macro, self.params.run.start_date)
        self.readings.set_policy_rate(
            float(self.policy_rates[0]), self.rate_in_force_at_start, self.params.macro
        )
        macro = self.params.macro  # the drift reads the rate path, or the start rate throughout
        drift_rates = (
            self.policy_rates if macro.rate_moves_btc_drift else self.rate_in_force_at_start
        )
        self.btc_prices_usd = self.btc.path(drift_rates, macro.neutral_rate).tolist()  # floats
        self.readings.hashprice_usd_per_ph_day = self._expected_hashprice()
        self.readings.hashprice_expectation_usd_per_ph_day = self.readings.hashprice_usd_per_ph_day

    def _init_industry(self, root: np.random.SeedSequence) -> None:
        """Draw the firms, place their sites and fleets, finance them, and make the agents."""
        p = self.params
        gens = self.asic.generations
        start = StartConditions(
            start_date=p.run.start_date,
            dt_days=self.dt_days,
            region_names=self.region_names,
            region_mean_usd_per_mwh=tuple(self.region_mean_usd_per_mwh),
            generation_names=tuple(g.name for g in gens),
            generation_release=tuple(g.release_date for g in gens),
            policy_rate=self.rate_in_force_at_start,  # the coupon of debt issued before
        )
        rng = rng_stream(root, "population")
        pop = p.population
        seeds = draw_population(
            pop.groups, pop.firms, p.network.start_hashrate_eh * 1e6, start, pop.draw, rng
        )
        n = len(seeds)
        industry = self.industry = Industry(
            n,
            self.asic,
            self.region_mean_usd_per_mwh,
            p.finance,
            p.fleet,
            self.readings,
            self.events,
        )
        industry.place(seeds)
        industry.scale_to_start_hashrate(
            p.network.start_hashrate_eh * 1e6,
            self.spot[: p.network.start_hashrate_window_days],
            np.array([seed.utilization for seed in seeds]),
        )
        suitability = pop.suitability
        industry.rate_ai_suitability(
            suitability,
            np.array([name in suitability.tenant_regions for name in self.region_names]),
            np.array(
                [
                    np.nan if site.stated_suitable is None else float(site.stated_suitable)
                    for seed in seeds
                    for site in seed.sites
                ]
            ),
        )
        industry.revalue_machines()
        listed = np.array([seed.listed for seed in seeds])
        self.capital = CapitalMarket(industry, listed, p.capital, self.readings, self.events)
        market = AiMarket(p.ai, self.dates, rng_stream(root, "ai_demand"))
        self.hosting = AiHosting(
            industry,
            self.capital,
            market,
            p.ai,
            p.conversion,
            self.readings,
            self.events,
            rng_stream(root, "ai_leasing"),
        )
        self.peers = peer_graph(
            n,
            p.strategy.peer_degree,
            p.strategy.peer_rewire_probability,
            rng_stream(root, "peers"),
        )
        month_power = industry.monthly_power_cost_estimate()
        ledger = industry.ledger
        ledger.btc_sat[:] = [round(seed.treasury_btc * COIN_SAT) for seed in seeds]
        assets = industry.assets_by_firm()  # before any cash: each firm's own books only
        for f, seed in enumerate(seeds):
            Miner(self, f, seed, industry, self.capital, self.hosting, self.readings, self.peers, p)
            cash, tranches = finance_firm(
                seed, assets[f], month_power[f], start, p.finance, pop.draw, rng
            )
            for tranche in tranches:
                industry.debt.add(f, tranche)
            ledger.cash_usd[f] = cash
        for f, seed in enumerate(seeds):
            if seed.leases:
                self.hosting.book_start_leases(f, seed.sites[0].region, seed.leases)
        self.miners: list[Miner] = list(self.agents)
        self.pool_rng = rng_stream(root, "pools")
        firm_th = np.bincount(industry.fleet.firm, industry.fleet.th, n)
        self.pools = PoolNetwork(p.pools, firm_th, self.pool_rng)
        industry.last_month_costs_usd = month_power

    def _start_attributes(self) -> dict[str, np.ndarray]:
        """Per firm: the attributes at the start the firm panel carries as `start_*`."""
        industry, n = self.industry, len(self.miners)
        leverage, net_worth_usd = industry.leverage_and_net_worth_by_firm()
        return industry.firm_indicators() | {
            "leverage": leverage,
            "hashrate_eh": np.bincount(industry.fleet.firm, industry.fleet.th, n) / 1e6,
            "net_worth_usd": net_worth_usd,
            "cash_usd": industry.ledger.cash_usd.copy(),
        }

    def _expected_hashprice(self) -> float:
        """Hashprice at the current difficulty, next subsidy and mean fee, USD/PH/day.

        The reward (subsidy and mean fee, BTC) is kept per subsidy era of the next block.
        """
        chain = self.chain
        era = (chain.height + 1) // HALVING_INTERVAL
        if era != self._reward_era:
            sat = block_subsidy_sat(chain.height + 1) + chain.fees.mean_sat_per_block
            self._reward_era, self._reward_btc = era, sat / COIN_SAT
        return float(
            hashprice_usd_per_ph_day(
                chain.difficulty, self._reward_btc, self.readings.btc_price_usd
            )
        )

    # --- the step --------------------------------------------------------------------
    def step(self) -> None:
        """Advance one step (see the module docstring for the order)."""
        r = self.readings
        i = r.step_index = self.steps - 1
        r.date = date = self.dates[i]
        self.events.step = i
        month_ends = self.month_ends.get(i, ())
        if month_ends:  # the days recorded read the machine values a month end changes
            self.recorder.flush()
        for month_last_day, quarter in month_ends:
            self._month_end(month_last_day, quarter)
        r.set_policy_rate(self._policy_rates[i], self.rate_in_force_at_start, self.params.macro)
        r.btc_price_usd = self.btc_prices_usd[i]
        r.hashprice_usd_per_ph_day = self._expected_hashprice()
        industry = self.industry
        online = None if self.all_online[i] else self.online_share[i]
        th_running = industry.operate_today(self.spot, i, online, self._next_month_end[i])
        hashrate_hs = industry.running_th_total * 1e12
        tip_before = self.chain.time_s
        mined = self.chain.advance(hashrate_hs, self._step_s, self.block_rng)
        r.height = self.chain.height
        self.total_paid_sat += industry.pay_rewards(mined.subsidy_sat + mined.fees_sat, th_running)
        industry.bill_power_today(self.dt_days)
        self.recorder.record_day(i, mined, tip_before, th_running, industry.running_th_total)
        self._update_expectation()
        if i == self.n_steps - 1:
            self.recorder.flush()
            self._month_end(date, quarter=False)
            if self.security_metrics:
                self.recorder.finish_metrics()
            self.running = False
            self._release()

    def _release(self) -> None:
        """Break the reference cycles of a finished run: dropping the model then frees it.

        mesa 3.3.1 keeps every model in a class cache, its step wrapper refers to the model,
        and the model and its agents refer to each other; without this, a worker running
        many models holds the finished ones until a garbage-collector pass. The tables
        stay readable.
        """
        mesa.Agent._ids.pop(self, None)
        self.remove_all_agents()
        for miner in self.miners:  # the firms stay readable, without their link back
            miner.model = None
        self.step = self._user_step = _run_is_over
        vars(self.peers).pop("degree", None)  # networkx caches a view that refers to the graph

    def _update_expectation(self) -> None:
        """Adaptive expectation of hashprice: an exponential average of observed values."""
        r = self.readings
        r.hashprice_expectation_usd_per_ph_day += self._expectation_weight * (
            r.hashprice_usd_per_ph_day - r.hashprice_expectation_usd_per_ph_day
        )

    # --- month and quarter ends ------------------------------------------------------
    def _month_end(self, month_last_day: np.datetime64, quarter: bool) -> None:
        """Finance every firm, review fleets (`quarter`: a review month), record the panel."""
        industry = self.industry
        industry.revalue_machines()
        industry.renew_expired_ppas()
        industry.close_month()
        month_costs = industry.last_month_costs_usd
        self.hosting.month_end(month_last_day)
        industry.energize_sites(month_last_day)
        owned_mw = industry.site_mw_by_firm()  # G&A on what each firm owned as the month ended
        self._finance_firms(month_costs, owned_mw)
        for firm, old, new in self.pools.switch(self.pool_rng, industry.alive):
            self.events.add("pool_switch", firm, old_pool=old, new_pool=new)
        if quarter:
            review = industry.site_review()
            reviewers = self._alive_miners()
            self.random.shuffle(reviewers)  # earlier pivots this quarter sway later reviews
            for miner in reviewers:
                miner.review_strategy(review)
                miner.review_fleet(review)
                miner.review_expansion(review)
            industry.scrap_old_market_inventory()
        self.recorder.record_month(self.dates[self.readings.step_index])

    def _finance_firms(self, month_costs_usd: np.ndarray, owned_mw: np.ndarray) -> None:
        """Every alive firm pays its month's charges and restores its cash, in firm order.

        A bankrupt firm leaves at once. The charges of all firms are paid at once, each
        firm the same sums as alone; then each firm restores its cash
        (`Miner.monthly_finance`) unless that would do nothing (no debt due, cash above its
        reserve). Restoring reads and changes only the firm's own books, so paying the
        later firms' charges first changes nothing, except when it goes bankrupt: its
        auctions are paid from other firms' cash, so the later firms' charges are undone
        and paid again after them.
        """
        ledger, step = self.industry.ledger, self.readings.step_index
        miners = self._alive_miners()
        while miners:
            firms = np.array([m.index for m in miners])
            charges = month_charges_usd(miners, owned_mw[firms])
            before = charges.pay(ledger, firms)
            cash = ledger.cash_usd[firms]
            costs = month_costs_usd[firms]
            reserve = cash_reserve_usd(self.params.finance, costs, charges.interest_usd)
            due = self.industry.debt.any_due(firms.tolist(), step)
            settled = (cash >= reserve) & (cash >= 0) & ~due
            for k in np.flatnonzero(~settled).tolist():
                miner = miners[k]
                if not miner.monthly_finance(float(costs[k]), float(charges.interest_usd[k])):
                    charges.unpay(ledger, firms, before, slice(k + 1, None))
                    self._bankrupt(miner)
                    miners = miners[k + 1 :]
                    break
            else:
                miners = []

    def _alive_miners(self) -> list[Miner]:
        return [m for m in self.miners if self.industry.alive[m.index]]

    def _bankrupt(self, miner: Miner) -> None:
        """The firm leaves; creditors take its cash and BTC; its sites are auctioned."""
        industry, firm = self.industry, miner.index
        industry.declare_bankrupt(firm)
        self.pools.remove_firm(firm)
        for row in industry.machine_rows(firm, MachineState.DORMANT):
            industry.sell_machines(row)
        for site in industry.site_rows(firm):
            site = int(site)
            buyer = industry.auction_site(site, self.hosting.site_value_usd(site))
            self.hosting.transfer_site(site, buyer)
        miner.remove()

    # --- mesa's batch runner ----------------------------------------------------------
    @property
    def datacollector(self) -> BatchRunView:
        """The daily series as `mesa.batch_run` reads them (vary `seed` for replicates).

        Warns when the run stopped before the scenario's end: batch_run's `max_steps`
        (1000 by default) is then shorter than the horizon.
        """
        if self.running:
            warnings.warn(
                f"MiningModel read at step {self.steps} of {self.n_steps}: pass "
                f"max_steps={self.n_steps} to mesa.batch_run to simulate the whole horizon",
                stacklevel=2,
            )
        return self.recorder.batch_run_view()

    # --- output tables ---------------------------------------------------------------
    def model_table(self) -> pd.DataFrame:
        """One row per step simulated so far."""
        return self.recorder.model_table()

    def firm_table(self) -> pd.DataFrame:
        """One row per firm per month recorded so far, with each firm's class at the end."""
        return self.recorder.firm_table()

    def event_table(self) -> pd.DataFrame:
        """Every event so far."""
        return self.events.frame()
