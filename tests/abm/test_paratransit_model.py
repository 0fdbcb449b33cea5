"""Paratransit in CityModel: vehicles as Mesa agents, the daily figures, and
the behaviour the design claims, on the bundled Helsinki city with both
resident models. Services come from the bundled scenario files."""

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from twin.abm import CityModel
from twin.abm.access import access_fields
from twin.abm.vehicle import TOUR_COLUMNS, Vehicle
from twin.interventions import apply_interventions
from twin.residents import load_resident_model, synthesize_for_city
from twin.scenario import load_scenario
from twin.world import TravelParams, World

pytestmark = pytest.mark.needs_jit  # populations of 5,000 to 400,000 on a real city

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios" / "helsinki"
MODEL_NAMES = ("helsinki", "nairobi_informal")


def service(multi_stop=False, **changes):
    """The paratransit of the bundled single- or multi-stop scenario."""
    name = "paratransit_multi_stop" if multi_stop else "paratransit_single_stop"
    (intervention,) = load_scenario(SCENARIOS / f"{name}.yaml").interventions
    return type(intervention).model_validate({**intervention.model_dump(), **changes})


@pytest.fixture(scope="module")
def access(helsinki):
    return access_fields(helsinki)


def baseline_world(helsinki, model_name, n, seed=3, **travel_changes):
    spec = load_resident_model(model_name)
    residents = synthesize_for_city(spec, helsinki, n, seed=seed)
    travel = dataclasses.replace(TravelParams.from_model(spec), **travel_changes)
    return World.baseline(helsinki, residents, travel)


def run(world, *, access, days=7, seed=3):
    model = CityModel(world, seed=seed, agents="none", access=access)
    model.run(days)
    return model


@pytest.fixture(scope="module")
def busy(helsinki, access):
    """One day of the single-stop service with two vehicles for 40,000 residents."""
    world = service(fleet_size=2).apply(baseline_world(helsinki, "helsinki", 40_000), seed=3)
    model = CityModel(world, seed=3, agents="none", access=access)
    model.step()
    return model


def test_vehicles_are_agents_whose_tour_can_be_read(busy):
    vehicles = sorted(busy.agents_by_type[Vehicle], key=lambda v: v.index)
    assert [v.index for v in vehicles] == [0, 1]
    d = busy.paratransit.dispatched
    capacity = busy.world.paratransit.vehicle_capacity
    riders = set(busy.paratransit.riders.resident.tolist())
    city = busy.world.city.streets["drive"]
    for vehicle in vehicles:
        tour = vehicle.tour
        assert tuple(tour.columns) == TOUR_COLUMNS and len(tour) > 0
        assert tour["time_s"].is_monotonic_increasing
        assert set(tour["kind"]) == {"pickup", "dropoff"}
        assert tour["load"].between(0, capacity).all() and tour["load"].iloc[-1] == 0
        assert set(tour["resident"]) <= riders
        assert tour["lon"].between(city.lon.min(), city.lon.max()).all()
        assert vehicle.passengers_today == (tour["kind"] == "pickup").sum()
        assert vehicle.km_today > 0
    # first fit: each request is offered to vehicle 0 first, so the first
    # request served, in the processing order, rides vehicle 0
    order = busy.paratransit.requests.order()
    first_served = order[d.request_vehicle[order] >= 0][0]
    assert d.request_vehicle[first_served] == 0
    # every served leg is one boarding; a refused request has no stop
    served_legs = np.repeat(~d.refused, busy.paratransit.requests.n_legs).sum()
    assert sum(v.passengers_today for v in vehicles) == served_legs
    assert not d.refused.all()


def test_daily_figures_count_paratransit(helsinki, access):
    world = service(fleet_size=1).apply(baseline_world(helsinki, "helsinki", 40_000), seed=3)
    model = run(world, access=access, days=4)
    daily = model.datacollector.get_model_vars_dataframe()
    ledger = model.ledger
    assert daily["paratransit_trips_today"].sum() == ledger.paratransit_trips.sum() > 0
    assert daily["paratransit_refused_today"].sum() > 0
    assert (daily["paratransit_requests_today"] >= daily["paratransit_refused_today"]).all()
    by_mode = daily[["walk_trips_today", "wheelchair_trips_today", "car_trips_today",
                     "transit_trips_today", "paratransit_trips_today"]].to_numpy().sum()
    assert by_mode == ledger.trips_made.sum() == daily["trips_made"].iloc[-1]
    assert daily["unmet_trips_today"].sum() == ledger.unmet_trips.sum() == daily["unmet_trips"].iloc[-1]
    frame = model.ledger_frame()
    np.testing.assert_allclose(frame["paratransit_trips_per_week"].sum(),
                               ledger.paratransit_trips.sum() * 7 / 4)
    assert (frame["paratransit_fare_per_week"] > 0).sum() > 0 and "phone" in frame


