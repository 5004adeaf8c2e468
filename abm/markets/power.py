"""Regional wholesale power prices: mean-reverting log price, seasons and multi-day spikes.

Spikes stand for storms, scarcity and rationing; prices are spot or utility tariffs.

Per region, on a day with day of year d:

    log P = log(level) + log(1 + A cos(2 pi (d - d_peak) / 365.25)) + X + log(M) * spike

X is an Ornstein-Uhlenbeck process (speed kappa, volatility sigma, exact discretization,
started from its stationary law). A spike starts on a step with probability
1 - exp(-rate * dt) and lasts `spike_duration_days`; overlapping spikes merge. `level` is
set so that `mean_price_usd_per_mwh` is the long-run time average of P itself, seasonality,
OU variance and spikes included:

    level = mean / (exp(sigma^2 / (4 kappa)) * (1 + q (M - 1))),  q = P(spike on).

These are wholesale prices; hosting margins and contracts (PPAs, indexation) are applied by
the site's contract, not here.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from abm.markets.macro import ar1_path, as_day_dates
from abm.params import names_problem, param
from abm.units import DAYS_PER_YEAR


@dataclasses.dataclass(frozen=True)
class RegionParams:
    """One power region's spot-price process (defaults: a generic US grid region)."""

    name: str = param(doc="region name that sites refer to")
    mean_price_usd_per_mwh: float = param(
        50.0,
        lo=0.0,
        lo_open=True,
        hi=1000.0,
        doc="long-run time-average spot price, USD/MWh (seasons and spikes included)",
    )
    mean_reversion_per_year: float = param(
        30.0,
        lo=0.0,
        lo_open=True,
        hi=1000.0,
        doc="mean-reversion speed kappa of the log price, per year (half-life ln 2 / kappa)",
    )
    volatility_per_year: float = param(
        2.5, lo=0.0, hi=50.0, doc="volatility sigma of the log price, per sqrt(year)"
    )
    seasonal_amplitude: float = param(
        0.15,
        lo=0.0,
        hi=1.0,
        hi_open=True,
        doc="seasonal swing of the price, fraction: P is scaled by 1 + A cos(phase)",
    )
    seasonal_peak_day_of_year: int = param(
        196, lo=1, hi=366, doc="day of year (1 = 1 January) of the seasonal price peak"
    )
    spike_rate_per_year: float = param(
        1.0, lo=0.0, hi=365.0, doc="Poisson rate at which price spikes start, per year"
    )
    spike_multiplier: float = param(
        3.0, lo=1.0, hi=100.0, doc="factor on the price while a spike lasts"
    )
    spike_duration_days: int = param(
        2, lo=1, hi=365, doc="length of one spike, days (rounded to whole steps, at least one)"
    )


# Regional defaults. Levels are wholesale or utility prices before hosting margins; listed
# miners' contracted power averages about 35 and hosted/spot about 70 (60-90) USD/MWh with
# margins (DESIGN.md section 9). Speeds, volatilities and spike sizes are assumptions chosen
# to give day-to-day log changes of 0.05-0.2 and half-lives of one to three weeks.
DEFAULT_REGIONS = (
    RegionParams(
        name="texas_ercot",
        # ERCOT hub day-ahead averages were about 30-65 USD/MWh in 2019-2025 (EIA; S&P
        # Global: mid-40s in Aug 2024, mid-380s on-peak in Aug 2023); brief: about 45
        mean_price_usd_per_mwh=45.0,
        mean_reversion_per_year=40.0,  # assumption: half-life about 6 days
        volatility_per_year=4.0,  # assumption: daily log changes about 0.2
        seasonal_amplitude=0.25,  # assumption: summer (August) load peak
        seasonal_peak_day_of_year=213,  # 1 August
        # winter storms (Uri 2021, Elliott 2022, Heather 2024, Jan 2026) and summer scarcity:
        # US storms cut hashrate 35-40 % for 2-3 days (DESIGN.md section 9)
        spike_rate_per_year=2.0,
        spike_multiplier=5.0,
        spike_duration_days=3,
    ),
    RegionParams(
        name="us_other",
        # PJM / MISO / SPP / NYISO upstate hubs, about 40-60 USD/MWh in 2024-25; brief: 50
        mean_price_usd_per_mwh=50.0,
        mean_reversion_per_year=30.0,  # assumption
        volatility_per_year=2.5,  # assumption
        seasonal_amplitude=0.15,  # assumption: summer peak, milder than ERCOT
        seasonal_peak_day_of_year=196,  # mid-July
        spike_rate_per_year=1.0,  # assumption: one cold snap or heat wave a year
        spike_multiplier=3.0,
        spike_duration_days=2,
    ),
    RegionParams(
        name="nordic_hydro",
        # Nord Pool northern zones (SE1/SE2/NO4/FI), about 20-45 EUR/MWh in 2023-25; brief: 35
        mean_price_usd_per_mwh=35.0,
        mean_reversion_per_year=15.0,  # assumption: reservoirs make deviations last weeks
        volatility_per_year=2.0,  # assumption
        seasonal_amplitude=0.30,  # assumption: winter demand and low inflow
        seasonal_peak_day_of_year=15,  # mid-January
        spike_rate_per_year=0.5,  # assumption: a cold, windless spell every other year
        spike_multiplier=3.0,
        spike_duration_days=5,
    ),
    RegionParams(
        name="paraguay_ethiopia_hydro",
        # state-utility tariffs for miners (ANDE, EEP) about 30-40 USD/MWh; brief: 30
        mean_price_usd_per_mwh=30.0,
        mean_reversion_per_year=20.0,  # assumption
        volatility_per_year=0.5,  # assumption: regulated tariffs barely move
        seasonal_amplitude=0.10,  # assumption: dry-season scarcity
        seasonal_peak_day_of_year=105,  # mid-April, end of Ethiopia's dry season (assumption)
        spike_rate_per_year=0.5,  # assumption: rationing episodes
        spike_multiplier=2.0,
        spike_duration_days=10,
    ),
    RegionParams(
        name="central_asia",
        # Kazakhstan / Russia / Kyrgyzstan miner tariffs about 35-50 USD/MWh; brief: 40
        mean_price_usd_per_mwh=40.0,
        mean_reversion_per_year=20.0,  # assumption
        volatility_per_year=1.5,  # assumption
        seasonal_amplitude=0.20,  # assumption: winter heating load and mining curbs
        seasonal_peak_day_of_year=15,  # mid-January
        spike_rate_per_year=1.0,  # assumption: winter restrictions on mining
        spike_multiplier=3.0,
        spike_duration_days=7,
    ),
    RegionParams(
        name="middle_east",
        # gas-fired, regulated (Oman, UAE, Qatar) about 30-40 USD/MWh; brief: 35
        mean_price_usd_per_mwh=35.0,
        mean_reversion_per_year=20.0,  # assumption
        volatility_per_year=1.0,  # assumption
        seasonal_amplitude=0.15,  # assumption: summer cooling load
        seasonal_peak_day_of_year=200,  # mid-July
        spike_rate_per_year=0.5,  # assumption
        spike_multiplier=2.0,
        spike_duration_days=3,
    ),
)


