"""Nearest facility by multi-source shortest paths over a CSR street graph.

Each public function validates its inputs and shapes the result; the private
numba kernels beside them (:mod:`twin.core.jit`) do the work and compile on
first call (cached on disk), never at import.

Direction: a search runs *from* the sources along edges, so on a directed
graph it gives the cost from the nearest facility to every node. For the cost
from every node *to* its nearest facility, pass the transpose
(:meth:`twin.city.arrays.StreetArrays.reversed`).

Algorithm: label-correcting search over a bucket queue (sequential
delta-stepping: Dial's buckets, each two mean edge weights wide, first in first
out within a bucket). On street graphs, where most nodes have two neighbours
and the frontier is wide, it is 1.8x faster than Dijkstra with a 4-ary heap,
which spends its time ordering that frontier (Porto walk graph, 300k nodes).
The costs are exact all the same: a search stops only when no edge can lower a
cost, and the only such costs are the minimum, over paths, of the float64 sum
along the path, which is also what Dijkstra's algorithm (scipy's) computes, bit
for bit. The bucket width only affects speed.
"""

from __future__ import annotations

import numpy as np

from twin.core.jit import kernel
from twin.core.threads import each

UNREACHABLE = np.inf
"""Cost of a node that no source reaches (within ``max_cost``)."""

NO_FACILITY = -1
"""Facility of a node that no source reaches (within ``max_cost``)."""

_BUCKET_WIDTH_PER_MEAN_WEIGHT = 2.0
"""Bucket width over the mean edge weight. On the Porto walk graph any value
from 1 to 8 is within 10% of the best: wider buckets revisit a few more nodes,
narrower ones scan more empty buckets."""

_MAX_BUCKETS = 1 << 16
"""Cap on the bucket ring, which must span the heaviest edge; a graph whose
heaviest edge is over ~130,000 times the mean weight gets wider buckets."""

_INT32_MAX = np.iinfo(np.int32).max

_PARALLEL_MIN_EDGES = 20_000
"""Searches over fewer edges than this in all (roughly 0.2 ms of work) run in
one thread: handing them to another costs about 0.1 ms."""


