"""Sweep files: scenarios x parameters x seeds, checked before anything runs.

A sweep (``scenarios/helsinki/sweep.yaml``) names a baseline, the scenarios
compared with it, the swept parameters and a design::

    baseline: baseline.yaml
    scenarios: [parking_app.yaml, paratransit_single_stop.yaml]
    residents: 1000            # every run (default: the baseline's)
    days: 2
    warm_up_days: auto         # every run (default: the baseline's)
    seeds: 2                   # seeds S .. S+1 (S: the baseline's), or a list
    design: {method: sobol, samples: 8, seed: 0}
    parameters:
      - path: resident_model.car_by_income_quintile.values[0]
        range: [0.1, 0.4]
      - path: interventions[parking_app].adoption.value
        range: [0.2, 0.8]

A parameter is any field of the resident model (``resident_model.<path>``)
or of a scenario (``interventions[<type or index>].<path>``, or a top-level
field such as ``residents``) by its dotted path; ``[i]`` indexes a list and
``[parking_app]`` the first intervention of that type. A scenario parameter
applies to the scenarios listed in its ``scenarios:`` (default: every
compared scenario that has the field); a resident-model parameter, and the
top-level ``residents``, ``days`` and ``warm_up_days``, to every run
including the baseline (the comparison pairs the same residents). Designs:

``grid``
    Every combination of each parameter's ``values``.
``lhs``
    ``samples`` points of a Latin hypercube over each parameter's ``range``.
``sobol``
    Saltelli's extension of a Sobol sequence (SALib) with base ``samples``
    (a power of 2): ``samples * (D + 2)`` points for D parameters, which
    first-order and total Sobol indices need.
``morris``
    ``samples`` Morris trajectories (SALib) on a grid of ``levels`` (even,
    default 4) per parameter's ``range``: ``samples * (D + 1)`` points, each
    one step of one parameter from the last. Elementary effects screen many
    parameters for far fewer runs than Sobol indices need.

A run is one design point and one seed: the baseline and every scenario on
the same residents (common random numbers). Every run's scenarios and
resident model are built and checked (pydantic, as files are) before the
first run starts; a bad path or value is one line naming the sweep file and
the parameter.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from twin._validation import config_error_from_validation, read_yaml_mapping
from twin.errors import ConfigError, TwinError

SHARED_FIELDS = ("residents", "days", "warm_up_days")
"""Top-level scenario fields a parameter sets for every run, baseline
included (as does ``population.value``, the people the residents stand for)."""

_FILE_FIELDS = ("city", "facility_files", "population_grid")
_PAIRING_FIELDS = ("city", "resident_model", "facility_files", "population_grid", "seed", "name")


class Design(BaseModel):
    """How design points are drawn."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Literal["grid", "lhs", "sobol", "morris"] = "grid"
    samples: int | None = Field(None, gt=0)
    levels: int | None = Field(None, ge=2)  # morris only
    seed: int = Field(0, ge=0)

    @property
    def morris_levels(self) -> int:
        """Grid levels of a Morris design (SALib's default, 4, if not given)."""
        return self.levels or 4


class Parameter(BaseModel):
    """One swept field."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str
    name: str | None = None
    scenarios: list[str] | None = None
    values: list[Any] | None = Field(None, min_length=1)
    range: tuple[float, float] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Parameter:
        if (self.values is None) == (self.range is None):
            raise ValueError("give either values (grid) or range [low, high] (lhs, sobol, morris)")
        if self.range is not None and not self.range[0] < self.range[1]:
            raise ValueError(f"range {list(self.range)} must rise: [low, high]")
        return self

    @property
    def label(self) -> str:
        """The parameter's column name in results: ``name`` or its path."""
        return self.name or self.path


