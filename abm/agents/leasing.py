"""AI hosting on miners' sites: conversion costs and times, leases, rent, and the contract graph.

A site that wins a tenant's request stops mining and converts (capex and lead time depend
on its readiness, with random overruns); once ready, the tenant pays monthly rent with an
escalator until the term ends or the tenant defaults. Leases are edges of a networkx
bipartite graph between firms and tenants, kept by the `LeaseBook`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
import math

import networkx as nx
import numpy as np

from abm.params import param

KW_PER_MW = 1000.0
_sum = np.add.reduce  # `.sum()` without the method's wrapper (a lease is valued monthly)


class LeaseStatus(enum.StrEnum):
    """Where a lease stands; active leases are converting or in service."""

    CONVERTING = "converting"
    IN_SERVICE = "in_service"
    ENDED = "ended"
    DEFAULTED = "defaulted"
    TERMINATED = "terminated"  # its site was sold off with no buyer


@dataclasses.dataclass(frozen=True)
class ConversionParams:
    """What it takes to turn a mining site into an AI data centre, and back."""

    it_ratio: float = param(0.72, lo=0.1, hi=1.0, doc="IT MW per gross MW (DESIGN 9: 0.72)")
    full_capex_usd_per_mw_it: float = param(
        9.0e6, lo=0.0, doc="full build, USD per MW IT (DESIGN 9: 9 (8-11) M$)"
    )
    light_capex_usd_per_mw_it: float = param(
        3.6e6, lo=0.0, doc="light retrofit of a ready site, USD per MW IT (DESIGN 9: 3.6 (3-5) M$)"
    )
    full_lead_months: float = param(
        15.0, lo=1.0, doc="months to first AI MW, full building (DESIGN 9: 15 (12-24))"
    )
    light_lead_months: float = param(
        8.0, lo=1.0, doc="months to first AI MW, energized ready site (DESIGN 9: 8 (4-12))"
    )
    liquid_retrofit_usd_per_mw_it: float = param(
        1.0e6, lo=0.0, doc="extra capex where liquid cooling is required and absent (assumption)"
    )
    overrun_sigma: float = param(
        0.25, lo=0.0, hi=2.0, doc="lognormal sigma of capex and time overruns (assumption)"
    )
    project_loan_to_cost: float = param(
        0.80, lo=0.0, hi=0.95, doc="project debt once a lease is signed (DESIGN 9: 80-85 %)"
    )
    project_debt_rate: float = param(
        0.07, lo=0.0, hi=0.3, doc="per year (DESIGN 9: 7 (6-8) %; TeraWulf 7.75, Cipher 7.125)"
    )
    ai_team_usd_per_year: float = param(
        5.0e6, lo=0.0, doc="G&A of an AI sales and delivery team, needed to bid (assumption)"
    )
    readiness_upgrade_usd_per_mw: float = param(
        0.3e6, lo=0.0, doc="investing ahead: cooling and electrical per gross MW (assumption)"
    )
    readiness_upgrade_step: float = param(
        0.2, lo=0.0, hi=1.0, doc="readiness gained by investing ahead (assumption)"
    )
    return_to_mining_usd_per_mw: float = param(
        0.15e6, lo=0.0, doc="capex to bring an AI site back to mining, per gross MW (assumption)"
    )
    return_to_mining_months: float = param(3.0, lo=0.0, doc="months to return to mining")
    relet_months: float = param(
        2.0, lo=0.0, doc="months to ready a vacant AI site for a new tenant"
    )
    lease_discount_rate: float = param(
        0.08, lo=0.0, hi=1.0, doc="rate at which signed leases are valued in net worth (assumption)"
    )
    nonminer_readiness: float = param(
        0.85, lo=0.0, hi=1.0, doc="score of the competing non-miner offer (assumption)"
    )
    firm_power_score_bonus: float = param(
        0.1, lo=0.0, hi=1.0, doc="score tenants add for contracted firm power (a PPA) (assumption)"
    )
    site_shortfall_weight: float = param(
        0.2,
        lo=0.0,
        hi=1.0,
        doc="score tenants take off per unit of AI suitability below 1 (assumption)",
    )
    track_record_weight: float = param(
        0.15, lo=0.0, doc="score added per log(1 + MW delivered on time / scale) (assumption)"
    )
    track_record_scale_mw: float = param(
        100.0, lo=0.0, lo_open=True, doc="MW delivered on time that earn log(2) x weight"
    )
    on_time_grace_months: int = param(
        3, lo=0, hi=24, doc="months after the promised date a delivery still counts as on time"
    )  # assumption: tenants judge delivery by the quarter; overruns are one-sided, so with
    # no grace nearly every conversion is late and the track record never grows
    liquid_retrofit_months: float = param(
        2.0, lo=0.0, doc="extra months where liquid cooling is required and absent (assumption)"
    )


@dataclasses.dataclass(frozen=True)
class StartLeaseParams:
    """An AI lease a named firm signed before the run starts, on a site built for it.

    Its capex was spent before the start, financed by project debt at the scenario's
    loan-to-cost; it is in service from the start if `ready_date` is before it.
    """

    tenant: str = param(doc="tenant type: one of the [ai] tenants' names")
    mw_it: float = param(lo=0.0, lo_open=True, doc="MW of critical IT load leased")
    price_usd_per_kw_month: float = param(lo=0.0, lo_open=True, doc="rent at signing")
    ready_date: dt.date = param(doc="first month the leased MW serve the tenant")
    term_years: float = param(12.0, lo=1.0, hi=30.0, doc="lease term, years")
    escalator_per_year: float = param(0.0, lo=0.0, hi=0.2, doc="yearly rent escalator")
    noi_margin: float = param(0.85, lo=0.0, hi=1.0, doc="net operating income over rent")
    capex_usd_per_mw_it: float = param(9.0e6, lo=0.0, doc="conversion capex per MW IT")
    source: str = param("", doc="where these numbers come from")


def conversion_capex_usd_per_mw_it(
    readiness: float, liquid_missing: bool, p: ConversionParams
) -> float:
    """Expected capex per MW IT: from full build (readiness 0) to light retrofit (1)."""
    base = p.full_capex_usd_per_mw_it + readiness * (
        p.light_capex_usd_per_mw_it - p.full_capex_usd_per_mw_it
    )
    return base + (p.liquid_retrofit_usd_per_mw_it if liquid_missing else 0.0)


def upgrade_steps(score: float, readiness: float, required: float, p: ConversionParams) -> int:
    """Readiness upgrades a site needs before its score meets what tenants require."""
    if score >= required or p.readiness_upgrade_step <= 0:
        return 0
    needed = math.ceil((required - score) / p.readiness_upgrade_step - 1e-9)
    possible = math.ceil((1.0 - readiness) / p.readiness_upgrade_step - 1e-9)
    return max(min(needed, possible), 0)


def conversion_lead_months(readiness: float, p: ConversionParams) -> float:
    """Expected months to first AI MW, from a full build to an energized ready site."""
    return p.full_lead_months + readiness * (p.light_lead_months - p.full_lead_months)


@dataclasses.dataclass
class Lease:
    """One tenant's lease of one site's IT MW."""

    lease_id: int
    firm: int
    site: int
    tenant: int  # tenant type index
    mw_it: float
    price_usd_per_kw_month: float
    escalator_per_year: float
    noi_margin: float
    term_months: int
    signed_month: int
    promised_month: int  # ready date the tenant was promised (no overrun)
    ready_month: int  # when the site is actually ready (with overrun)
    capex_usd: float = 0.0  # conversion capex actually spent
    months_paid: int = 0
    status: LeaseStatus = LeaseStatus.CONVERTING

    def remaining_noi_value_usd(
        self, rate_per_year: float, hazard_per_year: float = 0.0, months_to_rent: int = 0
    ) -> float:
        """Expected PV of the NOI still to come, at `rate_per_year` (continuous).

        Rent starts in `months_to_rent` (a conversion still under way); each month's NOI
        is paid only if the tenant has not defaulted by then (constant hazard), so it is
        discounted at rate + hazard.
        """
        discount = _discount_by_month(
            rate_per_year + hazard_per_year, months_to_rent, self.term_months
        )
        paid = self.months_paid
        return float(_sum(self._noi_usd_by_month[paid:] * discount[: self.term_months - paid]))

    @property
    def months_left(self) -> int:
        """Months of rent still to be paid."""
        return self.term_months - self.months_paid

    @functools.cached_property
    def _noi_usd_by_month(self) -> np.ndarray:
        """NOI of each month of the term: rent with its escalator times the NOI margin.

        Fixed at signing (price, escalator, margin and term never change), so a monthly
        revaluation only discounts it.
        """
        months = np.arange(self.term_months)
        rent = (
            self.mw_it
            * KW_PER_MW
            * self.price_usd_per_kw_month
            * (1.0 + self.escalator_per_year) ** (months // 12)
        )
        return rent * self.noi_margin

    def rent_usd(self) -> float:
        """This month's rent: MW x 1000 kW x price x (1 + escalator) ** whole years served."""
        years = self.months_paid // 12
        return (
            self.mw_it
            * KW_PER_MW
            * self.price_usd_per_kw_month
            * (1.0 + self.escalator_per_year) ** years
        )


