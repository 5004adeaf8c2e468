"""What the daily step reads of the tables, gathered once per change instead of once a day.

A vintage's site, region, efficiency and power draw, whether it may run at all (deployed
at a mining site), a site's contract terms, owner and take-or-pay MW: these change only
when a machine or a site changes state, owner or contract, which happens at month ends
through `Industry`. `Industry` builds a `DailyArrays` on the first daily operation after
such a change, so each day is a handful of array operations over these.
"""

from __future__ import annotations

import numpy as np

from abm.agents.fleet import MARKET, Fleet, MachineState, Mode, Sites
from abm.markets.economics import Contract


class DailyArrays:
    """Per-site and per-vintage constants of the daily operations.

    Bins for `np.bincount`: `site_bin` and `firm_bin` put vintages in storage and sites
    owned by no firm in one extra bin that is dropped, so sums over the real bins add the
    same terms in the same order as a sum over the selected rows.
    """

    def __init__(self, sites: Sites, fleet: Fleet, region_mean_usd_per_mwh, n_firms: int):
        s, f = sites, fleet
        self.n_sites, self.n_firms = s.n, n_firms
        # sites
        self.region = s.region.copy()
        self.contract = s.contract.copy()
        self.agreed_usd_per_mwh = s.contract_price_usd_per_mwh.copy()
        self.spot_markup_usd_per_mwh = s.spot_markup_usd_per_mwh.copy()
        self.resale = s.resale.copy()
        self.region_mean_usd_per_mwh = region_mean_usd_per_mwh[s.region]
        owned = s.firm != MARKET
        self.firm_bin = np.where(owned, s.firm, n_firms)
        self.is_ppa = (s.contract == Contract.FIXED_PPA) & owned
        converting = s.mode == Mode.CONVERTING
        # a site converting to AI uses no power: its take-or-pay PPA energy goes back to the
        # grid at spot until the tenant takes the contract over (AI tenants pay their power)
        self.resells = self.is_ppa & (s.resale | converting)
        billed = (s.mode == Mode.MINING) | converting
        self.ppa_mw = np.where(self.is_ppa & billed, s.gross_mw, 0.0)
        # vintages (site -1, in storage, reads the last site as the tables do, then masked)
        self.site = f.site.copy()
        self.site_bin = np.where(f.site >= 0, f.site, s.n)
        self.vintage_region = s.region[f.site]
        self.firm_of_vintage_bin = np.where(f.firm >= 0, f.firm, n_firms)
        self.th = f.th.copy()
        self.j_per_th = f.j_per_th.copy()
        self.power_mw = f.power_mw()
        deployed = f.state == MachineState.DEPLOYED
        self.may_run = deployed & (s.mode[f.site] == Mode.MINING)
        # what the recorder sums every day, constant between changes
        self.owned_th = np.where(f.state == MachineState.SCRAPPED, 0.0, f.th)
        self.deployed_th = float(f.th[deployed].sum())
        self.dormant_th = float(f.th[f.state == MachineState.DORMANT].sum())
        self.scrapped_th = float(f.th[f.state == MachineState.SCRAPPED].sum())
