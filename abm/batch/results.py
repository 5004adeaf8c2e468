"""Stored results read back as tables: one `abm run` folder or one `abm sweep` store.

The one reader that figures (and anything else above the model) use. It names the run
folder's files once (`RUN_TABLES`, `SUMMARY_FILE`, `MANIFEST_FILE`, as `abm.run` writes
them) and where `abm analyze` stores sensitivity indices (`indices_path`). A folder that
holds no readable results raises `ResultsError`, one line naming the folder or file and
the problem.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from abm.batch import store
from abm.outdir import RUN_TABLES, SUMMARY_FILE, run_files
from abm.params import ParamError

MANIFEST_FILE = store.MANIFEST
INDICES_DIR = "sensitivity"  # STORE/sensitivity/METHOD_OUTPUT.json, written by `abm analyze`


class ResultsError(ParamError):
    """A folder holds no readable results; the message names the file and what is wrong."""


@dataclasses.dataclass
class StoredResults:
    """Tables of one or many runs, with the design that produced them.

    Every table leads with the id columns of a sweep (run_id, scenario, point, replicate,
    seed); a single run is point 0, replicate 0.
    """

    source: Path
    model: pd.DataFrame  # daily rows
    firms: pd.DataFrame  # monthly firm panel
    events: pd.DataFrame
    summary: pd.DataFrame  # one row per run
    method: str  # "single", "grid", "lhs", "sobol" or "morris"
    varied: list[str]  # parameters the design varied (dotted scenario keys)
    experiment_hash: str
    manifest: dict[str, Any]


def indices_path(out_dir: str | Path, method: str, output: str) -> Path:
    """Where `abm analyze` stores the indices of `output` beside a sweep's results."""
    return Path(out_dir) / INDICES_DIR / f"{method}_{output}.json"


def read_indices(out_dir: str | Path, method: str) -> dict[str, dict[str, Any]]:
    """Stored sensitivity records of one method, by output name (empty if none)."""
    found = {}
    for path in sorted((Path(out_dir) / INDICES_DIR).glob(f"{method}_*.json")):
        record = _json(path)
        found[record["output"]] = record
    return found


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ResultsError(f"{path}: not readable JSON ({err})") from None


def _is_sweep(manifest: Any) -> bool:
    return isinstance(manifest, dict) and "design" in manifest


def _parquet(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except (OSError, pa.ArrowException) as err:
        raise ResultsError(f"{path}: not a readable Parquet file ({err})") from None


def _single_run(folder: Path) -> StoredResults:
    missing = [name for name in run_files() if not (folder / name).is_file()]
    if missing:
        raise ResultsError(
            f"{folder}: {missing[0]} is missing; an `abm run` folder holds {', '.join(run_files())}"
        )
    manifest = _json(folder / MANIFEST_FILE)
    summary = _json(folder / SUMMARY_FILE)
    if not isinstance(manifest, dict) or "seed" not in manifest:
        raise ResultsError(f"{folder / MANIFEST_FILE}: not the manifest of an `abm run`")
    digest = str(manifest.get("scenario_hash", "unknown"))
    ids = {
        "run_id": f"{digest}-{manifest['seed']}",
        "scenario": Path(str(manifest.get("scenario_name", folder.name))).stem,
        "point": 0,
        "replicate": 0,
        "seed": manifest["seed"],
    }

    def lead(frame: pd.DataFrame) -> pd.DataFrame:
        return pd.concat([pd.DataFrame(ids, index=frame.index), frame], axis=1)

    tables = {name: lead(_parquet(folder / f"{name}.parquet")) for name in RUN_TABLES}
    return StoredResults(
        source=folder,
        summary=lead(pd.DataFrame([summary])),
        method="single",
        varied=[],
        experiment_hash=digest,
        manifest=manifest,
        **tables,
    )


def _sweep(folder: Path) -> StoredResults:
    if not (folder / MANIFEST_FILE).is_file():
        raise ResultsError(f"{folder}: {MANIFEST_FILE} is missing; a sweep store needs it")
    manifest = _json(folder / MANIFEST_FILE)
    if not _is_sweep(manifest):
        raise ResultsError(f"{folder / MANIFEST_FILE}: not the manifest of an `abm sweep`")
    if not store.stored_ids(folder):
        raise ResultsError(f"{folder}: the sweep has no finished run stored yet")
    try:
        results = store.load(folder)
    except (OSError, KeyError, ValueError, pa.ArrowException) as err:
        raise ResultsError(f"{folder}: a stored run is not readable ({err})") from None
    design = manifest["design"]
    return StoredResults(
        source=folder,
        model=results.model,
        firms=results.firms,
        events=results.events,
        summary=results.summary,
        method=str(design.get("method", "grid")),
        varied=list(design.get("names", [])),
        experiment_hash=str(manifest.get("experiment_hash", "unknown")),
        manifest=manifest,
    )


def read_results(path: str | Path) -> StoredResults:
    """Read an `abm run` output folder or an `abm sweep` store; ResultsError if neither."""
    folder = Path(path)
    if not folder.exists():
        raise ResultsError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise ResultsError(f"{folder}: not a folder")
    manifest = folder / MANIFEST_FILE
    if (folder / store.RUNS).is_dir() or (manifest.is_file() and _is_sweep(_json(manifest))):
        return _sweep(folder)
    if any((folder / name).exists() for name in run_files()):
        return _single_run(folder)
    raise ResultsError(
        f"{folder}: holds no results (an `abm run` folder has {', '.join(run_files())}; "
        f"a sweep store has {MANIFEST_FILE} and {store.RUNS}/)"
    )


__all__ = [
    "INDICES_DIR",
    "MANIFEST_FILE",
    "RUN_TABLES",
    "SUMMARY_FILE",
    "ResultsError",
    "StoredResults",
    "indices_path",
    "read_indices",
    "read_results",
    "run_files",
]
