"""The public kernel wrappers refuse inputs a kernel would misread: wrong
dtypes, shapes or indices out of range give one ValueError naming them all,
before any kernel runs and before anything is written."""

import numpy as np
import pytest

from twin.core.bookings import Trips, account_paratransit, paratransit_requests
from twin.core.choice import ChoiceParams
from twin.core.daily import (
    DayCity,
    DayParams,
    DayResidents,
    LedgerArrays,
    Riders,
    ServiceRules,
    best_one_way_times,
    simulate_day,
)
from twin.core.dispatch import Dispatched, Fleet, Requests, ZoneTimes, dispatch
from twin.core.streams import MAX_PURPOSES

N, N_WALK, N_DRIVE, N_PURPOSES, K, N_ZONES = 50, 12, 6, 4, 3, 5


def choice(n_purposes):
    """Destination and mode choice for purposes 2 and 3 (3: work)."""
    chooses = np.arange(n_purposes) >= 2
    values = np.where(chooses, 1.0, 0.0)
    return ChoiceParams(chooses, 3, 2, 0.7 * values, -0.8 * values, -0.03 * values, 4.0 * values,
                        3.0 * values, 0.12, 2.0, 3.5 * values, -0.03 * values)


def inputs(rng, n_purposes=N_PURPOSES):
    residents = DayResidents(
        home_node=rng.integers(0, N_WALK, N).astype(np.int32),
        wheelchair=rng.random(N) < 0.3,
        has_car=rng.random(N) < 0.5,
        speed_mps=rng.uniform(0.5, 1.5, N).astype(np.float32),
        max_trip_time_s=np.full(N, 1800.0, dtype=np.float32),
        parking_search_time_s=np.full(N, 300.0, dtype=np.float32),
        trips_per_week=np.full((N, n_purposes), 3.0, dtype=np.float32),
        water_supply=np.zeros(N, dtype=np.int8),
        outage_days_per_week=np.zeros(N, dtype=np.float32),
        water_queue_time_s=np.zeros(N, dtype=np.float32),
        water_length_m=rng.uniform(100, 2000, N),
        water_served_share=np.ones(N, dtype=np.float32),
        value_of_time_per_min=rng.uniform(0.05, 0.3, N),
        assisted_civic_m=np.where(rng.random(N) < 0.3, rng.uniform(50, 500, N), np.inf),
        transit_fare=np.where(rng.random(N) < 0.8, 2.0, np.inf),
        work_zone=rng.integers(-1, N_ZONES, N).astype(np.int32),
    )
    shape = (N_WALK, n_purposes, K)
    walk_choice = np.sort(rng.uniform(100, 2000, shape), axis=2)
    wheelchair_choice = np.sort(rng.uniform(100, 2000, shape), axis=2)
    city = DayCity(
        walk_length_m=rng.uniform(100, 2000, (N_WALK, n_purposes)),
        wheelchair_length_m=rng.uniform(100, 2000, (N_WALK, n_purposes)),
        drive_time_s=rng.uniform(60, 600, (N_DRIVE, n_purposes)),
        walk_to_drive=rng.integers(0, N_DRIVE, N_WALK).astype(np.int32),
        walk_choice_m=walk_choice,
        walk_choice_drive_s=rng.uniform(60, 600, shape),
        wheelchair_choice_m=wheelchair_choice,
        wheelchair_choice_drive_s=rng.uniform(60, 600, shape),
        walk_choice_weight=np.exp(-0.001 * walk_choice),
        wheelchair_choice_weight=np.exp(-0.001 * wheelchair_choice),
        walk_transit_s=rng.uniform(300, 1500, (N_WALK, n_purposes)),
        wheelchair_transit_s=rng.uniform(300, 1500, (N_WALK, n_purposes)),
        **{name: rng.uniform(60, 3000, (N_WALK, N_ZONES)).astype(np.float32)
           for name in ("work_walk_m", "work_wheelchair_m", "work_drive_s", "work_walk_transit_s",
                        "work_wheelchair_transit_s")},
        work_drive_node=rng.integers(0, N_DRIVE, N_ZONES).astype(np.int32),
    )
    params = DayParams(water_purpose=0, transit_purpose=1, parking_walk_m=100.0,
                       water_trips_per_day=1.0, choice=choice(n_purposes))
    return residents, city, params


