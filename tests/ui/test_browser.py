"""End to end in a real browser: `streamlit run app.py` as a planner starts it,
headless Chromium driven by Playwright, a comparison run through the page.

What AppTest cannot see is checked here: the who-benefits chart is drawn
(vega's SVG marks, one bar per quintile and scenario), the maps are drawn on
the city's own basemap (plotly's SVG with the basemap picture under the
layers), and the page fetches nothing from any server but the app's own (no
map tiles, no fonts, nothing failed). Screenshots of the City page and of the results are left in
tests/artifacts/ (ui_city.png, ui_compare.png: for a person to look at;
git-ignored).

Skips, saying why, only when Playwright is not importable or no Chromium is
at /usr/bin/chromium (or $TWIN_CHROMIUM).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from pathlib import Path

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


@pytest.fixture
def server(tmp_path):
    """`streamlit run app.py` on a free port; yields its URL."""
    from twin.city import load_city

    with warnings.catch_warnings():  # compile the city into the test session's cache first
        warnings.simplefilter("ignore", UserWarning)
        load_city("helsinki")
    port = _free_port()
    log = tmp_path / "streamlit.log"
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


def test_compare_in_a_real_browser(server, tmp_path):
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed "
                                     "(pip install -e '.[test]')")
    if not CHROMIUM.is_file():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set TWIN_CHROMIUM)")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / ".gitignore").write_text("*\n")

    with playwright.sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1400, "height": 1000})
        try:
            page = browser.new_page()
            page.set_default_timeout(60_000)
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
                assert page.get_by_text("Wheelchair users: paratransit_multi_stop").is_visible()
            _full_page_screenshot(page, ARTIFACTS / "ui_compare.png")
            assert elapsed < 60, f"results took {elapsed:.0f} s after pressing run"
            network.assert_offline()
            print(f"results {elapsed:.1f} s after pressing run; {bars.count()} bars")
        finally:
            browser.close()
