"""`Industry`: machine and site transitions, valuations, rewards, power bills, PPA renewals.

Most tests take the industry of a fresh three-month baseline model (seed 1: 64 firms,
199 sites, 855 vintages, at step 0) from `short_model` and change it directly. The power
bill's numbers come from a hand-built industry of four one-site firms, one per contract.
"""

from __future__ import annotations

import numpy as np
import pytest

import abm
from abm.agents.fleet import MARKET, NO_SITE, MachineState, Mode
from abm.agents.industry import Industry
from abm.chain import COIN_SAT
from abm.events import EventLog
from abm.markets.economics import Contract
from abm.units import DAYS_PER_MONTH

REL = 1e-12  # round-off of sums over a few hundred floats


@pytest.fixture
def industry(short_model) -> Industry:
    return short_model.industry


def total_th(industry: Industry) -> float:
    """TH/s of every vintage ever recorded: deployed, dormant, scrapped, market-held."""
    return float(industry.fleet.th.sum())


def new_events(industry: Industry, before: int) -> list[dict]:
    return industry.events.rows[before:]


def deployed_row(industry: Industry, firm: int = 0) -> int:
    return int(industry.machine_rows(firm, MachineState.DEPLOYED)[0])


# --- machine transitions ---------------------------------------------------------------


def test_mothball_stores_a_vintage_off_site_and_logs_it(industry):
    row, th, n = deployed_row(industry), total_th(industry), len(industry.events.rows)
    cash = industry.ledger.cash_usd.copy()
    industry.mothball(row)
    assert industry.fleet.state[row] == MachineState.DORMANT
    assert industry.fleet.site[row] == NO_SITE
    [event] = new_events(industry, n)
    assert event["kind"] == "mothball" and event["firm_id"] == 0
    assert event["th"] == industry.fleet.th[row]
    assert total_th(industry) == th
    assert np.array_equal(industry.ledger.cash_usd, cash)


def test_deploy_installs_a_dormant_vintage_at_the_site_and_logs_it(industry):
    row, th = deployed_row(industry), total_th(industry)
    industry.mothball(row)
    site = int(industry.site_rows(0)[-1])
    n, cash = len(industry.events.rows), industry.ledger.cash_usd.copy()
    industry.deploy(row, site)
    assert industry.fleet.state[row] == MachineState.DEPLOYED
    assert industry.fleet.site[row] == site
    assert [e["kind"] for e in new_events(industry, n)] == ["redeploy"]
    assert total_th(industry) == th
    assert np.array_equal(industry.ledger.cash_usd, cash)


def test_scrap_removes_a_vintages_hashrate_for_good_but_keeps_its_row(industry):
    row, th, n = deployed_row(industry), total_th(industry), len(industry.events.rows)
    deployed = industry.fleet.state == MachineState.DEPLOYED
    deployed_th = float(industry.fleet.th[deployed].sum())
    cash = industry.ledger.cash_usd.copy()
    industry.scrap(row)
    assert industry.fleet.state[row] == MachineState.SCRAPPED
    assert industry.fleet.site[row] == NO_SITE
    assert [e["kind"] for e in new_events(industry, n)] == ["scrap"]
    assert total_th(industry) == th  # scrapped rows still count: TH is conserved
    now_deployed = industry.fleet.th[industry.fleet.state == MachineState.DEPLOYED].sum()
    assert now_deployed == pytest.approx(deployed_th - industry.fleet.th[row], rel=REL)
    assert np.array_equal(industry.ledger.cash_usd, cash)  # scrapping pays nothing


def test_selling_a_vintage_pays_th_times_its_machine_value_and_hands_it_to_the_market(industry):
    row, th, n = deployed_row(industry, firm=3), total_th(industry), len(industry.events.rows)
    cash = industry.ledger.cash_usd.copy()
    assets = industry.assets_usd(3)
    usd = industry.fleet.th[row] * industry.machine_value_usd_per_th[row]
    assert usd > 0
    industry.sell_machines(row)
    assert industry.ledger.cash_usd[3] == pytest.approx(cash[3] + usd, rel=REL)
    assert industry.ledger.flows["asset_sales_usd"][3] == pytest.approx(usd, rel=REL)
    others = np.arange(industry.n_firms) != 3
    assert np.array_equal(industry.ledger.cash_usd[others], cash[others])
    f = industry.fleet
    assert (f.firm[row], f.site[row], f.state[row]) == (MARKET, NO_SITE, MachineState.DORMANT)
    [event] = new_events(industry, n)
    assert event["kind"] == "asic_sale" and event["usd"] == pytest.approx(usd, rel=REL)
    assert total_th(industry) == th
    assert industry.assets_usd(3) == pytest.approx(assets, rel=REL)  # machines became cash


