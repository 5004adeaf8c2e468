"""Batch experiments: designs, many seeded runs on any executor, a resumable result store.

    exp = load_experiment("smoke")                 # experiments/smoke.toml, validated
    report = sweep(exp.specs(), "results/smoke", manifest=exp.manifest())
    results = load("results/smoke")                # .model .firms .events .summary

Modules, one job each: `spec` (RunSpec, seeds), `design` (grid, lhs, sobol, morris),
`experiment` (TOML schema), `runner` (run_one in a worker), `executor` (serial, process
pool, Dask), `store` (Parquet parts, manifests, load), `sweep` (the loop), `analyze`
(SALib indices), `cli` (`abm sweep`, `abm analyze`). Names load on first use (`abm.lazy`).
"""

from abm.lazy import make_lazy

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

make_lazy(
    __name__,
    {
        "analyze": "abm.batch.analyze",
        "indices": "abm.batch.analyze",
        "SerialExecutor": "abm.batch.executor",
        "dask_executor": "abm.batch.executor",
        "process_pool": "abm.batch.executor",
        "Experiment": "abm.batch.experiment",
        "load_experiment": "abm.batch.experiment",
        "RunFailure": "abm.batch.runner",
        "RunTables": "abm.batch.runner",
        "run_one": "abm.batch.runner",
        "RunSpec": "abm.batch.spec",
        "derive_seed": "abm.batch.spec",
        "Results": "abm.batch.store",
        "load": "abm.batch.store",
        "SweepReport": "abm.batch.sweep",
        "sweep": "abm.batch.sweep",
    },
)
