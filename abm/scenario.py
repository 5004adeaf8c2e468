"""Scenario schema, loading and validation: TOML in, a typed, frozen `Scenario` out.

A scenario file is a set of TOML tables, one per model component; each table is checked
against that component's parameter dataclass (see `abm.params`). A file may start with
`extends = "other.toml"` (a path relative to itself) and override any keys of its base.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from abm.agents.capital import CapitalParams
from abm.agents.expansion import ExpansionParams
from abm.agents.finance import FinanceParams
from abm.agents.fleet import FleetPolicyParams
from abm.agents.leasing import ConversionParams
from abm.agents.population import DrawParams, FirmParams, GroupParams
from abm.agents.siting import SuitabilityParams
from abm.agents.strategy import StrategyParams
from abm.catalog import SCENARIO_DIR, find, merge, read_scenario_tree
from abm.catalog import list_scenarios as list_scenarios
from abm.io import content_hash
from abm.markets.ai_demand import AiDemandParams
from abm.markets.asic import AsicMarketParams
from abm.markets.btc_price import BtcPriceParams, read_price_csv
from abm.markets.macro import MacroParams
from abm.markets.power import PowerParams
from abm.markets.shocks import ShockParams
from abm.network.pools import PoolsParams
from abm.params import build, param, to_mapping


@dataclasses.dataclass(frozen=True)
class RunParams:
    """Calendar and step length."""

    start_date: dt.date = param(dt.date(2026, 1, 1), doc="first simulated day")
    end_date: dt.date = param(dt.date(2030, 12, 31), doc="last simulated day (inclusive)")
    dt_days: int = param(1, lo=1, hi=31, doc="days per step")

    def check(self) -> str | None:
        """The horizon must hold at least one step."""
        if self.end_date < self.start_date:
            return f"end_date {self.end_date} is before start_date {self.start_date}"
        return None


@dataclasses.dataclass(frozen=True)
class NetworkParams:
    """Chain state at the start date and the fee process."""

    start_height: int = param(930_400, lo=0, doc="tip height at the start date")
    start_difficulty: float = param(1.4826e14, lo=1.0, doc="difficulty at the start date")
    start_hashrate_eh: float = param(
        1040.0, lo=0.0, lo_open=True, doc="EH/s running on average over the first days"
    )
    start_hashrate_window_days: int = param(
        30, lo=1, hi=365, doc="days the start hashrate averages over (30-day moving average)"
    )
    mean_fee_btc_per_block: float = param(0.032, lo=0.0, doc="BTC of fees per block, mean")
    fee_shape: float = param(4.0, lo=0.0, lo_open=True, doc="Gamma shape of per-block fees")
    fee_backlog_elasticity: float = param(
        0.0, lo=0.0, hi=3.0, doc="per-block fee mean scales as (interval / 600 s) ** this"
    )


@dataclasses.dataclass(frozen=True)
class PopulationParams:
    """Who mines: firm groups drawn from distributions, plus explicitly listed firms."""

    groups: tuple[GroupParams, ...] = param((), doc="firm groups drawn at random")
    firms: tuple[FirmParams, ...] = param((), doc="firms given one by one")
    draw: DrawParams = param(DrawParams(), doc="how drawn firms scatter around group means")
    suitability: SuitabilityParams = param(
        SuitabilityParams(), doc="what AI tenants require of a site"
    )


@dataclasses.dataclass(frozen=True)
class Scenario:
    """Every parameter of one model run, grouped by component."""

    description: str = param("", doc="one line: what this scenario is for")
    run: RunParams = param(RunParams())
    network: NetworkParams = param(NetworkParams())
    macro: MacroParams = param(MacroParams())
    btc_price: BtcPriceParams = param(BtcPriceParams())
    power: PowerParams = param(PowerParams())
    asic: AsicMarketParams = param(AsicMarketParams())
    finance: FinanceParams = param(FinanceParams())
    capital: CapitalParams = param(CapitalParams())
    fleet: FleetPolicyParams = param(FleetPolicyParams())
    expansion: ExpansionParams = param(ExpansionParams())
    population: PopulationParams = param(PopulationParams())
    pools: PoolsParams = param(PoolsParams())
    ai: AiDemandParams = param(AiDemandParams())
    conversion: ConversionParams = param(ConversionParams())
    strategy: StrategyParams = param(StrategyParams())
    shocks: tuple[ShockParams, ...] = param((), doc="forced hashrate outages (bans, storms)")

    def check(self) -> str | None:
        """Cross-table consistency: regions referenced by firms exist."""
        names = {r.name for r in self.power.regions}
        for group in self.population.groups:
            for region in group.regions:
                if region not in names:
                    return (
                        f"[population.groups] {group.name}: region {region!r} is not defined "
                        f"in [power] regions; defined: {', '.join(sorted(names)) or 'none'}"
                    )
        tenants = [t.name for t in self.ai.tenants]
        for firm in self.population.firms:
            if firm.region not in names:
                return (
                    f"[population.firms] {firm.name}: region {firm.region!r} is not defined "
                    f"in [power] regions; defined: {', '.join(sorted(names)) or 'none'}"
                )
            for lease in firm.leases:
                if lease.tenant not in tenants:
                    return (
                        f"[population.firms] {firm.name}: leases tenant {lease.tenant!r} is "
                        f"not an [ai] tenant type; defined: {', '.join(tenants)}"
                    )
        for shock in self.shocks:
            unknown = [r for r in shock.regions if r not in names]
            if unknown:
                return (
                    f"[[shocks]] {shock.name}: region {unknown[0]!r} is not defined in [power] "
                    f"regions; defined: {', '.join(sorted(names))}"
                )
        if not self.population.groups and not self.population.firms:
            return "[population] defines no firms: add groups or firms"
        return self._check_generations() or self._check_price_csv()

    def _check_generations(self) -> str | None:
        known = [g.name for g in self.asic.generations]
        for who in (*self.population.groups, *self.population.firms):
            for name in who.fleet_generations:
                if name not in known:
                    return (
                        f"[population] {who.name}: fleet_generations = {name!r} is not an "
                        f"ASIC generation of [asic] generations; known: {', '.join(known)}"
                    )
        return None

    def _check_price_csv(self) -> str | None:
        """A replayed BTC price file must be readable and cover every date of the run."""
        path = self.btc_price.path_csv
        if path is None:
            return None
        try:
            dates, _ = read_price_csv(path)
        except ValueError as err:
            return f"[btc_price] path_csv: {err}"
        first, last = np.datetime64(self.run.start_date), np.datetime64(self.run.end_date)
        if dates[0] > first or dates[-1] < last:
            return (
                f"[btc_price] path_csv = {path!r} covers {dates[0]} to {dates[-1]}, "
                f"not the run's {first} to {last}"
            )
        return None

    def to_dict(self) -> dict[str, Any]:
        """Plain nested mapping of every parameter (what the manifest stores)."""
        return to_mapping(self)

    def digest(self) -> str:
        """Content hash of the full parameter set (hex, 16 chars)."""
        return content_hash(self.to_dict())


def load_scenario(
    source: str | Path | Mapping[str, Any], overrides: Mapping[str, Any] | None = None
) -> Scenario:
    """Load and validate a scenario from a TOML path (or a mapping), with optional overrides.

    `overrides` are nested tables or dotted keys, e.g. {"btc_price.volatility_per_year": 0.6}.
    A bare name such as "baseline_2026" is looked up in the shipped scenarios folder.

    Raises:
        ParamError: naming the file, the key, the value and what is allowed.
    """
    if isinstance(source, Mapping):
        label, data = "<mapping>", dict(source)
    else:
        path = find(source, SCENARIO_DIR)
        label, data = str(path), read_scenario_tree(path.resolve())
    if overrides:
        data = merge(data, _undot(overrides))
        label += " (with overrides)"
    return build(Scenario, data, label)


def _undot(flat: Mapping[str, Any]) -> dict[str, Any]:
    """Turn {"a.b": 1} into {"a": {"b": 1}}; nested mappings pass through."""
    nested: dict[str, Any] = {}
    for key, value in flat.items():
        *parents, leaf = key.split(".")
        table = nested
        for part in parents:
            table = table.setdefault(part, {})
        table[leaf] = _undot(value) if isinstance(value, Mapping) else value
    return nested
