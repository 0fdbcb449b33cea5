"""The ``twin`` command line.

User mistakes (:class:`twin.errors.TwinError`, and usage errors such as a
missing argument or an unknown option) print one line and exit 2, with no
traceback; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperGroup

try:  # typer 0.2x carries its own copy of click
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover - older typer uses click itself
    from click import exceptions as click_errors

from twin.errors import ConfigError, TwinError


class _OneLineUsageErrors(TyperGroup):
    """Click's usage errors (three lines: usage, hint, error) as one
    ``twin: error: ...`` line with exit code 2, like every user mistake."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click_errors.NoArgsIsHelpError as error:  # `twin` alone: the help
            if not standalone_mode:
                raise
            error.show()
            sys.exit(error.exit_code)
        except click_errors.ClickException as error:
            if not standalone_mode:
                raise
            ctx = getattr(error, "ctx", None)
            command = " ".join(["twin", *ctx.command_path.split()[1:]]) if ctx else "twin"
            typer.echo(f"twin: error: {command}: {error.format_message().rstrip('.')} "
                       f"(see '{command} --help')", err=True)
            sys.exit(2 if isinstance(error, click_errors.UsageError) else error.exit_code)
        except typer.Abort:  # end of input at a prompt (Ctrl-C exits 130 in typer)
            if not standalone_mode:
                raise
            typer.echo("Aborted!", err=True)
            sys.exit(1)
        if not standalone_mode:
            return code
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=_OneLineUsageErrors,
    help="twin: who benefits from an urban intervention, simulated on real OpenStreetMap streets.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


WARM_UP_HELP = (
    "Days of the residents who learn a service simulated before the measured days, so that these start "
    "from what they learnt (paratransit riders: the share of bookings served, the time a ride takes); 0: none. "
    "Default: the {whose} warm_up_days; auto: 28 days where residents learn a service, else 0."
)


@app.callback()
def main() -> None:
    """twin: who benefits from an urban intervention, simulated on real OpenStreetMap streets."""
    from twin.allocator import reuse_freed_memory

    reuse_freed_memory()


def _fail(error: TwinError) -> None:
    typer.echo(f"twin: error: {error}", err=True)
    raise typer.Exit(2)


def _positive(value: int | None, option: str) -> None:
    if value is not None and value <= 0:
        raise ConfigError(f"must be a positive whole number, got {value}", field=option,
                          fix=f"pass e.g. {option} 1000")


def _warm_up(value: int | None) -> None:
    from twin.scenario import warm_up_for

    if value is not None:
        warm_up_for(value, [], field="--warm-up-days")


def _named(option: str, value, scenario_file: Path) -> dict:
    """Where a limit error points: the CLI option if it gave the value, else
    the scenario file's field."""
    if value is not None:
        return {"field": option}
    return {"field": option.removeprefix("--"), "path": scenario_file}


