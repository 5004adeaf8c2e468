"""A miner's unit economics, one formula per concept.

Hashprice (what a PH/s earns in a day), what powering a TH/s costs in a day, the margin
between them, and the price a site's power contract charges per MWh (billed, or given up
at the margin). The daily step, the fleet decisions, the valuations and the security
measures all call these, so a formula changes in one place.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from abm.chain import HASHES_PER_DIFFICULTY
from abm.units import SECONDS_PER_DAY, TH_PER_PH

MWH_PER_TH_DAY_PER_J_PER_TH = 24e-6  # 1 TH/s at 1 J/TH draws 1 W: 24 Wh = 24e-6 MWh a day


class Contract:
    """How a site buys power (int codes: plain class attributes are fast on the hot path)."""

    FIXED_PPA = 0  # fixed $/MWh for the contracted MW, take-or-pay; resale at spot if allowed
    INDEXED = 1  # pays the contract price scaled by spot / the region's mean, for MWh used
    SPOT = 2  # pays the region's spot price plus a hosting markup, for MWh used


def hashprice_usd_per_ph_day(difficulty: Any, reward_btc: Any, price_usd: Any) -> Any:
    """Revenue of 1 PH/s mining for one day at the current difficulty, USD/PH/day.

    hashprice = R * P * 86400 * 1e15 / (D * 2**32): 1e15 H/s for a day finds
    86400e15 / (D * 2**32) blocks in expectation (Bitcoin Core: D * 2**32 hashes a block),
    each paying R BTC (subsidy and fees) worth P USD.
    """
    if type(difficulty) is float and type(reward_btc) is float and type(price_usd) is float:
        if not difficulty > 0:  # the daily step's case: the same float operations, no arrays
            raise ValueError("difficulty must be > 0")
        return np.float64(
            reward_btc
            * price_usd
            * float(SECONDS_PER_DAY)
            * 1e15
            / (difficulty * HASHES_PER_DIFFICULTY)
        )
    d = np.asarray(difficulty, dtype=float)
    if np.any(d <= 0):
        raise ValueError("difficulty must be > 0")
    r, p = np.asarray(reward_btc, dtype=float), np.asarray(price_usd, dtype=float)
    out = r * p * float(SECONDS_PER_DAY) * 1e15 / (d * HASHES_PER_DIFFICULTY)
    return out[()]  # a numpy scalar for scalar inputs


def power_cost_usd_per_th_day(j_per_th: Any, power_usd_per_mwh: Any) -> Any:
    """Cost of powering one TH/s for a day at a power price, USD."""
    if isinstance(j_per_th, float) and isinstance(power_usd_per_mwh, float):  # and np.float64
        return np.float64(j_per_th * MWH_PER_TH_DAY_PER_J_PER_TH * power_usd_per_mwh)
    return np.asarray(j_per_th) * MWH_PER_TH_DAY_PER_J_PER_TH * power_usd_per_mwh


def margin_usd_per_th_day(hashprice_usd_per_ph_day: Any, j_per_th: Any, power_usd_per_mwh: Any):
    """What one TH/s earns in a day over its power cost, USD (negative: it loses money)."""
    return hashprice_usd_per_ph_day / TH_PER_PH - power_cost_usd_per_th_day(
        j_per_th, power_usd_per_mwh
    )


def breakeven_power_usd_per_mwh(j_per_th: Any, hashprice_usd_per_ph_day: float) -> Any:
    """Power price (USD/MWh) at which a machine's daily margin is zero."""
    return (
        hashprice_usd_per_ph_day / TH_PER_PH / (np.asarray(j_per_th) * MWH_PER_TH_DAY_PER_J_PER_TH)
    )


def contract_price_usd_per_mwh(
    contract: np.ndarray,
    agreed_usd_per_mwh: np.ndarray,
    spot_markup_usd_per_mwh: np.ndarray,
    spot_usd_per_mwh: np.ndarray,
    region_mean_usd_per_mwh: np.ndarray,
) -> np.ndarray:
    """Per site: what its contract bills for a MWh at today's regional spot price.

    `agreed_usd_per_mwh` is the contract's own price: the PPA price, or the indexed base.
    """
    return np.where(
        contract == Contract.SPOT,
        spot_usd_per_mwh + spot_markup_usd_per_mwh,
        np.where(
            contract == Contract.INDEXED,
            agreed_usd_per_mwh * spot_usd_per_mwh / region_mean_usd_per_mwh,
            agreed_usd_per_mwh,
        ),
    )


def marginal_price_usd_per_mwh(
    contract: np.ndarray,
    agreed_usd_per_mwh: np.ndarray,
    spot_markup_usd_per_mwh: np.ndarray,
    resale: np.ndarray,
    spot_usd_per_mwh: np.ndarray,
    region_mean_usd_per_mwh: np.ndarray,
) -> np.ndarray:
    """Per site: what running one more MWh costs.

    Spot and indexed sites pay for what they use; a take-or-pay PPA pays for the MWh anyway,
    so running it costs nothing, or the spot price it could be resold at.
    """
    billed = contract_price_usd_per_mwh(
        contract,
        agreed_usd_per_mwh,
        spot_markup_usd_per_mwh,
        spot_usd_per_mwh,
        region_mean_usd_per_mwh,
    )
    return marginal_given_billed_usd_per_mwh(contract, billed, resale, spot_usd_per_mwh)


def marginal_given_billed_usd_per_mwh(
    contract: np.ndarray, billed_usd_per_mwh: np.ndarray, resale: np.ndarray, spot_usd_per_mwh
) -> np.ndarray:
    """Per site: the marginal price of a MWh, given what its contract bills for one."""
    given_up = np.where(resale, spot_usd_per_mwh, 0.0)
    return np.where(contract == Contract.FIXED_PPA, given_up, billed_usd_per_mwh)
