"""AI-hosting market: demand path, requests, lease index, eras, default hazards, params."""

import dataclasses
import datetime as dt
import math

import numpy as np
import pytest

from abm.markets.ai_demand import (
    AiDemandParams,
    AiMarket,
    TenantType,
    nonminer_breakeven_usd_per_kw_month,
    nonminer_starts_mw,
)
from abm.params import ParamError, build, to_mapping

QUIET = AiDemandParams(demand_noise_sd=0.0)


def months(start: str, n: int) -> np.ndarray:
    """First day of `n` consecutive months from `start` (a YYYY-MM string)."""
    return (np.datetime64(start, "M") + np.arange(n)).astype("datetime64[D]")


def daily(start: str, end: str) -> np.ndarray:
    return np.arange(np.datetime64(start, "D"), np.datetime64(end, "D") + 1)


def market(params: AiDemandParams = QUIET, seed: int = 0, dates=None) -> AiMarket:
    if dates is None:
        dates = daily("2026-01-01", "2030-12-31")
    return AiMarket(params, dates, np.random.default_rng(seed))


def all_requests(m: AiMarket, dates: np.ndarray) -> list:
    return [r for k, day in enumerate(dates) for r in m.requests(k, day)]


def test_noise_free_demand_compounds_at_the_growth_rate_per_year():
    """No noise: demand is D_m = 150 x 1.25^(m / 12), m counted from the first date's month.

    The run starts mid-month and still spans 60 months; month 12 is exactly 1.25 x the start.
    """
    m = market(dates=daily("2026-01-15", "2030-12-31"))
    assert m.n_months == 60
    t = np.arange(60)
    np.testing.assert_allclose(m.demand_mw(t), 150.0 * 1.25 ** (t / 12), rtol=1e-12)
    assert m.demand_mw(12) == pytest.approx(187.5, rel=1e-12)
    assert m.month_index(np.datetime64("2027-03-31")) == 14


def test_demand_switches_to_the_bust_growth_after_the_bust_date():
    """Demand grows at the bust rate after the bust date, with no jump in level.

    Bust on 2027-07-01 (month 18) at -50 %/yr: 25 %/yr up to month 18, then the level halves
    every year; month 42 = 150 x 1.25^1.5 x 0.5^2.
    """
    params = dataclasses.replace(QUIET, bust_date=dt.date(2027, 7, 1), bust_growth_per_year=-0.5)
    m = market(params)
    t = np.arange(60)
    expected = 150.0 * 1.25 ** (np.minimum(t, 18) / 12) * 0.5 ** (np.maximum(t - 18, 0) / 12)
    np.testing.assert_allclose(m.demand_mw(t), expected, rtol=1e-12)
    assert m.demand_mw(42) == pytest.approx(150.0 * 1.25**1.5 * 0.25, rel=1e-12)
    assert m.demand_mw(19) < m.demand_mw(18)


def test_noisy_demand_averages_the_trend_over_seeds():
    """Monthly lognormal noise of log sd 0.3 has mean 1, so demand averages the trend.

    Over 2,000 seeds the mean demand of each of 24 months is within 4 standard errors
    (0.69 % each) of the trend, and the log noise has sd 0.3 within 2 %.
    """
    params = AiDemandParams()
    dates = months("2026-01", 24)
    paths = np.array([market(params, seed, dates).demand_path_mw for seed in range(2000)])
    trend = 150.0 * 1.25 ** (np.arange(24) / 12)
    se = trend * math.sqrt(math.exp(0.09) - 1.0) / math.sqrt(2000)
    assert np.all(np.abs(paths.mean(axis=0) - trend) < 4 * se)
    assert np.log(paths / trend).std() == pytest.approx(0.3, rel=0.02)


