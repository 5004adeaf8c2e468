"""Run many specs on any executor, storing each result as it completes; resumable.

`sweep(specs, out_dir, executor)` skips specs whose runs are already stored, submits the
rest (a bounded number in flight), and writes each result the moment it completes, so an
interrupted sweep loses only the runs in flight and the next call finishes exactly the
missing ones. A run that raises is recorded with its traceback in `failed/` and counted;
the sweep goes on. Which executor runs a spec changes nothing in its output: the seed is
in the spec.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.metadata
import os
import platform
import time
import traceback
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Executor, Future, wait
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import pandas as pd
import pyarrow as pa
import scipy
from tqdm import tqdm

import abm
from abm.batch import store
from abm.batch.executor import SerialExecutor, capacity, local_executor
from abm.batch.runner import EncodedRun, RunFailure, execute
from abm.batch.spec import RunSpec, unique_ids
from abm.io import write_json
from abm.outdir import check_output
from abm.params import ParamError
from abm.run import git_commit


@dataclasses.dataclass
class SweepReport:
    """What one call of `sweep` did."""

    out_dir: Path
    planned: int  # specs given
    stored_before: int  # of those, already stored: skipped
    done: int  # finished by this call
    failed: int  # failed in this call (recorded in failed/)
    left: int  # not attempted (max_runs)
    wall_s: float
    store_s: float  # time spent writing results in this process
    failures: list[tuple[str, str]]  # (run_id, error) of this call's failures
    broken: str | None = None  # why the executor stopped taking work, if it did

    @property
    def ok(self) -> bool:
        """No run failed and the executor did not break."""
        return self.failed == 0 and self.broken is None


def utc_now() -> str:
    """Current UTC time, ISO 8601 to the second."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def provenance() -> dict[str, Any]:
    """Package version, git commit and library versions of this process."""
    return {
        "package_version": abm.__version__,
        "git_commit": git_commit(),
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "pyarrow": pa.__version__,
            "mesa": mesa.__version__,
            "scipy": scipy.__version__,
            "SALib": importlib.metadata.version("SALib"),
        },
    }


def _leaves(tree: Any, prefix: str = "") -> dict[str, Any]:
    """{dotted key: value} of the leaves of nested mappings."""
    if not isinstance(tree, dict):
        return {prefix: tree}
    found: dict[str, Any] = {}
    for key, value in tree.items():
        found |= _leaves(value, f"{prefix}.{key}" if prefix else str(key))
    return found


def changes(old: dict[str, Any], new: dict[str, Any], shown: int = 5) -> str:
    """What differs between two sweep manifests' settings: "experiment.replicates 1 -> 2".

    Compares the experiments and base scenarios; lists the first `shown` differences.
    """
    keys = ("experiment", "base_scenarios")
    before = _leaves({k: old.get(k) for k in keys})
    after = _leaves({k: new.get(k) for k in keys})
    found = [
        f"{key} {before.get(key, '(none)')!s} -> {after.get(key, '(none)')!s}"
        for key in sorted(before.keys() | after.keys())
        if before.get(key) != after.get(key) and not key.endswith(".digest")
    ]
    if not found:
        return "the experiment hash only"
    more = f" and {len(found) - shown} more" if len(found) > shown else ""
    return ", ".join(found[:shown]) + more


def check_same_experiment(out: Path, manifest: dict[str, Any] | None) -> dict[str, Any]:
    """The stored sweep manifest of `out` ({} if none), if it is of the same experiment.

    Raises:
        ParamError: naming what changed, if `out` holds a sweep of another experiment.
    """
    old = store.read_manifest(out) or {}
    new = manifest or {}
    old_hash, new_hash = old.get("experiment_hash"), new.get("experiment_hash")
    if old and old_hash != new_hash:
        raise ParamError(
            f"{out / store.MANIFEST}: experiment_hash = {old_hash!r} is not this sweep's "
            f"({new_hash!r}); changed since: {changes(old, new)}; allowed: the same "
            "experiment; choose another output folder"
        )
    return old


