"""The ledger: what each resident's simulated days cost them.

Accumulated by the day kernel; reported per resident per week (totals over
the simulated days scaled by 7 / days, exact when a run is 7 days long).
Unmet trips add no time: they are counted separately, never averaged in.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass

import numpy as np
import pandas as pd

from twin.core.daily import DAYS_PER_WEEK
from twin.core.tally import water_levels, weekly_columns
from twin.residents.population import PURPOSES, WATER_SUPPLIES, Residents

JMP_BASIC_ROUND_TRIP_S = 30 * 60
"""JMP (WHO/UNICEF) ladder: basic water service = improved source with a
collection round trip, queueing included, of at most 30 minutes."""

CLINIC_WITHIN_S = 30 * 60
"""Health facility reachable one way within 30 minutes (issue #2 outcome)."""

WATER_SERVICE_LEVELS = ("piped", "basic", "limited", "no_access")
"""``piped``: on premises; ``basic`` / ``limited``: off premises with a round
trip (incl. queue) within / over 30 min; ``no_access``: no water point reachable."""


@dataclass
class Ledger:
    """Running totals over the simulated days, one row per resident.

    Attributes
    ----------
    days
        Days simulated so far.
    travel_time_s
        float64, shape (n, len(PURPOSES)): time on trips that were made.
    trips_made, unmet_trips
        int32, shape (n, len(PURPOSES)).
    paratransit_trips
        int32, shape (n,): trips made by paratransit (also in ``trips_made``).
    paratransit_refused
        int32, shape (n,): trips booked by paratransit and refused (also in
        ``unmet_trips``).
    paratransit_fare
        float64, shape (n,): fares paid (model currency).
    travel_money
        float64, shape (n,): money spent on car trips: running cost and
        parking (model currency).
    car_trips
        int32, shape (n,): round trips made by car (also in ``trips_made``).
    transit_trips
        int32, shape (n,): round trips made by public transport to a
        destination (also in ``trips_made``; not the transit purpose's).
    transit_fare
        float64, shape (n,): fares paid for them (model currency).
    """

    days: int
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

    @classmethod
    def empty(cls, n_residents: int) -> Ledger:
        shape = (n_residents, len(PURPOSES))
        return cls(
            days=0,
            travel_time_s=np.zeros(shape, dtype=np.float64),
            trips_made=np.zeros(shape, dtype=np.int32),
            unmet_trips=np.zeros(shape, dtype=np.int32),
            paratransit_trips=np.zeros(n_residents, dtype=np.int32),
            paratransit_refused=np.zeros(n_residents, dtype=np.int32),
            paratransit_fare=np.zeros(n_residents, dtype=np.float64),
            travel_money=np.zeros(n_residents, dtype=np.float64),
            car_trips=np.zeros(n_residents, dtype=np.int32),
            transit_trips=np.zeros(n_residents, dtype=np.int32),
            transit_fare=np.zeros(n_residents, dtype=np.float64),
        )


def water_service_level(
    water_supply: np.ndarray, water_one_way_s: np.ndarray, queue_time_s: np.ndarray
) -> np.ndarray:
    """JMP service level of each resident's household, as int8 codes into
    :data:`WATER_SERVICE_LEVELS` (:func:`twin.core.tally.water_levels`)."""
    queue_time_s = np.asarray(queue_time_s)
    if queue_time_s.dtype != np.float32:  # numpy adds any other to float64 as float64
        queue_time_s = queue_time_s.astype(np.float64, copy=False)
    return water_levels(np.asarray(water_supply), np.asarray(water_one_way_s, dtype=np.float64), queue_time_s,
                        piped=WATER_SUPPLIES.index("piped"), basic_round_trip_s=JMP_BASIC_ROUND_TRIP_S)


SCALED = {"paratransit_trips_per_week": "paratransit_trips", "paratransit_refused_per_week": "paratransit_refused",
          "paratransit_fare_per_week": "paratransit_fare", "car_money_per_week": "travel_money",
          "car_trips_per_week": "car_trips", "transit_trips_per_week": "transit_trips",
          "transit_fare_per_week": "transit_fare"}
"""Ledger frame columns that are a ledger array scaled to a week, and the array."""

_spare_lock = threading.Lock()
_spare: list[np.ndarray | None] = [None]


def _float_block(rows: int, n: int) -> np.ndarray:
    """A (rows, n) float64 array for a ledger frame's float columns: the
    last one made if nothing refers to it any more (no frame, column or view
    of it), else a new one. A run makes a frame per scenario and drops each
    once compared: a million residents' new block is 230 MB of pages never
    touched, whose first touch cost more than filling them (~0.1 s a frame)."""
    with _spare_lock:
        block = _spare[0]
        # free when only _spare, this name and getrefcount's argument refer to it
        if block is None or block.shape != (rows, n) or sys.getrefcount(block) > 3:
            block = _spare[0] = np.empty((rows, n), dtype=np.float64)
        return block


def ledger_frame(
    residents: Residents,
    ledger: Ledger,
    one_way_time_s: np.ndarray,
    *,
    water_queue_time_s: np.ndarray,
) -> pd.DataFrame:
    """Per resident per week: attributes, travel minutes and unmet trips by
    purpose, paratransit trips, refusals and fares, JMP water level and
    clinic access.

    Parameters
    ----------
    residents
        The simulated residents.
    ledger
        Totals after ``ledger.days`` simulated days (must be > 0).
    one_way_time_s
        float64 (n, len(PURPOSES)): best one-way time to each purpose's
        nearest facility by the resident's available modes (inf: none).
    water_queue_time_s
        Per resident: queue per fetch at the resident's water point.
    """
    if ledger.days <= 0:
        raise ValueError("the ledger has no simulated day yet")
    per_week = DAYS_PER_WEEK / ledger.days
    columns: dict[str, np.ndarray] = {
        "resident": np.arange(len(residents), dtype=np.int32),
        "income": residents.income,
        "income_quintile": residents.income_quintile,
        "age_band": residents.age_band,
        "has_car": residents.has_car,
        "smartphone": residents.smartphone,
        "home_internet": residents.home_internet,
        "digital_skills": residents.digital_skills,
        "phone": residents.phone,
        "can_use_apps": residents.can_use_apps,
        "reduced_mobility": residents.reduced_mobility,
        "wheelchair": residents.wheelchair,
        "water_supply": pd.Categorical.from_codes(residents.water_supply, WATER_SUPPLIES),
        "home_node": residents.home_node,
    }
    n_weekly = 3 * len(PURPOSES) + 3
    block = _float_block(n_weekly + len(SCALED), len(residents))
    weekly = iter(weekly_columns(ledger.travel_time_s, ledger.trips_made, ledger.unmet_trips, per_week,
                                 out=block[:n_weekly]))
    for prefix in ("travel_min_per_week", "trips_per_week", "unmet_trips_per_week"):
        for purpose in PURPOSES:
            columns[f"{prefix}_{purpose}"] = next(weekly)
    for name in ("essential_travel_min_per_week", "trips_per_week", "unmet_trips_per_week"):
        columns[name] = next(weekly)
    for row, (name, total) in zip(block[n_weekly:], SCALED.items()):
        columns[name] = np.multiply(getattr(ledger, total), per_week, out=row)  # = total * per_week
    del block, row
    water = PURPOSES.index("water")
    health = PURPOSES.index("health")
    columns["water_service"] = pd.Categorical.from_codes(
        water_service_level(residents.water_supply, one_way_time_s[:, water], water_queue_time_s),
        WATER_SERVICE_LEVELS,
    )
    columns["clinic_within_30min"] = one_way_time_s[:, health] <= CLINIC_WITHIN_S
    # One block per column: consolidating the 30-odd float columns into one
    # block would copy them all (1.4 s for a million residents).
    return pd.DataFrame(columns, copy=False)