def test_requested_mw_average_the_demand():
    """Compound Poisson: the MW requested in a month average the month's demand.

    Flat demand of 150 MW over 12,000 months: per-month sd sqrt(150 x 50 x e^0.49) =
    110.6 MW, SE of the mean 1.01 MW; within 4 SE. Sizes have mean 50 MW and log sd 0.7
    within 2 %.
    """
    params = dataclasses.replace(QUIET, demand_growth_per_year=0.0)
    dates = months("2026-01", 12_000)
    m = market(params, seed=3, dates=dates)
    reqs = all_requests(m, dates)
    total = sum(r.mw_it for r in reqs)
    assert total / 12_000 == pytest.approx(150.0, abs=4 * 1.01)
    sizes = np.array([r.mw_it for r in reqs])
    assert sizes.mean() == pytest.approx(50.0, rel=0.02)
    assert np.log(sizes).std() == pytest.approx(0.7, rel=0.02)


def test_requested_mw_follow_noisy_demand_month_by_month():
    """With noise on, each month's requests are drawn from that month's realized demand.

    Over 200 seeds x 60 months the requested MW sum to the demand within 2 %.
    """
    params = AiDemandParams()
    dates = months("2026-01", 60)
    requested = demand = 0.0
    for seed in range(200):
        m = market(params, seed, dates)
        requested += sum(r.mw_it for r in all_requests(m, dates))
        demand += m.demand_path_mw.sum()
    assert requested == pytest.approx(demand, rel=0.02)


def test_tenant_mix_prices_and_terms_follow_the_tenant_types():
    """Tenant mix by demand share, prices around index x premium, terms in the range.

    About 3,600 requests: hyperscaler share 0.6 within 4 binomial sd; prices have mean
    index x premium (0.95 and 1.10 x 150) within 4 SE of 5 % noise; terms are whole months
    in 144-180 (hyperscaler) and 60-120 (neocloud), covering both ends, with the middle as
    mean.
    """
    dates = months("2026-01", 1200)
    params = dataclasses.replace(QUIET, demand_growth_per_year=0.0)
    m = market(params, seed=5, dates=dates)
    reqs = all_requests(m, dates)
    n = len(reqs)
    tenant = np.array([r.tenant for r in reqs])
    share = (tenant == 0).mean()
    assert share == pytest.approx(0.6, abs=4 * math.sqrt(0.24 / n))
    price = np.array([r.price_usd_per_kw_month for r in reqs])
    term = np.array([r.term_months for r in reqs])
    for k, premium, lo, hi in ((0, 0.95, 144, 180), (1, 1.10, 60, 120)):
        mean = 150.0 * premium
        sel = tenant == k
        assert price[sel].mean() == pytest.approx(mean, abs=4 * 0.05 * mean / sel.sum() ** 0.5)
        assert np.log(price[sel] / mean).std() == pytest.approx(0.05, rel=0.1)
        assert term[sel].min() == lo and term[sel].max() == hi
        assert abs(term[sel].mean() - (lo + hi) / 2) < 4 * (hi - lo) / math.sqrt(12 * sel.sum())
    by_tenant = {r.tenant: (r.escalator_per_year, r.noi_margin) for r in reqs}
    assert by_tenant == {0: (0.03, 0.85), 1: (0.025, 0.85)}
    assert [r.request_id for r in reqs] == list(range(n))


def test_prices_follow_the_lease_index_at_call_time():
    """A request is priced at the index when it is issued.

    After the index moves up by exp(0.05 x 0.5), the same month's requests cost that much
    more, all else equal.
    """
    m = market(dataclasses.replace(QUIET, demand_mw_per_month=2000.0))
    day = np.datetime64("2026-01-01")
    before = m.requests(0, day)
    m.update_index(0, demand_mw=2000.0, available_mw=1000.0)
    after = m.requests(0, day)
    assert len(before) == len(after) > 10
    for a, b in zip(before, after, strict=True):
        assert b.price_usd_per_kw_month == pytest.approx(
            a.price_usd_per_kw_month * math.exp(0.025), rel=1e-12
        )
        assert dataclasses.replace(b, price_usd_per_kw_month=0.0) == dataclasses.replace(
            a, price_usd_per_kw_month=0.0
        )


