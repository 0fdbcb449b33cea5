"""Scenario drafts: the files in ``scenarios/`` as editable mappings.

A planner starts from a folder of scenario files (a "set": a ``baseline.yaml``
and the scenarios that extend it), switches interventions on and off and
changes their parameters. A :class:`Draft` keeps that edited state as the
plain mapping a YAML file would hold; :func:`build` turns it back into a
:class:`~twin.scenario.Scenario` through the same pydantic models as
:func:`~twin.scenario.load_scenario`, so a value the YAML would reject is
rejected here with the same one-line message.

Pure Python: no streamlit here.
"""

from __future__ import annotations

import copy
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

import twin
from twin.errors import TwinError
from twin.experiments.sweep import is_sweep_file
from twin.interventions import REGISTRY
from twin.scenario import Scenario, load_scenario

BASELINE_FILE = "baseline.yaml"

RUN_FIELDS = ("city", "resident_model", "facility_files", "population_grid", "residents", "days", "seed")
"""Set on the City, Residents and Compare pages for every scenario alike
(a comparison needs the same city and residents), not per scenario."""

def scenario_roots() -> list[Path]:
    """Folders searched for scenario sets: the checkout's ``scenarios/``,
    then ``./scenarios`` (as :func:`twin.residents.load.models_dirs`)."""
    candidates = [Path(twin.__file__).resolve().parents[1] / "scenarios", Path.cwd() / "scenarios"]
    unique = dict.fromkeys(path.resolve() for path in candidates)
    return [path for path in unique if path.is_dir()]


def scenario_sets() -> dict[str, Path]:
    """Set name (folder name) -> folder, for every folder with a ``baseline.yaml``."""
    found: dict[str, Path] = {}
    for root in scenario_roots():
        for folder in sorted(p for p in root.iterdir() if (p / BASELINE_FILE).is_file()):
            found.setdefault(folder.name, folder)
    return found


@dataclass
class Draft:
    """A scenario being edited.

    Attributes
    ----------
    id
        Stable identity for widget keys (the name can be edited).
    data
        The scenario as a YAML mapping (``name``, ``description``,
        ``interventions`` as mappings with ``type``).
    enabled
        Whether each intervention of ``data["interventions"]`` is switched on.
    origin
        The file it was read from, or None for a copy made in the app.
    """

    id: str
    data: dict[str, Any]
    enabled: list[bool]
    origin: str | None = None
    pristine: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return str(self.data.get("name", ""))

    @classmethod
    def from_scenario(cls, scenario: Scenario, *, origin: str | None = None) -> Draft:
        """A draft of ``scenario``, identified by its file's stem (or name)."""
        data = scenario.model_dump(mode="json")
        data = {key: value for key, value in data.items() if key not in RUN_FIELDS}
        ident = Path(origin).stem if origin else scenario.name
        return cls(id=ident, data=data, enabled=[True] * len(data["interventions"]),
                   origin=origin, pristine=copy.deepcopy(data))

    def copy(self, *, name: str, id: str) -> Draft:
        """A new draft with the same content (interventions switched on or
        off as here), named ``name``."""
        data = copy.deepcopy(self.data)
        data["name"] = name
        return Draft(id=id, data=data, enabled=list(self.enabled), origin=None,
                     pristine=copy.deepcopy(data))

    def reset(self) -> None:
        """Back to the content it was read (or copied) with."""
        self.data = copy.deepcopy(self.pristine)
        self.enabled = [True] * len(self.data["interventions"])

    def add(self, intervention: dict[str, Any]) -> None:
        self.data["interventions"].append(copy.deepcopy(intervention))
        self.enabled.append(True)

    def remove(self, index: int) -> None:
        del self.data["interventions"][index]
        del self.enabled[index]

    def mapping(self, run: dict[str, Any]) -> dict[str, Any]:
        """The scenario mapping with only the switched-on interventions and
        the run-wide fields ``run`` (city, resident model, residents, ...)."""
        interventions = [item for item, on in zip(self.data["interventions"], self.enabled) if on]
        return {**copy.deepcopy(self.data), **run, "interventions": copy.deepcopy(interventions)}


def load_set(folder: str | Path) -> tuple[Draft, list[Draft]]:
    """The baseline and the other scenarios of a folder (sorted by name).

    Raises
    ------
    TwinError
        A file in the folder is malformed (one line naming file and field).
    """
    folder = Path(folder)
    baseline = Draft.from_scenario(load_scenario(folder / BASELINE_FILE), origin=str(folder / BASELINE_FILE))
    others = [Draft.from_scenario(load_scenario(path), origin=str(path))
              for path in sorted(folder.glob("*.yaml"))
              if path.name != BASELINE_FILE and not is_sweep_file(path)]
    return baseline, sorted(others, key=lambda d: d.name)


def templates() -> dict[str, dict[str, Any]]:
    """Intervention kind -> its mapping in the first scenario file that uses
    it (every number there is sourced), to add the kind to another scenario."""
    found: dict[str, dict[str, Any]] = {}
    for folder in scenario_sets().values():
        for path in sorted(folder.glob("*.yaml")):
            if is_sweep_file(path):
                continue
            try:
                scenario = load_scenario(path)
            except TwinError:
                continue
            for intervention in scenario.interventions:
                found.setdefault(intervention.kind, intervention.model_dump(mode="json"))
    return {kind: found[kind] for kind in sorted(found) if kind in REGISTRY}


def to_yaml(scenario: Scenario, *, city: str | None = None, header: str = "") -> str:
    """The scenario as a YAML file that :func:`~twin.scenario.load_scenario`
    reads back to the same scenario.

    Parameters
    ----------
    city
        What to write as ``city:`` (e.g. an uploaded file's own name rather
        than where the app stored it); default the scenario's.
    header
        Comment lines to put first.
    """
    data = scenario.model_dump(mode="json")
    if city is not None:
        data["city"] = city
    if not data.get("facility_files"):
        data.pop("facility_files", None)
    if data.get("population_grid") is None:
        data.pop("population_grid", None)
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    comments = "".join(f"# {line}\n" for line in header.splitlines())
    return comments + text


def key_of(scenario: Scenario) -> str:
    """Canonical JSON of a scenario: a cache key and a way to rebuild it."""
    return json.dumps(scenario.model_dump(mode="json"), sort_keys=True)


def unique_name(wanted: str, taken: set[str]) -> str:
    """``wanted``, or ``wanted_2``, ``wanted_3``, ... if taken."""
    if wanted not in taken:
        return wanted
    for n in itertools.count(2):
        if f"{wanted}_{n}" not in taken:
            return f"{wanted}_{n}"
    raise AssertionError("unreachable")
