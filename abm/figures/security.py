"""Figure security: each run's security extremes against its migration to AI.

Attack costs, dormant ratio, Nakamoto coefficients and the longest block gap.
"""

from __future__ import annotations

from abm.figures.data import FigureData, FigureError
from abm.figures.style import OKABE_ITO, new_figure

X = ("share_of_mw_in_ai", "share of site MW in AI hosting at the end")
PANELS = (
    ("min_rental_attack_cost_usd_per_h", "min rental attack cost (USD/h)", True),
    ("min_capex_attack_cost_usd", "min hardware attack cost (USD)", True),
    ("max_dormant_ratio", "max dormant / active hashrate", False),
    ("min_nakamoto_pools", "min Nakamoto coefficient", False),
    ("longest_gap_s", "longest block gap (min)", False),
)


def draw(data: FigureData):
    """One scatter per measure, one point per run."""
    data.need("security", ("summary",), runs=2)
    missing = [c for c, *_ in (X, *PANELS) if c not in data.summary]
    if missing:
        raise FigureError(f"security needs summary columns {missing}; rerun the sweep")
    s = data.summary
    fig, axes = new_figure(2, 3, size=(10.0, 6.0), sharex=True)
    flat = axes.ravel()
    for ax, (column, label, log) in zip(flat, PANELS, strict=False):
        y = s[column] / 60 if column == "longest_gap_s" else s[column]
        ax.scatter(s[X[0]] * 100, y, s=10, alpha=0.7, color=OKABE_ITO[0], lw=0)
        if column == "min_nakamoto_pools":
            ax.scatter(
                s[X[0]] * 100,
                s["min_nakamoto_firms"],
                s=10,
                alpha=0.7,
                lw=0,
                color=OKABE_ITO[1],
                label="firms",
            )
            ax.scatter([], [], s=10, color=OKABE_ITO[0], label="pools")
            ax.legend(loc="best")
        if log:
            ax.set_yscale("log")
        ax.set_ylabel(label)
    flat[-1].set_visible(False)
    fig.supxlabel(f"{X[1]} (%)", fontsize=9)
    fig.suptitle(f"Security extremes of {len(s)} runs against migration to AI", fontsize=10)
    return fig
