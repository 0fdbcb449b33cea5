"""The Python API: what a notebook or a script calls.

>>> import twin
>>> run = twin.run("scenarios/helsinki/baseline.yaml", residents=1000, days=2)
>>> result = twin.compare("scenarios/helsinki", residents=1000, days=2, replications=3)
>>> sweep = twin.sweep("scenarios/helsinki/sweep.yaml", out="sweeps/helsinki")

Each returns a result object holding pandas DataFrames (GeoDataFrames where
there is geometry: homes, map cells). Bad input raises a
:class:`twin.errors.TwinError` with the same one-line message the CLI prints.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from twin.errors import ConfigError
from twin.outcomes.groups import MIN_CELL_RESIDENTS

if TYPE_CHECKING:
    import geopandas as gpd

    from twin.city.arrays import City
    from twin.experiments.batch import SweepResult
    from twin.experiments.compare import Comparison
    from twin.experiments.report import Tables
    from twin.experiments.run import RunResult
    from twin.scenario import Scenario


def _scenario(value: Any) -> Scenario:
    """A :class:`Scenario` from a path, a mapping (checked as a file is) or itself."""
    from twin.scenario import Scenario, load_scenario, scenario_from_mapping

    if isinstance(value, Scenario):
        return value
    if isinstance(value, dict):
        return scenario_from_mapping(value, where=f"scenario {value.get('name', '?')!r}")
    return load_scenario(value)


def _load_city(scenario: Scenario) -> City:
    from twin.city import load_city

    with warnings.catch_warnings():  # kept in city.warnings
        warnings.simplefilter("ignore", UserWarning)
        return load_city(scenario.city, facility_files=scenario.facility_files,
                         population_grid=scenario.population_grid)


def _homes(city: City, home_node) -> gpd.GeoSeries:
    """Point geometry (WGS84) of each home node."""
    import geopandas as gpd

    walk = city.streets["walk"]
    return gpd.GeoSeries.from_xy(walk.lon[home_node], walk.lat[home_node], crs="EPSG:4326")


@dataclass
class Run:
    """One simulated scenario (:func:`run`).

    Attributes
    ----------
    scenario
        The scenario as run (overrides applied).
    ledger
        GeoDataFrame, one row per resident: attributes, weekly travel
        minutes and unmet trips by purpose, and the home as a point
        (EPSG:4326). Microdata: not suppressed.
    groups
        Weekly essential travel and unmet trips by group, cells under 10
        residents suppressed (what ``twin run`` prints).
    daily
        The model's figures per simulated day.
    summary
        City sizes, warnings, timings and versions.
    """

    scenario: Scenario
    ledger: gpd.GeoDataFrame
    groups: pd.DataFrame
    daily: pd.DataFrame
    summary: dict
    _result: RunResult

    def __repr__(self) -> str:
        return (f"Run({self.scenario.name!r}, residents={self.scenario.residents}, days={self.scenario.days}, "
                f"seed={self.scenario.seed}; rows: ledger {len(self.ledger):,}, groups {len(self.groups):,}, "
                f"daily {len(self.daily):,})")

    def __str__(self) -> str:
        """What ``twin run`` prints."""
        from twin.experiments.run import run_text

        return run_text(self._result)

    def write(self, out: str | Path) -> Path:
        """Write the folder ``twin run`` writes (ledger.parquet, groups.csv,
        daily.csv, summary.json), atomically."""
        from twin.experiments.run import write_run

        return write_run(self._result, out)


def run(
    scenario: str | Path | Scenario | dict,
    *,
    residents: int | None = None,
    days: int | None = None,
    seed: int | None = None,
    warm_up_days: int | str | None = None,
) -> Run:
    """Simulate one scenario.

    Parameters
    ----------
    scenario
        A scenario YAML path, a :class:`~twin.scenario.Scenario`, or its
        mapping (as in a file).
    residents, days, seed
        Override the scenario's values.
    warm_up_days
        Days of the residents who learn a service simulated before the
        measured ones, or ``"auto"``; default: the scenario's
        (:func:`twin.scenario.warm_up_for`).

    Returns
    -------
    Run
        Per-resident ledger (a GeoDataFrame of homes), group table, daily figures.

    Raises
    ------
    twin.errors.TwinError
        A bad file or value, in one line naming the file, field and fix.

    Examples
    --------
    >>> run = twin.run("scenarios/helsinki/baseline.yaml", residents=1000, days=2)
    >>> run.groups.query("dimension == 'income_quintile'")
    """
    import geopandas as gpd

    from twin.experiments.run import run_scenario

    spec = _scenario(scenario)
    overrides = {k: v for k, v in {"residents": residents, "days": days, "seed": seed,
                                   "warm_up_days": warm_up_days}.items() if v is not None}
    if overrides:  # checked as in a file (e.g. residents > 0)
        spec = _scenario(spec.model_dump(mode="json") | overrides)
    city = _load_city(spec)
    result = run_scenario(spec, city=city)
    ledger = gpd.GeoDataFrame(result.ledger, geometry=_homes(city, result.ledger["home_node"].to_numpy()))
    return Run(spec, ledger, result.groups, result.daily, result.summary, result)


class ComparisonResult:
    """Who benefits: scenarios against a baseline (:func:`compare`).

    Every table is suppressed: a group cell under ``k`` residents appears nowhere.

    Attributes
    ----------
    ranking
        Scenarios best first: verdict, mean benefits, share of the gains to
        the poorest 40%, hours saved, cost per hour saved (with 95% CIs).
    by_group
        Benefit by group (income quintile, connectivity, apps, mobility,
        water supply) per scenario and metric, mean with 95% CI over replications.
    who_benefits
        One row per scenario: minutes saved by income quintile, share of the
        gains to the poorest 40%, concentration index, cost per hour saved.
    equity
        Concentration index, share to the poorest 40%, Gini and Palma.
    costs
        Yearly cost, hours saved, residents newly served, cost per hour saved.
    comparison
        The underlying :class:`~twin.experiments.compare.Comparison`
        (per-resident benefits: microdata, not suppressed).
    """

    def __init__(self, comparison: Comparison, city: City, *, k: int) -> None:
        from twin.experiments.report import Tables

        self.comparison = comparison
        self.city = city
        self.k = k
        self.tables: Tables = Tables(comparison, k=k)
        self.ranking = self.tables.ranking
        self.by_group = self.tables.groups
        self.who_benefits = self.tables.who_benefits
        self.equity = self.tables.equity
        self.costs = self.tables.costs

    def __repr__(self) -> str:
        return f"ComparisonResult({self.comparison!r}, k={self.k})"

    def __str__(self) -> str:
        """What ``twin compare`` prints: ranking, who benefits, costs."""
        from twin.experiments.report import who_benefits_text

        return who_benefits_text(self.tables)

    def by_area(self) -> gpd.GeoDataFrame:
        """Mean benefit per resident by cell of the city's fixed square grid
        (:func:`twin.viz.areas.area_cell_m`), small cells left out as small
        groups are.

        Returns
        -------
        geopandas.GeoDataFrame
            ``scenario``, ``cell``, ``metric``, ``residents``, ``mean``,
            ``ci95_low``, ``ci95_high``, ..., cell polygons in EPSG:4326;
            ``attrs`` give ``cell_m``, ``k`` and the suppressed cells.
        """
        import geopandas as gpd
        from shapely.geometry import Polygon

        from twin.viz.areas import benefit_by_area

        frame = benefit_by_area(self.comparison, self.city, k=self.k)
        geometry = [Polygon(ring) for ring in frame.pop("polygon")]
        areas = gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")
        areas.attrs.update(frame.attrs)
        return areas

    def write(self, out: str | Path, *, per_resident: bool = False) -> Path:
        """Write the folder ``twin compare`` writes (tables, charts, summary.html)."""
        from twin.experiments.report import write_report

        write_report(self.comparison, out, k=self.k, per_resident=per_resident)
        return Path(out)


def scenario_set(
    paths: str | Path | list, baseline: str | Path | None = None, *, baseline_field: str = "baseline",
) -> tuple[Scenario, list[Scenario], list[Path]]:
    """The baseline and the scenarios named by files and folders of them.

    Parameters
    ----------
    paths
        Scenario YAML files or folders of them (every ``*.yaml`` inside).
    baseline
        The baseline file (default: the one named ``baseline.yaml``).
    baseline_field
        How errors name the baseline option (the CLI's ``--baseline``).

    Returns
    -------
    baseline, scenarios, scenario_files
    """
    from twin.experiments.compare import check_comparable
    from twin.scenario import load_scenario
    from twin.validate import validate_paths

    items = [paths] if isinstance(paths, (str, Path)) else list(paths)
    checked = list(validate_paths([Path(p) for p in [*items, *([baseline] if baseline else [])]],
                                  sweeps=False))
    problems = [error for _, error in checked if error is not None]
    if len(problems) > 1:  # one line: the first problem, and where to see the others
        first = problems[0]
        raise type(first)(first.message, path=first.path, field=first.field,
                          fix=f"{first.fix}; {len(problems) - 1} more file(s) with problems: "
                              "run 'twin validate' on them")
    if problems:
        raise problems[0]
    files = list(dict.fromkeys(path.resolve() for path, _ in checked))
    base_file = Path(baseline).resolve() if baseline else next(
        (f for f in files if f.name == "baseline.yaml"), None)
    if base_file is None:
        option = f"{baseline_field} FILE" if baseline_field.startswith("--") else f"{baseline_field}=FILE"
        raise ConfigError("no baseline: none of the files is named baseline.yaml",
                          field=baseline_field, fix=f"pass {option}")
    scenario_files = [f for f in files if f != base_file]
    if not scenario_files:
        raise ConfigError("only the baseline was given", path=base_file,
                          fix="add the scenario files to compare with it")
    base = load_scenario(base_file)
    scenarios = [load_scenario(f) for f in scenario_files]
    check_comparable(base, scenarios, paths=scenario_files)
    return base, scenarios, scenario_files


def compare(
    paths: str | Path | list,
    *,
    baseline: str | Path | None = None,
    replications: int = 10,
    residents: int | None = None,
    days: int | None = None,
    seed: int | None = None,
    warm_up_days: int | str | None = None,
    k: int = MIN_CELL_RESIDENTS,
    allow_small_k: bool = False,
    progress: bool | None = False,
) -> ComparisonResult:
    """Compare scenarios with a baseline over replications with common random numbers.

    Parameters
    ----------
    paths
        Scenario YAML files or folders of them, e.g. ``"scenarios/helsinki"``.
    baseline
        The baseline file (default: the one named ``baseline.yaml``).
    replications
        Replication ``r`` uses seed ``seed + r`` for every run.
    residents, days, seed
        Default: the baseline's.
    warm_up_days
        Days of the residents who learn a service simulated before the
        measured ones, in every run where they learn, or ``"auto"``
        (:func:`twin.scenario.warm_up_for`); default: the baseline's.
    k
        Suppress group cells under ``k`` residents (under 10 only with
        ``allow_small_k=True``).
    progress
        Show a progress bar on stderr (None: only on a terminal).

    Returns
    -------
    ComparisonResult
        Suppressed tables (``by_group``, ``who_benefits``, ``equity``,
        ``costs``) and :meth:`ComparisonResult.by_area` as a GeoDataFrame.

    Examples
    --------
    >>> result = twin.compare("scenarios/helsinki", residents=1000, days=2, replications=3)
    >>> result.ranking[["scenario", "verdict", "share_of_gains_to_poorest_40pct"]]
    """
    from twin.experiments.compare import compare as run_comparison
    from twin.outcomes.suppression import check_k

    k = check_k(k, allow_small=allow_small_k, option="k")
    base, scenarios, _ = scenario_set(paths, baseline)
    city = _load_city(base)
    comparison = run_comparison(base, scenarios, replications=replications, residents=residents,
                                days=days, seed=seed, warm_up_days=warm_up_days, city=city,
                                progress=progress)
    return ComparisonResult(comparison, city, k=k)


def sweep(
    spec: str | Path,
    *,
    out: str | Path | None = None,
    workers: int | None = None,
    scheduler: Any = None,
    progress: bool | None = False,
) -> SweepResult:
    """Run (or resume) a parameter sweep and analyse it: what ``twin batch`` does.

    Parameters
    ----------
    spec
        A sweep YAML (see ``scenarios/helsinki/sweep.yaml``).
    out
        The results store (default: ``sweeps/<sweep name>``); runs already
        in it are not run again.
    workers
        Local Dask worker processes (default: one per core); 0 runs every
        run in this process, without Dask.
    scheduler
        An existing Dask cluster: its address (``"tcp://host:8786"``), or a
        ``distributed.Client``.
    progress
        Show a progress bar with ETA on stderr (None: only on a terminal).

    Returns
    -------
    twin.experiments.batch.SweepResult
        ``outcomes`` (one row per run and scenario), ``groups`` (benefit by
        group per run), ``failures``, ``sensitivity`` and ``robustness`` tables.

    Examples
    --------
    >>> result = twin.sweep("scenarios/helsinki/sweep.yaml", out="sweeps/helsinki")
    >>> result.sensitivity.sort_values("ST", ascending=False).head()
    """
    from twin.experiments.batch import run_sweep
    from twin.experiments.sweep import load_sweep

    sweep_spec = load_sweep(spec)
    return run_sweep(sweep_spec, out=out, workers=workers, scheduler=scheduler, progress=progress)
