"""The result store of a sweep: one folder per finished run, written all or nothing.

Layout of `out_dir`:

    manifest.json              the sweep: experiment hash and config, design, base
                               scenarios, versions, git commit, UTC times, every run's seed
    runs/<run_id>/             one finished run: model.parquet, firms.parquet,
                               events.parquet, summary.parquet (those kept) and manifest.json
    failed/<run_id>.json       a failed run: its spec, error and the worker's traceback

A run's folder is filled under a hidden temporary name (`runs/.<run_id>.<random>`) and
renamed into place with one `os.replace`, so a folder named after a run is always complete:
a sweep killed at any instant leaves at most a hidden temporary folder, which `load` never
reads and the next sweep deletes. The workers encode the Parquet parts (see
`abm.batch.runner.execute`); each carries the sweep manifest (without the long lists) and
the run's own manifest as JSON in its schema metadata, under `abm.manifest`.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from abm.batch.runner import METADATA_KEY, EncodedRun, RunFailure
from abm.batch.spec import TABLES
from abm.io import atomic_dir, dumps, write_json
from abm.params import ParamError

MANIFEST = "manifest.json"
RUNS = "runs"
FAILED = "failed"
# left out of each part's metadata: too long to repeat, or changing from session to session
# (the parts of a run are then the same bytes whoever wrote them, whenever)
PART_SKIPS = ("runs", "design", "base_scenarios", "sessions", "created_utc", "session_utc")


def read_manifest(out_dir: str | Path) -> dict[str, Any] | None:
    """The sweep manifest of `out_dir`, or None if there is none yet."""
    path = Path(out_dir) / MANIFEST
    return json.loads(path.read_text()) if path.exists() else None


def stored_ids(out_dir: str | Path) -> set[str]:
    """Ids of the finished runs in the store (hidden temporary folders excluded)."""
    runs = Path(out_dir) / RUNS
    if not runs.is_dir():
        return set()
    return {p.name for p in runs.iterdir() if p.is_dir() and not p.name.startswith(".")}


def failed_ids(out_dir: str | Path) -> set[str]:
    """Ids of runs whose last attempt failed (and that have not finished since)."""
    folder = Path(out_dir) / FAILED
    if not folder.is_dir():
        return set()
    found = {p.stem for p in folder.glob("*.json") if not p.name.startswith(".")}
    return found - stored_ids(out_dir)


def remove_temporaries(out_dir: str | Path) -> int:
    """Delete run folders and files left half-written by an interrupted sweep; count them."""
    out = Path(out_dir)
    found = [*out.glob(f".{MANIFEST}.*"), *out.glob(f"{RUNS}/.*"), *out.glob(f"{FAILED}/.*")]
    for path in found:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
    return len(found)


def part_manifest(sweep_manifest: dict[str, Any]) -> dict[str, Any]:
    """The sweep manifest as each Parquet part carries it (without the long lists)."""
    return {k: v for k, v in sweep_manifest.items() if k not in PART_SKIPS}


def write_run(out_dir: str | Path, result: EncodedRun) -> Path:
    """Store one finished run under runs/<run_id>/ all or nothing; return its folder.

    A run stored meanwhile by another sweep of the same folder is kept as it is.
    """
    final = Path(out_dir) / RUNS / result.spec.id
    with atomic_dir(final) as tmp:
        for name, data in result.parts.items():
            (tmp / f"{name}.parquet").write_bytes(data)
        parts = [f"{name}.parquet" for name in result.parts]
        (tmp / MANIFEST).write_text(dumps({**result.manifest, "parts": parts}) + "\n")
    (Path(out_dir) / FAILED / f"{result.spec.id}.json").unlink(missing_ok=True)
    return final


def write_failure(out_dir: str | Path, failure: RunFailure, when_utc: str) -> Path:
    """Record a failed run: spec, error, traceback, worker; the sweep goes on."""
    path = Path(out_dir) / FAILED / f"{failure.spec.id}.json"
    record = {
        "run_id": failure.spec.id,
        "spec": failure.spec.to_dict(),
        "error": failure.error,
        "traceback": failure.traceback,
        "worker": failure.worker,
        "failed_utc": when_utc,
    }
    write_json(path, record)
    return path


def read_part_metadata(path: str | Path) -> dict[str, Any]:
    """The manifest stored in one Parquet part's schema metadata."""
    return json.loads(pq.read_schema(path).metadata[METADATA_KEY])


