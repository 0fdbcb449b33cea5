"""Water points as queues, against a discrete-event simulation of the same
tap: random arrivals, one container filled at a time in a fixed time."""

import numpy as np
import pytest

from twin.abm.water import RHO_MAX, point_load, served_share, updated, wait_s
from twin.core.waterpoints import choose_points

FILL_S = 20 / 7.5 * 60  # a 20 L container at 7.5 L/min (Sphere 2018, standard 2.1)
OPEN_S = 8 * 3600.0     # open about 8 h a day (Sphere, via IndiKit)


def simulated_wait_s(rate_per_s, horizon_s, rng):
    """Mean wait before filling, first come first served, starting empty."""
    arrivals = np.cumsum(rng.exponential(1.0 / rate_per_s, int(rate_per_s * horizon_s * 1.2) + 10))
    arrivals = arrivals[arrivals < horizon_s]
    free_at, waits = 0.0, np.empty(len(arrivals))
    for i, t in enumerate(arrivals):
        start = max(t, free_at)
        waits[i] = start - t
        free_at = start + FILL_S
    return waits.mean()


@pytest.mark.parametrize("rho", [0.3, 0.6, 0.85])
def test_the_wait_is_the_md1_wait_of_a_simulated_tap(rho):
    rng = np.random.default_rng(int(rho * 100))
    rate = rho / FILL_S
    simulated = simulated_wait_s(rate, 400_000 * FILL_S, rng)  # long enough to be stationary
    fetches_per_day = rate * OPEN_S
    assert wait_s(np.array([fetches_per_day]), fill_s=FILL_S, open_s=OPEN_S)[0] == pytest.approx(
        simulated, rel=0.05)
    assert served_share(np.array([fetches_per_day]), fill_s=FILL_S, open_s=OPEN_S)[0] == 1.0


def test_an_overloaded_point_serves_what_it_can():
    capacity = RHO_MAX * OPEN_S / FILL_S  # fetches a day
    loads = np.array([0.5, 1.0, 2.0, 4.0]) * capacity
    share = served_share(loads, fill_s=FILL_S, open_s=OPEN_S)
    np.testing.assert_allclose(share * loads, np.minimum(loads, capacity))
    waits = wait_s(loads, fill_s=FILL_S, open_s=OPEN_S)
    assert waits[1] == waits[2] == waits[3] < 30 * 60  # served fetches wait as at capacity
    assert (np.diff(wait_s(np.linspace(0, 2 * capacity, 500), fill_s=FILL_S, open_s=OPEN_S)) >= 0).all()


def test_loads_are_in_people_not_sample_rows():
    rng = np.random.default_rng(2)
    point = rng.integers(-1, 4, 1000)
    fetches = rng.integers(0, 3, 1000)
    small = point_load(point, fetches, 2.0, 4)  # 1,000 residents standing for 2 people each
    large = point_load(np.tile(point, 2), np.tile(fetches, 2), 1.0, 4)  # 2,000 for 1 each
    np.testing.assert_allclose(small, large)
    assert small.sum() == pytest.approx(2.0 * fetches[point >= 0].sum())


def test_households_weigh_walk_against_time_at_the_point():
    walk = (np.array([[60.0, 120.0, np.inf], [60.0, 400.0, np.inf]]), np.array([[0, 1, -1], [0, 1, -1]], np.int32))
    home, rolls, speed = np.array([0, 1], np.int32), np.zeros(2, bool), np.ones(2, np.float32)  # 1 m/s

    def chosen(at_point_s, share):
        return choose_points(home, rolls, speed, walk, walk, 3, np.array(at_point_s), np.array(share))[0]

    # Point 0: 200 s at the point; 2 x 60 + 200 > 2 x 120 + 0 for the first household only.
    np.testing.assert_array_equal(chosen([200.0, 0.0], [1.0, 1.0]), [1, 0])
    np.testing.assert_array_equal(chosen([0.0, 0.0], [1.0, 1.0]), [0, 0])
    # A point that turns half its fetches away costs twice the time per fetch that brings water.
    np.testing.assert_array_equal(chosen([0.0, 0.0], [0.4, 1.0]), [1, 0])
    np.testing.assert_allclose(updated(np.array([10.0]), np.array([30.0]), 0.5), [20.0])


@pytest.mark.parametrize("dtype", [np.int32, np.float64])
def test_loads_of_those_who_fetched_are_everyone_s_to_the_bit(dtype):
    # WaterChoice.after_day counts only the residents who fetched
    rng = np.random.default_rng(5)
    point = rng.integers(-1, 7, 20_000).astype(np.int32)
    fetches = np.where(rng.random(20_000) < 0.05, rng.uniform(0.0, 3.0, 20_000), 0.0).astype(dtype)
    fetched = np.flatnonzero(fetches)
    np.testing.assert_array_equal(point_load(point[fetched], fetches[fetched], 0.7, 9),
                                  point_load(point, fetches, 0.7, 9))


