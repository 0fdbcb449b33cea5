"""One scenario run: city, residents, simulated days, ledger."""

from __future__ import annotations

import json
import platform
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

import twin
from twin.abm import CityModel
from twin.abm.workplaces import with_workplaces
from twin.city import load_city
from twin.city.arrays import City
from twin.experiments.limits import check_days, check_fits
from twin.experiments.store import atomic_folder
from twin.interventions import apply_interventions
from twin.outcomes.expansion import expansion_for
from twin.outcomes.groups import group_table
from twin.residents import load_resident_model, synthesize_for_city
from twin.scenario import Scenario, warm_up_for
from twin.transit.service import world_transit
from twin.world import TravelParams, World


@dataclass
class RunResult:
    """What a run produced.

    Attributes
    ----------
    scenario
        The scenario as run (CLI overrides applied).
    ledger
        Per resident per week outcomes with resident attributes.
    groups
        :func:`twin.outcomes.groups.group_table` of the ledger.
    daily
        The model's DataCollector table, one row per simulated day.
    summary
        Run facts: city sizes, the facilities and warnings of the city as
        simulated (after the interventions), timings, versions.
    """

    scenario: Scenario
    ledger: pd.DataFrame
    groups: pd.DataFrame
    daily: pd.DataFrame
    summary: dict = field(default_factory=dict)

    def __repr__(self) -> str:  # not the per-resident ledger
        return (f"RunResult({self.scenario.name!r}, residents={self.scenario.residents}, "
                f"days={self.scenario.days}, seed={self.scenario.seed})")


def run_text(result: RunResult) -> str:
    """What ``twin run`` prints: the run's facts and warnings, and weekly
    essential travel and unmet trips by group (suppressed)."""
    from twin.outcomes.suppression import MIN_CELL_RESIDENTS

    s = result.summary
    nodes = s["city"]["nodes"]
    lines = [
        f"{result.scenario.name}: {s['city']['name']} (walk {nodes['walk']:,} nodes, "
        f"drive {nodes['drive']:,}), {result.scenario.residents:,} residents "
        f"({s['resident_model']}), {result.scenario.days} days"
        + (f" after a {s['warm_up_days']}-day warm-up of its paratransit riders" if s["warm_up_days"] else "")
        + f", seed {result.scenario.seed}",
        *(f"warning: {warning}" for warning in s["warnings"]),
    ]
    table = result.groups.copy()
    table["residents"] = table["residents"].map(lambda v: "<k" if pd.isna(v) else f"{int(v):,}")
    with pd.option_context("display.width", 120, "display.max_rows", 100):
        lines.append(table.drop(columns="suppressed").to_string(
            index=False, float_format=lambda v: f"{v:,.2f}", na_rep="-"))
    lines.append(
        "travel_min_per_week: mean essential travel on trips made; unmet_trips_per_week: "
        "trips no available mode makes within the resident's limit (no time counted). "
        f"k = {MIN_CELL_RESIDENTS}: groups under {MIN_CELL_RESIDENTS} residents, and the groups "
        "needed to protect them, are suppressed (-)."
    )
    return "\n".join(lines)


