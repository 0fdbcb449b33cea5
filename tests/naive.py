"""Plain-Python reference implementations of the numba kernels in twin.core.

Slow and obvious on purpose: tests assert kernel == reference.
"""

from __future__ import annotations

import heapq
import math


def naive_nearest_facility(indptr, indices, weight, sources, *, max_cost=math.inf):
    """Multi-source Dijkstra with heapq; reference for
    :func:`twin.core.routing.nearest_facility`.

    Labels are (cost, facility) pairs settled in lexicographic order, so ties
    at equal cost go to the lowest facility index.

    Returns
    -------
    cost
        list of float, ``math.inf`` where unreachable.
    facility
        list of int, index into ``sources``, -1 where unreachable.
    """
    n_nodes = len(indptr) - 1
    cost = [math.inf] * n_nodes
    facility = [-1] * n_nodes
    settled = [False] * n_nodes
    queue = [(0.0, f, int(s)) for f, s in enumerate(sources)]
    heapq.heapify(queue)
    while queue:
        d, f, u = heapq.heappop(queue)
        if settled[u]:
            continue
        settled[u] = True
        cost[u] = d
        facility[u] = f
        for e in range(indptr[u], indptr[u + 1]):
            v = int(indices[e])
            dv = d + float(weight[e])
            if not settled[v] and dv <= max_cost:
                heapq.heappush(queue, (dv, f, v))
    return cost, facility
