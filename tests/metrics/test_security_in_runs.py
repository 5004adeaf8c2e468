"""Security measures inside model runs: columns, consistency, hardware states, stress, pools.

The closed forms of `abm.metrics.security` are tested on hand-made inputs in test_security.py;
here every per-step column is recomputed from the model's own columns, and the mass_exodus
stress is checked against what half the hashrate leaving must do.
"""

from __future__ import annotations

import datetime as dt
import math
import re

import numpy as np
import pandas as pd
import pytest

import abm
from abm.agents.fleet import MachineState
from abm.chain import COIN_SAT, difficulty, subsidy_sum_sat
from abm.cli import main
from abm.metrics import security as sec
from abm.metrics.extremes import security_extremes
from abm.metrics.outcomes import BY_NAME
from abm.metrics.snapshot import REFERENCE_ATTACKER_SHARE, SECURITY_COLUMNS
from abm.model import MiningModel
from abm.scenario import list_scenarios, load_scenario

REL = 1e-12  # float rounding of the same formula computed in a different order
SHORT_DAYS = 90
EXODUS = "mass_exodus"
EXODUS_SEEDS = tuple(range(1, 11))
EXODUS_END = dt.date(2026, 6, 30)
SHOCK_START = pd.Timestamp("2026-01-04")  # scenarios/mass_exodus.toml
SHOCK_FULL = pd.Timestamp("2026-01-31")
PRE_SHOCK = pd.Timestamp("2026-01-03")
# 0.1 / (0.1 + 0.5 * 0.9): the reference attacker after exactly half the hashrate left
Q_AFTER_HALF = 0.1 / (0.1 + 0.5 * 0.9)
TARGET_POOL_HHI = 0.30**2 + 0.40**2 + 0.14**2 + 0.10**2 + 0.06**2  # 0.2832, DEFAULT_POOLS
NAN_ALLOWED = """Security columns that can be NaN, and when:
fee_share: a step that mines no block (no reward); hhi_pools / hhi_firms: no hashrate runs
(nakamoto_* is then 0); capex_attack_cost_usd: no MWh is used, so the mean power price is
undefined; dormant_ratio: inf or NaN with no active hashrate; every column with
security_metrics=False. None of these happens in the runs below."""


def short_run(name: str, seed: int = 1, days: int = SHORT_DAYS) -> abm.RunResult:
    """`name` from its own start date for `days` days (override run.end_date)."""
    start = load_scenario(name).run.start_date
    return abm.run(name, seed=seed, **{"run.end_date": start + dt.timedelta(days=days - 1)})


@pytest.fixture(scope="module")
def short_runs() -> dict[str, abm.RunResult]:
    """Every shipped scenario, seed 1, first 90 days (about 0.1 s each)."""
    return {name: short_run(name) for name, _ in list_scenarios()}


# --- every run writes the columns -------------------------------------------------------
def test_every_shipped_scenario_writes_every_security_column_without_nan(short_runs):
    """All SECURITY_COLUMNS and gap counts are written, finite on every step.

    NAN_ALLOWED (above) lists when a column may be NaN; every step of these runs mines
    blocks with running hashrate, so none may be.
    """
    assert {"baseline_2026", "mass_exodus", "china_2021"} <= set(short_runs)
    for name, result in short_runs.items():
        model = result.model
        assert len(model) == SHORT_DAYS, name
        for column in (*SECURITY_COLUMNS, "gaps_over_1h", "gaps_over_2h"):
            assert column in model, (name, column)
        assert (model["blocks"] > 0).all() and (model["hashrate_eh"] > 0).all(), name
        values = model[list(SECURITY_COLUMNS)].to_numpy(dtype=float)
        finite = np.isfinite(values).all(axis=0)
        bad = [c for c, ok in zip(SECURITY_COLUMNS, finite, strict=True) if not ok]
        assert not bad, f"{name}: non-finite {bad}\n{NAN_ALLOWED}"
        assert (model["gaps_over_2h"] <= model["gaps_over_1h"]).all(), name
        assert (model["gaps_over_1h"] <= model["blocks"]).all(), name


