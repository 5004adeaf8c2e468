"""Results as figures read them: one `abm run` folder or a sweep store, as the same tables."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pandas as pd


class FigureError(ValueError):
    """The results lack what a figure needs; the message says what and how to get it."""


@dataclasses.dataclass
class FigureData:
    """Tables of one or many runs, with the design that produced them."""

    source: Path
    model: pd.DataFrame  # daily rows, with run_id and scenario
    firms: pd.DataFrame  # monthly firm panel, with run_id and scenario
    events: pd.DataFrame
    summary: pd.DataFrame  # one row per run
    method: str  # "single", "grid", "lhs", "sobol" or "morris"
    varied: list[str]  # the parameters the design varied (dotted scenario keys)
    experiment_hash: str
    manifest: dict[str, Any]

    @property
    def n_runs(self) -> int:
        """Number of runs in the results."""
        return len(self.summary)

    def need(self, figure: str, tables: tuple[str, ...] = (), runs: int = 1) -> None:
        """Raise FigureError unless the results hold these tables and at least `runs` runs."""
        for name in tables:
            if getattr(self, name).empty:
                raise FigureError(
                    f"{figure} needs the {name} table, which {self.source} lacks: "
                    f"keep '{name}' in the experiment's [outputs] tables"
                )
        if self.n_runs < runs:
            raise FigureError(
                f"{figure} needs at least {runs} runs; {self.source} holds {self.n_runs}: "
                "draw it from a sweep (abm sweep EXPERIMENT)"
            )


def _single_run(folder: Path) -> FigureData:
    manifest = json.loads((folder / "manifest.json").read_text())
    summary = json.loads((folder / "summary.json").read_text())
    run_id = f"{manifest['scenario_hash']}-{manifest['seed']}"
    label = Path(str(manifest.get("scenario_name", folder.name))).stem

    def table(name: str) -> pd.DataFrame:
        frame = pd.read_parquet(folder / f"{name}.parquet")
        return frame.assign(run_id=run_id, scenario=label)

    return FigureData(
        source=folder,
        model=table("model"),
        firms=table("firms"),
        events=table("events"),
        summary=pd.DataFrame([summary]).assign(run_id=run_id, scenario=label),
        method="single",
        varied=[],
        experiment_hash=manifest["scenario_hash"],
        manifest=manifest,
    )


def load_figure_data(path: str | Path) -> FigureData:
    """Read an `abm run` output folder or an `abm sweep` store."""
    folder = Path(path)
    if (folder / "model.parquet").exists():
        return _single_run(folder)
    if not (folder / "manifest.json").exists():
        raise FigureError(f"{folder}: neither an `abm run` output nor an `abm sweep` store")
    from abm.batch import load  # the batch layer sits beside figures, above the model

    results = load(folder)
    manifest = results.manifest or {}
    design = manifest.get("design", {})
    return FigureData(
        source=folder,
        model=results.model,
        firms=results.firms,
        events=results.events,
        summary=results.summary,
        method=design.get("method", "grid"),
        varied=list(design.get("names", [])),
        experiment_hash=manifest.get("experiment_hash", "unknown"),
        manifest=manifest,
    )
