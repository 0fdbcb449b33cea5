"""Residents' proposals at a workshop: places on the map become a scenario.

A resident places water points, digital access centres or the paratransit
depot on the map; a :class:`Proposal` is those places, and
:func:`proposal_mapping` turns it into a scenario mapping (checked by the
same pydantic models as a YAML file) built from the planners' own
intervention of that kind (``scenarios/<set>/``: every parameter and cost
with its source), with the placed sites instead of sited ones. What the
page shows is read from the comparison's suppressed group table
(:func:`effects`), in the groups the workshops ask about.

Pure Python: no streamlit here.
"""

from __future__ import annotations

import copy
import html
import io
import math
import zipfile
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from twin.viz.workshop import STORIES, Effect

METRIC = "minutes_saved_per_week"

SAMPLE = {"residents": 3_000, "days": 7}
REPLICATIONS = 3
"""The workshop's sample: a simulated week of 3,000 residents, 3 runs with
common random numbers (a result within seconds of a click; the saved files
state it, so ``twin compare`` gives the same figures)."""

HEADER = (f"Proposed at a twin workshop. The page's figures are those of\n"
          f"  twin compare workshop_proposals --replications {REPLICATIONS}\n"
          "(residents, days and seed as below; the baseline is baseline.yaml).")


@dataclass(frozen=True)
class Placeable:
    """A kind of place a resident can propose.

    Attributes
    ----------
    label
        What the page calls it.
    intervention
        The intervention ``type`` it adds.
    planners
        Name of the planners' scenario of that kind, shown beside the proposal.
    symbol, colour
        How the map marks it.
    """

    label: str
    intervention: str
    planners: str
    symbol: str
    colour: str


PLACEABLE = {
    "access_centre": Placeable("Access centre", "digital_access_centres", "access_centres", "square", "#9467bd"),
    "water_point": Placeable("Water point", "water_points", "water_points", "circle", "#1f77b4"),
    "paratransit_depot": Placeable("Paratransit depot", "paratransit", "paratransit_multi_stop", "diamond",
                                   "#2ca02c"),
}

GROUPS = (("all", "all", "Everyone"),
          *((dimension, group, who) for dimension, group, who in STORIES),
          *(("income_quintile", f"Q{q}", f"Income: {label}") for q, label in
            zip(range(1, 6), ("poorest fifth", "second fifth", "middle fifth", "fourth fifth", "richest fifth"))))
"""Rows of the results: everyone, the groups of the workshop's story cards
(no car, no smartphone or internet at home, wheelchair users, households
without piped water) and the income quintiles."""


@dataclass
class Proposal:
    """What a resident has placed: ``(kind, lon, lat)`` in order."""

    name: str
    places: list[tuple[str, float, float]] = field(default_factory=list)

    def add(self, kind: str, lon: float, lat: float) -> None:
        """Place one; the depot is one place, so placing it again moves it."""
        if kind == "paratransit_depot":
            self.places = [p for p in self.places if p[0] != kind]
        self.places.append((kind, float(lon), float(lat)))

    def undo(self) -> None:
        if self.places:
            self.places.pop()

    def sites(self, kind: str) -> list[dict[str, float]]:
        return [{"lon": lon, "lat": lat} for k, lon, lat in self.places if k == kind]

    def describe(self) -> str:
        """``2 water points, 1 access centre``."""
        counts = [(PLACEABLE[kind].label.lower(), len(self.sites(kind))) for kind in PLACEABLE]
        return ", ".join(f"{n} {label}{'s' if n != 1 else ''}" for label, n in counts if n) or "nothing placed"


def templates_of(planners: dict[str, Any], fallback: dict[str, dict]) -> dict[str, dict]:
    """Intervention type -> the mapping a proposal starts from: the planners'
    own scenario of that kind in this set (by :attr:`Placeable.planners`
    name; ``planners`` maps names to drafts), else ``fallback`` (the first
    scenario file that uses the type)."""
    found = dict(fallback)
    for placeable in PLACEABLE.values():
        draft = planners.get(placeable.planners)
        items = [] if draft is None else [i for i in draft.data["interventions"]
                                          if i["type"] == placeable.intervention]
        if items:
            found[placeable.intervention] = items[0]
    return found


def _scaled(cost: dict[str, Any], factor: float, note: str) -> dict[str, Any]:
    """A sourced cost with capital and operating costs times ``factor``."""
    cost = copy.deepcopy(cost)
    for part in ("capital", "yearly_operating"):
        cost[part] = {"value": cost[part]["value"] * factor, "source": f"{cost[part]['source']}; {note}"}
    return cost


