"""Sweep files: designs, parameters applied where they belong, and every
mistake caught before anything runs (one line naming the file and field)."""

from __future__ import annotations

import numpy as np
import pytest
from sweeps import HELSINKI, sweep_file

from twin.experiments.sensitivity import NO_PARAMETER, OVERLAP_MARK, UNDEFINED, _drivers, sweep_text
from twin.experiments.sweep import load_sweep

from cli_runner import assert_user_error, twin


def test_grid_applies_each_parameter_where_it_belongs(tmp_path):
    sweep = load_sweep(sweep_file(tmp_path))
    assert len(sweep.runs) == 4 * 2 and len(sweep.design) == 4
    for run in sweep.runs:
        parking, centres = run.scenarios
        adoption = next(i for i in parking["interventions"] if i["type"] == "parking_app")
        assert adoption["adoption"]["value"] == run.values["adoption"]
        smartphone = run.resident_model["digital"]["smartphone"]["by_age_band"]["values"]["75+"]
        assert smartphone == run.values["smartphone_75"]
        assert run.baseline["interventions"] == [] and run.baseline["residents"] == 500
        assert {run.baseline["seed"], parking["seed"], centres["seed"]} == {run.seed}
    assert len({run.key for run in sweep.runs}) == 8


def test_keys_are_stable_and_change_with_any_input(tmp_path):
    keys = {run.key for run in load_sweep(sweep_file(tmp_path)).runs}
    assert keys == {run.key for run in load_sweep(sweep_file(tmp_path)).runs}
    more = {run.key for run in load_sweep(sweep_file(tmp_path, residents=600)).runs}
    assert not keys & more


def test_sobol_and_lhs_designs_stay_in_range_and_round_integer_fields(tmp_path):
    parameters = """\
  - name: adoption
    path: interventions[parking_app].adoption.value
    range: [0.2, 0.8]
  - name: centres
    path: interventions[digital_access_centres].k
    range: [1, 4]
"""
    sobol = load_sweep(sweep_file(tmp_path, seeds=1, parameters=parameters,
                                  design="{method: sobol, samples: 8}"))
    assert len(sobol.design) == 8 * (2 + 2)
    assert sobol.design["adoption"].between(0.2, 0.8).all()
    assert set(sobol.design["centres"]) <= {1, 2, 3, 4}
    assert all(isinstance(r.scenarios[1]["interventions"][0]["k"], int) for r in sobol.runs)
    lhs = load_sweep(sweep_file(tmp_path, parameters=parameters, design="{method: lhs, samples: 5}"))
    strata = np.floor((lhs.design["adoption"].to_numpy() - 0.2) / 0.6 * 5)
    assert sorted(strata) == [0, 1, 2, 3, 4]  # one draw per stratum


FLOAT_PARAMETERS = (  # the two parameters of sweeps.PARAMETERS, over ranges
    "  - name: adoption\n    path: interventions[parking_app].adoption.value\n"
    "    range: [0.2, 0.8]\n  - name: smartphone_75\n"
    "    path: resident_model.digital.smartphone.by_age_band.values.75+\n    range: [0.3, 0.8]\n")


def test_morris_trajectories_step_one_parameter_at_a_time_on_the_levels(tmp_path):
    sweep = load_sweep(sweep_file(tmp_path, seeds=1, parameters=FLOAT_PARAMETERS,
                                  design="{method: morris, samples: 5, levels: 4, seed: 3}"))
    x = sweep.design[["adoption", "smartphone_75"]].to_numpy()
    assert x.shape == (5 * (2 + 1), 2)
    np.testing.assert_allclose(np.unique(x[:, 0]), [0.2, 0.4, 0.6, 0.8], atol=1e-12)  # 4 levels over the range
    assert np.unique(x[:, 1]).size <= 4 and ((x[:, 1] >= 0.3 - 1e-12) & (x[:, 1] <= 0.8 + 1e-12)).all()
    for trajectory in x.reshape(5, 3, 2):
        steps = np.abs(np.diff(trajectory, axis=0)) > 1e-12
        assert (steps.sum(axis=1) == 1).all()  # each point moves one parameter from the last
        assert steps.any(axis=0).all()  # and every parameter moves once


