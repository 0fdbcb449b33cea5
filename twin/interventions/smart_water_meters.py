"""Smart water meters: leaks and bursts found sooner, so piped households
lose their supply on fewer days. Only households with a pipe can benefit."""

from __future__ import annotations

from typing import Literal

import numpy as np

from twin.config import Probability, Value
from twin.interventions.base import Intervention, register
from twin.residents.population import WATER_SUPPLIES
from twin.world import World


@register
class SmartWaterMeters(Intervention):
    """Parameters
    ----------
    coverage
        Share of piped households that get a meter.
    outage_reduction
        Fraction of outage days a metered household no longer has.
    """

    type: Literal["smart_water_meters"] = "smart_water_meters"
    draws = ("coverage",)
    coverage: Value[Probability]
    outage_reduction: Value[Probability]

    def apply(self, world: World, *, seed: int, instance: int = 0) -> World:
        r = world.residents.copy()
        draw = self.uniforms("coverage", len(r), seed=seed, instance=instance)
        metered = (r.water_supply == WATER_SUPPLIES.index("piped")) & (draw < self.coverage.value)
        r.outage_days_per_week = np.where(
            metered, r.outage_days_per_week * (1.0 - self.outage_reduction.value),
            r.outage_days_per_week,
        ).astype(np.float32)
        return world.replace(residents=r)
