"""The industry of 1 January 2026: named firms with the AI leases they had signed.

`history_2026` names the largest listed miners; their leases start in service or
converting, financed by project debt, on sites of their own.
"""

from __future__ import annotations

import numpy as np
import pytest

import abm
from abm.agents.fleet import Mode
from abm.agents.leasing import LeaseStatus
from abm.params import ParamError

HISTORY = "history_2026"
SIGNED_MW = 1780.0  # Core Scientific 590, TeraWulf 522, Cipher 423, Hut 8 245
IN_SERVICE_MW = 250.0  # Core Scientific's CoreWeave halls billing by the start


@pytest.fixture(scope="module")
def start():
    return abm.MiningModel(HISTORY, seed=1)


def test_leases_signed_before_the_start_are_in_the_book(start):
    leases = start.hosting.book.leases
    assert sum(x.mw_it for x in leases) == pytest.approx(SIGNED_MW)
    in_service = [x for x in leases if x.status == LeaseStatus.IN_SERVICE]
    assert sum(x.mw_it for x in in_service) == pytest.approx(IN_SERVICE_MW)
    assert {start.miners[x.firm].name for x in leases} == {
        "Core Scientific",
        "TeraWulf",
        "Cipher",
        "Hut 8",
    }


def test_each_start_lease_has_a_site_of_its_own_in_the_right_mode(start):
    sites, it_ratio = start.industry.sites, start.params.conversion.it_ratio
    leases = start.hosting.book.leases
    assert len({x.site for x in leases}) == len(leases)
    for lease in leases:
        assert sites.firm[lease.site] == lease.firm
        assert sites.gross_mw[lease.site] == pytest.approx(lease.mw_it / it_ratio)
        expected = Mode.AI_HOSTING if lease.status == LeaseStatus.IN_SERVICE else Mode.CONVERTING
        assert sites.mode[lease.site] == expected


def test_start_leases_are_financed_by_project_debt_at_the_loan_to_cost(start):
    """Per firm: project tranches (fixed at the project rate) = 0.8 x capex of its leases."""
    p = start.params.conversion
    for firm in {x.firm for x in start.hosting.book.leases}:
        capex = sum(x.capex_usd for x in start.hosting.book.leases if x.firm == firm)
        project = [t for t in start.industry.debt.of(firm) if t.fixed_rate == p.project_debt_rate]
        assert sum(t.principal_usd for t in project) == pytest.approx(
            p.project_loan_to_cost * capex
        )
        assert start.hosting.ai_book_usd[firm] == pytest.approx(capex)


def test_ai_mw_is_in_service_from_day_0_and_conversions_finish_in_their_month():
    run = abm.run(HISTORY, seed=1, **{"run.end_date": "2026-06-30"})
    model = run.model.set_index("date")
    assert model["ai_mw_in_service"].iloc[0] == pytest.approx(IN_SERVICE_MW)
    assert model["ai_mw_converting"].iloc[0] == pytest.approx(SIGNED_MW - IN_SERVICE_MW)
    # TeraWulf's first 40 MW are ready in May: in service from the end of May on
    before, after = model.loc["2026-05-30", "ai_mw_in_service"], model.loc["2026-06-01"]
    assert after["ai_mw_in_service"] - before == pytest.approx(40.0)
    firms = run.firms
    core = firms[(firms["name"] == "Core Scientific") & (firms["date"] == "2026-02-01")]  # January
    rent = 250.0 * 1000.0 * 121.0  # MW x kW per MW x USD per kW-month, no escalator yet
    assert core["ai_rent_usd"].iloc[0] == pytest.approx(rent)


def test_a_start_lease_naming_an_unknown_tenant_is_refused():
    firm = {
        "name": "X",
        "hashrate_eh": 1.0,
        "region": "texas_ercot",
        "leases": [
            {
                "tenant": "landlord",
                "mw_it": 10.0,
                "price_usd_per_kw_month": 100.0,
                "ready_date": "2026-06-01",
            }
        ],
    }
    with pytest.raises(ParamError, match=r"X: leases tenant 'landlord' is not an \[ai\] tenant"):
        abm.load_scenario("baseline_2026", {"population.firms": [firm]})


def test_named_firms_start_with_their_reported_treasuries_and_cash(start):
    names = {m.name: m.index for m in start.miners}
    ledger = start.industry.ledger
    assert ledger.btc_sat[names["MARA"]] == 53_822 * 100_000_000
    assert ledger.cash_usd[names["IREN"]] == pytest.approx(3.26e9)
    assert np.all(ledger.cash_usd >= 0)
