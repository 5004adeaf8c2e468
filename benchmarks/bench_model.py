"""Whole runs in CPU time: baseline_2026 against a numpy reference job, and scaling.

Prints (1) a 5-year baseline_2026 run's CPU time over that of the numpy reference job
(40 sorts of 1e6 floats) measured in the same process, interleaved, median of --rounds;
(2) the cost per firm-year (CPU ms) of runs with 1x, 10x and 100x the baseline's firms
(64, 640, 6,400 firms, same network hashrate) over 1, 5 and 10 simulated years, one run
each (--max-firms skips the larger populations).
Run: .venv/bin/python benchmarks/bench_model.py [--rounds 5] [--max-firms 6400]
"""

import argparse
import statistics

from common import cpu_s, machine, numpy_reference_s, scaled

from abm import run


def run_cpu_s(scenario, seed: int = 1) -> tuple[float, int]:
    """CPU seconds of one run, and its number of firms (named and drawn)."""
    started = cpu_s()
    result = run(scenario, seed=seed)
    return cpu_s() - started, result.firms["firm_id"].nunique()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--max-firms", type=int, default=6400)
    args = parser.parse_args()
    print(machine())
    baseline = scaled("baseline_2026", 1, 5)
    run_cpu_s(baseline)  # warm caches and imports
    runs, refs = [], []
    for seed in range(args.rounds):
        refs.append(numpy_reference_s())
        runs.append(run_cpu_s(baseline, seed)[0])
    ratios = [a / b for a, b in zip(runs, refs, strict=True)]
    print(
        f"baseline_2026, 5 years: {statistics.median(runs):.2f} s CPU per run, "
        f"numpy reference {statistics.median(refs):.2f} s, "
        f"ratio {statistics.median(ratios):.2f} (rounds: "
        + " ".join(f"{x:.2f}" for x in ratios)
        + ")"
    )
    print("| firms | years | CPU s per run | ms per firm-year |")
    print("|---:|---:|---:|---:|")
    for factor in (1, 10, 100):
        for years in (1, 5, 10):
            if 64 * factor > args.max_firms:
                continue
            seconds, n_firms = run_cpu_s(scaled("baseline_2026", factor, years))
            per = 1000 * seconds / (n_firms * years)
            print(f"| {n_firms:,} | {years} | {seconds:.2f} | {per:.2f} |", flush=True)


if __name__ == "__main__":
    main()
