"""The peer graph: its degree, its seeding, and the share of a firm's peers that pivoted."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from abm.network.peers import peer_graph, pivot_share


def edges(graph: nx.Graph) -> set[tuple[int, int]]:
    return {tuple(sorted(e)) for e in graph.edges()}


def test_without_rewiring_every_firm_has_exactly_degree_peers():
    graph = peer_graph(65, 6, 0.0, np.random.default_rng(1))
    assert graph.number_of_nodes() == 65
    assert {d for _, d in graph.degree()} == {6}


@pytest.mark.parametrize("rewire", [0.1, 0.5])
def test_rewiring_keeps_the_mean_degree(rewire):
    """Watts-Strogatz moves edges, never adds or drops them: 65 * 6 / 2 = 195 edges."""
    graph = peer_graph(65, 6, rewire, np.random.default_rng(1))
    assert graph.number_of_edges() == 195
    assert {d for _, d in graph.degree()} != {6}  # some firms did gain or lose peers


@pytest.mark.parametrize(
    ("n_firms", "degree", "expected"),
    [(5, 6, 4), (4, 6, 2), (6, 6, 4), (2, 6, 0), (1, 6, 0)],
)
def test_degree_is_capped_at_the_largest_even_number_below_the_firm_count(
    n_firms, degree, expected
):
    """5 firms: each sees the 4 others; 4 or 6 firms: a ring of degree 2 or 4; 2 or 1: none."""
    graph = peer_graph(n_firms, degree, 0.0, np.random.default_rng(1))
    assert graph.number_of_nodes() == n_firms
    assert all(d == expected for _, d in graph.degree())


def test_the_same_seed_gives_the_same_graph_and_another_seed_another():
    def graph(seed):
        return peer_graph(65, 6, 0.3, np.random.default_rng(seed))

    assert edges(graph(7)) == edges(graph(7))
    assert edges(graph(7)) != edges(graph(8))


def test_pivot_share_is_the_share_of_a_firms_neighbours_that_announced():
    """Star: firm 0 sees firms 1-4, of which 1 and 4 announced (firm 0's own flag is ignored)."""
    star = nx.star_graph(4)
    announced = np.array([True, True, False, False, True])
    assert pivot_share(star, 0, announced) == 0.5
    assert pivot_share(star, 2, announced) == 1.0  # its only peer is firm 0
    assert pivot_share(star, 0, np.zeros(5, dtype=bool)) == 0.0


def test_pivot_share_equals_the_mean_over_neighbours_on_a_seeded_peer_graph():
    rng = np.random.default_rng(3)
    graph = peer_graph(40, 4, 0.3, rng)
    announced = rng.random(40) < 0.3
    for firm in graph.nodes:
        peers = list(graph.neighbors(firm))
        expected = sum(announced[p] for p in peers) / len(peers)
        assert pivot_share(graph, firm, announced) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize("degree", [2, 6, 17, 50])
def test_pivot_share_is_numpys_mean_of_the_peers_bools_bit_for_bit(degree):
    """Any degree the parameters allow (2-50): the count over the length is the mean."""
    rng = np.random.default_rng(degree)
    graph = peer_graph(120, degree, 0.3, rng)
    announced = rng.random(120) < 0.37
    for firm in graph.nodes:
        peers = list(graph.neighbors(firm))
        assert pivot_share(graph, firm, announced) == float(announced[peers].mean())


def test_an_isolated_firm_has_a_pivot_share_of_zero():
    graph = nx.empty_graph(3)
    assert pivot_share(graph, 1, np.array([True, True, True])) == 0.0