def test_requirements_tighten_across_gpu_eras():
    """Requirements tighten with each GPU era: denser racks, liquid, higher readiness.

    2024: H100-class, 40 kW, air; 2026: NVL72, 130 kW, liquid, +0.1; 2028: Vera Rubin,
    210 kW, liquid, +0.2. A hyperscaler request in 2028 needs liquid and readiness 0.9,
    against 0.7 and air in 2024; neocloud 0.7 against 0.5.
    """
    dates = daily("2024-01-01", "2028-12-31")
    m = market(dataclasses.replace(QUIET, demand_mw_per_month=2000.0), dates=dates)
    assert m.requirements(dt.date(2024, 6, 1)) == (0.0, False, 40.0)
    assert m.requirements(np.datetime64("2026-06-01")) == (0.1, True, 130.0)
    assert m.requirements(dt.date(2028, 6, 1)) == (0.2, True, 210.0)
    assert m.era(dt.date(2025, 5, 31)).name == "H100-class"
    assert m.era(dt.date(2025, 6, 1)).name == "GB200/GB300 NVL72"
    assert m.era(dt.date(2020, 1, 1)).name == "H100-class"
    early = m.requests(m.month_index(dt.date(2024, 6, 1)), dt.date(2024, 6, 1))
    late = m.requests(m.month_index(dt.date(2028, 6, 1)), dt.date(2028, 6, 1))
    for reqs, liquid, readiness in ((early, False, (0.7, 0.5)), (late, True, (0.9, 0.7))):
        assert {r.liquid_required for r in reqs} == {liquid}
        assert {r.tenant: r.min_readiness for r in reqs} == pytest.approx(
            {0: readiness[0], 1: readiness[1]}, abs=1e-12
        )


def test_readiness_is_capped_at_one():
    """A tenant asking 0.95 in an era adding 0.2 asks for readiness 1, not 1.15."""
    strict = dataclasses.replace(QUIET.tenants[0], demand_share=1.0, min_readiness=0.95)
    params = dataclasses.replace(QUIET, tenants=(strict,), demand_mw_per_month=1000.0)
    m = market(params, dates=daily("2028-01-01", "2028-12-31"))
    reqs = m.requests(0, dt.date(2028, 1, 10))
    assert reqs and {r.min_readiness for r in reqs} == {1.0}


def test_lease_index_moves_with_excess_demand_within_floor_and_cap():
    """The log index moves by 0.05 x (demand - available) / expected demand, within bounds.

    The ratio is clipped to [-1, 1] and the index to [100, 195].
    Month 0 expects 150 MW: 225 asked against 150 available lifts 150 to 150 e^0.025;
    150 against 300 lowers it by e^-0.05, and so does 0 against 600 (clipped); month 12
    expects 187.5 MW, so 281.25 against 187.5 lifts it by e^0.025. A long run of excess
    demand stops at the cap 195 and of excess supply at the floor 100.
    """
    m = market()
    assert m.lease_index_usd_per_kw_month == pytest.approx(150.0, rel=1e-12)
    assert m.update_index(0, 225.0, 150.0) == pytest.approx(150.0 * math.exp(0.025), rel=1e-12)
    m = market()
    assert m.update_index(0, 150.0, 300.0) == pytest.approx(150.0 * math.exp(-0.05), rel=1e-12)
    assert m.update_index(0, 0.0, 600.0) == pytest.approx(150.0 * math.exp(-0.1), rel=1e-12)
    assert m.update_index(12, 281.25, 187.5) == pytest.approx(150.0 * math.exp(-0.075), rel=1e-12)
    assert m.update_index(12, 187.5, 187.5) == pytest.approx(150.0 * math.exp(-0.075), rel=1e-12)
    path = [m.update_index(5, 1000.0, 0.0) for _ in range(20)]
    assert np.all(np.diff(path) >= 0.0) and path[-1] == pytest.approx(195.0, rel=1e-12)
    path = [m.update_index(5, 0.0, 1000.0) for _ in range(20)]
    assert np.all(np.diff(path) <= 0.0) and path[-1] == pytest.approx(100.0, rel=1e-12)
    with pytest.raises(IndexError):
        m.update_index(60, 0.0, 0.0)


