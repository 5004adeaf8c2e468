"""Per-step security and concentration measures, computed for all steps at once.

The model records the raw state these measures need (hashrate that ran, dormant machines
and their value, rewards, running hashrate by firm and by pool) as plain arrays while it
runs; `security_columns` turns them into the measures after the run, vectorized. The
measures only read those arrays, so they cannot change the trajectory: a run with them
off follows the same path (tested).
"""

from __future__ import annotations

import numpy as np

from abm.metrics import security as sec

REFERENCE_ATTACKER_SHARE = 0.10  # DESIGN.md section 7: reference attacker q = 0.1
REFERENCE_CONFIRMATIONS = 6  # z = 6, the customary confirmation depth
ATTACK_DURATION_H = 24.0  # assumption: a majority attack held for one day
STATE_COLUMNS = (  # raw per-step inputs the model records
    "state_active_th",
    "state_dormant_th",
    "state_dormant_value_usd",
    "state_dormant_j_per_th",
    "state_new_price_usd_per_th",
    "state_new_j_per_th",
    "state_supply_btc",
)
SECURITY_COLUMNS = (
    "expected_interval_s",
    "p_gap_over_1h",
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


def _capex_attack_cost_usd(c: dict[str, np.ndarray], power_usd_per_mwh: np.ndarray) -> np.ndarray:
    """Hardware to match the honest hashrate, dormant machines first, then new ones."""
    need_th = c["state_active_th"]
    dormant_th = c["state_dormant_th"]
    from_dormant = np.minimum(dormant_th, need_th)
    dormant_price = np.divide(
        c["state_dormant_value_usd"],
        dormant_th,
        out=np.zeros_like(dormant_th),
        where=dormant_th > 0,
    )
    dormant_cost = sec.capex_attack_cost_usd(
        from_dormant,
        dormant_price,
        c["state_dormant_j_per_th"],
        power_usd_per_mwh,
        ATTACK_DURATION_H,
    )
    new_cost = sec.capex_attack_cost_usd(
        need_th - from_dormant,
        c["state_new_price_usd_per_th"],
        c["state_new_j_per_th"],
        power_usd_per_mwh,
        ATTACK_DURATION_H,
    )
    return dormant_cost + new_cost


def _concentration(th: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """HHI and Nakamoto coefficient of each row (step); NaN and 0 where nothing runs."""
    total = th.sum(axis=1)
    hhi = np.full(len(th), np.nan)
    nakamoto = np.zeros(len(th), dtype=np.int64)
    on = total > 0
    if on.any():
        hhi[on] = sec.hhi(th[on])
        nakamoto[on] = sec.nakamoto_coefficient(th[on] / total[on, None])
    return hhi, nakamoto


def security_columns(
    columns: dict[str, np.ndarray], firm_th: np.ndarray, pool_th: np.ndarray, days: float
) -> dict[str, np.ndarray]:
    """Every measure of SECURITY_COLUMNS for every step.

    Args:
        columns: the model series (difficulty, hashprice, rewards, prices, power price) and
            the STATE_COLUMNS, one value per step.
        firm_th: running TH/s per step and firm, shape (n_steps, n_firms).
        pool_th: running TH/s per step and pool, shape (n_steps, n_pools).
        days: length of a step in days.
    """
    active_th = columns["state_active_th"]
    dormant_th = columns["state_dormant_th"]
    reward_btc = columns["subsidy_btc"] + columns["fees_btc"]
    price = columns["btc_price_usd"]
    interval_s = sec.expected_interval_s(columns["difficulty"], active_th * 1e12)
    budget = sec.security_budget_usd_per_day(reward_btc / days, price)
    start_th = active_th[0] if len(active_th) else 0.0
    exited = np.clip(1.0 - active_th / start_th, 0.0, 1.0) if start_th > 0 else active_th * 0
    q_ref = sec.attacker_share_after_exit(REFERENCE_ATTACKER_SHARE, exited)
    owned = dormant_th + active_th
    q_dormant = np.divide(dormant_th, owned, out=np.zeros_like(owned), where=owned > 0)
    hhi_pools, nakamoto_pools = _concentration(pool_th)
    hhi_firms, nakamoto_firms = _concentration(firm_th)
    with np.errstate(divide="ignore", invalid="ignore"):
        fee_share = np.where(reward_btc > 0, columns["fees_btc"] / reward_btc, np.nan)
        dormant_ratio = sec.dormant_ratio(dormant_th, active_th)
    return {
        "expected_interval_s": interval_s,
        "p_gap_over_1h": sec.p_gap_over(3600.0, interval_s),
        "security_budget_usd_per_day": budget,
        "security_budget_pct_mcap": sec.security_budget_pct_mcap(
            budget, price, columns["state_supply_btc"]
        ),
        "fee_share": fee_share,
        "rental_attack_cost_usd_per_h": sec.rental_attack_cost_usd_per_h(
            active_th / 1e6, columns["hashprice_usd_per_ph_day"]
        ),
        "capex_attack_cost_usd": _capex_attack_cost_usd(
            columns, columns["mean_power_price_usd_per_mwh"]
        ),
        "dormant_ratio": dormant_ratio,
        "reference_attacker_share": q_ref,
        "double_spend_p_q10_z6": sec.double_spend_probability(q_ref, REFERENCE_CONFIRMATIONS),
        "dormant_attacker_share": q_dormant,
        "double_spend_p_dormant_z6": sec.double_spend_probability(
            q_dormant, REFERENCE_CONFIRMATIONS
        ),
        "hhi_pools": hhi_pools,
        "nakamoto_pools": nakamoto_pools,
        "hhi_firms": hhi_firms,
        "nakamoto_firms": nakamoto_firms,
    }
