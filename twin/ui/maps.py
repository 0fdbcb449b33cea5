"""pydeck maps: the city (streets, facilities by service, home density) and
benefit by area. The base map is Streamlit's default (Carto tiles when
online; offline the layers draw on a blank background)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pydeck as pdk
from matplotlib import colormaps

SERVICE_COLOURS = {
    "water": (31, 119, 180),
    "health": (214, 39, 40),
    "food": (255, 127, 14),
    "civic": (148, 103, 189),
    "transit": (44, 160, 44),
    "parking": (127, 127, 127),
    "work": (188, 189, 34),
}


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
              view: pdk.ViewState, *, services: list[str]) -> pdk.Deck:
    """Home density (cells), streets (lines) and facilities of ``services`` (dots)."""
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
        pdk.Layer("PolygonLayer", cells, id="homes", get_polygon="polygon", get_fill_color="fill",
                  stroked=False, pickable=True),
        pdk.Layer("LineLayer", segments, id="streets", get_source_position="from",
                  get_target_position="to", get_color=[60, 60, 60, 160], get_width=1.2,
                  width_min_pixels=1),
        pdk.Layer("ScatterplotLayer", dots, id="facilities", get_position=["lon", "lat"],
                  get_fill_color="fill", get_radius=10, radius_min_pixels=3, radius_max_pixels=8,
                  stroked=True, get_line_color=[255, 255, 255], line_width_min_pixels=1, pickable=True),
    ]
    return pdk.Deck(layers=layers, initial_view_state=view, map_style=None,
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
                 *, metric_unit: str) -> pdk.Deck:
    """Mean benefit per resident in each shown cell (suppressed cells absent)."""
    scale = scale_of(cells["mean"])
    data = cells.assign(
        fill=benefit_colours(cells["mean"].to_numpy(), scale),
        text=[f"{m:.2f} {metric_unit}<br/>about {r:,.0f} residents per run"
              for m, r in zip(cells["mean"], cells["residents"])],
    )[["polygon", "fill", "text"]]
    layers = [
        pdk.Layer("LineLayer", segments, id="streets", get_source_position="from",
                  get_target_position="to", get_color=[80, 80, 80, 110], get_width=1,
                  width_min_pixels=1),
        pdk.Layer("PolygonLayer", data, id="benefit", get_polygon="polygon", get_fill_color="fill",
                  stroked=True, get_line_color=[255, 255, 255, 180], line_width_min_pixels=1,
                  pickable=True),
    ]
    return pdk.Deck(layers=layers, initial_view_state=view, map_style=None,
                    tooltip={"html": "{text}", "style": {"fontSize": "13px"}})