def test_summary_holds_every_security_extreme(short_runs):
    """The summary has every key of `security_extremes`, with the same values."""
    for name, result in short_runs.items():
        extremes = security_extremes(result.model, result.events)
        assert set(extremes) <= set(result.summary), name
        for key, value in extremes.items():
            assert result.summary[key] == value, (name, key)
        assert result.summary["gaps_over_1h"] == int(result.model["gaps_over_1h"].sum())
        assert result.summary["max_dormant_ratio"] == result.model["dormant_ratio"].max()


# --- metrics never change the trajectory ------------------------------------------------
def stepped(scenario: str, seed: int, security_metrics: bool, **overrides) -> MiningModel:
    model = MiningModel(scenario, seed=seed, security_metrics=security_metrics, **overrides)
    for _ in range(model.n_steps):
        model.step()
    return model


@pytest.mark.parametrize(
    ("scenario", "end_date", "crash"),
    [(EXODUS, "2026-12-31", False), ("baseline_2026", "2027-12-31", True)],
    ids=["mass_exodus_1y", "baseline_crash_2y"],
)
def test_metrics_off_gives_the_same_trajectory(scenario, end_date, crash, crash_overrides):
    """security_metrics=False: every non-security column, event and firm row is identical.

    The crash case (conftest's deep BTC crash) goes through bankruptcies and auctions, the
    exodus case through forced outages. Security columns are all NaN when off.
    """
    overrides = dict(crash_overrides) if crash else {}
    overrides["run.end_date"] = end_date
    on = stepped(scenario, 1, True, **overrides)
    off = stepped(scenario, 1, False, **overrides)
    kinds = {row["kind"] for row in on.events.rows}
    assert "retarget" in kinds and "pool_switch" in kinds
    if crash:
        assert "bankruptcy" in kinds
    assert set(on.recorder.series.columns) == set(off.recorder.series.columns)
    for name, values in on.recorder.series.columns.items():
        if name in SECURITY_COLUMNS:
            assert np.isnan(off.recorder.series.columns[name]).all(), name
            assert np.isfinite(values).all(), name
        else:
            np.testing.assert_array_equal(values, off.recorder.series.columns[name], err_msg=name)
    assert on.events.frame().equals(off.events.frame())
    assert on.firm_table().equals(off.firm_table())
    assert on.block_rng.bit_generator.state == off.block_rng.bit_generator.state
    np.testing.assert_array_equal(on.pools.pool_of_firm, off.pools.pool_of_firm)
    np.testing.assert_array_equal(on.industry.fleet.state, off.industry.fleet.state)


# --- per-step consistency on the 5-year baseline ----------------------------------------
def test_interval_gap_probability_and_slip_follow_from_the_model_columns(baseline_result):
    """expected_interval_s = D 2**32 / (EH * 1e18); p_gap_over_1h = exp(-3600 / it); slip.

    The slip is elapsed time minus 600 s per block since the start, exactly.
    """
    m = baseline_result.model
    interval = m["difficulty"] * 2**32 / (m["hashrate_eh"] * 1e18)
    np.testing.assert_allclose(m["expected_interval_s"], interval, rtol=REL)
    np.testing.assert_allclose(m["p_gap_over_1h"], np.exp(-3600.0 / interval), rtol=REL)
    elapsed = (m["step"] + 1) * 86_400.0
    np.testing.assert_array_equal(m["schedule_slip_s"], elapsed - 600.0 * m["blocks"].cumsum())


