"""The K nearest facilities of every node, by shortest paths over a CSR graph.

Where people choose among several facilities (water points by walk plus
queue, shops and offices by a destination-choice model), each node needs its
K nearest, not only the nearest. One search finds them all: a Dijkstra whose
labels are (cost, facility) pairs, in which a node keeps the first K
distinct facilities that reach it. A label popped at a node that already has
K facilities, or already has this one, is dropped: any facility that would
reach a farther node through it is beaten there by the K that the node
already has, so the result is exact (ties go to the lower facility index).

Like :mod:`twin.core.routing`, a search runs *from* the facilities along
edges: pass the reversed graph for costs from every node *to* its facilities.
"""

from __future__ import annotations

import numpy as np

from twin.core.jit import kernel, kernel_helper
from twin.core.routing import NO_FACILITY, UNREACHABLE, _checked_graph, _checked_max_cost, _checked_sources


def k_nearest_facilities(
    indptr: np.ndarray,
    indices: np.ndarray,
    weight: np.ndarray,
    sources: np.ndarray,
    k: int,
    *,
    max_cost: float = np.inf,
) -> tuple[np.ndarray, np.ndarray]:
    """Cost from each of the ``k`` nearest sources to every node, nearest first.

    Parameters
    ----------
    indptr, indices, weight
        The graph in CSR form, as :func:`twin.core.routing.nearest_facility`.
    sources
        Node index of each facility (duplicates allowed: two facilities on one node).
    k
        Facilities kept per node, >= 1.
    max_cost
        A facility reaches a node only if its cost is ``<= max_cost``.

    Returns
    -------
    cost
        float64, shape (n_nodes, k): costs in increasing order,
        :data:`~twin.core.routing.UNREACHABLE` where fewer than ``k``
        facilities reach the node.
    facility
        int32, shape (n_nodes, k): index into ``sources`` of each,
        :data:`~twin.core.routing.NO_FACILITY` where unreachable; among equal
        costs the lower index comes first.

    Raises
    ------
    ValueError
        A malformed graph, a source out of range, ``k < 1``, a bad cutoff.
    """
    indptr, indices, weight = _checked_graph(indptr, indices, weight)
    n_nodes = len(indptr) - 1
    sources = _checked_sources(sources, n_nodes, "sources")
    max_cost = _checked_max_cost(max_cost)
    if int(k) != k or k < 1:
        raise ValueError(f"k must be a whole number >= 1, got {k!r}")
    cost = np.full((n_nodes, int(k)), UNREACHABLE, dtype=np.float64)
    facility = np.full((n_nodes, int(k)), NO_FACILITY, dtype=np.int32)
    # the heap and the count found per node, allocated here (each numpy
    # allocation in a kernel compiles code of its own)
    capacity = len(sources) + len(indices) * int(k) + 1
    heap = (np.empty(capacity, dtype=np.float64), np.empty(capacity, dtype=np.int32),
            np.empty(capacity, dtype=np.int32))
    _k_nearest(indptr, indices, weight, sources, max_cost, cost, facility, *heap,
               np.zeros(n_nodes, dtype=np.int32))
    return cost, facility


@kernel_helper
def _less(cost_a, fac_a, cost_b, fac_b):
    return cost_a < cost_b or (cost_a == cost_b and fac_a < fac_b)


@kernel(_nrt=False)  # allocates nothing
def _k_nearest(indptr, indices, weight, sources, max_cost, cost, facility, heap_cost, heap_fac, heap_node, found):
    """Label-setting search with a binary heap of (cost, facility, node)
    (room for every push); ``found``, zeros, counts each node's facilities."""
    k = cost.shape[1]
    size = np.int64(0)  # typed: a literal 0 would compile _push and _pop once more
    for f in range(len(sources)):  # push each source's own node at cost 0
        size = _push(heap_cost, heap_fac, heap_node, size, 0.0, np.int32(f), sources[f])
    while size > 0:
        c, f, v = heap_cost[0], heap_fac[0], heap_node[0]
        size = _pop(heap_cost, heap_fac, heap_node, size)
        have = found[v]
        if have == k:
            continue
        seen = False
        for j in range(have):
            if facility[v, j] == f:
                seen = True
                break
        if seen:
            continue
        cost[v, have] = c
        facility[v, have] = f
        found[v] = have + 1
        for e in range(indptr[v], indptr[v + 1]):
            u = indices[e]
            nc = c + weight[e]
            if nc <= max_cost and found[u] < k:
                size = _push(heap_cost, heap_fac, heap_node, size, nc, f, u)


@kernel_helper
def _push(heap_cost, heap_fac, heap_node, size, c, f, v):
    i = size
    while i > 0:
        parent = (i - 1) >> 1
        if not _less(c, f, heap_cost[parent], heap_fac[parent]):
            break
        heap_cost[i], heap_fac[i], heap_node[i] = heap_cost[parent], heap_fac[parent], heap_node[parent]
        i = parent
    heap_cost[i], heap_fac[i], heap_node[i] = c, f, v
    return size + 1


@kernel_helper
def _pop(heap_cost, heap_fac, heap_node, size):
    size -= 1
    c, f, v = heap_cost[size], heap_fac[size], heap_node[size]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and _less(heap_cost[child + 1], heap_fac[child + 1],
                                      heap_cost[child], heap_fac[child]):
            child += 1
        if not _less(heap_cost[child], heap_fac[child], c, f):
            break
        heap_cost[i], heap_fac[i], heap_node[i] = heap_cost[child], heap_fac[child], heap_node[child]
        i = child
    if size > 0:
        heap_cost[i], heap_fac[i], heap_node[i] = c, f, v
    return size


