"""Compiled city: street graphs as CSR arrays, facilities and home weights.

This is what every kernel consumes. It holds no graphs, dicts of OSM ids or
geometries: ``twin.city.compile`` is the one place where OSM ids become array
indices (``StreetArrays.osmid`` maps back).

Conventions
-----------
- Node order is spatially coherent (sorted along a Hilbert curve), which keeps
  Dijkstra's memory access local.
- The walk and wheelchair graphs share one node set and order: node ``i`` is
  the same street node in both; only edges and weights differ.
- Edge weights: walk and wheelchair, ``length_m`` (wheelchair: the length
  after incline and surface penalties, an equivalent flat, smooth length);
  drive, ``travel_time_s``.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field

import numpy as np

MODES = ("walk", "wheelchair", "drive")
"""Street graphs built for every city."""

ASSISTED_ONLY_ORIGIN = "digital_access_centres"
"""Origin of the civic facilities an access centre adds: only residents who
cannot use apps do civic business there (:mod:`twin.interventions.digital_access_centres`)."""

SERVICES = ("water", "health", "food", "civic", "transit", "parking", "work")
"""Facility services; every city has an entry for each (possibly empty)."""


_derived: dict[tuple, tuple] = {}
# Reentrant: an allocation under it may run the cyclic collector, whose
# freeing of an entry's array calls drop() below in this same thread.
_derived_lock = threading.RLock()


def derived(what: str, arrays: tuple[np.ndarray, ...], make):
    """``make()``, kept for as long as ``arrays`` live and found again by
    their identity: for what follows from a city's arrays alone (a search
    tree, the transpose graph), which every run and scenario of a process
    otherwise rebuilds. A city's arrays are never changed in place (cities
    are frozen, and what changes one makes a new one), so identity stands
    for content; an entry goes when any of its arrays does.
    """
    key = (what, *map(id, arrays))
    with _derived_lock:
        entry = _derived.get(key)
    if entry is not None and all(ref() is array for ref, array in zip(entry[0], arrays)):
        return entry[1]
    value = make()

    def drop(_, key=key):
        with _derived_lock:
            _derived.pop(key, None)

    with _derived_lock:
        _derived[key] = (tuple(weakref.ref(array, drop) for array in arrays), value)
    return value


@dataclass(frozen=True)
class StreetArrays:
    """One mode's street graph in compressed sparse row form.

    Attributes
    ----------
    mode
        One of :data:`MODES`.
    indptr
        int32, shape (n_nodes + 1,): edges of node ``i`` are
        ``indptr[i]:indptr[i + 1]``.
    indices
        int32, shape (n_edges,): head node of each edge.
    weight
        float64, shape (n_edges,): ``length_m`` (walk, wheelchair) or
        ``travel_time_s`` (drive); all finite and >= 0.
    x_m, y_m
        float64, shape (n_nodes,): projected coordinates in ``City.crs``.
    lon, lat
        float64, shape (n_nodes,): WGS84 coordinates.
    osmid
        int64, shape (n_nodes,): the OSM node id of each index.
    """

    mode: str
    indptr: np.ndarray
    indices: np.ndarray
    weight: np.ndarray
    x_m: np.ndarray
    y_m: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    osmid: np.ndarray

    @property
    def n_nodes(self) -> int:
        return len(self.indptr) - 1

    @property
    def n_edges(self) -> int:
        return len(self.indices)

    def reversed(self) -> StreetArrays:
        """The transpose graph: searching it from facilities gives the
        travel cost *to* the nearest facility on a directed graph (built
        once per graph and process, :func:`derived`)."""
        edges = derived("reversed", (self.indptr, self.indices, self.weight), self._reversed)
        return StreetArrays(self.mode, *edges, x_m=self.x_m, y_m=self.y_m, lon=self.lon, lat=self.lat,
                            osmid=self.osmid)

    def _reversed(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = self.n_nodes
        tails = np.repeat(np.arange(n, dtype=np.int32), np.diff(self.indptr))
        order = np.lexsort((tails, self.indices))
        counts = np.bincount(self.indices, minlength=n)
        indptr = np.zeros(n + 1, dtype=np.int32)
        np.cumsum(counts, out=indptr[1:])
        return indptr, tails[order].astype(np.int32), self.weight[order]


@dataclass(frozen=True)
class FacilitySet:
    """The facilities of one service.

    Attributes
    ----------
    service
        One of :data:`SERVICES`.
    lon, lat, x_m, y_m
        float64, shape (n,): locations (WGS84 and ``City.crs``).
    node
        mode -> int32 array, shape (n,): index of the nearest node of that
        mode's street graph, or -1 where that node is farther than
        :data:`twin.city.facilities.SNAP_TOLERANCE_M` (unreachable by that mode).
    origin
        str array, shape (n,): ``"osm"``, the file it came from, or the
        intervention that added it. Facilities of origin
        :data:`ASSISTED_ONLY_ORIGIN` serve only residents who need assistance
        (see :meth:`open_to_all`).
    count
        float64, shape (n,), > 0: how many places each stands for (jobs at
        a workplace): 1 for an OSM feature, a facility file's ``count``
        column where it has one. Weighs the workplace draw
        (:mod:`twin.abm.workplaces`).
    """

    service: str
    lon: np.ndarray
    lat: np.ndarray
    x_m: np.ndarray
    y_m: np.ndarray
    node: dict[str, np.ndarray]
    origin: np.ndarray
    count: np.ndarray

    def __len__(self) -> int:
        return len(self.lon)

    def open_to_all(self) -> np.ndarray:
        """bool, shape (n,): facilities every resident uses (not assisted-only)."""
        return self.origin != ASSISTED_ONLY_ORIGIN


@dataclass(frozen=True)
class City:
    """A compiled city, ready for the kernels.

    Attributes
    ----------
    name
        Human-readable name (``"helsinki"``, the file stem, or the place).
    crs
        The projected CRS (UTM) of every ``x_m``/``y_m``, as ``"EPSG:xxxx"``.
    streets
        mode -> :class:`StreetArrays` for every mode in :data:`MODES`.
    facilities
        service -> :class:`FacilitySet` for every service in :data:`SERVICES`
        (length 0 where the city has none).
    home_node
        int32: walk-graph nodes where residents can live.
    home_weight
        float64, same shape, > 0: relative number of residents at each.
    home_weight_source
        ``"buildings"``, ``"population_grid"`` or ``"street_length"``.
    walk_to_drive
        int32, shape (n_walk_nodes,): nearest drive node of each walk node.
    source_hash
        Content hash of the source and options; the cache key.
    notes
        What the user should know about the source (homes outside the city,
        a clipped extract, ...); see :attr:`warnings`.
    """

    name: str
    crs: str
    streets: dict[str, StreetArrays]
    facilities: dict[str, FacilitySet]
    home_node: np.ndarray
    home_weight: np.ndarray
    home_weight_source: str
    walk_to_drive: np.ndarray
    source_hash: str
    notes: tuple[str, ...] = field(default=())

    @property
    def facility_counts(self) -> dict[str, int]:
        """Service -> number of facilities."""
        return {service: len(fs) for service, fs in self.facilities.items()}

    @property
    def warnings(self) -> tuple[str, ...]:
        """Problems the user should know about: services with no facility or
        with facilities off every street of a mode, from the facilities this
        city has (so they stay true when an intervention adds some), then
        :attr:`notes`."""
        from twin.city.facilities import facility_warnings

        return (*facility_warnings(self.facilities), *self.notes)
