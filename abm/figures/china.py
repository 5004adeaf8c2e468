"""Figure china_2021: the 2021 replay against the retargets Bitcoin actually made.

The replay's difficulty and daily mean block intervals across seeds, with history.
"""

from __future__ import annotations

import pandas as pd

from abm.figures.data import FigureData, FigureError
from abm.figures.fans import bands
from abm.figures.style import OKABE_ITO, new_figure

HISTORY = pd.DataFrame(  # BTC.com difficulty via CoinDesk 2021-07-03, Forkast 2021-06-14
    {
        "date": pd.to_datetime(["2021-05-13", "2021-05-29", "2021-06-13", "2021-07-03"]),
        "height": [683_424, 685_440, 687_456, 689_472],
        "difficulty_t": [25.046, 21.047, 19.933, 14.363],
    }
)


def draw(data: FigureData):
    """Difficulty (median, band, history) and daily mean interval (median and band)."""
    model = data.model
    if "scenario" in model:
        model = model[model["scenario"] == "china_2021"]
    if model.empty:
        raise FigureError(
            f"china_2021 needs runs of the china_2021 scenario; {data.source} has none "
            "(abm sweep experiments/china_2021.toml, or abm run china_2021)"
        )
    fig, axes = new_figure(2, 1, size=(7.0, 5.5), sharex=True)
    for ax, column, scale, label in (
        (axes[0], "difficulty", 1e12, "difficulty (T)"),
        (axes[1], "mean_block_interval_s", 60.0, "daily mean block interval (min)"),
    ):
        q = bands(model, column) / scale
        ax.fill_between(
            q.index, q[5], q[95], color=OKABE_ITO[0], alpha=0.2, lw=0, label="model, 90 % band"
        )
        ax.plot(q.index, q[50], color=OKABE_ITO[0], lw=1.2, label="model, median")
        ax.set_ylabel(label)
    axes[0].step(
        HISTORY["date"],
        HISTORY["difficulty_t"],
        where="post",
        color=OKABE_ITO[3],
        lw=1.2,
        label="history",
    )
    axes[0].plot(HISTORY["date"], HISTORY["difficulty_t"], "o", color=OKABE_ITO[3], ms=3)
    axes[1].axhline(10, color="black", lw=0.8, ls="--", label="10-min target")
    axes[0].legend(loc="upper right")
    axes[1].legend(loc="upper right")
    runs = model["run_id"].nunique()
    axes[0].set_title(f"China 2021 replay ({runs} seeds) against Bitcoin's retargets")
    axes[1].set_xlabel("date")
    axes[1].tick_params(axis="x", labelrotation=30)
    fig.align_ylabels(axes)
    return fig