def test_choose_points_writes_into_given_arrays():
    rng = np.random.default_rng(6)
    lengths = rng.uniform(10.0, 900.0, (50, 3))
    points = rng.integers(-1, 4, (50, 3)).astype(np.int32)
    home = rng.integers(0, 50, 400).astype(np.int32)
    rolls, speed = rng.random(400) < 0.1, rng.uniform(0.5, 1.5, 400).astype(np.float32)
    at_point_s, share = rng.uniform(60.0, 900.0, 4), np.array([1.0, 0.5, 1.0, 0.9])
    args = (home, rolls, speed, (lengths, points), (2.0 * lengths, points), 3, at_point_s, share)
    out = (np.empty(400, np.int32), np.empty(400), np.empty(400, np.float32), np.empty(400, np.float32))
    returned = choose_points(*args, out=out)
    assert all(got is given for got, given in zip(returned, out))
    for got, new in zip(out, choose_points(*args)):
        np.testing.assert_array_equal(got, new)
    with pytest.raises(ValueError, match="out length_m must have dtype float64"):
        choose_points(*args, out=(out[0], out[1].astype(np.float32), out[2], out[3]))


def test_first_day_load_is_numpy_s_to_the_bit():
    from twin.core.waterpoints import first_day_load

    rng = np.random.default_rng(9)
    n, n_nodes = 50_000, 300
    home = rng.integers(0, n_nodes, n).astype(np.int32)
    rolls, piped = rng.random(n) < 0.1, rng.random(n) < 0.7
    outage = rng.choice(np.array([0.0, 0.005, 0.3, 1.7, 7.0], np.float32), n)
    walk_point, roll_point = (np.where(rng.random((n_nodes, 3)) < 0.1, -1, rng.integers(0, 5, (n_nodes, 3)))
                              .astype(np.int32) for _ in range(2))
    fetches = 1.3 * np.where(piped, outage.astype(np.float64) / 7, 1.0)
    nearest = np.where(rolls, roll_point[home, 0], walk_point[home, 0])
    np.testing.assert_array_equal(first_day_load(home, rolls, piped, outage, walk_point, roll_point, 1.3, 7, 5),
                                  point_load(nearest, fetches, 1.0, 5))


def test_choose_points_for_one_day_s_fetchers_leaves_the_others():
    from twin.core.streams import CHANNEL_OUTAGE, CHANNEL_WATER_TRIPS, uniform_py

    rng = np.random.default_rng(11)
    n, n_nodes = 3000, 60
    lengths = rng.uniform(10.0, 900.0, (n_nodes, 3))
    points = rng.integers(-1, 4, (n_nodes, 3)).astype(np.int32)
    home = rng.integers(0, n_nodes, n).astype(np.int32)
    rolls, speed = rng.random(n) < 0.1, rng.uniform(0.5, 1.5, n).astype(np.float32)
    supply = rng.choice(np.array([0, 1, 2], np.int8), n, p=[0.7, 0.2, 0.1])
    outage = rng.choice(np.array([0.0, 0.005, 0.3, 7.0], np.float32), n)
    at_point_s, share = rng.uniform(60.0, 900.0, 4), np.array([1.0, 0.5, 1.0, 0.9])
    args = (home, rolls, speed, (lengths, points), (2.0 * lengths, points), 3, at_point_s, share)
    everyone = choose_points(*args)
    for day, seed, trips in ((4, 7, 1.0), (0, 2, 0.4)):
        # twin.core.daily.water_trips_today, in plain Python
        fetch = np.array([not (supply[i] == 0 and uniform_py(seed, day, i, CHANNEL_OUTAGE) >= outage[i] / 7)
                          and (trips >= 1 or uniform_py(seed, day, i, CHANNEL_WATER_TRIPS) < trips)
                          for i in range(n)])
        assert 0 < fetch.sum() < n
        out = (np.full(n, -9, np.int32), np.full(n, -9.0), np.full(n, -9, np.float32), np.full(n, -9, np.float32))
        choose_points(*args, out=out, fetching=(day, seed, supply, outage, trips))
        for got, full in zip(out, everyone):
            np.testing.assert_array_equal(got[fetch], full[fetch])
            assert (got[~fetch] == -9).all()
    with pytest.raises(ValueError, match="fetching needs out"):
        choose_points(*args, fetching=(0, 2, supply, outage, 1.0))
