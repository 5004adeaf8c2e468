"""The recorder: preallocated daily series, the view `mesa.batch_run` reads, the firm panel."""

from __future__ import annotations

import numpy as np
import pandas as pd

from abm.metrics.bifurcation import CLASSES
from abm.model import MiningModel
from abm.recorder import BatchRunView, ModelSeries

DATES = np.datetime64("2026-01-01") + np.arange(5)


def test_model_series_preallocates_nan_floats_and_zero_int64_counts():
    series = ModelSeries(5, ("hashrate_eh", "difficulty"), ("blocks",))
    assert set(series.columns) == {"hashrate_eh", "difficulty", "blocks"}
    assert all(len(values) == 5 for values in series.columns.values())
    assert np.isnan(series.columns["hashrate_eh"]).all()
    assert series.columns["blocks"].dtype == np.int64
    assert (series.columns["blocks"] == 0).all()


def test_model_series_frame_holds_the_steps_done_with_date_and_step_first():
    series = ModelSeries(5, ("hashrate_eh",), ("blocks",))
    series.columns["hashrate_eh"][:2] = [1000.0, 990.0]  # step 2's hashrate stays NaN
    series.columns["blocks"][:3] = [140, 151, 139]
    frame = series.frame(DATES, 3)
    assert list(frame.columns) == ["date", "step", "hashrate_eh", "blocks"]
    assert frame["step"].tolist() == [0, 1, 2]
    assert frame["date"].tolist() == [pd.Timestamp(d) for d in DATES[:3]]
    assert frame["blocks"].tolist() == [140, 151, 139]
    assert frame["hashrate_eh"].iloc[:2].tolist() == [1000.0, 990.0]
    assert np.isnan(frame["hashrate_eh"].iloc[2])


def test_batch_run_view_serves_the_reported_columns_of_the_steps_done(short_model):
    """After 10 of 90 steps, mesa's batch runner sees 10 values of each column."""
    for _ in range(10):
        short_model.step()
    view = short_model.recorder.batch_run_view()
    assert set(view.model_vars) == set(BatchRunView.REPORTED)
    table = short_model.model_table()
    assert len(table) == 10
    for name, values in view.model_vars.items():
        assert values == table[name].tolist(), name


def test_batch_run_view_of_a_finished_run_has_one_value_per_step(short_stepped):
    model = short_stepped.model
    view = model.datacollector
    assert model.n_steps == 90
    assert {len(values) for values in view.model_vars.values()} == {90}


def test_firm_table_has_one_row_per_firm_per_month_with_its_class(short_stepped):
    """Three months (Jan, Feb, Mar 2026) of the scenario's firms, one row per (firm, month)."""
    firms = short_stepped.firms
    n_firms = len(short_stepped.model.miners)
    population = short_stepped.model.params.population
    assert n_firms == len(population.firms) + sum(group.count for group in population.groups)
    assert len(firms) == 3 * n_firms
    assert not firms.duplicated(["firm_id", "date"]).any()
    assert firms.groupby("date")["firm_id"].nunique().tolist() == [n_firms] * 3
    assert firms["firm_class"].isin(CLASSES).all()
    assert (firms.groupby("firm_id")["firm_class"].nunique() == 1).all()  # the class at the end


def test_firm_table_is_empty_before_the_first_month_end(short_model):
    for _ in range(5):
        short_model.step()
    assert len(short_model.firm_table()) == 0


def test_newest_machines_looked_up_after_the_run_are_what_the_industry_quoted_each_day():
    """List price and J/TH of the newest generation, across a release (S23, 2026-04-01)."""
    model = MiningModel("baseline_2026", seed=1, **{"run.end_date": "2026-04-15"})
    industry, quoted = model.industry, []
    while model.running:
        model.step()
        _, newest = industry.newest_generation()
        quoted.append((industry.new_price_usd_per_th(newest), newest.j_per_th))
    state = model.recorder.state.columns
    price, j_per_th = np.array(quoted).T
    assert len(set(j_per_th)) == 2  # the newest generation changed during the run
    assert (state["state_new_price_usd_per_th"] == price).all()
    assert (state["state_new_j_per_th"] == j_per_th).all()


