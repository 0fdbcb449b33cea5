"""Fixtures for the app's tests: the app driven by Streamlit's AppTest, on the
bundled Helsinki extract, with a small comparison (seconds, not minutes)."""

from __future__ import annotations

import pytest

from apptools import APP, SMALL


@pytest.fixture
def app():
    """The app, not yet run, with a small comparison as the planner's settings."""
    from streamlit.testing.v1 import AppTest

    from twin.ui.state import Session

    at = AppTest.from_file(str(APP), default_timeout=180)
    at.session_state["twin"] = Session(**SMALL)
    return at
