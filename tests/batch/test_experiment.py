"""Experiment files: shipped designs give the runs they promise; mistakes exit 2.

The one-line error names the file, the key, the value and what is allowed.
"""

from __future__ import annotations

import numpy as np
import pytest

from abm.batch import load_experiment
from abm.batch.design import lhs, morris, sobol
from abm.batch.experiment import EXPERIMENT_DIR
from abm.cli import main


@pytest.mark.parametrize(
    ("name", "runs", "points"),
    [
        ("smoke", 4, 4),
        ("bifurcation", 200, 1),
        ("macro_paths", 4 * 2 * 25, 8),
        ("sensitivity_sobol", 64 * (6 + 2) * 2, 64 * 8),
        ("migration_security", 3 * 3 * 2 * 10, 18),
        ("china_2021", 40, 1),
    ],
)
def test_shipped_experiments_load_with_their_run_counts(name, runs, points):
    exp = load_experiment(name)
    specs = exp.specs()
    assert len(specs) == runs
    assert len({s.point for s in specs}) == points
    assert len({s.id for s in specs}) == runs
    assert len({s.seed for s in specs}) == runs


def test_every_experiment_file_in_the_folder_is_valid():
    files = sorted(EXPERIMENT_DIR.glob("*.toml"))
    assert {"smoke", "bifurcation", "macro_paths", "sensitivity_sobol"} <= {f.stem for f in files}
    for path in files:
        assert load_experiment(path).name == path.stem


def test_grid_crosses_scenarios_outermost_then_levels():
    exp = load_experiment("macro_paths")
    points = exp.points()
    assert [ref for ref, _ in points[::2]] == [
        "fed_cuts_2026",
        "baseline_2026",
        "higher_for_longer",
        "halving_2028",
    ]
    assert [v["btc_price.rate_beta"] for _, v in points[:2]] == [0.0, 2.0]
    spec = exp.specs()[-1]
    assert (spec.label, spec.point, spec.replicate) == ("halving_2028", 7, 24)
    assert spec.columns()["btc_price.rate_beta"] == 2.0


def test_lhs_puts_one_point_in_each_of_n_strata_per_parameter():
    bounds = [(0.0, 1.0), (10.0, 30.0)]
    x = lhs(bounds, 16, seed=3)
    for j, (lo, hi) in enumerate(bounds):
        strata = np.floor((x[:, j] - lo) / (hi - lo) * 16).astype(int)
        assert sorted(strata) == list(range(16))
    np.testing.assert_array_equal(x, lhs(bounds, 16, seed=3))
    assert not np.array_equal(x, lhs(bounds, 16, seed=4))


def test_salib_designs_have_their_sizes_and_are_reproducible():
    bounds = [(0.0, 1.0), (-1.0, 1.0), (5.0, 6.0)]
    assert sobol(bounds, 8, seed=1).shape == (8 * (3 + 2), 3)
    assert sobol(bounds, 8, seed=1, second_order=True).shape == (8 * (2 * 3 + 2), 3)
    assert morris(bounds, 5, seed=1).shape == (5 * (3 + 1), 3)
    np.testing.assert_array_equal(sobol(bounds, 8, seed=1), sobol(bounds, 8, seed=1))
    np.testing.assert_array_equal(morris(bounds, 5, seed=1), morris(bounds, 5, seed=1))
    assert not np.array_equal(sobol(bounds, 8, seed=1), sobol(bounds, 8, seed=2))


def test_integer_parameters_are_rounded_and_floats_stay_in_range(experiment_file):
    path = experiment_file(
        """
        name = "ints"
        [design]
        method = "lhs"
        samples = 12
        [parameters]
        "fleet.review_months" = [1, 12]
        "btc_price.drift_per_year" = [0, 1]
        """
    )
    exp = load_experiment(path)
    values = [v for _, v in exp.points()]
    assert all(isinstance(v["fleet.review_months"], int) for v in values)
    assert all(1 <= v["fleet.review_months"] <= 12 for v in values)
    assert all(isinstance(v["btc_price.drift_per_year"], float) for v in values)
    assert len({v["btc_price.drift_per_year"] for v in values}) == 12


