"""The day kernel (CityModel.step) against the per-resident Mesa reference.

Both read the same accessibility fields; the reference computes everything
else itself (water queues, destinations' drive nodes, drive times, riders),
so this checks trip drawing, mode choice, parking, water fetching and its
queues, paratransit and unmet accounting, resident by resident, bit for bit.
"""

import numba
import numpy as np
import pytest

from twin.abm import CityModel
from twin.abm.access import AccessFields
from twin.core.choice import WorkZoneFields
from twin.core.threads import chunk_bounds
from twin.residents.population import CHOICE_PURPOSES, PURPOSES, Residents
from twin.transit.fields import WALK_SPEED_MPS, WHEELCHAIR_SPEED_MPS, TransitFields
from twin.world import CHOICE_TABLES, Transit, TravelParams, World

from reference_model import ReferenceCityModel

K_CHOICE = 3  # destinations_considered of the tests' travel parameters


def travel_params(*args, **changes):
    """TravelParams with the given travel and water values and test values
    (Helmet-like, see models/helsinki.yaml) for destination and mode choice."""
    choice = {name: {purpose: value for purpose in CHOICE_PURPOSES}
              for name, value in zip(CHOICE_TABLES, (0.7, -0.8, -0.04, 4.2, 1.8, 5.0, 3.6, -0.028))}
    choice["logsum_coefficient"]["work"] = 1.0
    values = dict(median_income=22_000.0, value_of_time_per_hour=8.0, value_of_time_income_elasticity=0.5,
                  car_cost_per_km=0.12, parking_cost_per_trip=2.0, destinations_considered=K_CHOICE,
                  choice_by_purpose=choice, paratransit_learning=0.5)
    return TravelParams(*args, **{**values, **changes})


def random_residents(rng, n, n_walk):
    """Residents with every attribute drawn at random (edge cases included)."""
    wheelchair = rng.random(n) < 0.2
    smartphone = rng.random(n) < 0.6
    skills = rng.random(n) < 0.7
    trips = rng.choice([0.0, 0.25, 1.0, 2.5, 3.0, 7.0, 10.0], size=(n, len(PURPOSES)))
    trips[:, PURPOSES.index("water")] = 0
    return Residents(
        income=rng.lognormal(10, 0.5, n).astype(np.float32),
        income_quintile=rng.integers(1, 6, n).astype(np.int8),
        age_band=rng.integers(0, 5, n).astype(np.int8),
        has_car=rng.random(n) < 0.4,
        smartphone=smartphone,
        home_internet=rng.random(n) < 0.5,
        digital_skills=skills,
        phone=smartphone | (rng.random(n) < 0.5),
        can_use_apps=smartphone & skills,
        reduced_mobility=wheelchair | (rng.random(n) < 0.1),
        wheelchair=wheelchair,
        water_supply=rng.integers(0, 2, n).astype(np.int8),
        outage_days_per_week=rng.choice([0.0, 0.5, 3.5], n).astype(np.float32),
        home_node=rng.integers(0, n_walk, n).astype(np.int32),
        speed_mps=rng.uniform(0.6, 1.5, n).astype(np.float32),
        max_trip_time_s=rng.choice([600.0, 1800.0, 3600.0], n).astype(np.float32),
        trips_per_week=trips.astype(np.float32),
    )