@dataclasses.dataclass
class Results:
    """Every finished run of a sweep as tables; rows ordered by (point, replicate)."""

    model: pd.DataFrame
    firms: pd.DataFrame
    events: pd.DataFrame
    summary: pd.DataFrame  # one row per run
    runs: pd.DataFrame  # one row per run: ids, seed, wall time, worker
    failures: pd.DataFrame  # one row per run whose last attempt failed
    manifest: dict[str, Any] | None


def _concat(tables: list[pa.Table]) -> pd.DataFrame:
    """One frame of many parts, datetime columns back in their pandas unit.

    Parquet has no seconds unit: datetime64[s] is stored as milliseconds.
    """
    if not tables:
        return pd.DataFrame()
    merged = pa.concat_tables(tables, promote_options="permissive")
    frame = merged.to_pandas()
    for column in (merged.schema.pandas_metadata or {}).get("columns", []):
        numpy_type = str(column.get("numpy_type", ""))
        if numpy_type.startswith("datetime64[") and column["name"] in frame.columns:
            frame[column["name"]] = frame[column["name"]].astype(numpy_type)
    return frame


def load(out_dir: str | Path) -> Results:
    """Read every finished run of the sweep in `out_dir` (temporary files are never read).

    Raises:
        ParamError: if `out_dir` is missing or holds no finished run (saying how many
            failed), so an empty result is never mistaken for data.
    """
    out = Path(out_dir)
    if not out.is_dir():
        raise ParamError(f"{out}: no such sweep folder")
    ids = stored_ids(out)
    if not ids:
        failed = len(failed_ids(out))
        why = f"{failed} failed (tracebacks in {out / FAILED})" if failed else "none was run"
        raise ParamError(f"{out}: holds no finished run ({why}); run or resume the sweep first")
    manifests = []
    for run_id in ids:
        manifests.append(json.loads((out / RUNS / run_id / MANIFEST).read_text()))
    manifests.sort(key=lambda m: (m["spec"]["point"], m["spec"]["replicate"], m["run_id"]))
    parts: dict[str, list[pa.Table]] = {name: [] for name in TABLES}
    for manifest in manifests:
        for part in manifest["parts"]:
            table = pq.read_table(out / RUNS / manifest["run_id"] / part)
            parts[Path(part).stem].append(table)
    runs = pd.DataFrame(
        [
            {
                "run_id": m["run_id"],
                "point": m["spec"]["point"],
                "replicate": m["spec"]["replicate"],
                "seed": m["spec"]["seed"],
                "wall_time_s": m.get("wall_time_s"),
                "worker_pid": m.get("worker", {}).get("pid"),
                "peak_rss_mb": m.get("worker", {}).get("peak_rss_mb"),
                "mesa_models_held": m.get("worker", {}).get("mesa_models_held"),
            }
            for m in manifests
        ]
    )
    failures = []
    for run_id in sorted(failed_ids(out)):
        record = json.loads((out / FAILED / f"{run_id}.json").read_text())
        spec = record["spec"]
        failures.append(
            {
                "run_id": run_id,
                "point": spec["point"],
                "replicate": spec["replicate"],
                "error": record["error"],
                "traceback": record["traceback"],
            }
        )
    return Results(
        model=_concat(parts["model"]),
        firms=_concat(parts["firms"]),
        events=_concat(parts["events"]),
        summary=_concat(parts["summary"]),
        runs=runs,
        failures=pd.DataFrame(failures),
        manifest=read_manifest(out),
    )
