"""Plain-Python reference implementations of the numba kernels in twin.core.

Slow and obvious on purpose: tests assert kernel == reference.
"""

from __future__ import annotations

import heapq
import math

import numpy as np

from twin.core.dispatch import DROPOFF, PICKUP, Fleet, Requests, ZoneTimes


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


def naive_dispatch(requests: Requests, fleet: Fleet, zones: ZoneTimes):
    """The insertion rules of :mod:`twin.core.dispatch` in plain Python:
    every (pickup, drop-off) position is evaluated on its own, schedules are
    rebuilt and re-timed from scratch, nothing is pruned.

    Returns (request vehicle, leg ready, leg pickup, leg drop-off) as lists.
    """
    f = fleet

    def travel(a, b):
        if a == b:
            return 0.0
        za, zb = int(zones.zone[a]), int(zones.zone[b])
        if za < 0 or zb < 0:
            return math.inf
        return float(zones.to_centre_s[a]) + float(zones.between_s[za, zb]) + float(zones.from_centre_s[b])

    def retimed(stops):
        """Service times and loads of a stop list, from the depot at the start."""
        node, dep, load = f.depot, f.start_s, 0
        for stop in stops:
            stop["time"] = max(max(dep, stop["release"]) + travel(node, stop["node"]), stop["early"])
            load += 1 if stop["kind"] == PICKUP else -1
            stop["load"] = load
            node, dep = stop["node"], stop["time"] + f.dwell_s
        return stops

    def latest(stops):
        """Latest feasible service time of each stop (later stops and the
        return to the depot keep their deadlines)."""
        out = [0.0] * len(stops)
        for k in range(len(stops) - 1, -1, -1):
            if k == len(stops) - 1:
                bound = f.end_s - f.dwell_s - travel(stops[k]["node"], f.depot)
            else:
                bound = out[k + 1] - f.dwell_s - travel(stops[k]["node"], stops[k + 1]["node"])
            out[k] = min(stops[k]["late"], bound)
        return out

    def candidate(stops, lat, i, j, p, d, early, late, release):
        """Cost of pickup before stop i and drop-off before stop j, or None."""
        n = len(stops)
        prev = f.depot if i == 0 else stops[i - 1]["node"]
        dep = f.start_s if i == 0 else stops[i - 1]["time"] + f.dwell_s
        arr_p = max(dep, release) + travel(prev, p)
        if arr_p > late or (stops[i - 1]["load"] if i else 0) + 1 > f.capacity:
            return None
        srv_p = max(arr_p, early)
        t_dep, last = srv_p + f.dwell_s, p
        for k in range(i, j):
            s = stops[k]
            srv = max(max(t_dep, s["release"]) + travel(last, s["node"]), s["early"])
            if srv > lat[k] or s["load"] + 1 > f.capacity:
                return None
            t_dep, last = srv + f.dwell_s, s["node"]
        srv_d = t_dep + travel(last, d)
        if srv_d > srv_p + f.max_ride_s:
            return None
        dep_d = srv_d + f.dwell_s
        if j < n:
            s = stops[j]
            if max(max(dep_d, s["release"]) + travel(d, s["node"]), s["early"]) > lat[j]:
                return None
        elif dep_d + travel(d, f.depot) > f.end_s:
            return None
        to_p = travel(prev, p)
        if j == i:
            cost = to_p + travel(p, d)
            if i < n:
                cost = cost + travel(d, stops[i]["node"]) - travel(prev, stops[i]["node"])
            return cost
        cost = to_p + travel(p, stops[i]["node"]) - travel(prev, stops[i]["node"])
        cost = cost + travel(stops[j - 1]["node"], d)
        if j < n:
            cost = cost + travel(d, stops[j]["node"]) - travel(stops[j - 1]["node"], stops[j]["node"])
        return cost

    def insert(stops, leg, min_pos, early, late, release, hold):
        """Best insertion of one leg into a copy of ``stops``: (stops, drop-off position) or None."""
        p, d = int(requests.pickup_node[leg]), int(requests.dropoff_node[leg])
        lat = latest(stops)
        started = sum(stop["time"] < release for stop in stops)
        best = None
        for i in range(max(min_pos, started), len(stops) + 1):
            for j in range(i, len(stops) + 1):
                cost = candidate(stops, lat, i, j, p, d, early, late, release)
                if cost is not None and (best is None or cost < best[0]):
                    best = (cost, i, j)
        if best is None:
            return None
        _, i, j = best
        pickup = dict(node=p, leg=leg, kind=PICKUP, early=early, late=late, release=release)
        drop = dict(node=d, leg=leg, kind=DROPOFF, early=-math.inf, late=math.inf, release=-math.inf)
        new = retimed([dict(s) for s in stops[:i]] + [pickup] + [dict(s) for s in stops[i:j]]
                      + [drop] + [dict(s) for s in stops[j:]])
        drop["late"] = drop["time"] if hold else pickup["time"] + f.max_ride_s
        return new, j + 1

    n_requests = requests.n_requests
    ready = [float(r) for r in requests.ready_s]
    vehicle = [-1] * n_requests
    schedules = [[] for _ in range(f.n_vehicles)]
    first_ready = [ready[requests.first_leg[q]] for q in range(n_requests)]
    order = sorted(range(n_requests), key=lambda q: (requests.release_s[q], first_ready[q], q))
    for q in order:
        first, m = int(requests.first_leg[q]), int(requests.n_legs[q])
        release = float(requests.release_s[q])
        for v in range(f.n_vehicles):
            stops, tried, min_pos = schedules[v], {}, 0
            for leg in range(first, first + m):
                if leg == first:
                    early = ready[first]
                    late = early + f.pickup_window_s
                else:
                    early = stops[min_pos - 1]["time"] + f.dwell_s + f.activity_s
                    late = early + f.chained_window_s
                placed = insert(stops, leg, min_pos, early, late, release, leg < first + m - 1)
                if placed is None:
                    break
                stops, drop = placed
                tried[leg] = early
                min_pos = drop + 1
            else:
                schedules[v], vehicle[q] = stops, v
                for leg, early in tried.items():
                    ready[leg] = early
                break
    n_legs = len(requests.pickup_node)
    pickup_s, dropoff_s = [math.nan] * n_legs, [math.nan] * n_legs
    for stops in schedules:
        for s in stops:
            (pickup_s if s["kind"] == PICKUP else dropoff_s)[s["leg"]] = s["time"]
    for q in range(n_requests):
        if vehicle[q] < 0:
            for leg in range(requests.first_leg[q] + 1, requests.first_leg[q] + requests.n_legs[q]):
                ready[leg] = math.nan
    return vehicle, ready, pickup_s, dropoff_s


