"""Figure sensitivity: Sobol first- and total-order indices with 95 % intervals, and S2.

Reads the indices `abm analyze` stored beside a Sobol sweep (it computes nothing); draws
only outputs that vary, second-order indices when the design asked for them, and the
small-sample warning when the intervals are too wide to mean anything.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from abm.batch.results import read_indices
from abm.figures.data import FigureData, FigureError, plural, short_name
from abm.figures.style import OKABE_ITO, Drawing, new_figure

OUTPUTS = ("share_of_mw_in_ai", "bankruptcies", "min_capex_attack_cost_usd")  # abm reproduce


def _bars(ax, table: pd.DataFrame, names: list[str]) -> None:
    x = np.arange(len(table))
    for shift, (key, colour) in zip(
        (-0.2, 0.2), (("S1", OKABE_ITO[0]), ("ST", OKABE_ITO[1])), strict=True
    ):
        ax.bar(
            x + shift,
            table[key],
            0.4,
            yerr=table[f"{key}_conf"],
            color=colour,
            capsize=2,
            label=key,
        )
    ax.set_xticks(x, names, rotation=35, ha="right")
    ax.set_ylabel("Sobol index")
    ax.axhline(0, color="black", lw=0.6)


def _pairs(fig, ax, table: pd.DataFrame, names: list[str]) -> None:
    params = list(table["parameter"])
    s2 = table[[f"S2_{p}" for p in params]].to_numpy(dtype=float)
    image = ax.imshow(s2, cmap="viridis", aspect="auto")
    for i, j in zip(*np.nonzero(np.isfinite(s2)), strict=True):
        ax.text(j, i, f"{s2[i, j]:.2f}", ha="center", va="center", fontsize=7, color="white")
    ax.set_xticks(range(len(names)), names, rotation=35, ha="right")
    ax.set_yticks(range(len(names)), names)
    ax.grid(False)
    fig.colorbar(image, ax=ax, label="S2 (pair)")


def draw(data: FigureData) -> Drawing:
    """Per output that varies: S1 and ST bars with intervals; S2 pairs below if stored."""
    if data.method != "sobol":
        raise FigureError(
            f"sensitivity needs a Sobol sweep ([design] method = 'sobol'); {data.source} is "
            f"a {data.method} design"
        )
    records = read_indices(data.source, "sobol")
    if not records:
        raise FigureError(
            f"sensitivity draws the indices `abm analyze` stores; {data.source} has none yet "
            f"(abm analyze {data.source} --method sobol --output {OUTPUTS[0]})"
        )
    drawn = {o: r for o, r in records.items() if r["varies"]}
    notes = [f"{o} is the same in every run: left out" for o in records if o not in drawn]
    if not drawn:
        raise FigureError(f"sensitivity: no analysed output varies in {data.source}")
    second = any(r["second_order"] for r in drawn.values())
    fig, axes = new_figure(
        2 if second else 1,
        len(drawn),
        size=(3.8 * len(drawn), 7.0 if second else 3.8),
        squeeze=False,
    )
    for j, (output, record) in enumerate(drawn.items()):
        table = pd.DataFrame(record["indices"])
        names = [short_name(p) for p in table["parameter"]]
        _bars(axes[0][j], table, names)
        axes[0][j].set_title(output, fontsize=9)
        if second:
            _pairs(fig, axes[1][j], table, names)
            axes[1][j].set_title(f"{output}: second order", fontsize=9)
    axes[0][0].legend(loc="upper right")
    first = next(iter(drawn.values()))
    title = (
        f"Sobol indices, base sample N = {first['samples']}, {plural(data.n_runs, 'run')} "
        "(bars: 95 % bootstrap intervals)"
    )
    warnings = sorted({r["warning"] for r in drawn.values() if r["warning"]})
    if warnings:
        notes.append(f"warning: {warnings[0]}")
        title += "\nWARNING: intervals too wide to read the indices; raise the base sample N"
    fig.suptitle(title, fontsize=10, color=OKABE_ITO[3] if warnings else "black")
    return Drawing(fig, tuple(notes))
