"""Scenario files: which city, which residents, which interventions.

A scenario is a YAML file checked against :class:`Scenario` (unknown keys are
errors, with the nearest valid key suggested) before anything runs. Paths in
it are relative to the file. The baseline applies no intervention.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from twin._validation import config_error_from_validation
from twin.errors import ConfigError, InputFileError


class Scenario(BaseModel):
    """One scenario to simulate.

    Attributes
    ----------
    name
        Short name used in tables and output folders.
    city
        ``helsinki`` (bundled), an OSM file (.osm.pbf, .osm, .osm.gz,
        .osm.bz2, .graphml) or a place name (needs a network).
    resident_model
        A model name in ``models/`` or a path to a resident-model YAML.
    facility_files
        Extra facilities: CSV with lon, lat, service, or GeoJSON/GeoPackage
        points with a service column.
    population_grid
        Optional population grid (GeoPackage or CSV) overriding home weights.
    residents, days, seed
        Defaults for a run; the CLI options override them.
    interventions
        What the scenario changes; empty for the baseline.
    """

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    city: str = "helsinki"
    resident_model: str = "helsinki"
    facility_files: list[str] = Field(default_factory=list)
    population_grid: str | None = None
    residents: int = Field(20_000, gt=0)
    days: int = Field(7, gt=0)
    seed: int = Field(1, ge=0)
    interventions: list[dict] = Field(default_factory=list)

    def content_hash(self) -> str:
        """Hash of everything that defines the scenario's results."""
        text = json.dumps(self.model_dump(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _resolve(value: str, base: Path) -> str:
    """A path relative to the scenario file, if it names an existing file."""
    candidate = base / value
    return str(candidate) if candidate.exists() else value


def load_scenario(path: str | Path) -> Scenario:
    """Read and check a scenario file.

    Raises
    ------
    InputFileError
        The file is missing or not readable YAML.
    ConfigError
        A field is unknown or has a bad value.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError("scenario file not found", path=path, fix="check the path")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else None
        raise InputFileError(
            f"malformed YAML: {getattr(exc, 'problem', exc)}", path=path, field=where,
            fix="fix the YAML syntax (indentation, colons, quotes)",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"cannot read the file: {exc}", path=path) from None
    if not isinstance(data, dict):
        raise ConfigError("a scenario must be a mapping of fields", path=path,
                          fix="start with 'name: ...'")
    data.setdefault("name", path.stem)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise config_error_from_validation(exc, path, model=Scenario) from None
    if scenario.interventions:
        raise ConfigError(
            "no intervention types are available in this version",
            path=path, field="interventions", fix="leave 'interventions' empty",
        )
    base = path.resolve().parent
    return scenario.model_copy(update={
        "city": _resolve(scenario.city, base),
        "resident_model": _resolve(scenario.resident_model, base),
        "facility_files": [str(base / f) for f in scenario.facility_files],
        "population_grid": None if scenario.population_grid is None
        else str(base / scenario.population_grid),
    })
