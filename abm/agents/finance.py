"""A firm's debt and the cost of its capital: tranches, rates, spreads, covenants.

Floating tranches pay the policy rate plus their spread; fixed tranches pay their coupon.
New or refinanced debt costs the policy rate plus a base spread plus a spread that rises
with leverage (debt over assets), so distressed firms refinance dearer or not at all.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from abm.params import param


@dataclasses.dataclass(frozen=True)
class FinanceParams:
    """Balance-sheet rules shared by all firms."""

    nonpower_opex_usd_per_mwh: float = param(
        12.0, lo=0.0, doc="site staff, maintenance, insurance, pool fees per MWh mined (assumed)"
    )
    ga_usd_per_mw_year: float = param(
        40_000.0, lo=0.0, doc="corporate G&A per MW of sites owned, USD per year (assumed)"
    )
    site_value_usd_per_mw: float = param(
        500_000.0, lo=0.0, doc="value of an energized mining site per MW at the reference hashprice"
    )
    site_value_ratio_range: tuple[float, ...] = param(
        (0.25, 2.0),
        lo=0.0,
        doc="site values follow expected / reference hashprice within this range (assumption)",
    )
    base_credit_spread: float = param(
        0.03, lo=0.0, hi=0.5, doc="spread over the policy rate of an unlevered miner, per year"
    )
    leverage_spread_slope: float = param(
        0.10, lo=0.0, hi=2.0, doc="extra spread per unit of leverage (debt / assets), per year"
    )
    refinance_max_leverage: float = param(
        0.60, lo=0.0, hi=1.0, doc="lenders refinance maturing debt only below this leverage"
    )
    refinance_term_years: float = param(3.0, lo=0.25, hi=30.0, doc="term of refinanced debt")
    distress_borrow_max_leverage: float = param(
        0.50, lo=0.0, hi=1.0, doc="a firm short of cash can borrow only below this leverage"
    )
    auction_discount: float = param(
        0.5, lo=0.0, hi=1.0, doc="a bankrupt firm's site sells for this share of book value"
    )
    ppa_renewal_premium: float = param(
        0.10, lo=-0.5, hi=2.0, doc="a renewed PPA costs the region's mean spot times (1 + this)"
    )
    ppa_renewal_years: float = param(5.0, lo=0.5, hi=30.0, doc="term of a renewed PPA, years")
    min_cash_months: float = param(
        1.0, lo=0.0, doc="months of costs a firm keeps in cash, selling BTC to restore it"
    )

    def check(self) -> str | None:
        """The site-value range is (low, high)."""
        low_high = self.site_value_ratio_range
        if len(low_high) != 2 or low_high[0] > low_high[1]:
            return f"site_value_ratio_range needs low <= high; got {list(low_high)}"
        return None


@dataclasses.dataclass(frozen=True)  # frozen: `DebtBook` keeps sums over its tranches
class DebtTranche:
    """One loan or note: bullet principal due at maturity, monthly interest."""

    principal_usd: float
    spread: float  # per year; over the policy rate if floating, else part of the coupon
    fixed_rate: float | None  # per year; None for floating
    maturity_step: int

    def rate(self, policy_rate: float) -> float:
        """Annual interest rate this month."""
        return self.fixed_rate if self.fixed_rate is not None else policy_rate + self.spread


def credit_spread(leverage: float, params: FinanceParams) -> float:
    """Spread over the policy rate at which a firm with this leverage borrows, per year."""
    return params.base_credit_spread + params.leverage_spread_slope * max(leverage, 0.0)


def cost_of_capital(policy_rate: float, leverage: float, params: FinanceParams) -> float:
    """Annual rate a firm discounts projects at: policy rate plus its credit spread."""
    return policy_rate + credit_spread(leverage, params)


class DebtBook:
    """Every firm's debt tranches, in the order they were taken on.

    A firm's principal, first maturity and interest (at the policy rate last asked, or at
    any rate if all its tranches are fixed) are kept once computed, until its tranches
    change: `add`, `remove` and `clear` forget them (tranches are frozen), so the many reads
    between changes cost no loop over tranches. First maturities and interest are kept as
    arrays over firms, which the month end reads for every firm at once.
    """

    def __init__(self, n_firms: int) -> None:
        self._tranches: list[list[DebtTranche]] = [[] for _ in range(n_firms)]
        self._principal_usd: list[float | None] = [None] * n_firms  # None: not summed yet
        self._first_maturity_step = np.full(n_firms, math.inf)  # inf: no debt
        self._interest_usd_per_year = np.zeros(n_firms)  # at `_interest_rate`
        self._floating = np.zeros(n_firms, dtype=bool)  # a floating tranche: rate-dependent
        self._interest_rate: float | None = None  # the policy rate last asked
        # firms whose kept first maturity or interest are out of date (all, at first)
        self._stale_maturity, self._stale_interest = set(range(n_firms)), set(range(n_firms))

    def of(self, firm: int) -> tuple[DebtTranche, ...]:
        """A firm's tranches (a copy: change them through the book)."""
        return tuple(self._tranches[firm])

    def due(self, firm: int, step: int) -> list[DebtTranche]:
        """A firm's tranches maturing at or before `step`, in the book's order."""
        if self._first_maturities()[firm] > step:  # most months: nothing falls due
            return []
        return [t for t in self._tranches[firm] if t.maturity_step <= step]

    def any_due(self, firms: list[int], step: int) -> np.ndarray:
        """Per firm of `firms`: whether any of its tranches matures at or before `step`."""
        return self._first_maturities()[firms] <= step

    def _first_maturities(self) -> np.ndarray:
        """Every firm's first maturity step (inf without debt), brought up to date."""
        first = self._first_maturity_step
        for firm in self._stale_maturity:
            first[firm] = min((t.maturity_step for t in self._tranches[firm]), default=math.inf)
        self._stale_maturity.clear()
        return first

    def principal_usd(self, firm: int) -> float:
        """A firm's principal outstanding."""
        principal = self._principal_usd[firm]
        if principal is None:
            principal = sum(t.principal_usd for t in self._tranches[firm])
            self._principal_usd[firm] = principal
        return principal

    def principal_by_firm(self) -> np.ndarray:
        """Every firm's `principal_usd`: the kept ones, the others summed now."""
        kept = self._principal_usd
        for firm in [firm for firm, principal in enumerate(kept) if principal is None]:
            self.principal_usd(firm)
        return np.array(kept, dtype=float)

    def interest_by_firm_usd_per_year(self, firms: list[int], policy_rate: float) -> np.ndarray:
        """Interest of each of `firms` at this month's rates, USD per year.

        Each firm's is its tranches' `principal x rate` summed in the book's order; a firm
        with a floating tranche is summed anew when the policy rate moves.
        """
        if policy_rate != self._interest_rate:
            self._interest_rate = policy_rate
            self._stale_interest.update(np.flatnonzero(self._floating).tolist())
        for firm in self._stale_interest:
            usd, floating = 0, False  # one pass: the additions of `sum` over the tranches
            for t in self._tranches[firm]:
                usd += t.principal_usd * t.rate(policy_rate)
                floating = floating or t.fixed_rate is None
            self._interest_usd_per_year[firm] = usd
            self._floating[firm] = floating
        self._stale_interest.clear()
        return self._interest_usd_per_year[firms]

    def add(self, firm: int, tranche: DebtTranche) -> None:
        """A new loan or note of `firm`."""
        self._tranches[firm].append(tranche)
        self._forget_sums(firm)

    def remove(self, firm: int, tranche: DebtTranche) -> None:
        """A tranche repaid or replaced."""
        self._tranches[firm].remove(tranche)
        self._forget_sums(firm)

    def clear(self, firm: int) -> None:
        """A bankrupt firm's debt goes to its creditors."""
        self._tranches[firm] = []
        self._forget_sums(firm)

    def _forget_sums(self, firm: int) -> None:
        """The firm's tranches changed: what is kept of them is computed anew."""
        self._principal_usd[firm] = None
        self._stale_maturity.add(firm)
        self._stale_interest.add(firm)
