"""New mining sites: the build rule's closed form, lead times, cash, collapse, determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import abm
from abm.agents.expansion import (
    ExpansionParams,
    can_fund_a_site,
    closing_month,
    machines_payback_months,
    machines_usd_per_mw,
    price_site,
    site_mw_to_build,
)
from abm.agents.fleet import MachineState, Mode
from abm.agents.miner import Miner
from abm.markets.economics import Contract
from abm.metrics.supply import hash_supply_elasticity, monthly_means
from abm.units import DAYS_PER_MONTH

# BTC at 250k USD with no noise: hashprice far above every cost, so firms build at once.
BOOM = {
    "btc_price.start_price_usd": 250_000.0,
    "btc_price.volatility_per_year": 0.0,
    "btc_price.jump_rate_per_year": 0.0,
    "run.end_date": "2026-12-31",
}
LEAD_MONTHS = 5


@pytest.fixture(scope="module")
def boom(stepper):
    """The baseline in a noiseless boom, site lead time five months, seed 1."""
    return stepper(seed=1, **BOOM, **{"expansion.lead_time_months": LEAD_MONTHS})


def test_site_npv_matches_its_closed_form_at_a_constant_margin():
    """Flat hashprice, no halving in sight: a constant margin m a month.

    It is earned in months lead..lead+H-1 (mid-month discounting), the machines are paid
    at energization and the site is worth its capex again at the end.
    """
    params = ExpansionParams(hashprice_decline_per_year=0.0, lead_time_months=12, horizon_years=4)
    hashprice, j_per_th, usd_per_th, cost, rate = 60.0, 10.0, 20.0, 50.0, 0.08
    case = price_site(hashprice, 100.0, j_per_th, usd_per_th, cost, rate, params)
    th_per_mw = 1e6 / j_per_th
    m = (hashprice / 1000.0 * th_per_mw - cost * 24.0) * DAYS_PER_MONTH  # USD per MW-month
    t = (np.arange(12, 60) + 0.5) / 12.0
    margin_pv = m * np.exp(-rate * t).sum()
    machines = usd_per_th * th_per_mw
    npv = margin_pv - machines * np.exp(-rate * 1.0) - 500_000.0 * (1.0 - np.exp(-rate * 5.0))
    assert case.margin_pv == pytest.approx(margin_pv, rel=1e-12)
    assert case.machines == pytest.approx(2_000_000.0, rel=1e-12)
    assert case.npv == pytest.approx(npv, rel=1e-12)
    margin_per_th_day = hashprice / 1000.0 - j_per_th * 24e-6 * cost  # 0.048 USD
    assert case.payback_months == pytest.approx(usd_per_th / (margin_per_th_day * DAYS_PER_MONTH))


def test_a_halving_within_the_horizon_halves_the_revenue_after_it():
    """A halving a year after energization halves the last 36 of 48 months' revenue.

    Zero power cost: the margin is the revenue.
    """
    params = ExpansionParams(hashprice_decline_per_year=0.0, lead_time_months=12, horizon_years=4)
    whole = price_site(60.0, 100.0, 10.0, 20.0, 0.0, 0.0, params)
    halved = price_site(60.0, 2.0, 10.0, 20.0, 0.0, 0.0, params)
    assert halved.margin_pv == pytest.approx(whole.margin_pv * (12 + 36 * 0.5) / 48, rel=1e-12)


def _case(npv: float, site=500_000.0, machines=1_500_000.0, payback=12.0):
    return price_site(60.0, 100.0, 10.0, 20.0, 50.0, 0.08, ExpansionParams())._replace(
        site=site,
        machines=machines,
        npv=npv,
        payback_months=payback,
    )


def test_a_firm_builds_only_above_its_hurdle_and_its_payback():
    params = ExpansionParams()
    hurdle, capex = 0.15, 2_000_000.0
    budget = 1e12
    assert site_mw_to_build(_case(hurdle * capex), hurdle, 18.0, budget, 0.5, params) == 0.0
    assert site_mw_to_build(_case(hurdle * capex + 1), hurdle, 18.0, budget, 0.5, params) == 100.0
    assert site_mw_to_build(_case(1e9, payback=18.01), hurdle, 18.0, budget, 0.5, params) == 0.0


@settings(max_examples=200, deadline=None)
@given(
    hashprice=st.floats(20.0, 200.0),
    j_per_th=st.floats(10.0, 40.0),
    usd_per_th=st.floats(1.0, 50.0),
    cost=st.floats(0.0, 150.0),
    firm_payback=st.floats(1.0, 60.0),
)
def test_the_payback_pretest_rejects_only_sites_the_build_rule_rejects(
    hashprice, j_per_th, usd_per_th, cost, firm_payback
):
    """A review tests the machines' payback before it reads leverage and prices the site.

    The priced case carries the same payback, so a site failing the pretest is one the
    build rule starts nothing of, at any NPV, budget or loan.
    """
    params = ExpansionParams()
    payback = machines_payback_months(hashprice, j_per_th, usd_per_th, cost)
    case = price_site(hashprice, 2.0, j_per_th, usd_per_th, cost, 0.08, params)
    assert case.payback_months == payback
    if payback > firm_payback:
        rich = case._replace(npv=1e15)
        assert site_mw_to_build(rich, 0.0, firm_payback, 1e12, 0.5, params) == 0.0


@settings(max_examples=200, deadline=None)
@given(
    hashprice=st.floats(0.0, 200.0),
    j_per_th=st.floats(5.0, 40.0),
    usd_per_th=st.floats(0.0, 60.0),
    costs=st.lists(
        st.floats(-50.0, 300.0) | st.sampled_from([0.0, -0.0, np.nan, np.inf]), max_size=12
    ),
)
def test_payback_for_an_array_of_costs_is_each_costs_payback_bit_for_bit(
    hashprice, j_per_th, usd_per_th, costs
):
    """Every site's payback at once (`SiteReview`) is each site's, bit for bit.

    inf where machines earn nothing, NaN where the cost is NaN.
    """
    costs = np.array(costs, dtype=float)
    each = [machines_payback_months(hashprice, j_per_th, usd_per_th, c) for c in costs]
    at_once = machines_payback_months(hashprice, j_per_th, usd_per_th, costs)
    np.testing.assert_array_equal(at_once, np.array(each, dtype=float))
    assert at_once.tobytes() == np.array(each, dtype=float).tobytes()


def test_a_site_is_sized_by_cash_for_the_unborrowed_site_and_its_machines():
    """Half the site borrowed: 250k + 1.5M USD of cash a MW, so 35 M$ buy 20 MW.

    Below the 5 MW minimum nothing is started.
    """
    params = ExpansionParams()
    case = _case(1e9)
    assert site_mw_to_build(case, 0.15, 18.0, 35e6, 0.5, params) == pytest.approx(20.0)
    assert site_mw_to_build(case, 0.15, 18.0, 40e6, 0.0, params) == pytest.approx(20.0)
    assert site_mw_to_build(case, 0.15, 18.0, 8.74e6, 0.5, params) == 0.0
    assert site_mw_to_build(case, 0.15, 18.0, -1.0, 0.5, params) == 0.0


def test_a_budget_short_of_the_smallest_site_at_the_largest_loan_builds_nothing():
    """Machines 2 M$ a MW (20 USD/TH at 10 J/TH), half the 500k site borrowed: 2.25 M$ a MW.

    5 MW need 11.25 M$; a cent less funds no site at any loan, however much it is worth.
    """
    params = ExpansionParams()
    machines = machines_usd_per_mw(20.0, 10.0)
    case = _case(1e12, machines=machines)
    assert machines == 2e6
    assert can_fund_a_site(11.25e6, machines, params)
    assert site_mw_to_build(case, 0.15, 18.0, 11.25e6, 0.5, params) == 5.0
    assert not can_fund_a_site(11.25e6 - 0.01, machines, params)
    for loan_to_cost in (0.0, 0.5):
        assert site_mw_to_build(case, 0.15, 18.0, 11.25e6 - 0.01, loan_to_cost, params) == 0.0


def test_a_build_moves_cash_into_construction_at_cost_then_becomes_a_mining_site(short_model):
    industry = short_model.industry
    firm = 0
    cash, assets = industry.ledger.cash_usd[firm], industry.assets_usd(firm)
    n_sites = industry.sites.n
    industry.readings.date = np.datetime64("2026-04-01")  # the review closing March
    industry.start_site_build(firm, 2, 20.0, 10e6, 38.5, lead_months=3)
    assert industry.ledger.cash_usd[firm] == pytest.approx(cash - 10e6, rel=1e-15)
    assert industry.ledger.flows["capex_usd"][firm] == pytest.approx(10e6, rel=1e-15)
    assert industry.assets_usd(firm) == pytest.approx(assets, rel=1e-12)
    assert industry.construction.mw_under_construction == 20.0
    industry.energize_sites(np.datetime64("2026-05-31"))
    assert industry.sites.n == n_sites  # due at the end of June
    industry.energize_sites(np.datetime64("2026-06-30"))
    s = industry.sites
    assert s.n == n_sites + 1 and industry.site_rows(firm)[-1] == n_sites
    assert (s.gross_mw[-1], s.region[-1], s.mode[-1]) == (20.0, 2, Mode.MINING)
    assert (s.contract[-1], s.contract_price_usd_per_mwh[-1]) == (Contract.INDEXED, 38.5)
    assert industry.construction.usd_by_firm[firm] == 0.0
    assert industry.construction.mw_energized == 20.0
    assert industry.free_mw_by_site(firm)[n_sites] == 20.0  # the fleet review fills it


def test_every_site_is_energized_exactly_the_lead_time_after_its_decision(boom):
    ev = boom.events
    builds, energized = ev[ev["kind"] == "site_build"], ev[ev["kind"] == "site_energized"]
    assert len(builds) >= 20 and (builds["lead_months"] == LEAD_MONTHS).all()
    # decisions close March, June, September; sites go live five month ends later
    decided = sorted(builds["date"].dt.to_period("M").unique().astype(str))
    assert decided == ["2026-04", "2026-07", "2026-10"]
    month = (builds["date"].dt.to_period("M") + LEAD_MONTHS).astype(str)
    due = builds.assign(month=month).groupby("month")["mw"].sum()
    went_live = energized.groupby(energized["date"].dt.to_period("M").astype(str))["mw"].sum()
    # the October decisions are due in March 2027, after the run
    pd.testing.assert_series_equal(due.drop("2027-03"), went_live, check_names=False)


def test_site_capex_paid_equals_the_builds_and_new_sites_equal_the_mw_energized(boom):
    model, ev = boom.model, boom.events
    params = model.params.expansion
    builds = ev[ev["kind"] == "site_build"]
    assert builds["usd"].sum() == pytest.approx(
        params.site_capex_usd_per_mw * builds["mw"].sum(), rel=1e-12
    )
    pipeline, s = model.industry.construction, model.industry.sites
    new = s.gross_mw[len(boom.site_mw_start) :]
    np.testing.assert_array_equal(s.gross_mw[: len(boom.site_mw_start)], boom.site_mw_start)
    assert new.sum() == pytest.approx(pipeline.mw_energized, rel=1e-12)
    assert new.sum() + pipeline.mw_under_construction == pytest.approx(builds["mw"].sum())
    assert boom.table["mw_energized"].iloc[-1] == pipeline.mw_energized
    outstanding = np.bincount(builds["firm_id"], builds["usd"], len(model.miners))
    outstanding -= np.bincount(
        builds["firm_id"], builds["usd"] * (builds["date"] < "2026-08-01"), len(model.miners)
    )  # the April and July decisions are energized by the end
    np.testing.assert_allclose(pipeline.usd_by_firm, outstanding, rtol=1e-12, atol=1e-6)


def test_cash_identity_and_no_negative_cash_hold_while_firms_build(boom):
    per_firm = boom.firms.groupby("firm_id")
    from abm.ledger import INFLOWS, OUTFLOWS

    inflow = per_firm[list(INFLOWS)].sum().sum(axis=1).to_numpy()
    outflow = per_firm[list(OUTFLOWS)].sum().sum(axis=1).to_numpy()
    change = boom.model.industry.ledger.cash_usd - boom.cash_start_usd
    assert np.abs(change - (inflow - outflow)).max() < 1e-6 * (inflow + outflow).max()
    alive = boom.firms[boom.firms["alive"]]
    assert (alive["cash_usd"] >= 0).all()


def test_the_boom_fills_new_sites_at_the_next_fleet_review(boom):
    """Sites energized at the end of August are filled by the September review.

    In a boom the firms' machines take at least half of their MW (the rest waits for cash).
    """
    model, ev = boom.model, boom.events
    s, f = model.industry.sites, model.industry.fleet
    energized = ev[(ev["kind"] == "site_energized") & (ev["date"] <= "2026-10-01")]
    new_sites = energized["site"].to_numpy(dtype=int)
    assert len(new_sites) >= 10
    deployed = np.flatnonzero(np.isin(f.site, new_sites) & (f.state == MachineState.DEPLOYED))
    assert f.power_mw(deployed).sum() > 0.5 * s.gross_mw[new_sites].sum()


def test_when_margins_collapse_nobody_builds(crash_runs):
    for seed, run in crash_runs.items():
        assert not (run.events["kind"] == "site_build").any(), seed
        assert run.table["mw_under_construction"].max() == 0.0, seed


def test_the_same_seed_builds_the_same_sites(boom, stepper):
    again = stepper(seed=1, **BOOM, **{"expansion.lead_time_months": LEAD_MONTHS})
    pd.testing.assert_frame_equal(again.events, boom.events)
    pd.testing.assert_frame_equal(again.table, boom.table)


def test_with_expansion_off_nobody_builds(stepper):
    run = stepper(seed=1, **(BOOM | {"expansion.enabled": False, "run.end_date": "2026-07-31"}))
    assert not (run.events["kind"] == "site_build").any()
    assert run.table["mw_energized"].max() == 0.0


def _daily_table(log_h: np.ndarray, log_p: np.ndarray) -> pd.DataFrame:
    """A daily model table whose monthly means are exp(log_h), exp(log_p)."""
    months = pd.period_range("2026-01", periods=len(log_h), freq="M")
    days = [pd.date_range(m.start_time, m.end_time.normalize(), freq="D") for m in months]
    n = [len(d) for d in days]
    return pd.DataFrame(
        {
            "date": np.concatenate([d.values for d in days]),
            "hashrate_eh": np.repeat(np.exp(log_h), n),
            "hashprice_usd_per_ph_day": np.repeat(np.exp(log_p), n),
        }
    )


def test_elasticity_recovers_the_slope_of_a_known_supply_response():
    """Log H(t+12) - log H(t) = 0.05 + 0.4 log HP(t), exactly: the slope is 0.4."""
    rng = np.random.default_rng(7)
    log_p = np.log(40.0) + rng.normal(0.0, 0.3, 60)
    log_h = np.empty(60)
    log_h[:12] = np.log(1000.0) + rng.normal(0.0, 0.05, 12)
    for t in range(48):
        log_h[t + 12] = log_h[t] + 0.05 + 0.4 * log_p[t]
    assert hash_supply_elasticity(_daily_table(log_h, log_p)) == pytest.approx(0.4, rel=1e-9)


def test_elasticity_is_nan_without_twelve_months_ahead_or_without_price_variation():
    assert np.isnan(hash_supply_elasticity(_daily_table(np.zeros(14), np.arange(14.0))))
    assert np.isnan(hash_supply_elasticity(_daily_table(np.arange(30.0), np.zeros(30))))


@pytest.mark.parametrize("dt_days", [1, 7, 45])
def test_monthly_means_are_resamples_month_start_means_bit_for_bit(dt_days):
    """Every month from the first to the last, NaN values skipped.

    A month without a step is NaN (45-day steps skip some); values span 8 orders of
    magnitude.
    """
    rng = np.random.default_rng(dt_days)
    dates = pd.date_range("2026-01-17", periods=900 // dt_days, freq=f"{dt_days}D")
    values = rng.random((2, len(dates))) * 10.0 ** rng.integers(-4, 4, (2, len(dates)))
    values[0, rng.random(len(dates)) < 0.1] = np.nan
    table = pd.DataFrame({"date": dates.values, "a": values[0], "b": values[1]})
    expected = table.set_index("date")[["a", "b"]].resample("MS").mean()
    got = monthly_means(table, ["a", "b"])
    assert dt_days < 45 or expected["b"].isna().any()
    for name in ("a", "b"):
        assert got[name].tobytes() == expected[name].to_numpy().tobytes(), name


def test_a_rounds_shared_quotes_are_what_each_firm_would_compute(monkeypatch):
    """The first firm to price a region keeps its quote for the round.

    After each firm's review, every quote kept so far equals one computed afresh then.
    """
    checked = []
    review_expansion = Miner.review_expansion

    def checking(miner, review):
        review_expansion(miner, review)
        r, industry = miner.readings, miner.industry
        ex, opex = miner.rules.expansion, miner.rules.finance.nonpower_opex_usd_per_mwh
        _, gen = industry.newest_generation()
        usd_per_th = industry.new_price_usd_per_th(gen)
        hashprice = r.hashprice_expectation_usd_per_ph_day
        for region, quote in review.new_site_quotes.items():
            usd_per_mwh = industry.region_mean_usd_per_mwh[region] * (1.0 + ex.power_premium)
            cost = usd_per_mwh + opex
            payback = machines_payback_months(hashprice, gen.j_per_th, usd_per_th, cost)
            assert quote == (usd_per_mwh, cost, payback)
            checked.append(region)

    monkeypatch.setattr(Miner, "review_expansion", checking)
    model = abm.MiningModel("baseline_2026", seed=1, **{**BOOM, "run.end_date": "2026-07-02"})
    while model.running:
        model.step()
    assert len(checked) > 50


def test_the_month_a_review_closes_is_the_one_before_its_date_asked_in_any_order():
    """`closing_month` (kept per date) of days across month and year ends, asked twice."""
    days = ["2026-01-01", "2026-03-31", "2026-04-01", "2026-12-31", "2027-01-01", "2026-04-01"]
    for day in days * 2:
        date = np.datetime64(day)
        year, month = int(day[:4]), int(day[5:7])
        assert closing_month(date) == (year - 1970) * 12 + month - 2