def test_morris_effects_are_the_plain_elementary_effects(tmp_path):
    """mu*, mu and sigma of a known response against elementary effects
    computed by hand from the design: (change in y) / (step as a share of
    the parameter's range)."""
    import pandas as pd

    from twin.experiments.batch import OUTCOMES
    from twin.experiments.sensitivity import sensitivity, sensitivity_plot

    sweep = load_sweep(sweep_file(tmp_path, seeds=1, parameters=FLOAT_PARAMETERS,
                                  design="{method: morris, samples: 6, seed: 1}"))
    x = sweep.design[["adoption", "smartphone_75"]].to_numpy()
    y = 3.0 * x[:, 0] + 4.0 * x[:, 1] ** 2 + 2.0 * x[:, 0] * x[:, 1]  # linear, curved, interacting
    outcomes = pd.DataFrame({"point": np.arange(len(x)), "seed": 1, "scenario": "parking_app",
                             **{o: y for o in OUTCOMES}})
    table = sensitivity(sweep, outcomes)
    assert list(table.columns) == ["scenario", "outcome", "parameter", "method", "mu_star", "mu_star_conf",
                                   "mu", "sigma"]
    widths = np.array([0.6, 0.5])
    effects = {0: [], 1: []}
    for rows in np.arange(len(x)).reshape(6, 3):
        for a, b in zip(rows[:-1], rows[1:]):
            (i,) = np.flatnonzero(np.abs(x[b] - x[a]) > 1e-12)
            effects[i].append((y[b] - y[a]) / ((x[b, i] - x[a, i]) / widths[i]))
    found = table[table["outcome"] == "minutes_saved_per_week"].set_index("parameter")
    for i, label in enumerate(["adoption", "smartphone_75"]):
        ee = np.array(effects[i])
        np.testing.assert_allclose(found.loc[label, ["mu_star", "mu", "sigma"]].to_numpy(dtype=float),
                                   [np.abs(ee).mean(), ee.mean(), ee.std(ddof=1)], rtol=1e-9)
        assert found.loc[label, "mu_star_conf"] > 0
    assert (table["method"] == "morris").all()
    assert sensitivity_plot(table).startswith(b"\x89PNG")


def test_the_shipped_screening_finds_each_scenario_moved_by_its_own_mechanism(tmp_path):
    """scenarios/helsinki/screening.yaml, run as shipped: an intervention's
    own parameters move its scenario and leave the other exactly as it was
    (same residents, same seed), and the parking app's time saving is driven
    most by its three levers (adopters x search time x the cut)."""
    import twin

    result = twin.sweep(HELSINKI / "screening.yaml", out=tmp_path / "store", workers=0)
    assert result.failures.empty and len(result.outcomes) == 54 * 2
    effects = (result.sensitivity.query("outcome == 'minutes_saved_per_week'")
               .pivot(index="parameter", columns="scenario", values="mu_star"))
    app_levers = ["parking_app_adoption", "parking_search_time_cut", "parking_search_time_s"]
    assert (effects.loc[["parking_app_adoption", "parking_search_time_cut"], "access_centres"] == 0).all()
    assert effects.at["access_centre_reach_m", "parking_app"] == 0
    assert set(effects["parking_app"].nlargest(3).index) == set(app_levers)
    assert (effects.loc[app_levers, "parking_app"] > 0.5).all()  # minutes per resident-week over the range
    assert (tmp_path / "store" / "analysis" / "sensitivity.png").stat().st_size > 0
    headline = {tuple(line.split()[:3]) for line in sweep_text(result).splitlines()}
    assert ("parking_app", "minutes_saved_per_week", "parking_app_adoption") in headline
    assert ("access_centres", "minutes_saved_per_week", "access_centre_reach_m") in headline


