"""MiningModel end to end: conservation, determinism, calibration, mechanisms, bankruptcies.

Runs come from the session fixtures in conftest.py: the baseline (seed 1) once through
`abm.run` and once through `MiningModel`, and the baseline under a deterministic deep
crash (87,400 -> 25,000 USD over 2026, flat after; two years; seeds 1-8).
"""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd
import pytest
from scipy import stats

import abm
from abm.agents.finance import DebtTranche
from abm.agents.fleet import MARKET, MachineState, Mode
from abm.agents.miner import month_charges_usd
from abm.catalog import SCENARIO_DIR, list_scenarios
from abm.chain import COIN_SAT, block_subsidy_sat, difficulty, subsidy_sum_sat
from abm.ledger import INFLOWS, OUTFLOWS
from abm.markets.economics import Contract, hashprice_usd_per_ph_day

HALVING_HEIGHT = 1_050_000


def to_sat(btc: pd.Series) -> int:
    """Sum of a BTC column in integer satoshis (each row is a whole number of satoshis)."""
    sat = np.round(btc.to_numpy() * COIN_SAT)
    assert np.all(np.abs(btc.to_numpy() * COIN_SAT - sat) < 1e-3)
    return int(sat.astype(np.int64).sum())


# --- conservation ------------------------------------------------------------------------


def test_btc_paid_to_firms_equals_subsidy_plus_fees_to_the_satoshi(
    baseline_result, baseline_stepped
):
    """Sum over the firm panel of btc_mined_sat == issued subsidy + fees, in integers."""
    model = baseline_result.model
    issued_sat = to_sat(model["subsidy_btc"]) + to_sat(model["fees_btc"])
    mined_sat = int(baseline_result.firms["btc_mined_sat"].sum())
    assert baseline_result.firms["btc_mined_sat"].dtype == np.int64
    assert mined_sat == issued_sat
    assert baseline_stepped.model.total_paid_sat == issued_sat
    s = baseline_result.summary
    assert s["btc_paid_to_firms"] == pytest.approx(s["btc_issued"], abs=1.0 / COIN_SAT)
    assert issued_sat > 600_000 * COIN_SAT  # five years: ~263k blocks, one halving


def test_btc_conservation_holds_with_bankruptcies_and_auctions(crash_runs):
    for seed, run in crash_runs.items():
        issued = to_sat(run.table["subsidy_btc"]) + to_sat(run.table["fees_btc"])
        assert int(run.firms["btc_mined_sat"].sum()) == issued == run.model.total_paid_sat, seed


def test_subsidy_issued_follows_the_consensus_schedule(baseline_result):
    """Subsidy paid = sum of block_subsidy_sat over every height mined (halving included)."""
    model = baseline_result.model
    start = abm.load_scenario("baseline_2026").network.start_height
    final = int(model["height"].iloc[-1])
    assert final - start == int(model["blocks"].sum())
    assert to_sat(model["subsidy_btc"]) == subsidy_sum_sat(start + 1, final)


def test_site_mw_are_conserved_through_auctions(crash_runs):
    """Auctions move sites between owners; no MW appear, vanish or stay with a dead firm."""
    auctions = 0
    for seed, run in crash_runs.items():
        m = run.model
        s = m.industry.sites
        np.testing.assert_array_equal(s.gross_mw, run.site_mw_start, err_msg=f"seed {seed}")
        assert s.gross_mw.sum() == pytest.approx(run.site_mw_start.sum(), rel=1e-12)
        owner = s.firm
        assert np.all((owner == MARKET) | m.industry.alive[np.where(owner >= 0, owner, 0)]), seed
        by_owner = np.bincount(np.where(owner >= 0, owner, len(m.miners)), s.gross_mw)
        assert by_owner.sum() == pytest.approx(s.gross_mw.sum(), rel=1e-12)
        assert np.all(s.mode[owner == MARKET] == Mode.IDLE), seed
        auctions += int((run.events["kind"] == "auction").sum())
    assert auctions > 0, "the crash runs must exercise auctions"


def test_site_mw_are_conserved_in_the_baseline(baseline_stepped):
    """Start sites keep their MW; every site added is a new site energized, MW for MW."""
    run = baseline_stepped
    mw, n_start = run.model.industry.sites.gross_mw, len(run.site_mw_start)
    np.testing.assert_array_equal(mw[:n_start], run.site_mw_start)
    energized = run.events[run.events["kind"] == "site_energized"]
    np.testing.assert_array_equal(mw[n_start:], energized["mw"].to_numpy(dtype=float))
    np.testing.assert_array_equal(np.arange(n_start, len(mw)), energized["site"].to_numpy())


