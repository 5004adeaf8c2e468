"""What a run measures, declared once: name, unit, label, which way is better, how computed.

Each `Outcome` names the measure function that computes it from the run's tables; a run's
summary is every declared outcome, the CLI prints those marked `printed`, and analyses and
figures look up units and labels here. A measure function returns several outcomes at
once (the security extremes share one pass over the retargets).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from abm.chain import COIN_SAT
from abm.metrics.bifurcation import CLASSES, run_bifurcation
from abm.metrics.extremes import security_extremes
from abm.metrics.supply import hash_supply_elasticity
from abm.units import SECONDS_PER_DAY


@dataclasses.dataclass(frozen=True)
class RunTables:
    """A finished run as outcomes read it: its tables and the facts tables do not hold."""

    model: pd.DataFrame  # one row per step
    firms: pd.DataFrame  # one row per firm per month
    events: pd.DataFrame
    description: str
    dt_days: int
    btc_paid_sat: int  # satoshis paid to firms over the run
    share_of_mw_in_ai: float  # share of site MW hosting AI or converting, at the end


def chain_and_industry(run: RunTables) -> dict[str, Any]:
    """Run-level numbers: chain, prices, industry outcome."""
    m = run.model
    kinds = run.events["kind"].tolist() if len(run.events) else []
    dates = run.firms["date"].to_numpy()
    at_end = dates == dates.max()  # the last month's rows
    alive, listed = (run.firms[name].to_numpy(dtype=bool)[at_end] for name in ("alive", "listed"))
    blocks = int(m["blocks"].to_numpy().sum())
    elapsed_s = len(m) * run.dt_days * SECONDS_PER_DAY
    issued = m["subsidy_btc"].to_numpy().sum() + m["fees_btc"].to_numpy().sum()
    return {
        "description": run.description,
        "start_date": str(m["date"].iloc[0].date()),
        "end_date": str(m["date"].iloc[-1].date()),
        "steps": len(m),
        "blocks": blocks,
        "final_height": int(m["height"].iloc[-1]),
        "retargets": kinds.count("retarget"),
        "mean_block_interval_s": elapsed_s / blocks if blocks else None,
        "difficulty_start": float(m["difficulty"].iloc[0]),
        "difficulty_end": float(m["difficulty"].iloc[-1]),
        "hashrate_eh_start": float(m["hashrate_eh"].iloc[0]),
        "hashrate_eh_end": float(m["hashrate_eh"].iloc[-1]),
        "btc_price_usd_end": float(m["btc_price_usd"].iloc[-1]),
        "hashprice_usd_per_ph_day_min": float(m["hashprice_usd_per_ph_day"].to_numpy().min()),
        "btc_issued": float(issued),
        "btc_paid_to_firms": float(run.btc_paid_sat / COIN_SAT),
        "firms": int(run.firms["firm_id"].nunique()),
        "firms_alive_end": int(alive.sum()),
        "bankruptcies": kinds.count("bankruptcy"),
        "listed_bankruptcies": int((~alive & listed).sum()),
        "auctions": kinds.count("auction"),
        "share_of_mw_in_ai": run.share_of_mw_in_ai,
        "asic_purchases": kinds.count("asic_purchase"),
    }


def security(run: RunTables) -> dict[str, Any]:
    """The run's security extremes (see `abm.metrics.extremes`)."""
    return security_extremes(run.model, run.events)


def bifurcation(run: RunTables) -> dict[str, Any]:
    """Class counts, bimodality and the winners' gap, flattened."""
    firms = run.firms
    # each firm's first row (start attributes and class are the same in all its rows), by
    # firm_id: a tenth of the cost of a groupby's first()
    firm_ids, first_rows = np.unique(firms["firm_id"].to_numpy(), return_index=True)
    index = pd.Index(firm_ids, name="firm_id")

    def per_firm(column: str) -> pd.Series:
        return pd.Series(firms[column].to_numpy()[first_rows], index=index, name=column)

    # a firm table carries each firm's class (`classify_firms`, as run_bifurcation would)
    classes = per_firm("firm_class") if "firm_class" in firms else None
    found = run_bifurcation(firms, per_firm("start_net_worth_usd"), classes=classes)
    flat = {f"firms_{label}": found["counts"][label] for label in CLASSES}
    flat |= {
        "bankrupt_share": found["bankrupt_share"],
        "survivors": found["survivors"],
        "bimodality_coefficient": found["bimodality_coefficient"],
        "dip_statistic": found["dip_statistic"],
        "dip_p_value": found["dip_p_value"],
        "outcome_bimodal": found["is_bimodal"],
        "winners_gap_log_net_worth": found["winners_gap"],
        "winners_gap_log_value_per_share": found["winners_gap_per_share"],
    }
    return flat


def capacity(run: RunTables) -> dict[str, Any]:
    """New mining sites and the hash-supply elasticity (see `abm.metrics.supply`)."""
    kinds = run.events["kind"] if len(run.events) else pd.Series([], dtype=str)
    return {
        "site_builds": int((kinds == "site_build").sum()),
        "mw_energized_end": float(run.model["mw_energized"].iloc[-1]),
        "hash_supply_elasticity": hash_supply_elasticity(run.model),
    }


