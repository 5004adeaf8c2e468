"""Figure fan_charts: medians and 50 % / 90 % bands across the seeds of one design point.

Hashrate, hashprice, AI MW in service and firms alive; one column per design point
(scenario and parameter values) with at least MIN_SEEDS seeds. Points are never pooled.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.ticker import MaxNLocator

from abm.figures.axes import draw_spread, from_zero
from abm.figures.data import MIN_SEEDS, FigureData, FigureError, plural
from abm.figures.style import OKABE_ITO, Drawing, new_figure

ROWS = (
    ("hashrate_eh", "hashrate (EH/s)"),
    ("hashprice_usd_per_ph_day", "hashprice (USD/PH/day)"),
    ("ai_mw_in_service", "AI in service (MW IT)"),
    ("firms_alive", "firms alive"),
)
MAX_COLUMNS = 6


def draw(data: FigureData) -> Drawing:
    """Rows: quantities that move; columns: design points with enough seeds."""
    data.need("fan_charts", ("model",))
    groups = data.groups("model")
    banded = [g for g in groups if g.seeds >= MIN_SEEDS]
    if not banded:
        most = max(g.seeds for g in groups)
        raise FigureError(
            f"fan_charts needs {MIN_SEEDS} or more seeds of one design point; "
            f"{data.source} has {plural(len(groups), 'design point')} with at most "
            f"{plural(most, 'seed')} each (raise replicates in the experiment)"
        )
    notes = []
    if len(banded) < len(groups):
        notes.append(
            f"{len(groups) - len(banded)} design points with fewer than {MIN_SEEDS} seeds "
            "are left out"
        )
    if len(banded) > MAX_COLUMNS:
        notes.append(f"the first {MAX_COLUMNS} of {len(banded)} design points are drawn")
        banded = banded[:MAX_COLUMNS]
    drawn = pd.concat([g.rows for g in banded])
    rows = []
    for column, label in ROWS:
        if (drawn[column] == 0).all():
            notes.append(f"{label.split(' (')[0]} is 0 in every run: its row is left out")
        else:
            rows.append((column, label))
    fig, axes = new_figure(
        len(rows),
        len(banded),
        size=(3.2 * len(banded) + 1, 2.0 * len(rows) + 1),
        sharex=True,
        sharey="row",
        squeeze=False,
    )
    for j, group in enumerate(banded):
        for i, (column, label) in enumerate(rows):
            ax = axes[i][j]
            draw_spread(ax, group.rows, column, OKABE_ITO[0])
            from_zero(ax)
            if j == 0:
                ax.set_ylabel(label)
            if column == "firms_alive":
                ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes[0][j].set_title(f"{group.label}\n({plural(group.seeds, 'seed')})", fontsize=8)
        axes[-1][j].tick_params(axis="x", labelrotation=45)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=3)
    fig.suptitle("Across seeds of one design point: median and 50 % / 90 % bands", fontsize=10)
    fig.align_ylabels(axes[:, 0])
    return Drawing(fig, tuple(notes))
