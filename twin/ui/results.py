"""Running a comparison from the planner's choices, and getting its results back.

:func:`plan` turns the session into the scenarios to compare (checked by
the same pydantic models as the YAML files); :func:`run` simulates each
scenario against the baseline with :func:`twin.experiments.compare.compare`
(cached per scenario, with a progress bar) and :func:`current` returns the
last run's comparison and its suppressed tables from the cache.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass

import streamlit as st

from twin.errors import TwinError
from twin.experiments.compare import Comparison, check_comparable
from twin.experiments.report import Tables
from twin.scenario import scenario_from_mapping
from twin.ui import data
from twin.ui.scenarios import key_of
from twin.ui.state import Run, Session


@dataclass
class Plan:
    """What pressing Run would compare, or why it cannot.

    Attributes
    ----------
    run
        The run (None if there is a problem).
    problems
        One line per problem (a scenario that does not validate, a name used twice).
    """

    run: Run | None
    problems: list[str]


def plan(s: Session) -> Plan:
    """The comparison the session's current choices describe."""
    s.ensure_set()
    if s.baseline is None:
        return Plan(None, ["no scenario set found: add a folder with a baseline.yaml under scenarios/"])
    problems = []
    fields = s.run_fields()
    try:
        baseline = scenario_from_mapping(s.baseline.mapping(fields), where=f"scenario '{s.baseline.name}'")
    except TwinError as error:
        return Plan(None, [str(error)])
    chosen = [s.drafts[i] for i in (s.chosen or []) if i in s.drafts]
    if not chosen:
        return Plan(None, ["choose at least one scenario to compare with the baseline"])
    scenarios = []
    for draft in chosen:
        try:
            scenarios.append(scenario_from_mapping(draft.mapping(fields), where=f"scenario '{draft.name}'"))
        except TwinError as error:
            problems.append(str(error))
    names = [sc.name for sc in scenarios]
    for name in sorted({n for n in names if names.count(n) > 1 or n == baseline.name}):
        problems.append(f"two scenarios are named {name!r}: rename one on the Scenarios page")
    if not problems:
        try:
            check_comparable(baseline, scenarios)
        except TwinError as error:
            problems.append(str(error))
    if problems:
        return Plan(None, problems)
    jsons = [key_of(sc) for sc in scenarios]
    settings = dict(replications=s.replications, residents=s.residents, days=s.days, seed=s.seed)
    text = json.dumps([s.city.source, s.resident_model, key_of(baseline), jsons, settings], sort_keys=True)
    return Plan(Run(key=hashlib.sha256(text.encode()).hexdigest()[:16], source=s.city.source,
                    scenario_city=s.city.scenario_city, model=s.resident_model, baseline=key_of(baseline),
                    scenarios=jsons, names=names, **settings), [])


def _part(r: Run, scenario: str) -> Comparison:
    return data.from_payload(data.comparison(
        r.source, r.baseline, scenario, replications=r.replications, residents=r.residents,
        days=r.days, seed=r.seed))


def run(r: Run) -> float:
    """Simulate ``r`` with a progress bar (a scenario already simulated with
    the same settings comes from the cache). Returns the wall time in seconds."""
    start = time.perf_counter()
    bar = st.progress(0.0, text="Starting...")
    for index, (name, scenario) in enumerate(zip(r.names, r.scenarios)):
        bar.progress(index / len(r.scenarios),
                     text=f"Simulating **{name}** against the baseline: {r.residents:,} residents, "
                          f"{r.days} days, {r.replications} replications "
                          f"({index + 1} of {len(r.scenarios)})")
        _part(r, scenario)
    elapsed = time.perf_counter() - start
    bar.progress(1.0, text=f"Done in {elapsed:.1f} s.")
    return elapsed


def current(r: Run, *, k: int) -> tuple[Comparison, Tables]:
    """The comparison of ``r`` (from the cache; simulated again only if the
    cache was cleared) and its tables with cells under ``k`` suppressed."""
    comparison = data.merge([_part(r, scenario) for scenario in r.scenarios])
    return comparison, data.tables(comparison, k=k)
