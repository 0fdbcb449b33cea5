"""What widget edits each field of an intervention: read from its pydantic model.

The scenario page never lists an intervention's parameters by hand: it asks
:func:`describe` for the fields of a registered kind (``twin.interventions.REGISTRY``)
and gets one :class:`FieldSpec` per field, with the bounds pydantic enforces,
so that a new kind gets widgets without touching the UI. Values typed in the
widgets are then checked by the same pydantic model as the YAML.

Pure Python: no streamlit here, so it is testable on its own.
"""

from __future__ import annotations

import inspect
import re
import types
import typing
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from twin.config import Value

Kind = Literal["bool", "int", "float", "choice", "choices", "int_choices", "range", "model", "readonly"]

SKIPPED = ("type",)
"""Fields never shown: ``type`` names the kind."""


@dataclass(frozen=True)
class FieldSpec:
    """How to edit one field.

    Attributes
    ----------
    name
        The field's name in the YAML.
    label
        Human-readable label (``fleet_size`` -> ``Fleet size``).
    help
        The field's description from the model's docstring ("Parameters").
    kind
        ``bool`` (toggle), ``int``/``float`` (number or slider), ``choice``
        (one of ``choices``), ``choices`` (several of ``choices``),
        ``int_choices`` (several whole numbers in ``[ge, le]``), ``range``
        (a pair of numbers), ``model`` (nested fields in ``children``) or
        ``readonly`` (shown, edited only in the YAML file).
    ge, gt, le, lt
        Bounds of the number (or of each number of a range), if any.
    choices
        Allowed values of ``choice``/``choices``.
    sourced
        The field is a sourced value ``{value, source}``: widgets edit
        ``value`` and keep ``source``.
    optional
        ``None`` is allowed (the widget can leave it unset).
    min_items
        Least number of items of ``choices``/``int_choices``.
    children
        Nested fields of a ``model``.
    """

    name: str
    label: str
    help: str
    kind: Kind
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    choices: tuple[Any, ...] = ()
    sourced: bool = False
    optional: bool = False
    min_items: int = 0
    children: tuple[FieldSpec, ...] = field(default=())

    @property
    def low(self) -> float | None:
        """Smallest value a widget should offer."""
        return self.ge if self.ge is not None else self.gt

    @property
    def high(self) -> float | None:
        """Largest value a widget should offer."""
        return self.le if self.le is not None else self.lt

    @property
    def is_share(self) -> bool:
        """A float in [0, 1]: a slider of shares."""
        return self.kind == "float" and self.low == 0 and self.high == 1


def describe(model: type[BaseModel]) -> list[FieldSpec]:
    """One :class:`FieldSpec` per editable field of ``model``, in declaration order."""
    docs = parameter_docs(model)
    return [_spec(name, info.annotation, info.metadata, docs.get(name, ""))
            for name, info in model.model_fields.items() if name not in SKIPPED]


def parameter_docs(model: type) -> dict[str, str]:
    """Field descriptions from a numpy-style "Parameters" or "Attributes"
    section of the class docstring, as one line each (rst markup removed)."""
    text = inspect.cleandoc(model.__doc__ or "")
    docs: dict[str, str] = {}
    section = re.search(r"(?:Parameters|Attributes)\n-+\n(.*)", text, flags=re.S)
    if not section:
        return docs
    name = None
    for line in section.group(1).splitlines():
        if re.match(r"^[A-Za-z]\w*(, \w+)*\s*$", line):
            name = line.strip()
            for each in name.split(", "):
                docs[each] = ""
        elif re.match(r"^\S", line):  # another section starts
            break
        elif name and line.strip():
            for each in name.split(", "):
                docs[each] = (docs[each] + " " + line.strip()).strip()
    return {key: value.replace("``", "`") for key, value in docs.items()}


