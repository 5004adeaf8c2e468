"""The ASIC hardware market: generations, list prices and a value-based secondary price.

Generations carry a release date, an efficiency (J/TH) and a list price per TH.

A machine's secondary price is what its remaining useful life is worth to a buyer: the
margin per TH (hashprice minus power cost), with hashprice expected to fall at a constant
rate, earned while positive (the owner switches off once it is not) and discounted, over
the life left; floored at a salvage value (resale to near-free power, parts).

With h = hashprice per TH-year, c = power cost per TH-year, g the hashprice decline rate,
r the discount rate and L the life left, the machine runs until T = min(L, ln(h / c) / g)
and is worth h (1 - exp(-(g + r) T)) / (g + r) - c (1 - exp(-r T)) / r.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np

from abm.markets.economics import power_cost_usd_per_th_day
from abm.params import names_problem, param
from abm.units import DAYS_PER_YEAR, TH_PER_PH, as_date


@dataclasses.dataclass(frozen=True)
class AsicGeneration:
    """One ASIC generation (a class of machines of similar efficiency)."""

    name: str = param(doc="generation name, e.g. 'S21 XP'")
    release_date: dt.date = param(doc="first volume deliveries; buyable new from this date")
    j_per_th: float = param(lo=0.0, lo_open=True, hi=200.0, doc="efficiency, J/TH")
    new_price_usd_per_th: float = param(
        lo=0.0,
        lo_open=True,
        hi=1000.0,
        doc="list price at release when hashprice equals the reference hashprice, USD/TH",
    )


# Release dates are first volume deliveries. List prices are normalized to the reference
# hashprice (35 USD/PH/day); assumption: set near a new machine's value (secondary-price
# model) to a listed miner paying 35 USD/MWh, so that the models sold new at the start of
# 2026 list at about 9-14 USD/TH (DESIGN.md section 9: new 7-15).
DEFAULT_GENERATIONS = (
    AsicGeneration("S19j Pro", dt.date(2021, 6, 1), 29.5, 10.0),  # Bitmain spec 29.5 J/TH
    AsicGeneration("S19 XP", dt.date(2022, 7, 1), 21.5, 11.0),  # Bitmain spec 21.5 J/TH
    AsicGeneration("S21", dt.date(2024, 1, 1), 17.5, 12.0),  # Bitmain spec 17.5 J/TH
    AsicGeneration("S21 Pro", dt.date(2024, 7, 1), 15.0, 14.0),  # Bitmain spec 15 J/TH
    AsicGeneration("S21 XP", dt.date(2025, 1, 1), 13.5, 16.0),  # Bitmain spec 13.5 J/TH
    # S23-class, announced Oct 2025; volume deliveries during 2026 (date: assumption)
    AsicGeneration("S23", dt.date(2026, 4, 1), 9.7, 16.0),
    # assumption: the next generation, about 25 % more efficient per year as in 2021-2026
    AsicGeneration("next_2027", dt.date(2027, 10, 1), 7.0, 18.0),
)


@dataclasses.dataclass(frozen=True)
class AsicMarketParams:
    """Generation table, useful life, new-price and secondary-price models."""

    generations: tuple[AsicGeneration, ...] = param(
        DEFAULT_GENERATIONS, doc="ASIC generations; names unique"
    )
    # DESIGN.md section 9: 3 (2-5) years
    useful_life_years: float = param(
        3.0, lo=0.5, hi=10.0, doc="life of a machine from deployment, years"
    )
    # DESIGN.md section 9: hashprice at the start of 2026, 35 (28-45) USD/PH/day
    reference_hashprice_usd_per_ph_day: float = param(
        35.0,
        lo=0.0,
        lo_open=True,
        hi=10_000.0,
        doc="hashprice at which generations' list prices are stated, USD/PH/day",
    )
    # assumption: list prices follow hashprice less than one for one (manufacturers smooth)
    new_price_hashprice_elasticity: float = param(
        0.8, lo=0.0, hi=2.0, doc="elasticity of a list price to hashprice"
    )
    # assumption: a model's list price falls as newer models arrive
    new_price_decline_per_year: float = param(
        0.15, lo=0.0, hi=2.0, doc="continuous decline of a list price after release, per year"
    )
    # DESIGN.md section 9: old (about 30 J/TH) machines trade near 3 USD/TH
    scrap_value_usd_per_th: float = param(
        3.0,
        lo=0.0,
        hi=100.0,
        doc="floor of the secondary price (salvage: near-free-power buyers, parts), USD/TH",
    )
    # assumption: difficulty growth outpaces the price by about 25 % per year (2022-25)
    hashprice_decline_per_year: float = param(
        0.25,
        lo=0.0,
        hi=3.0,
        doc="continuous rate at which buyers expect hashprice to fall, per year",
    )
    # assumption: a buyer's required return on a short-lived, volatile asset
    discount_rate_per_year: float = param(
        0.10, lo=0.0, hi=2.0, doc="buyers' continuous discount rate, per year"
    )

    def check(self) -> str | None:
        """Generation names must be unique and the table non-empty."""
        return names_problem("generations", "generation", [g.name for g in self.generations])


def _annuity_years(rate: float, years: np.ndarray) -> np.ndarray:
    """Integral of exp(-rate t) from 0 to `years`."""
    if rate == 0.0:
        return years
    return -np.expm1(-rate * years) / rate


class AsicMarket:
    """ASIC generations on sale and the prices of new and used machines."""

    def __init__(self, params: AsicMarketParams) -> None:
        problem = params.check()
        if problem:
            raise ValueError(problem)
        self.params = params
        self.generations = tuple(sorted(params.generations, key=lambda g: g.release_date))
        self._release_days = np.array([g.release_date for g in self.generations], "datetime64[D]")
        self._decline: dict[tuple, float] = {}  # (generation, date) -> exp(-decline * years)
        self._release_day_number: dict[AsicGeneration, int] = {}  # days since 1970-01-01

    def generations_available(self, date: dt.date | np.datetime64) -> list[AsicGeneration]:
        """Generations released on or before `date`, oldest first."""
        released = np.searchsorted(self._release_days, np.datetime64(date, "D"), side="right")
        return list(self.generations[:released])

    def newest(self, date: dt.date | np.datetime64) -> AsicGeneration:
        """The most recently released generation on `date`.

        Raises:
            ValueError: if no generation is released by `date`.
        """
        available = self.generations_available(date)
        if not available:
            raise ValueError(f"no ASIC generation is released on or before {as_date(date)}")
        return available[-1]

    def new_price_usd_per_th(
        self,
        generation: AsicGeneration,
        date: dt.date | np.datetime64,
        hashprice_usd_per_ph_day: float,
    ) -> float:
        """List price (USD/TH) of a new machine of `generation` on `date`.

        new_price * (hashprice / reference)^elasticity * exp(-decline * years since release).

        Raises:
            ValueError: if the generation is not released by `date`.
        """
        p = self.params
        key = (generation.name, date)
        decline = self._decline.get(key)
        if decline is None:  # once per generation and date: the model asks every day
            days = self._days_since_release(generation, date)
            if days < 0:
                raise ValueError(
                    f"{generation.name} is released on {generation.release_date}, "
                    f"not by {as_date(date)}"
                )
            years = days / DAYS_PER_YEAR
            decline = self._decline[key] = np.exp(-p.new_price_decline_per_year * years)
        ratio = hashprice_usd_per_ph_day / p.reference_hashprice_usd_per_ph_day
        return float(
            generation.new_price_usd_per_th * ratio**p.new_price_hashprice_elasticity * decline
        )

    def newest_prices_usd_per_th(
        self, days: np.ndarray, hashprices_usd_per_ph_day: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per day of `days` (datetime64[D]): the newest generation's list price and J/TH.

        The price is USD/TH at the day's hashprice. All days at once, each price
        `new_price_usd_per_th`'s of that generation, date and hashprice, bit for
        bit: the same operations on arrays, the hashprice ratio's power in Python floats as
        the scalar computes it (numpy's power may round the last bit otherwise).
        """
        p = self.params
        released = np.searchsorted(self._release_days, days, side="right")  # generations out
        if len(days) and released.min() == 0:
            first = as_date(days[np.argmin(released)])
            raise ValueError(f"no ASIC generation is released on or before {first}")
        ratios = (
            np.asarray(hashprices_usd_per_ph_day) / p.reference_hashprice_usd_per_ph_day
        ).tolist()
        ratio_power = np.array([ratio**p.new_price_hashprice_elasticity for ratio in ratios])
        price, j_per_th = np.empty(len(days)), np.empty(len(days))
        for k in np.unique(released).tolist():
            generation, on = self.generations[k - 1], released == k
            days_since = days[on].astype("datetime64[D]").astype(np.int64) - self._release_day(
                generation
            )
            decline = np.exp(-p.new_price_decline_per_year * (days_since / DAYS_PER_YEAR))
            price[on] = generation.new_price_usd_per_th * ratio_power[on] * decline
            j_per_th[on] = generation.j_per_th
        return price, j_per_th

    def _days_since_release(self, generation: AsicGeneration, date) -> int:
        """Whole days from `generation`'s release to `date`, as the dates give it."""
        if not isinstance(date, np.datetime64):
            return (as_date(date) - generation.release_date).days
        return int(np.datetime64(date, "D").astype(np.int64)) - self._release_day(generation)

    def _release_day(self, generation: AsicGeneration) -> int:
        """`generation`'s release date in days since 1970-01-01."""
        released = self._release_day_number.get(generation)
        if released is None:
            day = np.datetime64(generation.release_date, "D")
            released = self._release_day_number[generation] = int(day.astype(np.int64))
        return released

    def secondary_price_usd_per_th(
        self,
        j_per_th: np.ndarray,
        age_years: np.ndarray,
        hashprice_usd_per_ph_day: float,
        power_usd_per_mwh: float | np.ndarray,
    ) -> np.ndarray:
        """Secondary-market price (USD/TH) of machines, vectorized (inputs broadcast).

        The discounted margin over the remaining useful life while it is positive (see the
        module docstring), floored at `scrap_value_usd_per_th`.
        """
        p = self.params
        revenue = hashprice_usd_per_ph_day / TH_PER_PH * DAYS_PER_YEAR  # USD per TH-year
        cost = power_cost_usd_per_th_day(j_per_th, power_usd_per_mwh) * DAYS_PER_YEAR
        life_left = np.clip(p.useful_life_years - np.asarray(age_years, dtype=float), 0.0, None)
        with np.errstate(divide="ignore"):
            ratio = np.where(cost > 0.0, revenue / np.where(cost > 0.0, cost, 1.0), np.inf)
            log_ratio = np.log(np.maximum(ratio, 1.0))
        g = p.hashprice_decline_per_year
        profitable_years = log_ratio / g if g > 0.0 else np.where(log_ratio > 0.0, np.inf, 0.0)
        years = np.minimum(life_left, profitable_years)
        value = revenue * _annuity_years(g + p.discount_rate_per_year, years) - cost * (
            _annuity_years(p.discount_rate_per_year, years)
        )
        return np.maximum(value, p.scrap_value_usd_per_th)