def random_access(rng, n_walk, n_drive):
    """Fields with unreachable (inf) entries for every mode."""

    def field(n, scale):
        values = rng.exponential(scale, (n, len(PURPOSES)))
        values[rng.random(values.shape) < 0.1] = np.inf
        return values

    def nearest(cost, n_points=4):
        return np.where(np.isfinite(cost), rng.integers(0, n_points, cost.shape), -1).astype(np.int32)

    walk, wheelchair, drive = field(n_walk, 900.0), field(n_walk, 1200.0), field(n_drive, 300.0)

    def water_points(n_points=4, k=3):
        """k nearest of n_points, nearest first, some missing."""
        length = np.sort(rng.exponential(700.0, (n_walk, k)), axis=1)
        point = np.argsort(rng.random((n_walk, n_points)), axis=1)[:, :k].astype(np.int32)
        missing = np.cumsum(rng.random((n_walk, k)) < 0.15, axis=1) > 0
        return np.where(missing, np.inf, length), np.where(missing, -1, point).astype(np.int32)

    def choice_sets():
        """Distances (nearest first, some missing) and drive times (some unreachable)."""
        shape = (n_walk, len(PURPOSES), K_CHOICE)
        length = np.sort(rng.exponential(900.0, shape), axis=2)
        length[np.cumsum(rng.random(shape) < 0.1, axis=2) > 0] = np.inf
        drive_s = rng.exponential(300.0, shape)
        drive_s[(rng.random(shape) < 0.1) | ~np.isfinite(length)] = np.inf
        return length, drive_s

    (walk_water, walk_point), (wheelchair_water, wheelchair_point) = water_points(), water_points()
    (walk_choice, walk_choice_drive), (wheelchair_choice, wheelchair_choice_drive) = choice_sets(), choice_sets()
    return AccessFields(
        walk_length_m=walk,
        wheelchair_length_m=wheelchair,
        drive_time_s=drive,
        walk_facility=nearest(walk),
        wheelchair_facility=nearest(wheelchair),
        drive_facility=nearest(drive),
        walk_to_drive=rng.integers(0, n_drive, n_walk).astype(np.int32),
        water_walk_m=walk_water,
        water_wheelchair_m=wheelchair_water,
        water_walk_point=walk_point,
        water_wheelchair_point=wheelchair_point,
        n_water_points=4,
        walk_choice_m=walk_choice,
        walk_choice_drive_s=walk_choice_drive,
        wheelchair_choice_m=wheelchair_choice,
        wheelchair_choice_drive_s=wheelchair_choice_drive,
    )


def random_work(rng, access, *, transit=False, n_zones=6):
    """Travel fields to a few work zones (float32, as the real ones), with
    unreachable (inf) entries for every mode; walk + transit times only
    with ``transit``."""
    n_walk = len(access.walk_to_drive)

    def field(scale):
        values = rng.exponential(scale, (n_walk, n_zones))
        values[rng.random(values.shape) < 0.1] = np.inf
        return values.astype(np.float32)

    walk_m, wheelchair_m, drive_s = field(1500.0), field(1800.0), field(400.0)
    if transit:
        walk_transit_s, wheelchair_transit_s = field(1200.0), field(1500.0)
    else:
        walk_transit_s = wheelchair_transit_s = np.full((n_walk, n_zones), np.inf, dtype=np.float32)
    return WorkZoneFields(jobs=rng.uniform(1.0, 50.0, n_zones), walk_m=walk_m, wheelchair_m=wheelchair_m,
                          drive_s=drive_s, walk_transit_s=walk_transit_s, wheelchair_transit_s=wheelchair_transit_s,
                          drive_node=rng.integers(0, len(access.drive_time_s), n_zones).astype(np.int32))


def random_world(rng, residents, travel):
    """The baseline world with parking search varying by resident, and an
    access centre for civic business within reach of some who cannot use apps."""
    world = World.baseline(None, residents, travel)
    n = len(residents)
    search_s = rng.uniform(0, 2, n) * travel.parking_search_time_s
    centre_m = np.where(~residents.can_use_apps & (rng.random(n) < 0.5), rng.exponential(600.0, n), np.inf)
    return world.replace(parking_search_time_s=search_s.astype(np.float32), assisted_civic_length_m=centre_m)


def run_both(world, access, seed, days, transit=None, work=None):
    """Both models' ledgers after ``days``; each draws the workplaces itself
    (random work fields unless ``work`` is given)."""
    if work is None:
        work = random_work(np.random.default_rng(seed), access, transit=transit is not None)
    fast = CityModel(world.replace(residents=world.residents.copy()), seed=seed, access=access,
                     agents="none", transit=transit, work=work)
    slow = ReferenceCityModel(world.replace(residents=world.residents.copy()), seed=seed,
                              access=access, transit=transit, work=work)
    for _ in range(days):
        fast.step()
        slow.step()
    return fast.ledger, slow.ledger


