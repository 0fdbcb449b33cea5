"""An intervention that adds facilities of one service updates only that
service's accessibility fields, to what a full search of its city gives."""

import dataclasses
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


def applied(world, kind, **fields):
    return REGISTRY[kind].model_validate({"type": kind, "cost": COST, **fields}).apply(world, seed=1)


def assert_as_searched_whole(updated, city):
    full = access_fields(city, water_points_considered=2, destinations_considered=3)
    for field in fields(full):
        np.testing.assert_array_equal(getattr(updated, field.name), getattr(full, field.name),
                                      err_msg=field.name)


def test_new_water_points_update_only_the_water_fields(base):
    world, access = base
    changed = applied(world, "water_points", k=2)
    updated = updated_access(access, world.city, changed.city)
    assert_as_searched_whole(updated, changed.city)
    for name in CHOICE:  # fields of services that did not change: the same arrays
        assert getattr(updated, name) is getattr(access, name), name
    kept = [p for p, purpose in enumerate(PURPOSES) if purpose != "water"]
    for name in PER_PURPOSE:
        np.testing.assert_array_equal(getattr(updated, name)[:, kept], getattr(access, name)[:, kept])
    assert not np.array_equal(updated.water_walk_m, access.water_walk_m)
    assert updated.n_water_points == len(changed.city.facilities["water"])


def test_new_open_civic_facilities_update_the_civic_fields(base):
    world, access = base
    changed = applied(world, "water_points", k=2)  # water points, relabelled as civic places open to all
    city = world.city
    civic = dataclasses.replace(changed.city.facilities["water"], service="civic")
    changed_city = dataclasses.replace(city, facilities={**city.facilities, "civic": civic})
    updated = updated_access(access, city, changed_city)
    assert_as_searched_whole(updated, changed_city)
    for name in WATER_ONLY:
        assert getattr(updated, name) is getattr(access, name), name
    assert not np.array_equal(updated.walk_choice_m, access.walk_choice_m)


def test_access_centres_leave_the_fields_as_they_are(base):
    # centres are civic places only for assisted residents: no search starts from them
    world, access = base
    changed = applied(world, "digital_access_centres", k=2, reach_m={"value": 400, "source": "test"})
    assert updated_access(access, world.city, changed.city) is access
    assert_as_searched_whole(access, changed.city)


def test_no_new_facilities_keep_the_fields(base):
    world, access = base
    assert updated_access(access, world.city, world.city) is access
