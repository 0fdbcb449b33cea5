"""transit_frequency: trips added half-way between a route's departures, on
a hand-made feed over the real Helsinki streets; the wait for the line shortens."""

import datetime as dt

import numpy as np
import pytest
from feedfiles import write_feed

from twin.errors import ConfigError
from twin.interventions.transit_frequency import TransitFrequency, more_frequent
from twin.transit import load_timetable
from twin.transit.fields import MAX_WALK_S, TRANSFER_SLACK_S, WALK_SPEED_MPS
from twin.world import Transit, World

from naive import naive_transit_time

TUESDAY = dt.date(2024, 3, 5)


def clock(seconds):
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


@pytest.fixture(scope="module")
def timetable(helsinki, tmp_path_factory):
    """One bus line west -> centre -> east every 20 minutes."""
    walk = helsinki.streets["walk"]
    at = {"W": int(np.argmin(walk.x_m)), "E": int(np.argmax(walk.x_m)),
          "C": int(np.argmin(np.hypot(walk.x_m - walk.x_m.mean(), walk.y_m - walk.y_m.mean())))}
    stops = [(name, walk.lon[node], walk.lat[node], 1) for name, node in at.items()]
    trips, stop_times = [], []
    for i, start in enumerate(range(7 * 3600 + 40 * 60, 9 * 3600, 1200)):
        trips.append((f"t{i}", "WCE", "WK", 1))
        for seq, (stop, offset) in enumerate((("W", 0), ("C", 240), ("E", 480))):
            stop_times.append((f"t{i}", clock(start + offset), clock(start + offset), stop, seq))
    folder = write_feed(tmp_path_factory.mktemp("gtfs") / "line", stops, trips, stop_times)
    return load_timetable([folder], helsinki, service_date=TUESDAY, window_start_s=8 * 3600,
                          window_end_s=8 * 3600 + 1800, horizon_s=3600, use_cache=False)


def frequency(**changes):
    return TransitFrequency.model_validate({
        "type": "transit_frequency", "route_types": [3], "headway_factor": {"value": 0.5, "source": "test"},
        "cost": {"currency": "EUR", "price_year": 2024, "capital": {"value": 0, "source": "test"},
                 "yearly_operating": {"value": 1, "source": "test"},
                 "lifetime_years": {"value": 1, "source": "test"}}, **changes})


def test_a_trip_is_added_half_way_between_departures(timetable):
    denser = more_frequent(timetable, np.ones(len(timetable.trip_id), bool), 2)
    first = np.sort(np.unique(timetable.conn_dep_s[timetable.conn_from == 0]))
    added = np.sort(np.unique(denser.conn_dep_s[denser.conn_from == 0]))
    np.testing.assert_array_equal(added, np.sort(np.concatenate([first, (first[:-1] + first[1:]) // 2])))
    assert len(denser.trip_id) == len(timetable.trip_id) + len(first) - 1
    assert np.all(np.diff(denser.conn_dep_s) >= 0)  # still sorted for the connection scan
    for trip in np.unique(denser.conn_trip):  # every trip's hops in stop order
        np.testing.assert_array_equal(denser.conn_from[denser.conn_trip == trip], [0, 2])  # W, C
    assert denser.warnings[-1].startswith(f"transit_frequency: {len(first) - 1} trips added")


def test_denser_timetable_halves_the_wait(helsinki, timetable):
    """From the line's first stop to its last, by the plain forward
    connection scan of tests/naive.py: twice the buses, minutes less waiting."""
    base = Transit(timetable, 2.0, np.zeros(0))
    changed = frequency().apply(World(None, None, None, None, None, None, transit=base), seed=1)
    walk = helsinki.streets["walk"]
    node = timetable.stop_node["walk"]

    def median_s(table):
        connections = list(zip(table.conn_from, table.conn_to, table.conn_dep_s, table.conn_arr_s,
                               table.conn_trip, table.conn_board, table.conn_alight))
        return naive_transit_time(walk.indptr, walk.indices, walk.weight, speed_mps=WALK_SPEED_MPS,
                                  stop_node=node, stop_link_m=table.stop_link_m, connections=connections,
                                  facility_nodes=[int(node[1])], origin=int(node[0]),
                                  departures_s=np.arange(8 * 3600, 8 * 3600 + 1800, 60),
                                  max_walk_s=MAX_WALK_S, transfer_slack_s=TRANSFER_SLACK_S)

    before, after = median_s(timetable), median_s(changed.transit.timetable)
    # every 20 min -> every 10 min: the median journey is minutes shorter, the ride the same
    assert 240.0 <= before - after <= 600.0


def test_frequency_needs_routes_and_transit():
    with pytest.raises(ValueError, match="route_types"):
        frequency(route_types=[])
    with pytest.raises(ConfigError, match="transit: block"):
        frequency().apply(World(None, None, None, None, None, None), seed=1)
