"""Digital access centres: staffed places where residents book services
(the ``assisted`` paratransit channel) and do civic business in person.

Centres are sited by greedy p-median over residents who cannot use apps (all
of them, or those a data source sees: ``siting: {from: SOURCE}``), or at
given coordinates. Residents whose home is within ``reach_m`` of a centre
on their own network (wheelchair users: the wheelchair graph) gain assisted
booking, and those who cannot use apps may do their civic business there with
help: the centre joins the civic destinations they choose among
(:mod:`twin.core.choice`). Centres are civic facilities of origin
``ASSISTED_ONLY_ORIGIN``: residents who use apps do not go there.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from twin.city.arrays import ASSISTED_ONLY_ORIGIN
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
        new_city = with_facilities(city, "civic", x_m, y_m, ASSISTED_ONLY_ORIGIN)
        n_old = len(city.facilities["civic"])
        to_centre_m = {}
        for mode in ("walk", "wheelchair"):
            streets = new_city.streets[mode].reversed()
            centres = new_city.facilities["civic"].node[mode][n_old:]
            centres = centres[centres >= 0]  # a centre off this mode's streets serves no one by it
            to_centre_m[mode], _ = nearest_facility(streets.indptr, streets.indices, streets.weight,
                                                    centres, max_cost=self.reach_m.value)
        length_m = np.where(r.wheelchair, to_centre_m["wheelchair"][r.home_node], to_centre_m["walk"][r.home_node])
        reach = np.isfinite(length_m)
        nearest_m = np.minimum(world.assisted_civic_length_m, length_m)  # with centres sited before
        civic_m = np.where(r.can_use_apps, world.assisted_civic_length_m, nearest_m)
        return world.replace(city=new_city, assisted_booking=world.assisted_booking | reach,
                             assisted_civic_length_m=civic_m)
