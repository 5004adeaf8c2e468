"""Monetary policy: the policy-rate path behind debt costs, discount rates and BTC drift.

The path passes through dated knots, is linear between them and flat outside them, plus an
optional AR(1) deviation (off by default). The whole horizon is computed at once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

import numpy as np

from abm.params import param


def as_day_dates(dates: np.ndarray, dt_days: int | None = None) -> np.ndarray:
    """`dates` as datetime64[D], checked to be evenly spaced by `dt_days` (if given).

    Raises:
        ValueError: if the dates are empty, not increasing, or not `dt_days` apart.
    """
    days = np.asarray(dates, dtype="datetime64[D]")
    if days.ndim != 1 or days.size == 0:
        raise ValueError("dates must be a non-empty 1-D array of days (datetime64[D])")
    if dt_days is not None and dt_days < 1:
        raise ValueError(f"dt_days = {dt_days} must be a positive number of days")
    if days.size > 1:
        gaps = np.diff(days).astype(np.int64)
        expected = gaps[0] if dt_days is None else dt_days
        if expected < 1 or np.any(gaps != expected):
            raise ValueError(
                f"dates must be evenly spaced by {expected} day(s); "
                f"found gaps from {gaps.min()} to {gaps.max()} days"
            )
    return days


def step_days(days: np.ndarray) -> int:
    """Spacing in days of an evenly spaced datetime64[D] array (1 for a single date)."""
    return int((days[1] - days[0]).astype(np.int64)) if days.size > 1 else 1


def ar1_path(innovations: np.ndarray, phi: float) -> np.ndarray:
    """x[0] = e[0], x[t] = phi * x[t-1] + e[t], along axis 0.

    A loop over time (vectorized across any other axes; a single path in Python floats,
    a tenth of numpy's cost per step); the same numbers, bit for bit, as
    `scipy.signal.lfilter([1], [1, -phi], e, axis=0)`, without importing scipy.signal.
    """
    x = np.array(innovations, dtype=float)
    if x.ndim == 1 and len(x):
        path, last, phi = x.tolist(), x[0].item(), float(phi)
        for t in range(1, len(path)):
            last = path[t] = path[t] + phi * last
        return np.array(path)
    for t in range(1, len(x)):
        x[t] += phi * x[t - 1]
    return x


@dataclasses.dataclass(frozen=True)
class RateKnot:
    """One dated point through which the policy-rate path passes."""

    date: dt.date = param(doc="date at which the path equals `rate`")
    rate: float = param(lo=-0.05, hi=0.25, doc="policy rate at `date`, fraction per year")


BASELINE_RATE_KNOTS = (
    # FOMC 10 Dec 2025: target range 3.50-3.75 %, midpoint (DESIGN.md section 9)
    RateKnot(dt.date(2025, 12, 31), 0.03625),
    # Dec 2025 SEP median for end-2026, 3.4 % (range 3.25-3.50 %), midpoint; flat after
    RateKnot(dt.date(2026, 12, 31), 0.03375),
)


@dataclasses.dataclass(frozen=True)
class MacroParams:
    """Policy-rate path: knots, neutral rate, optional AR(1) noise."""

    policy_rate_knots: tuple[RateKnot, ...] = param(
        BASELINE_RATE_KNOTS,
        doc="dated policy rates (fraction per year); linear between, flat outside",
    )
    # FOMC Dec 2025 SEP, longer-run median federal funds rate 3.0 %
    neutral_rate: float = param(
        0.03, lo=-0.05, hi=0.25, doc="neutral (longer-run) policy rate, fraction per year"
    )
    # off in the baseline: the scenario's knots are the path
    noise_sd: float = param(
        0.0,
        lo=0.0,
        hi=0.05,
        doc="stationary sd of the AR(1) deviation from the knot path, fraction per year; "
        "0 turns the noise off",
    )
    # assumption: half-life of about 140 days (0.995 ** 138 = 0.5)
    noise_persistence_per_day: float = param(
        0.995,
        lo=0.0,
        hi=1.0,
        hi_open=True,
        doc="AR(1) coefficient of the deviation over one day; a k-day step uses its k-th power",
    )
    # effective lower bound: the Fed has not set negative rates
    rate_floor: float = param(
        0.0,
        lo=-0.05,
        hi=0.25,
        doc="the noise never takes the rate below this (fraction per year); knots below it "
        "are kept as given",
    )

    # the three channels of the rate path, each switchable to decompose a path's effect
    # (a channel switched off sees the rate in force at the start: `rate_in_force`)
    rate_moves_btc_drift: bool = param(True, doc="the BTC price drift follows the path")
    rate_moves_discount: bool = param(True, doc="firms discount projects at the path's rate")
    rate_moves_debt_cost: bool = param(True, doc="floating and refinanced debt pay the path's rate")

    def check(self) -> str | None:
        """Knots must exist and have strictly increasing dates."""
        if not self.policy_rate_knots:
            return "policy_rate_knots needs at least one knot"
        dates = [k.date for k in self.policy_rate_knots]
        for before, after in itertools.pairwise(dates):
            if after <= before:
                return f"policy_rate_knots dates must increase; {after} follows {before}"
        return None


def rate_in_force(params: MacroParams, date: dt.date) -> float:
    """The rate of the last knot on or before `date` (the first knot's if none is).

    What a rate channel switched off sees: the rate in force when the run starts, the
    same for every path that shares its knots up to the start.
    """
    knots = sorted(params.policy_rate_knots, key=lambda k: k.date)
    before = [k for k in knots if k.date <= date]
    return (before[-1] if before else knots[0]).rate


def policy_rate_path(
    params: MacroParams, dates: np.ndarray, rng: np.random.Generator | None = None
) -> np.ndarray:
    """Policy rate (fraction per year) on each date.

    Piecewise linear through the knots (flat before the first and after the last). With
    `noise_sd > 0`, an AR(1) deviation is added that starts at 0 on the first date (today's
    rate is known) and has stationary sd `noise_sd` and per-day persistence
    `noise_persistence_per_day`; the noisy path is floored at `rate_floor`.

    Raises:
        ValueError: if noise is on and no generator is given, or dates are uneven.
    """
    days = as_day_dates(dates)
    problem = params.check()
    if problem:
        raise ValueError(problem)
    knot_days = np.array([np.datetime64(k.date, "D") for k in params.policy_rate_knots])
    knot_rates = np.array([k.rate for k in params.policy_rate_knots], dtype=float)
    base = np.interp(
        days.astype(np.int64).astype(float), knot_days.astype(np.int64).astype(float), knot_rates
    )
    if params.noise_sd == 0.0 or days.size == 1:
        return base
    if rng is None:
        raise ValueError("policy-rate noise is on (noise_sd > 0) but no random generator given")
    phi = params.noise_persistence_per_day ** step_days(days)
    innovations = rng.standard_normal(days.size) * (params.noise_sd * np.sqrt(1.0 - phi**2))
    innovations[0] = 0.0
    deviation = ar1_path(innovations, phi)
    return np.maximum(base + deviation, np.minimum(base, params.rate_floor))
