"""Sensitivity indices (SALib) of one summary metric over a finished sobol or morris sweep.

`indices(method, problem, X, Y)` is the whole computation: a design matrix and an output
per design point in, one row per parameter out. It knows nothing of the model, so it is
checked on the Ishigami function, whose indices are known. `analyze(out_dir, ...)` feeds it
a stored sweep: the design matrix from the sweep manifest and, per design point, the mean
of the metric over the point's replicates (the indices of the mean response). Integer
parameters ran at rounded values; the analysis uses the design's unrounded ones.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from SALib.analyze import morris as salib_morris
from SALib.analyze import sobol as salib_sobol

from abm.batch import store
from abm.params import ParamError

SENSITIVITY_METHODS = ("sobol", "morris")


def indices(
    method: str,
    problem: dict[str, Any],
    X: np.ndarray,
    Y: np.ndarray,
    *,
    seed: int = 0,
    second_order: bool = False,
    morris_levels: int = 4,
) -> pd.DataFrame:
    """Sensitivity indices of output `Y` (one value per row of design `X`), per parameter.

    sobol: first-order S1 and total ST with bootstrap 95 % half-widths (X is not used; Y
    must be in the order of SALib's Saltelli design). morris: mu, mu_star (mean absolute
    elementary effect), sigma and mu_star_conf.
    """
    Y = np.asarray(Y, dtype=float)
    names = list(problem["names"])
    if method == "sobol":
        res = salib_sobol.analyze(problem, Y, calc_second_order=second_order, seed=seed)
        keys = ("S1", "S1_conf", "ST", "ST_conf")
    elif method == "morris":
        X = np.asarray(X, dtype=float)
        res = salib_morris.analyze(problem, X, Y, num_levels=morris_levels, seed=seed)
        keys = ("mu", "mu_star", "sigma", "mu_star_conf")
    else:
        raise ValueError(f"method {method!r} is not allowed; allowed one of {SENSITIVITY_METHODS}")
    frame = pd.DataFrame({"parameter": names})
    for key in keys:
        frame[key] = np.asarray(res[key], dtype=float)
    return frame


def point_outputs(summary: pd.DataFrame, output: str, n_points: int, where: str) -> np.ndarray:
    """Mean of `output` over each design point's replicates, in point order.

    Raises:
        ParamError: if the metric is unknown or not numeric, or a point has no finished run.
    """
    if summary.empty:
        raise ParamError(f"{where}: no finished runs with a summary table")
    if output not in summary.columns:
        numeric = sorted(summary.select_dtypes("number").columns)
        raise ParamError(
            f"{where}: --output {output!r} is not a summary metric; allowed one of "
            f"{', '.join(numeric)}"
        )
    values = pd.to_numeric(summary[output], errors="coerce")
    if values.isna().any():
        raise ParamError(f"{where}: --output {output!r} is missing or not numeric in some runs")
    means = values.groupby(summary["point"]).mean().reindex(range(n_points))
    missing = int(means.isna().sum())
    if missing:
        raise ParamError(
            f"{where}: {missing} of {n_points} design points have no finished run (failed "
            "or not run yet); resume the sweep first (abm sweep EXPERIMENT --resume)"
        )
    return means.to_numpy()


def analyze(out_dir: str | Path, method: str, output: str) -> pd.DataFrame:
    """Sensitivity indices of summary metric `output` over the sweep stored in `out_dir`.

    Raises:
        ParamError: if the folder holds no sobol/morris sweep of that method, the metric is
            unknown, or some design point has no finished run.
    """
    out = Path(out_dir)
    manifest = store.read_manifest(out)
    if manifest is None or "design" not in manifest:
        raise ParamError(f"{out}: no experiment sweep here (no {store.MANIFEST} with a design)")
    info = manifest["design"]
    where = f"{out / store.MANIFEST}"
    if method not in SENSITIVITY_METHODS:
        raise ParamError(
            f"{where}: --method {method!r} is not allowed; allowed one of {SENSITIVITY_METHODS}"
        )
    if info["method"] != method:
        raise ParamError(
            f"{where}: the design method is {info['method']!r}, so --method {method!r} is "
            f"not allowed; allowed {info['method']!r}"
            + ("" if info["method"] in SENSITIVITY_METHODS else " (a sobol or morris sweep)")
        )
    X = np.asarray(info["matrix"], dtype=float)
    summary = store.load(out).summary
    Y = point_outputs(summary, output, len(X), where)
    design = manifest["experiment"]["design"]
    return indices(
        method,
        info["problem"],
        X,
        Y,
        seed=int(info["seed"]),
        second_order=bool(design.get("second_order", False)),
        morris_levels=int(design.get("morris_levels", 4)),
    )
