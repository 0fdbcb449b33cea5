"""pydeck maps: the city (streets, facilities by service, home density) and
benefit by area, over a basemap drawn from the city's own OSM data
(:mod:`twin.viz.basemap`: buildings, streets by class, water, parks, names).
No map loads tiles, so every map works offline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pydeck as pdk
from matplotlib import colormaps

from twin.viz.basemap import STREET_CLASSES, Basemap

SERVICE_COLOURS = {
    "water": (31, 119, 180),
    "health": (214, 39, 40),
    "food": (255, 127, 14),
    "civic": (148, 103, 189),
    "transit": (44, 160, 44),
    "parking": (127, 127, 127),
    "work": (188, 189, 34),
}


_STREET_WIDTH_M = {"major": 9.0, "minor": 5.0, "path": 1.5}


def basemap_frames(basemap: Basemap) -> dict[str, pd.DataFrame]:
    """The basemap (WGS84) as plain rows for pydeck: ``polygons`` (``ring``,
    ``fill``), ``streets`` (``path``, ``width_m``) and ``labels`` (``lon``,
    ``lat``, ``name``, ``size``)."""
    fills = {"parks": [207, 230, 191, 255], "water": [169, 203, 232, 255], "buildings": [214, 208, 198, 255]}
    polygons = [{"ring": [list(xy) for xy in ring.tolist()], "fill": fills[name]}
                for name in fills for geometry in getattr(basemap, name).geometry
                for ring in _exteriors(geometry)]
    width = {c: _STREET_WIDTH_M[kind] for kind, classes in STREET_CLASSES.items() for c in classes}
    streets = [{"path": [list(xy) for xy in np.asarray(line.coords)[:, :2].tolist()],
                "width_m": width.get(highway, 1.5)}
               for geometry, highway in zip(basemap.streets.geometry, basemap.streets["highway"])
               for line in getattr(geometry, "geoms", [geometry])]
    labels = pd.DataFrame({"lon": basemap.labels.geometry.x, "lat": basemap.labels.geometry.y,
                           "name": basemap.labels["name"].astype(str),
                           "size": np.where(basemap.labels["kind"] == "place", 15, 12)})
    return {"polygons": pd.DataFrame(polygons, columns=["ring", "fill"]),
            "streets": pd.DataFrame(streets, columns=["path", "width_m"]), "labels": labels}


def _exteriors(geometry) -> list[np.ndarray]:
    return [np.asarray(p.exterior.coords)[:, :2] for p in getattr(geometry, "geoms", [geometry])
            if hasattr(p, "exterior")]


def basemap_layers(frames: dict[str, pd.DataFrame]) -> list[pdk.Layer]:
    """Areas and streets of :func:`basemap_frames`, to draw under a map's own layers."""
    return [
        pdk.Layer("PolygonLayer", frames["polygons"], id="basemap_areas", get_polygon="ring",
                  get_fill_color="fill", stroked=False, pickable=False),
        pdk.Layer("PathLayer", frames["streets"], id="basemap_streets", get_path="path",
                  get_width="width_m", width_units="meters", width_min_pixels=1,
                  get_color=[255, 255, 255, 255], cap_rounded=True, pickable=False),
    ]


def label_layer(frames: dict[str, pd.DataFrame]) -> pdk.Layer:
    """Names of places and major streets, to draw over a map's own layers."""
    return pdk.Layer("TextLayer", frames["labels"], id="basemap_labels", get_position=["lon", "lat"],
                     get_text="name", get_size="size", get_color=[40, 40, 40, 230], background=True,
                     get_background_color=[255, 255, 255, 170], pickable=False)


