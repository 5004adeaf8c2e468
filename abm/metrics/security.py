"""Bitcoin security metrics: what hashrate leaving mining does to the chain's safety.

Pure, stateless, vectorized functions used by the model and the analysis code to turn
simulated state (difficulty, hashrate, pool shares, prices, idle machines) into the security
quantities researchers report: hashprice, block-interval statistics, double-spend risk,
concentration (HHI, Nakamoto coefficient), attack costs, the security budget and schedule slip.

Conventions:
    * Every function accepts scalars or numpy arrays (broadcast together) and returns a numpy
      scalar (``np.float64`` / ``np.int64``) for scalar input, an ``ndarray`` otherwise.
    * Units are in the argument and function names: ``_s`` seconds, ``_h`` hours, ``_hs`` hashes
      per second, ``_th`` / ``_ph`` / ``_eh`` tera-/peta-/exa-hashes per second, ``_usd`` US
      dollars, ``_btc`` bitcoin. Shares and probabilities are fractions in [0, 1], except
      ``security_budget_pct_mcap`` which is a percent.
    * Difficulty ``D`` is Bitcoin Core's difficulty (``GetDifficulty``): the expected number of
      hashes per block is ``D * 2**32`` (difficulty 1 target is ``0xffff * 2**208``; the
      ``2**32`` form is the standard approximation, off by a factor 1 - 2**-16).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import betainc, gammainc

from abm.chain import HASHES_PER_DIFFICULTY, TARGET_SPACING_S
from abm.markets.economics import hashprice_usd_per_ph_day

__all__ = [
    "HASHES_PER_DIFFICULTY",
    "TARGET_BLOCK_INTERVAL_S",
    "attacker_share_after_exit",
    "capex_attack_cost_usd",
    "confirmations_needed",
    "dormant_ratio",
    "double_spend_probability",
    "expected_interval_s",
    "hashprice_usd_per_ph_day",
    "hhi",
    "nakamoto_coefficient",
    "p_confirmations_within",
    "p_gap_over",
    "rental_attack_cost_usd_per_h",
    "schedule_slip_s",
    "security_budget_pct_mcap",
    "security_budget_usd_per_day",
    "top_share",
]

TARGET_BLOCK_INTERVAL_S: float = float(TARGET_SPACING_S)

_SHARE_TOL = 1e-12  # cumulative shares within this of a threshold do not "exceed" it


def _out(x: np.ndarray) -> Any:
    """Return a numpy scalar for 0-d results, the array otherwise."""
    x = np.asarray(x)
    return x[()] if x.ndim == 0 else x


def _as_float(x: Any) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def _check_nonneg(name: str, x: np.ndarray) -> None:
    if np.any(x < 0):
        raise ValueError(f"{name} must be >= 0")


def _check_unit(name: str, x: np.ndarray) -> None:
    if np.any((x < 0) | (x > 1)):
        raise ValueError(f"{name} must be in [0, 1]")


def _check_count(name: str, z: np.ndarray) -> None:
    if np.any(z < 0) or np.any(z != np.floor(z)):
        raise ValueError(f"{name} must be a non-negative integer")


# --------------------------------------------------------------------------- revenue / timing


def expected_interval_s(difficulty: Any, hashrate_hs: Any) -> Any:
    """Expected time between blocks (s) for a network hashrate at a given difficulty.

    Formula: ``mu = D * 2**32 / H`` (Bitcoin Core: expected hashes per block ``D * 2**32``);
    ``inf`` where ``H == 0``.

    Args:
        difficulty: Network difficulty ``D`` (>= 0).
        hashrate_hs: Network hashrate ``H`` in hashes per second (>= 0).

    Returns:
        Mean block interval in seconds.
    """
    d, h = _as_float(difficulty), _as_float(hashrate_hs)
    _check_nonneg("difficulty", d)
    _check_nonneg("hashrate_hs", h)
    with np.errstate(divide="ignore", invalid="ignore"):
        mu = np.where(h > 0, d * HASHES_PER_DIFFICULTY / np.where(h > 0, h, 1.0), np.inf)
    return _out(mu)


def p_gap_over(seconds: Any, mean_interval_s: Any) -> Any:
    """Probability that the wait for the next block exceeds ``seconds``.

    Block arrivals are a Poisson process (Nakamoto 2008; Rosenfeld 2014), so gaps are
    exponential with mean ``mu``: ``P(gap > t) = exp(-t / mu)`` for ``t >= 0`` and 1 for
    ``t < 0``. ``mu = inf`` (no hashrate) gives 1; ``mu = 0`` gives 0 for ``t > 0``.

    Args:
        seconds: Gap length ``t`` in seconds.
        mean_interval_s: Mean block interval ``mu`` in seconds (>= 0).

    Returns:
        Survival probability of the inter-block gap.
    """
    t, mu = _as_float(seconds), _as_float(mean_interval_s)
    _check_nonneg("mean_interval_s", mu)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.exp(-t / mu)
    return _out(np.where(t <= 0, 1.0, p))


def p_confirmations_within(z: Any, seconds: Any, mean_interval_s: Any) -> Any:
    """Probability that at least ``z`` blocks arrive within ``seconds``.

    The time to the ``z``-th block of a Poisson process with mean gap ``mu`` is Erlang
    (Gamma(shape=z, scale=mu)) distributed, so (standard result)::

        P(T_z <= t) = gammainc(z, t / mu)   (regularized lower incomplete gamma)

    ``z == 0`` gives 1; ``t <= 0`` gives 0 for ``z >= 1``.

    Args:
        z: Number of blocks (non-negative integer).
        seconds: Time window ``t`` in seconds.
        mean_interval_s: Mean block interval ``mu`` in seconds (>= 0).

    Returns:
        Probability of ``z`` or more blocks within the window.
    """
    zz, t, mu = _as_float(z), _as_float(seconds), _as_float(mean_interval_s)
    _check_count("z", zz)
    _check_nonneg("mean_interval_s", mu)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.where(t > 0, t / mu, 0.0)
    x = np.nan_to_num(x, nan=0.0, posinf=np.inf)
    p = gammainc(np.where(zz > 0, zz, 1.0), x)
    return _out(np.where(zz == 0, 1.0, p))


# --------------------------------------------------------------------------- double spending


def double_spend_probability(q: Any, z: Any) -> Any:
    """Success probability of a double spend by an attacker with hashrate share ``q``.

    The merchant waits for ``z`` confirmations; the attacker mines a private chain from the
    start and wins if it ever catches up. Closed form of Grunspan & Pérez-Marco (2018),
    "Double spend races", Int. J. Theor. Appl. Finance 21(08), Thm. 1::

        P(q, z) = I_{4pq}(z, 1/2),  p = 1 - q

    (``I`` the regularized incomplete beta, ``scipy.special.betainc``), which equals
    Rosenfeld's (2014) negative-binomial expression
    ``1 - sum_{k=0}^{z-1} C(k+z-1, k) (p^z q^k - q^z p^k)``. It is *not* Nakamoto's (2008)
    Poisson approximation. ``P = 1`` for ``q >= 0.5`` and for ``z == 0``; ``P = 0`` for
    ``q == 0, z >= 1``.

    Args:
        q: Attacker share of total hashrate, in [0, 1].
        z: Confirmations (non-negative integer); broadcast against ``q``.

    Returns:
        Probability the attack eventually succeeds.
    """
    qq, zz = _as_float(q), _as_float(z)
    _check_unit("q", qq)
    _check_count("z", zz)
    x = 4.0 * qq * (1.0 - qq)
    p = betainc(np.where(zz > 0, zz, 1.0), 0.5, np.clip(x, 0.0, 1.0))
    return _out(np.where((qq >= 0.5) | (zz == 0), 1.0, p))


def confirmations_needed(q: Any, risk: Any) -> Any:
    """Smallest number of confirmations ``z >= 0`` with ``double_spend_probability(q, z) <= risk``.

    Vectorized over ``q`` and ``risk`` (broadcast). Returns floats holding integers so that
    unreachable cases can be ``inf``: ``q >= 0.5`` (the attack always succeeds), and
    ``risk == 0`` with ``q > 0`` (the probability is positive for every ``z``). ``risk >= 1``
    gives 0. Since ``P(q, z)`` is decreasing in ``z`` the search is a vectorized exponential
    bracket followed by integer bisection on the closed form of ``double_spend_probability``.

    Args:
        q: Attacker hashrate share, in [0, 1].
        risk: Acceptable success probability, in [0, 1].

    Returns:
        Required confirmations (float, integer-valued, or ``inf``).
    """
    qq, rr = np.broadcast_arrays(_as_float(q), _as_float(risk))
    _check_unit("q", qq)
    _check_unit("risk", rr)
    qq, rr = qq.ravel(), rr.ravel()
    out = np.full(qq.shape, np.inf)
    out[rr >= 1.0] = 0.0
    todo = (rr < 1.0) & (qq < 0.5) & ((rr > 0.0) | (qq == 0.0))
    idx = np.flatnonzero(todo)
    if idx.size:
        q_t, r_t = qq[idx], rr[idx]
        # Invariant: P(lo) > risk, P(hi) <= risk (P(0) = 1 > risk).
        lo = np.zeros(idx.size)
        hi = np.ones(idx.size)
        for _ in range(64):
            bad = double_spend_probability(q_t, hi) > r_t
            if not bad.any():
                break
            lo = np.where(bad, hi, lo)
            hi = np.where(bad, hi * 2.0, hi)
        else:  # pragma: no cover - needs q within ~1e-18 of 0.5 and tiny risk
            raise RuntimeError("confirmations_needed: search did not converge")
        while np.any(hi - lo > 1):
            mid = np.floor((lo + hi) / 2.0)
            ok = double_spend_probability(q_t, mid) <= r_t
            hi = np.where(ok, mid, hi)
            lo = np.where(ok, lo, mid)
        out[idx] = hi
    return _out(out.reshape(np.broadcast_shapes(np.shape(q), np.shape(risk))))


def attacker_share_after_exit(q0: Any, f: Any) -> Any:
    """Attacker's hashrate share after a fraction ``f`` of honest hashrate leaves.

    The attacker keeps its hashrate ``q0 * H``; honest hashrate falls from ``(1 - q0) H`` to
    ``(1 - f)(1 - q0) H``, so::

        q' = q0 / (q0 + (1 - f)(1 - q0))

    ``f = 0`` gives ``q0``; ``f = 1`` gives 1 for ``q0 > 0`` (nan for ``q0 = 0, f = 1``).

    Args:
        q0: Attacker share before the exit, in [0, 1].
        f: Fraction of honest hashrate that leaves, in [0, 1].

    Returns:
        Attacker share after the exit.
    """
    qq, ff = _as_float(q0), _as_float(f)
    _check_unit("q0", qq)
    _check_unit("f", ff)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _out(qq / (qq + (1.0 - ff) * (1.0 - qq)))


# --------------------------------------------------------------------------- concentration


def _normalized_shares(shares: Any) -> np.ndarray:
    s = _as_float(shares)
    if s.ndim == 0 or s.shape[-1] == 0:
        raise ValueError("shares must have at least one entity along the last axis")
    _check_nonneg("shares", s)
    total = s.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return s / total


def hhi(shares: Any) -> Any:
    """Herfindahl-Hirschman index of concentration, in [1/n, 1], along the last axis.

    Standard definition ``HHI = sum_i s_i**2`` on fractional shares (not the 0-10,000 scale).
    Inputs are normalized by their sum along the last axis first (so hashrates can be passed
    directly); a zero total gives nan. Negative shares raise ``ValueError``.

    Args:
        shares: Shares (or unnormalized sizes) of the entities, last axis = entities.

    Returns:
        HHI, shape ``shares.shape[:-1]``.
    """
    s = _normalized_shares(shares)
    return _out(np.sum(s * s, axis=-1))


def nakamoto_coefficient(shares: Any, threshold: float = 0.5) -> Any:
    """Smallest number of entities whose combined share strictly exceeds ``threshold``.

    Srinivasan & Lee (2017), "Quantifying decentralization": sort shares in descending order
    and return the first ``k`` with ``cumsum(s)[k-1] > threshold``. Shares are normalized by their
    sum along the last axis; cumulative sums within 1e-12 of the threshold count as equal (not
    exceeding), so n equal shares give ``floor(n * threshold) + 1`` despite rounding.

    Args:
        shares: Shares (or sizes) of the entities; last axis = entities.
        threshold: Control threshold in [0, 1), e.g. 0.5 for a majority, 0.33 for selfish
            mining, 0.25 for the Eyal-Sirer bound.

    Returns:
        Integer count (``np.int64``) or integer array of shape ``shares.shape[:-1]``.

    Raises:
        ValueError: For negative shares, a zero total, or threshold outside [0, 1).
    """
    if not 0.0 <= threshold < 1.0:
        raise ValueError("threshold must be in [0, 1)")
    s = _normalized_shares(shares)
    if np.any(~np.isfinite(s)):
        raise ValueError("shares must have a positive finite total")
    cum = np.cumsum(-np.sort(-s, axis=-1), axis=-1)
    exceeds = cum > threshold + _SHARE_TOL
    # The total is 1 > threshold, so the last entry exceeds unless lost to the tolerance.
    exceeds[..., -1] = True
    return _out(np.argmax(exceeds, axis=-1).astype(np.int64) + 1)


def top_share(shares: Any, k: int) -> Any:
    """Combined share of the ``k`` largest entities along the last axis (concentration ratio).

    ``CR_k = sum of the k largest normalized shares`` (standard concentration ratio). Shares are
    normalized by their sum (zero total gives nan); ``k = 0`` gives 0, ``k >= n`` gives 1.

    Args:
        shares: Shares (or sizes); last axis = entities.
        k: Number of largest entities (non-negative integer).

    Returns:
        Combined share, shape ``shares.shape[:-1]``.
    """
    if int(k) != k or k < 0:
        raise ValueError("k must be a non-negative integer")
    s = _normalized_shares(shares)
    top = -np.sort(-s, axis=-1)[..., : int(k)]
    return _out(np.sum(top, axis=-1))


# --------------------------------------------------------------------------- attack costs


def rental_attack_cost_usd_per_h(
    network_hashrate_eh: Any, hashprice_usd_per_ph_day: Any, attack_multiple: Any = 1.0
) -> Any:
    """Hourly cost of renting ``A`` times the honest network hashrate at the hashprice.

    Hashrate markets (e.g. NiceHash) price rented hashrate near hashprice (Budish 2018, "The
    economic limits of bitcoin and the blockchain", rental-attack cost ``A * H * hashprice``)::

        cost per hour = A * (H_EH * 1000 PH/EH) * hashprice_usd_per_ph_day / 24

    Args:
        network_hashrate_eh: Honest network hashrate ``H`` in EH/s.
        hashprice_usd_per_ph_day: Hashprice in USD per PH/s per day.
        attack_multiple: ``A``, attacker hashrate as a multiple of the honest hashrate
            (A = 1 matches it; A > 1 is a majority attack).

    Returns:
        USD per hour.
    """
    h_ph = _as_float(network_hashrate_eh) * 1e3
    hp, a = _as_float(hashprice_usd_per_ph_day), _as_float(attack_multiple)
    return _out(a * h_ph * hp / 24.0)


def capex_attack_cost_usd(
    attack_hashrate_th: Any,
    asic_price_usd_per_th: Any,
    j_per_th: Any,
    power_usd_per_mwh: Any,
    duration_h: Any,
) -> Any:
    """Cost of buying attack hardware on the secondary market and powering it.

    ``TH * $/TH`` for the machines plus energy: ``TH/s * J/TH = W``, so::

        cost = TH * usd_per_th + TH * j_per_th * 1e-6 (MW) * duration_h * usd_per_mwh

    Args:
        attack_hashrate_th: Attack hashrate in TH/s.
        asic_price_usd_per_th: Secondary-market ASIC price in USD per TH/s.
        j_per_th: Machine efficiency in J/TH.
        power_usd_per_mwh: Electricity price in USD per MWh.
        duration_h: Attack duration in hours.

    Returns:
        USD (hardware + power).
    """
    th = _as_float(attack_hashrate_th)
    hardware = th * _as_float(asic_price_usd_per_th)
    power_mw = th * _as_float(j_per_th) * 1e-6
    energy = power_mw * _as_float(duration_h) * _as_float(power_usd_per_mwh)
    return _out(hardware + energy)


def dormant_ratio(dormant_th: Any, active_th: Any) -> Any:
    """Ratio of dormant (owned, powered-off, redeployable) to active hashrate.

    ``dormant_th / active_th``; a value above ``1`` means idle machines could out-hash the live
    network. ``inf`` for active 0 with dormant > 0, nan for both 0.

    Args:
        dormant_th: Dormant hashrate in TH/s.
        active_th: Active network hashrate in TH/s.

    Returns:
        Dimensionless ratio.
    """
    d, a = _as_float(dormant_th), _as_float(active_th)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _out(d / a)


# --------------------------------------------------------------------------- budget / schedule


def security_budget_usd_per_day(reward_btc_per_day: Any, price_usd: Any) -> Any:
    """Security budget: USD paid to miners per day (subsidy + fees), ``R_day * P``.

    Standard definition (Budish 2018): the flow payment that honest hashrate earns.

    Args:
        reward_btc_per_day: Miner reward per day in BTC (about 144 blocks' subsidy + fees).
        price_usd: BTC price in USD.

    Returns:
        USD per day.
    """
    return _out(_as_float(reward_btc_per_day) * _as_float(price_usd))


def security_budget_pct_mcap(budget_usd_per_day: Any, price_usd: Any, supply_btc: Any) -> Any:
    """Daily security budget as a percent of market capitalization.

    ``100 * budget_usd_per_day / (price_usd * supply_btc)`` (percent per day).

    Args:
        budget_usd_per_day: Security budget in USD per day.
        price_usd: BTC price in USD.
        supply_btc: Circulating supply in BTC.

    Returns:
        Percent of market cap paid per day.
    """
    mcap = _as_float(price_usd) * _as_float(supply_btc)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _out(100.0 * _as_float(budget_usd_per_day) / mcap)


def schedule_slip_s(elapsed_s: Any, blocks: Any) -> Any:
    """Seconds the chain is behind its issuance schedule: ``elapsed_s - 600 * blocks``.

    600 s is Bitcoin Core's ``nPowTargetSpacing``; positive values mean blocks came slower than
    the schedule (e.g. after hashrate left before the next difficulty retarget).

    Args:
        elapsed_s: Wall-clock time elapsed in seconds.
        blocks: Blocks found in that time.

    Returns:
        Slip in seconds (positive: behind schedule).
    """
    return _out(_as_float(elapsed_s) - TARGET_BLOCK_INTERVAL_S * _as_float(blocks))
