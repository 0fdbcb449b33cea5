"""Where new facilities go: given coordinates, or chosen by greedy p-median
over the residents they are for, as the true need shows them or as a data
source sees them (``siting: {from: SOURCE}``, :mod:`twin.data_sources`).
Shared by water points and access centres."""

from __future__ import annotations

import dataclasses
import hashlib
from collections import OrderedDict

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator
from scipy.spatial import cKDTree

from twin.city.arrays import MODES, City, FacilitySet
from twin.city.compile import project
from twin.city.facilities import snap
from twin.core.siting import greedy_p_median
from twin.data_sources import TRUE_NEED, DataSources
from twin.errors import ConfigError
from twin.residents.model import Number

MAX_CANDIDATES = 4000
"""Candidate sites for siting: the most populous demand nodes, at most this
many (greedy p-median costs k x candidates x demand points)."""


class Site(BaseModel):
    """A given site, in WGS84."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lon: Number = Field(ge=-180, le=180)
    lat: Number = Field(ge=-90, le=90)


class Siting(BaseModel):
    """Where the demand that ``k`` sites are placed over comes from:
    ``need`` (the true need, the default) or a data source of the
    scenario's ``data_sources`` file, which sees only some residents.

    The scenario binds the named source when it is loaded
    (:func:`twin.scenario.scenario_from_mapping`), so a name that is not in
    the file is an error before anything runs.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, validate_by_name=True,
                              serialize_by_alias=True)

    from_: str = Field(TRUE_NEED, alias="from", min_length=1)
    _sources: DataSources | None = PrivateAttr(default=None)

    def bind(self, sources: DataSources | None) -> None:
        """Attach the scenario's data sources (the name is already checked)."""
        self._sources = sources

    def seen(self, residents, *, seed: int) -> np.ndarray:
        """bool per resident: the residents whose need the planner sees
        (everyone for the true need)."""
        if self.from_ == TRUE_NEED:
            return np.ones(len(residents), dtype=bool)
        if self._sources is None:  # built without a scenario: nothing bound it
            raise ConfigError(f"data source {self.from_!r} is not bound to a data-sources file",
                              field="siting.from", fix="load the intervention as part of a scenario "
                              "that names data_sources")
        return self._sources.seen(self.from_, residents, seed=seed)


class FromData(BaseModel):
    """Mixin for interventions that place something over a need that the
    true need or a data source shows (``siting``)."""

    siting: Siting | None = None

    @property
    def siting_from(self) -> str:
        """The source the siting is from (:data:`TRUE_NEED` by default)."""
        return TRUE_NEED if self.siting is None else self.siting.from_

    def seen(self, residents, *, seed: int) -> np.ndarray:
        """bool per resident: whose need the siting sees (everyone by default)."""
        if self.siting is None:
            return np.ones(len(residents), dtype=bool)
        return self.siting.seen(residents, seed=seed)

    def unseen_error(self) -> ConfigError:
        """The error for a source that sees none of the residents sited for."""
        return ConfigError(f"data source {self.siting_from!r} sees none of the residents these "
                           "sites are for", field="siting.from",
                           fix=f"site from '{TRUE_NEED}' or from a source that sees them")


class Sited(FromData):
    """Mixin for interventions that add facilities: ``k`` to site (from the
    true need or from a data source, ``siting``), or given ``sites``."""

    k: int | None = Field(None, ge=0, strict=True)
    sites: list[Site] | None = None

    @model_validator(mode="after")
    def _k_or_sites(self):
        if (self.k is None) == (self.sites is None):
            raise ValueError("give either k (how many to site) or sites (a lon/lat list), not both")
        if self.sites is not None and self.siting_from != TRUE_NEED:
            raise ValueError("siting chooses where k sites go; given sites are not sited: drop siting or sites")
        return self

    def locations(self, city: City, demand_node: np.ndarray,
                  existing: FacilitySet | None) -> tuple[np.ndarray, np.ndarray]:
        """Projected coordinates: the given sites, or ``k`` sited over the
        residents living at ``demand_node`` (the need as ``siting`` sees it)."""
        if self.sites is not None:
            return given_sites(city, self.sites)
        if len(demand_node) == 0 and self.k and self.siting_from != TRUE_NEED:
            raise self.unseen_error()
        return sited_by_demand(city, demand_node, self.k, existing)


