"""Street graphs per mode (walk, wheelchair, drive), as networkx graphs in WGS84.

Every returned graph has an edge attribute ``weight``: ``length`` in metres for
walk, a penalised length in metres for wheelchair, ``travel_time`` in seconds
for drive.

- **walk**: the source's walk network, largest connected component.
- **wheelchair**: the walk graph with the same nodes (node ``i`` is the same in
  both), without edges tagged ``highway=steps`` or ``wheelchair=no``, and with
  each remaining edge's length multiplied by an incline factor and a surface
  factor where those tags are present (untagged edges: factor 1). Tags read:

  - ``incline``: ``"8%"``, ``"-10 %"``, ``"5°"``, ``"0.05"`` (a fraction),
    or ``up``/``down`` (steep, grade unknown: :data:`INCLINE_UNKNOWN_GRADE_PCT`).
    Uphill and downhill count the same (both are hard in a wheelchair).
  - ``surface``: the values in :data:`SURFACE_FACTOR`; others count as smooth.
    Several values (``"paved;cobblestone"``) take the worst.

- **drive**: the source's drive network with osmnx speeds (``maxspeed`` where
  tagged, else the mean of that highway type in the city, else
  :data:`HWY_SPEEDS_KPH`) and travel times, largest strongly connected component.
"""

from __future__ import annotations

import logging
import math
import re

import networkx as nx
import numpy as np
import osmnx as ox

from twin.city.sources import Source, tag_values
from twin.errors import CityError

log = logging.getLogger("twin.city")

INCLINE_FACTOR = ((5.0, 1.0), (8.33, 1.5), (12.0, 3.0), (math.inf, 6.0))
"""(upper bound of |grade| in %, length factor), first match wins. The bounds are
the ADA 2010 Standards' walkway (1:20, s. 403.3) and ramp (1:12, s. 405.2)
limits; the factors are an assumption (no source found)."""

INCLINE_UNKNOWN_GRADE_PCT = 6.0
"""Grade assumed for ``incline=up/down``: steeper than a walkway, within a ramp
(assumption, no source found)."""

SURFACE_FACTOR = {
    # assumption (no source found): extra effort of pushing a wheelchair,
    # as a multiple of the same length on smooth pavement
    "paving_stones": 1.1,
    "wood": 1.1,
    "compacted": 1.3,
    "fine_gravel": 1.5,
    "sett": 1.5,
    "stone": 1.5,
    "unpaved": 2.0,
    "ground": 2.0,
    "dirt": 2.0,
    "earth": 2.0,
    "gravel": 2.0,
    "pebblestone": 2.0,
    "cobblestone": 2.0,
    "unhewn_cobblestone": 2.5,
    "grass": 3.0,
    "grass_paver": 3.0,
    "mud": 3.0,
    "sand": 3.0,
}
"""Wheelchair length factor by ``surface`` value (1 for values not listed)."""

HWY_SPEEDS_KPH = {
    # assumption (no source found): typical free-flow speeds, used only for a
    # highway type with no maxspeed tag anywhere in the city
    "motorway": 100.0,
    "motorway_link": 60.0,
    "trunk": 80.0,
    "trunk_link": 50.0,
    "primary": 50.0,
    "primary_link": 40.0,
    "secondary": 50.0,
    "secondary_link": 40.0,
    "tertiary": 40.0,
    "tertiary_link": 30.0,
    "unclassified": 40.0,
    "residential": 30.0,
    "living_street": 10.0,
    "road": 30.0,
}
"""Drive speed (km/h) of a highway type that has no ``maxspeed`` in the city."""

FALLBACK_SPEED_KPH = 30.0
"""Drive speed (km/h) of a highway type missing from :data:`HWY_SPEEDS_KPH`
(assumption: a cautious urban speed, no source found)."""

_GRADE = re.compile(r"^\s*([-+]?\d+(?:[.,]\d+)?)\s*(%|°|deg)?\s*$")


