"""The mining industry at the start: firm groups drawn from distributions, or firms by name.

Groups (listed miners, private and regional blocs) share out the starting network hashrate;
each firm gets sites (region, power contract, cooling, AI readiness, fiber distance, water),
a fleet by ASIC generation, a treasury, and debt tranches sized from a drawn leverage. No
firm is labelled winner or loser: outcomes are read off the run.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt

import numpy as np

from abm.agents.finance import DebtTranche, FinanceParams, credit_spread
from abm.agents.fleet import Cooling
from abm.agents.leasing import StartLeaseParams
from abm.markets.economics import Contract
from abm.params import param
from abm.units import DAYS_PER_MONTH

CONTRACTS = ("fixed_ppa", "indexed", "spot")
COOLINGS = ("air", "hydro", "immersion", "liquid_ready")


def _check_range(name: str, bounds: tuple[float, float]) -> str | None:
    if len(bounds) != 2 or bounds[0] > bounds[1]:
        return f"{name} needs two numbers, low <= high; got {list(bounds)}"
    return None


@dataclasses.dataclass(frozen=True)
class DrawParams:
    """How drawn firms scatter around their group's means (assumptions, no public source).

    Multipliers are uniform on [low, high]; every number here is a modelling assumption
    whose effect is reported by sensitivity runs, not a calibrated fact.
    """

    readiness_by_cooling: tuple[float, ...] = param(
        (0.25, 0.45, 0.55, 0.8),
        lo=0.0,
        hi=1.0,
        doc="mean AI readiness of a site with air, hydro, immersion, liquid-ready cooling",
    )
    readiness_sd: float = param(0.1, lo=0.0, hi=1.0, doc="sd of a site's readiness around that")
    site_split_concentration: float = param(
        4.0, lo=0.0, lo_open=True, doc="Dirichlet concentration of a firm's TH over its sites"
    )
    ppa_price_floor_usd_per_mwh: float = param(10.0, lo=0.0, doc="lowest drawn PPA price")
    ppa_years_left_min: float = param(0.25, lo=0.0, doc="shortest remaining PPA term, years")
    spot_markup_multiplier: tuple[float, ...] = param(
        (0.5, 1.5), lo=0.0, doc="range of a site's multiplier on its group's spot markup"
    )
    cash_months_multiplier: tuple[float, ...] = param(
        (0.5, 1.5), lo=0.0, doc="range of a firm's multiplier on its group's cash months"
    )
    treasury_multiplier: tuple[float, ...] = param(
        (0.0, 2.0), lo=0.0, doc="range of a firm's multiplier on its group's BTC per EH/s"
    )
    payback_multiplier: tuple[float, ...] = param(
        (0.7, 1.3), lo=0.0, doc="range of a firm's multiplier on its group's payback months"
    )
    btc_sell_share_sd: float = param(0.1, lo=0.0, hi=1.0, doc="sd of a firm's BTC sell share")
    leverage_max: float = param(0.9, lo=0.0, hi=1.0, doc="highest drawn debt / assets")
    tranches_max: int = param(3, lo=1, hi=20, doc="most debt tranches a drawn firm has")
    tranche_split_concentration: float = param(
        3.0, lo=0.0, lo_open=True, doc="Dirichlet concentration of debt over its tranches"
    )
    tranche_months_min: int = param(3, lo=1, hi=120, doc="earliest maturity of a tranche, months")
    ai_optimism_sd: float = param(
        0.2, lo=0.0, hi=1.0, doc="sd across firms of the belief that they can win AI leases"
    )

    def check(self) -> str | None:
        """Four readiness means; multiplier ranges are (low, high)."""
        if len(self.readiness_by_cooling) != len(COOLINGS):
            return f"readiness_by_cooling needs {len(COOLINGS)} values, one per {COOLINGS}"
        for name in ("spot_markup", "cash_months", "treasury", "payback"):
            problem = _check_range(f"{name}_multiplier", getattr(self, f"{name}_multiplier"))
            if problem:
                return problem
        return None


@dataclasses.dataclass(frozen=True)
class GroupParams:
    """A class of firms whose attributes are drawn from the distributions below."""

    name: str = param(doc="group label, e.g. listed or private")
    listed: bool = param(True, doc="publicly listed (reported separately in outputs)")
    count: int = param(20, lo=1, hi=10_000, doc="number of firms")
    network_share: float = param(0.35, lo=0.0, hi=1.0, doc="share of the starting hashrate")
    size_sigma: float = param(0.9, lo=0.0, hi=3.0, doc="lognormal sigma of firm sizes")
    sites_mean: float = param(2.5, lo=1.0, hi=50.0, doc="mean number of sites per firm")
    regions: tuple[str, ...] = param(("texas_ercot",), doc="power regions sites are in")
    region_weights: tuple[float, ...] = param((1.0,), lo=0.0, doc="relative weights of regions")
    contract_weights: tuple[float, ...] = param(
        (0.6, 0.15, 0.25), lo=0.0, doc="relative weights of fixed_ppa, indexed, spot"
    )
    ppa_price_usd_per_mwh: float = param(35.0, lo=0.0, doc="mean fixed-PPA price")
    ppa_price_sd_usd_per_mwh: float = param(8.0, lo=0.0, doc="sd of fixed-PPA prices")
    ppa_years_left_max: float = param(5.0, lo=0.1, hi=30.0, doc="remaining PPA term, max years")
    ppa_resale_share: float = param(0.4, lo=0.0, hi=1.0, doc="share of PPAs with spot resale")
    indexed_discount: float = param(
        0.15, lo=0.0, hi=0.9, doc="an indexed contract's discount to the region's mean spot"
    )
    spot_markup_usd_per_mwh: float = param(
        20.0, lo=0.0, doc="hosting margin paid over spot by spot-priced sites"
    )
    cooling_weights: tuple[float, ...] = param(
        (0.6, 0.25, 0.1, 0.05), lo=0.0, doc="relative weights of air, hydro, immersion, liquid"
    )
    fiber_km_median: float = param(
        40.0, lo=0.0, doc="median km from a site to long-haul fiber or a metro"
    )
    fiber_km_sigma: float = param(1.0, lo=0.0, hi=3.0, doc="lognormal sigma of that distance")
    water_share: float = param(
        0.4, lo=0.0, hi=1.0, doc="chance a site has water or heat rejection for liquid cooling"
    )
    fleet_generations: tuple[str, ...] = param(("S21",), doc="ASIC generations in fleets")
    fleet_shares: tuple[float, ...] = param((1.0,), lo=0.0, doc="TH shares of those generations")
    fleet_share_noise: float = param(
        20.0, lo=0.1, doc="Dirichlet concentration of a firm's mix around the shares (high=tight)"
    )
    utilization: float = param(
        0.92, lo=0.1, hi=1.0, doc="share of site MW filled by machines at the start"
    )
    leverage_mean: float = param(0.35, lo=0.0, hi=0.95, doc="mean debt / assets")
    leverage_sd: float = param(0.2, lo=0.0, hi=1.0, doc="sd of debt / assets")
    floating_debt_share: float = param(0.4, lo=0.0, hi=1.0, doc="chance a tranche floats")
    debt_years_max: float = param(5.0, lo=0.25, hi=30.0, doc="latest tranche maturity, years")
    cash_months: float = param(6.0, lo=0.0, doc="starting cash in months of power cost")
    treasury_btc_per_eh: float = param(300.0, lo=0.0, doc="BTC held per EH/s at the start")
    btc_sell_share: float = param(
        0.7, lo=0.0, hi=1.0, doc="share of mined BTC sold the day it is mined"
    )
    payback_months: float = param(
        18.0, lo=1.0, doc="mean payback a firm demands before buying machines"
    )
    ai_optimism_mean: float = param(
        0.5, lo=0.0, hi=1.0, doc="mean belief that the firm can win AI leases (assumption)"
    )
    hurdle_mean: float = param(
        0.3, lo=0.0, hi=5.0, doc="mean required gain over mining, as a share of AI capex"
    )
    hurdle_sd: float = param(0.1, lo=0.0, hi=5.0, doc="sd of the hurdle across firms")

    def check(self) -> str | None:
        """Weights must match their lists."""
        pairs = (
            ("region_weights", self.region_weights, len(self.regions)),
            ("contract_weights", self.contract_weights, len(CONTRACTS)),
            ("cooling_weights", self.cooling_weights, len(COOLINGS)),
            ("fleet_shares", self.fleet_shares, len(self.fleet_generations)),
        )
        for key, weights, n in pairs:
            if len(weights) != n or sum(weights) <= 0:
                return f"{self.name}: {key} needs {n} non-negative weights with a positive sum"
        return None


@dataclasses.dataclass(frozen=True)
class FirmParams:
    """One firm given explicitly (e.g. a named listed miner)."""

    name: str = param(doc="firm name")
    hashrate_eh: float = param(
        lo=0.0, doc="EH/s deployed at the start (0: a firm that hosts AI only)"
    )
    region: str = param(doc="power region of its sites")
    listed: bool = param(True, doc="publicly listed")
    sites: int = param(1, lo=1, hi=100, doc="number of equal sites")
    contract: str = param("fixed_ppa", choices=CONTRACTS, doc="power contract of its sites")
    power_price_usd_per_mwh: float = param(35.0, lo=0.0, doc="PPA price, or indexed base")
    ppa_years_left: float = param(5.0, lo=0.0, hi=30.0, doc="remaining PPA term, years")
    resale: bool = param(False, doc="unused PPA energy can be resold at spot")
    spot_markup_usd_per_mwh: float = param(0.0, lo=0.0, doc="hosting margin over spot")
    cooling: str = param("air", choices=COOLINGS, doc="site cooling")
    readiness: float = param(0.3, lo=0.0, hi=1.0, doc="AI readiness score of its sites")
    fiber_km: float = param(50.0, lo=0.0, doc="km from its sites to long-haul fiber or a metro")
    water: bool = param(False, doc="its sites have water or heat rejection for liquid cooling")
    ai_suitable: bool | None = param(
        None, doc="tenants accept its sites (public deals); unset: from the site attributes"
    )
    fleet_generations: tuple[str, ...] = param(("S21",), doc="ASIC generations in the fleet")
    fleet_shares: tuple[float, ...] = param((1.0,), lo=0.0, doc="TH shares of generations")
    utilization: float = param(0.92, lo=0.1, hi=1.0, doc="share of site MW filled")
    leverage: float = param(0.3, lo=0.0, hi=0.95, doc="debt / assets at the start")
    floating_debt: bool = param(False, doc="its debt floats over the policy rate")
    debt_years: float = param(3.0, lo=0.25, hi=30.0, doc="maturity of its debt, years")
    cash_months: float = param(6.0, lo=0.0, doc="starting cash in months of power cost")
    cash_usd: float | None = param(None, lo=0.0, doc="starting cash, USD (replaces cash_months)")
    treasury_btc: float = param(0.0, lo=0.0, doc="BTC held at the start")
    btc_sell_share: float = param(0.7, lo=0.0, hi=1.0, doc="share of mined BTC sold daily")
    payback_months: float = param(18.0, lo=1.0, doc="payback demanded before buying machines")
    ai_optimism: float = param(0.5, lo=0.0, hi=1.0, doc="belief that it can win AI leases")
    hurdle: float = param(0.15, lo=0.0, hi=5.0, doc="required gain over mining, share of capex")
    leases: tuple[StartLeaseParams, ...] = param((), doc="AI leases signed before the start")

    def check(self) -> str | None:
        """Fleet shares must match generations."""
        if len(self.fleet_shares) != len(self.fleet_generations) or sum(self.fleet_shares) <= 0:
            return f"{self.name}: fleet_shares needs one positive-sum weight per generation"
        return None


@dataclasses.dataclass
class SiteSeed:
    """A site as drawn, before the model stores it in its arrays."""

    region: int
    gross_mw: float
    contract: int  # Contract code
    contract_price_usd_per_mwh: float
    contract_end_step: int
    resale: bool
    spot_markup_usd_per_mwh: float
    cooling: int  # Cooling code
    readiness: float
    fiber_km: float  # to long-haul fiber or a metro
    water: bool  # water or heat rejection for liquid cooling
    stated_suitable: bool | None = None  # tenants' verdict where the scenario states it


@dataclasses.dataclass
class VintageSeed:
    """Machines of one generation at one site of a drawn firm."""

    site: int  # index into the firm's own site list
    generation: int
    th: float
    bought_step: int


@dataclasses.dataclass
class FirmSeed:
    """A firm as drawn: attributes, sites, fleet, balance sheet."""

    name: str
    group: str
    listed: bool
    sites: list[SiteSeed]
    vintages: list[VintageSeed]
    leverage: float
    cash_months: float
    treasury_btc: float
    floating_debt_share: float
    debt_years_max: float
    btc_sell_share: float
    payback_months: float
    utilization: float  # share of site MW its machines fill at the start
    ai_optimism: float  # belief in [0, 1] that it can win AI leases
    hurdle: float  # required gain over mining, as a share of AI capex
    cash_usd: float | None = None  # starting cash if given in USD (else cash_months of power)
    leases: tuple[StartLeaseParams, ...] = ()  # AI leases signed before the start


@dataclasses.dataclass(frozen=True)
class StartConditions:
    """What the population draw needs to know about the start of the run."""

    start_date: dt.date
    dt_days: int
    region_names: tuple[str, ...]
    region_mean_usd_per_mwh: tuple[float, ...]
    generation_names: tuple[str, ...]
    generation_release: tuple[dt.date, ...]
    policy_rate: float


def _weights(values: tuple[float, ...]) -> np.ndarray:
    w = np.asarray(values, dtype=float)
    return w / w.sum()


class _Categorical:
    """Draws an index with probabilities proportional to `weights`, one uniform per draw.

    The same draw as `rng.choice(len(weights), p=weights / sum)` (a uniform against the
    cumulative probabilities), with the cumulative sum computed once, not per draw, and
    kept as Python floats (bisect finds the index `searchsorted(side="right")` finds, at
    a third of its cost on a few elements).
    """

    def __init__(self, weights: tuple[float, ...]):
        cdf = _weights(weights).cumsum()
        self._cdf = (cdf / cdf[-1]).tolist()

    def draw(self, rng: np.random.Generator) -> int:
        return bisect.bisect_right(self._cdf, rng.random())


def _clip(value: float, low: float, high: float) -> float:
    """`value` within [low, high] (a Python float: draws are scalars)."""
    return min(max(float(value), low), high)


def _step_of(date: dt.date, start: StartConditions) -> int:
    return (date - start.start_date).days // start.dt_days


def _generation_index(name: str, start: StartConditions) -> int:
    try:
        return start.generation_names.index(name)
    except ValueError:
        known = ", ".join(start.generation_names)
        raise ValueError(f"unknown ASIC generation {name!r}; known: {known}") from None


def _days_on_sale(gen: int, start: StartConditions) -> int:
    """Days from the generation's release to the start (0 if released later)."""
    return max((start.start_date - start.generation_release[gen]).days, 0)


