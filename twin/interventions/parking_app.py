"""A parking app: real-time information on free places.

Adopters (car owners who can use apps and take it up) search less; every
driver gains a little because fewer cars cruise, in proportion to the
adopters' share of drivers (adoption 0 is the baseline exactly). Defaults in
the scenario files come from SFpark (SFMTA 2014): search time -43%, circling
traffic -30%.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from twin.config import Probability, Value
from twin.interventions.base import Intervention, register
from twin.world import World


@register
class ParkingApp(Intervention):
    """Parameters
    ----------
    adoption
        Share of eligible residents (car owners who can use apps) who use it.
    search_time_cut
        Fraction of parking search time an adopter saves.
    cruising_relief
        Fraction of search time every driver would save if every driver
        used the app; the relief is this times the adopters' share of
        residents with a car.
    """

    type: Literal["parking_app"] = "parking_app"
    draws = ("adoption",)
    adoption: Value[Probability]
    search_time_cut: Value[Probability]
    cruising_relief: Value[Probability]

    def apply(self, world: World, *, seed: int, instance: int = 0) -> World:
        r = world.residents
        draw = self.uniforms("adoption", len(r), seed=seed, instance=instance)
        adopters = r.has_car & r.can_use_apps & (draw < self.adoption.value)
        drivers = int(r.has_car.sum())
        adopter_share = int(adopters.sum()) / drivers if drivers else 0.0
        search_s = world.parking_search_time_s * (1.0 - self.cruising_relief.value * adopter_share)
        search_s = np.where(adopters, search_s * (1.0 - self.search_time_cut.value), search_s)
        # Drivers only: no one else searches for parking (the day kernel reads
        # a resident's search time only with a car), and the others' rows
        # left as they were keep their days the baseline's (twin.abm.unchanged).
        search_s = np.where(r.has_car, search_s.astype(np.float32), world.parking_search_time_s)
        return world.replace(parking_search_time_s=search_s)
