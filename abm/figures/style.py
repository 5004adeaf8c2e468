"""One figure style for the project, and deterministic saving with provenance metadata.

Okabe-Ito colours (safe for the common colour-vision deficiencies), TrueType fonts in PDFs
(`pdf.fonttype = 42`, so journals can edit text), a fixed SVG hash salt and no dates in
file metadata, so the same data draw the same bytes. Every file carries the experiment
hash of the results it was drawn from.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import matplotlib
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from abm.figures.data import FigureError

OKABE_ITO = (  # Okabe & Ito (2008), colour-universal design
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",
)
CLASS_COLOURS = {
    "infrastructure": OKABE_ITO[2],
    "hybrid": OKABE_ITO[5],
    "pure_miner": OKABE_ITO[1],
    "bankrupt": OKABE_ITO[3],
}
FORMATS = ("pdf", "png", "svg")
STYLE = {
    "axes.prop_cycle": matplotlib.cycler(color=OKABE_ITO),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "font.family": "DejaVu Sans",  # ships with matplotlib: same glyphs on every machine
    "figure.dpi": 100,
    "savefig.dpi": 200,
    "savefig.bbox": "tight",
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "svg.hashsalt": "abm",  # fixed ids in SVG output: identical bytes on every draw
    "svg.fonttype": "none",
}


class Drawing(NamedTuple):
    """A drawn figure and what it left out, each reason said once."""

    figure: Figure
    notes: tuple[str, ...] = ()


def new_figure(nrows: int = 1, ncols: int = 1, size: tuple[float, float] = (7.0, 4.5), **kw):
    """A figure and axes (draw inside `plt.rc_context(STYLE)`, as `draw_figure` does)."""
    kw.setdefault("layout", "constrained")  # no overlapping labels between panels
    return plt.subplots(nrows, ncols, figsize=size, **kw)


def check_formats(formats: tuple[str, ...]) -> None:
    """FigureError naming the first format that is not pdf, png or svg."""
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise FigureError(
            f"figure format {(unknown or [''])[0]!r} is not allowed; allowed: {', '.join(FORMATS)}"
        )


def save(
    fig, out_dir: Path, name: str, formats: tuple[str, ...], experiment_hash: str
) -> list[Path]:
    """Write `fig` as name.<format> for each format; no dates, the hash in the metadata."""
    check_formats(formats)
    out_dir.mkdir(parents=True, exist_ok=True)
    title = f"abm {name}"
    metadata = {
        "pdf": {
            "Title": title,
            "Subject": f"experiment {experiment_hash}",
            "CreationDate": None,
            "ModDate": None,
            "Creator": "abm",
            "Producer": "abm",
        },
        "png": {"Title": title, "Description": f"experiment {experiment_hash}", "Software": "abm"},
        "svg": {
            "Title": title,
            "Description": f"experiment {experiment_hash}",
            "Date": None,
            "Creator": "abm",
        },
    }
    written = []
    with plt.rc_context(STYLE):
        for fmt in formats:
            path = out_dir / f"{name}.{fmt}"
            fig.savefig(path, format=fmt, metadata=metadata[fmt])
            written.append(path)
    plt.close(fig)
    return written