def cash_flow_errors(run) -> np.ndarray:
    """Per firm: |cash change - (inflows - outflows)| / (|cash change| + gross flows)."""
    per_firm = run.firms.groupby("firm_id")
    inflow = per_firm[list(INFLOWS)].sum().sum(axis=1).to_numpy()
    outflow = per_firm[list(OUTFLOWS)].sum().sum(axis=1).to_numpy()
    change = run.model.industry.ledger.cash_usd - run.cash_start_usd
    return np.abs(change - (inflow - outflow)) / (np.abs(change) + inflow + outflow + 1.0)


def test_every_firms_cash_change_equals_its_recorded_flows_in_the_baseline(baseline_stepped):
    run = baseline_stepped
    assert sorted(run.firms["firm_id"].unique()) == list(range(len(run.model.miners)))
    assert cash_flow_errors(run).max() < 1e-6


def test_every_firms_cash_change_equals_its_recorded_flows_through_bankruptcies(crash_runs):
    for seed, run in crash_runs.items():
        assert cash_flow_errors(run).max() < 1e-6, seed


def test_firm_panel_covers_every_month_and_firm(baseline_result):
    firms = baseline_result.firms
    n_firms = firms["firm_id"].nunique()
    months = firms["date"].nunique()
    scenario = abm.load_scenario("baseline_2026").population
    assert n_firms == len(scenario.firms) + sum(g.count for g in scenario.groups) == 64
    assert len(firms) == n_firms * months
    assert months == 60  # 59 month starts after January 2026 + the last day of the run


# The lowest baseline seed with no bankruptcy at 1-, 7- and 30-day steps (of seeds 0-11 under
# the 1 Jan 2026 start state, 3 and 7), each building new sites; seed 1 has bankruptcies from
# November 2026 (see the xfail test below).
GA_SEED = 3


@pytest.mark.parametrize(
    "dt_days",
    [
        1,
        7,
        30,
    ],
)
def test_ga_is_charged_for_every_month_of_the_run(dt_days, stepper):
    """Total G&A over 2026-2030 = ga_usd_per_mw_year * site MW-months / 12.

    Start sites count 60 months; a new site counts the month ends from its energization on
    (daily steps: each month end has its own date). GA_SEED has no bankruptcy, so every
    site keeps its owner and is charged monthly.
    """
    run = stepper("baseline_2026", GA_SEED, **{"run.dt_days": dt_days})
    assert run.model.industry.alive.all()
    assert (run.events["kind"] == "site_energized").any()
    fin = run.model.params.finance
    mw_months = run.firms["site_mw"].sum()  # owned MW at each month end, after energizing
    assert run.firms["ga_usd"].sum() == pytest.approx(
        fin.ga_usd_per_mw_year * mw_months / 12, rel=1e-9
    )
    new_mw_months = mw_months - run.site_mw_start.sum() * 60
    if dt_days == 1:
        month_ends = run.firms.loc[run.firms["firm_id"] == 0, "date"].to_numpy()  # 60
        energized = run.events[run.events["kind"] == "site_energized"]
        months_on = [(month_ends >= date).sum() for date in energized["date"].to_numpy()]
        assert new_mw_months == pytest.approx(
            (energized["mw"].to_numpy(dtype=float) * months_on).sum(), rel=1e-9, abs=1e-6
        )
    assert new_mw_months >= -1e-6 * mw_months


def test_a_site_auctioned_at_a_month_end_is_charged_ga_once_that_month(baseline_stepped):
    """Seed 1: Cipher (firm 6) fails on 2026-11-01, after paying that month's G&A.

    Each site-month charged once: the firm panel's MW-months (a sold site counts under its
    buyer that month) plus the MW of auctioned sites that found no buyer (owned by no firm
    at the month end, but paid for by the failed firm).
    """
    run = baseline_stepped
    auctions = run.events[run.events["kind"] == "auction"]
    assert len(auctions) > 0
    unsold_mw = auctions.loc[auctions["buyer_id"] < 0, "mw"].astype(float).sum()
    mw_months = run.firms["site_mw"].sum() + unsold_mw
    fin = run.model.params.finance
    assert run.firms["ga_usd"].sum() == pytest.approx(
        fin.ga_usd_per_mw_year * mw_months / 12, rel=1e-9
    )


# --- determinism ---------------------------------------------------------------------


