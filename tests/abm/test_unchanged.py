"""A scenario's run that re-simulates only the residents whose days it can
change (CityModel.replay) gives the ledger of simulating everyone, to the
bit: on every shipped Helsinki scenario, with water fetched at points whose
queues everyone shares, and a single changed resident is the one simulated."""

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from twin.abm import CityModel
from twin.abm.access import access_fields, updated_access
from twin.core.daily import fetching_water
from twin.experiments.sweep import is_sweep_file
from twin.interventions import apply_interventions
from twin.residents import load_resident_model, synthesize_for_city
from twin.residents.population import PURPOSES
from twin.scenario import load_scenario
from twin.world import TravelParams, World

HELSINKI_SCENARIOS = Path(__file__).parents[2] / "scenarios" / "helsinki"
DAYS = 2


@pytest.fixture(scope="module")
def access(helsinki):
    return access_fields(helsinki)


def world_of(helsinki, n=1500, seed=3, outage_days_per_week=None):
    spec = load_resident_model("helsinki")
    residents = synthesize_for_city(spec, helsinki, n, seed=seed)
    if outage_days_per_week is not None:
        residents = dataclasses.replace(
            residents, outage_days_per_week=np.full(n, outage_days_per_week, dtype=np.float32))
    return World.baseline(helsinki, residents, TravelParams.from_model(spec))


def frames(world, changed, access, *, seed=3, warm_up_days=0):
    """The scenario's ledger frame simulating everyone, and replaying the
    baseline's run (with the residents it simulated, None: everyone)."""
    def model_of(w):
        return CityModel(w, seed=seed, agents="none", access=updated_access(access, world.city, w.city))

    base = model_of(world)
    record = base.record()
    base.run(DAYS)
    base.ledger_frame()
    full = model_of(changed)
    full.warm_up(warm_up_days)
    full.run(DAYS)
    replayed = model_of(changed)
    only = replayed.replay(record)
    replayed.warm_up(warm_up_days)
    replayed.run(DAYS)
    return full.ledger_frame(), replayed.ledger_frame(), only


@pytest.mark.parametrize("name", sorted(p.stem for p in HELSINKI_SCENARIOS.glob("*.yaml")
                                        if p.stem != "baseline" and not is_sweep_file(p)))
def test_a_replay_gives_every_helsinki_scenario_the_ledger_of_simulating_everyone(helsinki, access, name):
    world = world_of(helsinki)
    scenario = load_scenario(HELSINKI_SCENARIOS / f"{name}.yaml")
    changed = apply_interventions(scenario.interventions, world, seed=3)
    full, replayed, only = frames(world, changed, access, warm_up_days=2)
    pd.testing.assert_frame_equal(full, replayed, check_exact=True)
    if name.startswith("paratransit") or name == "access_centres":  # riders, or those near a centre
        assert only is not None and 0 < len(only) < len(world.residents) // 2
    if name == "parking_app":  # every driver searches for parking otherwise; no one else does
        assert only is not None and only.tolist() == np.flatnonzero(world.residents.has_car).tolist()
    if name in ("water_points", "smart_meters"):  # only those who fetch water: piped water, rare outages
        assert only is not None and len(only) < len(world.residents) // 20


@pytest.mark.parametrize("name", ["water_points", "smart_meters"])
def test_a_replay_of_a_water_scenario_simulates_every_fetcher_with_queues_of_their_own(helsinki, access, name):
    """Piped water cut half a day a week: some households fetch, at points
    whose queues the scenario changes (new points, or fewer outages); the
    replay simulates every household that fetches in either run, and
    everyone else lives the baseline's days."""
    world = world_of(helsinki, outage_days_per_week=0.5)
    changed = apply_interventions(load_scenario(HELSINKI_SCENARIOS / f"{name}.yaml").interventions, world, seed=3)
    full, replayed, only = frames(world, changed, access)
    fetched = (full["trips_per_week_water"] + full["unmet_trips_per_week_water"]).to_numpy() > 0
    assert fetched.any() and set(np.flatnonzero(fetched)) <= set(only.tolist())
    assert len(only) < len(world.residents) // 2
    pd.testing.assert_frame_equal(full, replayed, check_exact=True)


def test_a_replay_shares_the_water_points_queues_of_the_baseline(helsinki, access):
    """Piped water cut 3 days a week: households fetch at the water points
    the baseline adds, whose queues depend on every household; a paratransit
    scenario simulates its riders alone, with the baseline's fetches."""
    points = load_scenario(HELSINKI_SCENARIOS / "water_points.yaml")
    world = apply_interventions(points.interventions, world_of(helsinki, outage_days_per_week=3.0), seed=3)
    paratransit = load_scenario(HELSINKI_SCENARIOS / "paratransit_single_stop.yaml")
    changed = apply_interventions(paratransit.interventions, world, seed=3)
    full, replayed, only = frames(world, changed, access)
    assert full["trips_per_week_water"].sum() > 0 or full["unmet_trips_per_week_water"].sum() > 0
    assert only is not None and len(only) < len(world.residents) // 2
    pd.testing.assert_frame_equal(full, replayed, check_exact=True)


def test_only_the_resident_whose_inputs_changed_is_simulated(helsinki, access):
    world = world_of(helsinki)
    limit_s = world.residents.max_trip_time_s.copy()
    limit_s[17] /= 4.0
    changed = dataclasses.replace(world, residents=dataclasses.replace(world.residents, max_trip_time_s=limit_s))
    full, replayed, only = frames(world, changed, access)
    assert only.tolist() == [17]
    pd.testing.assert_frame_equal(full, replayed, check_exact=True)


def test_more_outage_days_for_some_households_simulates_their_new_fetches(helsinki, access):
    """Households whose outage days rise fetch on days the baseline's did
    not: found from their own draws (fetching_water), not the baseline's."""
    world = world_of(helsinki, outage_days_per_week=0.5)
    outage = world.residents.outage_days_per_week.copy()
    outage[:300] = 3.0
    changed = dataclasses.replace(world, residents=dataclasses.replace(world.residents,
                                                                        outage_days_per_week=outage))
    full, replayed, only = frames(world, changed, access)
    fetched = (full["trips_per_week_water"] + full["unmet_trips_per_week_water"]).to_numpy() > 0
    assert fetched[:300].sum() > 2 * fetched[300:600].sum() > 0
    assert set(np.flatnonzero(fetched)) <= set(only.tolist())
    pd.testing.assert_frame_equal(full, replayed, check_exact=True)


def test_fetching_water_draws_the_fetches_the_days_simulate(helsinki):
    world = world_of(helsinki, n=500, outage_days_per_week=1.0)
    model = CityModel(world, seed=5, agents="none")
    model.run(DAYS)
    water = PURPOSES.index("water")
    wanted = (model.ledger.trips_made[:, water] + model.ledger.unmet_trips[:, water]) > 0
    everyone = np.arange(len(world.residents), dtype=np.int32)
    drawn = fetching_water(DAYS, 5, model.day_residents, model.day_params, everyone)
    assert 0 < wanted.sum() < len(wanted)
    np.testing.assert_array_equal(drawn, wanted)
    np.testing.assert_array_equal(fetching_water(DAYS, 5, model.day_residents, model.day_params, everyone[::7]),
                                  wanted[::7])
