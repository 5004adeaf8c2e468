"""Small stored results the figure tests draw from, each made once per session.

- `smoke`: the shipped 2 x 2 grid, one seed per point, three months (no AI, no bankruptcy);
- `banded`: two design points x three seeds, two months, drawn firms only (no AI yet);
- `sobol`: a Sobol sweep (N = 2, second order), analyzed by `abm analyze` for two outputs;
- `china`: the china_2021 replay, three seeds;
- `single`: `abm run baseline_2026 --seed 1` to September 2028, across the 2028 halving
  (its first AI MW go into service in July 2028).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from abm import run
from abm.batch import SerialExecutor, analyze, load_experiment, sweep
from abm.batch.experiment import experiment_from_mapping
from abm.figures import load_figure_data

BANDED = {
    "name": "banded",
    "base": "baseline_2026",
    "replicates": 3,
    "root_seed": 4,
    "overrides": {"run": {"end_date": "2026-02-28"}, "population": {"firms": []}},
    "parameters": {"btc_price": {"volatility_per_year": [0.3, 0.7]}},
}
SOBOL = {
    "name": "smoke_sobol",
    "base": "baseline_2026",
    "replicates": 1,
    "root_seed": 3,
    "design": {"method": "sobol", "samples": 2, "second_order": True},
    "overrides": {"run": {"end_date": "2026-04-30"}},
    "parameters": {
        "btc_price": {"drift_per_year": [-0.3, 0.3]},
        "ai": {"demand_growth_per_year": [0.0, 0.8]},
    },
}
CHINA = {"name": "smoke_china", "base": "china_2021", "replicates": 3, "root_seed": 2021}
SOBOL_OUTPUTS = ("btc_price_usd_end", "firms")  # the second is the same in every run


def stored(tmp_path_factory, name: str, exp) -> Path:
    out = tmp_path_factory.mktemp(name) / "store"
    assert sweep(exp.specs(), out, SerialExecutor(), manifest=exp.manifest()).ok
    return out


@pytest.fixture(scope="session")
def smoke(tmp_path_factory):
    return load_figure_data(stored(tmp_path_factory, "smoke", load_experiment("smoke")))


@pytest.fixture(scope="session")
def banded(tmp_path_factory):
    return load_figure_data(stored(tmp_path_factory, "banded", experiment_from_mapping(BANDED)))


@pytest.fixture(scope="session")
def sobol(tmp_path_factory):
    out = stored(tmp_path_factory, "sobol", experiment_from_mapping(SOBOL))
    with pytest.warns(UserWarning, match="too small"):
        analyze(out, "sobol", SOBOL_OUTPUTS[0])
    analyze(out, "sobol", SOBOL_OUTPUTS[1])
    return load_figure_data(out)


@pytest.fixture(scope="session")
def china(tmp_path_factory):
    return load_figure_data(stored(tmp_path_factory, "china", experiment_from_mapping(CHINA)))


@pytest.fixture(scope="session")
def single_folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("single") / "baseline"
    run("baseline_2026", seed=1, **{"run.end_date": "2028-09-30"}).write(out)
    return out


@pytest.fixture(scope="session")
def single(single_folder):
    return load_figure_data(single_folder)