class EagerDays:
    """The recorder's daily numbers computed on the day itself, from the state as it is."""

    def __init__(self, model: MiningModel):
        self.model, self.rows = model, []
        record_day = model.recorder.record_day

        def record_and_compute(i, mined, tip_before_s, th_running, active_th=None):
            record_day(i, mined, tip_before_s, th_running, active_th)
            self.rows.append(self.compute(mined, tip_before_s, th_running))

        model.recorder.record_day = record_and_compute

    def compute(self, mined, tip_before_s: float, th_running: np.ndarray) -> dict[str, float]:
        industry, chain = self.model.industry, self.model.chain
        recorder, hosting = self.model.recorder, self.model.hosting
        nonminer = hosting.market.nonminer
        d = industry.daily()
        owned_off = d.owned_th - th_running
        dormant_th = float(np.add.reduce(owned_off))
        gaps = np.diff(np.concatenate(([tip_before_s], mined.timestamps)))
        active_th = float(np.add.reduce(th_running))
        return {
            "hashrate_eh": active_th / 1e6,
            "dormant_hashrate_eh": ((d.deployed_th - active_th) + d.dormant_th) / 1e6,
            "mean_block_interval_s": float(gaps.mean()) if mined.blocks else np.nan,
            "max_block_interval_s": float(gaps.max()) if mined.blocks else np.nan,
            "gaps_over_1h": int((gaps > 3600).sum()),
            "gaps_over_2h": int((gaps > 7200).sum()),
            "height": chain.height,
            "state_dormant_th": dormant_th,
            "state_dormant_value_usd": float(
                np.add.reduce(owned_off * industry.machine_value_usd_per_th)
            ),
            "state_dormant_j_per_th": (
                float(np.add.reduce(owned_off * d.j_per_th)) / dormant_th
                if dormant_th > 0
                else np.nan
            ),
            "firm_th": industry.firm_running_th.copy(),
            # what only month ends change, read on the day
            "firms_alive": int(industry.alive.sum()),
            "mothballed_hashrate_eh": d.dormant_th / 1e6,
            "scrapped_hashrate_eh": d.scrapped_th / 1e6,
            "ai_mw_in_service": recorder.ai_mw_in_service,
            "ai_mw_converting": recorder.ai_mw_converting,
            "lease_index_usd_per_kw_month": hosting.market.lease_index_usd_per_kw_month,
            "nonminer_delivered_mw": nonminer.delivered_mw,
            "nonminer_inventory_mw": nonminer.inventory_mw,
            "nonminer_pipeline_mw": nonminer.pipeline_mw,
            "ai_demand_mw": hosting.demand_mw,
            "mw_under_construction": industry.construction.mw_under_construction,
            "mw_energized": industry.construction.mw_energized,
        }


def test_days_written_at_once_equal_each_day_computed_on_its_day():
    """Days kept and written later hold what each day computes alone, bit for bit.

    A mass exodus over four month ends: machines revalued, mothballed and scrapped.
    """
    model = MiningModel("mass_exodus", seed=2, **{"run.end_date": "2026-04-30"})
    eager = EagerDays(model)
    while model.running:
        model.step()
    recorder = model.recorder
    columns = recorder.series.columns | recorder.state.columns
    for name in eager.rows[0]:
        if name == "firm_th":
            continue
        expected = np.array([row[name] for row in eager.rows])
        np.testing.assert_array_equal(columns[name], expected, err_msg=name)
    firm_th = np.array([row["firm_th"] for row in eager.rows])
    np.testing.assert_array_equal(recorder.firm_th_by_step, firm_th)
    assert (columns["state_dormant_th"] > 0).all()  # the machine values count every day
    assert (columns["gaps_over_1h"] > 0).any()


def test_days_kept_past_the_rows_at_hand_are_written_as_computed_on_their_day():
    """70 days kept without a flush (no month ends) grow the rows of TH/s running twice."""
    model = MiningModel("baseline_2026", seed=1, **{"run.end_date": "2026-03-31"})
    model.month_ends = {}
    eager = EagerDays(model)
    for _ in range(70):
        model.step()
    assert len(model.recorder._day_floats) == 70  # nothing written yet
    state = model.recorder.state.columns
    for name in ("state_dormant_th", "state_dormant_value_usd", "state_dormant_j_per_th"):
        expected = np.array([row[name] for row in eager.rows])
        np.testing.assert_array_equal(state[name][:70], expected, err_msg=name)


MONTH_END_COLUMNS = (  # what only month ends change: read when the days are written
    "firms_alive",
    "mothballed_hashrate_eh",
    "scrapped_hashrate_eh",
    "ai_mw_in_service",
    "ai_mw_converting",
    "lease_index_usd_per_kw_month",
    "nonminer_delivered_mw",
    "nonminer_inventory_mw",
    "nonminer_pipeline_mw",
    "ai_demand_mw",
    "mw_under_construction",
    "mw_energized",
)


def test_days_written_at_once_read_what_month_ends_changed_on_each_day():
    """What month ends change, read once for the days written, is each day's own.

    Firms alive, AI MW, lease index and the rest, over a crash with bankruptcies and AI
    leases across 18 month ends.
    """
    model = MiningModel("btc_crash", seed=1, **{"run.end_date": "2027-06-30"})
    eager = EagerDays(model)
    while model.running:
        model.step()
    columns = model.recorder.series.columns
    for name in MONTH_END_COLUMNS:
        expected = np.array([row[name] for row in eager.rows])
        np.testing.assert_array_equal(columns[name], expected, err_msg=name)
    changed = {name for name in MONTH_END_COLUMNS if len(set(columns[name])) > 1}
    assert {"firms_alive", "ai_mw_in_service", "lease_index_usd_per_kw_month"} <= changed


def test_tables_read_mid_run_see_every_day_recorded(short_model):
    """The series read after each step has its row; the rows equal a run read at its end."""
    for i in range(40):
        short_model.step()
        assert short_model.recorder.series.columns["height"][i] == short_model.chain.height
        assert len(short_model.model_table()) == i + 1
    while short_model.running:
        short_model.step()
    read_at_end = MiningModel("baseline_2026", seed=1, **{"run.end_date": "2026-03-31"})
    while read_at_end.running:
        read_at_end.step()
    pd.testing.assert_frame_equal(short_model.model_table(), read_at_end.model_table())
