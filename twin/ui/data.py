"""Everything the pages compute, cached as Streamlit intends.

- The compiled city is one shared, read-only object: :func:`city` is a
  ``st.cache_resource`` (a rerun, another page or another user never builds
  it again; ``load_city``'s disk cache makes even the first build of a
  session quick).
- Results are data: :func:`comparison` (one scenario against the baseline)
  and the tables derived from it are ``st.cache_data`` (each caller gets its
  own copy). A :class:`~twin.experiments.compare.Comparison` is cached as
  plain data (:func:`to_payload`) because its pydantic scenarios do not
  pickle, and rebuilt with :func:`from_payload`.
- Per-user choices live in ``st.session_state`` (:mod:`twin.ui.state`).

Nothing here simulates: it calls :mod:`twin.city`, :mod:`twin.residents`
and :mod:`twin.experiments`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import re
import tempfile
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from twin.city import SERVICES, City, load_city
from twin.errors import InputFileError
from twin.experiments.compare import Comparison, compare
from twin.experiments.report import Tables, write_report
from twin.outcomes.groups import connectivity_group, mobility_group
from twin.residents import WATER_SUPPLIES, load_resident_model, synthesize_for_city
from twin.scenario import scenario_from_mapping
from twin.ui import maps
from twin.ui.scenarios import templates, to_yaml
from twin.ui.workshop import candidate_nodes
from twin.viz import areas, gis
from twin.viz.basemap import Basemap, load_basemap
from twin.viz.maps import basemap_png

UPLOAD_LIMIT_MB = 100
"""Largest OSM file a planner can upload (a city-sized .osm.pbf is 5-60 MB;
reading one takes memory several times its size)."""

UPLOAD_SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.gz", ".osm.bz2", ".graphml")

MAX_MAP_EDGES = 120_000
"""More street segments than this are thinned on the city map (the browser
draws every one)."""

MAP_MARGIN_M = 60.0
"""Map edge beyond the outermost street junctions."""

SITE_SPACING_M = 40.0
"""The workshop map offers one street junction per square of this side
(close enough to point at any street of a block)."""

MAP_WIDTH_PX = 1400
"""Width of the basemap picture (sharp at full-screen width on a projector)."""


# --------------------------------------------------------------------- city

@st.cache_resource(show_spinner="Building the city's street graphs (once; later runs reuse them)...")
def city(source: str) -> City:
    """The compiled city of ``source`` (shared by every session; read only).

    Raises
    ------
    TwinError
        A missing or corrupt file, an unknown place or no network for it
        (not cached: the next call tries again).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # kept in city.warnings, shown on the page
        return load_city(source)


def stage_upload(name: str, data: bytes, *, folder: str | Path | None = None) -> Path:
    """Keep an uploaded OSM file where the city loader can read it.

    The file goes to ``<tmp>/twin-uploads/<content hash>/<name>``, so the same
    upload is staged (and compiled) once, and error messages name the file
    as the planner knows it.

    Raises
    ------
    InputFileError
        Not an OSM file by its name, empty, or over :data:`UPLOAD_LIMIT_MB`.
    """
    safe = re.sub(r"[^\w.-]+", "_", Path(name).name) or "upload.osm.pbf"
    if not safe.lower().endswith(UPLOAD_SUFFIXES):
        raise InputFileError("is not an OpenStreetMap file", path=name,
                             fix="upload an .osm.pbf, .osm (.gz, .bz2) or .graphml file")
    if not data:
        raise InputFileError("is empty", path=name, fix="upload the whole file again")
    if len(data) > UPLOAD_LIMIT_MB * 1024 * 1024:
        raise InputFileError(f"is larger than {UPLOAD_LIMIT_MB} MB", path=name,
                             fix="cut a smaller extract, e.g. with osmium extract or BBBike")
    digest = hashlib.sha256(data).hexdigest()[:16]
    root = Path(folder) if folder is not None else Path(tempfile.gettempdir()) / "twin-uploads"
    target = root / digest / safe
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".part")
        tmp.write_bytes(data)
        tmp.replace(target)
    return target


@st.cache_data(show_spinner=False, max_entries=8)
def street_segments(source: str, mode: str) -> pd.DataFrame:
    """One row per street segment of ``mode`` (both directions drawn once):
    ``x0_m, y0_m, x1_m, y1_m`` in the city's CRS; thinned above :data:`MAX_MAP_EDGES`."""
    streets = city(source).streets[mode]
    tails = np.repeat(np.arange(streets.n_nodes), np.diff(streets.indptr))
    heads = streets.indices
    once = tails < heads
    tails, heads = tails[once], heads[once]
    frame = pd.DataFrame({"x0_m": streets.x_m[tails], "y0_m": streets.y_m[tails],
                          "x1_m": streets.x_m[heads], "y1_m": streets.y_m[heads]})
    thinned = len(frame) > MAX_MAP_EDGES
    if thinned:
        frame = frame.iloc[:: int(np.ceil(len(frame) / MAX_MAP_EDGES))]
    frame.attrs["thinned"] = thinned
    return frame.reset_index(drop=True)


