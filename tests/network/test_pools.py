"""Pool membership: initial shares near targets, vectorized pool hashrate, monthly switching."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abm.network.pools import (
    DEFAULT_POOLS,
    PoolNetwork,
    PoolParams,
    PoolsParams,
    pool_th_by_row,
)
from abm.params import ParamError, build

TARGETS = np.array([p.share for p in DEFAULT_POOLS])


def lognormal_th(n: int, sigma: float, seed: int) -> np.ndarray:
    """Firm sizes in TH/s, lognormal (median 10 PH/s)."""
    return np.random.default_rng(seed).lognormal(np.log(1e4), sigma, n)


def max_share_deviation(th: np.ndarray, seed: int) -> float:
    net = PoolNetwork(PoolsParams(), th, np.random.default_rng(seed))
    return float(np.abs(net.pool_th(th) / th.sum() - TARGETS).max())


def test_defaults_are_the_2026_shares_and_pass_check():
    """DESIGN.md section 9: Foundry 30, AntPool group 40, ViaBTC 14, F2Pool 10, others 6 %."""
    params = PoolsParams()
    assert params.check() is None
    assert params.pools[0].name == "Foundry"
    np.testing.assert_allclose(TARGETS, [0.30, 0.40, 0.14, 0.10, 0.06])
    assert params.switch_probability_per_month == 0.02


def test_many_small_firms_match_targets_within_a_thousandth():
    """500 lognormal firms (sigma 1), 20 seeds: every pool share within 0.001 of its target.

    Measured: at most 1.1e-4 over 50 seeds (the brief asked for 0.01).
    """
    worst = max(max_share_deviation(lognormal_th(500, 1.0, s), s) for s in range(20))
    assert worst < 0.001


def test_baseline_like_65_firms_match_targets_within_half_a_percent():
    """65 lognormal firms (sigma 0.9), 20 seeds: every pool share within 0.005 of its target.

    Measured: at most 0.0019 over 50 seeds (the brief asked for 0.03); the baseline_2026
    population itself, seeds 1-3: at most 0.0014.
    """
    worst = max(max_share_deviation(lognormal_th(65, 0.9, s), s) for s in range(20))
    assert worst < 0.005


def test_every_firm_is_in_exactly_one_pool_of_a_bipartite_graph():
    th = lognormal_th(200, 1.0, 3)
    net = PoolNetwork(PoolsParams(), th, np.random.default_rng(3))
    g = net.graph
    assert nx.is_bipartite(g)
    firms = [v for v, d in g.nodes(data=True) if d["bipartite"] == 0]
    pools = [v for v, d in g.nodes(data=True) if d["bipartite"] == 1]
    assert len(firms) == 200 and pools == [("pool", name) for name in net.names]
    assert all(g.degree(v) == 1 for v in firms)
    assert g.number_of_edges() == 200
    for i in range(200):
        assert g.has_edge(("firm", i), ("pool", net.names[net.pool_of_firm[i]]))


def test_the_largest_firm_joins_the_largest_pool():
    """Greedy: the first (largest) firm goes to the pool with the largest deficit (40 %)."""
    th = lognormal_th(65, 0.9, 4)
    net = PoolNetwork(PoolsParams(), th, np.random.default_rng(4))
    assert net.names[net.pool_of_firm[np.argmax(th)]] == "AntPool and template-sharing pools"


def test_pool_th_sums_to_the_firms_and_equals_a_loop():
    th = lognormal_th(300, 1.2, 5)
    net = PoolNetwork(PoolsParams(), th, np.random.default_rng(5))
    daily = th * np.random.default_rng(6).uniform(0.0, 1.0, 300)  # some machines off
    daily[::7] = 0.0  # dead firms carry zero
    reference = np.zeros(len(net.names))
    for i, j in enumerate(net.pool_of_firm):
        reference[j] += daily[i]
    got = net.pool_th(daily)
    assert got.shape == (5,)
    np.testing.assert_allclose(got, reference, rtol=1e-12)
    assert got.sum() == pytest.approx(daily.sum(), rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.integers(0, 40),
    n_firms=st.integers(1, 200),
    n_pools=st.integers(1, 8),
    seed=st.integers(0, 2**32 - 1),
)
def test_pool_th_of_many_rows_equals_each_row_alone_bit_for_bit(rows, n_firms, n_pools, seed):
    """The recorder sums a month of days at once: each row as `np.bincount` of it alone."""
    rng = np.random.default_rng(seed)
    pool_of_firm = rng.integers(0, n_pools, n_firms)
    firm_th = rng.lognormal(np.log(1e4), 2.0, (rows, n_firms)) * (rng.random((rows, n_firms)) < 0.8)
    got = pool_th_by_row(firm_th, pool_of_firm, n_pools)
    assert got.shape == (rows, n_pools)
    for r in range(rows):
        alone = np.bincount(pool_of_firm, weights=firm_th[r], minlength=n_pools)
        assert np.array_equal(got[r], alone)


def test_switch_rate_and_destinations_follow_the_probability_and_target_shares():
    """2,000 firms x 120 months at 0.02: 4,800 expected moves (sd 69), observed within 4 sd.

    A firm leaving Foundry lands in each other pool with probability share / 0.70, within 4 sd.
    """
    n, months, p = 2000, 120, 0.02
    params = PoolsParams(switch_probability_per_month=p)
    net = PoolNetwork(params, lognormal_th(n, 1.0, 7), np.random.default_rng(7))
    rng = np.random.default_rng(8)
    alive = np.ones(n, dtype=bool)
    moves = [m for _ in range(months) for m in net.switch(rng, alive)]
    expected = n * months * p
    assert abs(len(moves) - expected) < 4 * np.sqrt(expected * (1 - p))
    assert all(old != new for _, old, new in moves)
    from_foundry = np.array([new for _, old, new in moves if old == 0])
    k = len(from_foundry)
    for j in range(1, 5):
        q = TARGETS[j] / (1 - TARGETS[0])
        observed = np.count_nonzero(from_foundry == j)
        assert abs(observed - k * q) < 4 * np.sqrt(k * q * (1 - q)), net.names[j]


def test_graph_and_vector_agree_after_switches():
    n = 300
    net = PoolNetwork(
        PoolsParams(switch_probability_per_month=0.3),
        lognormal_th(n, 1.0, 9),
        np.random.default_rng(9),
    )
    rng = np.random.default_rng(10)
    moved = 0
    for _ in range(12):
        moves = net.switch(rng, np.ones(n, dtype=bool))
        for firm, old, new in moves:
            assert net.pool_of_firm[firm] == new != old
        moved += len(moves)
        assert net.moves_made == moved  # the recorder notes a new membership by this count
    assert moved > 0
    g = net.graph
    assert g.number_of_edges() == n and nx.is_bipartite(g)
    for i in range(n):
        assert list(g.neighbors(("firm", i))) == [("pool", net.names[net.pool_of_firm[i]])]


def test_zero_probability_moves_nobody():
    net = PoolNetwork(
        PoolsParams(switch_probability_per_month=0.0),
        lognormal_th(100, 1.0, 11),
        np.random.default_rng(11),
    )
    before = net.pool_of_firm.copy()
    rng = np.random.default_rng(12)
    assert all(net.switch(rng, np.ones(100, dtype=bool)) == [] for _ in range(24))
    np.testing.assert_array_equal(net.pool_of_firm, before)


def test_dead_and_removed_firms_never_switch():
    """With probability 1 every live member moves each month; the dead and the removed never."""
    n = 100
    net = PoolNetwork(
        PoolsParams(switch_probability_per_month=1.0),
        lognormal_th(n, 1.0, 13),
        np.random.default_rng(13),
    )
    alive = np.arange(n) % 2 == 0
    net.remove_firm(10)
    net.remove_firm(10)  # leaving twice is harmless
    rng = np.random.default_rng(14)
    for _ in range(6):
        movers = {firm for firm, _, _ in net.switch(rng, alive)}
        assert movers == set(np.flatnonzero(alive)) - {10}
    assert ("firm", 10) not in net.graph
    assert net.graph.number_of_edges() == n - 1


def test_same_seed_gives_the_same_assignment_and_moves():
    th = lognormal_th(150, 1.0, 15)
    th[:20] = th[20]  # equal sizes: order by index
    params = PoolsParams(switch_probability_per_month=0.1)

    def run(seed: int):
        rng = np.random.default_rng(seed)
        net = PoolNetwork(params, th, rng)
        start = net.pool_of_firm.copy()
        moves = [net.switch(rng, np.ones(150, dtype=bool)) for _ in range(12)]
        return start, moves

    start_a, moves_a = run(16)
    start_b, moves_b = run(16)
    np.testing.assert_array_equal(start_a, start_b)
    assert moves_a == moves_b
    assert sum(map(len, moves_a)) > 0


def test_exact_pool_ties_are_broken_by_the_rng_deterministically():
    """Two pools at 50 % and one firm: which pool it joins depends only on the rng state."""
    params = PoolsParams(pools=(PoolParams("A", 0.5), PoolParams("B", 0.5)))
    th = np.array([1.0])
    chosen = {
        int(PoolNetwork(params, th, np.random.default_rng(s)).pool_of_firm[0]) for s in range(40)
    }
    assert chosen == {0, 1}
    again = [PoolNetwork(params, th, np.random.default_rng(5)).pool_of_firm[0] for _ in range(3)]
    assert len(set(again)) == 1


@settings(max_examples=80, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 6), min_size=1, max_size=40),
    weights=st.lists(st.sampled_from([1, 2, 3]), min_size=1, max_size=6),
    seed=st.integers(0, 2**32 - 1),
)
def test_greedy_assignment_is_the_numpy_one_ties_included(sizes, weights, seed):
    """The assignment in Python floats: firm by firm, numpy's pick of the pool.

    Small integer sizes and shares of few distinct values make exact ties between firms
    and between pools common.
    """
    shares = [w / sum(weights) for w in weights]
    params = PoolsParams(pools=tuple(PoolParams(f"p{k}", x) for k, x in enumerate(shares)))
    th = np.array(sizes, dtype=float) * 1e3
    got = PoolNetwork(params, th, np.random.default_rng(seed)).pool_of_firm
    priority = np.random.default_rng(seed).permutation(len(weights))
    deficit = np.array(shares) * th.sum()
    expected = np.zeros(len(th), dtype=np.int64)
    for i in np.argsort(-th, kind="stable"):
        tied = np.flatnonzero(deficit == deficit.max())
        j = tied[np.argmin(priority[tied])]
        expected[i] = j
        deficit[j] -= th[i]
    assert np.array_equal(got, expected)


def test_loader_builds_pools_and_rejects_duplicates_and_bad_sums():
    rows = [{"name": "A", "share": 0.6}, {"name": "B", "share": 0.4}]
    params = build(PoolsParams, {"pools": rows}, "s.toml", "pools")
    assert params.pools == (PoolParams("A", 0.6), PoolParams("B", 0.4))
    duplicate = [{"name": "A", "share": 0.5}, {"name": "A", "share": 0.5}]
    with pytest.raises(
        ParamError,
        match=r"s\.toml: \[pools\] pools names must be unique; "
        r"repeated: A",
    ):
        build(PoolsParams, {"pools": duplicate}, "s.toml", "pools")
    short = [{"name": "A", "share": 0.6}, {"name": "B", "share": 0.3}]
    with pytest.raises(ParamError, match=r"s\.toml: \[pools\] pools shares sum to 0\.9; "):
        build(PoolsParams, {"pools": short}, "s.toml", "pools")
    with pytest.raises(ParamError, match=r"\[pools\[1\]\] share = 0\.0 is out of range"):
        build(PoolsParams, {"pools": [{"name": "A", "share": 1.0}, {"name": "B", "share": 0.0}]})
    with pytest.raises(ParamError, match=r"switch_probability_per_month = 1\.5 is out of range"):
        build(PoolsParams, {"switch_probability_per_month": 1.5})


def test_check_rejects_non_positive_shares_given_directly():
    bad = PoolsParams(pools=(PoolParams("A", 1.0), PoolParams("B", 0.0)))
    assert bad.check() == "pools B: share = 0.0 must be positive"
    assert PoolsParams(pools=()).check() == "pools needs at least one pool"


@given(
    st.lists(st.floats(1e-6, 1.0), min_size=2, max_size=12),
    st.data(),
    st.floats(0.0, 1.0, exclude_max=True) | st.just(1.0 - 2.0**-53),
)
def test_a_movers_new_pool_is_the_share_weighted_draw_over_the_others(shares, data, uniform):
    """The pool numpy's cumulative shares (the old pool's left out) pick.

    The same pool for any shares and draw, the draw at the very top included.
    """
    old = data.draw(st.integers(0, len(shares) - 1))
    pools = PoolsParams(tuple(PoolParams(f"p{k}", s / sum(shares)) for k, s in enumerate(shares)))
    net = PoolNetwork(pools, np.ones(3), np.random.default_rng(0))
    net._share_list = list(shares)  # any positive weights, not only shares summing to 1
    weights = np.array(shares)
    weights[old] = 0.0
    cumulative = np.cumsum(weights)
    expected = int((cumulative <= uniform * cumulative[-1]).sum())
    if expected >= len(shares):
        expected = len(shares) - 2 if old == len(shares) - 1 else len(shares) - 1
    assert net._new_pool(old, uniform) == expected != old
