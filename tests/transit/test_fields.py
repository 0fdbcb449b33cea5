"""Timetables linked to a real city (the bundled Helsinki extract) and the
walk + transit fields built from them, against the plain forward connection
scan of tests/naive.py; and the same on Porto Alegre's real feeds."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from feedfiles import write_feed

from twin.residents.population import PURPOSES
from twin.transit import load_timetable, transit_fields
from twin.transit.fields import MAX_WALK_S, TRANSFER_SLACK_S, WALK_SPEED_MPS, facility_targets, mode_times

from naive import naive_transit_time

TOLERANCE_S = 0.01
"""float32 fields against the float64 reference."""

TUESDAY = dt.date(2024, 3, 5)


def clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


@pytest.fixture(scope="module")
def helsinki_feed(helsinki, tmp_path_factory):
    """Two bus lines across the extract (west -> centre -> east, north ->
    centre), every 6 minutes, the first accessible by wheelchair, the second
    not; and a stop 50 km away."""
    walk = helsinki.streets["walk"]
    west, east = int(np.argmin(walk.x_m)), int(np.argmax(walk.x_m))
    north = int(np.argmax(walk.y_m))
    centre = int(np.argmin(np.hypot(walk.x_m - walk.x_m.mean(), walk.y_m - walk.y_m.mean())))
    at = {"W": west, "C": centre, "E": east, "N": north}
    stops = [(name, walk.lon[node], walk.lat[node], 1) for name, node in at.items()]
    stops.append(("far", 25.6, 60.4, 0))
    trips, stop_times = [], []
    for i, start in enumerate(range(7 * 3600 + 50 * 60, 9 * 3600, 360)):
        trips += [(f"wce{i}", "WCE", "WK", 1), (f"cn{i}", "CN", "WK", 2)]
        for seq, (stop, offset) in enumerate((("W", 0), ("C", 180), ("E", 360))):
            stop_times.append((f"wce{i}", clock(start + offset), clock(start + offset), stop, seq))
        for seq, (stop, offset) in enumerate((("N", 60), ("C", 180))):
            stop_times.append((f"cn{i}", clock(start + offset), clock(start + offset), stop, seq))
    folder = write_feed(tmp_path_factory.mktemp("gtfs") / "hsl", stops, trips, stop_times)
    return folder, at


def window(**kwargs):
    return dict(service_date=TUESDAY, window_start_s=8 * 3600, window_end_s=8 * 3600 + 1200, **kwargs)


def test_stops_are_linked_and_far_ones_counted(helsinki, helsinki_feed, tmp_path):
    folder, at = helsinki_feed
    table = load_timetable([folder], helsinki, cache_dir=tmp_path, **window())
    assert table.stop_id.tolist() == ["hsl:W", "hsl:C", "hsl:E", "hsl:N", "hsl:far"]
    assert table.stop_node["walk"].tolist() == [*at.values(), -1]
    assert table.warnings == ("1 of 5 stops lie more than 300 m from the city's streets: "
                              "not reachable on foot",)
    # Only connections departing in the window (+ horizon) are kept, in order.
    assert table.conn_dep_s.min() >= 8 * 3600 and np.all(np.diff(table.conn_dep_s) >= 0)


def test_timetables_and_fields_are_cached_by_content(helsinki, helsinki_feed, tmp_path):
    folder, _ = helsinki_feed
    first = load_timetable([folder], helsinki, cache_dir=tmp_path, **window())
    entries = list((tmp_path / "transit" / "timetables").glob("*.npz"))
    assert len(entries) == 1
    again = load_timetable([folder], helsinki, cache_dir=tmp_path, **window())
    np.testing.assert_array_equal(again.conn_dep_s, first.conn_dep_s)
    assert again.stop_node["walk"].tolist() == first.stop_node["walk"].tolist()
    later = load_timetable([folder], helsinki, cache_dir=tmp_path, **window(horizon_s=600))
    assert len(list((tmp_path / "transit" / "timetables").glob("*.npz"))) == 2
    assert later.n_connections < first.n_connections

    fields = transit_fields(helsinki, first, cache_dir=tmp_path)
    entry = next((tmp_path / "transit" / "fields").glob("*.npz"))
    entry.write_bytes(b"truncated")  # an unreadable entry is rebuilt, not trusted
    rebuilt = transit_fields(helsinki, first, cache_dir=tmp_path)
    np.testing.assert_array_equal(rebuilt.walk_time_s, fields.walk_time_s)


def test_fields_match_a_forward_scan_from_sampled_homes(helsinki, helsinki_feed, tmp_path):
    folder, at = helsinki_feed
    table = load_timetable([folder], helsinki, cache_dir=tmp_path, **window())
    fields = transit_fields(helsinki, table, use_cache=False)
    walk = helsinki.streets["walk"]
    connections = list(zip(table.conn_from, table.conn_to, table.conn_dep_s, table.conn_arr_s,
                           table.conn_trip, table.conn_board, table.conn_alight))
    near_north = np.argsort(np.hypot(walk.x_m - walk.x_m[at["N"]], walk.y_m - walk.y_m[at["N"]]))
    origins = [int(v) for v in near_north[[0, 40, 200]]]
    used_transit = 0
    for purpose in ("health", "civic"):
        p = PURPOSES.index(purpose)
        facilities = helsinki.facilities[purpose].node["walk"]
        facilities = facilities[facilities >= 0]
        for origin in origins:
            want, walk_only = (naive_transit_time(
                walk.indptr, walk.indices, walk.weight, speed_mps=WALK_SPEED_MPS,
                stop_node=table.stop_node["walk"], stop_link_m=table.stop_link_m,
                connections=hops, facility_nodes=facilities, origin=origin,
                departures_s=fields.departures_s, max_walk_s=MAX_WALK_S,
                transfer_slack_s=TRANSFER_SLACK_S) for hops in (connections, []))
            assert math.isclose(fields.walk_time_s[origin, p], want, abs_tol=TOLERANCE_S)
            used_transit += want < walk_only - 60
    assert used_transit > 0  # the bus is faster than walking from some of these homes
    assert fields.walk_time_s.dtype == np.float32
    assert fields.walk_time_s.shape == (walk.n_nodes, len(PURPOSES))


def test_wheelchair_users_ride_only_accessible_trips(helsinki, helsinki_feed, tmp_path):
    folder, at = helsinki_feed
    table = load_timetable([folder], helsinki, cache_dir=tmp_path, **window())
    stop_ok = table.stop_node["wheelchair"] >= 0
    departures = np.arange(8 * 3600, 8 * 3600 + 1200, 60)
    common = dict(mode="wheelchair", speed_mps=0.79, stop_ok=stop_ok, departures_s=departures,
                  max_walk_s=MAX_WALK_S, transfer_slack_s=TRANSFER_SLACK_S)
    targets = facility_targets(helsinki, common["mode"])
    every_trip = mode_times(helsinki, table, targets, trip_ok=np.ones(len(table.trip_id), bool), **common)
    fields = transit_fields(helsinki, table, use_cache=False)
    accessible = mode_times(helsinki, table, targets, trip_ok=table.trip_wheelchair == 1, **common)
    np.testing.assert_array_equal(fields.wheelchair_time_s, accessible)
    # The north line is not accessible: somewhere it was the faster way.
    assert (accessible > every_trip + 1).any()
    assert (accessible >= every_trip).all()


def test_fields_to_chosen_targets_from_chosen_origins(helsinki, helsinki_feed, tmp_path):
    """Fields to arbitrary target nodes (a column each, as the work zones use
    them) timed from a few origins only: those rows equal the fields timed
    from every node, bit for bit, and match the forward scan; other rows are inf."""
    folder, at = helsinki_feed
    table = load_timetable([folder], helsinki, cache_dir=tmp_path, **window())
    walk = helsinki.streets["walk"]
    targets = {mode: [np.array([at["E"]], np.int32), np.array([at["W"], at["N"]], np.int32)]
               for mode in ("walk", "wheelchair")}
    near_north = np.argsort(np.hypot(walk.x_m - walk.x_m[at["N"]], walk.y_m - walk.y_m[at["N"]]))
    origins = np.sort(near_north[[0, 40, 200, 400]])
    every = transit_fields(helsinki, table, targets=targets, use_cache=False)
    some = transit_fields(helsinki, table, targets=targets, origins=origins, use_cache=False)
    assert some.walk_time_s.shape == (walk.n_nodes, 2)
    np.testing.assert_array_equal(some.walk_time_s[origins], every.walk_time_s[origins])
    np.testing.assert_array_equal(some.wheelchair_time_s[origins], every.wheelchair_time_s[origins])
    others = np.setdiff1d(np.arange(walk.n_nodes), origins)
    assert np.isinf(some.walk_time_s[others]).all()
    connections = list(zip(table.conn_from, table.conn_to, table.conn_dep_s, table.conn_arr_s,
                           table.conn_trip, table.conn_board, table.conn_alight))
    for origin in origins[:2]:
        want = naive_transit_time(
            walk.indptr, walk.indices, walk.weight, speed_mps=WALK_SPEED_MPS,
            stop_node=table.stop_node["walk"], stop_link_m=table.stop_link_m, connections=connections,
            facility_nodes=targets["walk"][0], origin=int(origin), departures_s=some.departures_s,
            max_walk_s=MAX_WALK_S, transfer_slack_s=TRANSFER_SLACK_S)
        assert math.isclose(some.walk_time_s[origin, 0], want, abs_tol=TOLERANCE_S)
