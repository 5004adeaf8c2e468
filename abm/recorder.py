"""Run outputs recorded as they happen: the daily model series and the monthly firm panel.

The model series is preallocated (one numpy array per column, one row per step) so that
recording costs no Python allocation on the daily hot path. `Recorder` reads the run's
state (it never changes it) and owns every table a run returns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from abm.agents.fleet import MachineState, Mode
from abm.agents.leasing import LeaseStatus
from abm.chain import COIN_SAT, block_subsidy_sat, subsidy_sum_sat
from abm.events import EventLog
from abm.metrics import security as sec
from abm.metrics.bifurcation import classify_firms
from abm.metrics.snapshot import SECURITY_COLUMNS, STATE_COLUMNS, security_columns

if TYPE_CHECKING:
    from abm.agents.hosting import AiHosting
    from abm.agents.industry import Industry
    from abm.chain import Chain, ChainStep
    from abm.markets.readings import MarketReadings
    from abm.network.pools import PoolNetwork

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


class ModelSeries:
    """Preallocated per-step columns; `row(i)[name] = value` style writes via `set`."""

    def __init__(self, n_steps: int, float_columns: tuple[str, ...], int_columns: tuple[str, ...]):
        self.n_steps = n_steps
        self.columns = {name: np.full(n_steps, np.nan) for name in float_columns}
        self.columns.update({name: np.zeros(n_steps, dtype=np.int64) for name in int_columns})

    def set(self, i: int, **values: float) -> None:
        """Write the values of step `i`."""
        for name, value in values.items():
            self.columns[name][i] = value

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
        industry, hosting, chain, pools, readings: the state it reads.
        firms: (name, group, listed) of every firm, in index order.
        start_attributes: per-firm arrays of attributes at the start, copied into the panel.
        events: the run's event log.
    """

    def __init__(
        self,
        dates: np.ndarray,
        dt_days: int,
        industry: Industry,
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
        self.readings, self.firms, self.events = readings, firms, events
        self.start_attributes = start_attributes
        self.start_time_s, self.start_height = chain.time_s, chain.height
        self.series = ModelSeries(n_steps, MODEL_FLOAT_COLUMNS, MODEL_INT_COLUMNS)
        self.state = ModelSeries(n_steps, STATE_COLUMNS, ())
        self.firm_th_by_step = np.zeros((n_steps, len(firms)))
        self.pool_th_by_step = np.zeros((n_steps, len(pools.names)))
        self.firm_rows: list[dict] = []
        self._count_ai_mw()  # leases signed before the start count from day 0
        self.steps_done = 0

    # --- daily ------------------------------------------------------------------------
    def record_day(self, i: int, mined: ChainStep, tip_before_s: float, th_running) -> None:
        """The step's chain events and series row, and the raw state security reads."""
        industry, chain, r = self.industry, self.chain, self.readings
        f = industry.fleet
        th = f.th
        active_th = float(th_running.sum())
        deployed_th = float(th[f.state == MachineState.DEPLOYED].sum())
        curtailed = deployed_th - active_th  # economics or a shock keep them off
        mothballed = float(th[f.state == MachineState.DORMANT].sum())
        if mined.blocks:
            gaps = np.diff(mined.timestamps, prepend=tip_before_s)
            mean_gap, max_gap = float(gaps.mean()), float(gaps.max())
            over_1h, over_2h = int((gaps > 3600).sum()), int((gaps > 7200).sum())
        else:
            mean_gap = max_gap = np.nan
            over_1h = over_2h = 0
        for t in mined.retargets:
            self.events.add(
                "retarget",
                height=t.height,
                old_bits=t.old_bits,
                new_bits=t.new_bits,
                timespan_s=t.timespan_s,
                time_s=t.time_s,
            )
        if mined.blocks and block_subsidy_sat(mined.first_height - 1) != block_subsidy_sat(
            chain.height
        ):
            self.events.add("halving", height=chain.height)
        self.series.set(
            i,
            height=chain.height,
            difficulty=chain.difficulty,
            hashrate_eh=active_th / 1e6,
            blocks=mined.blocks,
            retargets=len(mined.retargets),
            mean_block_interval_s=mean_gap,
            max_block_interval_s=max_gap,
            gaps_over_1h=over_1h,
            gaps_over_2h=over_2h,
            btc_price_usd=r.btc_price_usd,
            hashprice_usd_per_ph_day=r.hashprice_usd_per_ph_day,
            policy_rate=r.policy_rate,
            subsidy_btc=mined.subsidy_sat / COIN_SAT,
            fees_btc=mined.fees_sat / COIN_SAT,
            active_hashrate_eh=active_th / 1e6,
            curtailed_hashrate_eh=curtailed / 1e6,
            mothballed_hashrate_eh=mothballed / 1e6,
            dormant_hashrate_eh=(curtailed + mothballed) / 1e6,
            scrapped_hashrate_eh=float(th[f.state == MachineState.SCRAPPED].sum()) / 1e6,
            mean_power_price_usd_per_mwh=industry.mean_power_price_usd_per_mwh,
            ai_mw_in_service=self.ai_mw_in_service,
            ai_mw_converting=self.ai_mw_converting,
            lease_index_usd_per_kw_month=self.hosting.market.lease_index_usd_per_kw_month,
            ai_demand_mw=self.hosting.demand_mw,
            firms_alive=int(industry.alive.sum()),
        )
        self._record_security_state(i, th_running)
        self.steps_done = i + 1

    def _record_security_state(self, i: int, th_running: np.ndarray) -> None:
        """Store the raw state the security measures read after the run."""
        industry, chain = self.industry, self.chain
        f = industry.fleet
        owned_off = np.where(f.state == MachineState.SCRAPPED, 0.0, f.th) - th_running
        dormant_th = float(owned_off.sum())  # mothballed, curtailed or forced off
        _, newest = industry.newest_generation()
        self.state.set(
            i,
            state_active_th=float(th_running.sum()),
            state_dormant_th=dormant_th,
            state_dormant_value_usd=float(owned_off @ industry.machine_value_usd_per_th),
            state_dormant_j_per_th=float(owned_off @ f.j_per_th) / dormant_th
            if dormant_th > 0
            else newest.j_per_th,
            state_new_price_usd_per_th=industry.new_price_usd_per_th(newest),
            state_new_j_per_th=newest.j_per_th,
            state_supply_btc=subsidy_sum_sat(0, chain.height) / COIN_SAT,
        )
        self.series.set(
            i,
            schedule_slip_s=float(
                sec.schedule_slip_s(
                    chain.clock_s - self.start_time_s, chain.height - self.start_height
                )
            ),
        )
        self.firm_th_by_step[i] = industry.firm_running_th
        self.pool_th_by_step[i] = self.pools.pool_th(industry.firm_running_th)

    def finish_metrics(self) -> None:
        """Compute the security columns of every step recorded (metrics read only)."""
        n = self.steps_done
        columns = {name: values[:n] for name, values in self.series.columns.items()}
        columns |= {name: values[:n] for name, values in self.state.columns.items()}
        measures = security_columns(
            columns, self.firm_th_by_step[:n], self.pool_th_by_step[:n], self.dt_days
        )
        for name, values in measures.items():
            self.series.columns[name][:n] = values

    # --- monthly ----------------------------------------------------------------------
    def record_month(self, date: np.datetime64) -> None:
        """One panel row per firm (alive or not) for the month just ended."""
        industry, h = self.industry, self.hosting
        flows = industry.ledger.take_period()
        mw_mining = industry.site_mw_by_firm(Mode.MINING)
        mw_ai = industry.site_mw_by_firm(Mode.AI_HOSTING)
        mw_converting = industry.site_mw_by_firm(Mode.CONVERTING)
        contracted = h.mw_by_firm((LeaseStatus.CONVERTING, LeaseStatus.IN_SERVICE))
        delivered = h.mw_by_firm((LeaseStatus.IN_SERVICE,))
        indicators = industry.firm_indicators()
        alive = industry.alive
        assets = [industry.assets_usd(i) if alive[i] else 0.0 for i in range(len(self.firms))]
        self._count_ai_mw()
        for i, (name, group, listed) in enumerate(self.firms):
            debt = industry.debt.principal_usd(i)
            row = {
                "date": date,
                "firm_id": i,
                "name": name,
                "group": group,
                "listed": listed,
                "alive": bool(alive[i]),
                "hashrate_eh": industry.firm_running_th[i] / 1e6,  # running on the last day
                "cash_usd": float(industry.ledger.cash_usd[i]),
                "btc_held": industry.ledger.btc_sat[i] / COIN_SAT,
                "debt_usd": debt,
                "net_worth_usd": assets[i] - debt if alive[i] else 0.0,
                "leverage": debt / assets[i] if alive[i] and assets[i] > 0 else np.nan,
                "mw_mining": float(mw_mining[i]),
                "mw_ai": float(mw_ai[i]),
                "mw_converting": float(mw_converting[i]),
                "ai_mw_contracted": float(contracted[i]),
                "ai_mw_delivered": float(delivered[i]),
                "ai_utilization": delivered[i] / contracted[i] if contracted[i] > 0 else np.nan,
                "ai_team": bool(h.ai_team[i]),
                "capex_to_debt": h.ai_book_usd[i] / debt if debt > 0 else np.nan,
            }
            row.update({name: values[i] for name, values in flows.items()})
            revenue = row["mining_revenue_usd"] + row["ai_rent_usd"]
            row["ai_revenue_usd"] = row["ai_rent_usd"]
            row["ai_revenue_share"] = row["ai_rent_usd"] / revenue if revenue > 0 else 0.0
            row.update({name: values[i] for name, values in indicators.items()})
            row.update({f"start_{k}": v[i] for k, v in self.start_attributes.items()})
            self.firm_rows.append(row)

    def _count_ai_mw(self) -> None:
        """AI MW in service and converting, as the daily series reports them."""
        contracted = self.hosting.mw_by_firm((LeaseStatus.CONVERTING, LeaseStatus.IN_SERVICE))
        delivered = self.hosting.mw_by_firm((LeaseStatus.IN_SERVICE,))
        self.ai_mw_in_service = float(delivered.sum())
        self.ai_mw_converting = float((contracted - delivered).sum())

    # --- the run's tables -------------------------------------------------------------
    def batch_run_view(self) -> BatchRunView:
        """The recorded steps as `mesa.batch_run` reads them."""
        return BatchRunView(self.series, self.steps_done)

    def model_table(self) -> pd.DataFrame:
        """One row per step recorded so far."""
        return self.series.frame(self.dates, self.steps_done)

    def firm_table(self) -> pd.DataFrame:
        """One row per firm per month recorded so far, with each firm's class at the end."""
        firms = pd.DataFrame(self.firm_rows)
        if len(firms):
            firms["firm_class"] = firms["firm_id"].map(classify_firms(firms))
        return firms
