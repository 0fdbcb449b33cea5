"""Helpers for driving the app with Streamlit's AppTest."""

from __future__ import annotations

from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app.py"
PAGES = {name: f"twin/ui/pages/{name}.py"
         for name in ("city", "residents", "scenarios", "compare", "export", "workshop")}

SMALL = dict(residents=2_000, replications=2, days=3)
"""A comparison small enough for tests; large enough that most groups show."""


def walk(node):
    """Every element of an AppTest tree (charts inside tabs included)."""
    yield node
    for child in getattr(node, "children", {}).values():
        yield from walk(child)


def elements(at, kind: str) -> list:
    """Elements of a type, e.g. ``vega_lite_chart``, ``deck_gl_json_chart``."""
    return [e for e in walk(at._tree) if getattr(e, "type", None) == kind]


def chart_data(chart):
    """The rows a vega-lite chart of the app draws (its first dataset)."""
    import pyarrow as pa

    proto = chart.proto
    return pa.ipc.open_stream(proto.datasets[0].data.data).read_pandas()


def figure(chart) -> dict:
    """A plotly chart's figure (``data``: traces, ``layout``) as the browser gets it."""
    import json

    return json.loads(chart.proto.spec)


def traces(chart) -> dict[str, dict]:
    """A plotly map's traces by name."""
    return {trace.get("name"): trace for trace in figure(chart)["data"]}


def chart_title(chart) -> str:
    import json

    return json.loads(chart.proto.spec).get("title", "")


def assert_clean(at) -> None:
    """No exception and no error box on the page."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
