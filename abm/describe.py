"""Every parameter of a scenario with its value, unit, allowed range, meaning and source.

What `abm params` prints. The range and meaning come from each field's `param(...)`; the
unit from the field's name (units are written in names: `_usd_per_mwh`, `_per_year`); the
source is where the value was set: a scenario file and line, with that line's comment
(which cites the number's origin), a `--set`, or the schema's default.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from abm.params import allowed_text, to_mapping

# words of a name that are units, as they are printed (a name's unit starts at its first one)
UNIT_WORDS = {
    "usd": "USD",
    "btc": "BTC",
    "sat": "sat",
    "eh": "EH/s",
    "ph": "PH/s",
    "th": "TH/s",
    "mw": "MW",
    "mwh": "MWh",
    "kw": "kW",
    "kwh": "kWh",
    "j": "J",
    "s": "s",
    "day": "day",
    "days": "days",
    "month": "month",
    "months": "months",
    "year": "year",
    "years": "years",
    "per": "/",
}


@dataclasses.dataclass(frozen=True)
class ParamRow:
    """One parameter as `abm params` lists it."""

    key: str  # dotted, with [i] for items of a list of tables
    value: Any
    unit: str
    allowed: str
    doc: str
    source: str


def unit_of(name: str) -> str:
    """The unit a field's name states, e.g. 'USD/MWh' for nonpower_opex_usd_per_mwh."""
    words = name.split("_")
    start = next((i for i, w in enumerate(words) if w in UNIT_WORDS), len(words))
    if start == len(words) or words[start:] == ["per"]:
        return ""
    text = " ".join(UNIT_WORDS.get(w, w) for w in words[start:])
    text = text.replace(" / ", "/").replace("/ ", "/")
    return "1/" + text[1:] if text.startswith("/") else text


def rows(obj: Any, prefix: str = "") -> Iterator[tuple[str, Any, Mapping[str, Any]]]:
    """(dotted key, value, field metadata) of every leaf of a parameter dataclass."""
    for field in dataclasses.fields(obj):
        value = getattr(obj, field.name)
        key = f"{prefix}{field.name}"
        if dataclasses.is_dataclass(value):
            yield from rows(value, key + ".")
        elif isinstance(value, tuple) and value and dataclasses.is_dataclass(value[0]):
            for i, item in enumerate(value):
                yield from rows(item, f"{key}[{i}].")
        else:
            yield key, to_mapping(value), field.metadata


def _flat(table: Mapping[str, Any], prefix: str = "") -> Iterator[str]:
    for key, value in table.items():
        if isinstance(value, Mapping):
            yield from _flat(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}"


def _comment(path: Path, key: str) -> str:
    """The comment on the line of `path` that sets dotted `key` (tables only), or ''."""
    table, _, leaf = key.rpartition(".")
    current = ""
    setting = re.compile(rf"\s*{re.escape(leaf)}\s*=")
    for line in path.read_text(encoding="utf-8").splitlines():
        header = re.fullmatch(r"\s*\[([^\[\]]+)\]\s*(#.*)?", line)
        if header:
            current = header.group(1).strip()
        elif current == table and setting.match(line) and "#" in line:
            return line.split("#", 1)[1].strip()
    return ""


def sources(layers: list[tuple[Path, dict]], overridden: Mapping[str, Any]) -> dict[str, str]:
    """Where each dotted key was last set: '--set', or 'FILE: comment', base files first."""
    found = {}
    for path, data in layers:
        for key in _flat(data):
            note = _comment(path, key)
            found[key] = f"{path.name}: {note}" if note else path.name
    found.update((key, "--set") for key in overridden)
    return found


def describe(scenario: Any, where: Mapping[str, str]) -> list[ParamRow]:
    """Every parameter of `scenario` (a `Scenario`), with where its value was set."""
    listed = []
    for key, value, meta in rows(scenario):
        name = key.rsplit(".", 1)[-1]
        source = where.get(key) or where.get(re.sub(r"\[\d+\].*", "", key), "default")
        listed.append(
            ParamRow(key, value, unit_of(name), allowed_text(meta), meta.get("doc", ""), source)
        )
    return listed
