"""Paratransit dispatch: requests -> vehicle schedules, by an insertion heuristic.

Each vehicle has a schedule: a list of stops (drive node, planned service
time, pickup or drop-off, the leg served, load after the stop). It leaves the
depot at the start of service and must be back by the end.

Requests and legs
-----------------
A request is one booking: one leg (a pickup and its drop-off) or, for a
multi-stop journey, a chain of legs carried by one vehicle. The first leg's
pickup window is ``[ready, ready + pickup_window_s]``; each later leg of a
chain is ready ``activity_s`` after the previous drop-off (plus the dwell) and
has the window ``[ready, ready + chained_window_s]``. A leg's drop-off is due
within ``max_ride_s`` of its planned pickup; the drop-off before a chained
leg is held at its planned time, so later insertions never cut the activity
short. Deadlines are fixed when a leg is inserted and insertions only delay
stops, so every accepted leg stays within its window and ride time.

Insertion rules (the plain-Python reference in ``tests/core/test_dispatch.py``
follows the same rules)
----------------------------------------------------------------------------
1. Requests are processed in a fixed order: by release (booking) time, then
   by the first leg's ready time, then by request index.
2. Each request is offered to vehicles ``0, 1, 2, ...`` in index order and
   taken by the FIRST vehicle whose schedule can take all its legs.
3. Within a vehicle a leg goes where the added driving time is least (ties:
   the earliest pickup position, then the earliest drop-off position) among
   feasible positions. A position is feasible when the pickup comes after
   every stop planned before the booking's release (those are under way; a
   day-before booking has release -inf), the vehicle leaves for it no
   earlier than the release and arrives within its window, the drop-off is
   within the ride time, the load never exceeds the capacity, and neither
   the stops between pickup and drop-off nor the first stop after the
   drop-off start later than their latest feasible time (the latest at which
   every later stop, and the return to the depot, still keep their
   deadlines). Chained legs are placed one after another, each after the
   previous drop-off; if one fails, the chain goes to the next vehicle.

A bigger fleet never refuses more requests
------------------------------------------
By construction: the requests and their order do not depend on the fleet,
and vehicle ``v`` sees only the requests that vehicles ``0..v-1`` did not
take. So with ``F + 1`` vehicles, vehicles ``0..F-1`` receive exactly the
same offers in the same states and accept exactly what they accepted with
``F``; vehicle ``F`` is offered only the requests all of them refused. Every
request refused with ``F + 1`` vehicles was refused with ``F``.

Travel times
------------
A zone matrix (:func:`zone_times`): drive nodes are grouped into zones (at
most :data:`MAX_ZONES`; every node its own zone on smaller graphs, where
times are exact); the time from ``a`` to ``b`` is the exact time from ``a``
to its zone's centre node, plus centre to centre, plus the exact time from
``b``'s centre to ``b``. That is a real path, so it is never below the exact
time and obeys the triangle inequality; it over-estimates by the detour
through the two centres (up to a zone's diameter at each end).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from twin.core._checks import Problems, length
from twin.core.jit import kernel, kernel_helper
from twin.core.routing import nearest_facility, nearest_facility_many

MAX_ZONES = 2048
"""Zones of the travel-time matrix. On the Porto drive graph (51k nodes, 25
a zone) preparation takes about 6 s on 2 cores, the matrix is 34 MB, and the
detour through the centres adds about 8% to a mean trip of 21 min (512
zones: 1 s, 17%)."""

_CENTRE_BATCH = 64
"""Centres searched at once when building the matrix (memory: batch x nodes)."""

PICKUP = 0
DROPOFF = 1

# Columns of a schedule's float and int stop tables.
_TIME, _EARLY, _LATE, _LATEST, _RELEASE = range(5)
_NODE, _LEG, _KIND, _LOAD = range(4)
_N_FLOAT, _N_INT = 5, 4
_INITIAL_STOPS = 16


class ZoneTimes(NamedTuple):
    """Approximate drive times between any two drive nodes (a kernel bundle:
    the kernels take it whole).

    Attributes
    ----------
    zone
        int32, shape (n_nodes,): each node's zone, -1 if it reaches no centre.
    centre
        int32, shape (n_zones,): each zone's centre node.
    to_centre_s, from_centre_s
        float64, shape (n_nodes,): exact time from a node to its zone's
        centre, and from the centre to the node (inf where none).
    between_s
        float64, shape (n_zones, n_zones): exact centre-to-centre times.
    """

    zone: np.ndarray
    centre: np.ndarray
    to_centre_s: np.ndarray
    from_centre_s: np.ndarray
    between_s: np.ndarray

    def time_s(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Travel time from nodes ``a`` to nodes ``b`` (float64, broadcast)."""
        a, b = np.broadcast_arrays(np.asarray(a), np.asarray(b))
        za, zb = self.zone[a], self.zone[b]
        t = self.to_centre_s[a] + self.between_s[za, zb] + self.from_centre_s[b]
        t = np.where((za < 0) | (zb < 0), np.inf, t)
        return np.where(a == b, 0.0, t)


