"""A basemap drawn from the city's own OpenStreetMap data: no tiles, no network.

Layers, in WGS84: ``buildings`` (polygons with ``height_m``), ``streets``
(lines with their ``highway`` class and ``name``), ``water``, ``parks``
(polygons) and ``labels`` (points: names of places and of major streets).
They are read once from the OSM source the city was built from and kept as
GeoParquet beside the compiled city in the cache.
"""

from __future__ import annotations

import hashlib
import json
import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from twin.city import cache
from twin.city.sources import open_reader, resolve_source

log = logging.getLogger("twin.viz")

LAYERS = ("buildings", "streets", "water", "parks", "labels")

STREET_CLASSES = {
    "major": ("motorway", "trunk", "primary", "secondary"),
    "minor": ("tertiary", "residential", "living_street", "unclassified", "pedestrian"),
    "path": ("footway", "path", "cycleway", "steps", "service"),
}
"""How streets are drawn: major (wide, named), minor, paths (thin)."""

WATER_TAGS = {"natural": ["water"], "waterway": ["riverbank"]}
PARK_TAGS = {"leisure": ["park", "garden", "playground"], "landuse": ["grass", "forest", "recreation_ground"]}
PLACE_TAGS = {"place": ["city", "town", "suburb", "quarter", "neighbourhood"]}

STOREY_M = 3.0
"""Height per storey where a building maps ``building:levels`` (assumption:
a common storey height; 3 m is the usual planning rule of thumb)."""

DEFAULT_LEVELS = 4
"""Storeys of a building that maps neither ``height`` nor ``building:levels``
(assumption: a typical inner-city block of four storeys)."""


@dataclass(frozen=True)
class Basemap:
    """The city's map layers (GeoDataFrames in EPSG:4326), see the module docstring."""

    buildings: gpd.GeoDataFrame
    streets: gpd.GeoDataFrame
    water: gpd.GeoDataFrame
    parks: gpd.GeoDataFrame
    labels: gpd.GeoDataFrame

    def to_crs(self, crs: str) -> Basemap:
        """Every layer in ``crs`` (e.g. the city's metres)."""
        return Basemap(**{name: getattr(self, name).to_crs(crs) for name in LAYERS})


def _tag(frame: pd.DataFrame, key: str) -> pd.Series:
    """Tag ``key`` of each feature: its own column, else from the ``tags`` mapping."""
    if key in frame.columns:
        own = frame[key]
    else:
        own = pd.Series(None, index=frame.index, dtype=object)
    if "tags" not in frame.columns:
        return own

    def lookup(tags):
        if isinstance(tags, str):
            try:
                tags = json.loads(tags)
            except ValueError:
                return None
        return tags.get(key) if isinstance(tags, dict) else None

    return own.where(own.notna(), frame["tags"].map(lookup))


def _polygons(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    keep = frame[frame.geom_type.isin(["Polygon", "MultiPolygon"])]
    return gpd.GeoDataFrame(geometry=keep.geometry.to_numpy(), crs="EPSG:4326")


def _heights(buildings: gpd.GeoDataFrame) -> np.ndarray:
    height = pd.to_numeric(_tag(buildings, "height").astype(str).str.extract(r"([\d.]+)")[0], errors="coerce")
    levels = pd.to_numeric(_tag(buildings, "building:levels"), errors="coerce")
    return height.fillna(levels * STOREY_M).fillna(DEFAULT_LEVELS * STOREY_M).clip(lower=2.0).to_numpy(float)


def read_basemap(source: str | Path) -> Basemap:
    """Read the map layers from an OSM source (slow: use :func:`load_basemap`)."""
    reader = open_reader(resolve_source(source))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        buildings = reader.buildings()
        streets = reader.features({"highway": [c for group in STREET_CLASSES.values() for c in group]})
        water = reader.features(WATER_TAGS)
        parks = reader.features(PARK_TAGS)
        places = reader.features(PLACE_TAGS)
    building_shapes = _polygons(buildings)
    building_shapes["height_m"] = _heights(buildings[buildings.geom_type.isin(["Polygon", "MultiPolygon"])])
    lines = streets[streets.geom_type.isin(["LineString", "MultiLineString"])]
    street_layer = gpd.GeoDataFrame({"highway": _tag(lines, "highway").astype(str).to_numpy(),
                                     "name": _tag(lines, "name").to_numpy()},
                                    geometry=lines.geometry.to_numpy(), crs="EPSG:4326")
    return Basemap(buildings=building_shapes, streets=street_layer, water=_polygons(water),
                   parks=_polygons(parks), labels=_labels(places, street_layer))


def _labels(places: gpd.GeoDataFrame, streets: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Names of places, and of each major street once (at its longest piece)."""
    names = _tag(places, "name")
    place_points = places[names.notna()].geometry.representative_point()
    rows = [gpd.GeoDataFrame({"name": names[names.notna()].to_numpy(), "kind": "place"},
                             geometry=place_points.to_numpy(), crs="EPSG:4326")]
    major = streets[streets["highway"].isin(STREET_CLASSES["major"]) & streets["name"].notna()]
    if len(major):
        metres = major.to_crs(major.estimate_utm_crs())
        longest = metres.assign(length_m=metres.length).sort_values("length_m").groupby("name").tail(1)
        points = longest.geometry.interpolate(0.5, normalized=True).to_crs("EPSG:4326")
        rows.append(gpd.GeoDataFrame({"name": longest["name"].to_numpy(), "kind": "street"},
                                     geometry=points.to_numpy(), crs="EPSG:4326"))
    return gpd.GeoDataFrame(pd.concat(rows, ignore_index=True), crs="EPSG:4326")


def load_basemap(source: str | Path, *, cache_dir: str | Path | None = None) -> Basemap:
    """The basemap of ``source``, from the cache when its content is unchanged.

    A source with no buildings, water or names (e.g. a GraphML street graph)
    gives empty layers; the map then shows what there is.
    """
    resolved = resolve_source(source)
    code = cache.code_version() + hashlib.sha256(Path(__file__).read_bytes()).hexdigest()
    folder = cache.cache_root(cache_dir) / "basemaps" / cache.cache_key(resolved, code=code)[:32]
    if all((folder / f"{name}.parquet").is_file() for name in LAYERS):
        try:
            return Basemap(**{name: gpd.read_parquet(folder / f"{name}.parquet") for name in LAYERS})
        except Exception as exc:  # unreadable: rebuild it
            log.warning("basemap cache %s is unreadable (%s); rebuilding it", folder, exc)
    basemap = read_basemap(source)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name in LAYERS:
            tmp = folder / f".{name}.parquet.tmp"
            getattr(basemap, name).to_parquet(tmp)
            tmp.replace(folder / f"{name}.parquet")
    except OSError as exc:  # a read-only disk costs speed next time, not this map
        log.warning("could not cache the basemap in %s (%s)", folder, exc)
    return basemap
