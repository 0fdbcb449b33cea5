"""Scenario files: extends, interventions, and one-line errors."""

from pathlib import Path

import pytest

from twin.errors import ConfigError, InputFileError
from twin.scenario import load_scenario

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
    files = sorted((REPO / "scenarios").rglob("*.yaml"))
    assert len(files) >= 10
    for path in files:
        scenario = load_scenario(path)
        assert scenario.name == path.stem


def test_extends_takes_the_base_and_overrides_keys(tmp_path):
    write(tmp_path / "base.yaml", "name: base\nresidents: 123\ndays: 3\n")
    child = load_scenario(write(tmp_path / "child.yaml", "extends: base.yaml\ndays: 5\n"))
    assert (child.name, child.residents, child.days) == ("child", 123, 5)


def test_lower_income_set_only_changes_the_resident_model():
    for path in sorted((REPO / "scenarios" / "helsinki_lower_income").glob("*.yaml")):
        low = load_scenario(path)
        high = load_scenario(REPO / "scenarios" / "helsinki" / path.name)
        assert low.resident_model == "nairobi_informal" and high.resident_model == "helsinki"
        assert low.interventions == high.interventions


@pytest.mark.parametrize("text, needles", [
    ("extends: missing.yaml\n", ["extends", "missing.yaml"]),
    ("extends: me.yaml\n", ["extends", "itself"]),
    ("name: x\ninterventions:\n  - type: parkng_app\n", ["interventions[0].type", "parking_app"]),
    ("name: x\ninterventions:\n  - type: water_points\n    k: -2\n" + COST, ["interventions[0].k"]),
    ("name: x\ninterventions:\n  - type: water_points\n    k: 2\n    kk: 3\n" + COST,
     ["interventions[0]", "kk"]),
    ("name: x\nseed: -1\n", ["seed"]),
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
