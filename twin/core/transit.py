"""Walk + transit travel time from every street node to the nearest facility,
over a window of departure times, by a profile connection scan.

Each public function validates its inputs and shapes the result; the private
numba kernels beside them (:mod:`twin.core.jit`) do the work and compile on
first call (cached on disk), never at import.

Model of a journey (the same as :func:`tests.naive.naive_transit_time`):
leave node ``v`` at ``tau``; either walk all the way to the nearest facility,
or walk to a stop (access leg, at most ``max_walk_s``), board a vehicle that
departs at or after arrival there, ride, and at any stop where alighting is
allowed either walk to the nearest facility (egress leg, at most
``max_walk_s``) or walk to a stop (transfer, at most ``max_walk_s``; staying
at the same stop is a transfer of 0 s) and board another vehicle departing at
least ``transfer_slack_s`` after reaching it. Staying seated needs no slack.
The result is the travel time to the facility, ``inf`` where no journey
reaches one; per node the median over the departure times, as R5 reports.

Algorithm (Dibbelt et al., "Connection Scan Algorithm", JEA 2018, profile
variant): connections are scanned by decreasing departure time; each stop
keeps a Pareto profile of (departure, earliest arrival at a facility), so one
scan answers every departure time and every origin at once. Transfer
footpaths are taken at the arriving side, which keeps each profile's
departures decreasing as they are appended (no insertion). The profiles are
then tabulated per second over the window, and each node takes the best of
its stops for each departure time: ``min_s A_s(tau + access(v, s))``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from twin.core.jit import kernel
from twin.core.threads import each

UNREACHABLE = np.inf
"""Travel time where no journey (walk or transit) reaches a facility."""


class Connections(NamedTuple):
    """Vehicle hops, sorted by departure, then arrival, then position in the
    trip (so a trip's hops of equal departure come in trip order).

    ``from_stop``, ``to_stop``, ``trip``: int32; ``dep_s``, ``arr_s``: int32
    seconds; ``board``, ``alight``: bool (pickup at ``from_stop`` / drop-off
    at ``to_stop`` allowed).
    """

    from_stop: np.ndarray
    to_stop: np.ndarray
    dep_s: np.ndarray
    arr_s: np.ndarray
    trip: np.ndarray
    board: np.ndarray
    alight: np.ndarray


class WalkLinks(NamedTuple):
    """Walking legs between nodes and stops, in seconds (CSR).

    ``access_indptr`` (n_nodes + 1), ``access_stop``, ``access_s``: the stops
    each node reaches on foot and how long it takes; ``transfer_indptr``
    (n_stops + 1), ``transfer_stop``, ``transfer_s``: the stops each stop
    reaches on foot (itself included, at 0 s).
    """

    access_indptr: np.ndarray
    access_stop: np.ndarray
    access_s: np.ndarray
    transfer_indptr: np.ndarray
    transfer_stop: np.ndarray
    transfer_s: np.ndarray


def stop_walk_lengths(
    indptr: np.ndarray,
    indices: np.ndarray,
    weight: np.ndarray,
    stop_node: np.ndarray,
    stop_link_m: np.ndarray,
    *,
    max_length_m: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (node, stop) pair within ``max_length_m`` on foot.

    One bounded Dijkstra search per stop over the graph as given: pass the
    transpose (:meth:`twin.city.arrays.StreetArrays.reversed`) for the length
    *from* each node *to* the stop on a directed graph. A stop's length
    includes its straight-line link to its node.

    Parameters
    ----------
    indptr, indices, weight
        CSR graph, ``weight`` in metres (finite, >= 0).
    stop_node
        int, shape (n_stops,): node of each stop, -1 for stops off the graph.
    stop_link_m
        float, shape (n_stops,): stop to node distance (ignored where -1).
    max_length_m
        Cutoff: pairs farther apart are left out.

    Returns
    -------
    node, stop
        int32, shape (n_pairs,), sorted by node then stop.
    length_m
        float64, shape (n_pairs,).
    """
    indptr = np.ascontiguousarray(indptr, dtype=np.int32)
    indices = np.ascontiguousarray(indices, dtype=np.int32)
    weight = np.ascontiguousarray(weight, dtype=np.float64)
    stop_node = np.ascontiguousarray(stop_node, dtype=np.int32)
    stop_link_m = np.ascontiguousarray(np.where(stop_node >= 0, stop_link_m, 0.0), dtype=np.float64)
    n_nodes = len(indptr) - 1
    problems = []
    if len(stop_node) != len(stop_link_m):
        problems.append(f"stop_node has {len(stop_node)} entries, stop_link_m {len(stop_link_m)}")
    if len(stop_node) and stop_node.max() >= n_nodes:
        problems.append(f"stop_node must be < n_nodes = {n_nodes}, got {stop_node.max()}")
    if np.any(stop_link_m < 0) or not np.all(np.isfinite(stop_link_m)):
        problems.append("stop_link_m must be finite and >= 0 for linked stops")
    if not max_length_m >= 0:
        problems.append(f"max_length_m must be >= 0, got {max_length_m}")
    if problems:
        raise ValueError("invalid stop links: " + "; ".join(problems))
    node, stop, length = _stop_searches(indptr, indices, weight, stop_node, stop_link_m,
                                        float(max_length_m))
    order = np.lexsort((stop, node))
    return node[order], stop[order], length[order]


def walk_links(node: np.ndarray, stop: np.ndarray, length_m: np.ndarray, stop_node: np.ndarray,
               stop_link_m: np.ndarray, n_nodes: int, *, speed_mps: float) -> WalkLinks:
    """Access and transfer legs in seconds from :func:`stop_walk_lengths`'s pairs.

    A transfer from stop ``s`` to stop ``x`` walks ``s``'s link, the streets
    from ``s``'s node to ``x`` and ``x``'s link; from ``s`` to itself, 0 s.
    """
    if not speed_mps > 0:
        raise ValueError(f"speed_mps must be > 0, got {speed_mps}")
    n_stops = len(stop_node)
    access_indptr = np.searchsorted(node, np.arange(n_nodes + 1)).astype(np.int32)
    # Transfers from s: the pairs whose node is s's node, plus s's own link.
    start = np.where(stop_node >= 0, access_indptr[np.maximum(stop_node, 0)], 0)
    count = np.where(stop_node >= 0, access_indptr[np.maximum(stop_node, 0) + 1] - start, 0)
    transfer_indptr = np.zeros(n_stops + 1, dtype=np.int32)
    np.cumsum(count, out=transfer_indptr[1:])
    pair = np.repeat(start - transfer_indptr[:-1], count) + np.arange(transfer_indptr[-1])
    origin = np.repeat(np.arange(n_stops), count)
    to = stop[pair]
    transfer_m = np.where(to == origin, 0.0, length_m[pair] + stop_link_m[origin])
    return WalkLinks(
        access_indptr=access_indptr,
        access_stop=stop.astype(np.int32),
        access_s=(length_m / speed_mps).astype(np.float64),
        transfer_indptr=transfer_indptr,
        transfer_stop=to.astype(np.int32),
        transfer_s=transfer_m / speed_mps,
    )


def transit_times(
    connections: Connections,
    n_trips: int,
    links: WalkLinks,
    egress_s: np.ndarray,
    walk_only_s: np.ndarray,
    departures_s: np.ndarray,
    *,
    max_walk_s: float,
    transfer_slack_s: float = 60.0,
    origins: np.ndarray | None = None,
) -> np.ndarray:
    """Median walk + transit travel time from every node to a facility, for
    each of k facility sets (services) at once.

    Parameters
    ----------
    connections
        The timetable's hops (:class:`Connections`).
    n_trips
        Number of trips (``connections.trip < n_trips``).
    links
        Walking legs (:func:`walk_links`); legs over ``max_walk_s`` are unused.
    egress_s
        float, shape (k, n_stops): walk from each stop to the nearest facility
        of each set (inf where none); over ``max_walk_s`` is unused.
    walk_only_s
        float, shape (k, n_nodes): walk from each node to the nearest
        facility (inf where none), the journey without transit.
    departures_s
        int, shape (n_departures,): departure times from the origin, e.g.
        every minute of the window.
    max_walk_s
        Longest access, transfer or egress walk.
    transfer_slack_s
        Minimum time between reaching a stop and boarding there after
        alighting (not before the first boarding).
    origins
        Nodes to time (e.g. where residents live); the others' rows are
        :data:`UNREACHABLE`. Default: every node. With few origins and many
        facility sets this is much faster: each origin reads the stops'
        profiles directly instead of a per-second table of every stop.

    Returns
    -------
    float32, shape (n_nodes, k): the median over ``departures_s`` of the
    travel time in seconds, :data:`UNREACHABLE` where the median journey
    reaches no facility.

    Raises
    ------
    ValueError
        Naming every problem with the inputs' shapes, dtypes and order.
    """
    c = Connections(*(np.ascontiguousarray(a, dtype=t) for a, t in zip(
        connections, (np.int32, np.int32, np.int32, np.int32, np.int32, np.bool_, np.bool_))))
    links = WalkLinks(*(np.ascontiguousarray(a, dtype=t) for a, t in zip(
        links, (np.int32, np.int32, np.float64, np.int32, np.int32, np.float64))))
    egress_s = np.ascontiguousarray(np.atleast_2d(egress_s), dtype=np.float64)
    walk_only_s = np.ascontiguousarray(np.atleast_2d(walk_only_s), dtype=np.float64)
    departures_s = np.ascontiguousarray(departures_s, dtype=np.int64)
    n_nodes = len(links.access_indptr) - 1
    n_stops = len(links.transfer_indptr) - 1
    k = len(egress_s)
    problems = []
    n = len(c.from_stop)
    if any(len(a) != n for a in c):
        problems.append("connection arrays differ in length")
    elif n:
        if min(c.from_stop.min(), c.to_stop.min()) < 0 or max(c.from_stop.max(), c.to_stop.max()) >= n_stops:
            problems.append(f"connection stops must lie in [0, {n_stops})")
        if c.trip.min() < 0 or c.trip.max() >= n_trips:
            problems.append(f"connection trips must lie in [0, {n_trips})")
        if np.any(np.diff(c.dep_s) < 0):
            problems.append("connections must be sorted by departure")
        if np.any(c.arr_s < c.dep_s):
            problems.append("a connection arrives before it departs")
    if egress_s.shape != (k, n_stops):
        problems.append(f"egress_s must have shape (k, {n_stops}), got {egress_s.shape}")
    if walk_only_s.shape != (k, n_nodes):
        problems.append(f"walk_only_s must have shape ({k}, {n_nodes}), got {walk_only_s.shape}")
    if departures_s.ndim != 1 or len(departures_s) == 0 or np.any(np.diff(departures_s) < 0):
        problems.append("departures_s must be a non-empty, non-decreasing 1-D array")
    if not (max_walk_s >= 0 and transfer_slack_s >= 0):
        problems.append("max_walk_s and transfer_slack_s must be >= 0")
    if len(links.access_stop) and (links.access_stop.max() >= n_stops):
        problems.append("links.access_stop must be < n_stops")
    every_node = origins is None
    origins = np.arange(n_nodes, dtype=np.int64) if every_node else np.ascontiguousarray(origins, dtype=np.int64)
    if origins.ndim != 1 or (len(origins) and (origins.min() < 0 or origins.max() >= n_nodes)):
        problems.append(f"origins must be a 1-D array of nodes in [0, {n_nodes})")
    if problems:
        raise ValueError("invalid transit inputs: " + "; ".join(problems))

    out = np.empty((n_nodes, k), dtype=np.float32)
    if not every_node:
        out.fill(UNREACHABLE)
    t0 = int(departures_s[0])
    n_seconds = int(departures_s[-1] - t0 + np.ceil(max_walk_s)) + 2
    # Profile slots: one per boardable connection at its stop.
    capacity = np.bincount(c.from_stop[c.board], minlength=n_stops)
    prof_start = np.zeros(n_stops + 1, dtype=np.int64)
    np.cumsum(capacity, out=prof_start[1:])

    def service(j):
        prof_dep = np.empty(prof_start[-1], dtype=np.int32)
        prof_arr = np.empty(prof_start[-1], dtype=np.float64)
        prof_len = np.zeros(n_stops, dtype=np.int64)
        _profile_scan(c.from_stop, c.to_stop, c.dep_s, c.arr_s, c.trip, c.board, c.alight,
                      n_trips, egress_s[j], float(max_walk_s), links.transfer_indptr,
                      links.transfer_stop, links.transfer_s, float(transfer_slack_s),
                      prof_start, prof_dep, prof_arr, prof_len)
        least_s = np.empty(n_stops)
        if every_node:
            table = np.empty((n_stops, n_seconds), dtype=np.float32)
            _tabulate(prof_start, prof_dep, prof_arr, prof_len, t0, table, least_s)
        else:
            table = np.empty((0, n_seconds), dtype=np.float32)  # read the profiles instead
            _least_ride(prof_start, prof_dep, prof_arr, prof_len, least_s)
        _evaluate(links.access_indptr, links.access_stop, links.access_s, float(max_walk_s),
                  walk_only_s[j], table, least_s, departures_s, origins,
                  prof_start, prof_dep, prof_arr, prof_len, n_seconds, out[:, j])

    each(service, k, parallel=n_nodes * k >= 10_000)
    return out


@kernel
def _stop_searches(indptr, indices, weight, stop_node, stop_link_m, max_length):
    """Bounded Dijkstra (binary heap) from each linked stop; (node, stop, length) triples."""
    n_nodes = len(indptr) - 1
    dist = np.full(n_nodes, np.inf)
    touched = np.empty(n_nodes, dtype=np.int32)
    heap_key = np.empty(len(indices) + 1, dtype=np.float64)
    heap_node = np.empty(len(indices) + 1, dtype=np.int32)
    cap = 1024
    out_node = np.empty(cap, dtype=np.int32)
    out_stop = np.empty(cap, dtype=np.int32)
    out_len = np.empty(cap, dtype=np.float64)
    n_out = 0
    for s in range(len(stop_node)):
        src = stop_node[s]
        if src < 0 or stop_link_m[s] > max_length:
            continue
        n_touched = 0
        size = 0
        dist[src] = stop_link_m[s]
        touched[n_touched] = src
        n_touched += 1
        size = _push(heap_key, heap_node, size, stop_link_m[s], src)
        while size > 0:
            d = heap_key[0]
            u = heap_node[0]
            size = _pop(heap_key, heap_node, size)
            if d > dist[u]:
                continue
            if n_out == cap:
                cap *= 2
                out_node = _grown(out_node, cap)
                out_stop = _grown(out_stop, cap)
                out_len = _grown(out_len, cap)
            out_node[n_out] = u
            out_stop[n_out] = s
            out_len[n_out] = d
            n_out += 1
            for e in range(indptr[u], indptr[u + 1]):
                v = indices[e]
                dv = d + weight[e]
                if dv < dist[v] and dv <= max_length:
                    if dist[v] == np.inf:
                        touched[n_touched] = v
                        n_touched += 1
                    dist[v] = dv
                    size = _push(heap_key, heap_node, size, dv, v)
        for i in range(n_touched):
            dist[touched[i]] = np.inf
    return out_node[:n_out].copy(), out_stop[:n_out].copy(), out_len[:n_out].copy()


@kernel
def _grown(a, cap):
    b = np.empty(cap, dtype=a.dtype)
    b[: len(a)] = a
    return b


@kernel
def _push(key, node, size, k, v):
    i = size
    while i > 0:
        parent = (i - 1) >> 1
        if key[parent] <= k:
            break
        key[i] = key[parent]
        node[i] = node[parent]
        i = parent
    key[i] = k
    node[i] = v
    return size + 1


@kernel
def _pop(key, node, size):
    size -= 1
    k = key[size]
    v = node[size]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and key[child + 1] < key[child]:
            child += 1
        if key[child] >= k:
            break
        key[i] = key[child]
        node[i] = node[child]
        i = child
    key[i] = k
    node[i] = v
    return size


@kernel
def _profile_at(prof_start, prof_dep, prof_arr, prof_len, stop, t):
    """Earliest facility arrival boarding at ``stop`` at or after ``t``: the
    last appended entry departing at or after ``t`` (departures decrease and
    arrivals strictly decrease as entries are appended)."""
    lo = prof_start[stop]
    hi = lo + prof_len[stop]  # search [lo, hi) for the last entry with dep >= t
    if hi == lo or prof_dep[lo] < t:
        return np.inf
    while hi - lo > 1:
        mid = (lo + hi) >> 1
        if prof_dep[mid] >= t:
            lo = mid
        else:
            hi = mid
    return prof_arr[lo]


@kernel
def _profile_scan(c_from, c_to, c_dep, c_arr, c_trip, c_board, c_alight, n_trips, egress_s,
                  max_walk_s, tr_indptr, tr_stop, tr_s, slack_s, prof_start, prof_dep,
                  prof_arr, prof_len):
    trip_best = np.full(n_trips, np.inf)
    for i in range(len(c_from) - 1, -1, -1):
        best = trip_best[c_trip[i]]  # stay seated
        if c_alight[i]:
            w = c_to[i]
            if egress_s[w] <= max_walk_s:
                best = min(best, c_arr[i] + egress_s[w])
            for e in range(tr_indptr[w], tr_indptr[w + 1]):
                if tr_s[e] <= max_walk_s:
                    t = c_arr[i] + tr_s[e] + slack_s
                    best = min(best, _profile_at(prof_start, prof_dep, prof_arr, prof_len,
                                                 tr_stop[e], t))
        trip_best[c_trip[i]] = best
        if c_board[i] and best < np.inf:
            u = c_from[i]
            n = prof_len[u]
            if n == 0 or best < prof_arr[prof_start[u] + n - 1]:
                if n > 0 and prof_dep[prof_start[u] + n - 1] == c_dep[i]:
                    n -= 1  # same departure, better arrival: replace
                prof_dep[prof_start[u] + n] = c_dep[i]
                prof_arr[prof_start[u] + n] = best
                prof_len[u] = n + 1


@kernel
def _tabulate(prof_start, prof_dep, prof_arr, prof_len, t0, table, least_s):
    """table[s, g] = A_s(t0 + g) - t0 (float32 keeps sub-millisecond
    precision), and least_s[s] = min over g of A_s(t0 + g) - (t0 + g)."""
    n_seconds = table.shape[1]
    for s in range(table.shape[0]):
        lo = prof_start[s]
        i = lo + prof_len[s] - 1  # latest-appended entry: earliest departure
        least = np.inf
        for g in range(n_seconds):
            t = t0 + g
            while i >= lo and prof_dep[i] < t:
                i -= 1
            a = prof_arr[i] - t0 if i >= lo else np.inf
            table[s, g] = a
            least = min(least, a - g)
        least_s[s] = least


@kernel
def _least_ride(prof_start, prof_dep, prof_arr, prof_len, least_s):
    """least_s[s] = min over the profile of (arrival - departure): a lower
    bound on A_s(t) - t for every t (A_s(t) is an entry departing at or
    after t), inf for a stop with no journey."""
    for s in range(len(least_s)):
        least = np.inf
        for i in range(prof_start[s], prof_start[s] + prof_len[s]):
            least = min(least, prof_arr[i] - prof_dep[i])
        least_s[s] = least


@kernel
def _evaluate(acc_indptr, acc_stop, acc_s, max_walk_s, walk_only_s, table, least_s, departures, origins,
              prof_start, prof_dep, prof_arr, prof_len, n_seconds, out):
    """Per origin and departure, the best of its stops. Stops are tried in
    order of a lower bound on the journey through them (walk + least travel
    time from the stop), so the search stops at the first whose bound cannot
    beat the best found (walking alone included). A stop's arrival is read
    from ``table`` (:func:`_tabulate`), or from its profile where the table
    is empty, rounded as the table is (float32, relative to the first
    departure)."""
    n_dep = len(departures)
    t0 = departures[0]
    tabulated = table.shape[0] > 0
    times = np.empty(n_dep)
    for v in origins:
        lo = acc_indptr[v]
        n_acc = acc_indptr[v + 1] - lo
        bound = np.empty(n_acc)
        for e in range(n_acc):
            w = acc_s[lo + e]
            bound[e] = w + least_s[acc_stop[lo + e]] if w <= max_walk_s else np.inf
        order = np.argsort(bound)
        for k in range(n_dep):
            offset = departures[k] - t0
            best = walk_only_s[v] + offset  # relative to t0, as the table
            for j in range(n_acc):
                if offset + bound[order[j]] >= best:
                    break
                e = lo + order[j]
                g = offset + np.int64(np.ceil(acc_s[e]))  # departures are whole seconds
                if g < n_seconds:
                    if tabulated:
                        a = table[acc_stop[e], g]
                    else:
                        a = np.float32(_profile_at(prof_start, prof_dep, prof_arr, prof_len, acc_stop[e], t0 + g)
                                       - t0)
                    if a < best:
                        best = a
            times[k] = best - offset
        times.sort()
        mid = n_dep // 2
        out[v] = times[mid] if n_dep % 2 else 0.5 * (times[mid - 1] + times[mid])
