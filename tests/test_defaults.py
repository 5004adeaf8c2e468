"""One source of truth for defaults: the baseline scenario and the code agree where both speak.

`scenarios/baseline_2026.toml` states every calibrated value with its source; the parameter
dataclasses carry the same values as defaults, so a scenario that omits a key gets the
baseline's number. Only the description and the firm population are the baseline's own.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

from abm.catalog import SCENARIO_DIR, read_scenario_tree
from abm.params import build, to_mapping
from abm.scenario import Scenario

# no code default can say these
BASELINE_ONLY = {"description", "population.groups", "population.firms"}


def _default(field: dataclasses.Field) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return dataclasses.MISSING


def disagreements(cls: type, table: dict[str, Any], path: str = "") -> list[str]:
    """Keys of `table` whose value differs from `cls`'s default (nested tables walked)."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    found = []
    for key, value in table.items():
        name = f"{path}.{key}" if path else key
        default = _default(fields[key])
        if default is dataclasses.MISSING or name in BASELINE_ONLY:
            continue
        if isinstance(value, dict):
            found += disagreements(hints[key], value, name)
            continue
        if isinstance(value, list) and value and isinstance(value[0], dict):
            item = typing.get_args(hints[key])[0]
            value = [build(item, entry) for entry in value]
        if to_mapping(value) != to_mapping(default):
            found.append(f"{name}: baseline {to_mapping(value)!r}, code {to_mapping(default)!r}")
    return found


def test_baseline_scenario_and_code_defaults_agree():
    baseline = read_scenario_tree((SCENARIO_DIR / "baseline_2026.toml").resolve())
    assert disagreements(Scenario, baseline) == []


def test_a_changed_default_is_caught():
    table = {"finance": {"ga_usd_per_mw_year": 1.0}, "run": {"dt_days": 1}}
    assert disagreements(Scenario, table) == [
        "finance.ga_usd_per_mw_year: baseline 1.0, code 40000.0"
    ]
