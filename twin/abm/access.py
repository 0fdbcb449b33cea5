"""Accessibility fields: cost from every street node to the nearest facility
of each purpose, by mode. The city is static during a run, so these are
computed once per model (3 modes x 6 purposes multi-source searches)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twin.city.arrays import City
from twin.core.routing import nearest_facility_many
from twin.residents.population import PURPOSES


@dataclass(frozen=True)
class AccessFields:
    """Cost to the nearest facility, one row per street node and one column
    per purpose (``PURPOSES`` order), so a resident's purposes sit together in
    memory.

    Attributes
    ----------
    walk_length_m, wheelchair_length_m
        float64, shape (n_walk_nodes, n_purposes); inf where unreachable.
    drive_time_s
        float64, shape (n_drive_nodes, n_purposes); inf where unreachable.
    walk_to_drive
        int32, shape (n_walk_nodes,): the drive node a resident's car starts from.
    """

    walk_length_m: np.ndarray
    wheelchair_length_m: np.ndarray
    drive_time_s: np.ndarray
    walk_to_drive: np.ndarray


def access_fields(city: City) -> AccessFields:
    """Search every mode from the facilities of every purpose."""
    fields = {}
    for mode in ("walk", "wheelchair", "drive"):
        streets = city.streets[mode]
        # Search the transpose so costs are *to* the facility where edges are
        # directed (one-way streets; uphill and downhill wheelchair penalties).
        graph = streets.reversed()
        sources = [city.facilities[purpose].node[mode] for purpose in PURPOSES]
        cost, _ = nearest_facility_many(graph.indptr, graph.indices, graph.weight, sources)
        fields[mode] = np.ascontiguousarray(cost.T)
    return AccessFields(
        walk_length_m=fields["walk"],
        wheelchair_length_m=fields["wheelchair"],
        drive_time_s=fields["drive"],
        walk_to_drive=city.walk_to_drive,
    )