@dataclasses.dataclass(frozen=True)
class Outcome:
    """One measure of a run."""

    name: str  # key in the summary
    unit: str  # "" for counts and flags
    label: str  # what a reader sees (CLI, tables, figure axes)
    measure: Callable[[RunTables], dict[str, Any]]
    better: str | None = None  # "higher", "lower", or None (descriptive)
    printed: bool = False  # in `abm run`'s printout


def _o(name, unit, label, measure, better=None, printed=False) -> Outcome:
    return Outcome(name, unit, label, measure, better, printed)


C, S, B, K = chain_and_industry, security, bifurcation, capacity
OUTCOMES: tuple[Outcome, ...] = (
    _o("description", "", "scenario", C),
    _o("start_date", "", "start", C, printed=True),
    _o("end_date", "", "end", C, printed=True),
    _o("steps", "", "steps", C),
    _o("blocks", "", "blocks mined", C, printed=True),
    _o("final_height", "", "final height", C),
    _o("retargets", "", "retargets", C, printed=True),
    _o("mean_block_interval_s", "s", "mean block interval", C, "lower", True),
    _o("longest_gap_s", "s", "longest block interval", S, "lower", True),
    _o("max_daily_mean_interval_s", "s", "worst daily mean interval", S, "lower", True),
    _o("gaps_over_1h", "", "gaps over 1 h", S, "lower", True),
    _o("gaps_over_2h", "", "gaps over 2 h", S, "lower"),
    _o("retargets_at_clamp", "", "retargets at the x4 clamp", S, "lower", True),
    _o(
        "max_consecutive_negative_retargets",
        "",
        "longest run of falling retargets",
        S,
        "lower",
        True,
    ),
    _o("max_schedule_slip_s", "s", "max schedule slip", S, "lower", True),
    _o("min_rental_attack_cost_usd_per_h", "USD/h", "min rental attack cost", S, "higher", True),
    _o("min_capex_attack_cost_usd", "USD", "min hardware attack cost", S, "higher", True),
    _o("max_dormant_ratio", "", "max dormant / active hashrate", S, "lower", True),
    _o("max_double_spend_p_q10_z6", "", "max double-spend P (q=0.1, z=6)", S, "lower", True),
    _o("min_nakamoto_pools", "", "min Nakamoto coefficient, pools", S, "higher", True),
    _o("min_nakamoto_firms", "", "min Nakamoto coefficient, firms", S, "higher", True),
    _o("difficulty_start", "", "difficulty at start", C),
    _o("difficulty_end", "", "difficulty at end", C, printed=True),
    _o("hashrate_eh_start", "EH/s", "hashrate at start", C, printed=True),
    _o("hashrate_eh_end", "EH/s", "hashrate at end", C, "higher", True),
    _o("btc_price_usd_end", "USD", "BTC price at end", C, printed=True),
    _o("hashprice_usd_per_ph_day_min", "USD/PH/day", "lowest hashprice", C),
    _o("btc_issued", "BTC", "BTC issued", C),
    _o("btc_paid_to_firms", "BTC", "BTC paid to firms", C),
    _o("firms", "", "firms", C, printed=True),
    _o("firms_alive_end", "", "firms alive at end", C, "higher", True),
    _o("bankruptcies", "", "bankruptcies", C, "lower", True),
    _o("listed_bankruptcies", "", "listed bankruptcies", C, "lower"),
    _o("auctions", "", "site auctions", C, printed=True),
    _o("share_of_mw_in_ai", "", "share of site MW in AI hosting at the end", C),
    _o("asic_purchases", "", "ASIC purchases", C),
    _o("site_builds", "", "new mining sites started", K),
    _o("mw_energized_end", "MW", "MW of new mining sites energized", K, printed=True),
    _o(
        "hash_supply_elasticity",
        "",
        "12-month log hashrate change per log hashprice",
        K,
        printed=True,
    ),
    *(_o(f"firms_{c}", "", f"firms ending {c.replace('_', ' ')}", B) for c in CLASSES),
    _o("bankrupt_share", "", "share of firms bankrupt", B, "lower"),
    _o("survivors", "", "surviving firms with positive net worth", B),
    _o("bimodality_coefficient", "", "bimodality coefficient of survivors' log growth", B),
    _o("dip_statistic", "", "Hartigan's dip of survivors' log net-worth growth", B),
    _o("dip_p_value", "", "dip test p-value (unimodality)", B),
    _o("outcome_bimodal", "", "survivors' outcomes bimodal (dip test, p < 0.05)", B),
    _o(
        "winners_gap_log_net_worth",
        "",
        "median log net-worth growth, infrastructure minus pure miners",
        B,
    ),
    _o(
        "winners_gap_log_value_per_share",
        "",
        "median log growth of value per start share, infrastructure minus pure miners",
        B,
    ),
)
BY_NAME = {o.name: o for o in OUTCOMES}


def summarize(run: RunTables) -> dict[str, Any]:
    """Every declared outcome of a run, each measure function evaluated once."""
    values: dict[str, Any] = {}
    for measure in dict.fromkeys(o.measure for o in OUTCOMES):
        values |= measure(run)
    return {o.name: values[o.name] for o in OUTCOMES}
