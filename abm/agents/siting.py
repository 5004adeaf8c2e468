"""AI suitability of a mining site, from the attributes AI tenants screen on.

Tenants lease tens to hundreds of MW of critical IT at one site (calibration.md section 4:
25 to 800 MW per deal), want long-haul fiber or a metro close by (latency), water or
heat-rejection capacity for liquid cooling, and grids they accept (US, Canada, Nordics
rather than remote hydro, Central Asia or the Middle East). A site's suitability is a
deterministic score in [0, 1] of those attributes after two hard screens (scale and fiber
distance); a site scoring at least `min_score` is AI-suitable. Cooling type and readiness
act separately, on the tenant's score and the conversion capex (`hosting.score`,
`leasing.conversion_capex_usd_per_mw_it`). The defaults put about 20 % of miner power on
AI-suitable sites (Sabre56 [W]; docs/MODEL.md states the measured share).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from abm.params import param

TERMS = ("scale", "latency", "water", "region")


@dataclasses.dataclass(frozen=True)
class SuitabilityParams:
    """What AI tenants require of a site (assumptions read off calibration.md sections 4-5)."""

    min_site_mw: float = param(
        30.0, lo=0.0, doc="gross MW below which no tenant considers a site (smallest deal ~25 IT)"
    )
    full_scale_mw: float = param(
        300.0, lo=0.0, lo_open=True, doc="gross MW at which the scale term is full"
    )
    max_fiber_km: float = param(
        150.0, lo=0.0, lo_open=True, doc="km to long-haul fiber beyond which tenants walk away"
    )
    tenant_regions: tuple[str, ...] = param(
        ("texas_ercot", "us_other", "nordic_hydro"), doc="power regions tenants accept"
    )
    weights: tuple[float, ...] = param(
        (0.3, 0.3, 0.2, 0.2), lo=0.0, doc="weights of the scale, latency, water, region terms"
    )
    min_score: float = param(0.7, lo=0.0, hi=1.0, doc="score at or above which a site suits AI")

    def check(self) -> str | None:
        """One non-negative weight per term, with a positive sum."""
        if len(self.weights) != len(TERMS) or sum(self.weights) <= 0:
            return f"weights needs {len(TERMS)} non-negative values with a positive sum: {TERMS}"
        return None


def ai_suitability(
    gross_mw: np.ndarray,
    fiber_km: np.ndarray,
    water: np.ndarray,
    tenant_region: np.ndarray,
    p: SuitabilityParams,
) -> np.ndarray:
    """Score in [0, 1] per site: 0 if it fails a screen, else the weighted mean of its terms.

    Terms: scale min(MW / full scale, 1); latency 1 - km / max km; water 1 or 0; region 1
    or 0. Non-decreasing in MW, water and region; non-increasing in fiber distance.
    """
    gross_mw, fiber_km = np.asarray(gross_mw, float), np.asarray(fiber_km, float)
    terms = np.stack(
        [
            np.minimum(gross_mw / p.full_scale_mw, 1.0),
            np.clip(1.0 - fiber_km / p.max_fiber_km, 0.0, 1.0),
            np.asarray(water, float),
            np.asarray(tenant_region, float),
        ]
    )
    weights = np.asarray(p.weights, float)
    score = weights @ terms / weights.sum()
    return np.where(passes_screens(gross_mw, fiber_km, p), score, 0.0)


def passes_screens(gross_mw: np.ndarray, fiber_km: np.ndarray, p: SuitabilityParams) -> np.ndarray:
    """Tenants' hard screens: enough MW at one site, and fiber close enough."""
    return (np.asarray(gross_mw) >= p.min_site_mw) & (np.asarray(fiber_km) <= p.max_fiber_km)


def is_suitable(
    score: np.ndarray, gross_mw: np.ndarray, fiber_km: np.ndarray, p: SuitabilityParams
) -> np.ndarray:
    """Sites tenants would lease at all: through both screens and scoring `min_score` or more."""
    return passes_screens(gross_mw, fiber_km, p) & (np.asarray(score) >= p.min_score)
