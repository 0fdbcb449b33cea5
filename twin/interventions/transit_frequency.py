"""More frequent public transport: trips added between existing departures.

For the chosen routes (by GTFS ``route_type`` or route id), every pair of
consecutive trips of a route along the same stops gets ``round(1 /
headway_factor) - 1`` trips evenly spaced between them, each a copy of the
earlier trip shifted in time (factor 0.5: one trip half-way, the headway
halves). The transit fields are then built from the denser timetable. The
added vehicle-hours (in the timetable's window and horizon) are counted in
the timetable's warnings, for the cost.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from twin.config import OpenUnit, Value
from twin.interventions.base import Intervention, register
from twin.interventions.fare_subsidy import require_transit
from twin.transit.timetable import Timetable
from twin.world import World

RouteType = Literal[0, 1, 2, 3, 4, 5, 6, 7, 11, 12]
"""GTFS ``route_type``: 0 tram, 1 metro, 2 rail, 3 bus, 4 ferry, 5 cable tram,
6 aerial lift, 7 funicular, 11 trolleybus, 12 monorail."""


@register
class TransitFrequency(Intervention):
    """Parameters
    ----------
    route_types
        GTFS ``route_type`` values whose routes run more often (3: bus, 1: metro).
    routes
        Route ids (``<feed>:<route_id>``, as in the timetable) that run more often.
    headway_factor
        New headway / old headway, in (0, 1): 0.5 doubles the trips.
    """

    type: Literal["transit_frequency"] = "transit_frequency"
    route_types: list[RouteType] = Field(default_factory=list)
    routes: list[str] = Field(default_factory=list)
    headway_factor: Value[OpenUnit]

    @model_validator(mode="after")
    def _some_routes(self) -> TransitFrequency:
        if not self.route_types and not self.routes:
            raise ValueError("name route_types (e.g. [3] for buses) or routes")
        return self

    def apply(self, world: World, *, seed: int, instance: int = 0) -> World:
        require_transit(world, self.type)
        table = world.transit.timetable
        chosen = np.isin(table.trip_route_type, self.route_types) | np.isin(table.trip_route_id, self.routes)
        denser = more_frequent(table, chosen, int(round(1.0 / self.headway_factor.value)))
        return world.replace(transit=dataclasses.replace(world.transit, timetable=denser))


def more_frequent(table: Timetable, chosen: np.ndarray, per_gap: int) -> Timetable:
    """``table`` with ``per_gap - 1`` trips evenly spaced between each pair
    of consecutive trips (``chosen`` ones) of a route along the same stops."""
    conn_trip = table.conn_trip
    order = np.argsort(conn_trip, kind="stable")  # each trip's hops, in time order
    starts = np.searchsorted(conn_trip[order], np.arange(len(table.trip_id) + 1))
    runs: dict[tuple, list[tuple[int, int]]] = {}
    for trip in np.flatnonzero(chosen):
        hops = order[starts[trip]:starts[trip + 1]]
        if len(hops) == 0:
            continue
        stops = (table.trip_route_id[trip], *table.conn_from[hops].tolist(), int(table.conn_to[hops[-1]]))
        runs.setdefault(stops, []).append((int(table.conn_dep_s[hops[0]]), int(trip)))
    new_hops, new_trip_of, shifts, new_trips = [], [], [], []
    vehicle_s = 0.0
    for trips in runs.values():
        trips.sort()
        for (dep_a, a), (dep_b, _) in zip(trips, trips[1:]):
            hops = order[starts[a]:starts[a + 1]]
            for m in range(1, per_gap):
                new_hops.append(hops)
                shifts.append(np.full(len(hops), int(round((dep_b - dep_a) * m / per_gap)), dtype=np.int32))
                new_trip_of.append(np.full(len(hops), len(table.trip_id) + len(new_trips), dtype=np.int32))
                new_trips.append(a)
                vehicle_s += float(table.conn_arr_s[hops[-1]] - table.conn_dep_s[hops[0]])
    if not new_trips:
        return dataclasses.replace(table, warnings=(*table.warnings, "transit_frequency: no trip added"))
    hops = np.concatenate(new_hops)
    shift = np.concatenate(shifts)
    dep = np.concatenate([table.conn_dep_s, table.conn_dep_s[hops] + shift])
    arr = np.concatenate([table.conn_arr_s, table.conn_arr_s[hops] + shift])
    keep = np.lexsort((arr, dep))  # stable: each trip's hops stay in order on ties
    source = np.asarray(new_trips)

    def conn(name, added):
        return np.concatenate([getattr(table, name), added])[keep]

    def trips(name):
        return np.concatenate([getattr(table, name), getattr(table, name)[source]])

    note = (f"transit_frequency: {len(new_trips)} trips added, {vehicle_s / 3600.0:.1f} vehicle-hours "
            "in the window and horizon")
    return dataclasses.replace(
        table,
        conn_from=conn("conn_from", table.conn_from[hops]), conn_to=conn("conn_to", table.conn_to[hops]),
        conn_dep_s=dep[keep].astype(np.int32), conn_arr_s=arr[keep].astype(np.int32),
        conn_trip=conn("conn_trip", np.concatenate(new_trip_of)),
        conn_board=conn("conn_board", table.conn_board[hops]),
        conn_alight=conn("conn_alight", table.conn_alight[hops]),
        trip_id=np.concatenate([table.trip_id, np.char.add(table.trip_id[source].astype(str),
                                                           [f"+added{n}" for n in range(len(source))])]),
        trip_route_id=trips("trip_route_id"),
        trip_route_type=trips("trip_route_type"), trip_wheelchair=trips("trip_wheelchair"),
        warnings=(*table.warnings, note))
