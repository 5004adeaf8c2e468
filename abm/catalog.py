"""Shipped scenarios and experiments: where they are, and how a name becomes a file.

The repository keeps them in its top-level `scenarios/` and `experiments/` folders; a
built wheel carries the same files as package data in `abm/scenarios` and
`abm/experiments` (see pyproject.toml). They are found with `importlib.resources`, falling
back to the top-level folders in a source checkout or an editable install. A path a user
gives is always taken as it is. Scenario files are read here as plain TOML trees with
their `extends` chains resolved; the schema check is `abm.scenario`'s job. Standard
library only, so listing scenarios starts fast.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from abm.params import ParamError, read_toml


def shipped(kind: str) -> Path:
    """The folder of shipped `kind` files ("scenarios" or "experiments")."""
    packaged = resources.files("abm").joinpath(kind)
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / kind


SCENARIO_DIR = shipped("scenarios")
EXPERIMENT_DIR = shipped("experiments")


def find(source: str | Path, folder: Path) -> Path:
    """A path as given, or the shipped file for a bare name like "baseline_2026"."""
    path = Path(source)
    if not path.suffix and not path.exists():
        return folder / f"{path}.toml"
    return path


def merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge `override` into a copy of `base`; tables merge, other values replace."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def read_scenario_layers(path: Path, seen: tuple[Path, ...] = ()) -> list[tuple[Path, dict]]:
    """Each file of a scenario's `extends` chain with its own keys, base first.

    `extends` is resolved relative to each file; file paths in it (keys ending in `_csv`)
    become absolute, relative to their file.
    """
    if path in seen:
        chain = " -> ".join(str(p) for p in (*seen, path))
        raise ParamError(f"{path}: extends forms a cycle: {chain}")
    data = read_toml(path, "scenario")
    base_name = data.pop("extends", None)
    _resolve_paths(data, path.parent)
    if base_name is None:
        return [(path, data)]
    if not isinstance(base_name, str):
        raise ParamError(f"{path}: extends = {base_name!r} must be a file name string")
    base = read_scenario_layers((path.parent / base_name).resolve(), (*seen, path))
    return [*base, (path, data)]


def read_scenario_tree(path: Path) -> dict[str, Any]:
    """A scenario file's keys merged over those of the files it extends."""
    tree: dict[str, Any] = {}
    for _, data in read_scenario_layers(path):
        tree = merge(tree, data)
    return tree


def _resolve_paths(data: dict[str, Any], folder: Path) -> None:
    for key, value in data.items():
        if isinstance(value, dict):
            _resolve_paths(value, folder)
        elif key.endswith("_csv") and isinstance(value, str):
            data[key] = str((folder / value).resolve())


def list_scenarios(folder: Path = SCENARIO_DIR) -> list[tuple[str, str]]:
    """(name, description) of every scenario file in `folder`, sorted by name.

    Reads the files as TOML only (fast); `abm validate` checks them against the schema.

    Raises:
        ParamError: if `folder` is not a folder.
    """
    if not folder.is_dir():
        raise ParamError(f"{folder}: no such folder of scenario files")
    found = []
    for path in sorted(folder.glob("*.toml")):
        try:
            description = str(read_scenario_tree(path.resolve()).get("description", ""))
        except ParamError as err:
            description = f"INVALID: {err}"
        found.append((path.stem, description))
    return found
