"""Paratransit bookings: riders' booked trips -> dispatch requests, and the
dispatched trips -> the ledger.

A paratransit day has three steps: :func:`twin.core.daily.simulate_day`
with riders (who book some trips instead of making them),
:func:`paratransit_requests` and :func:`twin.core.dispatch.dispatch`, then
:func:`account_paratransit`, which adds the served trips' waits and rides,
and sends refused ones to the rider's own mode (or counts them unmet).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from twin.core._checks import Problems, length
from twin.core.choice import NO_PURPOSE
from twin.core.daily import (
    DayCity,
    DayParams,
    DayResidents,
    LedgerArrays,
    Riders,
    ServiceRules,
    _check_day_inputs,
    _check_ledger,
    _check_riders,
    add_money_by_mode,
    count_by_mode,
    trip_time_s,
)
from twin.core.dispatch import Dispatched, Requests, ZoneTimes, _checked_zones, zone_travel_s
from twin.core.jit import kernel, kernel_helper
from twin.core.streams import CHANNEL_TRIP_TIME, uniform


class Trips(NamedTuple):
    """The booked trips of a day.

    Attributes
    ----------
    resident, purpose
        int32 per trip.
    first_leg, n_legs
        int32 per trip: the legs it owns (contiguous; every leg is owned by
        exactly one trip, in order).
    leg_request
        int32 per leg: the request it belongs to.
    """

    resident: np.ndarray
    purpose: np.ndarray
    first_leg: np.ndarray
    n_legs: np.ndarray
    leg_request: np.ndarray

    @property
    def leg_resident(self) -> np.ndarray:
        """int32 per leg: the rider."""
        return np.repeat(self.resident, self.n_legs)


def paratransit_requests(
    day: int,
    seed: int,
    residents: DayResidents,
    city: DayCity,
    riders: Riders,
    rules: ServiceRules,
    facility_drive_node: np.ndarray,
    zones: ZoneTimes,
    *,
    work_purpose: int = NO_PURPOSE,
) -> tuple[Requests, Trips]:
    """Riders' booked trips -> dispatch requests, legs and trips.

    Each rider's booked trips are taken in order of requested time (ties:
    purpose order), each to the nearest facility by drive (work: to the
    rider's workplace, ``city.work_drive_node`` of their zone). Without
    multi-stop, a trip is two requests of one leg each, booked together: out
    at its requested time, back when the activity should end if the pickup
    came at the expected time (``half window + drive + 2 dwells + activity``
    later). With multi-stop, the rider's trips form one request home -> f1
    -> ... -> home, starting at the first requested time, or earlier if its
    planned duration (drives, dwells, activities) and a pickup window would
    not end by the end of service (never before the start).

    Release: ``-inf`` (booked the day before), or on the same day ``lead_s``
    before the first pickup; by phone or assisted no later than the office
    closes.

    The requests do not depend on the fleet (that keeps "a bigger fleet never
    refuses more" exact, :mod:`twin.core.dispatch`), so there are no
    cancellations: a single-stop trip whose way out is refused keeps its
    way back booked, and the vehicle makes that run empty.

    Parameters
    ----------
    day, seed
        As :func:`twin.core.daily.simulate_day`'s, which filled ``riders``.
    residents, city
        The day's inputs (homes and the drive node a car starts from).
    riders, rules
        The riders, with today's bookings, and the service's rules.
    facility_drive_node
        int32, shape (n_drive_nodes, n_purposes): the drive node of the
        nearest facility by drive (-1 where none).
    zones
        Travel times of the drive graph.
    work_purpose
        The purpose whose trips go to the rider's workplace (default: none).

    Returns
    -------
    The requests, and the trips (a multi-stop journey's last trip also owns
    the leg home).
    """
    problems = Problems("paratransit_requests")
    n = len(residents.home_node)
    n_purposes = length(riders.booked, 1)
    _check_riders(problems, riders, n, n_purposes)
    n_drive = _checked_zones(zones, problems)
    if problems.array("facility_drive_node", facility_drive_node, np.int32, (n_drive, n_purposes)):
        booked_p = np.flatnonzero(riders.booked.sum(axis=0) > 0) if riders.booked.size else []
        problems.indices("facility_drive_node (of booked purposes)",
                         facility_drive_node[:, booked_p], n_drive)
    problems.indices("city.walk_to_drive", city.walk_to_drive, n_drive)
    if work_purpose != NO_PURPOSE and riders.booked.size and riders.booked[:, work_purpose].any():
        zone = residents.work_zone[riders.resident[riders.booked[:, work_purpose] > 0]]
        if (zone < 0).any() or (city.work_drive_node[zone] < 0).any():
            problems.add("a rider booked work without a workplace on the drive streets")
    problems.raise_any()
    # Sized and allocated here; the kernel fills them (returning eleven
    # arrays from a kernel took about 0.2 s more to compile).
    rider_trips = riders.booked.sum(axis=1, dtype=np.int64)
    n_trips = int(rider_trips.sum())
    n_journeys = int(np.count_nonzero(rider_trips > 0))
    n_legs = n_trips + n_journeys if rules.multi_stop else 2 * n_trips
    n_requests = n_journeys if rules.multi_stop else 2 * n_trips
    requests = Requests(
        first_leg=np.empty(n_requests, dtype=np.int32),
        n_legs=np.empty(n_requests, dtype=np.int32),
        release_s=np.empty(n_requests, dtype=np.float64),
        pickup_node=np.empty(n_legs, dtype=np.int32),
        dropoff_node=np.empty(n_legs, dtype=np.int32),
        ready_s=np.empty(n_legs, dtype=np.float64),
    )
    trips = Trips(*(np.empty(n_trips, dtype=np.int32) for _ in range(4)),
                  leg_request=np.empty(n_legs, dtype=np.int32))
    # a rider's trips of the day, in time order (the kernel's scratch, sized for the busiest rider)
    most = int(rider_trips.max()) if len(rider_trips) else 0
    times, purposes, order = np.empty(most), np.empty(most, dtype=np.int32), np.empty(most, dtype=np.int64)
    _fill_paratransit_requests(np.int64(day), np.int64(seed), residents, city, riders,
                               rules.normalized(), facility_drive_node, np.int64(work_purpose), zones, requests,
                               trips, times, purposes, order)
    return requests, trips


class BookedDay(NamedTuple):
    """How the riders' booked purposes of a day went."""

    paratransit: int
    """Trips made by paratransit."""
    refused: int
    """Trips the fleet refused (made by the rider's own mode, or unmet)."""
    walk: int
    wheelchair: int
    car: int
    transit: int
    """Trips of the booked purposes made by the rider's own mode (the
    trips not booked, and refused ones within the rider's limit)."""
    unmet: int
    """Trips of the booked purposes no mode made."""


def account_paratransit(
    day_inputs: tuple[DayResidents, DayCity, DayParams],
    riders: Riders,
    trips: Trips,
    dispatched: Dispatched,
    rules: ServiceRules,
    ledger: LedgerArrays,
) -> BookedDay:
    """Add the riders' booked purposes of the day to the ledger.

    A booked trip is made by paratransit when every leg it owns was served;
    its time is, per leg, from the ready time (the start of the pickup
    window: the wait) to the drop-off (the ride), and its fare one per leg.
    A trip with a refused leg falls back to the trip the rider would have
    made by their own modes (chosen by the day kernel, ``riders.own_*``; the
    dispatcher refuses a booking when it arrives, so no time is lost
    waiting): made if within the rider's limit, else unmet. The trips of a
    booked purpose that were not booked go the same way, and all own-mode
    trips of a purpose are added at once, as :func:`twin.core.daily.simulate_day`
    adds them: with no vehicle (every booking refused) the ledger is the
    day without paratransit, bit for bit.

    Parameters
    ----------
    day_inputs
        ``(residents, city, params)`` of :func:`twin.core.daily.simulate_day`.
    riders
        The riders, with the day's bookings.
    trips, dispatched
        The booked trips (:func:`paratransit_requests`) and their dispatch.
    rules
        The service's rules (the fare).
    ledger
        The week's ledger.
    """
    residents, city, params = day_inputs
    problems = Problems("account_paratransit")
    n, n_purposes = _check_day_inputs(problems, residents, city, params)
    _check_ledger(problems, ledger, n, n_purposes)
    _check_riders(problems, riders, n, n_purposes)
    n_legs = len(trips.leg_request)
    if len(dispatched.leg_ready_s) != n_legs or len(dispatched.leg_dropoff_s) != n_legs:
        problems.add(f"dispatched legs ({len(dispatched.leg_ready_s)}) must match the trips' ({n_legs})")
    problems.indices("trips.resident", trips.resident, n)
    problems.indices("trips.purpose", trips.purpose, n_purposes)
    problems.indices("trips.leg_request", trips.leg_request, len(dispatched.request_vehicle))
    problems.raise_any()
    own_trips = np.zeros(riders.booked.shape, dtype=np.int32)  # refused trips per rider and purpose
    counts = _account_paratransit(residents.max_trip_time_s, riders, trips, dispatched.request_vehicle,
                                  dispatched.leg_ready_s, dispatched.leg_dropoff_s,
                                  float(rules.fare), params.transit_purpose, ledger, own_trips)
    return BookedDay(*(int(c) for c in counts))


@kernel_helper
def _destination(facility_drive_node, home, p, work_purpose, workplace):
    """The drive node a trip for ``p`` goes to: the workplace for work."""
    return workplace if p == work_purpose else facility_drive_node[home, p]


@kernel(_nrt=False)  # allocates nothing: as _account_paratransit
def _fill_paratransit_requests(day, seed, residents, city, riders, rules, facility_drive_node, work_purpose,
                               zones, requests, trips, times, purposes, order):
    """The work of :func:`paratransit_requests`, into its preallocated
    outputs; ``times``, ``purposes`` and ``order`` hold one rider's trips."""
    start_s, end_s, span_s = rules.start_s, rules.end_s, rules.span_s
    pickup_window_s, dwell_s, activity_s = rules.pickup_window_s, rules.dwell_s, rules.activity_s
    booked, trips_today, by_app = riders.booked, riders.trips_today, riders.by_app
    req_first_leg, req_n_legs, req_release_s = requests.first_leg, requests.n_legs, requests.release_s
    leg_pickup, leg_dropoff, leg_ready_s = requests.pickup_node, requests.dropoff_node, requests.ready_s
    leg_request = trips.leg_request
    n_riders, n_purposes = booked.shape
    q = 0
    leg = 0
    trip = 0
    for r in range(n_riders):
        i = riders.resident[r]
        m = 0
        for p in range(n_purposes):
            m += booked[r, p]
        if m == 0:
            continue
        m = 0
        for p in range(n_purposes):
            k = np.int64(trips_today[r, p])  # int64 as _paratransit_booked's: one trip_time_s
            u = uniform(seed, day, i, CHANNEL_TRIP_TIME + p)
            for j in range(k - booked[r, p], k):
                times[m] = trip_time_s(start_s, span_s, j, k, u)
                purposes[m] = p
                m += 1
        _stable_order(times, np.int64(m), order)
        home = city.walk_to_drive[residents.home_node[i]]
        # int32 -1, as the nodes: a literal -1 made every destination int64 and
        # compiled zone_travel_s twice more, for (int64, int64) and (int32, int64)
        workplace = city.work_drive_node[residents.work_zone[i]] if residents.work_zone[i] >= 0 else np.int32(-1)
        if rules.multi_stop:
            planned_s = 0.0
            here = home
            for n in range(m + 1):
                there = home if n == m else _destination(facility_drive_node, home, purposes[order[n]],
                                                         work_purpose, workplace)
                planned_s += zone_travel_s(here, there, zones) + 2.0 * dwell_s
                here = there
            planned_s += m * activity_s
            first_s = max(start_s, min(times[order[0]], end_s - pickup_window_s - planned_s))
            req_first_leg[q] = leg
            req_n_legs[q] = m + 1
            req_release_s[q] = _release_s(first_s, by_app[r], rules)
            here = home
            for n in range(m + 1):
                there = home if n == m else _destination(facility_drive_node, home, purposes[order[n]],
                                                         work_purpose, workplace)
                leg_pickup[leg + n] = here
                leg_dropoff[leg + n] = there
                leg_ready_s[leg + n] = first_s if n == 0 else np.nan
                leg_request[leg + n] = q
                if n < m:
                    trips.resident[trip + n] = i
                    trips.purpose[trip + n] = purposes[order[n]]
                    trips.first_leg[trip + n] = leg + n
                    trips.n_legs[trip + n] = 2 if n == m - 1 else 1
                here = there
            q += 1
            leg += m + 1
            trip += m
        else:
            for n in range(m):
                p = purposes[order[n]]
                out_s = times[order[n]]
                there = _destination(facility_drive_node, home, p, work_purpose, workplace)
                ahead_s = (0.5 * pickup_window_s
                           + zone_travel_s(home, there, zones)
                           + 2.0 * dwell_s + activity_s)
                release = _release_s(out_s, by_app[r], rules)
                for back in range(2):
                    req_first_leg[q] = leg
                    req_n_legs[q] = 1
                    req_release_s[q] = release
                    leg_pickup[leg] = there if back else home
                    leg_dropoff[leg] = home if back else there
                    leg_ready_s[leg] = out_s + ahead_s if back else out_s
                    leg_request[leg] = q
                    q += 1
                    leg += 1
                trips.resident[trip] = i
                trips.purpose[trip] = p
                trips.first_leg[trip] = leg - 2
                trips.n_legs[trip] = 2
                trip += 1


@kernel_helper
def _stable_order(values, m, order):
    """``order[:m]``: indices sorting ``values[:m]`` ascending, ties in
    index order (as a stable argsort; an insertion sort: a rider has few
    trips a day, and numba's argsort takes about a second to compile)."""
    for a in range(m):
        v = values[a]
        b = a
        while b > 0 and values[order[b - 1]] > v:
            order[b] = order[b - 1]
            b -= 1
        order[b] = a


@kernel_helper
def _release_s(first_pickup_s, by_app, rules):
    """When a booking reaches the dispatcher (see :func:`paratransit_requests`)."""
    if not rules.same_day:
        return -np.inf
    release = first_pickup_s - rules.lead_s
    if not by_app:
        release = min(release, rules.office_end_s)
    return release


# _nrt=False: allocates nothing (own_trips, zeros, comes from the caller), so
# needs no reference counts, which numba otherwise lowers for every array of
# the bundles it reads (a third of the compile time)
@kernel(_nrt=False)
def _account_paratransit(max_trip_time_s, riders, trips, request_vehicle, leg_ready_s,
                         leg_dropoff_s, fare, transit_purpose, ledger, own_trips):
    """The work of :func:`account_paratransit` (``max_trip_time_s``: the
    residents' limits, all it needs of their bundle)."""
    n_riders, n_purposes = riders.booked.shape
    made = 0
    refused = 0
    for t in range(len(trips.resident)):
        i = trips.resident[t]
        p = trips.purpose[t]
        first = trips.first_leg[t]
        served = True
        for leg in range(first, first + trips.n_legs[t]):
            if request_vehicle[trips.leg_request[leg]] < 0:
                served = False
        if not served:
            own_trips[riders.rider_of[i], p] += 1
            ledger.paratransit_refused[i] += 1
            refused += 1
            continue
        total_s = 0.0
        for leg in range(first, first + trips.n_legs[t]):
            total_s += leg_dropoff_s[leg] - leg_ready_s[leg]
        ledger.travel_time_s[i, p] += total_s
        ledger.trips_made[i, p] += 1
        ledger.paratransit_trips[i] += 1
        ledger.paratransit_fare[i] += fare * trips.n_legs[t]
        made += 1
    # typed counters: literal 0s would compile count_by_mode once more, for Literal[int](0)
    walk_trips = wheelchair_trips = car_trips = transit_trips = np.int64(0)
    unmet_total = 0
    for r in range(n_riders):
        i = riders.resident[r]
        for p in range(n_purposes):
            if riders.booked[r, p] == 0:
                continue  # accounted by the day kernel
            k = riders.trips_today[r, p] - riders.booked[r, p] + own_trips[r, p]
            if k == 0:
                continue
            # as in twin.core.daily._day_kernel (never water: it is not booked)
            t = riders.own_time_s[r, p]
            mode = np.int64(riders.own_mode[r, p])  # int64 as the day kernel's: one count_by_mode
            if t > np.float64(max_trip_time_s[i]):
                ledger.unmet_trips[i, p] += k
                unmet_total += k
                continue
            ledger.travel_time_s[i, p] += k * (2.0 * t)
            ledger.trips_made[i, p] += k
            add_money_by_mode(ledger, i, p, k, mode, riders.own_money[r, p], transit_purpose)
            walk_trips, wheelchair_trips, car_trips, transit_trips = count_by_mode(
                mode, k, walk_trips, wheelchair_trips, car_trips, transit_trips)
    return made, refused, walk_trips, wheelchair_trips, car_trips, transit_trips, unmet_total