def test_index_with_no_expected_demand_moves_by_the_sign_of_the_excess():
    """Zero expected demand: any availability lowers the index one sensitivity, none keeps it."""
    m = market(dataclasses.replace(QUIET, demand_mw_per_month=0.0))
    assert m.update_index(0, 0.0, 0.0) == pytest.approx(150.0, rel=1e-12)
    assert m.update_index(0, 0.0, 10.0) == pytest.approx(150.0 * math.exp(-0.05), rel=1e-12)


def test_default_probability_is_the_monthly_share_of_the_annual_hazard():
    """The monthly default probability is 1 - exp(-h / 12) for the annual hazard h.

    Hyperscaler 0.005/yr -> 4.1666e-4, neocloud 0.06/yr -> 0.0049875; no shock without a
    shock date.
    """
    m = market()
    day = dt.date(2027, 3, 1)
    assert m.default_probability(0, day) == pytest.approx(1 - math.exp(-0.005 / 12), rel=1e-12)
    assert m.default_probability(1, day) == pytest.approx(1 - math.exp(-0.06 / 12), rel=1e-12)
    np.testing.assert_allclose(
        m.default_probabilities(day), [1 - math.exp(-0.005 / 12), 1 - math.exp(-0.06 / 12)]
    )


def test_default_shock_multiplies_the_hazard_inside_its_window_only():
    """A default shock multiplies the hazard inside its window and nowhere else.

    Shock from 2027-03-15 for 6 months, x5: inside [2027-03-15, 2027-09-15) neocloud's
    monthly probability is 1 - exp(-0.3 / 12) (about 5x the normal one); the day before and
    the end day are normal. A x1000 shock stays below 1.
    """
    params = dataclasses.replace(
        QUIET, default_shock_date=dt.date(2027, 3, 15), default_shock_months=6
    )
    m = market(params)
    normal, shocked = 1 - math.exp(-0.06 / 12), 1 - math.exp(-0.3 / 12)
    for day, expected in (
        (dt.date(2027, 3, 14), normal),
        (dt.date(2027, 3, 15), shocked),
        (np.datetime64("2027-09-14"), shocked),
        (dt.date(2027, 9, 15), normal),
    ):
        assert m.default_probability(1, day) == pytest.approx(expected, rel=1e-12)
    assert shocked / normal == pytest.approx(5.0, rel=0.02)
    extreme = market(dataclasses.replace(params, default_shock_multiplier=1000.0))
    assert extreme.default_probability(1, dt.date(2027, 4, 1)) < 1.0


def test_breakeven_index_is_build_cost_times_yield_over_margin():
    """10 M$/MW IT x 0.15 / 0.85 per year = 1.7647 M$/MW-yr = 147.06 USD/kW-month.

    Half the build cost halves it; the margin is the demand-weighted tenants' (0.6 x 0.9 +
    0.4 x 0.8 = 0.86).
    """
    assert nonminer_breakeven_usd_per_kw_month(QUIET) == pytest.approx(
        10e6 * 0.15 / 0.85 / 12_000, rel=1e-12
    )
    assert nonminer_breakeven_usd_per_kw_month(QUIET) == pytest.approx(147.0588, rel=1e-6)
    cheap = dataclasses.replace(QUIET, nonminer_build_cost_usd_per_mw_it=5e6)
    assert nonminer_breakeven_usd_per_kw_month(cheap) == pytest.approx(147.0588 / 2, rel=1e-6)
    tenants = (
        dataclasses.replace(QUIET.tenants[0], noi_margin=0.9),
        dataclasses.replace(QUIET.tenants[1], noi_margin=0.8),
    )
    mixed = dataclasses.replace(QUIET, tenants=tenants)
    assert nonminer_breakeven_usd_per_kw_month(mixed) == pytest.approx(
        10e6 * 0.15 / 0.86 / 12_000, rel=1e-12
    )


