"""The AI-hosting market miners sell into: demand, lease requests, the lease index, defaults.

Each month tenants ask for IT MW open to miners' sites. The demand path is
D_m = D_0 (1 + g)^(m / 12) x exp(s Z_m - s^2 / 2) for month m counted from the month of the
first date, with g switching to the bust growth after `bust_date` and iid monthly
lognormal noise of log sd s (mean 1). A month's demand arrives as a Poisson number of
requests, N_m ~ Poisson(D_m / mu), each of lognormal size with mean mu, so the requested MW
equal D_m in expectation (Wald). A request's tenant type is drawn by demand share; its
price is the lease index x the tenant's premium x lognormal noise of mean 1; its term is
uniform in the tenant's range (whole months); its requirements are those of the GPU era in
force on its date (rack density, liquid cooling, a readiness increment).

Every random draw is made at construction from the generator given, so a month's requests
do not depend on the order or number of calls; only their prices read the lease index at
call time. The model matches requests to sites and passes what was supplied back to
`update_index`, which moves the log index by sensitivity x (demand - supplied) / demand
within [floor, cap] (new non-miner builds cap the price).
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import itertools
import math

import numpy as np

from abm.params import names_problem, param
from abm.units import as_date

MONTHS_PER_YEAR = 12


@dataclasses.dataclass(frozen=True)
class TenantType:
    """A class of AI tenant: its share of demand, price, site standards, credit and terms."""

    name: str = param(doc="tenant type, e.g. 'hyperscaler'")
    demand_share: float = param(lo=0.0, hi=1.0, doc="share of requests from this type")
    price_premium: float = param(
        lo=0.0, lo_open=True, hi=5.0, doc="price paid relative to the lease index (1 = index)"
    )
    min_readiness: float = param(
        lo=0.0, hi=1.0, doc="minimum site readiness (0-1) in the first GPU era"
    )
    default_hazard_per_year: float = param(
        lo=0.0, hi=10.0, doc="tenant default hazard outside shocks, per year"
    )
    term_years_min: float = param(lo=0.0, lo_open=True, hi=50.0, doc="shortest lease, years")
    term_years_max: float = param(lo=0.0, lo_open=True, hi=50.0, doc="longest lease, years")
    escalator_per_year: float = param(
        lo=0.0, hi=0.5, doc="yearly rent escalator, fraction per year"
    )
    noi_margin: float = param(
        lo=0.0, hi=1.0, doc="net operating income / rent for the landlord, fraction"
    )


DEFAULT_TENANTS = (
    # Demand shares and price premiums: assumption. Miners' 2024-25 leases went both to
    # hyperscaler-backed tenants (Cipher-AWS; Fluidstack deals backstopped by Google) and to
    # neoclouds (CoreWeave at Core Scientific and Applied Digital); hyperscalers pay less
    # for their credit and set stricter site standards.
    TenantType(
        name="hyperscaler",
        demand_share=0.6,
        price_premium=0.95,
        min_readiness=0.7,
        default_hazard_per_year=0.005,  # assumption: investment-grade (AA/A) credit
        term_years_min=12.0,  # DESIGN.md section 9: 10-15 year leases; Cipher-AWS 15 years
        term_years_max=15.0,
        escalator_per_year=0.03,  # assumption: 2-3 % escalators usual in data-centre leases
        noi_margin=0.85,  # DESIGN.md section 9: NOI margin 85 %
    ),
    TenantType(
        name="neocloud",
        demand_share=0.4,
        price_premium=1.10,
        min_readiness=0.5,
        default_hazard_per_year=0.06,  # assumption: high-yield (B/BB) credit
        term_years_min=5.0,  # assumption: shorter terms than hyperscalers
        term_years_max=10.0,
        escalator_per_year=0.025,  # assumption
        noi_margin=0.85,  # DESIGN.md section 9: NOI margin 85 %
    ),
)


@dataclasses.dataclass(frozen=True)
class GpuEra:
    """A GPU generation that sets what a site must offer from its start date on."""

    name: str = param(doc="era name, e.g. 'GB200/GB300 NVL72'")
    start_date: dt.date = param(doc="first day new requests carry this era's requirements")
    kw_per_rack: float = param(lo=0.0, lo_open=True, hi=2000.0, doc="rack density, kW per rack")
    liquid_cooling_required: bool = param(doc="requests need direct liquid cooling")
    readiness_increment: float = param(
        lo=0.0, hi=1.0, doc="added to every tenant's minimum readiness (capped at 1)"
    )


# DESIGN.md section 4: about 40 kW per rack for H100-class, 120-140 kW for GB200/GB300
# NVL72, 190-230 kW for Vera Rubin-class; liquid cooling mandatory from NVL72 on.
# Readiness increments: assumption.
DEFAULT_ERAS = (
    # H100 volume shipments through 2023
    GpuEra("H100-class", dt.date(2023, 1, 1), 40.0, False, 0.0),
    # assumption: NVL72 racks shipped in volume from mid-2025
    GpuEra("GB200/GB300 NVL72", dt.date(2025, 6, 1), 130.0, True, 0.1),
    # Vera Rubin in production from CES 2026, deployments 2026-27; assumption: new leases
    # ask for Rubin-class density from 2027
    GpuEra("Vera Rubin-class", dt.date(2027, 1, 1), 210.0, True, 0.2),
)


@dataclasses.dataclass(frozen=True)
class AiDemandParams:
    """AI-hosting demand, tenants, GPU eras, the lease index, non-miner supply, defaults."""

    enabled: bool = param(True, doc="false: no AI demand (no requests, demand 0)")
    # assumption: listed miners signed several GW of AI/HPC leases in 2024-25 (Core
    # Scientific-CoreWeave about 590 MW, IREN, Cipher, TeraWulf, Hut 8, Applied Digital),
    # about 100-250 MW of IT load a month
    demand_mw_per_month: float = param(
        150.0,
        lo=0.0,
        hi=100_000.0,
        doc="IT MW of new requests open to miners' sites per month, at the start",
    )
    # assumption: base case; AI data-centre capex grew faster in 2024-25, a boom sets more
    demand_growth_per_year: float = param(
        0.25, lo=-0.99, hi=10.0, doc="growth of the monthly demand, fraction per year"
    )
    # assumption: lumpy demand, a month's requests often 1.5x or 0.7x the trend
    demand_noise_sd: float = param(
        0.3, lo=0.0, hi=3.0, doc="sd of the iid monthly log noise of demand (mean-1 lognormal)"
    )
    bust_date: dt.date | None = param(
        None, doc="from this date demand grows at bust_growth_per_year; none: no bust"
    )
    # assumption: a bust halves new demand each year
    bust_growth_per_year: float = param(
        -0.5, lo=-0.99, hi=10.0, doc="growth of the monthly demand after bust_date, per year"
    )
    # assumption: miner leases 2024-25 ran from about 10 to a few hundred MW IT per tenant
    # (Cipher-AWS 300 MW, Core Scientific-CoreWeave about 590 MW in several contracts)
    request_mw_mean: float = param(
        50.0, lo=0.0, lo_open=True, hi=10_000.0, doc="mean IT MW of one request"
    )
    request_mw_sigma: float = param(0.7, lo=0.0, hi=3.0, doc="lognormal sigma of a request's size")
    # DESIGN.md section 9: 1.8 M$ per MW IT per year = 1.8e6 / 12 / 1000 USD per kW-month
    lease_index_start_usd_per_kw_month: float = param(
        150.0, lo=0.0, lo_open=True, hi=10_000.0, doc="lease index at the start, USD/kW-month"
    )
    # assumption: 20 % excess demand lifts the index by about 1 % a month
    lease_index_sensitivity: float = param(
        0.05,
        lo=0.0,
        hi=5.0,
        doc="monthly change of the log index per unit of (demand - supplied) / demand",
    )
    # DESIGN.md section 9: low end 1.2 M$/MW-yr
    lease_index_floor_usd_per_kw_month: float = param(
        100.0, lo=0.0, lo_open=True, hi=10_000.0, doc="lowest lease index, USD/kW-month"
    )
    # DESIGN.md section 9: high end 2.1 M$/MW-yr; new non-miner builds cap the price
    lease_index_cap_usd_per_kw_month: float = param(
        175.0, lo=0.0, lo_open=True, hi=10_000.0, doc="highest lease index, USD/kW-month"
    )
    price_noise_sd: float = param(
        0.05, lo=0.0, hi=1.0, doc="lognormal sd (mean 1) of a request's price around its mean"
    )  # assumption: deals differ by a few percent around the index
    # assumption: competing non-miner data-centre capacity delivered to the same tenants
    nonminer_supply_mw_per_month: float = param(
        100.0, lo=0.0, hi=100_000.0, doc="IT MW of non-miner supply per month, at the start"
    )
    # assumption: builders add capacity a bit slower than demand grows in the base case
    nonminer_supply_growth_per_year: float = param(
        0.2, lo=-0.99, hi=10.0, doc="growth of non-miner supply, fraction per year"
    )
    default_shock_date: dt.date | None = param(
        None, doc="start of a window of correlated tenant defaults; none: no shock"
    )
    # assumption: a credit event lasting a year
    default_shock_months: int = param(
        12, lo=1, hi=600, doc="length of the default shock window, months"
    )
    # assumption: hazards five times higher during the shock (ai_bust)
    default_shock_multiplier: float = param(
        5.0, lo=1.0, hi=1000.0, doc="multiplier of every tenant's hazard during the shock"
    )
    tenants: tuple[TenantType, ...] = param(
        DEFAULT_TENANTS, doc="tenant types; names unique, demand shares summing to 1"
    )
    eras: tuple[GpuEra, ...] = param(
        DEFAULT_ERAS, doc="GPU eras; names unique, start dates increasing"
    )

    def check(self) -> str | None:
        """Tenant shares sum to 1, terms ordered, eras sorted, index start within its bounds."""
        problem = names_problem("tenants", "tenant type", [t.name for t in self.tenants])
        if problem:
            return problem
        total = math.fsum(t.demand_share for t in self.tenants)
        if abs(total - 1.0) > 1e-9:
            return f"tenants demand_share values must sum to 1; they sum to {total:g}"
        for t in self.tenants:
            if t.term_years_max < t.term_years_min:
                return (
                    f"tenants {t.name}: term_years_max = {t.term_years_max} is below "
                    f"term_years_min = {t.term_years_min}"
                )
        problem = names_problem("eras", "GPU era", [e.name for e in self.eras])
        if problem:
            return problem
        for before, after in itertools.pairwise(self.eras):
            if after.start_date <= before.start_date:
                return (
                    f"eras start_date must increase; {after.name} ({after.start_date}) "
                    f"follows {before.name} ({before.start_date})"
                )
        floor = self.lease_index_floor_usd_per_kw_month
        cap = self.lease_index_cap_usd_per_kw_month
        start = self.lease_index_start_usd_per_kw_month
        if not floor <= cap:
            return (
                f"lease_index_floor_usd_per_kw_month = {floor} is above "
                f"lease_index_cap_usd_per_kw_month = {cap}"
            )
        if not floor <= start <= cap:
            return (
                f"lease_index_start_usd_per_kw_month = {start} is outside "
                f"[floor, cap] = [{floor}, {cap}]"
            )
        return None


@dataclasses.dataclass(frozen=True)
class LeaseRequest:
    """One tenant's request for IT MW, as offered to miners' sites in its month."""

    request_id: int  # unique over the run, increasing with the month
    tenant: int  # index into AiDemandParams.tenants
    mw_it: float  # IT load asked for, MW
    term_months: int  # lease length from the start of rent, months
    price_usd_per_kw_month: float  # rent offered at signing, USD per kW IT per month
    escalator_per_year: float  # yearly rent escalator, fraction
    noi_margin: float  # landlord's net operating income / rent
    min_readiness: float  # tenant base + era increment at the request's date, at most 1
    liquid_required: bool  # the era in force needs direct liquid cooling


def month_number(date: dt.date | np.datetime64) -> int:
    """Months since January 1970 (0 = 1970-01) of a date."""
    day = as_date(date)
    return (day.year - 1970) * MONTHS_PER_YEAR + day.month - 1


def add_months(date: dt.date, months: int) -> dt.date:
    """The same day `months` later, moved back to the month's last day where needed."""
    total = date.year * MONTHS_PER_YEAR + date.month - 1 + months
    year, month0 = divmod(total, MONTHS_PER_YEAR)
    day = date.day
    while True:
        try:
            return dt.date(year, month0 + 1, day)
        except ValueError:
            day -= 1