def zone_times(
    forward: tuple[np.ndarray, np.ndarray, np.ndarray],
    reverse: tuple[np.ndarray, np.ndarray, np.ndarray],
    x_m: np.ndarray,
    y_m: np.ndarray,
    *,
    n_zones: int = MAX_ZONES,
) -> ZoneTimes:
    """Build the zone travel-time matrix of a drive graph.

    Zones are runs of equal length in node order, which is along a Hilbert
    curve (``twin.city.compile``), so each run is a compact patch of the city
    with about the same number of nodes (small where streets are dense).
    Each zone's centre is its node nearest the run's mean position. Nodes
    then belong to the centre they reach soonest (a network Voronoi cell).

    Parameters
    ----------
    forward, reverse
        ``(indptr, indices, weight)`` of the drive graph (weight
        ``travel_time_s``) and of its transpose.
    x_m, y_m
        Projected node coordinates.
    n_zones
        Upper bound on the zones; a graph with fewer nodes gets one per node
        (exact times).
    """
    n = len(x_m)
    k = max(min(n_zones, n), 1) if n else 0
    bounds = np.arange(k + 1) * n // max(k, 1)
    centre = np.empty(k, dtype=np.int32)
    for z in range(k):
        lo, hi = bounds[z], bounds[z + 1]
        dx = x_m[lo:hi] - x_m[lo:hi].mean()
        dy = y_m[lo:hi] - y_m[lo:hi].mean()
        centre[z] = lo + np.argmin(dx * dx + dy * dy)
    to_centre_s, zone = nearest_facility(*reverse, centre)
    between_s = np.empty((k, k), dtype=np.float64)
    from_centre_s = np.full(n, np.inf)
    for z0 in range(0, k, _CENTRE_BATCH):
        z1 = min(z0 + _CENTRE_BATCH, k)
        cost, _ = nearest_facility_many(*forward, [centre[z : z + 1] for z in range(z0, z1)])
        between_s[z0:z1] = cost[:, centre]
        mine = np.flatnonzero((zone >= z0) & (zone < z1))
        from_centre_s[mine] = cost[zone[mine] - z0, mine]
    return ZoneTimes(zone=zone, centre=centre, to_centre_s=to_centre_s,
                     from_centre_s=from_centre_s, between_s=between_s)


class Fleet(NamedTuple):
    """The vehicles and the service's rules (a kernel bundle).

    Attributes
    ----------
    n_vehicles, capacity
        Vehicles, and passengers each may carry at once.
    depot
        Drive node where every vehicle starts and ends its day.
    start_s, end_s
        Service hours, seconds from midnight.
    pickup_window_s, chained_window_s
        Pickup window of a booking's first leg, and of a chain's later legs.
    dwell_s
        Time at every stop.
    max_ride_s
        Longest ride of a leg.
    activity_s
        Time at a destination before a chained journey goes on.
    """

    n_vehicles: int
    capacity: int
    depot: int
    start_s: float
    end_s: float
    pickup_window_s: float
    chained_window_s: float
    dwell_s: float
    max_ride_s: float
    activity_s: float