def nearest_facility(
    indptr: np.ndarray,
    indices: np.ndarray,
    weight: np.ndarray,
    sources: np.ndarray,
    *,
    max_cost: float = np.inf,
    cost_out: np.ndarray | None = None,
    facility_out: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Cost from the nearest source to every node, and which source it is.

    Parameters
    ----------
    indptr, indices, weight
        The graph in CSR form (see :class:`twin.city.arrays.StreetArrays`):
        edges of node ``i`` are ``indptr[i]:indptr[i + 1]``, ``indices`` their
        head nodes, ``weight`` their finite, non-negative costs. Parallel
        edges, self loops and zero weights are allowed. Other integer or float
        dtypes are converted (a copy); int32 / float64 are used as they are.
    sources
        Node index of each facility; duplicates (two facilities on one node)
        and an empty array are allowed.
    max_cost
        Exact cutoff, in the unit of ``weight``: a node is reached if and only
        if its cost is ``<= max_cost`` (as scipy's ``limit``); nodes beyond
        are not expanded and stay unreachable.
    cost_out, facility_out
        Optional preallocated outputs: float64 and int32, C-contiguous,
        shape (n_nodes,). They are overwritten and returned.

    Returns
    -------
    cost
        float64, shape (n_nodes,): cost of the cheapest path from any source,
        :data:`UNREACHABLE` where there is none. Equal, bit for bit, to
        ``scipy.sparse.csgraph.dijkstra(..., indices=sources, min_only=True)``.
    facility
        int32, shape (n_nodes,): index into ``sources`` of the facility the
        cheapest path starts at, :data:`NO_FACILITY` where unreachable. Ties
        at equal cost go to the lowest facility index: exactly so when path
        sums are exact in float64 (e.g. integer weights); with rounded sums it
        may be another facility whose own cost to the node is ``cost`` too.
        Deterministic either way.

    Raises
    ------
    ValueError
        Naming every problem with the graph, and any with the sources, cutoff
        or outputs.
    """
    indptr, indices, weight = _checked_graph(indptr, indices, weight)
    n_nodes = len(indptr) - 1
    sources = _checked_sources(sources, n_nodes, "sources")
    max_cost = _checked_max_cost(max_cost)
    cost_out = _checked_out(cost_out, np.float64, n_nodes, "cost_out")
    facility_out = _checked_out(facility_out, np.int32, n_nodes, "facility_out")
    _search(
        indptr,
        indices,
        weight,
        sources,
        max_cost,
        *_bucket_ring(weight),
        len(indices) + len(sources) + 1,
        cost_out,
        facility_out,
    )
    return cost_out, facility_out


def nearest_facility_many(
    indptr: np.ndarray,
    indices: np.ndarray,
    weight: np.ndarray,
    source_sets: list[np.ndarray],
    *,
    max_cost: float = np.inf,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`nearest_facility` for k source sets on one graph, in parallel.

    The k searches are independent and run on threads, as many as
    ``numba.get_num_threads()`` (see :mod:`twin.core.threads`).
    The graph is validated once. Row ``j`` of each result equals
    ``nearest_facility(indptr, indices, weight, source_sets[j], max_cost=...)``.

    Parameters
    ----------
    indptr, indices, weight
        The graph, as for :func:`nearest_facility`.
    source_sets
        k arrays of facility nodes (e.g. one per service); any may be empty.
    max_cost
        Exact cutoff, as for :func:`nearest_facility`.

    Returns
    -------
    cost
        float64, shape (k, n_nodes).
    facility
        int32, shape (k, n_nodes): row ``j`` indexes into ``source_sets[j]``.

    Raises
    ------
    ValueError
        As :func:`nearest_facility`.
    """
    indptr, indices, weight = _checked_graph(indptr, indices, weight)
    n_nodes = len(indptr) - 1
    sets = [
        _checked_sources(s, n_nodes, f"source_sets[{j}]")
        for j, s in enumerate(source_sets)
    ]
    max_cost = _checked_max_cost(max_cost)
    cost = np.empty((len(sets), n_nodes), dtype=np.float64)
    facility = np.empty((len(sets), n_nodes), dtype=np.int32)
    bucket_width, n_buckets = _bucket_ring(weight)

    def search(j):
        _search(indptr, indices, weight, sets[j], max_cost, bucket_width, n_buckets,
                len(indices) + len(sets[j]) + 1, cost[j], facility[j])

    each(search, len(sets), parallel=len(indices) * len(sets) >= _PARALLEL_MIN_EDGES)
    return cost, facility


def _checked_graph(indptr, indices, weight):
    """CSR arrays as int32, int32, float64, or ValueError naming every problem."""
    arrays = {"indptr": indptr, "indices": indices, "weight": weight}
    problems = []
    for name, values in arrays.items():
        values = arrays[name] = np.asarray(values)
        kinds = "iuf" if name == "weight" else "iu"
        if values.ndim != 1:
            problems.append(f"{name} must be 1-D, got shape {values.shape}")
        elif values.size and values.dtype.kind not in kinds:
            what = "numbers" if name == "weight" else "integers"
            problems.append(f"{name} must hold {what}, got dtype {values.dtype}")
    if problems:
        raise ValueError("invalid graph: " + "; ".join(problems))
    indptr, indices, weight = arrays.values()

    n_edges = len(indices)
    n_nodes = len(indptr) - 1
    if n_nodes < 0:
        problems.append("indptr must have n_nodes + 1 >= 1 entries, got 0")
    else:
        if indptr[0] != 0 or indptr[-1] != n_edges:
            problems.append(
                f"indptr must run from 0 to len(indices) = {n_edges}, "
                f"got {indptr[0]} to {indptr[-1]}"
            )
        if np.any(np.diff(indptr) < 0):
            problems.append("indptr must be non-decreasing")
    if n_edges > _INT32_MAX:
        problems.append(f"{n_edges} edges do not fit int32 indices")
    if n_edges and n_nodes >= 0 and (indices.min() < 0 or indices.max() >= n_nodes):
        problems.append(
            f"indices must lie in [0, {n_nodes}), got "
            f"[{indices.min()}, {indices.max()}]"
        )
    if len(weight) != n_edges:
        problems.append(f"weight must have {n_edges} entries, got {len(weight)}")
    # min/max propagate NaN, so two passes catch NaN, inf and negatives
    elif n_edges and not (weight.min() >= 0 and weight.max() < np.inf):
        bad = ~(weight >= 0) | (weight == np.inf)
        first = int(np.flatnonzero(bad)[0])
        problems.append(
            f"weight must be finite and >= 0: {int(bad.sum())} edges are not "
            f"(first: edge {first}, weight {weight[first]})"
        )
    if problems:
        raise ValueError("invalid graph: " + "; ".join(problems))
    return (
        np.ascontiguousarray(indptr, dtype=np.int32),
        np.ascontiguousarray(indices, dtype=np.int32),
        np.ascontiguousarray(weight, dtype=np.float64),
    )


def _checked_sources(sources, n_nodes, name):
    """Source nodes as int32, or ValueError."""
    sources = np.asarray(sources)
    if sources.ndim != 1 or (sources.size and sources.dtype.kind not in "iu"):
        raise ValueError(
            f"{name} must be a 1-D array of node indices, got shape "
            f"{sources.shape} and dtype {sources.dtype}"
        )
    if sources.size and (sources.min() < 0 or sources.max() >= n_nodes):
        raise ValueError(
            f"{name} must lie in [0, {n_nodes}), got "
            f"[{sources.min()}, {sources.max()}]"
        )
    return np.ascontiguousarray(sources, dtype=np.int32)


def _checked_max_cost(max_cost):
    max_cost = float(max_cost)
    if not max_cost >= 0:  # also rejects NaN
        raise ValueError(f"max_cost must be >= 0, got {max_cost}")
    return max_cost


def _checked_out(out, dtype, n_nodes, name):
    """A preallocated output, or a new one; ValueError if it does not fit."""
    if out is None:
        return np.empty(n_nodes, dtype=dtype)
    if not (
        isinstance(out, np.ndarray)
        and out.dtype == dtype
        and out.shape == (n_nodes,)
        and out.flags.c_contiguous
        and out.flags.writeable
    ):
        raise ValueError(
            f"{name} must be a writeable, C-contiguous {np.dtype(dtype)} array "
            f"of shape ({n_nodes},)"
        )
    return out


def _bucket_ring(weight):
    """Bucket width (in the unit of ``weight``) and number of buckets.

    The ring must span the heaviest edge (plus one bucket, plus one for
    rounding) so that a bucket never holds costs from two laps; its size is a
    power of two, as a mask is cheaper than a modulo.
    """
    max_weight = weight.max() if len(weight) else 0.0
    width = max(
        _BUCKET_WIDTH_PER_MEAN_WEIGHT * weight.mean() if len(weight) else 0.0,
        max_weight / (_MAX_BUCKETS - 3),
        # all-zero or subnormal weights: any width works if 1 / width is finite
        np.finfo(np.float64).tiny,
    )
    n_buckets = 1 << int(int(max_weight / width) + 2).bit_length()
    return width, n_buckets


def _search(indptr, indices, weight, sources, max_cost, bucket_width, n_buckets, capacity, cost, facility):
    """Fill ``cost`` and ``facility``; restart with a bigger pool if it runs out.

    The pool holds queued entries. ``n_edges + n_sources + 1`` slots suffice
    unless many labels improve several times while queued, which we have not
    seen on street graphs. Its arrays and the bucket ring's are allocated
    here, not in the kernel (each numpy allocation in a kernel compiles code
    of its own).
    """
    first, last = np.empty(n_buckets, dtype=np.int32), np.empty(n_buckets, dtype=np.int32)
    while True:
        key = np.empty(capacity, dtype=np.float64)
        node = np.empty(capacity, dtype=np.int32)
        after = np.empty(capacity, dtype=np.int32)
        if _search_in_pool(indptr, indices, weight, sources, max_cost, bucket_width, cost, facility,
                           key, node, after, first, last):
            return
        capacity *= 2


@kernel(_nrt=False)  # searches run on threads (twin.core.threads); allocates nothing
def _search_in_pool(indptr, indices, weight, sources, max_cost, bucket_width, cost, facility,
                    key, node, after, first, last):
    """Label-correcting search; False if the pool of queue entries overflows.

    A label is (cost, facility), compared lexicographically: a node is
    relabelled, and queued again, when a cheaper path reaches it or an equally
    cheap one from a lower facility index. Entries are slots of the pool
    (``key``: the cost when queued, ``node``, ``after``: the next slot in the
    same bucket or in the free list); an entry whose key is no longer its
    node's cost is stale and skipped. Bucket ``b`` of the ring (``first``
    and ``last`` entry of each, a power of two of them) holds costs in
    ``[g, g + 1) * bucket_width`` for the one ``g`` with ``g % n_buckets == b``
    in the window that starts at the bucket being emptied (see
    :func:`_bucket_ring`). Were that broken, every entry would still be
    processed and the result still exact, only slower.
    """
    for v in range(len(cost)):  # loops: slice fills compile more slowly
        cost[v] = np.inf
        facility[v] = -1
    for b in range(len(first)):
        first[b] = -1
        last[b] = -1
    inv_width = 1.0 / bucket_width
    mask = len(first) - 1
    capacity = len(key)
    n_used = 0  # slots ever used; those freed since are chained from `free`
    free = -1
    n_queued = 0

    for f in range(len(sources)):
        s = sources[f]
        if facility[s] != -1:  # two facilities on one node: the first keeps it
            continue
        if n_used == capacity:
            return False
        cost[s] = 0.0
        facility[s] = f
        slot = n_used
        n_used += 1
        key[slot] = 0.0
        node[slot] = s
        after[slot] = -1
        if last[0] == -1:
            first[0] = slot
        else:
            after[last[0]] = slot
        last[0] = slot
        n_queued += 1

    b = 0
    while n_queued > 0:
        slot = first[b]
        if slot == -1:
            b = (b + 1) & mask
            continue
        first[b] = after[slot]
        if first[b] == -1:
            last[b] = -1
        n_queued -= 1
        u = node[slot]
        d = key[slot]
        after[slot] = free
        free = slot
        if d != cost[u]:
            continue
        fu = facility[u]
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            dv = d + weight[e]
            if dv < cost[v] or (dv == cost[v] and fu < facility[v]):
                if dv > max_cost:
                    continue
                if free != -1:
                    slot = free
                    free = after[slot]
                elif n_used < capacity:
                    slot = n_used
                    n_used += 1
                else:
                    return False
                cost[v] = dv
                facility[v] = fu
                key[slot] = dv
                node[slot] = v
                after[slot] = -1
                bv = np.int64(dv * inv_width) & mask
                if last[bv] == -1:
                    first[bv] = slot
                else:
                    after[last[bv]] = slot
                last[bv] = slot
                n_queued += 1
    return True
