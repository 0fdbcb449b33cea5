"""The profile connection scan (twin.core.transit) against a forward
connection scan per departure time (tests/naive.py) on random hand-made
timetables: transfers, walking to, between and from stops, first-mile waits,
trips past midnight, stops off the graph, no-pickup / no-drop-off stops."""

from __future__ import annotations

import math

import numpy as np
import pytest

from twin.core.transit import Connections, stop_walk_lengths, transit_times, walk_links

from naive import naive_transit_time

TOLERANCE_S = 0.01
"""The kernel keeps arrival times as float32 offsets from the first departure
(sub-millisecond); the reference uses float64."""


def grid_graph(n: int, spacing_m: float, rng):
    """An n x n street grid, both directions, lengths jittered (so no ties)."""
    edges = []
    for i in range(n):
        for j in range(n):
            u = i * n + j
            for v in ((u + 1) if j + 1 < n else None, (u + n) if i + 1 < n else None):
                if v is not None:
                    length = spacing_m * rng.uniform(0.8, 1.2)
                    edges += [(u, v, length), (v, u, length * rng.uniform(1.0, 1.1))]
    edges.sort()
    tails = np.array([e[0] for e in edges])
    indptr = np.searchsorted(tails, np.arange(n * n + 1)).astype(np.int32)
    return indptr, np.array([e[1] for e in edges], np.int32), np.array([e[2] for e in edges])


def random_timetable(rng, n_stops, n_routes, t0):
    """Routes as random stop sequences, each with several trips; a few hops
    forbid boarding or alighting. Sorted as the kernel wants."""
    hops = []
    trip = 0
    for _ in range(n_routes):
        stops = rng.choice(n_stops, size=rng.integers(2, 6), replace=False)
        hop_s = rng.integers(60, 400, size=len(stops) - 1)
        for start in range(t0 - 1200 + int(rng.integers(0, 600)), t0 + 4000, int(rng.integers(180, 600))):
            dep = start
            for k in range(len(stops) - 1):
                arr = dep + int(hop_s[k])
                hops.append((int(stops[k]), int(stops[k + 1]), dep, arr, trip,
                             bool(rng.random() > 0.05), bool(rng.random() > 0.05), k))
                dep = arr + int(rng.integers(0, 30))  # dwell
            trip += 1
    hops = [h for h in hops if h[2] >= t0]
    hops.sort(key=lambda h: (h[2], h[3], h[7]))
    return [h[:7] for h in hops], trip


@pytest.mark.parametrize("seed", [0, 1, 2, 6])
def test_transit_times_match_a_forward_scan_per_departure(seed):
    rng = np.random.default_rng(seed)
    n = 6
    indptr, indices, length_m = grid_graph(n, 400.0, rng)
    n_nodes = n * n
    n_stops = 12
    stop_node = rng.integers(0, n_nodes, size=n_stops).astype(np.int32)
    stop_node[0] = -1  # a stop off the streets: ridden through, never walked to
    stop_link_m = rng.uniform(0, 50, size=n_stops)
    t0 = 23 * 3600 + 1800  # the window crosses midnight: times past 24:00
    hops, n_trips = random_timetable(rng, n_stops, 15, t0)
    facilities = [rng.choice(n_nodes, size=1), np.array([], dtype=np.int64)]
    departures = np.arange(t0, t0 + 1200, 60)
    speed, max_walk_s, slack_s = 1.0, 700.0, 60.0

    # The reverse graph gives lengths *to* stops and facilities.
    from twin.city.arrays import StreetArrays

    zeros = np.zeros(n_nodes)
    reverse = StreetArrays("walk", indptr, indices, length_m, zeros, zeros, zeros, zeros,
                           zeros.astype(np.int64)).reversed()
    pairs = stop_walk_lengths(reverse.indptr, reverse.indices, reverse.weight, stop_node,
                              stop_link_m, max_length_m=max_walk_s * speed * (1 + 1e-9))
    links = walk_links(*pairs, stop_node, stop_link_m, n_nodes, speed_mps=speed)
    from naive import naive_nearest_facility

    to_facility = np.array([naive_nearest_facility(reverse.indptr, reverse.indices, reverse.weight,
                                                   f)[0] for f in facilities])
    egress_m = np.where(stop_node >= 0, stop_link_m + to_facility[:, np.maximum(stop_node, 0)], np.inf)
    connections = Connections(*(np.array([h[i] for h in hops]) for i in range(7)))
    got = transit_times(connections, n_trips, links, egress_m / speed, to_facility / speed,
                        departures, max_walk_s=max_walk_s, transfer_slack_s=slack_s)

    assert got.shape == (n_nodes, 2)
    assert np.isinf(got[:, 1]).all()  # no facility: unreachable, never a number
    used_transit = 0
    for origin in range(n_nodes):
        want = naive_transit_time(indptr, indices, length_m, speed_mps=speed, stop_node=stop_node,
                                  stop_link_m=stop_link_m, connections=hops,
                                  facility_nodes=facilities[0], origin=origin,
                                  departures_s=departures, max_walk_s=max_walk_s,
                                  transfer_slack_s=slack_s)
        assert math.isclose(got[origin, 0], want, abs_tol=TOLERANCE_S), origin
        used_transit += want < to_facility[0, origin] / speed - 1
    assert used_transit > 0  # the case exercises transit, not only walking


def test_bad_inputs_are_named():
    links = walk_links(np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0), np.array([0]),
                       np.array([0.0]), 2, speed_mps=1.0)
    unsorted = Connections(np.array([0, 0]), np.array([0, 0]), np.array([10, 5]), np.array([20, 30]),
                           np.array([0, 1]), np.ones(2, bool), np.ones(2, bool))
    with pytest.raises(ValueError, match="sorted by departure"):
        transit_times(unsorted, 2, links, np.zeros((1, 1)), np.zeros((1, 2)), np.array([0]),
                      max_walk_s=60)
    with pytest.raises(ValueError, match="walk_only_s must have shape"):
        transit_times(unsorted[:2] + (np.array([5, 10]),) + unsorted[3:], 2, links,
                      np.zeros((1, 1)), np.zeros((1, 3)), np.array([0]), max_walk_s=60)