def test_buying_machines_pays_th_times_price_and_adds_a_deployed_vintage(industry):
    """1,000 TH/s of the newest generation at 15 USD/TH: 15,000 USD of capex."""
    firm, site = 3, int(industry.site_rows(3)[0])
    generation, _ = industry.newest_generation()
    n_rows, th, n = industry.fleet.n, total_th(industry), len(industry.events.rows)
    cash, assets = float(industry.ledger.cash_usd[firm]), industry.assets_usd(firm)
    industry.buy_machines(firm, site, generation, 1_000.0, 15.0)
    row = n_rows
    f = industry.fleet
    assert f.n == n_rows + 1
    assert (f.firm[row], f.site[row], f.state[row]) == (firm, site, MachineState.DEPLOYED)
    assert f.th[row] == 1_000.0 and f.generation[row] == generation
    assert f.j_per_th[row] == industry.asic.generations[generation].j_per_th
    assert f.bought_step[row] == industry.readings.step_index
    assert industry.ledger.cash_usd[firm] == pytest.approx(cash - 15_000.0, rel=REL)
    assert industry.ledger.flows["capex_usd"][firm] == pytest.approx(15_000.0, rel=REL)
    [event] = new_events(industry, n)
    assert event["kind"] == "asic_purchase" and event["usd"] == 15_000.0
    assert total_th(industry) == pytest.approx(th + 1_000.0, rel=REL)
    assert industry.assets_usd(firm) == pytest.approx(assets, rel=REL)  # cash became machines


# --- valuation --------------------------------------------------------------------------


def parts_usd(industry: Industry, firm: int) -> dict[str, float]:
    s, f = industry.sites, industry.fleet
    own_site = (s.firm == firm) & (s.mode != Mode.AI_HOSTING)
    own_machine = f.firm == firm
    return {
        "sites": float(s.gross_mw[own_site].sum()) * industry.site_value_usd_per_mw(),
        "ai": float(industry.ai_value_usd[firm]),
        "machines": float(f.th[own_machine] @ industry.machine_value_usd_per_th[own_machine]),
        "btc": industry.ledger.btc_sat[firm] / COIN_SAT * industry.readings.btc_price_usd,
        "cash": max(float(industry.ledger.cash_usd[firm]), 0.0),
    }


def test_assets_are_sites_plus_ai_plus_machines_plus_btc_plus_cash_for_every_firm(industry):
    industry.ai_value_usd[5] = 2.5e8  # a leased site's NOI value, to make every part count
    for firm in range(industry.n_firms):
        parts = parts_usd(industry, firm)
        assert parts["sites"] > 0 and parts["machines"] > 0, firm
        assert industry.assets_usd(firm) == pytest.approx(sum(parts.values()), rel=REL), firm


def test_negative_cash_counts_as_zero_and_ai_sites_leave_the_site_value(industry):
    firm, site = 4, int(industry.site_rows(4)[0])
    assets = industry.assets_usd(firm)
    cash = float(industry.ledger.cash_usd[firm])
    industry.ledger.cash_usd[firm] = -1e9
    assert industry.assets_usd(firm) == pytest.approx(assets - cash, rel=REL)
    industry.set_site_mode(site, Mode.AI_HOSTING)
    site_usd = industry.sites.gross_mw[site] * industry.site_value_usd_per_mw()
    assert industry.assets_usd(firm) == pytest.approx(assets - cash - site_usd, rel=REL)


def test_leverage_is_debt_over_assets(industry):
    for firm in range(industry.n_firms):
        expected = industry.debt.principal_usd(firm) / industry.assets_usd(firm)
        assert industry.leverage(firm) == pytest.approx(expected, rel=REL), firm
    assert any(industry.leverage(f) > 0.1 for f in range(industry.n_firms))