@pytest.mark.parametrize("seed", [0, 1, 987654321])
@pytest.mark.parametrize("water_trips_per_day", [0.0, 1.5, 4.0])
def test_kernel_day_equals_reference_on_random_inputs(seed, water_trips_per_day):
    rng = np.random.default_rng(seed)
    residents = random_residents(rng, 400, n_walk=60)
    access = random_access(rng, n_walk=60, n_drive=25)
    travel = travel_params(
        parking_search_time_s=float(rng.uniform(0, 600)),
        parking_walk_m=float(rng.uniform(0, 400)),
        water_trips_per_day=water_trips_per_day,
        water_fill_s=float(rng.uniform(60, 300)),
        water_open_s=float(rng.uniform(4, 12)) * 3600.0,
        water_points_considered=3,
        water_learning=float(rng.uniform(0.2, 1.0)),
    )
    fast, slow = run_both(random_world(rng, residents, travel), access, seed, days=9)
    np.testing.assert_array_equal(fast.trips_made, slow.trips_made)
    np.testing.assert_array_equal(fast.unmet_trips, slow.unmet_trips)
    np.testing.assert_array_equal(fast.travel_time_s, slow.travel_time_s)
    np.testing.assert_array_equal(fast.travel_money, slow.travel_money)
    np.testing.assert_array_equal(fast.car_trips, slow.car_trips)
    # the inputs reach every branch: made and unmet trips, every purpose, cars
    assert fast.trips_made.sum() > 0 and fast.unmet_trips.sum() > 0
    assert (fast.trips_made + fast.unmet_trips).sum(axis=0)[PURPOSES.index("food")] > 0
    assert fast.travel_money.sum() > 0


def random_transit(rng, access):
    """Walk + transit fields (journeys with a ride): faster than walking at
    some nodes, slower at others, none at a third (float32, as the real ones)."""
    def field(length_m, speed_mps):
        time_s = length_m / speed_mps * rng.uniform(0.1, 1.6, length_m.shape)
        time_s[rng.random(length_m.shape) < 0.3] = np.inf
        return time_s.astype(np.float32)

    return TransitFields(walk_time_s=field(access.walk_length_m, WALK_SPEED_MPS),
                         wheelchair_time_s=field(access.wheelchair_length_m, WHEELCHAIR_SPEED_MPS),
                         departures_s=np.zeros(0, dtype=np.int64))


@pytest.mark.parametrize("seed", [2, 77])
def test_kernel_day_with_transit_equals_reference(seed):
    """Transit as a third alternative: times, fares (some residents pay less,
    some are priced out by the budget share), wheelchair fields, against the
    reference; the ledger counts the trips and fares by transit."""
    rng = np.random.default_rng(seed)
    residents = random_residents(rng, 400, n_walk=60)
    access = random_access(rng, n_walk=60, n_drive=25)
    travel = travel_params(300.0, 150.0, 0.0, 160.0, 28_800.0, 3, 0.5, transit_fare_budget_share=0.2)
    fare_paid = rng.choice([0.0, 2.5, 6.0], len(residents))
    world = random_world(rng, residents, travel).replace(transit=Transit(None, 6.0, fare_paid))
    fast, slow = run_both(world, access, seed, days=5, transit=random_transit(rng, access))
    for name in ("trips_made", "unmet_trips", "travel_time_s", "travel_money", "car_trips",
                 "transit_trips", "transit_fare"):
        np.testing.assert_array_equal(getattr(fast, name), getattr(slow, name), err_msg=name)
    priced_out = 2.0 * fare_paid > 0.2 * residents.income / 365.0
    assert priced_out.any() and fast.transit_trips[priced_out].sum() == 0
    assert fast.transit_trips.sum() > 0 and fast.transit_fare.sum() > 0
    assert fast.transit_trips[residents.wheelchair].sum() > 0


def test_no_transit_service_changes_nothing():
    """A world with a transit service that reaches nowhere gives the ledger
    of a world without one, bit for bit (a city without transit: as before)."""
    rng = np.random.default_rng(8)
    residents = random_residents(rng, 300, n_walk=50)
    access = random_access(rng, n_walk=50, n_drive=20)
    travel = travel_params(300.0, 150.0, 1.0, 160.0, 28_800.0, 3, 0.5)
    world = random_world(rng, residents, travel)
    nowhere = np.full(access.walk_length_m.shape, np.inf, dtype=np.float32)
    fields = TransitFields(nowhere, nowhere, np.zeros(0, dtype=np.int64))
    work = random_work(rng, access)  # transit to the work zones: none either
    ledgers = []
    for transit in (None, Transit(None, 2.0, np.full(len(residents), 2.0))):
        model = CityModel(world.replace(residents=residents.copy(), transit=transit), seed=3,
                          access=access, agents="none", transit=fields, work=work)
        model.run(4)
        ledgers.append(model.ledger)
    for name in ("trips_made", "unmet_trips", "travel_time_s", "travel_money", "car_trips", "transit_trips"):
        np.testing.assert_array_equal(getattr(ledgers[0], name), getattr(ledgers[1], name), err_msg=name)
    assert ledgers[0].trips_made.sum() > 0 and ledgers[0].transit_trips.sum() == 0