def test_same_scenario_and_seed_give_identical_tables(baseline_result):
    again = abm.run("baseline_2026", seed=1)
    pd.testing.assert_frame_equal(again.model, baseline_result.model)
    pd.testing.assert_frame_equal(again.firms, baseline_result.firms)
    pd.testing.assert_frame_equal(again.events, baseline_result.events)
    assert again.summary == baseline_result.summary
    assert again.manifest["scenario_hash"] == baseline_result.manifest["scenario_hash"]


def test_same_seed_identical_through_bankruptcies(crash_overrides, crash_runs):
    again = abm.run("baseline_2026", seed=1, **crash_overrides)
    first = crash_runs[1]
    assert (first.events["kind"] == "bankruptcy").any()
    pd.testing.assert_frame_equal(again.model, first.table)
    pd.testing.assert_frame_equal(again.firms, first.firms)
    pd.testing.assert_frame_equal(again.events, first.events)


def test_api_run_and_stepped_model_give_the_same_tables(baseline_result, baseline_stepped):
    pd.testing.assert_frame_equal(baseline_result.model, baseline_stepped.table)
    pd.testing.assert_frame_equal(baseline_result.firms, baseline_stepped.firms)


def test_a_different_seed_gives_a_different_model_table(baseline_result):
    other = abm.run("baseline_2026", seed=2)
    assert other.model.shape == baseline_result.model.shape
    assert not other.model.equals(baseline_result.model)
    assert not np.allclose(other.model["btc_price_usd"], baseline_result.model["btc_price_usd"])


# --- calibration at the start of baseline_2026 (DESIGN.md section 9) ------------------


@pytest.fixture(scope="module")
def start_model() -> abm.MiningModel:
    """The baseline (seed 1) after its first step."""
    model = abm.MiningModel("baseline_2026", seed=1)
    model.step()
    return model


def test_start_hashrate_is_1040_eh_within_5_percent(baseline_result):
    """The 30-day average is 1,040 EH/s (Hashrate Index SMA); the first day within 5 % of it."""
    assert baseline_result.model["hashrate_eh"].iloc[0] == pytest.approx(1040.0, rel=0.05)


def test_start_difficulty_is_126_to_156_t(baseline_result):
    assert 126e12 <= baseline_result.model["difficulty"].iloc[0] <= 156e12


def test_start_hashprice_is_28_to_45_usd_per_ph_day(baseline_result):
    assert 28.0 <= baseline_result.model["hashprice_usd_per_ph_day"].iloc[0] <= 45.0


def test_first_year_fee_share_is_about_1_percent(baseline_result):
    year = baseline_result.model.iloc[:365]
    share = year["fees_btc"].sum() / (year["subsidy_btc"] + year["fees_btc"]).sum()
    assert 0.008 <= share <= 0.012


def listed_j_per_th(model: abm.MiningModel) -> float:
    """TH-weighted J/TH of listed firms' deployed machines: their power / their TH."""
    f = model.industry.fleet
    listed = np.array([firm.listed for firm in model.miners])
    rows = (f.state == MachineState.DEPLOYED) & (f.firm >= 0) & listed[f.firm]
    return float((f.th[rows] * f.j_per_th[rows]).sum() / f.th[rows].sum())


def test_listed_fleet_average_efficiency_is_15_to_24_j_per_th(start_model):
    """calibration.md: public fleets 20 (15-24) J/TH (IREN 15, Riot 21.9, CORZ 23.6).

    The named firms' year-end 2025 fleets put the listed average near 17.7 J/TH.
    """
    assert 15.0 <= listed_j_per_th(start_model) <= 24.0


def below_breakeven_share(model: abm.MiningModel) -> float:
    """TH share of deployed machines whose cash cost per TH-day exceeds hashprice per TH-day.

    Cash cost = power (the contract price for fixed PPAs, the region's mean spot price for
    indexed and spot sites, with their markup) + nonpower opex, i.e.
    `model.industry.expected_cash_cost_usd_per_mwh()`, times J/TH * 24 h.
    """
    f = model.industry.fleet
    deployed = f.state == MachineState.DEPLOYED
    cost_th_day = f.j_per_th * 24e-6 * model.industry.expected_cash_cost_usd_per_mwh()[f.site]
    below = deployed & (cost_th_day > model.readings.hashprice_usd_per_ph_day / 1000.0)
    return float(f.th[below].sum() / f.th[deployed].sum())


def test_below_breakeven_share_is_computed_on_a_known_case(start_model):
    """The share's own arithmetic: at a hashprice of 0 every machine is below breakeven."""
    hashprice = start_model.readings.hashprice_usd_per_ph_day
    try:
        start_model.readings.hashprice_usd_per_ph_day = 0.0
        assert below_breakeven_share(start_model) == 1.0
        start_model.readings.hashprice_usd_per_ph_day = 1e9
        assert below_breakeven_share(start_model) == 0.0
    finally:
        start_model.readings.hashprice_usd_per_ph_day = hashprice


