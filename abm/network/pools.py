"""Mining pools: which pool each firm points its hashrate at, and pool-level hashrate.

Each firm belongs to exactly one pool. At the start firms are assigned so that pool shares
match the target shares as closely as their sizes allow; afterwards a firm occasionally
moves to another pool (monthly). Hashrate per pool is one `np.bincount` for any number
of days at once (`pool_th_by_row`); the membership is also kept as a bipartite
`networkx.Graph` of firms and pools for the network metrics.
"""

from __future__ import annotations

import dataclasses
import itertools

import networkx as nx
import numpy as np

from abm.params import names_problem, param

SHARE_SUM_TOLERANCE = 1e-6


@dataclasses.dataclass(frozen=True)
class PoolParams:
    """One mining pool (or a group of pools acting as one) and its target hashrate share."""

    name: str = param(doc="pool name")
    share: float = param(lo=0.0, lo_open=True, hi=1.0, doc="target share of network hashrate")


# DESIGN.md section 9, pool shares in 2026.
DEFAULT_POOLS = (
    PoolParams("Foundry", 0.30),
    # AntPool together with the pools that mine on its block templates
    PoolParams("AntPool and template-sharing pools", 0.40),
    PoolParams("ViaBTC", 0.14),
    PoolParams("F2Pool", 0.10),
    # the remainder, treated as one entity: this slightly overstates concentration at the
    # bottom, but not the top-k shares or the Nakamoto coefficient
    PoolParams("others", 0.06),
)


@dataclasses.dataclass(frozen=True)
class PoolsParams:
    """Pools, their target shares, and how often a firm moves to another pool."""

    pools: tuple[PoolParams, ...] = param(
        DEFAULT_POOLS, doc="pools; names unique, shares summing to 1"
    )
    # assumption: a firm changes pool about once every four years
    switch_probability_per_month: float = param(
        0.02, lo=0.0, hi=1.0, doc="chance a firm moves to another pool in a month"
    )

    def check(self) -> str | None:
        """Names must be unique and shares positive, summing to 1."""
        problem = names_problem("pools", "pool", [p.name for p in self.pools])
        if problem:
            return problem
        for pool in self.pools:
            if not pool.share > 0.0:
                return f"pools {pool.name}: share = {pool.share!r} must be positive"
        total = sum(p.share for p in self.pools)
        if abs(total - 1.0) > SHARE_SUM_TOLERANCE:
            return f"pools shares sum to {total:.6g}; they must sum to 1 (within 1e-6)"
        return None


