"""The command line: bad input gives exit status 2, one line on stderr and no output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import abm
from abm.cli import EXIT_BAD_INPUT, main

REPO = Path(__file__).resolve().parent.parent
OUTPUTS = ("model.parquet", "firms.parquet", "events.parquet", "summary.json", "manifest.json")


@pytest.fixture
def bad_scenario(tmp_path: Path, baseline_toml: Path) -> Path:
    """A baseline override with one out-of-range value."""
    path = tmp_path / "bad.toml"
    path.write_text(f'extends = "{baseline_toml}"\n[finance]\nauction_discount = 1.4\n')
    return path


def test_validate_bad_file_exits_2_with_one_stderr_line_naming_it(bad_scenario, capsys):
    code = main(["validate", str(bad_scenario)])
    out, err = capsys.readouterr()
    assert code == EXIT_BAD_INPUT == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert str(bad_scenario) in lines[0]
    assert "auction_discount" in lines[0] and "1.4" in lines[0]
    assert "Traceback" not in err + out


@pytest.mark.parametrize(
    "body",
    ["[finance\n", "typo_key = 1\n", '[finance]\nauction_discount = "x"\n'],
    ids=["invalid-toml", "unknown-key", "wrong-type"],
)
def test_validate_any_param_error_exits_2_without_traceback(tmp_path, baseline_toml, body, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(f'extends = "{baseline_toml}"\n{body}')
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and str(path) in err and "Traceback" not in err


def test_validate_missing_file_exits_2(tmp_path, capsys):
    missing = tmp_path / "nowhere.toml"
    assert main(["validate", str(missing)]) == 2
    assert str(missing) in capsys.readouterr().err


def test_run_bad_file_exits_2_and_writes_nothing(bad_scenario, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["run", str(bad_scenario), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err and str(bad_scenario) in err
    assert not out.exists()
    # no output folder and no temporary folder (RunResult.write uses ".out.*" temp dirs)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]


def test_run_with_missing_price_csv_exits_2_without_traceback(tmp_path, baseline_toml, capsys):
    path = tmp_path / "csv.toml"
    path.write_text(f'extends = "{baseline_toml}"\n[btc_price]\npath_csv = "nope.csv"\n')
    code = main(["run", str(path), "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "nope.csv" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["csv.toml"]


def test_validate_rejects_a_missing_price_csv(tmp_path, baseline_toml, capsys):
    path = tmp_path / "csv.toml"
    path.write_text(f'extends = "{baseline_toml}"\n[btc_price]\npath_csv = "nope.csv"\n')
    assert main(["validate", str(path)]) == 2
    assert str(path) in capsys.readouterr().err


def test_validate_good_file_exits_0_and_prints_its_hash(baseline_toml, capsys):
    assert main(["validate", str(baseline_toml)]) == 0
    out = capsys.readouterr().out
    assert abm.load_scenario(baseline_toml).digest() in out


def test_scenarios_lists_baseline_with_its_description(capsys):
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    description = abm.load_scenario("baseline_2026").description
    assert description
    line = next(line for line in out.splitlines() if line.startswith("baseline_2026 "))
    assert line.split(None, 1)[1].strip() == description


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path]:
    """`abm run baseline_2026 --seed 1 --out <dir>/out --quiet`: exit code and folder."""
    out = tmp_path_factory.mktemp("cli") / "out"
    code = main(["run", "baseline_2026", "--seed", "1", "--out", str(out), "--quiet"])
    return code, out


def test_run_baseline_writes_all_tables_and_a_complete_manifest(cli_run):
    code, out = cli_run
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUTS)
    assert sorted(p.name for p in out.parent.iterdir()) == ["out"]  # no temp folder left
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 1
    assert manifest["scenario_hash"] == abm.load_scenario("baseline_2026").digest()
    assert manifest["package_version"] == abm.__version__
    assert isinstance(manifest["wall_time_s"], float) and manifest["wall_time_s"] > 0
    summary = json.loads((out / "summary.json").read_text())
    model = pd.read_parquet(out / "model.parquet")
    assert len(model) == summary["steps"] == 1826
    assert int(model["blocks"].sum()) == summary["blocks"]
    assert len(pd.read_parquet(out / "firms.parquet")) > 0
    assert "retarget" in set(pd.read_parquet(out / "events.parquet")["kind"])


def test_run_output_equals_the_api_run(cli_run, baseline_result):
    _, out = cli_run
    pd.testing.assert_frame_equal(
        pd.read_parquet(out / "model.parquet"), baseline_result.model, check_dtype=False
    )
    assert json.loads((out / "summary.json").read_text()) == json.loads(
        json.dumps(baseline_result.summary)
    )


def test_python_dash_m_abm_validate_exits_0():
    proc = subprocess.run(
        [sys.executable, "-m", "abm", "validate", "scenarios/baseline_2026.toml"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "valid" in proc.stdout


def test_python_dash_m_abm_validate_bad_file_exits_2(bad_scenario):
    proc = subprocess.run(
        [sys.executable, "-m", "abm", "validate", str(bad_scenario)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and str(bad_scenario) in proc.stderr
