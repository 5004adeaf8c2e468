"""A worker that runs many models holds none of them and stops growing.

Mesa 3.3.1 keeps every model in `Agent._ids`; a model leaves it at the end of its last step.
"""

from __future__ import annotations

import gc
import importlib
import weakref

import mesa
import pytest

from abm.batch import RunSpec, load, process_pool, run_one, sweep
from abm.model import MiningModel

SHORT = {"run.end_date": "2026-01-31"}
run_module = importlib.import_module("abm.run")  # the module; `abm.run` is the function


def test_finished_models_are_freed_after_each_run(monkeypatch):
    held_before = len(mesa.Agent._ids)
    refs: list[weakref.ref] = []

    class Tracked(MiningModel):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            refs.append(weakref.ref(self))

    monkeypatch.setattr(run_module, "MiningModel", Tracked)
    for replicate in range(3):
        run_one(RunSpec("baseline_2026", SHORT, replicate=replicate))
    gc.collect()
    assert len(refs) == 3
    assert all(ref() is None for ref in refs)
    assert len(mesa.Agent._ids) == held_before


def test_mesa_keeps_a_model_that_has_not_finished():
    """The control: without the release at the end of the last step, mesa keeps the model."""
    model = MiningModel("baseline_2026", seed=1, **SHORT)
    model.step()
    ref = weakref.ref(model)
    del model
    gc.collect()
    try:
        assert ref() is not None
    finally:
        mesa.Agent._ids.pop(ref(), None)
    gc.collect()
    assert ref() is None


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