def test_rental_cost_fee_share_and_budget_follow_from_the_model_columns(baseline_result):
    """Rental = EH * 1000 * hashprice / 24; fee share = fees / (subsidy + fees); budget.

    The budget is the step's reward times the price (one-day steps), and its share of market
    cap uses the supply at the step's height.
    """
    m = baseline_result.model
    rental = m["hashrate_eh"] * 1000.0 * m["hashprice_usd_per_ph_day"] / 24.0
    np.testing.assert_allclose(m["rental_attack_cost_usd_per_h"], rental, rtol=REL)
    reward = m["subsidy_btc"] + m["fees_btc"]
    np.testing.assert_allclose(m["fee_share"], m["fees_btc"] / reward, rtol=1e-9)
    budget = reward * m["btc_price_usd"]
    np.testing.assert_allclose(m["security_budget_usd_per_day"], budget, rtol=1e-9)
    supply = np.array([subsidy_sum_sat(0, int(h)) / COIN_SAT for h in m["height"]])
    pct = 100.0 * budget / (m["btc_price_usd"] * supply)
    np.testing.assert_allclose(m["security_budget_pct_mcap"], pct, rtol=1e-9)


def test_firm_concentration_is_bounded_and_pools_start_at_nakamoto_2(baseline_result):
    """hhi_firms in [1/firms_alive, 1]; the pools' Nakamoto coefficient is 2 at the start.

    Foundry (30 %) alone is short of half, with AntPool and template-sharing pools (40 %)
    it exceeds it; pools start within 0.5 % of their targets (tests/network/test_pools.py),
    so the pool HHI is the targets' 0.2832 within 2 * 0.005 * sum(shares) = 0.01.
    """
    m = baseline_result.model
    assert (m["hhi_firms"] >= 1.0 / m["firms_alive"] - REL).all()
    assert (m["hhi_firms"] <= 1.0).all()
    assert (m["nakamoto_firms"] >= 1).all()
    assert m["nakamoto_pools"].iloc[0] == 2
    assert m["hhi_pools"].iloc[0] == pytest.approx(TARGET_POOL_HHI, abs=0.01)
    assert baseline_result.summary["min_nakamoto_pools"] == m["nakamoto_pools"].min()


# --- hardware states -----------------------------------------------------------------
def test_hardware_states_add_up_to_every_machine_ever_owned(baseline_stepped):
    """Active + curtailed + mothballed + scrapped = TH of every vintage bought by that step.

    Dormant = curtailed + mothballed; scrapped hashrate never falls; at the end the total is
    the fleet table's. Relative tolerance 1e-9: sums of ~1e9 TH in different orders.
    """
    model, m = baseline_stepped.model, baseline_stepped.table
    states = ("active", "curtailed", "mothballed", "scrapped")
    total_eh = sum(m[f"{s}_hashrate_eh"] for s in states)
    fleet = model.industry.fleet
    bought_by = np.array([fleet.th[fleet.bought_step <= i].sum() for i in range(model.n_steps)])
    np.testing.assert_allclose(total_eh * 1e6, bought_by, rtol=1e-9)
    assert total_eh.iloc[-1] * 1e6 == pytest.approx(fleet.th.sum(), rel=1e-9)
    np.testing.assert_allclose(
        m["dormant_hashrate_eh"],
        m["curtailed_hashrate_eh"] + m["mothballed_hashrate_eh"],
        rtol=1e-9,
    )
    scrapped = m["scrapped_hashrate_eh"].to_numpy()
    assert np.all(np.diff(scrapped) >= 0)
    assert scrapped[-1] * 1e6 == pytest.approx(
        fleet.th[fleet.state == MachineState.SCRAPPED].sum(), rel=1e-9
    )
    assert scrapped[-1] > 0  # the baseline scraps old machines: the check is not vacuous
    for s in states:  # curtailed = deployed - active, so -1e-13 EH happens when all run
        assert (m[f"{s}_hashrate_eh"] >= -1e-9 * total_eh).all(), s


