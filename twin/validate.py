"""Check config files before a run: scenarios and resident models."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from twin._validation import read_yaml_mapping
from twin.errors import InputFileError, TwinError


def validate_paths(paths: Iterable[str | Path]) -> Iterator[tuple[Path, TwinError | None]]:
    """Yield ``(file, None)`` for each valid file and ``(file, error)`` for
    each invalid one. Folders are searched for ``*.yaml`` recursively.

    A file is a resident model if it has ``age_bands``, observed figures
    (:mod:`twin.experiments.validation`) if it has ``observed``, else a
    scenario; a scenario's resident model is checked too. A folder with no
    YAML file in it is a problem of its own (nothing would be checked).
    """
    from twin.experiments.validation import load_observed
    from twin.residents import load_resident_model
    from twin.scenario import load_scenario

    for path in _yaml_files(paths):
        if path.is_dir():
            yield path, InputFileError(
                "no scenario or resident-model files (*.yaml, *.yml) found in this folder", path=path,
                fix="pass a folder of scenario files, e.g. scenarios/helsinki")
            continue
        try:
            if not path.is_file():
                raise InputFileError("file or folder not found", path=path, fix="check the path")
            mapping = read_yaml_mapping(path)
            if "age_bands" in mapping:
                load_resident_model(path)
            elif "observed" in mapping:
                load_scenario(load_observed(path)[1])
            else:
                load_resident_model(load_scenario(path).resident_model)
        except TwinError as error:
            yield path, error
        else:
            yield path, None


def _yaml_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(p for p in path.rglob("*.y*ml") if p.suffix in (".yaml", ".yml") and p.is_file())
            yield from found or [path]  # the folder itself: nothing in it
        else:
            yield path
