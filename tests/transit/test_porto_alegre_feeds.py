"""Porto Alegre's real bus (EPTC) and metro (Trensurb) feeds on its real
streets: the fields agree with the plain forward connection scan."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from twin.residents.population import PURPOSES
from twin.transit import load_timetable
from twin.transit.fields import MAX_WALK_S, TRANSFER_SLACK_S, WALK_SPEED_MPS, facility_targets, mode_times

from naive import naive_transit_time

TOLERANCE_S = 0.01
MONDAY = dt.date(2019, 5, 13)
"""Both feeds run on it (EPTC's calendar covers 15 Apr - 15 Jul 2019)."""

pytestmark = pytest.mark.slow


def test_real_feeds_agree_with_the_forward_scan(porto_alegre, shared_data, tmp_path):
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    feeds = [shared_data("gtfs/porto_alegre_eptc.zip"), shared_data("gtfs/porto_alegre_trensurb.zip")]
    table = load_timetable(feeds, porto_alegre, service_date=MONDAY, window_start_s=14 * 3600,
                           window_end_s=14 * 3600 + 600, horizon_s=3600, cache_dir=tmp_path)
    assert table.feeds == ("porto_alegre_eptc", "porto_alegre_trensurb")
    assert table.n_connections > 10_000
    walk = porto_alegre.streets["walk"]
    # The stops within 2.5 km of the city centre (Mercado station), so that the
    # reference's walks stay quick; both sides use the same stops.
    centre = int(np.flatnonzero(table.stop_id == "porto_alegre_trensurb:MR")[0])
    node = table.stop_node["walk"]
    dist_m = np.hypot(walk.x_m[np.maximum(node, 0)] - walk.x_m[node[centre]],
                      walk.y_m[np.maximum(node, 0)] - walk.y_m[node[centre]])
    stop_ok = (node >= 0) & (dist_m < 2500)
    departures = np.arange(14 * 3600, 14 * 3600 + 600, 120)
    got = mode_times(porto_alegre, table, facility_targets(porto_alegre, "walk"), mode="walk",
                     speed_mps=WALK_SPEED_MPS, stop_ok=stop_ok,
                     trip_ok=np.ones(len(table.trip_id), bool), departures_s=departures,
                     max_walk_s=MAX_WALK_S, transfer_slack_s=TRANSFER_SLACK_S)

    graph = csr_matrix((walk.weight, walk.indices, walk.indptr), shape=(walk.n_nodes,) * 2)
    cache = {}

    def lengths(source):
        if source not in cache:
            cache[source] = dijkstra(graph, indices=source)
        return cache[source]

    run = stop_ok[table.conn_from] | stop_ok[table.conn_to]
    connections = list(zip(table.conn_from, table.conn_to, table.conn_dep_s, table.conn_arr_s,
                           table.conn_trip, table.conn_board & stop_ok[table.conn_from],
                           table.conn_alight & stop_ok[table.conn_to]))
    connections = [c for c, keep in zip(connections, run) if keep]
    rng = np.random.default_rng(1)
    near = np.flatnonzero(np.hypot(walk.x_m - walk.x_m[node[centre]],
                                   walk.y_m - walk.y_m[node[centre]]) < 2000)
    used_transit = 0
    for purpose in ("work", "water"):
        p = PURPOSES.index(purpose)
        facilities = porto_alegre.facilities[purpose].node["walk"]
        facilities = facilities[facilities >= 0]
        for origin in rng.choice(near, size=3, replace=False):
            want, walk_only = (naive_transit_time(
                walk.indptr, walk.indices, walk.weight, speed_mps=WALK_SPEED_MPS,
                stop_node=np.where(stop_ok, node, -1), stop_link_m=table.stop_link_m,
                connections=hops, facility_nodes=facilities, origin=int(origin),
                departures_s=departures, max_walk_s=MAX_WALK_S,
                transfer_slack_s=TRANSFER_SLACK_S, lengths=lengths) for hops in (connections, []))
            assert math.isclose(got[origin, p], want, abs_tol=TOLERANCE_S), (purpose, origin)
            used_transit += want < walk_only - 60
    assert used_transit > 0