def test_median_share_of_hashrate_below_cash_breakeven_at_start_is_15_to_20_percent():
    """DESIGN.md: 15-20 % of network hashrate is below cash breakeven in January 2026.

    Firms are drawn at random, so one seed's share varies (about 11-22 %); the calibration
    target is the median over seeds 1-10 of the first day's share.
    """
    shares = []
    for seed in range(1, 11):
        model = abm.MiningModel("baseline_2026", seed=seed)
        model.step()
        shares.append(below_breakeven_share(model))
    median = float(np.median(shares))
    assert 0.15 <= median <= 0.20, f"median {median:.3f} of {np.round(shares, 3)}"


def test_halving_happens_once_at_height_1050000_in_spring_2028(baseline_result):
    events, model = baseline_result.events, baseline_result.model
    halvings = events[events["kind"] == "halving"]
    assert len(halvings) == 1
    date = halvings["date"].iloc[0]
    assert pd.Timestamp("2028-02-01") <= date <= pd.Timestamp("2028-07-31")
    row = int(np.flatnonzero(model["date"] == date)[0])
    assert model["height"].iloc[row - 1] < HALVING_HEIGHT <= model["height"].iloc[row]


# --- mechanisms ------------------------------------------------------------------------

FIXED_PRICE = {
    "btc_price.volatility_per_year": 0.0,
    "btc_price.jump_rate_per_year": 0.0,
    "btc_price.drift_per_year": 0.0,
    "btc_price.rate_beta": 0.0,
}


def test_hashprice_halves_at_the_halving_with_price_fixed():
    """Hashprice after / before the halving = (1.5625 + fee) / (3.125 + fee).

    `fee` is the scenario's mean fee per block, which the model's hashprice uses.

    Start at height 1,049,000: the halving (1,050,000) comes about a week in and the next
    retarget (1,050,336) 336 blocks later, so difficulty is the same in both rows; the BTC
    price is held at 87,400 USD (no volatility, jumps or drift).
    """
    run = abm.run(
        "baseline_2026",
        seed=1,
        **FIXED_PRICE,
        **{"network.start_height": 1_049_000, "run.end_date": "2026-01-20"},
    )
    model, events = run.model, run.events
    np.testing.assert_allclose(model["btc_price_usd"], 87_400.0, rtol=1e-12)
    halving = events.loc[events["kind"] == "halving", "date"]
    assert len(halving) == 1
    i = int(np.flatnonzero(model["date"] == halving.iloc[0])[0])  # step that mined 1,050,000
    before, after = model.iloc[i], model.iloc[i + 1]
    assert model["height"].iloc[i - 1] < HALVING_HEIGHT <= before["height"]
    assert block_subsidy_sat(HALVING_HEIGHT - 1) == 2 * block_subsidy_sat(HALVING_HEIGHT)
    retargets = events.loc[events["kind"] == "retarget", "height"]
    assert not any(before["height"] >= h for h in retargets)  # no retarget up to row i
    assert after["difficulty"] == before["difficulty"]
    fee = abm.load_scenario("baseline_2026").network.mean_fee_btc_per_block
    expected = (1.5625 + fee) / (3.125 + fee)
    ratio = after["hashprice_usd_per_ph_day"] / before["hashprice_usd_per_ph_day"]
    assert ratio == pytest.approx(expected, rel=1e-12)
    assert 0.50 < ratio < 0.51


def test_expected_hashprice_reads_the_reward_of_the_next_blocks_era():
    """The reward kept per subsidy era is the next block's.

    The hashprice equals the one computed from scratch, bit for bit, as the height crosses
    a halving either way.
    """
    model = abm.MiningModel("baseline_2026", seed=1)
    chain, fee_sat = model.chain, model.chain.fees.mean_sat_per_block
    for height in (1_049_998, 1_049_999, 1_050_000, 1_049_998, 839_999, 1_260_000, 1_049_000):
        chain.height = height
        reward_btc = (block_subsidy_sat(height + 1) + fee_sat) / COIN_SAT
        scratch = float(
            hashprice_usd_per_ph_day(chain.difficulty, reward_btc, model.readings.btc_price_usd)
        )
        assert model._expected_hashprice().hex() == scratch.hex()


