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
from twin.city.arrays import derived
from twin.core.choice import NO_PURPOSE, ChoiceParams, WorkZoneFields, foot_weights
from twin.core.daily import DayCity, DayParams, DayResidents, LedgerArrays, ServiceRules
from twin.core.dispatch import Fleet
from twin.outcomes.ledger import Ledger
from twin.residents.population import CHOICE_PURPOSES, PURPOSES
from twin.transit.fields import TransitFields
from twin.world import World

DAYS_PER_YEAR = 365.0
"""Days a yearly income is spread over for the fare budget."""


def day_residents(world: World, water: WaterChoice) -> DayResidents:
    """The residents' rows the day kernel reads (the arrays, not copies:
    ``water``'s choice of points changes them in place from day to day);
    ``world``'s workplaces must be drawn
    (:func:`twin.abm.workplaces.with_workplaces`)."""
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
        value_of_time_per_min=value_of_time_per_min(world),
        assisted_civic_m=world.assisted_civic_length_m,
        transit_fare=transit_fare(world),
        work_zone=world.work_zone,
    )


def transit_fare(world: World) -> np.ndarray:
    """What each resident pays a one-way trip by public transport: inf
    where there is none, or where a round trip's fares exceed the model's
    share of a day's income (``transit_fare_budget_share``)."""
    n = len(world.residents)
    if world.transit is None:
        return np.full(n, np.inf)
    fare = np.asarray(world.transit.fare_paid, dtype=np.float64)
    share = world.travel.transit_fare_budget_share
    if share is None:
        return fare.copy()
    daily_income = np.asarray(world.residents.income, dtype=np.float64) / DAYS_PER_YEAR
    return np.where(2.0 * fare <= share * daily_income, fare, np.inf)


def value_of_time_per_min(world: World) -> np.ndarray:
    """Each resident's value of travel time (model currency per minute): the
    model's value at the median income, scaled by (income / median) to the
    power of its income elasticity."""
    t = world.travel
    relative = np.asarray(world.residents.income, dtype=np.float64) / t.median_income
    return t.value_of_time_per_hour / 60.0 * relative ** t.value_of_time_income_elasticity


def day_city(access: AccessFields, choice: ChoiceParams, work: WorkZoneFields,
             transit: TransitFields | None = None) -> DayCity:
    """The accessibility fields the day kernel reads, with the walking
    weights of ``choice``'s destination choice, the travel to the ``work``
    zones and the ``transit`` fields (journeys with a ride,
    :func:`twin.transit.transit_fields`; none: no public transport)."""
    no_service = np.full(access.walk_length_m.shape, np.inf)
    return DayCity(
        walk_length_m=access.walk_length_m,
        wheelchair_length_m=access.wheelchair_length_m,
        drive_time_s=access.drive_time_s,
        walk_to_drive=access.walk_to_drive,
        walk_choice_m=access.walk_choice_m,
        walk_choice_drive_s=access.walk_choice_drive_s,
        wheelchair_choice_m=access.wheelchair_choice_m,
        wheelchair_choice_drive_s=access.wheelchair_choice_drive_s,
        walk_choice_weight=_shared_foot_weights(access.walk_choice_m, choice.walk_per_km),
        wheelchair_choice_weight=_shared_foot_weights(access.wheelchair_choice_m, choice.walk_per_km),
        walk_transit_s=no_service if transit is None else transit.walk_time_s.astype(np.float64),
        wheelchair_transit_s=no_service if transit is None else transit.wheelchair_time_s.astype(np.float64),
        work_walk_m=work.walk_m,
        work_wheelchair_m=work.wheelchair_m,
        work_drive_s=work.drive_s,
        work_walk_transit_s=work.walk_transit_s,
        work_wheelchair_transit_s=work.wheelchair_transit_s,
        work_drive_node=work.drive_node,
    )


def _shared_foot_weights(choice_m: np.ndarray, walk_per_km: np.ndarray) -> np.ndarray:
    """:func:`~twin.core.choice.foot_weights`, computed once per choice-set
    array and resident model (:func:`twin.city.arrays.derived`): every model
    of a run whose scenario keeps the city's choice sets reads the same
    weights, which no kernel writes (a whole-city exp per model was over a
    quarter of a small run's time)."""
    per_km = tuple(np.asarray(walk_per_km, dtype=np.float64).tolist())
    return derived(f"foot weights at {per_km} per km", (choice_m,), lambda: foot_weights(choice_m, walk_per_km))


def day_params(world: World) -> DayParams:
    """The day's scalars, from the world's travel assumptions."""
    return DayParams(
        water_purpose=PURPOSES.index("water"),
        transit_purpose=PURPOSES.index("transit"),
        parking_walk_m=float(world.travel.parking_walk_m),
        water_trips_per_day=float(world.travel.water_trips_per_day),
        choice=choice_params(world),
    )


def choice_params(world: World) -> ChoiceParams:
    """Destination and mode choice of the world's resident model; the car
    constant's density term takes the simulated residents' share with a car
    (weighted alike, so it does not depend on the sample's size)."""
    t = world.travel
    tables = t.choice_by_purpose

    def by_purpose(values: dict[str, float]) -> np.ndarray:
        out = np.zeros(len(PURPOSES), dtype=np.float64)
        for purpose, value in values.items():
            out[PURPOSES.index(purpose)] = value
        return out

    car_density = float(np.mean(world.residents.has_car)) if len(world.residents) else 0.0
    chooses = np.isin(np.array(PURPOSES), CHOICE_PURPOSES)
    return ChoiceParams(
        chooses=chooses,
        work_purpose=PURPOSES.index("work") if "work" in CHOICE_PURPOSES else NO_PURPOSE,
        assisted_purpose=PURPOSES.index("civic") if "civic" in CHOICE_PURPOSES else NO_PURPOSE,
        logsum_coefficient=by_purpose(tables["logsum_coefficient"]),
        walk_per_km=by_purpose(tables["walk_per_km"]),
        car_time_per_min=by_purpose(tables["car_time_per_min"]),
        walk_constant=by_purpose(tables["walk_constant"]),
        car_constant=by_purpose(tables["car_user_constant"])
        + car_density * by_purpose(tables["car_density_coefficient"]),
        car_cost_per_km=float(t.car_cost_per_km),
        parking_cost_per_trip=float(t.parking_cost_per_trip),
        transit_constant=by_purpose(tables["transit_constant"]),
        transit_time_per_min=by_purpose(tables["transit_time_per_min"]),
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
