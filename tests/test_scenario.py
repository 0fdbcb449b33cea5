"""Scenario files: extends, interventions, and one-line errors."""

from pathlib import Path

import pytest

from twin.errors import ConfigError, InputFileError, TwinError
from twin.experiments.sweep import is_sweep_file
from twin.scenario import load_scenario, scenario_from_mapping

REPO = Path(__file__).resolve().parents[1]
COST = """    cost:
      currency: EUR
      price_year: 2024
      capital: {value: 1, source: test}
      yearly_operating: {value: 1, source: test}
      lifetime_years: {value: 1, source: test}
"""


def write(path, text):
    path.write_text(text)
    return path


def test_every_bundled_scenario_loads():
    # Porto Alegre's need ../shared/data and derived inputs: tests/transit/test_porto_alegre_inputs.py
    files = [p for p in sorted((REPO / "scenarios").rglob("*.yaml"))
             if not is_sweep_file(p) and p.parent.name != "porto_alegre"]
    assert len(files) >= 10
    for path in files:
        scenario = load_scenario(path)
        assert scenario.name == path.stem


def test_extends_takes_the_base_and_overrides_keys(tmp_path):
    write(tmp_path / "base.yaml", "name: base\nresidents: 123\ndays: 3\n")
    child = load_scenario(write(tmp_path / "child.yaml", "extends: base.yaml\ndays: 5\n"))
    assert (child.name, child.residents, child.days) == ("child", 123, 5)


def test_lower_income_set_only_changes_the_resident_model():
    data_sited = 0
    for path in sorted((REPO / "scenarios" / "helsinki_lower_income").glob("*.yaml")):  # no sweep there
        low = load_scenario(path)
        assert low.resident_model == "nairobi_informal"
        if (REPO / "scenarios" / "helsinki" / path.name).exists():
            high = load_scenario(REPO / "scenarios" / "helsinki" / path.name)
            assert high.resident_model == "helsinki"
            assert low.interventions == high.interventions
        else:  # sited from data: its true-need twin is in the same folder, only siting differs
            data_sited += 1
            assert {i.siting_from for i in low.interventions} - {"need"}
            twins = [load_scenario(other) for other in path.parent.glob("*.yaml") if other != path]
            assert any([i.model_dump(exclude={"siting"}) for i in t.interventions]
                       == [i.model_dump(exclude={"siting"}) for i in low.interventions] for t in twins)
    assert data_sited == 2


@pytest.mark.parametrize("text, needles", [
    ("extends: missing.yaml\n", ["extends", "missing.yaml"]),
    ("extends: me.yaml\n", ["extends", "itself"]),
    ("name: x\ninterventions:\n  - type: parkng_app\n", ["interventions[0].type", "parking_app"]),
    ("name: x\ninterventions:\n  - type: water_points\n    k: -2\n" + COST, ["interventions[0].k"]),
    ("name: x\ninterventions:\n  - type: water_points\n    k: 2\n    kk: 3\n" + COST,
     ["interventions[0]", "kk"]),
    ("name: x\nseed: -1\n", ["seed"]),
    ("name: x\ninterventions:\n  - type: water_points\n    k: 2\n    siting: {from: meters}\n" + COST,
     ["interventions[0].siting.from", "data_sources: city_data"]),
    ("name: x\ndata_sources: city_data\ninterventions:\n  - type: water_points\n    k: 2\n"
     "    siting: {from: smart_meter_reading}\n" + COST,
     ["interventions[0].siting.from", "unknown data source", "smart_meter_readings"]),
    ("name: x\ndata_sources: city_data\ninterventions:\n  - type: water_points\n"
     "    sites: [{lon: 24.94, lat: 60.17}]\n    siting: {from: smart_meter_readings}\n" + COST,
     ["interventions[0]", "siting"]),
])
def test_bad_scenarios_fail_in_one_line(tmp_path, text, needles):
    path = write(tmp_path / "me.yaml", text)
    with pytest.raises(ConfigError) as error:
        load_scenario(path)
    message = str(error.value)
    assert "\n" not in message and "me.yaml" in message
    for needle in needles:
        assert needle in message


def test_missing_file(tmp_path):
    with pytest.raises(InputFileError, match="nope.yaml"):
        load_scenario(tmp_path / "nope.yaml")


@pytest.mark.parametrize("text, needles", [
    ("name: x\ndays: yes\n", ["days", "yes/no"]),          # YAML 1.1 boolean: ran one day
    ("name: x\nresidents: \"100\"\n", ["residents", "'100'"]),
    ("name: x\nseed: 1.5\n", ["seed"]),
    ("name: x\ninterventions:\n  - type: water_points\n    k: on\n" + COST, ["interventions[0].k", "yes/no"]),
    ("name: x\ninterventions:\n  - type: water_points\n    sites: [{lon: '24.9', lat: 60.1}]\n" + COST,
     ["interventions[0].sites[0].lon"]),
])
def test_numbers_are_strict(tmp_path, text, needles):
    path = write(tmp_path / "me.yaml", text)
    with pytest.raises(ConfigError) as error:
        load_scenario(path)
    assert "me.yaml" in str(error.value)
    for needle in needles:
        assert needle in str(error.value)


