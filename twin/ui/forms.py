"""Widgets for an intervention's parameters, drawn from its pydantic fields.

:func:`edit` draws one widget per :class:`~twin.ui.fields.FieldSpec` (a
toggle, a slider of shares, a number, a choice, several choices, a range of
hours, nested fields) and returns the edited mapping; the caller checks it
with the intervention's pydantic model. Sourced values ``{value, source}``
get a widget for ``value``; their ``source`` is kept and shown as help.
"""

from __future__ import annotations

import math
from typing import Any

import streamlit as st

from twin.ui.fields import FieldSpec

LABELS = {
    "capital": "Capital cost",
    "yearly_operating": "Yearly operating cost",
    "lifetime_years": "Lifetime (years)",
    "k": "Number to site (k)",
}
MONEY = ("capital", "yearly_operating", "fare")
SIMPLE = ("bool", "int", "float", "choice", "choices", "int_choices", "range")


def _label(spec: FieldSpec, currency: str) -> str:
    label = LABELS.get(spec.name, spec.label)
    return f"{label} ({currency})" if spec.name in MONEY else label


def _step(value: float) -> float:
    """A step of about a tenth of the value's order of magnitude."""
    if not value:
        return 1.0
    return float(10 ** max(math.floor(math.log10(abs(value))) - 1, -2))


def _number(spec: FieldSpec, label: str, value: Any, key: str, help_text: str) -> Any:
    if spec.kind == "int":
        low = spec.ge if spec.ge is not None else (spec.gt + 1 if spec.gt is not None else None)
        high = spec.le if spec.le is not None else (spec.lt - 1 if spec.lt is not None else None)
        value = int(value if value is not None else (low or 0))
        if low is not None and high is not None and high - low <= 100:
            return st.slider(label, int(low), int(high), value, key=key, help=help_text)
        return st.number_input(label, min_value=None if low is None else int(low),
                               max_value=None if high is None else int(high),
                               value=value, step=1, key=key, help=help_text)
    value = float(value if value is not None else (spec.low or 0.0))
    if spec.is_share:
        return st.slider(label, 0.0, 1.0, value, step=0.01, key=key, help=help_text)
    low = spec.low
    return st.number_input(label, min_value=None if low is None else float(low),
                           max_value=None if spec.high is None else float(spec.high),
                           value=value, step=_step(value), key=key, help=help_text,
                           format="%.0f" if abs(value) >= 1000 else "%.2f")


def _widget(spec: FieldSpec, value: Any, key: str, currency: str) -> Any:
    """One widget; returns the new value (the ``value`` part if sourced)."""
    label = _label(spec, currency)
    help_text = spec.help
    if spec.sourced and isinstance(value, dict):
        help_text = f"{help_text}\n\nSource: {value.get('source', '')}".strip()
        value = value.get("value")
    if spec.optional:
        on = st.toggle(f"Set {label.lower()}", value=value is not None, key=f"{key}?",
                       help=f"{help_text}\n\nOff: not set (null in the YAML).".strip())
        if not on:
            return None
    if spec.kind == "bool":
        return st.toggle(label, value=bool(value), key=key, help=help_text)
    if spec.kind in ("int", "float"):
        return _number(spec, label, value, key, help_text)
    if spec.kind == "choice":
        options = list(spec.choices)
        index = options.index(value) if value in options else 0
        if len(options) <= 4:
            return st.radio(label, options, index=index, key=key, help=help_text, horizontal=True)
        return st.selectbox(label, options, index=index, key=key, help=help_text)
    if spec.kind in ("choices", "int_choices"):
        current = [v for v in (value or []) if v in spec.choices]
        more = f" (at least {spec.min_items})" if spec.min_items else ""
        return st.multiselect(label + more, list(spec.choices), default=current, key=key, help=help_text)
    if spec.kind == "range":
        start, end = (value or [spec.low or 0.0, spec.high or 1.0])[:2]
        if spec.low is not None and spec.high is not None:
            picked = st.slider(label, float(spec.low), float(spec.high), (float(start), float(end)),
                               step=0.5, format="%.1f", key=key, help=help_text)
        else:
            left, right = st.columns(2)
            picked = (left.number_input(f"{label}: from", value=float(start), key=f"{key}.0"),
                      right.number_input(f"{label}: to", value=float(end), key=f"{key}.1"))
        return [float(picked[0]), float(picked[1])]
    raise ValueError(f"no widget for {spec.kind}")


def edit(specs: list[FieldSpec], data: dict[str, Any], *, key: str, currency: str) -> dict[str, Any]:
    """Widgets for ``specs`` over ``data``; the edited copy of ``data``.

    Simple fields go in two columns, nested models (eligibility, cost) in
    their own sections below, fields the app cannot edit (e.g. lists of given
    sites) are shown and kept as they are.
    """
    out = dict(data)
    simple = [s for s in specs if s.kind in SIMPLE]
    columns = st.columns(2)
    for index, spec in enumerate(simple):
        with columns[index % 2]:
            new = _widget(spec, data.get(spec.name), f"{key}.{spec.name}", currency)
        if spec.sourced and new is not None:
            base = data.get(spec.name)
            base = base if isinstance(base, dict) else {"source": "assumption: set in the planners' app"}
            out[spec.name] = {**base, "value": new}
        else:
            out[spec.name] = new
    nested = sorted((s for s in specs if s.kind == "model"), key=lambda s: s.name == "cost")
    for spec in nested:
        if spec.optional and data.get(spec.name) is None:  # not set stays not set (e.g. siting, depot)
            out[spec.name] = None
            st.caption(f"{spec.label}: not set (set it in the YAML file)")
            continue
        title = "Cost (the budget)" if spec.name == "cost" else spec.label
        st.markdown(f"**{title}**" + (f" — {spec.help}" if spec.help else ""))
        part = data.get(spec.name) or {}
        out[spec.name] = edit(list(spec.children), part, key=f"{key}.{spec.name}",
                              currency=part.get("currency", currency))  # a cost states its own
    for spec in (s for s in specs if s.kind == "readonly"):
        value = data.get(spec.name)
        if value is None:
            continue
        summary = f"{len(value)} given" if isinstance(value, list) else repr(value)
        st.caption(f"{spec.label}: {summary} (edit these in the YAML file)")
    return out