def test_builders_start_the_trend_scaled_by_the_index_over_breakeven_to_the_elasticity():
    """S_m = 100 x 1.2^((m + 48) / 12) x (I / I_be)^2.

    At breakeven in month 0, 100 x 1.2^4 = 207.36 MW; 10 % above breakeven 1.21 x that;
    12 months later 1.2 x; with elasticity 0 the index does not matter.
    """
    be = nonminer_breakeven_usd_per_kw_month(QUIET)
    assert float(nonminer_starts_mw(QUIET, 0, be)) == pytest.approx(207.36, rel=1e-12)
    assert float(nonminer_starts_mw(QUIET, 0, 1.1 * be)) == pytest.approx(207.36 * 1.21, rel=1e-12)
    assert float(nonminer_starts_mw(QUIET, 12, be)) == pytest.approx(207.36 * 1.2, rel=1e-12)
    flat = dataclasses.replace(QUIET, nonminer_supply_elasticity=0.0)
    assert float(nonminer_starts_mw(flat, 0, 100.0)) == pytest.approx(207.36, rel=1e-12)


def test_pipeline_at_the_start_delivers_the_trend_at_the_start_index():
    """Builds under way at the start were started at the start index 150.

    Month d < 48 receives 100 x 1.2^(d / 12) x (150 / 147.06)^2 (104.04 MW in month 0); the
    pipeline is their sum, and nothing is delivered or vacant before month 0.
    """
    m = market()
    supply = m.nonminer
    ratio2 = (150.0 / nonminer_breakeven_usd_per_kw_month(QUIET)) ** 2
    expected = 100.0 * 1.2 ** (np.arange(48) / 12) * ratio2
    np.testing.assert_allclose(supply.starts_mw[:48], expected, rtol=1e-12)
    assert expected[0] == pytest.approx(104.04, abs=0.01)
    assert supply.pipeline_mw == pytest.approx(expected.sum(), rel=1e-12)
    assert supply.inventory_mw == supply.delivered_mw == 0.0
    off = market(dataclasses.replace(QUIET, enabled=False)).nonminer
    assert off.pipeline_mw == 0.0


def test_what_starts_in_month_m_is_delivered_in_month_m_plus_lead_exactly():
    """Lead 12: what starts in a month is delivered 12 months later, to the bit.

    Starts follow an index path from 100 to 195; the pipeline moves by starts - deliveries
    each month.
    """
    m = market(dataclasses.replace(QUIET, nonminer_lead_months=12))
    supply, lead = m.nonminer, 12
    index = np.linspace(100.0, 195.0, 60)
    started, delivered = {}, {}
    pipeline = supply.pipeline_mw
    for k in range(60):
        delivered[k] = supply.deliver(k)
        started[k] = supply.start(float(index[k]))
        assert started[k] == float(nonminer_starts_mw(m.params, k, float(index[k])))
        assert supply.pipeline_mw == pytest.approx(pipeline + started[k] - delivered[k], rel=1e-12)
        pipeline = supply.pipeline_mw
    for k in range(60 - lead):
        assert delivered[k + lead] == started[k]
    assert started[0] < started[1]  # the index rises and the trend grows


def test_nonminer_mw_are_conserved_delivered_equals_leased_plus_inventory_change():
    """Random takes over 60 months: delivered = leased + inventory, to 1e-9 MW.

    Taking more than the inventory is refused, and months go in order.
    """
    supply = market().nonminer
    rng = np.random.default_rng(7)
    delivered = leased = 0.0
    for k in range(60):
        delivered += supply.deliver(k)
        take = supply.inventory_mw * rng.random()
        supply.take(take)
        leased += take
        supply.start(150.0)
        assert supply.inventory_mw >= 0.0
    assert delivered == pytest.approx(leased + supply.inventory_mw, abs=1e-9)
    with pytest.raises(ValueError, match="cannot lease"):
        supply.take(supply.inventory_mw + 1.0)
    with pytest.raises(ValueError, match="month 61 delivered after month 59"):
        supply.deliver(61)
    with pytest.raises(ValueError, match="deliver month 0 before starting builds"):
        market().nonminer.start(150.0)


