"""Per-firm cash, BTC treasury and cash flows, as arrays over firms.

Every change of a firm's cash goes through one named flow, so a firm's cash change over any
period equals its inflows minus its outflows (tested). Flows accumulate until the model
records the monthly firm panel and then restart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from abm.payout import split_sat, split_sat_rows

if TYPE_CHECKING:
    from abm.agents.daily import DayBook

INFLOWS = (
    "btc_sales_usd",
    "resale_usd",
    "asset_sales_usd",
    "debt_drawn_usd",
    "ai_rent_usd",
    "equity_raised_usd",
    "convertible_issued_usd",
)
OUTFLOWS = (
    "power_cost_usd",
    "opex_usd",
    "ga_usd",
    "interest_usd",
    "debt_repaid_usd",
    "capex_usd",
    "ai_opex_usd",
    "ai_team_usd",
)
NONCASH = ("mining_revenue_usd", "btc_mined_sat")  # value of BTC mined; satoshis mined


class Ledger:
    """Cash (USD), BTC (satoshis) and the flows of the current period for every firm.

    The daily step books its mining and power flows in a `DayBook` (`days`) instead of
    posting them; the day book's entries are the ledger's days booked. They are posted
    when a balance or a flow is next read (at the month's end, in a run), all days at once,
    with the same numbers as posting them day by day (`mine`, `sell_btc_every_firm`,
    `pay_every_firm`, `receive_every_firm`): integer satoshis in any order, every float sum
    as the same running sum over the days (`sum_row_after_row`),
    `x - y` as `x + (-y)`.
    """

    def __init__(self, cash_usd: np.ndarray, btc_sat: np.ndarray, days: DayBook):
        self._cash_usd = np.asarray(cash_usd, dtype=np.float64).copy()
        self._btc_sat = np.asarray(btc_sat, dtype=np.int64).copy()
        n = len(self._cash_usd)
        self._flows = {name: np.zeros(n) for name in INFLOWS + OUTFLOWS + NONCASH[:1]}
        self._flows["btc_mined_sat"] = np.zeros(n, dtype=np.int64)
        self._days = days
        self._booked = days.entries  # days' flows not yet posted, oldest first (shared)

    @property
    def cash_usd(self) -> np.ndarray:
        """Cash per firm, USD (change it in place)."""
        if self._booked:
            self._post_booked()
        return self._cash_usd

    @cash_usd.setter
    def cash_usd(self, values: np.ndarray) -> None:  # `ledger.cash_usd -= x` ends here
        if values is not self.cash_usd:
            self._cash_usd[:] = values

    @property
    def btc_sat(self) -> np.ndarray:
        """BTC held per firm, satoshis (change it in place)."""
        if self._booked:
            self._post_booked()
        return self._btc_sat

    @btc_sat.setter
    def btc_sat(self, values: np.ndarray) -> None:  # `ledger.btc_sat -= x` ends here
        if values is not self.btc_sat:
            self._btc_sat[:] = values

    @property
    def flows(self) -> dict[str, np.ndarray]:
        """Each flow of the current period per firm (change them in place)."""
        if self._booked:
            self._post_booked()
        return self._flows

    def _post_booked(self) -> None:
        """Post the days booked, oldest first.

        A day's reward (reward_sat, weights, sell_share, price_usd) is split pro rata to
        `weights` (`split_sat`), each firm selling `floor(sat * sell_share)`; a day's power
        (by_firm,) has the bills, opex and resale per firm as rows.
        """
        self._days.settle()  # the power of every day booked is billed
        booked = self._booked.copy()
        self._booked.clear()
        mining, power = booked[0::2], booked[1::2]
        in_day_order = all(len(entry) == 4 for entry in mining) and all(
            len(entry) == 1 for entry in power
        )
        days = len(booked) // 2
        if not in_day_order or len(booked) < 2 or len(booked) % 2:
            for entry in booked:  # not day after day of mining then power: one by one
                if len(entry) == 4:
                    reward_sat, weights, sell_share, price_usd = entry
                    sat = split_sat(reward_sat, weights)
                    assert sat.sum() == reward_sat, "a reward was not paid to the satoshi"
                    self.mine(sat, price_usd)
                    self.sell_btc_every_firm(_sold(sat, sell_share), price_usd)
                else:
                    bill, opex, resale = entry[0]
                    self.pay_every_firm("power_cost_usd", bill)
                    self.pay_every_firm("opex_usd", opex)
                    self.receive_every_firm("resale_usd", resale)
            return
        rewards = np.array([entry[0] for entry in mining], dtype=np.int64)
        # np.array of equal-shaped arrays stacks them (a third of np.stack's time)
        sat = split_sat_rows(rewards, np.array([entry[1] for entry in mining]))
        assert (sat.sum(axis=1) == rewards).all(), "a reward was not paid to the satoshi"
        shares = mining[0][2]  # the industry's one read-only array: broadcast, not stacked
        if any(entry[2] is not shares for entry in mining):
            shares = np.array([entry[2] for entry in mining])
        sold = _sold(sat, shares)
        usd_per_sat = np.array([entry[3] / 1e8 for entry in mining])[:, None]
        power = np.array([entry[0] for entry in power])  # (days, 3, firms)
        mined_sat = sat.sum(axis=0)
        self._btc_sat += mined_sat
        self._btc_sat -= sold.sum(axis=0)
        self._flows["btc_mined_sat"] += mined_sat
        revenue, sales = sat * usd_per_sat, sold * usd_per_sat  # as `mine` and `sell_btc`
        names = ("mining_revenue_usd", "btc_sales_usd", "power_cost_usd", "opex_usd", "resale_usd")
        n = len(self._cash_usd)
        flows = np.empty((days + 1, len(names), n))
        for k, name in enumerate(names):
            flows[0, k] = self._flows[name]
        flows[1:, 0], flows[1:, 1], flows[1:, 2:] = revenue, sales, power
        total = sum_row_after_row(flows)
        for k, name in enumerate(names):
            self._flows[name][:] = total[k]
        cash = np.empty((1 + 4 * days, n))  # cash, then each day: + sales - bill - opex + resale
        cash[0] = self._cash_usd
        cash[1::4] = sales
        np.negative(power[:, 0], out=cash[2::4])
        np.negative(power[:, 1], out=cash[3::4])
        cash[4::4] = power[:, 2]
        self._cash_usd[:] = sum_row_after_row(cash)

    def pay(self, firm: int | np.ndarray, flow: str, usd: float | np.ndarray) -> None:
        """Cash out of `firm` (or of every firm, given arrays) booked under `flow`."""
        assert flow in OUTFLOWS, flow
        if self._booked:
            self._post_booked()
        self._cash_usd[firm] -= usd
        self._flows[flow][firm] += usd

    def receive(self, firm: int | np.ndarray, flow: str, usd: float | np.ndarray) -> None:
        """Cash into `firm` booked under `flow`."""
        assert flow in INFLOWS, flow
        if self._booked:
            self._post_booked()
        self._cash_usd[firm] += usd
        self._flows[flow][firm] += usd

    def post_each(self, postings: list[tuple[int, str, float]]) -> None:
        """`receive` (an inflow) or `pay` (an outflow) each (firm, flow, USD), in order.

        In Python floats, whose sums are numpy's bit for bit: many small postings (a
        month's rents) without numpy's cost per call.
        """
        if not postings:
            return
        cash, flows = self.cash_usd.tolist(), {}
        for firm, flow, usd in postings:
            if flow not in flows:
                assert flow in INFLOWS or flow in OUTFLOWS, flow
                flows[flow] = (flow in INFLOWS, self._flows[flow].tolist())
            inflow, values = flows[flow]
            if inflow:
                cash[firm] += usd
            else:
                cash[firm] -= usd
            values[firm] += usd
        self._cash_usd[:] = cash
        for flow, (_, values) in flows.items():
            self._flows[flow][:] = values

    def pay_every_firm(self, flow: str, usd: np.ndarray) -> None:
        """`pay` from every firm at once, one amount per firm."""
        assert flow in OUTFLOWS, flow
        self.cash_usd -= usd
        self.flows[flow] += usd

    def receive_every_firm(self, flow: str, usd: np.ndarray) -> None:
        """`receive` by every firm at once, one amount per firm."""
        assert flow in INFLOWS, flow
        self.cash_usd += usd
        self.flows[flow] += usd

    def mine(self, sat: np.ndarray, price_usd: float) -> None:
        """Credit every firm's treasury with the satoshis it mined today."""
        self.btc_sat += sat
        self.flows["btc_mined_sat"] += sat
        self.flows["mining_revenue_usd"] += sat * (price_usd / 1e8)

    def sell_btc(self, firm: int | np.ndarray, sat: int | np.ndarray, price_usd: float) -> None:
        """Sell satoshis from the treasury at `price_usd` per BTC."""
        self.btc_sat[firm] -= sat
        self.receive(firm, "btc_sales_usd", np.asarray(sat) * (price_usd / 1e8))

    def sell_btc_every_firm(self, sat: np.ndarray, price_usd: float) -> None:
        """`sell_btc` for every firm at once, one amount of satoshis per firm."""
        self.btc_sat -= sat
        self.receive_every_firm("btc_sales_usd", sat * (price_usd / 1e8))

    def take_period(self) -> dict[str, np.ndarray]:
        """The flows accumulated since the last call, then restart them at zero.

        The arrays taken are handed over (no copy); new ones of zeros take their place.
        """
        taken = self.flows
        self._flows = {name: np.zeros(len(values), values.dtype) for name, values in taken.items()}
        return taken


def sum_row_after_row(rows: np.ndarray) -> np.ndarray:
    """`((rows[0] + rows[1]) + rows[2]) + ...`, element by element: a running sum's end.

    numpy sums along axis 0 of a C-contiguous array row after row when each row has two
    or more elements (it sums pairwise only along the fast axis in memory), at a seventh
    of `np.add.accumulate`'s cost; rows of one element are accumulated.
    """
    rows = np.ascontiguousarray(rows)
    if rows[0].size > 1:
        return np.add.reduce(rows, axis=0)
    return np.add.accumulate(rows, axis=0)[-1]


def _sold(sat: np.ndarray, sell_share: np.ndarray) -> np.ndarray:
    """Satoshis each firm sells of `sat` mined: the floor of its share of them."""
    return np.floor(sat * sell_share).astype(np.int64)
