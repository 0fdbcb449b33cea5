"""What every page shows around its content: the planner's current setup."""

from __future__ import annotations

import streamlit as st

from twin.ui.state import Session

PAGES = {
    "city": "twin/ui/pages/city.py",
    "residents": "twin/ui/pages/residents.py",
    "scenarios": "twin/ui/pages/scenarios.py",
    "compare": "twin/ui/pages/compare.py",
    "export": "twin/ui/pages/export.py",
    "workshop": "twin/ui/pages/workshop.py",
}
"""Page files, relative to ``app.py`` (for links between pages)."""


class Sidebar:
    """The setup every page works with, in the sidebar.

    Drawn when a page starts and drawn again (in the same place) when it
    ends, so that it shows the choices the page's widgets just made.
    """

    def __init__(self, s: Session) -> None:
        self.s = s
        self.box = st.sidebar.empty()
        self.draw()

    def draw(self) -> None:
        s = self.s
        s.ensure_set()
        with self.box.container():
            st.markdown("#### Current setup")
            st.markdown(
                f"**City:** {s.city.label}  \n"
                f"**Residents:** {s.resident_model} model, {s.residents:,}, seed {s.seed}  \n"
                f"**Scenarios from:** scenarios/{s.scenario_set or '...'}  \n"
                f"**Runs:** {s.replications} replications x {s.days} days")
            st.caption("Groups and map cells with fewer than "
                       f"{s.k} residents are never shown or exported.")