class Requests(NamedTuple):
    """One day's bookings (a kernel bundle). Legs of a request are contiguous.

    Attributes
    ----------
    first_leg, n_legs
        int32, shape (n_requests,): the request's legs.
    release_s
        float64, shape (n_requests,): when the booking is known to the
        dispatcher (-inf: the day before).
    pickup_node, dropoff_node
        int32, shape (n_legs,): drive nodes.
    ready_s
        float64, shape (n_legs,): requested pickup time of each request's
        first leg (later legs of a chain: ignored, set by dispatch).
    """

    first_leg: np.ndarray
    n_legs: np.ndarray
    release_s: np.ndarray
    pickup_node: np.ndarray
    dropoff_node: np.ndarray
    ready_s: np.ndarray

    @property
    def n_requests(self) -> int:
        return len(self.first_leg)

    def order(self) -> np.ndarray:
        """Processing order: release, then first ready time, then index."""
        ready = self.ready_s[self.first_leg] if self.n_requests else np.empty(0)
        return np.lexsort((np.arange(self.n_requests), ready, self.release_s))


@dataclass(frozen=True)
class Dispatched:
    """What dispatch decided.

    Attributes
    ----------
    request_vehicle
        int32, shape (n_requests,): the vehicle serving each request, -1 if refused.
    leg_ready_s, leg_pickup_s, leg_dropoff_s
        float64, shape (n_legs,): ready time (the start of the pickup
        window), planned pickup and drop-off; NaN for refused requests (their
        first leg keeps its ready time).
    stop_indptr
        int64, shape (n_vehicles + 1,): stops of vehicle ``v`` are
        ``stop_indptr[v]:stop_indptr[v + 1]``, in time order.
    stop_node, stop_leg, stop_load
        int32 per stop: drive node, leg served, passengers on board after it.
    stop_kind
        int8 per stop: :data:`PICKUP` or :data:`DROPOFF`.
    stop_time_s
        float64 per stop: planned service start.
    """

    request_vehicle: np.ndarray
    leg_ready_s: np.ndarray
    leg_pickup_s: np.ndarray
    leg_dropoff_s: np.ndarray
    stop_indptr: np.ndarray
    stop_node: np.ndarray
    stop_leg: np.ndarray
    stop_load: np.ndarray
    stop_kind: np.ndarray
    stop_time_s: np.ndarray

    @property
    def refused(self) -> np.ndarray:
        """bool per request."""
        return self.request_vehicle < 0


def dispatch(requests: Requests, fleet: Fleet, zones: ZoneTimes) -> Dispatched:
    """Assign a day's requests to the fleet (see the module docstring).

    Parameters
    ----------
    requests
        The day's bookings (drive nodes of ``zones``' graph).
    fleet
        Vehicles and service rules.
    zones
        Travel times of the drive graph.

    Raises
    ------
    ValueError
        Naming every problem with the inputs' dtypes, shapes, node indices,
        legs or fleet rules.
    """
    r, fleet = requests, _checked_dispatch(requests, fleet, zones)
    # the kernel's outputs, allocated here (each numpy allocation in a kernel compiles code of its own)
    request_vehicle = np.full(r.n_requests, -1, dtype=np.int32)
    ready = r.ready_s.copy()
    n_stops = np.zeros(fleet.n_vehicles, dtype=np.int64)
    fl, it = _schedules(r, fleet, zones, request_vehicle, ready, n_stops)
    ready[_later_legs(r.first_leg, r.n_legs, request_vehicle < 0)] = np.nan  # a refused chain's later legs
    # The stop tables, vehicle by vehicle in time order (in numpy: compiling
    # this in the kernel added to its compile time).
    n_vehicles = len(n_stops)
    stop_indptr = np.zeros(n_vehicles + 1, dtype=np.int64)
    np.cumsum(n_stops, out=stop_indptr[1:])
    kept = np.arange(fl.shape[1])[None, :] < n_stops[:, None]
    stop_it = it[kept]
    stop_time_s = fl[kept][:, _TIME].copy()
    stop_node = stop_it[:, _NODE].copy()
    stop_leg = stop_it[:, _LEG].copy()
    stop_load = stop_it[:, _LOAD].copy()
    stop_kind = stop_it[:, _KIND].astype(np.int8)
    n_legs = len(r.pickup_node)
    pickup_s = np.full(n_legs, np.nan)
    dropoff_s = np.full(n_legs, np.nan)
    is_pickup = stop_kind == PICKUP
    pickup_s[stop_leg[is_pickup]] = stop_time_s[is_pickup]
    dropoff_s[stop_leg[~is_pickup]] = stop_time_s[~is_pickup]
    return Dispatched(request_vehicle, ready, pickup_s, dropoff_s, stop_indptr, stop_node,
                      stop_leg, stop_load, stop_kind, stop_time_s)


