"""Run one scenario with one seed and collect its tables; write them atomically.

`run` is the public entry point batch runners and the CLI call. Its result holds pandas
tables (model series, firm panel, events), a summary and a manifest; `RunResult.write`
puts them in a folder as Parquet and JSON, all or nothing.
"""

from __future__ import annotations

import dataclasses
import platform
import subprocess
import time
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import pandas as pd

import abm
from abm.chain import COIN_SAT
from abm.io import atomic_dir, dumps
from abm.metrics.bifurcation import CLASSES, run_bifurcation
from abm.metrics.extremes import security_extremes
from abm.model import MiningModel
from abm.outdir import check_output
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
            for name in ("model", "firms", "events"):
                getattr(self, name).to_parquet(tmp / f"{name}.parquet", index=False)
            for name in ("summary", "manifest"):
                (tmp / f"{name}.json").write_text(dumps(getattr(self, name)) + "\n")
        return out


def git_commit() -> str | None:
    """Commit of the source tree the package runs from, if that tree is a git checkout.

    An installed copy (site-packages) inside some other repository gets None, not that
    repository's commit.
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


def release_model(model: MiningModel) -> None:
    """Drop mesa 3.3.1's class-level references to a finished model (memory leak fix)."""
    mesa.Agent._ids.pop(model, None)


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
    model_table, firms, events = model.model_table(), model.firm_table(), model.event_table()
    result = RunResult(
        model=model_table,
        firms=firms,
        events=events,
        summary=summarize(model)
        | security_extremes(model_table, events)
        | bifurcation_summary(firms),
        manifest={
            "scenario_name": name,
            "scenario_hash": scenario.digest(),
            "scenario": scenario.to_dict(),
            "seed": seed,
            "package_version": abm.__version__,
            "git_commit": git_commit(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "mesa": mesa.__version__,
            "wall_time_s": round(wall_s, 3),
        },
    )
    release_model(model)
    return result


def bifurcation_summary(firms: pd.DataFrame) -> dict[str, Any]:
    """Class counts, bimodality and the winners' gap, flattened for the summary."""
    found = run_bifurcation(firms, firms.groupby("firm_id")["start_net_worth_usd"].first())
    flat = {f"firms_{label}": found["counts"][label] for label in CLASSES}
    flat |= {
        "bimodality_coefficient": found["bimodality_coefficient"],
        "outcome_bimodal": found["is_bimodal"],
        "winners_gap_log_net_worth": found["winners_gap"],
    }
    return flat


def summarize(model: MiningModel) -> dict[str, Any]:
    """Run-level numbers: chain, prices, industry outcome."""
    cols = model.series.columns
    kinds = [row["kind"] for row in model.events.rows]
    listed = model.listed
    issued_btc = float(cols["subsidy_btc"].sum() + cols["fees_btc"].sum())
    blocks = int(cols["blocks"].sum())
    elapsed_s = model.n_steps * model.dt_days * 86_400
    return {
        "description": model.params.description,
        "start_date": str(model.dates[0]),
        "end_date": str(model.dates[-1]),
        "steps": model.n_steps,
        "blocks": blocks,
        "final_height": int(model.chain.height),
        "retargets": kinds.count("retarget"),
        "mean_block_interval_s": elapsed_s / blocks if blocks else None,
        "difficulty_start": float(cols["difficulty"][0]),
        "difficulty_end": float(cols["difficulty"][-1]),
        "hashrate_eh_start": float(cols["hashrate_eh"][0]),
        "hashrate_eh_end": float(cols["hashrate_eh"][-1]),
        "btc_price_usd_end": float(cols["btc_price_usd"][-1]),
        "hashprice_usd_per_ph_day_min": float(cols["hashprice_usd_per_ph_day"].min()),
        "btc_issued": issued_btc,
        "btc_paid_to_firms": float(model.total_paid_sat / COIN_SAT),
        "firms": len(model.miners),
        "firms_alive_end": int(model.alive.sum()),
        "bankruptcies": kinds.count("bankruptcy"),
        "listed_bankruptcies": int((~model.alive & listed).sum()),
        "auctions": kinds.count("auction"),
        "share_of_mw_in_ai": model.share_of_mw_in_ai(),
        "asic_purchases": kinds.count("asic_purchase"),
    }