@st.cache_data(show_spinner=False, max_entries=8)
def facilities(source: str) -> pd.DataFrame:
    """Every facility: ``service``, ``x_m``, ``y_m`` (the city's CRS), ``origin``."""
    sets = city(source).facilities
    frames = [pd.DataFrame({"service": name, "x_m": sets[name].x_m, "y_m": sets[name].y_m,
                            "origin": np.asarray(sets[name].origin, dtype=str)})
              for name in SERVICES if len(sets[name])]
    if not frames:
        return pd.DataFrame(columns=["service", "x_m", "y_m", "origin"])
    return pd.concat(frames, ignore_index=True)


def with_origins(cells: pd.DataFrame, cell_m: float) -> pd.DataFrame:
    """``cells`` (with a ``cell`` label of the city's grid) with the lower-left
    corner of each cell as ``x0_m``, ``y0_m``."""
    x0, y0 = areas.cell_origins_m(cells["cell"], cell_m)
    return cells.assign(x0_m=x0, y0_m=y0)


@st.cache_data(show_spinner=False, max_entries=16)
def home_density(source: str) -> pd.DataFrame:
    """:func:`twin.viz.areas.home_density` with each cell's corner (:func:`with_origins`)."""
    c = city(source)
    return with_origins(areas.home_density(c), areas.area_cell_m(c))


