"""Destination and mode choice on the shipped Helsinki model and streets,
each effect with the ablation that removes its mechanism."""

import dataclasses

import numpy as np
import pytest

from twin.abm import CityModel
from twin.residents import load_resident_model, synthesize_for_city
from twin.residents.population import CHOICE_PURPOSES, PURPOSES
from twin.world import TravelParams, World

# Behaviour on the real city: minutes without the JIT; the kernels are checked against
# the reference with the JIT off in test_day_equals_reference.
pytestmark = pytest.mark.needs_jit

CHOICE = [PURPOSES.index(purpose) for purpose in CHOICE_PURPOSES]
WORK = PURPOSES.index("work")


@pytest.fixture(scope="module")
def people(helsinki):
    spec = load_resident_model("helsinki")
    return spec, synthesize_for_city(spec, helsinki, 6000, seed=3)


def run(helsinki, people, days=7, **travel_changes):
    spec, residents = people
    travel = dataclasses.replace(TravelParams.from_model(spec), **travel_changes)
    model = CityModel(World.baseline(helsinki, residents.copy(), travel), seed=3, agents="none")
    model.run(days)
    return model


def car_share_by_quintile(model):
    """Share of the choice purposes' trips that car owners make by car, per income quintile."""
    r, ledger = model.residents, model.ledger
    made = ledger.trips_made[:, CHOICE].sum(axis=1)
    return np.array([ledger.car_trips[r.has_car & (r.income_quintile == q)].sum()
                     / made[r.has_car & (r.income_quintile == q)].sum() for q in range(1, 6)])


def test_money_keeps_the_poorest_out_of_their_cars(helsinki, people):
    """Parking and running costs, valued at a value of time that grows with
    income, cut car use most in the poorest fifth; with one value of time for
    everyone (elasticity 0) the same costs cut it alike in every fifth."""
    free = car_share_by_quintile(run(helsinki, people, car_cost_per_km=0.0, parking_cost_per_trip=0.0))
    paid = car_share_by_quintile(run(helsinki, people))
    kept = paid / free  # share of free car use that survives the costs
    assert kept[0] < kept[4] - 0.08 and (kept < 1.0).all()
    free_flat = car_share_by_quintile(run(helsinki, people, car_cost_per_km=0.0, parking_cost_per_trip=0.0,
                                          value_of_time_income_elasticity=0.0))
    paid_flat = car_share_by_quintile(run(helsinki, people, value_of_time_income_elasticity=0.0))
    kept_flat = paid_flat / free_flat
    assert abs(kept_flat[0] - kept_flat[4]) < 0.04


def test_residents_go_beyond_the_nearest_facility_when_they_may_choose(helsinki, people):
    """With 8 facilities to weigh, trips are longer than to the nearest and
    some go by car; with one (the ablation) every walk is to the nearest."""
    one = run(helsinki, people, destinations_considered=1)
    eight = run(helsinki, people)

    chosen = [p for p in CHOICE if p != WORK]  # work goes to a workplace drawn from every zone

    def minutes_per_trip(model):
        ledger = model.ledger
        return ledger.travel_time_s[:, chosen].sum() / ledger.trips_made[:, chosen].sum() / 60.0

    assert minutes_per_trip(eight) > 1.3 * minutes_per_trip(one)
    # the ablation: a walker without a car to the nearest shop, every trip
    walkers = ~one.residents.has_car & ~one.residents.wheelchair
    food = PURPOSES.index("food")
    nearest_s = 2.0 * one.access.walk_length_m[one.residents.home_node, food] / one.residents.speed_mps
    made = one.ledger.trips_made[walkers, food]
    np.testing.assert_allclose(one.ledger.travel_time_s[walkers, food], made * nearest_s[walkers], rtol=1e-6)


def test_a_workplace_is_kept_from_day_to_day(helsinki, people):
    """A resident without a car walks the same distance to work every day;
    the daily draws of shops and offices move between facilities."""
    spec, residents = people
    model = CityModel(World.baseline(helsinki, residents.copy(), TravelParams.from_model(spec)),
                      seed=3, agents="none")
    walkers = ~residents.has_car & ~residents.wheelchair & (residents.trips_per_week[:, WORK] >= 4)
    per_trip = []
    for _ in range(10):
        time_before = model.ledger.travel_time_s[:, WORK].copy()
        made_before = model.ledger.trips_made[:, WORK].copy()
        model.step()
        made = model.ledger.trips_made[:, WORK] - made_before
        with np.errstate(invalid="ignore", divide="ignore"):
            per_trip.append(np.where(made > 0, (model.ledger.travel_time_s[:, WORK] - time_before) / made, np.nan))
    per_trip = np.array(per_trip)[:, walkers]
    spread = np.nanmax(per_trip, axis=0) - np.nanmin(per_trip, axis=0)
    assert np.nanmax(spread) < 1e-6 and np.isfinite(spread).sum() > 100
    # not everyone works at the nearest office
    nearest_s = 2.0 * model.access.walk_length_m[residents.home_node, WORK] / residents.speed_mps
    assert (np.nanmin(per_trip, axis=0) > nearest_s[walkers] * 1.01).mean() > 0.3


def test_access_centres_serve_civic_business_of_those_who_cannot_use_apps(helsinki, people):
    """The shipped access_centres scenario: residents who cannot use apps and
    live within reach may do civic business at a centre, with help, and
    their civic trips get shorter; residents who use apps do not go there,
    so their civic travel is unchanged to the last bit. Ablation: with the
    centres built but nobody helped there, nothing changes for anyone."""
    from pathlib import Path

    from twin.scenario import load_scenario

    spec, residents = people
    base = World.baseline(helsinki, residents.copy(), TravelParams.from_model(spec))
    scenario = Path(__file__).resolve().parents[2] / "scenarios" / "helsinki" / "access_centres.yaml"
    (centres,) = load_scenario(scenario).interventions
    civic = PURPOSES.index("civic")

    def civic_minutes(world):
        model = CityModel(world, seed=3, agents="none")
        model.run(7)
        return model.ledger.travel_time_s[:, civic] / 60.0, model.ledger.trips_made[:, civic]

    before, made_before = civic_minutes(base)
    world = centres.apply(base, seed=3)
    after, made_after = civic_minutes(world)
    helped = np.isfinite(world.assisted_civic_length_m)
    assert helped.sum() > 50 and not (helped & residents.can_use_apps).any()
    np.testing.assert_array_equal(after[residents.can_use_apps], before[residents.can_use_apps])
    assert after[helped].sum() < 0.97 * before[helped].sum()  # one more option among 9: a few % in central Helsinki
    assert made_after[helped].sum() >= made_before[helped].sum()

    # Ablation: the centres stand, but nobody is helped there: civic travel is the baseline's
    unhelped = world.replace(assisted_civic_length_m=np.full(len(residents), np.inf))
    np.testing.assert_array_equal(civic_minutes(unhelped)[0], before)
