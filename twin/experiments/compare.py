"""Compare scenarios with a baseline: who benefits, with uncertainty.

Every scenario is run against the baseline over R replications with common
random numbers: replication ``r`` synthesizes the same residents for all of
them (seed ``seed + r``) and draws their days from the same streams, so a
resident's benefit is a paired difference and the replication-to-replication
spread measures the uncertainty of the comparison, not of the population.
Every run where residents learn starts with the same warm-up (their days
on streams of their own, not measured), so the measured days stay paired.
"""

from __future__ import annotations

import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals
from tqdm import tqdm

from twin.abm import CityModel
from twin.abm.access import access_fields, updated_access
from twin.abm.unchanged import BaselineDays
from twin.abm.workplaces import with_workplaces
from twin.city import load_city
from twin.city.arrays import City
from twin.data_sources import TRUE_NEED
from twin.errors import ConfigError
from twin.experiments.limits import check_days, check_fits, check_replications
from twin.experiments.validation import figures_table, model_figures, observed_for
from twin.interventions import apply_interventions
from twin.outcomes.benefits import BENEFITS, group_benefits, mean_ci95, newly_served, paired_benefits, ratio_ci95
from twin.outcomes.coverage import coverage_table, observed_columns
from twin.outcomes.equity import concentration_index, fractional_rank, gini_and_palma
from twin.outcomes.expansion import Expansion, expansion_for
from twin.outcomes.groups import MIN_CELL_RESIDENTS, group_columns
from twin.residents import load_resident_model, synthesize_for_city
from twin.residents.load import resolve_model_path
from twin.scenario import Scenario, warm_up_for
from twin.transit.service import world_transit
from twin.world import TravelParams, World

WEEKS_PER_YEAR = 52
"""Weekly savings are annualised over 52 weeks (no holidays taken out)."""

DIMENSIONS = ("income_quintile", "connectivity", "apps", "mobility", "water_supply")
"""Reporting dimensions (:func:`twin.outcomes.groups.group_columns`)."""

DEFAULT_REPLICATIONS = 10
"""Replications of ``twin compare`` unless told otherwise."""

POOREST_40PCT = ("Q1", "Q2")
"""The poorest 40% by income: the two lowest income quintiles (the World
Bank's shared-prosperity group), the same cells in every table."""

NO_CLEAR_EFFECT = "no clear effect: the 95% CI of the benefit contains zero"

_SHARED_FIELDS = ("city", "resident_model", "facility_files", "population_grid", "population",
                  "data_sources", "transit")


