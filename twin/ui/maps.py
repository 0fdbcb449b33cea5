"""The app's maps: plotly figures over the city's own basemap (buildings,
streets by class, water, parks and names drawn from its OSM data by
:func:`twin.viz.maps.basemap_png`), in the city's projected metres.

No tile server and no network: the basemap is one picture in the figure
(a data URI), and plotly draws in SVG, so the maps show in any browser,
headless ones included. Every figure is a :class:`MapFrame` (the picture and
its bounds) plus layers: home density or benefit by area (cells), streets of
a mode, facilities, candidate sites and placed proposals.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from matplotlib import colormaps
from pyproj import Transformer

from twin.ui.workshop import PLACEABLE, Proposal

SERVICE_COLOURS = {
    "water": (31, 119, 180),
    "health": (214, 39, 40),
    "food": (255, 127, 14),
    "civic": (148, 103, 189),
    "transit": (44, 160, 44),
    "parking": (127, 127, 127),
    "work": (188, 189, 34),
}

CONFIG = {"displaylogo": False, "scrollZoom": True,
          "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d", "toImage"]}
"""plotly's options for every map: zoom with the wheel, no logo link."""


@dataclass(frozen=True)
class MapFrame:
    """The basemap picture and where it lies.

    Attributes
    ----------
    png
        The basemap (:func:`twin.viz.maps.basemap_png`).
    bounds
        ``x0, y0, x1, y1`` the picture covers, in the city's projected CRS (m).
    crs
        That CRS.
    """

    png: bytes
    bounds: tuple[float, float, float, float]
    crs: str

    def figure(self, *, height: int) -> go.Figure:
        """An empty map: the picture, axes in metres at one scale, no ticks."""
        x0, y0, x1, y1 = self.bounds
        figure = go.Figure()
        figure.add_layout_image(
            source="data:image/png;base64," + base64.b64encode(self.png).decode(), xref="x", yref="y",
            x=x0, y=y1, sizex=x1 - x0, sizey=y1 - y0, sizing="stretch", layer="below")
        figure.update_xaxes(range=[x0, x1], visible=False, constrain="domain")
        figure.update_yaxes(range=[y0, y1], visible=False, scaleanchor="x", scaleratio=1, constrain="domain")
        figure.update_layout(height=height, margin={"l": 0, "r": 0, "t": 0, "b": 0},
                             plot_bgcolor="#f7f5f0", paper_bgcolor="white", dragmode="pan",
                             hovermode="closest", showlegend=False, font={"size": 14})
        return figure


def rgb(colour, alpha: float = 1.0) -> str:
    r, g, b = colour[:3]
    return f"rgba({int(r)},{int(g)},{int(b)},{alpha:.3f})"


def add_cells(figure: go.Figure, x0_m: np.ndarray, y0_m: np.ndarray, cell_m: float,
              fills: list[str], *, name: str, text: list[str], marker: dict | None = None) -> None:
    """Grid cells as filled squares, and one hover point at each centre
    (trace ``name``: its ``text`` is what a cell shows)."""
    for x, y, fill in zip(x0_m, y0_m, fills):
        figure.add_shape(type="rect", x0=x, y0=y, x1=x + cell_m, y1=y + cell_m, fillcolor=fill,
                         line={"color": "rgba(255,255,255,0.7)", "width": 1}, layer="above")
    figure.add_trace(go.Scatter(
        x=np.asarray(x0_m) + cell_m / 2, y=np.asarray(y0_m) + cell_m / 2, mode="markers", name=name,
        text=list(text), hovertemplate="%{text}<extra></extra>",
        marker=marker or {"size": 4, "color": "rgba(0,0,0,0.25)"}))


def add_streets(figure: go.Figure, segments: pd.DataFrame, *, colour: str = "rgba(40,40,40,0.55)",
                name: str = "streets") -> None:
    """Street segments (``x0_m, y0_m, x1_m, y1_m``) as one line trace."""
    n = len(segments)
    x = np.full(3 * n, np.nan)
    y = np.full(3 * n, np.nan)
    x[0::3], x[1::3] = segments["x0_m"], segments["x1_m"]
    y[0::3], y[1::3] = segments["y0_m"], segments["y1_m"]
    figure.add_trace(go.Scatter(x=x, y=y, mode="lines", name=name, hoverinfo="skip",
                                line={"color": colour, "width": 1.2}))


def add_facilities(figure: go.Figure, facilities: pd.DataFrame, services: list[str]) -> None:
    """One trace per service (named after it): dots in the service's colour."""
    for service in services:
        rows = facilities[facilities["service"] == service]
        figure.add_trace(go.Scatter(
            x=rows["x_m"], y=rows["y_m"], mode="markers", name=service,
            text=[f"{service} ({origin})" for origin in rows["origin"]], hovertemplate="%{text}<extra></extra>",
            marker={"size": 9, "color": rgb(SERVICE_COLOURS.get(service, (0, 0, 0)), 0.95),
                    "line": {"color": "white", "width": 1}}))


