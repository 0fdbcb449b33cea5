"""Interventions: one module per kind, found by the YAML ``type:`` in
:data:`REGISTRY`. Importing this package registers every built-in kind."""

from twin.interventions.base import REGISTRY, Cost, Intervention, World, register
from twin.interventions import (  # noqa: F401  (registers the kinds)
    device_subsidy,
    parking_app,
    smart_water_meters,
)


def apply_interventions(interventions, world: World, *, seed: int) -> World:
    """Apply ``interventions`` in order to ``world`` (never changed in place)."""
    for intervention in interventions:
        world = intervention.apply(world, seed=seed)
    return world


__all__ = ["REGISTRY", "Cost", "Intervention", "World", "apply_interventions", "register"]
