"""Benefit by area as GIS files: GeoPackage and GeoParquet, real square cells
in the city's projected CRS (they open in QGIS with their CRS), and CSV."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely import box

from twin.viz.areas import cell_origins_m

AREA_FILES = ("benefit_by_area.csv", "benefit_by_area.gpkg", "benefit_by_area.parquet")
"""What :func:`benefit_by_area_files` makes."""


def area_frame(area: pd.DataFrame, crs: str) -> gpd.GeoDataFrame:
    """:func:`twin.viz.areas.benefit_by_area` as a GeoDataFrame: one square per
    shown cell (suppressed cells are not in ``area``) in ``crs``, with ``k``
    and ``cell_m`` columns so every file states them."""
    cell_m = float(area.attrs["cell_m"])
    x0, y0 = cell_origins_m(area["cell"], cell_m)
    frame = area.drop(columns=["polygon"]).assign(k=area.attrs["k"], cell_m=cell_m)
    return gpd.GeoDataFrame(frame.reset_index(drop=True), crs=crs,
                            geometry=box(x0, y0, x0 + cell_m, y0 + cell_m))


def benefit_by_area_files(area: pd.DataFrame, crs: str, folder: str | Path) -> dict[str, Path]:
    """Write :data:`AREA_FILES` into ``folder``: CSV (cell corners as WGS84
    JSON rings in ``polygon``), GeoPackage (layer ``benefit_by_area``) and
    GeoParquet. Returns name -> path."""
    folder = Path(folder)
    paths = {name: folder / name for name in AREA_FILES}
    area.assign(polygon=area["polygon"].map(json.dumps), k=area.attrs["k"],
                cell_m=area.attrs["cell_m"]).to_csv(paths["benefit_by_area.csv"], index=False)
    frame = area_frame(area, crs)
    frame.to_file(paths["benefit_by_area.gpkg"], layer="benefit_by_area", driver="GPKG")
    frame.to_parquet(paths["benefit_by_area.parquet"])
    return paths