@app.command()
def run(
    scenario_file: Annotated[Path, typer.Argument(metavar="SCENARIO_FILE", help="Scenario YAML, e.g. scenarios/helsinki/baseline.yaml.")],
    residents: Annotated[int | None, typer.Option("--residents", "-n", help="Number of residents (default: the scenario's).")] = None,
    days: Annotated[int | None, typer.Option("--days", "-d", help="Days to simulate (default: the scenario's).")] = None,
    seed: Annotated[int | None, typer.Option("--seed", "-s", help="Random seed, >= 0 (default: the scenario's).")] = None,
    warm_up_days: Annotated[int | None, typer.Option("--warm-up-days", help=WARM_UP_HELP.format(whose="scenario's"))] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output folder (default: runs/<scenario name>).")] = None,
) -> None:
    """Simulate a scenario and print weekly essential travel and unmet trips by group.

    Writes ledger.parquet (per resident per week), groups.csv, daily.csv and
    summary.json into the output folder, replacing it only when the run succeeds.
    """
    from tqdm import tqdm

    from twin.experiments.limits import check_days, check_fits
    from twin.experiments.run import run_scenario, run_text, write_run
    from twin.experiments.store import check_output_folder
    from twin.scenario import load_scenario

    try:
        _positive(residents, "--residents")
        _positive(days, "--days")
        if seed is not None and seed < 0:
            raise ConfigError(f"must be >= 0, got {seed}", field="--seed", fix="pass e.g. --seed 1")
        _warm_up(warm_up_days)
        spec = load_scenario(scenario_file)
        overrides = {k: v for k, v in {"residents": residents, "days": days, "seed": seed,
                                       "warm_up_days": warm_up_days}.items() if v is not None}
        spec = spec.model_copy(update=overrides)
        check_days(spec.days, **_named("--days", days, scenario_file))
        check_fits(spec.residents, **_named("--residents", residents, scenario_file))
        out_dir = check_output_folder(out or Path("runs") / spec.name)
        bar = tqdm(total=spec.days, unit="day", desc="simulate", disable=None, file=sys.stderr)
        result = run_scenario(
            spec,
            on_stage=lambda name: bar.set_description(name),
            on_day=lambda day: bar.update(1),
            on_warm_up=lambda warm_up: bar.reset(total=warm_up + spec.days),
        )
        bar.close()
        write_run(result, out_dir)
    except TwinError as error:
        _fail(error)
    typer.echo(run_text(result))
    typer.echo(f"wrote {out_dir}/ (ledger.parquet, groups.csv, daily.csv, summary.json)")


@app.command()
def validate(
    paths: Annotated[list[Path], typer.Argument(metavar="FILES_OR_DIRS", help="Scenario or resident-model YAML files, or folders of them.")],
) -> None:
    """Check scenario and resident-model files before anything runs.

    Prints one line per file; exits 2 if any file has a problem.
    """
    from twin.validate import validate_paths

    problems = 0
    for path, error in validate_paths(paths):
        if error is None:
            typer.echo(f"ok    {path}")
        else:
            problems += 1
            typer.echo(f"twin: error: {error}", err=True)
    if problems:
        raise typer.Exit(2)


