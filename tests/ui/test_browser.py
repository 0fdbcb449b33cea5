"""End to end in a real browser: `streamlit run app.py` as a planner starts it,
headless Chromium driven by Playwright: a comparison run through the Compare
page, and a resident's click on the Workshop map.

What AppTest cannot see is checked here: the who-benefits chart is drawn
(vega's SVG marks, one bar per quintile and scenario), the maps are drawn on
the city's own basemap (plotly's SVG with the basemap picture under the
layers), a click on the workshop map places an access centre and the results
follow within seconds, the saved proposals give the page's figures again
through twin.api, and the pages fetch nothing from any server but the app's
own (no map tiles, no fonts, nothing failed). Screenshots are left in
tests/artifacts/ (ui_city.png, ui_compare.png, ui_workshop.png: for a person
to look at; git-ignored).

Skips, saying why, only when Playwright is not importable or no Chromium is
at /usr/bin/chromium (or $TWIN_CHROMIUM).
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

from apptools import APP

CHROMIUM = Path(os.environ.get("TWIN_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, server: subprocess.Popen, log: Path, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"streamlit exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.25)
    raise AssertionError(f"streamlit did not become healthy in {timeout_s} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`streamlit run app.py` on a free port (one server for the module's
    tests, as several residents' browsers share one); yields its URL."""
    from twin.city import load_city
    from twin.viz.basemap import load_basemap

    with warnings.catch_warnings():  # compile the city and its map into the test session's cache first
        warnings.simplefilter("ignore", UserWarning)
        load_city("helsinki")
        load_basemap("helsinki")
    port = _free_port()
    log = tmp_path_factory.mktemp("streamlit") / "streamlit.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1",
             "--browser.gatherUsageStats", "false"],
            cwd=APP.parent, stdout=out, stderr=subprocess.STDOUT, env=os.environ.copy())
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Network:
    """Every request a page makes that goes elsewhere than the app, or fails,
    and the browser console's errors."""

    def __init__(self, page, server: str) -> None:
        self.elsewhere: list[str] = []
        self.failed: list[str] = []
        self.console: list[str] = []
        local = (server, "data:", "blob:", "about:")
        page.on("request", lambda r: None if r.url.startswith(local) else self.elsewhere.append(r.url))
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url}: {r.failure}"))
        page.on("response", lambda r: self.failed.append(f"{r.url}: {r.status}") if r.status >= 400 else None)
        page.on("console", lambda m: self.console.append(m.text) if m.type == "error" else None)

    def assert_offline(self) -> None:
        assert not self.elsewhere, f"the app fetched from elsewhere: {self.elsewhere[:5]}"
        assert not self.failed, f"failed requests: {self.failed[:5]}"
        fetches = [m for m in self.console if "Failed to load" in m or "net::" in m]
        assert not fetches, f"failed fetches in the console: {fetches[:5]}"


def basemap_on(page, container: str):
    """The basemap picture of the plotly map in ``.st-key-<container>``, once drawn."""
    image = page.locator(f'.st-key-{container} [data-testid="stPlotlyChart"] g.imagelayer image')
    image.first.wait_for(state="attached")
    assert image.first.get_attribute("href").startswith("data:image/png;base64,")
    return image.first


def _full_page_screenshot(page, path: Path) -> None:
    """Streamlit scrolls inside its main block: grow the viewport to the
    content, then shoot."""
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('[data-testid=stMain] *')].map(e => e.scrollHeight))")
    page.set_viewport_size({"width": 1400, "height": min(int(height) + 80, 12000)})
    page.wait_for_timeout(1500)  # let charts and the map redraw at the new size
    page.screenshot(path=str(path))


@contextlib.contextmanager
def chromium(tmp_path, *, width: int = 1400, height: int = 1000):
    """Headless Debian Chromium driven by Playwright (skips, saying why, without either)."""
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed "
                                     "(pip install -e '.[test]')")
    if not CHROMIUM.is_file():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set TWIN_CHROMIUM)")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / ".gitignore").write_text("*\n")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), headless=True,
            args=CHROMIUM_ARGS, viewport={"width": width, "height": height}, accept_downloads=True)
        try:
            yield browser
        finally:
            browser.close()