def _later_legs(first_leg: np.ndarray, n_legs: np.ndarray, of: np.ndarray) -> np.ndarray:
    """Indices of the legs after the first of the requests ``of`` selects
    (bool per request), request by request: a day may refuse tens of
    thousands of chains, too many for a Python loop."""
    later = n_legs[of].astype(np.int64) - 1
    start = first_leg[of].astype(np.int64) + 1
    return np.repeat(start - np.cumsum(later) + later, later) + np.arange(later.sum())


def _checked_zones(zones: ZoneTimes, problems: Problems) -> int:
    """Check ``zones``; its number of nodes."""
    n = length(zones.zone)
    k = length(zones.centre)
    if problems.array("zones.zone", zones.zone, np.int32, (n,)):
        problems.indices("zones.zone", zones.zone, k, missing=-1)
    if problems.array("zones.centre", zones.centre, np.int32, (k,)):
        problems.indices("zones.centre", zones.centre, n)
    problems.array("zones.to_centre_s", zones.to_centre_s, np.float64, (n,))
    problems.array("zones.from_centre_s", zones.from_centre_s, np.float64, (n,))
    problems.array("zones.between_s", zones.between_s, np.float64, (k, k))
    return n


def _checked_dispatch(requests: Requests, fleet: Fleet, zones: ZoneTimes) -> Fleet:
    """Check the inputs of :func:`dispatch` (one ValueError naming every
    problem); the fleet with the scalar types the kernel is compiled for."""
    problems = Problems("dispatch")
    n_nodes = _checked_zones(zones, problems)
    r = requests
    n_req = length(r.first_leg)
    n_legs = length(r.pickup_node)
    legs_ok = problems.array("requests.first_leg", r.first_leg, np.int32, (n_req,))
    legs_ok &= problems.array("requests.n_legs", r.n_legs, np.int32, (n_req,))
    problems.array("requests.release_s", r.release_s, np.float64, (n_req,))
    for name in ("pickup_node", "dropoff_node"):
        if problems.array(f"requests.{name}", getattr(r, name), np.int32, (n_legs,)):
            problems.indices(f"requests.{name}", getattr(r, name), n_nodes)
    problems.array("requests.ready_s", r.ready_s, np.float64, (n_legs,))
    if legs_ok and n_req:
        end = r.first_leg.astype(np.int64) + r.n_legs
        if r.n_legs.min() < 1 or r.first_leg.min() < 0 or end.max() > n_legs:
            problems.add(f"every request needs legs first_leg .. first_leg + n_legs - 1 "
                         f"(n_legs >= 1) within the {n_legs} legs")
    f = fleet
    problems.scalar("fleet.n_vehicles", f.n_vehicles, int(f.n_vehicles) >= 0, ">= 0")
    problems.scalar("fleet.capacity", f.capacity, int(f.capacity) >= 1, ">= 1")
    problems.scalar("fleet.depot", f.depot, 0 <= int(f.depot) < n_nodes,
                    f"a drive node (0 .. {n_nodes - 1})")
    problems.scalar("fleet.end_s", f.end_s, float(f.start_s) <= float(f.end_s),
                    f"at or after start_s ({f.start_s})")
    for name in ("pickup_window_s", "chained_window_s", "dwell_s", "max_ride_s", "activity_s"):
        value = float(getattr(f, name))
        problems.scalar(f"fleet.{name}", value, value >= 0, ">= 0")
    problems.raise_any()
    # depot as int32, like every node in the kernels: one signature per helper.
    return Fleet(int(f.n_vehicles), int(f.capacity), np.int32(f.depot),
                 *(float(getattr(f, name)) for name in Fleet._fields[3:]))


