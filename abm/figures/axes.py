"""Axis rules every figure follows.

Non-negative quantities start at 0; a quantity spanning decades gets a log axis whose ticks
read as plain numbers (200k, 1M, 5bn); halvings are marked where a run crosses one;
percentile bands are drawn only across seeds of one design point, and only with enough.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

from abm.chain import HALVING_INTERVAL
from abm.figures.data import MIN_SEEDS, plural

LOG_SPAN = 20.0  # max / min above which a positive quantity gets a log axis
SUFFIXES = ((1e12, "T"), (1e9, "bn"), (1e6, "M"), (1e3, "k"))


def short_number(value: float, _pos: object = None) -> str:
    """1500 -> '1.5k', 2e9 -> '2bn': tick labels without powers of ten."""
    for scale, suffix in SUFFIXES:
        if abs(value) >= scale:
            return f"{value / scale:g}{suffix}"
    return f"{value:g}"


def from_zero(ax) -> None:
    """Start the y axis at 0 (call after drawing: the top stays where autoscale put it)."""
    ax.set_ylim(bottom=0)


def scale_y(ax, values: pd.Series | np.ndarray) -> None:
    """Log axis with readable ticks if positive values span decades, else linear from 0."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if len(v) and v.min() > 0 and v.max() / v.min() > LOG_SPAN:
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_minor_locator(NullLocator())
        ax.yaxis.set_major_formatter(FuncFormatter(short_number))
    else:
        ax.yaxis.set_major_formatter(FuncFormatter(short_number))
        from_zero(ax)


def halving_dates(model: pd.DataFrame) -> list[pd.Timestamp]:
    """Dates on which one run's chain height first reaches a multiple of 210,000."""
    height = model["height"].to_numpy()
    dates = pd.to_datetime(model["date"]).to_numpy()
    era = height // HALVING_INTERVAL
    crossed = np.flatnonzero(np.diff(era) > 0) + 1
    return [pd.Timestamp(dates[i]) for i in crossed]


def mark_halvings(axes, dates: list[pd.Timestamp]) -> None:
    """A dotted vertical line at each halving on every axis, labelled once for the legend."""
    for k, ax in enumerate(axes):
        for j, date in enumerate(dates):
            label = f"halving (every {HALVING_INTERVAL:,} blocks)" if k + j == 0 else None
            ax.axvline(date, color="0.3", lw=0.9, ls=":", label=label)


def bands(rows: pd.DataFrame, column: str) -> pd.DataFrame:
    """Per date: the 5, 25, 50, 75 and 95th percentiles of a column across runs."""
    wide = rows.pivot_table(index="date", columns="run_id", values=column)
    q = np.nanpercentile(wide.to_numpy(), [5, 25, 50, 75, 95], axis=1)
    return pd.DataFrame(q.T, index=pd.to_datetime(wide.index), columns=[5, 25, 50, 75, 95])


def draw_spread(ax, rows: pd.DataFrame, column: str, colour: str, scale: float = 1.0) -> None:
    """Median with 50 % and 90 % bands across the seeds in `rows` (one design point).

    With fewer than MIN_SEEDS seeds no band is drawn: each seed is a thin line instead,
    and the legend says how many.
    """
    seeds = rows["run_id"].nunique()
    if seeds < MIN_SEEDS:
        for k, (_, run) in enumerate(rows.groupby("run_id", sort=False)):
            label = f"model, {plural(seeds, 'seed')}" if k == 0 else None
            ax.plot(
                pd.to_datetime(run["date"]), run[column] / scale, color=colour, lw=1.0, label=label
            )
        return
    q = bands(rows, column) / scale
    ax.fill_between(q.index, q[5], q[95], color=colour, alpha=0.15, lw=0, label="90 % band")
    ax.fill_between(q.index, q[25], q[75], color=colour, alpha=0.35, lw=0, label="50 % band")
    ax.plot(q.index, q[50], color=colour, lw=1.2, label="median")
