"""Reading YAML configs and turning pydantic errors into one-line ConfigErrors.

Shared by the resident-model and scenario loaders: both read a YAML mapping
with :func:`read_yaml_mapping`, validate it with a pydantic model and, on
failure, raise :func:`config_error_from_validation` of the error.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from twin.errors import ConfigError, InputFileError

MAX_YAML_BYTES = 1_000_000
"""Largest scenario or resident-model file read (1 MB): the shipped ones are
under 20 kB, and a file far larger is not a config someone wrote; it is
refused before parsing, which would take minutes and gigabytes."""

__all__ = [
    "MAX_YAML_BYTES",
    "Problem",
    "ProblemsError",
    "config_error_from_validation",
    "read_yaml_mapping",
]


@dataclass(frozen=True)
class Problem:
    """One problem in a config, at ``field`` (dotted, relative to the model
    whose validator found it; ``""`` for the model itself)."""

    field: str
    message: str
    fix: str | None = None


class ProblemsError(ValueError):
    """Raise inside a pydantic validator to report problems at named fields.

    Pydantic places a validator's error at the validated model; this carries
    the sub-fields, so that :func:`config_error_from_validation` can name them.
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in self.problems))


def config_error_from_validation(
    exc: ValidationError,
    path: str | Path,
    *,
    model: type[BaseModel] | None = None,
) -> ConfigError:
    """One-line :class:`ConfigError` for a pydantic ``ValidationError``.

    Parameters
    ----------
    exc
        The error raised by ``model.model_validate``.
    path
        The file that was validated.
    model
        The validated model class; with it, an unknown key gets the nearest
        valid key as a suggestion.

    Returns
    -------
    The error for the first problem (dotted field, message, fix); the fix
    also names the fields of any further problems.
    """
    problems = list(_problems(exc, model))
    first = problems[0]
    fix = first.fix
    if len(problems) > 1:
        others = sorted({p.field for p in problems[1:]} - {first.field})
        more = f"{len(problems) - 1} more problem(s)"
        if others:
            more += " at " + ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
        fix = f"{fix}; {more}" if fix else more
    return ConfigError(first.message, path=path, field=first.field or None, fix=fix)