def test_one_way_times_and_water_queues_equal_reference():
    """The model's best one-way times (best_one_way_times) and per-resident
    water points, times at the point and served shares, day by day, against
    the reference, which chooses and loads the points itself."""
    rng = np.random.default_rng(3)
    residents = random_residents(rng, 500, n_walk=40)
    residents.water_supply[:] = rng.integers(0, 2, len(residents))  # both supply kinds
    access = random_access(rng, n_walk=40, n_drive=15)
    travel = travel_params(300.0, 150.0, 1.0, 160.0, 28_800.0, 3, 0.5)
    world = random_world(rng, residents, travel).replace(people_per_resident=2.5)  # loaded points
    work = random_work(rng, access)
    fast = CityModel(world, seed=1, access=access, agents="none", work=work)
    slow = ReferenceCityModel(world, seed=1, access=access, work=work)
    for _ in range(3):  # the choice of point and its time evolve from day to day
        np.testing.assert_array_equal(fast.water.time_at_point_s, np.array(slow.water_queue_time_s, np.float32))
        np.testing.assert_array_equal(fast.water.served_share, np.array(slow.water_served_share, np.float32))
        np.testing.assert_array_equal(fast.water.chosen, slow.water_point)
        fast.step()
        slow.step()
    assert len(np.unique(fast.water.time_at_point_s)) > 2  # points with different loads
    assert (fast.water.served_share < 1.0).any()  # and some overloaded
    expected = [[agent.one_way_time_s(p) for p in range(len(PURPOSES))]
                for agent in sorted(slow.agents, key=lambda a: a.index)]
    np.testing.assert_array_equal(fast.one_way_time_s(), np.array(expected))


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="numba started with one thread")
@pytest.mark.needs_jit  # 25,000 residents: the split is the same code with the JIT off
def test_day_split_over_threads_equals_reference():
    """Enough residents for the day to run in two chunks on two threads
    (twin.core.threads); the ledger must not depend on the split."""
    before = numba.get_num_threads()
    numba.set_num_threads(2)
    try:
        n = 25_000
        assert len(chunk_bounds(n)) == 3
        rng = np.random.default_rng(11)
        residents = random_residents(rng, n, n_walk=80)
        access = random_access(rng, n_walk=80, n_drive=30)
        travel = travel_params(300.0, 150.0, 1.5, 160.0, 28_800.0, 3, 0.5)
        fast, slow = run_both(random_world(rng, residents, travel), access, seed=4, days=3)
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(fast.trips_made, slow.trips_made)
    np.testing.assert_array_equal(fast.unmet_trips, slow.unmet_trips)
    np.testing.assert_array_equal(fast.travel_time_s, slow.travel_time_s)
    assert fast.trips_made.sum() > 0 and fast.unmet_trips.sum() > 0


def test_weekly_trip_counts_follow_weekly_needs():
    rng = np.random.default_rng(5)
    residents = random_residents(rng, 2000, n_walk=10)
    access = random_access(rng, n_walk=10, n_drive=5)
    travel = travel_params(0.0, 0.0, 0.0, 160.0, 28_800.0, 3, 0.5)
    model = CityModel(World.baseline(None, residents, travel), seed=3, access=access,
                      agents="none", work=random_work(rng, access))
    model.run(7)
    done = model.ledger.trips_made + model.ledger.unmet_trips
    needed = residents.trips_per_week
    # over any 7 days each need is met w rounded down or up, never more or less
    assert np.all(done >= np.floor(needed)) and np.all(done <= np.ceil(needed))


