"""`abm figures`: bad input exits 2 with one line naming the problem and writes nothing."""

import shutil
from pathlib import Path

import pytest

from abm.cli import main


def empty(folder: Path, single: Path) -> Path:
    folder.mkdir()
    return folder


def missing(folder: Path, single: Path) -> Path:
    return folder / "nowhere"


def not_results(folder: Path, single: Path) -> Path:
    folder.mkdir()
    (folder / "notes.txt").write_text("not results\n")
    return folder


def truncated_parquet(folder: Path, single: Path) -> Path:
    shutil.copytree(single, folder)
    data = (folder / "model.parquet").read_bytes()
    (folder / "model.parquet").write_bytes(data[: len(data) // 2])
    return folder


def missing_manifest(folder: Path, single: Path) -> Path:
    shutil.copytree(single, folder)
    (folder / "manifest.json").unlink()
    return folder


def corrupt_manifest(folder: Path, single: Path) -> Path:
    shutil.copytree(single, folder)
    (folder / "manifest.json").write_text('{"seed": 1, ')
    return folder


def sweep_without_runs(folder: Path, single: Path) -> Path:
    (folder / "runs").mkdir(parents=True)
    (folder / "manifest.json").write_text('{"design": {"method": "grid"}}')
    return folder


CASES = [
    (empty, [], "holds no results"),
    (missing, [], "no such folder"),
    (not_results, [], "holds no results"),
    (truncated_parquet, [], "model.parquet: not a readable Parquet file"),
    (missing_manifest, [], "manifest.json is missing"),
    (corrupt_manifest, [], "manifest.json: not readable JSON"),
    (sweep_without_runs, [], "no finished run stored yet"),
    (None, ["--format", "jpg"], "figure format 'jpg' is not allowed"),
    (None, ["--only", "fan_charts"], "3 or more seeds of one design point"),
]


@pytest.mark.parametrize(
    ("make", "extra", "needle"), CASES, ids=[c[0].__name__ if c[0] else c[1][0] for c in CASES]
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(
    make, extra, needle, single_folder, tmp_path, capsys
):
    results = make(tmp_path / "results", single_folder) if make else single_folder
    out = tmp_path / "figures"
    assert main(["figures", str(results), "--out", str(out), *extra]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    assert needle in lines[0]
    assert captured.out == ""
    assert not out.exists()


def test_figures_of_one_run_read_as_information(single_folder, tmp_path, capsys):
    assert main(["figures", str(single_folder), "--out", str(tmp_path), "--format", "png"]) == 0
    out = capsys.readouterr().out
    assert "1 run of 1 design point (single)" in out
    assert "migration_timeline: " in out and "figures that need other results" in out
    assert "skipped" not in out and "1 runs" not in out
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == ["bifurcation.png", "migration_timeline.png"]


def test_sensitivity_without_stored_indices_says_to_run_analyze(tmp_path, capsys):
    from abm.batch import SerialExecutor, sweep
    from abm.batch.experiment import experiment_from_mapping

    from .conftest import SOBOL

    exp = experiment_from_mapping(SOBOL | {"overrides": {"run": {"end_date": "2026-01-15"}}})
    assert sweep(exp.specs(), tmp_path / "s", SerialExecutor(), manifest=exp.manifest()).ok
    assert main(["figures", str(tmp_path / "s"), "--only", "sensitivity"]) == 2
    assert "abm analyze" in capsys.readouterr().err
