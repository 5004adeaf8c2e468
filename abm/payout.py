"""Exact division of a block reward among firms: integer satoshis that sum to the total."""

import math

import numpy as np

_max, _min, _sum = np.maximum.reduce, np.minimum.reduce, np.add.reduce  # .max, .min, .sum unwrapped
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
    if days and _min(totals) > 0:  # every day pays (a run's days do): no rows to pick
        return _split_rows(totals, weights)
    paid = np.zeros((days, n), dtype=np.int64)
    pay = np.flatnonzero(totals)
    if len(pay):
        paid[pay] = _split_rows(totals[pay], weights[pay])
    return paid


def _split_rows(totals: np.ndarray, w: np.ndarray) -> np.ndarray:
    """`split_sat_rows` of rows whose totals are all positive."""
    n = w.shape[1]
    top = _max(w, axis=1) if n else np.zeros(len(totals))
    # every top > 0 and finite: the smallest > 0 and the largest finite (NaN fails both)
    if not (_min(top) > 0 and math.isfinite(_max(top))):
        raise ValueError(_ZERO_WEIGHT)
    scaled = w / top[:, None]
    scaled_sum = _sum(scaled, axis=1)
    if not math.isfinite(_sum(scaled_sum)):  # a sum of finite sums <= n is finite
        raise ValueError(_ZERO_WEIGHT)
    exact = scaled * (totals / scaled_sum)[:, None]
    floor = np.floor(exact)
    rows = floor.astype(np.int64)
    leftover = totals - _sum(rows, axis=1)
    floor -= exact  # paid - exact
    _pay_leftover(rows, floor, leftover)
    if _min(leftover) < 0:
        for d in np.flatnonzero(leftover < 0).tolist():
            rows[d] = split_sat(int(totals[d]), w[d])
    return rows


def _pay_leftover(rows: np.ndarray, paid_less_exact: np.ndarray, leftover: np.ndarray) -> None:
    """Add 1 to the `leftover[d]` smallest `paid_less_exact[d]` of each row d of `rows`.

    Ties are taken in index order (as a stable sort takes them). A value sort finds each
    row's cut-off, and a row takes every value up to it; only a row where values equal to
    its cut-off straddle it (a tie across the cut) is sorted stably, as is a row whose
    cut-off is out of range.
    """
    days, n = rows.shape
    last = np.maximum(np.minimum(leftover, n), 1) - 1  # np.clip's wrapper costs 10 us
    cut = np.sort(paid_less_exact, axis=1)[np.arange(days), last]
    cut[leftover <= 0] = -np.inf  # paid - exact > -1: nothing taken
    take = paid_less_exact <= cut[:, None]
    exact_cut = _sum(take, axis=1) == np.maximum(leftover, 0)
    rows += take
    if exact_cut.all():
        return
    for d in np.flatnonzero(~exact_cut):
        rows[d] -= take[d]
        order = paid_less_exact[d].argsort(kind="stable")
        rows[d, order[: max(int(leftover[d]), 0)]] += 1
