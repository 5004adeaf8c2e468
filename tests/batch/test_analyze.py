"""Sensitivity indices recover known answers, and a real sweep goes the same way.

Ishigami's Sobol indices and the exact Morris effects of a linear function are recovered;
a real sobol or morris sweep is analyzed by the same function, on per-point means.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from SALib.test_functions import Ishigami

from abm.batch import analyze, indices, load, load_experiment
from abm.batch.design import morris, problem, sobol
from abm.cli import main

# Ishigami (a = 7, b = 0.1) on [-pi, pi]^3: V = a^2/8 + b pi^4/5 + b^2 pi^8/18 + 1/2;
# S1 = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424, 0.2437) (Saltelli et al. 2008, 4.4)
ISHIGAMI_S1 = (0.3139, 0.4424, 0.0)
ISHIGAMI_ST = (0.5576, 0.4424, 0.2437)
TOLERANCE = 0.02  # absolute; N = 4096 base samples gives errors <= 0.003 for seeds 0-4


@pytest.mark.parametrize("seed", range(3))
def test_sobol_indices_of_ishigami_are_recovered(seed):
    bounds = [(-np.pi, np.pi)] * 3
    X = sobol(bounds, 4096, seed=seed)
    table = indices(
        "sobol", problem(["x1", "x2", "x3"], bounds), X, Ishigami.evaluate(X), seed=seed
    )
    assert table["parameter"].tolist() == ["x1", "x2", "x3"]
    np.testing.assert_allclose(table["S1"], ISHIGAMI_S1, atol=TOLERANCE)
    np.testing.assert_allclose(table["ST"], ISHIGAMI_ST, atol=TOLERANCE)
    assert (table["S1_conf"] < 0.05).all() and (table["ST_conf"] < 0.06).all()


def test_morris_effects_of_a_linear_function_are_its_slopes():
    """For y = 3 x1 - 2 x2 + 0 x3 on the unit cube, mu = (3, -2, 0), mu* = (3, 2, 0), sigma = 0."""
    bounds = [(0.0, 1.0)] * 3
    X = morris(bounds, 10, seed=1)
    Y = X @ np.array([3.0, -2.0, 0.0])
    table = indices("morris", problem(["a", "b", "c"], bounds), X, Y, seed=1)
    np.testing.assert_allclose(table["mu"], [3.0, -2.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(table["mu_star"], [3.0, 2.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(table["sigma"], [0.0, 0.0, 0.0], atol=1e-12)


TINY = """
name = "tiny_{method}"
replicates = 2
root_seed = 5
[design]
method = "{method}"
samples = 2
[overrides]
"run.end_date" = 2026-01-31
[parameters]
"btc_price.drift_per_year" = [-0.5, 0.5]
"btc_price.volatility_per_year" = [0.2, 0.8]
[outputs]
tables = ["summary"]
"""


@pytest.fixture(scope="module")
def tiny_sweeps(experiment_file, tmp_path_factory):
    """A sobol (8 points) and a morris (6 points) sweep, 2 replicates, through the CLI."""
    found = {}
    for method in ("sobol", "morris"):
        path = experiment_file(TINY.format(method=method), f"tiny_{method}")
        out = tmp_path_factory.mktemp(method) / "sweep"
        assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet"]) == 0
        found[method] = (load_experiment(path), out)
    return found


@pytest.mark.parametrize("method", ["sobol", "morris"])
def test_cli_analyze_of_a_real_sweep_is_the_same_function_on_point_means(
    tiny_sweeps, method, capsys
):
    exp, out = tiny_sweeps[method]
    capsys.readouterr()
    assert main(["analyze", str(out), "--method", method, "--output", "btc_price_usd_end"]) == 0
    printed = capsys.readouterr().out
    written = pd.read_csv(out / f"sensitivity_{method}_btc_price_usd_end.csv")
    summary = load(out).summary
    assert len(summary) == 2 * (8 if method == "sobol" else 6)
    y = summary.groupby("point")["btc_price_usd_end"].mean().sort_index().to_numpy()
    bounds = [p.values for p in exp.parameters]
    direct = indices(method, problem(exp.names, bounds), exp.matrix(), y, seed=exp.root_seed)
    pd.testing.assert_frame_equal(written, direct, check_exact=False, rtol=1e-12)
    pd.testing.assert_frame_equal(analyze(out, method, "btc_price_usd_end"), direct)
    assert written["parameter"].tolist() == list(exp.names)
    assert "btc_price.volatility_per_year" in printed and "wrote" in printed


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["--method", "morris", "--output", "btc_price_usd_end"], ["'sobol'", "allowed"]),
        (
            ["--method", "sobol", "--output", "btc_price"],
            ["'btc_price'", "allowed", "bankruptcies"],
        ),
    ],
)
def test_unsuited_analysis_exits_2(tiny_sweeps, args, needles, capsys):
    _, out = tiny_sweeps["sobol"]
    assert main(["analyze", str(out), *args]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    for needle in needles:
        assert needle in err


def test_a_grid_sweep_cannot_be_analyzed(smoke_serial, capsys):
    code = main(["analyze", str(smoke_serial), "--method", "sobol", "--output", "bankruptcies"])
    assert code == 2
    assert "'grid'" in capsys.readouterr().err
