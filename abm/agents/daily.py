"""What the daily step reads of the tables, gathered once per change instead of once a day.

A vintage's site, region, efficiency and power draw, whether it may run at all (deployed
at a mining site), a site's contract terms, owner and take-or-pay MW: these change only
when a machine or a site changes state, owner or contract, which happens at month ends
through `Industry`. `Industry` builds a `DailyArrays` on the first daily operation after
such a change, so each day is a handful of array operations over these, written into
buffers allocated with them; the spot prices being known ahead, every site's prices and
every vintage's power cost are computed for all its free rows of days at once. The power
bills of the days operated wait in a `DayBook` until they are read (at month ends, in a
run): all of them are then billed at once.
"""

from __future__ import annotations

import numpy as np

from abm.agents.fleet import MARKET, Fleet, MachineState, Mode, Sites
from abm.markets.economics import MWH_PER_TH_DAY_PER_J_PER_TH, Contract

MAX_DAYS_KEPT = 31  # a month: the ledger is read at every month end
VINTAGE_DAYS_KEPT = 1 << 15  # 256 KiB per (days, vintages) array: billed in cache


class DailyArrays:
    """Per-site and per-vintage constants of the daily operations, and their buffers.

    Bins for `np.bincount`: `site_bin` and `firm_bin` put vintages in storage and sites
    owned by no firm in one extra bin that is dropped, so sums over the real bins add the
    same terms in the same order as a sum over the selected rows.

    Exactness of the fused day (`operate`, `settle`): every number is the one the
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
        # rows of the days kept until `settle`, overwritten after it
        n_vintages = len(self.th)
        days = max(1, min(MAX_DAYS_KEPT, VINTAGE_DAYS_KEPT // max(n_vintages, 1)))
        self.days_kept = 0
        self.hours_rows = np.zeros(days)
        self.spot_rows = np.zeros((days, n_sites))
        self.price_rows = np.zeros((days, 2, n_sites))  # used MWh billed at, marginal; USD/MWh
        self.share_rows = np.zeros((days, n_vintages))  # share running: multiplied, not cast
        self.cost_rows = np.zeros((days, n_vintages))  # USD per TH/s-day running; NaN: may not
        # `_price_days` wrote rows [0, _rows_priced) from `_priced_path`, row 0 its step
        # `_priced_first_step` (the step of row j is that + j)
        self._rows_priced, self._priced_path, self._priced_first_step = 0, None, 0
        self.runs = np.zeros(n_vintages)  # 1.0 or 0.0, on days a region is offline
        self.th_running = np.zeros(n_vintages)  # today's, overwritten every day
        self._hashprice_th = np.zeros(())  # hashprice per TH/s today, a 0-d array
        self._settle_scratch: tuple[np.ndarray, ...] | None = None  # `_settle_buffers`

    def operate(
        self,
        spot_by_step_region: np.ndarray,
        step: int,
        online_by_region: np.ndarray | None,
        hashprice: float,
        priced_until: int | None = None,
    ) -> np.ndarray:
        """Step `step`'s running hashrate; returns TH/s running per vintage.

        Uses the next free row of `spot_rows`, `price_rows` (per site: the contract's
        billed and marginal price) and `cost_rows` (per vintage: power cost per TH/s-day of
        running), written by `_price_days`, and writes that row of `share_rows` (per
        vintage: the share running, 1.0 or 0.0 unless `online_by_region` is given), which
        `keep_day` keeps for `settle`. A vintage runs where it may and its margin over the
        marginal price is positive (`Industry.running_mask`), times its region's online
        share. Steps before `priced_until` (None: any) may be priced ahead.
        """
        j = self.days_kept
        if (
            j >= self._rows_priced
            or self._priced_path is not spot_by_step_region
            or self._priced_first_step + j != step
        ):
            self._price_days(spot_by_step_region, step, priced_until)
        self._hashprice_th[...] = hashprice / 1000.0
        share = self.share_rows[j]
        if online_by_region is None:  # the share running is 0 or 1: th * 1.0 is th
            np.less(self.cost_rows[j], self._hashprice_th, out=share)
        else:
            np.less(self.cost_rows[j], self._hashprice_th, out=self.runs)
            np.multiply(self.runs, online_by_region.take(self.vintage_region), out=share)
        np.multiply(self.th, share, out=self.th_running)
        return self.th_running

    def _price_days(
        self, spot_by_step_region: np.ndarray, step: int, priced_until: int | None
    ) -> None:
        """Site prices and vintage costs of the free rows from step `step` on, at once.

        A read-only path (the model's) prices the free rows ahead up to `priced_until`
        (the model's next month end, whose reads bill the rows kept and free the rest),
        each row what pricing its day alone gives (element-wise operations); a writable
        one only today's row, since its later rows may still change.
        """
        j = self.days_kept
        ahead = len(self.hours_rows) - j if not spot_by_step_region.flags.writeable else 1
        until = len(spot_by_step_region) if priced_until is None else priced_until
        rows = slice(j, j + max(min(ahead, until - step), 1))
        spot = spot_by_step_region[step : step + rows.stop - j]
        spot = spot.take(self.region, axis=1, out=self.spot_rows[rows])
        prices = self.price_rows[rows]
        np.multiply(spot[:, None, :], self.price_mul, out=prices)
        np.divide(prices, self.price_div, out=prices)
        np.add(prices, self.price_add, out=prices)
        cost = self.cost_rows[rows]
        prices[:, 1].take(self.site_of_vintage, axis=1, out=cost)
        np.multiply(self.k_run, cost, out=cost)
        self._priced_path, self._priced_first_step = spot_by_step_region, step - j
        self._rows_priced = rows.stop

    @property
    def full(self) -> bool:
        """Every row is kept: `settle` before the next `operate`."""
        return self.days_kept == len(self.hours_rows)

    def keep_day(self, hours: float) -> None:
        """Keep the row `operate` wrote, a step of `hours`, for `settle` to bill."""
        self.hours_rows[self.days_kept] = hours
        self.days_kept += 1

    def settle(self, opex_usd_per_mwh: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Bill every day kept, oldest first, and free the rows.

        Returns per day and firm (bill, opex, resale) in USD, shape (days, 3, firms), and
        per day the mean price of the MWh used (NaN if none). A PPA pays its MW whether
        it runs or not and resells unused MWh at spot where allowed; other contracts pay
        the MWh used; opex (a 0-d array, USD/MWh) is paid on the MWh used.

        Each day's numbers are those of billing it alone, bit for bit: element-wise
        products in the same order (a share of 1.0 or 0.0 makes `power * share * hours`
        equal `power * hours * share`), `np.bincount` over bins offset by day (it adds in
        input order, so each day's bins add the same terms in the same order), and sums
        along a contiguous last axis (numpy's pairwise sum of each row).
        """
        days, s, n = self.days_kept, self.n_sites, self.n_firms
        self.days_kept = 0
        hours = self.hours_rows[:days, None]
        if days > 1 and hours.min() == hours.max():  # steps of one length: one row of hours
            hours = hours[:1]  # broadcast: the same products, once per site instead of per day
        used_terms = self.share_rows[:days]  # the shares are not needed after this
        np.multiply(self.power_mw, used_terms, out=used_terms)
        np.multiply(used_terms, hours, out=used_terms)
        site_bins, firm_bins, flows = self._settle_buffers()
        used = np.bincount(site_bins[: used_terms.size], used_terms.ravel(), days * (s + 1))
        used = used.reshape(days, s + 1)[:, :s]  # MWh per site
        flows = flows[:days]
        bill, opex, resale = flows[:, 0], flows[:, 1], flows[:, 2]
        np.multiply(used, self.price_rows[:days, 0], out=bill)
        np.add(bill, (self.ppa_mw * hours) * self.agreed_usd_per_mwh, out=bill)
        np.multiply(used, opex_usd_per_mwh, out=opex)
        np.subtract(self.ppa_resold_mw * hours, used, out=resale)
        np.maximum(resale, 0.0, out=resale)
        np.multiply(resale, self.spot_rows[:days], out=resale)
        by_firm = np.bincount(firm_bins[: flows.size], flows.ravel(), days * 3 * (n + 1))
        bill_total, _, resale_total = np.add.reduce(flows, axis=2).T
        used_total = np.add.reduce(used, axis=1)
        mean_price = np.full(days, np.nan)
        np.divide(bill_total - resale_total, used_total, out=mean_price, where=used_total > 0)
        return by_firm.reshape(days, 3, n + 1)[:, :, :n], mean_price

    def _settle_buffers(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Bins of the kept rows for `np.bincount` (per site; per flow and firm), and flows.

        Each day has its own bins; the flows are (days, 3, sites). Made on the first
        `settle` of these arrays.
        """
        if self._settle_scratch is None:
            days, s, n = len(self.hours_rows), self.n_sites, self.n_firms
            offsets = np.arange(days)[:, None]
            self._settle_scratch = (
                (self.site_bin + (s + 1) * offsets).ravel(),
                (self.firm_bin3 + 3 * (n + 1) * offsets).ravel(),
                np.empty((days, 3, s)),  # bill, opex, resale per site, USD
            )
        return self._settle_scratch


class DayBook:
    """The days operated and not yet posted, in order, billed all at once when read.

    A day's reward split and power bill wait here (per day: the mining entry, then the
    power entry) until the ledger, the month's costs or the recorder read them; then
    `DailyArrays.settle` bills every kept day in a few array operations. `entries` are
    the ledger's days booked (it posts and clears them); the industry takes the days'
    per-firm costs (`take_costs`), the recorder the mean power price of each step
    (`take_mean_prices`).
    """

    def __init__(self, opex_usd_per_mwh: float):
        self._opex_usd_per_mwh = np.array(opex_usd_per_mwh)  # 0-d: fast ufuncs
        self.entries: list[tuple] = []  # the ledger's; (None,) a power day not yet billed
        self._arrays: DailyArrays | None = None  # whose kept rows the (None,) entries are
        self._unbilled: list[int] = []  # index in `entries` of each (None,), oldest first
        self._steps: list[int] = []  # the step of each power day not yet billed
        self._costs: list[np.ndarray] = []  # (days, 3, firms) blocks, oldest first
        self._mean_prices: list[tuple[list[int], np.ndarray]] = []

    def mining(self, reward_sat: int, weights, sell_share, price_usd: float) -> None:
        """A day's reward: (reward_sat, weights, sell_share, price_usd) for the ledger."""
        self.entries.append((reward_sat, weights, sell_share, price_usd))

    def power(self, arrays: DailyArrays, hours: float, step: int) -> None:
        """The power of the day `arrays.operate` just ran, a step of `hours`."""
        if self._arrays is not arrays and self._unbilled:  # rows of older constants
            self.settle()
        self._arrays = arrays
        arrays.keep_day(hours)
        self._unbilled.append(len(self.entries))
        self.entries.append((None,))
        self._steps.append(step)

    def settle(self) -> None:
        """Bill the power days kept (`DailyArrays.settle`)."""
        if not self._unbilled:
            return
        by_firm, mean_price = self._arrays.settle(self._opex_usd_per_mwh)
        for day, k in enumerate(self._unbilled):
            self.entries[k] = (by_firm[day],)
        self._costs.append(by_firm)
        self._mean_prices.append((self._steps, mean_price))
        self._unbilled, self._steps = [], []

    def take_costs(self) -> np.ndarray | None:
        """Per day and firm (bill, opex, resale) since last taken, (days, 3, firms); or None."""
        self.settle()
        if not self._costs:
            return None
        costs, self._costs = self._costs, []
        return costs[0] if len(costs) == 1 else np.concatenate(costs)

    def take_mean_prices(self) -> tuple[list[int], np.ndarray]:
        """(steps, mean power price per MWh used on each) since last taken."""
        self.settle()
        taken, self._mean_prices = self._mean_prices, []
        steps = [step for block, _ in taken for step in block]
        return steps, np.concatenate([prices for _, prices in taken] or [np.empty(0)])
