"""Design matrices: which parameter values each design point gets.

`grid` crosses lists of levels; `lhs` (scipy.stats.qmc), `sobol` (SALib's Saltelli scheme on a
scrambled Sobol' sequence) and `morris` (SALib trajectories) sample [low, high] ranges. The
samplers take an explicit seed, so a design is reproducible from the experiment file alone.
Row i of a matrix is design point i; `sobol` and `morris` rows are in the order SALib's
analyzers expect their outputs.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

METHODS = ("grid", "lhs", "sobol", "morris")


def problem(names: Sequence[str], bounds: Sequence[tuple[float, float]]) -> dict[str, Any]:
    """SALib's description of the factors: names and [low, high] bounds."""
    return {
        "num_vars": len(names),
        "names": list(names),
        "bounds": [[float(lo), float(hi)] for lo, hi in bounds],
    }


def grid(levels: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
    """Every combination of the levels, the first factor varying slowest."""
    return list(itertools.product(*levels))


def lhs(bounds: Sequence[tuple[float, float]], samples: int, seed: int) -> np.ndarray:
    """Latin hypercube of `samples` points in the box `bounds` (scipy.stats.qmc)."""
    from scipy.stats import qmc  # imported where used: `abm validate` need not pay for it

    unit = qmc.LatinHypercube(d=len(bounds), rng=np.random.default_rng(seed)).random(samples)
    lo, hi = np.array(bounds, dtype=float).T
    return qmc.scale(unit, lo, hi)


def sobol(
    bounds: Sequence[tuple[float, float]], samples: int, seed: int, second_order: bool = False
) -> np.ndarray:
    """Saltelli's design for Sobol' indices: samples * (D + 2) rows, (2 D + 2) with second order.

    `samples` should be a power of 2 (the Sobol' sequence is balanced only then).
    """
    from SALib.sample import sobol as salib_sobol

    names = [f"x{i}" for i in range(len(bounds))]
    return salib_sobol.sample(
        problem(names, bounds), samples, calc_second_order=second_order, seed=seed
    )


def morris(
    bounds: Sequence[tuple[float, float]], trajectories: int, seed: int, levels: int = 4
) -> np.ndarray:
    """Morris elementary-effects design: `trajectories` * (D + 1) rows on a `levels` grid."""
    from SALib.sample import morris as salib_morris

    names = [f"x{i}" for i in range(len(bounds))]
    return salib_morris.sample(problem(names, bounds), trajectories, num_levels=levels, seed=seed)


def points(
    method: str,
    bounds: Sequence[tuple[float, float]],
    samples: int,
    seed: int,
    second_order: bool = False,
    morris_levels: int = 4,
) -> np.ndarray:
    """The design matrix of a sampled (non-grid) method, one row per design point."""
    if method == "lhs":
        return lhs(bounds, samples, seed)
    if method == "sobol":
        return sobol(bounds, samples, seed, second_order)
    if method == "morris":
        return morris(bounds, samples, seed, morris_levels)
    raise ValueError(f"method {method!r} samples no ranges; allowed lhs, sobol, morris")