def test_a_base_scenario_path_is_relative_to_the_experiment_file(experiment_file, baseline_toml):
    path = experiment_file(
        """
        name = "mine"
        replicates = 1
        """
    )
    (path.parent / "case.toml").write_text(
        f'extends = "{baseline_toml}"\ndescription = "case"\n[run]\nend_date = 2026-01-31\n'
    )
    path.write_text(path.read_text() + 'base = "case.toml"\n')
    spec = load_experiment(path).specs()[0]
    assert spec.scenario == str(path.parent / "case.toml") and spec.label == "case"


BAD = {
    "unknown-key": (
        'name = "x"\nreplicate = 3\n',
        ["replicate", "3", "allowed keys", "replicates"],
    ),
    "bad-method": (
        'name = "x"\n[design]\nmethod = "halton"\n',
        ["method", "'halton'", "one of 'grid', 'lhs', 'sobol', 'morris'"],
    ),
    "sobol-not-power-of-2": (
        'name = "x"\n[design]\nmethod = "sobol"\nsamples = 12\n'
        '[parameters]\n"btc_price.drift_per_year" = [0.0, 0.4]\n',
        ["samples = 12", "power of 2"],
    ),
    "low-not-below-high": (
        'name = "x"\n[design]\nmethod = "lhs"\nsamples = 4\n'
        '[parameters]\n"btc_price.drift_per_year" = [0.4, 0.1]\n',
        ["btc_price.drift_per_year", "[0.4, 0.1]", "low < high"],
    ),
    "range-out-of-scenario-range": (
        'name = "x"\n[design]\nmethod = "lhs"\nsamples = 4\n'
        '[parameters]\n"btc_price.volatility_per_year" = [-0.2, 0.4]\n',
        ["volatility_per_year", "-0.2", "out of range", "allowed 0.0 <= value <= 3.0"],
    ),
    "level-out-of-scenario-range": (
        'name = "x"\n[parameters]\n"finance.auction_discount" = [0.5, 1.4]\n',
        ["auction_discount", "1.4", "out of range", "allowed"],
    ),
    "not-a-scenario-key": (
        'name = "x"\n[parameters]\n"btc_price.drift" = [0.1, 0.2]\n',
        ["btc_price.drift", "not a scenario parameter", "allowed keys", "drift_per_year"],
    ),
    "bad-override": (
        'name = "x"\n[overrides]\n"run.dt_days" = 0\n',
        ["[overrides]", "dt_days = 0", "out of range", "allowed 1 <= value <= 31"],
    ),
    "range-of-a-date": (
        'name = "x"\n[design]\nmethod = "lhs"\nsamples = 4\n'
        '[parameters]\n"run.end_date" = [2026-02-01, 2026-03-01]\n',
        ["run.end_date", "numeric", "allowed", "grid"],
    ),
    "scenarios-with-sobol": (
        'name = "x"\nscenarios = ["baseline_2026", "fed_cuts_2026"]\n[design]\n'
        'method = "sobol"\nsamples = 4\n[parameters]\n"btc_price.drift_per_year" = [0.0, 0.4]\n',
        ["scenarios", "method = 'grid'", "'sobol'"],
    ),
    "unknown-base": ('name = "x"\nbase = "baseline_2062"\n', ["base", "baseline_2062", "allowed"]),
    "missing-name": ("replicates = 2\n", ["name", "required"]),
    "bad-output-table": (
        'name = "x"\n[outputs]\ntables = ["model", "blocks"]\n',
        ["tables[1]", "'blocks'", "one of 'model', 'firms', 'events', 'summary'"],
    ),
    "invalid-toml": ('name = "x\n', ["not valid TOML"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_experiment_exits_2_with_one_line_naming_file_key_value_allowed(case, tmp_path, capsys):
    body, needles = BAD[case]
    path = tmp_path / f"{case}.toml"
    path.write_text(body)
    code = main(["sweep", str(path), "--out", str(tmp_path / "out"), "--quiet"])
    out, err = capsys.readouterr()
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"error: {path}")
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    assert "Traceback" not in out + err
    assert not (tmp_path / "out").exists()
