"""The per-resident reference: the same day as ``CityModel``, written as
plain Python in each Mesa agent's ``step``.

It is the slow, obvious version of ``twin.core.daily``: tests require both to
give identical per-resident ledgers, and the benchmarks measure the kernel
against it. Do not use it for real runs.
"""

from __future__ import annotations

import math

import mesa
import numpy as np

from twin.abm.access import AccessFields, access_fields
from twin.abm.model import CityModel
from twin.core.streams import (
    CHANNEL_OUTAGE,
    CHANNEL_TRIP_PHASE,
    CHANNEL_WATER_TRIPS,
    PHASE_DAY,
    uniform_py,
)
from twin.interventions.base import World
from twin.outcomes.ledger import Ledger
from twin.residents.population import PURPOSES, WATER_SUPPLIES

WATER = PURPOSES.index("water")
TRANSIT = PURPOSES.index("transit")
PIPED = WATER_SUPPLIES.index("piped")


class ReferenceResident(mesa.Agent):
    """A resident holding its own attributes as Python values."""

    def __init__(self, model: "ReferenceCityModel", index: int) -> None:
        super().__init__(model)
        r = model.residents
        self.index = int(index)
        self.home_node = int(r.home_node[index])
        self.wheelchair = bool(r.wheelchair[index])
        self.has_car = bool(r.has_car[index])
        self.speed_mps = float(r.speed_mps[index])
        self.max_trip_time_s = float(r.max_trip_time_s[index])
        self.trips_per_week = [float(w) for w in r.trips_per_week[index]]
        self.piped = int(r.water_supply[index]) == PIPED
        self.outage_days_per_week = float(r.outage_days_per_week[index])

    def trips_today(self, day: int, purpose: int) -> int:
        m, i = self.model, self.index
        if purpose == WATER:
            if self.piped and uniform_py(m.seed, day, i, CHANNEL_OUTAGE) >= self.outage_days_per_week / 7.0:
                return 0
            whole = math.floor(m.travel.water_trips_per_day)
            extra = uniform_py(m.seed, day, i, CHANNEL_WATER_TRIPS) < m.travel.water_trips_per_day - whole
            return whole + int(extra)
        per_day = self.trips_per_week[purpose] / 7.0
        phase = uniform_py(m.seed, PHASE_DAY, i, CHANNEL_TRIP_PHASE + purpose)
        return math.floor((day + 1) * per_day + phase) - math.floor(day * per_day + phase)

    def one_way_time_s(self, purpose: int) -> float:
        a, t = self.model.access, self.model.travel
        if self.wheelchair:
            best = float(a.wheelchair_length_m[self.home_node, purpose]) / self.speed_mps
        else:
            best = float(a.walk_length_m[self.home_node, purpose]) / self.speed_mps
        if self.has_car and purpose != TRANSIT:
            drive_node = int(a.walk_to_drive[self.home_node])
            car = (
                float(a.drive_time_s[drive_node, purpose])
                + float(self.model.parking_search_time_s[self.index])
                + t.parking_walk_m / self.speed_mps
            )
            best = min(best, car)
        return best

    def step(self) -> None:
        m, i = self.model, self.index
        day = m.steps - 1
        for p in range(len(PURPOSES)):
            k = self.trips_today(day, p)
            if k == 0:
                continue
            t = self.one_way_time_s(p)
            if t > self.max_trip_time_s:
                m.ledger.unmet_trips[i, p] += k
                continue
            round_trip_s = 2.0 * t + (float(m.water_queue_time_s[i]) if p == WATER else 0.0)
            m.ledger.travel_time_s[i, p] = float(m.ledger.travel_time_s[i, p]) + k * round_trip_s
            m.ledger.trips_made[i, p] += k


class ReferenceCityModel(mesa.Model):
    """Same inputs and ledger as :class:`twin.abm.CityModel`, one agent step at a time."""

    def __init__(self, world: World, *, seed: int, access: AccessFields | None = None) -> None:
        super().__init__(seed=seed)
        self.seed = int(seed)
        self.residents = residents = world.residents
        self.travel = world.travel
        self.parking_search_time_s = world.parking_search_time_s
        self.access = access if access is not None else access_fields(world.city)
        self.ledger = Ledger.empty(len(residents))
        # The queue model is shared input, like the accessibility fields.
        self.water_queue_time_s = CityModel(world, seed=seed, agents="none",
                                            access=self.access).water_queue_time_s
        ReferenceResident.create_agents(self, len(residents), np.arange(len(residents)))

    def step(self) -> None:
        self.agents.do("step")
        self.ledger.days += 1
