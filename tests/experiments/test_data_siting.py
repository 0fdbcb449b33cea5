"""Siting from data: a source that sees everyone sites as the true need does
(the same water points, access centres and paratransit depot, bit-identical
results, nothing lost), a source blind to a group sites for the residents it
sees, and the report states both the coverage and the cost, paired per
resident."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from twin.experiments.compare import compare
from twin.experiments.report import write_report
from twin.interventions import apply_interventions
from twin.interventions.sites import sited_by_demand
from twin.residents import load_resident_model, synthesize_for_city
from twin.residents.population import WATER_SUPPLIES
from twin.scenario import load_scenario
from twin.world import TravelParams, World

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
LOWER_INCOME = SCENARIOS / "helsinki_lower_income"
PARATRANSIT = yaml.safe_load((SCENARIOS / "helsinki" / "paratransit_single_stop.yaml").read_text())

SOURCES = """sources:
  everyone:
    need: water
    seen: [{value: 1.0, source: test}]
  blind_to_fetching:
    need: water
    seen:
      - {when: {water_supply: off_premises}, value: 0.0, source: test}
      - {value: 1.0, source: test}
"""

COST = """    cost: {currency: EUR, price_year: 2024, capital: {value: 1, source: t},
           yearly_operating: {value: 1, source: t}, lifetime_years: {value: 1, source: t}}
"""


def scenario(folder: Path, name: str, kind: str, siting: str | None, extra: str = "") -> Path:
    path = folder / f"{name}.yaml"
    line = f"    siting: {{from: {siting}}}\n" if siting else ""
    path.write_text(f"extends: baseline.yaml\nname: {name}\ninterventions:\n"
                    f"  - type: {kind}\n    k: 3\n{extra}{line}{COST}")
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("data_siting")
    (folder / "sources.yaml").write_text(SOURCES)
    (folder / "baseline.yaml").write_text(
        f"extends: {LOWER_INCOME / 'baseline.yaml'}\nname: baseline\ndata_sources: sources.yaml\n")
    scenario(folder, "points", "water_points", None)
    scenario(folder, "points_everyone", "water_points", "everyone")
    scenario(folder, "points_blind", "water_points", "blind_to_fetching")
    reach = "    reach_m: {value: 800, source: t}\n"
    scenario(folder, "centres", "digital_access_centres", None, reach)
    scenario(folder, "centres_everyone", "digital_access_centres", "everyone", reach)
    for name, siting in (("para_need", "need"), ("para_everyone", "everyone"), ("para_blind", "blind_to_fetching")):
        item = {**PARATRANSIT["interventions"][0], "siting": {"from": siting}}
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(
            {"extends": "baseline.yaml", "name": name, "interventions": [item]}))
    return folder


@pytest.fixture(scope="module")
def comparison(helsinki, folder):
    names = ("points", "points_everyone", "points_blind", "para_need", "para_everyone")
    return compare(load_scenario(folder / "baseline.yaml"),
                   [load_scenario(folder / f"{n}.yaml") for n in names],
                   replications=2, residents=600, days=2, city=helsinki, progress=False)


def test_a_source_that_sees_everyone_gives_the_true_siting_and_results(comparison):
    pd.testing.assert_frame_equal(comparison.benefits["points_everyone"], comparison.benefits["points"])
    totals, by_group = comparison.data_siting_cost()
    mine = totals[totals["scenario"] == "points_everyone"]
    assert set(mine["sited_like"]) == {"points"} and set(mine["source"]) == {"everyone"}
    assert (mine["lost"].fillna(0.0) == 0.0).all()
    assert (by_group[by_group["scenario"] == "points_everyone"]["mean"] == 0.0).all()


def test_a_paratransit_depot_from_a_source_that_sees_everyone_is_the_true_one(comparison):
    pd.testing.assert_frame_equal(comparison.benefits["para_everyone"], comparison.benefits["para_need"])
    assert comparison.siting_twins()["para_everyone"] == ("para_need", "everyone")


def test_a_paratransit_depot_is_sited_over_the_eligible_residents_the_source_sees(helsinki, folder):
    spec = load_resident_model("nairobi_informal")
    residents = synthesize_for_city(spec, helsinki, 800, seed=2)
    world = World.baseline(helsinki, residents, TravelParams.from_model(spec))
    depots = {}
    for name in ("para_need", "para_blind"):
        scenario = load_scenario(folder / f"{name}.yaml")
        depots[name] = apply_interventions(scenario.interventions, world, seed=2).paratransit_depot_m
    eligible = residents.reduced_mobility
    piped = residents.water_supply == WATER_SUPPLIES.index("piped")
    for name, who in (("para_need", eligible), ("para_blind", eligible & piped)):
        x_m, y_m = sited_by_demand(helsinki, residents.home_node[who], 1, None)
        assert depots[name] == (x_m[0], y_m[0])
    assert depots["para_need"] != depots["para_blind"]


def test_access_centres_from_a_source_that_sees_everyone_are_the_true_ones(helsinki, folder):
    spec = load_resident_model("nairobi_informal")
    world = World.baseline(helsinki, synthesize_for_city(spec, helsinki, 800, seed=2),
                           TravelParams.from_model(spec))
    true, data = (apply_interventions(load_scenario(folder / f"{n}.yaml").interventions, world, seed=2)
                  for n in ("centres", "centres_everyone"))
    for mode in ("walk", "wheelchair"):
        np.testing.assert_array_equal(true.city.facilities["civic"].node[mode],
                                      data.city.facilities["civic"].node[mode])
    np.testing.assert_array_equal(true.assisted_booking, data.assisted_booking)


def test_a_source_blind_to_fetching_sites_for_the_outages_it_sees(helsinki, folder):
    spec = load_resident_model("nairobi_informal")
    residents = synthesize_for_city(spec, helsinki, 800, seed=2)
    world = World.baseline(helsinki, residents, TravelParams.from_model(spec))
    blind = apply_interventions(load_scenario(folder / "points_blind.yaml").interventions, world, seed=2)
    piped_outage = (residents.water_supply == WATER_SUPPLIES.index("piped")) & (residents.outage_days_per_week > 0)
    assert piped_outage.any() and not piped_outage.all()
    x_m, _ = sited_by_demand(helsinki, residents.home_node[piped_outage], 3, helsinki.facilities["water"])
    new = blind.city.facilities["water"]
    np.testing.assert_allclose(new.x_m[-3:], x_m)
    true = apply_interventions(load_scenario(folder / "points.yaml").interventions, world, seed=2)
    assert not np.allclose(true.city.facilities["water"].x_m[-3:], x_m)


def test_the_report_names_the_unseen_and_what_siting_from_data_costs(comparison, tmp_path):
    tables = write_report(comparison, tmp_path / "out")
    out = tmp_path / "out"
    coverage = pd.read_csv(out / "coverage.csv")
    fetching = coverage[(coverage["source"] == "blind_to_fetching") & (coverage["need"] == "water")
                        & (coverage["group"] == "off_premises")]
    assert fetching["share_seen"].tolist() == [0.0]
    assert pd.read_parquet(out / "coverage.parquet").shape == coverage.shape
    cost = pd.read_csv(out / "data_siting_cost.csv")
    assert set(cost["scenario"]) == {"points_everyone", "points_blind", "para_everyone"}
    html = (out / "summary.html").read_text()
    assert "What the city's data sees" in html and "data_siting_cost.csv" in html
    sentence = next(line for line in tables.data.coverage_sentences() if line.startswith("blind to fetching"))
    assert "clearly less of the need of households fetching water 0%" in sentence
    assert sentence in html
