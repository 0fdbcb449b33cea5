"""Fixtures for the city tests: real extracts, a tiny hand-written OSM XML
city, and a private cache directory (never the user's cache)."""

from __future__ import annotations

from pathlib import Path

import pytest
from grid_city import grid_city_xml

from twin.city import City, load_city

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
ANDORRA_PBF = SHARED_DATA / "osm" / "andorra.osm.pbf"
PORTO_PBF = SHARED_DATA / "osm" / "porto_portugal.osm.pbf"
HELSINKI_POPULATION = SHARED_DATA / "population" / "helsinki_population_grid_2020.gpkg"


def _shared(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"shared test data absent: {path} (see ../shared/data/SOURCES.md)")
    return path


@pytest.fixture(scope="session")
def andorra_pbf() -> Path:
    return _shared(ANDORRA_PBF)


@pytest.fixture(scope="session")
def porto_pbf() -> Path:
    return _shared(PORTO_PBF)


@pytest.fixture(scope="session")
def helsinki_population() -> Path:
    return _shared(HELSINKI_POPULATION)


@pytest.fixture(scope="session")
def city_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("city-cache")


@pytest.fixture(scope="session")
def helsinki(city_cache) -> City:
    return load_city("helsinki", cache_dir=city_cache)


@pytest.fixture(scope="session")
def grid_osm(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("grid") / "grid.osm"
    path.write_text(grid_city_xml(), encoding="utf-8")
    return path
