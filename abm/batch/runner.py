"""Run one `RunSpec` in whatever process or thread an executor gives it, and report back.

`run_one` is the top-level, picklable function for one run: it returns the run's pandas
tables with identity columns in front (run_id, scenario, point, replicate, seed, varied
parameters). Importing mesa switches multiprocessing to "spawn", so only such top-level
functions can be sent to workers. Sweeps submit `execute`, which does the same run but
hands back the tables already encoded as Parquet (so the encoding, like the run, happens in
parallel in the workers and the sweep process only writes bytes), and turns an exception
into a `RunFailure` carrying the worker's own traceback, whatever the executor.

`abm.run` drops mesa 3.3.1's class-level reference to each finished model, so a worker that
runs thousands of models does not grow; `worker_state` reports the models mesa still holds,
for the run manifest and the tests.
"""

from __future__ import annotations

import dataclasses
import json
import os
import resource
import sys
import traceback
from typing import Any

import mesa
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from abm.batch.spec import RunSpec
from abm.io import json_default
from abm.run import run
from abm.scenario import load_scenario

METADATA_KEY = b"abm.manifest"  # Parquet schema metadata holding the manifests, as JSON
VOLATILE = ("wall_time_s", "worker")  # differ between two runs of a spec: manifest JSON only
COMPRESSION = "snappy"  # zstd is ~8 % smaller and ~15 ms per baseline run slower


@dataclasses.dataclass
class RunTables:
    """A finished run: its tables (by name, identity columns in front) and its manifest."""

    spec: RunSpec
    tables: dict[str, pd.DataFrame]
    manifest: dict[str, Any]


@dataclasses.dataclass
class EncodedRun:
    """A finished run as a sweep stores it: one Parquet file's bytes per table."""

    spec: RunSpec
    parts: dict[str, bytes]
    manifest: dict[str, Any]


@dataclasses.dataclass
class RunFailure:
    """A failed run: the error, the worker's traceback, where it ran."""

    spec: RunSpec
    error: str
    traceback: str
    worker: dict[str, Any]


def worker_state() -> dict[str, Any]:
    """This process: pid, peak resident memory (MB) and the models mesa still holds."""
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak_mb = peak_kb / 1024 if sys.platform != "darwin" else peak_kb / 2**20
    return {
        "pid": os.getpid(),
        "peak_rss_mb": round(peak_mb, 1),
        "mesa_models_held": len(mesa.Agent._ids),
    }


def _simulate(spec: RunSpec) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """The spec's kept tables (without identity columns) and its run manifest."""
    scenario = load_scenario(spec.scenario, spec.scenario_overrides() or None)
    result = run(scenario, seed=spec.seed)
    tables = {}
    for name in spec.outputs:
        frame = pd.DataFrame([result.summary]) if name == "summary" else getattr(result, name)
        if name == "model" and spec.model_every > 1:
            frame = frame.iloc[:: spec.model_every].reset_index(drop=True)
        tables[name] = frame
    manifest = {k: v for k, v in result.manifest.items() if k != "scenario"}
    manifest.update(run_id=spec.id, spec=spec.to_dict(), worker=worker_state())
    return tables, manifest


def with_columns(frame: pd.DataFrame, columns: dict[str, Any]) -> pd.DataFrame:
    """`frame` with constant columns put in front (a new frame; `frame` is not changed).

    A column of `frame` with the name of a constant column is replaced by it.
    """
    n = len(frame)
    front = pd.DataFrame({name: [value] * n for name, value in columns.items()})
    if n == 0:  # give empty columns the type their values would have
        types = {k: type(v) for k, v in columns.items() if isinstance(v, bool | int | float | str)}
        front = front.astype(types)
    rest = frame.drop(columns=[c for c in columns if c in frame.columns])
    return pd.concat([front, rest.reset_index(drop=True)], axis=1)


def _constant(value: Any, n: int) -> pa.Array:
    """An Arrow column of `n` copies of `value` (typed as pandas would type it)."""
    if isinstance(value, bool):
        return pa.array(np.full(n, value, dtype=bool))
    if isinstance(value, int):
        return pa.array(np.full(n, value, dtype=np.int64))
    if isinstance(value, float):
        return pa.array(np.full(n, value, dtype=np.float64))
    return pa.array([value] * n, type=pa.string() if isinstance(value, str) else None)


def encode(frame: pd.DataFrame, columns: dict[str, Any], metadata: bytes) -> bytes:
    """One Parquet file (bytes): identity `columns` in front, `metadata` in the schema."""
    rest = frame.drop(columns=[c for c in columns if c in frame.columns])
    table = pa.Table.from_pandas(rest, preserve_index=False)
    for i, (name, value) in enumerate(columns.items()):
        table = table.add_column(i, name, _constant(value, len(rest)))
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), METADATA_KEY: metadata})
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression=COMPRESSION)
    return sink.getvalue().to_pybytes()


def run_one(spec: RunSpec) -> RunTables:
    """Simulate one spec and return the tables it keeps, identity columns in front.

    Raises:
        abm.params.ParamError: if the overrides do not make a valid scenario.
    """
    tables, manifest = _simulate(spec)
    columns = spec.columns()
    framed = {name: with_columns(frame, columns) for name, frame in tables.items()}
    return RunTables(spec=spec, tables=framed, manifest=manifest)


def run_encoded(spec: RunSpec, sweep_manifest: dict[str, Any] | None = None) -> EncodedRun:
    """`run_one`, with each table encoded as Parquet carrying both manifests in its metadata.

    Raises:
        abm.params.ParamError: if the overrides do not make a valid scenario.
    """
    tables, manifest = _simulate(spec)
    columns = spec.columns()
    steady = {k: v for k, v in manifest.items() if k not in VOLATILE}
    meta = json.dumps({"sweep": sweep_manifest or {}, "run": steady}, default=json_default)
    parts = {name: encode(frame, columns, meta.encode()) for name, frame in tables.items()}
    return EncodedRun(spec=spec, parts=parts, manifest=manifest)


def execute(spec: RunSpec, sweep_manifest: dict[str, Any] | None = None) -> EncodedRun | RunFailure:
    """`run_encoded`, with any exception returned as a `RunFailure` (what sweeps submit)."""
    try:
        return run_encoded(spec, sweep_manifest)
    except Exception as err:
        return RunFailure(
            spec=spec,
            error=f"{type(err).__name__}: {err}",
            traceback=traceback.format_exc(),
            worker=worker_state(),
        )
