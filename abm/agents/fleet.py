"""Sites and machine vintages of every firm, as struct-of-arrays tables the model owns.

The daily hot path reads these arrays for all vintages of all firms at once; agents refer
to their rows by index. A vintage is one block of identical machines (one ASIC generation
bought on one date) at one site, or in storage (site -1) when dormant.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np

from abm.params import param

MARKET = -1  # owner index of machines and sites held by the secondary market (no firm)
NO_SITE = -1  # site index of machines in storage
PAIRWISE_FROM = 8  # numpy sums this many float64 terms or more pairwise, fewer one by one


def numpy_sum(values: list[float]) -> float:
    """`np.add.reduce(np.array(values))`, bit for bit: a Python loop below `PAIRWISE_FROM` terms.

    numpy adds fewer terms one after the other from 0.0, as the loop does; a numpy call on
    a firm's few numbers costs more than the loop.
    """
    if len(values) >= PAIRWISE_FROM:
        return float(np.add.reduce(np.array(values, dtype=np.float64)))
    total = 0.0
    for value in values:
        total += value
    return total


class Mode:
    """What a site is used for."""

    MINING = 0
    IDLE = 1  # no owner, or nothing runs there
    CONVERTING = 2
    AI_HOSTING = 3


class Cooling:
    """Site cooling; better cooling makes AI conversion cheaper."""

    AIR = 0
    HYDRO = 1
    IMMERSION = 2
    LIQUID_READY = 3


class MachineState:
    """Lifecycle of a vintage."""

    DEPLOYED = 0  # installed at a site: runs whenever its margin is positive
    DORMANT = 1  # owned, powered off, in storage: redeployable
    SCRAPPED = 2


@dataclasses.dataclass(frozen=True)
class FleetPolicyParams:
    """Quarterly fleet decisions: buying, mothballing, scrapping."""

    review_months: int = param(3, lo=1, hi=12, doc="months between fleet reviews")
    expectation_halflife_days: float = param(
        30.0, lo=1.0, doc="half-life of the hashprice expectation (exponential average), days"
    )
    capex_cash_share: float = param(
        0.5, lo=0.0, hi=1.0, doc="share of cash above the reserve a firm spends per review"
    )
    cash_reserve_months: float = param(
        3.0, lo=0.0, doc="months of operating costs a firm keeps before buying machines"
    )
    scrap_age_years: float = param(6.0, lo=1.0, doc="age at which unprofitable machines scrap")
    market_scrap_age_years: float = param(
        5.0, lo=1.0, doc="age at which unsold machines held by the market are scrapped"
    )


class Table:
    """A growable struct of numpy arrays with a common length.

    Each column is an attribute: a view of its first `n` rows, renewed when a row is added.
    """

    _columns: ClassVar[dict[str, type]] = {}

    def __init__(self, capacity: int = 64):
        self.n = 0
        self._data = {name: np.zeros(capacity, dtype) for name, dtype in self._columns.items()}
        self._expose()

    def _expose(self) -> None:
        for name, column in self._data.items():
            setattr(self, name, column[: self.n])

    def append(self, **values) -> int:
        """Add one row; return its index."""
        row = self._reserve(1, values.keys())
        for name, column in self._data.items():
            column[row] = values.get(name, 0)
        self.n = row + 1
        self._expose()
        return row

    def extend(self, rows: list[dict]) -> range:
        """Add rows (each a dict of column values; a column not given is 0); their indices."""
        start = self._reserve(len(rows), set().union(*rows))
        end = start + len(rows)
        for name, column in self._data.items():
            column[start:end] = [row.get(name, 0) for row in rows]
        self.n = end
        self._expose()
        return range(start, end)

    def _reserve(self, count: int, names) -> int:
        """Room for `count` more rows with columns `names`; returns the first new row.

        The rows count once they are filled (`n` is the caller's to advance).
        """
        if not self._data.keys() >= names:  # builds no set when every name is known
            raise KeyError(f"unknown columns {sorted(set(names) - self._data.keys())}")
        start, end = self.n, self.n + count
        capacity = len(next(iter(self._data.values())))
        if end > capacity:
            capacity = max(2 * capacity, end)
            for name, column in self._data.items():
                grown = np.zeros(capacity, column.dtype)
                grown[:start] = column[:start]
                self._data[name] = grown
        return start


class Sites(Table):
    """Energized sites: power, contract, cooling, readiness, AI siting, mode, owner."""

    _columns: ClassVar[dict[str, type]] = {
        "firm": np.int64,
        "region": np.int64,
        "gross_mw": np.float64,
        "contract": np.int64,  # Contract
        "contract_price_usd_per_mwh": np.float64,
        "contract_end_step": np.int64,
        "resale": np.bool_,  # a fixed PPA may resell unused MWh at spot
        "spot_markup_usd_per_mwh": np.float64,
        "cooling": np.int64,  # Cooling
        "readiness": np.float64,  # AI readiness score in [0, 1]
        "fiber_km": np.float64,  # to long-haul fiber or a metro (latency)
        "water": np.bool_,  # water or heat rejection for liquid cooling
        "tenant_region": np.bool_,  # in a grid AI tenants accept
        "ai_suitability": np.float64,  # siting.ai_suitability score in [0, 1]
        "ai_suitable": np.bool_,  # passes tenants' screens: offered to them at all
        "mode": np.int64,  # Mode
    }


class Fleet(Table):
    """Machine vintages: hashrate, efficiency, where they are, who owns them, their state."""

    _columns: ClassVar[dict[str, type]] = {
        "firm": np.int64,
        "site": np.int64,
        "generation": np.int64,
        "th": np.float64,  # TH/s
        "j_per_th": np.float64,
        "bought_step": np.int64,  # may be negative: bought before the start
        "state": np.int64,  # MachineState
        "value_usd_per_th": np.float64,  # secondary price, revalued each month end
    }

    def power_mw(self, rows=slice(None)) -> np.ndarray:
        """Power draw of vintages (all, or `rows`) when running, MW (TH/s * J/TH = W)."""
        return self.th[rows] * self.j_per_th[rows] * 1e-6

    def deployed_mw_by_site(self, n_sites: int) -> np.ndarray:
        """MW of machines installed at each site (running or not)."""
        deployed = self.state == MachineState.DEPLOYED
        return np.bincount(
            self.site[deployed], weights=self.power_mw()[deployed], minlength=n_sites
        )


class RowsByOwner:
    """Each firm's rows of a table, ascending, kept up to date as rows change owner.

    Firms read their own sites and vintages many times a month; this index answers in
    time proportional to the firm's rows instead of a scan of the whole table.
    Rows owned by the market (owner < 0) are not indexed.
    """

    def __init__(self, owners: np.ndarray, n_owners: int):
        order = np.argsort(owners, kind="stable")
        counts = np.bincount(owners[owners >= 0], minlength=n_owners)
        starts = np.concatenate(([np.count_nonzero(owners < 0)], counts)).cumsum()
        self._rows = [order[starts[k] : starts[k + 1]] for k in range(n_owners)]

    def of(self, owner: int) -> np.ndarray:
        """Rows of `owner`, ascending (do not modify)."""
        return self._rows[owner]

    def sums(
        self, values: np.ndarray, keep: np.ndarray | None = None, owners: list[int] | None = None
    ) -> np.ndarray:
        """Per owner, `values[rows].sum()` over its rows (those where `keep`), bit for bit.

        Of `owners` only, in their order, if given (None: every owner). numpy sums
        `PAIRWISE_FROM` terms or more pairwise, fewer one after the other as `np.bincount`
        does: owners with fewer terms are summed in one bincount, the others each by
        numpy's own sum of the same terms in the same order.
        """
        of = self._rows if owners is None else [self._rows[owner] for owner in owners]
        n = len(of)
        rows = np.concatenate(of) if n else np.zeros(0, np.int64)
        segment = np.repeat(np.arange(n), np.fromiter(map(len, of), np.int64, n))
        if keep is not None:
            kept = keep[rows]
            segment, rows = segment[kept], rows[kept]
        terms = values[rows]
        sums = np.bincount(segment, terms, n)
        counts = np.bincount(segment, minlength=n)
        ends = counts.cumsum()
        long = np.flatnonzero(counts >= PAIRWISE_FROM)
        # segments in Python ints: numpy scalars cost more than the loop
        segments = zip((ends - counts)[long].tolist(), ends[long].tolist(), strict=True)
        # as .sum() of each, without its wrapper
        sums[long] = [np.add.reduce(terms[start:end]) for start, end in segments]
        return sums

    def add(self, owner: int, row: int) -> None:
        """A new row (the table's last) belongs to `owner`."""
        self._rows[owner] = np.concatenate((self._rows[owner], (row,)))  # np.append's result

    def move(self, rows: np.ndarray, old: int, new: int) -> None:
        """`rows` pass from `old` to `new` (MARKET: to no firm)."""
        self._rows[old] = np.setdiff1d(self._rows[old], rows)
        if new >= 0:
            self._rows[new] = np.union1d(self._rows[new], rows)
