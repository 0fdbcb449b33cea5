"""Scenario files: which city, which residents, which interventions.

A scenario is a YAML file checked against :class:`Scenario` (unknown keys are
errors, with the nearest valid key suggested) before anything runs. Paths in
it are relative to the file. ``extends: base.yaml`` starts from another
scenario: every top-level key the file sets replaces the base's (lists
included, so a file that extends the baseline lists all its interventions).
The baseline applies no intervention.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SerializeAsAny,
    ValidationError,
    model_validator,
)

from twin._validation import Problem, ProblemsError, config_error_from_validation, read_yaml_mapping
from twin.config import NonNegative, Positive, Value
from twin.data_sources import DataSources, check_source_name, load_data_sources
from twin.errors import ConfigError, InputFileError
from twin.interventions import REGISTRY, Intervention

MAX_DAYS = 366
"""Most simulated days in one run: a year (a leap year's). Outcomes are per
week, and nothing in a run changes with the season, so more days only narrow
the confidence intervals, which replications do in parallel."""

WARM_UP_DAYS = 28
"""Days of the learners simulated before the measured ones (not measured) under
``warm_up_days: auto`` where residents learn a service from their own days
(:attr:`Intervention.learns <twin.interventions.base.Intervention.learns>`:
paratransit). Measured with the bundled single-stop service, 20,000
Helsinki residents, seeds 3-5: refused bookings a day fall from 143 in the
first week to 31, 7.7, 2.6 and 0.9 in weeks 2-5 (1.4% of the requests), and
the added travel per rider-week against no fleet from 3.6 to 0.35 minutes
in week 5; the multi-stop service's refusals fall from 78 a day to 8.0 in
week 5. Water points need none: households' expected queues settle within
a day (day 1's unmet fetches within 15% of the days after, with no trend
over 21 days, the lower-income Helsinki and Porto Alegre water points).
Riders who stop booking never try again, so requests keep falling slowly
(single-stop: 64-66 a day in weeks 5-6, 56 in week 8)."""

WarmUp = Annotated[int, Field(ge=0, le=MAX_DAYS)] | Literal["auto"]
"""Days of warm-up, or ``auto``: :data:`WARM_UP_DAYS` where something
learns, else none."""

NAME_PATTERN = re.compile(r"\w[\w.\- ]{0,79}")
"""A scenario name: a letter, digit or ``_`` first, then up to 79 of those,
``.``, ``-`` or spaces, no ``..``. It names the default output folder
``runs/<name>``, so it can never be empty, hidden, or a path."""


def _safe_name(name: str) -> str:
    if not NAME_PATTERN.fullmatch(name) or ".." in name or name != name.strip():
        raise ProblemsError([Problem(
            "", f"{name!r} is not a short name (it names the output folder runs/<name>)",
            "use letters, digits, _, - or . (not first), e.g. 'name: water_points'")])
    return name


Name = Annotated[str, Field(strict=True), AfterValidator(_safe_name)]


def _clock(text: str) -> str:
    from twin.transit.timetable import parse_clock

    try:
        parse_clock(text)
    except ValueError:
        raise ProblemsError([Problem("", f"{text!r} is not a clock time",
                                     "write HH:MM, e.g. '07:00'")]) from None
    return text


Clock = Annotated[str, Field(strict=True), AfterValidator(_clock)]


class TransitService(BaseModel):
    """The public transport a scenario's residents may take (``transit:``).

    Attributes
    ----------
    feeds
        GTFS feeds (.zip files or folders), relative to the scenario file.
    service_date
        The day of service the timetable is read for (``YYYY-MM-DD``); the
        feeds' calendars must run on it.
    window
        Departures from home over ``[start, end)`` (``HH:MM``): travel times
        are medians over one departure a minute.
    fare
        Fare of a one-way trip (model currency), sourced.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    feeds: Annotated[list[str], Field(min_length=1)]
    service_date: Annotated[dt.date, Field(strict=False)]
    window: Annotated[tuple[Clock, Clock], Field(strict=False)]
    fare: Value[NonNegative]

    @model_validator(mode="after")
    def _window_ordered(self) -> TransitService:
        start_s, end_s = self.window_s
        if not start_s < end_s:
            raise ProblemsError([Problem("window", f"ends ({self.window[1]}) before it starts ({self.window[0]})",
                                         "write [start, end], e.g. ['07:00', '09:00']")])
        return self

    @property
    def window_s(self) -> tuple[int, int]:
        """The departure window in seconds from midnight."""
        from twin.transit.timetable import parse_clock

        return parse_clock(self.window[0]), parse_clock(self.window[1])


class Scenario(BaseModel):
    """One scenario to simulate.

    Attributes
    ----------
    name
        Short name used in tables and output folders (default: the file
        stem); see :data:`NAME_PATTERN`.
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
    population
        The people the scenario stands for, sourced (``{value, source}``):
        every total is in people of the city (:mod:`twin.outcomes.expansion`).
        Default: the population grid's total, else totals per 1,000 residents.
    data_sources
        A data-sources file (a name in ``models/data_sources/`` or a path,
        :mod:`twin.data_sources`): what the city's data sees. Interventions
        may site from its sources (``siting: {from: SOURCE}``), and a
        comparison reports whose need each source sees.
    residents, days, seed
        Defaults for a run; the CLI options override them. Numbers are
        strict: ``days: yes`` or ``residents: "100"`` is an error, not 1 or 100.
    warm_up_days
        Days of the residents who learn a service simulated before the
        ``days`` that are measured, so that these start from what they learnt
        (:func:`warm_up_for`); ``auto`` (default): :data:`WARM_UP_DAYS`
        with a service residents learn (paratransit), else 0. A comparison
        uses the baseline's.
    transit
        Public transport from GTFS feeds (:class:`TransitService`); none
        when omitted (residents walk or drive).
    interventions
        What the scenario changes, applied in order; empty for the baseline.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    name: Name
    description: str = ""
    city: str = "helsinki"
    resident_model: str = "helsinki"
    facility_files: list[str] = Field(default_factory=list)
    population_grid: str | None = None
    population: Value[Positive] | None = None
    data_sources: str | None = None
    residents: int = Field(20_000, gt=0)
    days: int = Field(7, gt=0, le=MAX_DAYS)
    seed: int = Field(1, ge=0)
    warm_up_days: WarmUp = "auto"
    transit: TransitService | None = None
    interventions: list[SerializeAsAny[Intervention]] = Field(default_factory=list)
    _path: str | None = PrivateAttr(default=None)
    _sources: DataSources | None = PrivateAttr(default=None)

    @property
    def path(self) -> str | None:
        """The file the scenario was read from, if any (for error messages)."""
        return self._path

    @property
    def sources(self) -> DataSources | None:
        """The loaded ``data_sources`` file, if the scenario names one."""
        return self._sources

    def content_hash(self) -> str:
        """Hash of everything that defines the scenario's results (with the
        data sources' content, not only their file name)."""
        data = self.model_dump(mode="json")
        if self._sources is not None:
            data["data_sources"] = self._sources.model_dump(mode="json")
        text = json.dumps(data, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def learns(self) -> bool:
        """Whether residents learn one of its services from their own days."""
        return any(i.learns for i in self.interventions)

    @property
    def cost(self) -> tuple[float, float]:
        """Total (capital, yearly operating) cost of the interventions."""
        return (
            sum(i.cost.capital.value for i in self.interventions),
            sum(i.cost.yearly_operating.value for i in self.interventions),
        )


_SCENARIO_KEYS = set(Scenario.model_fields) | {"extends"}


def warm_up_for(setting: int | str, scenarios: Iterable[Scenario], *, field: str = "warm_up_days") -> int:
    """Days of warm-up for runs of ``scenarios`` (a run, or a comparison's
    baseline and scenarios, which all warm up alike).

    Parameters
    ----------
    setting
        A whole number of days (0 .. :data:`MAX_DAYS`), or ``"auto"``:
        :data:`WARM_UP_DAYS` if any of ``scenarios`` has a service its
        residents learn (:attr:`Scenario.learns`), else 0.
    field
        What an error names (``--warm-up-days`` from the CLI).

    Raises
    ------
    ConfigError
        Not ``auto`` nor a whole number in 0 .. MAX_DAYS.
    """
    if setting == "auto":
        return WARM_UP_DAYS if any(s.learns for s in scenarios) else 0
    if isinstance(setting, bool) or not isinstance(setting, int) or not 0 <= setting <= MAX_DAYS:
        raise ConfigError(f"must be 'auto' or a whole number of days 0 .. {MAX_DAYS}, got {setting!r}",
                          field=field, fix=f"pass e.g. {field}=0 (no warm-up) or {field}={WARM_UP_DAYS}")
    return setting


def load_scenario(path: str | Path) -> Scenario:
    """Read and check a scenario file (and the files it extends).

    Raises
    ------
    InputFileError
        The file (or a file it extends) is missing or unreadable.
    ConfigError
        Malformed YAML, an unknown key or intervention type, a bad value.
    """
    path = Path(path)
    data = _read_with_bases(path, seen=())
    if "design" in data and "city" not in data:
        raise ConfigError("a sweep file, not a scenario", path=path, fix=f"run it with 'twin batch {path}'")
    data.setdefault("name", path.stem)
    scenario = scenario_from_mapping(data, where=str(path))
    scenario._path = str(path)
    return scenario


def scenario_from_mapping(data: dict[str, Any], *, where: str) -> Scenario:
    """A :class:`Scenario` from its YAML mapping (paths already resolved),
    checked as a file would be.

    Parameters
    ----------
    data
        The mapping, with ``interventions`` as a list of mappings.
    where
        What error messages name as the file (a path, or e.g. ``scenario 'x'``).

    Raises
    ------
    ConfigError
        An unknown key or intervention type, or a bad value, in one line.
    """
    data = dict(data)
    interventions = [
        _parse_intervention(item, where, index)
        for index, item in enumerate(data.pop("interventions", None) or [])
    ]
    try:
        scenario = Scenario.model_validate({**data, "interventions": interventions})
    except ValidationError as exc:
        raise config_error_from_validation(exc, where, model=Scenario) from None
    _bind_sources(scenario, where)
    return scenario


def _bind_sources(scenario: Scenario, where: str) -> None:
    """Load the scenario's data sources and give each intervention that
    sites from one its source; an unknown name is one line naming ``where``
    and ``interventions[i].siting.from``."""
    if scenario.data_sources is not None:
        try:
            scenario._sources = load_data_sources(scenario.data_sources)
        except InputFileError as error:
            raise InputFileError(error.message, path=where, field="data_sources", fix=error.fix) from None
        if any(rule.when.age_band is not None for source in scenario.sources.sources.values()
               for rule in source.seen):
            from twin.data_sources import resolve_data_sources_path
            from twin.residents.load import load_resident_model

            bands = len(load_resident_model(scenario.resident_model).age_bands.values)
            scenario.sources.check_age_bands(bands, path=resolve_data_sources_path(scenario.data_sources),
                                             model=scenario.resident_model)
    for index, intervention in enumerate(scenario.interventions):
        siting = getattr(intervention, "siting", None)
        if siting is not None:
            check_source_name(scenario.sources, siting.from_, path=where,
                              field=f"interventions[{index}].siting.from")
            siting.bind(scenario.sources)


def check_intervention(item: Any) -> str | None:
    """The one-line problem with an intervention mapping, or None if it is valid."""
    try:
        _parse_intervention(item, "", 0)
    except ConfigError as error:
        field = error.field.removeprefix("interventions[0]").lstrip(".") or None
        return str(ConfigError(error.message, field=field, fix=error.fix))
    return None


def _read_with_bases(path: Path, seen: tuple[Path, ...]) -> dict[str, Any]:
    """The file's mapping over its base's, with paths made absolute."""
    data = read_yaml_mapping(path)
    base_dir = path.resolve().parent
    for key in ("city", "resident_model", "population_grid", "data_sources"):
        if isinstance(data.get(key), str):
            data[key] = _resolve(data[key], base_dir, path, key)
    if isinstance(data.get("facility_files"), list):
        data["facility_files"] = [
            _resolve(f, base_dir, path, f"facility_files[{i}]") if isinstance(f, str) else f
            for i, f in enumerate(data["facility_files"])
        ]
    transit = data.get("transit")
    if isinstance(transit, dict) and isinstance(transit.get("feeds"), list):
        data["transit"] = {**transit, "feeds": [
            _resolve(f, base_dir, path, f"transit.feeds[{i}]") if isinstance(f, str) else f
            for i, f in enumerate(transit["feeds"])]}
    base = data.pop("extends", None)
    if base is None:
        return data
    if not isinstance(base, str):
        raise ConfigError("must be the path of another scenario file", path=path,
                          field="extends", fix="write e.g. 'extends: baseline.yaml'")
    base_path = (base_dir / base).resolve()
    if base_path in seen or base_path == path.resolve():
        raise ConfigError(f"extends itself through {base}", path=path, field="extends",
                          fix="remove the cycle")
    if not base_path.is_file():
        raise ConfigError(f"extends a missing file: {base_path}", path=path, field="extends",
                          fix="check the path; it is relative to this file")
    merged = _read_with_bases(base_path, seen + (path.resolve(),))
    merged.pop("name", None)  # a scenario is named after its own file unless it says otherwise
    return {**merged, **data}


def _resolve(value: str, base: Path, path: Path, field: str) -> str:
    """``value`` as a path relative to the scenario file ``path`` if it names
    an existing file there; else as it is, if it names an existing file (from
    the working folder) or, for ``city``, ``resident_model`` and
    ``data_sources``, a name (``helsinki``, a model in ``models/``, a
    place, a file in ``models/data_sources/``).

    Raises
    ------
    InputFileError
        ``value`` looks like a file (a suffix or a folder) and is not there,
        ``field`` only takes files, or no resident model has that name;
        naming the scenario and the field.
    """
    candidate = base / Path(value).expanduser()
    if candidate.exists():
        return str(candidate)
    if Path(value).expanduser().exists():
        return value
    looks_like_a_name = not Path(value).suffix and "/" not in value and "\\" not in value
    if field == "city" and looks_like_a_name:
        return value
    if field in ("resident_model", "data_sources") and looks_like_a_name:
        from twin.data_sources import resolve_data_sources_path
        from twin.residents.load import resolve_model_path

        resolve = resolve_model_path if field == "resident_model" else resolve_data_sources_path
        try:
            resolve(value)
        except InputFileError as error:
            raise InputFileError(error.message, path=path, field=field, fix=error.fix) from None
        return value
    raise InputFileError(f"file not found: {value} (looked for {candidate})", path=path, field=field,
                         fix="check the path; it is relative to this scenario file")


def _parse_intervention(item: Any, path: str | Path, index: int) -> Intervention:
    field = f"interventions[{index}]"
    valid = ", ".join(sorted(REGISTRY))
    if not isinstance(item, dict) or "type" not in item:
        raise ConfigError("an intervention needs a 'type'", path=path, field=field,
                          fix=f"valid types: {valid}")
    kind = item["type"]
    if kind not in REGISTRY:
        near = difflib.get_close_matches(str(kind), REGISTRY, n=1)
        hint = f"did you mean {near[0]!r}? " if near else ""
        raise ConfigError(f"unknown intervention type {kind!r}", path=path, field=f"{field}.type",
                          fix=f"{hint}valid types: {valid}")
    cls = REGISTRY[kind]
    try:
        return cls.model_validate(item)
    except ValidationError as exc:
        error = config_error_from_validation(exc, path, model=cls)
        error.field = f"{field}.{error.field}" if error.field else field
        raise ConfigError(error.message, path=path, field=error.field, fix=error.fix) from None
