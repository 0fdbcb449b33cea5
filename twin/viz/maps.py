"""2D maps drawn with matplotlib on the city's own basemap (no tiles):
benefit by area for reports and workshop packs, and the basemap alone as a
background picture for the app's interactive maps."""

from __future__ import annotations

import io

import geopandas as gpd
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from PIL import Image

from twin.viz.basemap import STREET_CLASSES, Basemap

_STREET_STYLE = {"major": (2.2, "#6b6b6b"), "minor": (1.0, "#8c8c8c"), "path": (0.4, "#b0b0b0")}


def draw_basemap(ax, basemap: Basemap) -> None:
    """Parks, water, buildings and streets by class on ``ax`` (in the
    basemap's CRS; metres for a projected one)."""
    if len(basemap.parks):
        basemap.parks.plot(ax=ax, color="#cfe6bf", linewidth=0)
    if len(basemap.water):
        basemap.water.plot(ax=ax, color="#a9cbe8", linewidth=0)
    if len(basemap.buildings):
        basemap.buildings.plot(ax=ax, color="#d6d0c6", linewidth=0)
    for kind, classes in reversed(STREET_CLASSES.items()):
        lines = basemap.streets[basemap.streets["highway"].isin(classes)]
        if len(lines):
            width, colour = _STREET_STYLE[kind]
            lines.plot(ax=ax, linewidth=width, color=colour)


def draw_labels(ax, basemap: Basemap, *, font_size: float = 9.0) -> None:
    """Names of places (upright) and major streets (italic) inside ``ax``'s limits."""
    x0, x1, y0, y1 = *ax.get_xlim(), *ax.get_ylim()
    spacing = max(x1 - x0, y1 - y0) / 14  # a label keeps this far from the ones placed before it
    placed: list[tuple[float, float]] = []
    if len(basemap.labels):
        for row in basemap.labels.itertuples():  # places first, then streets
            p = row.geometry
            crowded = any(abs(p.x - x) < spacing and abs(p.y - y) < spacing / 3 for x, y in placed)
            if x0 <= p.x <= x1 and y0 <= p.y <= y1 and not crowded:
                placed.append((p.x, p.y))
                ax.annotate(row.name, (p.x, p.y), ha="center", va="center", clip_on=True,
                            fontsize=font_size * (1.15 if row.kind == "place" else 0.9),
                            fontstyle="normal" if row.kind == "place" else "italic", color="#333333",
                            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.6})


def benefit_map_png(
    basemap: Basemap,
    cells: gpd.GeoDataFrame,
    *,
    unit: str,
    title: str,
    note: str = "",
    size_in: tuple[float, float] = (10.0, 10.0),
    dpi: int = 110,
) -> bytes:
    """PNG: the shown cells coloured by mean benefit (blue a gain, red a
    loss) over the basemap, with a colour bar in ``unit``. Suppressed cells
    are not in ``cells`` and are not drawn."""
    figure = Figure(figsize=size_in, dpi=dpi)
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    bounds = basemap.streets.total_bounds if len(basemap.streets) else cells.total_bounds
    values = cells["mean"].to_numpy(float)
    scale = float(np.nanmax(np.abs(values))) if len(values) and np.nanmax(np.abs(values)) > 0 else 1.0
    draw_basemap(ax, basemap)
    if len(cells):
        cells.plot(ax=ax, column="mean", cmap="RdBu", norm=Normalize(-scale, scale), alpha=0.55,
                   edgecolor="white", linewidth=0.8)
    ax.set_xlim(bounds[0], bounds[2])
    ax.set_ylim(bounds[1], bounds[3])
    ax.set_aspect("equal", adjustable="box")
    draw_labels(ax, basemap)
    bar = figure.colorbar(ScalarMappable(Normalize(-scale, scale), "RdBu"), ax=ax, shrink=0.7, pad=0.02)
    bar.set_label(unit, fontsize=12)
    ax.set_title(title, fontsize=15, loc="left")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    if note:
        ax.text(0.0, -0.02, note, transform=ax.transAxes, va="top", fontsize=10, color="#555555")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()


def basemap_png(
    basemap: Basemap,
    bounds: tuple[float, float, float, float],
    *,
    width_px: int = 1600,
    font_size: float = 13.0,
    colours: int = 96,
) -> bytes:
    """PNG of the basemap alone, filling exactly ``bounds`` (``x0, y0, x1,
    y1`` in the basemap's CRS) with no margin, so that it can be placed under
    interactive layers in the same coordinates.

    Parameters
    ----------
    width_px
        Width of the picture; its height follows from ``bounds`` (square pixels).
    font_size
        Size of the names, in points at 100 dpi.
    colours
        Palette size: a map has few colours, and a palette PNG is several
        times smaller than a full-colour one (it travels to the browser on
        every redraw).
    """
    x0, y0, x1, y1 = bounds
    height_px = max(int(round(width_px * (y1 - y0) / (x1 - x0))), 1)
    dpi = 100
    figure = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi, facecolor="#f7f5f0")
    FigureCanvasAgg(figure)
    ax = figure.add_axes((0.0, 0.0, 1.0, 1.0))
    draw_basemap(ax, basemap)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_axis_off()
    draw_labels(ax, basemap, font_size=font_size)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, facecolor=figure.get_facecolor())
    picture = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB").quantize(colours)
    out = io.BytesIO()
    picture.save(out, format="PNG", optimize=True)
    return out.getvalue()
