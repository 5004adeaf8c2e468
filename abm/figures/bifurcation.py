"""Figure bifurcation: firms' end outcomes by class, and against initial attributes.

The distribution of log net-worth growth by class, and outcome against initial power
price and leverage, pooled across runs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from abm.figures.data import FigureData
from abm.figures.style import CLASS_COLOURS, new_figure
from abm.metrics.bifurcation import CLASSES, firm_outcomes


def outcomes(data: FigureData) -> pd.DataFrame:
    """firm_outcomes of every run, stacked."""
    return pd.concat(
        [firm_outcomes(panel).assign(run_id=run) for run, panel in data.firms.groupby("run_id")]
    )


def draw(data: FigureData):
    """Strip plot by class, and two scatters against initial attributes."""
    data.need("bifurcation", ("firms",))
    out = outcomes(data)
    fig, axes = new_figure(1, 3, size=(10.0, 3.6), sharey=True)
    rng = np.random.default_rng(0)  # jitter only: fixed, so files are reproducible
    for k, label in enumerate(CLASSES):
        y = out.loc[out["firm_class"] == label, "log_net_worth_growth"].to_numpy()
        x = k + rng.uniform(-0.25, 0.25, len(y))
        axes[0].scatter(x, y, s=6, alpha=0.5, color=CLASS_COLOURS[label], lw=0)
        if len(y):
            axes[0].hlines(np.median(y), k - 0.35, k + 0.35, color="black", lw=1.2)
    axes[0].set_xticks(range(len(CLASSES)))
    counts = out["firm_class"].value_counts()
    axes[0].set_xticklabels(
        [f"{c.replace('_', ' ')}\n(n={counts.get(c, 0)})" for c in CLASSES], fontsize=7
    )
    axes[0].set_ylabel(
        "log net-worth growth, start to end\n(floor log 0.01: bankrupt or wiped out)"
    )
    axes[0].set_title("Outcomes by class (bar: median)")
    for ax, column, label in (
        (axes[1], "power_price_usd_per_mwh", "initial cash power cost (USD/MWh)"),
        (axes[2], "leverage", "initial leverage (debt / assets)"),
    ):
        for cls in CLASSES:
            part = out[out["firm_class"] == cls]
            ax.scatter(
                part[column],
                part["log_net_worth_growth"],
                s=6,
                alpha=0.5,
                lw=0,
                color=CLASS_COLOURS[cls],
                label=cls.replace("_", " "),
            )
        ax.set_xlabel(label)
    axes[1].set_title("Outcome vs power cost")
    axes[2].set_title("Outcome vs leverage")
    handles, labels = axes[2].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=4, markerscale=2)
    fig.suptitle(f"Firm outcomes: {out['run_id'].nunique()} runs, {len(out)} firms", fontsize=10)
    return fig