def view_of(lon: np.ndarray, lat: np.ndarray) -> pdk.ViewState:
    """A view showing every point."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    span = max(float(np.ptp(lon)) if len(lon) else 0.01, float(np.ptp(lat)) * 2 if len(lat) else 0.01, 1e-3)
    zoom = float(np.clip(np.log2(360.0 / span) - 0.1, 3, 17))
    return pdk.ViewState(longitude=float(np.mean(lon)), latitude=float(np.mean(lat)), zoom=zoom)


def legend_html(items: dict[str, tuple[int, int, int]]) -> str:
    """A one-line colour legend (for st.markdown with unsafe_allow_html)."""
    chips = "".join(
        f"<span style='display:inline-block;margin-right:14px;white-space:nowrap'>"
        f"<span style='display:inline-block;width:12px;height:12px;border-radius:6px;"
        f"background:rgb{colour};margin-right:5px;vertical-align:-1px'></span>{name}</span>"
        for name, colour in items.items())
    return f"<div style='font-size:0.9rem;line-height:1.8'>{chips}</div>"


def city_deck(segments: pd.DataFrame, facilities: pd.DataFrame, density: pd.DataFrame,
              view: pdk.ViewState, *, services: list[str], basemap: dict[str, pd.DataFrame]) -> pdk.Deck:
    """Home density (cells), streets (lines) and facilities of ``services``
    (dots) over the city's basemap (:func:`basemap_frames`)."""
    top = max(float(density["share"].max()), 1e-12) if len(density) else 1.0
    cells = pd.DataFrame({
        "polygon": density["polygon"],
        "fill": [[90, 60, 160, int(15 + 135 * s / top)] for s in density["share"]],
        "tip": [f"homes: {100 * s:.1f}% of the city's" for s in density["share"]],
    })
    shown = facilities[facilities["service"].isin(services)]
    dots = pd.DataFrame({
        "lon": shown["lon"], "lat": shown["lat"],
        "fill": [list(SERVICE_COLOURS.get(s, (0, 0, 0))) + [230] for s in shown["service"]],
        "tip": [f"{s} ({o})" for s, o in zip(shown["service"], shown["origin"])],
    })
    layers = [
        *basemap_layers(basemap),
        pdk.Layer("PolygonLayer", cells, id="homes", get_polygon="polygon", get_fill_color="fill",
                  stroked=False, pickable=True),
        pdk.Layer("LineLayer", segments, id="streets", get_source_position="from",
                  get_target_position="to", get_color=[60, 60, 60, 160], get_width=1.2,
                  width_min_pixels=1),
        pdk.Layer("ScatterplotLayer", dots, id="facilities", get_position=["lon", "lat"],
                  get_fill_color="fill", get_radius=10, radius_min_pixels=3, radius_max_pixels=8,
                  stroked=True, get_line_color=[255, 255, 255], line_width_min_pixels=1, pickable=True),
        label_layer(basemap),
    ]
    return pdk.Deck(layers=layers, initial_view_state=view, map_provider=None,
                    tooltip={"html": "{tip}", "style": {"fontSize": "13px"}})


def benefit_colours(values: np.ndarray, scale: float) -> list[list[int]]:
    """Diverging colours: blue for a gain, red for a loss, pale near zero."""
    cmap = colormaps["RdBu"]
    scaled = 0.5 + 0.5 * np.clip(np.asarray(values, dtype=float) / max(scale, 1e-12), -1, 1)
    return [[int(255 * c) for c in cmap(v)[:3]] + [200] for v in scaled]


def scale_of(values) -> float:
    """The value shown in the darkest colour (either sign)."""
    values = np.abs(np.asarray(values, dtype=float))
    return float(np.nanmax(values)) if len(values) and np.isfinite(values).any() and values.max() > 0 else 1.0


def scale_html(scale: float, unit: str) -> str:
    """A colour bar from -scale (red) through 0 to +scale (blue)."""
    stops = ", ".join(f"rgb({r},{g},{b})" for r, g, b, _ in benefit_colours(np.linspace(-1, 1, 9), 1.0))
    return ("<div style='display:flex;align-items:center;gap:8px;font-size:0.85rem'>"
            f"<span>{-scale:.2f}</span><span style='display:inline-block;width:240px;height:12px;"
            f"border-radius:3px;background:linear-gradient(to right, {stops})'></span>"
            f"<span>+{scale:.2f} {unit}</span></div>")


def benefit_deck(cells: pd.DataFrame, segments: pd.DataFrame, view: pdk.ViewState,
                 *, metric_unit: str, basemap: dict[str, pd.DataFrame]) -> pdk.Deck:
    """Mean benefit per resident in each shown cell (suppressed cells absent)
    over the city's basemap (:func:`basemap_frames`)."""
    scale = scale_of(cells["mean"])
    data = cells.assign(
        fill=benefit_colours(cells["mean"].to_numpy(), scale),
        text=[f"{m:.2f} {metric_unit}<br/>about {r:,.0f} residents per run"
              for m, r in zip(cells["mean"], cells["residents"])],
    )[["polygon", "fill", "text"]]
    layers = [
        *basemap_layers(basemap),
        pdk.Layer("LineLayer", segments, id="streets", get_source_position="from",
                  get_target_position="to", get_color=[80, 80, 80, 110], get_width=1,
                  width_min_pixels=1),
        pdk.Layer("PolygonLayer", data, id="benefit", get_polygon="polygon", get_fill_color="fill",
                  stroked=True, get_line_color=[255, 255, 255, 180], line_width_min_pixels=1,
                  pickable=True),
        label_layer(basemap),
    ]
    return pdk.Deck(layers=layers, initial_view_state=view, map_provider=None,
                    tooltip={"html": "{text}", "style": {"fontSize": "13px"}})
