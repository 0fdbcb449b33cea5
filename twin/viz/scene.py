"""3D scenes of a city with PyVista: buildings extruded, streets, facilities,
and the benefit of a scenario per area as coloured columns.

A :class:`Scene` is a list of PyVista meshes with an ``rgb`` colour per
point; :func:`render_png` draws it offscreen and :func:`export_html` writes
it as one self-contained HTML file (a small WebGL viewer with the geometry
inlined: no server, no network).
"""

from __future__ import annotations

import base64
import html
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyvista as pv
from matplotlib import colormaps
from shapely.geometry import MultiPolygon, Polygon

from twin.viz.basemap import STREET_CLASSES, Basemap

COLUMN_MAX_M = 120.0
"""Height of the column of the largest benefit shown (either sign)."""

COLOURS = {
    "ground": (236, 233, 226),
    "building": (196, 190, 180),
    "water": (164, 200, 232),
    "park": (190, 222, 170),
    "street": (120, 120, 120),
}
SERVICE_COLOURS = {
    "water": (31, 119, 180), "health": (214, 39, 40), "food": (255, 127, 14),
    "civic": (148, 103, 189), "transit": (44, 160, 44), "parking": (127, 127, 127),
    "work": (188, 189, 34),
}


@dataclass
class Scene:
    """Meshes in the city's metres (z up), each with a ``rgb`` point array.

    Attributes
    ----------
    meshes
        name -> (mesh, opacity), moved by ``-origin``.
    origin
        The city's point (x, y, z in its CRS) at the scene's origin: float32
        (the HTML viewer's precision) is good to millimetres near it.
    title
        Shown above the scene.
    legend
        ``{"label": ..., "low": ..., "high": ...}`` for the colour bar, or None.
    """

    meshes: dict[str, tuple[pv.PolyData, float]] = field(default_factory=dict)
    origin: tuple[float, float, float] = (0.0, 0.0, 0.0)
    title: str = ""
    legend: dict | None = None

    def add(self, name: str, mesh: pv.PolyData, rgb, *, opacity: float = 1.0) -> None:
        if mesh.n_points == 0:
            return
        mesh = mesh.translate([-v for v in self.origin], inplace=False)
        colours = np.asarray(rgb, dtype=np.uint8)
        mesh.point_data["rgb"] = np.broadcast_to(colours, (mesh.n_points, 3)).copy() if colours.ndim == 1 else colours
        self.meshes[name] = (mesh, opacity)


def _rings(geometry) -> list[np.ndarray]:
    polygons = geometry.geoms if isinstance(geometry, MultiPolygon) else [geometry]
    return [np.asarray(p.exterior.coords)[:-1, :2] for p in polygons if isinstance(p, Polygon) and not p.is_empty]


def _flat(geometries, z: float) -> pv.PolyData:
    """Polygons (exteriors) as one triangulated mesh at height ``z``."""
    pieces = [pv.PolyData(np.column_stack([ring, np.full(len(ring), z)]), faces=[len(ring), *range(len(ring))])
              for geometry in geometries for ring in _rings(geometry) if len(ring) >= 3]
    return pv.merge(pieces).triangulate() if pieces else pv.PolyData()


def _extruded(geometries, heights) -> pv.PolyData:
    """Polygons extruded from the ground to their height (closed prisms)."""
    pieces = []
    for geometry, height in zip(geometries, heights):
        for ring in _rings(geometry):
            if len(ring) >= 3:
                base = pv.PolyData(np.column_stack([ring, np.zeros(len(ring))]),
                                   faces=[len(ring), *range(len(ring))]).triangulate()
                if base.n_cells:  # a degenerate outline has nothing to extrude
                    pieces.append(base.extrude((0.0, 0.0, float(height)), capping=True))
    return pv.merge(pieces).triangulate() if pieces else pv.PolyData()


def _lines(geometries, z: float) -> pv.PolyData:
    pieces = []
    for geometry in geometries:
        for line in getattr(geometry, "geoms", [geometry]):
            xy = np.asarray(line.coords)[:, :2]
            if len(xy) >= 2:
                pieces.append(pv.lines_from_points(np.column_stack([xy, np.full(len(xy), z)])))
    return pv.merge(pieces) if pieces else pv.PolyData()