def _sweep_manifest(
    out: Path, specs: dict[str, RunSpec], extra: dict[str, Any] | None
) -> dict[str, Any]:
    """The manifest for this call, merged with the stored one (which must agree)."""
    old = check_same_experiment(out, extra)
    extra = extra or {}
    stray = store.stored_ids(out) - specs.keys()
    if stray:
        raise ParamError(
            f"{out}: runs/ holds {len(stray)} runs that are not in this sweep "
            f"(e.g. {sorted(stray)[0]}); allowed: runs of this sweep only; choose another "
            "output folder"
        )
    now, here = utc_now(), provenance()
    runs = {r["id"]: r for r in old.get("runs", [])}
    runs.update((i, s.to_dict()) for i, s in specs.items())
    return {
        **extra,
        **here,  # of this session: what wrote the runs it stores
        "created_utc": old.get("created_utc", now),
        "session_utc": now,
        "sessions": [*old.get("sessions", []), {"utc": now, **here}],
        "runs": sorted(runs.values(), key=lambda r: (r["point"], r["replicate"], r["id"])),
    }


def _outcome(future: Future, spec: RunSpec) -> EncodedRun | RunFailure:
    """The result of a future; an executor-level error (dead worker...) becomes a failure."""
    try:
        return future.result()
    except Exception as err:
        text = "".join(traceback.format_exception(err))
        return RunFailure(spec, f"{type(err).__name__}: {err}", text, {"executor_error": True})


def sweep(
    specs: Iterable[RunSpec],
    out_dir: str | Path,
    executor: Executor | None = None,
    *,
    manifest: dict[str, Any] | None = None,
    max_runs: int | None = None,
    progress: bool = False,
    max_pending: int | None = None,
) -> SweepReport:
    """Run every spec not yet stored in `out_dir` on `executor` and store each result.

    Args:
        specs: the runs of the sweep (all of them, also those already stored).
        out_dir: the result store (see `abm.batch.store`); created if missing.
        executor: any `concurrent.futures.Executor`; default a local process pool with one
            worker per CPU (shut down at the end; a given executor is left running).
        manifest: what the caller knows about the sweep (`Experiment.manifest()`); its
            `experiment_hash` must match the stored manifest's when resuming.
        max_runs: run at most this many of the missing runs (the rest are left).
        progress: show a tqdm bar (runs done, failed, ETA).
        max_pending: runs in flight at once (default twice the executor's workers).

    Raises:
        ParamError: if `out_dir` holds a different sweep or files that are not a sweep's.
    """
    started = time.perf_counter()
    out = Path(out_dir)
    by_id = unique_ids(specs)
    check_output(out, "sweep", True, "resume")  # never mix runs into a folder of other files
    out.mkdir(parents=True, exist_ok=True)
    store.remove_temporaries(out)
    sweep_manifest = _sweep_manifest(out, by_id, manifest)
    write_json(out / store.MANIFEST, sweep_manifest)
    part_manifest = store.part_manifest(sweep_manifest)
    stored = store.stored_ids(out)
    todo = [s for i, s in by_id.items() if i not in stored]
    left = 0
    if max_runs is not None and len(todo) > max_runs:
        todo, left = todo[:max_runs], len(todo) - max_runs
    own = executor is None and bool(todo)
    if own:
        executor = local_executor(min(len(todo), os.cpu_count() or 1))
    done = failed = 0
    failures: list[tuple[str, str]] = []
    store_s = 0.0
    bar = tqdm(total=len(todo), unit="run", desc="sweep", disable=not progress, smoothing=0.1)
    pending: dict[Future, RunSpec] = {}
    queue = iter(todo)
    broken: str | None = None
    try:
        serial = isinstance(executor, SerialExecutor)
        window = max_pending or (1 if serial or not todo else 2 * capacity(executor))
        while True:
            while broken is None and len(pending) < window:
                spec = next(queue, None)
                if spec is None:
                    break
                try:
                    pending[executor.submit(execute, spec, part_manifest)] = spec
                except BrokenExecutor as err:  # a worker died: the pool takes no more work
                    broken = f"{type(err).__name__}: {err}"
                    left += 1 + sum(1 for _ in queue)
            if not pending:
                break
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                outcome = _outcome(future, pending.pop(future))
                begin = time.perf_counter()
                if isinstance(outcome, EncodedRun):
                    store.write_run(out, outcome)
                    done += 1
                else:
                    store.write_failure(out, outcome, utc_now())
                    failures.append((outcome.spec.id, outcome.error))
                    failed += 1
                store_s += time.perf_counter() - begin
                bar.set_postfix(failed=failed, refresh=False)
                bar.update(1)
    finally:
        for future in pending:
            future.cancel()
        bar.close()
        if own:
            executor.shutdown(wait=True, cancel_futures=True)
    return SweepReport(
        out_dir=out,
        planned=len(by_id),
        stored_before=len(stored),
        done=done,
        failed=failed,
        left=left,
        wall_s=time.perf_counter() - started,
        store_s=store_s,
        failures=failures,
        broken=broken,
    )
