"""GTFS feeds -> the connections that run on one service day.

A feed (zip or folder) is read with gtfs-kit, checked, and reduced to the
trips that run on the service date: those of the date's services, plus the
previous day's trips still running after midnight (GTFS times past 24:00),
shifted by a day. Stop times without a time (GTFS allows them between
timepoints) are interpolated by the straight-line distance along the trip,
as conveyal's gtfs-lib (R5) does.

Problems that make a feed unusable raise :class:`twin.errors.InputFileError`
naming the feed and the fix; problems that only lose part of it (trips
without stop times, trips whose first or last stop has no time) are counted
in :attr:`FeedDay.warnings`.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from twin.errors import InputFileError

log = logging.getLogger("twin.transit")

REQUIRED_TABLES = ("stops", "routes", "trips", "stop_times")
"""GTFS files every feed needs, besides calendar.txt or calendar_dates.txt."""

DAY_S = 86_400

EARTH_RADIUS_M = 6_371_008.8
"""Mean Earth radius (IUGG), for distances between nearby stops."""


@dataclass(frozen=True)
class FeedDay:
    """One feed's service on one date, as flat tables keyed by position.

    Attributes
    ----------
    name
        The feed's name (its file stem); prefixes its ids.
    stops
        DataFrame: ``stop_id``, ``stop_lon``, ``stop_lat``, ``wheelchair``
        (int8: 0 unknown, 1 accessible, 2 not accessible).
    trips
        DataFrame: ``trip_id``, ``route_id``, ``route_type``,
        ``route_short_name``, ``wheelchair`` (int8, as for stops).
    stop_times
        DataFrame sorted by trip then sequence: ``trip`` (row of ``trips``),
        ``stop`` (row of ``stops``), ``arrival_s``, ``departure_s`` (int64
        seconds from midnight of the service date; negative for the previous
        day's trips before midnight), ``board``, ``alight`` (bool: pickup /
        drop-off allowed).
    warnings
        Counted problems (e.g. ``"12 trips without stop times: skipped"``).
    """

    name: str
    stops: pd.DataFrame
    trips: pd.DataFrame
    stop_times: pd.DataFrame
    warnings: tuple[str, ...]


def read_feed_day(path: str | Path, service_date: dt.date) -> FeedDay:
    """Read one GTFS feed (zip or folder) for ``service_date``.

    Raises
    ------
    InputFileError
        The feed is missing, unreadable, lacks a required file, or has no
        service on the date (the message gives the dates it covers).
    """
    import gtfs_kit

    path = Path(path)
    if not path.exists():
        raise InputFileError("GTFS feed not found", path=path,
                             fix="give the path of a GTFS zip or folder")
    try:
        feed = gtfs_kit.read_feed(path, dist_units="km")
    except Exception as exc:  # gtfs-kit raises several kinds on corrupt input
        raise InputFileError(f"not a readable GTFS feed ({type(exc).__name__}: {exc})", path=path,
                             fix="give a GTFS zip or a folder of GTFS .txt files") from None
    missing = [f"{t}.txt" for t in REQUIRED_TABLES if _empty(getattr(feed, t))]
    if _empty(feed.calendar) and _empty(feed.calendar_dates):
        missing.append("calendar.txt or calendar_dates.txt")
    if missing:
        raise InputFileError(f"the feed lacks {', '.join(missing)}", path=path,
                             fix="use a complete GTFS feed (these files are required)")

    warnings: list[str] = []
    day = service_date.strftime("%Y%m%d")
    previous = (service_date - dt.timedelta(days=1)).strftime("%Y%m%d")
    today = set(feed.get_active_services(day))
    yesterday = set(feed.get_active_services(previous))
    if not today:
        dates = feed.get_dates()
        covered = f"{dates[0]} to {dates[-1]}" if dates else "no date at all"
        raise InputFileError(
            f"no service runs on {service_date.isoformat()} (the calendar covers {covered})",
            path=path, field="service_date",
            fix="choose a service date the feed covers, or a current feed")

    stops = feed.stops.reset_index(drop=True)
    # Ids as Python strings: pandas' arrow strings are slow to match (isin, loc).
    for table in (stops, feed.trips, feed.stop_times, feed.routes):
        for column in ("stop_id", "trip_id", "route_id", "service_id"):
            if column in table:
                table[column] = table[column].astype(str).astype(object)
    stop_row = pd.Series(np.arange(len(stops)), index=stops["stop_id"].astype(str))
    routes = feed.routes.set_index("route_id")
    trips = feed.trips
    st = feed.stop_times

    with_times = trips["trip_id"].isin(st["trip_id"])
    if (~with_times).any():
        warnings.append(f"{int((~with_times).sum())} trips without stop times: skipped")
    unknown_stop = ~st["stop_id"].isin(stop_row.index)
    if unknown_stop.any():
        warnings.append(f"{int(unknown_stop.sum())} stop times at stops not in stops.txt: skipped")
        st = st[~unknown_stop]

    parts = []
    for services, shift_s in ((today, 0), (yesterday, -DAY_S)):
        running = trips[with_times & trips["service_id"].isin(services)]
        if shift_s and len(running):
            # The previous day's trips matter only after midnight.
            theirs = st[st["trip_id"].isin(running["trip_id"])]
            last_s = pd.Series(_seconds(theirs["arrival_time"]), index=theirs.index)
            last_s = last_s.fillna(pd.Series(_seconds(theirs["departure_time"]), index=theirs.index))
            late = theirs["trip_id"][last_s >= DAY_S].unique()
            running = running[running["trip_id"].isin(late)]
        parts.append(running.assign(shift_s=shift_s))
    day_trips = pd.concat(parts, ignore_index=True)
    day_trips["key"] = day_trips["trip_id"] + np.where(day_trips["shift_s"] < 0, "@-1", "")

    st = st.merge(day_trips[["trip_id", "key", "shift_s"]], on="trip_id")
    st = st.sort_values(["key", "stop_sequence"], kind="stable").reset_index(drop=True)
    trip_row = pd.Series(np.arange(len(day_trips)), index=day_trips["key"])
    st["trip"] = trip_row.loc[st["key"]].to_numpy()
    st["stop"] = stop_row.loc[st["stop_id"]].to_numpy()
    arrival_s, departure_s, bad = _interpolated_times(st, stops)
    if bad.any():
        warnings.append(f"{int(bad.sum())} trips whose first or last stop has no time: skipped")
    keep = ~bad[st["trip"].to_numpy()]
    stop_times = pd.DataFrame({
        "trip": st["trip"].to_numpy(),
        "stop": st["stop"].to_numpy(),
        "arrival_s": arrival_s + st["shift_s"].to_numpy(),
        "departure_s": departure_s + st["shift_s"].to_numpy(),
        "board": _allowed(st, "pickup_type"),
        "alight": _allowed(st, "drop_off_type"),
    })[keep].reset_index(drop=True)

    route = routes.reindex(day_trips["route_id"])
    trip_table = pd.DataFrame({
        "trip_id": day_trips["key"].to_numpy(),
        "route_id": day_trips["route_id"].astype(str).to_numpy(),
        "route_type": route["route_type"].fillna(3).astype(int).to_numpy(),
        "route_short_name": route.get("route_short_name", pd.Series(index=route.index, dtype=str))
        .fillna("").astype(str).to_numpy(),
        "wheelchair": _flag(day_trips, "wheelchair_accessible"),
    })
    stop_table = pd.DataFrame({
        "stop_id": stops["stop_id"].astype(str).to_numpy(),
        "stop_lon": stops["stop_lon"].astype(float).to_numpy(),
        "stop_lat": stops["stop_lat"].astype(float).to_numpy(),
        "wheelchair": _flag(stops, "wheelchair_boarding"),
    })
    bad_coords = ~np.isfinite(stop_table[["stop_lon", "stop_lat"]].to_numpy()).all(axis=1)
    if bad_coords.any():
        warnings.append(f"{int(bad_coords.sum())} stops without coordinates: not reachable on foot")
    for text in warnings:
        log.warning("%s: %s", path, text)
    return FeedDay(name=path.stem if path.is_file() else path.name, stops=stop_table,
                   trips=trip_table, stop_times=stop_times, warnings=tuple(warnings))


def _empty(table) -> bool:
    return table is None or len(table) == 0


def _seconds(times: pd.Series) -> np.ndarray:
    """``H:MM:SS`` strings (hours may pass 24) -> float seconds, NaN where missing."""
    codes, uniques = pd.factorize(times.astype(object))  # few distinct times: parse each once
    parsed = np.array([_hms(text) for text in uniques] + [np.nan])
    return parsed[codes]  # code -1 (missing) picks the trailing NaN


def _hms(text) -> float:
    try:
        h, m, s = str(text).strip().split(":")
        return int(h) * 3600 + int(m) * 60 + int(s)
    except ValueError:
        return np.nan


def _interpolated_times(st: pd.DataFrame, stops: pd.DataFrame):
    """Arrival and departure seconds with gaps filled along each trip by
    straight-line distance between stops; and which trips cannot be filled."""
    arrival = _seconds(st["arrival_time"])
    departure = _seconds(st["departure_time"])
    arrival = np.where(np.isnan(arrival), departure, arrival)
    departure = np.where(np.isnan(departure), arrival, departure)
    trip = st["trip"].to_numpy()
    n_trips = int(trip.max()) + 1 if len(trip) else 0
    first = np.r_[True, trip[1:] != trip[:-1]] if len(trip) else np.zeros(0, bool)
    last = np.r_[trip[1:] != trip[:-1], True] if len(trip) else np.zeros(0, bool)
    bad = np.zeros(n_trips, dtype=bool)
    bad[trip[(first | last) & np.isnan(arrival)]] = True
    gaps = np.isnan(arrival) & ~bad[trip]
    if gaps.any():
        lon = np.radians(stops["stop_lon"].astype(float).to_numpy()[st["stop"].to_numpy()])
        lat = np.radians(stops["stop_lat"].astype(float).to_numpy()[st["stop"].to_numpy()])
        step_m = np.hypot(np.diff(lon) * np.cos(lat[1:]), np.diff(lat)) * EARTH_RADIUS_M
        step_m = np.where(first[1:], 0.0, np.nan_to_num(step_m))
        along_m = np.r_[0.0, np.cumsum(step_m)]
        # One monotone axis over all trips (the distance runs on from trip to
        # trip): trips never mix because each one's first and last stop have times.
        key = along_m + np.arange(len(trip)) * 1e-3
        known = ~np.isnan(arrival) & ~bad[trip]
        filled = np.interp(key[gaps], key[known], departure[known])
        arrival[gaps] = filled
        departure[gaps] = filled
    return (np.nan_to_num(arrival).astype(np.int64), np.nan_to_num(departure).astype(np.int64), bad)


def _allowed(st: pd.DataFrame, column: str) -> np.ndarray:
    """pickup_type / drop_off_type 1 means not allowed; anything else allowed."""
    if column not in st:
        return np.ones(len(st), dtype=bool)
    return pd.to_numeric(st[column], errors="coerce").fillna(0).to_numpy() != 1


def _flag(table: pd.DataFrame, column: str) -> np.ndarray:
    """A GTFS accessibility column as int8 0 (unknown), 1 (yes), 2 (no)."""
    if column not in table:
        return np.zeros(len(table), dtype=np.int8)
    values = pd.to_numeric(table[column], errors="coerce").fillna(0).to_numpy()
    return np.where(np.isin(values, (1, 2)), values, 0).astype(np.int8)
