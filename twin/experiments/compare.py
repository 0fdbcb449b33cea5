"""Compare scenarios with a baseline: who benefits, with uncertainty.

Every scenario is run against the baseline over R replications with common
random numbers: replication ``r`` synthesizes the same residents for all of
them (seed ``seed + r``) and draws their days from the same streams, so a
resident's benefit is a paired difference and the replication-to-replication
spread measures the uncertainty of the comparison, not of the population.
"""

from __future__ import annotations

import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals
from tqdm import tqdm

from twin.abm import CityModel, TravelParams
from twin.abm.access import access_fields
from twin.city import load_city
from twin.city.arrays import City
from twin.errors import ConfigError
from twin.interventions import World, apply_interventions
from twin.outcomes.benefits import BENEFITS, group_benefits, mean_ci95, newly_served, paired_benefits
from twin.outcomes.equity import BOTTOM_SHARE, concentration_index, gini, palma, share_to_bottom
from twin.outcomes.groups import MIN_CELL_RESIDENTS, group_columns
from twin.residents import load_resident_model, synthesize_for_city
from twin.residents.load import resolve_model_path
from twin.scenario import Scenario

WEEKS_PER_YEAR = 52
"""Weekly savings are annualised over 52 weeks (no holidays taken out)."""

DIMENSIONS = ("income_quintile", "connectivity", "apps", "mobility", "water_supply")
"""Reporting dimensions (:func:`twin.outcomes.groups.group_columns`)."""

SHARE_TO_BOTTOM = f"share_to_bottom_{round(BOTTOM_SHARE * 100)}pct"
"""Name of the equity measure: share of a benefit reaching the poorest 40% by income."""

_SHARED_FIELDS = ("city", "resident_model", "facility_files", "population_grid")