def test_a_firm_with_no_assets_left_has_leverage_one(industry):
    """A firm stripped of its sites' MW, machines, BTC and cash: assets 0, leverage 1.

    The firm is the first with debt (so not 0 / 0), no AI lease and no site being built
    (leased AI sites and builds are valued apart from site MW; Hut 8, firm 7, used before,
    starts with a lease).
    """
    firm = next(
        f
        for f in range(industry.n_firms)
        if industry.debt.principal_usd(f) > 0
        and industry.ai_value_usd[f] == 0.0
        and industry.construction.usd_by_firm[f] == 0.0
    )
    industry.sites.gross_mw[industry.site_rows(firm)] = 0.0
    industry.fleet.th[industry.machine_rows(firm)] = 0.0
    industry.tables_changed(firm)  # written directly
    industry.ledger.btc_sat[firm] = 0
    industry.ledger.cash_usd[firm] = -10.0
    assert industry.assets_usd(firm) == 0.0
    assert industry.leverage(firm) == 1.0


def test_a_scrapped_vintage_leaves_the_firms_assets(industry):
    row = deployed_row(industry)
    value = industry.fleet.th[row] * industry.machine_value_usd_per_th[row]
    assert value > 0
    assets = industry.assets_usd(0)
    industry.scrap(row)
    assert industry.assets_usd(0) == pytest.approx(assets - value, rel=REL)


# --- auctions ---------------------------------------------------------------------------


def auction_setup(industry: Industry) -> tuple[int, int, np.ndarray, float]:
    """Firm 0 fails; returns (seller, site, machines at the site, the stated price)."""
    seller, site = 0, int(industry.site_rows(0)[0])
    industry.alive[seller] = False
    f = industry.fleet
    rows = np.flatnonzero((f.site == site) & (f.state == MachineState.DEPLOYED))
    assert len(rows) > 0
    book = (
        industry.sites.gross_mw[site] * industry.site_value_usd_per_mw()
        + float(f.th[rows] @ industry.machine_value_usd_per_th[rows])
        + 1e7  # the site's lease value
    )
    return seller, site, rows, industry.finance.auction_discount * book


def test_auction_sells_site_and_machines_to_the_richest_firm_that_can_pay(industry):
    """The second richest firm buys when the richest cannot keep a month of costs.

    The buyer pays the discounted book value (site, machines, lease); nobody else's cash moves.
    """
    seller, site, rows, price = auction_setup(industry)
    cash = industry.ledger.cash_usd.copy()
    alive = np.flatnonzero(industry.alive)
    richest, second = alive[np.argsort(-cash[alive])[:2]]
    industry.last_month_costs_usd[richest] = cash[richest]  # cash - price < a month of costs
    n, th = len(industry.events.rows), total_th(industry)
    buyer = industry.auction_site(site, 1e7)
    assert buyer == second
    assert industry.ledger.cash_usd[buyer] == pytest.approx(cash[buyer] - price, rel=REL)
    unchanged = np.arange(industry.n_firms) != buyer
    assert np.array_equal(industry.ledger.cash_usd[unchanged], cash[unchanged])
    assert industry.sites.firm[site] == buyer
    assert (industry.fleet.firm[rows] == buyer).all()
    assert (industry.fleet.site[rows] == site).all()
    assert (industry.fleet.state[rows] == MachineState.DEPLOYED).all()
    [event] = new_events(industry, n)
    assert (event["kind"], event["firm_id"], event["buyer_id"]) == ("auction", seller, buyer)
    assert event["usd"] == pytest.approx(price, rel=REL)
    assert total_th(industry) == th


