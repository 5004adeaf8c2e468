"""Experiment files: a base scenario, what to vary and how, seeds, outputs; validated on load.

An experiment TOML names a base scenario (or a list of them to grid over), fixed
`[overrides]`, the `[parameters]` to vary (dotted scenario keys: a list of levels for a
grid, `[low, high]` for lhs, sobol and morris), the `[design]`, replicates per point, a root
seed, the `[outputs]` to keep and the figures it feeds. Everything is checked before any
run starts: the schema by `abm.params.build`, every override, level and range bound by
loading the scenario with it, so a mistake is one `ParamError` that names the file, the
key, the value and what is allowed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from abm.batch import design
from abm.batch.spec import TABLES, RunSpec, plain
from abm.catalog import EXPERIMENT_DIR, SCENARIO_DIR, find
from abm.io import content_hash
from abm.params import ParamError, build, param, read_toml
from abm.scenario import load_scenario

FREE_TABLES = ("parameters", "overrides")  # keyed by dotted scenario keys, checked here


@dataclasses.dataclass(frozen=True)
class DesignParams:
    """How design points are chosen."""

    method: str = param("grid", choices=design.METHODS, doc="how points are chosen")
    samples: int = param(
        0,
        lo=0,
        doc="lhs: points; sobol: base sample N (a power of 2); morris: trajectories; grid: 0",
    )
    second_order: bool = param(False, doc="sobol: also sample for second-order indices")
    morris_levels: int = param(4, lo=2, hi=64, doc="morris: grid levels per parameter")

    def check(self) -> str | None:
        """Samples must suit the method."""
        if self.method == "grid":
            if self.samples:
                return f"samples = {self.samples} is not used by method 'grid'; allowed 0"
            return None
        if self.samples < 1:
            return (
                f"samples = {self.samples} is out of range for method {self.method!r}; "
                "allowed 1 <= value"
            )
        if self.method == "sobol" and self.samples & (self.samples - 1):
            return (
                f"samples = {self.samples} is not allowed for method 'sobol'; allowed a power "
                "of 2 (the Sobol' sequence is balanced only then), e.g. 8, 16, 64"
            )
        return None


@dataclasses.dataclass(frozen=True)
class OutputParams:
    """Which tables each run keeps."""

    tables: tuple[str, ...] = param(TABLES, choices=TABLES, doc="tables stored per run")
    model_every: int = param(1, lo=1, doc="keep every k-th row of the model series")


@dataclasses.dataclass(frozen=True)
class Parameter:
    """One varied scenario parameter: its levels (grid) or its [low, high] range."""

    key: str  # dotted scenario key, e.g. "btc_price.drift_per_year"
    values: tuple[Any, ...]  # levels, or (low, high)
    integer: bool = False  # the scenario field is an integer: sampled values are rounded


@dataclasses.dataclass(frozen=True)
class Experiment:
    """Every setting of one batch experiment (see the module docstring)."""

    name: str = param(doc="short name; the default output folder is results/NAME")
    description: str = param("", doc="one line: what the experiment is for")
    base: str = param(
        "baseline_2026", doc="base scenario: a shipped name or a path relative to this file"
    )
    scenarios: tuple[str, ...] = param((), doc="base scenarios to grid over instead of `base`")
    replicates: int = param(1, lo=1, doc="runs per design point, each with its own seed")
    root_seed: int = param(0, lo=0, doc="seeds the sampler and every run (spawn keys)")
    common_seeds: bool = param(
        False,
        doc="replicate k of every design point uses the same seed (common random numbers), "
        "so differences between points are not confounded with seed noise",
    )
    figures: tuple[str, ...] = param((), doc="names of the figures this experiment feeds")
    design: DesignParams = param(DesignParams())
    outputs: OutputParams = param(OutputParams())
    parameters: tuple[Parameter, ...] = param((), doc="dotted scenario key = levels or range")
    overrides: tuple[tuple[str, Any], ...] = param((), doc="dotted scenario key = value")

    def check(self) -> str | None:
        """A list of base scenarios is one more grid factor: grid designs only."""
        if self.scenarios and self.design.method != "grid":
            return (
                f"scenarios = {list(self.scenarios)!r} needs [design] method = 'grid'; "
                f"got {self.design.method!r} (sensitivity designs vary one base scenario)"
            )
        return None

    @property
    def bases(self) -> tuple[str, ...]:
        """The base scenarios, as resolved references (shipped names or absolute paths)."""
        return self.scenarios or (self.base,)

    @property
    def names(self) -> tuple[str, ...]:
        """Keys of the varied parameters, in file order."""
        return tuple(p.key for p in self.parameters)

    def to_dict(self) -> dict[str, Any]:
        """Plain mapping of the experiment, in the shape of its TOML file."""
        return {
            "name": self.name,
            "description": self.description,
            "base": self.base,
            "scenarios": list(self.scenarios),
            "replicates": self.replicates,
            "root_seed": self.root_seed,
            **({"common_seeds": True} if self.common_seeds else {}),  # earlier hashes kept
            "figures": list(self.figures),
            "design": dataclasses.asdict(self.design),
            "outputs": {**dataclasses.asdict(self.outputs), "tables": list(self.outputs.tables)},
            "parameters": {p.key: list(p.values) for p in self.parameters},
            "overrides": {k: list(v) if isinstance(v, tuple) else v for k, v in self.overrides},
        }

    def base_scenarios(self) -> dict[str, dict[str, Any]]:
        """Each base scenario (with the fixed overrides): its digest and full parameters."""
        found = {}
        for ref in self.bases:
            scenario = load_scenario(ref, dict(self.overrides) or None)
            found[ref] = {"digest": scenario.digest(), "scenario": scenario.to_dict()}
        return found

    def digest(self, bases: Mapping[str, Mapping[str, Any]] | None = None) -> str:
        """Content hash (hex, 16 chars) of the settings and of the base scenarios' contents.

        Base scenarios enter by label and digest, not by path, so moving a checkout keeps
        the hash; editing a base scenario changes it.
        """
        bases = self.base_scenarios() if bases is None else bases
        data = self.to_dict()
        data["base"] = [Path(self.base).stem, bases.get(self.base, {}).get("digest")]
        data["scenarios"] = [[Path(r).stem, bases[r]["digest"]] for r in self.scenarios]
        return content_hash(data)

    def matrix(self) -> np.ndarray:
        """The sampled design matrix (lhs, sobol, morris), before integer rounding."""
        bounds = [p.values for p in self.parameters]
        d = self.design
        return design.points(
            d.method, bounds, d.samples, self.root_seed, d.second_order, d.morris_levels
        )

    def points(self) -> list[tuple[str, dict[str, Any]]]:
        """(base scenario, {key: value}) of every design point, in point order."""
        if self.design.method == "grid":
            combos = design.grid([self.bases, *(p.values for p in self.parameters)])
            return [(combo[0], dict(zip(self.names, combo[1:], strict=True))) for combo in combos]
        rows = []
        for row in self.matrix():
            values = {
                p.key: round(v) if p.integer else float(v)
                for p, v in zip(self.parameters, row, strict=True)
            }
            rows.append((self.base, values))
        return rows

    def specs(self) -> list[RunSpec]:
        """One `RunSpec` per design point and replicate (points outer, replicates inner)."""
        fixed = dict(self.overrides)
        return [
            RunSpec(
                scenario=ref,
                overrides=fixed | values,
                point=point,
                replicate=replicate,
                root_seed=self.root_seed,
                varied=self.names,
                outputs=self.outputs.tables,
                model_every=self.outputs.model_every,
                common_seeds=self.common_seeds,
            )
            for point, (ref, values) in enumerate(self.points())
            for replicate in range(self.replicates)
        ]

    def manifest(self) -> dict[str, Any]:
        """What a sweep of this experiment records about it (see `abm.batch.sweep`)."""
        bases = self.base_scenarios()
        info: dict[str, Any] = {
            "method": self.design.method,
            "names": list(self.names),
            "seed": self.root_seed,
        }
        if self.design.method != "grid":
            bounds = [p.values for p in self.parameters]
            info["problem"] = design.problem(self.names, bounds)
            info["integer"] = [p.integer for p in self.parameters]
            info["matrix"] = self.matrix().tolist()
        return {
            "experiment_hash": self.digest(bases),
            "experiment": self.to_dict(),
            "root_seed": self.root_seed,
            "design": info,
            "base_scenarios": bases,
        }


EXPERIMENT_KEYS = frozenset(f.name for f in dataclasses.fields(Experiment)) - {"description"}
"""Top-level keys only an experiment file has (a scenario file has none of them)."""


def load_experiment(source: str | Path, overrides: Mapping[str, Any] | None = None) -> Experiment:
    """Read and validate an experiment TOML (a path, or the name of a shipped experiment).

    `overrides` (dotted scenario keys, e.g. from `--set`) join the file's `[overrides]`,
    so they enter the experiment's hash and manifest.

    Raises:
        ParamError: naming the file, the key, the value and what is allowed.
    """
    path = find(source, EXPERIMENT_DIR)
    data = read_toml(path, "experiment")
    label = str(path)
    if overrides:
        table = data.get("overrides", {})
        fixed = _flatten(table) if isinstance(table, Mapping) else table
        data["overrides"] = {**fixed, **overrides} if isinstance(fixed, dict) else fixed
        label += " (with --set)"
    return experiment_from_mapping(data, label, path.resolve().parent)


def experiment_from_mapping(
    data: Mapping[str, Any], source: str = "<experiment>", folder: Path | None = None
) -> Experiment:
    """Validate a parsed experiment; scenario paths are relative to `folder`."""
    folder = Path.cwd() if folder is None else folder
    free = {}
    for table in FREE_TABLES:
        value = data.get(table, {})
        if not isinstance(value, Mapping):
            raise ParamError(f"{source}: {table} must be a table of keys, got {value!r}")
        free[table] = _flatten(value)
    rest = {k: v for k, v in data.items() if k not in FREE_TABLES}
    exp = build(Experiment, rest, source)
    exp = dataclasses.replace(
        exp,
        base=_resolve(exp.base, folder, source, "base"),
        scenarios=tuple(_resolve(r, folder, source, "scenarios") for r in exp.scenarios),
    )
    _check_figures(exp.figures, source)
    both = sorted(free["overrides"].keys() & free["parameters"].keys())
    if both:
        raise ParamError(
            f"{source}: {both[0]} is both fixed in [overrides] and varied in [parameters]; "
            "allowed in one of them"
        )
    overrides = tuple((k, plain(v)) for k, v in free["overrides"].items())
    trees = {}
    for ref in exp.bases:
        try:
            trees[ref] = load_scenario(ref, dict(overrides) or None).to_dict()
        except ParamError as err:
            if not overrides:
                raise
            raise ParamError(f"{source}: [overrides] {_strip_label(err)}") from None
    method = exp.design.method
    parameters = tuple(
        _parameter(key, value, method, trees, source) for key, value in free["parameters"].items()
    )
    if method != "grid" and not parameters:
        raise ParamError(
            f"{source}: [parameters] is empty; method {method!r} needs at least one "
            "key = [low, high]"
        )
    return dataclasses.replace(exp, parameters=parameters, overrides=overrides)


def _check_figures(names: tuple[str, ...], source: str) -> None:
    """Every figure an experiment lists must exist (checked before any run)."""
    if not names:
        return
    from abm.figures import FIGURES  # matplotlib: imported only when figures are named

    unknown = [name for name in names if name not in FIGURES]
    if unknown:
        raise ParamError(
            f"{source}: figures = {list(names)!r} names {unknown[0]!r}, which is not a "
            f"figure; allowed any of {', '.join(sorted(FIGURES))}"
        )


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"a": {"b": 1}} and {"a.b": 1} both become {"a.b": 1} (TOML dotted keys nest)."""
    flat = {}
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def _resolve(ref: str, folder: Path, source: str, key: str) -> str:
    """A shipped scenario name stays a name; a path becomes absolute (relative to folder)."""
    shipped = SCENARIO_DIR / f"{ref}.toml"
    if not Path(ref).suffix and "/" not in ref and shipped.exists():
        return ref
    path = (folder / ref).resolve()
    if not path.exists():
        names = ", ".join(sorted(p.stem for p in SCENARIO_DIR.glob("*.toml")))
        raise ParamError(
            f"{source}: {key} = {ref!r} is neither a shipped scenario nor a file ({path}); "
            f"allowed a path relative to the experiment file or one of {names}"
        )
    return str(path)


