"""Sensitivity indices (SALib) of one summary metric over a finished sobol or morris sweep.

`indices(method, problem, X, Y)` is the whole computation: a design matrix and an output
per design point in, one row per parameter out. It knows nothing of the model, so it is
checked on the Ishigami function, whose indices are known. `analyze(out_dir, ...)` feeds it
a stored sweep: the design matrix from the sweep manifest and, per design point, the mean
of the metric over the point's replicates (the indices of the mean response). Integer
parameters ran at rounded values; the analysis uses the design's unrounded ones.

`analyze` stores what it computed beside the results (`abm.batch.results.indices_path`),
with a warning when the sample is too small for the intervals to mean anything, so that
figures read the indices instead of computing them again.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from SALib.analyze import morris as salib_morris
from SALib.analyze import sobol as salib_sobol

from abm.batch import store
from abm.batch.results import indices_path
from abm.metrics.outcomes import BY_NAME
from abm.params import ParamError

SENSITIVITY_METHODS = ("sobol", "morris")
SOBOL_KEYS = ("S1", "S1_conf", "ST", "ST_conf")
MORRIS_KEYS = ("mu", "mu_star", "sigma", "mu_star_conf")
MAX_SOBOL_HALF_WIDTH = 0.1  # 95 % half-width above which a Sobol index says little
MAX_MORRIS_RELATIVE_CONF = 0.5  # mu_star_conf / largest mu_star above which ranks are noise


class SmallSampleWarning(UserWarning):
    """The design is too small for the sensitivity intervals to mean anything."""


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
    must be in the order of SALib's Saltelli design); with `second_order`, also columns
    S2_<name> and S2_conf_<name> (row i, column j: the pair's index, upper triangle). morris:
    mu, mu_star (mean absolute elementary effect), sigma and mu_star_conf. An output that is
    the same at every point has no indices: every value is NaN.
    """
    Y = np.asarray(Y, dtype=float)
    names = list(problem["names"])
    if method not in SENSITIVITY_METHODS:
        raise ValueError(f"method {method!r} is not allowed; allowed one of {SENSITIVITY_METHODS}")
    if np.ptp(Y) == 0:
        return _undefined(method, names, second_order)
    if method == "sobol":
        res = salib_sobol.analyze(problem, Y, calc_second_order=second_order, seed=seed)
        keys = SOBOL_KEYS
        if second_order:
            for key in ("S2", "S2_conf"):
                for j, name in enumerate(names):
                    res[f"{key}_{name}"] = np.asarray(res[key])[:, j]
            keys += s2_keys(names)
    elif method == "morris":
        X = np.asarray(X, dtype=float)
        res = salib_morris.analyze(problem, X, Y, num_levels=morris_levels, seed=seed)
        keys = MORRIS_KEYS
    frame = pd.DataFrame({"parameter": names})
    for key in keys:
        frame[key] = np.asarray(res[key], dtype=float)
    return frame


def s2_keys(names: list[str]) -> tuple[str, ...]:
    """Column names of the second-order indices and their half-widths."""
    return tuple(f"{key}_{name}" for key in ("S2", "S2_conf") for name in names)


def _undefined(method: str, names: list[str], second_order: bool) -> pd.DataFrame:
    """The indices table of an output that does not vary: every index NaN."""
    keys = MORRIS_KEYS if method == "morris" else SOBOL_KEYS
    if method == "sobol" and second_order:
        keys += s2_keys(names)
    return pd.DataFrame({"parameter": names} | {key: np.nan for key in keys})


def sample_warning(method: str, table: pd.DataFrame, samples: int) -> str | None:
    """Why these indices cannot be read as measured, or None when the intervals are tight.

    sobol: any S1 or ST 95 % half-width above MAX_SOBOL_HALF_WIDTH. morris: any
    mu_star_conf above MAX_MORRIS_RELATIVE_CONF of the largest mu_star.
    """
    if table.drop(columns="parameter").isna().all().all():
        return None
    if method == "sobol":
        widest = float(table[["S1_conf", "ST_conf"]].max().max())
        if widest > MAX_SOBOL_HALF_WIDTH:
            return (
                f"base sample N = {samples} is too small: 95 % intervals reach +-{widest:.2g} "
                f"(more than +-{MAX_SOBOL_HALF_WIDTH}), so these indices cannot be told apart; "
                "raise [design] samples"
            )
        return None
    ratio = float(table["mu_star_conf"].max() / table["mu_star"].max())
    if ratio > MAX_MORRIS_RELATIVE_CONF:
        return (
            f"{samples} trajectories are too few: mu_star intervals reach {ratio:.0%} of the "
            "largest effect, so the ranking is noise; raise [design] samples"
        )
    return None


def point_outputs(summary: pd.DataFrame, output: str, n_points: int, where: str) -> np.ndarray:
    """Mean of `output` over each design point's replicates, in point order.

    Raises:
        ParamError: if the metric is unknown or not numeric, or a point has no finished run.
    """
    if summary.empty:
        raise ParamError(f"{where}: no finished runs with a summary table")
    numeric = set(summary.select_dtypes("number").columns)
    if output not in BY_NAME or output not in numeric:
        allowed = [name for name in BY_NAME if name in numeric]  # declared outcomes, in order
        raise ParamError(
            f"{where}: --output {output!r} is not a numeric outcome of the runs; allowed one "
            f"of {', '.join(allowed)}"
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

    Also stores them, with the sample size and any SmallSampleWarning (also issued), as
    JSON at `indices_path(out_dir, method, output)`.

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
    second_order = bool(design.get("second_order", False))
    table = indices(
        method,
        info["problem"],
        X,
        Y,
        seed=int(info["seed"]),
        second_order=second_order,
        morris_levels=int(design.get("morris_levels", 4)),
    )
    samples = int(design.get("samples", 0))
    warning = sample_warning(method, table, samples)
    record = {
        "method": method,
        "output": output,
        "samples": samples,
        "points": len(X),
        "replicates": int(manifest["experiment"].get("replicates", 1)),
        "second_order": second_order,
        "varies": bool(np.ptp(Y) > 0),
        "warning": warning,
        "indices": table.to_dict("records"),
    }
    store.write_json(indices_path(out, method, output), record)
    if warning:
        warnings.warn(f"{where}: {output}: {warning}", SmallSampleWarning, stacklevel=2)
    return table