def _bought_step(days_on_sale: int, dt_days: int, rng: np.random.Generator) -> int:
    """A purchase date within the `days_on_sale` before the start (uniform), as a step."""
    return -int(rng.integers(0, days_on_sale + 1)) // dt_days


def _site_power(
    contract: str,
    region: int,
    ppa_price: float,
    ppa_years: float,
    resale: bool,
    markup: float,
    indexed_discount: float,
    start: StartConditions,
) -> tuple[int, float, int, bool, float]:
    """Contract code, price, end step, resale flag and markup of one site."""
    if contract == "fixed_ppa":
        end = int(ppa_years * 365.25) // start.dt_days
        return Contract.FIXED_PPA, ppa_price, end, resale, 0.0
    if contract == "indexed":
        price = start.region_mean_usd_per_mwh[region] * (1.0 - indexed_discount)
        return Contract.INDEXED, price, 0, False, 0.0
    return Contract.SPOT, 0.0, 0, False, markup


def draw_group(
    group: GroupParams,
    group_th: float,
    start: StartConditions,
    draw: DrawParams,
    rng: np.random.Generator,
) -> list[FirmSeed]:
    """Firms of one group sharing `group_th` TH/s, with sites, fleets and finances drawn."""
    sizes = rng.lognormal(0.0, group.size_sigma, group.count)
    firm_th = group_th * sizes / sizes.sum()
    region_idx = [start.region_names.index(r) for r in group.regions]
    gens = [_generation_index(g, start) for g in group.fleet_generations]
    days_on_sale = [_days_on_sale(gen, start) for gen in gens]
    region_draw, contract_draw, cooling_draw = (
        _Categorical(w)
        for w in (group.region_weights, group.contract_weights, group.cooling_weights)
    )
    fleet_concentration = _weights(group.fleet_shares) * group.fleet_share_noise + 1e-3
    firms = []
    for i, th in enumerate(firm_th):
        n_sites = 1 + rng.poisson(group.sites_mean - 1.0)
        # Python floats: each product below is the same IEEE multiply, without numpy scalars
        site_th = (th * rng.dirichlet(np.full(n_sites, draw.site_split_concentration))).tolist()
        # + 1e-3: a Dirichlet needs positive concentrations where a share is 0
        mix = rng.dirichlet(fleet_concentration).tolist()
        sites, vintages = [], []
        for s, th_s in enumerate(site_th):
            region = region_idx[region_draw.draw(rng)]
            contract = CONTRACTS[contract_draw.draw(rng)]
            cooling = COOLINGS[cooling_draw.draw(rng)]
            ppa_price = max(
                rng.normal(group.ppa_price_usd_per_mwh, group.ppa_price_sd_usd_per_mwh),
                draw.ppa_price_floor_usd_per_mwh,
            )
            power = _site_power(
                contract,
                region,
                ppa_price,
                rng.uniform(draw.ppa_years_left_min, group.ppa_years_left_max),
                bool(rng.random() < group.ppa_resale_share),
                group.spot_markup_usd_per_mwh * rng.uniform(*draw.spot_markup_multiplier),
                group.indexed_discount,
                start,
            )
            mean_readiness = draw.readiness_by_cooling[COOLINGS.index(cooling)]
            readiness = _clip(mean_readiness + rng.normal(0, draw.readiness_sd), 0.0, 1.0)
            fiber_km = group.fiber_km_median * float(rng.lognormal(0.0, group.fiber_km_sigma))
            vintages += [
                VintageSeed(s, gen, th_s * share, _bought_step(days, start.dt_days, rng))
                for gen, share, days in zip(gens, mix, days_on_sale, strict=True)
                if share > 1e-6
            ]
            sites.append(
                SiteSeed(
                    region,
                    0.0,  # sized from the machines once their efficiency is known
                    *power[:4],
                    power[4],
                    getattr(Cooling, cooling.upper()),
                    readiness,
                    fiber_km,
                    bool(rng.random() < group.water_share),
                )
            )
        leverage = rng.normal(group.leverage_mean, group.leverage_sd)
        leverage = _clip(leverage, 0.0, draw.leverage_max)
        firms.append(
            FirmSeed(
                name=f"{group.name}-{i + 1:03d}",
                group=group.name,
                listed=group.listed,
                sites=sites,
                vintages=vintages,
                leverage=leverage,
                cash_months=group.cash_months * rng.uniform(*draw.cash_months_multiplier),
                treasury_btc=group.treasury_btc_per_eh
                * th
                / 1e6
                * rng.uniform(*draw.treasury_multiplier),
                floating_debt_share=group.floating_debt_share,
                debt_years_max=group.debt_years_max,
                btc_sell_share=_clip(
                    group.btc_sell_share + rng.normal(0, draw.btc_sell_share_sd), 0.0, 1.0
                ),
                payback_months=group.payback_months * rng.uniform(*draw.payback_multiplier),
                utilization=group.utilization,
                ai_optimism=_clip(
                    rng.normal(group.ai_optimism_mean, draw.ai_optimism_sd), 0.0, 1.0
                ),
                hurdle=max(float(rng.normal(group.hurdle_mean, group.hurdle_sd)), 0.0),
            )
        )
    return firms


