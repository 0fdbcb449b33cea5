"""Facilities by service: OSM features plus optional facility files.

Which OSM features serve each service (rendered from :data:`SERVICE_TAGS`;
``*`` = any value; a feature matching several services counts for each):

{service_table}

``work`` stands for places of employment: every office and shop, and the
amenities that employ staff on site. Nodes give points; ways and relations
(polygons) give their representative point (a point inside the polygon).

Facility files add facilities: a CSV with columns ``lon``, ``lat``
(WGS84) and ``service``, or a GeoJSON / GeoPackage of points with a
``service`` column (any CRS, reprojected), and optionally ``count``: how
many places a row stands for (the jobs of a grid cell; 1 without it). Each
facility is snapped to the nearest node of every mode's street graph.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from twin.city.arrays import MODES, SERVICES, FacilitySet, StreetArrays
from twin.city.compile import nearest_node, project
from twin.errors import ConfigError, InputFileError

SERVICE_TAGS: dict[str, dict[str, bool | list[str]]] = {
    "water": {"amenity": ["drinking_water", "water_point"], "man_made": ["water_tap", "water_well"]},
    "health": {"amenity": ["clinic", "doctors", "hospital", "pharmacy", "dentist"], "healthcare": True},
    "food": {
        "shop": ["supermarket", "convenience", "greengrocer", "bakery", "butcher", "general"],
        "amenity": ["marketplace"],
    },
    "civic": {
        "amenity": ["townhall", "post_office", "library", "community_centre", "social_facility",
                    "courthouse", "police"],
        "office": ["government"],
    },
    "transit": {
        "highway": ["bus_stop"],
        "public_transport": ["platform", "stop_position"],
        "railway": ["station", "tram_stop", "halt"],
    },
    "parking": {"amenity": ["parking"]},
    "work": {
        "office": True,
        "shop": True,
        "amenity": ["school", "university", "college", "kindergarten", "hospital", "clinic",
                    "townhall", "library", "restaurant", "cafe", "bank", "fast_food", "pub", "bar"],
    },
}
"""service -> {OSM key: True (any value) or list of values}; one match is enough."""


def _service_table(service_tags: dict[str, dict[str, bool | list[str]]]) -> str:
    """``SERVICE_TAGS`` as a reStructuredText table, for the module docstring."""
    rows = [(service, ", ".join(f"{key}={'*' if values is True else '|'.join(values)}"
                                for key, values in filters.items()))
            for service, filters in service_tags.items()]
    width = max(len(r[1]) for r in rows)
    rule = f"{'=' * 9}  {'=' * width}"
    return "\n".join([rule, f"{'service':<9}  OSM tags", rule,
                       *(f"{service:<9}  {tags}" for service, tags in rows), rule])


if __doc__:  # None under python -OO
    __doc__ = __doc__.replace("{service_table}", _service_table(SERVICE_TAGS))

FILE_BBOX_MARGIN_M = 1000.0
"""How far outside the street network's bounding box a facility from a file may
lie (a facility set back from the last mapped street is still in the city)."""

FILE_SUFFIXES = (".csv", ".geojson", ".json", ".gpkg")

SNAP_TOLERANCE_M = 500.0
"""Assumption: a facility within 500 m (straight line) of a street node of a
mode is reached along that street; farther than that it is off that mode's
network (an island, a mis-placed point, a street the extract does not hold),
so unreachable by that mode, never snapped. 500 m is about the longest private
approach a site has off the public network (a hospital campus, a car park, a
market square) and about 6 minutes' walk at 1.34 m/s; the snapped distance is
not added to travel time."""

UNREACHABLE_NODE = -1
"""``FacilitySet.node`` of a facility farther than :data:`SNAP_TOLERANCE_M`
from every node of a mode."""


def osm_facilities(reader) -> pd.DataFrame:
    """The source's facilities: columns ``lon``, ``lat``, ``service``, ``origin``."""
    tags: dict[str, bool | list[str]] = {}
    for filters in SERVICE_TAGS.values():
        for key, values in filters.items():
            if tags.get(key) is True or values is True:
                tags[key] = True
            else:
                tags[key] = sorted(set(tags.get(key, [])) | set(values))
    gdf = reader.features(tags)
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    if len(gdf) == 0:
        return _frame([], [], [], "osm")
    points = gdf.geometry.representative_point()
    frames = []
    for service, filters in SERVICE_TAGS.items():
        match = np.zeros(len(gdf), dtype=bool)
        for key, values in filters.items():
            if key in gdf.columns:
                column = gdf[key]
                match |= column.notna().to_numpy() if values is True else column.isin(values).to_numpy()
        frames.append(_frame(points.x[match], points.y[match], [service] * int(match.sum()), "osm"))
    return pd.concat(frames, ignore_index=True)