def test_compare_in_a_real_browser(server, tmp_path):
    with chromium(tmp_path) as browser:
        page = browser.new_page()
        page.set_default_timeout(180_000)  # a wait, not a speed check: a loaded CI machine is slow
        network = Network(page, server)
        page.goto(server)  # the City page: Helsinki's streets, facilities and homes on a map
        box = basemap_on(page, "city_map_box").bounding_box()
        assert box["width"] > 300 and box["height"] > 300, box  # the basemap fills the map
        assert page.locator(".st-key-city_map_box g.scatterlayer g.trace").count() >= 3
        assert page.get_by_role("heading", name="City").count() >= 1
        _full_page_screenshot(page, ARTIFACTS / "ui_city.png")
        page.set_viewport_size({"width": 1400, "height": 1000})

        page.get_by_role("link", name="Compare").click()  # as a planner does (a deep link
        # makes Streamlit probe /compare/_stcore/ for its base path: two 404s of its own)
        run = page.get_by_role("button", name="Run comparison")
        run.wait_for()
        picked = page.locator(".st-key-compare_pick").inner_text()
        start = time.monotonic()
        run.click()

        chart = page.locator('.st-key-who_benefits [data-testid="stVegaLiteChart"] svg.marks')
        chart.wait_for(timeout=120_000)
        elapsed = time.monotonic() - start
        page.get_by_text("Done in").wait_for()
        bars = chart.locator("g.mark-rect path")
        assert bars.count() >= 5, "the who-benefits chart has no bars"
        assert page.get_by_text("go to the richest 40% (Q4-Q5)").count() + page.get_by_text(
            "no clear time saving").count() >= 1, "no plain-language reading under the chart"
        basemap_on(page, "benefit_area")
        assert page.locator(".st-key-benefit_area g.shapelayer path").count() >= 1  # cells drawn
        if "paratransit_multi_stop" in picked and "paratransit_single_stop" in picked:
            page.get_by_role("tab", name="Mobility").click()
            # both services side by side for the mobility group that gains most (a model result)
            side_by_side = page.get_by_text(re.compile(r"^\S.*: paratransit_multi_stop \S+, paratransit_single_stop "))
            assert side_by_side.first.is_visible()
        _full_page_screenshot(page, ARTIFACTS / "ui_compare.png")
        network.assert_offline()
        print(f"results {elapsed:.1f} s after pressing run; {bars.count()} bars")


def shown_figures(page, scenario: str) -> dict[str, tuple[float, float, float]]:
    """The workshop table's figures for ``scenario``: ``dimension:group`` ->
    (mean, low, high) as the page holds them (``data-*`` of each cell)."""
    cells = page.locator(f".st-key-workshop_results td[data-scenario='{scenario}']")
    out = {}
    for i in range(cells.count()):
        cell = cells.nth(i)
        if cell.get_attribute("data-mean") is not None:
            out[cell.get_attribute("data-group")] = tuple(
                float(cell.get_attribute(f"data-{name}")) for name in ("mean", "low", "high"))
    return out


def test_a_resident_places_an_access_centre_and_sees_who_gains(server, tmp_path):
    """Click the map, see the results within seconds, save the proposal: the
    saved YAML run through twin.api gives the very figures the page shows."""
    import twin
    from twin.scenario import load_scenario
    from twin.ui.workshop import REPLICATIONS

    with chromium(tmp_path, width=1600, height=1100) as browser:
        page = browser.new_page()
        page.set_default_timeout(180_000)  # a wait, not a speed check: a loaded CI machine is slow
        network = Network(page, server)
        page.goto(server)
        page.get_by_role("link", name="Workshop").click()
        basemap_on(page, "workshop_map_box")
        assert page.locator(".st-key-place_kind [aria-checked=true]").inner_text() == "Access centre"
        page.locator(".st-key-workshop_results td[data-scenario='access_centres']").first.wait_for(
            timeout=120_000)  # the planners' option, beside the residents' proposals

        sites = page.locator(".st-key-workshop_map_box g.scatterlayer g.trace").first.locator("path.point")
        box = sites.nth(sites.count() // 2).bounding_box()
        start = time.monotonic()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.locator(".st-key-workshop_results td[data-scenario='proposal_1']").first.wait_for()
        page.locator(".st-key-workshop_results").get_by_text("1 access centre").wait_for()
        elapsed = time.monotonic() - start
        page.locator(".st-key-workshop_map_box g.scatterlayer g.trace text").first.wait_for()  # the marker's label
        page.wait_for_timeout(800)  # let the map redraw before the picture
        page.screenshot(path=str(ARTIFACTS / "ui_workshop.png"))
        shown = shown_figures(page, "proposal_1")
        assert "all:all" in shown and len(shown) >= 6, shown
        # a group under k residents is words, not figures
        hidden = page.locator(".st-key-workshop_results td.hidden[data-scenario='proposal_1']")
        assert all(hidden.nth(i).get_attribute("data-mean") is None for i in range(hidden.count()))

        with page.expect_download() as download:
            page.get_by_role("button", name="Save the proposals for the planners (YAML)").click()
        saved = tmp_path / "workshop_proposals.zip"
        download.value.save_as(saved)
        network.assert_offline()

    with zipfile.ZipFile(saved) as archive:
        archive.extractall(tmp_path)
    folder = tmp_path / "workshop_proposals"
    assert sorted(p.name for p in folder.iterdir()) == ["baseline.yaml", "proposal_1.yaml"]
    proposal = load_scenario(folder / "proposal_1.yaml")
    (centres,) = proposal.interventions
    assert centres.kind == "digital_access_centres" and len(centres.sites) == 1
    result = twin.compare(folder, replications=REPLICATIONS)  # what `twin compare` runs on the files
    rows = result.by_group[(result.by_group["scenario"] == "proposal_1")
                           & (result.by_group["metric"] == "minutes_saved_per_week")]
    again = {f"{r.dimension}:{r.group}": (r.mean, r.ci95_low, r.ci95_high) for r in rows.itertuples()}
    for group, figures in shown.items():
        np.testing.assert_allclose(again[group], figures, rtol=1e-12, err_msg=group)
    print(f"workshop: results {elapsed:.1f} s after the click")
