"""Exogenous hashrate shocks: bans, storms or exoduses that force a share of a region offline.

A shock ramps linearly from nothing on its start date to its full offline share on its
full date, and lasts until its end date (or the end of the run). Machines a shock forces
off are owned and redeployable: they count as dormant hashrate, not scrapped.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np

from abm.params import param


@dataclasses.dataclass(frozen=True)
class ShockParams:
    """One forced outage of a share of the hashrate in some regions."""

    name: str = param(doc="label, e.g. china_ban_sichuan")
    start_date: dt.date = param(doc="first day with hashrate forced off")
    full_date: dt.date = param(doc="day the full offline share is reached (linear ramp)")
    offline_share: float = param(
        lo=0.0, hi=1.0, doc="share of the regions' hashrate forced off at full effect"
    )
    regions: tuple[str, ...] = param((), doc="regions hit; empty: every region")
    end_date: dt.date | None = param(None, doc="last day of the outage; none: permanent")

    def check(self) -> str | None:
        """Dates must be in order."""
        if self.full_date < self.start_date:
            return f"{self.name}: full_date {self.full_date} is before start_date"
        if self.end_date is not None and self.end_date < self.full_date:
            return f"{self.name}: end_date {self.end_date} is before full_date"
        return None


def ramp(shock: ShockParams, dates: np.ndarray) -> np.ndarray:
    """Share of the shock's full effect on each date, in [0, 1]."""
    day = dates.astype("datetime64[D]").astype(np.int64)
    start = np.datetime64(shock.start_date, "D").astype(np.int64)
    full = np.datetime64(shock.full_date, "D").astype(np.int64)
    effect = np.clip((day - start + 1) / (full - start + 1), 0.0, 1.0)
    if shock.end_date is not None:
        effect[day > np.datetime64(shock.end_date, "D").astype(np.int64)] = 0.0
    return effect


def offline_share_paths(
    shocks: tuple[ShockParams, ...], dates: np.ndarray, region_names: tuple[str, ...]
) -> np.ndarray:
    """Share of each region's hashrate forced off on each date, shape (n_steps, n_regions).

    Overlapping shocks combine as independent outages: 1 - prod(1 - share_k).
    """
    online = np.ones((len(dates), len(region_names)))
    for shock in shocks:
        hit = [
            i for i, name in enumerate(region_names) if not shock.regions or name in shock.regions
        ]
        online[:, hit] *= (1.0 - shock.offline_share * ramp(shock, dates))[:, None]
    return 1.0 - online
