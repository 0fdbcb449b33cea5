"""CityModel as a Mesa model: agents are views over the arrays, the
DataCollector records each day, unreachable trips are unmet."""

import dataclasses

import numpy as np
import pytest

from twin.abm import CityModel, Resident
from twin.residents.population import PURPOSES
from twin.world import World

from test_day_equals_reference import random_access, random_residents, random_work, travel_params

TRAVEL = travel_params(parking_search_time_s=300.0, parking_walk_m=100.0,
                      water_trips_per_day=1.0, water_fill_s=160.0, water_open_s=28_800.0,
                      water_points_considered=3, water_learning=0.5)


@pytest.fixture
def model():
    rng = np.random.default_rng(11)
    residents = random_residents(rng, 200, n_walk=30)
    access = random_access(rng, 30, 10)
    return CityModel(World.baseline(None, residents, TRAVEL), seed=4, access=access,
                     work=random_work(rng, access))


def test_agents_are_views_that_read_and_write_the_arrays(model):
    agents = model.agents_by_type[Resident]
    assert len(agents) == 200
    agent = model.resident(17)
    assert agent.income == model.residents.income[17]
    agent.has_car = not agent.has_car
    assert model.residents.has_car[17] == agent.has_car
    agent.speed_mps = 0.5
    assert model.residents.speed_mps[17] == np.float32(0.5)


def test_large_populations_make_agents_on_demand(model):
    lean = CityModel(model.world, seed=4, access=model.access, agents="none", work=model.work)
    assert len(lean.agents) == 0
    agent = lean.resident(3)
    assert lean.resident(3) is agent and agent.home_node == model.residents.home_node[3]
    with pytest.raises(IndexError):
        lean.resident(200)


def test_datacollector_records_every_day(model):
    model.run(5)
    daily = model.datacollector.get_model_vars_dataframe()
    assert list(daily["day"]) == [1, 2, 3, 4, 5]
    assert daily["unmet_trips"].iloc[-1] == model.ledger.unmet_trips.sum()
    assert daily["trips_made"].iloc[-1] == model.ledger.trips_made.sum()
    assert daily["unmet_trips_today"].sum() == model.ledger.unmet_trips.sum()
    made_by_mode = daily[["walk_trips_today", "wheelchair_trips_today", "car_trips_today",
                          "transit_trips_today"]].sum().sum()
    assert made_by_mode == model.ledger.trips_made.sum()


def test_unreachable_is_unmet_and_adds_no_time(model):
    food = PURPOSES.index("food")
    model.access.walk_length_m[:, food] = np.inf
    model.access.wheelchair_length_m[:, food] = np.inf
    model.access.drive_time_s[:, food] = np.inf
    for choice_set in (model.access.walk_choice_m, model.access.wheelchair_choice_m):
        choice_set[:, food] = np.inf  # food is chosen among the nearest shops: none now
    model.run(7)
    assert model.ledger.trips_made[:, food].sum() == 0
    assert model.ledger.travel_time_s[:, food].sum() == 0
    needed = model.residents.trips_per_week[:, food]
    assert model.ledger.unmet_trips[:, food].sum() >= np.floor(needed).sum() > 0


def test_wheelchair_users_never_walk_and_non_users_never_roll(model):
    model.run(7)
    daily = model.datacollector.get_model_vars_dataframe()
    rolled = daily["wheelchair_trips_today"].sum()
    not_transit = [p for p, purpose in enumerate(PURPOSES) if purpose != "transit"]  # counted as transit
    made_by_wheelchair_users = model.ledger.trips_made[model.residents.wheelchair][:, not_transit].sum()
    car_trips_of_users = made_by_wheelchair_users - rolled
    assert rolled > 0 and car_trips_of_users >= 0
    # residents without a car who use a wheelchair make every trip rolling
    no_car_users = model.residents.wheelchair & ~model.residents.has_car
    assert model.ledger.trips_made[no_car_users][:, not_transit].sum() <= rolled


def test_models_on_the_same_choice_sets_share_the_walking_weights(model):
    """The whole-city exp(V) of walking to each choice-set slot is computed
    once per choice sets and resident model (a run's scenario models reuse
    the baseline's), and equals a fresh computation; other choice sets get
    their own."""
    from twin.core.choice import foot_weights

    other = CityModel(model.world, seed=5, access=model.access, agents="none", work=model.work)
    assert other.day_city.walk_choice_weight is model.day_city.walk_choice_weight
    walk_per_km = model.day_params.choice.walk_per_km
    np.testing.assert_array_equal(model.day_city.walk_choice_weight,
                                  foot_weights(model.access.walk_choice_m, walk_per_km))
    moved = dataclasses.replace(model.access, walk_choice_m=model.access.walk_choice_m * 2.0)
    third = CityModel(model.world, seed=4, access=moved, agents="none", work=model.work)
    np.testing.assert_array_equal(third.day_city.walk_choice_weight, foot_weights(moved.walk_choice_m, walk_per_km))
    assert third.day_city.wheelchair_choice_weight is model.day_city.wheelchair_choice_weight