def test_auction_with_no_firm_able_to_pay_idles_the_site_and_sends_machines_to_market(industry):
    _, site, rows, _ = auction_setup(industry)
    industry.ledger.cash_usd[:] = 0.0
    n, th = len(industry.events.rows), total_th(industry)
    assert industry.auction_site(site, 1e7) == MARKET
    s, f = industry.sites, industry.fleet
    assert (s.firm[site], s.mode[site]) == (MARKET, Mode.IDLE)
    assert (f.firm[rows] == MARKET).all() and (f.site[rows] == NO_SITE).all()
    assert (f.state[rows] == MachineState.DORMANT).all()
    assert (industry.ledger.cash_usd == 0.0).all()
    [event] = new_events(industry, n)
    assert event["buyer_id"] == MARKET and event["usd"] == 0.0
    assert total_th(industry) == th


# --- rewards ----------------------------------------------------------------------------


@pytest.mark.parametrize("reward_sat", [312_500_000 + 2_345_678, 1, 65 * 7 + 3])
def test_rewards_pay_every_satoshi_pro_rata_to_running_th_within_one_satoshi(industry, reward_sat):
    """A block's subsidy plus fees, one satoshi, a few satoshis per firm: all are paid.

    Firm 0 runs nothing and gets nothing.
    """
    f = industry.fleet
    rng = np.random.default_rng(5)
    th_running = np.where((rng.random(f.n) < 0.8) & (f.firm != 0), f.th, 0.0)
    btc_before = industry.ledger.btc_sat.copy()
    paid = industry.pay_rewards(reward_sat, th_running)
    mined = industry.ledger.flows["btc_mined_sat"]
    assert paid == reward_sat == int(mined.sum())
    firm_th = np.bincount(f.firm, th_running, industry.n_firms)
    exact = reward_sat * firm_th / firm_th.sum()
    assert np.abs(mined - exact).max() < 1.0
    assert mined[0] == 0
    assert np.array_equal(industry.firm_running_th, firm_th)
    sold_sat = industry.ledger.flows["btc_sales_usd"] / industry.readings.btc_price_usd * COIN_SAT
    kept = industry.ledger.btc_sat - btc_before
    assert np.allclose(kept + sold_sat, mined, rtol=0, atol=1e-3)  # mined = kept + sold


# --- power bills ------------------------------------------------------------------------

SPOT, MEAN, AGREED, MARKUP = 60.0, 50.0, 40.0, 5.0  # USD/MWh
SITE_MW, MACHINE_MW, J_PER_TH = 10.0, 5.0, 20.0  # machines fill half of each site
CONTRACTS = [  # firm i's one site
    (Contract.FIXED_PPA, False),
    (Contract.FIXED_PPA, True),
    (Contract.SPOT, False),
    (Contract.INDEXED, False),
]


def four_site_industry(model) -> Industry:
    """Four firms, one 10 MW site each: PPA, PPA with resale, spot, indexed.

    Each site holds 5 MW of machines; one region, with a 50 USD/MWh mean.
    """
    p = model.params
    industry = Industry(
        len(CONTRACTS),
        model.asic,
        np.array([MEAN]),
        p.finance,
        p.fleet,
        model.readings,
        EventLog(lambda i: model.dates[i]),
    )
    for firm, (contract, resale) in enumerate(CONTRACTS):
        site = industry.sites.append(
            firm=firm,
            region=0,
            gross_mw=SITE_MW,
            contract=contract,
            contract_price_usd_per_mwh=AGREED,
            contract_end_step=10_000,
            resale=resale,
            spot_markup_usd_per_mwh=MARKUP,
            readiness=0.5,
            mode=Mode.MINING,
        )
        industry.fleet.append(
            firm=firm,
            site=site,
            th=MACHINE_MW / (J_PER_TH * 1e-6),
            j_per_th=J_PER_TH,
            state=MachineState.DEPLOYED,
        )
    return industry


def operate_one_step(industry, spot_by_region, runs: bool, dt_days: int) -> None:
    """The model's daily path for one step, every machine on or off.

    On: hashprice far above any power cost. Off: hashprice 0, so no margin is positive.
    """
    industry.readings.hashprice_usd_per_ph_day = 1e9 if runs else 0.0
    industry.operate_today(spot_by_region[None], 0, None)  # a path of one step
    industry.bill_power_today(dt_days)


