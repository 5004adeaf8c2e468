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
