"""Fare subsidy: eligible residents pay less for public transport.

The eligible (residents of the given income quintiles, and optionally every
resident with reduced mobility) pay ``1 - fare_reduction`` of the fare. A
cheaper fare weighs in their mode choice (valued at their value of time)
and can bring the fares of a round trip within their budget
(``travel.transit_fare_budget_share`` of the resident model).

What it pays is simulated: the fares waived on the eligible residents'
trips (the ledger's ``transit_fare_waived_per_week``), which a comparison
adds to the stated ``cost`` (capital and administration only).
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Literal

import numpy as np
from pydantic import Field

from twin.config import Probability, Value
from twin.errors import ConfigError
from twin.interventions.base import Intervention, register
from twin.world import World


def require_transit(world: World, kind: str) -> None:
    """Raise a one-line error where the scenario has no public transport."""
    if world.transit is None:
        raise ConfigError(f"{kind} needs public transport to change, and the scenario has none",
                          field="type", fix="add a transit: block (GTFS feeds) to the scenario or its baseline")


@register
class FareSubsidy(Intervention):
    """Parameters
    ----------
    quintiles
        Income quintiles eligible (1 = poorest).
    reduced_mobility
        Residents with reduced mobility (wheelchair users included) are
        eligible whatever their income.
    fare_reduction
        Share of the fare the eligible no longer pay (1: free).
    """

    simulated_cost = "transit_fare_waived_per_week"
    type: Literal["fare_subsidy"] = "fare_subsidy"
    quintiles: list[Annotated[int, Field(ge=1, le=5, strict=True)]] = Field(min_length=1)
    reduced_mobility: bool = False
    fare_reduction: Value[Probability]

    def eligible(self, world: World) -> np.ndarray:
        """bool per resident: eligible for the subsidy."""
        r = world.residents
        chosen = (r.income_quintile[:, None] == np.asarray(self.quintiles)).any(axis=1)
        return chosen | (r.reduced_mobility if self.reduced_mobility else False)

    def apply(self, world: World, *, seed: int, instance: int = 0) -> World:
        require_transit(world, self.type)
        paid = np.where(self.eligible(world), world.transit.fare_paid * (1.0 - self.fare_reduction.value),
                        world.transit.fare_paid)
        return world.replace(transit=dataclasses.replace(world.transit, fare_paid=paid))
