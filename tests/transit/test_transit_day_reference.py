"""The day with transit in the mode choice (CityModel) against the per-agent
Mesa reference, on real streets and timetables: a hand-made feed over the
bundled Helsinki extract, and Porto Alegre's real bus and metro feeds
(skipped without ../shared/data). Both share the fields of journeys with a
ride; the reference computes fares, budgets and choices itself."""

import datetime as dt

import numpy as np
import pytest
from feedfiles import write_feed

from twin.abm import CityModel
from twin.residents import load_resident_model, synthesize_for_city
from twin.transit import load_timetable, transit_fields
from twin.world import TravelParams, World

from reference_model import ReferenceCityModel

LEDGER = ("trips_made", "unmet_trips", "travel_time_s", "travel_money", "car_trips", "transit_trips",
          "transit_fare")


def clock(seconds):
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def same_days(world, fields, days):
    fast = CityModel(world.replace(residents=world.residents.copy()), seed=7, agents="none", transit=fields)
    slow = ReferenceCityModel(world.replace(residents=world.residents.copy()), seed=7, access=fast.access,
                              transit=fields)
    for _ in range(days):
        fast.step()
        slow.step()
    for name in LEDGER:
        np.testing.assert_array_equal(getattr(fast.ledger, name), getattr(slow.ledger, name), err_msg=name)
    return fast.ledger


@pytest.mark.needs_jit  # the real city's choice sets take 13 s to search in plain Python
def test_day_with_a_hand_made_feed_equals_reference(helsinki, tmp_path):
    """Two bus lines across the extract every 5 minutes (one accessible), a
    fare some residents cannot afford."""
    walk = helsinki.streets["walk"]
    rng = np.random.default_rng(3)
    nodes = rng.choice(walk.n_nodes, 8, replace=False)
    stops = [(f"s{i}", walk.lon[n], walk.lat[n], 1) for i, n in enumerate(nodes)]
    trips, stop_times = [], []
    for line, (first, last, accessible) in enumerate(((0, 4, 1), (4, 8, 2))):
        for t, start in enumerate(range(13 * 3600, 14 * 3600 + 1800, 300)):
            trip = f"l{line}t{t}"
            trips.append((trip, f"L{line}", "WK", accessible))
            for seq, s in enumerate(range(first, last)):
                stop_times.append((trip, clock(start + 240 * seq), clock(start + 240 * seq), f"s{s}", seq))
    folder = write_feed(tmp_path / "gtfs", stops, trips, stop_times)
    table = load_timetable([folder], helsinki, service_date=dt.date(2024, 3, 5), window_start_s=13 * 3600,
                           window_end_s=14 * 3600, cache_dir=tmp_path)
    fields = transit_fields(helsinki, table, rides_only=True, cache_dir=tmp_path)
    spec = load_resident_model("porto_alegre")  # with its fare budget share
    residents = synthesize_for_city(spec, helsinki, 1500, seed=7)
    world = World.baseline(helsinki, residents, TravelParams.from_model(spec), timetable=table, fare=5.0)
    ledger = same_days(world, fields, days=4)
    assert ledger.transit_trips.sum() > 0


@pytest.mark.slow
@pytest.mark.needs_jit
def test_day_on_porto_alegre_feeds_equals_reference(porto_alegre, shared_data):
    feeds = [shared_data("gtfs/porto_alegre_eptc.zip"), shared_data("gtfs/porto_alegre_trensurb.zip")]
    table = load_timetable(feeds, porto_alegre, service_date=dt.date(2019, 5, 13), window_start_s=13 * 3600,
                           window_end_s=13 * 3600 + 1800)
    fields = transit_fields(porto_alegre, table, rides_only=True)
    spec = load_resident_model("porto_alegre")
    residents = synthesize_for_city(spec, porto_alegre, 1500, seed=7)
    world = World.baseline(porto_alegre, residents, TravelParams.from_model(spec), timetable=table, fare=5.0)
    ledger = same_days(world, fields, days=3)
    assert ledger.transit_trips.sum() > 0 and ledger.transit_fare.sum() > 0