@pytest.mark.parametrize(
    ("runs", "power", "resale", "opex"),
    [
        # PPA: 10 MW x 24 h x 40 whether it runs or not; resale of the unused MWh at 60;
        # spot and indexed: 5 MW x 24 h x 65 or x 48 when running, nothing when off.
        # Opex 12 USD/MWh on the 120 MWh used.
        (True, [9_600, 9_600, 7_800, 5_760], [0, 7_200, 0, 0], [1_440] * 4),
        (False, [9_600, 9_600, 0, 0], [0, 14_400, 0, 0], [0] * 4),
    ],
    ids=["running", "off"],
)
def test_one_days_power_bill_by_contract(short_model, runs, power, resale, opex):
    industry = four_site_industry(short_model)
    assert industry.finance.nonpower_opex_usd_per_mwh == 12.0
    operate_one_step(industry, np.array([SPOT]), runs, dt_days=1)
    assert industry.running_th_total == (industry.fleet.th.sum() if runs else 0.0)
    flows = industry.ledger.flows
    assert flows["power_cost_usd"] == pytest.approx(power, rel=REL)
    assert flows["resale_usd"] == pytest.approx(resale, rel=REL)
    assert flows["opex_usd"] == pytest.approx(opex, rel=REL)
    net = np.array(power) + np.array(opex) - np.array(resale)
    assert industry.month_costs_usd == pytest.approx(net, rel=REL)
    assert industry.ledger.cash_usd == pytest.approx(-net, rel=REL)


def test_with_nothing_running_only_ppa_sites_pay_their_full_mw_for_the_step(industry):
    """Real baseline sites, a 7-day step with nothing running: only PPAs pay, in full.

    Each firm pays 168 h x MW x agreed price on its PPA sites and receives spot for those
    with resale; spot and indexed sites pay nothing.
    """
    spot = np.linspace(30.0, 80.0, len(industry.region_mean_usd_per_mwh))
    operate_one_step(industry, spot, runs=False, dt_days=7)
    assert industry.running_th_total == 0.0
    s = industry.sites
    ppa = s.contract == Contract.FIXED_PPA
    assert ppa.any() and (~ppa).any() and (ppa & s.resale).any()
    mwh = s.gross_mw * 168.0
    n = industry.n_firms
    bill = np.bincount(s.firm, np.where(ppa, mwh * s.contract_price_usd_per_mwh, 0.0), n)
    resale = np.bincount(s.firm, np.where(ppa & s.resale, mwh * spot[s.region], 0.0), n)
    flows = industry.ledger.flows
    assert flows["power_cost_usd"] == pytest.approx(bill, rel=REL)
    assert flows["resale_usd"] == pytest.approx(resale, rel=REL)
    assert (flows["opex_usd"] == 0.0).all()


# --- contracts and indicators ------------------------------------------------------------


def test_expired_ppas_renew_at_the_regional_mean_times_one_plus_the_premium(industry):
    """At step 900, PPAs that ended cost mean x 1.10 for 5 more years (1,826 steps).

    PPAs still running, spot and indexed sites keep their terms.
    """
    s = industry.sites
    industry.readings.step_index = 900
    price, end = s.contract_price_usd_per_mwh.copy(), s.contract_end_step.copy()
    expired = (s.contract == Contract.FIXED_PPA) & (end <= 900)
    assert 0 < expired.sum() < (s.contract == Contract.FIXED_PPA).sum()
    assert industry.finance.ppa_renewal_premium == 0.10
    assert industry.finance.ppa_renewal_years == 5.0
    industry.renew_expired_ppas()
    mean = industry.region_mean_usd_per_mwh[s.region]
    assert s.contract_price_usd_per_mwh[expired] == pytest.approx(mean[expired] * 1.10, rel=REL)
    assert (s.contract_end_step[expired] == 900 + 1826).all()
    assert np.array_equal(s.contract_price_usd_per_mwh[~expired], price[~expired])
    assert np.array_equal(s.contract_end_step[~expired], end[~expired])


