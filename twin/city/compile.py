"""Street graphs -> CSR arrays: the one place OSM node ids become array indices.

Nodes are ordered along a Hilbert curve over projected x/y so that nearby
street nodes get nearby indices (Dijkstra's memory access stays local). The
walk and wheelchair graphs share the walk graph's node order. Parallel edges
keep the smallest weight; self-loops are dropped (they never shorten a path).
Coordinates are projected to the UTM zone of the city.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
from pyproj import Transformer
from scipy.spatial import cKDTree

from twin.city.arrays import MODES, StreetArrays, derived

HILBERT_LEVEL = 16
"""Hilbert curve order: a 2**16 grid over the city, cells well under a metre."""


def utm_crs(lon: np.ndarray, lat: np.ndarray) -> str:
    """The WGS84 UTM zone of the points' median location, as ``"EPSG:xxxxx"``."""
    lon0, lat0 = float(np.median(lon)), float(np.median(lat))
    zone = int((lon0 + 180.0) // 6.0) % 60 + 1
    return f"EPSG:{(32600 if lat0 >= 0 else 32700) + zone}"


def project(lon: np.ndarray, lat: np.ndarray, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 lon/lat -> x_m, y_m in ``crs``."""
    transformer = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x_m, y_m = transformer.transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.asarray(x_m, float), np.asarray(y_m, float)


def compile_streets(graphs: dict[str, nx.MultiDiGraph]) -> tuple[str, dict[str, StreetArrays]]:
    """Compile every mode's graph (WGS84, edge attribute ``weight``) to CSR.

    Returns
    -------
    crs
        The city's projected CRS.
    streets
        mode -> :class:`StreetArrays`.
    """
    walk = graphs["walk"]
    lon, lat = _node_lonlat(walk, np.fromiter(walk.nodes, dtype=np.int64, count=len(walk)))
    crs = utm_crs(lon, lat)
    streets: dict[str, StreetArrays] = {}
    for mode in MODES:  # walk before wheelchair, which keeps the walk node order
        G = graphs[mode]
        osmid = streets["walk"].osmid if mode == "wheelchair" else _hilbert_order(G, crs)
        streets[mode] = _to_csr(mode, G, osmid, crs)
    return crs, streets


def node_index(streets: StreetArrays, osmid: np.ndarray) -> np.ndarray:
    """int32 index of each OSM node id in ``streets`` (-1 where absent)."""
    osmid = np.asarray(osmid, dtype=np.int64)
    order = np.argsort(streets.osmid)
    sorted_ids = streets.osmid[order]
    pos = np.clip(np.searchsorted(sorted_ids, osmid), 0, len(sorted_ids) - 1)
    found = sorted_ids[pos] == osmid
    return np.where(found, order[pos], -1).astype(np.int32)


def nearest_node(streets: StreetArrays, x_m: np.ndarray, y_m: np.ndarray, *,
                 with_distance: bool = False):
    """int32 index of the node of ``streets`` nearest to each projected point
    (and, ``with_distance``, the float64 distance to it in metres)."""
    tree = derived("kd-tree", (streets.x_m, streets.y_m),
                   lambda: cKDTree(np.column_stack([streets.x_m, streets.y_m])))
    distance_m, nearest = tree.query(np.column_stack([np.asarray(x_m, float), np.asarray(y_m, float)]))
    nearest = np.asarray(nearest, dtype=np.int32).reshape(np.shape(x_m))
    return (nearest, np.asarray(distance_m, float).reshape(np.shape(x_m))) if with_distance else nearest


def _hilbert_order(G: nx.MultiDiGraph, crs: str) -> np.ndarray:
    """Node ids sorted by Hilbert index of projected x/y (ties by id)."""
    import geopandas as gpd  # here: only building a city needs it (about 1 s to import)

    osmid = np.fromiter(G.nodes, dtype=np.int64, count=len(G))
    x_m, y_m = project(*_node_lonlat(G, osmid), crs)
    distance = gpd.GeoSeries(gpd.points_from_xy(x_m, y_m)).hilbert_distance(level=HILBERT_LEVEL)
    return osmid[np.lexsort((osmid, distance.to_numpy()))]


def _to_csr(mode: str, G: nx.MultiDiGraph, osmid: np.ndarray, crs: str) -> StreetArrays:
    index = {node: i for i, node in enumerate(osmid.tolist())}
    u, v, w = zip(*G.edges(data="weight")) if any(G.adj[n] for n in G) else ((), (), ())
    tail = np.fromiter((index[n] for n in u), dtype=np.int64, count=len(u))
    head = np.fromiter((index[n] for n in v), dtype=np.int64, count=len(v))
    weight = np.asarray(w, dtype=np.float64)
    if not np.all(np.isfinite(weight) & (weight >= 0)):
        raise ValueError(f"{mode}: edge weights must be finite and >= 0")
    loop = tail == head
    tail, head, weight = tail[~loop], head[~loop], weight[~loop]
    indptr, indices, weight = lightest_edge_csr(len(osmid), tail, head, weight)
    lon, lat = _node_lonlat(G, osmid)
    x_m, y_m = project(lon, lat, crs)
    return StreetArrays(
        mode=mode,
        indptr=indptr,
        indices=indices,
        weight=weight,
        x_m=x_m,
        y_m=y_m,
        lon=lon,
        lat=lat,
        osmid=osmid.astype(np.int64),
    )


def lightest_edge_csr(n_nodes: int, tail: np.ndarray, head: np.ndarray,
                      weight: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR arrays of a graph given as edges, one edge per (tail, head) pair:
    the lightest. Returns int32 ``indptr``, int32 ``indices`` (heads, sorted
    within each tail) and float64 ``weight``."""
    order = np.lexsort((weight, head, tail))
    tail, head, weight = tail[order], head[order], weight[order]
    first = np.ones(len(tail), dtype=bool)
    first[1:] = (tail[1:] != tail[:-1]) | (head[1:] != head[:-1])
    indptr = np.zeros(n_nodes + 1, dtype=np.int32)
    np.cumsum(np.bincount(tail[first], minlength=n_nodes), out=indptr[1:])
    return indptr, head[first].astype(np.int32), np.ascontiguousarray(weight[first], dtype=np.float64)


def _node_lonlat(G: nx.MultiDiGraph, osmid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    nodes = G.nodes
    lon = np.fromiter((nodes[n]["x"] for n in osmid.tolist()), dtype=np.float64, count=len(osmid))
    lat = np.fromiter((nodes[n]["y"] for n in osmid.tolist()), dtype=np.float64, count=len(osmid))
    return lon, lat
