"""A small real comparison on Helsinki, its benefit by area and the city's basemap."""

from pathlib import Path

import pytest

from twin.experiments.compare import compare
from twin.scenario import load_scenario
from twin.viz.areas import benefit_by_area
from twin.viz.basemap import load_basemap
from twin.viz.gis import area_frame

HELSINKI = Path(__file__).resolve().parents[2] / "scenarios" / "helsinki"


@pytest.fixture(scope="session")
def basemap(helsinki):
    return load_basemap("helsinki").to_crs(helsinki.crs)


@pytest.fixture(scope="session")
def area(helsinki):
    """Benefit by area of the parking app, k = 10 (some cells suppressed)."""
    comparison = compare(load_scenario(HELSINKI / "baseline.yaml"), [load_scenario(HELSINKI / "parking_app.yaml")],
                         replications=2, residents=1500, days=2, seed=1, city=helsinki, progress=False)
    return benefit_by_area(comparison, helsinki, k=10)


@pytest.fixture(scope="session")
def cells(area, helsinki):
    """The shown cells of one scenario and metric, as squares in the city's CRS."""
    frame = area_frame(area, helsinki.crs)
    return frame[frame["metric"] == "minutes_saved_per_week"]
