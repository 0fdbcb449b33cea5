"""Home weights on walk-graph nodes: where residents live, relatively.

First match wins (``City.home_weight_source``):

1. ``"population_grid"``: a population grid file (GeoPackage / GeoJSON of
   polygons or points, or a CSV with ``lon``, ``lat``, ``population``), with a
   ``population`` column. A cell's population is shared equally among the walk
   nodes inside it; a cell with no node inside (or a point) goes to the node
   nearest its centre. Only people inside the streets' bounding box count: a
   cell cut by its edge keeps the share of its area inside; the rest are left
   out, with a warning.
2. ``"buildings"``: residential building footprint area (m2) x levels, each
   building's weight on the walk node nearest its representative point, if
   buildings are mapped across the city: at least :data:`MIN_BUILDING_COVERAGE`
   of the residential-street nodes have one within
   :data:`BUILDING_COVERAGE_RADIUS_M` (the Helsinki extract: 100 %; the
   Andorra extract, 294 buildings for a country: 21 %, so street length).
   Residential = ``building`` in :data:`RESIDENTIAL_BUILDINGS`. That includes
   ``yes`` (no type given): it is the most common value (358 of the 486
   buildings of the Helsinki extract) and most urban floor area is housing,
   so dropping it would put everyone in the few explicitly typed houses.
   Levels: ``building:levels``; where absent, the median of the city's
   tagged residential buildings, or :data:`DEFAULT_BUILDING_LEVELS`.
3. ``"street_length"``: half the length of each residential street
   (:data:`RESIDENTIAL_HIGHWAYS`) on each of its two end nodes; all streets if
   the city has no residential street.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from twin.city.arrays import StreetArrays
from twin.city.compile import nearest_node, node_index, project
from twin.city.sources import tag_values
from twin.errors import ConfigError, InputFileError

RESIDENTIAL_BUILDINGS = frozenset({
    "yes", "residential", "apartments", "house", "detached", "semidetached_house", "terraced",
    "dormitory", "bungalow", "cabin", "farm", "houseboat", "static_caravan", "hut",
})
"""``building`` values that count as homes (see the module docstring for ``yes``)."""

DEFAULT_BUILDING_LEVELS = 2.0
"""Levels of a residential building without ``building:levels`` in a city where
none is tagged (assumption, no source found: low-rise housing)."""

RESIDENTIAL_HIGHWAYS = frozenset({"residential", "living_street"})
"""Streets that people live along, for weights from street length."""

BUILDING_COVERAGE_RADIUS_M = 100.0
MIN_BUILDING_COVERAGE = 0.5
"""Buildings weight homes only if at least this share of residential-street
nodes has a residential building within ``BUILDING_COVERAGE_RADIUS_M``; else
the building map is too incomplete to say where people live (assumption,
no source found: a half-mapped city would put everyone in the mapped half)."""


@dataclass(frozen=True)
class Homes:
    """Home weights: ``node`` (int32 walk indices), ``weight`` (> 0), ``source``."""

    node: np.ndarray
    weight: np.ndarray
    source: str
    warnings: tuple[str, ...] = ()


def residential_buildings(reader) -> pd.DataFrame:
    """The source's residential buildings: ``lon``, ``lat`` (representative
    point), ``footprint_m2``, ``levels`` (NaN where untagged)."""
    gdf = reader.buildings()
    if len(gdf) == 0 or "building" not in gdf.columns:
        return pd.DataFrame({"lon": [], "lat": [], "footprint_m2": [], "levels": []})
    gdf = gdf[gdf["building"].isin(RESIDENTIAL_BUILDINGS) & gdf.geometry.notna()]
    gdf = gdf[gdf.geom_type.isin(["Polygon", "MultiPolygon"])]
    points = gdf.geometry.representative_point()
    levels = gdf["building:levels"] if "building:levels" in gdf.columns else pd.Series(np.nan, index=gdf.index)
    area_m2 = gdf.geometry.to_crs(gdf.geometry.estimate_utm_crs()).area if len(gdf) else gdf.geometry.area
    return pd.DataFrame({
        "lon": points.x.to_numpy(),
        "lat": points.y.to_numpy(),
        "footprint_m2": np.asarray(area_m2, dtype=float),
        "levels": _levels(levels),
    })


def home_weights(walk_graph: nx.MultiDiGraph, walk: StreetArrays, crs: str, *,
                 buildings: pd.DataFrame, population_grid: Path | None = None, grid_cells=None) -> Homes:
    """Home weights by the first available method (module docstring).

    ``grid_cells`` are the cells :func:`read_population_grid` read from
    ``population_grid``.
    """
    if grid_cells is not None:
        return _from_population_grid(population_grid, grid_cells, walk, crs)
    streets = _from_street_length(walk_graph, walk)
    buildings = buildings[buildings["footprint_m2"] > 0]
    if len(buildings) == 0:
        return streets
    x_m, y_m = project(buildings["lon"].to_numpy(), buildings["lat"].to_numpy(), crs)
    distance_m, _ = cKDTree(np.column_stack([x_m, y_m])).query(
        np.column_stack([walk.x_m[streets.node], walk.y_m[streets.node]]))
    coverage = float(np.mean(distance_m <= BUILDING_COVERAGE_RADIUS_M))
    if coverage >= MIN_BUILDING_COVERAGE:
        return _from_buildings(buildings, walk, x_m, y_m)
    return dataclasses.replace(streets, warnings=(
        f"residential buildings are mapped within {BUILDING_COVERAGE_RADIUS_M:.0f} m of only "
        f"{coverage:.0%} of residential streets (fewer than {MIN_BUILDING_COVERAGE:.0%}): home weights "
        "come from residential street length (pass a population grid for better ones)",))


def _from_buildings(buildings: pd.DataFrame, walk: StreetArrays, x_m: np.ndarray, y_m: np.ndarray) -> Homes:
    levels = buildings["levels"].to_numpy(float)
    tagged = levels[np.isfinite(levels) & (levels > 0)]
    default = float(np.median(tagged)) if len(tagged) else DEFAULT_BUILDING_LEVELS
    levels = np.where(np.isfinite(levels) & (levels > 0), levels, default)
    node = nearest_node(walk, x_m, y_m)
    return _homes(node, buildings["footprint_m2"].to_numpy(float) * levels, walk.n_nodes, "buildings")


def _from_street_length(G: nx.MultiDiGraph, walk: StreetArrays) -> Homes:
    u, v, length_m, residential = [], [], [], []
    for a, b, data in G.edges(data=True):
        u.append(a)
        v.append(b)
        length_m.append(float(data["length"]))
        residential.append(bool(RESIDENTIAL_HIGHWAYS.intersection(tag_values(data, "highway"))))
    length_m, residential = np.array(length_m), np.array(residential)
    if residential.any():
        length_m = np.where(residential, length_m, 0.0)
    # half of each directed edge's length on each of its ends: every street is
    # two directed edges, so each end gets the street's length (weights are relative)
    node = np.concatenate([node_index(walk, np.array(u, np.int64)), node_index(walk, np.array(v, np.int64))])
    return _homes(node, np.concatenate([length_m, length_m]) / 2, walk.n_nodes, "street_length")


def _from_population_grid(path: Path, cells, walk: StreetArrays, crs: str) -> Homes:
    import geopandas as gpd
    from shapely.geometry import box

    cells = cells.to_crs(crs).reset_index(drop=True)
    total = cells["population"].to_numpy(float)
    # a cell cut by the edge of the streets' bounding box keeps the people of
    # its share inside (assuming they are spread evenly); a point is in or out
    extent = box(walk.x_m.min(), walk.y_m.min(), walk.x_m.max(), walk.y_m.max())
    inside = cells.geometry.intersection(extent)
    polygon = cells.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    share = np.where(polygon, inside.area / np.where(polygon, cells.geometry.area, 1.0), ~inside.is_empty)
    population = total * share

    nodes = gpd.GeoDataFrame(geometry=gpd.points_from_xy(walk.x_m, walk.y_m), crs=crs)
    zones = gpd.GeoDataFrame({"cell": np.flatnonzero(polygon)}, geometry=cells.geometry[polygon].values, crs=crs)
    joined = gpd.sjoin(nodes, zones, predicate="within")
    joined = joined[~joined.index.duplicated()]  # a node on a shared cell border counts once
    cell = joined["cell"].to_numpy()
    nodes_per_cell = np.bincount(cell, minlength=len(cells))
    node_parts = [joined.index.to_numpy()]
    weight_parts = [population[cell] / nodes_per_cell[cell]]
    # a cell with no street node inside: its people go to the node nearest its centre
    rest = (nodes_per_cell == 0) & (population > 0)
    if rest.any():
        centre = inside[rest].representative_point()
        node_parts.append(nearest_node(walk, centre.x.to_numpy(), centre.y.to_numpy()))
        weight_parts.append(population[rest])
    homes = _homes(np.concatenate(node_parts), np.concatenate(weight_parts), walk.n_nodes, "population_grid")
    if len(homes.node) == 0:
        raise ConfigError("no population cell overlaps the city's streets", path=path, field="population",
                          fix="use a population grid that covers the city")
    left_out = total.sum() - population.sum()
    if left_out > 0.005 * total.sum():
        homes = dataclasses.replace(homes, warnings=(
            f"{path}: {left_out:.0f} of {total.sum():.0f} people in the population grid live outside "
            "the city's streets and are left out",))
    return homes


def read_population_grid(path: Path):
    """The cells (GeoDataFrame, ``population`` > 0) of a population grid file.

    Raises
    ------
    InputFileError
        The file is missing or unreadable.
    ConfigError
        No ``population`` column, a bad value, or no CRS.
    """
    import geopandas as gpd

    if not path.is_file():
        raise InputFileError("population grid file not found", path=path, fix="check the path")
    try:
        if path.suffix.lower() == ".csv":
            table = pd.read_csv(path)
            missing = [c for c in ("lon", "lat") if c not in table.columns]
            if missing:
                raise ConfigError(f"missing column(s) {', '.join(missing)}", path=path, field=missing[0],
                                  fix="a CSV population grid needs lon, lat (WGS84) and population columns")
            cells = gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(table["lon"], table["lat"]),
                                     crs="EPSG:4326")
        else:
            cells = gpd.read_file(path)
    except ConfigError:
        raise
    except Exception as exc:  # pandas / pyogrio: any failure means an unreadable file
        raise InputFileError(f"cannot read the population grid: {' '.join(str(exc).split())[:200]}",
                             path=path, fix="use a GeoPackage, GeoJSON or CSV file") from exc
    if "population" not in cells.columns:
        raise ConfigError(f"missing column 'population' (columns: {', '.join(map(str, cells.columns))})",
                          path=path, field="population", fix="add a population column (residents per cell)")
    if cells.crs is None:
        raise ConfigError("the file has no CRS", path=path, field="geometry", fix="save it with a CRS")
    population = pd.to_numeric(cells["population"], errors="coerce").to_numpy(float)
    bad = ~np.isfinite(population) | (population < 0)
    if bad.any():
        rows = np.flatnonzero(bad) + 1
        raise ConfigError(f"rows {', '.join(map(str, rows[:5]))} have no valid population", path=path,
                          field="population", fix="use numbers >= 0 (0 for an empty cell)")
    cells = cells.assign(population=population)
    return cells[cells.geometry.notna() & (population > 0)].reset_index(drop=True)


def _levels(values: pd.Series) -> np.ndarray:
    """``building:levels`` as numbers: the first of ``"3;4"``, NaN where unparsable."""
    first = values.astype("string").str.split(";").str[0].str.strip().str.replace(",", ".")
    return pd.to_numeric(first, errors="coerce").to_numpy(float)


def _homes(node: np.ndarray, weight: np.ndarray, n_nodes: int, source: str,
           warnings: tuple[str, ...] = ()) -> Homes:
    """Sum weights per node, keep nodes with weight > 0."""
    total = np.bincount(np.asarray(node, np.int64), weights=np.asarray(weight, float), minlength=n_nodes)
    keep = np.flatnonzero(total > 0)
    return Homes(node=keep.astype(np.int32), weight=total[keep], source=source, warnings=warnings)
