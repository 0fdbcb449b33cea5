"""Facility files and a population grid derived from a gridded table of
counts (such as r5r's Porto Alegre hexgrid: ``id, lon, lat, population,
schools, jobs, healthcare`` per H3 cell centre).

Each cell with a count becomes one facility of the mapped service at the
cell centre (its count kept in a ``count`` column), and each cell with
residents a row of the population grid. Only cells inside a bounding box
(the city's streets) are kept, so a city-wide grid does not pile its
residents onto the edge of a smaller street extract. The output folder is
written atomically and records where every number came from in
``provenance.json`` (input file and sha256, filters, totals kept and dropped).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from twin.errors import ConfigError, InputFileError
from twin.experiments.store import atomic_folder

SERVICE_COLUMNS = {"healthcare": "health", "jobs": "work"}
"""Count column -> facility service. Schools have no service of their own."""

FACILITIES_FILE = "facilities.csv"
POPULATION_FILE = "population.csv"
PROVENANCE_FILE = "provenance.json"


def derive_grid_inputs(
    grid_csv: str | Path,
    out: str | Path,
    *,
    bbox: tuple[float, float, float, float] | None = None,
    services: Mapping[str, str] = SERVICE_COLUMNS,
) -> dict:
    """Write ``facilities.csv``, ``population.csv`` and ``provenance.json`` to ``out``.

    Parameters
    ----------
    grid_csv
        CSV with ``lon``, ``lat`` (WGS84), ``population`` and the count
        columns of ``services``.
    out
        Output folder (replaced as a whole, atomically).
    bbox
        ``(lon_min, lat_min, lon_max, lat_max)``: keep cells whose centre is
        inside; None keeps all.
    services
        Count column -> service name.

    Returns
    -------
    The provenance record (also written to ``provenance.json``).

    Raises
    ------
    InputFileError
        The grid file is missing or unreadable.
    ConfigError
        A column is missing or holds negative or non-numeric counts.
    """
    grid_csv = Path(grid_csv)
    if not grid_csv.is_file():
        raise InputFileError("grid file not found", path=grid_csv,
                             fix="give the CSV of cell centres and counts")
    try:
        grid = pd.read_csv(grid_csv)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise InputFileError(f"not a readable CSV ({exc})", path=grid_csv, fix="give a CSV file") from None
    needed = ["lon", "lat", "population", *services]
    missing = [c for c in needed if c not in grid.columns]
    if missing:
        raise ConfigError(f"missing column(s) {', '.join(missing)} (columns: {', '.join(grid.columns)})",
                          path=grid_csv, fix=f"the grid needs columns {', '.join(needed)}")
    blank = {}
    for column in needed:
        values = pd.to_numeric(grid[column], errors="coerce")
        if column in services:  # an empty count (r5r leaves a few) reads as none, counted
            blank[column] = int(grid[column].isna().sum())
            values = values.where(grid[column].notna(), 0)
        bad = values.isna() | ((values < 0) & (column not in ("lon", "lat")))
        if bad.any():
            raise ConfigError(f"{int(bad.sum())} rows hold no valid number (first: row {int(bad.idxmax()) + 2})",
                              path=grid_csv, field=column, fix="fix or remove those rows")
        grid[column] = values

    inside = pd.Series(True, index=grid.index)
    if bbox is not None:
        lon_min, lat_min, lon_max, lat_max = bbox
        inside = grid["lon"].between(lon_min, lon_max) & grid["lat"].between(lat_min, lat_max)
    kept, dropped = grid[inside], grid[~inside]

    facilities = pd.concat(
        [pd.DataFrame({"lon": kept["lon"], "lat": kept["lat"], "service": service,
                       "count": kept[column].astype(int), "cell": kept.get("id", kept.index)})
         [kept[column] > 0] for column, service in services.items()],
        ignore_index=True)
    population = kept.loc[kept["population"] > 0, ["lon", "lat", "population"]]

    digest = hashlib.sha256(grid_csv.read_bytes()).hexdigest()
    provenance = {
        "input": str(grid_csv),
        "input_sha256": digest,
        "derived_by": "twin.city.grid_inputs.derive_grid_inputs",
        "derived_on": dt.date.today().isoformat(),
        "bbox_lon_lat": list(bbox) if bbox is not None else None,
        "cells": {"in_file": len(grid), "kept": len(kept), "outside_bbox": len(dropped)},
        "services": dict(services),
        "empty_counts_read_as_zero": blank,
        "totals_kept": {c: float(kept[c].sum()) for c in ["population", *services]},
        "totals_dropped": {c: float(dropped[c].sum()) for c in ["population", *services]},
        "facilities": {service: int((facilities["service"] == service).sum())
                       for service in services.values()},
        "note": "one facility per cell with a positive count, at the cell centre; count kept in 'count'",
    }
    with atomic_folder(out) as folder:
        facilities.to_csv(folder / FACILITIES_FILE, index=False)
        population.to_csv(folder / POPULATION_FILE, index=False)
        (folder / PROVENANCE_FILE).write_text(json.dumps(provenance, indent=2) + "\n")
    return provenance
