"""Accessibility fields: cost from every street node to the nearest facility
of each purpose, by mode. The city is static during a run, so these are
computed once per model (3 modes x 6 purposes multi-source searches), and
only for the services an intervention changed in a city whose fields are
known (:func:`updated_access`).

Also the per-city preparations of paratransit: the drive node of each
nearest facility, and the zone travel-time matrix of the drive graph (cached
on disk beside the compiled cities)."""

from __future__ import annotations

import hashlib
import logging
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numba
import numpy as np

from twin.atomic import atomic_file, files_digest
from twin.city.arrays import City, FacilitySet
from twin.city.cache import cache_root
from twin.core import dispatch as dispatch_module
from twin.core import routing as routing_module
from twin.core.dispatch import MAX_ZONES, ZoneTimes, zone_times
from twin.core.knearest import costs_to_listed, k_nearest_facilities
from twin.core.routing import nearest_facility_many
from twin.residents.population import CHOICE_PURPOSES, PURPOSES

log = logging.getLogger("twin.abm")

NEAREST_CHOICE_PURPOSES = tuple(p for p in CHOICE_PURPOSES if p != "work")
"""Purposes whose destination is chosen among the nearest facilities (work
goes to a workplace drawn from every zone, :mod:`twin.abm.workplaces`)."""


@dataclass(frozen=True)
class AccessFields:
    """Cost to the nearest facility, one row per street node and one column
    per purpose (``PURPOSES`` order), so a resident's purposes sit together in
    memory.

    Attributes
    ----------
    walk_length_m, wheelchair_length_m
        float64, shape (n_walk_nodes, n_purposes); inf where unreachable.
    drive_time_s
        float64, shape (n_drive_nodes, n_purposes); inf where unreachable.
    walk_facility, wheelchair_facility, drive_facility
        int32, same shapes: which facility of the purpose's service is the
        nearest (index into ``City.facilities[purpose]``; -1 where none).
    walk_to_drive
        int32, shape (n_walk_nodes,): the drive node a resident's car starts from.
    water_walk_m, water_wheelchair_m
        float64, shape (n_walk_nodes, k): on foot and by wheelchair, the
        distance to each of the k nearest water points, nearest first; inf
        where there are fewer.
    water_walk_point, water_wheelchair_point
        int32, same shapes: which water point (index into
        ``City.facilities["water"]``), -1 where none.
    n_water_points
        Water points in the city.
    walk_choice_m, wheelchair_choice_m
        float64, shape (n_walk_nodes, n_purposes, k): distance to each of the
        k nearest facilities on foot (by wheelchair) of each purpose in
        :data:`NEAREST_CHOICE_PURPOSES`, nearest first; inf where fewer, and for
        the other purposes.
    walk_choice_drive_s, wheelchair_choice_drive_s
        float64, same shapes: drive time from the home's drive node to the
        same facilities.
    """

    walk_length_m: np.ndarray
    wheelchair_length_m: np.ndarray
    drive_time_s: np.ndarray
    walk_facility: np.ndarray
    wheelchair_facility: np.ndarray
    drive_facility: np.ndarray
    walk_to_drive: np.ndarray
    water_walk_m: np.ndarray
    water_wheelchair_m: np.ndarray
    water_walk_point: np.ndarray
    water_wheelchair_point: np.ndarray
    n_water_points: int
    walk_choice_m: np.ndarray
    walk_choice_drive_s: np.ndarray
    wheelchair_choice_m: np.ndarray
    wheelchair_choice_drive_s: np.ndarray


def access_fields(city: City, *, water_points_considered: int = 3,
                  destinations_considered: int = 8) -> AccessFields:
    """Search every mode from the facilities of every purpose, walk and
    wheelchair from the ``water_points_considered`` nearest water points, and
    the ``destinations_considered`` nearest facilities of each purpose with a
    choice on foot and by wheelchair, with the drive times to them."""
    return _searched(city, PURPOSES, None, water_points_considered=water_points_considered,
                     destinations_considered=destinations_considered)