class SweepFile(BaseModel):
    """The YAML form of a sweep."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str = ""
    baseline: str
    scenarios: list[str] = Field(min_length=1)
    residents: int | None = Field(None, gt=0)
    days: int | None = Field(None, gt=0)
    warm_up_days: Annotated[int, Field(ge=0)] | Literal["auto"] | None = None
    seeds: int | list[int] = 1
    k: int = Field(10, ge=10)  # stored group cells under k are left out; never under 10
    fixed: dict[str, Any] = Field(default_factory=dict)
    design: Design
    parameters: list[Parameter] = Field(default_factory=list)


@dataclass(frozen=True)
class RunSpec:
    """Everything one run needs, as plain data (it is sent to Dask workers).

    Attributes
    ----------
    key
        Content hash of the run's inputs and twin's code: its name in the store.
    point, seed
        The (first) design point it stands for and the seed.
    values
        Parameter label -> value at this point.
    baseline, scenarios
        Scenario mappings (as in a file, paths resolved, parameters applied).
    resident_model
        The resident model's mapping, parameters applied.
    k
        Group cells under ``k`` residents are suppressed in what is stored.
    """

    key: str
    point: int
    seed: int
    values: dict[str, Any]
    baseline: dict
    scenarios: tuple[dict, ...]
    resident_model: dict
    k: int


@dataclass(frozen=True)
class Sweep:
    """A checked sweep: its file, design and runs.

    Attributes
    ----------
    path
        The sweep file.
    spec
        Its content.
    design
        One row per design point: the value of each parameter (by label).
    runs
        Every distinct run (design points x seeds), checked.
    assignments
        ``point``, ``seed``, ``run`` (key): which run gives each point and
        seed (points with the same values share a run).
    code_version
        What the run keys hash as twin's code.
    """

    path: Path
    spec: SweepFile
    design: Any
    runs: tuple[RunSpec, ...]
    assignments: Any
    code_version: str

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def parameters(self) -> list[Parameter]:
        return list(self.spec.parameters)

    @property
    def scenario_names(self) -> list[str]:
        return [s["name"] for s in self.runs[0].scenarios]


def is_sweep_file(path: str | Path) -> bool:
    """Whether a YAML file is a sweep (it has a top-level ``design``)."""
    try:
        return "design" in read_yaml_mapping(path)
    except TwinError:
        return False


RESULT_CODE = ("abm", "city", "core", "interventions", "outcomes", "residents", "scenario.py",
               "_validation.py", "experiments/compare.py", "experiments/batch.py",
               "experiments/sweep.py")
"""The parts of twin whose code a run's results depend on (not the CLI,
the app, the store or the analysis)."""


def code_version() -> str:
    """twin's version and a hash of the sources in :data:`RESULT_CODE`: a
    run of changed code is a different run."""
    import twin

    root = Path(twin.__file__).parent
    digest = hashlib.sha256()
    files = [f for part in RESULT_CODE
             for f in ([root / part] if part.endswith(".py") else (root / part).rglob("*.py"))]
    for file in sorted(files):
        digest.update(file.relative_to(root).as_posix().encode())
        digest.update(file.read_bytes())
    return f"{twin.__version__}+{digest.hexdigest()[:12]}"


def load_sweep(path: str | Path) -> Sweep:
    """Read a sweep file, draw its design and check every run.

    Raises
    ------
    InputFileError
        The file or a scenario it names is missing.
    ConfigError
        A bad key or value, a parameter path that does not exist, or a
        design point outside what a field accepts; one line naming the
        sweep file and the field.
    """
    import pandas as pd

    from twin.residents.load import resolve_model_path
    from twin.scenario import load_scenario

    path = Path(path)
    mapping = read_yaml_mapping(path)
    if "design" not in mapping and "city" in mapping:
        raise ConfigError("a scenario, not a sweep file", path=path,
                          fix="run a scenario with 'twin run' or 'twin compare'; a sweep file, like "
                              "scenarios/helsinki/sweep.yaml, names a baseline, scenarios, parameters and a design")
    try:
        spec = SweepFile.model_validate(mapping)
    except ValidationError as exc:
        raise config_error_from_validation(exc, path, model=SweepFile) from None
    folder = path.resolve().parent
    base = load_scenario(folder / spec.baseline)
    scenarios = [load_scenario(folder / file) for file in spec.scenarios]
    from twin.experiments.compare import check_comparable, cost_currency

    check_comparable(base, scenarios, paths=[folder / f for f in spec.scenarios])
    cost_currency(scenarios, paths=[folder / f for f in spec.scenarios])
    model_path = resolve_model_path(base.resident_model)
    mappings = {"baseline": base.model_dump(mode="json"),
                **{s.name: s.model_dump(mode="json") for s in scenarios}}
    model = read_yaml_mapping(model_path)
    for name in mappings:
        for key, value in (("residents", spec.residents), ("days", spec.days),
                           ("warm_up_days", spec.warm_up_days)):
            if value is not None:
                mappings[name][key] = value
    seeds = (list(range(base.seed, base.seed + spec.seeds)) if isinstance(spec.seeds, int)
             else list(spec.seeds))
    if not seeds or min(seeds) < 0 or (isinstance(spec.seeds, int) and spec.seeds <= 0):
        raise ConfigError(f"{spec.seeds!r} gives no valid seed", path=path, field="seeds",
                          fix="a count >= 1, or a list of seeds >= 0")
    labels = [p.label for p in spec.parameters]
    if len(set(labels)) != len(labels):
        raise ConfigError("two parameters have the same name", path=path, field="parameters",
                          fix="give each a distinct 'name:'")
    fixed = [Parameter(path=key, values=[_resolve_file(value, folder) if key in _FILE_FIELDS
                                         else value]) for key, value in spec.fixed.items()]
    targets = {p.label: _targets(p, mappings, model, path=path, field=f"parameters[{i}].path")
               for i, p in enumerate(spec.parameters)}
    targets.update({f"fixed:{p.path}": _targets(p, mappings, model, path=path,
                                                field=f"fixed.{p.path}", fixed=True)
                    for p in fixed})
    points = _design(spec, path)
    for column, parameter in enumerate(spec.parameters):
        target, steps = targets[parameter.label][0]
        if target == "resident_model":  # its numbers are all floats, even if written 1
            continue
        container, key = _resolve(mappings[target], steps)
        if isinstance(container[key], int) and not isinstance(container[key], bool):
            for row in points:  # an integer field takes the nearest whole number
                row[column] = int(round(row[column]))
    design = pd.DataFrame(points, columns=labels)
    version = code_version()
    runs, assignments = {}, []
    fixed_values = {f"fixed:{p.path}": p.values[0] for p in fixed}
    for point, row in enumerate(points):
        values = dict(zip(labels, row))
        point_mappings = copy.deepcopy(mappings)
        point_model = copy.deepcopy(model)
        for label, value in {**values, **fixed_values}.items():
            for target, steps in targets[label]:
                where = point_model if target == "resident_model" else point_mappings[target]
                _set(where, steps, value)
        _check_point(point, values, point_mappings, point_model, model_path, path=path, spec=spec)
        scenario_mappings = tuple(point_mappings[s.name] for s in scenarios)
        for seed in seeds:
            seeded = [{**m, "seed": seed} for m in (point_mappings["baseline"], *scenario_mappings)]
            key = _key(seeded, point_model, spec.k, version)
            assignments.append((point, seed, key))
            # Points that round to the same values share one run (Saltelli designs repeat).
            runs.setdefault(key, RunSpec(key, point, seed, {k: _plain(v) for k, v in values.items()},
                                         seeded[0], tuple(seeded[1:]), point_model, spec.k))
    return Sweep(path, spec, design, tuple(runs.values()),
                 pd.DataFrame(assignments, columns=["point", "seed", "run"]), version)


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _key(mappings: list[dict], model: dict, k: int, version: str) -> str:
    text = json.dumps({"scenarios": mappings, "resident_model": model, "k": k, "code": version},
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


_STEP = re.compile(r"([^.\[\]]+)|\[([^\]]+)\]")


def _steps(path: str) -> list[str | int]:
    """``interventions[0].cost.capital.value`` -> ['interventions', 0, 'cost', ...]."""
    steps: list[str | int] = []
    for name, index in _STEP.findall(path):
        if name:
            steps.append(name)
        else:
            steps.append(int(index) if index.lstrip("-").isdigit() else f"[{index}]")
    return steps


def _resolve(root: Any, steps: list) -> tuple[Any, Any] | None:
    """The container and key the path ends at, or None if it does not exist.
    A ``[type]`` step picks the first list item whose ``type`` is that."""
    node = root
    for position, step in enumerate(steps):
        if isinstance(step, str) and step.startswith("["):
            if not isinstance(node, list):
                return None
            kind = step[1:-1]
            step = next((i for i, item in enumerate(node)
                         if isinstance(item, dict) and item.get("type") == kind), None)
            if step is None:
                return None
        last = position == len(steps) - 1
        if isinstance(node, dict) and isinstance(step, str) and step in node:
            if last:
                return node, step
            node = node[step]
        elif isinstance(node, list) and isinstance(step, int) and -len(node) <= step < len(node):
            if last:
                return node, step
            node = node[step]
        else:
            return None
    return None


def _set(root: Any, steps: list, value: Any) -> None:
    container, key = _resolve(root, steps)
    container[key] = _plain(value)


def _resolve_file(value: Any, folder: Path) -> Any:
    """A path relative to the sweep file, if it names an existing file."""
    return str(folder / value) if isinstance(value, str) and (folder / value).exists() else value


def _targets(parameter: Parameter, mappings: dict, model: dict, *, path: Path, field: str,
             fixed: bool = False):
    """Where a parameter applies: ``[(target, steps)]`` with target
    ``"resident_model"`` or a scenario name (``"baseline"`` included).
    A ``fixed`` value may also set the city, facility files or population
    grid of every run (to move a scenario set onto another city)."""
    steps = _steps(parameter.path)
    if fixed and len(steps) == 1 and steps[0] in _FILE_FIELDS:
        return [(name, steps) for name in mappings]
    if steps and steps[0] == "resident_model":
        if parameter.scenarios is not None:
            raise ConfigError("a resident-model parameter applies to every run", path=path,
                              field=field.replace(".path", ".scenarios"), fix="remove 'scenarios:'")
        if _resolve(model, steps[1:]) is None or len(steps) < 2:
            raise ConfigError(f"{parameter.path!r} is not a field of the resident model", path=path,
                              field=field, fix=_suggest(model, steps[1:], "resident_model"))
        return [("resident_model", steps[1:])]
    if steps and steps[0] in _PAIRING_FIELDS:
        raise ConfigError(f"{steps[0]!r} is the same for the baseline and every scenario and "
                          "cannot be swept", path=path, field=field,
                          fix="sweep resident_model.<field>, residents, days or an intervention field")
    if steps and (steps[0] in SHARED_FIELDS and len(steps) == 1 or steps[0] == "population"):
        return [(name, steps) for name in mappings]
    compared = [name for name in mappings if name != "baseline"]
    names = parameter.scenarios if parameter.scenarios is not None else compared
    unknown = [n for n in names if n not in compared]
    if unknown:
        raise ConfigError(f"no compared scenario is named {unknown[0]!r}", path=path,
                          field=field.replace(".path", ".scenarios"),
                          fix=f"scenarios: {', '.join(compared)}")
    found = [(name, steps) for name in names if _resolve(mappings[name], steps) is not None]
    if parameter.scenarios is not None and len(found) < len(names):
        missing = next(n for n in names if _resolve(mappings[n], steps) is None)
        raise ConfigError(f"scenario {missing!r} has no field {parameter.path!r}", path=path,
                          field=field, fix=_suggest(mappings[missing], steps, ""))
    if not found:
        raise ConfigError(f"no compared scenario has the field {parameter.path!r}", path=path,
                          field=field, fix=_suggest(mappings[names[0]], steps, "")
                          if names else "list scenarios first")
    return found


def _suggest(root: Any, steps: list, prefix: str) -> str:
    """'did you mean ...' for the first step that does not exist."""
    node, done = root, [prefix] if prefix else []
    for step in steps:
        probe = _resolve(node, [step])
        if probe is None:
            if isinstance(node, dict):
                near = difflib.get_close_matches(str(step), [str(k) for k in node], n=1)
                keys = ", ".join(map(str, list(node)[:12]))
                hint = f"did you mean {'.'.join(map(str, done + [near[0]]))!r}? " if near else ""
                return f"{hint}fields there: {keys}"
            if isinstance(node, list):
                kinds = [item.get("type") for item in node if isinstance(item, dict)]
                return f"a list of {len(node)}: use [0]..[{len(node) - 1}]" + (
                    f" or [type] with type in {', '.join(map(str, kinds))}" if any(kinds) else "")
            return "it is a single value, not a mapping"
        container, key = probe
        node = container[key]
        done.append(str(step))
    return "check the path"


def _design(spec: SweepFile, path: Path) -> list[list[Any]]:
    """The design points: one list of parameter values per point."""
    params, method = spec.parameters, spec.design.method
    if not params:
        return [[]]
    form = "values" if method == "grid" else "range"
    for index, p in enumerate(params):
        if getattr(p, form) is None:
            raise ConfigError(f"a {method} design needs {form} for every parameter", path=path,
                              field=f"parameters[{index}].{form}",
                              fix="give values: [...] (grid) or range: [low, high] (lhs, sobol, morris)")
    levels = spec.design.levels
    if levels is not None and method != "morris":
        raise ConfigError(f"levels applies to morris designs, not {method}", path=path, field="design.levels",
                          fix="remove levels, or use method: morris")
    if method == "grid":
        return [list(row) for row in itertools.product(*(p.values for p in params))]
    if spec.design.samples is None:
        raise ConfigError(f"a {method} design needs the number of samples", path=path,
                          field="design.samples", fix="e.g. samples: 16")
    problem = {"num_vars": len(params), "names": [p.label for p in params],
               "bounds": [list(p.range) for p in params]}
    n = spec.design.samples
    if method == "lhs":
        from SALib.sample import latin

        return latin.sample(problem, n, seed=spec.design.seed).tolist()
    if method == "morris":
        if spec.design.morris_levels % 2:
            raise ConfigError(f"{levels} levels give a biased Morris design", path=path, field="design.levels",
                              fix="an even number of levels, e.g. 4 (the default) or 6")
        from SALib.sample import morris

        return morris.sample(problem, n, num_levels=spec.design.morris_levels, seed=spec.design.seed).tolist()
    if n & (n - 1):
        raise ConfigError(f"{n} is not a power of 2", path=path, field="design.samples",
                          fix="Sobol sequences need e.g. 8, 16 or 32")
    from SALib.sample import sobol

    return sobol.sample(problem, n, calc_second_order=False, seed=spec.design.seed).tolist()


def _check_point(point, values, mappings, model, model_path, *, path: Path, spec: SweepFile) -> None:
    """Build the point's resident model and scenarios as files are built;
    a failure names the sweep file, the parameter and the value."""
    from twin.residents.model import ResidentModel
    from twin.scenario import scenario_from_mapping

    def fail(error: TwinError) -> None:
        field = next((f"parameters[{i}]" for i, p in enumerate(spec.parameters)
                      if error.field and _steps(p.path)[-1] in str(error.field).split(".")),
                     "parameters")
        shown = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                          for k, v in values.items())
        raise ConfigError(f"design point {point} ({shown}) is not valid: {error.field}: "
                          f"{error.message}", path=path, field=field,
                          fix=error.fix or "narrow the range or values") from None

    try:
        ResidentModel.model_validate(model)
    except ValidationError as exc:
        fail(config_error_from_validation(exc, model_path, model=ResidentModel))
    for name, mapping in mappings.items():
        try:
            scenario_from_mapping(mapping, where=f"scenario {name!r}")
        except ConfigError as error:
            fail(error)