class PoolNetwork:
    """Membership of firms in pools, as a vector (hot path) and a bipartite graph.

    Firm nodes are `("firm", i)` (attribute `bipartite=0`), pool nodes `("pool", name)`
    (`bipartite=1`); each firm node has exactly one edge, to its pool.
    """

    def __init__(self, params: PoolsParams, firm_th: np.ndarray, rng: np.random.Generator):
        """Assign firms to pools so that the initial pool shares are near the targets.

        Greedy: firms in descending order of hashrate (ties by index) each join the pool
        with the largest remaining deficit (target TH minus assigned TH). Exact ties
        between pools are broken by a random pool order drawn once from `rng`.

        Args:
            params: pools and switching probability.
            firm_th: hashrate of each firm, TH/s, shape (n_firms,).
            rng: random generator (tie-breaking only).
        """
        firm_th = np.asarray(firm_th, dtype=float)
        if firm_th.ndim != 1 or not np.all(np.isfinite(firm_th)) or np.any(firm_th < 0):
            raise ValueError("firm_th must be a 1-D array of finite, non-negative TH/s")
        self.params = params
        self._names = tuple(p.name for p in params.pools)
        self._shares = np.array([p.share for p in params.pools], dtype=float)
        self._share_list = self._shares.tolist()
        n_pools = len(self._names)
        self.pool_of_firm = self._greedy_assignment(firm_th, rng.permutation(n_pools))
        self._member = np.ones(len(firm_th), dtype=bool)  # False once a firm has left
        self.moves_made = 0  # firms moved by `switch` so far: a changed count, a new membership

        self.graph = nx.Graph()
        self.graph.add_nodes_from(
            (("pool", p.name), {"bipartite": 1, "share": p.share}) for p in params.pools
        )
        self.graph.add_nodes_from((("firm", i), {"bipartite": 0}) for i in range(len(firm_th)))
        self.graph.add_edges_from(
            (("firm", i), ("pool", self._names[j])) for i, j in enumerate(self.pool_of_firm)
        )

    def _greedy_assignment(self, firm_th: np.ndarray, priority: np.ndarray) -> np.ndarray:
        """Pool index per firm, largest firm first into the pool with the largest deficit.

        In Python floats (a few pools: numpy calls on them cost more than the sums).
        """
        deficit = (self._shares * firm_th.sum()).tolist()
        th, rank = firm_th.tolist(), priority.tolist()
        pool_of_firm = np.zeros(len(firm_th), dtype=np.int64)
        for i in np.argsort(-firm_th, kind="stable").tolist():  # equal sizes in index order
            largest = max(deficit)
            j = min((k for k, d in enumerate(deficit) if d == largest), key=rank.__getitem__)
            pool_of_firm[i] = j
            deficit[j] -= th[i]
        return pool_of_firm

    @property
    def names(self) -> tuple[str, ...]:
        """Pool names, in pool-index order."""
        return self._names

    def pool_th(self, firm_th: np.ndarray) -> np.ndarray:
        """Hashrate per pool (same unit as `firm_th`); dead firms must carry zero."""
        return pool_th_by_row(firm_th[None, :], self.pool_of_firm, len(self._names))[0]

    def switch(self, rng: np.random.Generator, alive: np.ndarray) -> list[tuple[int, int, int]]:
        """Monthly: each alive member firm moves pool with the switching probability.

        The new pool is drawn with probability proportional to the target shares of the
        pools other than the firm's current one.

        Args:
            rng: random generator.
            alive: bool per firm; dead firms (and firms that left) never move.

        Returns:
            The moves, as (firm, old pool index, new pool index), in firm order.
        """
        n_pools = len(self._names)
        draws = rng.random(len(self.pool_of_firm))  # one draw per firm, alive or not
        movers = np.flatnonzero(
            (draws < self.params.switch_probability_per_month)
            & np.asarray(alive, dtype=bool)
            & self._member
        )
        if n_pools < 2 or len(movers) == 0:
            return []
        uniforms = rng.random(len(movers)).tolist()
        old_pools = self.pool_of_firm[movers].tolist()
        # a few a month: in Python numbers (numpy calls on them cost more)
        new_pools = [self._new_pool(*drawn) for drawn in zip(old_pools, uniforms, strict=True)]
        self.pool_of_firm[movers] = new_pools
        self.moves_made += len(movers)
        moves = list(zip(movers.tolist(), old_pools, new_pools, strict=True))
        for firm, a, b in moves:
            self.graph.remove_edge(("firm", firm), ("pool", self._names[a]))
            self.graph.add_edge(("firm", firm), ("pool", self._names[b]))
        return moves

    def _new_pool(self, old: int, uniform: float) -> int:
        """The pool a firm leaving `old` joins, for a uniform draw in [0, 1).

        Pools other than `old` in proportion to their target shares: the first whose
        running sum of shares (0 for `old`) exceeds `uniform` x the total.
        """
        weights = [0.0 if pool == old else share for pool, share in enumerate(self._share_list)]
        cumulative = list(itertools.accumulate(weights))  # added in order, as np.cumsum
        point = uniform * cumulative[-1]
        new = sum(total <= point for total in cumulative)
        if new >= len(cumulative):  # rounding put the point on the total: the last but `old`
            new = len(cumulative) - (2 if old == len(cumulative) - 1 else 1)
        return new

    def remove_firm(self, firm: int) -> None:
        """A bankrupt firm leaves its pool: its node goes; its vector entry stays."""
        if self._member[firm]:
            self._member[firm] = False
            self.graph.remove_node(("firm", firm))


def pool_th_by_row(firm_th: np.ndarray, pool_of_firm: np.ndarray, n_pools: int) -> np.ndarray:
    """Hashrate per pool of each row of `firm_th` (rows, firms), shape (rows, n_pools).

    One `np.bincount` over bins offset by row: it adds in input order, so each row's pools
    add the same terms in the same order as a bincount of that row alone.
    """
    rows = len(firm_th)
    bins = pool_of_firm + n_pools * np.arange(rows)[:, None]
    return np.bincount(bins.ravel(), firm_th.ravel(), rows * n_pools).reshape(rows, n_pools)
