"""Sweeps: any executor, the same tables; failures recorded; a second call resumes.

Temporary files are never read; the manifest is in JSON and in every Parquet part.
"""

from __future__ import annotations

import json
import re
import shutil
from concurrent.futures import BrokenExecutor

import pandas as pd
import pytest

import abm
from abm.batch import RunSpec, SerialExecutor, load, process_pool, run_one, sweep
from abm.batch.store import read_part_metadata
from abm.params import ParamError
from abm.run import git_commit
from abm.scenario import load_scenario

from .conftest import TABLE_NAMES, assert_same_tables


def test_load_gives_identity_and_varied_parameter_columns(smoke_serial, smoke):
    results = load(smoke_serial)
    lead = ["run_id", "scenario", "point", "replicate", "seed", "btc_price.volatility_per_year"]
    for name in TABLE_NAMES:
        assert list(getattr(results, name).columns[:6]) == lead
    summary = results.summary
    assert len(summary) == 4 and summary["run_id"].is_unique
    assert summary[["point", "replicate"]].values.tolist() == [[0, 0], [1, 0], [2, 0], [3, 0]]
    assert summary["btc_price.volatility_per_year"].tolist() == [0.3, 0.3, 0.7, 0.7]
    assert summary["ai.demand_growth_per_year"].tolist() == [0.1, 0.6, 0.1, 0.6]
    assert summary["seed"].tolist() == [s.seed for s in smoke.specs()]
    assert (results.model.groupby("run_id").size() == 90).all()  # Jan-Mar 2026, daily
    assert set(results.firms["run_id"]) == set(summary["run_id"])


@pytest.mark.slow
def test_serial_process_pool_and_dask_give_identical_tables(smoke, smoke_serial, tmp_path):
    """Same experiment on three executors: the four tables are equal, value for value."""
    distributed = pytest.importorskip("dask.distributed", reason="the dask extra is not installed")
    Client, LocalCluster = distributed.Client, distributed.LocalCluster

    with process_pool(2) as pool:
        report = sweep(smoke.specs(), tmp_path / "pool", pool, manifest=smoke.manifest())
    assert report.done == 4 and report.ok
    pids = set(load(tmp_path / "pool").runs["worker_pid"])
    assert len(pids) >= 1 and not pids & {__import__("os").getpid()}
    assert_same_tables(smoke_serial, tmp_path / "pool")

    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with cluster, Client(cluster) as client:
        executor = client.get_executor(pure=False)
        report = sweep(smoke.specs(), tmp_path / "dask", executor, manifest=smoke.manifest())
    assert report.done == 4 and report.ok
    assert_same_tables(smoke_serial, tmp_path / "dask")
    for name in ("pool", "dask"):  # the files too: wall times and worker ids are JSON only
        for part in sorted(smoke_serial.glob("runs/*/*.parquet")):
            twin = tmp_path / name / part.relative_to(smoke_serial)
            assert twin.read_bytes() == part.read_bytes(), twin


def test_load_of_a_store_without_finished_runs_raises(tmp_path):
    with pytest.raises(ParamError, match="no such sweep folder"):
        load(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ParamError, match=r"holds no finished run \(none was run\)"):
        load(tmp_path / "empty")
    spec = RunSpec("baseline_2026", {"run.end_date": "2026-01-05", "run.dt_days": 99})
    report = sweep([spec], tmp_path / "failed", SerialExecutor())
    assert report.failed == 1
    with pytest.raises(ParamError, match=r"holds no finished run \(1 failed \(tracebacks in"):
        load(tmp_path / "failed")


def test_a_folder_of_other_files_is_never_used_as_a_store(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ParamError, match="holds files abm did not write"):
        sweep([RunSpec("baseline_2026")], tmp_path, SerialExecutor())
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_a_failing_run_is_recorded_with_its_traceback_and_the_sweep_goes_on(tmp_path):
    """The middle spec's override passes RunSpec but fails scenario validation in the run."""
    short = {"run.end_date": "2026-01-31"}
    specs = [
        RunSpec("baseline_2026", short, point=0),
        RunSpec("baseline_2026", {**short, "finance.auction_discount": 1.4}, point=1),
        RunSpec("baseline_2026", short, point=2),
    ]
    report = sweep(specs, tmp_path, SerialExecutor())
    assert (report.done, report.failed, report.ok) == (2, 1, False)
    assert report.failures[0][0] == specs[1].id
    record = json.loads((tmp_path / "failed" / f"{specs[1].id}.json").read_text())
    assert record["error"].startswith("ParamError:") and "auction_discount" in record["error"]
    assert "Traceback (most recent call last)" in record["traceback"]
    assert "load_scenario" in record["traceback"]
    assert record["spec"]["point"] == 1 and record["worker"]["pid"] > 0
    results = load(tmp_path)
    assert results.summary["point"].tolist() == [0, 2]
    assert results.failures["run_id"].tolist() == [specs[1].id]
    # the next call retries only the failed run (and it fails again, still recorded)
    again = sweep(specs, tmp_path, SerialExecutor())
    assert (again.stored_before, again.done, again.failed) == (2, 0, 1)


