"""Figure bifurcation: firms' end outcomes by class, and against initial attributes.

Natural-log net-worth growth by class, and against initial power price and leverage; one
row per design point, firms pooled only across the seeds of that point. Classes no firm
ended in are left out.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from abm.figures.data import FigureData, plural
from abm.figures.style import CLASS_COLOURS, Drawing
from abm.metrics.bifurcation import CLASSES, firm_outcomes

MAX_ROWS = 4
Y_LABEL = "ln(end / start net worth)\n(surviving firms)"


def outcomes(firms: pd.DataFrame) -> pd.DataFrame:
    """firm_outcomes of every run in `firms`, stacked."""
    return pd.concat(
        [firm_outcomes(panel).assign(run_id=run) for run, panel in firms.groupby("run_id")]
    )


def _label(cls: str) -> str:
    return cls.replace("_", " ")


def draw(data: FigureData) -> Drawing:
    """Per design point: a strip plot by class and two scatters against initial attributes."""
    data.need("bifurcation", ("firms",))
    groups = data.groups("firms")
    notes = []
    if len(groups) > MAX_ROWS:
        notes.append(f"the first {MAX_ROWS} of {len(groups)} design points are drawn")
        groups = groups[:MAX_ROWS]
    found = [outcomes(g.rows) for g in groups]
    present = [c for c in CLASSES if any((o["firm_class"] == c).any() for o in found)]
    plotted = [c for c in present if c != "bankrupt"]  # a bankrupt firm has no end net worth
    absent = [_label(c) for c in CLASSES if c not in present]
    if absent:
        notes.append(f"no firm ended as {', '.join(absent)}: those classes are left out")
    fig = plt.figure(figsize=(10.0, 3.0 * len(groups) + 0.8), layout="constrained")
    rows = np.atleast_1d(fig.subfigures(len(groups), 1))
    rng = np.random.default_rng(0)  # jitter only: fixed, so files are reproducible
    for sub, group, out in zip(rows, groups, found, strict=True):
        strip, power, leverage = sub.subplots(1, 3, sharey=True)
        counts = out["firm_class"].value_counts()
        for k, cls in enumerate(plotted):
            y = out.loc[out["firm_class"] == cls, "log_net_worth_growth"].dropna().to_numpy()
            x = k + rng.uniform(-0.25, 0.25, len(y))
            strip.scatter(x, y, s=6, alpha=0.5, color=CLASS_COLOURS[cls], lw=0)
            if len(y):
                strip.hlines(np.median(y), k - 0.35, k + 0.35, color="black", lw=1.2)
        shown = out.dropna(subset=["log_net_worth_growth"])["firm_class"].value_counts()
        strip.set_xticks(
            range(len(plotted)),
            [
                f"{_label(c)}\n(n={counts.get(c, 0)}"
                + (
                    f", {shown.get(c, 0)} with net worth > 0)"
                    if shown.get(c, 0) < counts.get(c, 0)
                    else ")"
                )
                for c in plotted
            ],
        )
        strip.set_xlim(-0.6, len(plotted) - 0.4)
        strip.tick_params(axis="x", labelsize=7)
        strip.set_ylabel(Y_LABEL, fontsize=7)
        strip.set_title("by class (bar: median)", fontsize=8)
        for ax, column, label in (
            (power, "power_price_usd_per_mwh", "initial cash power cost (USD/MWh)"),
            (leverage, "leverage", "initial leverage (debt / assets)"),
        ):
            for cls in plotted:
                part = out[out["firm_class"] == cls]
                ax.scatter(
                    part[column],
                    part["log_net_worth_growth"],
                    s=6,
                    alpha=0.5,
                    lw=0,
                    color=CLASS_COLOURS[cls],
                    label=_label(cls),
                )
            ax.set_xlabel(label, fontsize=8)
            ax.set_title(f"vs {label.split(' (')[0]}", fontsize=8)
        bankrupt = int(counts.get("bankrupt", 0))
        sub.suptitle(
            f"{group.label}: {plural(len(out), 'firm')} in {plural(group.seeds, 'seed')}"
            + (f"; {bankrupt} bankrupt (not plotted: no end net worth)" if bankrupt else ""),
            fontsize=9,
        )
    handles, labels = leverage.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=4, markerscale=2)
    fig.suptitle("Firm outcomes by end class", fontsize=10)
    return Drawing(fig, tuple(notes))
