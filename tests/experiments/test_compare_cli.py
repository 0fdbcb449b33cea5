"""`twin compare`: a real comparison from files or a folder, the same seed
giving the same results, and user mistakes (one line, exit code 2, nothing
written)."""

import json
from pathlib import Path

import pandas as pd
import pytest

from cli_runner import assert_user_error, twin

HELSINKI = Path(__file__).resolve().parents[2] / "scenarios" / "helsinki"
SMALL = ("--residents", "500", "--replications", "2", "--days", "7")


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """The same small comparison twice with the default seed."""
    root = tmp_path_factory.mktemp("compare")
    runs = []
    for name in ("a", "b"):
        result = twin("compare", HELSINKI / "baseline.yaml", HELSINKI / "parking_app.yaml", *SMALL,
                      "--out", root / name)
        assert result.exit_code == 0, result.output
        runs.append((root / name, result.stdout))
    return runs


def test_prints_who_benefits_and_writes_the_folder(two_runs):
    out, stdout = two_runs[0]
    assert "Ranking" in stdout and "parking_app" in stdout
    for column in ("Q1", "Q5", "gains to poorest 40%", "conc. index", "yearly cost (EUR 2024)",
                   "per hour saved", "how sure", "stand for 6,600 people"):
        assert column in stdout
    groups, validation = stdout.split("The baseline next to observed travel")
    assert "wheelchair" not in groups  # about 5 of 500 residents: suppressed
    # of all residents, no group: the walk share's label says "on foot or by wheelchair"
    assert "share of trips made by car" in validation and (out / "validation.csv").is_file()
    assert "k = 10:" in stdout
    assert (out / "summary.html").is_file() and (out / "benefits_by_group.parquet").is_file()


def test_same_seed_identical_results(two_runs):
    (a, _), (b, _) = two_runs
    for name in ("benefits_by_group.parquet",):
        pd.testing.assert_frame_equal(pd.read_parquet(a / name), pd.read_parquet(b / name))
    for name in ("benefits_by_group.csv", "who_benefits.csv", "equity.csv", "costs.csv",
                 "charts/chart_data.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_a_folder_of_scenarios(tmp_path):
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "baseline.yaml").write_text(f"extends: {HELSINKI / 'baseline.yaml'}\n")
    (folder / "app.yaml").write_text(f"extends: {HELSINKI / 'parking_app.yaml'}\nname: app\n")
    result = twin("compare", folder, *SMALL, "--seed", "3", "--out", tmp_path / "out", "--per-resident")
    assert result.exit_code == 0, result.output
    rows = pd.read_parquet(tmp_path / "out" / "per_resident.parquet")
    assert set(rows["scenario"]) == {"app"} and set(rows["replication"]) == {0, 1}


def test_explicit_baseline_and_a_small_k_that_every_output_states(tmp_path):
    result = twin("compare", HELSINKI / "parking_app.yaml", "--baseline", HELSINKI / "baseline.yaml",
                  *SMALL, "--out", tmp_path / "out", "--k", "5", "--allow-small-k")
    assert result.exit_code == 0, result.output
    assert "k = 5:" in result.stdout
    assert "k = 5:" in (tmp_path / "out" / "summary.html").read_text()
    assert json.loads((tmp_path / "out" / "comparison.json").read_text())["k"] == 5


@pytest.mark.parametrize(
    "args, needles",
    [
        (("missing.yaml", HELSINKI / "baseline.yaml"), ("missing.yaml", "not found")),
        ((HELSINKI / "parking_app.yaml",), ("no baseline", "--baseline")),
        ((HELSINKI / "baseline.yaml",), ("only the baseline",)),
        ((HELSINKI / "baseline.yaml", HELSINKI / "parking_app.yaml", "--replications", "0"),
         ("--replications", "positive")),
        ((HELSINKI / "baseline.yaml", HELSINKI / "parking_app.yaml", "--k", "0"), ("--k",)),
        ((HELSINKI / "baseline.yaml", HELSINKI / "parking_app.yaml", "--k", "3"),
         ("--k", "--allow-small-k")),
    ],
)
def test_mistakes_exit_2_and_write_nothing(tmp_path, args, needles):
    result = twin("compare", *args, "--out", tmp_path / "out")
    assert_user_error(result, *needles)
    assert not (tmp_path / "out").exists()


def test_a_scenario_with_other_residents_is_refused_before_running(tmp_path):
    other = tmp_path / "other.yaml"
    other.write_text(f"extends: {HELSINKI / 'parking_app.yaml'}\nresident_model: nairobi_informal\n")
    result = twin("compare", HELSINKI / "baseline.yaml", other, "--out", tmp_path / "out")
    assert_user_error(result, "other.yaml", "resident_model", "extends")
    assert not (tmp_path / "out").exists()