def test_firm_indicators_are_finite_mw_weighted_means_with_shares_in_0_1(industry):
    ind = industry.firm_indicators()
    n, s = industry.n_firms, industry.sites
    assert set(ind) == {
        "power_usd_per_mwh",
        "long_contract_share",
        "ppa_years_left",
        "readiness",
        "ai_suitable_share",
        "ai_suitability",
        "j_per_th",
        "site_mw",
    }
    for name, values in ind.items():
        assert values.shape == (n,) and np.isfinite(values).all(), name
    for share in ("long_contract_share", "readiness", "ai_suitable_share", "ai_suitability"):
        assert ((ind[share] >= 0) & (ind[share] <= 1)).all(), share
    assert 0 < ind["long_contract_share"].mean() < 1  # a mix of PPA and other firms
    mw = np.bincount(s.firm, s.gross_mw, n)
    ppa_mw = np.bincount(s.firm, s.gross_mw * (s.contract == Contract.FIXED_PPA), n)
    assert ind["site_mw"] == pytest.approx(mw, rel=REL)
    assert ind["long_contract_share"] == pytest.approx(ppa_mw / mw, rel=REL, abs=1e-15)
    readiness = np.bincount(s.firm, s.gross_mw * s.readiness, n) / mw
    assert ind["readiness"] == pytest.approx(readiness, rel=REL)
    gens = industry.generation_j_per_th
    assert (ind["j_per_th"] >= gens.min() - 1e-9).all()
    assert (ind["j_per_th"] <= gens.max() + 1e-9).all()
    assert (ind["ppa_years_left"] >= 0).all() and (ind["power_usd_per_mwh"] > 0).all()


def test_site_mw_by_mode_is_each_modes_own_bincount_bit_for_bit(industry):
    """Each row as summed over that mode's owned sites alone, bit for bit.

    Sites in every mode, one sold off to no firm; the modes add up to the firms' MW.
    """
    s, n = industry.sites, industry.n_firms
    s.mode[:] = np.arange(s.n) % 4
    s.firm[5] = MARKET
    by_mode = industry.site_mw_by_mode()
    for mode in (Mode.MINING, Mode.IDLE, Mode.CONVERTING, Mode.AI_HOSTING):
        rows = (s.firm >= 0) & (s.mode == mode)
        expected = np.bincount(s.firm[rows], s.gross_mw[rows], n)
        assert by_mode[mode].tobytes() == expected.tobytes(), mode
    assert by_mode.sum(axis=0) == pytest.approx(industry.site_mw_by_firm(), rel=REL)
    assert (by_mode > 0).all(axis=0).any()  # a firm with sites in every mode


def test_one_firms_spare_cash_is_every_firms_spare_cash_of_that_firm_bit_for_bit(industry):
    """Also where last month's costs are negative, -0.0, NaN or infinite."""
    costs = industry.last_month_costs_usd
    costs[:6] = [-2.5e6, -0.0, np.nan, np.inf, 0.0, 3.3e6]
    industry.ledger.cash_usd[:6] = [1e6, -0.0, 2e6, 5e5, -0.0, -1e6]
    for reserve_months in (0.0, 1.0, 2.5):
        with np.errstate(invalid="ignore"):  # 0 months of infinite costs: NaN
            every_firm = industry.spare_cash_usd(reserve_months)
        for firm in range(industry.n_firms):
            one_firm = np.float64(industry.spare_cash_usd(reserve_months, firm))
            assert one_firm.tobytes() == every_firm[firm].tobytes(), (firm, reserve_months)


def test_the_start_months_power_estimate_is_days_per_month_days_of_power(industry):
    f = industry.fleet
    cost = industry.expected_cash_cost_usd_per_mwh()[f.site]
    usd = f.power_mw() * 24.0 * DAYS_PER_MONTH * cost
    expected = np.bincount(f.firm, usd, industry.n_firms)
    assert industry.monthly_power_cost_estimate() == pytest.approx(expected, rel=REL)


def test_every_firms_leverage_and_net_worth_at_once_are_each_firms_own():
    """Bit for bit `leverage` and `net_worth_usd`, at the start and after three months."""
    model = abm.MiningModel("baseline_2026", seed=1, **{"run.end_date": "2026-03-31"})
    for _ in range(2):
        industry = model.industry
        leverage, net_worth = industry.leverage_and_net_worth_by_firm()
        own = range(industry.n_firms)
        assert leverage.tolist() == [industry.leverage(f) for f in own]
        assert net_worth.tolist() == [industry.net_worth_usd(f) for f in own]
        while model.running:
            model.step()
