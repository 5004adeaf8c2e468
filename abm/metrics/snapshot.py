"""One step's security and concentration measures, from read-only numbers the model passes.

The model hands over plain values and arrays (never itself), so a measure cannot change
the trajectory: a run with these metrics off follows the same path (tested).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from abm.metrics import security as sec

REFERENCE_ATTACKER_SHARE = 0.10  # DESIGN.md section 7: reference attacker q = 0.1
REFERENCE_CONFIRMATIONS = 6  # z = 6, the customary confirmation depth
ATTACK_DURATION_H = 24.0  # assumption: a majority attack held for one day
SECURITY_COLUMNS = (
    "expected_interval_s",
    "p_gap_over_1h",
    "schedule_slip_s",
    "security_budget_usd_per_day",
    "security_budget_pct_mcap",
    "fee_share",
    "rental_attack_cost_usd_per_h",
    "capex_attack_cost_usd",
    "dormant_ratio",
    "reference_attacker_share",
    "double_spend_p_q10_z6",
    "dormant_attacker_share",
    "double_spend_p_dormant_z6",
    "hhi_pools",
    "nakamoto_pools",
    "hhi_firms",
    "nakamoto_firms",
)


@dataclasses.dataclass(frozen=True)
class NetworkState:
    """What the security measures read at the end of a step."""

    difficulty: float
    active_th: float  # TH/s that ran this step
    start_active_th: float  # TH/s that ran on the first step
    dormant_th: float  # owned, powered off, redeployable
    dormant_value_usd: float  # dormant machines at secondary prices
    dormant_j_per_th: float  # TH-weighted efficiency of the dormant machines
    new_price_usd_per_th: float  # list price of the newest generation
    new_j_per_th: float
    power_usd_per_mwh: float  # an attacker's power price (the network's mean today)
    slip_s: float  # elapsed time minus 600 s per block since the start
    reward_btc: float  # subsidy plus fees mined this step
    fees_btc: float
    days: float  # length of the step
    price_usd: float
    supply_btc: float
    hashprice_usd_per_ph_day: float
    firm_th: np.ndarray  # running TH/s per firm
    pool_th: np.ndarray  # running TH/s per pool


def _capex_attack_cost_usd(s: NetworkState) -> float:
    """Hardware to match the honest hashrate, dormant machines first, then new ones."""
    need_th = s.active_th
    from_dormant = min(s.dormant_th, need_th)
    dormant_price = s.dormant_value_usd / s.dormant_th if s.dormant_th > 0 else 0.0
    dormant_cost = sec.capex_attack_cost_usd(
        from_dormant, dormant_price, s.dormant_j_per_th, s.power_usd_per_mwh, ATTACK_DURATION_H
    )
    new_cost = sec.capex_attack_cost_usd(
        need_th - from_dormant,
        s.new_price_usd_per_th,
        s.new_j_per_th,
        s.power_usd_per_mwh,
        ATTACK_DURATION_H,
    )
    return float(dormant_cost + new_cost)


def _concentration(th: np.ndarray) -> tuple[float, int]:
    if not th.sum() > 0:
        return np.nan, 0
    return float(sec.hhi(th)), int(sec.nakamoto_coefficient(th / th.sum()))


def security_snapshot(s: NetworkState) -> dict[str, float]:
    """Every measure of SECURITY_COLUMNS for one step."""
    hashrate_hs = s.active_th * 1e12
    interval_s = float(sec.expected_interval_s(s.difficulty, hashrate_hs))
    budget = float(sec.security_budget_usd_per_day(s.reward_btc / s.days, s.price_usd))
    exited = min(max(1.0 - s.active_th / s.start_active_th, 0.0), 1.0)
    q_ref = float(sec.attacker_share_after_exit(REFERENCE_ATTACKER_SHARE, exited))
    total = s.dormant_th + s.active_th
    q_dormant = s.dormant_th / total if total > 0 else 0.0
    hhi_pools, nakamoto_pools = _concentration(s.pool_th)
    hhi_firms, nakamoto_firms = _concentration(s.firm_th)
    return {
        "expected_interval_s": interval_s,
        "p_gap_over_1h": float(sec.p_gap_over(3600.0, interval_s)),
        "schedule_slip_s": s.slip_s,
        "security_budget_usd_per_day": budget,
        "security_budget_pct_mcap": float(
            sec.security_budget_pct_mcap(budget, s.price_usd, s.supply_btc)
        ),
        "fee_share": s.fees_btc / s.reward_btc if s.reward_btc > 0 else np.nan,
        "rental_attack_cost_usd_per_h": float(
            sec.rental_attack_cost_usd_per_h(s.active_th / 1e6, s.hashprice_usd_per_ph_day)
        ),
        "capex_attack_cost_usd": _capex_attack_cost_usd(s),
        "dormant_ratio": float(sec.dormant_ratio(s.dormant_th, s.active_th)),
        "reference_attacker_share": q_ref,
        "double_spend_p_q10_z6": float(
            sec.double_spend_probability(q_ref, REFERENCE_CONFIRMATIONS)
        ),
        "dormant_attacker_share": q_dormant,
        "double_spend_p_dormant_z6": float(
            sec.double_spend_probability(q_dormant, REFERENCE_CONFIRMATIONS)
        ),
        "hhi_pools": hhi_pools,
        "nakamoto_pools": nakamoto_pools,
        "hhi_firms": hhi_firms,
        "nakamoto_firms": nakamoto_firms,
    }