def test_the_printed_ranking_is_marked_where_the_intervals_overlap():
    """The headline marks a runner-up whose 95% interval overlaps the
    first's (the order is not established), tells an outcome undefined at
    some point from one no parameter moves (both without an index), and
    prints Morris effects in the outcome's unit."""
    import pandas as pd

    def table(column: str, rows: list[tuple]) -> pd.DataFrame:
        return pd.DataFrame([{"scenario": "s", "outcome": o, "parameter": p, column: v, f"{column}_conf": c}
                             for o, p, v, c in rows])

    variance = table("ST", [("minutes_saved_per_week", "a", 0.3, 0.1), ("minutes_saved_per_week", "b", 0.8, 0.1),
                            ("share_of_gains_to_poorest_40pct", "a", 0.6, 0.2),
                            ("share_of_gains_to_poorest_40pct", "b", 0.5, 0.2),
                            ("cost_per_hour_saved", "a", np.nan, np.nan),
                            ("cost_per_hour_saved", "b", np.nan, np.nan)]).assign(S1=np.nan, S1_conf=np.nan)
    drivers = _drivers(variance, {("s", "cost_per_hour_saved")}).set_index("outcome")
    assert drivers.loc["minutes_saved_per_week"].tolist() == ["s", "b", "0.80 (0.70 to 0.90)", "a",
                                                              "0.30 (0.20 to 0.40)"]
    assert drivers.at["share_of_gains_to_poorest_40pct", "its index"] == f"0.50 (0.30 to 0.70) {OVERLAP_MARK}"
    assert drivers.at["cost_per_hour_saved", "moved most by"] == UNDEFINED
    assert _drivers(variance, set()).set_index("outcome").at["cost_per_hour_saved", "moved most by"] == NO_PARAMETER
    morris = table("mu_star", [("minutes_saved_per_week", "a", 0.0, 0.0), ("minutes_saved_per_week", "b", 0.0, 0.0),
                               ("cost_per_hour_saved", "a", 1234.5, 100.0), ("cost_per_hour_saved", "b", 2.5, 1.0)])
    drivers = _drivers(morris, set()).set_index("outcome")
    assert drivers.at["minutes_saved_per_week", "moved most by"] == NO_PARAMETER
    assert drivers.loc["cost_per_hour_saved", ["index", "its index"]].tolist() == ["1,234 (1,134 to 1,334)",
                                                                                   "2.5 (1.5 to 3.5)"]


def test_the_headline_says_where_an_outcome_is_undefined(tmp_path):
    """With no adopters the parking app saves no time, so its cost per hour
    saved is undefined at that design point: the headline says so rather
    than that no parameter moves it."""
    import twin

    parameters = ("  - name: adoption\n    path: interventions[parking_app].adoption.value\n"
                  "    values: [0.0, 0.8]\n")
    path = sweep_file(tmp_path, seeds=1, parameters=parameters, scenarios="parking_app.yaml")
    result = twin.sweep(path, out=tmp_path / "store", workers=0)
    without_adopters = result.outcomes.set_index("adoption").loc[0.0]
    assert without_adopters["minutes_saved_per_week"] == 0 and np.isnan(without_adopters["cost_per_hour_saved"])
    headline = {tuple(line.split()[1:3]) for line in sweep_text(result).splitlines()}
    assert ("cost_per_hour_saved", UNDEFINED) in headline
    assert ("minutes_saved_per_week", "adoption") in headline


@pytest.mark.parametrize("parameters, design, needles", [
    ("  - path: interventions[parking_app].adoptoin.value\n    values: [0.5]\n", "{method: grid}",
     ["tiny.yaml", "parameters[0].path", "did you mean", "adoption"]),
    ("  - path: interventions[parking_app].adoption.value\n    values: [0.5, 1.5]\n", "{method: grid}",
     ["tiny.yaml", "parameters[0]", "design point 1", "1.5"]),
    ("  - path: resident_model.digital.smartfone.by_age_band.values.75+\n    values: [0.5]\n",
     "{method: grid}", ["tiny.yaml", "parameters[0].path", "smartphone"]),
    ("  - path: interventions[parking_app].adoption.value\n    values: [0.5]\n    scenarios: [parking]\n",
     "{method: grid}", ["tiny.yaml", "parameters[0].scenarios", "parking_app"]),
    ("  - path: interventions[parking_app].adoption.value\n    values: [0.5]\n", "{method: lhs, samples: 4}",
     ["tiny.yaml", "parameters[0].range"]),
    ("  - path: interventions[parking_app].adoption.value\n    range: [0.2, 0.5]\n",
     "{method: sobol, samples: 6}", ["tiny.yaml", "design.samples", "power of 2"]),
    ("  - path: city\n    values: [porto]\n", "{method: grid}", ["tiny.yaml", "parameters[0].path"]),
    ("  - path: interventions[parking_app].adoption.value\n    range: [0.8, 0.2]\n",
     "{method: lhs, samples: 4}", ["tiny.yaml", "parameters", "rise"]),
    ("  - path: interventions[parking_app].adoption.value\n    range: [0.2, 0.5]\n",
     "{method: morris, samples: 4, levels: 3}", ["tiny.yaml", "design.levels", "even"]),
    ("  - path: interventions[parking_app].adoption.value\n    range: [0.2, 0.5]\n",
     "{method: sobol, samples: 4, levels: 4}", ["tiny.yaml", "design.levels", "morris"]),
    ("  - path: interventions[parking_app].adoption.value\n    values: [0.5]\n",
     "{method: morris, samples: 4}", ["tiny.yaml", "parameters[0].range"]),
])
def test_mistakes_are_one_line_naming_file_and_field(tmp_path, parameters, design, needles):
    path = sweep_file(tmp_path, parameters=parameters, design=design)
    assert_user_error(twin("batch", path, "--out", tmp_path / "store"), *needles)
    assert not (tmp_path / "store").exists()  # nothing ran, nothing written


