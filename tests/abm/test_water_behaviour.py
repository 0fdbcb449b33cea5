"""Water points as queues on the shipped lower-income scenario (the
helsinki_lower_income set: 59% of households fetch water), each effect with
the ablation that removes its mechanism."""

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from twin.abm import CityModel
from twin.interventions import apply_interventions
from twin.outcomes.expansion import expansion_for
from twin.residents import load_resident_model, synthesize_for_city
from twin.residents.population import PURPOSES
from twin.scenario import load_scenario
from twin.world import TravelParams, World

# Behaviour on the real city: minutes without the JIT; the kernels are checked against
# the reference with the JIT off in test_day_equals_reference.
pytestmark = pytest.mark.needs_jit

WATER = PURPOSES.index("water")

LOWER_INCOME = Path(__file__).resolve().parents[2] / "scenarios" / "helsinki_lower_income"


def run(helsinki, *, residents=3000, points=None, days=6, weight=None, **travel_changes):
    """The shipped water_points scenario (or ``points`` points), run for
    ``days``: the model after the last day."""
    scenario = load_scenario(LOWER_INCOME / "water_points.yaml")
    if points is not None:
        item = scenario.interventions[0].model_copy(update={"k": points})
        scenario = scenario.model_copy(update={"interventions": [item]})
    spec = load_resident_model(scenario.resident_model)
    travel = dataclasses.replace(TravelParams.from_model(spec), **travel_changes)
    people = synthesize_for_city(spec, helsinki, residents, seed=3)
    weight = expansion_for(scenario, helsinki, residents).weight if weight is None else weight
    world = apply_interventions(scenario.interventions,
                                World.baseline(helsinki, people, travel, people_per_resident=weight), seed=3)
    model = CityModel(world, seed=3, agents="none")
    model.run(days)
    return model


def water_trips(model):
    """Water trips made and unmet per resident-week."""
    weeks = model.ledger.days / 7.0 * len(model.residents)
    return model.ledger.trips_made[:, WATER].sum() / weeks, model.ledger.unmet_trips[:, WATER].sum() / weeks


def test_a_new_point_relieves_its_neighbours(helsinki):
    """Greedy p-median siting is nested: 11 points are the shipped 10 plus
    one. The ten are overloaded (3,900 people fetching 1.5 times a day); the
    eleventh takes some of their load, so they serve a larger share."""
    ten, eleven = run(helsinki, points=10), run(helsinki, points=11)
    assert eleven.water.expected_load[:10].sum() < 0.97 * ten.water.expected_load[:10].sum()
    assert water_trips(eleven)[1] < water_trips(ten)[1]
    # Ablation: a tap that fills instantly has no queue and never turns anyone
    # away, so the neighbours have nothing to be relieved of.
    ten, eleven = run(helsinki, points=10, water_fill_s=0.0), run(helsinki, points=11, water_fill_s=0.0)
    for model in (ten, eleven):
        assert (model.water.served_share == 1.0).all() and (model.water.time_at_point_s == 0.0).all()


def test_households_spread_over_their_nearest_points(helsinki):
    choosing = run(helsinki)
    # Ablation: with only the nearest point considered, nobody moves away from a crowd.
    nearest_only = run(helsinki, water_points_considered=1)
    assert water_trips(choosing)[0] > 1.2 * water_trips(nearest_only)[0]
    fetching = choosing.water.chosen >= 0
    assert (choosing.water.chosen[fetching] != nearest_only.water.chosen[fetching]).any()


def test_water_does_not_depend_on_the_sample_size(helsinki):
    """Loads are in people: 1,500 and 3,000 residents standing for the same
    6,600 people load the points alike (before weights the load doubled)."""
    small, large = run(helsinki, residents=1500), run(helsinki, residents=3000)
    assert small.water.expected_load.sum() == pytest.approx(large.water.expected_load.sum(), rel=0.1)
    assert water_trips(small)[0] == pytest.approx(water_trips(large)[0], rel=0.15)
    # Ablation: without the expansion weight each sample row is one person.
    unweighted = run(helsinki, residents=1500, weight=1.0)
    assert unweighted.water.expected_load.sum() < 0.5 * small.water.expected_load.sum()


@pytest.mark.parametrize("folder, name", [("helsinki", "baseline"), ("helsinki_lower_income", "water_points")])
def test_choosing_for_tomorrow_s_fetchers_only_keeps_the_ledger(helsinki, folder, name, monkeypatch):
    """After each day the model chooses points for the next day's fetchers
    only (0.1% of Helsinki's residents; 59% of the lower-income set's, at
    overloaded points): the same ledger, daily figures and final choice as
    choosing for everyone."""
    from twin.abm.water import WaterChoice

    scenario_folder = Path(__file__).resolve().parents[2] / "scenarios" / folder
    scenario = load_scenario(scenario_folder / f"{name}.yaml")
    spec = load_resident_model(scenario.resident_model)
    people = synthesize_for_city(spec, helsinki, 4000, seed=5)
    world = apply_interventions(scenario.interventions, World.baseline(
        helsinki, people, TravelParams.from_model(spec),
        people_per_resident=expansion_for(scenario, helsinki, 4000).weight), seed=5)

    def simulated():
        model = CityModel(world, seed=5, agents="none")
        model.run(4)
        chose_for_everyone = model.water._everyone
        return model, chose_for_everyone, model.ledger_frame(), model.datacollector.get_model_vars_dataframe()

    some, everyone_chosen, some_frame, some_days = simulated()
    assert not everyone_chosen and some.water._everyone  # the ledger frame chose for everyone
    everyone_after_day = WaterChoice.after_day
    monkeypatch.setattr(WaterChoice, "after_day", lambda self, wanted, tomorrow=None: everyone_after_day(self, wanted))
    every, everyone_chosen, every_frame, every_days = simulated()
    assert everyone_chosen
    pd.testing.assert_frame_equal(some_frame, every_frame, check_exact=True)
    pd.testing.assert_frame_equal(some_days, every_days, check_exact=True)
    for name in ("chosen", "length_m", "time_at_point_s", "served_share", "expected_load"):
        np.testing.assert_array_equal(getattr(some.water, name), getattr(every.water, name))
