"""The app's parts that need no page: widgets read from the pydantic models,
scenario drafts, saved YAML, merged comparisons, benefit by area, uploads."""

from __future__ import annotations

import numpy as np
import pytest

from twin.errors import ConfigError, InputFileError
from twin.experiments.compare import compare
from twin.interventions import REGISTRY
from twin.outcomes.benefits import group_benefits
from twin.scenario import check_intervention, load_scenario, scenario_from_mapping
from twin.ui import data
from twin.ui.fields import describe
from twin.ui.scenarios import Draft, load_set, scenario_sets, templates, to_yaml
from twin.viz import areas

from apptools import SMALL

RUN = {"city": "helsinki", "resident_model": "helsinki", "residents": SMALL["residents"],
       "days": SMALL["days"], "seed": 1}


@pytest.fixture(scope="module")
def helsinki_set():
    return load_set(scenario_sets()["helsinki"])


def test_every_registered_field_gets_a_widget():
    # every parameter of every kind is editable, except given lists of sites and route ids
    for kind, cls in REGISTRY.items():
        specs = {s.name: s for s in describe(cls)}
        assert set(specs) == set(cls.model_fields) - {"type"}, kind
        for name, spec in specs.items():
            if spec.kind == "readonly":
                assert name in ("sites", "routes"), (kind, name)
        assert specs["cost"].kind == "model"
        children = {child.name: child for child in specs["cost"].children}
        assert children["currency"].kind == "readonly" and children["price_year"].kind == "int"
        assert all(child.sourced for name, child in children.items() if name not in ("currency", "price_year"))


def test_paratransit_widgets_follow_its_model():
    if "paratransit" not in REGISTRY:
        pytest.skip("paratransit is not registered")
    specs = {s.name: s for s in describe(REGISTRY["paratransit"])}
    assert specs["multi_stop"].kind == "bool"
    assert specs["fleet_size"].kind == "int" and specs["fleet_size"].low == 0
    assert specs["vehicle_capacity"].low == 1
    assert specs["booking_channels"].kind == "choices" and specs["booking_channels"].min_items == 1
    assert set(specs["booking_channels"].choices) == {"app", "phone", "assisted"}
    assert specs["booking"].kind == "choice"
    hours = specs["service_hours"]
    assert hours.kind == "range" and (hours.low, hours.high) == (0, 24)
    assert specs["fare"].sourced and specs["fare"].kind == "float"
    assert specs["eligibility"].kind == "model"
    assert "Vehicles in service" in specs["fleet_size"].help


def test_drafts_build_the_scenarios_of_their_files(helsinki_set):
    baseline, drafts = helsinki_set
    assert baseline.data["interventions"] == []
    for draft in drafts:
        built = scenario_from_mapping(draft.mapping(RUN), where=draft.name)
        from_file = load_scenario(draft.origin)
        assert built.interventions == from_file.interventions
        assert built.name == from_file.name


def test_switching_an_intervention_off_leaves_it_out(helsinki_set):
    _, drafts = helsinki_set
    draft = next(d for d in drafts if d.data["interventions"])
    draft.enabled[0] = False
    try:
        kept = scenario_from_mapping(draft.mapping(RUN), where="x").interventions
        assert len(kept) == len(draft.data["interventions"]) - 1
    finally:
        draft.enabled[0] = True


def test_a_bad_value_is_rejected_as_in_a_file(helsinki_set):
    _, drafts = helsinki_set
    draft = next(d for d in drafts if d.data["interventions"][0]["type"] == "parking_app")
    bad = draft.copy(name="bad", id="bad")
    bad.data["interventions"][0]["adoption"]["value"] = 1.5
    assert "adoption" in check_intervention(bad.data["interventions"][0])
    with pytest.raises(ConfigError, match=r"interventions\[0\]\.adoption"):
        scenario_from_mapping(bad.mapping(RUN), where="scenario 'bad'")


def test_saved_yaml_reads_back_the_same_scenario(helsinki_set, tmp_path):
    _, drafts = helsinki_set
    for draft in drafts:
        scenario = scenario_from_mapping(draft.mapping(RUN), where=draft.name)
        path = tmp_path / f"{scenario.name}.yaml"
        path.write_text(to_yaml(scenario, header="saved from a test"))
        again = load_scenario(path)
        assert again.model_dump() == scenario.model_dump()


def test_templates_are_sourced_interventions_of_the_files():
    found = templates()
    assert {"parking_app", "water_points"} <= set(found)
    for kind, item in found.items():
        assert item["type"] == kind
        assert check_intervention(item) is None


