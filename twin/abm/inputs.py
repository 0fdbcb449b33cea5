"""The kernels' input bundles, built from a world in one place.

Every bundle the core kernels take (:mod:`twin.core.daily`,
:mod:`twin.core.bookings`, :mod:`twin.core.dispatch`) is made here from the
scenario's world, the city's accessibility fields and the ledger, by field
name, so an array can never land in another's place.
"""

from __future__ import annotations

import numpy as np

from twin.abm.access import AccessFields
from twin.abm.water import WaterChoice
from twin.core.daily import DayCity, DayParams, DayResidents, LedgerArrays, ServiceRules
from twin.core.dispatch import Fleet
from twin.outcomes.ledger import Ledger
from twin.residents.population import PURPOSES
from twin.world import World


def day_residents(world: World, water: WaterChoice) -> DayResidents:
    """The residents' rows the day kernel reads (the arrays, not copies:
    ``water``'s choice of points changes them in place from day to day)."""
    r = world.residents
    return DayResidents(
        home_node=r.home_node,
        wheelchair=r.wheelchair,
        has_car=r.has_car,
        speed_mps=r.speed_mps,
        max_trip_time_s=r.max_trip_time_s,
        parking_search_time_s=world.parking_search_time_s,
        trips_per_week=r.trips_per_week,
        water_supply=r.water_supply,
        outage_days_per_week=r.outage_days_per_week,
        water_queue_time_s=water.time_at_point_s,
        water_length_m=water.length_m,
        water_served_share=water.served_share,
    )


def day_city(access: AccessFields) -> DayCity:
    """The accessibility fields the day kernel reads."""
    return DayCity(
        walk_length_m=access.walk_length_m,
        wheelchair_length_m=access.wheelchair_length_m,
        drive_time_s=access.drive_time_s,
        walk_to_drive=access.walk_to_drive,
    )


def day_params(world: World) -> DayParams:
    """The day's scalars, from the world's travel assumptions."""
    return DayParams(
        water_purpose=PURPOSES.index("water"),
        transit_purpose=PURPOSES.index("transit"),
        parking_walk_m=float(world.travel.parking_walk_m),
        water_trips_per_day=float(world.travel.water_trips_per_day),
    )


def ledger_arrays(ledger: Ledger) -> LedgerArrays:
    """The ledger's arrays, which the kernels add to."""
    return LedgerArrays(**{name: getattr(ledger, name) for name in LedgerArrays._fields})


def service_rules(world: World) -> ServiceRules:
    """The rules of ``world.paratransit`` (which must be set)."""
    s = world.paratransit
    office_start_h, office_end_h = s.phone_office_hours
    return ServiceRules(
        multi_stop=bool(s.multi_stop),
        same_day=s.booking == "same_day",
        start_s=float(s.service_start_s),
        end_s=float(s.service_end_s),
        span_s=float(s.trip_span_s),
        lead_s=s.same_day_lead_min.value * 60.0,
        office_start_s=office_start_h * 3600.0,
        office_end_s=office_end_h * 3600.0,
        pickup_window_s=float(s.pickup_window_s),
        dwell_s=float(s.dwell_time_s.value),
        activity_s=float(s.activity_time_s),
        fare=float(s.fare.value),
    )


def fleet(world: World, depot: int) -> Fleet:
    """The vehicles of ``world.paratransit``, all based at ``depot``."""
    s = world.paratransit
    return Fleet(
        n_vehicles=int(s.fleet_size),
        capacity=int(s.vehicle_capacity),
        depot=np.int32(depot),
        start_s=float(s.service_start_s),
        end_s=float(s.service_end_s),
        pickup_window_s=float(s.pickup_window_s),
        chained_window_s=s.chained_pickup_window_min.value * 60.0,
        dwell_s=float(s.dwell_time_s.value),
        max_ride_s=s.max_ride_time_min.value * 60.0,
        activity_s=float(s.activity_time_s),
    )