def firm_from_params(firm: FirmParams, start: StartConditions) -> FirmSeed:
    """A firm given one by one in the scenario; its sites are equal splits."""
    region = start.region_names.index(firm.region)
    gens = [_generation_index(g, start) for g in firm.fleet_generations]
    shares = _weights(firm.fleet_shares)
    th = firm.hashrate_eh * 1e6
    sites, vintages = [], []
    for s in range(firm.sites):
        power = _site_power(
            firm.contract,
            region,
            firm.power_price_usd_per_mwh,
            firm.ppa_years_left,
            firm.resale,
            firm.spot_markup_usd_per_mwh,
            0.0,
            start,
        )
        if firm.contract == "indexed":  # the given price is the indexed base
            power = (power[0], firm.power_price_usd_per_mwh, *power[2:])
        sites.append(
            SiteSeed(
                region,
                0.0,
                *power[:4],
                power[4],
                getattr(Cooling, firm.cooling.upper()),
                firm.readiness,
                firm.fiber_km,
                firm.water,
                firm.ai_suitable,
            )
        )
        vintages += [
            VintageSeed(s, gen, th / firm.sites * share, 0)
            for gen, share in zip(gens, shares, strict=True)
        ]
    return FirmSeed(
        name=firm.name,
        group="named",
        listed=firm.listed,
        sites=sites,
        vintages=vintages,
        leverage=firm.leverage,
        cash_months=firm.cash_months,
        treasury_btc=firm.treasury_btc,
        floating_debt_share=1.0 if firm.floating_debt else 0.0,
        debt_years_max=firm.debt_years,
        btc_sell_share=firm.btc_sell_share,
        payback_months=firm.payback_months,
        utilization=firm.utilization,
        ai_optimism=firm.ai_optimism,
        hurdle=firm.hurdle,
        cash_usd=firm.cash_usd,
        leases=firm.leases,
    )


