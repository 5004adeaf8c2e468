"""Listed firms' equity and convertible issuance: prices, limits, access, conservation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import abm
from abm.agents.capital import CapitalParams, convertible_coupon, price_to_nav
from abm.ledger import INFLOWS, OUTFLOWS

P = CapitalParams()  # mining 1.0x, leased 2.5x, distress x0.5, discount 5 %, 10 %/quarter


def test_the_multiple_is_linear_in_the_share_leased_and_halves_in_distress():
    """1.0x mining-only, 2.5x all leased, 1.0 + 1.5 x share between; x0.5 in distress."""
    assert price_to_nav(0.0, False, P) == pytest.approx(1.0)
    assert price_to_nav(1.0, False, P) == pytest.approx(2.5)
    assert price_to_nav(0.4, False, P) == pytest.approx(1.6)
    assert price_to_nav(1.7, False, P) == pytest.approx(2.5)  # a share is at most 1
    assert price_to_nav(0.4, True, P) == pytest.approx(0.8)
    np.testing.assert_allclose(price_to_nav(np.array([0.0, 0.5]), False, P), [1.0, 1.75])


def test_the_coupon_falls_from_3_5_percent_at_the_mining_multiple_to_0_when_leased():
    assert convertible_coupon(1.0, P) == pytest.approx(0.035)
    assert convertible_coupon(1.75, P) == pytest.approx(0.0175)
    assert convertible_coupon(2.5, P) == pytest.approx(0.0)
    assert convertible_coupon(0.5, P) == pytest.approx(0.035)  # distressed: the high end


def test_a_leased_multiple_below_the_mining_one_is_refused():
    with pytest.raises(abm.ParamError, match="price_to_nav_leased"):
        abm.load_scenario("baseline_2026", {"capital.price_to_nav_leased": 0.5})


def listed_firm(model: abm.MiningModel, cash_usd: float | None = None) -> int:
    """The listed firm with the largest positive net worth, or with `cash_usd` as its cash.

    Assets count cash at max(cash, 0). The 2026 start gives some firms more cash than the
    rest of their net worth (IREN: 3.3 B$ of 2.8 B$), so a firm set short of cash is picked
    by its net worth with that cash.
    """
    industry, capital = model.industry, model.capital
    cash = industry.ledger.cash_usd
    instead = 0.0 if cash_usd is None else max(cash_usd, 0.0)
    worth = [
        industry.net_worth_usd(f) + (0.0 if cash_usd is None else instead - max(cash[f], 0.0))
        if capital.listed[f]
        else -np.inf
        for f in range(len(model.miners))
    ]
    assert max(worth) > 0
    return int(np.argmax(worth))


def test_a_raise_sells_shares_at_the_discounted_multiple_and_notes_at_the_coupon(short_model):
    """A listed firm short of 10 M$ raises exactly that, half in shares, half in notes.

    Shares sell at NAV per share x multiple x 0.95, notes run 5 years at the coupon of the
    multiple. Cash rises by the raise, debt by the notes, net worth by the shares sold,
    all booked as flows; the quarter's capacity left is 10 % of the new market value
    less the 10 M$ raised.
    """
    m = short_model
    industry, capital = m.industry, m.capital
    firm = listed_firm(m)
    spare = float(industry.spare_cash_usd(1.0)[firm])
    worth, debt, cash = (
        industry.net_worth_usd(firm),
        industry.debt.principal_usd(firm),
        industry.ledger.cash_usd[firm],
    )
    multiple = capital.multiple(firm)
    assert capital.capacity_usd(firm) == pytest.approx(0.10 * worth * multiple)
    assert capital.fund(firm, spare + 10e6)
    assert industry.ledger.cash_usd[firm] - cash == pytest.approx(10e6)
    assert industry.debt.principal_usd(firm) - debt == pytest.approx(5e6)
    assert industry.net_worth_usd(firm) - worth == pytest.approx(5e6, rel=1e-9)
    price_per_share = worth * multiple * 0.95  # one share outstanding at the start
    assert capital.shares[firm] == pytest.approx(1.0 + 5e6 / price_per_share)
    flows = industry.ledger.flows
    assert flows["equity_raised_usd"][firm] == pytest.approx(5e6)
    assert flows["convertible_issued_usd"][firm] == pytest.approx(5e6)
    note = industry.debt.of(firm)[-1]
    assert note.fixed_rate == pytest.approx(convertible_coupon(multiple, P))
    assert note.maturity_step == m.readings.steps_in_years(5.0)
    events = m.event_table().set_index("kind")
    assert events.loc["equity_raised", "usd"] == pytest.approx(5e6)
    assert events.loc["equity_raised", "price_to_nav"] == pytest.approx(multiple * 0.95)
    assert events.loc["equity_raised", "shares"] == pytest.approx(capital.shares[firm] - 1.0)
    assert events.loc["convertible_issued", "rate"] == pytest.approx(note.fixed_rate)
    assert events.loc["convertible_issued", "term_months"] == 60
    assert capital.capacity_usd(firm) == pytest.approx(0.10 * (worth + 5e6) * multiple - 10e6)


def test_the_quarterly_limit_refuses_a_larger_raise_and_resets_next_quarter(short_model):
    m = short_model
    industry, capital = m.industry, m.capital
    firm = listed_firm(m)
    spare = float(industry.spare_cash_usd(1.0)[firm])
    cap = capital.capacity_usd(firm)
    cash = industry.ledger.cash_usd[firm]
    assert not capital.fund(firm, spare + cap * 1.01)
    assert industry.ledger.cash_usd[firm] == cash  # nothing raised
    assert capital.fund(firm, spare + cap)
    # the shares sold (half the raise) raised the market value, and so the capacity left
    assert capital.capacity_usd(firm) == pytest.approx(0.10 * capital.multiple(firm) * cap / 2)
    m.readings.date = np.datetime64("2026-04-01")
    assert capital.capacity_usd(firm) > 0.5 * cap


@pytest.mark.parametrize("case", ["unlisted", "market closed"])
def test_no_access_without_a_listing_or_an_open_market(case):
    overrides = {"run.end_date": "2026-03-31"}
    if case == "market closed":
        overrides["capital.market_open"] = False
    m = abm.MiningModel("baseline_2026", seed=1, **overrides)
    industry, capital = m.industry, m.capital
    firms = (
        np.flatnonzero(~capital.listed) if case == "unlisted" else np.flatnonzero(capital.listed)
    )
    assert len(firms) > 0
    for firm in firms:
        spare = float(industry.spare_cash_usd(1.0)[firm])
        assert capital.capacity_usd(int(firm)) == 0.0
        assert capital.fundable_usd(int(firm)) == spare
        assert capital.fund(int(firm), spare) and not capital.fund(int(firm), spare + 1.0)
        assert capital.rescue(int(firm), 1e6) == 0.0
    assert industry.ledger.flows["equity_raised_usd"].sum() == 0.0


def test_distress_sells_only_shares_at_the_distressed_multiple(short_model):
    """Distress: a listed firm 5 M$ short after its BTC is gone sells shares, no notes.

    The price is 0.5 x multiple x 0.95 of NAV per share; it raises enough to restore its
    month's reserve.
    """
    m = short_model
    industry, capital = m.industry, m.capital
    industry.ledger.btc_sat[:] = 0  # no treasury to sell
    firm = listed_firm(m, cash_usd=-5e6)  # the most net worth once 5 M$ short
    industry.ledger.cash_usd[firm] = -5e6
    assert industry.net_worth_usd(firm) > 0  # the market still values it
    multiple = capital.multiple(firm)
    assert m.miners[firm].monthly_finance(month_costs_usd=1e6, interest_usd=0.0)
    events = m.event_table()
    assert set(events["kind"]) >= {"equity_raised"}
    assert "convertible_issued" not in set(events["kind"])
    raised = events[events["kind"] == "equity_raised"].iloc[0]
    assert raised["price_to_nav"] == pytest.approx(0.5 * multiple * 0.95)
    assert industry.ledger.cash_usd[firm] >= 0.0


# History 2026 seeds whose market-open run both raises (shares and notes) and rescues a firm
# in distress (shares only): 19 and 20 are the first two such seeds of 1-20. Measured with the
# 1 Jan 2026 start state, whose named firms start with cash: seeds 1-3 raise nothing in
# 2026, 4, 7, 10 and 15 only raise, 11 only rescues.
SEEDS = (19, 20)


@pytest.fixture(scope="module")
def open_and_closed():
    """History 2026 (named firms with their leases), SEEDS, market open and closed."""
    return {(seed, is_open): _run(seed, is_open) for seed in SEEDS for is_open in (True, False)}


def _run(seed: int, is_open: bool) -> abm.MiningModel:
    model = abm.MiningModel(
        "history_2026", seed=seed, security_metrics=False, **{"capital.market_open": is_open}
    )
    cash = model.industry.ledger.cash_usd.copy()
    while model.running:
        model.step()
    model.cash_start_usd = cash
    return model


def test_every_dollar_raised_is_a_ledger_flow_an_event_and_cash(open_and_closed):
    """Per firm, cash change = inflows - outflows to 1e-9; events' dollars = ledger flows.

    With the market open firms raise (shares and notes), closed they raise nothing;
    unlisted firms never do, and no live firm holds negative cash.
    """
    for (seed, is_open), m in open_and_closed.items():
        firms, events = m.firm_table(), m.event_table()
        per_firm = firms.groupby("firm_id")
        net = per_firm[list(INFLOWS)].sum().sum(axis=1) - per_firm[list(OUTFLOWS)].sum().sum(axis=1)
        change = m.industry.ledger.cash_usd - m.cash_start_usd
        scale = np.abs(change) + per_firm[list(INFLOWS)].sum().sum(axis=1).to_numpy() + 1.0
        assert (np.abs(change - net.to_numpy()) / scale).max() < 1e-9, seed
        for kind, flow in (
            ("equity_raised", "equity_raised_usd"),
            ("convertible_issued", "convertible_issued_usd"),
        ):
            by_event = events[events["kind"] == kind].groupby("firm_id")["usd"].sum()
            by_flow = per_firm[flow].sum()
            pd.testing.assert_series_equal(
                by_event.reindex(by_flow.index, fill_value=0.0).astype(float),
                by_flow,
                check_names=False,
                rtol=1e-9,
            )
        raised = firms["equity_raised_usd"].sum() + firms["convertible_issued_usd"].sum()
        assert (raised > 0) == is_open, (seed, raised)
        kinds = events["kind"].value_counts()
        rescues = kinds.get("equity_raised", 0) - kinds.get("convertible_issued", 0)
        assert (rescues > 0) == is_open, seed  # a raise sells both, a rescue only shares
        unlisted = firms[~firms["listed"]]
        assert unlisted[["equity_raised_usd", "convertible_issued_usd"]].to_numpy().sum() == 0.0
        assert (firms.loc[firms["alive"], "cash_usd"] >= 0).all(), seed


def test_value_per_start_share_is_net_worth_over_shares_and_shares_only_grow(open_and_closed):
    for (seed, is_open), m in open_and_closed.items():
        firms = m.firm_table()
        np.testing.assert_allclose(
            firms["value_per_start_share_usd"], firms["net_worth_usd"] / firms["shares_outstanding"]
        )
        shares = firms.pivot(index="date", columns="firm_id", values="shares_outstanding")
        assert (shares.diff().iloc[1:] >= 0).all().all()
        assert (shares.iloc[-1] > 1.0).any() == is_open, seed
        listed = firms[firms["listed"]]
        leased = (listed["mw_ai"] + listed["mw_converting"]) / listed["site_mw"]
        np.testing.assert_allclose(listed["price_to_nav"], 1.0 + 1.5 * leased.clip(0, 1))
        assert firms.loc[~firms["listed"], "price_to_nav"].isna().all()


def test_same_seed_same_financing(open_and_closed):
    again = _run(SEEDS[0], True)
    first = open_and_closed[(SEEDS[0], True)]
    kinds = ["equity_raised", "convertible_issued", "project_debt", "refinance", "borrow"]
    a, b = first.event_table(), again.event_table()
    pd.testing.assert_frame_equal(
        a[a["kind"].isin(kinds)].reset_index(drop=True),
        b[b["kind"].isin(kinds)].reset_index(drop=True),
    )
    np.testing.assert_array_equal(first.capital.shares, again.capital.shares)


def test_project_debt_is_80_percent_of_each_signed_conversion(open_and_closed):
    """Every lease signed with capex draws project debt of 0.80 x its capex (an event)."""
    m = open_and_closed[(SEEDS[0], True)]
    events = m.event_table()
    signed = events[(events["kind"] == "lease_signed") & (events["usd"] > 0)]
    assert len(signed) > 0
    after_start = events[
        (events["kind"] == "project_debt") & (events["date"] > events["date"].min())
    ]
    pd.testing.assert_series_equal(
        after_start["usd"].reset_index(drop=True),
        (0.80 * signed["usd"]).reset_index(drop=True),
        check_names=False,
        rtol=1e-12,
    )
    assert (after_start["rate"] == m.params.conversion.project_debt_rate).all()


@pytest.mark.slow
def test_an_open_market_moves_more_mw_to_ai_by_the_end_of_2027():
    """baseline_2026 to the end of 2027, seeds 1-10 paired: more site MW in AI when open.

    The share of site MW hosting AI or converting at the end is higher with the market open
    in at least 8 of 10 seeds (measured 10 of 10, paired difference +2.2 pp, sd 1.0 pp). In
    history_2026's eight months the named firms' cash mostly suffices: 7 of 10, +0.3 pp.
    """
    higher = 0
    for seed in range(1, 11):
        shares = []
        for is_open in (True, False):
            model = abm.MiningModel(
                "baseline_2026",
                seed=seed,
                security_metrics=False,
                **{"capital.market_open": is_open, "run.end_date": "2027-12-31"},
            )
            while model.running:
                model.step()
            firms = model.firm_table()
            last = firms[firms["date"] == firms["date"].max()]
            shares.append((last["mw_ai"] + last["mw_converting"]).sum() / last["site_mw"].sum())
        higher += shares[0] > shares[1]
    assert higher >= 8
