"""Digital access centres: staffed places where residents book services
(the ``assisted`` paratransit channel) and do civic business in person.

Centres are sited by greedy p-median over residents who cannot use apps (all
of them, or those a data source sees: ``siting: {from: SOURCE}``), or at
given coordinates. Residents whose home is within ``reach_m`` of a centre
on their own network (wheelchair users: the wheelchair graph) gain assisted
booking; every centre also becomes a civic facility.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from twin.config import Positive, Value
from twin.core.routing import nearest_facility
from twin.interventions.base import Intervention, register
from twin.interventions.sites import Sited, with_facilities
from twin.world import World


@register
class DigitalAccessCentres(Sited, Intervention):
    """Parameters
    ----------
    k
        Number of centres to site (exclusive with ``sites``).
    sites
        Given locations (exclusive with ``k``).
    siting
        ``{from: need}`` (default) or ``{from: SOURCE}``: the demand ``k``
        centres are sited over.
    reach_m
        Network distance from home within which residents use a centre.
    """

    type: Literal["digital_access_centres"] = "digital_access_centres"
    reach_m: Value[Positive]

    def apply(self, world: World, *, seed: int, instance: int = 0) -> World:
        city, r = world.city, world.residents
        seen = self.seen(r, seed=seed)
        x_m, y_m = self.locations(city, r.home_node[seen & ~r.can_use_apps], None)
        new_city = with_facilities(city, "civic", x_m, y_m, "digital_access_centres")
        n_old = len(city.facilities["civic"])
        within = {}
        for mode in ("walk", "wheelchair"):
            streets = new_city.streets[mode].reversed()
            centres = new_city.facilities["civic"].node[mode][n_old:]
            centres = centres[centres >= 0]  # a centre off this mode's streets serves no one by it
            length_m, _ = nearest_facility(streets.indptr, streets.indices, streets.weight,
                                           centres, max_cost=self.reach_m.value)
            within[mode] = np.isfinite(length_m)
        reach = np.where(r.wheelchair, within["wheelchair"][r.home_node], within["walk"][r.home_node])
        return world.replace(city=new_city, assisted_booking=world.assisted_booking | reach)
