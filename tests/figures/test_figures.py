"""Figures drawn from small stored sweeps: valid files, identical bytes, clear refusals."""

from pathlib import Path

import pytest

from abm.batch import SerialExecutor, load_experiment, sweep
from abm.batch.experiment import experiment_from_mapping
from abm.figures import FIGURES, FigureError, draw_figure, load_figure_data
from abm.figures.cli import cmd_figures

SOBOL = {
    "name": "smoke_sobol",
    "base": "baseline_2026",
    "replicates": 1,
    "root_seed": 3,
    "design": {"method": "sobol", "samples": 2},
    "overrides": {"run": {"end_date": "2026-04-30"}},
    "parameters": {
        "btc_price": {"drift_per_year": [-0.3, 0.3]},
        "ai": {"demand_growth_per_year": [0.0, 0.8]},
    },
}
CHINA = {
    "name": "smoke_china",
    "base": "china_2021",
    "replicates": 3,
    "root_seed": 2021,
}


def store(tmp_path_factory, name: str, exp) -> Path:
    out = tmp_path_factory.mktemp(name)
    report = sweep(exp.specs(), out, SerialExecutor(), manifest=exp.manifest())
    assert report.ok
    return out


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    return load_figure_data(store(tmp_path_factory, "smoke", load_experiment("smoke")))


@pytest.fixture(scope="module")
def sobol(tmp_path_factory):
    return load_figure_data(store(tmp_path_factory, "sobol", experiment_from_mapping(SOBOL)))


@pytest.fixture(scope="module")
def china(tmp_path_factory):
    return load_figure_data(store(tmp_path_factory, "china", experiment_from_mapping(CHINA)))


def source_for(name: str, smoke, sobol, china):
    return {"sensitivity": sobol, "china_2021": china}.get(name, smoke)


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_each_figure_is_a_valid_file_with_the_same_bytes_on_a_second_draw(
    name, smoke, sobol, china, tmp_path
):
    data = source_for(name, smoke, sobol, china)
    first = draw_figure(data, name, tmp_path / "a", ("png", "pdf", "svg"))
    second = draw_figure(data, name, tmp_path / "b", ("png", "pdf", "svg"))
    for a, b in zip(first, second, strict=True):
        content = a.read_bytes()
        assert len(content) > 2000, a
        assert content == b.read_bytes(), f"{a.name} differs between two draws"
    png, pdf, svg = (p.read_bytes() for p in first)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert pdf.startswith(b"%PDF-") and b"%%EOF" in pdf[-64:]
    assert b"<svg" in svg[:2000]
    digest = data.experiment_hash.encode()
    assert digest in png and digest in pdf and digest in svg, "experiment hash in metadata"


def test_sensitivity_refuses_a_grid_sweep_with_a_clear_message(smoke, tmp_path):
    with pytest.raises(FigureError, match="sensitivity needs a Sobol sweep"):
        draw_figure(smoke, "sensitivity", tmp_path, ("png",))


def test_multi_run_figures_refuse_a_single_run_and_say_how_to_get_more(tmp_path):
    from abm import run

    run("baseline_2026", seed=1, **{"run.end_date": "2026-03-31"}).write(tmp_path / "one")
    data = load_figure_data(tmp_path / "one")
    draw_figure(data, "migration_timeline", tmp_path / "figs", ("png",))
    for name in ("fan_charts", "security", "phase_diagram"):
        with pytest.raises(FigureError, match="abm sweep"):
            draw_figure(data, name, tmp_path / "figs", ("png",))


def test_china_figure_refuses_results_without_china_runs(smoke, tmp_path):
    with pytest.raises(FigureError, match="china_2021 needs runs of the china_2021 scenario"):
        draw_figure(smoke, "china_2021", tmp_path, ("png",))


def test_figures_cli_only_exits_2_with_the_reason(smoke, tmp_path, capsys):
    import argparse

    args = argparse.Namespace(
        results=str(smoke.source), out=str(tmp_path), only="sensitivity", format="png"
    )
    assert cmd_figures(args) == 2
    assert "Sobol" in capsys.readouterr().err
