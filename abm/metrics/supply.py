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
    columns = ["date", "hashrate_eh", "hashprice_usd_per_ph_day"]  # not the whole table
    monthly = model[columns].set_index("date").resample("MS").mean()
    with np.errstate(divide="ignore", invalid="ignore"):
        log_h = np.log(monthly["hashrate_eh"].to_numpy())
        log_p = np.log(monthly["hashprice_usd_per_ph_day"].to_numpy())
        growth, level = log_h[months:] - log_h[:-months], log_p[:-months]  # -inf - -inf: nan
    ok = np.isfinite(growth) & np.isfinite(level)
    if ok.sum() < 3 or np.ptp(level[ok]) == 0:
        return float("nan")
    return float(np.polyfit(level[ok], growth[ok], 1)[0])
