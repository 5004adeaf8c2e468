"""The BTC/USD price: a log jump-diffusion with a rate-driven drift, or a replayed CSV path.

Per step of dt years the log price moves by
(mu - sigma^2 / 2) dt + sigma sqrt(dt) Z + (sum of the step's crash jumps), with
mu = drift_per_year + rate_beta * (neutral_rate - policy_rate). The shocks are drawn for the
whole horizon at construction and the policy-rate path is known at the start, so a run
prices every step at once (`path`).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import math

import numpy as np

from abm.markets.macro import as_day_dates
from abm.params import param
from abm.units import DAYS_PER_YEAR


@dataclasses.dataclass(frozen=True)
class BtcPriceParams:
    """BTC price process: start, drift, rate sensitivity, volatility, crash jumps, replay."""

    # DESIGN.md section 9: BTC at the start of 2026 (close of 2025-12-31 about 87.5k USD)
    start_price_usd: float = param(
        87_400.0, lo=0.0, lo_open=True, doc="BTC price on the first date, USD"
    )
    # assumption: with 0.50 vol and the crash jumps below, the median log growth is
    # 0.20 - 0.125 - 0.10 = -0.025 per year, a roughly flat median path
    drift_per_year: float = param(
        0.20,
        lo=-2.0,
        hi=2.0,
        doc="base drift mu of the diffusion at the neutral rate, per year (before jumps)",
    )
    # assumption: 1 pp of policy rate below neutral adds 2 pp per year of drift
    rate_beta: float = param(
        2.0,
        lo=0.0,
        hi=20.0,
        doc="drift added per unit of (neutral_rate - policy_rate), per year per (1/year)",
    )
    # DESIGN.md section 9: about 50 (45-55) % per year
    volatility_per_year: float = param(
        0.50, lo=0.0, hi=3.0, doc="volatility sigma of the log price, per sqrt(year)"
    )
    # assumption: a crash of about -18 % every two years beyond the diffusion (e.g.
    # 2020-03-12, 2021-05-19, 2022-06 Celsius, 2022-11 FTX, 2025-10-10 liquidations)
    jump_rate_per_year: float = param(
        0.5, lo=0.0, hi=50.0, doc="Poisson rate of crash jumps, per year"
    )
    jump_log_mean: float = param(
        -0.20, lo=-3.0, hi=3.0, doc="mean of one jump's log price change (negative: crash)"
    )
    jump_log_sd: float = param(0.10, lo=0.0, hi=3.0, doc="sd of one jump's log price change")
    path_csv: str | None = param(
        None,
        doc="CSV with columns date,price_usd replayed (log-interpolated) instead of the "
        "stochastic process; must cover every date of the run",
    )


def read_price_csv(path: str) -> tuple[np.ndarray, np.ndarray]:
    """Dates (datetime64[D]) and prices (USD) of a `date,price_usd` CSV, dates increasing.

    Raises:
        ValueError: naming the file (and line and column) when the file cannot be read, a
            column is missing, a value is not a date or a positive number, or the dates do
            not increase.
    """
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = [name.strip() for name in (reader.fieldnames or [])]
            reader.fieldnames = header
            for column in ("date", "price_usd"):
                if column not in header:
                    raise ValueError(
                        f"{path}: column {column!r} is missing; the BTC price CSV needs "
                        f"columns date,price_usd (found: {', '.join(header) or 'no header'})"
                    )
            rows = [(reader.line_num, row) for row in reader]
    except OSError as err:
        raise ValueError(
            f"{path}: cannot read the BTC price CSV ({err.strerror}); set [btc_price] "
            "path_csv to an existing file with columns date,price_usd"
        ) from err
    if not rows:
        raise ValueError(f"{path}: the BTC price CSV has a header but no rows")
    days: list[dt.date] = []
    prices: list[float] = []
    for line, row in rows:
        text = (row["date"] or "").strip()
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"{path}, line {line}: column 'date' = {text!r} is not a date (YYYY-MM-DD)"
            ) from None
        if days and day <= days[-1]:
            raise ValueError(
                f"{path}, line {line}: column 'date' = {text} does not come after "
                f"{days[-1]}; dates must increase"
            )
        text = (row["price_usd"] or "").strip()
        try:
            price = float(text)
        except ValueError:
            price = math.nan
        if not (math.isfinite(price) and price > 0.0):
            raise ValueError(
                f"{path}, line {line}: column 'price_usd' = {text!r} is not a positive number"
            )
        days.append(day)
        prices.append(price)
    return np.array(days, dtype="datetime64[D]"), np.array(prices)


def replay_prices(path: str, dates: np.ndarray) -> np.ndarray:
    """Prices of the CSV at `path` on `dates`, interpolated linearly in log price.

    Raises:
        ValueError: if the file is bad (see `read_price_csv`) or does not cover `dates`.
    """
    days = as_day_dates(dates)
    csv_days, csv_prices = read_price_csv(path)
    if days[0] < csv_days[0] or days[-1] > csv_days[-1]:
        raise ValueError(
            f"{path}: column 'date' covers {csv_days[0]} to {csv_days[-1]} but the run needs "
            f"{days[0]} to {days[-1]}; extend the file or shorten the horizon"
        )
    log_prices = np.interp(
        days.astype(np.int64).astype(float),
        csv_days.astype(np.int64).astype(float),
        np.log(csv_prices),
    )
    return np.exp(log_prices)


class BtcPriceProcess:
    """The BTC price over a run, from pre-drawn shocks and the run's policy-rate path.

    Args:
        params: the process parameters.
        dates: one datetime64[D] per step, `dt_days` apart.
        dt_days: step length in days.
        rng: the process's own random stream (unused when replaying a CSV).
    """

    def __init__(
        self,
        params: BtcPriceParams,
        dates: np.ndarray,
        dt_days: int = 1,
        rng: np.random.Generator | None = None,
    ) -> None:
        self.params = params
        self.dates = as_day_dates(dates, dt_days)
        self.dt_days = dt_days
        self.n_steps = self.dates.size
        self.dt_years = dt_days / DAYS_PER_YEAR
        self.replayed = params.path_csv is not None
        self._log_price = np.full(self.n_steps, np.nan)
        self._price_usd = np.full(self.n_steps, np.nan)
        self._shock = np.zeros(self.n_steps)
        if params.path_csv is not None:
            self._price_usd[:] = replay_prices(params.path_csv, self.dates)
            self._log_price[:] = np.log(self._price_usd)
            return
        if rng is None:
            raise ValueError("BtcPriceProcess needs a random generator unless path_csv is set")
        self._shock[1:] = self._draw_shocks(rng, self.n_steps - 1)
        self._log_price[0] = np.log(params.start_price_usd)
        self._price_usd[0] = params.start_price_usd

    def _draw_shocks(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Drift-free part of each step's log change: Ito term, diffusion and jumps."""
        p = self.params
        z = rng.standard_normal(n)
        n_jumps = rng.poisson(p.jump_rate_per_year * self.dt_years, n)
        z_jump = rng.standard_normal(n)
        # the sum of k iid N(m, s^2) jumps is N(k m, k s^2)
        jumps = n_jumps * p.jump_log_mean + np.sqrt(n_jumps) * p.jump_log_sd * z_jump
        sigma = p.volatility_per_year
        return -0.5 * sigma**2 * self.dt_years + sigma * np.sqrt(self.dt_years) * z + jumps

    def drift_per_year(self, policy_rate, neutral_rate: float):
        """Drift mu (per year) at a policy rate (a float, or an array of them)."""
        p = self.params
        rate_term = p.rate_beta * (neutral_rate - policy_rate)
        return p.drift_per_year + rate_term

    def log_path(self, policy_rates: np.ndarray | float, neutral_rate: float) -> np.ndarray:
        """Natural log of `path(policy_rates, neutral_rate)` (no overflow on long horizons)."""
        if self.replayed:
            return self._log_price.copy()
        rates = np.broadcast_to(np.asarray(policy_rates, dtype=float), (self.n_steps,))
        drift = self.drift_per_year(rates[1:], neutral_rate)
        increments = np.empty(self.n_steps)
        increments[0] = self._log_price[0]
        increments[1:] = drift * self.dt_years + self._shock[1:]
        return np.cumsum(increments)

    def path(self, policy_rates: np.ndarray | float, neutral_rate: float) -> np.ndarray:
        """Whole price path (USD): price i is exp(log price i-1 + drift_i dt + shock_i).

        `policy_rates[i]` (an array of n_steps, or one rate for all) is the rate used for the
        step into i (entry 0 is unused). Each price is, bit for bit, what stepping the log
        price day by day gives (`np.cumsum` adds in order).
        """
        if self.replayed:
            return self._price_usd.copy()
        prices = np.exp(self.log_path(policy_rates, neutral_rate))
        prices[0] = self._price_usd[0]
        return prices