def benefit_colours(values: np.ndarray, scale: float) -> np.ndarray:
    """uint8 RGB: blue for a gain, red for a loss, pale near zero (as the app's maps)."""
    scaled = 0.5 + 0.5 * np.clip(np.asarray(values, float) / max(scale, 1e-12), -1, 1)
    return (np.asarray(colormaps["RdBu"](scaled))[:, :3] * 255).astype(np.uint8)


def city_scene(
    basemap: Basemap,
    *,
    cells: gpd.GeoDataFrame | None = None,
    unit: str = "",
    facilities: pd.DataFrame | None = None,
    title: str = "",
) -> Scene:
    """The city in 3D, with the benefit per area as columns.

    Parameters
    ----------
    basemap
        In the city's projected CRS (:meth:`Basemap.to_crs`).
    cells
        Shown cells only (:func:`twin.viz.gis.area_frame` rows of one scenario
        and metric, in the same CRS): a column per cell on its centre, its
        height and colour the mean benefit; suppressed cells are not there.
    unit
        What the mean is in (the legend's label).
    facilities
        ``service``, ``x_m``, ``y_m``: a small pin per facility.
    """
    bounds = np.array(basemap.streets.total_bounds if len(basemap.streets) else basemap.buildings.total_bounds)
    centre = ((bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2)
    scene = Scene(title=title, origin=(*centre, 0.0))
    pad = 100.0
    ground = pv.Plane(center=(*centre, -0.5),
                      i_size=bounds[2] - bounds[0] + 2 * pad, j_size=bounds[3] - bounds[1] + 2 * pad).triangulate()
    scene.add("ground", ground, COLOURS["ground"])
    scene.add("parks", _flat(basemap.parks.geometry, 0.2), COLOURS["park"])
    scene.add("water", _flat(basemap.water.geometry, 0.3), COLOURS["water"])
    scene.add("buildings", _extruded(basemap.buildings.geometry, basemap.buildings["height_m"]),
              COLOURS["building"])
    drawn = basemap.streets[~basemap.streets["highway"].isin(STREET_CLASSES["path"])]
    scene.add("streets", _lines(drawn.geometry, 0.6), COLOURS["street"])
    if facilities is not None and len(facilities):
        pins = [pv.Cube(center=(x, y, 12.0), x_length=8, y_length=8, z_length=24).triangulate()
                for x, y in zip(facilities["x_m"], facilities["y_m"])]
        colours = np.concatenate([np.tile(SERVICE_COLOURS.get(s, (0, 0, 0)), (p.n_points, 1))
                                  for s, p in zip(facilities["service"], pins)])
        scene.add("facilities", pv.merge(pins), colours)
    return with_benefit(scene, cells, unit=unit) if cells is not None else scene


def with_benefit(scene: Scene, cells: gpd.GeoDataFrame, *, unit: str, title: str | None = None) -> Scene:
    """``scene`` (not changed) with a column per shown cell, its height and
    colour the mean benefit, and the colour bar; the city's meshes are shared,
    so one city scene serves every scenario."""
    result = Scene(meshes=dict(scene.meshes), origin=scene.origin,
                   title=scene.title if title is None else title)
    result.meshes.pop("benefit", None)
    if not len(cells):
        return result
    values = cells["mean"].to_numpy(float)
    scale = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() and np.abs(values).max() > 0 else 1.0
    width = float(cells["cell_m"].iloc[0]) * 0.45
    centres = cells.geometry.centroid
    columns = [pv.Cube(center=(c.x, c.y, h / 2), x_length=width, y_length=width, z_length=h).triangulate()
               for c, h in zip(centres, np.maximum(np.abs(values) / scale * COLUMN_MAX_M, 1.0))]
    colours = np.concatenate([np.tile(rgb, (p.n_points, 1))
                              for rgb, p in zip(benefit_colours(values, scale), columns)])
    result.add("benefit", pv.merge(columns), colours, opacity=0.9)
    result.legend = {"label": unit, "low": -scale, "high": scale}
    return result


def plotter(scene: Scene, *, size: tuple[int, int] = (1400, 1000)) -> pv.Plotter:
    """An offscreen PyVista plotter showing ``scene`` from the south-west, above."""
    if not os.environ.get("DISPLAY"):  # no X server: render through EGL (e.g. Mesa's llvmpipe)
        os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
    plot = pv.Plotter(off_screen=True, window_size=list(size))
    plot.set_background("white")
    for name, (mesh, opacity) in scene.meshes.items():
        plot.add_mesh(mesh, scalars="rgb", rgb=True, opacity=opacity, line_width=2 if name == "streets" else 1,
                      smooth_shading=False, show_scalar_bar=False)
    if scene.legend is not None:
        lut = pv.LookupTable(cmap="RdBu", scalar_range=(scene.legend["low"], scene.legend["high"]))
        bar = pv.PolyData(np.zeros((2, 3)))  # invisible, at the origin: carries the colour bar
        bar["benefit"] = [scene.legend["low"], scene.legend["high"]]
        plot.add_mesh(bar, scalars="benefit", cmap=lut, opacity=0.0, show_scalar_bar=True,
                      scalar_bar_args={"title": scene.legend["label"], "n_labels": 3, "fmt": "%+.1f",
                                       "title_font_size": 22, "label_font_size": 20, "color": "black",
                                       "position_x": 0.25, "width": 0.5})
    if scene.title:
        plot.add_text(scene.title, position="upper_left", font_size=14, color="black")
    plot.view_isometric()
    plot.camera.elevation = -10
    plot.camera.zoom(1.3)
    return plot


def render_png(scene: Scene, path: str | Path, *, size: tuple[int, int] = (1400, 1000)) -> Path:
    """Render ``scene`` offscreen to a PNG file."""
    plot = plotter(scene, size=size)
    try:
        plot.screenshot(str(path))
    finally:
        plot.close()
    return Path(path)


def _payload(scene: Scene) -> list[dict]:
    """Each mesh as base64 arrays: positions and normals (float32), colours
    (uint8 RGB), and triangle or line indices (uint32)."""
    meshes = []
    for name, (mesh, opacity) in scene.meshes.items():
        lines = mesh.n_lines > 0 and mesh.faces.size == 0
        if lines:
            cells = mesh.lines.reshape(-1)
            segments, i = [], 0
            while i < len(cells):
                n = cells[i]
                ids = cells[i + 1:i + 1 + n]
                segments.extend(np.column_stack([ids[:-1], ids[1:]]).ravel())
                i += n + 1
            indices = np.asarray(segments, dtype=np.uint32)
            normals = np.tile([0.0, 0.0, 1.0], (mesh.n_points, 1))
            points, rgb = mesh.points, mesh.point_data["rgb"]
        else:
            shaded = mesh.compute_normals(split_vertices=True, feature_angle=30.0, auto_orient_normals=False)
            points, rgb = shaded.points, shaded.point_data["rgb"]
            normals = shaded.point_data["Normals"]
            indices = shaded.faces.reshape(-1, 4)[:, 1:].ravel().astype(np.uint32)

        def b64(array, dtype):
            return base64.b64encode(np.ascontiguousarray(array, dtype=dtype).tobytes()).decode("ascii")

        meshes.append({"name": name, "lines": bool(lines), "opacity": opacity,
                       "points": b64(points, np.float32), "normals": b64(normals, np.float32),
                       "rgb": b64(rgb, np.uint8), "indices": b64(indices, np.uint32)})
    return meshes


def export_html(scene: Scene, path: str | Path) -> Path:
    """Write ``scene`` as one HTML file that opens offline: drag to turn,
    wheel to zoom, shift-drag to move."""
    legend = ""
    if scene.legend is not None:
        stops = ", ".join(f"rgb({r},{g},{b})" for r, g, b in benefit_colours(np.linspace(-1, 1, 9), 1.0))
        legend = (f"<div id='legend'><div class='bar' style='background:linear-gradient(to right, {stops})'>"
                  f"</div><div class='ends'><span>{scene.legend['low']:+.1f}</span><span>0</span>"
                  f"<span>{scene.legend['high']:+.1f}</span></div><div>{html.escape(scene.legend['label'])}"
                  "</div></div>")
    page = _VIEWER.replace("__TITLE__", html.escape(scene.title)).replace("__LEGEND__", legend)
    page = page.replace("__MESHES__", json.dumps(_payload(scene)))
    Path(path).write_text(page, encoding="utf-8")
    return Path(path)


_VIEWER = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>__TITLE__</title>
<style>html,body{margin:0;height:100%;font-family:system-ui,sans-serif;background:#fff}
canvas{width:100%;height:100%;display:block}
#title{position:absolute;top:12px;left:16px;font-size:22px;font-weight:600}
#help{position:absolute;bottom:10px;left:16px;color:#555;font-size:14px}
#legend{position:absolute;bottom:36px;left:50%;transform:translateX(-50%);text-align:center;font-size:18px;
background:rgba(255,255,255,.85);padding:8px 14px;border-radius:6px}
#legend .bar{width:360px;height:18px;border-radius:3px}#legend .ends{display:flex;justify-content:space-between}
</style></head><body><canvas id="c"></canvas><div id="title">__TITLE__</div>__LEGEND__
<div id="help">Drag to turn, wheel to zoom, shift-drag to move.</div>
<script>
const meshes = __MESHES__;
const canvas = document.getElementById('c');
const gl = canvas.getContext('webgl', {antialias: true, preserveDrawingBuffer: true});
if (!gl) { document.getElementById('help').textContent = 'This browser cannot show 3D (no WebGL).'; }
gl.getExtension('OES_element_index_uint');
function decode(text, Type) { const bytes = Uint8Array.from(atob(text), c => c.charCodeAt(0));
  return new Type(bytes.buffer); }
const vs = `attribute vec3 p; attribute vec3 n; attribute vec3 c; uniform mat4 m; varying vec3 col;
  void main(){ float l = 0.55 + 0.45*abs(dot(normalize(n), normalize(vec3(0.4,-0.6,0.7))));
  col = c/255.0*l; gl_Position = m*vec4(p,1.0); }`;
const fs = `precision mediump float; varying vec3 col; uniform float a; void main(){ gl_FragColor = vec4(col,a); }`;
function shader(type, src){ const s = gl.createShader(type); gl.shaderSource(s, src); gl.compileShader(s); return s; }
const prog = gl.createProgram(); gl.attachShader(prog, shader(gl.VERTEX_SHADER, vs));
gl.attachShader(prog, shader(gl.FRAGMENT_SHADER, fs)); gl.linkProgram(prog); gl.useProgram(prog);
let lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
const drawn = meshes.map(mesh => {
  const p = decode(mesh.points, Float32Array);
  for (let i = 0; i < p.length; i += 3) for (let k = 0; k < 3; k++) { lo[k] = Math.min(lo[k], p[i+k]); hi[k] = Math.max(hi[k], p[i+k]); }
  const buf = (data, target) => { const b = gl.createBuffer(); gl.bindBuffer(target, b); gl.bufferData(target, data, gl.STATIC_DRAW); return b; };
  const rgb = Float32Array.from(decode(mesh.rgb, Uint8Array));
  const idx = decode(mesh.indices, Uint32Array);
  return {mesh, p: buf(p, gl.ARRAY_BUFFER), n: buf(decode(mesh.normals, Float32Array), gl.ARRAY_BUFFER),
          c: buf(rgb, gl.ARRAY_BUFFER), i: buf(idx, gl.ELEMENT_ARRAY_BUFFER), count: idx.length};
});
const centre = [0,1,2].map(k => (lo[k] + hi[k]) / 2);
const size = Math.max(hi[0] - lo[0], hi[1] - lo[1]);
let yaw = -0.6, pitch = 0.75, distance = 1.3 * size, pan = [0, 0];
function multiply(a, b){ const r = new Float32Array(16);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) { let s = 0; for (let k = 0; k < 4; k++) s += a[k*4+j]*b[i*4+k]; r[i*4+j] = s; } return r; }
function matrix(){
  const aspect = canvas.width / canvas.height, f = 1 / Math.tan(0.4), near = size / 100, far = size * 10;
  const proj = new Float32Array([f/aspect,0,0,0, 0,f,0,0, 0,0,(far+near)/(near-far),-1, 0,0,2*far*near/(near-far),0]);
  const cy = Math.cos(yaw), sy = Math.sin(yaw), cp = Math.cos(pitch), sp = Math.sin(pitch);
  const eye = [centre[0] + pan[0] + distance*cp*sy, centre[1] + pan[1] - distance*cp*cy, centre[2] + distance*sp];
  const target = [centre[0] + pan[0], centre[1] + pan[1], centre[2]];
  const z = [0,1,2].map(k => eye[k] - target[k]); const zl = Math.hypot(...z); for (let k = 0; k < 3; k++) z[k] /= zl;
  const up = [0, 0, 1]; let x = [up[1]*z[2]-up[2]*z[1], up[2]*z[0]-up[0]*z[2], up[0]*z[1]-up[1]*z[0]];
  const xl = Math.hypot(...x); x = x.map(v => v / xl); const y = [z[1]*x[2]-z[2]*x[1], z[2]*x[0]-z[0]*x[2], z[0]*x[1]-z[1]*x[0]];
  const dot = (a, b) => a[0]*b[0] + a[1]*b[1] + a[2]*b[2];
  const view = new Float32Array([x[0],y[0],z[0],0, x[1],y[1],z[1],0, x[2],y[2],z[2],0, -dot(x,eye),-dot(y,eye),-dot(z,eye),1]);
  return multiply(proj, view);
}
function draw(){
  canvas.width = canvas.clientWidth * devicePixelRatio; canvas.height = canvas.clientHeight * devicePixelRatio;
  gl.viewport(0, 0, canvas.width, canvas.height); gl.clearColor(1,1,1,1);
  gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT); gl.enable(gl.DEPTH_TEST);
  gl.enable(gl.BLEND); gl.blendFunc(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA);
  gl.uniformMatrix4fv(gl.getUniformLocation(prog, 'm'), false, matrix());
  for (const d of drawn) {
    for (const [name, b] of [['p', d.p], ['n', d.n], ['c', d.c]]) {
      const loc = gl.getAttribLocation(prog, name); gl.bindBuffer(gl.ARRAY_BUFFER, b);
      gl.enableVertexAttribArray(loc); gl.vertexAttribPointer(loc, 3, gl.FLOAT, false, 0, 0); }
    gl.uniform1f(gl.getUniformLocation(prog, 'a'), d.mesh.opacity);
    gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, d.i);
    gl.drawElements(d.mesh.lines ? gl.LINES : gl.TRIANGLES, d.count, gl.UNSIGNED_INT, 0);
  }
}
let drag = null;
canvas.addEventListener('mousedown', e => drag = {x: e.clientX, y: e.clientY, shift: e.shiftKey});
window.addEventListener('mouseup', () => drag = null);
window.addEventListener('mousemove', e => { if (!drag) return;
  const dx = e.clientX - drag.x, dy = e.clientY - drag.y; drag.x = e.clientX; drag.y = e.clientY;
  if (drag.shift) { const s = distance / 800; pan[0] -= (dx*Math.cos(yaw) + dy*Math.sin(yaw))*s; pan[1] += (dy*Math.cos(yaw) - dx*Math.sin(yaw))*s; }
  else { yaw -= dx * 0.005; pitch = Math.min(1.5, Math.max(0.1, pitch + dy * 0.005)); }
  draw(); });
canvas.addEventListener('wheel', e => { e.preventDefault(); distance *= Math.exp(e.deltaY * 0.001); draw(); }, {passive: false});
window.addEventListener('resize', draw);
draw();
</script></body></html>
"""