def file_facilities(paths: Sequence[str | Path]) -> pd.DataFrame:
    """Facilities from files: columns ``lon``, ``lat``, ``service``, ``origin``.

    Raises
    ------
    InputFileError
        A file is missing, of an unknown type or unreadable.
    ConfigError
        A column is missing, a service is unknown or a coordinate is invalid.
    """
    frames = [_read_facility_file(Path(p)) for p in paths]
    return pd.concat(frames, ignore_index=True) if frames else _frame([], [], [], "")


def check_within(facilities: pd.DataFrame, walk: StreetArrays, crs: str) -> None:
    """Raise ConfigError naming the file of facilities outside the city."""
    from_file = facilities["origin"] != "osm"
    if not from_file.any():
        return
    x_m, y_m = project(facilities["lon"].to_numpy(), facilities["lat"].to_numpy(), crs)
    margin = FILE_BBOX_MARGIN_M
    outside = from_file.to_numpy() & (
        (x_m < walk.x_m.min() - margin) | (x_m > walk.x_m.max() + margin)
        | (y_m < walk.y_m.min() - margin) | (y_m > walk.y_m.max() + margin)
    )
    if outside.any():
        bad = facilities[outside]
        origin = bad["origin"].iloc[0]
        rows = bad[bad["origin"] == origin]["row"].tolist()
        raise ConfigError(
            f"{len(rows)} facilit{'y lies' if len(rows) == 1 else 'ies lie'} outside the city's "
            f"streets (rows {_list(rows)}; city lon {walk.lon.min():.4f}..{walk.lon.max():.4f}, "
            f"lat {walk.lat.min():.4f}..{walk.lat.max():.4f})",
            path=origin,
            field="lon/lat",
            fix="remove those rows or check that lon and lat are not swapped",
        )


def facility_sets(facilities: pd.DataFrame, streets: dict[str, StreetArrays],
                  crs: str) -> dict[str, FacilitySet]:
    """Snap facilities to every mode's nearest node, grouped by service."""
    sets = {}
    for service in SERVICES:
        rows = facilities[facilities["service"] == service]
        lon, lat = rows["lon"].to_numpy(float), rows["lat"].to_numpy(float)
        x_m, y_m = project(lon, lat, crs)
        sets[service] = FacilitySet(
            service=service,
            lon=lon,
            lat=lat,
            x_m=x_m,
            y_m=y_m,
            node={mode: snap(streets[mode], x_m, y_m) for mode in MODES},
            origin=rows["origin"].to_numpy(dtype=str),
            count=rows["count"].to_numpy(dtype=np.float64),
        )
    return sets


def snap(streets: StreetArrays, x_m: np.ndarray, y_m: np.ndarray) -> np.ndarray:
    """int32 nearest node of ``streets`` to each projected point, or
    :data:`UNREACHABLE_NODE` where it is farther than :data:`SNAP_TOLERANCE_M`."""
    node, distance_m = nearest_node(streets, x_m, y_m, with_distance=True)
    return np.where(distance_m <= SNAP_TOLERANCE_M, node, UNREACHABLE_NODE).astype(np.int32)


def facility_warnings(sets: dict[str, FacilitySet]) -> list[str]:
    """One warning per service with no facility, and per service with
    facilities off the streets of some mode (:data:`SNAP_TOLERANCE_M`)."""
    messages = []
    for service, fs in sets.items():
        if len(fs) == 0:
            messages.append(f"no {service} facility found: every {service} trip will be counted unmet "
                            f"(add {service} facilities with a facility file)")
            continue
        off = {mode: int((node == UNREACHABLE_NODE).sum()) for mode, node in fs.node.items()}
        modes = [mode for mode in MODES if off.get(mode)]
        if modes:
            counts = ", ".join(f"{off[m]} of {len(fs)} from the {m} streets" for m in modes)
            messages.append(
                f"{service}: dropped {counts}: more than {SNAP_TOLERANCE_M:,.0f} m from every street of "
                f"that mode, so unreachable by it (trips to {service} count unmet where no other facility "
                "is reachable; check their coordinates, or use an extract that holds their streets)")
    return messages


