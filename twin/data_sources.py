"""Data sources as observation models: who a city's data sees.

Planners site services from the data they have: an app's request log,
smart-meter readings, mobile-phone presence. A data source here sees each
resident with a probability that depends on who they are (smartphone, app
access, a piped connection, income, ...), declared in YAML like a resident
model (``models/data_sources/*.yaml``), every probability sourced or labelled
``assumption:``::

    sources:
      smart_meter_readings:
        description: Readings of the smart meters on piped connections.
        need: water                 # what planners read it as evidence of
        seen:                       # first rule whose `when` a resident meets
          - when: {water_supply: piped}
            value: 1.0
            source: "assumption: every piped connection has a smart meter"
          - value: 0.0              # no `when`: everyone else
            source: "a meter reads a piped connection; without one there is none"

Which residents a source sees is drawn from twin's counter-based streams
(:data:`twin.core.streams.CHANNEL_DATA_SOURCES`, one channel per source in
the order of the file), once per run: the same residents are seen in every
scenario of a replication and whatever the sample size or order.
"""

from __future__ import annotations

import difflib
import functools
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, StringConstraints, ValidationError, model_validator

import twin
from twin._validation import Problem, ProblemsError, config_error_from_validation, read_yaml_mapping
from twin.config import Probability, Source, Strict
from twin.core.streams import CHANNEL_DATA_SOURCES, MAX_DATA_SOURCES, PHASE_DAY, uniforms
from twin.errors import ConfigError, InputFileError
from twin.residents.population import WATER_SUPPLIES, Residents

NEED_NAMES = ("water", "digital_help", "mobility_help", "presence")
"""Needs a source can be read as evidence of (:data:`twin.outcomes.coverage.NEEDS`)."""

TRUE_NEED = "need"
"""Reserved name: ``siting: {from: need}`` sites from the true need (the default)."""

SUFFIXES = (".yaml", ".yml")

StrictBool = Annotated[bool, Field(strict=True)]
Quintile = Annotated[int, Field(ge=1, le=5, strict=True)]
AgeBand = Annotated[int, Field(ge=0, strict=True)]
Supply = Literal[WATER_SUPPLIES]  # type: ignore[valid-type]
SourceName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]

BOOLEAN_ATTRIBUTES = ("smartphone", "home_internet", "digital_skills", "phone", "can_use_apps",
                      "has_car", "reduced_mobility", "wheelchair")
"""Resident attributes a rule may ask for (true or false)."""


class When(Strict):
    """Conditions a resident must all meet (an empty ``when`` matches everyone).

    Booleans ask for the attribute's value; ``water_supply``,
    ``income_quintile`` and ``age_band`` (an index into the resident
    model's ``age_bands``, youngest 0) take one value or a list of accepted
    ones.
    """

    smartphone: StrictBool | None = None
    home_internet: StrictBool | None = None
    digital_skills: StrictBool | None = None
    phone: StrictBool | None = None
    can_use_apps: StrictBool | None = None
    has_car: StrictBool | None = None
    reduced_mobility: StrictBool | None = None
    wheelchair: StrictBool | None = None
    water_supply: Supply | list[Supply] | None = None
    income_quintile: Quintile | list[Quintile] | None = None
    age_band: AgeBand | list[AgeBand] | None = None

    def matches(self, residents: Residents) -> np.ndarray:
        """bool per resident: meets every condition."""
        out = np.ones(len(residents), dtype=bool)
        for name in BOOLEAN_ATTRIBUTES:
            wanted = getattr(self, name)
            if wanted is not None:
                out &= getattr(residents, name) == wanted
        if self.water_supply is not None:
            names = [self.water_supply] if isinstance(self.water_supply, str) else self.water_supply
            out &= np.isin(residents.water_supply, [WATER_SUPPLIES.index(n) for n in names])
        for name in ("income_quintile", "age_band"):
            wanted = getattr(self, name)
            if wanted is not None:
                out &= np.isin(getattr(residents, name), wanted if isinstance(wanted, list) else [wanted])
        return out


class Rule(Strict):
    """Residents meeting ``when`` (and no earlier rule) are seen with
    probability ``value``."""

    when: When = Field(default_factory=When)
    value: Probability
    source: Source


class DataSource(Strict):
    """One source: what it is, the need planners read it as evidence of
    (``water``: fetching water; ``digital_help``: residents who cannot use
    apps; ``mobility_help``: residents with reduced mobility, whom
    paratransit is for; ``presence``: everyone), and whom it sees (rules, first match
    wins; a resident no rule matches is never seen)."""

    description: str = ""
    need: Literal[NEED_NAMES]  # type: ignore[valid-type]
    seen: Annotated[list[Rule], Field(min_length=1)]

    def probability(self, residents: Residents) -> np.ndarray:
        """float64 per resident: the chance this source sees them."""
        p = np.zeros(len(residents))
        unmatched = np.ones(len(residents), dtype=bool)
        for rule in self.seen:
            hit = unmatched & rule.when.matches(residents)
            p[hit] = rule.value
            unmatched &= ~hit
        return p


