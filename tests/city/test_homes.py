"""Home weights: buildings, population grid, street length."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from twin.city import load_city
from twin.errors import ConfigError

pytestmark = pytest.mark.filterwarnings("ignore:no .* facility found")


def _check(city):
    assert city.home_node.dtype == np.int32
    assert city.home_node.shape == city.home_weight.shape
    assert len(city.home_node) > 0
    assert np.all(city.home_weight > 0)
    assert city.home_node.min() >= 0 and city.home_node.max() < city.streets["walk"].n_nodes
    assert len(np.unique(city.home_node)) == len(city.home_node)


def test_helsinki_homes_from_buildings(helsinki):
    _check(helsinki)
    assert helsinki.home_weight_source == "buildings"


def test_population_grid_overrides_buildings(helsinki_population, city_cache):
    with pytest.warns(UserWarning, match="outside the city"):
        city = load_city("helsinki", population_grid=helsinki_population, cache_dir=city_cache)
    _check(city)
    assert city.home_weight_source == "population_grid"
    cells = gpd.read_file(helsinki_population)
    assert city.home_weight.sum() <= cells["population"].sum() + 1e-6
    # the grid overlaps the extract only in part: the rest is left out, with a warning
    assert any("outside the city" in w for w in city.warnings)


def test_population_grid_cell_without_nodes_goes_to_the_nearest(helsinki, tmp_path, city_cache):
    walk = helsinki.streets["walk"]
    x0, y0 = np.median(walk.x_m), np.median(walk.y_m)
    node = int(np.argmin(np.hypot(walk.x_m - x0, walk.y_m - y0)))
    tiny = box(walk.x_m[node] + 0.1, walk.y_m[node] + 0.1, walk.x_m[node] + 0.2, walk.y_m[node] + 0.2)
    big = box(x0 - 300, y0 - 300, x0 + 300, y0 + 300)
    path = tmp_path / "grid.gpkg"
    gpd.GeoDataFrame({"population": [100.0, 1000.0]}, geometry=[tiny, big], crs=helsinki.crs).to_file(path)
    city = load_city("helsinki", population_grid=path, cache_dir=city_cache)
    np.testing.assert_array_equal(city.streets["walk"].osmid, walk.osmid)  # same graph as without the grid
    assert city.home_weight.sum() == pytest.approx(1100.0)
    weight = dict(zip(city.home_node.tolist(), city.home_weight.tolist()))
    inside = (np.abs(walk.x_m - x0) < 300) & (np.abs(walk.y_m - y0) < 300)
    assert weight[node] == pytest.approx(100.0 + 1000.0 / inside.sum())


def test_population_grid_without_population_column(tmp_path, helsinki, city_cache):
    path = tmp_path / "nopop.gpkg"
    walk = helsinki.streets["walk"]
    gpd.GeoDataFrame({"people": [5]}, geometry=[box(walk.x_m.min(), walk.y_m.min(), walk.x_m.max(),
                                                    walk.y_m.max())], crs=helsinki.crs).to_file(path)
    with pytest.raises(ConfigError, match="nopop.gpkg: population"):
        load_city("helsinki", population_grid=path, cache_dir=city_cache)


def test_street_length_when_buildings_are_sparse(grid_osm, tmp_path):
    """The grid city's two houses lie within 100 m of 56 % of its residential
    street nodes; one house alone, 40 %: too few to say where people live."""
    city = load_city(grid_osm, use_cache=False)
    _check(city)
    assert city.home_weight_source == "buildings"
    sparse = tmp_path / "sparse.osm"
    text = grid_osm.read_text()
    sparse.write_text(text.replace('v="house"', 'v="garage"', 1))
    with pytest.warns(UserWarning, match="street length"):
        city = load_city(sparse, use_cache=False)
    _check(city)
    assert city.home_weight_source == "street_length"


def test_population_grid_csv_points(helsinki, tmp_path, city_cache):
    walk = helsinki.streets["walk"]
    path = tmp_path / "points.csv"
    path.write_text("lon,lat,population\n"
                    f"{walk.lon[10]},{walk.lat[10]},50\n"
                    f"{walk.lon[20]},{walk.lat[20]},30\n"
                    "10.0,50.0,999\n")  # far outside: left out
    with pytest.warns(UserWarning, match="999 of 1079 people"):
        city = load_city("helsinki", population_grid=path, cache_dir=city_cache)
    assert dict(zip(city.home_node.tolist(), city.home_weight.tolist())) == {10: 50.0, 20: 30.0}