def street_graphs(reader, *, anchors_lonlat: np.ndarray | None = None) -> dict[str, nx.MultiDiGraph]:
    """Build the graph of every mode from a source reader.

    Parameters
    ----------
    reader
        A reader from :func:`twin.city.sources.open_reader`.
    anchors_lonlat
        shape (k, 2): points (facilities, buildings) whose nearest street node
        simplification must keep.

    Returns
    -------
    dict
        mode -> graph, for ``walk``, ``wheelchair`` and ``drive``.

    Raises
    ------
    CityError
        A mode's graph has no edges.
    """
    source = reader.source
    log.info("%s: building the walk graph", source.name)
    walk = ox.truncate.largest_component(
        _nonempty(reader.street_graph("walk", anchors_lonlat), source, "walk"), strongly=False
    )
    for _, _, data in walk.edges(data=True):
        data["weight"] = float(data["length"])
    wheelchair = _nonempty(wheelchair_graph(walk), source, "wheelchair")
    log.info("%s: building the drive graph", source.name)
    drive = _nonempty(reader.street_graph("drive", anchors_lonlat), source, "drive")
    drive = _nonempty(drive_graph(drive), source, "drive")
    return {"walk": walk, "wheelchair": wheelchair, "drive": drive}


def wheelchair_graph(walk: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """The walk graph without steps and ``wheelchair=no`` edges, with incline
    and surface penalties; same nodes in the same order, edges carry only
    ``weight``. ``walk`` is not modified."""
    G = nx.MultiDiGraph(**walk.graph)
    G.add_nodes_from((n, {"x": d["x"], "y": d["y"]}) for n, d in walk.nodes(data=True))
    G.add_edges_from(
        (u, v, k, {"weight": float(data["length"]) * incline_factor(data) * surface_factor(data)})
        for u, v, k, data in walk.edges(keys=True, data=True)
        if "steps" not in tag_values(data, "highway") and "no" not in tag_values(data, "wheelchair")
    )
    return G


def incline_factor(data: dict) -> float:
    """Wheelchair length factor of an edge's ``incline`` tag (1 when absent or unparsable)."""
    if "incline" not in data:
        return 1.0
    grades = [_grade_pct(value) for value in _split(tag_values(data, "incline"))]
    grades = [g for g in grades if g is not None]
    if not grades:
        return 1.0
    grade = max(grades)
    return next(factor for bound, factor in INCLINE_FACTOR if grade <= bound)


def surface_factor(data: dict) -> float:
    """Wheelchair length factor of an edge's ``surface`` tag (the worst of several)."""
    if "surface" not in data:
        return 1.0
    return max((SURFACE_FACTOR.get(s, 1.0) for s in _split(tag_values(data, "surface"))), default=1.0)


def drive_graph(G: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """Add speeds and travel times (osmnx) and keep the largest strongly
    connected component. ``G`` is modified (the reader made it for us)."""
    G = ox.add_edge_speeds(G, hwy_speeds=HWY_SPEEDS_KPH, fallback=FALLBACK_SPEED_KPH)
    G = ox.add_edge_travel_times(G)
    G = ox.truncate.largest_component(G, strongly=True)
    for _, _, data in G.edges(data=True):
        data["weight"] = float(data["travel_time"])
    return G


def _grade_pct(value: str) -> float | None:
    """|grade| in percent of one incline value, or None if unparsable."""
    text = value.strip().lower()
    if text in ("up", "down"):
        return INCLINE_UNKNOWN_GRADE_PCT
    match = _GRADE.match(text)
    if match is None:
        return None
    number = float(match.group(1).replace(",", "."))
    unit = match.group(2)
    if unit == "%":
        return abs(number)
    if unit in ("°", "deg"):
        return abs(math.tan(math.radians(number))) * 100.0
    # a bare number: a fraction if small (0.05), else percent without the sign
    return abs(number) * 100.0 if abs(number) < 1 else abs(number)


def _split(values: list[str]) -> list[str]:
    """Split multi-valued tags (``"paved;cobblestone"``)."""
    return [part.strip().lower() for value in values for part in value.split(";") if part.strip()]


def _nonempty(G: nx.MultiDiGraph, source: Source, mode: str) -> nx.MultiDiGraph:
    if not any(G.adj[n] for n in G):  # G.number_of_edges() counts them all: slow
        raise CityError(
            f"the source has no {mode} streets",
            path=source.label,
            field=mode,
            fix="pass an extract that contains streets (a larger area, or a .osm.pbf file)",
        )
    return G