@dataclass
class Comparison:
    """Per-resident paired benefits of each scenario over the baseline.

    Rows of ``population`` and of each ``benefits`` frame are aligned: one per
    resident per replication, replication-major (R blocks of ``residents`` rows).

    Attributes
    ----------
    baseline, scenarios
        As compared (each simulated for ``days`` days with ``residents`` residents).
    replications, residents, days, seed
        Replication ``r`` used seed ``seed + r``.
    currency
        Of incomes and costs (the resident model's).
    population
        ``replication``, ``resident``, ``income_eur``, one categorical column
        per :data:`DIMENSIONS` and the baseline's
        ``essential_travel_min_per_week`` (float32).
    benefits
        Scenario name -> :data:`~twin.outcomes.benefits.BENEFITS` columns and
        the scenario's ``essential_travel_min_per_week`` (float32).
    yearly_cost
        Scenario name -> annualised cost of the interventions it adds to the baseline.
    warnings
        The city's warnings (e.g. a service with no facility).
    wall_time_s
        Time the simulations took.
    """

    baseline: Scenario
    scenarios: list[Scenario]
    replications: int
    residents: int
    days: int
    seed: int
    currency: str
    population: pd.DataFrame
    benefits: dict[str, pd.DataFrame]
    yearly_cost: dict[str, float]
    warnings: tuple[str, ...] = ()
    wall_time_s: float = 0.0

    def _by_replication(self, values) -> np.ndarray:
        return np.asarray(values).reshape(self.replications, self.residents)

    def by_group(self, *, k: int = MIN_CELL_RESIDENTS) -> pd.DataFrame:
        """:func:`~twin.outcomes.benefits.group_benefits` of every scenario,
        with a leading ``scenario`` column; cells under ``k`` residents left out
        (the same groups in every scenario: the residents are the same).
        ``attrs["suppressed_cells"]`` counts them per scenario."""
        tables = []
        for name, benefits in self.benefits.items():
            table = group_benefits(self.population[list(DIMENSIONS)], benefits,
                                   replication=self.population["replication"].to_numpy(), k=k)
            table.insert(0, "scenario", name)
            tables.append(table)
        result = pd.concat(tables, ignore_index=True)
        result.attrs["suppressed_cells"] = tables[0].attrs["suppressed_cells"]
        return result

    def equity(self) -> pd.DataFrame:
        """Equity indices per scenario, mean over replications with 95% CI.

        Rows (``scenario``, ``measure``, ``of``):

        - ``concentration_index`` of each benefit over income rank (< 0: pro-poor);
        - :data:`SHARE_TO_BOTTOM` of each benefit (poorest 40% by income);
        - ``gini`` and ``palma`` of ``essential_travel_min_per_week``
          ``before`` (baseline) and ``after`` (scenario).
        """
        income = self._by_replication(self.population["income_eur"])
        before = self._by_replication(self.population["essential_travel_min_per_week"])
        rows = []

        def add(scenario, measure, of, per_replication):
            mean, low, high = mean_ci95(np.array(per_replication))
            rows.append({"scenario": scenario, "measure": measure, "of": of,
                         "mean": float(mean), "ci95_low": float(low), "ci95_high": float(high)})

        reps = range(self.replications)
        for name, benefits in self.benefits.items():
            for metric in BENEFITS:
                h = self._by_replication(benefits[metric])
                add(name, "concentration_index", metric,
                    [concentration_index(h[r], income[r]) for r in reps])
                add(name, SHARE_TO_BOTTOM, metric,
                    [share_to_bottom(h[r], income[r]) for r in reps])
            after = self._by_replication(benefits["essential_travel_min_per_week"])
            for measure, index in (("gini", gini), ("palma", palma)):
                add(name, measure, "essential_travel_min_per_week before", [index(before[r]) for r in reps])
                add(name, measure, "essential_travel_min_per_week after", [index(after[r]) for r in reps])
        return pd.DataFrame(rows)

    def costs(self) -> pd.DataFrame:
        """Cost-effectiveness per scenario.

        Each simulated resident stands for one resident of the city, so:
        ``cost_per_hour_saved = yearly_cost / (hours saved per week summed
        over residents * 52)`` and ``cost_per_newly_served_resident =
        yearly_cost / residents newly served``
        (:func:`~twin.outcomes.benefits.newly_served`), from the means over
        replications. NaN ("no saving") where the denominator is <= 0.
        """
        rows = []
        for name, benefits in self.benefits.items():
            minutes = self._by_replication(benefits["minutes_saved_per_week"])
            served = self._by_replication(newly_served(benefits))
            hours, hours_low, hours_high = mean_ci95(
                minutes.sum(axis=1, dtype=np.float64) / 60.0 * WEEKS_PER_YEAR)
            count, count_low, count_high = mean_ci95(served.sum(axis=1))
            cost = self.yearly_cost[name]
            rows.append({
                "scenario": name,
                "currency": self.currency,
                "yearly_cost": cost,
                "hours_saved_per_year": float(hours),
                "hours_saved_per_year_ci95_low": float(hours_low),
                "hours_saved_per_year_ci95_high": float(hours_high),
                "residents_newly_served": float(count),
                "residents_newly_served_ci95_low": float(count_low),
                "residents_newly_served_ci95_high": float(count_high),
                "cost_per_hour_saved": cost / hours if hours > 0 else np.nan,
                "cost_per_newly_served_resident": cost / count if count > 0 else np.nan,
            })
        return pd.DataFrame(rows)

    def per_resident(self) -> pd.DataFrame:
        """Microdata: one row per scenario, replication and resident, with the
        resident's groups, travel before and after, and benefits. Not
        suppressed: share it only where individual rows may be shown."""
        frames = []
        for name, benefits in self.benefits.items():
            frame = self.population.rename(
                columns={"essential_travel_min_per_week": "essential_travel_min_per_week_before"})
            frame = pd.concat([frame, benefits.rename(
                columns={"essential_travel_min_per_week": "essential_travel_min_per_week_after"})],
                axis=1)
            frame.insert(0, "scenario", name)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)


def check_comparable(
    baseline: Scenario,
    scenarios: list[Scenario],
    *,
    paths: list[Path] | None = None,
) -> None:
    """Raise a :class:`ConfigError` unless every scenario can be paired with
    the baseline: the same city, resident model, facility files and
    population grid (common random numbers need the same residents), and
    unique names.

    Parameters
    ----------
    paths
        The scenarios' files, to name them in the error (default: their names).
    """
    model = resolve_model_path(baseline.resident_model)
    seen = set()
    for index, scenario in enumerate(scenarios):
        where = paths[index] if paths is not None else f"scenario {scenario.name!r}"
        for name in _SHARED_FIELDS:
            mine, theirs = getattr(scenario, name), getattr(baseline, name)
            same = (resolve_model_path(mine) == model) if name == "resident_model" else mine == theirs
            if not same:
                raise ConfigError(
                    f"differs from the baseline's ({theirs!r}); a comparison needs the same "
                    "city and residents", path=where, field=name,
                    fix=f"set {name} like the baseline or start the file with 'extends: baseline.yaml'")
        if scenario.name in seen:
            raise ConfigError(f"another scenario is also named {scenario.name!r}", path=where,
                              field="name", fix="give each scenario its own name")
        seen.add(scenario.name)


def _positive(value: int, name: str) -> int:
    if value <= 0:
        raise ConfigError(f"must be a positive whole number, got {value}", field=name,
                          fix=f"pass e.g. {name}=5")
    return int(value)


