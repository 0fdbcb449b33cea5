"""Where new facilities go: given coordinates, or chosen by greedy p-median
over the residents they are for. Shared by water points and access centres."""

from __future__ import annotations

import dataclasses

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy.spatial import cKDTree

from twin.city.arrays import MODES, City, FacilitySet
from twin.city.compile import project
from twin.city.facilities import snap
from twin.core.siting import greedy_p_median
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


class Sited(BaseModel):
    """Mixin for interventions that add facilities: ``k`` to site, or given ``sites``."""

    k: int | None = Field(None, ge=0, strict=True)
    sites: list[Site] | None = None

    @model_validator(mode="after")
    def _k_or_sites(self):
        if (self.k is None) == (self.sites is None):
            raise ValueError("give either k (how many to site) or sites (a lon/lat list), not both")
        return self

    def locations(self, city: City, demand_node: np.ndarray,
                  existing: FacilitySet | None) -> tuple[np.ndarray, np.ndarray]:
        """Projected coordinates: the given sites, or ``k`` sited over the
        residents living at ``demand_node``."""
        if self.sites is not None:
            return given_sites(city, self.sites)
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


def sited_by_demand(
    city: City, demand_node: np.ndarray, k: int, existing: FacilitySet | None
) -> tuple[np.ndarray, np.ndarray]:
    """Projected coordinates of ``k`` sites chosen by greedy p-median.

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
    current_m = np.full(len(nodes), diagonal_m)
    if existing is not None and len(existing):
        tree = cKDTree(np.column_stack([existing.x_m, existing.y_m]))
        current_m = np.minimum(current_m, tree.query(np.column_stack([x_m, y_m]))[0])
    candidates = np.argsort(-weight, kind="stable")[:MAX_CANDIDATES]
    chosen = candidates[greedy_p_median(x_m[candidates], y_m[candidates], x_m, y_m,
                                        weight, current_m, k)]
    return x_m[chosen], y_m[chosen]


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
    )
    return dataclasses.replace(city, facilities={**city.facilities, service: new})
