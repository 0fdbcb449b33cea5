"""Timetable arrays: the connections of one service day within a departure
window, with every stop linked to the walk and wheelchair graphs.

A *connection* is one vehicle's hop from a stop to the next (the unit of the
connection scan, Dibbelt et al. 2018). Stop ids are prefixed with their
feed's name so several feeds combine without clashes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from twin.city.arrays import City
from twin.transit.feeds import FeedDay, read_feed_day

MAX_LINK_M = 300.0
"""assumption: a stop farther than this (straight line) from every walk node
lies outside the city's streets and cannot be reached on foot."""

WHEELCHAIR_UNKNOWN = 0
WHEELCHAIR_YES = 1
WHEELCHAIR_NO = 2
"""GTFS ``wheelchair_boarding`` / ``wheelchair_accessible`` values."""


@dataclass(frozen=True)
class Timetable:
    """The connections of a service day, ready for the routing kernels.

    Attributes
    ----------
    service_date
        ISO date the timetable runs on.
    window_start_s, window_end_s
        The departure window, seconds from midnight of ``service_date``.
    horizon_s
        Connections departing up to ``window_end_s + horizon_s`` are kept:
        journeys longer than this are not found.
    feeds
        Names of the feeds, in order.
    stop_id
        str, shape (n_stops,): ``"<feed>:<stop_id>"``.
    stop_lon, stop_lat
        float64, shape (n_stops,).
    stop_wheelchair
        int8, shape (n_stops,): GTFS ``wheelchair_boarding`` (0 unknown, 1 yes, 2 no).
    stop_node
        mode (``"walk"``, ``"wheelchair"``) -> int32, shape (n_stops,): the
        nearest node of that graph, -1 where farther than :data:`MAX_LINK_M`.
    stop_link_m
        float64, shape (n_stops,): straight-line distance to that node.
    conn_from, conn_to
        int32, shape (n_connections,): stops of each hop, sorted by departure
        then arrival then position in the trip.
    conn_dep_s, conn_arr_s
        int32: departure and arrival, seconds from midnight of the service date.
    conn_trip
        int32: index into the trip arrays.
    conn_board, conn_alight
        bool: boarding allowed at ``conn_from`` / alighting at ``conn_to``.
    trip_id, trip_route_id
        str, shape (n_trips,).
    trip_route_type
        int16: GTFS ``route_type`` (3 bus, 1 metro, 2 rail, ...).
    trip_wheelchair
        int8: GTFS ``wheelchair_accessible``.
    warnings
        Counted problems of the feeds and of the linking.
    """

    service_date: str
    window_start_s: int
    window_end_s: int
    horizon_s: int
    feeds: tuple[str, ...]
    stop_id: np.ndarray
    stop_lon: np.ndarray
    stop_lat: np.ndarray
    stop_wheelchair: np.ndarray
    stop_node: dict[str, np.ndarray]
    stop_link_m: np.ndarray
    conn_from: np.ndarray
    conn_to: np.ndarray
    conn_dep_s: np.ndarray
    conn_arr_s: np.ndarray
    conn_trip: np.ndarray
    conn_board: np.ndarray
    conn_alight: np.ndarray
    trip_id: np.ndarray
    trip_route_id: np.ndarray
    trip_route_type: np.ndarray
    trip_wheelchair: np.ndarray
    warnings: tuple[str, ...] = field(default=())

    @property
    def n_stops(self) -> int:
        return len(self.stop_id)

    @property
    def n_connections(self) -> int:
        return len(self.conn_from)


def parse_clock(text: str) -> int:
    """``"HH:MM"`` or ``"HH:MM:SS"`` (hours may pass 24) -> seconds."""
    parts = [int(p) for p in str(text).split(":")]
    if len(parts) not in (2, 3) or any(p < 0 for p in parts):
        raise ValueError(f"not a clock time HH:MM[:SS]: {text!r}")
    parts += [0] * (3 - len(parts))
    return parts[0] * 3600 + parts[1] * 60 + parts[2]