def given_sites(city: City, sites: list[Site]) -> tuple[np.ndarray, np.ndarray]:
    """Projected coordinates of given sites; ConfigError for one outside the city."""
    lon = np.array([s.lon for s in sites], dtype=np.float64)
    lat = np.array([s.lat for s in sites], dtype=np.float64)
    walk = city.streets["walk"]
    outside = (lon < walk.lon.min()) | (lon > walk.lon.max()) | (lat < walk.lat.min()) | (lat > walk.lat.max())
    if outside.any():
        i = int(np.argmax(outside))
        raise ConfigError(
            f"site ({lon[i]}, {lat[i]}) is outside the city (lon {walk.lon.min():.4f}..{walk.lon.max():.4f}, "
            f"lat {walk.lat.min():.4f}..{walk.lat.max():.4f})",
            field=f"sites[{i}]", fix="give lon/lat inside the city, or use k to site them",
        )
    return project(lon, lat, city.crs)


SITED_CACHE_SIZE = 16
"""Sitings kept per process (:func:`sited_by_demand`), a few coordinates each."""

_sited: OrderedDict[bytes, tuple[np.ndarray, np.ndarray]] = OrderedDict()


def sited_by_demand(
    city: City, demand_node: np.ndarray, k: int, existing: FacilitySet | None
) -> tuple[np.ndarray, np.ndarray]:
    """Projected coordinates of ``k`` sites chosen by greedy p-median.

    The same siting inputs give the same sites, so a siting is computed once
    per process and reused (by every scenario of a run that sites the same
    centres, say): the cache key hashes the inputs themselves (the demand's
    coordinates and weights, the existing facilities, ``k``), so it holds
    across cities and never goes stale. The arrays returned are read-only.

    Parameters
    ----------
    demand_node
        Walk-graph home node of each resident the sites are for.
    existing
        Facilities already serving them (their nearest counts as current).
    """
    walk = city.streets["walk"]
    nodes, weight = np.unique(demand_node, return_counts=True)
    if k > len(nodes):
        raise ConfigError(
            f"k = {k} is larger than the {len(nodes)} candidate sites (homes of the residents served)",
            field="k",
            fix=f"use k <= {len(nodes)}" if len(nodes) else "give sites instead, or use a "
            "resident model in which someone needs the facility",
        )
    x_m, y_m = walk.x_m[nodes], walk.y_m[nodes]
    diagonal_m = float(np.hypot(np.ptp(walk.x_m), np.ptp(walk.y_m))) or 1.0
    has_existing = existing is not None and len(existing) > 0
    n_existing = len(existing) if has_existing else 0
    key = hashlib.sha256(np.array([k, MAX_CANDIDATES, diagonal_m, len(nodes), n_existing], dtype=np.float64).tobytes())
    for array in (x_m, y_m, weight, *((existing.x_m, existing.y_m) if has_existing else ())):
        key.update(np.ascontiguousarray(array, dtype=np.float64).tobytes())
    key = key.digest()
    if key in _sited:
        return _sited[key]
    current_m = np.full(len(nodes), diagonal_m)
    if has_existing:
        tree = cKDTree(np.column_stack([existing.x_m, existing.y_m]))
        current_m = np.minimum(current_m, tree.query(np.column_stack([x_m, y_m]))[0])
    candidates = np.argsort(-weight, kind="stable")[:MAX_CANDIDATES]
    chosen = candidates[greedy_p_median(x_m[candidates], y_m[candidates], x_m, y_m,
                                        weight, current_m, k)]
    sites = x_m[chosen], y_m[chosen]
    for array in sites:
        array.setflags(write=False)
    _sited[key] = sites
    while len(_sited) > SITED_CACHE_SIZE:  # the oldest first
        _sited.popitem(last=False)
    return sites


def with_facilities(city: City, service: str, x_m: np.ndarray, y_m: np.ndarray, origin: str) -> City:
    """A copy of ``city`` with new facilities of ``service`` snapped to every
    mode (its warnings follow: they derive from the facilities)."""
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(city.crs, "EPSG:4326", always_xy=True).transform(x_m, y_m)
    old = city.facilities[service]
    new = FacilitySet(
        service=service,
        lon=np.concatenate([old.lon, np.asarray(lon, float)]),
        lat=np.concatenate([old.lat, np.asarray(lat, float)]),
        x_m=np.concatenate([old.x_m, x_m]),
        y_m=np.concatenate([old.y_m, y_m]),
        node={m: np.concatenate([old.node[m], snap(city.streets[m], x_m, y_m)]) for m in MODES},
        origin=np.concatenate([old.origin, np.full(len(x_m), origin)]),
        count=np.concatenate([old.count, np.ones(len(x_m))]),
    )
    return dataclasses.replace(city, facilities={**city.facilities, service: new})
