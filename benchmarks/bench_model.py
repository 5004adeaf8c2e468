"""Wall time of whole runs: baseline_2026 over its 5 years, and scaling in firms and years.

Prints seconds per run (best of --repeats) for 1x, 5x and 10x the baseline's firm counts
(same network hashrate, more and smaller firms) and for 1, 5 and 10 simulated years.
Run: .venv/bin/python benchmarks/bench_model.py
"""

import argparse
import datetime as dt
import time

from abm import load_scenario, run


def seconds_per_run(scenario, repeats: int) -> float:
    best = float("inf")
    for seed in range(repeats):
        started = time.perf_counter()
        run(scenario, seed=seed)
        best = min(best, time.perf_counter() - started)
    return best


def scaled(base, firm_factor: int, years: int):
    groups = base.to_dict()["population"]["groups"]
    for group in groups:
        group["count"] *= firm_factor
    end = dt.date(base.run.start_date.year + years - 1, 12, 31)
    return load_scenario(
        base.to_dict(), {"population.groups": groups, "run.end_date": end.isoformat()}
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    base = load_scenario("baseline_2026")
    print(f"baseline_2026, 5 years: {seconds_per_run(base, args.repeats):.2f} s per run")
    print("firms x   years   firms   s/run   s per firm-year (ms)")
    for factor, years in ((1, 5), (5, 5), (10, 5), (1, 1), (1, 10)):
        scenario = scaled(base, factor, years)
        n_firms = sum(g.count for g in scenario.population.groups)
        seconds = seconds_per_run(scenario, args.repeats)
        per = 1000 * seconds / (n_firms * years)
        print(f"{factor:>7} {years:>7} {n_firms:>7} {seconds:>7.2f}   {per:.2f}")


if __name__ == "__main__":
    main()