def costs_to_listed(
    indptr: np.ndarray,
    indices: np.ndarray,
    weight: np.ndarray,
    sources: np.ndarray,
    listed: np.ndarray,
    origin: np.ndarray,
) -> np.ndarray:
    """Cost from ``origin[v]`` to each facility listed for row ``v``.

    Where a destination is chosen on one graph (the K nearest shops on foot)
    but reached on another (by car), each row needs the cost on the second
    graph to the facilities of its list. One search per listed facility,
    stopped once every origin that lists it is settled, gives them exactly.

    Parameters
    ----------
    indptr, indices, weight
        The graph in CSR form; pass the reversed graph for costs *to* the
        facilities (as :func:`k_nearest_facilities`).
    sources
        Node of each facility on this graph; -1 for a facility off it (its
        cost is :data:`~twin.core.routing.UNREACHABLE`).
    listed
        int32, shape (n_rows, k): facility indices per row, -1 for none.
    origin
        int32, shape (n_rows,): each row's node on this graph.

    Returns
    -------
    float64, shape (n_rows, k): the costs, ``UNREACHABLE`` where no path or no facility.
    """
    indptr, indices, weight = _checked_graph(indptr, indices, weight)
    n_nodes = len(indptr) - 1
    sources = np.asarray(sources)
    if sources.ndim != 1 or (sources.size and (sources.min() < -1 or sources.max() >= n_nodes)):
        raise ValueError(f"sources must be a 1-D array of node indices in [-1, {n_nodes})")
    listed = np.asarray(listed)
    if listed.ndim != 2 or (listed.size and (listed.min() < -1 or listed.max() >= len(sources))):
        raise ValueError(f"listed must be a 2-D array of facility indices in [-1, {len(sources)})")
    origin = _checked_sources(origin, n_nodes, "origin")
    if len(origin) != len(listed):
        raise ValueError(f"origin has {len(origin)} rows, listed {len(listed)}")
    sources = np.ascontiguousarray(sources, dtype=np.int32)
    listed = np.ascontiguousarray(listed, dtype=np.int32)
    # rows listing each facility, as CSR over facilities
    flat = listed.ravel()
    keep = np.flatnonzero(flat >= 0)
    order = keep[np.argsort(flat[keep], kind="stable")]
    starts = np.searchsorted(flat[order], np.arange(len(sources) + 1)).astype(np.int64)
    cost = np.full(listed.shape, UNREACHABLE, dtype=np.float64)
    # the search's state, allocated here (each numpy allocation in a kernel compiles code of its own)
    state = (np.full(n_nodes, np.inf), np.zeros(n_nodes, dtype=np.bool_), np.zeros(n_nodes, dtype=np.int32),
             np.empty(n_nodes, dtype=np.int32))
    heap = (np.empty(len(indices) + 1, dtype=np.float64),
            np.zeros(len(indices) + 1, dtype=np.int32),  # unused tie key of the shared heap
            np.empty(len(indices) + 1, dtype=np.int32))
    _costs_to_listed(indptr, indices, weight, sources, starts, order.astype(np.int64),
                     origin, listed.shape[1], cost.ravel(), *state, *heap)
    return cost


@kernel(_nrt=False)  # allocates nothing
def _costs_to_listed(indptr, indices, weight, sources, starts, entries, origin, k, out,
                     dist, done, wanted, touched, heap_cost, heap_fac, heap_node):
    """One Dijkstra per facility with listings, stopped when all its origins
    are settled. Per node: ``dist`` (inf), ``done`` (False) and ``wanted``
    (0), which each search restores for the next, and ``touched``; the heap
    has room for every edge."""
    NO_TIE = np.int32(0)  # typed, as _k_nearest's keys: one compiled _push for both searches
    for f in range(len(sources)):
        if starts[f] == starts[f + 1] or sources[f] < 0:
            continue
        left = 0
        for e in range(starts[f], starts[f + 1]):
            v = origin[entries[e] // k]
            if wanted[v] == 0:
                left += 1
            wanted[v] += 1
        n_touched = 0
        dist[sources[f]] = 0.0
        touched[n_touched] = sources[f]
        n_touched += 1
        size = _push(heap_cost, heap_fac, heap_node, np.int64(0), 0.0, NO_TIE, sources[f])
        while size > 0 and left > 0:
            c, v = heap_cost[0], heap_node[0]
            size = _pop(heap_cost, heap_fac, heap_node, size)
            if done[v]:
                continue
            done[v] = True
            if wanted[v] > 0:
                left -= 1
            for e in range(indptr[v], indptr[v + 1]):
                u = indices[e]
                nc = c + weight[e]
                if nc < dist[u]:
                    if dist[u] == np.inf:
                        touched[n_touched] = u
                        n_touched += 1
                    dist[u] = nc
                    size = _push(heap_cost, heap_fac, heap_node, size, nc, NO_TIE, u)
        for e in range(starts[f], starts[f + 1]):
            v = origin[entries[e] // k]
            out[entries[e]] = dist[v]
            wanted[v] = 0
        for t in range(n_touched):
            dist[touched[t]] = np.inf
            done[touched[t]] = False