def _strip_label(err: ParamError) -> str:
    """A scenario error without its 'SOURCE (with overrides): ' prefix."""
    head, sep, tail = str(err).partition(" (with overrides): ")
    return tail if sep else head


def _lookup(tree: Mapping[str, Any], key: str, where: str) -> Any:
    """The base scenario's value at a dotted key; unknown keys name what is allowed."""
    node: Any = tree
    parts = key.split(".")
    for depth, part in enumerate(parts):
        if not isinstance(node, Mapping) or part not in node:
            if not isinstance(node, Mapping):
                return None
            table = ".".join(parts[:depth]) or "top level"
            allowed = ", ".join(sorted(node))
            raise ParamError(
                f"{where} is not a scenario parameter: [{table}] has no key {part!r}; "
                f"allowed keys: {allowed}"
            )
        node = node[part]
    if isinstance(node, Mapping):
        raise ParamError(
            f"{where} names a table, not a parameter; allowed keys under it: "
            f"{', '.join(f'{key}.{k}' for k in sorted(node))}"
        )
    return node


def _check_value(tree: Mapping[str, Any], key: str, value: Any, where: str) -> None:
    """Load the scenario with this one value to check its type and range."""
    try:
        load_scenario(tree, {key: value})
    except ParamError as err:
        raise ParamError(f"{where}: {_strip_label(err)}") from None


