"""The on-disk cache of compiled cities."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest

from twin.city import MODES, SERVICES, cache, load_city
from twin.city.sources import resolve_source

pytestmark = pytest.mark.filterwarnings("ignore:no .* facility found")


def assert_same_city(a, b):
    for mode in MODES:
        for f in dataclasses.fields(a.streets[mode]):
            x, y = getattr(a.streets[mode], f.name), getattr(b.streets[mode], f.name)
            np.testing.assert_array_equal(x, y) if isinstance(x, np.ndarray) else assert_equal(x, y)
    for service in SERVICES:
        fa, fb = a.facilities[service], b.facilities[service]
        for name in ("lon", "lat", "x_m", "y_m", "origin"):
            np.testing.assert_array_equal(getattr(fa, name), getattr(fb, name))
        for mode in MODES:
            np.testing.assert_array_equal(fa.node[mode], fb.node[mode])
    for name in ("home_node", "home_weight", "walk_to_drive"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        assert getattr(a, name).dtype == getattr(b, name).dtype
    for name in ("name", "crs", "home_weight_source", "source_hash", "warnings"):
        assert getattr(a, name) == getattr(b, name)


def assert_equal(x, y):
    assert x == y


def test_second_load_is_equal_and_much_faster(tmp_path):
    start = time.perf_counter()
    first = load_city("helsinki", cache_dir=tmp_path)
    cold_s = time.perf_counter() - start
    start = time.perf_counter()
    second = load_city("helsinki", cache_dir=tmp_path)
    cached_s = time.perf_counter() - start
    assert_same_city(first, second)
    assert cold_s > 10 * cached_s, (cold_s, cached_s)
    assert len(list(tmp_path.glob("*.npz"))) == 1
    assert not list(tmp_path.glob(".*.tmp"))


def test_cache_dir_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("TWIN_CACHE_DIR", str(tmp_path / "env"))
    assert cache.cache_root() == tmp_path / "env"
    assert cache.cache_root(tmp_path / "explicit") == tmp_path / "explicit"
    monkeypatch.delenv("TWIN_CACHE_DIR")
    assert cache.cache_root().name == "cities"


def test_key_changes_with_code_and_content(tmp_path, grid_osm):
    source = resolve_source(grid_osm)
    key = cache.cache_key(source, code="a")
    assert key == cache.cache_key(source, code="a")
    assert key != cache.cache_key(source, code="b")
    copy = tmp_path / "grid.osm"
    copy.write_bytes(grid_osm.read_bytes())
    assert cache.cache_key(resolve_source(copy), code="a") == key  # content, not path
    copy.write_bytes(grid_osm.read_bytes().replace(b'v="30"', b'v="40"'))
    assert cache.cache_key(resolve_source(copy), code="a") != key
    facilities = tmp_path / "f.csv"
    facilities.write_text("lon,lat,service\n24.94,60.17,water\n")
    with_file = cache.cache_key(source, facility_files=[facilities], code="a")
    assert with_file != key
    facilities.write_text("lon,lat,service\n24.94,60.17,food\n")
    assert cache.cache_key(source, facility_files=[facilities], code="a") != with_file
    assert cache.cache_key(source, population_grid=facilities, code="a") not in (key, with_file)


def test_code_version_covers_every_city_module():
    import twin.city

    version = cache.code_version()
    assert len(version) == 64 and version == cache.code_version()
    modules = {p.name for p in __import__("pathlib").Path(twin.city.__file__).parent.glob("*.py")}
    assert {"sources.py", "streets.py", "facilities.py", "homes.py", "compile.py", "cache.py"} <= modules


@pytest.mark.parametrize("damage", [b"", b"not a zip file", None])
def test_corrupt_entry_is_rebuilt(grid_osm, tmp_path, damage):
    city = load_city(grid_osm, cache_dir=tmp_path)
    (entry,) = tmp_path.glob("*.npz")
    data = entry.read_bytes()
    entry.write_bytes(data[: len(data) // 2] if damage is None else damage)
    rebuilt = load_city(grid_osm, cache_dir=tmp_path)
    assert_same_city(city, rebuilt)
    assert cache.load(tmp_path, city.source_hash) is not None  # rewritten whole


def test_interrupted_write_leaves_no_entry(grid_osm, tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", interrupted)
    with pytest.raises(KeyboardInterrupt):
        load_city(grid_osm, cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_use_cache_false_neither_reads_nor_writes(grid_osm, tmp_path):
    load_city(grid_osm, cache_dir=tmp_path, use_cache=False)
    assert not tmp_path.exists() or list(tmp_path.iterdir()) == []


def test_cached_city_takes_the_current_name(grid_osm, tmp_path):
    load_city(grid_osm, cache_dir=tmp_path / "cache")
    renamed = tmp_path / "renamed.osm"
    renamed.write_bytes(grid_osm.read_bytes())
    assert load_city(renamed, cache_dir=tmp_path / "cache").name == "renamed"


def test_unwritable_cache_still_returns_the_city(grid_osm, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    city = load_city(grid_osm, cache_dir=blocker / "cache")
    assert city.streets["walk"].n_nodes == 25
