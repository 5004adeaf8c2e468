"""`abm figures DIR` draws what stored results support.

Bad input (no results in DIR, an unreadable file, an unknown format) exits with status 2
and one line on stderr naming the problem, before anything is written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the drawing code loads inside the command: `abm --help` starts at once
    from abm.figures import Report

EXIT_BAD_INPUT = 2


def parse_formats(text: str) -> tuple[str, ...]:
    """The figure formats of a comma list such as "pdf,png"."""
    return tuple(f.strip() for f in text.split(",") if f.strip())


def print_report(report: Report) -> None:
    """Files written, what each figure left out, and which figures need other results."""
    for name, paths in report.written.items():
        print(f"{name}: {', '.join(str(p) for p in paths)}")
        for note in report.notes.get(name, ()):
            print(f"  note: {note}")
    if report.skipped:
        print("figures that need other results (not drawn):")
        width = max(len(name) for name in report.skipped)
        for name, reason in report.skipped.items():
            print(f"  {name:<{width}}  {reason}")


def cmd_figures(args: argparse.Namespace) -> int:
    """Draw every figure the results support (or only one, failing if it cannot)."""
    from abm.batch.results import ResultsError
    from abm.figures import (
        FIGURES,
        FigureError,
        Report,
        draw_figure,
        draw_figures,
        load_figure_data,
    )
    from abm.figures.data import plural
    from abm.figures.style import check_formats

    formats = parse_formats(args.format)
    try:
        if args.only is not None and args.only not in FIGURES:
            raise FigureError(
                f"--only {args.only!r} is not a figure; allowed: {', '.join(sorted(FIGURES))}"
            )
        check_formats(formats)
        data = load_figure_data(args.results)
        data.timeline_run = args.run
        out = Path(args.out) if args.out else Path(args.results) / "figures"
        if args.only:
            paths, notes = draw_figure(data, args.only, out, formats)
            report = Report({args.only: paths}, {}, {args.only: notes})
        else:
            report = draw_figures(data, out, formats=formats)
    except (ResultsError, FigureError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    runs = data.runs()
    print(
        f"{data.source}: {plural(len(runs), 'run')} of "
        f"{plural(runs['group'].nunique(), 'design point')} ({data.method})"
    )
    print_report(report)
    return 0


def add_subcommands(sub: argparse._SubParsersAction) -> None:
    """Register `figures` on the `abm` command line."""
    p = sub.add_parser("figures", help="draw research figures from stored results")
    p.add_argument("results", help="an `abm run` output folder or an `abm sweep` store")
    p.add_argument("--out", help="figure folder (default RESULTS/figures)")
    p.add_argument("--only", metavar="FIGURE", help="draw just this figure (see README)")
    p.add_argument("--format", default="pdf,png", help="comma list of pdf, png, svg")
    p.add_argument("--run", help="run id or seed for migration_timeline (default: median run)")
    p.set_defaults(func=cmd_figures)
