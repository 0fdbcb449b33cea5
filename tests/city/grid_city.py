"""A tiny hand-written OSM XML city for the city tests (a module of its own,
so test files can import it whatever conftest Python has loaded)."""

from __future__ import annotations


def grid_city_xml() -> str:
    """A 4 x 4 block grid (~100 m blocks) near Helsinki: residential streets,
    one footway with steps, a cobbled footway, a drinking-water point, a
    clinic, a bus stop and two houses."""
    lat0, lon0, step = 60.17, 24.94, 0.001
    nodes, ways = [], []
    node_id = {}
    for i in range(5):
        for j in range(5):
            node_id[i, j] = 1000 + 10 * i + j
            nodes.append(f'<node id="{node_id[i, j]}" lat="{lat0 + i * step * 0.5:.6f}" lon="{lon0 + j * step:.6f}"/>')
    way = 1
    for i in range(5):  # east-west streets
        refs = "".join(f'<nd ref="{node_id[i, j]}"/>' for j in range(5))
        ways.append(f'<way id="{way}">{refs}<tag k="highway" v="residential"/><tag k="maxspeed" v="30"/></way>')
        way += 1
    for j in range(5):  # north-south streets; column 2 is a footway with steps in the middle
        if j == 2:
            for i in range(4):
                kind = "steps" if i == 1 else "footway"
                extra = '<tag k="surface" v="cobblestone"/><tag k="incline" v="10%"/>' if i == 2 else ""
                ways.append(f'<way id="{way}"><nd ref="{node_id[i, j]}"/><nd ref="{node_id[i + 1, j]}"/>'
                            f'<tag k="highway" v="{kind}"/>{extra}</way>')
                way += 1
            continue
        refs = "".join(f'<nd ref="{node_id[i, j]}"/>' for i in range(5))
        ways.append(f'<way id="{way}">{refs}<tag k="highway" v="residential"/></way>')
        way += 1
    pois = [
        (9001, 60.1705, 24.9405, "amenity", "drinking_water"),
        (9002, 60.1715, 24.9425, "amenity", "clinic"),
        (9003, 60.1702, 24.9432, "highway", "bus_stop"),
    ]
    for pid, lat, lon, key, value in pois:
        nodes.append(f'<node id="{pid}" lat="{lat}" lon="{lon}"><tag k="{key}" v="{value}"/></node>')
    # two houses as closed ways (20 m x 20 m)
    for b, (lat, lon) in enumerate([(60.1703, 24.9412), (60.1708, 24.9418)]):
        corners = [(lat, lon), (lat, lon + 0.00036), (lat + 0.00018, lon + 0.00036), (lat + 0.00018, lon)]
        ids = [8000 + 10 * b + k for k in range(4)]
        nodes += [f'<node id="{n}" lat="{a:.6f}" lon="{o:.6f}"/>' for n, (a, o) in zip(ids, corners)]
        refs = "".join(f'<nd ref="{n}"/>' for n in [*ids, ids[0]])
        ways.append(f'<way id="{500 + b}">{refs}<tag k="building" v="house"/><tag k="building:levels" v="2"/></way>')
    body = "\n".join(nodes + ways)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="twin tests">\n{body}\n</osm>\n'
