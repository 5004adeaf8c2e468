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