@kernel_helper
def zone_travel_s(a, b, zones):
    """Zone-matrix drive time from node ``a`` to node ``b`` (0 if the same)."""
    if a == b:
        return 0.0
    za = zones.zone[a]
    zb = zones.zone[b]
    if za < 0 or zb < 0:
        return np.inf
    return zones.to_centre_s[a] + zones.between_s[za, zb] + zones.from_centre_s[b]


@kernel_helper
def _first_at_least(fl, column, lo, hi, value):
    """First stop in ``[lo, hi)`` whose non-decreasing ``column`` is >= value (else hi)."""
    while lo < hi:
        mid = (lo + hi) // 2
        if fl[mid, column] >= value:
            hi = mid
        else:
            lo = mid + 1
    return lo


@kernel_helper
def _best_insertion(fl, it, n_stops, p, d, early_p, late_p, min_pos, release, fleet, zones):
    """Cheapest feasible (pickup position, drop-off position) for one leg.

    Positions index the current stops: the pickup goes before stop ``i``
    and the drop-off before stop ``j`` (``i <= j <= n_stops``). Returns
    ``(i, j)``, or ``(-1, -1)`` if no position is feasible.
    """
    capacity, depot, start_s, end_s = fleet.capacity, fleet.depot, fleet.start_s, fleet.end_s
    dwell_s, max_ride_s = fleet.dwell_s, fleet.max_ride_s
    lo = max(min_pos, _first_at_least(fl, np.int64(_TIME), np.int64(0), n_stops, release))
    # Before stop i the pickup delays it to >= early_p + dwell: positions
    # whose latest feasible time is earlier cannot work (latest is non-decreasing).
    lo = _first_at_least(fl, np.int64(_LATEST), lo, n_stops, early_p + dwell_s)
    best_cost = np.inf
    best_i = -1
    best_j = -1
    for i in range(lo, n_stops + 1):
        if i == 0:
            prev = depot
            dep_prev = start_s
            load_before = 0
        else:
            prev = it[i - 1, _NODE]
            dep_prev = fl[i - 1, _TIME] + dwell_s
            load_before = it[i - 1, _LOAD]
        dep_prev = max(dep_prev, release)
        if dep_prev > late_p:
            break  # departures only get later along the schedule
        to_p = zone_travel_s(prev, p, zones)
        arr_p = dep_prev + to_p
        if arr_p > late_p or load_before + 1 > capacity:
            continue
        srv_p = max(arr_p, early_p)
        late_d = srv_p + max_ride_s
        t_dep = srv_p + dwell_s
        last = p
        for j in range(i, n_stops + 1):
            if j > i:  # stop j - 1 is now between pickup and drop-off
                k = j - 1
                node_k = it[k, _NODE]
                arr_k = max(t_dep, fl[k, _RELEASE]) + zone_travel_s(last, node_k, zones)
                srv_k = max(arr_k, fl[k, _EARLY])
                if srv_k > fl[k, _LATEST] or it[k, _LOAD] + 1 > capacity:
                    break
                t_dep = srv_k + dwell_s
                last = node_k
            if t_dep > late_d:
                break
            srv_d = t_dep + zone_travel_s(last, d, zones)
            if srv_d > late_d:
                continue
            dep_d = srv_d + dwell_s
            if j < n_stops:
                node_j = it[j, _NODE]
                arr_j = max(dep_d, fl[j, _RELEASE]) + zone_travel_s(d, node_j, zones)
                if max(arr_j, fl[j, _EARLY]) > fl[j, _LATEST]:
                    continue
            elif dep_d + zone_travel_s(d, depot, zones) > end_s:
                continue
            cost = _detour_s(fl, it, n_stops, i, j, prev, p, d, to_p, zones)
            if cost < best_cost:
                best_cost = cost
                best_i = i
                best_j = j
    return best_i, best_j


