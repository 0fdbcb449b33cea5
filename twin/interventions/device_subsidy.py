"""Device subsidy: offered to residents of the lowest income quintiles who
cannot use apps: a smartphone (with data) for those without one, training in
digital skills for those without them. App access is ``smartphone &
digital_skills``, so a phone alone may not be enough."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from twin.config import Probability, Value
from twin.interventions.base import Intervention, register
from twin.world import World


@register
class DeviceSubsidy(Intervention):
    """Parameters
    ----------
    quintiles
        Income quintiles offered the subsidy (1 = poorest).
    uptake
        Share of offered residents without a smartphone who take one.
    training_uptake
        Share of offered residents without digital skills who gain them.
    """

    type: Literal["device_subsidy"] = "device_subsidy"
    draws = ("device", "training")
    quintiles: list[Annotated[int, Field(ge=1, le=5, strict=True)]] = Field(
        default_factory=lambda: [1, 2], min_length=1)
    uptake: Value[Probability]
    training_uptake: Value[Probability]

    def apply(self, world: World, *, seed: int, instance: int = 0) -> World:
        r = world.residents.copy()
        n = len(r)
        offered = (r.income_quintile[:, None] == self.quintiles).any(axis=1) & ~r.can_use_apps
        takes = offered & ~r.smartphone & (
            self.uniforms("device", n, seed=seed, instance=instance) < self.uptake.value)
        trained = offered & ~r.digital_skills & (
            self.uniforms("training", n, seed=seed, instance=instance) < self.training_uptake.value)
        r.smartphone = r.smartphone | takes
        r.phone = r.phone | takes
        r.digital_skills = r.digital_skills | trained
        r.can_use_apps = r.smartphone & r.digital_skills
        return world.replace(residents=r)