def demand_trend_mw(params: AiDemandParams, months: np.ndarray, bust_month: float) -> np.ndarray:
    """Noise-free demand at month indices `months` (0 = the first month of the run).

    D_0 (1 + g)^(min(m, b) / 12) (1 + g_bust)^(max(m - b, 0) / 12), with b the bust month
    (infinite without a bust): growth switches at the bust month, with no jump in level.
    """
    m = np.asarray(months, dtype=float)
    before = np.minimum(m, bust_month)
    after = m - before
    log_growth = before / MONTHS_PER_YEAR * math.log1p(params.demand_growth_per_year)
    log_growth = log_growth + after / MONTHS_PER_YEAR * math.log1p(params.bust_growth_per_year)
    return params.demand_mw_per_month * np.exp(log_growth)


class AiMarket:
    """Monthly AI-hosting demand, lease requests, the lease index and tenant default risk.

    Args:
        params: market parameters (checked here too).
        dates: the run's dates, one datetime64[D] per step; month 0 is the first date's
            month and the market spans every month up to the last date's.
        rng: the market's own random stream; all draws are made here, at construction.

    Raises:
        ValueError: if the parameters are inconsistent or `dates` is empty.
    """

    def __init__(self, params: AiDemandParams, dates: np.ndarray, rng: np.random.Generator) -> None:
        problem = params.check()
        if problem:
            raise ValueError(problem)
        days = np.asarray(dates, dtype="datetime64[D]")
        if days.ndim != 1 or days.size == 0:
            raise ValueError("dates must be a non-empty 1-D array of days (datetime64[D])")
        self.params = params
        self.first_month = month_number(days[0])
        self.n_months = month_number(days[-1]) - self.first_month + 1
        self._era_starts = [e.start_date for e in params.eras]
        months = np.arange(self.n_months)
        bust = math.inf
        if params.bust_date is not None:
            bust = max(0, month_number(params.bust_date) - self.first_month)
        self.demand_trend_mw = demand_trend_mw(params, months, bust)
        s = params.demand_noise_sd
        noise = np.exp(s * rng.standard_normal(self.n_months) - 0.5 * s * s)
        self.demand_path_mw = self.demand_trend_mw * noise if params.enabled else 0.0 * noise
        growth = math.log1p(params.nonminer_supply_growth_per_year) / MONTHS_PER_YEAR
        self.nonminer_path_mw = params.nonminer_supply_mw_per_month * np.exp(growth * months)
        self._draw_requests(rng)
        self._log_index = math.log(params.lease_index_start_usd_per_kw_month)
        self._log_floor = math.log(params.lease_index_floor_usd_per_kw_month)
        self._log_cap = math.log(params.lease_index_cap_usd_per_kw_month)

    def _draw_requests(self, rng: np.random.Generator) -> None:
        """Every month's requests (sizes, tenants, price noise, terms), all at once."""
        p = self.params
        counts = rng.poisson(self.demand_path_mw / p.request_mw_mean)
        self._offsets = np.concatenate(([0], np.cumsum(counts)))
        n = int(self._offsets[-1])
        sigma = p.request_mw_sigma
        # lognormal with mean request_mw_mean: mu = ln(mean) - sigma^2 / 2
        mu = math.log(p.request_mw_mean) - 0.5 * sigma * sigma
        self._mw_it = np.exp(mu + sigma * rng.standard_normal(n))
        shares = np.array([t.demand_share for t in p.tenants])
        cumulative = np.cumsum(shares)
        cumulative[-1] = 1.0
        self._tenant = np.searchsorted(cumulative, rng.random(n), side="right")
        s = p.price_noise_sd
        self._price_factor = np.exp(s * rng.standard_normal(n) - 0.5 * s * s)
        lo = np.array([round(t.term_years_min * MONTHS_PER_YEAR) for t in p.tenants])
        hi = np.array([round(t.term_years_max * MONTHS_PER_YEAR) for t in p.tenants])
        lo, hi = np.maximum(lo, 1)[self._tenant], np.maximum(hi, 1)[self._tenant]
        self._term_months = lo + np.floor(rng.random(n) * (hi - lo + 1)).astype(np.int64)

    def month_index(self, date: dt.date | np.datetime64) -> int:
        """Month index of `date` in this run (0 = the first date's month)."""
        return month_number(date) - self.first_month

    def demand_mw(self, month: int | np.ndarray) -> float | np.ndarray:
        """IT MW of new requests in month `month` (or an array of months), noise included."""
        if np.ndim(month) == 0:
            return float(self.demand_path_mw[self._checked(int(month))])
        return self.demand_path_mw[np.asarray(month)]

    def nonminer_supply_mw(self, month: int) -> float:
        """IT MW of non-miner data-centre capacity competing for tenants in month `month`."""
        return float(self.nonminer_path_mw[self._checked(month)])

    def _checked(self, month: int) -> int:
        if not 0 <= month < self.n_months:
            raise IndexError(f"month {month} is outside the run's {self.n_months} months")
        return month

    def requests(self, month: int, date: dt.date | np.datetime64) -> list[LeaseRequest]:
        """This month's lease requests, priced at the current lease index.

        The number of requests is Poisson(demand / request_mw_mean) and each size is
        lognormal with mean request_mw_mean, so the MW requested equal the month's demand in
        expectation. Calling twice gives the same requests (same prices if the index has
        not moved).

        Args:
            month: month index (0 = the first date's month).
            date: the day the requests are made; its GPU era sets the requirements.

        Raises:
            IndexError: if `month` is outside the run.
            ValueError: if `date` is not in month `month`.
        """
        self._checked(month)
        if self.month_index(date) != month:
            raise ValueError(f"date {as_date(date)} is not in month {month} of the run")
        tenants = self.params.tenants
        era = self.era(date)
        index = self.lease_index_usd_per_kw_month
        start, stop = int(self._offsets[month]), int(self._offsets[month + 1])
        out = []
        for i in range(start, stop):
            tenant = tenants[int(self._tenant[i])]
            out.append(
                LeaseRequest(
                    request_id=i,
                    tenant=int(self._tenant[i]),
                    mw_it=float(self._mw_it[i]),
                    term_months=int(self._term_months[i]),
                    price_usd_per_kw_month=float(
                        index * tenant.price_premium * self._price_factor[i]
                    ),
                    escalator_per_year=tenant.escalator_per_year,
                    noi_margin=tenant.noi_margin,
                    min_readiness=min(1.0, tenant.min_readiness + era.readiness_increment),
                    liquid_required=era.liquid_cooling_required,
                )
            )
        return out

    @property
    def lease_index_usd_per_kw_month(self) -> float:
        """Current lease index, USD per kW IT per month."""
        return math.exp(self._log_index)

    def update_index(self, demand_mw: float, supplied_mw: float) -> float:
        """Move the index by this month's excess demand; returns the new index.

        log index += sensitivity x (demand - supplied) / demand, then clipped to
        [floor, cap]. With no demand, any supply counts as an excess ratio of -1 (no supply:
        no change). `supplied_mw` is what miners and non-miners delivered or signed.
        """
        if demand_mw > 0.0:
            excess = (demand_mw - supplied_mw) / demand_mw
        else:
            excess = -1.0 if supplied_mw > 0.0 else 0.0
        log_index = self._log_index + self.params.lease_index_sensitivity * excess
        self._log_index = min(max(log_index, self._log_floor), self._log_cap)
        return self.lease_index_usd_per_kw_month

    def era(self, date: dt.date | np.datetime64) -> GpuEra:
        """The GPU era in force on `date` (the first era for dates before it)."""
        k = bisect.bisect_right(self._era_starts, as_date(date)) - 1
        return self.params.eras[max(k, 0)]

    def requirements(self, date: dt.date | np.datetime64) -> tuple[float, bool, float]:
        """(readiness_increment, liquid_required, kw_per_rack) of the era in force on `date`."""
        era = self.era(date)
        return era.readiness_increment, era.liquid_cooling_required, era.kw_per_rack

    def in_default_shock(self, date: dt.date | np.datetime64) -> bool:
        """Whether `date` falls in [default_shock_date, + default_shock_months)."""
        p = self.params
        if p.default_shock_date is None:
            return False
        end = add_months(p.default_shock_date, p.default_shock_months)
        return p.default_shock_date <= as_date(date) < end

    def default_probabilities(self, date: dt.date | np.datetime64) -> np.ndarray:
        """Monthly default probability of each tenant type on `date` (see default_probability)."""
        hazard = np.array([t.default_hazard_per_year for t in self.params.tenants])
        if self.in_default_shock(date):
            hazard = hazard * self.params.default_shock_multiplier
        return -np.expm1(-hazard / MONTHS_PER_YEAR)

    def default_probability(self, tenant: int, date: dt.date | np.datetime64) -> float:
        """Probability that a tenant of type `tenant` defaults within the month of `date`.

        1 - exp(-h / 12) for the annual hazard h; inside the default shock window the
        hazard is multiplied by default_shock_multiplier, which keeps the probability
        below 1 (about multiplier x the normal probability while that is small).
        """
        h = self.params.tenants[tenant].default_hazard_per_year
        if self.in_default_shock(date):
            h *= self.params.default_shock_multiplier
        return -math.expm1(-h / MONTHS_PER_YEAR)
