"""The Python API: README's example runs as written, and the result objects
hold what the CLI reports."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

import twin
from twin.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]
HELSINKI = REPO / "scenarios" / "helsinki"


def readme_example() -> str:
    text = (REPO / "README.md").read_text()
    match = re.search(r"<!-- readme-example: .*? -->\n```python\n(.*?)```", text, re.S)
    assert match, "README.md lost its Python API example"
    return match.group(1)


def test_readme_example_runs(tmp_path, monkeypatch):
    (tmp_path / "scenarios").symlink_to(REPO / "scenarios")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(readme_example(), "README.md", "exec"), namespace)
    assert isinstance(namespace["homes"], gpd.GeoDataFrame) and len(namespace["homes"]) == 1000
    assert isinstance(namespace["by_cell"], gpd.GeoDataFrame) and len(namespace["by_cell"])
    assert (tmp_path / "comparisons" / "notebook" / "summary.html").is_file()
    result = namespace["result"]
    assert "parking_app" in set(result.who_benefits["scenario"])


def test_import_twin_does_not_load_the_simulator():
    code = "import sys, twin; print('twin.experiments.compare' in sys.modules, 'numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=REPO).stdout.split()
    assert out == ["False", "False"]
    assert callable(twin.run) and callable(twin.compare) and callable(twin.sweep)


def test_run_ledger_homes_are_inside_the_city(helsinki):
    run = twin.run(HELSINKI / "baseline.yaml", residents=500, days=1, seed=3)
    assert run.scenario.residents == 500 and run.scenario.seed == 3
    walk = helsinki.streets["walk"]
    lon, lat = run.ledger.geometry.x.to_numpy(), run.ledger.geometry.y.to_numpy()
    assert run.ledger.crs == "EPSG:4326"
    assert (lon >= walk.lon.min()).all() and (lon <= walk.lon.max()).all()
    assert (lat >= walk.lat.min()).all() and (lat <= walk.lat.max()).all()
    assert (run.ledger.geometry.x.to_numpy() == walk.lon[run.ledger["home_node"]]).all()


def test_a_run_prints_what_twin_run_prints_and_shows_briefly_in_a_notebook(tmp_path):
    """``print(run)`` is ``twin run``'s table for the same scenario and
    seed; the notebook's echo of a result names it in a line, not its
    per-resident ledger."""
    from cli_runner import twin as twin_cli

    run = twin.run(HELSINKI / "baseline.yaml", residents=500, days=1, seed=3)
    printed = twin_cli("run", HELSINKI / "baseline.yaml", "-n", 500, "-d", 1, "-s", 3, "--out", tmp_path / "out")
    assert printed.exit_code == 0 and str(run) in printed.stdout
    assert "Q1" in str(run) and "unmet_trips_per_week" in str(run)
    assert repr(run) == "Run('baseline', residents=500, days=1, seed=3; rows: ledger 500, groups 15, daily 1)"


def test_compare_matches_the_underlying_comparison():
    result = twin.compare([HELSINKI / "baseline.yaml", HELSINKI / "parking_app.yaml"],
                          residents=500, days=1, replications=2, k=10)
    expected = result.comparison.by_group(k=10)
    pd.testing.assert_frame_equal(result.by_group, expected)
    assert (result.by_group["residents"] >= 10).all()
    assert repr(result) == ("ComparisonResult(Comparison(baseline='baseline', scenarios=['parking_app'], "
                            "replications=2, residents=500, days=1, seed=1), k=10)")
    assert "Minutes saved per resident-week by income quintile" in str(result) and "parking_app" in str(result)


def test_bad_input_raises_one_line_twin_errors(tmp_path):
    with pytest.raises(ConfigError, match="residents"):
        twin.run(HELSINKI / "baseline.yaml", residents=0)
    with pytest.raises(ConfigError, match="no baseline"):
        twin.compare([HELSINKI / "parking_app.yaml"])
