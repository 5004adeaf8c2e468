"""Figure security: each run's security extremes against its migration to AI.

Attack costs, dormant ratio, Nakamoto coefficients and the longest block gap, one point
per run, coloured by design point when there are few. Measures that are the same in every
run are left out; without migration there is nothing to plot against.
"""

from __future__ import annotations

import numpy as np
from matplotlib.lines import Line2D

from abm.figures.axes import scale_y
from abm.figures.data import FigureData, FigureError, plural
from abm.figures.style import OKABE_ITO, Drawing, new_figure

X = ("share_of_mw_in_ai", "share of site MW in AI hosting at the end (%)")
PANELS = (  # column(s), label, scale
    (("min_rental_attack_cost_usd_per_h",), "min rental attack cost (USD/h)", 1.0),
    (("min_capex_attack_cost_usd",), "min hardware attack cost (USD)", 1.0),
    (("max_dormant_ratio",), "max dormant / active hashrate", 1.0),
    (("min_nakamoto_pools", "min_nakamoto_firms"), "min Nakamoto coefficient", 1.0),
    (("longest_gap_s",), "longest block gap (min)", 60.0),
)
MAX_COLOURED = len(OKABE_ITO) - 1
NCOLS = 3


def draw(data: FigureData) -> Drawing:
    """One scatter per measure that varies, one point per run."""
    data.need("security", ("summary",), runs=2)
    s = data.summary
    needed = [X[0], *(c for cols, *_ in PANELS for c in cols)]
    missing = [c for c in needed if c not in s]
    if missing:
        raise FigureError(f"security needs summary columns {missing}; rerun the sweep")
    if s[X[0]].nunique() < 2:
        raise FigureError(
            f"security plots against migration to AI, and the share of site MW in AI is "
            f"{s[X[0]].iloc[0]:.3g} in all {plural(len(s), 'run')}"
        )
    notes, panels = [], []
    for cols, label, scale in PANELS:
        if all(s[c].nunique() < 2 for c in cols):
            notes.append(f"{label.split(' (')[0]} is the same in every run: left out")
        else:
            panels.append((cols, label, scale))
    runs = data.runs().set_index("run_id").loc[s["run_id"]]
    groups = list(dict.fromkeys(runs["group"]))
    coloured = 1 < len(groups) <= MAX_COLOURED
    palette = dict(zip(groups, OKABE_ITO, strict=False)) if coloured else {}
    colours = [palette.get(g, OKABE_ITO[0]) for g in runs["group"]]
    nrows = -(-len(panels) // NCOLS)
    fig, axes = new_figure(nrows, NCOLS, size=(10.0, 3.0 * nrows + 0.8), squeeze=False)
    x = s[X[0]].to_numpy() * 100
    for ax, (cols, label, scale) in zip(axes.ravel(), panels, strict=False):
        markers = ("o", "^")
        for col, marker in zip(cols, markers, strict=False):
            y = s[col].to_numpy() / scale
            ax.scatter(x, y, s=12, alpha=0.7, c=colours, marker=marker, lw=0)
        if len(cols) > 1:
            for col, marker in zip(cols, markers, strict=False):
                ax.scatter([], [], s=12, c="0.4", marker=marker, label=col.split("_")[-1])
            ax.legend(loc="best")
        scale_y(ax, np.concatenate([s[c].to_numpy() / scale for c in cols]))
        ax.set_xlim(left=0)
        ax.set_ylabel(label)
    for ax in axes.ravel()[len(panels) :]:
        ax.set_visible(False)
    if coloured:
        handles = [
            Line2D([], [], marker="o", ls="", color=OKABE_ITO[k], label=group)
            for k, group in enumerate(groups)
        ]
        fig.legend(handles=handles, loc="outside lower center", ncols=2, fontsize=7)
    fig.supxlabel(X[1], fontsize=9)
    fig.suptitle(
        f"Security extremes of {plural(len(s), 'run')} ({plural(len(groups), 'design point')}) "
        "against migration to AI",
        fontsize=10,
    )
    return Drawing(fig, tuple(notes))