def naive_transit_time(indptr, indices, length_m, *, speed_mps, stop_node, stop_link_m,
                       connections, facility_nodes, origin, departures_s, max_walk_s,
                       transfer_slack_s, lengths=None):
    """Median walk + transit time from ``origin`` to the nearest facility by a
    forward connection scan per departure time; reference for
    :func:`twin.core.transit.transit_times` (same journey model, see there).

    ``connections``: tuples (from, to, dep_s, arr_s, trip, board, alight)
    sorted by departure. Walks use a plain Dijkstra, unbounded (or
    ``lengths(node)``, the lengths from a node to all nodes), then the
    ``max_walk_s`` limit is applied to each leg. Returns seconds (inf if none).
    """
    import statistics

    if lengths is None:
        def lengths(source):
            return naive_nearest_facility(indptr, indices, length_m, [source])[0]

    from_origin = lengths(origin)
    walk_only = min((from_origin[f] for f in facility_nodes), default=math.inf) / speed_mps
    n_stops = len(stop_node)
    linked = [s for s in range(n_stops) if stop_node[s] >= 0]
    from_stop = {s: lengths(int(stop_node[s])) for s in linked}
    egress = [math.inf] * n_stops
    transfer = {}
    for s in linked:
        egress[s] = (stop_link_m[s] + min((from_stop[s][f] for f in facility_nodes),
                                          default=math.inf)) / speed_mps
        walks = [(x, 0.0 if x == s else
                  (stop_link_m[s] + from_stop[s][stop_node[x]] + stop_link_m[x]) / speed_mps)
                 for x in linked]
        transfer[s] = [(x, walk) for x, walk in walks if walk <= max_walk_s]
    times = []
    for tau in departures_s:
        ready = [math.inf] * n_stops
        for s in linked:
            walk = (from_origin[stop_node[s]] + stop_link_m[s]) / speed_mps
            if walk <= max_walk_s:
                ready[s] = tau + walk
        riding = set()
        best = math.inf
        for frm, to, dep, arr, trip, board, alight in connections:
            if trip not in riding and not (board and ready[frm] <= dep):
                continue
            riding.add(trip)
            if not alight or to not in transfer:
                continue
            if egress[to] <= max_walk_s:
                best = min(best, arr + egress[to])
            for x, walk in transfer[to]:
                if walk <= max_walk_s:
                    ready[x] = min(ready[x], arr + walk + transfer_slack_s)
        times.append(min(best - tau, walk_only))
    return statistics.median(times)


