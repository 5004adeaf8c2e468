"""Every shipped scenario still produces the stored numbers (see tests/golden.py)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import golden


def test_every_shipped_scenario_matches_the_golden_baseline():
    """Full runs, seed 1: summaries within 1e-7 and every table column digest unchanged.

    On failure the message lists what moved; if the change is deliberate, run
    `make baseline` and commit the new reference with a CHANGELOG line saying why.
    """
    reference = json.loads(golden.REFERENCE.read_text())
    moved = golden.differences(reference["scenarios"], golden.current_digests())
    assert not moved, (
        f"{len(moved)} differences from the golden baseline "
        f"(generated at {reference['generated_at_commit']}):\n" + "\n".join(moved[:60])
    )


def test_the_digest_sees_a_change_in_the_ninth_digit_but_not_in_the_last_bit():
    value = 123_456.789_012_3
    base = golden.column_digest(pd.Series([value]))
    assert golden.column_digest(pd.Series([value * (1 + 2**-52)]))["sha256"] == base["sha256"]
    assert golden.column_digest(pd.Series([value * (1 + 1e-8)]))["sha256"] != base["sha256"]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ({"x": 1.0}, {"x": 1.0 + 1e-9}, []),
        ({"x": 1.0}, {"x": 1.001}, ["s: summary x: 1.0 -> 1.001"]),
        ({"x": 3}, {"x": 4}, ["s: summary x: 3 -> 4"]),
    ],
)
def test_differences_name_the_summary_key_that_moved(old, new, expected):
    empty = {"rows": 0, "columns": {}}
    tables = {"model": empty, "firms": empty, "events": empty}
    assert (
        golden.differences({"s": {"summary": old, **tables}}, {"s": {"summary": new, **tables}})
        == expected
    )


def test_differences_name_the_column_that_moved():
    def digest(values):
        table = golden.table_digest(pd.DataFrame({"cash_usd": values}))
        return {"summary": {}, "model": table, "firms": table, "events": table}

    lines = golden.differences({"s": digest([1.0, 2.0])}, {"s": digest([1.0, 2.5])})
    assert lines[0] == "s: model.cash_usd sum 3.0 -> 3.5"
    assert len(lines) == 3