@kernel_helper
def _detour_s(fl, it, n_stops, i, j, prev, p, d, to_p, zones):
    """Driving time added by a pickup before stop i and a drop-off before stop j."""
    if j == i:
        cost = to_p + zone_travel_s(p, d, zones)
        if i < n_stops:
            nxt = it[i, _NODE]
            cost = (cost + zone_travel_s(d, nxt, zones)
                    - zone_travel_s(prev, nxt, zones))
        return cost
    first = it[i, _NODE]
    cost = (to_p + zone_travel_s(p, first, zones)
            - zone_travel_s(prev, first, zones))
    before = it[j - 1, _NODE]
    cost = cost + zone_travel_s(before, d, zones)
    if j < n_stops:
        after = it[j, _NODE]
        cost = (cost + zone_travel_s(d, after, zones)
                - zone_travel_s(before, after, zones))
    return cost


@kernel_helper
def _insert(fl, it, n_stops, i, j, p, d, leg, early_p, late_p, release, hold_dropoff, fleet, zones):
    """Insert a leg at ``(i, j)`` (see :func:`_best_insertion`), re-time the
    schedule and its latest feasible times; returns the new number of stops.
    The drop-off lands at ``j + 1``."""
    depot, start_s, end_s = fleet.depot, fleet.start_s, fleet.end_s
    dwell_s, max_ride_s = fleet.dwell_s, fleet.max_ride_s
    # Explicit column loops: numba compiles row copies (fl[a] = fl[b]) slowly.
    for k in range(n_stops - 1, j - 1, -1):
        for c in range(_N_FLOAT):
            fl[k + 2, c] = fl[k, c]
        for c in range(_N_INT):
            it[k + 2, c] = it[k, c]
    for k in range(j - 1, i - 1, -1):
        for c in range(_N_FLOAT):
            fl[k + 1, c] = fl[k, c]
        for c in range(_N_INT):
            it[k + 1, c] = it[k, c]
    n_stops += 2
    drop = j + 1
    fl[i, _EARLY] = early_p
    fl[i, _LATE] = late_p
    fl[i, _RELEASE] = release
    it[i, _NODE] = p
    it[i, _LEG] = leg
    it[i, _KIND] = PICKUP
    fl[drop, _EARLY] = -np.inf
    fl[drop, _RELEASE] = -np.inf
    it[drop, _NODE] = d
    it[drop, _LEG] = leg
    it[drop, _KIND] = DROPOFF
    for k in range(i, n_stops):
        if k == 0:
            prev = depot
            dep = start_s
            load = 0
        else:
            prev = it[k - 1, _NODE]
            dep = fl[k - 1, _TIME] + dwell_s
            load = it[k - 1, _LOAD]
        srv = max(max(dep, fl[k, _RELEASE]) + zone_travel_s(prev, it[k, _NODE], zones),
                  fl[k, _EARLY])
        if k > drop and srv == fl[k, _TIME]:
            break  # the rest of the schedule is unchanged
        fl[k, _TIME] = srv
        if k <= drop:
            it[k, _LOAD] = load + (1 if it[k, _KIND] == PICKUP else -1)
        if k == drop:
            fl[k, _LATE] = srv if hold_dropoff else fl[i, _TIME] + max_ride_s
    for k in range(drop, -1, -1):
        if k == n_stops - 1:
            latest = end_s - dwell_s - zone_travel_s(it[k, _NODE], depot, zones)
        else:
            latest = (fl[k + 1, _LATEST] - dwell_s
                      - zone_travel_s(it[k, _NODE], it[k + 1, _NODE], zones))
        latest = min(fl[k, _LATE], latest)
        if k < i and latest == fl[k, _LATEST]:
            break  # unchanged here, so unchanged before
        fl[k, _LATEST] = latest
    return n_stops


@kernel_helper
def _copy_stops(src_fl, src_it, dst_fl, dst_it, n):
    """Copy the first ``n`` stops (explicit loops: slice copies compile slowly)."""
    for s in range(n):
        for c in range(_N_FLOAT):
            dst_fl[s, c] = src_fl[s, c]
        for c in range(_N_INT):
            dst_it[s, c] = src_it[s, c]


