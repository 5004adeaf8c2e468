"""Exact division of a block reward among firms: integer satoshis that sum to the total."""

import math

import numpy as np

_max, _sum = np.maximum.reduce, np.add.reduce  # ndarray.max and .sum, without their wrappers
_ZERO_WEIGHT = "cannot pay a reward with zero total hashrate (or non-finite weights)"


def split_sat(total_sat: int, weights: np.ndarray) -> np.ndarray:
    """Split `total_sat` pro rata to `weights` by largest remainders; sums exactly to it.

    Every satoshi issued is paid to someone: the floors of the exact shares are paid, and
    the leftover satoshis go one each to the largest fractional parts. With zero total
    weight nothing can be paid, so the function refuses rather than losing satoshis.
    """
    weights = np.asarray(weights, dtype=np.float64)
    n = len(weights)
    if total_sat == 0:
        return np.zeros(n, dtype=np.int64)
    top = _max(weights) if n else 0.0
    if not (top > 0 and math.isfinite(top)):
        raise ValueError(_ZERO_WEIGHT)
    scaled = weights / top  # in [0, 1]: no overflow for huge or tiny weights
    scaled_sum = _sum(scaled)
    if not math.isfinite(scaled_sum):  # a weight of -inf
        raise ValueError(_ZERO_WEIGHT)
    exact = scaled * (total_sat / scaled_sum)
    floor = np.floor(exact)
    paid = floor.astype(np.int64)
    leftover = int(total_sat - _sum(paid))
    if leftover > 0:
        floor -= exact  # paid - exact
        paid[floor.argsort(kind="stable")[:leftover]] += 1
    elif leftover < 0:  # float rounding overshot: take back from the largest payees
        paid[np.argsort(-paid, kind="stable")[:-leftover]] -= 1
    return paid
