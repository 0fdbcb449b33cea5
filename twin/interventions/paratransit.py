"""Paratransit: a demand-responsive fleet on the drive network for residents
who cannot travel on their own (wheelchair users, reduced mobility, older
age), booked by app, phone or assisted at an access centre.

``apply`` only puts the service into the world; what it does happens each
simulated day (:mod:`twin.abm.vehicle`):

- Riders are eligible residents with a usable booking channel. A rider books
  a trip (not water fetching) when the expected paratransit one-way time
  (half the pickup window + the drive to the nearest facility) is within
  their limit and shorter than their own best one-way time (or their own
  modes cannot make it at all), and the trip can be booked (same-day phone
  and assisted bookings only once the office has opened).
- Trips get times of day spread over the service hours. Without
  ``multi_stop`` each trip is two one-leg bookings, out and back, each with
  its own wait; with it, the rider's trips of the day are one journey home ->
  f1 -> ... -> home in one vehicle, with one wait at the first pickup and
  short planned waits after each activity.
- :mod:`twin.core.dispatch` assigns the bookings to vehicles. A trip with a
  refused leg is unmet (even if only its return was refused); a served trip
  adds its waits and rides to the rider's travel time, and a fare per leg.

Sources: US ADA paratransit (GAO-13-17) costs USD 29.30 per trip against a
fare of about USD 2, with next-day booking in business hours, and a pickup
that may be negotiated up to +/- 1 h from the request (49 CFR 37.131). No
standard 30-minute pickup window or passengers per vehicle-hour was found:
those stay labelled assumptions in the scenario files.

The depot is central unless ``siting`` places it over the eligible
residents (all of them, or those a data source sees) or ``depot`` gives it.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from twin._validation import Problem, ProblemsError
from twin.config import NonNegative, Number, Positive, Value
from twin.errors import ConfigError
from twin.interventions.base import Intervention, register
from twin.interventions.sites import FromData, Site, given_sites, sited_by_demand
from twin.world import World

Hour = Annotated[Number, Field(ge=0, le=24)]
"""A clock hour of the simulated day, 0-24 (fractions allowed: 7.5 = 07:30)."""

Channel = Literal["app", "phone", "assisted"]
"""``app`` needs ``can_use_apps``; ``phone`` a phone and office hours;
``assisted`` an access centre within reach (``World.assisted_booking``), open
in the same office hours."""


class Eligibility(BaseModel):
    """Who may ride: any resident meeting one of the conditions.

    ``min_age_band`` is an index into the resident model's ``age_bands``:
    residents in that band or an older one are eligible (None: age alone
    does not qualify).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    wheelchair: Annotated[bool, Field(strict=True)]
    reduced_mobility: Annotated[bool, Field(strict=True)]
    min_age_band: Annotated[int, Field(ge=0, strict=True)] | None = None

    def eligible(self, residents) -> np.ndarray:
        """bool per resident."""
        out = np.zeros(len(residents), dtype=bool)
        if self.wheelchair:
            out |= residents.wheelchair
        if self.reduced_mobility:
            out |= residents.reduced_mobility
        if self.min_age_band is not None:
            out |= residents.age_band >= self.min_age_band
        return out


def _assumption(value: float, text: str, bound=NonNegative):
    """A default that stands for the world, labelled as an assumption."""
    return Value[bound](value=value, source=f"assumption: {text}")


