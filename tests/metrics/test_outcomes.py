"""The declared outcomes: the summary holds exactly them, and the chain ones match the tables.

A short run (three months, no bankruptcy) checks the summary's keys; the deep-crash run
(two years, with bankruptcies and auctions) checks the counts against its tables.
"""

from __future__ import annotations

import dataclasses
import json

import pytest

import abm
from abm.metrics.outcomes import BY_NAME, OUTCOMES, RunTables, summarize

SHORT = {"run.end_date": "2026-03-31"}


def tables_of(stepped) -> RunTables:
    model = stepped.model
    return RunTables(
        model=stepped.table,
        firms=stepped.firms,
        events=stepped.events,
        description=model.params.description,
        dt_days=model.dt_days,
        btc_paid_sat=model.total_paid_sat,
        share_of_mw_in_ai=model.industry.share_of_mw_in_ai(),
    )


@pytest.fixture(scope="module")
def short_summary() -> dict:
    return abm.run("baseline_2026", seed=1, **SHORT).summary


@pytest.fixture(scope="module")
def crash_summary(stepper, crash_overrides) -> tuple[RunTables, dict]:
    """Seed 1 of the deep crash only (about 1 s), not conftest's eight seeds."""
    tables = tables_of(stepper("baseline_2026", 1, **crash_overrides))
    return tables, summarize(tables)


def test_outcome_names_are_unique():
    names = [o.name for o in OUTCOMES]
    assert len(names) == len(set(names)) == len(BY_NAME)


def test_every_outcome_says_which_way_is_better_or_none_and_has_a_label():
    for o in OUTCOMES:
        assert o.better in (None, "higher", "lower"), o.name
        assert isinstance(o.unit, str) and o.label.strip(), o.name


def test_a_runs_summary_is_exactly_the_declared_outcomes_in_order(short_summary):
    assert list(short_summary) == [o.name for o in OUTCOMES]


def test_every_key_a_measure_returns_is_declared_under_that_measure(short_stepped):
    run = tables_of(short_stepped)
    for measure in dict.fromkeys(o.measure for o in OUTCOMES):
        keys = measure(run).keys()
        assert keys <= BY_NAME.keys(), (measure.__name__, sorted(keys - BY_NAME.keys()))
        assert all(BY_NAME[k].measure is measure for k in keys), measure.__name__


def test_short_run_chain_outcomes_agree_with_its_tables(short_stepped):
    run = tables_of(short_stepped)
    summary = summarize(run)
    m, kinds = run.model, run.events["kind"]
    assert summary["steps"] == len(m) == 90
    assert summary["blocks"] == m["blocks"].sum() > 12_000  # about 144 a day
    start_height = short_stepped.model.params.network.start_height
    assert summary["final_height"] == m["height"].iloc[-1] == start_height + summary["blocks"]
    assert summary["retargets"] == (kinds == "retarget").sum() == m["retargets"].sum()
    issued = m["subsidy_btc"].sum() + m["fees_btc"].sum()
    assert summary["btc_issued"] == pytest.approx(issued, rel=1e-12)
    assert summary["btc_paid_to_firms"] == pytest.approx(issued, rel=1e-12)


def test_crash_run_bankruptcies_and_auctions_are_the_counts_of_their_events(crash_summary):
    """Seed 1 of the deep crash: firms fail and their sites are auctioned."""
    run, summary = crash_summary
    kinds = run.events["kind"]
    assert summary["bankruptcies"] == (kinds == "bankruptcy").sum() > 0
    assert summary["auctions"] == (kinds == "auction").sum() > 0
    assert summary["firms_alive_end"] == summary["firms"] - summary["bankruptcies"]
    assert summary["blocks"] == run.model["blocks"].sum()
    issued = run.model["subsidy_btc"].sum() + run.model["fees_btc"].sum()
    assert summary["btc_issued"] == pytest.approx(issued, rel=1e-12)


def summary_afresh(tables: RunTables) -> str:
    """The summary of the tables without the firm table's `firm_class`, as JSON.

    The firms are classified from the panel afresh; as JSON, a NaN outcome equals itself.
    """
    afresh = dataclasses.replace(tables, firms=tables.firms.drop(columns="firm_class"))
    return json.dumps(summarize(afresh))


def test_the_summary_reads_firm_classes_from_the_firm_table_with_bankruptcies(crash_summary):
    """The deep crash, seed 1: the class column stands for classifying afresh."""
    tables, summary = crash_summary
    assert "bankrupt" in set(tables.firms["firm_class"])
    assert json.dumps(summary) == summary_afresh(tables)


def test_the_summary_reads_firm_classes_from_the_firm_table_in_an_ai_boom(stepper):
    """AI boom, seed 2 (pure miners, hybrids): the class column stands for classifying."""
    tables = tables_of(stepper("ai_boom", 2))
    assert set(tables.firms["firm_class"]) >= {"pure_miner", "hybrid"}
    assert json.dumps(summarize(tables)) == summary_afresh(tables)
