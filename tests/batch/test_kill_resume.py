"""A sweep killed with SIGKILL part-way and resumed equals an uninterrupted sweep.

The killed sweep's half-written files are never read, and the resumed sweep removes them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from abm.batch import SerialExecutor, load, load_experiment, sweep
from abm.batch.store import stored_ids

from .conftest import assert_same_tables

EXPERIMENT = """
name = "killme"
description = "12 two-month runs to interrupt"
base = "baseline_2026"
replicates = 4
root_seed = 11
[design]
method = "grid"
[overrides]
"run.end_date" = 2026-02-28
[parameters]
"btc_price.volatility_per_year" = [0.3, 0.5, 0.7]
"""


def _sweep_command(path, out, *extra):
    cmd = [sys.executable, "-m", "abm", "sweep", str(path), "--out", str(out), "--workers", "1"]
    return [*cmd, "--quiet", *extra]


@pytest.mark.slow
def test_sigkill_then_resume_equals_an_uninterrupted_sweep(experiment_file, tmp_path):
    path = experiment_file(EXPERIMENT, "killme")
    exp = load_experiment(path)
    reference = tmp_path / "reference"
    assert sweep(exp.specs(), reference, SerialExecutor(), manifest=exp.manifest()).done == 12

    out = tmp_path / "killed"
    proc = subprocess.Popen(
        _sweep_command(path, out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    try:
        while len(stored_ids(out)) < 3:
            assert proc.poll() is None, "the sweep ended before it could be killed"
            assert time.monotonic() < deadline, "no runs stored within 120 s"
            time.sleep(0.01)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    stored = stored_ids(out)
    assert 3 <= len(stored) < 12, "killed part-way"

    partial = load(out)  # only complete runs: every stored run has all four tables
    assert set(partial.summary["run_id"]) == stored
    for name in ("model", "firms", "events"):
        assert set(getattr(partial, name)["run_id"]) == stored

    resumed = subprocess.run(
        _sweep_command(path, out, "--resume"), capture_output=True, text=True, timeout=300
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"{12 - len(stored)} runs done, 0 failed, {len(stored)} already stored" in resumed.stdout
    assert not [p for p in (out / "runs").iterdir() if p.name.startswith(".")]
    assert_same_tables(reference, out)
