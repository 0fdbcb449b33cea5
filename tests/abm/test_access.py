"""An intervention that adds facilities of one service updates only that
service's accessibility fields, to what a full search of its city gives."""

from dataclasses import fields

import numpy as np
import pytest

from twin.abm.access import access_fields, updated_access
from twin.interventions import REGISTRY
from twin.residents import load_resident_model, synthesize_for_city
from twin.residents.population import PURPOSES
from twin.world import TravelParams, World

COST = {"currency": "EUR", "price_year": 2024, "capital": {"value": 1, "source": "test"},
        "yearly_operating": {"value": 1, "source": "test"}, "lifetime_years": {"value": 1, "source": "test"}}
PER_PURPOSE = ("walk_length_m", "wheelchair_length_m", "drive_time_s", "walk_facility",
               "wheelchair_facility", "drive_facility", "walk_choice_m", "walk_choice_drive_s",
               "wheelchair_choice_m", "wheelchair_choice_drive_s")
WATER_ONLY = ("water_walk_m", "water_wheelchair_m", "water_walk_point", "water_wheelchair_point")
CHOICE = ("walk_choice_m", "walk_choice_drive_s", "wheelchair_choice_m", "wheelchair_choice_drive_s")

pytestmark = pytest.mark.needs_jit  # the real city's searches, twice: not about the kernels


@pytest.fixture(scope="module")
def base(helsinki):
    spec = load_resident_model("nairobi_informal")
    world = World.baseline(helsinki, synthesize_for_city(spec, helsinki, 3000, seed=3),
                           TravelParams.from_model(spec))
    return world, access_fields(helsinki, water_points_considered=2, destinations_considered=3)


@pytest.mark.parametrize("kind, service, fields_of_others", [
    ("water_points", "water", CHOICE),
    ("digital_access_centres", "civic", WATER_ONLY),
])
def test_one_service_added_updates_only_its_fields(base, kind, service, fields_of_others):
    world, access = base
    extra = {"reach_m": {"value": 400, "source": "test"}} if kind == "digital_access_centres" else {}
    changed = REGISTRY[kind].model_validate({"type": kind, "cost": COST, "k": 2, **extra}).apply(world, seed=1)
    updated = updated_access(access, world.city, changed.city)
    full = access_fields(changed.city, water_points_considered=2, destinations_considered=3)
    for field in fields(full):
        np.testing.assert_array_equal(getattr(updated, field.name), getattr(full, field.name),
                                      err_msg=field.name)
    for name in fields_of_others:  # fields of services that did not change: the same arrays
        assert getattr(updated, name) is getattr(access, name), name
    kept = [p for p, purpose in enumerate(PURPOSES) if purpose != service]
    for name in PER_PURPOSE:
        np.testing.assert_array_equal(getattr(updated, name)[:, kept], getattr(access, name)[:, kept])
    assert updated.n_water_points == len(changed.city.facilities["water"])
    if service == "water":  # open to all, unlike access centres (assisted only)
        assert not np.array_equal(updated.water_walk_m, access.water_walk_m)


def test_no_new_facilities_keep_the_fields(base):
    world, access = base
    assert updated_access(access, world.city, world.city) is access