def test_a_second_call_skips_stored_runs(smoke, smoke_serial, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(smoke_serial, out)
    before = {p.name: p.stat().st_mtime_ns for p in (out / "runs").iterdir()}
    report = sweep(smoke.specs(), out, SerialExecutor(), manifest=smoke.manifest())
    assert (report.planned, report.stored_before, report.done, report.failed) == (4, 4, 0, 0)
    assert {p.name: p.stat().st_mtime_ns for p in (out / "runs").iterdir()} == before
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(manifest["sessions"]) == 2


def test_max_runs_leaves_the_rest_for_the_next_call(smoke, smoke_serial, tmp_path):
    first = sweep(smoke.specs(), tmp_path, SerialExecutor(), max_runs=3)
    assert (first.done, first.left) == (3, 1)
    second = sweep(smoke.specs(), tmp_path, SerialExecutor(), max_runs=3)
    assert (second.stored_before, second.done, second.left) == (3, 1, 0)
    assert_same_tables(smoke_serial, tmp_path)


def test_a_folder_holding_another_sweep_is_refused(smoke, smoke_serial, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(smoke_serial, out)
    other = {**smoke.manifest(), "experiment_hash": "0" * 16}
    with pytest.raises(ParamError, match="experiment_hash"):
        sweep(smoke.specs(), out, SerialExecutor(), manifest=other)
    with pytest.raises(ParamError, match="not in this sweep"):
        sweep(smoke.specs()[:2], out, SerialExecutor(), manifest=smoke.manifest())


def test_temporaries_are_never_read_and_the_next_sweep_removes_them(smoke, smoke_serial, tmp_path):
    """A half-written run folder and manifest (as a kill leaves them) are invisible to load."""
    out = tmp_path / "copy"
    shutil.copytree(smoke_serial, out)
    victim = next(p for p in sorted((out / "runs").iterdir()))
    partial = out / "runs" / f".{victim.name}.k1ll3d"
    shutil.copytree(victim, partial)
    (partial / "firms.parquet").write_bytes(b"PAR1 truncated")
    shutil.rmtree(victim)
    (out / ".manifest.json.x7").write_text("{")
    results = load(out)
    assert len(results.summary) == 3 and victim.name not in set(results.summary["run_id"])
    assert victim.name not in set(results.firms["run_id"])
    report = sweep(smoke.specs(), out, SerialExecutor(), manifest=smoke.manifest())
    assert (report.stored_before, report.done) == (3, 1)
    assert not partial.exists() and not (out / ".manifest.json.x7").exists()
    assert_same_tables(smoke_serial, out)


def test_manifest_is_in_json_and_in_every_parquet_part(smoke, smoke_serial):
    manifest = json.loads((smoke_serial / "manifest.json").read_text())
    assert manifest["experiment_hash"] == smoke.digest()
    assert manifest["experiment"]["name"] == "smoke"
    assert manifest["experiment"]["parameters"] == {
        "btc_price.volatility_per_year": [0.3, 0.7],
        "ai.demand_growth_per_year": [0.1, 0.6],
    }
    assert manifest["package_version"] == abm.__version__
    commit = git_commit()  # HEAD may move while the suite runs: compare the form, not the value
    if commit is not None:
        assert re.fullmatch("[0-9a-f]{40}", manifest["git_commit"])
    assert manifest["created_utc"].endswith("+00:00")
    assert [r["seed"] for r in manifest["runs"]] == [s.seed for s in smoke.specs()]
    base = manifest["base_scenarios"]["baseline_2026"]
    assert base["scenario"]["run"]["end_date"] == "2026-03-31"
    specs = {s.id: s for s in smoke.specs()}
    parts = sorted(smoke_serial.glob("runs/*/*.parquet"))
    assert len(parts) == 4 * 4
    for part in parts:
        meta = read_part_metadata(part)
        assert meta["sweep"]["experiment_hash"] == manifest["experiment_hash"]
        assert meta["sweep"]["experiment"] == manifest["experiment"]
        assert meta["sweep"]["git_commit"] == manifest["git_commit"]
        assert meta["run"]["run_id"] == part.parent.name
        assert meta["run"]["seed"] == meta["run"]["spec"]["seed"]
        spec = specs[part.parent.name]
        assert (
            meta["run"]["scenario_hash"]
            == load_scenario(spec.scenario, dict(spec.overrides)).digest()
        )
        run_id = pd.read_parquet(part, columns=["run_id"])["run_id"]
        assert run_id.eq(part.parent.name).all()


def test_stored_tables_equal_run_one_tables(tmp_path):
    """The sweep's Parquet path and run_one's pandas path give the same frames and dtypes."""
    spec = RunSpec("baseline_2026", {"run.end_date": "2026-01-31", "fleet.review_months": 2})
    sweep([spec], tmp_path, SerialExecutor())
    stored, direct = load(tmp_path), run_one(spec)
    for name in TABLE_NAMES:
        pd.testing.assert_frame_equal(getattr(stored, name), direct.tables[name], check_exact=True)
    assert list(direct.tables["model"].columns[:6]) == [
        "run_id",
        "scenario",
        "point",
        "replicate",
        "seed",
        "fleet.review_months",
    ]


class BreaksAfterTwo(SerialExecutor):
    """A pool whose worker dies after two tasks: later submits raise BrokenExecutor."""

    def __init__(self):
        self.submitted = 0

    def submit(self, fn, /, *args, **kwargs):
        self.submitted += 1
        if self.submitted > 2:
            raise BrokenExecutor("a worker died")
        return super().submit(fn, *args, **kwargs)


def test_a_broken_executor_stops_the_sweep_and_leaves_the_rest_for_resume(tmp_path):
    specs = [RunSpec("baseline_2026", {"run.end_date": "2026-01-10"}, point=p) for p in range(4)]
    report = sweep(specs, tmp_path, BreaksAfterTwo())
    assert (report.done, report.failed, report.left, report.ok) == (2, 0, 2, False)
    assert "a worker died" in report.broken
    resumed = sweep(specs, tmp_path, SerialExecutor())
    assert (resumed.stored_before, resumed.done, resumed.ok) == (2, 2, True)
