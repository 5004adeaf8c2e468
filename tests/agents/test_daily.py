"""The daily bills wait in a `DayBook` and are billed many days at once: the same bytes.

`DailyArrays` keeps up to `MAX_DAYS_KEPT` days (fewer for large fleets) and bills them when
the ledger, the month's costs or the recorder read them. However the days are grouped, every
table must be what billing each day alone gives.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import abm
import abm.agents.daily as daily
from abm.markets.economics import power_cost_usd_per_th_day
from abm.recorder import SECURITY_COLUMNS


def run_tables(scenario: str, vintage_days_kept: int, monkeypatch, **overrides):
    """Model, firm and event tables of `scenario` (seed 3) run to its end.

    At most `vintage_days_kept` vintage-days are kept before billing: that many over the
    number of vintages days, at least one.
    """
    with monkeypatch.context() as patch:
        patch.setattr(daily, "VINTAGE_DAYS_KEPT", vintage_days_kept)
        model = abm.MiningModel(scenario, seed=3, **overrides)
        for _ in range(model.n_steps):
            model.step()
    return model.model_table(), model.firm_table(), model.event_table()


@pytest.mark.parametrize(
    ("scenario", "overrides"),
    [
        ("baseline_2026", {"run.end_date": "2026-04-30"}),  # a quarterly review
        ("baseline_2026", {"run.end_date": "2026-06-30", "run.dt_days": 7}),
        ("china_2021", {}),  # regions partly offline: shares between 0 and 1
    ],
)
def test_days_billed_one_by_one_or_in_blocks_give_identical_tables(
    scenario, overrides, monkeypatch
):
    alone = run_tables(scenario, 1, monkeypatch, **overrides)  # one day kept: billed daily
    for cells in (7 * 1000, daily.VINTAGE_DAYS_KEPT):  # about a week; the default
        blocks = run_tables(scenario, cells, monkeypatch, **overrides)
        for one, other in zip(alone, blocks, strict=True):
            pd.testing.assert_frame_equal(one, other, check_exact=True)
    model_table = alone[0]
    assert model_table["mean_power_price_usd_per_mwh"].notna().all()


def test_a_table_read_mid_month_has_every_days_power_price(short_model):
    """The dashboard reads the model table after every step: days not yet billed are.

    The security columns are computed after the run; every other column is final.
    """
    model = short_model
    for _ in range(45):  # to mid-February
        model.step()
    early = model.model_table()
    assert len(early) == 45
    assert early["mean_power_price_usd_per_mwh"].notna().all()
    while model.running:
        model.step()
    final = model.model_table().iloc[:45]
    daily_columns = [name for name in final if name not in SECURITY_COLUMNS]
    pd.testing.assert_frame_equal(early[daily_columns], final[daily_columns], check_exact=True)


def test_billed_days_keep_cash_flows_balanced_mid_month(short_model):
    """Cash read mid-month includes every day operated: the change equals the flows."""
    model = short_model
    ledger = model.industry.ledger
    cash_start = ledger.cash_usd.copy()
    for _ in range(10):
        model.step()
    flows = ledger.flows
    inflows = sum(flows[name] for name in abm.ledger.INFLOWS)
    outflows = sum(flows[name] for name in abm.ledger.OUTFLOWS)
    assert flows["power_cost_usd"].sum() > 0
    np.testing.assert_allclose(ledger.cash_usd - cash_start, inflows - outflows, atol=1e-6)


def expected_day(model: abm.MiningModel, step: int) -> tuple[np.ndarray, np.ndarray]:
    """TH/s running per vintage on `step`, and the power cost per TH/s-day where one may run.

    From the step's own spot prices and the tables now.
    """
    industry = model.industry
    d = industry.daily()
    marginal = industry.marginal_power_usd_per_mwh(model.spot[step])
    share = industry.running_mask(marginal) * 1.0
    if not model.all_online[step]:
        share *= model.online_share[step][d.vintage_region]
    cost = power_cost_usd_per_th_day(d.j_per_th, marginal[d.site])
    return industry.fleet.th * share, cost[d.may_run]


@pytest.mark.parametrize("vintage_days_kept", [1, 7 * 1000, daily.VINTAGE_DAYS_KEPT])
def test_days_priced_ahead_run_what_each_days_own_prices_say(vintage_days_kept, monkeypatch):
    """Costs priced for the days ahead, across bills, month ends and new tables, are each day's.

    China 2021 (regions offline) from March to July, every day checked.
    """
    monkeypatch.setattr(daily, "VINTAGE_DAYS_KEPT", vintage_days_kept)
    model = abm.MiningModel("china_2021", seed=3, **{"run.end_date": "2021-07-31"})
    industry, checked = model.industry, []
    operate_today = industry.operate_today

    def operate_and_check(spot_by_step_region, step, online_by_region, priced_until):
        th_running = operate_today(spot_by_step_region, step, online_by_region, priced_until)
        d = industry.daily()
        expected_th, expected_cost = expected_day(model, step)
        np.testing.assert_array_equal(th_running, expected_th)
        np.testing.assert_array_equal(d.cost_rows[d.days_kept][d.may_run], expected_cost)
        checked.append(step)
        return th_running

    industry.operate_today = operate_and_check
    while model.running:
        model.step()
    assert checked == list(range(model.n_steps))
    assert not model.all_online.all() and model.spot.flags.writeable is False


def test_a_writable_spot_path_is_priced_one_day_at_a_time(short_model):
    """A path that may still change is read on its day: a change to tomorrow counts.

    Day 0 on the model's read-only path (days ahead priced from it), day 1 on another path,
    day 2 on that path changed after day 1.
    """
    model = short_model
    industry = model.industry
    spot = model.spot.copy()  # writable
    spot[1:] *= 10.0  # power 10x dearer from day 1 on: fewer vintages run
    model.readings.hashprice_usd_per_ph_day = 50.0  # some vintages run, some not
    industry.operate_today(model.spot, 0, None)
    industry.bill_power_today(1)
    for step in (1, 2):
        th_running = industry.operate_today(spot, step, None)
        industry.bill_power_today(1)
        marginal = industry.marginal_power_usd_per_mwh(spot[step])
        running = industry.fleet.th * industry.running_mask(marginal)
        np.testing.assert_array_equal(th_running, running)
        assert 0 < th_running.sum() < industry.fleet.th.sum()
        spot[2] *= 0.5


def test_every_day_is_priced_once_the_rows_ending_at_the_next_month_end(monkeypatch):
    """Baseline January to April (120 steps): 120 rows priced, each once.

    The month end bills the days kept and frees the rows: rows priced past it were priced
    again.
    """
    model = abm.MiningModel("baseline_2026", seed=3, **{"run.end_date": "2026-04-30"})
    price_days, priced = daily.DailyArrays._price_days, []

    def count_rows(arrays, spot_by_step_region, step, priced_until):
        price_days(arrays, spot_by_step_region, step, priced_until)
        priced.extend(range(step, step + arrays._rows_priced - arrays.days_kept))

    monkeypatch.setattr(daily.DailyArrays, "_price_days", count_rows)
    while model.running:
        model.step()
    assert priced == list(range(model.n_steps)) and model.n_steps == 120


@pytest.mark.parametrize("hours", [(24.0, 168.0, 24.0, 12.0), (24.0, 24.0, 24.0, 24.0)])
def test_steps_billed_at_once_are_billed_as_each_alone_whatever_their_lengths(hours):
    """Days kept and settled together are billed as each settled alone, bit for bit.

    Days of different lengths, or of one length (billed with one row of hours).
    """
    model = abm.MiningModel("baseline_2026", seed=3, **{"run.end_date": "2026-01-31"})
    model.step()
    model.industry.days.settle()  # the step's own day
    arrays, opex_usd_per_mwh = model.industry.daily(), np.array(12.0)
    hashprices = (36.0, 52.0, 30.0, 45.0)  # some vintages run on some days only

    def keep(step: int) -> None:
        arrays.operate(model.spot, step, None, hashprices[step - 1])
        arrays.keep_day(hours[step - 1])

    alone = []
    for step in range(1, 5):
        keep(step)
        alone.append(arrays.settle(opex_usd_per_mwh))
    for step in range(1, 5):
        keep(step)
    by_firm, mean_price = arrays.settle(opex_usd_per_mwh)
    np.testing.assert_array_equal(by_firm, np.concatenate([bills for bills, _ in alone]))
    np.testing.assert_array_equal(mean_price, np.concatenate([price for _, price in alone]))
    assert len({tuple(day[0]) for day in by_firm}) > 1  # the days' bills differ
