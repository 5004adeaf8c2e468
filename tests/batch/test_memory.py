"""A worker that runs many models holds none of them and stops growing.

Mesa 3.3.1 keeps every model in `Agent._ids`; `abm.run` drops it after each run.
"""

from __future__ import annotations

import gc
import importlib
import weakref

import mesa
import pytest

from abm.batch import RunSpec, load, process_pool, run_one, sweep

SHORT = {"run.end_date": "2026-01-31"}
run_module = importlib.import_module("abm.run")  # the module; `abm.run` is the function


def _track_models(monkeypatch, release: bool) -> list[weakref.ref]:
    """Record a weakref to every model `abm.run` finishes; optionally skip the workaround."""
    refs: list[weakref.ref] = []
    original = run_module.release_model

    def tracking(model):
        refs.append(weakref.ref(model))
        if release:
            original(model)

    monkeypatch.setattr(run_module, "release_model", tracking)
    return refs


def test_finished_models_are_freed_after_each_run(monkeypatch):
    held_before = len(mesa.Agent._ids)
    refs = _track_models(monkeypatch, release=True)
    for replicate in range(3):
        run_one(RunSpec("baseline_2026", SHORT, replicate=replicate))
    gc.collect()
    assert len(refs) == 3
    assert all(ref() is None for ref in refs)
    assert len(mesa.Agent._ids) == held_before


def test_without_the_workaround_mesa_would_keep_every_model(monkeypatch):
    """The control: the weakref check above has teeth."""
    refs = _track_models(monkeypatch, release=False)
    try:
        run_one(RunSpec("baseline_2026", SHORT))
        gc.collect()
        assert refs[0]() is not None
    finally:
        mesa.Agent._ids.pop(refs[0](), None)
    gc.collect()
    assert refs[0]() is None


@pytest.mark.slow
def test_a_pool_worker_holds_no_model_and_stops_growing(tmp_path):
    """Sixteen 3-month runs in one worker: mesa holds no model after any of them.

    The worker's peak memory grows < 4 MB over the last eight runs; a leaked model costs
    about 1.1 MB, so the leak would add about 9 MB there.
    """
    specs = [
        RunSpec("baseline_2026", {"run.end_date": "2026-03-31"}, replicate=r) for r in range(16)
    ]
    with process_pool(1) as pool:
        report = sweep(specs, tmp_path, pool)
    assert report.done == 16
    runs = load(tmp_path).runs
    assert runs["worker_pid"].nunique() == 1
    assert runs["mesa_models_held"].tolist() == [0] * 16
    peak = runs.sort_values("replicate")["peak_rss_mb"].to_numpy()
    assert peak[15] - peak[7] < 4.0, peak
