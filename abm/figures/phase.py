"""Figure phase_diagram: migration to AI and bankruptcies over two swept parameters.

Mean share of site MW in AI hosting and of firms bankrupt, e.g. over AI demand growth x
BTC drift, from a grid or a sampled design (binned).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from abm.figures.data import FigureData, FigureError, plural, short_name
from abm.figures.style import Drawing, new_figure

MAX_BINS = 6


def _levels(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Bin index of each run and bin labels: levels of a grid, or quantile bins."""
    unique = np.sort(values.unique())
    if len(unique) <= MAX_BINS:
        return np.searchsorted(unique, values), [f"{v:.3g}" for v in unique]
    edges = np.quantile(values, np.linspace(0, 1, MAX_BINS + 1))
    index = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, MAX_BINS - 1)
    return index, [f"{(a + b) / 2:.3g}" for a, b in itertools.pairwise(edges)]


def draw(data: FigureData) -> Drawing:
    """Heatmaps over the first two varied parameters (others averaged), of shares that move."""
    data.need("phase_diagram", ("summary",), runs=4)
    numeric = [
        p
        for p in data.varied
        if p in data.summary and pd.api.types.is_numeric_dtype(data.summary[p])
    ]
    if len(numeric) < 2:
        raise FigureError(
            f"phase_diagram needs a sweep over two numeric parameters; {data.source} varies "
            f"{', '.join(data.varied) or 'none'}"
        )
    x_name, y_name = numeric[:2]
    s = data.summary
    xi, x_labels = _levels(s[x_name])
    yi, y_labels = _levels(s[y_name])
    shares = {
        "share of site MW in AI hosting": s["share_of_mw_in_ai"],
        "share of firms bankrupt": s["bankruptcies"] / s["firms"],
    }
    notes = [f"{title} is 0 in every run: left out" for title, v in shares.items() if not v.any()]
    shares = {title: v for title, v in shares.items() if v.any()}
    if not shares:
        raise FigureError(
            f"phase_diagram: no run moved site MW into AI or lost a firm "
            f"({plural(len(s), 'run')}); there is no phase to draw"
        )
    cells = pd.DataFrame({"x": xi, "y": yi}).value_counts()
    fig, axes = new_figure(1, len(shares), size=(5.0 * len(shares), 4.0), squeeze=False)
    for ax, (title, values) in zip(axes[0], shares.items(), strict=True):
        grid = np.full((len(y_labels), len(x_labels)), np.nan)
        frame = pd.DataFrame({"x": xi, "y": yi, "v": values.to_numpy()})
        for (x, y), v in frame.groupby(["x", "y"])["v"].mean().items():
            grid[y, x] = v
        image = ax.imshow(grid * 100, origin="lower", cmap="viridis", aspect="auto", vmin=0)
        fig.colorbar(image, ax=ax, label=f"{title} (%)")
        ax.set_xticks(range(len(x_labels)), x_labels)
        ax.set_yticks(range(len(y_labels)), y_labels)
        ax.set_xlabel(x_name)
        ax.set_ylabel(y_name)
        ax.set_title(f"Mean {title}")
        ax.grid(False)
    others = [short_name(p) for p in data.varied if p not in (x_name, y_name)]
    spread = f"{cells.min()}" if cells.min() == cells.max() else f"{cells.min()}-{cells.max()}"
    fig.suptitle(
        f"{plural(len(s), 'run')}, {spread} per cell (blank: no run)"
        + (f", averaged over {', '.join(others)}" if others else ""),
        fontsize=10,
    )
    return Drawing(fig, tuple(notes))
