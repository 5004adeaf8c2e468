"""The run's event log: typed empty frame, rows dated by their step, free-form details."""

from __future__ import annotations

import numpy as np
import pandas as pd

from abm.events import EventLog

DATES = np.datetime64("2026-01-01") + np.arange(10)


def test_an_empty_log_has_the_column_types_of_a_filled_one():
    """An empty log's columns: `date` datetime64[s], `kind` strings, `firm_id` int64.

    They match a filled log's, so the logs of several runs concatenate without changing types.
    """
    frame = EventLog(lambda i: DATES[i]).frame()
    assert list(frame.columns) == ["date", "kind", "firm_id"]
    assert len(frame) == 0
    assert frame["date"].dtype == np.dtype("datetime64[s]")
    assert pd.api.types.is_string_dtype(frame["kind"])
    assert frame["firm_id"].dtype == np.int64
    filled = EventLog(lambda i: DATES[i])
    filled.add("scrap", 3)
    assert frame.dtypes.to_dict() == filled.frame().dtypes.to_dict()


def test_each_row_carries_the_date_of_the_step_it_was_added_at():
    log = EventLog(lambda i: DATES[i])
    for step, kind in [(0, "scrap"), (3, "auction"), (3, "scrap"), (9, "retarget")]:
        log.step = step
        log.add(kind, firm_id=2, th=1.5)
    frame = log.frame()
    assert frame["date"].tolist() == [pd.Timestamp(DATES[s]) for s in (0, 3, 3, 9)]
    assert frame["kind"].tolist() == ["scrap", "auction", "scrap", "retarget"]


def test_firm_id_defaults_to_minus_one_and_details_become_columns():
    log = EventLog(lambda i: DATES[i])
    log.add("retarget", height=932_000)
    log.add("scrap", 4, th=2.0)
    frame = log.frame()
    assert frame["firm_id"].tolist() == [-1, 4]
    assert frame["height"].iloc[0] == 932_000 and np.isnan(frame["height"].iloc[1])
    assert np.isnan(frame["th"].iloc[0]) and frame["th"].iloc[1] == 2.0


def test_a_runs_retarget_events_are_dated_on_the_steps_whose_blocks_crossed_them(short_stepped):
    """Three months of the baseline: the model table's `retargets` column and the events agree."""
    table, events = short_stepped.table, short_stepped.events
    retarget_dates = events.loc[events["kind"] == "retarget", "date"]
    expected = table.loc[table["retargets"] > 0, "date"].repeat(
        table.loc[table["retargets"] > 0, "retargets"]
    )
    assert len(retarget_dates) >= 5  # about 6 retargets in 90 days
    assert retarget_dates.tolist() == expected.tolist()
