"""Bad sources give one-line TwinErrors naming the file, never a traceback
from pyrosm or osmnx; no test touches the network."""

from __future__ import annotations

import gzip

import osmnx as ox
import pytest

from twin.city import load_city
from twin.errors import CityError, InputFileError, TwinError


def _one_line(error: TwinError, *names: str) -> str:
    message = str(error)
    assert "\n" not in message
    for name in names:
        assert name in message
    assert error.fix
    return message


def test_missing_file(tmp_path):
    with pytest.raises(InputFileError) as info:
        load_city(tmp_path / "nowhere.osm.pbf", use_cache=False)
    _one_line(info.value, "nowhere.osm.pbf", "not found")


def test_unknown_name_with_a_file_suffix():
    with pytest.raises(InputFileError) as info:
        load_city("porto.osm.pbf", use_cache=False)
    _one_line(info.value, "porto.osm.pbf")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("random.osm.pbf", bytes(range(256)) * 40),
        ("empty.osm.pbf", b""),
        ("empty.osm", b""),
        ("truncated.osm",
         b'<?xml version="1.0"?>\n<osm version="0.6"><node id="1" lat="60.1" lon="24.9"/><way id="2">'),
        ("notxml.osm", b"this is not xml"),
        ("broken.osm.gz", b"\x1f\x8b\x08\x00garbage"),
        ("broken.osm.bz2", b"BZh9garbage"),
        ("bad.graphml", b"<graphml><oops"),
    ],
)
def test_corrupt_or_empty_file(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputFileError) as info:
        load_city(path, use_cache=False)
    _one_line(info.value, name)


def test_valid_xml_without_streets(tmp_path):
    path = tmp_path / "nostreets.osm.gz"
    path.write_bytes(gzip.compress(b'<?xml version="1.0"?>\n<osm version="0.6">'
                                   b'<node id="1" lat="60.1" lon="24.9"/></osm>'))
    with pytest.raises(TwinError) as info:
        load_city(path, use_cache=False)
    _one_line(info.value, "nostreets.osm.gz")


def test_unknown_file_type(tmp_path):
    path = tmp_path / "city.shp"
    path.write_bytes(b"x")
    with pytest.raises(InputFileError) as info:
        load_city(path, use_cache=False)
    _one_line(info.value, "city.shp", ".shp")


def test_place_name_offline(monkeypatch):
    # point osmnx at a closed local port: offline, fast and deterministic
    monkeypatch.setattr(ox.settings, "nominatim_url", "http://127.0.0.1:9/")
    monkeypatch.setattr(ox.settings, "overpass_url", "http://127.0.0.1:9/")
    monkeypatch.setattr(ox.settings, "use_cache", False)
    with pytest.raises(CityError) as info:
        load_city("Atlantis, Nowhere", use_cache=False)
    message = _one_line(info.value, "Atlantis, Nowhere")
    assert ".osm.pbf" in message


def test_a_mode_without_streets_names_the_mode(tmp_path):
    path = tmp_path / "footpaths.osm"
    path.write_text(
        '<?xml version="1.0"?>\n<osm version="0.6">'
        '<node id="1" lat="60.170" lon="24.940"/><node id="2" lat="60.171" lon="24.940"/>'
        '<node id="3" lat="60.171" lon="24.941"/>'
        '<way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="footway"/></way></osm>'
    )
    with pytest.raises(CityError) as info:
        load_city(path, use_cache=False)
    _one_line(info.value, "footpaths.osm", "drive")