def _schedules(requests, fleet, zones, request_vehicle, ready, n_stops):
    """Run :func:`_dispatch` over the requests in order, giving the schedules
    more room whenever it stops for lack of it; the stop tables.

    The tables are allocated here, not in the kernel (each numpy allocation
    in a kernel compiles code of its own).
    """
    order = requests.order()
    size = _INITIAL_STOPS
    fl = np.empty((fleet.n_vehicles, size, _N_FLOAT), dtype=np.float64)
    it = np.empty((fleet.n_vehicles, size, _N_INT), dtype=np.int32)
    done = 0
    while True:
        scratch_fl, scratch_it = np.empty((size, _N_FLOAT)), np.empty((size, _N_INT), dtype=np.int32)
        done = _dispatch(order, np.int64(done), requests, fleet, zones, request_vehicle, ready, n_stops,
                         fl, it, scratch_fl, scratch_it)
        if done == len(order):
            return fl, it
        old = size
        size = max(2 * size, int(n_stops.max(initial=0)) + 2 * int(requests.n_legs[order[done]]))
        fl = np.concatenate([fl, np.empty((fleet.n_vehicles, size - old, _N_FLOAT))], axis=1)
        it = np.concatenate([it, np.empty((fleet.n_vehicles, size - old, _N_INT), dtype=np.int32)], axis=1)


@kernel(_nrt=False)  # allocates nothing: the schedules come from _schedules
def _dispatch(order, start, requests, fleet, zones, request_vehicle, ready, n_stops, fl, it,
              scratch_fl, scratch_it):
    """The work of :func:`dispatch` for requests ``order[start:]``, until
    one no longer fits the stop tables (``fl``, ``it``; the scratch: one
    vehicle's); fills ``request_vehicle`` (-1 at first), ``ready`` (the
    legs' ready times at first) and ``n_stops`` (zeros at first); returns
    how far in ``order`` it got."""
    n_vehicles = fleet.n_vehicles
    req_first_leg, req_n_legs, req_release_s = requests.first_leg, requests.n_legs, requests.release_s
    leg_pickup, leg_dropoff = requests.pickup_node, requests.dropoff_node
    size = fl.shape[1]
    most_stops = 0
    for v in range(n_vehicles):
        most_stops = max(most_stops, n_stops[v])
    for n in range(start, len(order)):
        q = order[n]
        first = req_first_leg[q]
        m = req_n_legs[q]
        release = req_release_s[q]
        if most_stops + 2 * m > size:
            return n
        early = ready[first]
        late = early + fleet.pickup_window_s
        for v in range(n_vehicles):
            s = n_stops[v]
            i, j = _best_insertion(fl[v], it[v], s, leg_pickup[first], leg_dropoff[first],
                                   early, late, np.int64(0), release, fleet, zones)
            if i < 0:
                continue
            if m == 1:
                n_stops[v] = _insert(fl[v], it[v], s, i, j, leg_pickup[first], leg_dropoff[first],
                                     np.int64(first), early, late, release, m > 1, fleet, zones)
                request_vehicle[q] = v
                break
            # A chain: try it on a copy, keep it only if every leg fits.
            _copy_stops(fl[v], it[v], scratch_fl, scratch_it, s)
            s = _insert(scratch_fl, scratch_it, s, i, j, leg_pickup[first], leg_dropoff[first],
                        np.int64(first), early, late, release, m > 1, fleet, zones)
            drop = j + 1
            fits = True
            for leg in range(first + 1, first + m):
                chained_early = scratch_fl[drop, _TIME] + fleet.dwell_s + fleet.activity_s
                chained_late = chained_early + fleet.chained_window_s
                i, j = _best_insertion(scratch_fl, scratch_it, s, leg_pickup[leg], leg_dropoff[leg],
                                       chained_early, chained_late, drop + 1, release, fleet, zones)
                if i < 0:
                    fits = False
                    break
                s = _insert(scratch_fl, scratch_it, s, i, j, leg_pickup[leg], leg_dropoff[leg],
                            leg, chained_early, chained_late, release, leg < first + m - 1,
                            fleet, zones)
                ready[leg] = chained_early
                drop = j + 1
            if fits:
                _copy_stops(scratch_fl, scratch_it, fl[v], it[v], s)
                n_stops[v] = s
                request_vehicle[q] = v
                break
        if request_vehicle[q] >= 0:
            most_stops = max(most_stops, n_stops[request_vehicle[q]])
    return len(order)
