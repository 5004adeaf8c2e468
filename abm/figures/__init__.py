"""Research figures drawn from stored results (an `abm run` folder or an `abm sweep` store).

    data = load_figure_data("results/bifurcation")
    draw_figures(data, Path("figures"), formats=("pdf", "png"))

Each figure is one module with a `draw(data) -> Figure` that raises FigureError, naming
what is missing, when the results cannot support it.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt

from abm.figures import bifurcation, china, fans, phase, security, sensitivity, timeline
from abm.figures.data import FigureData, FigureError, load_figure_data
from abm.figures.style import STYLE, save

FIGURES = {
    "migration_timeline": timeline.draw,
    "fan_charts": fans.draw,
    "bifurcation": bifurcation.draw,
    "security": security.draw,
    "phase_diagram": phase.draw,
    "sensitivity": sensitivity.draw,
    "china_2021": china.draw,
}

__all__ = [
    "FIGURES",
    "FigureData",
    "FigureError",
    "draw_figure",
    "draw_figures",
    "load_figure_data",
]


def draw_figure(
    data: FigureData, name: str, out_dir: Path, formats: tuple[str, ...] = ("pdf", "png")
) -> list[Path]:
    """Draw one figure and write it in each format; FigureError if the data cannot."""
    if name not in FIGURES:
        raise FigureError(f"unknown figure {name!r}; known: {', '.join(FIGURES)}")
    with plt.rc_context(STYLE):
        figure = FIGURES[name](data)
    return save(figure, out_dir, name, formats, data.experiment_hash)


def draw_figures(
    data: FigureData,
    out_dir: Path,
    names: list[str] | None = None,
    formats: tuple[str, ...] = ("pdf", "png"),
) -> tuple[dict[str, list[Path]], dict[str, str]]:
    """Draw every figure the data supports (or `names`); return (written, skipped reasons)."""
    written, skipped = {}, {}
    for name in names or list(FIGURES):
        try:
            written[name] = draw_figure(data, name, out_dir, formats)
        except FigureError as err:
            skipped[name] = str(err)
    return written, skipped
