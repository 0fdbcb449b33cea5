"""The ``twin`` command line.

User mistakes (:class:`twin.errors.TwinError`) print one line and exit 2,
with no traceback; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from twin.errors import ConfigError, TwinError

app = typer.Typer(
    help="twin: who benefits from an urban intervention, simulated on real OpenStreetMap streets.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback()
def main() -> None:
    """twin: who benefits from an urban intervention, simulated on real OpenStreetMap streets."""


def _fail(error: TwinError) -> None:
    typer.echo(f"twin: error: {error}", err=True)
    raise typer.Exit(2)


def _positive(value: int | None, option: str) -> None:
    if value is not None and value <= 0:
        raise ConfigError(f"must be a positive whole number, got {value}", field=option,
                          fix=f"pass e.g. {option} 1000")


@app.command()
def run(
    scenario_file: Annotated[Path, typer.Argument(help="Scenario YAML, e.g. scenarios/helsinki/baseline.yaml.")],
    residents: Annotated[Optional[int], typer.Option("--residents", "-n", help="Number of residents (default: the scenario's).")] = None,
    days: Annotated[Optional[int], typer.Option("--days", "-d", help="Days to simulate (default: the scenario's).")] = None,
    seed: Annotated[Optional[int], typer.Option("--seed", "-s", help="Random seed, >= 0 (default: the scenario's).")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Output folder (default: runs/<scenario name>).")] = None,
) -> None:
    """Simulate a scenario and print weekly essential travel and unmet trips by group.

    Writes ledger.parquet (per resident per week), groups.csv, daily.csv and
    summary.json into the output folder, replacing it only when the run succeeds.
    """
    from tqdm import tqdm

    from twin.experiments.run import run_scenario, write_run
    from twin.scenario import load_scenario

    try:
        _positive(residents, "--residents")
        _positive(days, "--days")
        if seed is not None and seed < 0:
            raise ConfigError(f"must be >= 0, got {seed}", field="--seed", fix="pass e.g. --seed 1")
        spec = load_scenario(scenario_file)
        overrides = {k: v for k, v in {"residents": residents, "days": days, "seed": seed}.items()
                     if v is not None}
        spec = spec.model_copy(update=overrides)
        out_dir = out or Path("runs") / spec.name
        bar = tqdm(total=spec.days, unit="day", desc="simulate", disable=None, file=sys.stderr)
        result = run_scenario(
            spec,
            on_stage=lambda name: bar.set_description(name),
            on_day=lambda day: bar.update(1),
        )
        bar.close()
        write_run(result, out_dir)
    except TwinError as error:
        _fail(error)
    _print_summary(result, out_dir)


@app.command()
def validate(
    paths: Annotated[list[Path], typer.Argument(help="Scenario or resident-model YAML files, or folders of them.")],
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


def _print_summary(result, out_dir: Path) -> None:
    import pandas as pd

    from twin.outcomes.groups import MIN_CELL_RESIDENTS

    s = result.summary
    nodes = s["city"]["nodes"]
    typer.echo(
        f"{result.scenario.name}: {s['city']['name']} (walk {nodes['walk']:,} nodes, "
        f"drive {nodes['drive']:,}), {result.scenario.residents:,} residents "
        f"({s['resident_model']}), {result.scenario.days} days, seed {result.scenario.seed}"
    )
    for warning in s["warnings"]:
        typer.echo(f"warning: {warning}")
    table = result.groups.copy()
    table["residents"] = table["residents"].map(lambda v: "<k" if pd.isna(v) else f"{int(v):,}")
    with pd.option_context("display.width", 120, "display.max_rows", 100):
        typer.echo(
            table.drop(columns="suppressed").to_string(
                index=False, float_format=lambda v: f"{v:,.2f}", na_rep="-",
            )
        )
    typer.echo(
        "travel_min_per_week: mean essential travel on trips made; unmet_trips_per_week: "
        "trips no available mode makes within the resident's limit (no time counted). "
        f"Groups under {MIN_CELL_RESIDENTS} residents are suppressed (-)."
    )
    typer.echo(f"wrote {out_dir}/ (ledger.parquet, groups.csv, daily.csv, summary.json)")