def test_merged_comparisons_equal_one_comparison(helsinki, helsinki_set):
    baseline_draft, drafts = helsinki_set
    baseline = scenario_from_mapping(baseline_draft.mapping(RUN), where="baseline")
    scenarios = [scenario_from_mapping(d.mapping(RUN), where=d.name) for d in drafts[:2]]
    settings = dict(replications=2, residents=600, days=2, seed=3, city=helsinki, progress=False)
    together = compare(baseline, scenarios, **settings)
    merged = data.merge([compare(baseline, [s], **settings) for s in scenarios])
    assert merged.population.equals(together.population)
    assert merged.yearly_cost == together.yearly_cost
    for name in together.benefits:
        assert merged.benefits[name].equals(together.benefits[name])
    again = data.from_payload(data.to_payload(merged))
    assert again.scenarios == merged.scenarios and again.baseline == merged.baseline


def test_benefit_by_area_suppresses_small_cells_like_groups(helsinki, helsinki_set):
    baseline_draft, drafts = helsinki_set
    baseline = scenario_from_mapping(baseline_draft.mapping(RUN), where="baseline")
    parking = next(d for d in drafts if d.name == "parking_app")
    comparison = compare(baseline, [scenario_from_mapping(parking.mapping(RUN), where="parking_app")],
                         replications=2, residents=1500, days=2, seed=1, city=helsinki, progress=False)
    k = 30
    area = areas.benefit_by_area(comparison, helsinki, k=k)
    cells = areas.home_cells(comparison, helsinki)
    per_replication = cells.groupby([comparison.population["replication"].to_numpy(), cells], observed=True).size()
    smallest = per_replication.groupby(level=1, observed=True).min()
    shown = set(area["cell"])
    assert all(smallest[c] >= k for c in shown)  # no shown cell is small
    assert not (set(smallest[smallest < k].index) & shown)  # every small cell is hidden
    assert area.attrs["suppressed_cells"] >= (smallest < k).sum()
    assert area.attrs["suppressed_cells"] + len(shown) == area.attrs["cells"]
    assert area.attrs["k"] == k and area.attrs["cell_m"] == areas.area_cell_m(helsinki)
    # the figures are the group table's, with the cell as the group
    table = group_benefits(cells.to_frame(), comparison.benefits["parking_app"],
                           replication=comparison.population["replication"].to_numpy(), k=k)
    row = area[area["metric"] == "minutes_saved_per_week"].iloc[0]
    same = table[(table["group"] == row["cell"]) & (table["metric"] == "minutes_saved_per_week")]
    assert np.isclose(same["mean"].iloc[0], row["mean"])
    # homes are where compare() put the residents: the same synthesis
    assert len(area["polygon"].iloc[0]) == 4


def test_home_density_shares_sum_to_one(helsinki):
    frame = areas.home_density(helsinki)
    assert np.isclose(frame["share"].sum(), 1.0)
    lon, lat = np.array(frame["polygon"].iloc[0]).T
    assert 24.8 < lon.mean() < 25.1 and 60.1 < lat.mean() < 60.3


def test_uploads_are_checked_before_reading(tmp_path, monkeypatch):
    with pytest.raises(InputFileError, match="not an OpenStreetMap file"):
        data.stage_upload("streets.shp", b"x", folder=tmp_path)
    with pytest.raises(InputFileError, match="empty"):
        data.stage_upload("city.osm.pbf", b"", folder=tmp_path)
    monkeypatch.setattr(data, "UPLOAD_LIMIT_MB", 1)
    with pytest.raises(InputFileError, match="larger than 1 MB"):
        data.stage_upload("city.osm.pbf", b"0" * (1024 * 1024 + 1), folder=tmp_path)
    path = data.stage_upload("my city.osm", b"<osm/>", folder=tmp_path)
    assert path.name == "my_city.osm" and path.read_bytes() == b"<osm/>"
    assert data.stage_upload("my city.osm", b"<osm/>", folder=tmp_path) == path


def test_draft_copy_and_reset(helsinki_set):
    _, drafts = helsinki_set
    draft = drafts[0]
    copy = draft.copy(name="other", id="other")
    copy.data["interventions"][0]["cost"]["capital"]["value"] = 1.0
    assert draft.data["interventions"][0]["cost"]["capital"]["value"] != 1.0
    copy.enabled[0] = False
    copy.reset()
    assert copy.enabled == [True] * len(copy.data["interventions"])
    assert copy.data["name"] == "other"
    assert isinstance(Draft.from_scenario(load_scenario(draft.origin), origin=draft.origin).id, str)
