"""A finished run leaves nothing behind: reference counting alone frees its model.

mesa 3.3.1 keeps models in a class cache, and a model, its agents and mesa's step wrapper
refer to each other; a worker running hundreds of models must not hold the finished ones
until a garbage-collector pass happens to run.
"""

import gc

import abm
from abm.model import MiningModel

SHORT = {"run.end_date": "2026-02-28"}


def live_models() -> int:
    """Models still in memory (`gc.get_objects` lists objects; it does not collect)."""
    return sum(isinstance(o, MiningModel) for o in gc.get_objects())


def test_three_runs_leave_no_model_in_memory_without_a_collection():
    gc.collect()
    before = live_models()
    gc.disable()
    try:
        for seed in range(3):
            abm.run("baseline_2026", seed=seed, **SHORT)
        assert live_models() <= before
    finally:
        gc.enable()


def test_a_model_stepped_to_its_end_is_freed_once_dropped_and_keeps_its_tables():
    gc.collect()
    before = live_models()
    gc.disable()
    try:
        model = MiningModel("baseline_2026", seed=1, **SHORT)
        for _ in range(model.n_steps):
            model.step()
        assert len(model.model_table()) == model.n_steps
        assert len(model.firm_table()) == 2 * len(model.recorder.firms)  # two month ends
        del model
        assert live_models() <= before
    finally:
        gc.enable()