def test_a_scenario_given_for_a_sweep_and_a_sweep_for_a_scenario_say_so(tmp_path):
    assert_user_error(twin("batch", HELSINKI / "baseline.yaml", "--out", tmp_path / "store"),
                      "baseline.yaml", "a scenario, not a sweep file", "twin compare")
    assert_user_error(twin("run", HELSINKI / "sweep.yaml", "--out", tmp_path / "run"),
                      "sweep.yaml", "a sweep file, not a scenario", "twin batch")
    assert not (tmp_path / "store").exists() and not (tmp_path / "run").exists()


def test_validate_checks_sweeps_and_compare_skips_them(tmp_path):
    result = twin("validate", HELSINKI)
    assert result.exit_code == 0, result.output
    for sweep in ("sweep.yaml", "screening.yaml"):
        assert "ok    " + str(HELSINKI / sweep) in result.stdout
    from twin.api import scenario_set

    _, scenarios, _ = scenario_set(HELSINKI)
    assert "sweep" not in {s.name for s in scenarios} and len(scenarios) == 7


def test_warm_up_days_set_at_the_top_or_as_a_parameter_apply_to_every_run(tmp_path):
    path = sweep_file(tmp_path, scenarios="parking_app.yaml, paratransit_single_stop.yaml")
    path.write_text(path.read_text().replace("days: 1\n", "days: 1\nwarm_up_days: 0\n"))
    for run in load_sweep(path).runs:
        assert {m["warm_up_days"] for m in (run.baseline, *run.scenarios)} == {0}
    swept = sweep_file(tmp_path, scenarios="paratransit_single_stop.yaml", name="swept",
                       parameters="  - path: warm_up_days\n    values: [0, 14]\n")
    runs = load_sweep(swept).runs
    assert sorted({run.baseline["warm_up_days"] for run in runs}) == [0, 14]
    for run in runs:
        assert run.scenarios[0]["warm_up_days"] == run.baseline["warm_up_days"]


@pytest.mark.parametrize("method, interval", [("sobol", "S1_conf"), ("lhs", "S1_conf"),
                                              ("morris", "mu_star_conf")])
def test_sensitivity_confidence_intervals_are_the_same_every_time_for_design_seed_0(tmp_path, method, interval):
    """SALib's analyses draw their bootstrap from numpy's global state
    when given seed 0 (falsy): the design's seed must fix it all the same."""
    import pandas as pd

    from twin.experiments.batch import OUTCOMES
    from twin.experiments.sensitivity import sensitivity

    sweep = load_sweep(sweep_file(tmp_path, seeds=1, parameters=FLOAT_PARAMETERS,
                                  design=f"{{method: {method}, samples: 16, seed: 0}}"))
    x = sweep.design[["adoption", "smartphone_75"]].to_numpy()
    rng = np.random.default_rng(1)
    outcomes = pd.DataFrame({"point": np.arange(len(x)), "seed": 1, "scenario": "parking_app",
                             **{o: 3.0 * x[:, 0] + x[:, 1] ** 2 + rng.normal(0, 0.1, len(x)) for o in OUTCOMES}})
    first = sensitivity(sweep, outcomes)
    np.random.seed(12345)  # what SALib's unseeded draws would follow
    again = sensitivity(sweep, outcomes)
    assert first[interval].notna().all()
    pd.testing.assert_frame_equal(first, again, check_exact=True)


def test_analysis_csvs_hold_the_exact_numbers_and_tables_arrow_cannot_hold(tmp_path):
    """The sweep's analysis CSVs read back as the tables they were written
    from, to the last bit of every float; a column of mixed types (which
    Arrow cannot hold) is written too, not lost."""
    import pandas as pd

    from twin.experiments.sensitivity import _write_csv

    table = pd.DataFrame({"scenario": ["parking_app", "water, new points"], "S1": [0.1 + 0.2, 1e-300],
                          "runs": [2000.0, np.nan]})
    _write_csv(table, tmp_path / "a.csv")
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "a.csv"), table, check_dtype=False)
    mixed = table.assign(value=pd.Series([1, "a"], dtype=object))
    _write_csv(mixed, tmp_path / "b.csv")
    back = pd.read_csv(tmp_path / "b.csv")
    pd.testing.assert_frame_equal(back[list(table.columns)], table, check_dtype=False)
    assert back["value"].astype(str).tolist() == ["1", "a"]