def updated_access(access: AccessFields, before: City, after: City) -> AccessFields:
    """The accessibility fields of ``after``, a copy of ``before`` (whose
    fields ``access`` are) in which interventions replaced some services'
    facilities (:func:`twin.interventions.sites.with_facilities`).

    Only the purposes whose searches start from other facilities are
    searched again, so one new service costs one purpose's searches, and
    facilities open only to some (access centres) none: the fields of a
    service that did not change are the same arrays (or, in the arrays of
    every purpose, the same values), equal to :func:`access_fields` of
    ``after``. A city with other streets is searched whole.
    """
    if after is before:
        return access
    k_water, k_choice = access.water_walk_m.shape[1], access.walk_choice_m.shape[2]
    same_streets = (after.walk_to_drive is before.walk_to_drive
                    and all(after.streets[m] is before.streets[m] for m in before.streets))
    if not same_streets:
        return access_fields(after, water_points_considered=k_water, destinations_considered=k_choice)
    changed = [p for p in PURPOSES if not _same_sources(p, before.facilities[p], after.facilities[p])]
    if not changed:
        return access
    return _searched(after, changed, access, water_points_considered=k_water,
                     destinations_considered=k_choice)


def _same_sources(purpose: str, old: FacilitySet, new: FacilitySet) -> bool:
    """Whether ``purpose``'s searches start from the same facilities in
    ``new`` as in ``old``: ``new`` keeps ``old`` as it was and adds only
    facilities open to some residents, which no search starts from (water's
    nearest points count every point)."""
    if new is old:
        return True
    n = len(old)
    if purpose == "water" or len(new) < n or new.open_to_all()[n:].any():
        return False
    return (all(np.array_equal(new.node[mode][:n], old.node[mode]) for mode in old.node)
            and np.array_equal(new.origin[:n], old.origin))


_NEAREST = {"walk": ("walk_length_m", "walk_facility"),
            "wheelchair": ("wheelchair_length_m", "wheelchair_facility"),
            "drive": ("drive_time_s", "drive_facility")}
"""Mode -> its :class:`AccessFields` of cost to, and index of, the nearest facility."""


def _searched(city: City, purposes, base: AccessFields | None, *, water_points_considered: int,
              destinations_considered: int) -> AccessFields:
    """The fields of ``city``: ``purposes`` searched, the others' taken from
    ``base`` (None: ``purposes`` are all of them)."""
    columns = [PURPOSES.index(p) for p in purposes]
    choice = [p for p in purposes if p in NEAREST_CHOICE_PURPOSES]
    out = {}
    for mode, (cost_name, facility_name) in _NEAREST.items():
        # Search the transpose so costs are *to* the facility where edges are
        # directed (one-way streets; uphill and downhill wheelchair penalties).
        graph = city.streets[mode].reversed()
        nodes = [city.facilities[purpose].node[mode] for purpose in purposes]
        # facilities off this mode's streets (node -1), or open only to some,
        # are no source; map the kernel's index into the others back to the facility's index
        reachable = [np.flatnonzero((node >= 0) & city.facilities[purpose].open_to_all()).astype(np.int32)
                     for node, purpose in zip(nodes, purposes)]
        sources = [node[keep] for node, keep in zip(nodes, reachable)]
        cost, facility = nearest_facility_many(graph.indptr, graph.indices, graph.weight, sources)
        for p, keep in enumerate(reachable):
            found = facility[p] >= 0
            facility[p][found] = keep[facility[p][found]]
        out[cost_name] = _with_columns(base, cost_name, cost, columns)
        out[facility_name] = _with_columns(base, facility_name, facility, columns)
        if mode == "drive":
            continue
        water, chosen = (f"water_{mode}_m", f"water_{mode}_point"), (f"{mode}_choice_m", f"{mode}_choice_drive_s")
        if "water" in purposes:
            out[water[0]], out[water[1]] = k_nearest_facilities(
                graph.indptr, graph.indices, graph.weight, city.facilities["water"].node[mode],
                water_points_considered)
        if choice:
            out[chosen[0]], out[chosen[1]] = _choice_sets(
                city, mode, destinations_considered, purposes=choice,
                base=None if base is None else (getattr(base, chosen[0]), getattr(base, chosen[1])))
        for name in (*water, *chosen):
            out.setdefault(name, getattr(base, name, None))
    return AccessFields(**out, walk_to_drive=city.walk_to_drive, n_water_points=len(city.facilities["water"]))


def _with_columns(base: AccessFields | None, name: str, rows: np.ndarray, columns: list[int]) -> np.ndarray:
    """Field ``name`` (n_nodes, n_purposes): ``base``'s with ``columns``
    replaced by ``rows`` (one row per column), or ``rows`` transposed
    without ``base``."""
    if base is None:
        return np.ascontiguousarray(rows.T)
    field = getattr(base, name).copy()
    field[:, columns] = rows.T
    return field


