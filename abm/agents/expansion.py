"""New mining sites: built when filling them with the newest machines pays, energized later.

At its quarterly review a firm prices one MW of new site in the region of its cheapest
power: the present value, at its cost of capital, of the newest machines' margin over the
payback horizon, starting once the site is energized, less the machines (bought then) and
the site (paid now). It builds when that net value beats its hurdle times the capex and
the machines would pass its own payback test today (else the site would stand empty),
sized by the cash it may spend and a loan for part of the site. The site becomes a new
row of the site table `lead_time_months` calendar months later, and the firm's fleet
review fills it like any other site.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import NamedTuple

import numpy as np

from abm.agents.strategy import mining_value_from_usd_per_mw
from abm.markets.economics import margin_usd_per_th_day
from abm.params import param
from abm.units import DAYS_PER_MONTH


@dataclasses.dataclass(frozen=True)
class ExpansionParams:
    """How firms build new mining sites."""

    enabled: bool = param(True, doc="firms build new mining sites when margins pay")
    site_capex_usd_per_mw: float = param(
        500_000.0, lo=0.0, doc="cost of a mining site per MW, machines excluded, USD"
    )
    lead_time_months: int = param(
        12, lo=1, hi=120, doc="calendar months from the decision to energization"
    )
    horizon_years: float = param(
        4.0, lo=0.5, hi=30.0, doc="years of mining a new site's value counts, once energized"
    )
    hashprice_decline_per_year: float = param(
        0.0, lo=-1.0, hi=1.0, doc="hashprice decline builders expect, per year, halvings apart"
    )
    power_premium: float = param(
        0.10, lo=-0.5, hi=2.0, doc="new load pays its region's mean spot times (1 + this), indexed"
    )
    loan_to_cost: float = param(
        0.5, lo=0.0, hi=1.0, hi_open=True, doc="share of a site's capex borrowed"
    )
    loan_term_years: float = param(3.0, lo=0.25, hi=30.0, doc="term of a site loan, years")
    max_leverage: float = param(
        0.5, lo=0.0, hi=1.0, doc="a firm borrows for a site only below this debt / assets"
    )
    min_site_mw: float = param(5.0, lo=0.0, doc="smallest site worth starting, MW")
    max_site_mw: float = param(100.0, lo=0.0, doc="largest site a firm starts per review, MW")

    def check(self) -> str | None:
        """The site size range is (min, max)."""
        if self.min_site_mw > self.max_site_mw:
            return f"min_site_mw = {self.min_site_mw} exceeds max_site_mw = {self.max_site_mw}"
        return None


class SiteCase(NamedTuple):
    """One MW of new site as a firm prices it at a review (USD per MW unless named).

    A named tuple: a review prices one for most firms, and a tuple is made at a fifth of a
    frozen dataclass's cost.
    """

    margin_pv: float  # the machines' margin over the horizon, from energization, PV today
    machines: float  # newest machines filling the MW, at today's list price
    site: float  # the site's capex, paid now
    npv: float  # margin_pv - machines (at energization) - site (net of its value at the end)
    payback_months: float  # of the machines at today's expected margin (inf if none)

    @property
    def capex(self) -> float:
        """Site and machines, undiscounted: what the hurdle is a share of."""
        return self.site + self.machines


def price_site(
    hashprice_usd_per_ph_day: float,
    years_to_halving: float,
    j_per_th: float,
    usd_per_th: float,
    cost_usd_per_mwh: float,
    rate_per_year: float,
    params: ExpansionParams,
    payback_months: float | None = None,
) -> SiteCase:
    """The value of one MW of new site filled with machines of `j_per_th` at `usd_per_th`.

    The margin runs over months [lead, lead + horizon) of `mining_value_usd_per_mw`'s
    expected hashprice path (decline, halvings); machines are paid at energization. The
    site outlives them: at the horizon's end it is worth its capex again (assumption).
    `payback_months`: the machines' `machines_payback_months` at this cost, if the caller
    has it (the same for every firm of a review round); None: computed here.
    """
    lead_years = params.lead_time_months / 12.0
    end_years = lead_years + params.horizon_years

    margin_pv = mining_value_from_usd_per_mw(
        hashprice_usd_per_ph_day,
        params.hashprice_decline_per_year,
        years_to_halving,
        j_per_th,
        cost_usd_per_mwh,
        rate_per_year,
        lead_years,
        end_years,
    )
    machines = machines_usd_per_mw(usd_per_th, j_per_th)
    site = params.site_capex_usd_per_mw
    npv = (
        margin_pv
        - machines * np.exp(-rate_per_year * lead_years)
        - site * (1.0 - np.exp(-rate_per_year * end_years))
    )
    if payback_months is None:
        payback_months = machines_payback_months(
            hashprice_usd_per_ph_day, j_per_th, usd_per_th, cost_usd_per_mwh
        )
    return SiteCase(margin_pv, machines, site, npv, payback_months)


def machines_usd_per_mw(usd_per_th: float, j_per_th: float) -> float:
    """What the machines filling one MW cost at `usd_per_th`."""
    return usd_per_th * 1e6 / j_per_th


def machines_payback_months(
    hashprice_usd_per_ph_day: float,
    j_per_th: float,
    usd_per_th: float,
    cost_usd_per_mwh: float | np.ndarray,
) -> float | np.ndarray:
    """`payback_months` of machines of `j_per_th` at today's expected margin (inf if none).

    Given an array of power costs, one payback per cost (as the float version, bit for bit).
    """
    margin = margin_usd_per_th_day(hashprice_usd_per_ph_day, j_per_th, cost_usd_per_mwh)
    if np.ndim(margin) == 0:
        return payback_months(usd_per_th, float(margin))
    with np.errstate(divide="ignore", invalid="ignore"):  # where not taken
        return np.where(margin <= 0, np.inf, usd_per_th / (margin * DAYS_PER_MONTH))


def payback_months(usd_per_th: float, margin_usd_per_th_day: float) -> float:
    """Months a machine bought at `usd_per_th` takes to earn its price (inf at no margin)."""
    if margin_usd_per_th_day <= 0:
        return float("inf")
    return usd_per_th / (margin_usd_per_th_day * DAYS_PER_MONTH)


def site_mw_to_build(
    case: SiteCase,
    hurdle: float,
    firm_payback_months: float,
    budget_usd: float,
    loan_to_cost: float,
    params: ExpansionParams,
) -> float:
    """MW a firm starts: 0 unless NPV > hurdle x capex and the machines pay back in time.

    The firm pays the unborrowed share of the site now and keeps the machines' price for
    when it is energized, both out of `budget_usd`; at most `max_site_mw`, and nothing
    below `min_site_mw`.
    """
    if case.npv <= hurdle * case.capex or case.payback_months > firm_payback_months:
        return 0.0
    return affordable_site_mw(budget_usd, (1.0 - loan_to_cost) * case.site + case.machines, params)


def affordable_site_mw(budget_usd: float, cash_usd_per_mw: float, params: ExpansionParams) -> float:
    """MW a budget pays for at `cash_usd_per_mw`: at most `max_site_mw`, 0 below `min_site_mw`."""
    mw = min(params.max_site_mw, max(budget_usd, 0.0) / cash_usd_per_mw)
    return mw if mw >= params.min_site_mw and mw > 0 else 0.0


def can_fund_a_site(budget_usd: float, machines_usd_per_mw: float, params: ExpansionParams) -> bool:
    """Whether a budget pays for the smallest site, borrowing the most a firm may.

    False: `site_mw_to_build` is 0 whatever the site is worth (its cash per MW is no lower).
    """
    cash_usd_per_mw = (1.0 - params.loan_to_cost) * params.site_capex_usd_per_mw
    return affordable_site_mw(budget_usd, cash_usd_per_mw + machines_usd_per_mw, params) > 0


@dataclasses.dataclass(frozen=True)
class Build:
    """A site under construction."""

    firm: int
    region: int
    mw: float
    usd: float  # capex paid
    cost_usd_per_mwh: float  # its indexed power contract's mean price
    due_month: int  # numpy month number; energized at that month's end


@functools.lru_cache(maxsize=16)  # every build of a review round asks on the same date
def closing_month(date: np.datetime64) -> int:
    """The month whose end a review on `date` closes (month ends run on the next step)."""
    return int(np.datetime64(date, "M").astype(int)) - 1


class Pipeline:
    """Every firm's sites under construction, and the MW energized so far."""

    def __init__(self, n_firms: int):
        self.builds: list[Build] = []
        self.usd_by_firm = np.zeros(n_firms)  # capex sunk in sites not yet energized
        self.mw_under_construction = 0.0
        self.mw_energized = 0.0  # new sites since the start (the industry counts them)

    def mw_by_firm(self) -> np.ndarray:
        """MW under construction per firm."""
        mw = np.zeros(len(self.usd_by_firm))
        for b in self.builds:
            mw[b.firm] += b.mw
        return mw

    def add(self, build: Build) -> None:
        """A site enters construction."""
        self.builds.append(build)
        self.usd_by_firm[build.firm] += build.usd
        self.mw_under_construction += build.mw

    def take_due(self, month: int) -> list[Build]:
        """The builds due by the end of `month`, removed from the pipeline."""
        due = [b for b in self.builds if b.due_month <= month]
        self.builds = [b for b in self.builds if b.due_month > month]
        for b in due:
            self.usd_by_firm[b.firm] -= b.usd
        self.mw_under_construction = float(sum(b.mw for b in self.builds))
        return due