def test_without_riders_the_day_is_the_baseline_day(helsinki, access):
    world = baseline_world(helsinki, "nairobi_informal", 5_000)
    nobody = service(eligibility={"wheelchair": False, "reduced_mobility": False})
    with_service = run(nobody.apply(world, seed=3), access=access, days=3)
    without = run(world, access=access, days=3)
    assert len(with_service.paratransit.riders.resident) == 0
    for name in ("travel_time_s", "trips_made", "unmet_trips"):
        np.testing.assert_array_equal(getattr(with_service.ledger, name), getattr(without.ledger, name))


LEDGER_FIELDS = ("travel_time_s", "trips_made", "unmet_trips")


def test_with_no_vehicle_the_day_is_the_baseline_day(helsinki, access):
    """``fleet_size: 0``: every booking is refused and falls back to the
    rider's own mode, so the ledger and the daily mode counts are the
    baseline's, bit for bit."""
    world = baseline_world(helsinki, "helsinki", 20_000)
    model = run(service(fleet_size=0).apply(world, seed=3), access=access, days=3)
    base = run(world, access=access, days=3)
    assert model.ledger.paratransit_trips.sum() == 0 and model.ledger.paratransit_fare.sum() == 0
    assert model.ledger.paratransit_refused.sum() > 0
    for name in LEDGER_FIELDS:
        np.testing.assert_array_equal(getattr(model.ledger, name), getattr(base.ledger, name))
    columns = ["walk_trips_today", "wheelchair_trips_today", "car_trips_today", "unmet_trips_today"]
    np.testing.assert_array_equal(model.datacollector.get_model_vars_dataframe()[columns],
                                  base.datacollector.get_model_vars_dataframe()[columns])


def test_a_refused_rider_who_could_go_on_their_own_is_never_worse_off(helsinki, access):
    """A fleet that binds refuses many bookings, yet no resident makes fewer
    trips than without the service, and no trip becomes unmet. Ablation:
    riders whose own modes are beyond their limit (no car, a millionth of
    their speed) have no fallback, and every refused trip is unmet."""
    world = baseline_world(helsinki, "helsinki", 40_000)
    with_service = run(service(fleet_size=1).apply(world, seed=3), access=access, days=3)
    base = run(world, access=access, days=3)
    assert with_service.ledger.paratransit_refused.sum() > 0
    assert np.all(with_service.ledger.trips_made >= base.ledger.trips_made)
    assert np.all(with_service.ledger.unmet_trips <= base.ledger.unmet_trips)

    stranded = world.residents.copy()
    stranded.speed_mps = stranded.speed_mps * np.float32(1e-6)
    stranded.has_car[:] = False
    model = run(service(fleet_size=1).apply(world.replace(residents=stranded), seed=3),
                access=access, days=3)
    refused = model.ledger.paratransit_refused
    assert refused.sum() > 0
    assert np.all(model.ledger.unmet_trips.sum(axis=1) >= refused)


SCARCE_POPULATION = {"helsinki": 100_000, "nairobi_informal": 400_000}
"""Residents for whom the scenarios' one vehicle is scarce: riders are about
9% of Helsinki's model and 2% of Nairobi's, so these give each about the
same demand, several times what one vehicle carries."""


@pytest.mark.parametrize("model_name", MODEL_NAMES)
def test_multi_stop_completes_more_wheelchair_trips_than_single_stop(helsinki, access, model_name):
    """The scenario files' services (one vehicle, identical but for
    ``multi_stop``) where demand outgrows the fleet, as it does where fleets
    are scarce. Chained trips need fewer legs, and a journey is taken or
    refused whole, where single legs leave trips half-served. (Where the
    fleet nearly suffices, both serve about as many trips: a journey must fit
    one vehicle; multi-stop's gain there is in waiting.)"""
    world = baseline_world(helsinki, model_name, SCARCE_POPULATION[model_name])
    single = run(service(multi_stop=False).apply(world, seed=3), access=access)
    multi = run(service(multi_stop=True).apply(world, seed=3), access=access)
    daily = single.datacollector.get_model_vars_dataframe()
    assert daily["paratransit_refused_today"].sum() > 0.4 * daily["paratransit_requests_today"].sum()
    wheelchair = world.residents.wheelchair
    assert multi.ledger.trips_made[wheelchair].sum() > single.ledger.trips_made[wheelchair].sum()
    assert multi.ledger.paratransit_trips.sum() > single.ledger.paratransit_trips.sum()


