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


def split_sat_rows(totals_sat: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """`split_sat(totals_sat[d], weights[d])` for every row d at once, bit for bit.

    Row maxima, quotients and products are the same element by element; a row's sum along
    the last axis is numpy's pairwise sum of that row, as `.sum()` of the row alone; the
    stable sort of each row's fractional parts orders ties as the 1-D sort does. Rows whose
    float rounding overshot (rare) are redone with `split_sat`.
    """
    totals = np.asarray(totals_sat, dtype=np.int64)
    weights = np.asarray(weights, dtype=np.float64)
    days, n = weights.shape
    paid = np.zeros((days, n), dtype=np.int64)
    pay = np.flatnonzero(totals)
    if not len(pay):
        return paid
    w = weights[pay]
    top = _max(w, axis=1) if n else np.zeros(len(pay))
    if not (np.all(top > 0) and np.all(np.isfinite(top))):
        raise ValueError(_ZERO_WEIGHT)
    scaled = w / top[:, None]
    scaled_sum = _sum(scaled, axis=1)
    if not np.all(np.isfinite(scaled_sum)):
        raise ValueError(_ZERO_WEIGHT)
    exact = scaled * (totals[pay] / scaled_sum)[:, None]
    floor = np.floor(exact)
    rows = floor.astype(np.int64)
    leftover = totals[pay] - _sum(rows, axis=1)
    floor -= exact  # paid - exact
    order = floor.argsort(axis=1, kind="stable")
    r, k = np.nonzero(np.arange(n) < leftover[:, None])  # the first `leftover` of each row
    rows[r, order[r, k]] += 1
    paid[pay] = rows
    for d in pay[leftover < 0]:
        paid[d] = split_sat(int(totals[d]), weights[d])
    return paid