def city_figure(frame: MapFrame, segments: pd.DataFrame, facilities: pd.DataFrame, density: pd.DataFrame,
                *, cell_m: float, services: list[str], height: int = 820) -> go.Figure:
    """Home density (cells, trace ``homes``), streets of a mode (``streets``)
    and facilities of ``services`` (one trace each) over the basemap."""
    figure = frame.figure(height=height)
    top = max(float(density["share"].max()), 1e-12) if len(density) else 1.0
    add_cells(figure, density["x0_m"], density["y0_m"], cell_m,
              [rgb((90, 60, 160), 0.05 + 0.4 * s / top) for s in density["share"]], name="homes",
              text=[f"homes: {100 * s:.1f}% of the city's" for s in density["share"]])
    add_streets(figure, segments)
    add_facilities(figure, facilities, services)
    return figure


def benefit_colours(values: np.ndarray, scale: float) -> list[list[int]]:
    """Diverging colours: blue for a gain, red for a loss, pale near zero."""
    cmap = colormaps["RdBu"]
    scaled = 0.5 + 0.5 * np.clip(np.asarray(values, dtype=float) / max(scale, 1e-12), -1, 1)
    return [[int(255 * c) for c in cmap(v)[:3]] for v in scaled]


def scale_of(values) -> float:
    """The value shown in the darkest colour (either sign)."""
    values = np.abs(np.asarray(values, dtype=float))
    return float(np.nanmax(values)) if len(values) and np.isfinite(values).any() and values.max() > 0 else 1.0


def benefit_figure(frame: MapFrame, cells: pd.DataFrame, *, cell_m: float, metric_unit: str,
                   height: int = 760) -> go.Figure:
    """Mean benefit per resident in each shown cell (trace ``benefit``;
    suppressed cells are absent), with a colour bar in ``metric_unit``."""
    figure = frame.figure(height=height)
    scale = scale_of(cells["mean"])
    colourscale = [[i / 8, rgb(c)] for i, c in enumerate(benefit_colours(np.linspace(-1, 1, 9), 1.0))]
    add_cells(figure, cells["x0_m"], cells["y0_m"], cell_m,
              [rgb(c, 0.55) for c in benefit_colours(cells["mean"].to_numpy(), scale)], name="benefit",
              text=[f"{m:.2f} {metric_unit}<br>about {r:,.0f} residents per run"
                    for m, r in zip(cells["mean"], cells["residents"])],
              marker={"size": 5, "color": list(cells["mean"]), "colorscale": colourscale, "cmin": -scale,
                      "cmax": scale, "showscale": True,
                      "colorbar": {"title": {"text": metric_unit, "side": "right"}, "thickness": 14}})
    return figure


def legend_html(items: dict[str, tuple[int, int, int]]) -> str:
    """A one-line colour legend (for st.markdown with unsafe_allow_html)."""
    chips = "".join(
        f"<span style='display:inline-block;margin-right:14px;white-space:nowrap'>"
        f"<span style='display:inline-block;width:12px;height:12px;border-radius:6px;"
        f"background:rgb{colour};margin-right:5px;vertical-align:-1px'></span>{name}</span>"
        for name, colour in items.items())
    return f"<div style='font-size:0.9rem;line-height:1.8'>{chips}</div>"


SITES_TRACE = 0
"""Index of the candidate sites' trace in :func:`workshop_figure`."""


def workshop_figure(frame: MapFrame, sites: pd.DataFrame, proposal: Proposal, facilities: pd.DataFrame,
                    *, height: int = 640) -> go.Figure:
    """The workshop's map: candidate sites to click (trace ``sites``, the
    first: :data:`SITES_TRACE`, in the order of ``sites``), the city's water
    and civic facilities, and what the proposal has placed (trace ``placed``).

    The view keeps its zoom when a place is added (``uirevision``)."""
    figure = frame.figure(height=height)
    figure.add_trace(go.Scatter(
        x=sites["x_m"], y=sites["y_m"], mode="markers", name="sites",
        hovertemplate="place it here<extra></extra>",
        marker={"size": 7, "color": "rgba(60,60,60,0.22)"},
        selected={"marker": {"color": "rgba(60,60,60,0.22)"}}, unselected={"marker": {"opacity": 1}}))
    add_facilities(figure, facilities, [s for s in ("water", "civic") if s in set(facilities["service"])])
    if proposal.places:
        kinds = [kind for kind, _, _ in proposal.places]
        to_m = Transformer.from_crs("EPSG:4326", frame.crs, always_xy=True)
        x, y = to_m.transform([p[1] for p in proposal.places], [p[2] for p in proposal.places])
        figure.add_trace(go.Scatter(
            x=list(x), y=list(y), mode="markers+text", name="placed",
            text=[PLACEABLE[k].label for k in kinds], textposition="top center",
            textfont={"size": 16, "color": "#111"}, hoverinfo="skip",
            marker={"size": 22, "symbol": [PLACEABLE[k].symbol for k in kinds],
                    "color": [PLACEABLE[k].colour for k in kinds], "line": {"color": "white", "width": 3}}))
    figure.update_layout(uirevision="workshop", clickmode="event+select")
    return figure
