"""Batch runner costs: per-run overhead, throughput on 2 workers vs 1, stored MB per run.

Prints, for baseline_2026 runs (5 years, default outputs):
- the runner's per-run overhead as a % of a bare `abm.run`, part by part (the worker's own
  work: identity columns and Parquet encoding; the sweep process writing the parts; pickling
  them back from a worker; one task's round trip through a process pool) and the per-sweep
  fixed cost; each part is timed on its own, best of several, because on shared CPUs whole
  runs vary by +-20 % from one to the next, far more than the overhead; and end to end
  (median of runs interleaved with bare ones, the model's own stepping time taken out of
  both, per-sweep cost included);
- throughput on 2 worker processes vs 1 (best of two rounds each), and the same for a
  pure-numpy CPU-bound job, which shows what the machine gives;
- the stored size of one run (four Parquet parts and its manifest) in MB.
Pools are started and warmed up (abm imported) before timing.
Run: .venv/bin/python benchmarks/bench_batch.py [--runs 8]
"""

import argparse
import importlib
import json
import os
import pickle
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from abm import run
from abm.batch import RunSpec, SerialExecutor, process_pool, store, sweep

runner = importlib.import_module("abm.batch.runner")


def warm_up(_: int = 0) -> int:
    """Import the runner in a worker (so timing excludes start-up); return the pid."""
    importlib.import_module("abm.batch.runner")
    return os.getpid()


def numpy_job(size: int, rounds: int) -> float:
    """A pure-numpy CPU-bound job: elementwise transcendental math on an L2-sized array."""
    x = np.linspace(0.0, 1.0, size)
    for _ in range(rounds):
        x = np.sin(x) * 0.5 + np.cos(x) * np.exp(-x)
    return float(x.sum())


def warmed_pool(workers: int):
    pool = process_pool(workers)
    list(pool.map(warm_up, range(4 * workers)))
    return pool


def best_of(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def stored_mb(out: Path) -> float:
    sizes = [sum(f.stat().st_size for f in d.iterdir()) for d in (out / "runs").iterdir()]
    return float(np.mean(sizes)) / 1e6


def sweep_seconds(workers: int, specs: list[RunSpec], folder: Path) -> float:
    with warmed_pool(workers) as pool:
        return sweep(specs, folder, pool).wall_s / len(specs)


def numpy_seconds(workers: int, jobs: int, size: int, rounds: int) -> float:
    with warmed_pool(workers) as pool:
        started = time.perf_counter()
        list(pool.map(numpy_job, [size] * jobs, [rounds] * jobs))
        return (time.perf_counter() - started) / jobs


def measure(specs: list[RunSpec], tmp: Path) -> None:
    n = len(specs)
    run("baseline_2026", seed=0)  # warm caches and imports

    bare = []
    for spec in specs:
        started = time.perf_counter()
        run("baseline_2026", seed=spec.seed)
        bare.append(time.perf_counter() - started)
    bare_s = statistics.median(bare)
    print(
        f"baseline_2026 run, bare abm.run: median {bare_s:.3f} s "
        f"(min {min(bare):.3f}, max {max(bare):.3f}, {n} runs)"
    )

    # the parts, each best of 5
    encoded = runner.run_encoded(specs[0], {"experiment_hash": "bench"})
    cached = run("baseline_2026", seed=specs[0].seed)
    real_run = runner.run
    runner.run = lambda scenario, seed: cached  # the worker's work without the simulation
    try:
        own_s = best_of(lambda: runner.run_encoded(specs[0], {"experiment_hash": "bench"}), 5)
    finally:
        runner.run = real_run
    folders = iter(range(100))
    store_s = best_of(lambda: store.write_run(tmp / f"w{next(folders)}", encoded), 5)
    pickle_s = best_of(lambda: pickle.loads(pickle.dumps(encoded, pickle.HIGHEST_PROTOCOL)), 5)
    with warmed_pool(1) as pool:
        task_s = best_of(lambda: pool.submit(warm_up).result(), 50)
    # end to end, interleaved with bare runs; the model's own stepping time (its manifest's
    # wall_time_s) is taken out of both, so CPU contention during stepping cancels
    extra = []
    for i, spec in enumerate(specs):
        started = time.perf_counter()
        bare_run = run("baseline_2026", seed=spec.seed)
        bare_rest = time.perf_counter() - started - bare_run.manifest["wall_time_s"]
        swept = sweep(specs[: i + 1], tmp / "serial", SerialExecutor())
        stepping = json.loads((tmp / "serial" / "runs" / spec.id / "manifest.json").read_text())
        extra.append(swept.wall_s - stepping["wall_time_s"] - bare_rest)
    fixed_s = sweep(specs, tmp / "serial", SerialExecutor()).wall_s  # all stored: fixed cost

    def pct(seconds: float) -> str:
        return f"{1000 * seconds:6.1f} ms {100 * seconds / bare_s:5.2f} %"

    print("runner overhead per run, as % of a bare run:")
    print(f"  worker: load, id columns, Parquet encoding {pct(own_s)}")
    print(f"  sweep process: write parts, atomic rename  {pct(store_s)}")
    print(f"  pickling the parts back from a worker      {pct(pickle_s)}")
    print(f"  one task's round trip through a pool       {pct(task_s)}")
    print(f"  total, in-process (SerialExecutor)         {pct(own_s + store_s)}")
    print(
        f"  total, process pool or Dask                {pct(own_s + store_s + pickle_s + task_s)}"
    )
    print(f"  per sweep, once (manifest, git, listing)   {pct(fixed_s)}")
    print(f"  end to end, sweep of one more run vs bare  {pct(statistics.median(extra))}")
    print(f"stored per run (model, firms, events, summary): {stored_mb(tmp / 'serial'):.2f} MB")

    one, two = [], []
    for round_ in range(2):
        one.append(sweep_seconds(1, specs, tmp / f"one{round_}"))
        two.append(sweep_seconds(2, specs, tmp / f"two{round_}"))
    one_s, two_s = min(one), min(two)
    print(
        f"throughput, baseline runs: 1 worker {1 / one_s:.3f} runs/s, 2 workers "
        f"{1 / two_s:.3f} runs/s: speedup {one_s / two_s:.2f}x (best of 2 rounds of {n})"
    )

    size, rounds = 50_000, 200
    started = time.perf_counter()
    numpy_job(size, rounds)
    rounds = max(1, round(rounds * 0.5 / (time.perf_counter() - started)))  # about 0.5 s
    job_one, job_two = [], []
    for _ in range(2):
        job_one.append(numpy_seconds(1, n, size, rounds))
        job_two.append(numpy_seconds(2, n, size, rounds))
    j1, j2 = min(job_one), min(job_two)
    print(
        f"throughput, numpy job ({j1:.2f} s each): 1 worker {1 / j1:.2f} jobs/s, 2 workers "
        f"{1 / j2:.2f} jobs/s: speedup {j1 / j2:.2f}x (os.cpu_count() = {os.cpu_count()})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8, help="baseline runs per measurement")
    args = parser.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")  # workers inherit it: measure processes, not BLAS
    n = args.runs
    specs = [RunSpec("baseline_2026", replicate=r, root_seed=1) for r in range(n)]
    with tempfile.TemporaryDirectory(prefix="bench_batch.") as folder:
        measure(specs, Path(folder))


if __name__ == "__main__":
    main()
