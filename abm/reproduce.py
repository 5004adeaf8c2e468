"""`abm reproduce NAME`: run a catalogued experiment, then draw the figures it lists.

By default the experiment is cut to a size a 2-core machine finishes in minutes (fewer
replicates and design samples, same design and root seed, so a quick run's seeds are a
subset of the full run's); `full=True` runs the size in the file.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from abm.batch.analyze import SENSITIVITY_METHODS, analyze
from abm.batch.executor import local_executor
from abm.batch.experiment import Experiment, load_experiment
from abm.batch.sweep import SweepReport, sweep
from abm.figures import Report, draw_figures, load_figure_data
from abm.figures.sensitivity import OUTPUTS

QUICK_REPLICATES = 10  # runs per design point in a quick reproduction
QUICK_SAMPLES = {"lhs": 16, "sobol": 8, "morris": 4}  # design samples in a quick reproduction


def quick(exp: Experiment) -> Experiment:
    """The same experiment with at most QUICK_REPLICATES replicates and fewer samples."""
    samples = exp.design.samples
    if exp.design.method in QUICK_SAMPLES:
        samples = min(samples, QUICK_SAMPLES[exp.design.method])
    return dataclasses.replace(
        exp,
        replicates=min(exp.replicates, QUICK_REPLICATES),
        design=dataclasses.replace(exp.design, samples=samples),
    )


def reproduce(
    name: str,
    out_dir: Path | None = None,
    full: bool = False,
    workers: int | None = None,
    formats: tuple[str, ...] = ("pdf", "png"),
) -> tuple[Path, SweepReport, Report]:
    """Sweep experiment `name` (resuming what is stored), analyze it, then draw its figures.

    A sobol or morris sweep is analyzed for the sensitivity figure's outputs first, so
    the figure reads stored indices. Returns the store, the sweep and the figure reports.
    """
    exp = load_experiment(name)
    exp = exp if full else quick(exp)
    out = out_dir or Path("results") / (exp.name if full else f"{exp.name}_quick")
    executor = local_executor(workers)
    try:
        report = sweep(exp.specs(), out, executor, manifest=exp.manifest(), progress=True)
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
    if report.ok and exp.design.method in SENSITIVITY_METHODS:
        for output in OUTPUTS:
            analyze(out, exp.design.method, output)
    data = load_figure_data(out)
    return out, report, draw_figures(data, out / "figures", list(exp.figures), formats)
