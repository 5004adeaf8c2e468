"""The figure catalogue: every figure by name, and drawing and saving them in one style."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import matplotlib.pyplot as plt

from abm.figures import (
    bifurcation,
    china,
    drivers,
    fans,
    phase,
    security,
    sensitivity,
    timeline,
)
from abm.figures.data import FigureData, FigureError
from abm.figures.style import STYLE, Drawing, save

FIGURES = {
    "migration_timeline": timeline.draw,
    "fan_charts": fans.draw,
    "bifurcation": bifurcation.draw,
    "pivot_drivers": drivers.draw,
    "security": security.draw,
    "phase_diagram": phase.draw,
    "sensitivity": sensitivity.draw,
    "china_2021": china.draw,
}


@dataclasses.dataclass
class Report:
    """What `draw_figures` did: files per figure, why others were not drawn, what was left out."""

    written: dict[str, list[Path]] = dataclasses.field(default_factory=dict)
    skipped: dict[str, str] = dataclasses.field(default_factory=dict)
    notes: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)


def render(data: FigureData, name: str) -> Drawing:
    """Draw one figure in the project style (not saved); FigureError if the data cannot."""
    if name not in FIGURES:
        raise FigureError(f"unknown figure {name!r}; known: {', '.join(FIGURES)}")
    with plt.rc_context(STYLE):
        return FIGURES[name](data)


def draw_figure(
    data: FigureData, name: str, out_dir: Path, formats: tuple[str, ...] = ("pdf", "png")
) -> tuple[list[Path], tuple[str, ...]]:
    """Draw one figure and write it in each format; return the files and what was left out."""
    drawing = render(data, name)
    return save(drawing.figure, out_dir, name, formats, data.experiment_hash), drawing.notes


def draw_figures(
    data: FigureData,
    out_dir: Path,
    names: list[str] | None = None,
    formats: tuple[str, ...] = ("pdf", "png"),
) -> Report:
    """Draw every figure the data supports (or `names`)."""
    report = Report()
    for name in names or list(FIGURES):
        try:
            report.written[name], notes = draw_figure(data, name, out_dir, formats)
        except FigureError as err:
            report.skipped[name] = str(err)
            continue
        if notes:
            report.notes[name] = notes
    return report
