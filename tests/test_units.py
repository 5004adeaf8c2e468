"""Calendar and unit constants, and `as_date` on every date type the package meets."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from abm import units
from abm.units import as_date


@pytest.mark.parametrize(
    "value",
    [
        dt.date(2026, 3, 31),
        dt.datetime(2026, 3, 31, 18, 45, 10),
        np.datetime64("2026-03-31"),
        np.datetime64("2026-03-31T18:45:10"),
        np.datetime64("2026-03-31T23:59:59.999999999", "ns"),
    ],
    ids=["date", "datetime", "datetime64[D]", "datetime64[s]", "datetime64[ns]"],
)
def test_as_date_gives_the_calendar_date_dropping_the_time_of_day(value):
    out = as_date(value)
    assert type(out) is dt.date
    assert out == dt.date(2026, 3, 31)


def test_days_per_month_is_a_twelfth_of_a_julian_year():
    assert units.DAYS_PER_YEAR == 365.25
    assert units.DAYS_PER_MONTH == 365.25 / 12 == 30.4375


def test_unit_constants():
    assert units.SECONDS_PER_DAY == 86_400
    assert units.HOURS_PER_DAY == 24.0
    assert units.TH_PER_PH == 1e3
    assert units.TH_PER_EH == 1e6