class DataSources(Strict):
    """A data-sources file: named sources, in the order that gives each
    its random stream."""

    sources: Annotated[dict[SourceName, DataSource], Field(min_length=1)]

    @model_validator(mode="after")
    def _names(self) -> DataSources:
        problems = []
        if TRUE_NEED in self.sources:
            problems.append(Problem(f"sources.{TRUE_NEED}", f"'{TRUE_NEED}' is reserved for the true need",
                                    "give the source another name"))
        if len(self.sources) > MAX_DATA_SOURCES:
            problems.append(Problem("sources", f"{len(self.sources)} sources, at most {MAX_DATA_SOURCES}",
                                    "split them over files"))
        if problems:
            raise ProblemsError(problems)
        return self

    def check_age_bands(self, n_bands: int, *, path, model: str) -> None:
        """Raise a :class:`ConfigError` (naming ``path`` and the rule) for an
        ``age_band`` the resident model ``model`` (``n_bands`` bands) lacks."""
        for name, source in self.sources.items():
            for index, rule in enumerate(source.seen):
                bands = rule.when.age_band
                for band in bands if isinstance(bands, list) else [] if bands is None else [bands]:
                    if band >= n_bands:
                        raise ConfigError(
                            f"age band {band} does not exist: the resident model {model} has "
                            f"{n_bands} (0 .. {n_bands - 1})", path=path,
                            field=f"sources.{name}.seen[{index}].when.age_band",
                            fix=f"use an index 0 .. {n_bands - 1} into the model's age_bands")

    def channel(self, name: str) -> int:
        """The random channel of source ``name``."""
        return CHANNEL_DATA_SOURCES + list(self.sources).index(name)

    def seen(self, name: str, residents: Residents, *, seed: int) -> np.ndarray:
        """bool per resident: seen by source ``name`` in the run with ``seed``
        (fixed over the run; the same in every scenario with that seed)."""
        u = uniforms(seed, PHASE_DAY, self.channel(name), len(residents))
        return u < self.sources[name].probability(residents)


def data_sources_dirs() -> list[Path]:
    """Folders searched for named data-sources files: the checkout's
    ``models/data_sources/``, then ``./models/data_sources``."""
    candidates = [Path(twin.__file__).resolve().parents[1] / "models" / "data_sources",
                  Path.cwd() / "models" / "data_sources"]
    return [p for p in dict.fromkeys(c.resolve() for c in candidates) if p.is_dir()]


def available_data_sources() -> list[str]:
    """Names of the data-sources files in :func:`data_sources_dirs`."""
    return sorted({p.stem for d in data_sources_dirs() for p in d.iterdir() if p.suffix in SUFFIXES})


def resolve_data_sources_path(name_or_path: str | Path) -> Path:
    """The file of a data-sources name (``city_data``) or path.

    Raises
    ------
    InputFileError
        No such file; the message lists the available names.
    """
    text = str(name_or_path)

    def fix() -> str:  # listing the folders only on failure
        return (f"available data sources: {', '.join(available_data_sources()) or 'none'}; "
                "or give the path of a .yaml file")

    if "/" in text or "\\" in text or Path(text).suffix in SUFFIXES:
        if not Path(text).is_file():
            raise InputFileError("data-sources file not found", path=text, fix=fix())
        return Path(text)
    for folder in data_sources_dirs():
        for suffix in SUFFIXES:
            if (folder / f"{text}{suffix}").is_file():
                return folder / f"{text}{suffix}"
    raise InputFileError(f"no data sources named '{text}'", path=f"models/data_sources/{text}.yaml", fix=fix())


def load_data_sources(name_or_path: str | Path) -> DataSources:
    """Load and check a data-sources file.

    Raises
    ------
    InputFileError
        The file does not exist.
    ConfigError
        Malformed YAML, an unknown key or attribute, a probability without a
        source or outside 0-1; one line naming the file, field and fix.
    """
    path = resolve_data_sources_path(name_or_path).resolve()
    return _load_data_sources(path, path.read_bytes())


@functools.lru_cache(maxsize=16)
def _load_data_sources(path: Path, content: bytes) -> DataSources:
    """A file's ``content`` parsed and checked once (DataSources are frozen):
    a sweep's checks and runs build every scenario again, 3 ms a parse."""
    data = read_yaml_mapping(path)
    try:
        return DataSources.model_validate(data)
    except ValidationError as exc:
        raise config_error_from_validation(exc, path, model=DataSources) from None


def check_source_name(sources: DataSources | None, name: str, *, path, field: str) -> None:
    """Raise a :class:`ConfigError` unless ``name`` is a source of ``sources``
    (or :data:`TRUE_NEED`), naming ``path`` and ``field``."""
    if name == TRUE_NEED:
        return
    if sources is None:
        raise ConfigError(f"siting from data source {name!r}, but the scenario names no data_sources",
                          path=path, field=field,
                          fix="add e.g. 'data_sources: city_data' (models/data_sources/city_data.yaml) "
                              f"to the scenario, or site from '{TRUE_NEED}'")
    if name not in sources.sources:
        near = difflib.get_close_matches(name, sources.sources, n=1)
        hint = f"did you mean {near[0]!r}? " if near else ""
        raise ConfigError(f"unknown data source {name!r}", path=path, field=field,
                          fix=f"{hint}sources: {', '.join([TRUE_NEED, *sources.sources])}")
