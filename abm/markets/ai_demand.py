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
call time.

Non-miner data centres compete for the same tenants (`NonminerSupply`). Each month builders
start IT MW S_m = N_0 (1 + g)^((m + lead) / 12) (I_m / I_be)^e from the lease index I_m they
see, against the index I_be at which a new build earns its required yield; what starts in
month m is energized in month m + lead (the time to power) and waits in an inventory until
tenants take it. The model matches requests to miners' sites and the inventory, then passes the MW
that were available to `update_index`, which moves the log index by sensitivity x (demand -
available) / expected demand (at most one sensitivity a month) within [floor, cap].
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
    # assumption: excess demand of 20 % of a month's expected demand lifts the index 1 %
    lease_index_sensitivity: float = param(
        0.05,
        lo=0.0,
        hi=5.0,
        doc="monthly change of the log index per (demand - available) / expected demand",
    )
    # DESIGN.md section 9: low end 1.2 M$/MW-yr (Cipher-AWS 102, Riot-AMD 104 USD/kW-month)
    lease_index_floor_usd_per_kw_month: float = param(
        100.0, lo=0.0, lo_open=True, hi=10_000.0, doc="lowest lease index, USD/kW-month"
    )
    # calibration.md section 4: CBRE's 2025 North American primary-market asking rate,
    # 194.95 USD/kW-month [P], above the highest miner lease (Cipher-Fluidstack 177)
    lease_index_cap_usd_per_kw_month: float = param(
        195.0, lo=0.0, lo_open=True, hi=10_000.0, doc="highest lease index, USD/kW-month"
    )
    price_noise_sd: float = param(
        0.05, lo=0.0, hi=1.0, doc="lognormal sd (mean 1) of a request's price around its mean"
    )  # assumption: deals differ by a few percent around the index
    # assumption: competing non-miner capacity energized for the same tenants in 2026, from
    # builds started before the start
    nonminer_supply_mw_per_month: float = param(
        100.0,
        lo=0.0,
        hi=100_000.0,
        doc="IT MW of non-miner builds energized per month at the start, at the breakeven index",
    )
    # assumption: builders add capacity a bit slower than demand grows in the base case
    nonminer_supply_growth_per_year: float = param(
        0.2, lo=-0.99, hi=10.0, doc="trend growth of non-miner builds, fraction per year"
    )
    # calibration.md section 4: full liquid-cooled builds 8-10 (TeraWulf), 9-11 (Cipher) M$/MW IT
    nonminer_build_cost_usd_per_mw_it: float = param(
        10.0e6, lo=0.0, lo_open=True, hi=1e9, doc="capex of a new non-miner build, USD per MW IT"
    )
    # assumption: NOI of about 1.5 M$/MW-yr on 10 M$/MW IT in 2025 leases (calibration.md
    # section 4: 1.8 M$/MW-yr at 85 % NOI); breakeven 10e6 x 0.15 / 0.85 = 147 USD/kW-month
    nonminer_required_yield_per_year: float = param(
        0.15, lo=0.0, lo_open=True, hi=1.0, doc="NOI / build cost a new build must earn, per year"
    )
    # assumption: starts rise 2 % for each 1 % the index stands above breakeven
    nonminer_supply_elasticity: float = param(
        2.0, lo=0.0, hi=20.0, doc="elasticity of non-miner starts to index / breakeven index"
    )
    # calibration.md section 5: large loads wait 3-7 years for interconnection (Dominion
    # 4-7); VanEck: greenfield 4+ years; about 50 months to secure 1 GW (issue 11)
    nonminer_lead_months: int = param(
        48, lo=1, hi=240, doc="months from a non-miner start to its energized MW (time to power)"
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


def nonminer_breakeven_usd_per_kw_month(params: AiDemandParams) -> float:
    """Lease index at which a new non-miner build earns its required yield.

    Rent x NOI margin = build cost x required yield, so I_be = C y / margin, per kW-month;
    the margin is the demand-weighted mean of the tenants'.
    """
    margin = math.fsum(t.demand_share * t.noi_margin for t in params.tenants)
    usd_per_mw_year = params.nonminer_build_cost_usd_per_mw_it * (
        params.nonminer_required_yield_per_year / margin
    )
    return usd_per_mw_year / MONTHS_PER_YEAR / 1000.0


def nonminer_starts_mw(
    params: AiDemandParams, months: np.ndarray, index_usd_per_kw_month: float
) -> np.ndarray:
    """IT MW non-miner builders start in months `months` at a lease index.

    S_m = N_0 (1 + g)^((m + lead) / 12) (I / I_be)^e: the trend of what is energized in the
    month the build will be (N_0 at the start), scaled by how far the index stands above or
    below the breakeven of a new build (elasticity e).
    """
    m = np.asarray(months, dtype=float) + params.nonminer_lead_months
    trend = np.exp(m / MONTHS_PER_YEAR * math.log1p(params.nonminer_supply_growth_per_year))
    ratio = index_usd_per_kw_month / nonminer_breakeven_usd_per_kw_month(params)
    return params.nonminer_supply_mw_per_month * trend * ratio**params.nonminer_supply_elasticity


class NonminerSupply:
    """Non-miner data centres: builds, their time to power, and MW waiting for tenants.

    Builders start MW from the lease index; they are energized `lead` months later and
    wait in an inventory until tenants lease them. The builds under way at the start
    (deliveries in months 0 to lead - 1) are assumed to have started at the start index,
    month by month on the same trend (none if AI is disabled); no non-miner MW stand
    vacant at the start (CBRE: primary-market vacancy 1.4-1.9 % in 2024-25).

    Args:
        params: market parameters.
        n_months: months in the run.
        start_index_usd_per_kw_month: the lease index the pre-start builds responded to.
    """

    def __init__(
        self, params: AiDemandParams, n_months: int, start_index_usd_per_kw_month: float
    ) -> None:
        self.params = params
        self.lead_months = lead = params.nonminer_lead_months
        # by delivery month: the MW started lead months earlier (negative start months first)
        self.starts_mw = np.zeros(n_months + lead)
        if params.enabled:
            before = np.arange(-lead, 0)
            self.starts_mw[:lead] = nonminer_starts_mw(params, before, start_index_usd_per_kw_month)
        self.inventory_mw = 0.0  # energized, unleased
        self.delivered_mw = 0.0  # energized in the last month delivered
        self.month = -1  # the last month delivered
        self._count_pipeline()

    def deliver(self, month: int) -> float:
        """The MW started `lead` months before `month` are energized and join the inventory.

        Raises:
            ValueError: if `month` is not the month after the last one delivered.
        """
        if month != self.month + 1:
            raise ValueError(f"month {month} delivered after month {self.month}")
        self.month = month
        self.delivered_mw = float(self.starts_mw[month])
        self.inventory_mw += self.delivered_mw
        self._count_pipeline()
        return self.delivered_mw

    def take(self, mw: float) -> None:
        """A tenant leases `mw` of the inventory."""
        if not 0.0 <= mw <= self.inventory_mw:
            raise ValueError(f"cannot lease {mw} MW of a {self.inventory_mw} MW inventory")
        self.inventory_mw -= mw

    def start(self, index_usd_per_kw_month: float) -> float:
        """Builders start this month's MW at the index they see; returns them.

        Raises:
            ValueError: before month 0 is delivered (the builds under way are set).
        """
        if self.month < 0:
            raise ValueError("deliver month 0 before starting builds")
        started = float(nonminer_starts_mw(self.params, self.month, index_usd_per_kw_month))
        self.starts_mw[self.month + self.lead_months] = started
        self._count_pipeline()
        return started

    def _count_pipeline(self) -> None:
        """`pipeline_mw`: MW started and not yet energized (after this month's starts).

        Counted when deliveries or starts change it; the model records it every day.
        """
        pending = self.starts_mw[self.month + 1 : self.month + self.lead_months + 1]
        self.pipeline_mw = float(pending.sum())


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
        self.nonminer = NonminerSupply(
            params, self.n_months, params.lease_index_start_usd_per_kw_month
        )
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
        drawn = zip(  # the month's draws as Python numbers (numpy scalars cost more)
            range(start, stop),
            self._tenant[start:stop].tolist(),
            self._mw_it[start:stop].tolist(),
            self._term_months[start:stop].tolist(),
            self._price_factor[start:stop].tolist(),
            strict=True,
        )
        out = []
        for i, t, mw_it, term_months, price_factor in drawn:
            tenant = tenants[t]
            out.append(
                LeaseRequest(
                    request_id=i,
                    tenant=t,
                    mw_it=mw_it,
                    term_months=term_months,
                    price_usd_per_kw_month=index * tenant.price_premium * price_factor,
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

    def update_index(self, month: int, demand_mw: float, available_mw: float) -> float:
        """Move the index by month `month`'s excess demand; returns the new index.

        log index += sensitivity x x, x = (demand - available) / expected demand clipped to
        [-1, 1], then the index is clipped to [floor, cap]. Linear in demand, so lumpy
        months move it by their mean; at most one sensitivity a month. `available_mw` is
        what tenants could lease: miners' offered IT MW and the non-miner inventory.
        """
        expected = float(self.demand_trend_mw[self._checked(month)])
        if expected > 0.0:
            excess = min(max((demand_mw - available_mw) / expected, -1.0), 1.0)
        else:
            excess = float(np.sign(demand_mw - available_mw))
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
