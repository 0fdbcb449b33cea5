"""Facility files and a population grid derived from a gridded count table
(twin.city.grid_inputs), and Porto Alegre's scenarios on them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from twin.city.grid_inputs import derive_grid_inputs
from twin.errors import ConfigError
from twin.scenario import load_scenario

REPO = Path(__file__).resolve().parents[2]

GRID = """id,lon,lat,population,schools,jobs,healthcare
a,-51.20,-30.05,100,0,50,1
b,-51.21,-30.06,0,1,,
c,-51.22,-30.07,40,0,0,2
far,-50.00,-29.00,999,0,7,1
"""


def test_cells_become_facilities_and_population_with_provenance(tmp_path):
    grid = tmp_path / "grid.csv"
    grid.write_text(GRID)
    provenance = derive_grid_inputs(grid, tmp_path / "out", bbox=(-51.3, -30.1, -51.1, -30.0))
    facilities = pd.read_csv(tmp_path / "out" / "facilities.csv")
    assert facilities[["cell", "service", "count"]].values.tolist() == [
        ["a", "health", 1], ["c", "health", 2], ["a", "work", 50]]
    population = pd.read_csv(tmp_path / "out" / "population.csv")
    assert population["population"].tolist() == [100, 40]  # 'far' is outside, 'b' empty
    written = json.loads((tmp_path / "out" / "provenance.json").read_text())
    assert written == provenance
    assert written["cells"] == {"in_file": 4, "kept": 3, "outside_bbox": 1}
    assert written["totals_dropped"]["population"] == 999
    assert written["empty_counts_read_as_zero"] == {"healthcare": 1, "jobs": 1}
    assert len(written["input_sha256"]) == 64


def test_a_bad_grid_names_the_file_and_column_and_writes_nothing(tmp_path):
    grid = tmp_path / "grid.csv"
    grid.write_text(GRID.replace("a,-51.20,-30.05,100", "a,-51.20,-30.05,many"))
    with pytest.raises(ConfigError, match=r"grid.csv: population: 1 rows hold no valid number"):
        derive_grid_inputs(grid, tmp_path / "out")
    grid.write_text(GRID.replace("healthcare", "clinics"))
    with pytest.raises(ConfigError, match=r"missing column\(s\) healthcare"):
        derive_grid_inputs(grid, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_porto_alegre_scenarios_load_on_the_derived_inputs(porto_alegre, shared_data, tmp_path):
    walk = porto_alegre.streets["walk"]
    bbox = (walk.lon.min(), walk.lat.min(), walk.lon.max(), walk.lat.max())
    provenance = derive_grid_inputs(shared_data("population/porto_alegre_hexgrid.csv"),
                                    tmp_path / "derived", bbox=bbox)
    pbf = shared_data("osm/porto_alegre.osm.pbf")
    shared = pbf.parents[1]
    for path in (REPO / "scenarios" / "porto_alegre").glob("*.yaml"):
        text = path.read_text().replace("../../../shared/data/", f"{shared}/")
        (tmp_path / path.name).write_text(text)
    baseline = load_scenario(tmp_path / "baseline.yaml")
    # The population it stands for is the derived grid's total.
    assert baseline.population.value == provenance["totals_kept"]["population"]
    assert len(list(tmp_path.glob("*.yaml"))) >= 8
    for path in tmp_path.glob("*.yaml"):
        assert load_scenario(path).name == path.stem
    shutil.rmtree(tmp_path / "derived")