def test_disabled_market_has_no_demand_and_no_requests():
    m = market(dataclasses.replace(AiDemandParams(), enabled=False))
    assert np.all(m.demand_path_mw == 0.0)
    assert all(not m.requests(k, d) for k, d in enumerate(months("2026-01", 60)))


def test_same_generator_state_gives_identical_requests():
    """The same seed gives identical demand and requests; another seed differs.

    A month's requests do not depend on the order or number of calls.
    """
    dates = months("2026-01", 60)
    a, b = market(AiDemandParams(), 7, dates), market(AiDemandParams(), 7, dates)
    np.testing.assert_array_equal(a.demand_path_mw, b.demand_path_mw)
    forward = all_requests(a, dates)
    backward = [r for k in reversed(range(60)) for r in b.requests(k, dates[k])]
    assert forward == sorted(backward, key=lambda r: r.request_id)
    assert forward == all_requests(a, dates)
    other = market(AiDemandParams(), 8, dates)
    assert all_requests(other, dates) != forward


def test_requests_reject_a_date_outside_the_month():
    m = market()
    with pytest.raises(ValueError, match="not in month 3"):
        m.requests(3, dt.date(2026, 5, 1))
    with pytest.raises(IndexError):
        m.requests(60, dt.date(2031, 1, 1))


def test_defaults_round_trip_through_the_loader():
    """build() of the defaults' plain form (dates as ISO strings) gives the defaults back."""
    params = AiDemandParams(bust_date=dt.date(2027, 1, 1))
    assert build(AiDemandParams, to_mapping(params), "s.toml", "ai_demand") == params


def test_loader_rejects_bad_tenants_eras_and_index_bounds():
    """The loader rejects inconsistent tenant, era and index settings, naming the key.

    Shares 0.6 + 0.5, unsorted eras, duplicate names, a term range upside down, a start
    index above its cap and a share above 1 are rejected with the file, section and key.
    """
    table = to_mapping(AiDemandParams())
    bad = to_mapping(AiDemandParams())
    bad["tenants"][1]["demand_share"] = 0.5
    with pytest.raises(
        ParamError, match=r"s\.toml: \[ai_demand\] tenants demand_share values must sum to 1"
    ):
        build(AiDemandParams, bad, "s.toml", "ai_demand")
    bad = dict(table, eras=list(reversed(table["eras"])))
    with pytest.raises(ParamError, match=r"\[ai_demand\] eras start_date must increase"):
        build(AiDemandParams, bad, "s.toml", "ai_demand")
    bad = dict(table, tenants=[table["tenants"][0], dict(table["tenants"][0], demand_share=0.4)])
    bad["tenants"][0] = dict(bad["tenants"][0], demand_share=0.6)
    with pytest.raises(ParamError, match=r"tenants names must be unique; repeated: hyperscaler"):
        build(AiDemandParams, bad, "s.toml", "ai_demand")
    bad = to_mapping(AiDemandParams())
    bad["tenants"][1]["term_years_min"] = 11.0
    with pytest.raises(ParamError, match=r"tenants neocloud: term_years_max = 10.0"):
        build(AiDemandParams, bad, "s.toml", "ai_demand")
    with pytest.raises(ParamError, match=r"lease_index_start_usd_per_kw_month = 200.0"):
        build(AiDemandParams, {"lease_index_start_usd_per_kw_month": 200.0}, "s.toml", "ai")
    with pytest.raises(ParamError, match=r"\[ai_demand\.tenants\[0\]\] demand_share = 1\.5"):
        build(
            AiDemandParams,
            {"tenants": [dict(table["tenants"][0], demand_share=1.5)]},
            "s.toml",
            "ai_demand",
        )
    with pytest.raises(ValueError, match="demand_share values must sum to 1"):
        one = TenantType("x", 0.9, 1.0, 0.5, 0.01, 5.0, 10.0, 0.02, 0.85)
        AiMarket(
            dataclasses.replace(QUIET, tenants=(one,)),
            months("2026-01", 3),
            np.random.default_rng(0),
        )