# --- mass_exodus --------------------------------------------------------------------
@pytest.fixture(scope="module")
def exodus() -> dict[int, abm.RunResult]:
    """mass_exodus to mid-2026 for EXODUS_SEEDS (about 0.2 s each)."""
    return {
        seed: abm.run(EXODUS, seed=seed, **{"run.end_date": EXODUS_END}) for seed in EXODUS_SEEDS
    }


def by_date(result: abm.RunResult) -> pd.DataFrame:
    return result.model.set_index("date")


def retargets(result: abm.RunResult) -> pd.DataFrame:
    """Retarget events with their difficulty factor new/old."""
    ev = result.events[result.events["kind"] == "retarget"].copy()
    ev["factor"] = [
        difficulty(int(n)) / difficulty(int(o))
        for o, n in zip(ev["old_bits"], ev["new_bits"], strict=True)
    ]
    return ev.reset_index(drop=True)


def test_exodus_forces_half_of_the_machines_off_and_hashrate_about_halves(exodus):
    """From full effect on, active <= 1/2 of deployed TH (exact: the shock's offline share).

    Relative to the pre-shock day (3 Jan), hashrate on 31 Jan is 0.35-0.65: the forced
    half, moved by curtailment as the BTC price and difficulty move (5-25 % of the fleet is
    curtailed at the start; measured 0.40-0.57 over the seeds, sd 0.05). Their mean is 0.5
    within 0.05 (measured 0.51-0.52; SE 0.02, plus the start's curtailed machines restarting).
    """
    ratios = []
    for seed, result in exodus.items():
        m = by_date(result)
        full = m[SHOCK_FULL:]
        deployed = full["active_hashrate_eh"] + full["curtailed_hashrate_eh"]
        assert (full["active_hashrate_eh"] <= 0.5 * deployed * (1 + REL)).all(), seed
        ratio = m.loc[SHOCK_FULL, "hashrate_eh"] / m.loc[PRE_SHOCK, "hashrate_eh"]
        assert 0.35 <= ratio <= 0.65, (seed, ratio)
        ratios.append(ratio)
    assert np.mean(ratios) == pytest.approx(0.5, abs=0.05), ratios


def test_exodus_dormant_ratio_rises_to_about_1(exodus):
    """Dormant/active: 0-0.3 before (curtailed only), >= 1 at full effect, reaching 1.

    Day 0 measured 0.03-0.18 over the seeds (the curtailed machines of the start).
    The forced-off half stays owned, so dormant >= forced off = active at full effect
    (exactly 1 when nothing else is off); it exceeds 1 only by curtailed and mothballed
    machines, and every seed has a day at 1 (within 5 %) before the end of June.
    """
    for seed, result in exodus.items():
        m = by_date(result)
        assert 0.0 < m["dormant_ratio"].iloc[0] <= 0.3, seed
        full = m.loc[SHOCK_FULL:, "dormant_ratio"]
        assert full.min() >= 1.0 - 1e-9, seed
        assert full.min() <= 1.05, (seed, full.min())


