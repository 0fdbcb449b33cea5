"""Paratransit in the Mesa layer: the service a scenario offers, one day at a
time, and its vehicles as Mesa agents.

:class:`ParatransitService` holds what a model needs for paratransit: who
rides and by which channel, the drive node of every nearest facility, the
zone travel times, the fleet, and the current day's requests and dispatch.
A day is (a) the day kernel, where riders book trips, (b)
:meth:`ParatransitService.dispatch_day` and (c)
:meth:`ParatransitService.account`; :class:`twin.abm.CityModel` calls them.
:class:`Vehicle` agents are views over the day's dispatch.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from twin.abm import inputs
from twin.abm.access import AccessFields, drive_facility_node, drive_zone_times
from twin.abm.agent import Agent
from twin.abm.water import updated
from twin.core.bookings import BookedDay, Trips, account_paratransit, paratransit_requests
from twin.core.daily import DayCity, DayResidents, LedgerArrays, Riders
from twin.core.dispatch import PICKUP, Dispatched, Requests, ZoneTimes, dispatch
from twin.residents.population import PURPOSES
from twin.world import World

WORK = PURPOSES.index("work")

CIRCUITY = 1.3
"""Network distance over straight-line distance, for ``Vehicle.km_today``
(assumption: the drive graph stores times, not lengths; road circuity
factors are commonly 1.2-1.4)."""


TOUR_COLUMNS = ("node", "lon", "lat", "time_s", "kind", "resident", "load")
"""Columns of :attr:`Vehicle.tour`."""


def central_depot(zones: ZoneTimes, x_m: np.ndarray, y_m: np.ndarray,
                  at_m: tuple[float, float] | None = None) -> int:
    """The drive node nearest ``at_m`` (default: the mean position) of the
    nodes that can reach and be reached from the zone network (assumption:
    one central depot, unless the scenario sites it)."""
    usable = np.flatnonzero(np.isfinite(zones.to_centre_s) & np.isfinite(zones.from_centre_s))
    cx, cy = at_m if at_m is not None else (x_m[usable].mean(), y_m[usable].mean())
    dx, dy = x_m[usable] - cx, y_m[usable] - cy
    return int(usable[np.argmin(dx * dx + dy * dy)])


class ParatransitService:
    """A model's paratransit: riders, destinations, travel times, fleet, and
    the current day's bookings and dispatch.

    Parameters
    ----------
    world
        A world with ``world.paratransit`` set.
    access
        The city's accessibility fields.
    zones
        The drive graph's zone travel times (to share them between models);
        loaded from the cache or computed when omitted.
    """

    def __init__(self, world: World, access: AccessFields, *, zones: ZoneTimes | None = None) -> None:
        self.service = world.paratransit
        by_app, at_office = self.service.booking_access(world)
        rider_resident = np.flatnonzero(by_app | at_office)
        self.rules = inputs.service_rules(world)
        self.riders = Riders.of(len(world.residents), rider_resident, by_app[rider_resident],
                                len(PURPOSES), advertised_extra_s=0.5 * self.rules.pickup_window_s)
        self.learning = world.travel.paratransit_learning
        self.zones = zones if zones is not None else drive_zone_times(world.city)
        self.facility_node = drive_facility_node(world.city, access)
        self.drive = world.city.streets["drive"]
        self.fleet = inputs.fleet(world, central_depot(self.zones, self.drive.x_m, self.drive.y_m,
                                                       world.paratransit_depot_m))
        self.requests: Requests | None = None
        self.trips: Trips | None = None
        self.dispatched: Dispatched | None = None

    def dispatch_day(self, day: int, seed: int, residents: DayResidents, city: DayCity) -> Dispatched:
        """(b): build today's requests from the riders' bookings and dispatch them."""
        self.requests, self.trips = paratransit_requests(
            day, seed, residents, city, self.riders, self.rules, self.facility_node, self.zones,
            work_purpose=WORK)
        self.dispatched = dispatch(self.requests, self.fleet, self.zones)
        return self.dispatched

    def account(self, day_inputs: tuple, ledger: LedgerArrays) -> BookedDay:
        """(c): add the riders' booked purposes of the day to ``ledger``,
        refused trips by the rider's own mode where they can
        (:func:`twin.core.bookings.account_paratransit`); then each rider who
        booked today moves their expected served share ``learning`` of the
        way to today's, and each rider served today their expected time per
        leg beyond the direct drive to today's mean over their served trips:
        the day-to-day rules by which demand settles to what the fleet
        serves, and riders stop booking a service slower than their own
        mode."""
        riders, trips, d = self.riders, self.trips, self.dispatched
        refused_before = ledger.paratransit_refused[riders.resident].copy()
        booked = account_paratransit(day_inputs, riders, trips, d, self.rules, ledger)
        n_riders = len(riders.resident)
        booked_trips = np.bincount(riders.rider_of[trips.resident], minlength=n_riders)
        refused = ledger.paratransit_refused[riders.resident] - refused_before
        learnt = booked_trips > 0
        riders.expected_served[learnt] = updated(
            riders.expected_served[learnt], (booked_trips[learnt] - refused[learnt]) / booked_trips[learnt],
            self.learning)
        # what a served trip took per leg beyond the direct drive the rider
        # booked on (trips own their legs in order; a trip with a refused leg
        # was made by the rider's own mode)
        residents, city, _ = day_inputs
        n_trips = len(trips.n_legs)
        leg_trip = np.repeat(np.arange(n_trips), trips.n_legs)
        served = np.bincount(leg_trip, weights=d.refused[trips.leg_request], minlength=n_trips) == 0
        trip_s = np.bincount(leg_trip, weights=d.leg_dropoff_s - d.leg_ready_s, minlength=n_trips)
        home = residents.home_node[trips.resident]
        drive_s = city.drive_time_s[city.walk_to_drive[home], trips.purpose]
        to_work = trips.purpose == WORK  # to the workplace (a rider books work only with one)
        drive_s[to_work] = city.work_drive_s[home[to_work], residents.work_zone[trips.resident[to_work]]]
        extra_s = (trip_s / trips.n_legs - drive_s)[served]
        rider = riders.rider_of[trips.resident[served]]
        served_trips = np.bincount(rider, minlength=n_riders)
        learnt = served_trips > 0
        mean_extra_s = np.bincount(rider, weights=extra_s, minlength=n_riders)[learnt] / served_trips[learnt]
        riders.expected_extra_s[learnt] = updated(riders.expected_extra_s[learnt], mean_extra_s, self.learning)
        return booked


class Vehicle(Agent):
    """One paratransit vehicle: a view over its part of the day's dispatch.

    ``index`` is its place in the fleet, which is the order in which
    requests are offered to vehicles.
    """

    def __init__(self, model, index: int) -> None:
        super().__init__(model)
        self.index = int(index)

    @property
    def _service(self) -> ParatransitService:
        return self.model.paratransit

    def _stops(self) -> slice:
        d = self._service.dispatched
        if d is None:
            return slice(0, 0)
        return slice(int(d.stop_indptr[self.index]), int(d.stop_indptr[self.index + 1]))

    @property
    def tour(self) -> pd.DataFrame:
        """Today's stops in order: drive ``node``, ``lon``, ``lat``,
        ``time_s`` (planned, seconds from midnight), ``kind`` (pickup or
        dropoff), ``resident`` and ``load`` (on board after the stop)."""
        svc, stops = self._service, self._stops()
        if svc.dispatched is None:
            return pd.DataFrame(columns=TOUR_COLUMNS)
        d = svc.dispatched
        node, leg = d.stop_node[stops], d.stop_leg[stops]
        return pd.DataFrame({
            "node": node,
            "lon": svc.drive.lon[node],
            "lat": svc.drive.lat[node],
            "time_s": d.stop_time_s[stops],
            "kind": np.where(d.stop_kind[stops] == PICKUP, "pickup", "dropoff"),
            "resident": svc.trips.leg_resident[leg],
            "load": d.stop_load[stops],
        })

    @property
    def km_today(self) -> float:
        """Distance driven today, depot to depot: straight lines between
        stops times :data:`CIRCUITY`."""
        svc, stops = self._service, self._stops()
        if stops.stop == stops.start:
            return 0.0
        depot = svc.fleet.depot
        path = np.concatenate(([depot], svc.dispatched.stop_node[stops], [depot]))
        x, y = svc.drive.x_m[path], svc.drive.y_m[path]
        return float(np.hypot(np.diff(x), np.diff(y)).sum() * CIRCUITY / 1000.0)

    @property
    def passengers_today(self) -> int:
        """Boardings today (a rider on a multi-stop journey boards at each leg)."""
        svc, stops = self._service, self._stops()
        if stops.stop == stops.start:
            return 0
        return int((svc.dispatched.stop_kind[stops] == PICKUP).sum())
