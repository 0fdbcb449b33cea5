"""The paratransit intervention: its YAML form, bad input in one line, who
can book by which channel, and the bundled scenario files."""

from pathlib import Path

import numpy as np
import pytest
import yaml

from twin.errors import ConfigError
from twin.interventions.paratransit import Paratransit
from twin.residents import load_resident_model, synthesize_for_city
from twin.scenario import load_scenario
from twin.world import TravelParams, World

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios" / "helsinki"


def raw_intervention() -> dict:
    """The single-stop scenario's intervention, as read from YAML."""
    return yaml.safe_load((SCENARIOS / "paratransit_single_stop.yaml").read_text())["interventions"][0]


def write_scenario(tmp_path, **changes) -> Path:
    path = tmp_path / "paratransit.yaml"
    intervention = {**raw_intervention(), **changes}
    path.write_text(yaml.safe_dump({"name": "paratransit", "interventions": [intervention]}))
    return path


@pytest.mark.parametrize(("changes", "field", "phrase"), [
    ({"fleet_size": -2}, "interventions[0].fleet_size", "greater than or equal to 0"),
    ({"booking_channels": []}, "interventions[0].booking_channels", "at least 1"),
    ({"booking_channels": ["app", "fax"]}, "interventions[0].booking_channels[1]", "fax"),
    ({"vehicle_capacity": 0}, "interventions[0].vehicle_capacity", "greater than or equal to 1"),
    ({"service_hours": [19, 7]}, "interventions[0].service_hours", "not before"),
    ({"service_hours": [7, 8]}, "interventions[0].service_hours", "no time for a trip"),
    ({"phone_office_hours": [8, 25]}, "interventions[0].phone_office_hours[1]", "24"),
    ({"booking": "next_week"}, "interventions[0].booking", "day_before"),
    ({"fare": 2.0}, "interventions[0].fare", "source"),
    ({"multi_stop": "yes"}, "interventions[0].multi_stop", "bool"),
])
def test_bad_input_is_one_line_naming_the_field(tmp_path, changes, field, phrase):
    path = write_scenario(tmp_path, **changes)
    with pytest.raises(ConfigError) as error:
        load_scenario(path)
    message = str(error.value)
    assert "\n" not in message and str(path) in message
    assert error.value.field == field, message
    assert phrase in message


def test_scenario_files_differ_only_in_multi_stop():
    single = load_scenario(SCENARIOS / "paratransit_single_stop.yaml").interventions[0]
    multi = load_scenario(SCENARIOS / "paratransit_multi_stop.yaml").interventions[0]
    assert isinstance(single, Paratransit) and not single.multi_stop and multi.multi_stop
    assert single.model_copy(update={"multi_stop": True}) == multi
    # every number names its source; the cost is sourced by GAO-13-17's cost per trip
    assert "GAO-13-17" in single.cost.yearly_operating.source
    assert all(v.source.strip() for v in (single.fare, single.pickup_window_min, single.dwell_time_s))


@pytest.fixture(scope="module")
def world(helsinki):
    spec = load_resident_model("helsinki")
    residents = synthesize_for_city(spec, helsinki, 20_000, seed=2)
    base = World.baseline(helsinki, residents, TravelParams.from_model(spec))
    rng = np.random.default_rng(0)
    return base.replace(assisted_booking=rng.random(len(residents)) < 0.5)


def test_apply_puts_the_service_in_a_new_world(world):
    service = Paratransit.model_validate(raw_intervention())
    after = service.apply(world, seed=1)
    assert after.paratransit is service and world.paratransit is None
    assert after.residents is world.residents


@pytest.mark.parametrize("channels", [["app"], ["phone"], ["assisted"], ["app", "phone", "assisted"]])
def test_booking_access_follows_channels_and_eligibility(world, channels):
    service = Paratransit.model_validate({**raw_intervention(), "booking_channels": channels})
    by_app, at_office = service.booking_access(world)
    r = world.residents
    eligible = r.wheelchair | r.reduced_mobility
    expected_app = eligible & r.can_use_apps if "app" in channels else np.zeros(len(r), bool)
    office = np.zeros(len(r), bool)
    if "phone" in channels:
        office |= r.phone
    if "assisted" in channels:
        office |= world.assisted_booking
    np.testing.assert_array_equal(by_app, expected_app)
    np.testing.assert_array_equal(at_office, eligible & office)
    assert (by_app | at_office).any()


def test_eligibility_by_age_band(world):
    service = Paratransit.model_validate({**raw_intervention(), "eligibility": {
        "wheelchair": False, "reduced_mobility": False, "min_age_band": 5}})
    eligible = service.eligibility.eligible(world.residents)
    np.testing.assert_array_equal(eligible, world.residents.age_band >= 5)
    assert 0 < eligible.sum() < len(eligible)