def _read_facility_file(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise InputFileError("facility file not found", path=path, fix="check the path")
    suffix = path.suffix.lower()
    if suffix not in FILE_SUFFIXES:
        raise InputFileError(f"unknown facility file type {path.suffix!r}", path=path,
                             fix="use a .csv with lon, lat, service columns, or a .geojson/.gpkg of points")
    try:
        if suffix == ".csv":
            table = pd.read_csv(path)
        else:
            import geopandas as gpd

            table = gpd.read_file(path)
    except Exception as exc:  # pandas / pyogrio: any failure means an unreadable file
        raise InputFileError(f"cannot read the facility file: {' '.join(str(exc).split())[:200]}",
                             path=path, fix="check that the file is a valid CSV, GeoJSON or GeoPackage") from exc
    if len(table) == 0:
        raise InputFileError("the facility file has no rows", path=path, fix="add facilities or leave it out")
    lon, lat = _coordinates(table, path)
    services = _services(table, path)
    frame = _frame(lon, lat, services, str(path), _counts(table, path))
    frame["row"] = np.arange(1, len(frame) + 1)
    return frame


def _coordinates(table: pd.DataFrame, path: Path) -> tuple[np.ndarray, np.ndarray]:
    if "geometry" in table.columns and hasattr(table, "crs"):
        geometry = table.geometry
        if geometry.isna().any() or geometry.is_empty.any():
            rows = np.flatnonzero((geometry.isna() | geometry.is_empty).to_numpy()) + 1
            raise ConfigError(f"rows {_list(rows)} have no geometry", path=path, field="geometry",
                              fix="give every facility a point")
        if table.crs is None:
            raise ConfigError("the file has no CRS", path=path, field="geometry",
                              fix="save it with a CRS (e.g. EPSG:4326)")
        points = geometry.to_crs("EPSG:4326").representative_point()
        return points.x.to_numpy(), points.y.to_numpy()
    missing = [c for c in ("lon", "lat") if c not in table.columns]
    if missing:
        raise ConfigError(f"missing column(s) {', '.join(missing)} (columns: {', '.join(map(str, table.columns))})",
                          path=path, field=missing[0], fix="a CSV needs lon, lat (WGS84) and service columns")
    lon = pd.to_numeric(table["lon"], errors="coerce").to_numpy(float)
    lat = pd.to_numeric(table["lat"], errors="coerce").to_numpy(float)
    bad = ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90))
    if bad.any():
        raise ConfigError(f"rows {_list(np.flatnonzero(bad) + 1)} have no valid lon/lat",
                          path=path, field="lon/lat", fix="use WGS84 degrees: lon in -180..180, lat in -90..90")
    return lon, lat


def _services(table: pd.DataFrame, path: Path) -> np.ndarray:
    if "service" not in table.columns:
        raise ConfigError("missing column 'service'", path=path, field="service",
                          fix=f"add a service column with one of: {', '.join(SERVICES)}")
    services = table["service"].astype("string").str.strip().str.lower()
    unknown = sorted(set(services.dropna()) - set(SERVICES)) + (["(empty)"] if services.isna().any() else [])
    if unknown:
        raise ConfigError(f"unknown service value(s) {', '.join(map(repr, unknown))}",
                          path=path, field="service", fix=f"use one of: {', '.join(SERVICES)}")
    return services.to_numpy(dtype=str)


def _counts(table: pd.DataFrame, path: Path) -> np.ndarray | float:
    """The optional ``count`` column: how many places (jobs) a row stands for."""
    if "count" not in table.columns:
        return 1.0
    count = pd.to_numeric(table["count"], errors="coerce").to_numpy(float)
    bad = ~(np.isfinite(count) & (count > 0))
    if bad.any():
        raise ConfigError(f"rows {_list(np.flatnonzero(bad) + 1)} have no positive count", path=path,
                          field="count", fix="give each row a positive number of places (jobs), or drop the column")
    return count


def _frame(lon, lat, service, origin: str, count: np.ndarray | float = 1.0) -> pd.DataFrame:
    return pd.DataFrame({
        "lon": np.asarray(lon, dtype=float),
        "lat": np.asarray(lat, dtype=float),
        "service": np.asarray(service, dtype=object),
        "origin": origin,
        "count": count,
    })


def _list(rows, limit: int = 5) -> str:
    rows = [int(r) for r in rows]
    text = ", ".join(map(str, rows[:limit]))
    return text + (f" and {len(rows) - limit} more" if len(rows) > limit else "")
