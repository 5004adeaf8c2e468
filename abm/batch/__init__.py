"""Batch experiments: designs, many seeded runs on any executor, a resumable result store.

    exp = load_experiment("smoke")                 # experiments/smoke.toml, validated
    report = sweep(exp.specs(), "results/smoke", manifest=exp.manifest())
    results = load("results/smoke")                # .model .firms .events .summary

Modules, one job each: `spec` (RunSpec, seeds), `design` (grid, lhs, sobol, morris),
`experiment` (TOML schema), `runner` (run_one in a worker), `executor` (serial, process
pool, Dask), `store` (Parquet parts, manifests, load), `sweep` (the loop), `analyze`
(SALib indices), `cli` (`abm sweep`, `abm analyze`).
"""

from abm.batch.analyze import analyze, indices
from abm.batch.executor import SerialExecutor, dask_executor, process_pool
from abm.batch.experiment import Experiment, load_experiment
from abm.batch.runner import RunFailure, RunTables, run_one
from abm.batch.spec import RunSpec, derive_seed
from abm.batch.store import Results, load
from abm.batch.sweep import SweepReport, sweep

__all__ = [
    "Experiment",
    "Results",
    "RunFailure",
    "RunSpec",
    "RunTables",
    "SerialExecutor",
    "SweepReport",
    "analyze",
    "dask_executor",
    "derive_seed",
    "indices",
    "load",
    "load_experiment",
    "process_pool",
    "run_one",
    "sweep",
]
