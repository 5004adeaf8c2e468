"""Listed firms' access to the equity and convertible markets, priced by their valuation.

A listed firm's market value is its net worth times a price-to-NAV multiple that rises
linearly with the share of its site MW under signed AI leases (hosting or converting): AI-
leased miners trade at higher multiples than mining-only ones (VanEck, Jun 2026). New
shares sell at a discount to that value, at most a share of it per quarter, and part of
each raise is a convertible note whose coupon falls as the multiple rises (MARA and IREN
at 0 %, legacy notes at 3.25-3.5 %). In distress the multiple falls and only shares sell.
Unlisted firms, and every firm while the market is closed, raise nothing.

The firm's shares outstanding start at 1.0, so net worth over shares is the value of one
share held since the start: a firm that grows by selling shares does not look like one
that grew its business.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from abm.agents.finance import DebtTranche
from abm.agents.fleet import Mode
from abm.agents.industry import Industry
from abm.events import EventLog
from abm.markets.readings import MarketReadings
from abm.params import param


@dataclasses.dataclass(frozen=True)
class CapitalParams:
    """Listed firms' equity and convertible issuance."""

    market_open: bool = param(True, doc="listed firms may sell shares and convertibles")
    price_to_nav_mining: float = param(
        1.0, lo=0.0, doc="market value over net worth of a mining-only listed firm (assumption)"
    )
    price_to_nav_leased: float = param(
        2.5, lo=0.0, doc="market value over net worth of a firm with all its MW leased to AI"
    )
    distress_price_to_nav_factor: float = param(
        0.5, lo=0.0, hi=1.0, doc="the multiple of a firm that cannot pay its month's bills"
    )
    issue_discount: float = param(
        0.05, lo=0.0, hi=1.0, hi_open=True, doc="new shares sell this far below market value"
    )
    raise_share_per_quarter: float = param(
        0.10, lo=0.0, hi=1.0, doc="most a firm raises in a quarter, as a share of market value"
    )
    convertible_share: float = param(
        0.5, lo=0.0, hi=1.0, doc="share of a (non-distress) raise sold as convertible notes"
    )
    convertible_coupon_range: tuple[float, ...] = param(
        (0.0, 0.035), lo=0.0, hi=0.5, doc="coupon at the leased and at the mining multiple"
    )
    convertible_term_years: float = param(5.0, lo=0.25, hi=30.0, doc="term of a convertible")

    def check(self) -> str | None:
        """The coupon range is (low, high); the leased multiple is at least the mining one."""
        low_high = self.convertible_coupon_range
        if len(low_high) != 2 or low_high[0] > low_high[1]:
            return f"convertible_coupon_range needs low <= high; got {list(low_high)}"
        if self.price_to_nav_leased < self.price_to_nav_mining:
            return (
                f"price_to_nav_leased = {self.price_to_nav_leased} is below "
                f"price_to_nav_mining = {self.price_to_nav_mining}; AI leases raise the multiple"
            )
        return None


def price_to_nav(leased_share, distress: bool, params: CapitalParams):
    """Market value over net worth: linear in the share of MW leased, cut in distress."""
    p = params
    span = p.price_to_nav_leased - p.price_to_nav_mining
    multiple = p.price_to_nav_mining + span * np.clip(leased_share, 0.0, 1.0)
    return multiple * (p.distress_price_to_nav_factor if distress else 1.0)


def convertible_coupon(multiple: float, params: CapitalParams) -> float:
    """Coupon of a new convertible: the range's high at the mining multiple, low at leased."""
    p, (low, high) = params, params.convertible_coupon_range
    span = p.price_to_nav_leased - p.price_to_nav_mining
    premium = (multiple - p.price_to_nav_mining) / span if span > 0 else 0.0
    return high - (high - low) * min(max(premium, 0.0), 1.0)


