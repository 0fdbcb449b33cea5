"""Walk + transit travel-time fields: from every walk node to the nearest
facility of each purpose, the median over the departure window, on foot and
by wheelchair; the same kind of per-node fields as
:class:`twin.abm.access.AccessFields`, so a simulated day stays one kernel call.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from twin.city.arrays import City
from twin.core.routing import nearest_facility_many
from twin.core.transit import Connections, stop_walk_lengths, transit_times, walk_links
from twin.residents.population import PURPOSES
from twin.transit.timetable import WHEELCHAIR_UNKNOWN, WHEELCHAIR_YES, Timetable

WALK_SPEED_MPS = 1.25
"""Knoblauch et al., TRR 1538 (1996): mean walking speed of younger pedestrians
1.25 m/s (as models/helsinki.yaml)."""

WHEELCHAIR_SPEED_MPS = 0.79
"""Tolerico et al., JRRD 2007: manual wheelchair 0.79 m/s (as models/helsinki.yaml)."""

MAX_WALK_S = 900.0
"""assumption: the longest walk to, between or from stops, 15 min (R5's
default maximum walk time is 20 min at 1.3 m/s; 15 min at 1.25 m/s is about
the 1.1 km beyond which few walk to a bus, Daniels & Mulley 2013)."""

TRANSFER_SLACK_S = 60.0
"""Minimum time between reaching a stop and boarding after alighting: R5's
default board slack, 60 s (conveyal/r5 ``BOARD_SLACK_SECONDS``)."""

DEPARTURE_STEP_S = 60
"""One departure per minute of the window, as R5 does."""


@dataclass(frozen=True)
class TransitFields:
    """Median walk + transit travel time to the nearest facility.

    Attributes
    ----------
    walk_time_s
        float32, shape (n_walk_nodes, n_purposes) in ``PURPOSES`` order:
        walking at :data:`WALK_SPEED_MPS` plus transit, or walking alone
        where faster (not with ``rides_only``); inf where neither reaches a
        facility of the purpose.
    wheelchair_time_s
        The same on the wheelchair graph at :data:`WHEELCHAIR_SPEED_MPS`,
        with only the stops and trips marked accessible.
    departures_s
        int64: the departure times the medians are over.
    """

    walk_time_s: np.ndarray
    wheelchair_time_s: np.ndarray
    departures_s: np.ndarray


def transit_fields(
    city: City,
    timetable: Timetable,
    *,
    max_walk_s: float = MAX_WALK_S,
    transfer_slack_s: float = TRANSFER_SLACK_S,
    step_s: int = DEPARTURE_STEP_S,
    unknown_stop_accessible: bool = True,
    unknown_trip_accessible: bool = False,
    rides_only: bool = False,
    targets: dict[str, list[np.ndarray]] | None = None,
    origins: np.ndarray | None = None,
    cache_dir: str | Path | None = None,
    use_cache: bool = True,
) -> TransitFields:
    """Compute (or load from the cache) the transit fields of ``city``.

    Parameters
    ----------
    city, timetable
        The compiled city and its timetable (:func:`twin.transit.load_timetable`).
    max_walk_s, transfer_slack_s
        See :func:`twin.core.transit.transit_times`.
    step_s
        Seconds between departure times over the timetable's window.
    unknown_stop_accessible
        Stated assumption: a stop whose ``wheelchair_boarding`` is unknown can
        be used by wheelchair where the vehicle is accessible (a bus with a
        lift or ramp serves a kerbside stop).
    unknown_trip_accessible
        Stated assumption: a trip whose ``wheelchair_accessible`` is unknown
        is not accessible.
    rides_only
        Only journeys with at least one ride (walking alone is not a
        journey): the public-transport alternative of a mode choice, which
        weighs walking separately. Default: the faster of both.
    targets
        mode (``walk``, ``wheelchair``) -> one array of target nodes of that
        mode's graph per column of the fields (e.g. the workplace zones of
        :mod:`twin.abm.workplaces`). Default: the facilities of each purpose.
    origins
        Walk nodes to time (e.g. the homes); the others' rows are inf.
        Default: every node (see :func:`twin.core.transit.transit_times`).
    """
    if targets is None:
        targets = {mode: facility_targets(city, mode) for mode in ("walk", "wheelchair")}
    options = dict(max_walk_s=float(max_walk_s), transfer_slack_s=float(transfer_slack_s),
                   step_s=int(step_s), unknown_stop_accessible=bool(unknown_stop_accessible),
                   unknown_trip_accessible=bool(unknown_trip_accessible), rides_only=bool(rides_only))

    def build() -> TransitFields:
        return _build(city, timetable, targets, origins, **options)

    if not use_cache:
        return build()
    from twin.transit.cache import cached, content_key, transit_cache_dir

    tt_arrays = [v for f in dataclasses.fields(timetable)
                 for v in ([getattr(timetable, f.name)] if f.name != "stop_node"
                           else list(timetable.stop_node.values()))]
    streets = [getattr(city.streets[m], a) for m in ("walk", "wheelchair")
               for a in ("indptr", "indices", "weight")]
    key = content_key("fields", tt_arrays, streets, [a for m in ("walk", "wheelchair") for a in targets[m]],
                      "all nodes" if origins is None else np.asarray(origins), sorted(options.items()))
    return cached(transit_cache_dir(cache_dir) / "fields", key,
                  lambda arrays: TransitFields(**arrays), build, dataclasses.asdict)


def facility_targets(city: City, mode: str) -> list[np.ndarray]:
    """The nodes of each purpose's facilities on ``mode``'s graph, in
    ``PURPOSES`` order (facilities off its streets, node -1, left out: they
    are unreachable by it)."""
    return [n[n >= 0] for n in (city.facilities[p].node[mode] for p in PURPOSES)]


def _build(city, timetable, targets, origins, *, max_walk_s, transfer_slack_s, step_s, unknown_stop_accessible,
           unknown_trip_accessible, rides_only) -> TransitFields:
    departures = np.arange(timetable.window_start_s, timetable.window_end_s, step_s, dtype=np.int64)
    times = {}
    for mode, speed in (("walk", WALK_SPEED_MPS), ("wheelchair", WHEELCHAIR_SPEED_MPS)):
        stop_ok = timetable.stop_node[mode] >= 0
        trip_ok = np.ones(len(timetable.trip_id), dtype=bool)
        if mode == "wheelchair":
            stop_ok &= _accessible(timetable.stop_wheelchair, unknown_stop_accessible)
            trip_ok = _accessible(timetable.trip_wheelchair, unknown_trip_accessible)
        times[mode] = mode_times(city, timetable, targets[mode], mode=mode, speed_mps=speed, stop_ok=stop_ok,
                                 trip_ok=trip_ok, departures_s=departures, max_walk_s=max_walk_s,
                                 transfer_slack_s=transfer_slack_s, rides_only=rides_only, origins=origins)
    return TransitFields(walk_time_s=times["walk"], wheelchair_time_s=times["wheelchair"],
                         departures_s=departures)


def mode_times(city: City, timetable: Timetable, targets: list[np.ndarray], *, mode: str, speed_mps: float,
               stop_ok: np.ndarray, trip_ok: np.ndarray, departures_s: np.ndarray,
               max_walk_s: float, transfer_slack_s: float, rides_only: bool = False,
               origins: np.ndarray | None = None) -> np.ndarray:
    """Median travel times (n_nodes, len(targets)) on one street graph to
    the nearest node of each array of ``targets``, using only the stops
    ``stop_ok`` and trips ``trip_ok`` (``rides_only``: only journeys with a
    ride, see :func:`transit_fields`)."""
    streets = city.streets[mode]
    reverse = streets.reversed()  # lengths *to* stops and facilities on a directed graph
    stop_node = np.where(stop_ok, timetable.stop_node[mode], -1)
    link_m = np.where(stop_ok, timetable.stop_link_m, 0.0)
    pairs = stop_walk_lengths(reverse.indptr, reverse.indices, reverse.weight, stop_node, link_m,
                              max_length_m=max_walk_s * speed_mps * (1 + 1e-9))
    links = walk_links(*pairs, stop_node, link_m, streets.n_nodes, speed_mps=speed_mps)
    to_facility_m, _ = nearest_facility_many(reverse.indptr, reverse.indices, reverse.weight, targets)
    egress_m = np.where(stop_node >= 0, link_m + to_facility_m[:, np.maximum(stop_node, 0)], np.inf)
    run = trip_ok[timetable.conn_trip]
    connections = Connections(
        timetable.conn_from[run], timetable.conn_to[run], timetable.conn_dep_s[run],
        timetable.conn_arr_s[run], timetable.conn_trip[run],
        timetable.conn_board[run] & stop_ok[timetable.conn_from[run]],
        timetable.conn_alight[run] & stop_ok[timetable.conn_to[run]])
    walk_only_s = np.full(to_facility_m.shape, np.inf) if rides_only else to_facility_m / speed_mps
    return transit_times(connections, len(timetable.trip_id), links, egress_m / speed_mps,
                         walk_only_s, departures_s, max_walk_s=max_walk_s,
                         transfer_slack_s=transfer_slack_s, origins=origins)


def _accessible(flag: np.ndarray, unknown: bool) -> np.ndarray:
    return (flag == WHEELCHAIR_YES) | ((flag == WHEELCHAIR_UNKNOWN) & unknown)
