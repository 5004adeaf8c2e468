"""What firms observe of the world on the current step, passed to them explicitly.

The model updates one `MarketReadings` as the step advances; agents, the industry and the
AI hosting round read it instead of reaching into the model.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from abm.chain.consensus import HALVING_INTERVAL, TARGET_SPACING_S
from abm.units import DAYS_PER_YEAR, SECONDS_PER_DAY


@dataclasses.dataclass
class MarketReadings:
    """Today's clock, prices and chain tip as firms see them."""

    dt_days: int
    step_index: int
    date: np.datetime64
    height: int
    policy_rate: float  # the path's rate today (what the series reports)
    btc_price_usd: float
    discount_policy_rate: float = float("nan")  # the rate firms discount projects over
    debt_policy_rate: float = float("nan")  # the rate floating and refinanced debt pays over
    hashprice_usd_per_ph_day: float = float("nan")
    hashprice_expectation_usd_per_ph_day: float = float("nan")

    def set_policy_rate(self, rate: float, start_rate: float, macro) -> None:
        """Today's rate, and what each channel sees of it (`macro`: the MacroParams).

        A channel switched off sees `start_rate` (the rate in force at the start), so a
        path's effect through the other channels can be measured alone.
        """
        self.policy_rate = rate
        self.discount_policy_rate = rate if macro.rate_moves_discount else start_rate
        self.debt_policy_rate = rate if macro.rate_moves_debt_cost else start_rate

    def steps_in_years(self, years: float) -> int:
        """Number of steps in `years` years (at least one)."""
        return max(int(years * DAYS_PER_YEAR) // self.dt_days, 1)

    def years_to_halving(self) -> float:
        """Expected years to the next halving at 600 s per block."""
        blocks = HALVING_INTERVAL - self.height % HALVING_INTERVAL
        return blocks * TARGET_SPACING_S / (DAYS_PER_YEAR * SECONDS_PER_DAY)
