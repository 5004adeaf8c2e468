"""Run-level security extremes read off a run's model series and retarget events."""

from __future__ import annotations

import numpy as np
import pandas as pd

from abm.chain import MAX_TIMESPAN_S, MIN_TIMESPAN_S, bits_to_target


def _longest_run(flags: np.ndarray) -> int:
    """Length of the longest stretch of consecutive True values."""
    longest = current = 0
    for flag in flags:
        current = current + 1 if flag else 0
        longest = max(longest, current)
    return longest


def security_extremes(model: pd.DataFrame, events: pd.DataFrame) -> dict[str, float | int | None]:
    """Worst values over the run: longest gaps, clamped retargets, cheapest attacks, ..."""
    retarget = (events["kind"] == "retarget").to_numpy() if len(events) else []
    if np.any(retarget):
        spans = events["timespan_s"].to_numpy()[retarget]
        olds, news = (events[name].to_numpy()[retarget] for name in ("old_bits", "new_bits"))
        easier = np.array(
            [
                bits_to_target(int(new)) > bits_to_target(int(old))
                for old, new in zip(olds.tolist(), news.tolist(), strict=True)
            ]
        )
    else:
        spans, easier = np.empty(0), np.empty(0, dtype=bool)

    def col(name: str, how: str) -> float | None:
        """The column's max or min over its non-NaN values (None: no column, or all NaN)."""
        if name not in model:
            return None
        values = model[name].to_numpy(dtype=float)
        if np.isnan(values).all():
            return None
        return float(np.nanmax(values) if how == "max" else np.nanmin(values))

    return {
        "max_daily_mean_interval_s": col("mean_block_interval_s", "max"),
        "longest_gap_s": col("max_block_interval_s", "max"),
        "gaps_over_1h": int(model["gaps_over_1h"].to_numpy().sum()),
        "gaps_over_2h": int(model["gaps_over_2h"].to_numpy().sum()),
        "retargets_at_clamp": int(((spans < MIN_TIMESPAN_S) | (spans > MAX_TIMESPAN_S)).sum()),
        "max_consecutive_negative_retargets": _longest_run(easier),
        "min_rental_attack_cost_usd_per_h": col("rental_attack_cost_usd_per_h", "min"),
        "min_capex_attack_cost_usd": col("capex_attack_cost_usd", "min"),
        "max_dormant_ratio": col("dormant_ratio", "max"),
        "max_double_spend_p_q10_z6": col("double_spend_p_q10_z6", "max"),
        "min_nakamoto_pools": col("nakamoto_pools", "min"),
        "min_nakamoto_firms": col("nakamoto_firms", "min"),
        "max_schedule_slip_s": col("schedule_slip_s", "max"),
    }
