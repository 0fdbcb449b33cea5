"""What a run consumes, below both the Mesa layer (:mod:`twin.abm`) and the
interventions (:mod:`twin.interventions`): the :class:`World` of one
scenario and the :class:`TravelParams` shared by all its residents.
Interventions change a world; ``CityModel`` runs it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from twin.city.arrays import City
from twin.residents.model import ResidentModel
from twin.residents.population import Residents

if TYPE_CHECKING:  # annotation only: interventions import this module
    from twin.interventions.paratransit import Paratransit
    from twin.transit.timetable import Timetable


@dataclass(frozen=True)
class Transit:
    """Public transport on offer (a scenario's ``transit:``).

    Attributes
    ----------
    timetable
        The connections of the service day (interventions may add trips).
    fare
        Full fare of a one-way trip (model currency).
    fare_paid
        float64 per resident: what each resident pays a one-way trip
        (the fare, less any subsidy).
    """

    timetable: Timetable
    fare: float
    fare_paid: np.ndarray


CHOICE_TABLES = ("logsum_coefficient", "walk_per_km", "car_time_per_min", "walk_constant",
                 "car_user_constant", "car_density_coefficient", "transit_constant", "transit_time_per_min")
"""The per-purpose tables of a resident model's ``choice`` section."""


@dataclass(frozen=True)
class TravelParams:
    """Travel assumptions shared by all residents (from the resident model).

    Attributes
    ----------
    parking_search_time_s
        Search for a parking place per car trip.
    parking_walk_m
        Walk from the parking place to the destination.
    water_trips_per_day
        Water fetching trips per resident per day without piped water
        (and with piped water on outage days).
    water_fill_s
        Time to fill one container at a water point's tap.
    water_open_s
        Time a water point is open per day.
    water_points_considered
        Nearest water points a household chooses among.
    water_learning
        Share of the way a household's expected wait moves to each day's wait.
    paratransit_learning
        Share of the way a rider's expected served share moves to each day's.
    median_income
        Median yearly income of the resident model (model currency).
    value_of_time_per_hour, value_of_time_income_elasticity
        Value of travel time at the median income, and its elasticity to income.
    car_cost_per_km, parking_cost_per_trip
        Money costs of a car trip.
    transit_fare_budget_share
        Largest share of a day's income a resident spends on a round trip's
        fares; None: no limit.
    destinations_considered
        Nearest facilities weighed for a purpose with a choice.
    choice_by_purpose
        Each choice parameter (``twin.residents.model.Choice``'s tables) by
        purpose in ``CHOICE_PURPOSES``.
    """

    parking_search_time_s: float
    parking_walk_m: float
    water_trips_per_day: float
    water_fill_s: float
    water_open_s: float
    water_points_considered: int
    water_learning: float
    median_income: float
    value_of_time_per_hour: float
    value_of_time_income_elasticity: float
    car_cost_per_km: float
    parking_cost_per_trip: float
    destinations_considered: int
    choice_by_purpose: dict[str, dict[str, float]]
    paratransit_learning: float
    transit_fare_budget_share: float | None = None

    @classmethod
    def from_model(cls, model: ResidentModel) -> TravelParams:
        """The travel assumptions of a resident model."""
        return cls(
            parking_search_time_s=float(model.travel.parking_search_time_s.value),
            parking_walk_m=float(model.travel.parking_walk_m.value),
            water_trips_per_day=float(model.water.trips_per_day.value),
            water_fill_s=60.0 * model.water.container_l.value / model.water.tap_flow_l_per_min.value,
            water_open_s=3600.0 * model.water.open_hours_per_day.value,
            water_points_considered=int(model.water.points_considered.value),
            water_learning=float(model.water.expectation_learning.value),
            median_income=float(model.income.quantile(np.array([0.5]))[0]),
            value_of_time_per_hour=float(model.travel.value_of_time_per_hour.value),
            value_of_time_income_elasticity=float(model.travel.value_of_time_income_elasticity.value),
            car_cost_per_km=float(model.travel.car_cost_per_km.value),
            parking_cost_per_trip=float(model.travel.parking_cost_per_trip.value),
            destinations_considered=int(model.choice.destinations_considered.value),
            choice_by_purpose={name: dict(getattr(model.choice, name).values) for name in CHOICE_TABLES},
            paratransit_learning=float(model.travel.paratransit_expectation_learning.value),
            transit_fare_budget_share=(None if model.travel.transit_fare_budget_share is None
                                       else float(model.travel.transit_fare_budget_share.value)),
        )



@dataclass(frozen=True)
class World:
    """Everything a run consumes: one scenario's city, residents and services.

    Attributes
    ----------
    city
        The compiled city (interventions may add facilities).
    residents
        The residents (interventions change a copy).
    travel
        Shared travel assumptions of the resident model.
    parking_search_time_s
        float32 per resident: parking search per car trip.
    assisted_booking
        bool per resident: can book services in person at an access centre.
    assisted_civic_length_m
        float64 per resident: distance on their own network to the access
        centre where a resident who cannot use apps does civic business with
        help; inf where none within reach (or the resident uses apps).
    paratransit
        The paratransit service on offer, if any.
    transit
        Public transport on offer, if any.
    paratransit_depot_m
        Projected (x, y) the paratransit depot is sited at (it goes to the
        nearest drive node vehicles can use); None: a central depot.
    work_zone
        int32 per resident: the work zone drawn once for the resident
        (:func:`twin.abm.workplaces.with_workplaces`, before interventions;
        -1: none within reach); None until drawn.
    people_per_resident
        People of the city each simulated resident stands for
        (:attr:`twin.outcomes.expansion.Expansion.weight`): shared facilities
        such as water points are loaded by people, not by sample rows.
    """

    city: City
    residents: Residents
    travel: TravelParams
    parking_search_time_s: np.ndarray
    assisted_booking: np.ndarray
    assisted_civic_length_m: np.ndarray
    paratransit: Paratransit | None = None
    people_per_resident: float = 1.0
    paratransit_depot_m: tuple[float, float] | None = None
    transit: Transit | None = None
    work_zone: np.ndarray | None = None

    @classmethod
    def baseline(cls, city: City, residents: Residents, travel: TravelParams, *,
                 people_per_resident: float = 1.0, timetable: Timetable | None = None,
                 fare: float = 0.0) -> World:
        """The world with no intervention; with public transport by
        ``timetable`` at ``fare`` a one-way trip when one is given."""
        n = len(residents)
        return cls(
            city=city,
            residents=residents,
            travel=travel,
            parking_search_time_s=np.full(n, travel.parking_search_time_s, dtype=np.float32),
            assisted_booking=np.zeros(n, dtype=bool),
            assisted_civic_length_m=np.full(n, np.inf),
            people_per_resident=float(people_per_resident),
            transit=None if timetable is None else Transit(timetable, float(fare), np.full(n, float(fare))),
        )

    def replace(self, **changes: Any) -> World:
        """A copy with ``changes``; arrays not named are shared, not copied."""
        return dataclasses.replace(self, **changes)
