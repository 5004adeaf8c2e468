"""Run specs: seeds come from (root seed, point, replicate) alone; ids hash the contents."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from abm.batch import RunSpec, derive_seed, run_one

SHORT = {"run.end_date": "2026-01-31"}


def test_seed_is_the_spawned_seed_sequence_of_point_and_replicate():
    """derive_seed(r, p, k) is 63 bits of SeedSequence(r, spawn_key=(p, k)).generate_state."""
    words = np.random.SeedSequence(5, spawn_key=(3, 2)).generate_state(2, np.uint32)
    expected = ((int(words[0]) << 32) | int(words[1])) & (2**63 - 1)
    assert derive_seed(5, 3, 2) == expected
    assert RunSpec(point=3, replicate=2, root_seed=5).seed == expected


def test_seed_does_not_depend_on_the_order_or_count_of_specs(smoke):
    """The smoke design with 1 or 5 replicates, reversed or not: shared specs agree."""
    import dataclasses

    few = {(s.point, s.replicate): (s.seed, s.id) for s in smoke.specs()}
    more = dataclasses.replace(smoke, replicates=5).specs()
    assert len(more) == 20  # 4 points x 5 replicates
    for spec in reversed(more):
        if (spec.point, spec.replicate) in few:
            assert few[(spec.point, spec.replicate)] == (spec.seed, spec.id)


def test_seeds_differ_across_points_replicates_and_root_seeds():
    seeds = {derive_seed(r, p, k) for r in range(3) for p in range(20) for k in range(20)}
    assert len(seeds) == 3 * 20 * 20
    assert all(0 <= s < 2**63 for s in seeds)


def test_id_hashes_contents_not_the_order_of_overrides():
    a = RunSpec("baseline_2026", {"btc_price.drift_per_year": 0.1, "run.end_date": "2026-02-01"})
    b = RunSpec("baseline_2026", {"run.end_date": "2026-02-01", "btc_price.drift_per_year": 0.1})
    assert a == b and a.id == b.id and len(a.id) == 16
    changed = [
        RunSpec("fed_cuts_2026", a.overrides),
        RunSpec("baseline_2026", {**dict(a.overrides), "btc_price.drift_per_year": 0.2}),
        RunSpec("baseline_2026", a.overrides, point=1),
        RunSpec("baseline_2026", a.overrides, replicate=1),
        RunSpec("baseline_2026", a.overrides, root_seed=1),
        RunSpec("baseline_2026", a.overrides, outputs=("summary",)),
        RunSpec("baseline_2026", a.overrides, model_every=7),
    ]
    assert len({a.id, *(s.id for s in changed)}) == 1 + len(changed)


def test_spec_survives_pickling_and_json_with_the_same_id():
    spec = RunSpec("baseline_2026", {"run.end_date": "2026-02-01"}, point=2, replicate=1)
    assert pickle.loads(pickle.dumps(spec)).id == spec.id
    assert RunSpec.from_dict(spec.to_dict()).id == spec.id
    assert spec.to_dict()["seed"] == spec.seed


@pytest.mark.parametrize(
    "kwargs",
    [
        {"outputs": ("model", "prices")},
        {"varied": ("btc_price.drift_per_year",)},
        {"model_every": 0},
        {"replicate": -1},
    ],
)
def test_malformed_specs_are_rejected(kwargs):
    with pytest.raises(ValueError):
        RunSpec("baseline_2026", SHORT, **kwargs)


def test_rerunning_a_spec_gives_identical_tables():
    spec = RunSpec("baseline_2026", SHORT, replicate=1, root_seed=9)
    first, second = run_one(spec), run_one(spec)
    for name in ("model", "firms", "events", "summary"):
        pd.testing.assert_frame_equal(first.tables[name], second.tables[name], check_exact=True)


def test_replicates_differ_and_carry_their_identity_columns():
    a = run_one(RunSpec("baseline_2026", SHORT, replicate=0, varied=()))
    b = run_one(RunSpec("baseline_2026", SHORT, replicate=1, varied=()))
    prices_a, prices_b = a.tables["model"]["btc_price_usd"], b.tables["model"]["btc_price_usd"]
    assert prices_a.iloc[0] == prices_b.iloc[0]  # same start price
    assert (prices_a.iloc[1:].to_numpy() != prices_b.iloc[1:].to_numpy()).all()
    row = a.tables["summary"].iloc[0]
    assert list(a.tables["summary"].columns[:5]) == [
        "run_id",
        "scenario",
        "point",
        "replicate",
        "seed",
    ]
    assert (row["run_id"], row["scenario"], row["replicate"]) == (a.spec.id, "baseline_2026", 0)
    assert row["seed"] == derive_seed(0, 0, 0)


def test_outputs_and_thinning_are_what_the_spec_asks():
    spec = RunSpec("baseline_2026", SHORT, outputs=("model", "summary"), model_every=7)
    result = run_one(spec)
    assert set(result.tables) == {"model", "summary"}
    dates = pd.to_datetime(result.tables["model"]["date"])
    assert len(dates) == 5  # 31 days: rows 0, 7, 14, 21, 28
    assert (dates.diff().dropna() == pd.Timedelta(days=7)).all()
    assert result.tables["model"]["run_id"].eq(spec.id).all()


def test_common_seeds_give_every_point_the_same_seed_per_replicate():
    plain = [
        RunSpec("baseline_2026", {"x.y": p}, point=p, replicate=1, root_seed=5) for p in (0, 3)
    ]
    common = [
        RunSpec("baseline_2026", {"x.y": p}, point=p, replicate=1, root_seed=5, common_seeds=True)
        for p in (0, 3)
    ]
    assert plain[0].seed != plain[1].seed
    assert common[0].seed == common[1].seed == plain[0].seed
    assert "common_seeds" not in plain[0].to_dict()  # ids of earlier stores are unchanged
    assert common[1].id != plain[1].id
    assert RunSpec.from_dict(common[1].to_dict()) == common[1]
