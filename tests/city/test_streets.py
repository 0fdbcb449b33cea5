"""Street graphs and their CSR form, checked against the OSM source."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pyrosm
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from twin.city import MODES, load_city
from twin.city.compile import compile_streets, node_index
from twin.city.sources import open_reader, resolve_source
from twin.city.streets import incline_factor, street_graphs, surface_factor, wheelchair_graph

pytestmark = pytest.mark.filterwarnings("ignore:no .* facility found")


def _csr_distances(streets, sources: np.ndarray) -> np.ndarray:
    n = streets.n_nodes
    graph = csr_matrix((streets.weight, streets.indices, streets.indptr), shape=(n, n))
    return dijkstra(graph, directed=True, indices=sources)


def test_every_mode_has_a_valid_csr(helsinki):
    for mode in MODES:
        s = helsinki.streets[mode]
        assert s.n_nodes > 100 and s.n_edges > 100, mode
        assert s.indptr.dtype == np.int32 and s.indices.dtype == np.int32
        assert s.indptr[0] == 0 and s.indptr[-1] == s.n_edges
        assert np.all(np.diff(s.indptr) >= 0)
        assert s.indices.min() >= 0 and s.indices.max() < s.n_nodes
        assert np.all(np.isfinite(s.weight)) and np.all(s.weight >= 0)
        tails = np.repeat(np.arange(s.n_nodes), np.diff(s.indptr))
        assert not np.any(tails == s.indices), "self-loop"
        pairs = tails.astype(np.int64) * s.n_nodes + s.indices
        assert len(np.unique(pairs)) == len(pairs), "parallel edges"
        assert len(np.unique(s.osmid)) == s.n_nodes
        for name in ("x_m", "y_m", "lon", "lat", "osmid"):
            assert getattr(s, name).shape == (s.n_nodes,)
    assert helsinki.crs == "EPSG:32635"  # UTM 35N: Helsinki is at 24.9 E


def test_walk_and_wheelchair_share_nodes(helsinki):
    walk, wheelchair = helsinki.streets["walk"], helsinki.streets["wheelchair"]
    for name in ("osmid", "x_m", "y_m", "lon", "lat"):
        np.testing.assert_array_equal(getattr(walk, name), getattr(wheelchair, name))
    assert wheelchair.n_edges < walk.n_edges


def test_wheelchair_has_no_steps(helsinki):
    """Expectation from pyrosm's own edges, independent of twin's graphs."""
    osm = pyrosm.OSM(pyrosm.get_data("helsinki_pbf"))
    _, edges = osm.get_network(network_type="walking", nodes=True)
    highway = {}
    for u, v, hw in zip(edges["u"], edges["v"], edges["highway"]):
        for pair in ((u, v), (v, u)):
            highway.setdefault(pair, set()).add(hw)
    steps_only = {pair for pair, kinds in highway.items() if kinds == {"steps"}}

    def osm_pairs(streets):
        tails = np.repeat(np.arange(streets.n_nodes), np.diff(streets.indptr))
        return set(zip(streets.osmid[tails].tolist(), streets.osmid[streets.indices].tolist()))

    assert osm_pairs(helsinki.streets["walk"]) & steps_only, "the walk graph should have steps"
    assert not osm_pairs(helsinki.streets["wheelchair"]) & steps_only


def test_wheelchair_rules_on_a_small_graph():
    G = nx.MultiDiGraph()
    G.add_nodes_from((n, {"x": 24.9 + n * 1e-3, "y": 60.1}) for n in range(6))
    edges = [
        (0, 1, {"highway": "steps"}),
        (1, 2, {"highway": "footway", "wheelchair": "no"}),
        (2, 3, {"highway": "footway", "incline": "10%"}),
        (3, 4, {"highway": "footway", "surface": "paved;cobblestone"}),
        (4, 5, {"highway": "footway", "incline": "up", "surface": "asphalt"}),
    ]
    for u, v, data in edges:
        G.add_edge(u, v, length=10.0, weight=10.0, **data)
    W = wheelchair_graph(G)
    assert list(W.nodes) == list(G.nodes)
    assert G.number_of_edges() == 5, "the walk graph must not be modified"
    assert not W.has_edge(0, 1) and not W.has_edge(1, 2)
    assert W[2][3][0]["weight"] == pytest.approx(10.0 * incline_factor({"incline": "10%"}))
    assert W[2][3][0]["weight"] > 10.0
    assert W[3][4][0]["weight"] == pytest.approx(10.0 * surface_factor({"surface": "cobblestone"}))
    assert W[4][5][0]["weight"] > 10.0


def test_incline_parsing():
    factor = {value: incline_factor({"incline": value}) for value in
              ("3%", "10%", "-10 %", "5°", "0.2", "30%", "down", "steep", "0")}
    assert factor["3%"] == factor["0"] == factor["steep"] == 1.0  # flat, or unparsable: no penalty
    assert factor["-10 %"] == factor["10%"] > 1.0  # downhill is as hard as uphill
    assert factor["5°"] > 1.0  # 8.7 %
    assert factor["0.2"] == factor["30%"] > factor["10%"]  # a bare fraction
    assert 1.0 < factor["down"] < factor["10%"]


def test_walk_distances_equal_networkx_on_the_raw_osm_graph(helsinki):
    """The unsimplified pyrosm graph is the reference: simplification, node
    ordering and the OSM-id-to-index bridge must not change any distance."""
    osm = pyrosm.OSM(pyrosm.get_data("helsinki_pbf"))
    nodes, edges = osm.get_network(network_type="walking", nodes=True)
    raw = osm.to_graph(nodes, edges, graph_type="networkx", simplify=False, retain_all=True, progress=False)
    walk = helsinki.streets["walk"]
    rng = np.random.default_rng(1)
    sources = rng.choice(walk.n_nodes, 5, replace=False)
    targets = rng.choice(walk.n_nodes, 40, replace=False)
    dist = _csr_distances(walk, sources)
    for row, s in enumerate(sources):
        expected = nx.single_source_dijkstra_path_length(raw, int(walk.osmid[s]), weight="length")
        for t in targets:
            assert dist[row, t] == pytest.approx(expected[int(walk.osmid[t])], rel=1e-6, abs=1e-6)


def test_drive_times_equal_networkx(helsinki):
    graphs = street_graphs(open_reader(resolve_source("helsinki")))
    crs, streets = compile_streets(graphs)
    drive, G = streets["drive"], graphs["drive"]
    rng = np.random.default_rng(2)
    sources = rng.choice(drive.n_nodes, 5, replace=False)
    dist = _csr_distances(drive, sources)
    for row, s in enumerate(sources):
        expected = nx.single_source_dijkstra_path_length(G, int(drive.osmid[s]), weight="travel_time")
        ids = np.fromiter(expected, dtype=np.int64)
        np.testing.assert_allclose(dist[row, node_index(drive, ids)], list(expected.values()), rtol=1e-9)
        assert len(expected) == drive.n_nodes, "strongly connected"


def test_drive_weights_are_travel_times(helsinki):
    s = helsinki.streets["drive"]
    tails = np.repeat(np.arange(s.n_nodes), np.diff(s.indptr))
    straight_m = np.hypot(s.x_m[s.indices] - s.x_m[tails], s.y_m[s.indices] - s.y_m[tails])
    assert np.all(s.weight > 0)
    assert np.all(straight_m / s.weight <= 130 / 3.6 + 1e-9), "faster than 130 km/h"
    speed_kph = 3.6 * np.median(straight_m / s.weight)
    assert 10 < speed_kph < 60


def test_node_order_is_spatially_coherent(helsinki):
    s = helsinki.streets["walk"]
    tails = np.repeat(np.arange(s.n_nodes), np.diff(s.indptr))
    span = np.abs(tails - s.indices).mean()
    shuffled = np.random.default_rng(0).permutation(s.n_nodes)
    random_span = np.abs(shuffled[tails] - shuffled[s.indices]).mean()
    assert span < 0.1 * random_span


def test_walk_graph_is_connected(helsinki):
    s = helsinki.streets["walk"]
    dist = _csr_distances(s, np.array([0]))
    assert np.all(np.isfinite(dist))


def test_xml_and_gzip_sources(grid_osm, tmp_path):
    import gzip

    gz = tmp_path / "grid.osm.gz"
    gz.write_bytes(gzip.compress(grid_osm.read_bytes()))
    plain = load_city(grid_osm, use_cache=False)
    packed = load_city(gz, use_cache=False)
    assert plain.name == "grid"
    assert plain.streets["walk"].n_nodes == 25
    # the grid has one steps segment: both directions are gone for wheelchairs
    assert plain.streets["wheelchair"].n_edges == plain.streets["walk"].n_edges - 2
    for mode in MODES:
        np.testing.assert_array_equal(plain.streets[mode].weight, packed.streets[mode].weight)
    assert len(plain.facilities["water"]) == 1 and len(plain.facilities["health"]) == 1


def test_graphml_source(grid_osm, tmp_path):
    import osmnx as ox

    path = tmp_path / "grid.graphml"
    ox.save_graphml(ox.graph_from_xml(grid_osm, simplify=False), path)
    with pytest.warns(UserWarning, match="no points of interest"):
        city = load_city(path, use_cache=False)
    assert city.streets["walk"].n_nodes == 25
    assert all(len(fs) == 0 for fs in city.facilities.values())
    assert city.home_weight_source == "street_length"
