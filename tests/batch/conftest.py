"""Shared fixtures for batch tests.

The smoke experiment is swept once in-process (the reference for other executors);
`experiment_file` writes small experiment files (short runs: a sweep takes a second or two).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from abm.batch import SerialExecutor, load, load_experiment, sweep
from abm.batch.experiment import Experiment

TABLE_NAMES = ("model", "firms", "events", "summary")


def write_experiment(folder: Path, body: str, name: str = "exp") -> Path:
    """Write `body` (dedented TOML) to folder/NAME.toml; return its path."""
    path = folder / f"{name}.toml"
    path.write_text(textwrap.dedent(body).lstrip())
    return path


def assert_same_tables(left: Path, right: Path) -> None:
    """The four tables of two sweep folders are equal, value for value and dtype for dtype."""
    a, b = load(left), load(right)
    for name in TABLE_NAMES:
        x, y = getattr(a, name), getattr(b, name)
        assert len(x) > 0, name
        x = x.sort_values("run_id", kind="stable").reset_index(drop=True)
        y = y.sort_values("run_id", kind="stable").reset_index(drop=True)
        pd.testing.assert_frame_equal(x, y, check_exact=True)


@pytest.fixture(scope="session")
def experiment_file(tmp_path_factory) -> Callable[..., Path]:
    """`write_experiment` into a fresh temporary folder."""

    def make(body: str, name: str = "exp") -> Path:
        return write_experiment(tmp_path_factory.mktemp("experiments"), body, name)

    return make


@pytest.fixture(scope="session")
def smoke() -> Experiment:
    """The shipped smoke experiment: a 2 x 2 grid, one replicate each, of a 3-month baseline."""
    return load_experiment("smoke")


@pytest.fixture(scope="session")
def smoke_serial(tmp_path_factory, smoke) -> Path:
    """The smoke experiment swept in this process (the reference for other executors)."""
    out = tmp_path_factory.mktemp("smoke") / "serial"
    report = sweep(smoke.specs(), out, SerialExecutor(), manifest=smoke.manifest())
    assert report.done == 4 and report.ok
    return out
