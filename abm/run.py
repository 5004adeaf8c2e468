"""Run one scenario with one seed and collect its tables; write them atomically.

`run` is the public entry point batch runners and the CLI call. Its result holds pandas
tables (model series, firm panel, events), a summary and a manifest; `RunResult.write`
puts them in a folder as Parquet and JSON, all or nothing.
"""

from __future__ import annotations

import dataclasses
import functools
import platform
import subprocess
import time
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import pandas as pd

import abm
from abm.io import atomic_dir, content_hash, dumps
from abm.metrics.outcomes import RunTables, summarize
from abm.model import MiningModel
from abm.outdir import MANIFEST, RUN_TABLES, SUMMARY_FILE, check_output
from abm.scenario import Scenario, load_scenario


@dataclasses.dataclass
class RunResult:
    """Tables and metadata of one run."""

    model: pd.DataFrame
    firms: pd.DataFrame
    events: pd.DataFrame
    summary: dict[str, Any]
    manifest: dict[str, Any]

    def write(self, out_dir: str | Path, overwrite: bool = False) -> Path:
        """Write model/firms/events Parquet, summary and manifest JSON; all or nothing.

        `out_dir` must be new or empty, or hold an earlier `abm run` result, which is
        replaced only when `overwrite` is true; a folder of other files is never touched.

        Raises:
            ParamError: if `out_dir` is a file, holds other files or cannot be written.
        """
        out = Path(out_dir)
        check_output(out, "run", overwrite, "--overwrite")
        with atomic_dir(out, replace=True) as tmp:
            for name in RUN_TABLES:
                getattr(self, name).to_parquet(tmp / f"{name}.parquet", index=False)
            (tmp / SUMMARY_FILE).write_text(dumps(self.summary) + "\n")
            (tmp / MANIFEST).write_text(dumps(self.manifest) + "\n")
        return out


@functools.cache
def git_commit() -> str | None:
    """Commit of the source tree the package runs from, if that tree is a git checkout.

    An installed copy (site-packages) inside some other repository gets None, not that
    repository's commit. Asked once per process (a `git` call costs more than a short run).
    """
    package = Path(abm.__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--show-toplevel", "HEAD"],
            cwd=package,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    top, _, commit = out.stdout.strip().partition("\n")
    if Path(top).resolve() != package.parent:
        return None
    return commit or None


def run(
    scenario: Scenario | str | Path = "baseline_2026",
    seed: int = 0,
    progress: bool = False,
    **overrides: Any,
) -> RunResult:
    """Simulate `scenario` with root seed `seed` to its end date and return its tables."""
    name = Path(str(scenario)).stem if not isinstance(scenario, Scenario) else "custom"
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario, overrides or None)
    elif overrides:
        scenario = load_scenario(scenario.to_dict(), overrides)
    started = time.perf_counter()
    model = MiningModel(scenario, seed=seed)
    steps = range(model.n_steps)
    if progress:
        from tqdm import tqdm

        steps = tqdm(steps, desc="simulating", unit="day", mininterval=0.5)
    for _ in steps:
        model.step()
    wall_s = time.perf_counter() - started
    tables = RunTables(
        model=model.model_table(),
        firms=model.firm_table(),
        events=model.event_table(),
        description=scenario.description,
        dt_days=model.dt_days,
        btc_paid_sat=model.total_paid_sat,
        share_of_mw_in_ai=model.industry.share_of_mw_in_ai(),
    )
    parameters = scenario.to_dict()
    result = RunResult(
        model=tables.model,
        firms=tables.firms,
        events=tables.events,
        summary=summarize(tables),
        manifest={
            "scenario_name": name,
            "scenario_hash": content_hash(parameters),  # scenario.digest(), of the same mapping
            "scenario": parameters,
            "seed": seed,
            "package_version": abm.__version__,
            "git_commit": git_commit(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "mesa": mesa.__version__,
            "wall_time_s": round(wall_s, 3),
        },
    )
    return result