class CapitalMarket:
    """Every firm's shares outstanding and what it raised this quarter; the raises themselves.

    Args:
        industry: the firms' balance sheets (cash flows go through its ledger and debt book).
        listed: per firm, whether its shares trade.
        params: the scenario's capital-market rules.
        readings: today's clock.
        events: the run's event log.
    """

    def __init__(
        self,
        industry: Industry,
        listed: np.ndarray,
        params: CapitalParams,
        readings: MarketReadings,
        events: EventLog,
    ):
        self.industry, self.params, self.readings, self.events = industry, params, readings, events
        self.listed = np.asarray(listed, dtype=bool)
        self.shares = np.ones(industry.n_firms)  # relative to the start
        self._raised_usd = np.zeros(industry.n_firms)  # this quarter
        self._quarter = np.full(industry.n_firms, -1)

    # --- valuation --------------------------------------------------------------------
    def leased_share(self, firm: int) -> float:
        """Share of the firm's site MW hosting AI or converting to it."""
        s, rows = self.industry.sites, self.industry.site_rows(firm)
        total = float(s.gross_mw[rows].sum())
        in_ai = (s.mode[rows] == Mode.AI_HOSTING) | (s.mode[rows] == Mode.CONVERTING)
        return float(s.gross_mw[rows[in_ai]].sum()) / total if total > 0 else 0.0

    def multiple(self, firm: int, distress: bool = False) -> float:
        """The firm's price-to-NAV today."""
        return float(price_to_nav(self.leased_share(firm), distress, self.params))

    def listed_multiples(self, leased_share: np.ndarray) -> np.ndarray:
        """Per firm: price-to-NAV given each firm's leased share of MW (NaN if unlisted)."""
        return np.where(self.listed, price_to_nav(leased_share, False, self.params), np.nan)

    def market_value_usd(self, firm: int, distress: bool = False) -> float:
        """Net worth (if positive) times the multiple; 0 for a firm without market access."""
        if not (self.params.market_open and self.listed[firm] and self.industry.alive[firm]):
            return 0.0
        return max(self.industry.net_worth_usd(firm), 0.0) * self.multiple(firm, distress)

    def value_per_start_share_usd(self, net_worth_usd: np.ndarray) -> np.ndarray:
        """Per firm: net worth per share, in units of the shares outstanding at the start."""
        return net_worth_usd / self.shares

    # --- funding ----------------------------------------------------------------------
    def capacity_usd(self, firm: int, distress: bool = False) -> float:
        """What the market will still buy from the firm this quarter."""
        self._start_quarter(firm)
        cap = self.params.raise_share_per_quarter * self.market_value_usd(firm, distress)
        return max(cap - self._raised_usd[firm], 0.0)

    def fundable_usd(self, firm: int) -> float:
        """Cash a firm can spend on a project now.

        Spare cash (a month's costs kept) plus what it can still raise this quarter.
        """
        return float(self.industry.spare_cash_usd(1.0, firm)) + self.capacity_usd(firm)

    def fund(self, firm: int, usd: float) -> bool:
        """Make `usd` of spare cash available, raising the shortfall.

        Returns False, and raises nothing, if the market will not buy that much: if `usd`
        exceeds `fundable_usd`, compared as that sum (so `fund(firm, fundable_usd(firm))`
        succeeds, where `usd - spare > capacity` can hold by a rounding of the sum).
        """
        spare = float(self.industry.spare_cash_usd(1.0, firm))
        shortfall = usd - spare
        if shortfall <= 0:
            return True
        if usd > spare + self.capacity_usd(firm):
            return False
        self._raise(firm, shortfall, distress=False)
        return True

    def rescue(self, firm: int, need_usd: float) -> float:
        """Distress: sell shares (no notes) at the distressed multiple, up to `need_usd`.

        Returns the amount raised.
        """
        usd = min(need_usd, self.capacity_usd(firm, distress=True))
        if usd <= 0:
            return 0.0
        self._raise(firm, usd, distress=True)
        return usd

    def _raise(self, firm: int, usd: float, distress: bool) -> None:
        p, r = self.params, self.readings
        multiple = self.multiple(firm, distress)
        notes = 0.0 if distress else p.convertible_share * usd
        shares_usd = usd - notes
        if shares_usd > 0:
            nav_per_share = self.industry.net_worth_usd(firm) / self.shares[firm]
            price = nav_per_share * multiple * (1.0 - p.issue_discount)
            new_shares = shares_usd / price
            self.industry.ledger.receive(firm, "equity_raised_usd", shares_usd)
            self.events.add(
                "equity_raised",
                firm,
                usd=shares_usd,
                price_to_nav=multiple * (1.0 - p.issue_discount),
                shares=new_shares / self.shares[firm],
            )
            self.shares[firm] += new_shares
        if notes > 0:
            coupon = convertible_coupon(multiple, p)
            maturity = r.step_index + r.steps_in_years(p.convertible_term_years)
            self.industry.debt.add(firm, DebtTranche(notes, 0.0, coupon, maturity))
            self.industry.ledger.receive(firm, "convertible_issued_usd", notes)
            self.events.add(
                "convertible_issued",
                firm,
                usd=notes,
                rate=coupon,
                term_months=round(p.convertible_term_years * 12),
            )
        self._raised_usd[firm] += usd

    def _start_quarter(self, firm: int) -> None:
        date = self.readings.date.astype("datetime64[M]").astype(int)  # months since 1970
        quarter = date // 3
        if self._quarter[firm] != quarter:
            self._quarter[firm], self._raised_usd[firm] = quarter, 0.0
