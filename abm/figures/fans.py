"""Figure fan_charts: medians and 50 % / 90 % bands across seeds, scenarios side by side.

Hashrate, hashprice, AI MW in service and firms alive, one column per scenario.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from abm.figures.data import FigureData, FigureError
from abm.figures.style import OKABE_ITO, new_figure

ROWS = (
    ("hashrate_eh", "hashrate (EH/s)"),
    ("hashprice_usd_per_ph_day", "hashprice (USD/PH/day)"),
    ("ai_mw_in_service", "AI in service (MW IT)"),
    ("firms_alive", "firms alive"),
)
MIN_RUNS = 3


def bands(model: pd.DataFrame, column: str) -> pd.DataFrame:
    """Per date: the 5, 25, 50, 75 and 95th percentiles of a column across runs."""
    wide = model.pivot_table(index="date", columns="run_id", values=column)
    q = np.nanpercentile(wide.to_numpy(), [5, 25, 50, 75, 95], axis=1)
    return pd.DataFrame(q.T, index=pd.to_datetime(wide.index), columns=[5, 25, 50, 75, 95])


def draw(data: FigureData):
    """Rows: quantities; columns: scenarios."""
    data.need("fan_charts", ("model",), runs=MIN_RUNS)
    runs = data.model.groupby("scenario")["run_id"].nunique()
    scenarios = [s for s in runs.index if runs[s] >= MIN_RUNS]
    if not scenarios:
        raise FigureError(f"fan_charts needs >= {MIN_RUNS} runs per scenario; got {dict(runs)}")
    fig, axes = new_figure(
        len(ROWS),
        len(scenarios),
        size=(3.2 * len(scenarios) + 1, 8.0),
        sharex=True,
        sharey="row",
        squeeze=False,
    )
    for j, scenario in enumerate(scenarios):
        model = data.model[data.model["scenario"] == scenario]
        for i, (column, label) in enumerate(ROWS):
            ax, q = axes[i][j], bands(model, column)
            ax.fill_between(
                q.index, q[5], q[95], color=OKABE_ITO[0], alpha=0.15, lw=0, label="90 % band"
            )
            ax.fill_between(
                q.index, q[25], q[75], color=OKABE_ITO[0], alpha=0.35, lw=0, label="50 % band"
            )
            ax.plot(q.index, q[50], color=OKABE_ITO[0], lw=1.2, label="median")
            if j == 0:
                ax.set_ylabel(label)
            if column == "firms_alive":
                ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes[0][j].set_title(f"{scenario} ({runs[scenario]} runs)")
        axes[-1][j].tick_params(axis="x", labelrotation=45)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=3)
    fig.align_ylabels(axes[:, 0])
    return fig