def _ledger(world: World, *, seed: int, days: int, access) -> pd.DataFrame:
    """A run's per-resident ledger frame."""
    model = CityModel(world, seed=seed, agents="none", access=access)
    model.run(days)
    return model.ledger_frame()


def compare(
    baseline: Scenario,
    scenarios: list[Scenario],
    *,
    replications: int,
    residents: int | None = None,
    days: int | None = None,
    seed: int | None = None,
    city: City | None = None,
    progress: bool | None = None,
) -> Comparison:
    """Run the baseline and each scenario over ``replications`` replications
    with common random numbers.

    Parameters
    ----------
    baseline, scenarios
        Validated scenarios sharing the baseline's city, resident model,
        facility files and population grid (:func:`check_comparable`).
    replications
        R >= 1; replication ``r`` uses seed ``seed + r`` for the residents,
        the interventions' draws and the days of every run.
    residents, days, seed
        Default: the baseline's (the scenarios' own values are not used, so
        every run has the same residents and days).
    city
        The baseline's compiled city if the caller has it; loaded once otherwise.
    progress
        Show a progress bar on stderr: True, False, or None (only on a terminal).

    Raises
    ------
    ConfigError
        A scenario cannot be paired with the baseline, or a count is <= 0.
    """
    check_comparable(baseline, scenarios)
    replications = _positive(replications, "replications")
    residents = _positive(residents if residents is not None else baseline.residents, "residents")
    days = _positive(days if days is not None else baseline.days, "days")
    seed = baseline.seed if seed is None else int(seed)
    if seed < 0:
        raise ConfigError(f"must be >= 0, got {seed}", field="seed", fix="pass e.g. seed=1")
    start = time.perf_counter()
    spec = load_resident_model(baseline.resident_model)
    if city is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # kept in city.warnings, reported once
            city = load_city(baseline.city, facility_files=baseline.facility_files,
                             population_grid=baseline.population_grid)
    travel = TravelParams.from_model(spec)
    access = access_fields(city)
    population, benefits = [], {s.name: [] for s in scenarios}
    with tqdm(total=replications * (1 + len(scenarios)), unit="run", desc="compare",
              file=sys.stderr, disable=None if progress is None else not progress) as bar:
        for r in range(replications):
            seed_r = seed + r
            people = synthesize_for_city(spec, city, residents, seed=seed_r)
            world = World.baseline(city, people, travel)
            base_world = apply_interventions(baseline.interventions, world, seed=seed_r,
                                             path=f"scenario '{baseline.name}'")
            before = _ledger(base_world, seed=seed_r, days=days,
                             access=access if base_world.city is city else None)
            bar.update(1)
            population.append(_population_rows(before, replication=r))
            for scenario in scenarios:
                scenario_world = apply_interventions(scenario.interventions, world, seed=seed_r,
                                                     path=f"scenario '{scenario.name}'")
                after = _ledger(scenario_world, seed=seed_r, days=days,
                                access=access if scenario_world.city is city else None)
                paired = paired_benefits(before, after)
                paired["essential_travel_min_per_week"] = (
                    after["essential_travel_min_per_week"].to_numpy(np.float32))
                benefits[scenario.name].append(paired)
                bar.update(1)
    return Comparison(
        baseline=baseline,
        scenarios=list(scenarios),
        replications=replications,
        residents=residents,
        days=days,
        seed=seed,
        currency=spec.currency,
        population=_concat_categorical(population),
        benefits={name: pd.concat(frames, ignore_index=True) for name, frames in benefits.items()},
        yearly_cost={s.name: sum(i.cost.yearly for i in s.interventions
                                 if i not in baseline.interventions) for s in scenarios},
        warnings=tuple(city.warnings),
        wall_time_s=time.perf_counter() - start,
    )


def _population_rows(before: pd.DataFrame, *, replication: int) -> pd.DataFrame:
    """What a comparison keeps of the baseline ledger: who each resident is."""
    groups = group_columns(before)
    return pd.DataFrame({
        "replication": np.full(len(before), replication, dtype=np.int16),
        "resident": before["resident"].to_numpy(np.int32),
        "income_eur": before["income_eur"].to_numpy(np.float32),
        "home_node": before["home_node"].to_numpy(np.int32),
        **{name: pd.Categorical(groups[name]) for name in DIMENSIONS},
        "essential_travel_min_per_week": before["essential_travel_min_per_week"].to_numpy(np.float32),
    })


def _concat_categorical(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate keeping the group columns categorical (a group absent in
    one replication gives that replication other categories)."""
    combined = pd.concat(frames, ignore_index=True)
    for name in DIMENSIONS:
        combined[name] = union_categoricals([frame[name] for frame in frames])
    return combined