@pytest.fixture(scope="module")
def price_drop(tmp_path_factory, price_csv, stepper):
    """Baseline seed 1, BTC at 87,400 USD to 2026-01-12, then 43,700 USD (-50 %)."""
    dates = pd.date_range("2026-01-01", "2026-03-31", freq="D")
    prices = np.where(dates < pd.Timestamp("2026-01-13"), 87_400.0, 43_700.0)
    csv = price_csv(tmp_path_factory.mktemp("drop") / "drop.csv", dates, prices)
    overrides = {"btc_price.path_csv": str(csv), "run.end_date": "2026-03-31"}
    model = abm.MiningModel("baseline_2026", seed=1, **overrides)
    drop = int(np.flatnonzero(model.dates == np.datetime64("2026-01-13"))[0])
    for _ in range(drop + 1):
        model.step()
    f, s = model.industry.fleet, model.industry.sites
    spot = model.spot[model.readings.step_index]
    marginal = model.industry.marginal_power_usd_per_mwh(spot)[f.site]
    deployed = (f.state == MachineState.DEPLOYED) & (s.mode[f.site] == Mode.MINING)
    snapshot = {
        "step": model.readings.step_index,
        "deployed": deployed.copy(),
        "marginal": marginal.copy(),
        "j_per_th": f.j_per_th.copy(),
        "th": f.th.copy(),
        "hashprice": model.readings.hashprice_usd_per_ph_day,
    }
    for _ in range(model.n_steps - model.steps):
        model.step()
    table = model.recorder.series.frame(model.dates, model.n_steps)
    return snapshot, table, model.events.frame()


def test_price_crash_curtails_least_efficient_vintages_first(price_drop):
    """On the drop day, at any one marginal power price, curtailed J/TH >= running J/TH.

    A vintage runs iff hashprice per TH-day > J/TH * 24 h * marginal $/MWh; the test
    recomputes that rule and checks it reproduces the model's recorded hashrate.
    """
    snap, table, _ = price_drop
    hashprice_th_day = snap["hashprice"] / 1000.0
    cost_th_day = snap["j_per_th"] * 24e-6 * snap["marginal"]
    running = snap["deployed"] & (hashprice_th_day > cost_th_day)
    curtailed = snap["deployed"] & ~running
    row = table.iloc[snap["step"]]
    assert row["btc_price_usd"] == pytest.approx(43_700.0)
    assert snap["th"][running].sum() / 1e6 == pytest.approx(row["hashrate_eh"], rel=1e-9)
    assert snap["th"][curtailed].sum() / 1e6 == pytest.approx(
        row["curtailed_hashrate_eh"], rel=1e-9
    )
    compared = 0
    for price in np.unique(snap["marginal"][snap["deployed"]]):
        at_price = snap["marginal"] == price
        on, off = running & at_price, curtailed & at_price
        if on.any() and off.any():
            assert snap["j_per_th"][off].min() >= snap["j_per_th"][on].max(), price
            compared += 1
    assert compared >= 5, "too few power prices with both running and curtailed vintages"
    # across prices too: every curtailed vintage costs more per TH-day than any running one
    assert cost_th_day[curtailed].min() >= cost_th_day[running].max()


def test_price_crash_lowers_hashrate_and_the_next_retarget(price_drop):
    snap, table, events = price_drop
    i = snap["step"]
    before = table["hashrate_eh"].iloc[i - 1]
    after = table["hashrate_eh"].iloc[i]
    assert after < 0.8 * before  # a -50 % price switches off well over 20 % of hashrate
    assert table["curtailed_hashrate_eh"].iloc[i] > table["curtailed_hashrate_eh"].iloc[i - 1]
    drop_date = table["date"].iloc[i]
    later = events[(events["kind"] == "retarget") & (events["date"] >= drop_date)]
    assert len(later) >= 1
    first = later.iloc[0]
    old, new = difficulty(int(first["old_bits"])), difficulty(int(first["new_bits"]))
    assert new < old
    day = int(np.flatnonzero(table["date"] == first["date"])[0])
    assert table["difficulty"].iloc[day] == pytest.approx(new, rel=1e-12)


