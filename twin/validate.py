"""Check config files before a run: scenarios and resident models."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from twin._validation import read_yaml_mapping
from twin.errors import InputFileError, TwinError


def validate_paths(
    paths: Iterable[str | Path], *, sweeps: bool = True,
) -> Iterator[tuple[Path, TwinError | None]]:
    """Yield ``(file, None)`` for each valid file and ``(file, error)`` for
    each invalid one. Folders are searched for ``*.yaml`` recursively.

    A file is a resident model if it has ``age_bands``, data sources
    (:mod:`twin.data_sources`) if it has ``sources``, observed figures
    (:mod:`twin.experiments.validation`) if it has ``observed``, a sweep if
    it has a ``design`` (:mod:`twin.experiments.sweep`), else a scenario; a
    scenario's resident model is checked too. A folder with no YAML file in
    it is a problem of its own (nothing would be checked). ``sweeps=False``
    leaves out the sweeps found in folders (to collect a folder's scenarios).
    """
    from twin.data_sources import load_data_sources
    from twin.experiments.sweep import is_sweep_file, load_sweep
    from twin.experiments.validation import load_observed
    from twin.residents import load_resident_model
    from twin.scenario import load_scenario

    for path, in_folder in _yaml_files(paths):
        if path.is_dir():
            yield path, InputFileError(
                "no scenario or resident-model files (*.yaml, *.yml) found in this folder", path=path,
                fix="pass a folder of scenario files, e.g. scenarios/helsinki")
            continue
        if in_folder and not sweeps and is_sweep_file(path):
            continue
        try:
            if not path.is_file():
                raise InputFileError("file or folder not found", path=path, fix="check the path")
            mapping = read_yaml_mapping(path)
            if "age_bands" in mapping:
                load_resident_model(path)
            elif "sources" in mapping:
                load_data_sources(path)
            elif "observed" in mapping:
                load_scenario(load_observed(path)[1])
            elif "design" in mapping:
                load_sweep(path)
            else:
                load_resident_model(load_scenario(path).resident_model)
        except TwinError as error:
            yield path, error
        else:
            yield path, None


def _yaml_files(paths: Iterable[str | Path]) -> Iterator[tuple[Path, bool]]:
    """``(file, found in a folder)`` for each file given or found in a folder given."""
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(p for p in path.rglob("*.y*ml") if p.suffix in (".yaml", ".yml") and p.is_file())
            yield from ((p, True) for p in found) if found else [(path, False)]  # the folder: nothing in it
        else:
            yield path, False
