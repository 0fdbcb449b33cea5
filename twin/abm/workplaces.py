"""Where residents work: jobs gathered into work zones, the travel to each
zone from every street node, and each resident's zone drawn once per seed.

A resident's workplace is a long-term choice (ActivitySim's workplace
location runs before the daily models): it is drawn from every zone of the
city by :func:`twin.core.choice.draw_workplaces` on the world *before* any
intervention (:func:`with_workplaces`), so a scenario's residents keep their
jobs and only choose how to get there.

Zones are the cells of a square grid holding work facilities, weighted by
their ``count`` (the jobs of a grid cell in a facility file; 1 for an OSM
office or shop): the finest grid of :data:`ZONE_CELLS_M` that gives at most
:data:`MAX_WORK_ZONES` zones. A zone is reached at its representative
workplace, the one nearest its jobs' centre (a trip within a zone is timed
to it, as a travel-demand model times a trip to its zone's centroid).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from twin.city.arrays import City
from twin.core.choice import Commuters, WorkZoneFields, draw_workplaces
from twin.core.routing import nearest_facility_many
from twin.world import World

MAX_WORK_ZONES = 256
"""Most work zones a city is split into: the travel fields take
(walk nodes x zones) floats per mode, and the transit fields one profile
search per zone."""

ZONE_CELLS_M = (250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0, 16000.0, 32000.0)
"""Grid cell sizes tried, finest first (the first with few enough zones)."""

_ZONES_CACHED = 4
_zones: OrderedDict[tuple, WorkZones] = OrderedDict()


@dataclass(frozen=True)
class WorkZones:
    """The work zones of a city and the travel to them (transit aside).

    Attributes
    ----------
    facility
        int64, shape (Z,): each zone's representative workplace (index into
        ``City.facilities["work"]``).
    jobs
        float64, shape (Z,): the jobs (facility counts) in each zone.
    cell_m
        Side of the grid's cells.
    drive_node
        int32, shape (Z,): the representative workplace's drive node (-1: none).
    walk_m, wheelchair_m, drive_s
        float32, shape (n_walk_nodes, Z): see
        :class:`twin.core.choice.WorkZoneFields`.
    """

    facility: np.ndarray
    jobs: np.ndarray
    cell_m: float
    drive_node: np.ndarray
    walk_m: np.ndarray
    wheelchair_m: np.ndarray
    drive_s: np.ndarray

    def fields(self, transit=None) -> WorkZoneFields:
        """The kernels' bundle, with the walk + transit times of ``transit``
        (:func:`transit_to_zones`; none: no public transport)."""
        no_service = np.full(self.walk_m.shape, np.inf, dtype=np.float32)
        return WorkZoneFields(
            jobs=self.jobs, walk_m=self.walk_m, wheelchair_m=self.wheelchair_m, drive_s=self.drive_s,
            walk_transit_s=no_service if transit is None else transit.walk_time_s.astype(np.float32),
            wheelchair_transit_s=no_service if transit is None else transit.wheelchair_time_s.astype(np.float32),
            drive_node=self.drive_node)


def work_zones(city: City) -> WorkZones:
    """The work zones of ``city`` and the travel to them from every walk
    node (kept for the last few cities of this process: interventions never
    add workplaces, so a study's scenarios share them)."""
    work = city.facilities["work"]
    key = (city.source_hash, len(work), city.streets["walk"].n_nodes)
    if key in _zones:
        _zones.move_to_end(key)
        return _zones[key]
    zones = _build(city)
    _zones[key] = zones
    while len(_zones) > _ZONES_CACHED:
        _zones.popitem(last=False)
    return zones


def zone_targets(city: City, facility: np.ndarray, mode: str) -> list[np.ndarray]:
    """The node on ``mode``'s graph of each zone's workplace (``facility``,
    as :attr:`WorkZones.facility`), one array per zone (empty where it is off
    that mode's streets)."""
    node = city.facilities["work"].node[mode][facility]
    return [np.array([n], dtype=np.int32) if n >= 0 else np.empty(0, dtype=np.int32) for n in node]


def transit_to_zones(city: City, zones: WorkZones, timetable):
    """Walk (wheelchair) + transit times from every home node to each work
    zone, journeys with a ride (:func:`twin.transit.transit_fields`, cached
    on disk); inf from nodes where no one lives."""
    from twin.transit.fields import transit_fields

    return transit_fields(city, timetable, rides_only=True, origins=np.unique(city.home_node),
                          targets={mode: zone_targets(city, zones.facility, mode) for mode in ("walk", "wheelchair")})


def work_fields(world: World) -> WorkZoneFields:
    """The kernels' travel fields to the work zones of ``world``'s city, by
    its public transport (if any)."""
    zones = work_zones(world.city)
    return zones.fields(None if world.transit is None
                        else transit_to_zones(world.city, zones, world.transit.timetable))


def with_workplaces(world: World, seed: int, *, fields: WorkZoneFields | None = None) -> World:
    """``world`` with each resident's work zone drawn (unchanged if drawn
    already). Call it on the world before interventions: the draw reads
    its parking search, fares and timetable.

    Parameters
    ----------
    world
        The baseline world.
    seed
        The run's seed (>= 0).
    fields
        The travel fields to the work zones (:func:`work_fields`, to share
        them); computed when omitted.
    """
    from twin.abm import inputs

    if world.work_zone is not None:
        return world
    fields = work_fields(world) if fields is None else fields
    r = world.residents
    commuters = Commuters(
        home_node=r.home_node, wheelchair=r.wheelchair, has_car=r.has_car, speed_mps=r.speed_mps,
        max_trip_time_s=r.max_trip_time_s, parking_search_time_s=world.parking_search_time_s,
        value_of_time_per_min=inputs.value_of_time_per_min(world), transit_fare=inputs.transit_fare(world))
    zone = draw_workplaces(seed, commuters, fields, inputs.choice_params(world), float(world.travel.parking_walk_m))
    return world.replace(work_zone=zone)


def _build(city: City) -> WorkZones:
    work = city.facilities["work"]
    n_walk = city.streets["walk"].n_nodes
    reachable = np.flatnonzero(work.node["walk"] >= 0)
    facility, jobs, cell_m = _zone_grid(work.x_m[reachable], work.y_m[reachable], work.count[reachable])
    facility = reachable[facility]
    fields = {}
    for mode in ("walk", "wheelchair", "drive"):
        reverse = city.streets[mode].reversed()  # costs *to* the zones on a directed graph
        cost, _ = nearest_facility_many(reverse.indptr, reverse.indices, reverse.weight,
                                        zone_targets(city, facility, mode))
        if mode == "drive":  # from the drive node a resident's car starts at
            cost = cost[:, city.walk_to_drive]
        fields[mode] = np.ascontiguousarray(cost.T, dtype=np.float32).reshape(n_walk, len(facility))
    return WorkZones(facility=facility, jobs=jobs, cell_m=cell_m,
                     drive_node=work.node["drive"][facility].astype(np.int32), walk_m=fields["walk"],
                     wheelchair_m=fields["wheelchair"], drive_s=fields["drive"])


def _zone_grid(x_m: np.ndarray, y_m: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Representative facility and jobs of each occupied cell of the finest
    grid of :data:`ZONE_CELLS_M` with at most :data:`MAX_WORK_ZONES` cells."""
    if len(x_m) == 0:
        return np.empty(0, np.int64), np.empty(0, np.float64), ZONE_CELLS_M[0]
    for cell_m in ZONE_CELLS_M:
        col = np.floor((x_m - x_m.min()) / cell_m).astype(np.int64)
        row = np.floor((y_m - y_m.min()) / cell_m).astype(np.int64)
        cells, zone_of = np.unique(row * (col.max() + 1) + col, return_inverse=True)
        if len(cells) <= MAX_WORK_ZONES:
            break
    n_zones = len(cells)
    jobs = np.bincount(zone_of, weights=count, minlength=n_zones)
    centre_x = np.bincount(zone_of, weights=count * x_m, minlength=n_zones) / jobs
    centre_y = np.bincount(zone_of, weights=count * y_m, minlength=n_zones) / jobs
    off_centre_m = np.hypot(x_m - centre_x[zone_of], y_m - centre_y[zone_of])
    order = np.lexsort((np.arange(len(x_m)), off_centre_m, zone_of))  # by zone, nearest the centre first
    first = order[np.r_[0, np.flatnonzero(np.diff(zone_of[order])) + 1]]
    return first.astype(np.int64), jobs.astype(np.float64), float(cell_m)
