"""`abm figures DIR` draws what stored results support; `abm reproduce NAME` runs and draws."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from abm.figures import FIGURES, FigureError, draw_figure, draw_figures, load_figure_data


def _formats(text: str) -> tuple[str, ...]:
    return tuple(f.strip() for f in text.split(",") if f.strip())


def cmd_figures(args: argparse.Namespace) -> int:
    """Draw every figure the results support (or only one, failing if it cannot)."""
    data = load_figure_data(args.results)
    out = Path(args.out) if args.out else Path(args.results) / "figures"
    formats = _formats(args.format)
    if args.only:
        try:
            paths = draw_figure(data, args.only, out, formats)
        except FigureError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        print("\n".join(str(p) for p in paths))
        return 0
    written, skipped = draw_figures(data, out, formats=formats)
    for name, paths in written.items():
        print(f"{name}: {', '.join(str(p) for p in paths)}")
    for name, reason in skipped.items():
        print(f"{name}: skipped: {reason}")
    return 0


def add_subcommands(sub: argparse._SubParsersAction) -> None:
    """Register `figures` and `reproduce` on the `abm` command line."""
    p = sub.add_parser("figures", help="draw research figures from stored results")
    p.add_argument("results", help="an `abm run` output folder or an `abm sweep` store")
    p.add_argument("--out", help="figure folder (default RESULTS/figures)")
    p.add_argument("--only", choices=sorted(FIGURES), help="draw just this figure")
    p.add_argument("--format", default="pdf,png", help="comma list of pdf, png, svg")
    p.set_defaults(func=cmd_figures)
    p = sub.add_parser("reproduce", help="run a catalogued experiment and draw its figures")
    p.add_argument("experiment", help="experiment name (experiments/NAME.toml) or path")
    p.add_argument("--full", action="store_true", help="the size in the file, not the quick one")
    p.add_argument("--out", help="store folder (default results/NAME_quick or results/NAME)")
    p.add_argument("--workers", type=int, help="worker processes (default: one per CPU)")
    p.add_argument("--format", default="pdf,png", help="comma list of pdf, png, svg")
    p.set_defaults(func=cmd_reproduce)


def cmd_reproduce(args: argparse.Namespace) -> int:
    """Run a catalogued experiment and draw its figures."""
    from abm.reproduce import reproduce

    out, report, written, skipped = reproduce(
        args.experiment,
        Path(args.out) if args.out else None,
        full=args.full,
        workers=args.workers,
        formats=_formats(args.format),
    )
    print(
        f"{out}: {report.done} runs done, {report.failed} failed, "
        f"{report.stored_before} stored before"
    )
    for name, paths in written.items():
        print(f"{name}: {', '.join(str(p) for p in paths)}")
    for name, reason in skipped.items():
        print(f"{name}: could not draw: {reason}", file=sys.stderr)
    return 0 if report.ok and not skipped else 1
