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
from numba import njit

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
    _k_nearest(indptr, indices, weight, sources, max_cost, cost, facility)
    return cost, facility


@njit(cache=True, nogil=True)
def _less(cost_a, fac_a, cost_b, fac_b):
    return cost_a < cost_b or (cost_a == cost_b and fac_a < fac_b)


@njit(cache=True, nogil=True)
def _k_nearest(indptr, indices, weight, sources, max_cost, cost, facility):
    """Label-setting search with a binary heap of (cost, facility, node)."""
    k = cost.shape[1]
    capacity = len(sources) + len(indices) * k + 1
    heap_cost = np.empty(capacity, dtype=np.float64)
    heap_fac = np.empty(capacity, dtype=np.int32)
    heap_node = np.empty(capacity, dtype=np.int32)
    found = np.zeros(len(indptr) - 1, dtype=np.int32)
    size = 0
    for f in range(len(sources)):  # push each source's own node at cost 0
        size = _push(heap_cost, heap_fac, heap_node, size, 0.0, f, sources[f])
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


@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True)
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
