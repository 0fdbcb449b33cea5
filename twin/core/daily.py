"""One simulated day for every resident, in one kernel call.

For each resident and purpose the kernel draws today's trips from the weekly
needs, picks the fastest mode available to that resident, and adds the round
trip to the week's ledger; a trip that no available mode makes within the
resident's limit is counted unmet and adds no time.

Trip counts: a purpose needed ``w`` times a week happens
``floor((d + 1) w / 7 + phase) - floor(d w / 7 + phase)`` times on day ``d``,
with a per-resident random ``phase``: over any 7 days that is ``w`` rounded
up or down at random, spread over the week. Water: off-premises households
fetch every day, piped ones only on outage days (probability
``outage_days_per_week / 7``).

One-way times: walking or wheelchair, network length / personal speed; car
(residents with a car, not to transit stops), drive time from the node
nearest home + parking search + walk from parking at personal speed. A round
trip is twice the one-way time (the return is assumed to mirror the way
there), plus the queue at the water point for water trips (per resident: it grows
with the point's users).

With paratransit a day has three steps: :func:`_simulate_day_paratransit`
(the same day, where riders book some trips instead of making them), the
dispatch of the bookings that :func:`_paratransit_requests` builds
(:mod:`twin.core.dispatch`), and :func:`_account_paratransit`, which adds the
served trips' waits and rides and counts refused ones unmet. Without
paratransit, :func:`_simulate_day` alone.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from twin.core.dispatch import zone_travel_s
from twin.core.streams import (
    CHANNEL_OUTAGE,
    CHANNEL_TRIP_PHASE,
    CHANNEL_TRIP_TIME,
    CHANNEL_WATER_TRIPS,
    PHASE_DAY,
    uniform,
)
from twin.core.threads import split_range

# Travel modes, as recorded in the day's mode counts.
MODE_WALK = 0
MODE_WHEELCHAIR = 1
MODE_CAR = 2
MODE_NAMES = ("walk", "wheelchair", "car")

WATER_PIPED = 0  # index of "piped" in twin.residents.WATER_SUPPLIES


@njit(cache=True, inline="always")  # inlined: called per resident and purpose
def one_way_time_s(
    purpose,
    resident,
    home_node,
    home_drive_node,
    wheelchair,
    has_car,
    speed_mps,
    parking_search_time_s,
    walk_length_m,
    wheelchair_length_m,
    drive_time_s,
    transit_purpose,
    parking_walk_m,
):
    """Fastest one-way time (s) to the nearest facility of ``purpose`` and
    the mode that gives it; ``(inf, -1)`` when no available mode reaches one."""
    i = resident
    h = home_node[i]
    if wheelchair[i]:
        best = wheelchair_length_m[h, purpose] / speed_mps[i]
        mode = MODE_WHEELCHAIR
    else:
        best = walk_length_m[h, purpose] / speed_mps[i]
        mode = MODE_WALK
    if has_car[i] and purpose != transit_purpose:
        car = (
            drive_time_s[home_drive_node[h], purpose]
            + parking_search_time_s[i]
            + parking_walk_m / speed_mps[i]
        )
        if car < best:
            best = car
            mode = MODE_CAR
    if best == np.inf:
        mode = -1
    return best, mode


@njit(cache=True, inline="always")  # inlined: called per resident and purpose
def trips_today(day, seed, resident, purpose, water_purpose, trips_per_week,
                water_supply, outage_days_per_week, water_trips_per_day):
    """Number of trips resident makes for ``purpose`` on ``day``."""
    i = resident
    if purpose == water_purpose:
        if water_supply[i] == WATER_PIPED:
            if uniform(seed, day, i, CHANNEL_OUTAGE) >= outage_days_per_week[i] / 7.0:
                return 0
        whole = math.floor(water_trips_per_day)
        extra = uniform(seed, day, i, CHANNEL_WATER_TRIPS) < water_trips_per_day - whole
        return int(whole) + int(extra)
    per_day = trips_per_week[i, purpose] / 7.0
    phase = uniform(seed, PHASE_DAY, i, CHANNEL_TRIP_PHASE + purpose)
    return int(math.floor((day + 1) * per_day + phase) - math.floor(day * per_day + phase))


def _simulate_day(*args):
    """One day without paratransit: :func:`_simulate_day_paratransit` with no
    riders (the same trips, counts and ledger). Arguments: the kernel's from
    ``day`` to ``water_queue_time_s``, then the ledger's ``travel_time_s,
    trips_made, unmet_trips``. A plain function, so there is one day kernel
    to compile instead of two (about 1 s less on first use)."""
    *shared, travel_time_s, trips_made, unmet_trips = args
    n_residents, n_purposes = travel_time_s.shape
    no_riders = np.zeros((0, n_purposes), dtype=np.int32)
    paratransit_off = (np.full(n_residents, -1, dtype=np.int32), np.zeros(0, dtype=np.bool_), False,
                       0.0, 0.0, 0.0, 0.0, 0.0, no_riders, no_riders)
    return _simulate_day_paratransit(*shared, *paratransit_off, travel_time_s, trips_made, unmet_trips)


@njit(cache=True, _nrt=False)  # _nrt=False: as _day_kernel's
def _best_one_way_times(
    home_node,
    home_drive_node,
    wheelchair,
    has_car,
    speed_mps,
    parking_search_time_s,
    walk_length_m,
    wheelchair_length_m,
    drive_time_s,
    transit_purpose,
    parking_walk_m,
    out_time_s,
):
    n_residents, n_purposes = out_time_s.shape
    for i in range(n_residents):
        for p in range(n_purposes):
            t, _ = one_way_time_s(p, i, home_node, home_drive_node, wheelchair, has_car,
                                  speed_mps, parking_search_time_s, walk_length_m,
                                  wheelchair_length_m, drive_time_s, transit_purpose,
                                  parking_walk_m)
            out_time_s[i, p] = t


# ---------------------------------------------------------------------------
# Paratransit days: (a) the day kernel, where riders book some trips instead of
# making them; (b) twin.core.dispatch; (c) accounting of the booked trips.


@njit(cache=True, inline="always")  # inlined: called per resident and purpose
def trip_time_s(start_s, span_s, j, k, u):
    """Requested pickup time of trip ``j`` of the ``k`` trips a resident makes
    for one purpose today: spread over ``[start_s, start_s + span_s)`` with
    one random offset ``u`` per resident, purpose and day."""
    return start_s + span_s * ((j + u) / k)


@njit(cache=True, inline="always")  # inlined: called per resident and purpose
def _paratransit_booked(day, seed, i, p, k, t, drive_time_s, max_trip_time_s, expected_wait_s,
                        by_app, same_day, start_s, span_s, lead_s, office_start_s):
    """How many of resident ``i``'s ``k`` trips for ``p`` today a rider books
    (the last ones of the day, see :func:`_simulate_day_paratransit`)."""
    paratransit_s = expected_wait_s + drive_time_s
    if not (paratransit_s <= max_trip_time_s[i] and paratransit_s < t):
        return 0
    if by_app or not same_day:
        return k
    u = uniform(seed, day, i, CHANNEL_TRIP_TIME + p)
    booked = 0
    for j in range(k):
        if trip_time_s(start_s, span_s, j, k, u) - lead_s >= office_start_s:
            booked += 1
    return booked


def _simulate_day_paratransit(day, seed, home_node, *rest):
    """:func:`_day_kernel` for every resident, split over threads; the day's
    (walk, wheelchair, car, unmet) trip counts. Arguments as the kernel's
    after ``start, stop``."""
    counts = split_range(_day_kernel, len(home_node), day, seed, home_node, *rest)
    return tuple(sum(c) for c in zip(*counts))


# nogil: split over threads by twin.core.threads. _nrt=False: no reference
# counting, which the inlined helpers' array arguments otherwise cost on every
# call, inside branches where numba cannot prune it (numba issue #2350): 3x
# slower. The kernel allocates nothing, so it needs none.
@njit(cache=True, nogil=True, _nrt=False)
def _day_kernel(
    start,
    stop,
    day,
    seed,
    home_node,
    home_drive_node,
    wheelchair,
    has_car,
    speed_mps,
    max_trip_time_s,
    parking_search_time_s,
    trips_per_week,
    water_supply,
    outage_days_per_week,
    walk_length_m,
    wheelchair_length_m,
    drive_time_s,
    water_purpose,
    transit_purpose,
    parking_walk_m,
    water_trips_per_day,
    water_queue_time_s,
    rider,
    by_app,
    same_day,
    expected_wait_s,
    start_s,
    span_s,
    lead_s,
    office_start_s,
    trips_today_out,
    booked_out,
    travel_time_s,
    trips_made,
    unmet_trips,
):
    """One day for residents ``start`` to ``stop``, where riders book
    paratransit for some trips; their (walk, wheelchair, car, unmet) trip
    counts. :func:`_simulate_day` is this day with no riders.

    Rule: rider ``rider[i] >= 0`` books a trip (not water fetching) when the
    expected paratransit one-way time, ``expected_wait_s`` (half the pickup
    window) plus the drive to the nearest facility, is within their limit
    and shorter than their own best one-way time (inf when their own modes
    cannot reach one), and the trip can be booked: by app (``by_app``) or
    the day before any trip can; by phone or assisted on the same day, only
    trips whose booking, ``lead_s`` before the pickup, falls after the office
    opens (the day's later trips). Booked trips are counted per rider and
    purpose in ``trips_today_out`` (all trips today) and ``booked_out`` (the
    last ``booked`` of them); they are accounted after dispatch. The rider's
    other trips are made as by everyone else.
    """
    n_purposes = trips_per_week.shape[1]
    walk_trips = 0
    wheelchair_trips = 0
    car_trips = 0
    unmet_total = 0
    for i in range(start, stop):
        r = rider[i]
        for p in range(n_purposes):
            k = trips_today(day, seed, i, p, water_purpose, trips_per_week,
                            water_supply, outage_days_per_week, water_trips_per_day)
            if k == 0:
                continue
            t, mode = one_way_time_s(p, i, home_node, home_drive_node, wheelchair, has_car,
                                     speed_mps, parking_search_time_s, walk_length_m,
                                     wheelchair_length_m, drive_time_s, transit_purpose,
                                     parking_walk_m)
            booked = 0
            if r >= 0 and p != water_purpose:
                booked = _paratransit_booked(
                    day, seed, i, p, k, t, drive_time_s[home_drive_node[home_node[i]], p],
                    max_trip_time_s, expected_wait_s, by_app[r], same_day, start_s, span_s,
                    lead_s, office_start_s)
                trips_today_out[r, p] = k
                booked_out[r, p] = booked
            k -= booked
            if k == 0:
                continue
            # the rest as in _simulate_day (inlined: a shared helper slowed it by 15%)
            if t > max_trip_time_s[i]:  # inf included: unreachable is unmet
                unmet_trips[i, p] += k
                unmet_total += k
                continue
            round_trip_s = 2.0 * t
            if p == water_purpose:
                round_trip_s += water_queue_time_s[i]
            travel_time_s[i, p] += k * round_trip_s
            trips_made[i, p] += k
            if mode == MODE_WALK:
                walk_trips += k
            elif mode == MODE_WHEELCHAIR:
                wheelchair_trips += k
            else:
                car_trips += k
    return walk_trips, wheelchair_trips, car_trips, unmet_total


def _paratransit_requests(
    day,
    seed,
    rider_resident,
    by_app,
    trips_today,
    booked,
    home_node,
    home_drive_node,
    facility_drive_node,
    multi_stop,
    same_day,
    start_s,
    end_s,
    span_s,
    lead_s,
    office_end_s,
    pickup_window_s,
    dwell_s,
    activity_s,
    zone,
    to_centre_s,
    from_centre_s,
    between_s,
):
    """Riders' booked trips -> dispatch requests, legs and trips.

    Each rider's booked trips are taken in order of requested time (ties:
    purpose order), each to the nearest facility by drive. Without
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

    Returns
    -------
    Requests (first leg, legs, release), legs (pickup node, drop-off node,
    ready time, request) and trips (resident, purpose, first leg, legs; a
    multi-stop journey's last trip also owns the leg home).
    """
    # Sized and allocated here; the kernel fills them (returning eleven
    # arrays from a kernel took about 0.2 s more to compile).
    rider_trips = booked.sum(axis=1, dtype=np.int64)
    n_trips = int(rider_trips.sum())
    n_journeys = int(np.count_nonzero(rider_trips > 0))
    n_legs = n_trips + n_journeys if multi_stop else 2 * n_trips
    n_requests = n_journeys if multi_stop else 2 * n_trips
    req_first_leg = np.empty(n_requests, dtype=np.int32)
    req_n_legs = np.empty(n_requests, dtype=np.int32)
    req_release_s = np.empty(n_requests, dtype=np.float64)
    leg_pickup = np.empty(n_legs, dtype=np.int32)
    leg_dropoff = np.empty(n_legs, dtype=np.int32)
    leg_ready_s = np.empty(n_legs, dtype=np.float64)
    leg_request = np.empty(n_legs, dtype=np.int32)
    trip_resident = np.empty(n_trips, dtype=np.int32)
    trip_purpose = np.empty(n_trips, dtype=np.int32)
    trip_first_leg = np.empty(n_trips, dtype=np.int32)
    trip_n_legs = np.empty(n_trips, dtype=np.int32)
    _fill_paratransit_requests(
        day, seed, rider_resident, by_app, trips_today, booked, home_node, home_drive_node,
        facility_drive_node, multi_stop, same_day, start_s, end_s, span_s, lead_s, office_end_s,
        pickup_window_s, dwell_s, activity_s, zone, to_centre_s, from_centre_s, between_s,
        req_first_leg, req_n_legs, req_release_s, leg_pickup, leg_dropoff, leg_ready_s,
        leg_request, trip_resident, trip_purpose, trip_first_leg, trip_n_legs,
    )
    return (req_first_leg, req_n_legs, req_release_s, leg_pickup, leg_dropoff, leg_ready_s,
            leg_request, trip_resident, trip_purpose, trip_first_leg, trip_n_legs)


@njit(cache=True)
def _fill_paratransit_requests(
    day,
    seed,
    rider_resident,
    by_app,
    trips_today,
    booked,
    home_node,
    home_drive_node,
    facility_drive_node,
    multi_stop,
    same_day,
    start_s,
    end_s,
    span_s,
    lead_s,
    office_end_s,
    pickup_window_s,
    dwell_s,
    activity_s,
    zone,
    to_centre_s,
    from_centre_s,
    between_s,
    req_first_leg,
    req_n_legs,
    req_release_s,
    leg_pickup,
    leg_dropoff,
    leg_ready_s,
    leg_request,
    trip_resident,
    trip_purpose,
    trip_first_leg,
    trip_n_legs,
):
    """The work of :func:`_paratransit_requests`, into its preallocated outputs."""
    n_riders, n_purposes = booked.shape
    times = np.empty(8, dtype=np.float64)
    purposes = np.empty(8, dtype=np.int32)
    q = 0
    leg = 0
    trip = 0
    for r in range(n_riders):
        i = rider_resident[r]
        m = 0
        for p in range(n_purposes):
            m += booked[r, p]
        if m == 0:
            continue
        if m > len(times):
            times = np.empty(2 * m, dtype=np.float64)
            purposes = np.empty(2 * m, dtype=np.int32)
        m = 0
        for p in range(n_purposes):
            k = trips_today[r, p]
            u = uniform(seed, day, i, CHANNEL_TRIP_TIME + p)
            for j in range(k - booked[r, p], k):
                times[m] = trip_time_s(start_s, span_s, j, k, u)
                purposes[m] = p
                m += 1
        order = _stable_order(times, np.int64(m))
        home = home_drive_node[home_node[i]]
        if multi_stop:
            planned_s = 0.0
            here = home
            for n in range(m + 1):
                there = home if n == m else facility_drive_node[home, purposes[order[n]]]
                planned_s += zone_travel_s(here, there, zone, to_centre_s, from_centre_s, between_s) + 2.0 * dwell_s
                here = there
            planned_s += m * activity_s
            first_s = max(start_s, min(times[order[0]], end_s - pickup_window_s - planned_s))
            req_first_leg[q] = leg
            req_n_legs[q] = m + 1
            req_release_s[q] = _release_s(first_s, same_day, lead_s, by_app[r], office_end_s)
            here = home
            for n in range(m + 1):
                there = home if n == m else facility_drive_node[home, purposes[order[n]]]
                leg_pickup[leg + n] = here
                leg_dropoff[leg + n] = there
                leg_ready_s[leg + n] = first_s if n == 0 else np.nan
                leg_request[leg + n] = q
                if n < m:
                    trip_resident[trip + n] = i
                    trip_purpose[trip + n] = purposes[order[n]]
                    trip_first_leg[trip + n] = leg + n
                    trip_n_legs[trip + n] = 2 if n == m - 1 else 1
                here = there
            q += 1
            leg += m + 1
            trip += m
        else:
            for n in range(m):
                p = purposes[order[n]]
                out_s = times[order[n]]
                there = facility_drive_node[home, p]
                ahead_s = (0.5 * pickup_window_s
                           + zone_travel_s(home, there, zone, to_centre_s, from_centre_s, between_s)
                           + 2.0 * dwell_s + activity_s)
                release = _release_s(out_s, same_day, lead_s, by_app[r], office_end_s)
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
                trip_resident[trip] = i
                trip_purpose[trip] = p
                trip_first_leg[trip] = leg - 2
                trip_n_legs[trip] = 2
                trip += 1


@njit(cache=True)
def _stable_order(values, m):
    """Indices sorting ``values[:m]`` ascending, ties in index order (as a
    stable argsort; an insertion sort: a rider has few trips a day, and
    numba's argsort takes about a second to compile)."""
    order = np.empty(m, dtype=np.int64)
    for a in range(m):
        v = values[a]
        b = a
        while b > 0 and values[order[b - 1]] > v:
            order[b] = order[b - 1]
            b -= 1
        order[b] = a
    return order


@njit(cache=True)
def _release_s(first_pickup_s, same_day, lead_s, by_app, office_end_s):
    """When a booking reaches the dispatcher (see :func:`_paratransit_requests`)."""
    if not same_day:
        return -np.inf
    release = first_pickup_s - lead_s
    if not by_app:
        release = min(release, office_end_s)
    return release


@njit(cache=True)
def _account_paratransit(
    trip_resident,
    trip_purpose,
    trip_first_leg,
    trip_n_legs,
    leg_request,
    request_vehicle,
    leg_ready_s,
    leg_dropoff_s,
    fare,
    travel_time_s,
    trips_made,
    unmet_trips,
    paratransit_trips,
    paratransit_refused,
    paratransit_fare,
):
    """Add dispatched trips to the ledger; returns (trips made, trips refused).

    A trip is made when every leg it owns was served; its time is, per leg,
    from the ready time (the start of the pickup window: the wait) to the
    drop-off (the ride), and its fare one per leg. A trip with a refused leg
    is unmet (so is one whose return leg alone was refused) and adds no time.
    """
    made = 0
    refused = 0
    for t in range(len(trip_resident)):
        i = trip_resident[t]
        p = trip_purpose[t]
        first = trip_first_leg[t]
        served = True
        for leg in range(first, first + trip_n_legs[t]):
            if request_vehicle[leg_request[leg]] < 0:
                served = False
        if not served:
            unmet_trips[i, p] += 1
            paratransit_refused[i] += 1
            refused += 1
            continue
        total_s = 0.0
        for leg in range(first, first + trip_n_legs[t]):
            total_s += leg_dropoff_s[leg] - leg_ready_s[leg]
        travel_time_s[i, p] += total_s
        trips_made[i, p] += 1
        paratransit_trips[i] += 1
        paratransit_fare[i] += fare * trip_n_legs[t]
        made += 1
    return made, refused