def build_timetable(
    feeds: Sequence[str | Path],
    city: City,
    *,
    service_date: dt.date,
    window_start_s: int,
    window_end_s: int,
    horizon_s: int = 3 * 3600,
) -> Timetable:
    """Read ``feeds`` for ``service_date`` and keep the connections departing
    from ``window_start_s`` to ``window_end_s + horizon_s``, linked to
    ``city``'s walk and wheelchair graphs.

    Raises
    ------
    InputFileError
        From :func:`twin.transit.feeds.read_feed_day`.
    ValueError
        An empty or reversed window, or a negative horizon.
    """
    if not 0 <= window_start_s < window_end_s or horizon_s < 0:
        raise ValueError(f"bad departure window {window_start_s}..{window_end_s} s "
                         f"or horizon {horizon_s} s")
    days = [read_feed_day(path, service_date) for path in feeds]
    return assemble(days, city, service_date=service_date, window_start_s=window_start_s,
                    window_end_s=window_end_s, horizon_s=horizon_s)


def assemble(days: Sequence[FeedDay], city: City, *, service_date: dt.date,
             window_start_s: int, window_end_s: int, horizon_s: int) -> Timetable:
    """Concatenate feeds' days, cut to the window, sort and link the stops."""
    stops, trips, hops, warnings = [], [], [], []
    stop_base = trip_base = 0
    for day in days:
        stops.append(day.stops.assign(stop_id=day.name + ":" + day.stops["stop_id"]))
        trips.append(day.trips.assign(trip_id=day.name + ":" + day.trips["trip_id"],
                                      route_id=day.name + ":" + day.trips["route_id"]))
        st = day.stop_times
        same_trip = st["trip"].to_numpy()[1:] == st["trip"].to_numpy()[:-1]
        head, tail = st.iloc[:-1][same_trip], st.iloc[1:][same_trip]
        hops.append(pd.DataFrame({
            "from": head["stop"].to_numpy() + stop_base,
            "to": tail["stop"].to_numpy() + stop_base,
            "dep": head["departure_s"].to_numpy(),
            "arr": tail["arrival_s"].to_numpy(),
            "trip": head["trip"].to_numpy() + trip_base,
            "seq": np.flatnonzero(same_trip),
            "board": head["board"].to_numpy(),
            "alight": tail["alight"].to_numpy(),
        }))
        warnings += [f"{day.name}: {text}" for text in day.warnings]
        stop_base += len(day.stops)
        trip_base += len(day.trips)
    stops = pd.concat(stops, ignore_index=True)
    trips = pd.concat(trips, ignore_index=True)
    hops = pd.concat(hops, ignore_index=True)
    hops = hops[(hops["dep"] >= window_start_s) & (hops["dep"] <= window_end_s + horizon_s)]
    backwards = hops["arr"] < hops["dep"]
    if backwards.any():
        warnings.append(f"{int(backwards.sum())} hops arrive before they depart: skipped")
        hops = hops[~backwards]
    hops = hops.sort_values(["dep", "arr", "seq"], kind="stable")

    stop_node, link_m, outside = link_stops(city, stops["stop_lon"].to_numpy(),
                                            stops["stop_lat"].to_numpy())
    if outside:
        warnings.append(f"{outside} of {len(stops)} stops lie more than {MAX_LINK_M:.0f} m from "
                        "the city's streets: not reachable on foot")
    return Timetable(
        service_date=service_date.isoformat(),
        window_start_s=int(window_start_s),
        window_end_s=int(window_end_s),
        horizon_s=int(horizon_s),
        feeds=tuple(day.name for day in days),
        stop_id=stops["stop_id"].to_numpy(dtype=str),
        stop_lon=stops["stop_lon"].to_numpy(dtype=np.float64),
        stop_lat=stops["stop_lat"].to_numpy(dtype=np.float64),
        stop_wheelchair=stops["wheelchair"].to_numpy(dtype=np.int8),
        stop_node=stop_node,
        stop_link_m=link_m,
        conn_from=hops["from"].to_numpy(dtype=np.int32),
        conn_to=hops["to"].to_numpy(dtype=np.int32),
        conn_dep_s=hops["dep"].to_numpy(dtype=np.int32),
        conn_arr_s=hops["arr"].to_numpy(dtype=np.int32),
        conn_trip=hops["trip"].to_numpy(dtype=np.int32),
        conn_board=hops["board"].to_numpy(dtype=bool),
        conn_alight=hops["alight"].to_numpy(dtype=bool),
        trip_id=trips["trip_id"].to_numpy(dtype=str),
        trip_route_id=trips["route_id"].to_numpy(dtype=str),
        trip_route_type=trips["route_type"].to_numpy(dtype=np.int16),
        trip_wheelchair=trips["wheelchair"].to_numpy(dtype=np.int8),
        warnings=tuple(warnings),
    )


