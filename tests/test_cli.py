"""The command line: bad input gives exit status 2, one line on stderr and no output."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
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


SHORT = ["--set", "run.end_date=2026-01-15"]


def test_overwrite_replaces_only_an_abm_result_with_ordinary_permissions(tmp_path, capsys):
    out = tmp_path / "r"
    args = ["run", "baseline_2026", "--out", str(out), "-q", *SHORT]
    assert main([*args, "--seed", "1"]) == 0
    first = (out / "manifest.json").read_text()
    assert main([*args, "--seed", "2"]) == 2  # no --overwrite: refused, nothing changed
    assert (out / "manifest.json").read_text() == first
    assert main([*args, "--seed", "2", "--overwrite"]) == 0
    assert json.loads((out / "manifest.json").read_text())["seed"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]  # no temporary left
    old = os.umask(0o022)
    os.umask(old)
    assert old == 0o022  # pytest runs under the usual umask
    assert oct(out.stat().st_mode & 0o777) == "0o755"
    assert {oct(p.stat().st_mode & 0o777) for p in out.iterdir()} == {"0o644"}


def test_set_overrides_are_checked_applied_and_recorded(tmp_path, capsys):
    out = tmp_path / "r"
    changes = ["--set", "btc_price.volatility_per_year=0.6", "--set", "run.end_date=2026-01-15"]
    assert main(["run", "baseline_2026", "--out", str(out), "-q", *changes]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["overrides"] == {
        "btc_price.volatility_per_year": 0.6,
        "run.end_date": "2026-01-15",
    }
    assert manifest["scenario"]["btc_price"]["volatility_per_year"] == 0.6
    assert (
        manifest["scenario_hash"]
        == abm.load_scenario(
            "baseline_2026", {"btc_price.volatility_per_year": 0.6, "run.end_date": "2026-01-15"}
        ).digest()
    )
    assert len(pd.read_parquet(out / "model.parquet")) == 15


def test_validate_accepts_experiments_and_set(capsys):
    assert main(["validate", "smoke"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("smoke: valid experiment (4 runs: 4 design points x 1 replicates, grid")
    assert main(["validate", "baseline_2026", "--set", "btc_price.volatility_per_year=0.6"]) == 0
    changed = abm.load_scenario("baseline_2026", {"btc_price.volatility_per_year": 0.6})
    assert f"valid (scenario hash {changed.digest()})" in capsys.readouterr().out


def test_params_lists_every_parameter_with_unit_range_doc_and_source(capsys):
    from abm.describe import rows

    assert main(["params", "mass_exodus", "--set", "btc_price.drift_per_year=0.1"]) == 0
    out = capsys.readouterr().out.splitlines()
    keys = [line.split(" = ")[0] for line in out if not line.startswith(" ")]
    assert keys == [key for key, _, _ in rows(abm.load_scenario("mass_exodus"))]
    at = out.index("btc_price.volatility_per_year = 0.5 1/year")
    assert out[at + 1] == (
        "    allowed 0.0 <= value <= 3.0; volatility sigma of the log price, per sqrt(year)"
    )
    assert out[at + 2] == "    set in baseline_2026.toml: per sqrt(year): about 50 % (45-55)"
    assert out[out.index("btc_price.drift_per_year = 0.1 1/year") + 2] == "    set in --set"
    start_eh = abm.load_scenario("mass_exodus").network.start_hashrate_eh
    assert f"network.start_hashrate_eh = {start_eh} EH/s" in out


def test_version_and_help_list_every_subcommand(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0 and capsys.readouterr().out == f"abm {abm.__version__}\n"
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    commands = ("run", "validate", "scenarios", "params", "sweep", "analyze", "figures")
    for command in (*commands, "reproduce"):
        assert f"\n    {command} " in text, command


def test_quiet_keeps_results_and_verbose_notes_on_stderr(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["-q", "run", "baseline_2026", "--out", str(out), *SHORT]) == 0
    printed = capsys.readouterr()
    assert printed.err == "" and "blocks mined" in printed.out
    assert main(["scenarios", "--dir", str(tmp_path / "r")]) == 0
    assert capsys.readouterr().err == f"{out}: holds no scenario files (*.toml)\n"


def test_an_unexpected_error_is_one_line_exit_1_and_debug_shows_the_traceback(monkeypatch, capsys):
    import abm.cli

    def broken(args):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(abm.cli, "cmd_scenarios", broken)
    assert main(["scenarios"]) == 1
    assert capsys.readouterr().err == "error: RuntimeError: disk on fire\n"
    assert main(["scenarios", "--debug"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Traceback") and err.endswith("error: RuntimeError: disk on fire\n")


def _interrupt(argv: list[str], cwd: Path, started: str) -> subprocess.CompletedProcess:
    """Run `python -m abm ARGV`; press Ctrl-C once `started` appears on its stderr.

    Ctrl-C in a terminal sends SIGINT to the whole process group, workers included. The
    command starts with SIGINT's default action, as from a terminal, even when this test
    runs in a background job (which starts with SIGINT ignored, and Python then never
    raises KeyboardInterrupt).
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "abm", *argv],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    seen = ""
    while started not in seen:
        char = proc.stderr.read(1)
        assert char, f"exited before {started!r}: {seen}"
        seen += char
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, seen + err)


@pytest.mark.slow
def test_ctrl_c_on_run_exits_130_with_one_line_and_writes_nothing(tmp_path):
    # fifty years: long enough to be under way when Ctrl-C arrives (a 5-year run takes < 1 s)
    argv = ["run", "baseline_2026", "--out", "r", "--set", "run.end_date=2075-12-31"]
    done = _interrupt(argv, tmp_path, "simulating")
    assert done.returncode == 130
    last = done.stderr.strip().splitlines()[-1]
    assert last.endswith("error: interrupted; nothing was written"), done.stderr
    assert "Traceback" not in done.stderr and list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_ctrl_c_on_sweep_exits_130_and_prints_the_resume_command_that_finishes_it(tmp_path):
    (tmp_path / "e.toml").write_text(
        'name = "e"\nreplicates = 6\n[overrides]\n"run.end_date" = 2026-06-30\n'
    )
    argv = ["sweep", "e.toml", "--out", "s", "--workers", "2"]
    done = _interrupt(argv, tmp_path, "sweep:")
    assert done.returncode == 130, done.stderr
    assert "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert re.fullmatch(
        r"error: interrupted; \d of 6 runs are stored in s; continue with: "
        r"abm sweep e.toml --out s --resume",
        last.split("\r")[-1],
    ), last
    again = subprocess.run(
        [sys.executable, "-m", "abm", *argv, "--resume", "-q"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0, again.stderr
    assert "0 left" in again.stdout