@register
class Paratransit(FromData, Intervention):
    """Parameters
    ----------
    fleet_size
        Vehicles in service (0: every booking is refused).
    vehicle_capacity
        Passengers on board at once (wheelchair places).
    service_hours
        ``[start_h, end_h]``: vehicles leave the depot at the start and are
        back by the end; every pickup and drop-off falls in between.
    booking_channels
        How riders can book (at least one).
    phone_office_hours
        ``[start_h, end_h]`` when the booking office answers the phone and
        access centres book on residents' behalf.
    booking
        ``day_before``: all of a day's bookings are known when it starts;
        ``same_day``: a booking arrives ``same_day_lead_min`` before its
        pickup (by phone or assisted: within office hours).
    eligibility
        Who may ride.
    fare
        Fare per leg (one boarding), in the resident model's currency.
    multi_stop
        Whether a rider's trips of the day chain into one journey.
    pickup_window_min
        Width of the window after the requested time in which the vehicle
        may arrive; the rider waits from the requested time to the pickup.
    dwell_time_s
        Time at each stop to board or alight.
    activity_time_min
        Time at a destination before the rider travels on.
    max_ride_time_min
        Longest time on board for one leg.
    same_day_lead_min
        How long before the pickup a same-day booking is made.
    chained_pickup_window_min
        Multi-stop journeys: window after an activity ends in which the
        vehicle planned for the journey arrives (the journey's later waits).
    siting
        Where the depot is: omitted, central (the drive node nearest the
        middle of the drive network, as before); ``{from: need}``, at the
        drive node nearest the 1-median of the eligible residents' homes;
        ``{from: SOURCE}``, of the eligible residents a data source sees.
    depot
        A given depot (``lon``, ``lat``; the drive node nearest it), e.g.
        placed by residents at a workshop; exclusive with ``siting``.
    """

    learns: ClassVar[bool] = True  # riders learn the served share and the time a ride takes
    type: Literal["paratransit"] = "paratransit"
    fleet_size: Annotated[int, Field(ge=0, strict=True)]
    vehicle_capacity: Annotated[int, Field(ge=1, strict=True)]
    service_hours: tuple[Hour, Hour]
    booking_channels: Annotated[list[Channel], Field(min_length=1)]
    phone_office_hours: tuple[Hour, Hour]
    booking: Literal["same_day", "day_before"]
    eligibility: Eligibility
    fare: Value[NonNegative]
    multi_stop: Annotated[bool, Field(strict=True)]
    pickup_window_min: Value[Positive]
    dwell_time_s: Value[Positive]
    activity_time_min: Value[NonNegative] = _assumption(
        45, "time at a destination (clinic, shop, office) before travelling on")
    max_ride_time_min: Value[Positive] = _assumption(
        60, "longest ride on one leg; ADA asks only for times comparable to fixed-route trips",
        Positive)
    same_day_lead_min: Value[NonNegative] = _assumption(
        60, "a same-day booking is made an hour before the pickup")
    chained_pickup_window_min: Value[Positive] = _assumption(
        10, "within a booked multi-stop journey the vehicle returns within 10 min of the activity's end",
        Positive)
    depot: Site | None = None

    @model_validator(mode="after")
    def _hours(self) -> Paratransit:
        problems = []
        for name in ("service_hours", "phone_office_hours"):
            start_h, end_h = getattr(self, name)
            if start_h >= end_h:
                problems.append(Problem(name, f"start {start_h} is not before end {end_h}",
                                        "write [start_h, end_h] within one day, e.g. [7, 19]"))
        if not problems and self.trip_span_s <= 0:
            problems.append(Problem("service_hours", "leave no time for a trip",
                                    "make them longer than activity_time_min plus two pickup windows"))
        if self.depot is not None and self.siting is not None:
            problems.append(Problem("depot", "is given and sited (siting) at once",
                                    "drop siting to use the given depot, or drop depot to site it"))
        if problems:
            raise ProblemsError(problems)
        return self

    @property
    def service_start_s(self) -> float:
        return self.service_hours[0] * 3600.0

    @property
    def service_end_s(self) -> float:
        return self.service_hours[1] * 3600.0

    @property
    def pickup_window_s(self) -> float:
        return self.pickup_window_min.value * 60.0

    @property
    def activity_time_s(self) -> float:
        return self.activity_time_min.value * 60.0

    @property
    def trip_span_s(self) -> float:
        """Requested outbound pickups fall in ``[start, start + span)``,
        leaving room at the end of service for the activity and the return."""
        return (self.service_end_s - self.service_start_s
                - self.activity_time_s - 2.0 * self.pickup_window_s)

    def booking_access(self, world: World) -> tuple[np.ndarray, np.ndarray]:
        """Who can book, and how: bool per resident.

        Returns
        -------
        by_app
            Eligible and can book by app (any time).
        at_office
            Eligible and can book by phone or assisted (in office hours).
            A smartphone owner has a phone even where an intervention gave
            the smartphone without setting ``phone``.
        """
        r = world.residents
        eligible = self.eligibility.eligible(r)
        channels = set(self.booking_channels)
        by_app = eligible & r.can_use_apps if "app" in channels else np.zeros(len(r), dtype=bool)
        office = np.zeros(len(r), dtype=bool)
        if "phone" in channels:
            office |= r.phone | r.smartphone
        if "assisted" in channels:
            office |= world.assisted_booking
        return by_app, eligible & office

    def apply(self, world: World, *, seed: int, instance: int = 0) -> World:
        if self.depot is not None:
            try:
                (x_m,), (y_m,) = given_sites(world.city, [self.depot])
            except ConfigError as error:  # outside the city: one line naming the field
                raise ConfigError(error.message, field="depot",
                                  fix="give lon/lat inside the city, or leave depot out") from None
            return world.replace(paratransit=self, paratransit_depot_m=(float(x_m), float(y_m)))
        if self.siting is None:
            return world.replace(paratransit=self)
        r = world.residents
        need = self.eligibility.eligible(r) & self.seen(r, seed=seed)
        if not need.any():
            raise self.unseen_error()
        x_m, y_m = sited_by_demand(world.city, r.home_node[need], 1, None)
        return world.replace(paratransit=self, paratransit_depot_m=(float(x_m[0]), float(y_m[0])))
