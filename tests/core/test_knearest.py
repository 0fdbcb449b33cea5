"""twin.core.knearest against brute force: scipy's Dijkstra from every
facility, the K smallest (cost, facility) pairs per node, and the cost to
each listed facility; on random graphs (integer weights, so path sums are
exact and ties are real) and on the real Helsinki graphs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import dijkstra
from test_routing import Graph

from twin.core.knearest import costs_to_listed, k_nearest_facilities
from twin.core.routing import NO_FACILITY, UNREACHABLE


def brute_force(csr, sources, k, max_cost=np.inf):
    """Per node: the k smallest (cost, facility index) pairs over all facilities."""
    n = csr.shape[0]
    cost = np.full((n, k), UNREACHABLE)
    facility = np.full((n, k), NO_FACILITY, dtype=np.int32)
    if len(sources) == 0:
        return cost, facility
    all_costs = np.atleast_2d(dijkstra(csr, indices=np.asarray(sources), limit=max_cost))  # (sources, n)
    for node in range(n):
        pairs = sorted((c, f) for f, c in enumerate(all_costs[:, node]) if np.isfinite(c))[:k]
        for j, (c, f) in enumerate(pairs):
            cost[node, j], facility[node, j] = c, f
    return cost, facility


@st.composite
def graphs_with_sources(draw):
    n = draw(st.integers(1, 40))
    m = draw(st.integers(0, 4 * n))
    tail = draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    head = draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    weight = draw(st.lists(st.integers(0, 9), min_size=m, max_size=m))
    sources = draw(st.lists(st.integers(0, n - 1), min_size=0, max_size=8))  # duplicates allowed
    k = draw(st.integers(1, 4))
    return Graph(n, tail, head, weight), np.array(sources, dtype=np.int32), k


@settings(max_examples=150, deadline=None)
@given(graphs_with_sources(), st.sampled_from([np.inf, 5.0, 0.0]))
def test_random_graphs_equal_brute_force(case, max_cost):
    graph, sources, k = case
    cost, facility = k_nearest_facilities(graph.indptr, graph.indices, graph.weight, sources, k,
                                          max_cost=max_cost)
    expected_cost, expected_facility = brute_force(graph.csr, sources, k, max_cost)
    np.testing.assert_array_equal(cost, expected_cost)
    np.testing.assert_array_equal(facility, expected_facility)


def test_real_walk_graph_equals_brute_force(helsinki):
    walk = helsinki.streets["walk"]
    graph = Graph(walk.n_nodes, np.repeat(np.arange(walk.n_nodes), np.diff(walk.indptr)),
                  walk.indices, walk.weight)
    rng = np.random.default_rng(4)
    sources = rng.choice(walk.n_nodes, 25, replace=False).astype(np.int32)
    cost, facility = k_nearest_facilities(walk.indptr, walk.indices, walk.weight, sources, 3)
    expected_cost, expected_facility = brute_force(graph.csr, sources, 3)
    np.testing.assert_allclose(cost, expected_cost, rtol=1e-12)
    # Facilities may swap only where two costs tie to rounding.
    swapped = facility != expected_facility
    assert swapped.mean() < 1e-3
    assert np.allclose(cost[swapped], expected_cost[swapped], rtol=1e-9)


def test_bad_input_is_one_clear_error():
    graph = Graph(3, [0, 1], [1, 2], [1.0, 1.0])
    with pytest.raises(ValueError, match="k must be"):
        k_nearest_facilities(graph.indptr, graph.indices, graph.weight, np.array([0]), 0)
    with pytest.raises(ValueError, match="sources"):
        k_nearest_facilities(graph.indptr, graph.indices, graph.weight, np.array([7]), 2)


def listed_brute_force(csr, sources, listed, origin):
    """Cost from each facility's node (scipy, all nodes) to each row's origin."""
    expected = np.full(listed.shape, UNREACHABLE)
    on_graph = sources >= 0
    if on_graph.any():
        dist = np.atleast_2d(dijkstra(csr, indices=sources[on_graph]))
        row_of = np.cumsum(on_graph) - 1
        for r, j in zip(*np.nonzero(listed >= 0)):
            f = listed[r, j]
            if on_graph[f]:
                expected[r, j] = dist[row_of[f], origin[r]]
    return expected


@settings(max_examples=150, deadline=None)
@given(graphs_with_sources(), st.data())
def test_costs_to_listed_equal_brute_force(case, data):
    graph, sources, _ = case
    if len(sources):  # some facilities off the graph
        sources = np.where(np.array(data.draw(st.lists(st.booleans(), min_size=len(sources),
                                                       max_size=len(sources)))), -1, sources)
    rows = data.draw(st.integers(0, 12))
    k = data.draw(st.integers(1, 3))
    listed = np.array(data.draw(st.lists(st.integers(-1, len(sources) - 1), min_size=rows * k,
                                         max_size=rows * k)), dtype=np.int32).reshape(rows, k)
    origin = np.array(data.draw(st.lists(st.integers(0, graph.n_nodes - 1), min_size=rows,
                                         max_size=rows)), dtype=np.int32)
    cost = costs_to_listed(graph.indptr, graph.indices, graph.weight, sources, listed, origin)
    np.testing.assert_array_equal(cost, listed_brute_force(graph.csr, sources, listed, origin))


def test_drive_times_to_the_nearest_shops_on_foot(helsinki):
    """The choice sets as the model builds them: the 4 nearest on foot,
    timed on the drive graph from each walk node's drive node."""
    walk, drive = helsinki.streets["walk"].reversed(), helsinki.streets["drive"].reversed()
    rng = np.random.default_rng(5)
    facilities = rng.choice(walk.n_nodes, 30, replace=False).astype(np.int32)
    drive_node = helsinki.walk_to_drive[facilities]
    _, listed = k_nearest_facilities(walk.indptr, walk.indices, walk.weight, facilities, 4)
    cost = costs_to_listed(drive.indptr, drive.indices, drive.weight, drive_node, listed,
                           helsinki.walk_to_drive)
    n = drive.n_nodes
    csr = Graph(n, np.repeat(np.arange(n), np.diff(drive.indptr)), drive.indices, drive.weight).csr
    expected = listed_brute_force(csr, drive_node, listed, helsinki.walk_to_drive)
    np.testing.assert_allclose(cost, expected, rtol=1e-12)
    assert np.isfinite(cost).mean() > 0.9
