"""Write ``benchmarks/VALIDATION.md``: the model's travel figures next to the
sourced observed ones, per shipped city, with the tolerance each must meet.

Usage::

    python benchmarks/validation.py [--residents 20000] [--out benchmarks/VALIDATION.md]

Each ``models/observed/*.yaml`` names the scenario it describes; that
scenario is run once (its own days and seed) and read by
:func:`twin.experiments.validation.validation_table`.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's twin
sys.path.insert(0, str(ROOT / "benchmarks"))

from twin.errors import TwinError  # noqa: E402
from twin.experiments.run import run_scenario  # noqa: E402
from twin.experiments.validation import load_observed, validation_table  # noqa: E402
from twin.scenario import load_scenario  # noqa: E402

from harness import machine, now  # noqa: E402


def _machine() -> str:
    about = machine()
    return ", ".join(f"{key} {value}" for key, value in about.items())


def _cell(value: float, name: str) -> str:
    return f"{value:.1%}" if "share" in name else f"{value:,.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=None, help="residents (default: the scenario's)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "VALIDATION.md")
    args = parser.parse_args()
    lines = ["# Validation: the model next to observed travel", "",
             f"{now()}, {_machine()}. Regenerate: `python benchmarks/validation.py`.", "",
             "A figure outside its tolerance is a gap of the model, to be closed by its behaviour",
             "(destinations, mode choice with money, public transport), never by tuning to pass.", ""]
    for path in sorted((ROOT / "models" / "observed").glob("*.yaml")):
        observed, scenario_path = load_observed(path)
        try:
            scenario = load_scenario(scenario_path)
        except TwinError as error:  # e.g. a city in ../shared/data that is absent here
            lines += [f"## {path.stem}: not run ({error})", ""]
            continue
        if args.residents:
            scenario = scenario.model_copy(update={"residents": args.residents})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            result = run_scenario(scenario)
        table = validation_table(observed, result.ledger, result.daily)
        found = table["within"].notna()
        met = int(table.loc[found, "within"].astype(bool).sum())
        lines += [f"## {path.stem} ({scenario.residents:,} residents, {scenario.days} days, "
                  f"seed {scenario.seed}): {met} of {int(found.sum())} within tolerance"
                  + (f", {int((~found).sum())} observed figures not found" if (~found).any() else ""), "",
                  "| figure | model | observed | tolerance | within | source |",
                  "|---|---|---|---|---|---|"]
        for row in table.itertuples():
            if row.within is None:
                lines.append(f"| {row.meaning} | {_cell(row.model, row.figure)} | not found | - | - | "
                             f"{row.source} |")
                continue
            lines.append(f"| {row.meaning} | {_cell(row.model, row.figure)} | "
                         f"{_cell(row.observed, row.figure)} | ± {_cell(row.tolerance, row.figure)} | "
                         f"{'yes' if row.within else '**no**'} | {row.source} |")
        lines.append("")
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
