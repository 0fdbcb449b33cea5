"""Per-user state: one :class:`Session` in ``st.session_state``.

Widgets come and go with the page that shows them (Streamlit forgets a
widget's value when its page is not shown), so every choice a planner makes
is copied into the :class:`Session`, and widgets are drawn from it. Nothing
per-user is kept in a shared cache, and nothing shared is kept here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import streamlit as st

from twin.outcomes.groups import MIN_CELL_RESIDENTS
from twin.ui.scenarios import Draft, load_set, scenario_sets

KEY = "twin"

DEFAULT_RESIDENTS = 5_000
DEFAULT_REPLICATIONS = 3
DEFAULT_SET = "helsinki"
DEFAULT_PICKS = ("paratransit_multi_stop", "paratransit_single_stop")
"""Scenarios compared until the planner chooses (if the set has them): the
question the app was first built for, multi-stop paratransit booking."""


@dataclass(frozen=True)
class CityChoice:
    """Where the city comes from.

    Attributes
    ----------
    kind
        ``bundled``, ``upload`` or ``place``.
    source
        What :func:`twin.city.load_city` is given (a name, a staged file, a place).
    label
        How the app names it.
    file_name
        The uploaded file's own name (written into saved scenarios).
    """

    kind: Literal["bundled", "upload", "place"]
    source: str
    label: str
    file_name: str | None = None

    @property
    def scenario_city(self) -> str:
        """What a saved scenario file says as ``city:``."""
        return self.file_name or self.source


HELSINKI = CityChoice("bundled", "helsinki", "Central Helsinki (bundled OpenStreetMap extract)")


@dataclass
class Run:
    """What the last comparison ran, so its results can be shown again."""

    key: str
    source: str
    scenario_city: str
    model: str
    baseline: str
    scenarios: list[str]
    names: list[str]
    replications: int
    residents: int
    days: int
    seed: int


@dataclass
class Session:
    """One planner's choices, across pages and reruns."""

    city: CityChoice = HELSINKI
    resident_model: str = "helsinki"
    residents: int = DEFAULT_RESIDENTS
    seed: int = 1
    replications: int = DEFAULT_REPLICATIONS
    days: int = 7
    k: int = MIN_CELL_RESIDENTS
    scenario_set: str | None = None
    baseline: Draft | None = None
    drafts: dict[str, Draft] = field(default_factory=dict)
    chosen: list[str] | None = None
    editing: str | None = None
    run: Run | None = None
    notes: dict[str, Any] = field(default_factory=dict)

    def load_set(self, name: str) -> None:
        """Start over from the files of scenario set ``name``."""
        baseline, drafts = load_set(scenario_sets()[name])
        self.scenario_set = name
        self.baseline = baseline
        self.drafts = {d.id: d for d in drafts}
        picks = [d.id for d in drafts if d.name in DEFAULT_PICKS]
        self.chosen = picks or [d.id for d in drafts[:2]]
        self.editing = self.chosen[0] if self.chosen else next(iter(self.drafts), None)

    def ensure_set(self) -> None:
        """Load the default set the first time scenarios are needed."""
        if self.baseline is None:
            sets = scenario_sets()
            if not sets:
                return
            self.load_set(DEFAULT_SET if DEFAULT_SET in sets else next(iter(sets)))

    def run_fields(self) -> dict[str, Any]:
        """The fields every scenario of a comparison shares, from these choices."""
        return {"city": self.city.source, "resident_model": self.resident_model,
                "residents": self.residents, "days": self.days, "seed": self.seed}


def get() -> Session:
    """This user's :class:`Session` (made on first use)."""
    if KEY not in st.session_state:
        st.session_state[KEY] = Session()
    return st.session_state[KEY]
