"""The validation table reads a real run: its figures are the run's own
counts, a figure outside its tolerance is flagged, and observed-figure files
are checked like every other config."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from twin.errors import ConfigError
from twin.experiments.run import run_scenario
from twin.experiments.validation import load_observed, model_figures, validation_table
from twin.scenario import load_scenario

from cli_runner import assert_user_error, twin

ROOT = Path(__file__).resolve().parents[2]
HELSINKI = ROOT / "models" / "observed" / "helsinki.yaml"


@pytest.fixture(scope="module")
def run(helsinki):
    observed, scenario = load_observed(HELSINKI)
    spec = load_scenario(scenario).model_copy(update={"residents": 1500, "days": 3})
    return observed, run_scenario(spec, city=helsinki)


def test_figures_are_the_runs_own_counts(run):
    observed, result = run
    daily, ledger = result.daily, result.ledger
    figures = model_figures(ledger, daily)
    counts = daily.filter(regex="_trips_today$").drop(columns="unmet_trips_today").sum()
    assert figures["car_share_of_trips"] == pytest.approx(counts["car_trips_today"] / counts.sum())
    # round trips (trips_made is cumulative over the run), each two legs as surveys count them
    assert figures["trips_per_person_per_day"] == pytest.approx(
        2 * daily["trips_made"].iloc[-1] / (1500 * 3))
    made = ledger.filter(regex="^trips_per_week_").to_numpy(float).sum()
    assert figures["mean_trip_time_min"] == pytest.approx(
        ledger["essential_travel_min_per_week"].sum() / (2 * made))
    shares = [figures[f] for f in figures if f.endswith("_share_of_trips")]
    assert sum(shares) == pytest.approx(1.0)


def test_a_figure_outside_its_tolerance_is_flagged(run):
    observed, result = run
    table = validation_table(observed, result.ledger, result.daily).set_index("figure")
    model = table.at["car_share_of_trips", "model"]
    moved = observed.model_copy(update={"figures": {
        "car_share_of_trips": observed.figures["car_share_of_trips"].model_copy(
            update={"value": model + 0.04, "tolerance": 0.05}),
        "mean_trip_time_min": observed.figures["mean_trip_time_min"].model_copy(
            update={"value": table.at["mean_trip_time_min", "model"] * 3, "tolerance": 1.0})}})
    checked = validation_table(moved, result.ledger, result.daily).set_index("figure")
    assert checked.at["car_share_of_trips", "within"] and not checked.at["mean_trip_time_min", "within"]
    assert set(table["source"].str.len()) and (table["source"].str.len() > 10).all()
    assert np.isfinite(table["model"]).all()


def test_observed_files_are_validated(tmp_path):
    result = twin("validate", HELSINKI)
    assert result.exit_code == 0, result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(HELSINKI.read_text().replace("car_share_of_trips", "cars_share_of_trips").replace(
        "../../scenarios", str(ROOT / "scenarios")))
    with pytest.raises(ConfigError, match="cars_share_of_trips"):
        load_observed(bad)
    assert_user_error(twin("validate", bad), "bad.yaml", "cars_share_of_trips")


def test_a_figure_not_found_shows_the_model_beside_not_found(run):
    """A city whose observed figure was searched for and not found (Porto
    Alegre's mode shares): the model's value, no observed one, no verdict."""
    observed, result = run
    missing = observed.model_copy(update={"figures": {}, "not_found": {"transit_share_of_trips": "searched X"}})
    table = validation_table(missing, result.ledger, result.daily).set_index("figure")
    row = table.loc["transit_share_of_trips"]
    assert row["within"] is None and np.isnan(row["observed"]) and row["source"] == "searched X"
    assert row["model"] == model_figures(result.ledger, result.daily)["transit_share_of_trips"]
    porto_alegre, _ = load_observed(ROOT / "models" / "observed" / "porto_alegre.yaml")
    assert set(porto_alegre.figures) == {"commute_within_30min_share", "mean_commute_time_min"}
    assert "share_of_trips" in " ".join(porto_alegre.not_found)  # its mode shares are still not found


def test_commute_figures_count_commuters_as_the_census_does():
    """Brazil's census times the trip to work of those who travel to work at
    least 3 times a week: residents working fewer days are left out, and each
    commuter counts once, with the mean one-way time of their trips."""
    ledger = pd.DataFrame({
        "trips_per_week_work": [0.0, 2.0, 3.0, 5.0, 5.0],
        "travel_min_per_week_work": [0.0, 200.0, 150.0, 400.0, 200.0],  # round trips, both legs
    })
    ledger["essential_travel_min_per_week"] = ledger["travel_min_per_week_work"]
    daily = pd.DataFrame({"walk_trips_today": [1.0]})
    figures = model_figures(ledger, daily)
    # one way: the 3-a-week commuter 25 min, the two 5-a-week ones 40 and 20 min
    assert figures["commute_within_30min_share"] == pytest.approx(2 / 3)
    assert figures["mean_commute_time_min"] == pytest.approx((25 + 40 + 20) / 3)
    no_commuter = model_figures(ledger.assign(trips_per_week_work=1.0), daily)
    assert np.isnan(no_commuter["commute_within_30min_share"]) and np.isnan(no_commuter["mean_commute_time_min"])