def label_of(name: str) -> str:
    """``max_ride_time_min`` -> ``Max ride time (min)``."""
    units = {"_min": " (min)", "_s": " (s)", "_m": " (m)", "_h": " (h)", "_eur": " (EUR)"}
    suffix = ""
    for ending, text in units.items():
        if name.endswith(ending):
            name, suffix = name[: -len(ending)], text
            break
    words = name.replace("_", " ")
    return words[:1].upper() + words[1:] + suffix


def _bounds(metadata: list[Any]) -> dict[str, float]:
    """ge/gt/le/lt from annotated_types constraints, also inside nested FieldInfo."""
    found: dict[str, float] = {}
    for item in metadata:
        if isinstance(item, FieldInfo):
            found.update(_bounds(item.metadata))
        for name in ("ge", "gt", "le", "lt"):
            cls = getattr(annotated_types, name.capitalize())
            if isinstance(item, cls):
                found[name] = getattr(item, name)
    return found


def _min_items(metadata: list[Any]) -> int:
    for item in metadata:
        if isinstance(item, annotated_types.MinLen):
            return int(item.min_length)
        if isinstance(item, FieldInfo):
            found = _min_items(item.metadata)
            if found:
                return found
    return 0


def _unwrap(annotation: Any, metadata: list[Any]) -> tuple[Any, list[Any]]:
    """Strip ``Annotated`` layers, collecting their metadata."""
    metadata = list(metadata)
    while typing.get_origin(annotation) is Annotated:
        annotation, *extra = typing.get_args(annotation)
        metadata += extra
    return annotation, metadata


def _spec(name: str, annotation: Any, metadata: list[Any], help_text: str) -> FieldSpec:
    label = label_of(name)
    annotation, metadata = _unwrap(annotation, metadata)
    optional = False
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        optional = len(args) < len(typing.get_args(annotation))
        if len(args) != 1:
            return FieldSpec(name, label, help_text, "readonly", optional=optional)
        annotation, metadata = _unwrap(args[0], metadata)
        origin = typing.get_origin(annotation)
    common = {"name": name, "label": label, "help": help_text, "optional": optional}

    if inspect.isclass(annotation) and issubclass(annotation, Value):
        inner = annotation.model_fields["value"]
        spec = _spec(name, inner.annotation, inner.metadata, help_text)
        if spec.kind not in ("int", "float", "bool", "choice"):
            return FieldSpec(kind="readonly", **common)
        return FieldSpec(**{**spec.__dict__, "sourced": True, "optional": optional})
    if annotation is bool:
        return FieldSpec(kind="bool", **common)
    if annotation is int:
        return FieldSpec(kind="int", **common, **_bounds(metadata))
    if annotation is float:
        return FieldSpec(kind="float", **common, **_bounds(metadata))
    if origin is Literal:
        return FieldSpec(kind="choice", choices=typing.get_args(annotation), **common)
    if origin is list:
        (item,) = typing.get_args(annotation) or (Any,)
        item, item_meta = _unwrap(item, [])
        if typing.get_origin(item) is Literal:
            return FieldSpec(kind="choices", choices=typing.get_args(item),
                             min_items=_min_items(metadata), **common)
        bounds = _bounds(item_meta)
        if item is int and "ge" in bounds and "le" in bounds and bounds["le"] - bounds["ge"] <= 50:
            return FieldSpec(kind="int_choices", min_items=_min_items(metadata),
                             choices=tuple(range(int(bounds["ge"]), int(bounds["le"]) + 1)), **common)
        return FieldSpec(kind="readonly", **common)
    if origin is tuple:
        args = typing.get_args(annotation)
        unwrapped = [_unwrap(a, []) for a in args]
        if len(args) == 2 and all(a in (int, float) for a, _ in unwrapped):
            bounds = _bounds(unwrapped[0][1])
            return FieldSpec(kind="range", **common, **bounds)
        return FieldSpec(kind="readonly", **common)
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        docs = parameter_docs(annotation)
        children = tuple(_spec(child, info.annotation, info.metadata, docs.get(child, ""))
                         for child, info in annotation.model_fields.items() if child not in SKIPPED)
        return FieldSpec(kind="model", children=children, **common)
    return FieldSpec(kind="readonly", **common)
