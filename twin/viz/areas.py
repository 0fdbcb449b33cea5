"""Square grid cells over a city, for maps: home density and benefit by area.

Every city has ONE grid (:func:`area_cell_m`, from the extent of its homes),
never a cell size a user picks: with two sizes a cell of one would be the
union of cells of the other, and a hidden cell would be its parent minus its
shown siblings.

Benefit by area is summarised with the very function that summarises groups
for tables and the CLI (:func:`twin.outcomes.benefits.group_benefits`), with
the grid cell of each resident's home as the group: a cell with fewer than
``k`` residents in any replication is left out, together with the cells
needed to protect it, exactly as a small group is.

Pure Python: no streamlit here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pyproj import Transformer

from twin.city.arrays import City
from twin.experiments.compare import Comparison
from twin.outcomes.benefits import BENEFITS, group_benefits
from twin.outcomes.groups import MIN_CELL_RESIDENTS

_CELL_STEPS_M = (100, 150, 200, 300, 500, 1000, 2000, 5000)
_MAX_CELLS = 60
"""The grid's cell is the smallest step giving at most this many cells over
the homes' bounding box: small enough to tell neighbourhoods apart, large
enough that most cells hold more than k residents."""


def area_cell_m(city: City) -> int:
    """The cell size of the city's one grid (cells aligned to multiples of it
    in the city's projected CRS): fixed by the city alone."""
    walk = city.streets["walk"]
    x, y = walk.x_m[city.home_node], walk.y_m[city.home_node]
    area = max(float(np.ptp(x)) * float(np.ptp(y)), 1.0)
    return next((size for size in _CELL_STEPS_M if area / size**2 <= _MAX_CELLS), _CELL_STEPS_M[-1])


def cell_labels(x_m: np.ndarray, y_m: np.ndarray, cell_m: float) -> np.ndarray:
    """``"ix_iy"`` label of the cell holding each point (cells aligned to
    multiples of ``cell_m`` in the projected CRS)."""
    ix = np.floor(np.asarray(x_m) / cell_m).astype(np.int64)
    iy = np.floor(np.asarray(y_m) / cell_m).astype(np.int64)
    return np.char.add(np.char.add(ix.astype(str), "_"), iy.astype(str))


def cell_origins_m(labels, cell_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Lower-left corner (x, y in the projected CRS) of each cell label."""
    parts = np.array([str(label).split("_") for label in labels], dtype=np.int64).reshape(-1, 2)
    return parts[:, 0] * float(cell_m), parts[:, 1] * float(cell_m)


def cell_polygons(labels, cell_m: float, crs: str) -> list[list[list[float]]]:
    """WGS84 ring ``[[lon, lat], ...]`` of each cell label."""
    x0, y0 = cell_origins_m(labels, cell_m)
    corners_x = np.stack([x0, x0 + cell_m, x0 + cell_m, x0], axis=1)
    corners_y = np.stack([y0, y0, y0 + cell_m, y0 + cell_m], axis=1)
    to_wgs84 = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    lon, lat = to_wgs84.transform(corners_x.ravel(), corners_y.ravel())
    lon, lat = np.asarray(lon).reshape(-1, 4), np.asarray(lat).reshape(-1, 4)
    return [[[float(o), float(a)] for o, a in zip(lon_row, lat_row)] for lon_row, lat_row in zip(lon, lat)]


def home_density(city: City) -> pd.DataFrame:
    """Share of the city's home weight in each cell of its grid.

    Returns
    -------
    pandas.DataFrame
        ``cell``, ``share`` (0-1), ``polygon``.
    """
    walk, cell_m = city.streets["walk"], area_cell_m(city)
    labels = cell_labels(walk.x_m[city.home_node], walk.y_m[city.home_node], cell_m)
    share = pd.Series(city.home_weight, dtype=float).groupby(labels).sum()
    share = share / share.sum()
    frame = pd.DataFrame({"cell": share.index.astype(str), "share": share.to_numpy()})
    frame["polygon"] = cell_polygons(frame["cell"], cell_m, city.crs)
    return frame


def home_cells(comparison: Comparison, city: City) -> pd.Series:
    """The grid cell of each row of ``comparison.population`` (its home)."""
    walk = city.streets["walk"]
    home = comparison.population["home_node"].to_numpy()
    labels = cell_labels(walk.x_m[home], walk.y_m[home], area_cell_m(city))
    return pd.Series(pd.Categorical(labels), index=comparison.population.index, name="cell")


def benefit_by_area(
    comparison: Comparison,
    city: City,
    *,
    k: int = MIN_CELL_RESIDENTS,
) -> pd.DataFrame:
    """Mean benefit per resident by cell of the city's grid (of home), small
    cells left out.

    Returns
    -------
    pandas.DataFrame
        One row per scenario, shown cell and metric: ``scenario``, ``cell``,
        ``metric``, ``residents`` (mean per replication), ``mean``,
        ``ci95_low``, ``ci95_high``, ``share_of_gains``, ..., ``polygon``.
        ``attrs["suppressed_cells"]`` counts the cells left out, and
        ``attrs["cells"]`` the cells with any resident, ``attrs["cell_m"]``
        the grid's cell size and ``attrs["k"]`` the k used.
    """
    cell_m = area_cell_m(city)
    cells = home_cells(comparison, city).to_frame()
    replication = comparison.population["replication"].to_numpy()
    tables = []
    suppressed = 0
    for name, benefits in comparison.benefits.items():
        table = group_benefits(cells, benefits, replication=replication, k=k)
        suppressed = table.attrs["suppressed_cells"]
        table = table[table["dimension"] == "cell"].drop(columns=["dimension", "people_benefiting"])
        table = table.rename(columns={"group": "cell"})
        table.insert(0, "scenario", name)
        tables.append(table)
    frame = pd.concat(tables, ignore_index=True)
    shown = frame["cell"].unique()
    polygons = dict(zip(shown, cell_polygons(shown, cell_m, city.crs)))
    frame["polygon"] = frame["cell"].map(polygons)
    frame.attrs["suppressed_cells"] = suppressed
    frame.attrs["cells"] = int(cells["cell"].nunique())
    frame.attrs["cell_m"] = cell_m
    frame.attrs["k"] = k
    return frame


METRICS = tuple(BENEFITS)
