"""Paratransit dispatch: the kernel against a plain-Python reference of the
same insertion rules, feasible schedules, a bigger fleet never refusing more,
and the zone travel-time matrix against exact shortest paths."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from twin.core.dispatch import DROPOFF, PICKUP, Fleet, Requests, ZoneTimes, dispatch, zone_times

from naive import naive_dispatch

EPS_S = 1e-6


# --- random instances -------------------------------------------------------


def random_graph(rng, n):
    """A street-like directed graph: each node linked both ways to its three
    nearest neighbours and one way to the next two, weight = distance /
    speed (s). Mostly strongly connected; a few nodes may be cut off."""
    x, y = rng.uniform(0, 3000, n), rng.uniform(0, 3000, n)
    order = np.argsort(x + y)  # a spatially coherent node order, like the Hilbert order
    x, y = x[order], y[order]
    d = np.hypot(x[:, None] - x[None], y[:, None] - y[None])
    np.fill_diagonal(d, np.inf)
    near = np.argsort(d, axis=1)
    two_way, one_way = near[:, :3].ravel(), near[:, 3:5].ravel()
    tails = np.r_[np.repeat(np.arange(n), 3), two_way, np.repeat(np.arange(n), 2)]
    heads = np.r_[two_way, np.repeat(np.arange(n), 3), one_way]
    weight = d[tails, heads] / rng.uniform(5, 15, len(tails))
    graph = sp.csr_matrix((weight, (tails, heads)), shape=(n, n))
    graph.sum_duplicates()
    return graph, x, y


def zones_of(graph, x, y, n_zones):
    t = graph.T.tocsr()
    return zone_times((graph.indptr, graph.indices, graph.data),
                      (t.indptr, t.indices, t.data), x, y, n_zones=n_zones)


def random_requests(rng, n_nodes, n_requests, *, chains, same_day):
    n_legs = rng.integers(2, 5, n_requests) if chains else np.ones(n_requests, dtype=int)
    first = np.r_[0, np.cumsum(n_legs)[:-1]]
    pickup, dropoff = [], []
    for m in n_legs:
        stops = rng.integers(0, n_nodes, m + 1)
        if chains:
            stops[-1] = stops[0]  # home -> f1 -> ... -> home
        pickup += list(stops[:-1])
        dropoff += list(stops[1:])
    ready = np.full(len(pickup), np.nan)
    ready[first] = rng.uniform(7 * 3600, 12 * 3600, n_requests).round(-1)  # ties in time too
    release = ready[first] - 3600 if same_day else np.full(n_requests, -np.inf)
    return Requests(first_leg=first.astype(np.int32), n_legs=n_legs.astype(np.int32),
                    release_s=release, pickup_node=np.array(pickup, dtype=np.int32),
                    dropoff_node=np.array(dropoff, dtype=np.int32), ready_s=ready)


def fleet(n_vehicles, **changes):
    values = dict(n_vehicles=n_vehicles, capacity=2, depot=0, start_s=7 * 3600.0,
                  end_s=14 * 3600.0, pickup_window_s=1800.0, chained_window_s=600.0,
                  dwell_s=60.0, max_ride_s=1800.0, activity_s=1200.0)
    return Fleet(**{**values, **changes})


INSTANCES = [
    # (seed, requests, vehicles, chains, same_day)
    (0, 90, 2, False, False),
    (1, 60, 2, False, True),
    (2, 25, 3, True, False),
    (3, 25, 2, True, True),
    (4, 120, 4, False, False),
    (5, 40, 0, False, False),
]


def instance(seed, n_requests, chains, same_day, n_nodes=50, n_zones=12):
    rng = np.random.default_rng(seed)
    graph, x, y = random_graph(rng, n_nodes)
    zones = zones_of(graph, x, y, n_zones)
    return zones, random_requests(rng, n_nodes, n_requests, chains=chains, same_day=same_day)


# --- tests --------------------------------------------------------------------


@pytest.mark.parametrize(("seed", "n_requests", "n_vehicles", "chains", "same_day"), INSTANCES)
def test_kernel_equals_reference(seed, n_requests, n_vehicles, chains, same_day):
    zones, requests = instance(seed, n_requests, chains, same_day)
    f = fleet(n_vehicles)
    out = dispatch(requests, f, zones)
    vehicle, ready, pickup_s, dropoff_s = naive_dispatch(requests, f, zones)
    np.testing.assert_array_equal(out.request_vehicle, vehicle)
    np.testing.assert_array_equal(out.leg_ready_s, ready)
    np.testing.assert_array_equal(out.leg_pickup_s, pickup_s)
    np.testing.assert_array_equal(out.leg_dropoff_s, dropoff_s)
    if n_vehicles:  # the instances reach both outcomes
        assert 0 < out.refused.sum() < n_requests
    else:
        assert out.refused.all() and len(out.stop_node) == 0


def assert_feasible(requests: Requests, f: Fleet, zones: ZoneTimes, out) -> None:
    """Every schedule is drivable and keeps every window, capacity and ride time."""
    first, n_legs = requests.first_leg, requests.n_legs
    leg_request = np.repeat(np.arange(requests.n_requests), n_legs)
    served_legs = np.flatnonzero(out.request_vehicle[leg_request] >= 0)
    assert len(out.stop_node) == 2 * len(served_legs)
    seen = np.zeros(len(leg_request), dtype=int)
    for v in range(f.n_vehicles):
        stops = slice(out.stop_indptr[v], out.stop_indptr[v + 1])
        node, time_s = out.stop_node[stops], out.stop_time_s[stops]
        leg, kind, load = out.stop_leg[stops], out.stop_kind[stops], out.stop_load[stops]
        if len(node) == 0:
            continue
        assert np.all(out.request_vehicle[leg_request[leg]] == v)
        np.testing.assert_array_equal(load, np.cumsum(np.where(kind == PICKUP, 1, -1)))
        assert load.min() >= 0 and load.max() <= f.capacity and load[-1] == 0
        path = np.r_[f.depot, node, f.depot]
        drive_s = zones.time_s(path[:-1], path[1:])
        departs = np.r_[f.start_s, time_s + f.dwell_s]
        assert np.all(departs[:-1] + drive_s[:-1] <= time_s + EPS_S)  # drivable, in order
        assert departs[-1] + drive_s[-1] <= f.end_s + EPS_S  # back at the depot in service hours
        assert time_s[0] >= f.start_s
        where = {(int(g), int(k)): n for n, (g, k) in enumerate(zip(leg, kind))}
        for g in set(leg.tolist()):
            p, d = where[(g, PICKUP)], where[(g, DROPOFF)]
            seen[g] += 1
            assert p < d
            assert node[p] == requests.pickup_node[g] and node[d] == requests.dropoff_node[g]
            q = leg_request[g]
            window_s = f.pickup_window_s if g == first[q] else f.chained_window_s
            assert out.leg_ready_s[g] <= time_s[p] <= out.leg_ready_s[g] + window_s + EPS_S
            assert time_s[d] - time_s[p] <= f.max_ride_s + EPS_S
            if g > first[q]:  # a chained leg waits for the activity after the previous drop-off
                np.testing.assert_allclose(out.leg_ready_s[g],
                                           out.leg_dropoff_s[g - 1] + f.dwell_s + f.activity_s)
            # the vehicle leaves for the pickup only once the booking is known
            before = departs[p] if p else f.start_s
            assert max(before, requests.release_s[q]) + drive_s[p] <= time_s[p] + EPS_S
    np.testing.assert_array_equal(seen[served_legs], 1)


@pytest.mark.parametrize(("seed", "n_requests", "n_vehicles", "chains", "same_day"), INSTANCES)
def test_schedules_are_feasible(seed, n_requests, n_vehicles, chains, same_day):
    zones, requests = instance(seed, n_requests, chains, same_day)
    for capacity in (1, 3):
        f = fleet(n_vehicles, capacity=capacity)
        assert_feasible(requests, f, zones, dispatch(requests, f, zones))


def test_shared_rides_fill_vehicles_up_to_capacity():
    zones, requests = instance(7, 150, chains=False, same_day=False)
    out = dispatch(requests, fleet(2, capacity=3), zones)
    assert out.stop_load.max() == 3


@pytest.mark.parametrize("chains", [False, True])
@pytest.mark.parametrize("same_day", [False, True])
def test_a_bigger_fleet_never_refuses_more(chains, same_day):
    helped = 0
    for seed in range(8):
        zones, requests = instance(100 + seed, 40 if chains else 80, chains, same_day)
        refused = [dispatch(requests, fleet(n), zones).refused for n in range(7)]
        for fewer, more in zip(refused, refused[1:]):
            assert not np.any(more & ~fewer)  # refused with more vehicles => refused with fewer
        assert refused[0].all()
        helped += refused[1].sum() > refused[-1].sum()
    assert helped >= 4


def test_unreachable_nodes_are_refused():
    # 0 <-> 1 <-> 2, and node 3 only reachable from 2 (a dead end)
    graph = sp.csr_matrix(([60.0, 60.0, 60.0, 60.0, 60.0], ([0, 1, 1, 2, 2], [1, 0, 2, 1, 3])),
                          shape=(4, 4))
    zones = zones_of(graph, np.arange(4.0), np.zeros(4), 4)
    requests = Requests(first_leg=np.array([0, 1], dtype=np.int32), n_legs=np.ones(2, np.int32),
                        release_s=np.full(2, -np.inf), pickup_node=np.array([0, 3], np.int32),
                        dropoff_node=np.array([2, 0], np.int32), ready_s=np.full(2, 8 * 3600.0))
    out = dispatch(requests, fleet(2), zones)
    np.testing.assert_array_equal(out.request_vehicle, [0, -1])


@pytest.mark.parametrize("n_zones", [60, 9])
def test_zone_times_are_real_paths_never_below_exact(n_zones):
    rng = np.random.default_rng(3)
    graph, x, y = random_graph(rng, 60)
    zones = zones_of(graph, x, y, n_zones)
    exact = dijkstra(graph)
    a, b = np.meshgrid(np.arange(60), np.arange(60), indexing="ij")
    approx = zones.time_s(a, b)
    reachable = np.isfinite(exact)
    if n_zones >= 60:  # every node its own zone: exact
        np.testing.assert_allclose(approx, exact, rtol=1e-12)
    else:
        assert np.all(approx[reachable] >= exact[reachable] - 1e-9)
        assert (approx[reachable] > exact[reachable] + 1e-9).any()
        # the time through the two zone centres, exactly
        ca, cb = zones.centre[zones.zone[a]], zones.centre[zones.zone[b]]
        via = exact[a, ca] + exact[ca, cb] + exact[cb, b]
        off = a != b
        np.testing.assert_allclose(approx[off], via[off], rtol=1e-12)
    # the triangle inequality holds (up to rounding)
    assert np.all(approx[:, None, :] <= approx[:, :, None] + approx[None, :, :] + 1e-9)


def test_later_legs_of_refused_chains_equal_the_loop():
    from twin.core.dispatch import _later_legs

    rng = np.random.default_rng(4)
    n_legs = rng.integers(1, 5, 300).astype(np.int32)
    first_leg = np.cumsum(n_legs) - n_legs
    shuffled = rng.permutation(300)  # requests need not list their legs in order
    first_leg, n_legs = first_leg[shuffled].astype(np.int32), n_legs[shuffled]
    refused = rng.random(300) < 0.6
    looped = [g for q in np.flatnonzero(refused) for g in range(first_leg[q] + 1, first_leg[q] + n_legs[q])]
    np.testing.assert_array_equal(_later_legs(first_leg, n_legs, refused), looped)
    assert len(_later_legs(first_leg, n_legs, np.zeros(300, bool))) == 0