class LeaseBook:
    """All leases of a run and the miner-tenant contract graph (bipartite)."""

    def __init__(self) -> None:
        self.leases: list[Lease] = []
        self.graph = nx.Graph()

    def sign(self, lease: Lease, tenant_name: str) -> None:
        """Record a new lease as an edge firm -- tenant."""
        self.leases.append(lease)
        firm, tenant = ("firm", lease.firm), ("tenant", tenant_name)
        self.graph.add_node(firm, bipartite=0)
        self.graph.add_node(tenant, bipartite=1)
        self.graph.add_edge(firm, tenant, lease_id=lease.lease_id, mw_it=lease.mw_it)

    def transfer(self, lease: Lease, firm: int) -> None:
        """A lease changes landlord (its site was sold): move its graph edge too."""
        tenant = next(
            n
            for n in self.graph[("firm", lease.firm)]
            if self.graph.edges[("firm", lease.firm), n]["lease_id"] == lease.lease_id
        )
        self.graph.remove_edge(("firm", lease.firm), tenant)
        self.graph.add_node(("firm", firm), bipartite=0)
        self.graph.add_edge(("firm", firm), tenant, lease_id=lease.lease_id, mw_it=lease.mw_it)
        lease.firm = firm

    def active(self) -> list[Lease]:
        """Leases converting or in service."""
        active = (LeaseStatus.CONVERTING, LeaseStatus.IN_SERVICE)
        return [lease for lease in self.leases if lease.status in active]

    def next_id(self) -> int:
        """Id for the next lease."""
        return len(self.leases)


@functools.lru_cache(maxsize=2048)  # rates x waits x terms of a run; at most 5 MB
def _discount_by_month(rate_per_year: float, months_to_rent: int, months: int) -> np.ndarray:
    """Mid-month discount factors of `months` months of rent starting in `months_to_rent`.

    Shared by every lease valued at the same rate, wait and term (read only).
    """
    wait = (np.arange(months) + months_to_rent + 0.5) / 12.0
    discount = np.exp(-rate_per_year * wait)
    discount.flags.writeable = False
    return discount


def overrun(rng: np.random.Generator, sigma: float) -> float:
    """A multiplicative overrun >= 1 (lognormal, one-sided: projects rarely finish early)."""
    return math.exp(abs(rng.normal(0.0, sigma)))
