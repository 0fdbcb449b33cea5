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

from dataclasses import dataclass

import numpy as np
import pandas as pd

from twin.abm.access import AccessFields, drive_facility_node, drive_zone_times
from twin.abm.agent import Agent
from twin.core.daily import _account_paratransit, _paratransit_requests
from twin.core.dispatch import PICKUP, Dispatched, Fleet, Requests, ZoneTimes, dispatch
from twin.interventions.base import World
from twin.outcomes.ledger import Ledger
from twin.residents.population import PURPOSES

CIRCUITY = 1.3
"""Network distance over straight-line distance, for ``Vehicle.km_today``
(assumption: the drive graph stores times, not lengths; road circuity
factors are commonly 1.2-1.4)."""


TOUR_COLUMNS = ("node", "lon", "lat", "time_s", "kind", "resident", "load")
"""Columns of :attr:`Vehicle.tour`."""


@dataclass(frozen=True)
class Trips:
    """The booked trips of a day (see :func:`twin.core.daily._paratransit_requests`).

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


def central_depot(zones: ZoneTimes, x_m: np.ndarray, y_m: np.ndarray) -> int:
    """The drive node nearest the mean position of the nodes that can reach
    and be reached from the zone network (assumption: one central depot)."""
    usable = np.flatnonzero(np.isfinite(zones.to_centre_s) & np.isfinite(zones.from_centre_s))
    dx, dy = x_m[usable] - x_m[usable].mean(), y_m[usable] - y_m[usable].mean()
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
        service = world.paratransit
        self.service = service
        by_app, at_office = service.booking_access(world)
        self.rider_resident = np.flatnonzero(by_app | at_office).astype(np.int32)
        self.rider_of = np.full(len(world.residents), -1, dtype=np.int32)
        self.rider_of[self.rider_resident] = np.arange(len(self.rider_resident), dtype=np.int32)
        self.by_app = by_app[self.rider_resident]
        self.zones = zones if zones is not None else drive_zone_times(world.city)
        self.facility_node = drive_facility_node(world.city, access)
        drive = world.city.streets["drive"]
        self.drive = drive
        self.fleet = Fleet(
            n_vehicles=service.fleet_size,
            capacity=service.vehicle_capacity,
            depot=central_depot(self.zones, drive.x_m, drive.y_m),
            start_s=service.service_start_s,
            end_s=service.service_end_s,
            pickup_window_s=service.pickup_window_s,
            chained_window_s=service.chained_pickup_window_min.value * 60.0,
            dwell_s=float(service.dwell_time_s.value),
            max_ride_s=service.max_ride_time_min.value * 60.0,
            activity_s=service.activity_time_s,
        )
        shape = (len(self.rider_resident), len(PURPOSES))
        self.trips_today = np.zeros(shape, dtype=np.int32)
        self.booked = np.zeros(shape, dtype=np.int32)
        self.requests: Requests | None = None
        self.trips: Trips | None = None
        self.dispatched: Dispatched | None = None

    @property
    def same_day(self) -> bool:
        return self.service.booking == "same_day"

    @property
    def lead_s(self) -> float:
        return self.service.same_day_lead_min.value * 60.0

    @property
    def office_hours_s(self) -> tuple[float, float]:
        start_h, end_h = self.service.phone_office_hours
        return start_h * 3600.0, end_h * 3600.0

    def day_kernel_args(self) -> tuple:
        """Arguments of :func:`twin.core.daily._simulate_day_paratransit`
        after the ones it shares with ``_simulate_day``, before the ledger;
        clears today's booking counts."""
        self.trips_today.fill(0)
        self.booked.fill(0)
        s = self.service
        return (self.rider_of, self.by_app, self.same_day, 0.5 * s.pickup_window_s,
                s.service_start_s, s.trip_span_s, self.lead_s, self.office_hours_s[0],
                self.trips_today, self.booked)

    def dispatch_day(self, day: int, seed: int, home_node: np.ndarray,
                     home_drive_node: np.ndarray) -> Dispatched:
        """(b): build today's requests from the riders' bookings and dispatch them."""
        s = self.service
        out = _paratransit_requests(
            day, seed, self.rider_resident, self.by_app, self.trips_today, self.booked,
            home_node, home_drive_node, self.facility_node, s.multi_stop, self.same_day,
            s.service_start_s, s.service_end_s, s.trip_span_s, self.lead_s,
            self.office_hours_s[1], s.pickup_window_s, self.fleet.dwell_s, s.activity_time_s,
            *self.zones.arrays(),
        )
        self.requests = Requests(*out[:6])
        self.trips = Trips(*out[7:], leg_request=out[6])
        self.dispatched = dispatch(self.requests, self.fleet, self.zones)
        return self.dispatched

    def account(self, ledger: Ledger) -> tuple[int, int]:
        """(c): add today's dispatched trips to ``ledger``; returns (trips
        made, trips refused)."""
        t, d = self.trips, self.dispatched
        made, refused = _account_paratransit(
            t.resident, t.purpose, t.first_leg, t.n_legs, t.leg_request, d.request_vehicle,
            d.leg_ready_s, d.leg_dropoff_s, float(self.service.fare.value),
            ledger.travel_time_s, ledger.trips_made, ledger.unmet_trips,
            ledger.paratransit_trips, ledger.paratransit_refused, ledger.paratransit_fare,
        )
        return int(made), int(refused)


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
