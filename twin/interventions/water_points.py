"""New public water points (taps or kiosks) for households without water on
premises. Sited by greedy p-median over those households' homes (where every
household is piped: over those with outage days, who fetch water then), or
at given coordinates. Sited from a data source (``siting: {from: ...}``),
the same rule applies to the households the source sees: a source that sees
no household without piped water sites for the outages it sees. Each point is a queue (:mod:`twin.abm.water`): its wait
follows from the fetches it gets, households move to a new point when it
saves them time, so a few points for many households may still leave a long
wait."""

from __future__ import annotations

from typing import Literal

from twin.interventions.base import Intervention, register
from twin.interventions.sites import Sited, with_facilities
from twin.residents.population import WATER_SUPPLIES
from twin.world import World


@register
class WaterPoints(Sited, Intervention):
    """Parameters
    ----------
    k
        Number of points to site (exclusive with ``sites``).
    sites
        Given locations (exclusive with ``k``).
    siting
        ``{from: need}`` (default) or ``{from: SOURCE}``: the demand ``k``
        points are sited over.
    """

    type: Literal["water_points"] = "water_points"

    def apply(self, world: World, *, seed: int, instance: int = 0) -> World:
        city, r = world.city, world.residents
        seen = self.seen(r, seed=seed)
        served = seen & (r.water_supply == WATER_SUPPLIES.index("off_premises"))
        if not served.any():  # all (seen) piped: the points serve outage days
            served = seen & (r.outage_days_per_week > 0)
        x_m, y_m = self.locations(city, r.home_node[served], city.facilities["water"])
        return world.replace(city=with_facilities(city, "water", x_m, y_m, "water_points"))
