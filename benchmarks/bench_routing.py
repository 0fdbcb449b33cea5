"""Routing kernel vs scipy: one multi-source search, and one day's 21 searches.

Run::

    python benchmarks/bench_routing.py [--threads 2] [--repeat 5]

Uses the Porto walk graph (``../shared/data/osm/porto_portugal.osm.pbf``,
~300k nodes, in Hilbert order as ``twin.city`` compiles them) when the file is
present, else a synthetic grid of the same size, labelled so. Prints median
wall times over ``--repeat`` runs (scipy runs its searches one after another,
on one thread), then the kernels' compile time in a fresh process and their
load time from numba's cache in a second one.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numba
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from twin.core.routing import nearest_facility, nearest_facility_many

PORTO_PBF = Path(__file__).resolve().parents[2] / "shared/data/osm/porto_portugal.osm.pbf"
N_SOURCES = 50
N_SEARCHES = 21  # 7 services x 3 modes, once per simulated day


def porto_walk_graph(path):
    """Walk graph (edges both ways, lengths in metres), Hilbert-ordered nodes."""
    import geopandas as gpd
    import pyrosm

    nodes, edges = pyrosm.OSM(str(path)).get_network(network_type="walking", nodes=True)
    osmid = nodes["id"].to_numpy(np.int64)
    points = gpd.GeoSeries(gpd.points_from_xy(nodes["lon"], nodes["lat"]))
    osmid = osmid[np.argsort(points.hilbert_distance().to_numpy(), kind="stable")]
    order = np.argsort(osmid)
    u = order[np.searchsorted(osmid, edges["u"].to_numpy(np.int64), sorter=order)]
    v = order[np.searchsorted(osmid, edges["v"].to_numpy(np.int64), sorter=order)]
    assert np.array_equal(osmid[u], edges["u"]) and np.array_equal(osmid[v], edges["v"])
    length_m = edges["length"].to_numpy(np.float64)
    return (
        len(osmid),
        np.concatenate([u, v]),
        np.concatenate([v, u]),
        np.concatenate([length_m, length_m]),
    )


def synthetic_grid(n_nodes, seed=0):
    """A square street grid with ~n_nodes nodes and random lengths, 5-60 m."""
    side = int(np.sqrt(n_nodes))
    node = np.arange(side * side).reshape(side, side)
    pairs = [(node[:, :-1], node[:, 1:]), (node[:-1, :], node[1:, :])]
    u = np.concatenate([a.ravel() for a, _ in pairs])
    v = np.concatenate([b.ravel() for _, b in pairs])
    length_m = np.random.default_rng(seed).uniform(5.0, 60.0, len(u))
    return (
        side * side,
        np.concatenate([u, v]),
        np.concatenate([v, u]),
        np.concatenate([length_m, length_m]),
    )


def csr(n_nodes, tail, head, weight):
    """CSR arrays with each node pair's lightest edge, and the scipy matrix."""
    order = np.lexsort((weight, head, tail))
    tail, head, weight = tail[order], head[order], weight[order]
    first = np.ones(len(tail), dtype=bool)
    first[1:] = (tail[1:] != tail[:-1]) | (head[1:] != head[:-1])
    indptr = np.zeros(n_nodes + 1, dtype=np.int32)
    np.cumsum(np.bincount(tail[first], minlength=n_nodes), out=indptr[1:])
    indices = head[first].astype(np.int32)
    weight = weight[first]
    matrix = sp.csr_matrix((weight, indices, indptr), shape=(n_nodes, n_nodes))
    return indptr, indices, weight, matrix


def median_s(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


FIRST_CALL = """
import time
import numpy as np
start = time.perf_counter()
from twin.core.routing import nearest_facility, nearest_facility_many
args = (np.array([0, 1, 1]), np.array([1]), np.array([1.0]))
nearest_facility(*args, [0])
nearest_facility_many(*args, [[0]])
print(time.perf_counter() - start)
"""


def first_call_s(cache_dir):
    """Import + first calls of both public functions in a fresh process."""
    env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
    out = subprocess.run(
        [sys.executable, "-c", FIRST_CALL],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return float(out.stdout.split()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--threads", type=int, default=min(2, numba.config.NUMBA_NUM_THREADS)
    )
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    if PORTO_PBF.is_file():
        label = "Porto walk"
        n_nodes, tail, head, weight = porto_walk_graph(PORTO_PBF)
    else:
        label = "synthetic grid (Porto file absent)"
        n_nodes, tail, head, weight = synthetic_grid(303_643)
    indptr, indices, weight, matrix = csr(n_nodes, tail, head, weight)
    rng = np.random.default_rng(0)
    sets = [rng.choice(n_nodes, N_SOURCES, replace=False) for _ in range(N_SEARCHES)]
    graph = (indptr, indices, weight)

    def reference(sources):
        return dijkstra(
            matrix, directed=True, indices=sources, min_only=True, return_predecessors=True
        )

    # warm up (compile or cache load) and check both compute the same costs
    cost, _ = nearest_facility_many(*graph, sets)
    for j in (0, N_SEARCHES - 1):
        assert np.array_equal(cost[j], reference(sets[j])[0]), "costs differ from scipy"

    rows = [
        (
            f"1 search, {N_SOURCES} sources",
            median_s(lambda: nearest_facility(*graph, sets[0]), args.repeat),
            median_s(lambda: reference(sets[0]), args.repeat),
        )
    ]
    day_scipy_s = median_s(lambda: [reference(s) for s in sets], args.repeat)
    for threads in sorted({1, args.threads}):
        numba.set_num_threads(threads)
        rows.append(
            (
                f"{N_SEARCHES} searches, {threads} thread{'s' * (threads > 1)}",
                median_s(lambda: nearest_facility_many(*graph, sets), args.repeat),
                day_scipy_s,
            )
        )
    print(
        f"graph: {label}, {n_nodes:,} nodes, {len(indices):,} edges; "
        f"median of {args.repeat}; load average {os.getloadavg()[0]:.1f}"
    )
    print(f"{'case':<28}{'twin s':>10}{'scipy s':>10}{'ratio':>8}")
    for case, twin_s, scipy_s in rows:
        print(f"{case:<28}{twin_s:>10.4f}{scipy_s:>10.4f}{scipy_s / twin_s:>7.1f}x")

    with tempfile.TemporaryDirectory() as cache_dir:
        compile_s = first_call_s(cache_dir)
        cached_s = first_call_s(cache_dir)
    print(
        f"import + first calls, fresh process: {compile_s:.2f} s compiling, "
        f"{cached_s:.2f} s loading from numba's cache"
    )


if __name__ == "__main__":
    main()