def test_quarterly_review_keeps_machines_whose_power_is_sunk():
    """At a fixed PPA without resale the MWh is paid anyway; only opex is saved by idling.

    So the review must not mothball a vintage there while the expected hashprice per
    TH-day still covers its nonpower opex (the daily rule runs such vintages: marginal 0).
    """
    model = abm.MiningModel("baseline_2026", seed=1)
    review = int(np.flatnonzero(model.dates == np.datetime64("2026-04-01"))[0])
    for _ in range(review):
        model.step()
    f, s = model.industry.fleet, model.industry.sites
    n, state, site, firm = f.n, f.state.copy(), f.site.copy(), f.firm.copy()
    hashprice_th_day = model.readings.hashprice_expectation_usd_per_ph_day / 1000.0  # what it uses
    model.step()  # a new quarter: the review runs before the day's operations
    mothballed = (
        (state == MachineState.DEPLOYED)
        & (model.industry.fleet.state[:n] == MachineState.DORMANT)
        & (model.industry.fleet.firm[:n] == firm)
    )
    assert mothballed.any(), "the review mothballed nothing: the test needs a new date"
    sunk = (s.contract[site] == Contract.FIXED_PPA) & ~s.resale[site]
    opex = model.params.finance.nonpower_opex_usd_per_mwh
    covers_opex = hashprice_th_day > f.j_per_th[:n] * 24e-6 * opex
    wrong = mothballed & sunk & covers_opex
    assert not wrong.any(), f"{wrong.sum()} vintages, {f.power_mw()[:n][wrong].sum():.0f} MW"


def test_mesa_batch_run_returns_rows_with_hashrate(baseline_result):
    results = mesa.batch_run(
        abm.MiningModel,
        parameters={"scenario": "baseline_2026", "seed": [1, 2]},
        iterations=1,
        max_steps=30,
        number_processes=1,
        display_progress=False,
    )
    frame = pd.DataFrame(results)
    assert sorted(frame["seed"]) == [1, 2]
    assert frame["hashrate_eh"].between(800.0, 1200.0).all()
    row = frame[frame["seed"] == 1].iloc[0]
    # mesa 3.3.1's batch_run steps once more than it reports (DESIGN.md section 10), so
    # its row `Step` is the model table's row `Step` (zero-based)
    assert row["hashrate_eh"] == baseline_result.model["hashrate_eh"].iloc[int(row["Step"])]


def test_batch_run_stopping_before_the_horizon_warns_with_the_max_steps_to_pass():
    with pytest.warns(UserWarning, match=r"step 11 of 31: pass max_steps=31"):
        mesa.batch_run(
            abm.MiningModel,
            parameters={"scenario": "baseline_2026", "run.end_date": "2026-01-31"},
            max_steps=10,
            number_processes=1,
            display_progress=False,
        )


def test_a_finished_model_leaves_mesas_agent_cache():
    model = abm.MiningModel("baseline_2026", seed=1, **{"run.end_date": "2026-01-10"})
    assert model in mesa.Agent._ids
    while model.running:
        model.step()
    assert model not in mesa.Agent._ids


# --- bankruptcies in a deep crash ---------------------------------------------------------

LEVERED = 0.35  # debt / assets at the start, at or above: "leveraged"
LOW_LEVERAGE = 0.20  # at or below: "unlevered" (few firms have exactly zero debt)
MAJORITY = 0.5  # share of a firm's site MW under one contract type that classifies it


def firm_classes(run) -> pd.DataFrame:
    """Per firm: start leverage, MW shares by contract at the start, bankruptcy date."""
    m = run.model
    n = len(m.miners)
    owner = run.site_owner_start  # sites and contracts as drawn, before any auction
    mw = np.bincount(owner, run.site_mw_start, n)
    share = {
        c: np.bincount(owner, run.site_mw_start * (run.site_contract_start == c), n) / mw
        for c in (Contract.SPOT, Contract.FIXED_PPA)
    }
    bankrupt = run.events[run.events["kind"] == "bankruptcy"]
    date = dict(zip(bankrupt["firm_id"], bankrupt["date"], strict=True))
    frame = pd.DataFrame(
        {
            "firm": np.arange(n),
            "leverage": run.leverage_start,
            "spot": share[Contract.SPOT],
            "ppa": share[Contract.FIXED_PPA],
            "bankrupt": ~m.industry.alive,
            "date": [date.get(i, pd.NaT) for i in range(n)],
        }
    )
    frame["class"] = np.select(
        [
            (frame["leverage"] >= LEVERED) & (frame["spot"] >= MAJORITY),
            (frame["leverage"] <= LOW_LEVERAGE) & (frame["ppa"] >= MAJORITY),
        ],
        ["levered_spot", "unlevered_ppa"],
        default="other",
    )
    return frame


@pytest.fixture(scope="module")
def crash_firms(crash_runs) -> pd.DataFrame:
    """Firm classes and outcomes pooled over the crash seeds."""
    frames = [firm_classes(run).assign(seed=seed) for seed, run in crash_runs.items()]
    return pd.concat(frames, ignore_index=True)