def test_exodus_slows_blocks_until_the_retargets_catch_up(exodus):
    """Blocks slow while hashrate leaves; the retargets that follow lower difficulty.

    A period's mean interval has sd 600 / sqrt(2015) = 2.2 % from block arrivals alone, so
    650 s (8 % slow) is 4 sd above 600 s; a factor below 0.93 is its retarget.
    - Expected interval > 600 s on every day from 12 Jan (ramp at 9/28: at most
      1 - 0.5 * 9/28 = 84 % of the fleet can run) until the first retarget after full
      effect, and the realized daily means over those days average > 650 s (measured 805-1091).
    - The retarget period inside the ramp (second retarget from the shock start, 28 Jan -
      3 Feb) averages > 650 s per block (measured 681-1011) and lowers difficulty below 0.93;
      the first retarget after full effect lowers it too.
    - The next retarget after the shock start (10-12 Jan; its period is mostly before the
      ramp, which has forced off at most 12 % by then) lowers difficulty on average over the
      seeds: measured mean 0.97, per-seed sd 0.04, so about 2.5 SE below 1.
    - The day after the first retarget past full effect the expected interval is back within
      17 % of 600 s (498-702 s; measured 562-692 since the start hashrate is a 30-day
      average, which adds January's curtailed machines back over the period): the retarget
      matches the period's hashrate within 2.2 %, and the price path keeps moving
      curtailment by up to ~12 % in two weeks.
    """
    first_factors = []
    for seed, result in exodus.items():
        m, ev = by_date(result), retargets(result)
        after_start = ev[ev["date"] >= SHOCK_START]
        first_factors.append(after_start["factor"].iloc[0])
        ramp_period = after_start.iloc[1]
        assert ramp_period["timespan_s"] / 2015 > 650, (seed, ramp_period["timespan_s"])
        assert ramp_period["factor"] < 0.93, (seed, ramp_period["factor"])
        caught_up = ev[ev["date"] > SHOCK_FULL].iloc[0]
        assert caught_up["factor"] < 1.0, seed
        slow = m.loc[pd.Timestamp("2026-01-12") : caught_up["date"] - pd.Timedelta(days=1)]
        assert (slow["expected_interval_s"] > 600).all(), seed
        assert slow["mean_block_interval_s"].mean() > 650, seed
        back = m.loc[caught_up["date"] + pd.Timedelta(days=1), "expected_interval_s"]
        assert 498 <= back <= 702, (seed, back)
    assert np.mean(first_factors) < 1.0, first_factors


def test_exodus_raises_the_reference_attacker_share_to_about_0p18(exodus):
    """Reference attacker q' = 0.1 / (0.1 + 0.9 (1 - exit)), exit = 1 - hashrate / start.

    The relation holds every day (rtol 1e-9), and the z = 6 double-spend probability
    follows q' exactly, rising at least 10x from 5.9e-4. Half leaving gives
    0.1/(0.1+0.45) = 0.182; the actual exit is the forced half moved by curtailment, so the
    max of q' while the hashrate leaves (4 Jan - 28 Feb) lies in 0.14-0.25 (exits of
    0.33-0.67; measured 0.163-0.217) and its mean over the seeds within 0.02 of 0.182
    (measured 0.183-0.185, sd 0.016 per seed).
    """
    maxima = []
    for seed, result in exodus.items():
        m = result.model
        exit_share = np.clip(1.0 - m["hashrate_eh"] / m["hashrate_eh"].iloc[0], 0.0, 1.0)
        q = sec.attacker_share_after_exit(REFERENCE_ATTACKER_SHARE, exit_share)
        np.testing.assert_allclose(m["reference_attacker_share"], q, rtol=1e-9)
        p = sec.double_spend_probability(m["reference_attacker_share"].to_numpy(), 6)
        np.testing.assert_allclose(m["double_spend_p_q10_z6"], p, rtol=1e-9)
        assert m["reference_attacker_share"].iloc[0] == pytest.approx(0.1, abs=1e-12)
        assert m["double_spend_p_q10_z6"].iloc[0] == pytest.approx(5.9e-4, rel=0.01)
        leaving = by_date(result).loc[SHOCK_START:"2026-02-28"]
        q_max = leaving["reference_attacker_share"].max()
        assert 0.14 <= q_max <= 0.25, (seed, q_max)
        assert leaving["double_spend_p_q10_z6"].max() >= 10 * m["double_spend_p_q10_z6"].iloc[0]
        assert result.summary["max_double_spend_p_q10_z6"] == m["double_spend_p_q10_z6"].max()
        maxima.append(q_max)
    assert np.mean(maxima) == pytest.approx(Q_AFTER_HALF, abs=0.02), maxima


