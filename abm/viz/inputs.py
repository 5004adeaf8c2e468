"""The dashboard's inputs: the parameters researchers vary most, as scenario overrides.

Each input starts at the scenario's own value, and only inputs moved away from it become
overrides, so an untouched dashboard runs exactly what `abm run SCENARIO` runs.
"""

from __future__ import annotations

import copy
from typing import Any

import abm

SCENARIO_ENV = "ABM_VIZ_SCENARIO"  # how `abm viz` tells the served page its scenario
BUST_YEARS = ("none", "2027", "2028", "2029", "2030")
MAX_LEVERAGE_MEAN = 0.95  # the upper bound of a population group's leverage_mean


def base(scenario: str) -> dict[str, Any]:
    """The scenario as a nested mapping (its file with `extends` resolved)."""
    return abm.load_scenario(scenario).to_dict()


def model_params(scenario: str) -> dict[str, Any]:
    """SolaraViz inputs, each starting at the scenario's value."""
    b = base(scenario)
    rate = b["macro"]["policy_rate_knots"][-1]

    def slider(label: str, value: float, lo: float, hi: float, step: float) -> dict[str, Any]:
        return {
            "type": "SliderFloat",
            "label": label,
            "value": value,
            "min": lo,
            "max": hi,
            "step": step,
        }

    bust = b["ai"]["bust_date"]
    return {
        "scenario": scenario,
        "seed": {"type": "InputText", "label": "seed", "value": 1},
        "btc_drift": slider(
            "BTC drift per year", b["btc_price"]["drift_per_year"], -0.5, 1.0, 0.05
        ),
        "btc_volatility": slider(
            "BTC volatility per sqrt(year)", b["btc_price"]["volatility_per_year"], 0.1, 1.5, 0.05
        ),
        "policy_rate": slider(f"policy rate from {rate['date']}", rate["rate"], 0.0, 0.08, 0.0025),
        "ai_growth": slider(
            "AI demand growth per year", b["ai"]["demand_growth_per_year"], -0.5, 2.0, 0.05
        ),
        "ai_bust_year": {
            "type": "Select",
            "label": "AI demand bust from January of",
            "value": str(bust)[:4] if bust else "none",
            "values": list(BUST_YEARS),
        },
        "herding": slider("herding strength", b["strategy"]["herding_strength"], 0.0, 1.0, 0.05),
        "leverage_scale": slider("leverage (x scenario)", 1.0, 0.0, 2.0, 0.1),
        "power_scale": slider("power prices, spot and PPA (x scenario)", 1.0, 0.5, 2.0, 0.05),
    }


def overrides(scenario: str, **inputs: Any) -> dict[str, Any]:
    """Dotted scenario overrides for the inputs that differ from the scenario's values."""
    b = base(scenario)
    found: dict[str, Any] = {}

    def put(key: str, value: Any, current: Any) -> None:
        if value is not None and value != current:
            found[key] = value

    put("btc_price.drift_per_year", inputs.get("btc_drift"), b["btc_price"]["drift_per_year"])
    put(
        "btc_price.volatility_per_year",
        inputs.get("btc_volatility"),
        b["btc_price"]["volatility_per_year"],
    )
    put("ai.demand_growth_per_year", inputs.get("ai_growth"), b["ai"]["demand_growth_per_year"])
    put("strategy.herding_strength", inputs.get("herding"), b["strategy"]["herding_strength"])
    knots = b["macro"]["policy_rate_knots"]
    rate = inputs.get("policy_rate")
    if rate is not None and rate != knots[-1]["rate"]:
        found["macro.policy_rate_knots"] = [*knots[:-1], {**knots[-1], "rate": rate}]
    year = inputs.get("ai_bust_year")
    bust = None if year in (None, "none") else f"{year}-01-01"
    put("ai.bust_date", bust, b["ai"]["bust_date"])
    groups = copy.deepcopy(b["population"]["groups"])
    leverage, power = inputs.get("leverage_scale", 1.0), inputs.get("power_scale", 1.0)
    if groups and (leverage != 1.0 or power != 1.0):
        for group in groups:
            group["leverage_mean"] = min(group["leverage_mean"] * leverage, MAX_LEVERAGE_MEAN)
            group["ppa_price_usd_per_mwh"] *= power
        found["population.groups"] = groups
    if power != 1.0:
        regions = copy.deepcopy(b["power"]["regions"])
        for region in regions:
            region["mean_price_usd_per_mwh"] *= power
        found["power.regions"] = regions
    return found


class DashboardModel(abm.MiningModel):
    """A MiningModel built from the dashboard's inputs (SolaraViz rebuilds it on reset)."""

    def __init__(
        self,
        scenario: str = "baseline_2026",
        seed: int | str = 1,
        btc_drift: float | None = None,
        btc_volatility: float | None = None,
        policy_rate: float | None = None,
        ai_growth: float | None = None,
        ai_bust_year: str | None = None,
        herding: float | None = None,
        leverage_scale: float = 1.0,
        power_scale: float = 1.0,
    ):
        super().__init__(
            scenario,
            seed=int(seed),
            **overrides(
                scenario,
                btc_drift=btc_drift,
                btc_volatility=btc_volatility,
                policy_rate=policy_rate,
                ai_growth=ai_growth,
                ai_bust_year=ai_bust_year,
                herding=herding,
                leverage_scale=leverage_scale,
                power_scale=power_scale,
            ),
        )
