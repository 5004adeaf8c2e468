"""The peer graph: which firms watch which others pivot to AI (imitation, herding)."""

from __future__ import annotations

import networkx as nx
import numpy as np


def peer_graph(n_firms: int, degree: int, rewire_probability: float, rng: np.random.Generator):
    """Small-world (Watts-Strogatz) graph over firms, seeded from the run's peer stream."""
    k = min(degree, n_firms - 1 - (n_firms - 1) % 2) if n_firms > 2 else 0
    seed = int(rng.integers(2**31))
    if k == 0:  # one or two firms: nobody to watch (networkx < 3.3 drops the nodes too)
        return nx.empty_graph(n_firms)
    return nx.watts_strogatz_graph(n_firms, k, rewire_probability, seed=seed)


def pivot_share(graph: nx.Graph, firm: int, announced: np.ndarray) -> float:
    """Share of `firm`'s peers whose entry in `announced` (a bool per firm) is set.

    A count over a length: numpy's mean of the bools, bit for bit, without its wrapper.
    """
    peers = list(graph.neighbors(firm))
    if not peers:
        return 0.0
    return np.count_nonzero(announced[peers]) / len(peers)
