"""Shared fixtures. Tests never touch the network; compiled cities are cached
in a per-session folder so runs do not depend on the user's cache."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
"""Real OSM extracts beside the project (never copied into it)."""


def shared_file(relative: str) -> Path:
    """A file of ../shared/data, or skip the test saying why."""
    path = SHARED_DATA / relative
    if not path.is_file():
        pytest.skip(f"{path} is absent: this test needs the shared real-data extracts")
    return path


@pytest.fixture(scope="session", autouse=True)
def _session_city_cache(tmp_path_factory):
    """Point the city cache (also of CLI subprocesses) at a session folder."""
    folder = tmp_path_factory.mktemp("city-cache")
    old = os.environ.get("TWIN_CACHE_DIR")
    os.environ["TWIN_CACHE_DIR"] = str(folder)
    yield folder
    if old is None:
        os.environ.pop("TWIN_CACHE_DIR", None)
    else:
        os.environ["TWIN_CACHE_DIR"] = old


@pytest.fixture(scope="session")
def helsinki():
    """The bundled central-Helsinki city, compiled once per session."""
    from twin.city import load_city

    with warnings.catch_warnings():  # it has no water point: expected, tested in tests/city
        warnings.simplefilter("ignore", UserWarning)
        return load_city("helsinki")


def pytest_collection_modifyitems(config, items):
    """With ``NUMBA_DISABLE_JIT=1`` (CI's second pass over tests/core and
    tests/abm, which checks the kernels give the same bits as plain Python),
    skip the tests marked ``needs_jit``: whole real cities and populations
    of tens of thousands, minutes each in the interpreter. Every kernel is
    still compared with its reference there on smaller inputs."""
    import numba

    if not numba.config.DISABLE_JIT:
        return
    skip = pytest.mark.skip(reason="needs_jit: too slow with NUMBA_DISABLE_JIT=1 (covered by the JIT pass)")
    for item in items:
        if "needs_jit" in item.keywords:
            item.add_marker(skip)