def test_levered_spot_firms_go_bankrupt_more_often_than_unlevered_ppa_firms(crash_firms):
    """Levered spot firms fail at least 10 points more often; Fisher p < 0.05.

    Pooled over 8 seeds: the bankruptcy rate of firms with start leverage >= 0.35 and
    >= 50 % of MW on spot power exceeds that of firms with leverage <= 0.20 and >= 50 % of
    MW on fixed PPAs by at least 10 percentage points, one-sided Fisher exact p < 0.05.
    """
    assert crash_firms["seed"].nunique() >= 8
    groups = crash_firms.groupby("class")["bankrupt"]
    n = groups.size()
    k = groups.sum()
    assert n["levered_spot"] >= 30 and n["unlevered_ppa"] >= 30, n.to_dict()
    rate_ls = k["levered_spot"] / n["levered_spot"]
    rate_up = k["unlevered_ppa"] / n["unlevered_ppa"]
    assert rate_ls - rate_up >= 0.10, (rate_ls, rate_up)
    table = [
        [k["levered_spot"], n["levered_spot"] - k["levered_spot"]],
        [k["unlevered_ppa"], n["unlevered_ppa"] - k["unlevered_ppa"]],
    ]
    assert stats.fisher_exact(table, alternative="greater").pvalue < 0.05


def test_levered_spot_firms_go_bankrupt_earlier(crash_firms):
    """Levered spot firms fail first, and their cumulative failure share is never lower.

    The cumulative share bankrupt by each month end is never lower for levered spot firms
    than for unlevered PPA firms, and their first bankruptcy comes first.
    """
    ls = crash_firms[crash_firms["class"] == "levered_spot"]
    up = crash_firms[crash_firms["class"] == "unlevered_ppa"]
    assert ls["date"].min() < up["date"].min()
    for month_end in pd.date_range("2026-01-31", "2027-12-31", freq="ME"):
        share_ls = (ls["date"] <= month_end).mean()
        share_up = (up["date"] <= month_end).mean()
        assert share_ls >= share_up, month_end


def test_bankrupt_firms_assets_change_hands(crash_runs):
    """Every bankrupt firm's sites are auctioned, some of them to solvent firms.

    The final owner of each auctioned site is the buyer of its last auction (or the
    market), and a buyer was alive when it bought.
    """
    bought_by_firm = 0
    for seed, run in crash_runs.items():
        m, events = run.model, run.events
        bankrupt = events[events["kind"] == "bankruptcy"]["firm_id"].tolist()
        auctions = events[events["kind"] == "auction"]
        assert (m.industry.sites.firm[np.isin(m.industry.sites.firm, bankrupt)]).size == 0, seed
        for firm in bankrupt:
            sold = auctions[auctions["firm_id"] == firm]
            assert len(sold) >= 1, (seed, firm)
            assert (sold["buyer_id"] != firm).all()
        for site, group in auctions.groupby("site"):
            last = group.iloc[-1]
            assert m.industry.sites.firm[int(site)] == int(last["buyer_id"]), (seed, site)
            assert last["mw"] == pytest.approx(m.industry.sites.gross_mw[int(site)])
        died = dict(zip(bankrupt, events[events["kind"] == "bankruptcy"]["date"], strict=True))
        sold_to_firms = auctions[auctions["buyer_id"] != MARKET]
        for _, auction in sold_to_firms.iterrows():  # the buyer was solvent when it bought
            buyer = int(auction["buyer_id"])
            assert buyer != auction["firm_id"]
            assert buyer not in died or died[buyer] >= auction["date"], (seed, buyer)
        bought_by_firm += len(sold_to_firms)
    assert bought_by_firm > 0, "no bankrupt site was bought by another firm"


@pytest.mark.slow
@pytest.mark.parametrize("scenario", [name for name, _ in list_scenarios(SCENARIO_DIR)])
def test_no_live_firm_ends_a_month_with_negative_cash(scenario):
    """Every shipped scenario, seeds 1-3: a live firm ends every month with cash >= 0.

    Spending keeps a reserve of last month's costs, never less than nothing.
    """
    for seed in (1, 2, 3):
        firms = abm.run(scenario, seed=seed).firms
        live = firms[firms["alive"]]
        assert (live["cash_usd"] >= 0).all(), (seed, live["cash_usd"].min())


# --- the rate path's three channels --------------------------------------------------------

CHANNELS_OFF = {
    "macro.rate_moves_btc_drift": False,
    "macro.rate_moves_discount": False,
    "macro.rate_moves_debt_cost": False,
}
TWO_YEARS = {"run.end_date": "2027-12-31"}


