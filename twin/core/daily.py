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
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from twin.core.streams import (
    CHANNEL_OUTAGE,
    CHANNEL_TRIP_PHASE,
    CHANNEL_WATER_TRIPS,
    PHASE_DAY,
    uniform,
)

# Travel modes, as recorded in the day's mode counts.
MODE_WALK = 0
MODE_WHEELCHAIR = 1
MODE_CAR = 2
MODE_NAMES = ("walk", "wheelchair", "car")

WATER_PIPED = 0  # index of "piped" in twin.residents.WATER_SUPPLIES


@njit(cache=True)
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


@njit(cache=True)
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


@njit(cache=True, parallel=True)
def _simulate_day(
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
    travel_time_s,
    trips_made,
    unmet_trips,
):
    n_residents, n_purposes = trips_per_week.shape
    walk_trips = 0
    wheelchair_trips = 0
    car_trips = 0
    unmet_total = 0
    for i in prange(n_residents):
        for p in range(n_purposes):
            k = trips_today(day, seed, i, p, water_purpose, trips_per_week,
                            water_supply, outage_days_per_week, water_trips_per_day)
            if k == 0:
                continue
            t, mode = one_way_time_s(p, i, home_node, home_drive_node, wheelchair, has_car,
                                     speed_mps, parking_search_time_s, walk_length_m,
                                     wheelchair_length_m, drive_time_s, transit_purpose,
                                     parking_walk_m)
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


@njit(cache=True, parallel=True)
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
    for i in prange(n_residents):
        for p in range(n_purposes):
            t, _ = one_way_time_s(p, i, home_node, home_drive_node, wheelchair, has_car,
                                  speed_mps, parking_search_time_s, walk_length_m,
                                  wheelchair_length_m, drive_time_s, transit_purpose,
                                  parking_walk_m)
            out_time_s[i, p] = t
