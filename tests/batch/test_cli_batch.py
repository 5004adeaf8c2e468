"""`abm sweep` exit statuses: 0 all finished, 1 any failed, 2 bad input.

An existing sweep folder is continued only with --resume; --max-runs leaves the rest.
"""

from __future__ import annotations

import json

import pytest

from abm.batch import load
from abm.cli import main

from .conftest import assert_same_tables

FAILING = """
name = "half_bad"
description = "start 2026-03-01 with end 2026-02-15 passes each level's check, fails together"
replicates = 1
root_seed = 3
[parameters]
"run.start_date" = [2026-01-01, 2026-03-01]
"run.end_date" = [2026-02-15]
"""


def test_sweep_then_resume_then_refuse_without_resume(smoke_serial, tmp_path, capsys):
    out = tmp_path / "smoke"
    args = ["sweep", "smoke", "--out", str(out), "--workers", "1", "--quiet"]
    assert main([*args[:-1], "--max-runs", "3"]) == 0  # not quiet: the plan is noted on stderr
    printed = capsys.readouterr()
    assert "smoke: 4 runs (4 design points x 1 replicates, grid), root seed 1" in printed.err
    assert "3 runs done, 0 failed, 0 already stored, 1 left" in printed.out
    assert f"continue with: abm sweep smoke --out {out} --resume\n" in printed.out

    assert main(args) == 2
    err = capsys.readouterr().err
    assert err == (
        f"error: {out}: already holds an abm sweep result; allowed: --resume, or another --out\n"
    )

    assert main([*args, "--resume"]) == 0
    assert "1 runs done, 0 failed, 3 already stored, 0 left" in capsys.readouterr().out
    assert_same_tables(smoke_serial, out)


def test_a_sweep_with_a_failed_run_exits_1_and_lists_it(experiment_file, tmp_path, capsys):
    path = experiment_file(FAILING, "half_bad")
    out = tmp_path / "half_bad"
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet"]) == 1
    printed = capsys.readouterr().out
    assert "1 runs done, 1 failed" in printed
    [record_path] = (out / "failed").glob("*.json")
    assert f"failed {record_path.stem}: ParamError" in printed
    record = json.loads(record_path.read_text())
    assert "end_date 2026-02-15 is before start_date 2026-03-01" in record["error"]
    assert record["spec"]["overrides"]["run.start_date"] == "2026-03-01"
    assert load(out).summary["run.start_date"].tolist() == ["2026-01-01"]


@pytest.mark.parametrize("flag", [["--workers", "0"], ["--max-runs", "-1"]])
def test_bad_counts_are_usage_errors(flag, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["sweep", "smoke", *flag])
    assert exit_info.value.code == 2
    assert "allowed 1 <= value" in capsys.readouterr().err


def test_dask_and_dask_local_exclude_each_other(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["sweep", "smoke", "--dask", "tcp://127.0.0.1:8786", "--dask-local"])
    assert exit_info.value.code == 2


@pytest.mark.slow
def test_sweep_on_a_dask_local_cluster_matches_serial(smoke_serial, tmp_path, capsys):
    pytest.importorskip("dask.distributed", reason="the dask extra is not installed")
    out = tmp_path / "dask"
    args = ["sweep", "smoke", "--out", str(out), "--dask-local", "--workers", "2", "--quiet"]
    assert main(args) == 0
    assert "4 runs done, 0 failed" in capsys.readouterr().out
    assert_same_tables(smoke_serial, out)
    assert load(out).runs["worker_pid"].nunique() >= 1


@pytest.mark.slow
def test_sweep_on_a_dask_scheduler_address_matches_serial(smoke_serial, tmp_path, capsys):
    distributed = pytest.importorskip("dask.distributed", reason="the dask extra is not installed")
    LocalCluster = distributed.LocalCluster

    out = tmp_path / "remote"
    cluster = LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    )
    with cluster:
        args = ["sweep", "smoke", "--out", str(out), "--dask", cluster.scheduler_address]
        assert main([*args, "--quiet"]) == 0
    assert "4 runs done, 0 failed" in capsys.readouterr().out
    assert_same_tables(smoke_serial, out)