def read_yaml_mapping(path: str | Path) -> dict[str, Any]:
    """The top-level mapping of a YAML file.

    Read with libyaml's C parser when PyYAML has it (the pure-Python one is
    about 10x slower), after checking the file is at most :data:`MAX_YAML_BYTES`.

    Raises
    ------
    InputFileError
        The file is missing, unreadable or larger than :data:`MAX_YAML_BYTES`.
    ConfigError
        The YAML is malformed (with its line number), has a duplicate key, is
        empty or is not a mapping.
    """
    path = Path(path)
    try:
        size = path.stat().st_size if path.is_file() else 0
        if size > MAX_YAML_BYTES:
            raise InputFileError(
                f"the file is {size / 1e6:,.1f} MB, larger than any config ({MAX_YAML_BYTES / 1e6:g} MB at most)",
                path=path, fix="check that this is the scenario or resident-model file you meant")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputFileError("file not found", path=path, fix="check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"cannot read the file: {exc}", path=path) from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(
            f"malformed YAML{where}: {exc.problem or exc.context}",
            path=path,
            fix="check indentation, colons and quoting near that line",
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"malformed YAML: {exc}", path=path) from None
    if data is None:
        raise ConfigError("the file is empty", path=path, fix="write the config as a YAML mapping")
    if not isinstance(data, dict):
        raise ConfigError(
            f"expected a mapping of keys at the top level, got a {type(data).__name__}",
            path=path,
            fix="write the config as `key: value` lines",
        )
    return data


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """The safe loader (libyaml's C parser where available) that rejects
    duplicate keys instead of keeping the last."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, Hashable) and key in seen:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping", node.start_mark, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _problems(exc: ValidationError, model: type[BaseModel] | None) -> Iterator[Problem]:
    errors = exc.errors()
    misspelt = [_unknown_key(e["loc"], model) for e in errors if e["type"] == "extra_forbidden"]
    yield from (problem for problem, _ in misspelt)
    # The key a misspelling was meant to be is reported missing too; say it once.
    meant = {suggestion for _, suggestion in misspelt}
    for error in errors:
        loc, kind = error["loc"], error["type"]
        inner = (error.get("ctx") or {}).get("error")
        if isinstance(inner, ProblemsError):
            for problem in inner.problems:
                yield Problem(_dotted(loc, problem.field), problem.message, problem.fix)
        elif kind == "missing" and _dotted(loc) not in meant:
            yield Problem(_dotted(loc), "required field is missing", _fix_missing(str(loc[-1])))
        elif kind not in ("missing", "extra_forbidden"):
            message = error["msg"].removeprefix("Value error, ")
            value = error.get("input")
            fix = None
            if isinstance(value, bool):  # YAML 1.1 reads yes/no/on/off as booleans
                message += f", got a yes/no value ({str(value).lower()})"
                fix = "write a number; YAML reads yes, no, on, off, true and false as booleans"
            elif isinstance(value, (int, float, str)):
                message += f", got {value!r}"
                if isinstance(value, str) and kind in ("int_type", "float_type"):
                    fix = "write the number without quotes"
            yield Problem(_dotted(loc), message, fix)


def _fix_missing(key: str) -> str:
    if key == "source":
        return 'add `source: "..."` citing where the number comes from, or "assumption: ..." if nothing does'
    return f"add `{key}:`"


def _unknown_key(loc: tuple, model: type[BaseModel] | None) -> tuple[Problem, str | None]:
    """The problem, and the dotted field of the nearest valid key if any."""
    key = str(loc[-1])
    valid = _valid_keys(model, loc[:-1]) if model is not None else []
    nearest = difflib.get_close_matches(key, valid, n=1)
    if nearest:
        fix = f"did you mean '{nearest[0]}'?"
    elif valid:
        fix = f"valid keys here: {', '.join(valid)}"
    else:
        fix = "remove it"
    suggestion = _dotted((*loc[:-1], nearest[0])) if nearest else None
    return Problem(_dotted(loc), f"unknown key '{key}'", fix), suggestion


def _dotted(loc: tuple, tail: str = "") -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    if tail:
        text = f"{text}.{tail}" if text else tail
    return text


def _valid_keys(model: type[BaseModel], loc: tuple) -> list[str]:
    """Keys allowed at ``loc`` inside ``model``, following pydantic's error
    locations through nested models, lists, dicts, optionals and unions
    (whose tag, a class name or a ``Literal`` discriminator value, may appear
    in ``loc``)."""
    candidates: list[Any] = [model]
    for part in loc:
        following: list[Any] = []
        for kind in _flatten(candidates):
            origin = typing.get_origin(kind)
            if _is_model(kind):
                fields = _fields_by_key(kind)
                if part in fields:
                    following.append(fields[part].annotation)
                elif part == kind.__name__ or part in _literal_values(kind):
                    following.append(kind)
            elif origin in (list, tuple, set, frozenset) and isinstance(part, int):
                following.extend(typing.get_args(kind))
            elif origin is dict:
                following.extend(typing.get_args(kind)[1:])
        candidates = following
    keys = {key for kind in _flatten(candidates) if _is_model(kind) for key in _fields_by_key(kind)}
    return sorted(keys)


def _flatten(kinds: list[Any]) -> list[Any]:
    """Unwrap Annotated, Optional and unions into concrete types."""
    flat = []
    for kind in kinds:
        origin = typing.get_origin(kind)
        if origin is typing.Annotated:
            flat.extend(_flatten([typing.get_args(kind)[0]]))
        elif origin is typing.Union or origin is types.UnionType:
            flat.extend(_flatten(list(typing.get_args(kind))))
        else:
            flat.append(kind)
    return flat


def _is_model(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, BaseModel)


def _fields_by_key(model: type[BaseModel]) -> dict[str, Any]:
    return {(info.alias or name): info for name, info in model.model_fields.items()}


def _literal_values(model: type[BaseModel]) -> set:
    values: set = set()
    for info in model.model_fields.values():
        for kind in _flatten([info.annotation]):
            if typing.get_origin(kind) is typing.Literal:
                values.update(typing.get_args(kind))
    return values