def naive_weekly_columns(travel_time_s, trips_made, unmet_trips, per_week):
    """numpy reference for :func:`twin.core.tally.weekly_columns`."""
    purposes = travel_time_s.shape[1]
    return np.stack(
        [travel_time_s[:, p] / 60.0 * per_week for p in range(purposes)]
        + [trips_made[:, p] * per_week for p in range(purposes)]
        + [unmet_trips[:, p] * per_week for p in range(purposes)]
        + [travel_time_s.sum(axis=1) / 60.0 * per_week, trips_made.sum(axis=1) * per_week,
           unmet_trips.sum(axis=1) * per_week])


def naive_minutes_saved(time_before, made_before, unmet_before, time_after, made_after, unmet_after):
    """numpy reference for :func:`twin.core.tally.minutes_saved`, on
    (n, purposes) arrays: the rule of :func:`twin.outcomes.benefits.minutes_saved`."""
    def kept(made, left_out):
        return np.where(made > 0, (made - left_out) / made, 1.0)

    with np.errstate(invalid="ignore", divide="ignore"):
        enabled = np.maximum(0.0, np.minimum(made_after - made_before, unmet_before - unmet_after))
        disabled = np.maximum(0.0, np.minimum(made_before - made_after, unmet_after - unmet_before))
        return (time_before * kept(made_before, disabled) - time_after * kept(made_after, enabled)).sum(axis=1)


def naive_cell_sums(codes, n_groups, replication, n_replications, values):
    """np.bincount reference for :func:`twin.core.tally.cell_sums`."""
    cell = replication * n_groups + codes
    shape = (n_replications, n_groups)

    def per_cell(columns):
        return np.stack([np.bincount(cell, weights=c, minlength=shape[0] * shape[1]).reshape(shape)
                         for c in columns.T], axis=-1)

    counts = np.bincount(cell, minlength=shape[0] * shape[1]).reshape(shape)
    return counts, np.stack([per_cell(values), per_cell(np.maximum(values, 0.0)),
                             per_cell(np.maximum(-values, 0.0)), per_cell((values > 0).astype(np.float64))])


def naive_water_levels(water_supply, water_one_way_s, queue_time_s, *, piped, basic_round_trip_s):
    """numpy reference for :func:`twin.core.tally.water_levels` (the ledger's
    JMP water service levels as they were computed)."""
    round_trip_s = 2.0 * water_one_way_s + queue_time_s
    level = np.where(round_trip_s <= basic_round_trip_s, 1, 2)
    level = np.where(np.isfinite(water_one_way_s), level, 3)
    return np.where(water_supply == piped, 0, level).astype(np.int8)
