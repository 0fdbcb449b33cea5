"""Where the paratransit fleet starts its day: a given depot (a workshop can
place one), else the centre of the drive network."""

from pathlib import Path

import numpy as np
import pytest
import yaml
from pyproj import Transformer

from twin.abm.access import access_fields
from twin.abm.vehicle import ParatransitService
from twin.errors import ConfigError
from twin.interventions import apply_interventions
from twin.interventions.paratransit import Paratransit
from twin.residents import load_resident_model, synthesize_for_city
from twin.world import TravelParams, World

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios" / "helsinki"


def service(world, **changes) -> Paratransit:
    raw = yaml.safe_load((SCENARIOS / "paratransit_multi_stop.yaml").read_text())["interventions"][0]
    return Paratransit.model_validate({**raw, **changes})


@pytest.fixture(scope="module")
def world(helsinki):
    spec = load_resident_model("helsinki")
    return World.baseline(helsinki, synthesize_for_city(spec, helsinki, 2000, seed=2), TravelParams.from_model(spec))


def fleet_depot(world, intervention) -> int:
    applied = apply_interventions([intervention], world, seed=1, path="s.yaml")
    return int(ParatransitService(applied, access_fields(applied.city)).fleet.depot)


def test_the_fleet_starts_at_the_drive_junction_nearest_the_given_depot(world):
    drive = world.city.streets["drive"]
    central = fleet_depot(world, service(world))
    corner = {"lon": float(drive.lon.max()) - 1e-4, "lat": float(drive.lat.max()) - 1e-4}
    placed = fleet_depot(world, service(world, depot=corner))
    assert placed != central
    x, y = Transformer.from_crs("EPSG:4326", world.city.crs, always_xy=True).transform(corner["lon"], corner["lat"])
    distance_m = np.hypot(drive.x_m - x, drive.y_m - y)
    # the nearest junction the fleet can leave and come back to (a dead end of a one-way
    # street would strand it): within a few junctions of the nearest one
    assert distance_m[placed] <= np.sort(distance_m)[5]
    assert distance_m[placed] < distance_m[central]


def test_a_depot_outside_the_city_is_one_line_naming_it(world):
    with pytest.raises(ConfigError) as error:
        apply_interventions([service(world, depot={"lon": 0.0, "lat": 0.0})], world, seed=1, path="s.yaml")
    message = str(error.value)
    assert "interventions[0].depot" in message and "s.yaml" in message and "\n" not in message


def test_a_depot_is_given_or_sited_not_both(world):
    from twin.errors import TwinError

    with pytest.raises((TwinError, ValueError), match="depot"):
        service(world, depot={"lon": 24.94, "lat": 60.17}, siting={"from": "need"})
