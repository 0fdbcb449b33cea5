"""Water points as queues, against a discrete-event simulation of the same
tap: random arrivals, one container filled at a time in a fixed time."""

import numpy as np
import pytest

from twin.abm.water import RHO_MAX, choose, point_load, updated, wait_s

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
    horizon = 400_000 * FILL_S  # long enough to be stationary
    simulated = simulated_wait_s(rate, horizon, rng)
    fetches_per_day = rate * OPEN_S
    assert wait_s(np.array([fetches_per_day]), fill_s=FILL_S, open_s=OPEN_S)[0] == pytest.approx(
        simulated, rel=0.05)


def test_an_overloaded_point_builds_a_line_through_the_day():
    rng = np.random.default_rng(1)
    rho = 1.6
    days = [simulated_wait_s(rho / FILL_S, OPEN_S, rng) for _ in range(30)]
    model = wait_s(np.array([rho * OPEN_S / FILL_S]), fill_s=FILL_S, open_s=OPEN_S)[0]
    assert model == pytest.approx(np.mean(days), rel=0.1)
    # The two regimes join: no jump, and the wait never falls as the load grows.
    loads = np.linspace(0.0, 2.0, 2001) * OPEN_S / FILL_S
    waits = wait_s(loads, fill_s=FILL_S, open_s=OPEN_S)
    assert (np.diff(waits) >= 0).all() and np.abs(np.diff(waits)).max() < 60.0
    assert wait_s(np.array([RHO_MAX * OPEN_S / FILL_S]), fill_s=FILL_S, open_s=OPEN_S)[0] > 0


def test_loads_are_in_people_not_sample_rows():
    rng = np.random.default_rng(2)
    point = rng.integers(-1, 4, 1000)
    fetches = rng.integers(0, 3, 1000)
    small = point_load(point, fetches, 2.0, 4)  # 1,000 residents standing for 2 people each
    large = point_load(np.tile(point, 2), np.tile(fetches, 2), 1.0, 4)  # 2,000 for 1 each
    np.testing.assert_allclose(small, large)
    assert small.sum() == pytest.approx(2.0 * fetches[point >= 0].sum())


def test_households_weigh_walk_against_the_expected_wait():
    walk = np.array([[60.0, 120.0, np.inf], [60.0, 400.0, np.inf]])
    point = np.array([[0, 1, -1], [0, 1, -1]])
    # Point 0 has a 200 s wait: 2 x 60 + 200 > 2 x 120 + 0 for the first household only.
    np.testing.assert_array_equal(choose(walk, point, np.array([200.0, 0.0])), [1, 0])
    np.testing.assert_array_equal(choose(walk, point, np.array([0.0, 0.0])), [0, 0])
    np.testing.assert_allclose(updated(np.array([10.0]), np.array([30.0]), 0.5), [20.0])


def test_a_new_point_relieves_its_neighbour_through_choice():
    """100 households, 30 s from point 0; a new point 1 at 90 s. Day to day,
    some move to the new point and the wait at point 0 falls."""
    walk = np.column_stack([np.full(100, 30.0), np.full(100, 90.0)])
    fetches = np.full(100, 1.5)
    weight = 60.0  # 6,000 people: rho well above 1 at one tap

    def settle(points):
        expected = np.zeros(points)
        candidates = np.tile(np.arange(2), (100, 1)) if points == 2 else np.array([[0, -1]] * 100)
        for _ in range(60):
            column = choose(walk, candidates, expected)
            chosen = candidates[np.arange(100), column]
            observed = wait_s(point_load(chosen, fetches, weight, points), fill_s=FILL_S, open_s=OPEN_S)
            expected = updated(expected, observed, 0.5)
        return observed

    alone, relieved = settle(1), settle(2)
    assert relieved[0] < 0.75 * alone[0]
