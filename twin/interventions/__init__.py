"""Interventions: one module per kind, found by the YAML ``type:`` in
:data:`REGISTRY`. Importing this package registers every built-in kind."""

from twin.errors import TwinError
from twin.interventions import (  # noqa: F401  (registers the kinds)
    device_subsidy,
    digital_access_centres,
    fare_subsidy,
    paratransit,
    parking_app,
    smart_water_meters,
    transit_frequency,
    water_points,
)
from twin.interventions.base import REGISTRY, Cost, Intervention, register
from twin.world import World


def apply_interventions(interventions, world: World, *, seed: int, path=None) -> World:
    """Apply ``interventions`` in order to ``world`` (never changed in place).

    Each is applied as instance ``index`` (its place in the list), which
    gives it random streams of its own (:mod:`twin.core.streams`).

    A problem found only now (a site outside the city, k larger than the
    candidate sites) is reported at ``interventions[i].<field>`` of ``path``.
    """
    for index, intervention in enumerate(interventions):
        try:
            world = intervention.apply(world, seed=seed, instance=index)
        except TwinError as error:
            field = f"interventions[{index}]" + (f".{error.field}" if error.field else "")
            raise type(error)(error.message, path=error.path or path, field=field,
                              fix=error.fix) from None
    return world


__all__ = ["REGISTRY", "Cost", "Intervention", "apply_interventions", "register"]
