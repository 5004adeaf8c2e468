"""A worker's resident memory over many runs: after 10 runs against after --runs (200).

Runs baseline_2026 (5 years, seeds 0, 1, ...) one after the other in this process, as a
sweep worker does, with the garbage collector at its defaults, and prints the resident set
size (VmRSS) after 10, 50, 100 and every further 100 runs.
Run: .venv/bin/python benchmarks/bench_memory.py [--runs 200]
"""

import argparse
from pathlib import Path

from common import machine

from abm import run


def rss_mb() -> float:
    """Resident set size of this process now, MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    print(machine())
    marks = {10, 50} | set(range(100, args.runs + 1, 100)) | {args.runs}
    rss = {}
    for k in range(1, args.runs + 1):
        run("baseline_2026", seed=k - 1)
        if k in marks:
            rss[k] = rss_mb()
            print(f"after {k:>4} runs: RSS {rss[k]:.0f} MB", flush=True)
    growth = rss[args.runs] / rss[10] - 1
    print(f"RSS after {args.runs} runs is {100 * growth:+.1f} % of RSS after 10 runs")


if __name__ == "__main__":
    main()