def _parameter(
    key: str, value: Any, method: str, trees: Mapping[str, Mapping[str, Any]], source: str
) -> Parameter:
    """Check one `[parameters]` entry against the design and every base scenario."""
    where = f"{source}: [parameters] {key} = {value!r}"
    if method == "grid":
        expected = "a non-empty list of levels (method 'grid')"
    else:
        expected = f"[low, high] (method {method!r})"
    if not isinstance(value, list) or not value:
        raise ParamError(f"{where} has the wrong type; expected {expected}")
    values = tuple(plain(v) for v in value)
    integer = False
    for tree in trees.values():
        current = _lookup(tree, key, f"{source}: [parameters] {key}")
        if method == "grid":
            if len(set(map(repr, values))) != len(values):
                raise ParamError(f"{where} repeats a level; allowed distinct levels")
            for level in values:
                _check_value(tree, key, level, where)
            continue
        numeric = isinstance(current, int | float) and not isinstance(current, bool)
        if not numeric:
            raise ParamError(
                f"{where}: a range needs a numeric parameter, and {key} is "
                f"{current!r}; allowed: vary it with [design] method = 'grid' and levels"
            )
        ok = len(values) == 2 and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in values
        )
        if not ok or values[0] >= values[1]:
            raise ParamError(f"{where} is not allowed; expected {expected} with low < high")
        integer = isinstance(current, int)
        for bound in values:
            _check_value(tree, key, int(bound) if integer else float(bound), where)
    if method != "grid" and not integer:
        values = tuple(float(v) for v in values)
    return Parameter(key=key, values=values, integer=integer)
