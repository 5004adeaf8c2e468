"""Calendar and unit constants, one definition each for the whole package."""

import datetime as dt

import numpy as np

SECONDS_PER_DAY = 86_400
HOURS_PER_DAY = 24.0
DAYS_PER_YEAR = 365.25  # calendar days per year, to turn step lengths into years
DAYS_PER_MONTH = DAYS_PER_YEAR / 12
TH_PER_PH = 1000.0
TH_PER_EH = 1e6


def as_date(date: dt.date | np.datetime64) -> dt.date:
    """A calendar date from a `datetime.date`, a `datetime.datetime` or a numpy datetime64."""
    if isinstance(date, np.datetime64):
        return date.astype("datetime64[D]").astype(dt.date)
    if isinstance(date, dt.datetime):
        return date.date()
    return date