def _choice_sets(city: City, mode: str, k: int, *, purposes=NEAREST_CHOICE_PURPOSES,
                 base: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest facilities of each of ``purposes`` (purposes with a
    choice) by ``mode`` (walk or wheelchair) from every walk node: their
    distances and the drive times to them, each float64 of shape
    (n_walk_nodes, n_purposes, k); the other purposes as in ``base``, inf without."""
    graph = city.streets[mode].reversed()
    drive = city.streets["drive"].reversed()
    n_nodes = len(graph.indptr) - 1
    if base is None:
        length_m = np.full((n_nodes, len(PURPOSES), k), np.inf)
        drive_s = np.full((n_nodes, len(PURPOSES), k), np.inf)
    else:
        length_m, drive_s = base[0].copy(), base[1].copy()
    for purpose in purposes:
        p = PURPOSES.index(purpose)
        nodes = city.facilities[purpose].node
        reachable = np.flatnonzero((nodes[mode] >= 0) & city.facilities[purpose].open_to_all()).astype(np.int32)
        length_m[:, p], listed = k_nearest_facilities(graph.indptr, graph.indices, graph.weight,
                                                      nodes[mode][reachable], k)
        drive_s[:, p] = costs_to_listed(drive.indptr, drive.indices, drive.weight,
                                        nodes["drive"][reachable], listed, city.walk_to_drive)
    return length_m, drive_s


def drive_facility_node(city: City, access: AccessFields) -> np.ndarray:
    """int32, shape (n_drive_nodes, n_purposes): the drive node of the
    nearest facility by drive from each drive node (-1 where none)."""
    out = np.full(access.drive_facility.shape, -1, dtype=np.int32)
    for p, purpose in enumerate(PURPOSES):
        nodes = city.facilities[purpose].node["drive"]
        facility = access.drive_facility[:, p]
        if len(nodes):
            out[:, p] = np.where(facility >= 0, nodes[np.maximum(facility, 0)], -1)
    return out


def drive_zone_times(city: City, *, n_zones: int = MAX_ZONES,
                     cache_dir: str | Path | None = None) -> ZoneTimes:
    """The zone travel-time matrix of ``city``'s drive graph, cached on disk.

    The cache key hashes the drive graph itself (not ``City.source_hash``:
    interventions may add facilities to a city but never change its streets,
    and a hash of the arrays, about 1 ms, cannot go stale), ``n_zones``, and
    the full source of the code that builds the matrix
    (:mod:`twin.core.dispatch`, :mod:`twin.core.routing`) with the numpy and
    numba versions. Entries are written whole or not at all
    (:func:`twin.atomic.atomic_file`); an unreadable one is rebuilt.

    Parameters
    ----------
    city
        The compiled city.
    n_zones
        Upper bound on the zones (see :func:`twin.core.dispatch.zone_times`).
    cache_dir
        The city cache folder (default: :func:`twin.city.cache.cache_root`);
        entries go to its ``paratransit-zones`` subfolder.
    """
    drive = city.streets["drive"]
    code = files_digest([dispatch_module.__file__, routing_module.__file__],
                        f"n_zones={n_zones}", f"numpy={np.__version__}", f"numba={numba.__version__}")
    digest = hashlib.sha256(code.encode())
    for array in (drive.indptr, drive.indices, drive.weight, drive.x_m, drive.y_m):
        digest.update(np.ascontiguousarray(array).tobytes())
    path = cache_root(cache_dir) / "paratransit-zones" / f"{digest.hexdigest()[:32]}.npz"
    if path.is_file():
        try:
            with np.load(path, allow_pickle=False) as npz:
                return ZoneTimes(**{name: npz[name] for name in ZoneTimes._fields})
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            # a truncated or foreign file: rebuild it
            log.warning("zone cache entry %s is unreadable (%s); rebuilding it", path, exc)
    reverse = drive.reversed()
    zones = zone_times((drive.indptr, drive.indices, drive.weight),
                       (reverse.indptr, reverse.indices, reverse.weight),
                       drive.x_m, drive.y_m, n_zones=n_zones)
    with atomic_file(path) as file:
        np.savez(file, **zones._asdict())
    return zones
