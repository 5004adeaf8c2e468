"""Exact division of a block reward among firms: integer satoshis that sum to the total."""

import numpy as np


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
    if n == 0 or not (weights.max() > 0 and np.isfinite(weights).all()):
        raise ValueError("cannot pay a reward with zero total hashrate (or non-finite weights)")
    scaled = weights / weights.max()  # in [0, 1]: no overflow for huge or tiny weights
    exact = scaled * (total_sat / scaled.sum())
    paid = np.floor(exact).astype(np.int64)
    leftover = int(total_sat - paid.sum())
    if leftover > 0:
        paid[np.argsort(paid - exact, kind="stable")[:leftover]] += 1
    elif leftover < 0:  # float rounding overshot: take back from the largest payees
        paid[np.argsort(-paid, kind="stable")[:-leftover]] -= 1
    return paid