def link_stops(city: City, lon: np.ndarray, lat: np.ndarray):
    """Nearest walk node of each stop (the wheelchair graph has the same
    nodes), -1 beyond :data:`MAX_LINK_M` or without coordinates.

    Returns ``({"walk": node, "wheelchair": node}, link_m, n_outside)``.
    """
    from pyproj import Transformer
    from scipy.spatial import cKDTree

    walk = city.streets["walk"]
    x_m, y_m = Transformer.from_crs("EPSG:4326", city.crs, always_xy=True).transform(lon, lat)
    finite = np.isfinite(x_m) & np.isfinite(y_m)
    link_m = np.full(len(lon), np.inf)
    node = np.full(len(lon), -1, dtype=np.int32)
    if finite.any():
        distance, nearest = cKDTree(np.column_stack([walk.x_m, walk.y_m])).query(
            np.column_stack([x_m[finite], y_m[finite]]))
        link_m[finite] = distance
        node[finite] = nearest
    outside = ~(link_m <= MAX_LINK_M)
    node[outside] = -1
    link_m[outside] = np.inf
    # Both graphs share node indices (twin.city.streets), so one lookup serves both.
    return {"walk": node, "wheelchair": node.copy()}, link_m, int(outside.sum())


_SCALARS = ("service_date", "window_start_s", "window_end_s", "horizon_s", "feeds", "warnings")


def load_timetable(
    feeds: Sequence[str | Path],
    city: City,
    *,
    service_date: dt.date,
    window_start_s: int,
    window_end_s: int,
    horizon_s: int = 3 * 3600,
    cache_dir: str | Path | None = None,
    use_cache: bool = True,
) -> Timetable:
    """:func:`build_timetable`, cached on disk (see :mod:`twin.transit.cache`).

    The key covers the feeds' bytes, the date, window and horizon, and the
    walk graph's node coordinates the stops are linked to.
    """
    from twin.transit.cache import cached, content_key, dataclass_arrays, dataclass_from_arrays, transit_cache_dir

    paths = [Path(p) for p in feeds]
    options = dict(service_date=service_date, window_start_s=window_start_s,
                   window_end_s=window_end_s, horizon_s=horizon_s)

    def build() -> Timetable:
        return build_timetable(paths, city, **options)

    if not use_cache:
        return build()
    for path in paths:  # a clear error before hashing a missing file
        if not path.exists():
            return build()
    walk = city.streets["walk"]
    files = [sorted(p.rglob("*.txt")) if p.is_dir() else p for p in paths]
    key = content_key("timetable", files, [p.name for p in paths], sorted(options.items()),
                      city.crs, walk.x_m, walk.y_m, MAX_LINK_M)
    return cached(transit_cache_dir(cache_dir) / "timetables", key,
                  lambda arrays: dataclass_from_arrays(Timetable, arrays), build,
                  lambda table: dataclass_arrays(table, _SCALARS))