@pytest.mark.parametrize("name", ["''", "'.'", "'..'", "../other", "runs/x", ".hidden", "' padded'"])
def test_a_name_is_a_short_safe_slug(tmp_path, name):
    with pytest.raises(ConfigError, match="name"):
        load_scenario(write(tmp_path / "me.yaml", f"name: {name}\n"))


def test_a_file_named_like_a_hidden_file_needs_a_name(tmp_path):
    with pytest.raises(ConfigError, match="name"):
        load_scenario(write(tmp_path / ".me.yaml", "days: 3\n"))


def test_days_have_an_upper_bound(tmp_path):
    from twin.scenario import MAX_DAYS

    with pytest.raises(ConfigError, match="days"):
        load_scenario(write(tmp_path / "me.yaml", f"name: x\ndays: {MAX_DAYS + 1}\n"))
    assert load_scenario(write(tmp_path / "me.yaml", f"name: x\ndays: {MAX_DAYS}\n")).days == MAX_DAYS


def test_a_huge_yaml_file_is_refused_before_parsing(tmp_path):
    from twin._validation import MAX_YAML_BYTES

    path = write(tmp_path / "me.yaml", "name: x\ndescription: '" + "a" * (2 * MAX_YAML_BYTES) + "'\n")
    with pytest.raises(InputFileError, match="me.yaml.*MB"):
        load_scenario(path)


@pytest.mark.parametrize("text, field", [
    ("facility_files: [clinics.csv]\n", "facility_files[0]"),
    ("population_grid: grid.gpkg\n", "population_grid"),
    ("city: town.osm.pbf\n", "city"),
    ("resident_model: ../models/town.yaml\n", "resident_model"),
    ("resident_model: utopia\n", "resident_model"),
    ("extends: base.yaml\n", "extends"),
])
def test_a_missing_file_names_the_scenario_and_the_field(tmp_path, text, field):
    with pytest.raises((InputFileError, ConfigError)) as error:
        load_scenario(write(tmp_path / "me.yaml", "name: x\n" + text))
    assert f"me.yaml: {field}:" in str(error.value)


def test_an_age_band_the_resident_model_lacks_is_one_line(tmp_path):
    write(tmp_path / "sources.yaml", "sources:\n  old:\n    need: presence\n    seen:\n"
          "      - {when: {age_band: 9}, value: 1.0, source: test}\n")
    with pytest.raises(ConfigError) as error:
        load_scenario(write(tmp_path / "me.yaml", "name: x\ndata_sources: sources.yaml\n"))
    message = str(error.value)
    assert "\n" not in message and "sources.yaml" in message and "sources.old.seen[0].when.age_band" in message
    write(tmp_path / "sources.yaml", (tmp_path / "sources.yaml").read_text().replace("9", "5"))
    assert load_scenario(tmp_path / "me.yaml").sources is not None  # helsinki.yaml: 6 bands


def test_transit_block_is_checked_in_one_line(tmp_path):
    """A scenario's public transport: feeds relative to the file, a date, a
    departure window and a sourced fare; mistakes are one line each."""
    feed = tmp_path / "feed.zip"
    feed.write_bytes(b"")
    good = ("name: t\ntransit:\n  feeds: [feed.zip]\n  service_date: 2019-05-13\n"
            "  window: ['07:00', '09:00']\n  fare: {value: 5.0, source: test}\n")
    path = tmp_path / "t.yaml"
    path.write_text(good)
    scenario = load_scenario(path)
    assert scenario.transit.feeds == [str(feed)] and scenario.transit.window_s == (7 * 3600, 9 * 3600)
    # as the app and batch workers pass scenarios: through JSON and back
    assert scenario_from_mapping(scenario.model_dump(mode="json"), where="x").transit == scenario.transit
    for wrong, field in ((good.replace("'09:00'", "'06:00'"), "transit.window"),
                         (good.replace("'09:00'", "'9h'"), "transit.window[1]"),
                         (good.replace("{value: 5.0, source: test}", "5.0"), "transit.fare"),
                         (good.replace("feed.zip", "missing.zip"), "transit.feeds[0]")):
        path.write_text(wrong)
        with pytest.raises(TwinError) as error:
            load_scenario(path)
        assert error.value.field == field and "\n" not in str(error.value)


def test_a_data_sources_file_is_parsed_once_per_content(tmp_path):
    """Sweeps build every scenario again: an unchanged file is not parsed
    again, an edited one is (even at the same size, within the clock's tick)."""
    from twin.data_sources import load_data_sources

    text = "sources:\n  log:\n    need: presence\n    seen:\n      - {value: 0.5, source: test}\n"
    path = write(tmp_path / "sources.yaml", text)
    first = load_data_sources(path)
    assert load_data_sources(str(path)) is first
    write(path, text.replace("0.5", "0.7"))
    assert load_data_sources(path).sources["log"].seen[0].value == 0.7
