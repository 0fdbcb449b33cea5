"""The `twin` command: a real run, reproducibility, and user mistakes (one
line, exit code 2, no traceback, nothing half-written)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from cli_runner import assert_user_error, twin

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "helsinki" / "baseline.yaml"


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def small_runs(tmp_path_factory):
    """Three small runs of the Helsinki baseline: seed 1 twice, seed 2 once."""
    root = tmp_path_factory.mktemp("runs")
    outs = {}
    for name, seed in (("a", 1), ("b", 1), ("c", 2)):
        result = twin("run", BASELINE, "--residents", "3000", "--days", "7",
                      "--seed", str(seed), "--out", root / name)
        assert result.exit_code == 0, result.output
        outs[name] = (root / name, result.stdout)
    return outs


def test_run_prints_group_table_and_writes_outputs(small_runs):
    out, stdout = small_runs["a"]
    for group in ("Q1", "Q5", "mobile_only", "broadband", "wheelchair", "no_car", "piped"):
        assert group in stdout
    assert {p.name for p in out.iterdir()} == {"ledger.parquet", "groups.csv", "daily.csv", "summary.json",
                                              ".twin-results"}
    ledger = pd.read_parquet(out / "ledger.parquet")
    assert len(ledger) == 3000
    assert len(pd.read_csv(out / "daily.csv")) == 7


def test_same_seed_gives_bit_identical_parquet_and_another_seed_differs(small_runs):
    a = (small_runs["a"][0] / "ledger.parquet").read_bytes()
    b = (small_runs["b"][0] / "ledger.parquet").read_bytes()
    c = (small_runs["c"][0] / "ledger.parquet").read_bytes()
    assert a == b
    assert a != c


def test_missing_scenario_file(tmp_path):
    assert_user_error(twin("run", tmp_path / "nope.yaml"), "nope.yaml", "not found")


def test_malformed_yaml_names_the_line(tmp_path):
    bad = write(tmp_path / "bad.yaml", "name: x\nresidents: [1, 2\n")
    assert_user_error(twin("run", bad), "bad.yaml", "line")


def test_unknown_key_suggests_the_nearest(tmp_path):
    bad = write(tmp_path / "typo.yaml", "name: x\nresidnets: 10\n")
    assert_user_error(twin("run", bad), "typo.yaml", "residnets", "residents")


@pytest.mark.parametrize("option", ["--residents", "--days"])
@pytest.mark.parametrize("value", ["0", "-5"])
def test_non_positive_counts(option, value):
    assert_user_error(twin("run", BASELINE, option, value), option)


def test_non_positive_residents_in_the_file(tmp_path):
    bad = write(tmp_path / "neg.yaml", "name: x\nresidents: -3\n")
    assert_user_error(twin("run", bad), "neg.yaml", "residents")


def test_unknown_city_file(tmp_path):
    bad = write(tmp_path / "city.yaml", "name: x\ncity: atlantis.osm.pbf\n")
    assert_user_error(twin("run", bad), "atlantis.osm.pbf")


def test_unknown_city_name_offline(tmp_path):
    bad = write(tmp_path / "city.yaml", "name: x\ncity: Atlantis, Nowhere\n")
    assert_user_error(twin("run", bad), "Atlantis")


def test_unknown_resident_model(tmp_path):
    bad = write(tmp_path / "model.yaml", "name: x\nresident_model: utopia\n")
    assert_user_error(twin("run", bad), "utopia")


@pytest.mark.parametrize("content", [b"", b"\x00garbage\xff" * 100])
def test_corrupt_or_empty_osm_file(tmp_path, content):
    (tmp_path / "broken.osm.pbf").write_bytes(content)
    bad = write(tmp_path / "city.yaml", "name: x\ncity: broken.osm.pbf\n")
    assert_user_error(twin("run", bad), "broken.osm.pbf")


def test_city_without_drivable_streets(tmp_path):
    # a footpath-only village: walking works, driving has no edge
    (tmp_path / "paths.osm").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n'
        '<node id="1" lat="60.1700" lon="24.9400"/>\n'
        '<node id="2" lat="60.1710" lon="24.9400"/>\n'
        '<node id="3" lat="60.1710" lon="24.9420"/>\n'
        '<way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="footway"/></way>\n'
        "</osm>\n"
    )
    bad = write(tmp_path / "city.yaml", "name: x\ncity: paths.osm\n")
    assert_user_error(twin("run", bad, "--residents", "10"), "paths.osm", "drive")


def test_failed_run_leaves_previous_output_untouched(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("previous results")
    bad = write(tmp_path / "city.yaml", "name: x\ncity: missing.osm.pbf\n")
    assert_user_error(twin("run", bad, "--out", out), "missing.osm.pbf")
    assert (out / "keep.txt").read_text() == "previous results"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_real_process_prints_one_line_and_exits_2(tmp_path):
    completed = subprocess.run(
        [sys.executable, "-m", "twin", "run", str(tmp_path / "nope.yaml")],
        capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr
    assert len(completed.stderr.strip().splitlines()) == 1


def test_a_bug_keeps_its_own_traceback(monkeypatch):
    """Anything but a user's mistake is a bug: its exception reaches the
    caller as raised (the error handler must not raise one of its own)."""
    def broken(paths):
        raise RuntimeError("a bug")

    monkeypatch.setattr("twin.validate.validate_paths", broken)
    result = twin("validate", BASELINE)
    assert isinstance(result.exception, RuntimeError) and str(result.exception) == "a bug"


INTERVENTION_COST = """    cost:
      currency: EUR
      price_year: 2024
      capital: {value: 1, source: test}
      yearly_operating: {value: 1, source: test}
      lifetime_years: {value: 1, source: test}