def clear(low: float, high: float) -> bool:
    """Whether a 95% CI excludes zero (False when there is no CI)."""
    return bool(low > 0.0 or high < 0.0)


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
    warm_up_days
        Days of the residents who learn a service simulated before the
        measured ``days`` in every run where they learn (:meth:`CityModel.warm_up
        <twin.abm.CityModel.warm_up>`).
    expansion
        The people the residents stand for (:mod:`twin.outcomes.expansion`):
        every total is in people of the city (or per 1,000 residents).
    currency, price_year
        Of every cost (from the scenarios' ``cost:``; None without costs).
    population
        ``replication``, ``resident``, ``income``, one categorical column
        per :data:`DIMENSIONS` and the baseline's
        ``essential_travel_min_per_week`` (float32).
    benefits
        Scenario name -> :data:`~twin.outcomes.benefits.BENEFITS` columns and
        the scenario's ``essential_travel_min_per_week`` (float32).
    yearly_cost
        Scenario name -> annualised stated cost of the interventions it adds
        to the baseline (:func:`stated_yearly_cost`).
    warnings
        The warnings of the cities as simulated (e.g. a service with no
        facility); one that holds for only some of the scenarios names them.
    facilities
        Scenario name (baseline included) -> service -> facilities in the
        city as simulated (after the scenario's interventions).
    wall_time_s
        Time the simulations took.
    observed
        With the baseline's ``data_sources``: each resident's needs and
        which sources see them (:func:`twin.outcomes.coverage.observed_columns`),
        rows aligned with ``population``; else None.
    simulated_cost
        Scenario name -> per replication, the yearly cost the simulation
        says the change from the baseline incurs as interventions are used
        (:func:`simulated_yearly_cost`, e.g. a fare subsidy's fares waived,
        or the extra fares it waives as buses run more often); only where
        the baseline or the scenario runs such an intervention. Added to
        ``yearly_cost``.
    baseline_figures
        The baseline's travel figures
        (:func:`~twin.experiments.validation.model_figures`), one row per
        replication; read against observed ones by :meth:`validation`.
    """

    baseline: Scenario
    scenarios: list[Scenario]
    replications: int
    residents: int
    days: int
    seed: int
    expansion: Expansion
    currency: str | None
    price_year: int | None
    population: pd.DataFrame
    benefits: dict[str, pd.DataFrame]
    yearly_cost: dict[str, float]
    warnings: tuple[str, ...] = ()
    facilities: dict[str, dict[str, int]] = field(default_factory=dict)
    wall_time_s: float = 0.0
    observed: pd.DataFrame | None = None
    simulated_cost: dict[str, np.ndarray] = field(default_factory=dict)
    baseline_figures: pd.DataFrame | None = None
    warm_up_days: int = 0

    def __repr__(self) -> str:  # not the per-resident frames
        return (f"Comparison(baseline={self.baseline.name!r}, scenarios={[s.name for s in self.scenarios]}, "
                f"replications={self.replications}, residents={self.residents}, days={self.days}, "
                f"seed={self.seed})")

    def validation(self) -> pd.DataFrame | None:
        """The baseline's travel figures next to those observed in its city
        (:func:`~twin.experiments.validation.figures_table` with the model's
        mean over replications, plus ``model_ci95_low`` and ``_high``), when
        a ``models/observed/*.yaml`` names the baseline's file; else None."""
        found = observed_for(self.baseline.path)
        if found is None or self.baseline_figures is None:
            return None
        mean, low, high = mean_ci95(self.baseline_figures.to_numpy(np.float64))
        table = figures_table(found[0], dict(zip(self.baseline_figures.columns, mean)))
        bounds = pd.DataFrame({"model_ci95_low": low, "model_ci95_high": high},
                              index=self.baseline_figures.columns)
        table.insert(3, "model_ci95_low", table["figure"].map(bounds["model_ci95_low"]))
        table.insert(4, "model_ci95_high", table["figure"].map(bounds["model_ci95_high"]))
        return table

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
                                   replication=self.population["replication"].to_numpy(),
                                   weight=self.expansion.weight, k=k)
            table.insert(0, "scenario", name)
            tables.append(table)
        result = pd.concat(tables, ignore_index=True)
        result.attrs["suppressed_cells"] = tables[0].attrs["suppressed_cells"]
        return result

    def coverage(self, *, k: int = MIN_CELL_RESIDENTS) -> pd.DataFrame | None:
        """:func:`~twin.outcomes.coverage.coverage_table`: the share of each
        need each data source sees, by group (cells under ``k`` left out);
        None without data sources."""
        if self.observed is None:
            return None
        return coverage_table(self.population[list(DIMENSIONS)], self.observed,
                              replication=self.population["replication"].to_numpy(),
                              weight=self.expansion.weight, k=k)

    def siting_twins(self) -> dict[str, tuple[str, str]]:
        """Scenarios sited from a data source, each with its twin sited from
        the true need (the same interventions but for ``siting``) and the
        source: ``{data_scenario: (true_scenario, source)}``. A data-sited
        scenario without such a twin is left out."""
        def key(scenario: Scenario) -> list:
            return [i.model_dump(mode="json", exclude={"siting"}) for i in scenario.interventions]

        def sources(scenario: Scenario) -> set[str]:
            return {i.siting_from for i in scenario.interventions
                    if getattr(i, "siting_from", TRUE_NEED) != TRUE_NEED}

        twins = {}
        for scenario in self.scenarios:
            if not sources(scenario):
                continue
            for other in self.scenarios:
                if not sources(other) and key(other) == key(scenario):
                    twins[scenario.name] = (other.name, ", ".join(sorted(sources(scenario))))
                    break
        return twins

    def data_siting_cost(self, *, k: int = MIN_CELL_RESIDENTS) -> tuple[pd.DataFrame, pd.DataFrame]:
        """What planning from data costs: each data-sited scenario against its
        true-need twin (:meth:`siting_twins`), paired per resident.

        Returns
        -------
        totals
            One row per pair and figure, mean over replications with 95% CI:
            ``unmet_trips_avoided_per_week`` and ``people_newly_served`` (in
            people of the city) and the ``share_of_gains_to_poorest_40pct`` of
            unmet trips avoided and of minutes saved, ``true_need``, ``data``
            and ``lost`` (= true need - data, per replication).
        by_group
            :func:`~twin.outcomes.benefits.group_benefits` of the per-resident
            benefit lost (true-need benefit - data-sited benefit; > 0: the
            group is worse off planned from data), cells under ``k`` left out.
        """
        weight, reps = self.expansion.weight, range(self.replications)
        poorest = self._by_replication(self.population["income_quintile"].isin(POOREST_40PCT))
        totals, groups = [], []
        for data, (true, source) in self.siting_twins().items():
            a, b = self.benefits[true], self.benefits[data]
            figures = {
                "unmet_trips_avoided_per_week": lambda f: self._by_replication(
                    f["unmet_trips_avoided_per_week"]).sum(axis=1, dtype=np.float64) * weight,
                "people_newly_served": lambda f: self._by_replication(
                    newly_served(f)).sum(axis=1, dtype=np.float64) * weight,
            }
            for metric in ("unmet_trips_avoided_per_week", "minutes_saved_per_week"):
                figures[f"share_of_gains_to_poorest_40pct ({metric})"] = lambda f, metric=metric: np.array(
                    [_share(np.maximum(self._by_replication(f[metric])[r], 0.0), poorest[r]) for r in reps])
            for figure, per_replication in figures.items():
                row = {"scenario": data, "sited_like": true, "source": source, "figure": figure}
                with_true, with_data = per_replication(a), per_replication(b)
                for column, values in (("true_need", with_true), ("data", with_data),
                                       ("lost", with_true - with_data)):
                    mean, low, high = (float(v) for v in mean_ci95(values))
                    row.update({column: mean, f"{column}_ci95_low": low, f"{column}_ci95_high": high})
                totals.append(row)
            lost = pd.DataFrame({m: a[m].to_numpy() - b[m].to_numpy() for m in BENEFITS})
            table = group_benefits(self.population[list(DIMENSIONS)], lost,
                                   replication=self.population["replication"].to_numpy(),
                                   weight=weight, k=k)
            table = table[["dimension", "group", "metric", "residents", "people", "mean",
                           "ci95_low", "ci95_high"]]
            table.insert(0, "source", source)
            table.insert(0, "sited_like", true)
            table.insert(0, "scenario", data)
            groups.append(table)
        if not totals:
            return pd.DataFrame(), pd.DataFrame()
        return pd.DataFrame(totals), pd.concat(groups, ignore_index=True)

    def effect(self, scenario: str, metric: str) -> tuple[float, float, float]:
        """Mean benefit per resident over replications with its 95% CI."""
        per_replication = self._by_replication(self.benefits[scenario][metric]).mean(
            axis=1, dtype=np.float64)
        mean, low, high = mean_ci95(per_replication)
        return float(mean), float(low), float(high)

    def equity(self) -> pd.DataFrame:
        """Equity indices per scenario, mean over replications with 95% CI.

        Rows (``scenario``, ``measure``, ``of``):

        - ``share_of_gains_to_poorest_40pct`` and
          ``share_of_losses_to_poorest_40pct`` of each benefit: the part of
          all gains (losses) going to :data:`POOREST_40PCT`, per replication,
          in [0, 1]; the same figure as the Q1 and Q2 ``share_of_gains`` of
          :meth:`by_group` added up;
        - ``share_of_residents_losing`` each benefit: the part of residents
          whose benefit is < 0, in [0, 1];
        - ``concentration_index`` of each benefit over income rank (< 0:
          pro-poor; :func:`~twin.outcomes.equity.concentration_index`, in
          [-1, 1] also where some residents lose), left out (NaN, with
          ``note``) when the benefit's 95% CI contains zero: no direction is
          claimed for an unclear effect;
        - ``gini`` and ``palma`` of ``essential_travel_min_per_week``
          ``before`` (baseline) and ``after`` (scenario).
        """
        income = self._by_replication(self.population["income"])
        poorest = self._by_replication(self.population["income_quintile"].isin(POOREST_40PCT))
        before = self._by_replication(self.population["essential_travel_min_per_week"])
        reps = range(self.replications)
        # Sorted once per replication for every scenario and benefit (a 1M-element sort each).
        income_rank = [fractional_rank(income[r]) for r in reps]
        inequality_before = [gini_and_palma(before[r]) for r in reps]
        rows = []

        def add(scenario, measure, of, per_replication, note=""):
            mean, low, high = mean_ci95(np.array(per_replication))
            if measure.startswith("share_"):
                low, high = np.clip(low, 0.0, 1.0), np.clip(high, 0.0, 1.0)
            elif measure == "concentration_index":
                low, high = np.clip(low, -1.0, 1.0), np.clip(high, -1.0, 1.0)
            if note == NO_CLEAR_EFFECT:
                mean = low = high = np.nan
            rows.append({"scenario": scenario, "measure": measure, "of": of, "mean": float(mean),
                         "ci95_low": float(low), "ci95_high": float(high), "note": note})

        for name, benefits in self.benefits.items():
            for metric in BENEFITS:
                h = self._by_replication(benefits[metric]).astype(np.float64)
                for part, values in (("gains", np.maximum(h, 0.0)), ("losses", np.maximum(-h, 0.0))):
                    add(name, f"share_of_{part}_to_poorest_40pct", metric,
                        [_share(values[r], poorest[r]) for r in reps])
                add(name, "share_of_residents_losing", metric, (h < 0.0).mean(axis=1))
                _, low, high = self.effect(name, metric)
                note = ("one replication: no CI" if self.replications < 2
                        else "" if clear(low, high) else NO_CLEAR_EFFECT)
                add(name, "concentration_index", metric,
                    [concentration_index(h[r], income_rank[r], ranked=True) for r in reps], note)
            after = self._by_replication(benefits["essential_travel_min_per_week"])
            inequality_after = [gini_and_palma(after[r]) for r in reps]
            for position, measure in enumerate(("gini", "palma")):
                for when, values in (("before", inequality_before), ("after", inequality_after)):
                    add(name, measure, f"essential_travel_min_per_week {when}",
                        [value[position] for value in values])
        return pd.DataFrame(rows)

    def costs(self) -> pd.DataFrame:
        """Cost-effectiveness per scenario.

        Totals are in people of the city (:attr:`expansion`): hours saved a
        year = minutes saved per week summed over residents x weight / 60 x
        52, people newly served (:func:`~twin.outcomes.benefits.newly_served`)
        likewise, each with a 95% CI over replications. ``yearly_cost`` is
        the stated cost plus, per replication, the :attr:`simulated_cost`
        (with its 95% CI; a stated cost alone is fixed: its CI is the cost).
        ``cost_per_hour_saved = yearly_cost / hours`` with Fieller's 95% CI
        over the replications' (cost, hours) pairs (:func:`ratio_ci95`: a
        simulated cost that rises and falls with the hours narrows it; a
        stated cost alone gives ``yearly_cost / hours_ci95_high ..
        yearly_cost / hours_ci95_low``), given only when the hours' CI is
        above zero (else NaN and ``note``); the same for
        ``cost_per_person_newly_served``.
        Without a stated population totals are per 1,000 residents and no
        cost per unit is given.
        """
        weight = self.expansion.weight
        rows = []
        for name, benefits in self.benefits.items():
            minutes = self._by_replication(benefits["minutes_saved_per_week"])
            served = self._by_replication(newly_served(benefits))
            totals = {
                "hours_saved_per_year": minutes.sum(axis=1, dtype=np.float64) * weight / 60.0 * WEEKS_PER_YEAR,
                "people_newly_served": served.sum(axis=1, dtype=np.float64) * weight,
            }
            cost = cost_low = cost_high = self.yearly_cost[name]
            # per replication, paired with the same replication's totals
            costs = np.full(self.replications, float(self.yearly_cost[name]))
            if name in self.simulated_cost:
                costs = costs + np.asarray(self.simulated_cost[name], dtype=np.float64)
                cost, cost_low, cost_high = (float(v) for v in mean_ci95(costs))
            row = {"scenario": name, "currency": self.currency, "price_year": self.price_year,
                   "yearly_cost": cost, "yearly_cost_ci95_low": cost_low,
                   "yearly_cost_ci95_high": cost_high, "totals_in": self.expansion.unit}
            notes = []
            for (total, values), unit in zip(totals.items(), ("hour_saved", "person_newly_served")):
                mean, low, high = (float(v) for v in mean_ci95(values))
                row.update({total: mean, f"{total}_ci95_low": low, f"{total}_ci95_high": high})
                ratio = ratio_low = ratio_high = np.nan
                if not self.expansion.stated:
                    notes.append(f"cost per {unit.replace('_', ' ')}: no population stated")
                elif self.replications < 2:
                    notes.append(f"cost per {unit.replace('_', ' ')}: one replication, no CI")
                elif low > 0.0:
                    ratio, ratio_low, ratio_high = ratio_ci95(costs, values)
                else:
                    notes.append(f"cost per {unit.replace('_', ' ')}: no clear effect "
                                 f"({total.replace('_', ' ')} 95% CI contains zero or less)")
                row.update({f"cost_per_{unit}": ratio, f"cost_per_{unit}_ci95_low": ratio_low,
                            f"cost_per_{unit}_ci95_high": ratio_high})
            row["note"] = "; ".join(notes)
            rows.append(row)
        return pd.DataFrame(rows)

    def per_resident(self) -> pd.DataFrame:
        """Microdata: one row per scenario, replication and resident, with the
        resident's groups, expansion weight, travel before and after, and
        benefits. Not suppressed: share it only where individual rows may be shown."""
        frames = []
        for name, benefits in self.benefits.items():
            frame = self.population.rename(
                columns={"essential_travel_min_per_week": "essential_travel_min_per_week_before"})
            frame = pd.concat([frame, benefits.rename(
                columns={"essential_travel_min_per_week": "essential_travel_min_per_week_after"})],
                axis=1)
            frame.insert(0, "scenario", name)
            frame.insert(3, "weight", np.float32(self.expansion.weight))
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)


def _share(values: np.ndarray, members: np.ndarray) -> float:
    """Part of ``values``' total held by ``members``; NaN where the total is 0."""
    total = values.sum()
    return float(values[members].sum() / total) if total > 0 else float("nan")


def cost_currency(
    scenarios: list[Scenario],
    *,
    paths: list | None = None,
) -> tuple[str | None, int | None]:
    """The one currency and price year of every cost in ``scenarios``.

    Raises
    ------
    ConfigError
        Two costs differ in currency or price year (naming the later one's
        file and field); costs are never added across currencies.
    """
    first = None
    for index, scenario in enumerate(scenarios):
        where = paths[index] if paths is not None else scenario.path or f"scenario {scenario.name!r}"
        for position, intervention in enumerate(scenario.interventions):
            cost = intervention.cost
            if first is None:
                first = (cost.currency, cost.price_year, where)
                continue
            for name, mine, theirs in (("currency", cost.currency, first[0]),
                                       ("price_year", cost.price_year, first[1])):
                if mine != theirs:
                    raise ConfigError(
                        f"is {mine} but {first[2]} states costs in {theirs}; a comparison adds "
                        "costs only in one currency at one price year", path=where,
                        field=f"interventions[{position}].cost.{name}",
                        fix=f"convert this cost to {theirs} (state the rate and its source) "
                            f"and set {name}: {theirs}")
    return (first[0], first[1]) if first else (None, None)


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
    cost_currency(scenarios, paths=paths)


def stated_yearly_cost(baseline: Scenario, scenario: Scenario) -> float:
    """Annualised stated ``cost:`` of the interventions ``scenario`` adds to ``baseline``."""
    return sum(i.cost.yearly for i in scenario.interventions if i not in baseline.interventions)


def simulated_yearly_cost(baseline: Scenario, scenario: Scenario, before: pd.DataFrame,
                          after: pd.DataFrame, *, weight: float) -> float | None:
    """What the change from ``baseline`` to ``scenario`` incurs as residents
    use the interventions with a
    :attr:`~twin.interventions.base.Intervention.simulated_cost`, a year in
    people of the city: the ledger column summed over residents in the
    scenario's run less the baseline's, x ``weight`` x 52 weeks, like
    ``hours_saved_per_year``. Such an intervention in the baseline counts
    too: more frequent buses over a baseline fare subsidy add the fares
    waived on the extra trips. None when neither runs such an intervention."""
    columns = sorted({i.simulated_cost for i in (*baseline.interventions, *scenario.interventions)
                      if i.simulated_cost})
    if not columns:
        return None
    return sum((after[c].to_numpy(np.float64).sum() - before[c].to_numpy(np.float64).sum())
               * weight * WEEKS_PER_YEAR for c in columns)


def _positive(value: int, name: str) -> int:
    if value <= 0:
        raise ConfigError(f"must be a positive whole number, got {value}", field=name,
                          fix=f"pass e.g. {name}=5")
    return int(value)


def _ledger(world: World, *, seed: int, days: int, access, warm_up_days: int = 0,
            baseline: BaselineDays | None = None) -> pd.DataFrame:
    """A scenario's per-resident ledger frame; with ``baseline`` (the
    baseline's run, :func:`_run`) only the residents whose days the scenario
    can change are simulated (:meth:`CityModel.replay`: the same frame). The
    model is freed on return."""
    model = CityModel(world, seed=seed, agents="none", access=access)
    if baseline is not None:
        model.replay(baseline)
    model.warm_up(warm_up_days)
    model.run(days)
    frame = model.ledger_frame()
    _free(model)
    return frame


def _run(world: World, *, seed: int, days: int, access,
         warm_up_days: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, BaselineDays]:
    """A baseline's per-resident ledger frame, daily counts (the
    DataCollector's table) of ``days`` after ``warm_up_days`` where
    residents learn, and its record for the scenarios' replays; the model
    is freed on return."""
    model = CityModel(world, seed=seed, agents="none", access=access)
    record = model.record()
    model.warm_up(warm_up_days)
    model.run(days)
    frame = model.ledger_frame()
    daily = model.datacollector.get_model_vars_dataframe()
    _free(model)
    return frame, daily, record


def _free(model: CityModel) -> None:
    """Break a finished model's reference cycles (its agents refer back to
    it; Mesa keeps its step wrapped as bound methods on it), so its
    per-resident arrays go with the last reference, not at the cyclic
    collector's next full pass, after several 1M-resident models have piled up."""
    model.remove_all_agents()
    for wrapped in ("step", "_user_step"):
        vars(model).pop(wrapped, None)


def compare(
    baseline: Scenario,
    scenarios: list[Scenario],
    *,
    replications: int,
    residents: int | None = None,
    days: int | None = None,
    seed: int | None = None,
    warm_up_days: int | str | None = None,
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
    warm_up_days
        Days, or ``"auto"`` (:func:`twin.scenario.warm_up_for` over the
        baseline and the scenarios); default: the baseline's setting.
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
    check_days(days)
    warm_up = warm_up_for(baseline.warm_up_days if warm_up_days is None else warm_up_days,
                              [baseline, *scenarios])
    check_replications(replications)
    check_fits(residents, replications=replications, scenarios=len(scenarios))
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
    access = access_fields(city, water_points_considered=travel.water_points_considered,
                           destinations_considered=travel.destinations_considered)
    expansion = expansion_for(baseline, city, residents)
    transit = world_transit(baseline.transit, city, path=baseline.path)
    population, observed, benefits = [], [], {s.name: [] for s in scenarios}
    simulated_cost: dict[str, list[float]] = {}
    baseline_figures: list[dict[str, float]] = []  # the model's travel figures, per replication
    simulated: dict[str, City] = {}  # each scenario's city, as its interventions left it
    with tqdm(total=replications * (1 + len(scenarios)), unit="run", desc="compare",
              file=sys.stderr, disable=None if progress is None else not progress) as bar:
        for r in range(replications):
            seed_r = seed + r
            people = synthesize_for_city(spec, city, residents, seed=seed_r)
            world = with_workplaces(World.baseline(city, people, travel, people_per_resident=expansion.weight,
                                                   **transit), seed_r)
            base_world = apply_interventions(baseline.interventions, world, seed=seed_r,
                                             path=f"scenario '{baseline.name}'")
            before, daily, recorded = _run(base_world, seed=seed_r, days=days, warm_up_days=warm_up,
                                           access=updated_access(access, city, base_world.city))
            baseline_figures.append(model_figures(before, daily))
            bar.update(1)
            simulated.setdefault(baseline.name, base_world.city)
            population.append(_population_rows(before, replication=r))
            if baseline.sources is not None:
                observed.append(observed_columns(people, baseline.sources, seed=seed_r))
            for scenario in scenarios:
                scenario_world = apply_interventions(scenario.interventions, world, seed=seed_r,
                                                     path=f"scenario '{scenario.name}'")
                after = _ledger(scenario_world, seed=seed_r, days=days, warm_up_days=warm_up,
                                access=updated_access(access, city, scenario_world.city), baseline=recorded)
                paired = paired_benefits(before, after)
                paired["essential_travel_min_per_week"] = (
                    after["essential_travel_min_per_week"].to_numpy(np.float32))
                benefits[scenario.name].append(paired)
                used = simulated_yearly_cost(baseline, scenario, before, after, weight=expansion.weight)
                if used is not None:
                    simulated_cost.setdefault(scenario.name, []).append(used)
                simulated.setdefault(scenario.name, scenario_world.city)
                bar.update(1)
    currency, price_year = cost_currency(scenarios)
    return Comparison(
        baseline=baseline,
        scenarios=list(scenarios),
        replications=replications,
        residents=residents,
        days=days,
        seed=seed,
        warm_up_days=warm_up,
        expansion=expansion,
        currency=currency,
        price_year=price_year,
        population=_concat_categorical(population),
        benefits={name: pd.concat(frames, ignore_index=True) for name, frames in benefits.items()},
        yearly_cost={s.name: stated_yearly_cost(baseline, s) for s in scenarios},
        warnings=attributed_warnings({name: c.warnings for name, c in simulated.items()}),
        facilities={name: c.facility_counts for name, c in simulated.items()},
        wall_time_s=time.perf_counter() - start,
        observed=pd.concat(observed, ignore_index=True) if observed else None,
        simulated_cost={name: np.array(costs) for name, costs in simulated_cost.items()},
        baseline_figures=pd.DataFrame(baseline_figures),
    )


def attributed_warnings(by_scenario: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """Each distinct warning once; one that holds for only some scenarios
    starts with their names (``"baseline: no water facility ..."``)."""
    holders: dict[str, list[str]] = {}
    for name, messages in by_scenario.items():
        for message in messages:
            holders.setdefault(message, []).append(name)
    return tuple(message if len(names) == len(by_scenario) else f"{', '.join(names)}: {message}"
                 for message, names in holders.items())


def _population_rows(before: pd.DataFrame, *, replication: int) -> pd.DataFrame:
    """What a comparison keeps of the baseline ledger: who each resident is."""
    groups = group_columns(before)
    return pd.DataFrame({
        "replication": np.full(len(before), replication, dtype=np.int16),
        "resident": before["resident"].to_numpy(np.int32),
        "income": before["income"].to_numpy(np.float32),
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
