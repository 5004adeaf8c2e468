"""Typed, range-checked parameter sections built from plain mappings (parsed TOML).

Every model component declares its parameters as a frozen dataclass whose fields are made
with `param(...)`: a default, the allowed range or choices, and a one-line meaning. `build`
turns a mapping into such a dataclass and rejects unknown keys, wrong types and
out-of-range values with a message that names the file, the key, the value and what is
allowed, so a user knows what to change.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


class ParamError(ValueError):
    """A parameter file holds a key, type or value that the schema does not allow."""


def param(
    default: Any = dataclasses.MISSING,
    *,
    lo: float | None = None,
    hi: float | None = None,
    lo_open: bool = False,
    hi_open: bool = False,
    choices: tuple[Any, ...] | None = None,
    doc: str = "",
) -> Any:
    """A dataclass field with an allowed range (or set of choices) and a meaning."""
    meta = {"lo": lo, "hi": hi, "lo_open": lo_open, "hi_open": hi_open, "choices": choices}
    meta["doc"] = doc
    if isinstance(default, list | dict):
        return dataclasses.field(default_factory=lambda: type(default)(default), metadata=meta)
    if dataclasses.is_dataclass(default) and not isinstance(default, type):
        return dataclasses.field(default_factory=lambda: default, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def allowed_text(meta: Mapping[str, Any]) -> str:
    """Human-readable statement of a field's allowed values, e.g. '0 <= value < 1'."""
    if meta.get("choices"):
        return "one of " + ", ".join(repr(c) for c in meta["choices"])
    lo, hi = meta.get("lo"), meta.get("hi")
    left = "" if lo is None else f"{lo} {'<' if meta.get('lo_open') else '<='} "
    right = "" if hi is None else f" {'<' if meta.get('hi_open') else '<='} {hi}"
    if not left and not right:
        return "any value"
    return f"{left}value{right}"


def _in_range(value: float, meta: Mapping[str, Any]) -> bool:
    lo, hi = meta.get("lo"), meta.get("hi")
    if lo is not None and (value <= lo if meta.get("lo_open") else value < lo):
        return False
    return not (hi is not None and (value >= hi if meta.get("hi_open") else value > hi))


def _where(source: str, path: str, key: str) -> str:
    section = f"[{path}] " if path else ""
    return f"{source}: {section}{key}"


def _check_scalar(value: Any, hint: Any, where: str, meta: Mapping[str, Any]) -> Any:
    """Coerce-and-check one scalar leaf against its type hint and range."""
    doc = f" ({meta['doc']})" if meta.get("doc") else ""
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ParamError(f"{where} = {value!r} has the wrong type; expected a number{doc}")
        value = float(value)
        if not math.isfinite(value):
            raise ParamError(
                f"{where} = {value!r} is not a finite number; allowed {allowed_text(meta)}{doc}"
            )
    elif hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParamError(f"{where} = {value!r} has the wrong type; expected an integer{doc}")
    elif hint is bool:
        if not isinstance(value, bool):
            raise ParamError(f"{where} = {value!r} has the wrong type; expected true or false")
    elif hint is str:
        if not isinstance(value, str):
            raise ParamError(f"{where} = {value!r} has the wrong type; expected a string{doc}")
    elif hint is dt.date:
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value)
            except ValueError:
                raise ParamError(f"{where} = {value!r} is not a date (YYYY-MM-DD)") from None
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            raise ParamError(f"{where} = {value!r} has the wrong type; expected a date")
    else:  # pragma: no cover - a schema bug, not a user error
        raise TypeError(f"unsupported parameter type {hint!r} at {where}")
    if meta.get("choices") and value not in meta["choices"]:
        raise ParamError(f"{where} = {value!r} is not allowed; allowed {allowed_text(meta)}")
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if is_number and not _in_range(value, meta):
        raise ParamError(f"{where} = {value!r} is out of range; allowed {allowed_text(meta)}{doc}")
    return value


def _convert(value: Any, hint: Any, source: str, path: str, key: str, meta: Mapping) -> Any:
    where = _where(source, path, key)
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if value is None:
            return None
        return _convert(value, args[0], source, path, key, meta)
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, Mapping):
            raise ParamError(f"{where} must be a table of keys, got {value!r}")
        return build(hint, value, source, f"{path}.{key}" if path else key)
    if origin in (tuple, list):
        if not isinstance(value, list | tuple):
            raise ParamError(f"{where} = {value!r} has the wrong type; expected a list")
        (item_hint, *_rest) = typing.get_args(hint)
        items = [
            _convert(v, item_hint, source, path, f"{key}[{i}]", meta) for i, v in enumerate(value)
        ]
        return tuple(items)
    return _check_scalar(value, hint, where, meta)


def build(cls: type[T], data: Mapping[str, Any], source: str = "<scenario>", path: str = "") -> T:
    """Build dataclass `cls` from `data`, validating every key against its schema."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    unknown = sorted(set(data) - set(fields))
    if unknown:
        allowed = ", ".join(sorted(fields))
        key = unknown[0]
        raise ParamError(
            f"{_where(source, path, key)} = {data[key]!r} is not a known key; "
            f"allowed keys: {allowed}"
        )
    kwargs = {}
    for name, value in data.items():
        kwargs[name] = _convert(value, hints[name], source, path, name, fields[name].metadata)
    missing = [
        n
        for n, f in fields.items()
        if n not in kwargs
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise ParamError(f"{_where(source, path, missing[0])} is required but missing")
    obj = cls(**kwargs)
    check = getattr(obj, "check", None)
    if check is not None:
        problem = check()
        if problem:
            raise ParamError(f"{source}: {'[' + path + '] ' if path else ''}{problem}")
    return obj


def to_mapping(obj: Any) -> Any:
    """Plain nested dict/list form of a parameter dataclass (dates as ISO strings)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_mapping(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, tuple | list):
        return [to_mapping(v) for v in obj]
    if isinstance(obj, dt.date):
        return obj.isoformat()
    return obj


def names_problem(key: str, what: str, names: list[str]) -> str | None:
    """Why a list of named entries is invalid (none, or names repeated), or None."""
    if not names:
        return f"{key} needs at least one {what}"
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        return f"{key} names must be unique; repeated: {', '.join(repeated)}"
    return None


def read_toml(path: Path, kind: str) -> dict[str, Any]:
    """Parse a TOML file; a missing, unreadable or malformed file is a ParamError naming it."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ParamError(f"{path}: no such {kind} file") from None
    except IsADirectoryError:
        raise ParamError(f"{path}: is a folder, not a {kind} file (TOML)") from None
    except OSError as err:
        raise ParamError(f"{path}: cannot read the {kind} file ({err.strerror})") from None
    except UnicodeDecodeError as err:
        raise ParamError(
            f"{path}: is not UTF-8 text (byte {err.start}); a {kind} file is TOML in UTF-8"
        ) from None
    except tomllib.TOMLDecodeError as err:
        raise ParamError(f"{path}: not valid TOML: {err}") from None
