"""New public water points (taps or kiosks) for households without water on
premises. Sited by greedy p-median over those households' homes (where every
household is piped: over those with outage days, who fetch water then), or
at given coordinates. Queues grow with each point's users (the resident model's
``water.queue_time_s_per_user``), so a few points for many households may
still leave a long wait."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from twin.interventions.base import Intervention, World, register
from twin.interventions.sites import Site, given_sites, sited_by_demand, with_facilities
from twin.residents.population import WATER_SUPPLIES


@register
class WaterPoints(Intervention):
    """Parameters
    ----------
    k
        Number of points to site (exclusive with ``sites``).
    sites
        Given locations (exclusive with ``k``).
    """

    type: Literal["water_points"] = "water_points"
    k: int | None = Field(None, ge=0)
    sites: list[Site] | None = None

    @model_validator(mode="after")
    def _k_or_sites(self):
        if (self.k is None) == (self.sites is None):
            raise ValueError("give either k (points to site) or sites (lon/lat list), not both")
        return self

    def apply(self, world: World, *, seed: int) -> World:
        city, r = world.city, world.residents
        if self.sites is not None:
            x_m, y_m = given_sites(city, self.sites)
        else:
            served = r.water_supply == WATER_SUPPLIES.index("off_premises")
            if not served.any():  # all piped: the points serve outage days
                served = r.outage_days_per_week > 0
            x_m, y_m = sited_by_demand(city, r.home_node[served], self.k,
                                       city.facilities["water"])
        return world.replace(city=with_facilities(city, "water", x_m, y_m, "water_points"))