@app.command()
def compare(
    paths: Annotated[list[Path], typer.Argument(metavar="DIR_OR_FILES", help="Scenario YAML files or folders of them, e.g. scenarios/helsinki.")],
    baseline: Annotated[Path | None, typer.Option("--baseline", "-b", help="The baseline scenario (default: the file named baseline.yaml).")] = None,
    replications: Annotated[int, typer.Option("--replications", "-r", help="Replications with common random numbers (seeds S .. S+R-1).")] = 10,
    residents: Annotated[int | None, typer.Option("--residents", "-n", help="Number of residents (default: the baseline's).")] = None,
    days: Annotated[int | None, typer.Option("--days", "-d", help="Days to simulate (default: the baseline's).")] = None,
    seed: Annotated[int | None, typer.Option("--seed", "-s", help="First seed, >= 0 (default: the baseline's).")] = None,
    warm_up_days: Annotated[int | None, typer.Option("--warm-up-days", help=WARM_UP_HELP.format(whose="baseline's"))] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Results folder (default: comparisons/<folder of the baseline>).")] = None,
    k: Annotated[int | None, typer.Option("--k", help="Suppress group cells with fewer residents than this (default: 10; smaller needs --allow-small-k).")] = None,
    allow_small_k: Annotated[bool, typer.Option("--allow-small-k", help="Allow --k under 10, for readers who may see groups that small.")] = False,
    per_resident: Annotated[bool, typer.Option("--per-resident", help="Also write per_resident.parquet (microdata, not suppressed).")] = False,
) -> None:
    """Compare scenarios with a baseline: who benefits, by income, connectivity,
    mobility and water supply, with 95% confidence intervals.

    Every file is checked before anything runs. Prints minutes saved by income
    quintile per scenario and writes benefits_by_group.parquet/.csv,
    who_benefits.csv, equity.csv, costs.csv, charts/*.png and summary.html
    (opens offline) into the results folder, replacing it only on success.
    """
    import warnings

    from twin.api import scenario_set
    from twin.city import load_city
    from twin.experiments.compare import compare as run_comparison
    from twin.experiments.limits import check_days, check_fits, check_replications
    from twin.experiments.report import who_benefits_text, write_report
    from twin.experiments.store import check_output_folder
    from twin.outcomes.suppression import MIN_CELL_RESIDENTS, check_k

    try:
        if replications <= 0:
            raise ConfigError(f"must be a positive whole number, got {replications}",
                              field="--replications", fix="pass e.g. --replications 5")
        _positive(residents, "--residents")
        _positive(days, "--days")
        _warm_up(warm_up_days)
        k = check_k(MIN_CELL_RESIDENTS if k is None else k, allow_small=allow_small_k)
        if seed is not None and seed < 0:
            raise ConfigError(f"must be >= 0, got {seed}", field="--seed", fix="pass e.g. --seed 1")
        base, scenarios, _ = scenario_set(paths, baseline, baseline_field="--baseline")
        baseline_file = Path(base.path).resolve()
        check_days(days or base.days, **_named("--days", days, baseline_file))
        check_replications(replications, field="--replications")
        check_fits(residents or base.residents, replications=replications, scenarios=len(scenarios),
                   **_named("--residents", residents, baseline_file))
        out_dir = check_output_folder(out or Path("comparisons") / baseline_file.parent.name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # kept in city.warnings, printed once
            city = load_city(base.city, facility_files=base.facility_files,
                             population_grid=base.population_grid)
        result = run_comparison(base, scenarios, replications=replications, residents=residents,
                                days=days, seed=seed, warm_up_days=warm_up_days, city=city)
        tables = write_report(result, out_dir, k=k, per_resident=per_resident, city=city)
    except TwinError as error:
        _fail(error)
    for warning in result.warnings:
        typer.echo(f"warning: {warning}")
    typer.echo(who_benefits_text(tables))
    typer.echo(f"wrote {out_dir}/ (summary.html, benefits_by_group.parquet/.csv, who_benefits.csv, "
               f"equity.csv, costs.csv, benefit_by_area.gpkg/.parquet/.csv, charts/"
               f"{', validation.csv' if tables.validation is not None else ''}"
               f"{', per_resident.parquet' if per_resident else ''}) "
               f"in {result.wall_time_s:.1f} s of simulation")


@app.command()
def batch(
    sweep_file: Annotated[Path, typer.Argument(metavar="SWEEP.yaml", help="A sweep file, e.g. scenarios/helsinki/sweep.yaml.")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Results store (default: sweeps/<sweep name>); a sweep resumes where it stopped.")] = None,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="Address of an existing Dask scheduler, e.g. tcp://10.0.0.1:8786 (default: a local cluster).")] = None,
    workers: Annotated[int | None, typer.Option("--workers", "-w", help="Local worker processes (default: one per core; 0: no Dask, run in this process).")] = None,
    show_status: Annotated[bool, typer.Option("--status", help="Only say which runs are done, failed or still to run.")] = False,
) -> None:
    """Run a sweep: scenarios x parameters x seeds, on Dask workers.

    Every run is checked before the first starts. Each finished run is one
    Parquet file in OUT/runs/ (written atomically), so a stopped sweep
    resumes where it stopped and never runs a finished run twice; a run that
    fails is recorded in OUT/failed/ and reported at the end. When all runs
    are done, OUT/analysis/ holds outcomes.csv, sensitivity.csv (Sobol
    indices, or Morris elementary effects), robustness.csv and
    sensitivity.png, and the headline is printed: what moves each outcome
    most, and how often each scenario beats the baseline.
    """
    from twin.experiments.batch import (
        StartingCluster,
        connect,
        default_store,
        freeze_at_exit,
        read_result,
        run_sweep,
        status,
    )
    from twin.experiments.results_store import ResultsStore
    from twin.experiments.sensitivity import sweep_text
    from twin.experiments.sweep import load_sweep

    freeze_at_exit()
    starting = joined = sweep = None
    try:
        if workers is not None and workers < 0:
            raise ConfigError(f"must be >= 0, got {workers}", field="--workers",
                              fix="pass e.g. --workers 2, or 0 to run without Dask")
        if workers is not None and scheduler is not None:
            raise ConfigError("--workers starts a local cluster; --scheduler joins one",
                              field="--workers", fix="pass only one of them")
        if scheduler is None and workers != 0 and not show_status:
            starting = StartingCluster(workers)  # its workers start while the sweep is checked
        elif scheduler is not None and not show_status:
            joined = connect(scheduler)  # a wrong address fails before anything is written
        sweep = load_sweep(sweep_file)
        store_dir = out or default_store(sweep)
        if show_status:
            store = ResultsStore(store_dir)
            state = status(sweep, store)
            typer.echo(f"{sweep.name}: {state} (store {store_dir}/)")
            for key, failure in state.failed.items():
                typer.echo(f"failed {key}: {failure['error']}")
            if state.pending == 0:
                result = read_result(sweep, store)
                summary = sweep_text(result)
                if summary:
                    typer.echo(summary + "\n")
                typer.echo(f"{len(result.outcomes)} outcome rows; analysis in {store.analysis_dir}/")
            return
        typer.echo(f"{sweep.name}: {len(sweep.runs)} runs ({len(sweep.design)} design points x "
                   f"seeds), {len(sweep.scenario_names)} scenarios each; store {store_dir}/",
                   err=True)
        result = run_sweep(sweep, out=store_dir, workers=workers, scheduler=starting or joined)
    except TwinError as error:
        _fail(error)
    except KeyboardInterrupt:  # Ctrl-C: every finished run is stored, and the next call resumes
        if sweep is not None:
            stored = status(sweep, ResultsStore(out or default_store(sweep)))
            typer.echo(f"\n{sweep.name}: stopped, {stored}; run the same command again to resume", err=True)
        raise typer.Exit(130) from None
    finally:
        if starting is not None:
            starting.close()
        if joined is not None:
            joined.close()
    state = result.status
    summary = sweep_text(result)
    if summary:
        typer.echo(summary + "\n")
    typer.echo(f"{sweep.name}: {state}; results in {store_dir}/runs/, analysis in {store_dir}/analysis/")
    for row in result.failures.itertuples():
        typer.echo(f"failed run {row.run} (point {row.point}, seed {row.seed}): {row.error}")
    if state.failed:
        typer.echo("run the same command again to retry the failed runs", err=True)
        raise typer.Exit(1)


@app.command()
def workshop(
    comparison_dir: Annotated[Path, typer.Argument(metavar="COMPARISON_DIR", help="A folder written by 'twin compare', e.g. comparisons/helsinki.")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Pack folder (default: <COMPARISON_DIR>/workshop).")] = None,
) -> None:
    """Build a workshop pack from a finished comparison: a large-type page per
    scenario in plain language, story cards (no car, no smartphone,
    wheelchair users, no piped water), a 3D scene and a map of the streets,
    as HTML and PDF that work offline. Only suppressed figures are used.
    """
    import time

    from twin.viz.workshop import build_workshop

    start = time.perf_counter()
    out_dir = out or comparison_dir / "workshop"
    try:
        build_workshop(comparison_dir, out_dir)
    except TwinError as error:
        _fail(error)
    typer.echo(f"wrote {out_dir}/ (index.html, a page, a 3D scene and a map per scenario, workshop.pdf) "
               f"in {time.perf_counter() - start:.1f} s")
