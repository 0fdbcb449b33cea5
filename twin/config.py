"""Shared config types of every YAML schema (resident models, scenarios,
interventions): sourced values and strict numbers.

Every number that stands for the world carries its source: a scalar is
``{value: 0.48, source: "..."}``, a table ``{values: ..., source: "..."}``.
A bare number is rejected. Where nothing is sourced the source says so
(``"assumption: ..."``) and the number stays a visible parameter.
"""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from twin._validation import Problem, ProblemsError

T = TypeVar("T")


def _check_source(text: str) -> str:
    text = text.strip()
    if not text:
        raise ValueError('empty source: cite where the number comes from, or write "assumption: ..."')
    return text


# Strict floats: ints are accepted, strings and booleans are not.
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Probability = Annotated[Number, Field(ge=0, le=1)]
Positive = Annotated[Number, Field(gt=0)]
NonNegative = Annotated[Number, Field(ge=0)]
OpenUnit = Annotated[Number, Field(gt=0, lt=1)]
Source = Annotated[str, AfterValidator(_check_source)]


class Strict(BaseModel):
    """A config section: unknown keys are refused, values frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _require_mapping(data: Any, key: str) -> Any:
    if isinstance(data, (dict, BaseModel)):
        return data
    example = "0.5" if key == "value" else "..."
    raise ProblemsError(
        [
            Problem(
                "",
                f"{data!r} has no source",
                f'write {{{key}: {example}, source: "..."}}, with "assumption: ..." if nothing is sourced',
            )
        ]
    )


class Value(Strict, Generic[T]):
    """A sourced scalar: ``{value: ..., source: "..."}``."""

    value: T
    source: Source

    @model_validator(mode="before")
    @classmethod
    def _sourced(cls, data: Any) -> Any:
        return _require_mapping(data, "value")


class Table(Strict, Generic[T]):
    """A sourced table: ``{values: {...} or [...], source: "..."}``."""

    values: T
    source: Source

    @model_validator(mode="before")
    @classmethod
    def _sourced(cls, data: Any) -> Any:
        return _require_mapping(data, "values")