def ledger(n_purposes=N_PURPOSES):
    return LedgerArrays(
        travel_time_s=np.zeros((N, n_purposes)), trips_made=np.zeros((N, n_purposes), np.int32),
        unmet_trips=np.zeros((N, n_purposes), np.int32), paratransit_trips=np.zeros(N, np.int32),
        paratransit_refused=np.zeros(N, np.int32), paratransit_fare=np.zeros(N),
        travel_money=np.zeros(N), car_trips=np.zeros(N, np.int32),
        transit_trips=np.zeros(N, np.int32), transit_fare=np.zeros(N),
    )


def test_valid_inputs_run():
    residents, city, params = inputs(np.random.default_rng(0))
    out = ledger()
    counts = simulate_day(0, 1, residents, city, params, out)
    assert counts.walk + counts.wheelchair + counts.car + counts.transit == out.trips_made.sum() > 0
    assert counts.car == out.car_trips.sum() > 0 and out.travel_money.sum() > 0
    assert out.transit_trips.sum() > 0 and out.transit_fare.sum() == 4.0 * out.transit_trips.sum()
    assert best_one_way_times(residents, city, params).shape == (N, N_PURPOSES)


def test_swapped_arrays_of_one_dtype_are_refused_by_shape():
    """Walk lengths per node given where speeds per resident belong: both
    float, they differ in shape and dtype, and the error names the field."""
    residents, city, params = inputs(np.random.default_rng(1))
    swapped = residents._replace(speed_mps=city.walk_length_m[:, 0])
    with pytest.raises(ValueError, match=r"residents\.speed_mps must have dtype float32.*shape \(50,\)"):
        simulate_day(0, 1, swapped, city, params, ledger())


def test_every_problem_is_named_in_one_error():
    residents, city, params = inputs(np.random.default_rng(2))
    residents = residents._replace(home_node=residents.home_node + N_WALK)  # past the last node
    city = city._replace(walk_to_drive=city.walk_to_drive.astype(np.int64))
    params = params._replace(water_purpose=N_PURPOSES)
    with pytest.raises(ValueError) as error:
        simulate_day(0, 1, residents, city, params, ledger())
    message = str(error.value)
    assert message.startswith("invalid input to simulate_day: ")
    for field in ("residents.home_node must be in 0 .. 11", "city.walk_to_drive must have dtype int32",
                  "params.water_purpose must be a purpose index"):
        assert field in message


def test_nothing_is_written_when_inputs_are_refused():
    residents, city, params = inputs(np.random.default_rng(3))
    out = ledger()
    with pytest.raises(ValueError, match="ledger.unmet_trips"):
        simulate_day(0, 1, residents, city, params, out._replace(unmet_trips=np.zeros((N, 2), np.int32)))
    assert out.trips_made.sum() == 0 and out.travel_time_s.sum() == 0


def test_more_purposes_than_random_streams_are_refused():
    residents, city, params = inputs(np.random.default_rng(4), n_purposes=MAX_PURPOSES + 1)
    with pytest.raises(ValueError, match=f"at most {MAX_PURPOSES} purposes"):
        simulate_day(0, 1, residents, city, params, ledger(MAX_PURPOSES + 1))