def test_cli_run_mass_exodus_prints_the_security_extremes(tmp_path, capsys):
    """`abm run mass_exodus` prints the extremes block with values matching summary.json."""
    out = tmp_path / "exodus"
    assert main(["run", EXODUS, "--seed", "1", "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    summary = pd.read_json(out / "summary.json", typ="series")
    labels = {name: o.label + (f", {o.unit}" if o.unit else "") for name, o in BY_NAME.items()}
    for key in (
        "longest_gap_s",
        "max_daily_mean_interval_s",
        "gaps_over_1h",
        "retargets_at_clamp",
        "max_dormant_ratio",
        "max_double_spend_p_q10_z6",
        "min_nakamoto_pools",
    ):
        match = re.search(rf"^\s+{re.escape(labels[key])}\s+(\S+)$", printed, re.MULTILINE)
        assert match, f"no line '{labels[key]}' in:\n{printed}"
        assert float(match.group(1).replace(",", "")) == pytest.approx(summary[key], rel=1e-5)
    assert summary["max_dormant_ratio"] >= 1.0
    assert summary["max_daily_mean_interval_s"] > 900  # blocks slowed by half or more
    assert summary["max_consecutive_negative_retargets"] >= 2


# --- pools ---------------------------------------------------------------------------
def test_pool_hashrate_equals_firm_hashrate_every_step():
    """Each step of 120 days of mass_exodus: pool TH sum = firm TH sum = model hashrate.

    hhi_pools is the HHI of those pool TH, compared after the run (the measures may be
    computed at the end), on every step but the last, whose month end runs after the
    step's record and may move firms; the graph's edges match the membership vector.
    """
    model = MiningModel(EXODUS, seed=2, **{"run.end_date": "2026-04-30"})
    pool_hhi = []
    for i in range(model.n_steps):
        model.step()
        pool_th = model.pools.pool_th(model.industry.firm_running_th)
        assert pool_th.sum() == pytest.approx(model.industry.firm_running_th.sum(), rel=REL), i
        hashrate_th = model.recorder.series.columns["hashrate_eh"][i] * 1e6
        assert pool_th.sum() == pytest.approx(hashrate_th, rel=REL), i
        pool_hhi.append(sec.hhi(pool_th))
    recorded = model.recorder.series.columns["hhi_pools"]
    np.testing.assert_allclose(recorded[:-1], pool_hhi[:-1], rtol=REL)
    pool_of = {}
    for u, v in model.pools.graph.edges():
        firm_node, pool_node = (u, v) if u[0] == "firm" else (v, u)
        assert (firm_node[0], pool_node[0]) == ("firm", "pool")
        pool_of[firm_node[1]] = pool_node[1]
    names = model.pools.names
    members = np.flatnonzero(model.industry.alive)  # only bankrupt firms leave the graph
    assert sorted(pool_of) == members.tolist()
    assert all(pool_of[f] == names[model.pools.pool_of_firm[f]] for f in members)
    switched = any(row["kind"] == "pool_switch" for row in model.events.rows)
    assert switched  # 4 month ends x 65 firms x 0.02: P(no switch) = 0.5 %


def test_pool_switches_occur_at_the_configured_rate_over_five_years(baseline_result):
    """Switches ~ Binomial(alive firm-months, 0.02): within 4 sd of the mean.

    Every month end each alive firm moves with the scenario's probability; the firm panel
    has one row per firm per month end, so its alive rows count the trials (3,900 here:
    expected 78, sd 8.7).
    """
    p = load_scenario("baseline_2026").pools.switch_probability_per_month
    trials = int(baseline_result.firms["alive"].sum())
    switches = int((baseline_result.events["kind"] == "pool_switch").sum())
    mean, sd = trials * p, math.sqrt(trials * p * (1 - p))
    assert abs(switches - mean) <= 4 * sd, (switches, mean, sd)
    moves = baseline_result.events[baseline_result.events["kind"] == "pool_switch"]
    assert (moves["old_pool"] != moves["new_pool"]).all()
