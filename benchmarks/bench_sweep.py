"""A 1,000-run sweep estimated from a measured --runs (40) run sweep on --workers (2).

Seeded baseline_2026 runs (5 years) through the project's sweep runner on a warmed local
process pool, results stored as Parquet like any sweep; prints wall seconds per run and the
estimate for 1,000 runs (wall time: the machine is shared, so expect it to vary with load).
Run: .venv/bin/python benchmarks/bench_sweep.py [--runs 40] [--workers 2]
"""

import argparse
import os
import tempfile
from pathlib import Path

from bench_batch import sweep_seconds
from common import machine

from abm.batch import RunSpec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")  # workers inherit it: measure processes, not BLAS
    print(machine(), f"load average {os.getloadavg()[0]:.1f}")
    specs = [RunSpec("baseline_2026", replicate=r, root_seed=1) for r in range(args.runs)]
    with tempfile.TemporaryDirectory(prefix="bench_sweep.") as folder:
        per_run = sweep_seconds(args.workers, specs, Path(folder))
    print(
        f"{args.runs} runs on {args.workers} workers: {per_run:.2f} s wall per run; "
        f"1,000 runs: about {1000 * per_run / 60:.1f} minutes"
    )


if __name__ == "__main__":
    main()