"""


@pytest.mark.parametrize("intervention, needles", [
    ("  - type: water_points\n    sites: [{lon: 0.0, lat: 0.0}]\n", ["interventions[0].sites[0]", "outside"]),
    ("  - type: water_points\n    k: 100000\n", ["interventions[0].k", "candidate sites"]),
    ("  - type: paratransit_app\n", ["interventions[0].type", "valid types"]),
])
def test_intervention_mistakes_found_at_run_time(tmp_path, intervention, needles):
    scenario = write(tmp_path / "s.yaml", "name: x\nresident_model: nairobi_informal\n"
                     "interventions:\n" + intervention + INTERVENTION_COST)
    out = tmp_path / "out"
    assert_user_error(twin("run", scenario, "--residents", "200", "--out", out), "s.yaml", *needles)
    assert not out.exists()


def test_warnings_follow_the_simulated_city(tmp_path):
    """After water points are added, no run or comparison says there is no
    water facility; a comparison says the baseline has none."""
    root = BASELINE.parent
    out = tmp_path / "run"
    result = twin("run", root / "water_points.yaml", "--residents", "500", "--days", "1", "--out", out)
    assert result.exit_code == 0, result.output
    assert "no water facility" not in result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["city"]["facilities"]["water"] > 0
    assert not any("no water facility" in w for w in summary["warnings"])

    result = twin("compare", root / "baseline.yaml", root / "water_points.yaml", "--residents", "500",
                  "--days", "1", "--replications", "1", "--out", tmp_path / "cmp")
    assert result.exit_code == 0, result.output
    water = [line for line in result.output.splitlines() if "no water facility" in line]
    assert water == [line for line in water if line.startswith("warning: baseline: no water facility")]
    assert len(water) == 1
    facts = json.loads((tmp_path / "cmp" / "comparison.json").read_text())
    assert facts["facilities"]["water_points"]["water"] > facts["facilities"]["baseline"]["water"] == 0


@pytest.mark.parametrize("args, needles", [
    (["run"], ["twin run", "SCENARIO_FILE"]),
    (["run", BASELINE, "--residents", "abc"], ["--residents"]),
    (["run", BASELINE, "--bogus"], ["--bogus"]),
    (["compare", BASELINE, "--replications", "x"], ["--replications"]),
    (["nosuch"], ["nosuch"]),
])
def test_usage_errors_are_one_line(args, needles):
    line = assert_user_error(twin(*args), "twin: error:", *needles)
    assert "{" not in line


def test_help_still_works():
    result = twin("run", "--help")
    assert result.exit_code == 0 and "--residents" in result.stdout


@pytest.mark.parametrize("args, needles", [
    (["run", BASELINE, "--residents", 10**15], ["--residents", "memory", "at most"]),
    (["run", BASELINE, "--days", 10**9], ["--days", "366"]),
    (["compare", BASELINE.parent, "--replications", 10**9], ["--replications"]),
    (["compare", BASELINE.parent, "--residents", 10**12, "--replications", 50], ["--residents", "memory"]),
])
def test_astronomical_counts_are_refused_before_any_work(args, needles, tmp_path):
    assert_user_error(twin(*args, "--out", tmp_path / "out"), *needles)
    assert not (tmp_path / "out").exists()


def test_astronomical_count_in_the_file(tmp_path):
    big = write(tmp_path / "big.yaml", f"name: big\nresidents: {10**15}\n")
    assert_user_error(twin("run", big), "big.yaml", "residents", "memory")


def test_validate_and_compare_on_a_folder_without_scenarios(tmp_path):
    (tmp_path / "notes.txt").write_text("no yaml here")
    for command in ("validate", "compare"):
        line = assert_user_error(twin(command, tmp_path), str(tmp_path), "no scenario")
        assert "baseline" not in line


def test_output_folders_never_replace_other_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    other = tmp_path / "runs" / "other"
    other.mkdir(parents=True)
    (other / "ledger.parquet").write_text("someone's results")
    nameless = write(tmp_path / "nameless.yaml", "name: ''\n")
    assert_user_error(twin("run", nameless, "--residents", "100", "--days", "1"), "nameless.yaml", "name")
    named = write(tmp_path / "named.yaml", "name: named\n")
    assert_user_error(twin("run", named, "--residents", "100", "--days", "1", "--out", "runs"),
                      "runs", "not twin results", "--out")
    assert (other / "ledger.parquet").read_text() == "someone's results"
    # a results folder twin wrote is replaced by the next run into it
    for _ in range(2):
        assert twin("run", named, "--residents", "100", "--days", "1").exit_code == 0
    assert (tmp_path / "runs" / "named" / ".twin-results").is_file()
    assert (other / "ledger.parquet").read_text() == "someone's results"


def test_warm_up_days_option(tmp_path):
    from twin.scenario import WARM_UP_DAYS

    for command in ("run", "compare"):
        help_text = " ".join(twin(command, "--help").stdout.split())
        assert "--warm-up-days" in help_text and f"auto: {WARM_UP_DAYS} days" in help_text
    assert_user_error(twin("run", BASELINE, "--warm-up-days", "-1"), "--warm-up-days", "0 .. 366")
    assert_user_error(twin("compare", BASELINE.parent, "--warm-up-days", "400", "--out", tmp_path / "out"),
                      "--warm-up-days")
    assert not (tmp_path / "out").exists()
    bad = write(tmp_path / "bad.yaml", "name: x\nwarm_up_days: yes\n")
    assert_user_error(twin("run", bad), "bad.yaml", "warm_up_days")
