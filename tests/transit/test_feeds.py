"""Reading GTFS feeds for a service date: calendars and their exceptions,
trips past midnight, interpolated times, and clear errors for bad feeds."""

from __future__ import annotations

import datetime as dt

import pytest
from feedfiles import write_feed

from twin.errors import InputFileError
from twin.transit.feeds import read_feed_day

TUESDAY = dt.date(2024, 3, 5)
STOPS = [("a", 24.9400, 60.1700), ("b", 24.9450, 60.1700), ("c", 24.9550, 60.1700)]


def feed(tmp_path, **kwargs):
    trips = [("day", "R1", "WK"), ("late", "R1", "WK"), ("cancelled", "R2", "WK2"),
             ("extra", "R2", "HOL"), ("empty", "R2", "WK")]
    stop_times = [
        ("day", "08:00:00", "08:00:00", "a", 1), ("day", "", "", "b", 2),
        ("day", "08:15:00", "08:15:00", "c", 3),
        ("late", "24:30:00", "24:30:00", "a", 1), ("late", "24:50:00", "24:50:00", "c", 2),
        ("cancelled", "09:00:00", "09:00:00", "a", 1), ("cancelled", "09:05:00", "09:05:00", "b", 2),
        ("extra", "10:00:00", "10:00:00", "b", 1), ("extra", "10:05:00", "10:05:00", "c", 2),
    ]
    calendar = ["WK,1,1,1,1,1,0,0,20240101,20241231", "WK2,1,1,1,1,1,0,0,20240101,20241231"]
    dates = ["WK2,20240305,2", "HOL,20240305,1"]
    return write_feed(tmp_path / "feed", STOPS, trips, stop_times, calendar=calendar,
                      calendar_dates=dates, **kwargs)


def test_the_service_day_has_its_trips_exceptions_and_the_night_before(tmp_path):
    day = read_feed_day(feed(tmp_path), TUESDAY)
    trips = dict(zip(day.trips["trip_id"], range(len(day.trips))))
    # calendar_dates: 'cancelled' removed on the date, 'extra' added; Monday's
    # 'late' trip still runs after midnight, at 00:30 on Tuesday, and
    # Tuesday's own runs at 24:30 (88,200 s from Tuesday's midnight).
    assert set(trips) == {"day", "late", "late@-1", "extra"}
    for trip, times in (("late@-1", [1800, 3000]), ("late", [88200, 89400])):
        rows = day.stop_times[day.stop_times["trip"] == trips[trip]]
        assert rows["departure_s"].tolist() == times
    # 'b' has no time: interpolated by distance (a-b 1/3 of a-c): 08:05.
    times = day.stop_times[day.stop_times["trip"] == trips["day"]]["departure_s"].tolist()
    assert times == [8 * 3600, 8 * 3600 + 300, 8 * 3600 + 900]
    assert day.warnings == ("1 trips without stop times: skipped",)


def test_a_missing_file_names_the_feed_and_the_fix(tmp_path):
    with pytest.raises(InputFileError, match=r"feed: the feed lacks stops.txt .*required"):
        read_feed_day(feed(tmp_path, skip=("stops",)), TUESDAY)


def test_a_date_the_calendar_does_not_cover_says_which_dates_it_does(tmp_path):
    with pytest.raises(InputFileError,
                       match=r"service_date: no service runs on 2025-03-04 \(the calendar covers "
                             r"20240101 to 20241231\) \(choose a service date"):
        read_feed_day(feed(tmp_path), dt.date(2025, 3, 4))


def test_an_absent_or_corrupt_feed_is_one_clear_error(tmp_path):
    with pytest.raises(InputFileError, match="GTFS feed not found"):
        read_feed_day(tmp_path / "nowhere.zip", TUESDAY)
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"not a zip")
    with pytest.raises(InputFileError, match="not a readable GTFS feed"):
        read_feed_day(bad, TUESDAY)
