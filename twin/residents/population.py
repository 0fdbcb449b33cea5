"""Residents as a structure of arrays: one numpy array per attribute.

Row ``i`` of every array is resident ``i``. Mesa ``Resident`` agents are
views over these rows (``twin.abm``); kernels read the arrays directly.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

PURPOSES = ("water", "health", "food", "civic", "transit", "work")
"""Trip purposes; each is served by the facility service of the same name."""

CHOICE_PURPOSES = ("health", "food", "civic", "work")
"""Purposes whose destination is chosen among the nearest few facilities
(:mod:`twin.core.choice`); water and the walk to transit go to the nearest."""

WATER_SUPPLIES = ("piped", "off_premises")
"""``piped``: water on premises, fetched only on outage days.
``off_premises``: shared tap, kiosk or other point, fetched every day."""


@dataclass
class Residents:
    """Synthetic residents of one city.

    Attributes
    ----------
    income
        float32: yearly disposable income (in the resident model's currency).
    income_quintile
        int8, 1 (poorest fifth) .. 5 (richest fifth), by rank in this population.
    age_band
        int8: index into the resident model's ``age_bands``.
    has_car
        bool: the household has a car this resident can use.
    smartphone, home_internet, digital_skills
        bool.
    phone
        bool: can make phone calls (any mobile or landline phone; every
        smartphone owner has one) -- the condition for phone booking.
    can_use_apps
        bool: ``smartphone & digital_skills`` (mobile data comes with the
        smartphone) -- the condition for app-based services.
    reduced_mobility
        bool: needs help with daily tasks or walks slowly.
    wheelchair
        bool: uses a wheelchair (implies ``reduced_mobility``).
    water_supply
        int8: index into :data:`WATER_SUPPLIES`.
    outage_days_per_week
        float32: expected days a week without piped water (0 if off premises).
    home_node
        int32: walk-graph node of the home (``City.home_node`` values).
    speed_mps
        float32: personal walking speed, or wheelchair speed for wheelchair users.
    max_trip_time_s
        float32: longest one-way trip the resident will make; slower trips are unmet.
    trips_per_week
        float32, shape (n, len(PURPOSES)): weekly trip needs by purpose
        (``water`` is 0 here: water trips follow ``water_supply``).
    """

    income: np.ndarray
    income_quintile: np.ndarray
    age_band: np.ndarray
    has_car: np.ndarray
    smartphone: np.ndarray
    home_internet: np.ndarray
    digital_skills: np.ndarray
    phone: np.ndarray
    can_use_apps: np.ndarray
    reduced_mobility: np.ndarray
    wheelchair: np.ndarray
    water_supply: np.ndarray
    outage_days_per_week: np.ndarray
    home_node: np.ndarray
    speed_mps: np.ndarray
    max_trip_time_s: np.ndarray
    trips_per_week: np.ndarray

    def __len__(self) -> int:
        return len(self.income)

    @property
    def nbytes(self) -> int:
        """Memory held by the resident arrays."""
        return sum(getattr(self, f.name).nbytes for f in fields(self))

    def copy(self) -> Residents:
        """A deep copy (interventions change a copy, never the baseline)."""
        return Residents(**{f.name: getattr(self, f.name).copy() for f in fields(self)})
