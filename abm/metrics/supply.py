"""How hash supply answers hashprice: the hash-supply elasticity of a run, and new capacity.

The elasticity is read from a run's monthly series: the OLS slope of the log change of
the monthly mean hashrate over the next `months` months on the log of the month's mean
hashprice. Capacity that answers margins pushes the slope up (high hashprice, then
growth); the reverse link (hashprice is high because hashrate fell) and the halving push it
down, so the series slope mixes both: docs/MODEL.md reports it next to a paired-run measure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def hash_supply_elasticity(model: pd.DataFrame, months: int = 12) -> float:
    """Log change of hashrate over `months` months per log hashprice (daily model table).

    NaN when fewer than three months have a value `months` months ahead, or when the
    hashprice never varies.
    """
    if model.empty:
        return float("nan")
    monthly = monthly_means(model, ["hashrate_eh", "hashprice_usd_per_ph_day"])
    with np.errstate(divide="ignore", invalid="ignore"):
        log_h = np.log(monthly["hashrate_eh"])
        log_p = np.log(monthly["hashprice_usd_per_ph_day"])
        growth, level = log_h[months:] - log_h[:-months], log_p[:-months]  # -inf - -inf: nan
    ok = np.isfinite(growth) & np.isfinite(level)
    if ok.sum() < 3 or np.ptp(level[ok]) == 0:
        return float("nan")
    return float(np.polyfit(level[ok], growth[ok], 1)[0])


def monthly_means(table: pd.DataFrame, columns: list[str]) -> dict[str, np.ndarray]:
    """Calendar-month means of `columns` of a table with sorted dates, one row a month.

    Every month from the first date's to the last's, NaN where a month has no row: the
    numbers of `table.set_index("date")[columns].resample("MS").mean()` (the same
    grouped mean over the same rows), without the cost of resampling a time index.
    """
    months = table["date"].to_numpy().astype("datetime64[M]").astype(np.int64)
    month = months - months[0]
    frame = pd.DataFrame({name: table[name].to_numpy() for name in columns})
    means = frame.groupby(month).mean().reindex(np.arange(month[-1] + 1))
    return {name: means[name].to_numpy() for name in columns}