@pytest.mark.needs_jit  # the real city's choice sets take 13 s to search in plain Python; random inputs cover it
@pytest.mark.parametrize("model_name", ["helsinki", "nairobi_informal"])
def test_kernel_day_equals_reference_on_helsinki_streets(helsinki, model_name):
    """Real streets, real facilities and synthesized residents of both models."""
    from twin.residents import load_resident_model, synthesize_for_city

    spec = load_resident_model(model_name)
    residents = synthesize_for_city(spec, helsinki, 1500, seed=7)
    world = World.baseline(helsinki, residents, TravelParams.from_model(spec))
    fast = CityModel(world.replace(residents=residents.copy()), seed=7, agents="none")
    slow = ReferenceCityModel(world.replace(residents=residents.copy()), seed=7,
                              access=fast.access)
    for _ in range(7):
        fast.step()
        slow.step()
    np.testing.assert_array_equal(fast.ledger.trips_made, slow.ledger.trips_made)
    np.testing.assert_array_equal(fast.ledger.unmet_trips, slow.ledger.unmet_trips)
    np.testing.assert_array_equal(fast.ledger.travel_time_s, slow.ledger.travel_time_s)
    np.testing.assert_array_equal(fast.ledger.travel_money, slow.ledger.travel_money)
    np.testing.assert_array_equal(fast.ledger.car_trips, slow.ledger.car_trips)
    assert fast.ledger.trips_made.sum() > 10_000


def paratransit(**changes):
    """A paratransit intervention (every field given, sources marked as test values)."""
    from twin.interventions.paratransit import Paratransit

    def sourced(value):
        return {"value": value, "source": "test"}

    fields = dict(
        type="paratransit", fleet_size=2, vehicle_capacity=2, service_hours=[7, 19],
        booking_channels=["app", "phone", "assisted"], phone_office_hours=[9, 15],
        booking="day_before", eligibility={"wheelchair": True, "reduced_mobility": True,
                                           "min_age_band": 4},
        fare=sourced(2.5), multi_stop=False, pickup_window_min=sourced(30),
        dwell_time_s=sourced(90), cost={"currency": "EUR", "price_year": 2024, "capital": sourced(1),
                                        "yearly_operating": sourced(1), "lifetime_years": sourced(1)},
    )
    return Paratransit.model_validate({**fields, **changes})


@pytest.fixture(scope="module")
def helsinki_access(helsinki):
    from twin.abm.access import access_fields

    return access_fields(helsinki, destinations_considered=K_CHOICE)


@pytest.mark.parametrize("multi_stop", [False, True], ids=["single_stop", "multi_stop"])
@pytest.mark.needs_jit  # the real city's choice sets take 13 s to search in plain Python, then 3,000 riders
@pytest.mark.parametrize("booking", ["day_before", "same_day"])
def test_paratransit_day_equals_reference(helsinki, helsinki_access, multi_stop, booking):
    """Riders' choices, bookings and the accounting of their dispatched trips,
    resident by resident, against the per-agent reference (which dispatches
    the requests it builds itself)."""
    rng = np.random.default_rng(21)
    residents = random_residents(rng, 3000, n_walk=helsinki.streets["walk"].n_nodes)
    travel = travel_params(300.0, 150.0, 1.0, 160.0, 28_800.0, 3, 0.5)
    world = random_world(rng, residents, travel).replace(
        city=helsinki, assisted_booking=rng.random(len(residents)) < 0.3)
    world = paratransit(multi_stop=multi_stop, booking=booking, fleet_size=1,
                        vehicle_capacity=1).apply(world, seed=1)
    fast = CityModel(world.replace(residents=residents.copy()), seed=5, access=helsinki_access,
                     agents="none")
    slow = ReferenceCityModel(world.replace(residents=residents.copy()), seed=5,
                              access=helsinki_access)
    for _ in range(4):
        fast.step()
        slow.step()
        np.testing.assert_array_equal(fast.paratransit.dispatched.request_vehicle,
                                      slow.dispatched)
    for name in ("trips_made", "unmet_trips", "travel_time_s", "paratransit_trips",
                 "paratransit_refused", "paratransit_fare", "travel_money", "car_trips"):
        np.testing.assert_array_equal(getattr(fast.ledger, name), getattr(slow.ledger, name),
                                      err_msg=name)
    # the inputs reach every branch: trips served and refused, riders' own trips
    assert fast.ledger.paratransit_trips.sum() > 0 and fast.ledger.paratransit_refused.sum() > 0
    riders = fast.paratransit.riders.resident
    assert fast.ledger.trips_made[riders].sum() > fast.ledger.paratransit_trips[riders].sum()
