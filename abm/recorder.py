"""Run outputs recorded as they happen: the daily model series and the monthly firm panel.

The model series is preallocated (a 2-D array, one row per column). Each step keeps its
raw values (Python scalars and its running TH/s) and `Recorder.flush` writes the days kept
as array operations over all of them, at month ends and whenever a table is read, so the
daily hot path runs no numpy reduction; the monthly firm panel is recorded as arrays over
all firms. `Recorder` reads the run's state (it never changes it) and owns every table a
run returns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from abm.agents.fleet import Mode
from abm.agents.leasing import LeaseStatus
from abm.chain import COIN_SAT, HALVING_INTERVAL, block_subsidy_sat, subsidy_sum_sat
from abm.events import EventLog
from abm.metrics import security as sec
from abm.metrics.bifurcation import classify_firms
from abm.metrics.snapshot import SECURITY_COLUMNS, STATE_COLUMNS, security_columns
from abm.network.pools import pool_th_by_row

if TYPE_CHECKING:
    from abm.agents.capital import CapitalMarket
    from abm.agents.hosting import AiHosting
    from abm.agents.industry import Industry
    from abm.chain import Chain, ChainStep
    from abm.markets.readings import MarketReadings
    from abm.network.pools import PoolNetwork

_sum = np.add.reduce  # ndarray.sum, without its wrapper
DAY_FLOAT_COLUMNS = (  # in the order `Recorder.flush` writes them
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
    "nonminer_delivered_mw",  # IT MW energized in the last month-end round
    "nonminer_inventory_mw",  # energized, unleased non-miner IT MW
    "nonminer_pipeline_mw",  # non-miner IT MW started, not yet energized
    "ai_demand_mw",
    "schedule_slip_s",
    "mw_under_construction",
    "mw_energized",
)
MODEL_FLOAT_COLUMNS = (*DAY_FLOAT_COLUMNS, *SECURITY_COLUMNS)
MODEL_INT_COLUMNS = ("height", "blocks", "retargets", "gaps_over_1h", "gaps_over_2h", "firms_alive")


class ModelSeries:
    """Preallocated per-step columns, named rows of a float and an int 2-D array.

    `columns` maps each name to its row; a step writes all its values at once
    (`floats[:, i] = values`).
    """

    def __init__(self, n_steps: int, float_columns: tuple[str, ...], int_columns: tuple[str, ...]):
        self.n_steps = n_steps
        self.floats = np.full((len(float_columns), n_steps), np.nan)
        self.ints = np.zeros((len(int_columns), n_steps), dtype=np.int64)
        self.columns = dict(zip(float_columns, self.floats, strict=True))
        self.columns.update(zip(int_columns, self.ints, strict=True))

    def frame(self, dates: np.ndarray, n_done: int) -> pd.DataFrame:
        """The recorded steps as a DataFrame with `date` and `step` first."""
        data = {"date": dates[:n_done], "step": np.arange(n_done)}
        data.update({name: values[:n_done] for name, values in self.columns.items()})
        return pd.DataFrame(data)


class BatchRunView:
    """What `mesa.batch_run` reads of a model's DataCollector, served from the recorder.

    mesa 3.3.1's batch runner indexes `model_vars[name][step]`; recording those columns
    anew through a DataCollector every step would cost time on the hot path.
    """

    REPORTED = ("hashrate_eh", "difficulty", "btc_price_usd", "firms_alive")
    agent_reporters: dict = {}  # noqa: RUF012 (read-only: mesa iterates it)
    _agent_records: dict = {}  # noqa: RUF012

    def __init__(self, series: ModelSeries, steps_done: int):
        self.model_vars = {
            name: series.columns[name][:steps_done].tolist() for name in self.REPORTED
        }


class Recorder:
    """Records a run as it goes: the daily series, the raw security state, the firm panel.

    Args:
        dates: the date of every step.
        dt_days: days per step.
        industry, capital, hosting, chain, pools, readings: the state it reads.
        firms: (name, group, listed) of every firm, in index order.
        start_attributes: per-firm arrays of attributes at the start, copied into the panel.
        events: the run's event log.
    """

    def __init__(
        self,
        dates: np.ndarray,
        dt_days: int,
        industry: Industry,
        capital: CapitalMarket,
        hosting: AiHosting,
        chain: Chain,
        pools: PoolNetwork,
        readings: MarketReadings,
        firms: list[tuple[str, str, bool]],
        start_attributes: dict[str, np.ndarray],
        events: EventLog,
    ):
        n_steps = len(dates)
        self.dates, self.dt_days = dates, dt_days
        self.industry, self.hosting, self.chain, self.pools = industry, hosting, chain, pools
        self.capital = capital
        self.readings, self.firms, self.events = readings, firms, events
        self.start_attributes = start_attributes
        self.start_time_s, self.start_height = chain.time_s, chain.height
        self._series = ModelSeries(n_steps, MODEL_FLOAT_COLUMNS, MODEL_INT_COLUMNS)
        self._state = ModelSeries(n_steps, STATE_COLUMNS, ())
        self._firm_th_by_step = np.zeros((n_steps, len(firms)))
        # the days recorded and not yet written (`record_day`, `flush`)
        self._day_arrays = None  # the daily constants the kept days read
        self._day_floats: list[tuple] = []
        self._day_ints: list[tuple] = []
        self._block_days: list[tuple[int, float, np.ndarray]] = []  # (day kept, tip, blocks)
        self._th_rows = np.empty((0, 0))  # TH/s running per vintage, a row per day kept
        self._firm_th_rows: list[np.ndarray] = []  # TH/s running per firm
        self._pool_members = [(0, pools.pool_of_firm.copy())]  # (from step, pool of each firm)
        self._pool_moves_seen = pools.moves_made
        self.firm_months: list[dict[str, np.ndarray]] = []
        self._count_ai_mw(*self._ai_mw_by_firm())  # leases signed before the start count
        self.supply_sat = subsidy_sum_sat(0, chain.height)
        self.steps_done = 0

    # --- daily ------------------------------------------------------------------------
    @property
    def series(self) -> ModelSeries:
        """The model series, every step recorded so far written (`flush`)."""
        self.flush()
        return self._series

    @property
    def state(self) -> ModelSeries:
        """The raw security state, every step recorded so far written (`flush`)."""
        self.flush()
        return self._state

    @property
    def firm_th_by_step(self) -> np.ndarray:
        """TH/s running per firm (columns) on each step (rows), every step recorded written."""
        self.flush()
        return self._firm_th_by_step

    def record_day(
        self,
        i: int,
        mined: ChainStep,
        tip_before_s: float,
        th_running,
        active_th: float | None = None,
    ) -> None:
        """Keep the step's raw values and post its chain events; `flush` writes the rows.

        `active_th` is `th_running`'s sum when the caller has it already. Until written,
        the days kept read the daily constants, machine values and what only month ends
        change (firms alive, AI MW and lease index, construction) as they are now: a new
        `Industry.daily()` flushes first, and the model flushes before a month end changes
        anything else (`MiningModel.step`).
        """
        industry, chain, r = self.industry, self.chain, self.readings
        d = industry.daily()
        if d is not self._day_arrays:  # rows of the older constants are written with them
            self.flush()
            self._day_arrays = d
        if active_th is None:
            active_th = float(th_running.sum())
        for t in mined.retargets:
            self.events.add(
                "retarget",
                height=t.height,
                old_bits=t.old_bits,
                new_bits=t.new_bits,
                timespan_s=t.timespan_s,
                time_s=t.time_s,
            )
        if mined.blocks:
            last_before = mined.first_height - 1  # a new era may still pay the same (zero)
            if last_before // HALVING_INTERVAL != chain.height // HALVING_INTERVAL and (
                block_subsidy_sat(last_before) != block_subsidy_sat(chain.height)
            ):
                self.events.add("halving", height=chain.height)
            self._block_days.append((len(self._day_floats), tip_before_s, mined.timestamps))
        self.supply_sat += mined.subsidy_sat
        self._day_floats.append(
            (
                chain.difficulty,
                active_th,
                r.btc_price_usd,
                r.hashprice_usd_per_ph_day,
                r.policy_rate,
                chain.clock_s,
            )
        )
        self._day_ints.append(
            (
                chain.height,
                mined.blocks,
                len(mined.retargets),
                mined.subsidy_sat,
                mined.fees_sat,
                self.supply_sat,
            )
        )
        self._keep_th_row(len(self._day_floats) - 1, th_running)  # the caller reuses its array
        self._firm_th_rows.append(industry.firm_running_th)  # a new array every day
        if self.pools.moves_made != self._pool_moves_seen:  # a firm switched pool
            self._pool_members.append((i, self.pools.pool_of_firm.copy()))
            self._pool_moves_seen = self.pools.moves_made
        self.steps_done = i + 1

    def _keep_th_row(self, day: int, th_running: np.ndarray) -> None:
        """Copy the TH/s running of the `day`-th day kept into its row of `_th_rows`.

        The rows are reused from one flush to the next, doubled when the days outgrow
        them; a new width (new daily constants) comes with no day kept.
        """
        rows = self._th_rows
        if rows.shape[1] != len(th_running):
            assert day == 0, "new daily constants with days kept: flush first"
            self._th_rows = rows = np.empty((max(len(rows), 32), len(th_running)))
        elif day == len(rows):
            grown = np.empty((2 * day, len(th_running)))
            grown[:day] = rows
            self._th_rows = rows = grown
        rows[day] = th_running

    def flush(self) -> None:
        """Write the days kept since the last flush into the series, all at once.

        Every number is the one computing each day alone gives, bit for bit: element-wise
        operations on arrays of the days, and sums of each day's own terms (a row of a
        C-ordered array, or the day's block gaps alone, each in numpy's pairwise order).
        What only month ends change is read now, once for all the days (`record_day`).
        """
        days = len(self._day_floats)
        if not days:
            return
        first = self.steps_done - days
        steps = slice(first, self.steps_done)
        difficulty, active_th, btc_price, hashprice, policy_rate, clock_s = np.array(
            self._day_floats
        ).T
        height, blocks, retargets, subsidy_sat, fees_sat, supply_sat = np.array(
            self._day_ints, dtype=np.int64
        ).T
        d, hosting, construction = self._day_arrays, self.hosting, self.industry.construction
        nonminer = hosting.market.nonminer
        deployed_th, mothballed_th, scrapped_th = d.deployed_th, d.dormant_th, d.scrapped_th
        mean_gap, max_gap, over_1h, over_2h = self._gap_stats(days)
        curtailed_th = deployed_th - active_th  # economics or a shock keep them off
        floats = self._series.floats
        for row, values in enumerate(
            (
                difficulty,
                active_th / 1e6,  # hashrate_eh
                mean_gap,
                max_gap,
                btc_price,
                hashprice,
                policy_rate,
                subsidy_sat / COIN_SAT,
                fees_sat / COIN_SAT,
                active_th / 1e6,  # active_hashrate_eh
                curtailed_th / 1e6,
                mothballed_th / 1e6,
                (curtailed_th + mothballed_th) / 1e6,  # dormant_hashrate_eh
                scrapped_th / 1e6,
                None,  # mean_power_price_usd_per_mwh: when billed (`_fill_power_prices`)
                self.ai_mw_in_service,
                self.ai_mw_converting,
                hosting.market.lease_index_usd_per_kw_month,
                nonminer.delivered_mw,  # IT MW energized in the last month-end round
                nonminer.inventory_mw,
                nonminer.pipeline_mw,
                hosting.demand_mw,
                # sec.schedule_slip_s: elapsed - 600 s per block
                (clock_s - self.start_time_s)
                - sec.TARGET_BLOCK_INTERVAL_S * (height - self.start_height).astype(float),
                construction.mw_under_construction,
                construction.mw_energized,  # new sites, since the start
            )
        ):
            if values is not None:
                floats[row, steps] = values
        ints = self._series.ints
        alive = np.count_nonzero(self.industry.alive)
        for row, values in enumerate((height, blocks, retargets, over_1h, over_2h, alive)):
            ints[row, steps] = values
        self._flush_security_state(steps, active_th)
        self._state.columns["state_supply_btc"][steps] = supply_sat / COIN_SAT
        self._firm_th_by_step[steps] = self._firm_th_rows
        self._day_floats, self._day_ints, self._block_days = [], [], []
        self._firm_th_rows = []

    def _gap_stats(self, days: int) -> tuple[np.ndarray, ...]:
        """Per day kept: mean and max gap between blocks (NaN without blocks), gaps over 1 h, 2 h.

        A day's first gap is from the tip before it; the days' gaps are one array, each
        day's a slice of it.
        """
        mean_gap, max_gap = np.full(days, np.nan), np.full(days, np.nan)
        over_1h, over_2h = np.zeros(days, dtype=np.int64), np.zeros(days, dtype=np.int64)
        if not self._block_days:
            return mean_gap, max_gap, over_1h, over_2h
        rows, tips, times = zip(*self._block_days, strict=True)
        rows, lengths = np.array(rows), np.array([len(t) for t in times])
        starts = np.zeros(len(rows), dtype=np.int64)  # of each day's gaps in `gaps`
        np.cumsum(lengths[:-1], out=starts[1:])
        blocks = np.concatenate(times)
        gaps = np.empty(len(blocks))
        np.subtract(blocks[1:], blocks[:-1], out=gaps[1:])
        gaps[starts] = blocks[starts] - np.array(tips)  # a day's first gap: from its tip
        max_gap[rows] = np.maximum.reduceat(gaps, starts)  # the max is order-free
        ends = (starts + lengths).tolist()
        sums = [_sum(gaps[s:e]) for s, e in zip(starts.tolist(), ends, strict=True)]
        mean_gap[rows] = np.array(sums) / lengths  # what each day's gaps.mean() computes
        over_1h[rows] = np.add.reduceat(gaps > 3600, starts, dtype=np.int64)
        over_2h[rows] = np.add.reduceat(gaps > 7200, starts, dtype=np.int64)
        return mean_gap, max_gap, over_1h, over_2h

    def _flush_security_state(self, steps: slice, active_th: np.ndarray) -> None:
        """Write the raw state the security measures read after the run, of the days kept.

        The newest machines' price and J/TH are not state: `finish_metrics` looks them up.
        """
        d = self._day_arrays
        owned_off = d.owned_th - self._th_rows[: len(active_th)]  # mothballed, curtailed, off
        # sums of products, not dot products: BLAS would split a long vector over threads,
        # and the last bits would depend on the machine's thread count
        dormant_th = _sum(owned_off, axis=1)
        dormant_value_usd = _sum(owned_off * self.industry.machine_value_usd_per_th, axis=1)
        dormant_j_th = _sum(owned_off * d.j_per_th, axis=1)  # J/TH weighted by TH/s
        dormant_j_per_th = np.full(len(dormant_th), np.nan)
        np.divide(dormant_j_th, dormant_th, out=dormant_j_per_th, where=dormant_th > 0)
        floats = self._state.floats
        for row, values in enumerate((active_th, dormant_th, dormant_value_usd, dormant_j_per_th)):
            floats[row, steps] = values  # the first four STATE_COLUMNS

    def _pool_th_by_step(self, n: int) -> np.ndarray:
        """Hashrate per pool of each of the first `n` steps, each with that step's pools."""
        pool_th = np.empty((n, len(self.pools.names)))
        starts = [first for first, _ in self._pool_members] + [n]
        for (first, pool_of_firm), end in zip(self._pool_members, starts[1:], strict=True):
            firm_th = self.firm_th_by_step[first:end]
            pool_th[first:end] = pool_th_by_row(firm_th, pool_of_firm, pool_th.shape[1])
        return pool_th

    def _record_newest_machines(self, n: int) -> None:
        """The newest generation's list price and J/TH on each of the first `n` steps.

        Looked up after the run, for all steps at once, at each step's date and hashprice
        as recorded (the price `Industry.new_price_usd_per_th` quotes that day). Dormant
        J/TH is the newest generation's on steps with nothing dormant.
        """
        columns = self.state.columns
        price, j_per_th = columns["state_new_price_usd_per_th"], columns["state_new_j_per_th"]
        price[:n], j_per_th[:n] = self.industry.asic.newest_prices_usd_per_th(
            self.dates[:n], self.series.columns["hashprice_usd_per_ph_day"][:n]
        )
        dormant_j = columns["state_dormant_j_per_th"][:n]
        np.copyto(dormant_j, j_per_th[:n], where=~(columns["state_dormant_th"][:n] > 0))

    def _fill_power_prices(self) -> None:
        """Each day's mean power price, once its bills are settled (`Industry.days`)."""
        self.flush()  # writes no power price: the days' own stay as filled
        steps, prices = self.industry.mean_power_prices()
        self.series.columns["mean_power_price_usd_per_mwh"][steps] = prices

    def finish_metrics(self) -> None:
        """Compute the security columns of every step recorded (metrics read only)."""
        self._fill_power_prices()
        n = self.steps_done
        self._record_newest_machines(n)
        columns = {name: values[:n] for name, values in self.series.columns.items()}
        columns |= {name: values[:n] for name, values in self.state.columns.items()}
        measures = security_columns(
            columns, self.firm_th_by_step[:n], self._pool_th_by_step(n), self.dt_days
        )
        for name, values in measures.items():
            self.series.columns[name][:n] = values

    # --- monthly ----------------------------------------------------------------------
    def record_month(self, date: np.datetime64) -> None:
        """The panel's rows for the month just ended: one per firm, alive or not."""
        industry, h = self.industry, self.hosting
        n = len(self.firms)
        self._fill_power_prices()
        flows = industry.ledger.take_period()
        contracted, delivered = self._ai_mw_by_firm()
        alive = industry.alive.copy()
        assets = np.where(alive, industry.assets_by_firm(), 0.0)
        debt = industry.debt.principal_by_firm()
        self._count_ai_mw(contracted, delivered)
        revenue = flows["mining_revenue_usd"] + flows["ai_rent_usd"]
        net_worth = np.where(alive, assets - debt, 0.0)
        mw_by_mode = industry.site_mw_by_mode()
        mw_ai, mw_converting = mw_by_mode[Mode.AI_HOSTING], mw_by_mode[Mode.CONVERTING]
        indicators = industry.firm_indicators()
        leased = np.divide(
            mw_ai + mw_converting,
            indicators["site_mw"],
            out=np.zeros(n),
            where=indicators["site_mw"] > 0,
        )
        self.firm_months.append(
            {
                "date": np.full(n, date),
                "alive": alive,
                "hashrate_eh": industry.firm_running_th / 1e6,  # running on the last day
                "cash_usd": industry.ledger.cash_usd.copy(),
                "btc_held": industry.ledger.btc_sat / COIN_SAT,
                "debt_usd": debt,
                "net_worth_usd": net_worth,
                "shares_outstanding": self.capital.shares.copy(),  # 1.0 at the start
                "value_per_start_share_usd": self.capital.value_per_start_share_usd(net_worth),
                "leverage": np.where(alive & (assets > 0), debt / _positive(assets), np.nan),
                "mw_mining": mw_by_mode[Mode.MINING],
                "price_to_nav": self.capital.listed_multiples(leased),
                "mw_ai": mw_ai,
                "mw_converting": mw_converting,
                "ai_mw_contracted": contracted,
                "ai_mw_delivered": delivered,
                "ai_utilization": np.where(
                    contracted > 0, delivered / _positive(contracted), np.nan
                ),
                "ai_team": h.ai_team.copy(),
                "capex_to_debt": np.where(debt > 0, h.ai_book_usd / _positive(debt), np.nan),
                **flows,
                "ai_revenue_usd": flows["ai_rent_usd"],
                "ai_revenue_share": np.where(
                    revenue > 0, flows["ai_rent_usd"] / _positive(revenue), 0.0
                ),
                **indicators,
            }
        )

    def _ai_mw_by_firm(self) -> tuple[np.ndarray, np.ndarray]:
        """Per firm: AI MW under lease (converting or in service), and in service."""
        h = self.hosting
        return h.mw_by_firm((LeaseStatus.CONVERTING, LeaseStatus.IN_SERVICE)), h.mw_by_firm(
            (LeaseStatus.IN_SERVICE,)
        )

    def _count_ai_mw(self, contracted: np.ndarray, delivered: np.ndarray) -> None:
        """AI MW in service and converting, as the daily series reports them."""
        self.ai_mw_in_service = float(delivered.sum())
        self.ai_mw_converting = float((contracted - delivered).sum())

    # --- the run's tables -------------------------------------------------------------
    def batch_run_view(self) -> BatchRunView:
        """The recorded steps as `mesa.batch_run` reads them."""
        self._fill_power_prices()
        return BatchRunView(self.series, self.steps_done)

    def model_table(self) -> pd.DataFrame:
        """One row per step recorded so far."""
        self._fill_power_prices()
        return self.series.frame(self.dates, self.steps_done)

    def firm_table(self) -> pd.DataFrame:
        """One row per firm per month recorded so far, with each firm's class at the end."""
        months = self.firm_months
        if not months:
            return pd.DataFrame()
        n_months, (names, groups, listed) = len(months), zip(*self.firms, strict=True)
        fixed = {
            "firm_id": np.arange(len(self.firms)),
            "name": np.array(names, dtype=object),
            "group": np.array(groups, dtype=object),
            "listed": np.array(listed, dtype=bool),
        }
        columns = {"date": np.concatenate([m["date"] for m in months])}
        columns |= {name: np.tile(values, n_months) for name, values in fixed.items()}
        columns |= {name: np.concatenate([m[name] for m in months]) for name in months[0]}
        columns |= {
            f"start_{name}": np.tile(values, n_months)
            for name, values in self.start_attributes.items()
        }
        firms = pd.DataFrame(columns)
        firms["firm_class"] = firms["firm_id"].map(classify_firms(firms))
        return firms


def _positive(values: np.ndarray) -> np.ndarray:
    """`values` with entries <= 0 replaced by 1: a divisor where the quotient is masked."""
    return np.where(values > 0, values, 1.0)
