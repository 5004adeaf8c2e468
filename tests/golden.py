"""The golden baseline: a stored digest of a full run of every shipped scenario.

Any change to a random stream, a formula or the step order moves these digests, so a number
the model produces changes only by a deliberate commit that regenerates the reference
(`make baseline`, i.e. `python tests/golden.py --update`) and says why in the CHANGELOG.

A digest holds the run's summary and, per table and column, a SHA-256 of the values with
floats rounded to 30 mantissa bits (about 9 significant digits, so a last-bit difference
in a vectorized `exp` between CPUs does not count) plus the column's sum, which makes a
failure readable: the test names each moved column with its old and new sum.
"""

from __future__ import annotations

import hashlib
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

REFERENCE = Path(__file__).resolve().parent / "golden_baseline.json"
SEED = 1
MANTISSA_BITS = 30
SUMMARY_REL_TOL = 1e-7


def shipped_scenarios() -> list[str]:
    """Names of every scenario the package ships."""
    from abm.scenario import SCENARIO_DIR, list_scenarios

    return [name for name, _ in list_scenarios(SCENARIO_DIR)]


def _rounded(values: np.ndarray) -> np.ndarray:
    """Floats rounded to MANTISSA_BITS bits of mantissa; NaN kept as NaN, -0 as 0."""
    mantissa, exponent = np.frexp(values)
    rounded = np.ldexp(np.round(mantissa * 2.0**MANTISSA_BITS), exponent - MANTISSA_BITS)
    return rounded + 0.0


def column_digest(column: pd.Series) -> dict[str, Any]:
    """SHA-256 of a column's values (floats rounded) and, for numbers, their sum."""
    values = column.to_numpy()
    if values.dtype.kind == "M":
        data, total = values.astype("datetime64[s]").astype(np.int64).tobytes(), None
    elif values.dtype.kind in "biu":
        data, total = values.astype(np.int64).tobytes(), int(values.astype(np.int64).sum())
    elif values.dtype.kind == "f":
        nan = np.isnan(values)
        rounded = _rounded(np.where(nan, 0.0, values))
        data = rounded.tobytes() + nan.tobytes()
        total = float(np.nansum(values))
    else:  # strings, mixed objects (event details): their text
        data, total = "\x1f".join(map(str, values)).encode(), None
    return {"sha256": hashlib.sha256(data).hexdigest(), "sum": total}


def table_digest(table: pd.DataFrame) -> dict[str, Any]:
    """Shape and per-column digests of one output table."""
    return {
        "rows": len(table),
        "columns": {name: column_digest(table[name]) for name in table.columns},
    }


def run_digest(name: str) -> dict[str, Any]:
    """Digest of the full run of shipped scenario `name` with the baseline seed."""
    import abm

    result = abm.run(name, seed=SEED)
    summary = json.loads(json.dumps(result.summary, default=lambda v: v.item()))
    return {
        "summary": summary,
        "model": table_digest(result.model),
        "firms": table_digest(result.firms),
        "events": table_digest(result.events),
    }


def current_digests() -> dict[str, dict[str, Any]]:
    """Digests of every shipped scenario, as the code computes them now."""
    return {name: run_digest(name) for name in shipped_scenarios()}


def _same_number(old: Any, new: Any) -> bool:
    if isinstance(old, float) and isinstance(new, float):
        if math.isnan(old) or math.isnan(new):
            return math.isnan(old) and math.isnan(new)
        return math.isclose(old, new, rel_tol=SUMMARY_REL_TOL, abs_tol=1e-12)
    return old == new


def differences(reference: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """Readable lines for every summary value, table shape and column that moved."""
    lines = []
    for name in sorted(set(reference) | set(current)):
        if name not in current or name not in reference:
            where = "reference" if name not in current else "the code"
            lines.append(f"{name}: only in {where}")
            continue
        old, new = reference[name], current[name]
        for key in sorted(set(old["summary"]) | set(new["summary"])):
            a, b = old["summary"].get(key), new["summary"].get(key)
            if not _same_number(a, b):
                lines.append(f"{name}: summary {key}: {a!r} -> {b!r}")
        for table in ("model", "firms", "events"):
            a, b = old[table], new[table]
            if a["rows"] != b["rows"]:
                lines.append(f"{name}: {table} rows {a['rows']} -> {b['rows']}")
            for column in sorted(set(a["columns"]) | set(b["columns"])):
                ca, cb = a["columns"].get(column), b["columns"].get(column)
                if ca is None or cb is None:
                    lines.append(f"{name}: {table}.{column} {'added' if ca is None else 'gone'}")
                elif ca["sha256"] != cb["sha256"]:
                    lines.append(f"{name}: {table}.{column} sum {ca['sum']!r} -> {cb['sum']!r}")
    return lines


def git_commit() -> str:
    """The commit the reference is generated at.

    '+dirty' marks uncommitted changes to abm/ or scenarios/: those of the commit that
    stores the new reference, when it is regenerated before committing.
    """
    here = Path(__file__).resolve().parent

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=here, capture_output=True, text=True, check=False
        ).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + (
        "+dirty" if git("status", "--porcelain", "--", "../abm", "../scenarios") else ""
    )


def update() -> None:
    """Regenerate the stored reference from the code as it is now."""
    digests = current_digests()
    payload = {"generated_at_commit": git_commit(), "seed": SEED, "scenarios": digests}
    REFERENCE.write_text(json.dumps(payload, indent=1, sort_keys=True) + "\n")
    print(f"wrote {REFERENCE} ({len(digests)} scenarios, seed {SEED})")


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python tests/golden.py --update")
    update()
