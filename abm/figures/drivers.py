"""Figure pivot_drivers: which initial attributes make a firm end as infrastructure or bankrupt.

Per design point, the standardized logistic coefficient of each initial attribute (log-odds
per standard deviation, all attributes in one model) for ending as an infrastructure firm
and for going bankrupt, with a bootstrap interval that resamples whole runs
(`abm.metrics.bifurcation.attribute_effects`). Points with fewer than MIN_SEEDS seeds, or
where every firm or no firm ends in a class, are left out with the reason.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from abm.figures.bifurcation import outcomes
from abm.figures.data import FigureData, FigureError, plural
from abm.figures.style import CLASS_COLOURS, Drawing
from abm.metrics.bifurcation import PREDICTOR_FEATURES, attribute_effects

MAX_ROWS = 4
MIN_SEEDS = 3  # a bootstrap over fewer runs says nothing about run-to-run spread
TARGETS = ("infrastructure", "bankrupt")
LEVEL = 0.90


def effects(found: pd.DataFrame, target: str) -> pd.DataFrame | None:
    """attribute_effects for `target`, or None when no firm or every firm ended in it."""
    ended = found["firm_class"] == target
    if not ended.any() or ended.all():
        return None
    return attribute_effects(found, target, level=LEVEL).reindex(list(PREDICTOR_FEATURES))


def draw(data: FigureData) -> Drawing:
    """Per design point, a forest plot of attribute effects for each target class."""
    data.need("pivot_drivers", ("firms",), runs=MIN_SEEDS)
    notes = []
    groups = [g for g in data.groups("firms") if g.seeds >= MIN_SEEDS]
    if not groups:
        raise FigureError(
            f"pivot_drivers needs {MIN_SEEDS} or more seeds of one design point "
            "(effects are estimated across runs)"
        )
    if len(groups) > MAX_ROWS:
        notes.append(f"the first {MAX_ROWS} of {len(groups)} design points are drawn")
        groups = groups[:MAX_ROWS]
    fig, axes = plt.subplots(
        len(groups),
        len(TARGETS),
        figsize=(9.0, 3.2 * len(groups) + 0.6),
        sharey=True,
        squeeze=False,
        layout="constrained",
    )
    y = np.arange(len(PREDICTOR_FEATURES))[::-1]
    for row, group in zip(axes, groups, strict=True):
        found = outcomes(group.rows)
        for ax, target in zip(row, TARGETS, strict=True):
            table = effects(found, target)
            ended = int((found["firm_class"] == target).sum())
            ax.axvline(0.0, color="grey", lw=0.8)
            ax.set_title(
                f"{group.label}: {target.replace('_', ' ')} "
                f"({ended} of {plural(len(found), 'firm')}, {plural(group.seeds, 'seed')})",
                fontsize=8,
            )
            ax.set_yticks(y, [name.replace("_", " ") for name in PREDICTOR_FEATURES], fontsize=7)
            if table is None:
                notes.append(f"{group.label}: no contrast for {target} (all or no firms)")
                ax.text(0.5, 0.5, "no contrast", transform=ax.transAxes, ha="center")
                continue
            colour = CLASS_COLOURS[target]
            ax.errorbar(
                table["coefficient"],
                y,
                xerr=[table["coefficient"] - table["low"], table["high"] - table["coefficient"]],
                fmt="o",
                ms=4,
                color=colour,
                ecolor=colour,
                capsize=2,
            )
            ax.set_xlabel(f"log-odds per sd ({LEVEL:.0%} interval, runs resampled)", fontsize=7)
    fig.suptitle("What decides a firm's end: effects of initial attributes", fontsize=10)
    return Drawing(fig, tuple(dict.fromkeys(notes)))
