"""One simulated day for every resident, in one kernel call.

For each resident and purpose the kernel draws today's trips from the weekly
needs, chooses where and how to go, and adds the round trip (and the money
of car trips) to the week's ledger; a trip that no available mode makes
within the resident's limit is counted unmet and adds no time. Purposes with
a choice (work, food, civic, health) go to one of the nearest few facilities
by a mode drawn from a logit with money (:mod:`twin.core.choice`); water goes
to the household's chosen point and the walk to transit to the nearest stop,
by the fastest mode.

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
there), plus the time at the water point for water trips.

With paratransit, riders book some trips instead of making them (the rule is
:func:`simulate_day`'s); :mod:`twin.core.bookings` turns the bookings into
dispatch requests and accounts for the dispatched trips.

Inputs travel in named bundles (:class:`DayResidents`, :class:`DayCity`,
:class:`DayParams`, :class:`Riders`, :class:`ServiceRules`,
:class:`LedgerArrays`): named tuples of arrays and scalars, which numba takes
whole, so no two arrays can be swapped by position. :func:`simulate_day`
checks them and runs the kernel; arithmetic is float64 throughout (float32
inputs are widened explicitly), so the kernel gives the same bits with the
JIT on or off.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from twin.core._checks import Problems, length
from twin.core.choice import MODE_CAR, MODE_TRANSIT, MODE_WALK, MODE_WHEELCHAIR, ChoiceParams, choose_trip
from twin.core.jit import kernel, kernel_helper
from twin.core.streams import (
    CHANNEL_BOOKING_TRY,
    CHANNEL_OUTAGE,
    CHANNEL_TRIP_PHASE,
    CHANNEL_TRIP_TIME,
    CHANNEL_WATER_SERVED,
    CHANNEL_WATER_TRIPS,
    MAX_CHOICE_SLOTS,
    MAX_PURPOSES,
    PHASE_DAY,
    uniform,
)
from twin.core.threads import split_range

WATER_PIPED = 0  # index of "piped" in twin.residents.WATER_SUPPLIES

DAYS_PER_WEEK = 7.0
"""Days in a week: weekly needs and outage days become daily rates with it."""


class DayResidents(NamedTuple):
    """What the day kernel reads per resident (one row each, ``n`` rows).

    Attributes
    ----------
    home_node
        int32: walk node of the home.
    wheelchair, has_car
        bool.
    speed_mps
        float32: walking or wheelchair speed.
    max_trip_time_s
        float32: longest one-way trip the resident makes; slower ones are unmet.
    parking_search_time_s
        float32: parking search per car trip.
    trips_per_week
        float32, shape (n, n_purposes): weekly needs by purpose.
    water_supply
        int8: index into ``WATER_SUPPLIES`` (0: piped).
    outage_days_per_week
        float32: days a week without piped water.
    water_queue_time_s
        float32: time per fetch at the resident's water point (wait and filling).
    water_length_m
        float64: distance on foot (or by wheelchair) to the resident's water
        point (:class:`twin.abm.water.WaterChoice`); inf where none.
    water_served_share
        float32: share of the fetches at that point it serves today (1 unless overloaded).
    value_of_time_per_min
        float64: money a minute of travel is worth to the resident (model currency).
    assisted_civic_m
        float64: distance on foot (or by wheelchair) to the access centre
        where the resident does civic business with help; inf where none.
    transit_fare
        float64: what the resident pays a one-way trip by public transport;
        inf where they do not take it (no service, or beyond their budget).
    work_zone
        int32: the resident's work zone (:func:`twin.core.choice.draw_workplaces`);
        -1 where none is within reach (their work trips are unmet).
    """

    home_node: np.ndarray
    wheelchair: np.ndarray
    has_car: np.ndarray
    speed_mps: np.ndarray
    max_trip_time_s: np.ndarray
    parking_search_time_s: np.ndarray
    trips_per_week: np.ndarray
    water_supply: np.ndarray
    outage_days_per_week: np.ndarray
    water_queue_time_s: np.ndarray
    water_length_m: np.ndarray
    water_served_share: np.ndarray
    value_of_time_per_min: np.ndarray
    assisted_civic_m: np.ndarray
    transit_fare: np.ndarray
    work_zone: np.ndarray


class DayCity(NamedTuple):
    """What the day kernel reads of the city: costs to the nearest facility
    of each purpose, from every node.

    Attributes
    ----------
    walk_length_m, wheelchair_length_m
        float64, shape (n_walk_nodes, n_purposes); inf where unreachable.
    drive_time_s
        float64, shape (n_drive_nodes, n_purposes); inf where unreachable.
    walk_to_drive
        int32, shape (n_walk_nodes,): the drive node a car starts from.
    walk_choice_m, wheelchair_choice_m
        float64, shape (n_walk_nodes, n_purposes, k): distance to each of the
        k nearest facilities on foot (by wheelchair), nearest first; inf
        where fewer (:mod:`twin.core.choice`).
    walk_choice_drive_s, wheelchair_choice_drive_s
        float64, same shape: drive time to the same facilities.
    walk_choice_weight, wheelchair_choice_weight
        float64, same shape: exp(V) of walking (rolling) there
        (:func:`twin.core.choice.foot_weights`), 0 where none.
    walk_transit_s, wheelchair_transit_s
        float64, shape (n_walk_nodes, n_purposes): one-way time by walk +
        public transport to the nearest facility that way
        (:mod:`twin.transit.fields`); inf where there is no transit
        alternative (no service, or walking alone is as fast).
    work_walk_m, work_wheelchair_m, work_drive_s, work_walk_transit_s, work_wheelchair_transit_s
        float32, shape (n_walk_nodes, n_work_zones): travel to each work zone
        (:class:`twin.core.choice.WorkZoneFields`).
    work_drive_node
        int32, shape (n_work_zones,): where paratransit takes a rider to work.
    """

    walk_length_m: np.ndarray
    wheelchair_length_m: np.ndarray
    drive_time_s: np.ndarray
    walk_to_drive: np.ndarray
    walk_choice_m: np.ndarray
    walk_choice_drive_s: np.ndarray
    wheelchair_choice_m: np.ndarray
    wheelchair_choice_drive_s: np.ndarray
    walk_choice_weight: np.ndarray
    wheelchair_choice_weight: np.ndarray
    walk_transit_s: np.ndarray
    wheelchair_transit_s: np.ndarray
    work_walk_m: np.ndarray
    work_wheelchair_m: np.ndarray
    work_drive_s: np.ndarray
    work_walk_transit_s: np.ndarray
    work_wheelchair_transit_s: np.ndarray
    work_drive_node: np.ndarray


class DayParams(NamedTuple):
    """Scalars of the day shared by all residents.

    Attributes
    ----------
    water_purpose, transit_purpose
        Purpose indices of water fetching and of the walk to transit (no car).
    parking_walk_m
        Walk from the parking place to the destination.
    water_trips_per_day
        Water fetches a day of a household fetching water.
    choice
        Destination and mode choice (:class:`twin.core.choice.ChoiceParams`).
    """

    water_purpose: int
    transit_purpose: int
    parking_walk_m: float
    water_trips_per_day: float
    choice: ChoiceParams


class Riders(NamedTuple):
    """Who may book paratransit, and (written by the day kernel) what they
    booked today. Rider ``r`` is resident ``resident[r]``.

    Attributes
    ----------
    rider_of
        int32, shape (n_residents,): each resident's rider index, -1 if none.
    resident
        int32, shape (n_riders,).
    by_app
        bool, shape (n_riders,): books by app (else by phone or assisted).
    trips_today, booked
        int32, shape (n_riders, n_purposes): today's trips, and how many of
        them (the last of the day) were booked.
    own_time_s, own_mode, own_money
        float64, int32, float64, shape (n_riders, n_purposes): the trip the
        rider would make by their own modes today (one-way time, mode, money
        of a round trip; inf and -1 where none), for trips the fleet refuses.
    expected_served
        float64, shape (n_riders,): the share of booked trips the rider
        expects the fleet to serve, learnt from their own past days (see
        :func:`twin.abm.vehicle.ParatransitService.account`); a rider books a
        purpose's trips on a day with this probability. 1 for a new rider.
    expected_extra_s
        float64, shape (n_riders,): the time per leg beyond the direct drive
        from home (the wait for the pickup, detours, stops) that the rider
        expects, learnt from their own served trips (same rule); for a new
        rider, what the service advertises: half the pickup window. A rider
        books when the direct drive plus this beats their own mode.
    """

    rider_of: np.ndarray
    resident: np.ndarray
    by_app: np.ndarray
    trips_today: np.ndarray
    booked: np.ndarray
    own_time_s: np.ndarray
    own_mode: np.ndarray
    own_money: np.ndarray
    expected_served: np.ndarray
    expected_extra_s: np.ndarray

    @classmethod
    def of(cls, n_residents: int, rider_resident: np.ndarray, by_app: np.ndarray,
           n_purposes: int, *, advertised_extra_s: float) -> Riders:
        """Riders ``rider_resident`` (ascending residents) of ``n_residents``,
        booking by app where ``by_app`` (one entry per rider), who expect a
        leg to take ``advertised_extra_s`` beyond the direct drive."""
        resident = np.asarray(rider_resident, dtype=np.int32)
        rider_of = np.full(n_residents, -1, dtype=np.int32)
        rider_of[resident] = np.arange(len(resident), dtype=np.int32)
        shape = (len(resident), n_purposes)
        return cls(rider_of, resident, np.asarray(by_app, dtype=np.bool_),
                   np.zeros(shape, dtype=np.int32), np.zeros(shape, dtype=np.int32),
                   np.full(shape, np.inf), np.full(shape, -1, dtype=np.int32), np.zeros(shape),
                   np.ones(len(resident)), np.full(len(resident), float(advertised_extra_s)))

    @classmethod
    def none(cls, n_residents: int, n_purposes: int) -> Riders:
        """Nobody books paratransit."""
        return cls.of(n_residents, np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.bool_), n_purposes,
                      advertised_extra_s=0.0)


class ServiceRules(NamedTuple):
    """Rules of a paratransit service (times in seconds from midnight).

    Attributes
    ----------
    multi_stop
        A rider's trips of the day chain into one journey.
    same_day
        Booked on the day (else the day before).
    start_s, end_s
        Service hours.
    span_s
        Trips are requested over ``[start_s, start_s + span_s)``.
    lead_s
        A same-day booking's lead time before its pickup.
    office_start_s, office_end_s
        Hours of the phone and assisted booking office.
    pickup_window_s
        Pickup window of a booking (the expected wait is half of it).
    dwell_s, activity_s
        Time at every stop, and at a destination.
    fare
        Fare per leg (model currency).
    """

    multi_stop: bool
    same_day: bool
    start_s: float
    end_s: float
    span_s: float
    lead_s: float
    office_start_s: float
    office_end_s: float
    pickup_window_s: float
    dwell_s: float
    activity_s: float
    fare: float

    @classmethod
    def off(cls) -> ServiceRules:
        """No service (the rules of a day without riders)."""
        return cls(False, False, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)

    def normalized(self) -> ServiceRules:
        """The same rules as the scalar types the kernels are compiled for."""
        return ServiceRules(bool(self.multi_stop), bool(self.same_day),
                            *(float(value) for value in self[2:]))


class LedgerArrays(NamedTuple):
    """The week's ledger, which the kernels add to (``n`` residents).

    Attributes
    ----------
    travel_time_s
        float64, shape (n, n_purposes).
    trips_made, unmet_trips
        int32, shape (n, n_purposes).
    paratransit_trips, paratransit_refused
        int32, shape (n,).
    paratransit_fare
        float64, shape (n,).
    travel_money
        float64, shape (n,): money spent on trips by car (model currency).
    car_trips
        int32, shape (n,): round trips made by car.
    transit_trips
        int32, shape (n,): round trips made by public transport to a
        destination (not the transit purpose's trips to a stop).
    transit_fare
        float64, shape (n,): fares paid for them.
    """

    travel_time_s: np.ndarray
    trips_made: np.ndarray
    unmet_trips: np.ndarray
    paratransit_trips: np.ndarray
    paratransit_refused: np.ndarray
    paratransit_fare: np.ndarray
    travel_money: np.ndarray
    car_trips: np.ndarray
    transit_trips: np.ndarray
    transit_fare: np.ndarray


class DayCounts(NamedTuple):
    """Trips of one day by mode, and unmet trips (paratransit's are counted
    by :func:`twin.core.bookings.account_paratransit`). ``transit``: trips by
    public transport, and the transit purpose's trips to a stop (of which the
    model times the walk to the stop)."""

    walk: int
    wheelchair: int
    car: int
    transit: int
    unmet: int


# --- checks --------------------------------------------------------------------


def _check_day_inputs(problems: Problems, residents: DayResidents, city: DayCity,
                      params: DayParams) -> tuple[int, int]:
    """Check the bundles every day kernel reads; (residents, purposes)."""
    r, c = residents, city
    n = length(r.home_node)
    n_purposes = length(c.walk_length_m, 1)
    n_walk = length(c.walk_to_drive)
    n_drive = length(c.drive_time_s)
    if n_purposes > MAX_PURPOSES:
        problems.add(f"at most {MAX_PURPOSES} purposes have random streams, got {n_purposes}")
    for name, dtype in (("wheelchair", np.bool_), ("has_car", np.bool_), ("speed_mps", np.float32),
                        ("max_trip_time_s", np.float32), ("parking_search_time_s", np.float32),
                        ("water_supply", np.int8), ("outage_days_per_week", np.float32),
                        ("water_queue_time_s", np.float32), ("water_served_share", np.float32)):
        problems.array(f"residents.{name}", getattr(r, name), dtype, (n,))
    problems.array("residents.water_length_m", r.water_length_m, np.float64, (n,))
    problems.array("residents.assisted_civic_m", r.assisted_civic_m, np.float64, (n,))
    problems.array("residents.transit_fare", r.transit_fare, np.float64, (n,))
    if problems.array("residents.value_of_time_per_min", r.value_of_time_per_min, np.float64, (n,)):
        if r.value_of_time_per_min.size and not r.value_of_time_per_min.min() > 0:
            problems.add("residents.value_of_time_per_min must be > 0")
    problems.array("residents.trips_per_week", r.trips_per_week, np.float32, (n, n_purposes))
    if problems.array("residents.home_node", r.home_node, np.int32, (n,)):
        problems.indices("residents.home_node", r.home_node, n_walk)
    for name in ("walk_length_m", "wheelchair_length_m", "walk_transit_s", "wheelchair_transit_s"):
        problems.array(f"city.{name}", getattr(c, name), np.float64, (n_walk, n_purposes))
    problems.array("city.drive_time_s", c.drive_time_s, np.float64, (n_drive, n_purposes))
    k = length(c.walk_choice_m, 2)
    if k >= MAX_CHOICE_SLOTS:
        problems.add(f"at most {MAX_CHOICE_SLOTS - 1} destinations per choice, got {k}")
    for name in ("walk_choice_m", "walk_choice_drive_s", "wheelchair_choice_m", "wheelchair_choice_drive_s",
                 "walk_choice_weight", "wheelchair_choice_weight"):
        problems.array(f"city.{name}", getattr(c, name), np.float64, (n_walk, n_purposes, k))
    _check_choice(problems, params.choice, n_purposes)
    n_zones = length(c.work_walk_m, 1)
    for name in ("work_walk_m", "work_wheelchair_m", "work_drive_s", "work_walk_transit_s",
                 "work_wheelchair_transit_s"):
        problems.array(f"city.{name}", getattr(c, name), np.float32, (n_walk, n_zones))
    if problems.array("city.work_drive_node", c.work_drive_node, np.int32, (n_zones,)):
        problems.indices("city.work_drive_node", c.work_drive_node, n_drive, missing=-1)
    if problems.array("residents.work_zone", r.work_zone, np.int32, (n,)):
        problems.indices("residents.work_zone", r.work_zone, n_zones, missing=-1)
    if problems.array("city.walk_to_drive", c.walk_to_drive, np.int32, (n_walk,)):
        problems.indices("city.walk_to_drive", c.walk_to_drive, n_drive)
    for name in ("water_purpose", "transit_purpose"):
        value = getattr(params, name)
        problems.scalar(f"params.{name}", value, isinstance(value, int) and 0 <= value < n_purposes,
                        f"a purpose index (int, 0 .. {n_purposes - 1})")
    for name in ("parking_walk_m", "water_trips_per_day"):
        value = getattr(params, name)
        problems.scalar(f"params.{name}", value, isinstance(value, float) and value >= 0,
                        "a float >= 0")
    return n, n_purposes


def _check_choice(problems: Problems, choice: ChoiceParams, n_purposes: int) -> None:
    problems.array("params.choice.chooses", choice.chooses, np.bool_, (n_purposes,))
    for name in ("logsum_coefficient", "walk_per_km", "car_time_per_min", "walk_constant", "car_constant",
                 "transit_constant", "transit_time_per_min"):
        problems.array(f"params.choice.{name}", getattr(choice, name), np.float64, (n_purposes,))
    for name in ("work_purpose", "assisted_purpose"):
        value = getattr(choice, name)
        problems.scalar(f"params.choice.{name}", value, isinstance(value, int) and -1 <= value < n_purposes,
                        f"a purpose index or -1 (int, -1 .. {n_purposes - 1})")
    for name in ("car_cost_per_km", "parking_cost_per_trip"):
        value = getattr(choice, name)
        problems.scalar(f"params.choice.{name}", value, isinstance(value, float) and value >= 0, "a float >= 0")


def _check_ledger(problems: Problems, ledger: LedgerArrays, n: int, n_purposes: int) -> None:
    for name in ("travel_time_s", "trips_made", "unmet_trips"):
        dtype = np.float64 if name == "travel_time_s" else np.int32
        problems.array(f"ledger.{name}", getattr(ledger, name), dtype, (n, n_purposes))
    for name in ("paratransit_trips", "paratransit_refused", "paratransit_fare", "travel_money", "car_trips",
                 "transit_trips", "transit_fare"):
        dtype = np.float64 if name in ("paratransit_fare", "travel_money", "transit_fare") else np.int32
        problems.array(f"ledger.{name}", getattr(ledger, name), dtype, (n,))


def _check_riders(problems: Problems, riders: Riders, n: int, n_purposes: int) -> None:
    n_riders = length(riders.resident)
    if problems.array("riders.rider_of", riders.rider_of, np.int32, (n,)):
        problems.indices("riders.rider_of", riders.rider_of, n_riders, missing=-1)
    if problems.array("riders.resident", riders.resident, np.int32, (n_riders,)):
        problems.indices("riders.resident", riders.resident, n)
    problems.array("riders.by_app", riders.by_app, np.bool_, (n_riders,))
    for name, dtype in (("trips_today", np.int32), ("booked", np.int32), ("own_time_s", np.float64),
                        ("own_mode", np.int32), ("own_money", np.float64)):
        problems.array(f"riders.{name}", getattr(riders, name), dtype, (n_riders, n_purposes))
    if problems.array("riders.expected_served", riders.expected_served, np.float64, (n_riders,)):
        if n_riders and not (riders.expected_served.min() >= 0.0 and riders.expected_served.max() <= 1.0):
            problems.add("riders.expected_served must be in [0, 1]")
    if problems.array("riders.expected_extra_s", riders.expected_extra_s, np.float64, (n_riders,)):
        if not np.isfinite(riders.expected_extra_s).all():
            problems.add("riders.expected_extra_s must be finite")


# --- public wrappers -------------------------------------------------------------


def simulate_day(
    day: int,
    seed: int,
    residents: DayResidents,
    city: DayCity,
    params: DayParams,
    ledger: LedgerArrays,
    *,
    riders: Riders | None = None,
    rules: ServiceRules | None = None,
    only: np.ndarray | None = None,
) -> DayCounts:
    """One day for every resident (or those in ``only``), split over
    threads; adds to ``ledger``.

    Riders (``riders``, with the service's ``rules``) book paratransit for
    a trip (not water fetching) when the expected paratransit one-way time,
    half the pickup window plus the drive to the nearest facility, is within
    their limit and shorter than their own best one-way time (inf when their
    own modes reach none), and the trip can be booked: by app or the day
    before, any trip; by phone or assisted on the same day, only trips whose
    booking, ``lead_s`` before the pickup, falls after the office opens (the
    day's later trips). Booked trips are counted in ``riders.trips_today``
    (all of today's trips for the purpose) and ``riders.booked`` (the last
    ``booked`` of them), which this resets first; a purpose with bookings is
    accounted whole after dispatch, with the trips refused by the fleet
    (:func:`twin.core.bookings.account_paratransit`). Everything else is
    made as by everyone else.

    Parameters
    ----------
    day, seed
        Day of the run (from 0) and the run's seed, both >= 0.
    residents, city, params
        The day's inputs (see each bundle).
    ledger
        The week's ledger; the day's trips are added to it.
    riders, rules
        Paratransit riders and rules; none when omitted.
    only
        int32 indices of the residents to simulate (every rider among
        them), in increasing order; all when omitted. Each resident's day
        depends on their own rows and streams alone, so theirs are as in a
        day of everyone.

    Returns
    -------
    The day's trips by mode and its unmet trips (not paratransit's), of the
    residents simulated.

    Raises
    ------
    ValueError
        Naming every problem with the bundles' dtypes, shapes and indices.
    """
    problems = Problems("simulate_day")
    n, n_purposes = _check_day_inputs(problems, residents, city, params)
    _check_ledger(problems, ledger, n, n_purposes)
    problems.scalar("day", day, 0 <= day < PHASE_DAY, f"in 0 .. {PHASE_DAY - 1}")
    problems.scalar("seed", seed, seed >= 0, ">= 0")
    if (riders is None) != (rules is None):
        problems.add("riders and rules go together: give both or neither")
    elif riders is None:
        riders, rules = Riders.none(n, n_purposes), ServiceRules.off()
    else:
        _check_riders(problems, riders, n, n_purposes)
        rules = rules.normalized()
    if only is None:
        only = np.arange(n, dtype=np.int32)
    elif problems.array("only", only, np.int32, (None,)):
        problems.indices("only", only, n)
    problems.raise_any()
    riders.trips_today.fill(0)
    riders.booked.fill(0)
    counts = split_range(_day_kernel, len(only), only, np.int64(day), np.int64(seed), residents, city, params,
                         riders, rules, ledger)
    return DayCounts(*(int(sum(c)) for c in zip(*counts)))


def best_one_way_times(residents: DayResidents, city: DayCity, params: DayParams) -> np.ndarray:
    """Best one-way time (s) to each purpose's nearest facility by the modes
    each resident has; inf where none reaches. float64, shape (n, n_purposes).
    """
    problems = Problems("best_one_way_times")
    n, n_purposes = _check_day_inputs(problems, residents, city, params)
    problems.raise_any()
    out = np.empty((n, n_purposes), dtype=np.float64)
    _best_one_way_times(residents, city, params, out)
    return out


def fetching_water(days: int, seed: int, residents: DayResidents, params: DayParams,
                   only: np.ndarray) -> np.ndarray:
    """Whether each of residents ``only`` (int32 indices) wants to fetch water
    on any of days ``0 .. days - 1``, as :func:`simulate_day` draws it.
    bool, shape (len(only),)."""
    problems = Problems("fetching_water")
    n = length(residents.water_supply)
    if problems.array("only", only, np.int32, (length(only),)):
        problems.indices("only", only, n)
    problems.raise_any()
    out = np.zeros(len(only), dtype=np.bool_)
    _fetching_water(np.int64(days), np.int64(seed), only, residents.water_supply, residents.outage_days_per_week,
                    np.float64(params.water_trips_per_day), out)
    return out


# --- kernels ---------------------------------------------------------------------


# The helpers take scalars, not the day's bundles (as twin.core.choice's):
# numba compiles each once, cheaply, and LLVM inlines them; the kernels read
# the bundles.


@kernel_helper
def one_way_time_s(foot_m, speed_mps, foot_mode, car_drive_s, parking_search_s, parking_walk_m):
    """Fastest one-way time (s) and the mode that gives it: on foot (or by
    wheelchair: ``foot_mode``) over ``foot_m`` at ``speed_mps``, or by car,
    ``car_drive_s`` (inf: no car) plus the parking search and the walk from
    the parking place; ``(inf, -1)`` when neither reaches."""
    best = foot_m / speed_mps
    mode = foot_mode
    if car_drive_s < np.inf:
        car = car_drive_s + parking_search_s + parking_walk_m / speed_mps
        if car < best:
            best = car
            mode = MODE_CAR
    if best == np.inf:
        mode = -1
    return best, mode


@kernel(inline="always")  # inlined: called per resident and purpose
def direct_drive_s(i, p, residents, city, work_purpose):
    """The direct drive of a paratransit trip of resident ``i`` for ``p``:
    to their workplace for work, else to the nearest facility by drive."""
    h = residents.home_node[i]
    if p == work_purpose:
        z = residents.work_zone[i]
        return np.float64(city.work_drive_s[h, z]) if z >= 0 else np.inf
    return city.drive_time_s[city.walk_to_drive[h], p]


@kernel(inline="always")  # inlined: called per resident and purpose
def add_money_by_mode(ledger, i, p, k, mode, money, transit_purpose):
    """Add ``k`` round trips of resident ``i`` for ``p`` by ``mode``, with
    ``money`` each, to the ledger's car and transit totals."""
    if mode == MODE_CAR:
        ledger.travel_money[i] += k * money
        ledger.car_trips[i] += k
    elif mode == MODE_TRANSIT and p != transit_purpose:
        ledger.transit_trips[i] += k
        ledger.transit_fare[i] += k * money


@kernel_helper
def count_by_mode(mode, k, walk, wheelchair, car, transit):
    """The day's trip counters by mode, with ``k`` trips by ``mode`` added
    (any other mode counts as transit)."""
    if mode == MODE_WALK:
        return walk + k, wheelchair, car, transit
    if mode == MODE_WHEELCHAIR:
        return walk, wheelchair + k, car, transit
    if mode == MODE_CAR:
        return walk, wheelchair, car + k, transit
    return walk, wheelchair, car, transit + k


@kernel_helper
def trips_today(day, seed, i, purpose, trips_per_week):
    """Number of trips resident ``i`` makes on ``day`` for ``purpose``,
    needed ``trips_per_week`` times a week (not water fetching)."""
    per_day = trips_per_week / DAYS_PER_WEEK
    phase = uniform(seed, PHASE_DAY, i, CHANNEL_TRIP_PHASE + purpose)
    return math.floor((day + 1) * per_day + phase) - math.floor(day * per_day + phase)


@kernel_helper
def water_trips_today(day, seed, i, piped, outage_days_per_week, water_trips_per_day):
    """Number of water fetches of resident ``i``'s household on ``day``:
    piped households fetch only on outage days."""
    if piped and uniform(seed, day, i, CHANNEL_OUTAGE) >= outage_days_per_week / DAYS_PER_WEEK:
        return 0
    whole = math.floor(water_trips_per_day)  # an int, as math.floor's below: no int() to compile
    extra = uniform(seed, day, i, CHANNEL_WATER_TRIPS) < water_trips_per_day - whole
    return whole + 1 if extra else whole


@kernel_helper
def trip_time_s(start_s, span_s, j, k, u):
    """Requested pickup time of trip ``j`` of the ``k`` trips a resident makes
    for one purpose today: spread over ``[start_s, start_s + span_s)`` with
    one random offset ``u`` per resident, purpose and day."""
    return start_s + span_s * ((j + u) / k)


@kernel_helper
def _paratransit_booked(day, seed, i, p, k, own_s, paratransit_drive_s, max_trip_time_s,
                        by_app, expected_served, expected_extra_s, rules):
    """How many of resident ``i``'s ``k`` trips for ``p`` today a rider books
    (the last ones of the day, see :func:`simulate_day`): none if the
    expected time by paratransit (``paratransit_drive_s`` plus
    ``expected_extra_s``) is over their limit or not faster than their own
    ``own_s``, and none with probability ``1 - expected_served``."""
    paratransit_s = expected_extra_s + paratransit_drive_s
    if not (paratransit_s <= max_trip_time_s and paratransit_s < own_s):
        return 0
    if uniform(seed, day, i, CHANNEL_BOOKING_TRY + p) >= expected_served:
        return 0
    if by_app or not rules.same_day:
        return k
    u = uniform(seed, day, i, CHANNEL_TRIP_TIME + p)
    booked = 0
    for j in range(k):
        if trip_time_s(rules.start_s, rules.span_s, j, k, u) - rules.lead_s >= rules.office_start_s:
            booked += 1
    return booked


@kernel(inline="always")
def _nearest_one_way_s(i, p, residents, city, params):
    """:func:`one_way_time_s` of resident ``i`` to the nearest facility of
    ``p`` (water: the household's point; no car to transit stops)."""
    h = residents.home_node[i]
    wheelchair = residents.wheelchair[i]
    if p == params.water_purpose:
        foot_m = residents.water_length_m[i]
    elif wheelchair:
        foot_m = city.wheelchair_length_m[h, p]
    else:
        foot_m = city.walk_length_m[h, p]
    car_s = np.inf
    if residents.has_car[i] and p != params.transit_purpose:
        car_s = city.drive_time_s[city.walk_to_drive[h], p]
    return one_way_time_s(foot_m, np.float64(residents.speed_mps[i]), MODE_WHEELCHAIR if wheelchair else MODE_WALK,
                          car_s, np.float64(residents.parking_search_time_s[i]), params.parking_walk_m)


@kernel(_nrt=False)  # _nrt=False: as _day_kernel's
def _fetching_water(days, seed, only, water_supply, outage_days_per_week, water_trips_per_day, out):
    """:func:`fetching_water` into ``out``."""
    for at in range(len(only)):
        i = np.int64(only[at])  # int64 as in the day kernel: the same draws
        for day in range(days):
            if water_trips_today(day, seed, i, water_supply[i] == WATER_PIPED,
                                 np.float64(outage_days_per_week[i]), water_trips_per_day) > 0:
                out[at] = True
                break


@kernel(_nrt=False)  # _nrt=False: as _day_kernel's
def _best_one_way_times(residents, city, params, out_time_s):
    n_residents, n_purposes = out_time_s.shape
    for i in range(n_residents):
        for p in range(n_purposes):
            out_time_s[i, p] = _nearest_one_way_s(i, p, residents, city, params)[0]


# Split over threads by twin.core.threads. _nrt=False: no reference
# counting, which the inlined helpers' array arguments otherwise cost on every
# call, inside branches where numba cannot prune it (numba issue #2350): 3x
# slower. The kernel allocates nothing, so it needs none.
@kernel(_nrt=False)
def _day_kernel(start, stop, only, day, seed, residents, city, params, riders, rules, ledger):
    """:func:`simulate_day` for residents ``only[start:stop]``; their
    (walk, wheelchair, car, transit, unmet) trip counts."""
    n_purposes = residents.trips_per_week.shape[1]
    # typed counters: literal 0s would compile count_by_mode once more, for Literal[int](0)
    walk_trips = wheelchair_trips = car_trips = transit_trips = np.int64(0)
    unmet_total = 0
    for at in range(start, stop):
        i = np.int64(only[at])  # int64 as in every other caller of the helpers
        r = riders.rider_of[i]
        max_trip_time_s = np.float64(residents.max_trip_time_s[i])
        for p in range(n_purposes):
            if p == params.water_purpose:
                k = water_trips_today(day, seed, i, residents.water_supply[i] == WATER_PIPED,
                                      np.float64(residents.outage_days_per_week[i]), params.water_trips_per_day)
            else:
                k = trips_today(day, seed, i, p, np.float64(residents.trips_per_week[i, p]))
            if k == 0:
                continue
            if params.choice.chooses[p]:
                t, mode, money = choose_trip(day, seed, i, p, residents, city, params)
            else:
                t, mode = _nearest_one_way_s(i, p, residents, city, params)
                money = 0.0
                if p == params.transit_purpose and mode >= 0:
                    mode = MODE_TRANSIT
            if r >= 0 and p != params.water_purpose:
                drive_s = direct_drive_s(i, p, residents, city, params.choice.work_purpose)
                booked = _paratransit_booked(day, seed, i, p, k, t, drive_s, max_trip_time_s,
                                             riders.by_app[r], riders.expected_served[r],
                                             riders.expected_extra_s[r], rules)
                riders.trips_today[r, p] = k
                riders.booked[r, p] = booked
                riders.own_time_s[r, p] = t
                riders.own_mode[r, p] = mode
                riders.own_money[r, p] = money
                if booked > 0:
                    continue  # all of today's trips for p are accounted after dispatch
            round_trip_s = 2.0 * t
            if p == params.water_purpose:
                round_trip_s += np.float64(residents.water_queue_time_s[i])
                # an overloaded point serves a share of the fetches; the rest get no water
                served = min(k, math.floor(k * np.float64(residents.water_served_share[i])
                                           + uniform(seed, day, i, CHANNEL_WATER_SERVED)))
                ledger.unmet_trips[i, p] += k - served
                unmet_total += k - served
                k = served
                if k == 0:
                    continue
            # inf included: unreachable is unmet; a fetch whose line makes the
            # round trip longer than two limits is given up, and unmet too
            if t > max_trip_time_s or round_trip_s > 2.0 * max_trip_time_s:
                ledger.unmet_trips[i, p] += k
                unmet_total += k
                continue
            ledger.travel_time_s[i, p] += k * round_trip_s
            ledger.trips_made[i, p] += k
            add_money_by_mode(ledger, i, p, k, mode, money, params.transit_purpose)
            walk_trips, wheelchair_trips, car_trips, transit_trips = count_by_mode(
                mode, k, walk_trips, wheelchair_trips, car_trips, transit_trips)
    return walk_trips, wheelchair_trips, car_trips, transit_trips, unmet_total