def test_riders_and_rules_go_together():
    residents, city, params = inputs(np.random.default_rng(5))
    with pytest.raises(ValueError, match="riders and rules go together"):
        simulate_day(0, 1, residents, city, params, ledger(), riders=Riders.none(N, N_PURPOSES))
    riders = Riders.of(N, np.array([3, 7]), np.array([True, False]), N_PURPOSES, advertised_extra_s=300.0)
    bad = riders._replace(rider_of=np.where(riders.rider_of >= 0, riders.rider_of + 5, -1).astype(np.int32))
    with pytest.raises(ValueError, match=r"riders\.rider_of must be in 0 \.\. 1 or -1"):
        simulate_day(0, 1, residents, city, params, ledger(), riders=bad, rules=ServiceRules.off())


def zones(n=N_DRIVE):
    nodes = np.arange(n, dtype=np.int32)
    return ZoneTimes(nodes, nodes, np.zeros(n), np.zeros(n), np.full((n, n), 60.0))


def fleet(**changes):
    values = dict(n_vehicles=1, capacity=2, depot=0, start_s=0.0, end_s=86_400.0,
                  pickup_window_s=600.0, chained_window_s=600.0, dwell_s=30.0,
                  max_ride_s=3600.0, activity_s=600.0)
    return Fleet(**{**values, **changes})


def requests(pickup=(1,), dropoff=(2,)):
    n = len(pickup)
    return Requests(np.arange(n, dtype=np.int32), np.ones(n, np.int32), np.full(n, -np.inf),
                    np.array(pickup, np.int32), np.array(dropoff, np.int32), np.full(n, 3600.0))


def test_dispatch_checks_nodes_legs_and_fleet():
    assert dispatch(requests(), fleet(), zones()).request_vehicle.tolist() == [0]
    with pytest.raises(ValueError) as error:
        dispatch(requests(pickup=(N_DRIVE,)), fleet(depot=-1, capacity=0), zones())
    message = str(error.value)
    for field in ("requests.pickup_node must be in 0 .. 5", "fleet.capacity must be >= 1",
                  "fleet.depot must be a drive node"):
        assert field in message
    bad = requests()._replace(n_legs=np.array([2], np.int32))
    with pytest.raises(ValueError, match="within the 1 legs"):
        dispatch(bad, fleet(), zones())
    with pytest.raises(ValueError, match=r"requests\.first_leg must have dtype int32, got int64"):
        dispatch(requests()._replace(first_leg=np.zeros(1, np.int64)), fleet(), zones())


def test_requests_and_accounting_check_their_indices():
    residents, city, params = inputs(np.random.default_rng(6))
    riders = Riders.of(N, np.array([3]), np.array([True]), N_PURPOSES, advertised_extra_s=300.0)
    facility = np.zeros((N_DRIVE, N_PURPOSES), dtype=np.int32)
    with pytest.raises(ValueError, match="facility_drive_node must have shape"):
        paratransit_requests(0, 1, residents, city, riders, ServiceRules.off(), facility[:2], zones())
    trips = Trips(*(np.array([0], np.int32) for _ in range(2)), np.array([0], np.int32),
                  np.array([1], np.int32), np.array([4], np.int32))
    dispatched = Dispatched(np.array([0], np.int32), np.zeros(1), np.zeros(1), np.zeros(1),
                            *(np.zeros(0) for _ in range(6)))
    with pytest.raises(ValueError, match=r"trips\.leg_request must be in 0 \.\. 0"):
        account_paratransit((residents, city, params), riders, trips, dispatched,
                            ServiceRules.off(), ledger())


@pytest.mark.parametrize("missing", [None, -1, 7])
def test_index_check_accepts_exactly_the_indices_in_range(missing):
    """Problems.indices (min and max, a masked copy only when those fail)
    against its definition, on random arrays around the edges of the range."""
    from twin.core._checks import Problems

    rng = np.random.default_rng(3)
    for _ in range(300):
        n = int(rng.integers(0, 6))
        values = rng.integers(-3, 9, size=int(rng.integers(0, 6))).astype(np.int32)
        valid = all(0 <= v < n or v == missing for v in values.tolist())
        problems = Problems("test")
        problems.indices("values", values, n, missing=missing)
        assert (not problems.found) == valid, (values, n, missing)