@pytest.mark.parametrize("model_name", MODEL_NAMES)
def test_access_centres_raise_paratransit_use_among_residents_who_cannot_use_apps(
        helsinki, access, model_name):
    """An app-booked service (the Birmingham case) that also takes assisted
    bookings: without centres nobody can book them; the centres of the
    bundled scenario bring in eligible residents without apps nearby."""
    app_and_centres = service(booking_channels=["app", "assisted"])
    world = baseline_world(helsinki, model_name, 20_000)
    (centres,) = load_scenario(SCENARIOS / "access_centres.yaml").interventions
    without = run(app_and_centres.apply(world, seed=3), access=access)
    with_centres = run(apply_interventions([centres, app_and_centres], world, seed=3), access=None)
    no_apps = ~world.residents.can_use_apps
    before = without.ledger.paratransit_trips[no_apps].sum()
    after = with_centres.ledger.paratransit_trips[no_apps].sum()
    assert before == 0 and after > 0
    # those who gained are residents within reach of a centre
    gained = no_apps & (with_centres.ledger.paratransit_trips > 0)
    assert with_centres.world.assisted_booking[gained].all()


@pytest.mark.parametrize("multi_stop", [False, True], ids=["single_stop", "multi_stop"])
def test_a_bigger_fleet_never_refuses_more_on_helsinki(helsinki, access, multi_stop):
    # riders who do not learn book the same trips whatever the fleet, day after day
    world = baseline_world(helsinki, "helsinki", 60_000, paratransit_learning=0.0)
    models = [CityModel(service(multi_stop, fleet_size=n).apply(world, seed=3), seed=3,
                        agents="none", access=access) for n in range(4)]
    for _ in range(3):
        refused = []
        for model in models:
            model.step()
            refused.append(model.paratransit.dispatched.refused)
        assert refused[0].all()
        for fewer, more in zip(refused, refused[1:]):
            assert not np.any(more & ~fewer)
        assert refused[1].sum() > refused[-1].sum()


def test_booking_demand_settles_to_what_the_fleet_serves(helsinki, access):
    """Riders refused today expect less and book less often, so a small
    fleet refuses a smaller share as the week goes on; without learning
    (the ablation) riders keep booking as on the first day."""
    def week(learning):
        world = service(fleet_size=1).apply(
            baseline_world(helsinki, "helsinki", 40_000, paratransit_learning=learning), seed=3)
        model = CityModel(world, seed=3, agents="none", access=access)
        requests, refused = [], []
        for _ in range(7):
            model.step()
            requests.append(model.paratransit_today["requests"])
            refused.append(model.paratransit_today["refused"] / max(model.paratransit_today["requests"], 1))
        return model, np.array(requests), np.array(refused)

    learnt, requests, refused_share = week(0.5)
    fixed, requests_fixed, refused_share_fixed = week(0.0)
    assert refused_share_fixed[0] > 0.3  # the fleet binds
    assert requests[0] == requests_fixed[0]  # day one: nothing learnt yet
    assert requests[-3:].sum() < 0.8 * requests_fixed[-3:].sum()
    assert refused_share[-3:].mean() < refused_share_fixed[-3:].mean()
    expected = learnt.paratransit.riders.expected_served
    assert expected.min() < 1.0 and (fixed.paratransit.riders.expected_served == 1.0).all()
    # and learning never costs a rider trips: a trip not booked is made as when refused
    np.testing.assert_array_equal(learnt.ledger.trips_made.sum() + learnt.ledger.unmet_trips.sum(),
                                  fixed.ledger.trips_made.sum() + fixed.ledger.unmet_trips.sum())


def test_riders_who_found_the_service_slower_book_less(helsinki, access):
    """A new rider expects a leg to take half the pickup window beyond the
    direct drive, then learns what their served trips took. With four vans
    of the shipped service (its one van serves too few riders on day one to
    learn from), most rides take longer than advertised, and riders who
    learnt it book fewer trips the next day than the same riders made to
    forget it (the ablation); a rider whose ride was quicker books more."""
    world = service(fleet_size=4).apply(baseline_world(helsinki, "helsinki", 20_000), seed=3)
    learnt, forgot = (CityModel(world, seed=3, agents="none", access=access) for _ in range(2))
    learnt.step()
    forgot.step()
    advertised = 0.5 * learnt.paratransit.rules.pickup_window_s
    forgot.paratransit.riders.expected_extra_s[:] = advertised
    expected = learnt.paratransit.riders.expected_extra_s.copy()
    assert (expected > advertised).sum() > 2 * (expected < advertised).sum() > 0
    learnt.step()
    forgot.step()
    booked, booked_ablated = learnt.paratransit.riders.booked, forgot.paratransit.riders.booked
    slower, quicker = expected > advertised, expected < advertised
    assert (booked[slower] <= booked_ablated[slower]).all()
    assert (booked[quicker] >= booked_ablated[quicker]).all()
    assert (booked[~slower & ~quicker] == booked_ablated[~slower & ~quicker]).all()
    assert booked.sum() < booked_ablated.sum()
