"""The planners' app: `streamlit run app.py`.

Routing only: the pages live in twin/ui/pages/ (City, Residents, Scenarios,
Compare, Export, Workshop) and share one per-user session (twin/ui/state.py).
"""

import streamlit as st

# Every page's imports, entered here first: two script threads entering scipy's circular
# imports from different pages at once (a click during the first run) can deadlock
# Python's import locks and fail with "partially initialized module".
import twin.ui.data  # noqa: F401

st.set_page_config(page_title="twin: who benefits?", page_icon="🏘️", layout="wide")

st.navigation([
    st.Page("twin/ui/pages/city.py", title="City", icon=":material/map:", url_path="city", default=True),
    st.Page("twin/ui/pages/residents.py", title="Residents", icon=":material/groups:", url_path="residents"),
    st.Page("twin/ui/pages/scenarios.py", title="Scenarios", icon=":material/tune:", url_path="scenarios"),
    st.Page("twin/ui/pages/compare.py", title="Compare", icon=":material/bar_chart:", url_path="compare"),
    st.Page("twin/ui/pages/export.py", title="Export", icon=":material/download:", url_path="export"),
    st.Page("twin/ui/pages/workshop.py", title="Workshop", icon=":material/co_present:", url_path="workshop"),
]).run()
