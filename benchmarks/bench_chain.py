"""Throughput of the chain engine: simulated blocks per second of wall time on one core.

Builds a `Chain` at height 930,000 with difficulty ~1.4e14 and a hashrate matched to it,
then advances one day per call for `--years` simulated years; repeats `--repeats` times and
prints the best and median simulated blocks per second and microseconds per `advance` call.
The project's goal is >= 2,000,000 simulated blocks/s.

Usage:
    .venv/bin/python benchmarks/bench_chain.py [--years 10] [--repeats 5] [--seed 0]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from abm.chain import Chain, difficulty, target_to_bits

START_HEIGHT = 930_000
START_TIME_S = 1_767_225_600.0  # 2026-01-01T00:00:00Z, an arbitrary tip time
TARGET_DIFFICULTY = 1.4e14
GOAL_BLOCKS_PER_S = 2_000_000


def make_chain() -> tuple[Chain, float]:
    """Chain at height 930,000, difficulty ~1.4e14, and the hashrate matched to it (H/s)."""
    target = (0xFFFF << 208) // int(TARGET_DIFFICULTY)
    bits = target_to_bits(target)
    # 930,000 is 624 blocks into its period (2016 * 461 = 929,376): pretend those took 600 s.
    into_period = START_HEIGHT % 2016
    chain = Chain(
        START_HEIGHT, bits, START_TIME_S, epoch_start_s=START_TIME_S - 600.0 * into_period
    )
    hashrate = difficulty(bits) * 2**32 / 600.0
    return chain, hashrate


def run_once(years: float, step_s: float, seed: int) -> tuple[int, int, float]:
    """Advance one fresh chain for `years`; return (blocks, calls, wall seconds)."""
    chain, hashrate = make_chain()
    rng = np.random.default_rng(seed)
    calls = round(years * 365.25 * 86_400 / step_s)
    advance = chain.advance
    height0 = chain.height
    t0 = time.perf_counter()
    for _ in range(calls):
        advance(hashrate, step_s, rng)
    elapsed = time.perf_counter() - t0
    return chain.height - height0, calls, elapsed


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a summary; return 0 if the throughput goal is met."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=float, default=10.0, help="simulated years per run")
    parser.add_argument("--repeats", type=int, default=5, help="number of timed runs")
    parser.add_argument("--step-s", type=float, default=86_400.0, help="seconds per advance")
    parser.add_argument("--seed", type=int, default=0, help="seed of the first run")
    args = parser.parse_args(argv)

    run_once(0.1, args.step_s, args.seed)  # warm-up (imports, numpy dispatch caches)
    rates, per_call_us = [], []
    for i in range(args.repeats):
        blocks, calls, elapsed = run_once(args.years, args.step_s, args.seed + i)
        rates.append(blocks / elapsed)
        per_call_us.append(elapsed / calls * 1e6)
        print(
            f"run {i}: {blocks:,} blocks in {calls:,} calls, {elapsed:.3f} s wall, "
            f"{blocks / elapsed:,.0f} blocks/s, {elapsed / calls * 1e6:.1f} us/call"
        )
    best, median = max(rates), statistics.median(rates)
    print(f"simulated blocks/s: best {best:,.0f}, median {median:,.0f}")
    print(
        f"us per advance call: best {min(per_call_us):.1f}, median "
        f"{statistics.median(per_call_us):.1f}"
    )
    met = median >= GOAL_BLOCKS_PER_S
    print(f"goal >= {GOAL_BLOCKS_PER_S:,} blocks/s (median): {'MET' if met else 'NOT MET'}")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
