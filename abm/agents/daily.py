"""What the daily step reads of the tables, gathered once per change instead of once a day.

A vintage's site, region, efficiency and power draw, whether it may run at all (deployed
at a mining site), a site's contract terms, owner and take-or-pay MW: these change only
when a machine or a site changes state, owner or contract, which happens at month ends
through `Industry`. `Industry` builds a `DailyArrays` on the first daily operation after
such a change, so each day is a handful of array operations over these, written into
buffers allocated with them.
"""

from __future__ import annotations

import numpy as np

from abm.agents.fleet import MARKET, Fleet, MachineState, Mode, Sites
from abm.markets.economics import MWH_PER_TH_DAY_PER_J_PER_TH, Contract
from abm.units import HOURS_PER_DAY


class DailyArrays:
    """Per-site and per-vintage constants of the daily operations, and their buffers.

    Bins for `np.bincount`: `site_bin` and `firm_bin` put vintages in storage and sites
    owned by no firm in one extra bin that is dropped, so sums over the real bins add the
    same terms in the same order as a sum over the selected rows.

    Exactness of the fused day (`operate`, `power_flows`): every number is the one the
    plain formulas of `abm.markets.economics` give, bit for bit. A contract's bill per MWh
    is `spot * price_mul / price_div + price_add`: `spot + markup` for spot contracts,
    `agreed * spot / mean` for indexed ones, `agreed` for PPAs (`spot * 0 / 1 + agreed`).
    A vintage runs iff `hashprice / 1000 - k * marginal > 0`, which for floats is
    `k * marginal < hashprice / 1000`; `k` is `j_per_th * 24e-6` (the same product the
    formula forms first) and NaN for vintages that may not run, so they never do. Terms
    that are zero do not change a `np.bincount` sum (it starts at +0.0), so sites and
    vintages with nothing to add may add a zero.
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
        self._fused_constants()

    def _fused_constants(self) -> None:
        """Coefficients and buffers of the fused day (see the class doc)."""
        n_sites, n, contract = self.n_sites, self.n_firms, self.contract
        agreed, mean = self.agreed_usd_per_mwh, self.region_mean_usd_per_mwh
        is_spot, is_indexed = contract == Contract.SPOT, contract == Contract.INDEXED
        fixed = ~(is_spot | is_indexed)  # billed at the agreed price
        one, zero = np.ones(n_sites), np.zeros(n_sites)
        # row 0: what a MWh used is billed (PPA: nothing, its MW are billed whole);
        # row 1: the marginal price (PPA: the spot it could be resold at, or nothing)
        mul = np.where(is_spot, 1.0, np.where(is_indexed, agreed, 0.0))
        add = np.where(is_spot, self.spot_markup_usd_per_mwh, np.where(is_indexed, 0.0, agreed))
        # np.array of two rows stacks them, in a third of np.stack's time
        self.price_mul = np.array((mul, np.where(fixed, np.where(self.resale, 1.0, 0.0), mul)))
        self.price_div = np.array((np.where(is_indexed, mean, one),) * 2)
        self.price_add = np.array((np.where(self.is_ppa, zero, add), np.where(fixed, zero, add)))
        self.price_mul[0, self.is_ppa] = 0.0
        self.k_run = np.where(self.may_run, self.j_per_th * MWH_PER_TH_DAY_PER_J_PER_TH, np.nan)
        self.site_of_vintage = np.where(self.site >= 0, self.site, 0)  # any site: k is NaN
        self.firm_bin3 = np.concatenate(
            (self.firm_bin, self.firm_bin + (n + 1), self.firm_bin + 2 * (n + 1))
        )
        self.ppa_resold_mw = np.where(self.resells, self.ppa_mw, 0.0)
        self._by_hours: dict[float, tuple[np.ndarray, ...]] = {}
        # buffers, overwritten every day
        n_vintages = len(self.th)
        self.spot_site = np.zeros(n_sites)
        self.prices = np.empty((2, n_sites))  # used MWh billed at, marginal; USD/MWh
        self.runs = np.zeros(n_vintages)  # 1.0 or 0.0: multiplied without a cast from bool
        self.run_share = np.zeros(n_vintages)
        self.th_running = np.zeros(n_vintages)
        self.used_terms = np.empty(n_vintages)
        self.site_flows = np.empty((3, n_sites))  # bill, opex, resale per site, USD
        self.all_online = True
        self._hashprice_th = np.zeros(())  # hashprice per TH/s today, a 0-d array
        self._zero = np.zeros(())

    def hourly(self, hours: float) -> tuple[np.ndarray, ...]:
        """Per step of `hours`: MWh each vintage uses when it runs, and per site.

        Returns (vintage MWh, PPA MWh, PPA MWh resold if unused, PPA bill at the agreed
        price), computed once per step length.
        """
        if hours not in self._by_hours:
            ppa_mwh = self.ppa_mw * hours
            self._by_hours[hours] = (
                self.power_mw * hours,
                ppa_mwh,
                self.ppa_resold_mw * hours,
                ppa_mwh * self.agreed_usd_per_mwh,
            )
        return self._by_hours[hours]

    def operate(
        self, spot_by_region: np.ndarray, online_by_region: np.ndarray | None, hashprice: float
    ) -> np.ndarray:
        """Today's site prices and running hashrate; returns TH/s running per vintage.

        Fills `spot_site`, `prices` (per site) and `th_running`, with `runs` (1.0 or 0.0)
        and, unless every region is online (`online_by_region` None), `run_share`: the
        contract's billed and marginal price per site, and a vintage running where it may
        and its margin over the marginal price is positive (`Industry.running_mask`).
        """
        self.spot_site = spot = spot_by_region[self.region]
        prices = self.prices
        np.multiply(spot, self.price_mul, out=prices)
        np.divide(prices, self.price_div, out=prices)
        np.add(prices, self.price_add, out=prices)
        cost = prices[1].take(self.site_of_vintage)  # ndarray.take: faster than [index]
        np.multiply(self.k_run, cost, out=cost)
        self._hashprice_th[...] = hashprice / 1000.0
        np.less(cost, self._hashprice_th, out=self.runs)
        self.all_online = online_by_region is None
        if self.all_online:  # the share running is 0 or 1: th * 1.0 is th
            np.multiply(self.th, self.runs, out=self.th_running)
        else:
            share = online_by_region.take(self.vintage_region)
            np.multiply(self.runs, share, out=self.run_share)
            np.multiply(self.th, self.run_share, out=self.th_running)
        return self.th_running

    def used_mwh_today(self, hours: float) -> np.ndarray:
        """Per site: MWh its running machines used over `hours`, after `operate`.

        With every region online the share running is 0 or 1, so `power * share * hours`
        is `(power * hours) * share` bit for bit.
        """
        if self.all_online:
            np.multiply(self.hourly(hours)[0], self.runs, out=self.used_terms)
        else:
            np.multiply(self.power_mw, self.run_share, out=self.used_terms)
            np.multiply(self.used_terms, hours, out=self.used_terms)
        return np.bincount(self.site_bin, self.used_terms, self.n_sites + 1)[: self.n_sites]

    def power_flows_today(
        self, used_mwh: np.ndarray, hours: float, opex_usd_per_mwh: np.ndarray
    ) -> tuple[np.ndarray, float]:
        """Per firm (bill, opex, resale), rows of a (3, n_firms) array; mean price per MWh.

        At the prices of `operate`, a PPA's bill precomputed.

        `opex_usd_per_mwh` is a 0-d array.
        """
        _, _, ppa_resold_mwh, ppa_bill = self.hourly(hours)
        bill, opex, resale = flows = self.site_flows
        np.multiply(used_mwh, self.prices[0], out=bill)
        np.add(bill, ppa_bill, out=bill)
        np.multiply(used_mwh, opex_usd_per_mwh, out=opex)
        np.subtract(ppa_resold_mwh, used_mwh, out=resale)
        np.maximum(resale, self._zero, out=resale)
        np.multiply(resale, self.spot_site, out=resale)
        return self._by_firm(flows, np.add.reduce(used_mwh))

    def _by_firm(self, flows: np.ndarray, used_mwh_total) -> tuple[np.ndarray, float]:
        """Per firm sums of the (3, n_sites) site flows; mean price of the MWh used."""
        n = self.n_firms
        by_firm = np.bincount(self.firm_bin3, flows.ravel(), 3 * (n + 1)).reshape(3, n + 1)
        # each row's own .sum(), as Python floats: the same IEEE arithmetic, without scalars
        bill_total, _, resale_total = np.add.reduce(flows, axis=1).tolist()
        used = float(used_mwh_total)
        mean_price = (bill_total - resale_total) / used if used > 0 else np.nan
        return by_firm[:, :n], mean_price


def hours_of(dt_days: int) -> float:
    """Hours in a step of `dt_days` days."""
    return HOURS_PER_DAY * dt_days
