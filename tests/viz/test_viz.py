"""Maps and scenes drawn offline from the city's own OSM data: the basemap's
layers, 2D and 3D pictures checked by their pixels, the HTML scene in a real
headless browser with no network, and GIS files with their CRS."""

from __future__ import annotations

import io
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from PIL import Image

from twin.viz import scene as scenes
from twin.viz.basemap import STREET_CLASSES
from twin.viz.gis import benefit_by_area_files
from twin.viz.maps import basemap_png, benefit_map_png

CHROMIUM = Path(os.environ.get("TWIN_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def share_near(image: np.ndarray, rgb, tolerance: int = 40) -> float:
    """Share of pixels within ``tolerance`` of ``rgb`` on every channel."""
    return float((np.abs(image - np.asarray(rgb)).max(axis=-1) <= tolerance).mean())


def bluish(image: np.ndarray) -> float:
    """Share of pixels coloured as a gain (blue clearly above red)."""
    return float((image[..., 2] - image[..., 0] > 40).mean())


def test_the_basemap_is_the_citys_own_map(basemap, helsinki):
    assert len(basemap.buildings) > 400 and (basemap.buildings["height_m"] >= 2).all()
    assert set(STREET_CLASSES["major"]) & set(basemap.streets["highway"])
    assert len(basemap.parks) > 10 and len(basemap.water) >= 1
    names = set(basemap.labels["name"])
    assert {"Kluuvi", "Kaisaniemi"} <= names  # districts of central Helsinki
    assert "Mannerheimintie" in names  # its main street
    assert basemap.buildings.crs == helsinki.crs


def test_the_2d_benefit_map_shows_the_basemap_and_the_gains(basemap, cells):
    image = pixels(benefit_map_png(basemap, cells, unit="minutes saved per resident-week",
                                   title="parking app", note="k = 10"))
    assert share_near(image, (214, 208, 198), 12) > 0.02  # buildings
    assert share_near(image, (207, 230, 191), 12) > 0.005  # parks
    assert bluish(image) > 0.02  # the parking app saves time: blue cells


def test_the_basemap_picture_fills_its_bounds_at_one_scale(basemap, helsinki):
    walk = helsinki.streets["walk"]
    bounds = (walk.x_m.min(), walk.y_m.min(), walk.x_m.max(), walk.y_m.max())
    image = pixels(basemap_png(basemap, bounds, width_px=600))
    height, width, _ = image.shape
    assert width == 600  # square pixels: the picture has the bounds' aspect
    assert abs(height / width - (bounds[3] - bounds[1]) / (bounds[2] - bounds[0])) < 0.01
    assert share_near(image, (214, 208, 198), 12) > 0.02  # buildings
    assert share_near(image, (207, 230, 191), 12) > 0.005  # parks
    # no margin: a building in the north-east corner of the picture is where it is on the ground
    north_east = basemap.buildings.cx[bounds[2] - 300:bounds[2], bounds[3] - 300:bounds[3]]
    assert len(north_east) and share_near(image[: height // 5, -width // 5:], (214, 208, 198), 12) > 0.02


def test_a_3d_scene_renders_offscreen_with_buildings_and_benefit_columns(basemap, cells, tmp_path):
    scene = scenes.city_scene(basemap, cells=cells, unit="minutes saved per resident-week", title="parking app")
    assert scene.meshes["benefit"][0].n_cells == 12 * len(cells)  # one column per shown cell, no more
    assert scene.meshes["buildings"][0].bounds[5] >= basemap.buildings["height_m"].max() - 1e-6
    image = pixels(scenes.render_png(scene, tmp_path / "scene.png", size=(700, 500)).read_bytes())
    assert (image[5, 5] == 255).all()  # white sky
    assert share_near(image, scenes.COLOURS["building"], 45) > 0.05
    assert bluish(image) > 0.01
    without = scenes.city_scene(basemap, title="no proposal")
    plain = pixels(scenes.render_png(without, tmp_path / "plain.png", size=(700, 500)).read_bytes())
    assert bluish(plain) < bluish(image) / 3  # the blue is the benefit, not the scene


def test_the_html_scene_opens_offline_in_a_headless_browser(basemap, cells, tmp_path):
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if not CHROMIUM.is_file():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set TWIN_CHROMIUM)")
    scene = scenes.city_scene(basemap, cells=cells, unit="minutes saved per resident-week", title="parking app")
    page_file = scenes.export_html(scene, tmp_path / "scene.html")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"])
        try:
            context = browser.new_context(viewport={"width": 1000, "height": 700}, offline=True)
            page = context.new_page()
            problems, requests = [], []
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.on("request", lambda request: requests.append(request.url))
            page.goto(page_file.as_uri())
            page.wait_for_timeout(1000)
            image = pixels(page.locator("canvas").screenshot())
            ARTIFACTS.mkdir(exist_ok=True)
            (ARTIFACTS / ".gitignore").write_text("*\n")
            page.screenshot(path=str(ARTIFACTS / "scene_3d.png"))
            before = image.copy()
            page.mouse.move(500, 350)
            page.mouse.down()
            page.mouse.move(650, 300)
            page.mouse.up()
            turned = pixels(page.locator("canvas").screenshot())
        finally:
            browser.close()
    assert not problems
    assert all(url.startswith("file:") for url in requests)  # nothing fetched: it works offline
    assert share_near(image, scenes.COLOURS["building"], 45) > 0.03
    assert bluish(image) > 0.005
    assert (np.abs(turned - before).max(axis=-1) > 30).mean() > 0.05  # dragging turns the city


def test_benefit_by_area_as_geopackage_and_geoparquet(area, helsinki, tmp_path):
    paths = benefit_by_area_files(area, helsinki.crs, tmp_path)
    for name in ("benefit_by_area.gpkg", "benefit_by_area.parquet"):
        frame = gpd.read_file(paths[name]) if name.endswith(".gpkg") else gpd.read_parquet(paths[name])
        assert frame.crs == helsinki.crs
        assert len(frame) == len(area) and set(frame["cell"]) == set(area["cell"])
        assert np.allclose(frame.area, area.attrs["cell_m"] ** 2)
        assert (frame["k"] == 10).all() and (frame["residents"] >= 10).all()
        centre = frame.geometry.centroid.to_crs("EPSG:4326")
        assert (24.9 < centre.x).all() and (centre.x < 25.0).all() and (60.15 < centre.y).all()
