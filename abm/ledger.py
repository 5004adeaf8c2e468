"""Per-firm cash, BTC treasury and cash flows, as arrays over firms.

Every change of a firm's cash goes through one named flow, so a firm's cash change over any
period equals its inflows minus its outflows (tested). Flows accumulate until the model
records the monthly firm panel and then restart.
"""

from __future__ import annotations

import numpy as np

INFLOWS = ("btc_sales_usd", "resale_usd", "asset_sales_usd", "debt_drawn_usd", "ai_rent_usd")
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
    """Cash (USD), BTC (satoshis) and the flows of the current period for every firm."""

    def __init__(self, cash_usd: np.ndarray, btc_sat: np.ndarray):
        self.cash_usd = np.asarray(cash_usd, dtype=np.float64).copy()
        self.btc_sat = np.asarray(btc_sat, dtype=np.int64).copy()
        n = len(self.cash_usd)
        self.flows = {name: np.zeros(n) for name in INFLOWS + OUTFLOWS + NONCASH[:1]}
        self.flows["btc_mined_sat"] = np.zeros(n, dtype=np.int64)

    def pay(self, firm: int | np.ndarray, flow: str, usd: float | np.ndarray) -> None:
        """Cash out of `firm` (or of every firm, given arrays) booked under `flow`."""
        assert flow in OUTFLOWS, flow
        self.cash_usd[firm] -= usd
        self.flows[flow][firm] += usd

    def receive(self, firm: int | np.ndarray, flow: str, usd: float | np.ndarray) -> None:
        """Cash into `firm` booked under `flow`."""
        assert flow in INFLOWS, flow
        self.cash_usd[firm] += usd
        self.flows[flow][firm] += usd

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
        """The flows accumulated since the last call, then restart them at zero."""
        taken = {name: values.copy() for name, values in self.flows.items()}
        for values in self.flows.values():
            values[:] = 0
        return taken
