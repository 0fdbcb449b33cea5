"""Each intervention changes what it should, for whom it should, and
never the world it was given."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from twin.abm import CityModel
from twin.errors import ConfigError
from twin.interventions import REGISTRY, apply_interventions
from twin.residents import load_resident_model, synthesize_for_city
from twin.residents.population import WATER_SUPPLIES
from twin.world import TravelParams, World

COST = {
    "currency": "EUR",
    "price_year": 2024,
    "capital": {"value": 1, "source": "test"},
    "yearly_operating": {"value": 1, "source": "test"},
    "lifetime_years": {"value": 1, "source": "test"},
}


def sourced(value):
    return {"value": value, "source": "test"}


def make(kind, **fields):
    return REGISTRY[kind].model_validate({"type": kind, "cost": COST, **fields})


@pytest.fixture(scope="module")
def world(helsinki):
    spec = load_resident_model("nairobi_informal")
    residents = synthesize_for_city(spec, helsinki, 6000, seed=3)
    return World.baseline(helsinki, residents, TravelParams.from_model(spec))


def snapshot(world):
    r = world.residents
    return {name: getattr(r, name).copy() for name in vars(r)}, world.parking_search_time_s.copy()


def assert_unchanged(world, before):
    arrays, search = before
    for name, values in arrays.items():
        np.testing.assert_array_equal(getattr(world.residents, name), values)
    np.testing.assert_array_equal(world.parking_search_time_s, search)


def test_parking_app_cuts_search_for_adopters_only(world):
    before = snapshot(world)
    app = make("parking_app", adoption=sourced(0.5), search_time_cut=sourced(0.4),
               cruising_relief=sourced(0.1))
    after = app.apply(world, seed=1)
    assert_unchanged(world, before)
    r, base = world.residents, world.parking_search_time_s
    ratio = after.parking_search_time_s / base
    assert (ratio[~r.has_car] == 1.0).all()  # no car, no parking search
    eligible = r.has_car & r.can_use_apps
    adopters = r.has_car & (ratio < ratio[r.has_car].max() - 1e-6)
    relief = 1.0 - ratio[r.has_car].max()
    # everyone's relief is cruising_relief times the adopters' share of drivers
    assert np.isclose(relief, 0.1 * adopters.sum() / r.has_car.sum(), rtol=1e-5)
    assert np.allclose(ratio[adopters], (1.0 - relief) * 0.6, rtol=1e-5)
    assert not adopters[~eligible].any()
    share = adopters[eligible].mean()
    assert abs(share - 0.5) < 4 * np.sqrt(0.25 / eligible.sum())


def run_days(world, days=3):
    model = CityModel(world, seed=2, agents="none")
    model.run(days)
    return model.ledger


def test_parking_app_at_adoption_zero_is_the_baseline_exactly(world):
    app = make("parking_app", adoption=sourced(0.0), search_time_cut=sourced(0.4),
               cruising_relief=sourced(0.3))
    after = app.apply(world, seed=1)
    np.testing.assert_array_equal(after.parking_search_time_s, world.parking_search_time_s)
    base, scenario = run_days(world), run_days(after)
    np.testing.assert_array_equal(base.travel_time_s, scenario.travel_time_s)
    np.testing.assert_array_equal(base.trips_made, scenario.trips_made)


def test_parking_relief_for_non_adopters_grows_with_adoption(world):
    """Non-adopting drivers gain more as more drivers adopt; switched off
    (cruising_relief 0) they gain nothing at any adoption."""
    r = world.residents
    non_adopters = r.has_car & ~r.can_use_apps  # never adopt, whatever the adoption
    saved = {}
    for relief in (0.3, 0.0):
        for adoption in (0.2, 0.5, 1.0):
            app = make("parking_app", adoption=sourced(adoption), search_time_cut=sourced(0.4),
                       cruising_relief=sourced(relief))
            after = app.apply(world, seed=1).parking_search_time_s
            saved[relief, adoption] = float((world.parking_search_time_s - after)[non_adopters].mean())
    assert 0 < saved[0.3, 0.2] < saved[0.3, 0.5] < saved[0.3, 1.0]
    assert saved[0.0, 0.2] == saved[0.0, 0.5] == saved[0.0, 1.0] == 0.0


def test_smart_meters_only_reduce_piped_outages(world):
    before = snapshot(world)
    meters = make("smart_water_meters", coverage=sourced(1.0), outage_reduction=sourced(0.5))
    after = meters.apply(world, seed=1).residents
    assert_unchanged(world, before)
    piped = world.residents.water_supply == WATER_SUPPLIES.index("piped")
    np.testing.assert_allclose(after.outage_days_per_week[piped],
                               world.residents.outage_days_per_week[piped] * 0.5, rtol=1e-6)
    np.testing.assert_array_equal(after.outage_days_per_week[~piped],
                                  world.residents.outage_days_per_week[~piped])


def test_device_subsidy_reaches_only_the_offered_quintiles(world):
    before = snapshot(world)
    subsidy = make("device_subsidy", quintiles=[1], uptake=sourced(1.0),
                   training_uptake=sourced(1.0))
    after = subsidy.apply(world, seed=1).residents
    assert_unchanged(world, before)
    r = world.residents
    q1 = r.income_quintile == 1
    assert after.can_use_apps[q1].all() and (after.can_use_apps[q1] > r.can_use_apps[q1]).any()
    np.testing.assert_array_equal(after.can_use_apps[~q1], r.can_use_apps[~q1])
    np.testing.assert_array_equal(after.can_use_apps, after.smartphone & after.digital_skills)


def test_water_points_are_sited_at_homes_without_piped_water(world):
    points = make("water_points", k=4)
    after = points.apply(world, seed=1)
    water = after.city.facilities["water"]
    assert len(water) == len(world.city.facilities["water"]) + 4
    off = world.residents.water_supply == WATER_SUPPLIES.index("off_premises")
    homes = set(world.residents.home_node[off])
    assert set(water.node["walk"][-4:]) <= homes
    assert len(world.city.facilities["water"]) == 0  # the given city is untouched
    assert not any(w.startswith("no water") for w in after.city.warnings)


def test_given_sites_outside_the_city_name_the_site(world):
    points = make("water_points", sites=[{"lon": 24.94, "lat": 60.17}, {"lon": 0.0, "lat": 0.0}])
    with pytest.raises(ConfigError) as error:
        apply_interventions([points], world, seed=1, path="s.yaml")
    assert "interventions[0].sites[1]" in str(error.value) and "s.yaml" in str(error.value)


def test_more_points_than_candidate_sites(world):
    few = world.replace(residents=synthesize_for_city(
        load_resident_model("nairobi_informal"), world.city, 20, seed=1))
    with pytest.raises(ConfigError, match="interventions\\[0\\].k"):
        apply_interventions([make("water_points", k=500)], few, seed=1)


def test_access_centres_give_assisted_booking_within_reach(world):
    centres = make("digital_access_centres", k=2, reach_m=sourced(400))
    after = centres.apply(world, seed=1)
    walk = after.city.streets["walk"]
    civic = after.city.facilities["civic"]
    new_nodes = civic.node["walk"][-2:]
    # reference: scipy on the walk graph (edges point home -> centre, so search the transpose)
    graph = sp.csr_matrix((walk.weight, walk.indices, walk.indptr), shape=(walk.n_nodes,) * 2)
    to_centre_m = dijkstra(graph.T.tocsr(), indices=new_nodes, min_only=True)
    r = world.residents
    expected = (to_centre_m[r.home_node] <= 400) & ~r.wheelchair
    np.testing.assert_array_equal(after.assisted_booking[~r.wheelchair], expected[~r.wheelchair])
    assert 0 < after.assisted_booking.sum() < len(r)
    assert not world.assisted_booking.any()


def test_centres_sited_once_for_scenarios_that_share_them(world, monkeypatch):
    # access_centres and paratransit_plus_centres site the same centres over
    # the same residents: the second reuses the first's siting, exactly.
    from twin.interventions import sites

    calls = []
    greedy = sites.greedy_p_median
    monkeypatch.setattr(sites, "greedy_p_median", lambda *a: calls.append(1) or greedy(*a))
    monkeypatch.setattr(sites, "_sited", sites.OrderedDict())
    centres = make("digital_access_centres", k=2, reach_m=sourced(400))
    paratransit = make("paratransit", fleet_size=1, vehicle_capacity=3, service_hours=[7, 19],
                       booking_channels=["app", "phone", "assisted"], phone_office_hours=[8, 16],
                       booking="day_before", multi_stop=True,
                       eligibility={"wheelchair": True, "reduced_mobility": True, "min_age_band": None},
                       **{name: sourced(v) for name, v in (
                           ("fare", 2.0), ("pickup_window_min", 30), ("dwell_time_s", 120),
                           ("activity_time_min", 45), ("max_ride_time_min", 60),
                           ("same_day_lead_min", 60), ("chained_pickup_window_min", 10))})
    alone = apply_interventions([centres], world, seed=1)
    together = apply_interventions([paratransit, centres], world, seed=1)
    assert len(calls) == 1
    monkeypatch.setattr(sites, "_sited", sites.OrderedDict())  # site afresh
    fresh = apply_interventions([centres], world, seed=1)
    assert len(calls) == 2
    for other in (together, fresh):
        for name in ("x_m", "y_m", "lon", "lat"):
            np.testing.assert_array_equal(getattr(other.city.facilities["civic"], name),
                                          getattr(alone.city.facilities["civic"], name))
        np.testing.assert_array_equal(other.assisted_booking, alone.assisted_booking)
    # other inputs (another k) are sited anew
    apply_interventions([make("digital_access_centres", k=3, reach_m=sourced(400))], world, seed=1)
    assert len(calls) == 3


@pytest.mark.parametrize("fields, needle", [
    ({"k": -1}, "k"),
    ({"k": 2, "sites": [{"lon": 24.9, "lat": 60.1}]}, "either k"),
    ({}, "either k"),
])
def test_bad_siting_parameters(fields, needle):
    with pytest.raises(Exception, match=needle):
        make("water_points", **fields)


def test_two_interventions_of_one_type_draw_different_numbers():
    """Each instance in a scenario has streams of its own: a second parking
    app adopts among other residents than the first (not the same ones again)."""
    from twin.interventions.parking_app import ParkingApp

    app = make("parking_app", adoption=sourced(0.5), search_time_cut=sourced(1.0),
               cruising_relief=sourced(0.0))
    assert isinstance(app, ParkingApp)
    n = 4000
    first = app.uniforms("adoption", n, seed=9, instance=0)
    second = app.uniforms("adoption", n, seed=9, instance=1)
    assert not np.array_equal(first, second)
    # independent: about a quarter adopt in both
    both = ((first < 0.5) & (second < 0.5)).mean()
    assert 0.2 < both < 0.3
    assert np.array_equal(first, app.uniforms("adoption", n, seed=9, instance=0))
