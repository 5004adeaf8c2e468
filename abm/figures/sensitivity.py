"""Figure sensitivity: Sobol first- and total-order indices with 95 % intervals.

For a few run outputs, from a Sobol sweep (SALib through abm.batch.analyze).
"""

from __future__ import annotations

import numpy as np

from abm.figures.data import FigureData, FigureError
from abm.figures.style import OKABE_ITO, new_figure

OUTPUTS = ("share_of_mw_in_ai", "bankruptcies", "min_capex_attack_cost_usd")


def draw(data: FigureData):
    """One bar panel per output: S1 and ST per parameter, with CI whiskers."""
    if data.method != "sobol":
        raise FigureError(
            f"sensitivity needs a Sobol sweep ([design] method = 'sobol'); {data.source} is "
            f"a {data.method} design"
        )
    from abm.batch import analyze

    outputs = [o for o in OUTPUTS if o in data.summary]
    fig, axes = new_figure(1, len(outputs), size=(3.6 * len(outputs), 3.6), squeeze=False)
    for ax, output in zip(axes[0], outputs, strict=True):
        table = analyze(data.source, "sobol", output)
        x = np.arange(len(table))
        for shift, (name, colour) in zip(
            (-0.2, 0.2), (("S1", OKABE_ITO[0]), ("ST", OKABE_ITO[1])), strict=True
        ):
            ax.bar(
                x + shift,
                table[name],
                0.4,
                yerr=table[f"{name}_conf"],
                color=colour,
                capsize=2,
                label=name,
            )
        names = [str(p).split(".")[-1].replace("_", " ") for p in table["parameter"]]
        ax.set_xticks(x, names, rotation=35, ha="right")
        ax.set_title(output)
        ax.set_ylabel("Sobol index")
        ax.axhline(0, color="black", lw=0.6)
    axes[0][0].legend(loc="upper right")
    samples = data.manifest.get("experiment", {}).get("design", {}).get("samples", "?")
    fig.suptitle(
        f"Sobol indices, base sample N = {samples}, {data.n_runs} runs "
        "(bars: 95 % bootstrap intervals; small N gives wide intervals)",
        fontsize=10,
    )
    return fig
