"""Porto Alegre's real data, beside the project in ../shared/data (never
copied into it); tests that need it skip, saying why, when it is absent.
``TWIN_SHARED_DATA`` points elsewhere (e.g. from a git worktree)."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

SHARED_DATA = Path(os.environ.get("TWIN_SHARED_DATA",
                                  Path(__file__).resolve().parents[3] / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data():
    """A function: relative path in ../shared/data -> the file, or skip."""
    def find(relative: str) -> Path:
        path = SHARED_DATA / relative
        if not path.is_file():
            pytest.skip(f"{path} is absent: this test needs the shared real-data extracts")
        return path
    return find


@pytest.fixture(scope="session")
def porto_alegre(shared_data):
    """Porto Alegre's central OSM extract, compiled once per session."""
    from twin.city import load_city

    with warnings.catch_warnings():  # the extract lacks some services: expected
        warnings.simplefilter("ignore", UserWarning)
        return load_city(shared_data("osm/porto_alegre.osm.pbf"))
