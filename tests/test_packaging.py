"""The package as users get it: shipped scenarios and experiments in the wheel.

Also: one version, a licence, type information, and every subpackage listed.
"""

from __future__ import annotations

import importlib.metadata
import pkgutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

import abm
from abm.catalog import EXPERIMENT_DIR, SCENARIO_DIR

REPO = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())


def test_every_subpackage_is_listed_for_the_wheel():
    found = {"abm"} | {f"abm.{m.name}" for m in pkgutil.iter_modules(abm.__path__) if m.ispkg}
    data = set(PYPROJECT["tool"]["setuptools"]["package-dir"])
    assert set(PYPROJECT["tool"]["setuptools"]["packages"]) == found | data
    assert data == {"abm.scenarios", "abm.experiments"}


def test_version_is_written_once_and_installed_metadata_agrees():
    project = PYPROJECT["project"]
    assert "version" not in project and project["dynamic"] == ["version"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "abm.__version__"}
    assert importlib.metadata.version(project["name"]) == abm.__version__


def test_licence_and_type_marker_ship():
    assert (REPO / "LICENSE").read_text().startswith("MIT License")
    assert PYPROJECT["project"]["license"] == {"text": "MIT"}
    assert (REPO / "abm" / "py.typed").exists()
    assert "py.typed" in PYPROJECT["tool"]["setuptools"]["package-data"]["abm"]


def test_a_source_checkout_reads_the_top_level_folders():
    assert SCENARIO_DIR == REPO / "scenarios" and EXPERIMENT_DIR == REPO / "experiments"


@pytest.mark.slow
def test_a_wheel_installed_elsewhere_runs_shipped_scenarios_and_experiments(tmp_path):
    """Build the wheel, install it into a fresh venv, use it from another folder.

    Dependencies come from the test environment, behind the venv's own site-packages.
    """
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "-q", "-w", tmp_path],
        check=True,
        capture_output=True,
        timeout=600,
    )
    [wheel] = tmp_path.glob("abm_miners-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # the test environment's libraries, behind the venv's own site-packages
    (Path(site) / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "-q", wheel],
        check=True,
        capture_output=True,
        timeout=600,
    )
    work = tmp_path / "elsewhere"
    work.mkdir()

    def abm_cli(*args: str) -> str:
        done = subprocess.run(
            [venv / "bin" / "abm", *args], cwd=work, capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    where = subprocess.run(
        [python, "-c", "import abm, abm.catalog as c; print(abm.__file__, c.SCENARIO_DIR)"],
        cwd=work,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert where == [f"{site}/abm/__init__.py", f"{site}/abm/scenarios"]
    listed = [line.split()[0] for line in abm_cli("scenarios").splitlines()]
    assert listed == sorted(p.stem for p in (REPO / "scenarios").glob("*.toml"))
    abm_cli("run", "china_2021", "--set", "run.end_date=2021-06-15", "--out", "r", "-q")
    assert sorted(p.name for p in (work / "r").iterdir())[0] == "events.parquet"
    assert "valid experiment" in abm_cli("validate", "smoke")
    assert abm_cli("--version") == f"abm {abm.__version__}\n"