def test_with_every_rate_channel_off_the_rate_path_changes_nothing_but_itself():
    """Fed cuts vs higher for longer, same seed, all three channels off: identical runs."""
    cuts = abm.run("fed_cuts_2026", seed=3, **CHANNELS_OFF, **TWO_YEARS)
    hikes = abm.run("higher_for_longer", seed=3, **CHANNELS_OFF, **TWO_YEARS)
    assert not np.allclose(cuts.model["policy_rate"], hikes.model["policy_rate"])
    pd.testing.assert_frame_equal(
        cuts.model.drop(columns="policy_rate"), hikes.model.drop(columns="policy_rate")
    )
    pd.testing.assert_frame_equal(cuts.firms, hikes.firms)


@pytest.mark.parametrize(
    ("channel", "moves"),
    [
        ("macro.rate_moves_btc_drift", ["btc_price_usd"]),
        ("macro.rate_moves_debt_cost", ["interest_usd"]),
    ],
)
def test_each_channel_alone_carries_the_path_into_what_it_names(channel, moves):
    """One channel on: the two paths differ there (and in what follows from it)."""
    alone = {**CHANNELS_OFF, channel: True}
    cuts = abm.run("fed_cuts_2026", seed=3, **alone, **TWO_YEARS)
    hikes = abm.run("higher_for_longer", seed=3, **alone, **TWO_YEARS)
    for column in moves:
        table = cuts.model if column in cuts.model else cuts.firms
        other = hikes.model if column in hikes.model else hikes.firms
        assert not np.allclose(table[column], other[column]), column


def test_a_channel_switched_off_sees_the_start_rate():
    from abm.markets.macro import MacroParams
    from abm.markets.readings import MarketReadings

    readings = MarketReadings(1, 0, np.datetime64("2026-01-01"), 0, 0.0, 1.0)
    off = MacroParams(rate_moves_discount=False)
    readings.set_policy_rate(0.045, 0.03625, off)
    assert (readings.policy_rate, readings.discount_policy_rate) == (0.045, 0.03625)
    assert readings.debt_policy_rate == 0.045


def finance_one_by_one(model: abm.MiningModel, month_costs_usd, owned_mw) -> None:
    """The month-end finance firm after firm: charges, cash restored, bankruptcy at once."""
    ledger = model.industry.ledger
    for miner in model._alive_miners():
        charges = month_charges_usd([miner], owned_mw[[miner.index]])
        charges.pay(ledger, np.array([miner.index]))
        interest = float(charges.interest_usd[0])
        if not miner.monthly_finance(float(month_costs_usd[miner.index]), interest):
            model._bankrupt(miner)


@pytest.mark.parametrize("seed, sunk", [(1, (2,)), (2, (0, 5)), (3, (7, 30))])
def test_firms_finance_as_they_would_one_by_one_through_bankruptcies(seed, sunk):
    """All firms' charges paid at once, then cash restored: the books firm after firm.

    Baseline 40 days in; the `sunk` firms (cash -1e12 USD, no BTC, debt 1e13 USD) go
    bankrupt and their sites are auctioned to firms whose charges were paid at once and
    must be undone. Every firm's cash, BTC, flows, debt and the events equal, bit for
    bit, those of paying and restoring firm after firm, in firm order.
    """
    models = [abm.MiningModel("baseline_2026", seed=seed, security_metrics=False) for _ in "ab"]
    for model in models:
        for _ in range(40):
            model.step()
        industry = model.industry
        for firm in sunk:
            industry.ledger.cash_usd[firm] = -1e12
            industry.ledger.btc_sat[firm] = 0
            industry.debt.add(firm, DebtTranche(1e13, 0.0, 0.05, 10**6))
    costs, owned = models[0].industry.last_month_costs_usd, models[0].industry.site_mw_by_firm()
    models[0]._finance_firms(costs, owned)
    finance_one_by_one(models[1], costs.copy(), owned.copy())
    a, b = (m.industry for m in models)
    assert not a.alive[list(sunk)].any()
    np.testing.assert_array_equal(a.alive, b.alive)
    assert a.ledger.cash_usd.tobytes() == b.ledger.cash_usd.tobytes()
    assert a.ledger.btc_sat.tobytes() == b.ledger.btc_sat.tobytes()
    for flow, values in a.ledger.flows.items():
        assert values.tobytes() == b.ledger.flows[flow].tobytes(), flow
    assert [a.debt.of(f) for f in range(a.n_firms)] == [b.debt.of(f) for f in range(b.n_firms)]
    pd.testing.assert_frame_equal(models[0].event_table(), models[1].event_table())
    assert (models[0].event_table()["kind"] == "auction").any()