@st.cache_resource(show_spinner="Drawing the city's map from its OpenStreetMap data (once)...")
def basemap(source: str) -> Basemap:
    """The city's basemap layers in its projected CRS (shared, read only).
    A source without map layers (a GraphML street graph) gives empty ones."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_basemap(source).to_crs(city(source).crs)


@st.cache_data(show_spinner=False, max_entries=8)
def map_frame(source: str) -> maps.MapFrame:
    """The basemap picture of the city's streets and homes (margin
    :data:`MAP_MARGIN_M`), for every map of the app."""
    walk = city(source).streets["walk"]
    bounds = (float(walk.x_m.min()) - MAP_MARGIN_M, float(walk.y_m.min()) - MAP_MARGIN_M,
              float(walk.x_m.max()) + MAP_MARGIN_M, float(walk.y_m.max()) + MAP_MARGIN_M)
    return maps.MapFrame(basemap_png(basemap(source), bounds, width_px=MAP_WIDTH_PX), bounds, city(source).crs)


@st.cache_data(show_spinner=False, max_entries=8)
def candidate_sites(source: str) -> pd.DataFrame:
    """Where the workshop map offers to place something: ``node`` (walk
    graph), ``x_m``, ``y_m`` (:func:`twin.ui.workshop.candidate_nodes`)."""
    walk = city(source).streets["walk"]
    nodes = candidate_nodes(walk.x_m, walk.y_m, SITE_SPACING_M)
    return pd.DataFrame({"node": nodes, "x_m": walk.x_m[nodes], "y_m": walk.y_m[nodes]})


def city_facts(c: City) -> pd.DataFrame:
    """Nodes and segments per mode, as a small table."""
    return pd.DataFrame([{"streets for": mode, "junctions": s.n_nodes, "one-way segments": s.n_edges}
                         for mode, s in c.streets.items()])


@st.cache_data(show_spinner=False, ttl=60)
def intervention_templates() -> dict[str, dict]:
    """:func:`twin.ui.scenarios.templates`, read again at most once a minute."""
    return templates()


# ----------------------------------------------------------------- residents

@st.cache_data(show_spinner="Drawing residents...", max_entries=16)
def resident_profile(source: str, model_name: str, n: int, seed: int) -> pd.DataFrame:
    """The residents a run would simulate (replication 0), one row each,
    with the attributes the Residents page charts."""
    model = load_resident_model(model_name)
    people = synthesize_for_city(model, city(source), n, seed=seed)
    frame = pd.DataFrame({
        "income": people.income,
        "income_quintile": people.income_quintile.astype(int),
        "age_band": np.asarray(model.age_band_labels)[people.age_band],
        "has_car": people.has_car,
        "smartphone": people.smartphone,
        "home_internet": people.home_internet,
        "can_use_apps": people.can_use_apps,
        "reduced_mobility": people.reduced_mobility,
        "wheelchair": people.wheelchair,
        "water_supply": np.asarray(WATER_SUPPLIES)[people.water_supply],
        "digital_skills": people.digital_skills,
    })
    frame["connectivity"] = np.asarray(connectivity_group(frame), dtype=str)
    frame["mobility"] = np.asarray(mobility_group(frame), dtype=str)
    return frame


# ----------------------------------------------------------------- comparing

def to_payload(c: Comparison) -> dict:
    """A :class:`Comparison` as picklable data (scenarios as JSON)."""
    payload = {f.name: getattr(c, f.name) for f in dataclasses.fields(c)}
    payload["baseline"] = json.dumps(c.baseline.model_dump(mode="json"))
    payload["scenarios"] = [json.dumps(s.model_dump(mode="json")) for s in c.scenarios]
    return payload


def from_payload(payload: dict) -> Comparison:
    """The :class:`Comparison` of :func:`to_payload`."""
    fields = dict(payload)
    fields["baseline"] = scenario_from_mapping(json.loads(payload["baseline"]), where="baseline")
    fields["scenarios"] = [scenario_from_mapping(json.loads(s), where="scenario") for s in payload["scenarios"]]
    return Comparison(**fields)


@st.cache_data(show_spinner=False, max_entries=64)
def comparison(source: str, baseline: str, scenario: str, *, replications: int,
               residents: int, days: int, seed: int) -> dict:
    """One scenario against the baseline (JSON as :func:`twin.ui.scenarios.key_of`),
    as :func:`to_payload` data. Cached per scenario, so adding a scenario to a
    comparison runs only that one."""
    result = compare(scenario_from_mapping(json.loads(baseline), where="baseline"),
                     [scenario_from_mapping(json.loads(scenario), where="scenario")],
                     replications=replications, residents=residents, days=days, seed=seed,
                     city=city(source), progress=False)
    return to_payload(result)


def merge(parts: list[Comparison]) -> Comparison:
    """Comparisons of single scenarios against the same baseline (same
    residents, days and seeds) as one comparison of them all: the baseline
    runs are identical (common random numbers), so this equals one
    :func:`compare` call with every scenario (whose warm-up is the longest
    of the parts': runs where nothing learns simulate none, whatever it is)."""
    first = parts[0]
    for part in parts[1:]:
        same = (part.replications, part.residents, part.days, part.seed) == (
            first.replications, first.residents, first.days, first.seed)
        if not same or part.baseline != first.baseline:
            raise ValueError("only comparisons with the same baseline and settings merge")
    return dataclasses.replace(
        first,
        scenarios=[s for part in parts for s in part.scenarios],
        benefits={name: frame for part in parts for name, frame in part.benefits.items()},
        yearly_cost={name: cost for part in parts for name, cost in part.yearly_cost.items()},
        simulated_cost={name: cost for part in parts for name, cost in part.simulated_cost.items()},
        wall_time_s=sum(part.wall_time_s for part in parts),
        warm_up_days=max(part.warm_up_days for part in parts),
    )


@st.cache_data(show_spinner=False, max_entries=16)
def area_table(source: str, _comparison: Comparison, key: str, *, k: int) -> pd.DataFrame:
    """:func:`twin.viz.areas.benefit_by_area`, cached by the run's ``key``."""
    return areas.benefit_by_area(_comparison, city(source), k=k)


@st.cache_data(show_spinner="Writing the tables, charts and summary...", max_entries=8)
def report_zip(_comparison: Comparison, key: str, *, k: int, extra: dict[str, bytes]) -> dict[str, bytes]:
    """The results folder of :func:`twin.experiments.report.write_report`
    (plus ``extra`` files) as ``{relative path: bytes}``, and the whole
    folder as ``"twin_results.zip"``."""
    with tempfile.TemporaryDirectory(prefix="twin-report-") as tmp:
        folder = Path(tmp) / "twin_results"
        write_report(_comparison, folder, k=k)
        for name, data in extra.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(data)
        files = {str(p.relative_to(folder)): p.read_bytes()
                 for p in sorted(folder.rglob("*")) if p.is_file()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(f"twin_results/{name}", data)
    return {**files, "twin_results.zip": buffer.getvalue()}


def export_files(source: str, c: Comparison, key: str, *, k: int, scenario_city: str) -> dict[str, bytes]:
    """Every file the Export page offers: :func:`report_zip` with benefit by
    area on the city's grid (:data:`twin.viz.gis.AREA_FILES`) and the
    scenarios as YAML."""
    with tempfile.TemporaryDirectory(prefix="twin-areas-") as tmp:
        areas_written = gis.benefit_by_area_files(area_table(source, c, key, k=k), city(source).crs, tmp)
        extra = {name: path.read_bytes() for name, path in areas_written.items()}
    extra.update({f"scenarios/{scenario.name}.yaml": to_yaml(scenario, city=scenario_city).encode()
                  for scenario in [c.baseline, *c.scenarios]})
    return report_zip(c, key, k=k, extra=extra)


def tables(c: Comparison, *, k: int) -> Tables:
    """The suppressed tables of a comparison (as ``twin compare`` writes them)."""
    return Tables(c, k=k)
