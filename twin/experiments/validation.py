"""The model next to the world: a validation table of observed travel figures.

An observed-figures file (``models/observed/<city>.yaml``) names the scenario
it describes and, for each figure, the sourced observed value and the
tolerance the model must meet::

    observed:
      scenario: ../../scenarios/helsinki/baseline.yaml
      figures:
        car_share_of_trips: {value: 0.21, tolerance: 0.05, source: "..."}
      not_found:
        mean_trip_time_min: "searched ...; not found"

A figure searched for and not found is listed under ``not_found`` with
where it was looked for: the table shows the model's value beside "not
found", never an invented one.

:func:`validation_table` runs nothing itself: it reads a finished run
(:class:`twin.experiments.run.RunResult`), so the figures are those of the
ledger and the model's daily counts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from twin._validation import config_error_from_validation, read_yaml_mapping
from twin.residents.load import models_dirs

FIGURES = {
    "car_share_of_trips": "share of trips made by car",
    "walk_share_of_trips": "share of trips made on foot or by wheelchair",
    "transit_share_of_trips": "share of trips made by public transport (with GTFS feeds: by the mode choice; "
                              "and the trips to a stop, of which the model times the walk)",
    "paratransit_share_of_trips": "share of trips made by paratransit",
    "trips_per_person_per_day": "trips made per resident per day (one way, as surveys count: a round trip is two)",
    "mean_trip_time_min": "minutes per trip made (one way)",
    "commute_within_30min_share": "share of commuters (residents travelling to work at least 3 times a week, "
                                  "as Brazil's census counts them) whose one-way trip to work takes 30 min or less",
    "mean_commute_time_min": "minutes per one-way trip to work, averaged over commuters (as above)",
}
"""Figures the model reports, and what each means. The model counts round
trips from home; travel surveys count each leg, so every round trip is two
trips here, each taking half its time. The commute figures compare with
censuses and surveys of workers, which ask only about the trip to work."""

COMMUTER_TRIPS_PER_WEEK = 3
"""Trips to work a week that make a resident a commuter: Brazil's Censo 2022
asked the commute time only of those who travelled to work at least three
times a week (IBGE, via GZH 2025-10-16)."""

FigureName = Literal[tuple(FIGURES)]  # type: ignore[valid-type]


class ObservedFigure(BaseModel):
    """One observed figure with the tolerance the model must meet."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    value: float | int
    tolerance: Annotated[float | int, Field(ge=0)]
    source: Annotated[str, Field(min_length=1)]


class Observed(BaseModel):
    """The figures observed in one city, and the scenario that models it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scenario: str
    figures: dict[FigureName, ObservedFigure]
    not_found: dict[FigureName, Annotated[str, Field(min_length=1)]] = Field(default_factory=dict)


def load_observed(path: str | Path) -> tuple[Observed, Path]:
    """An observed-figures file and the absolute path of its scenario.

    Raises
    ------
    ConfigError
        Not an ``observed:`` mapping, an unknown figure, a bad value.
    """
    path = Path(path)
    data = read_yaml_mapping(path)
    try:
        observed = _File.model_validate(data).observed
    except ValidationError as exc:
        raise config_error_from_validation(exc, path, model=_File) from None
    return observed, (path.resolve().parent / observed.scenario).resolve()


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    observed: Observed


def model_figures(ledger: pd.DataFrame, daily: pd.DataFrame) -> dict[str, float]:
    """The model's :data:`FIGURES` from a run's ledger and daily counts.

    Parameters
    ----------
    ledger
        :attr:`RunResult.ledger` (one row per resident, weekly figures).
    daily
        :attr:`RunResult.daily` (the DataCollector's table, one row per day).
    """
    modes = {mode: float(daily.get(f"{mode}_trips_today", pd.Series(0.0)).sum())
             for mode in ("walk", "wheelchair", "car", "transit", "paratransit")}
    trips = sum(modes.values())
    share = (lambda count: count / trips) if trips > 0 else (lambda count: float("nan"))
    days = len(daily)
    # legs, as surveys count them: out and back
    legs_per_week = 2.0 * ledger.filter(regex=r"^trips_per_week_").to_numpy(np.float64).sum()
    minutes_per_week = ledger["essential_travel_min_per_week"].to_numpy(np.float64).sum()
    work_trips = ledger["trips_per_week_work"].to_numpy(np.float64)
    commuters = work_trips >= COMMUTER_TRIPS_PER_WEEK
    commute_min = (ledger["travel_min_per_week_work"].to_numpy(np.float64)[commuters]
                   / (2.0 * work_trips[commuters]))  # each commuter's mean one-way trip to work
    return {
        "car_share_of_trips": share(modes["car"]),
        "walk_share_of_trips": share(modes["walk"] + modes["wheelchair"]),
        "transit_share_of_trips": share(modes["transit"]),
        "paratransit_share_of_trips": share(modes["paratransit"]),
        "trips_per_person_per_day": 2.0 * trips / (len(ledger) * days) if days else float("nan"),
        "mean_trip_time_min": minutes_per_week / legs_per_week if legs_per_week > 0 else float("nan"),
        "commute_within_30min_share": float(np.mean(commute_min <= 30.0)) if commuters.any() else float("nan"),
        "mean_commute_time_min": float(commute_min.mean()) if commuters.any() else float("nan"),
    }


def observed_for(scenario_path: str | Path | None) -> tuple[Observed, Path] | None:
    """The observed-figures file of ``models/observed/`` (in
    :func:`~twin.residents.load.models_dirs`) that names this scenario file,
    loaded; None if none does (or the scenario has no file)."""
    if scenario_path is None:
        return None
    target = Path(scenario_path).resolve()
    for folder in models_dirs():
        for path in sorted((folder / "observed").glob("*.yaml")):
            observed, scenario = load_observed(path)
            if scenario == target:
                return observed, path
    return None


def validation_table(observed: Observed, ledger: pd.DataFrame, daily: pd.DataFrame) -> pd.DataFrame:
    """Each observed figure next to the model's, and whether it is within tolerance.

    Returns
    -------
    pandas.DataFrame
        ``figure``, ``meaning``, ``model``, ``observed``, ``tolerance``,
        ``within`` (bool: ``|model - observed| <= tolerance``), ``source``;
        a figure not found has NaN observed and tolerance, ``within`` None
        and where it was looked for as its source.
    """
    return figures_table(observed, model_figures(ledger, daily))


def figures_table(observed: Observed, model: dict[str, float]) -> pd.DataFrame:
    """:func:`validation_table` of the model's figures ``model`` (e.g. means
    over a comparison's replications of :func:`model_figures`)."""
    rows = []
    for name, figure in observed.figures.items():
        value = model[name]
        rows.append({"figure": name, "meaning": FIGURES[name], "model": value,
                     "observed": float(figure.value), "tolerance": float(figure.tolerance),
                     "within": bool(abs(value - figure.value) <= figure.tolerance),
                     "source": figure.source})
    for name, searched in observed.not_found.items():
        rows.append({"figure": name, "meaning": FIGURES[name], "model": model[name], "observed": np.nan,
                     "tolerance": np.nan, "within": None, "source": searched})
    return pd.DataFrame(rows)