@dataclasses.dataclass(frozen=True)
class PowerParams:
    """The regions whose spot prices the model simulates."""

    regions: tuple[RegionParams, ...] = param(
        DEFAULT_REGIONS, doc="power regions, each with its own spot-price process"
    )

    def check(self) -> str | None:
        """At least one region; names unique."""
        return names_problem("regions", "region", [r.name for r in self.regions])


def spike_steps(region: RegionParams, dt_days: int) -> int:
    """Number of steps one spike lasts (its duration rounded to steps, at least one)."""
    return max(1, round(region.spike_duration_days / dt_days))


def spike_probability(region: RegionParams, dt_days: int) -> float:
    """Stationary probability that a spike is on at a given step."""
    dt_years = dt_days / DAYS_PER_YEAR
    return 1.0 - np.exp(-region.spike_rate_per_year * dt_years * spike_steps(region, dt_days))


def day_of_year(days: np.ndarray) -> np.ndarray:
    """Day of year (1 = 1 January) of datetime64[D] dates."""
    return (days - days.astype("datetime64[Y]").astype("datetime64[D]")).astype(np.int64) + 1


def seasonal_factor(region: RegionParams, days: np.ndarray) -> np.ndarray:
    """1 + A cos(2 pi (d - d_peak) / 365.25): the seasonal scaling of the price."""
    phase = 2.0 * np.pi * (day_of_year(days) - region.seasonal_peak_day_of_year) / DAYS_PER_YEAR
    return 1.0 + region.seasonal_amplitude * np.cos(phase)


def _region_path(
    region: RegionParams, days: np.ndarray, dt_days: int, rng: np.random.Generator
) -> np.ndarray:
    n = days.size
    dt_years = dt_days / DAYS_PER_YEAR
    kappa, sigma = region.mean_reversion_per_year, region.volatility_per_year
    stationary_var = sigma**2 / (2.0 * kappa)
    phi = np.exp(-kappa * dt_years)
    # exact OU discretization; x[0] drawn from the stationary law
    innovations = rng.standard_normal(n) * np.sqrt(stationary_var * (1.0 - phi**2))
    innovations[0] *= 1.0 / np.sqrt(1.0 - phi**2)
    x = ar1_path(innovations, phi)
    starts = rng.random(n) < 1.0 - np.exp(-region.spike_rate_per_year * dt_years)
    length = spike_steps(region, dt_days)
    started = np.concatenate(([0], np.cumsum(starts)))
    spike_on = started[1:] - started[np.maximum(np.arange(1, n + 1) - length, 0)] > 0
    q = spike_probability(region, dt_days)
    multiplier = region.spike_multiplier
    level = region.mean_price_usd_per_mwh / (
        np.exp(stationary_var / 2.0) * (1.0 + q * (multiplier - 1.0))
    )
    return level * seasonal_factor(region, days) * np.exp(x) * np.where(spike_on, multiplier, 1.0)


def spot_price_paths(
    regions: tuple[RegionParams, ...],
    dates: np.ndarray,
    dt_days: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Spot prices (USD/MWh), shape (n_steps, n_regions), columns in the order of `regions`.

    Regions draw from `rng` one after another (n normals, then n uniforms each), so adding a
    region at the end leaves the paths of the others unchanged. Read-only: the daily
    operations price the days ahead from it (`DailyArrays.operate`).
    """
    days = as_day_dates(dates, dt_days)
    out = np.empty((days.size, len(regions)))
    for j, region in enumerate(regions):
        out[:, j] = _region_path(region, days, dt_days, rng)
    out.flags.writeable = False
    return out