def intervention_for(kind: str, sites: list[dict[str, float]], template: dict[str, Any]) -> dict[str, Any]:
    """The planners' intervention of ``kind`` (``template``, as in their
    scenario file) at the placed ``sites``.

    Water points and access centres go where they were placed, their cost
    scaled from the planners' cost per place; the paratransit service is the
    planners' (fleet, hours, booking), from the placed depot.
    """
    item = copy.deepcopy(template)
    item.pop("siting", None)  # placed, not sited
    if kind == "paratransit_depot":
        item["depot"] = sites[-1]
        return item
    planned = item.get("k") or len(item.get("sites") or []) or 1
    item["k"], item["sites"] = None, sites
    note = f"the planners' cost for {planned}, scaled to the {len(sites)} placed at the workshop"
    item["cost"] = _scaled(item["cost"], len(sites) / planned, note)
    return item


def proposal_mapping(proposal: Proposal, baseline: dict[str, Any], templates: dict[str, dict]) -> dict[str, Any]:
    """The scenario mapping of ``proposal``: the baseline's fields (city,
    residents, seed, ...) with one intervention per kind placed."""
    interventions = [intervention_for(kind, proposal.sites(kind), templates[PLACEABLE[kind].intervention])
                     for kind in PLACEABLE if proposal.sites(kind)]
    return {**copy.deepcopy(baseline), "name": proposal.name, "interventions": interventions,
            "description": f"Proposed at a workshop: {proposal.describe()}."}


def candidate_nodes(x_m: np.ndarray, y_m: np.ndarray, spacing_m: float) -> np.ndarray:
    """One street junction per ``spacing_m`` square (the one nearest its
    centre): the places the map offers, dense enough to point at any street,
    few enough for the browser."""
    ix, iy = np.floor(x_m / spacing_m), np.floor(y_m / spacing_m)
    off = np.hypot(x_m - (ix + 0.5) * spacing_m, y_m - (iy + 0.5) * spacing_m)
    frame = pd.DataFrame({"ix": ix, "iy": iy, "off": off, "node": np.arange(len(x_m))})
    return np.sort(frame.sort_values("off", kind="stable").drop_duplicates(["ix", "iy"])["node"].to_numpy())


def effects(groups: pd.DataFrame, scenario: str) -> dict[tuple[str, str], Effect | None]:
    """Minutes saved a week by each of :data:`GROUPS` under ``scenario``
    (from the suppressed group table: None where a group is too small)."""
    out = {}
    for dimension, group, _ in GROUPS:
        rows = groups[(groups["scenario"] == scenario) & (groups["dimension"] == dimension)
                      & (groups["group"] == group) & (groups["metric"] == METRIC)]
        row = rows.iloc[0] if len(rows) else None
        out[dimension, group] = None if row is None or not np.isfinite(row["mean"]) else Effect(
            float(row["mean"]), float(row["ci95_low"]), float(row["ci95_high"]), float(row["people"]))
    return out


def verdict(effect: Effect | None, k: int) -> tuple[str, str]:
    """Plain words for one cell, and its kind (``gain``, ``loss``, ``unclear``, ``hidden``)."""
    if effect is None:
        return f"fewer than {k} people: not shown", "hidden"
    if not effect.clear:
        return "no clear effect", "unclear"
    size = abs(effect.mean)
    amount = f"{size:.0f} min" if size >= 1 else f"{max(round(size * 60), 1)} s"
    return (f"{amount} less a week", "gain") if effect.mean > 0 else (f"{amount} more a week", "loss")


_COLOURS = {"gain": "#d9ecd0", "loss": "#f6d5d1", "unclear": "#eeeeee", "hidden": "#ffffff"}


def results_html(columns: list[tuple[str, str]], table: dict[str, dict], k: int) -> str:
    """A large-type table: one row per group, one column per scenario
    (``(scenario, heading)``); each cell carries its figures as ``data-*``
    attributes (the unrounded mean and CI) for whoever checks them."""
    esc = html.escape
    head = "".join(f"<th>{esc(heading)}</th>" for _, heading in columns)
    rows = []
    for dimension, group, who in GROUPS:
        cells = []
        for scenario, _ in columns:
            effect = table[scenario][dimension, group]
            words, kind = verdict(effect, k)
            figures = "" if effect is None else (
                f" data-mean='{effect.mean!r}' data-low='{effect.low!r}' data-high='{effect.high!r}'")
            ci = "" if effect is None or not math.isfinite(effect.low) else (
                f"<br><small>{effect.mean:+.1f} min (95% CI {effect.low:+.1f} to {effect.high:+.1f})</small>")
            cells.append(f"<td class='{kind}' data-scenario='{esc(scenario)}' data-group='{esc(dimension)}:"
                         f"{esc(group)}'{figures} style='background:{_COLOURS[kind]}'>{esc(words)}{ci}</td>")
        rows.append(f"<tr><th scope='row'>{esc(who)}</th>{''.join(cells)}</tr>")
    return (f"<table class='workshop-results'><thead><tr><th>Who</th>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def proposals_zip(files: dict[str, str]) -> bytes:
    """``{file name: YAML}`` as a zip with one folder, ``workshop_proposals/``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(f"workshop_proposals/{name}", text)
    return buffer.getvalue()