def run_scenario(
    scenario: Scenario,
    *,
    city: City | None = None,
    on_stage: Callable[[str], None] | None = None,
    on_day: Callable[[int], None] | None = None,
    on_warm_up: Callable[[int], None] | None = None,
) -> RunResult:
    """Simulate ``scenario.days`` days for ``scenario.residents`` residents,
    after a warm-up where they learn (:func:`twin.scenario.warm_up_for`).

    Parameters
    ----------
    scenario
        What to run (already validated).
    city
        The compiled city, if the caller has it; loaded (cached) otherwise.
    on_stage, on_day, on_warm_up
        Progress callbacks: a stage name; the day just simulated (warm-up
        days included); the warm-up days about to be simulated (0: none).

    Raises
    ------
    ConfigError
        More days than a year, or more residents than fit in memory
        (:mod:`twin.experiments.limits`), before any work.
    """
    check_days(scenario.days, path=scenario.path)
    check_fits(scenario.residents, path=scenario.path)
    stage = on_stage or (lambda name: None)
    timings: dict[str, float] = {}

    def timed(name: str, fn):
        stage(name)
        start = time.perf_counter()
        value = fn()
        timings[name.replace(" ", "_") + "_s"] = round(time.perf_counter() - start, 3)
        return value

    model_spec = load_resident_model(scenario.resident_model)
    if city is None:
        with warnings.catch_warnings():
            # They are in city.warnings, reported once in the summary.
            warnings.simplefilter("ignore", UserWarning)
            city = timed("load city", lambda: load_city(
                scenario.city, facility_files=scenario.facility_files,
                population_grid=scenario.population_grid,
            ))
    residents = timed("synthesize residents", lambda: synthesize_for_city(
        model_spec, city, scenario.residents, seed=scenario.seed,
    ))
    expansion = expansion_for(scenario, city, scenario.residents)
    baseline = World.baseline(city, residents, TravelParams.from_model(model_spec),
                              people_per_resident=expansion.weight,
                              **timed("transit", lambda: world_transit(scenario.transit, city, path=scenario.path)))
    baseline = timed("workplaces", lambda: with_workplaces(baseline, scenario.seed))
    world = apply_interventions(scenario.interventions, baseline, seed=scenario.seed, path=scenario.path)
    model = timed("accessibility", lambda: CityModel(world, seed=scenario.seed))
    warm_up = warm_up_for(scenario.warm_up_days, [scenario]) if model.learns else 0
    if on_warm_up is not None:
        on_warm_up(warm_up)
    if warm_up:
        stage("warm up")
        timed("warm up", lambda: model.warm_up(warm_up, progress=on_day))
    stage("simulate days")
    start = time.perf_counter()
    model.run(scenario.days, progress=on_day)
    timings["simulate_days_s"] = round(time.perf_counter() - start, 3)
    ledger = timed("ledger", model.ledger_frame)
    ledger["weight"] = np.float32(expansion.weight)  # people each resident stands for
    simulated = world.city  # the city as the interventions left it
    summary = {
        "scenario": scenario.model_dump(),
        "scenario_hash": scenario.content_hash(),
        "warm_up_days": warm_up,  # of the riders, before the measured days
        "resident_model": model_spec.name,
        "city": {
            "name": city.name,
            "crs": city.crs,
            "source_hash": city.source_hash,
            "nodes": {m: s.n_nodes for m, s in city.streets.items()},
            "edges": {m: s.n_edges for m, s in city.streets.items()},
            "facilities": simulated.facility_counts,
            "home_weight_source": city.home_weight_source,
        },
        "population": {"people": expansion.population, "source": expansion.source,
                       "residents": scenario.residents, "weight": expansion.weight,
                       "totals_in": expansion.unit},
        "warnings": list(simulated.warnings),
        "transit": None if world.transit is None else {
            "service_date": world.transit.timetable.service_date,
            "window_s": [world.transit.timetable.window_start_s, world.transit.timetable.window_end_s],
            "feeds": list(world.transit.timetable.feeds),
            "trips": len(world.transit.timetable.trip_id),
            "connections": world.transit.timetable.n_connections,
            "fare": world.transit.fare,
            # fares a subsidy pays, in people of the city, a year of weeks like the simulated ones
            "fares_waived_per_year": round(float(ledger["transit_fare_waived_per_week"].sum())
                                           * expansion.weight * 52.0, 2),
            "warnings": list(world.transit.timetable.warnings)},
        "timings": timings,
        "versions": {"twin": twin.__version__, "python": platform.python_version()},
    }
    daily = model.datacollector.get_model_vars_dataframe()
    return RunResult(scenario, ledger, group_table(ledger), daily, summary)


def write_run(result: RunResult, out: str | Path) -> Path:
    """Write a run's ledger (Parquet), group table and daily figures (CSV)
    and summary (JSON) into ``out``, atomically."""
    with atomic_folder(out) as tmp:
        result.ledger.to_parquet(tmp / "ledger.parquet", index=False)
        result.groups.to_csv(tmp / "groups.csv", index=False)
        result.daily.to_csv(tmp / "daily.csv", index=False)
        (tmp / "summary.json").write_text(json.dumps(result.summary, indent=2, default=str))
    return Path(out)