def finance_firm(
    firm: FirmSeed,
    assets_usd: float,
    monthly_power_usd: float,
    start: StartConditions,
    params: FinanceParams,
    draw: DrawParams,
    rng: np.random.Generator,
) -> tuple[float, list[DebtTranche]]:
    """A drawn firm's starting cash and debt tranches, from its leverage and costs.

    `assets_usd` is what the firm owns before its cash (sites, machines, BTC).
    """
    cash_usd = firm.cash_months * monthly_power_usd if firm.cash_usd is None else firm.cash_usd
    debt_usd = firm.leverage * (assets_usd + cash_usd)
    tranches: list[DebtTranche] = []
    if debt_usd <= 0:
        return cash_usd, tranches
    n_tranches = int(rng.integers(1, draw.tranches_max + 1))
    shares = rng.dirichlet(np.full(n_tranches, draw.tranche_split_concentration))
    months_min = draw.tranche_months_min
    months_max = max(int(firm.debt_years_max * 12), months_min)
    spread = credit_spread(firm.leverage, params)
    for share in shares:
        maturity_days = DAYS_PER_MONTH * int(rng.integers(months_min, months_max + 1))
        floating = rng.random() < firm.floating_debt_share
        tranches.append(
            DebtTranche(
                principal_usd=float(debt_usd * share),
                spread=spread,
                fixed_rate=None if floating else start.policy_rate + spread,
                maturity_step=int(maturity_days) // start.dt_days,
            )
        )
    return cash_usd, tranches


def draw_population(
    groups: tuple[GroupParams, ...],
    firms: tuple[FirmParams, ...],
    total_th: float,
    start: StartConditions,
    draw: DrawParams,
    rng: np.random.Generator,
) -> list[FirmSeed]:
    """All firms at the start: named firms first, groups share the rest of `total_th`."""
    seeds = [firm_from_params(f, start) for f in firms]
    named_th = sum(f.hashrate_eh * 1e6 for f in firms)
    remaining_th = max(total_th - named_th, 0.0)
    share_total = sum(g.network_share for g in groups) or 1.0
    for group in groups:
        group_th = remaining_th * group.network_share / share_total
        seeds += draw_group(group, group_th, start, draw, rng)
    return seeds
