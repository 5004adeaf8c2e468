"""What one run of a sweep is: a frozen description, its seed and its content-hash id.

A `RunSpec` names a base scenario, the overrides applied to it, its place in the design
(point, replicate), the experiment's root seed and which tables to keep. Its seed is drawn
from `SeedSequence(root_seed, spawn_key=(point, replicate))`, so it depends on those three
numbers only: not on how many specs there are, their order, or which worker runs them. Its
`id` hashes every field, and names the run's folder in the result store.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from abm.io import content_hash

TABLES = ("model", "firms", "events", "summary")  # every table a run can keep
ID_COLUMNS = ("run_id", "scenario", "point", "replicate", "seed")  # lead every stored table


def derive_seed(root_seed: int, point: int, replicate: int) -> int:
    """The integer seed of run (point, replicate): 63 bits of its spawned SeedSequence.

    `abm run SCENARIO --seed S` with this S reproduces the run bit for bit.
    """
    sequence = np.random.SeedSequence(root_seed, spawn_key=(point, replicate))
    high, low = (int(w) for w in sequence.generate_state(2, np.uint32))
    return ((high << 32) | low) & (2**63 - 1)


def plain(value: Any) -> Any:
    """An override value in a hashable, JSON-ready form: dates as ISO text, lists as tuples."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return tuple(plain(v) for v in value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


@dataclasses.dataclass(frozen=True)
class RunSpec:
    """One run: a base scenario with overrides, its design point and replicate, its seed.

    Attributes:
        scenario: base scenario, a shipped name ("baseline_2026") or a TOML path.
        overrides: dotted scenario keys and values, e.g. {"btc_price.drift_per_year": 0.1};
            a mapping is accepted and stored as sorted (key, value) pairs.
        point: index of the design point (row of the design matrix).
        replicate: index of the replicate at that point.
        root_seed: the experiment's root seed.
        varied: override keys stored as columns of every table (the design's factors);
            None stores all of them.
        outputs: tables to keep, a subset of `TABLES`.
        model_every: keep every k-th row of the model series (1 keeps all).
        common_seeds: the seed depends on the replicate only, not on the point (common
            random numbers: replicate k of every point sees the same draws).
    """

    scenario: str = "baseline_2026"
    overrides: tuple[tuple[str, Any], ...] = ()
    point: int = 0
    replicate: int = 0
    root_seed: int = 0
    varied: tuple[str, ...] | None = None
    outputs: tuple[str, ...] = TABLES
    model_every: int = 1
    common_seeds: bool = False

    def __post_init__(self) -> None:
        pairs = self.overrides.items() if isinstance(self.overrides, Mapping) else self.overrides
        overrides = tuple(sorted((str(k), plain(v)) for k, v in pairs))
        object.__setattr__(self, "scenario", str(self.scenario))
        object.__setattr__(self, "overrides", overrides)
        object.__setattr__(self, "outputs", tuple(self.outputs))
        if self.varied is not None:
            object.__setattr__(self, "varied", tuple(self.varied))
        keys = [k for k, _ in overrides]
        if len(set(keys)) != len(keys):
            raise ValueError(f"RunSpec overrides name a key twice: {keys}")
        unknown = sorted(set(self.outputs) - set(TABLES))
        if unknown:
            raise ValueError(f"RunSpec outputs {unknown} are not tables; allowed {TABLES}")
        if self.varied is not None and not set(self.varied) <= set(keys):
            raise ValueError(f"RunSpec varied {self.varied} are not all override keys {keys}")
        if min(self.point, self.replicate, self.root_seed) < 0 or self.model_every < 1:
            raise ValueError(
                "RunSpec point, replicate and root_seed must be >= 0, model_every >= 1"
            )

    @property
    def seed(self) -> int:
        """The run's seed, from the root seed and spawn key (point, replicate).

        With common seeds the point is 0 in the key, so every point shares the seeds.
        """
        return derive_seed(self.root_seed, 0 if self.common_seeds else self.point, self.replicate)

    @functools.cached_property
    def id(self) -> str:
        """Content hash of every field (hex, 16 chars): the run's name in the store."""
        return content_hash(self.to_dict(with_id=False))

    @property
    def label(self) -> str:
        """Short name of the base scenario (a file's stem), stored in the `scenario` column."""
        return Path(self.scenario).stem

    def scenario_overrides(self) -> dict[str, Any]:
        """The overrides as `abm.load_scenario` takes them."""
        return dict(self.overrides)

    def columns(self) -> dict[str, Any]:
        """Identity columns that lead each of the run's tables, in order."""
        overrides = dict(self.overrides)
        varied = self.varied if self.varied is not None else tuple(overrides)
        values = (self.id, self.label, self.point, self.replicate, self.seed)
        ids = dict(zip(ID_COLUMNS, values, strict=True))
        return ids | {key: overrides[key] for key in varied}

    def to_dict(self, with_id: bool = True) -> dict[str, Any]:
        """Plain JSON-ready form (stored in manifests and failure records)."""
        data = {
            "scenario": self.scenario,
            "overrides": {k: _jsonable(v) for k, v in self.overrides},
            "point": self.point,
            "replicate": self.replicate,
            "root_seed": self.root_seed,
            "varied": None if self.varied is None else list(self.varied),
            "outputs": list(self.outputs),
            "model_every": self.model_every,
        }
        if self.common_seeds:  # only when on, so the ids of earlier stores do not change
            data["common_seeds"] = True
        if with_id:
            data = {"id": self.id, **data, "seed": self.seed}
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunSpec:
        """Inverse of `to_dict` (ignores the derived `id` and `seed`)."""
        fields = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in fields})


def unique_ids(specs: Iterable[RunSpec]) -> dict[str, RunSpec]:
    """Specs by id, in order; two specs with the same contents are an error."""
    by_id: dict[str, RunSpec] = {}
    for spec in specs:
        if spec.id in by_id:
            raise ValueError(f"two run specs have the same contents (id {spec.id}): {spec}")
        by_id[spec.id] = spec
    return by_id
