"""Comparisons behave as the world they model: who a parking app and smart
water meters help, zero benefit from doing nothing, common random numbers,
reproducibility, and uncertainty that shrinks with more replications.

Resident models come from models/ and intervention parameters from the
scenario files in scenarios/helsinki; nothing is tuned to pass."""

import gc
import weakref
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from twin.errors import ConfigError
from twin.experiments.compare import check_comparable, compare
from twin.outcomes.benefits import BENEFITS
from twin.scenario import load_scenario

HELSINKI = Path(__file__).resolve().parents[2] / "scenarios" / "helsinki"


@pytest.fixture(scope="module")
def baseline():
    return load_scenario(HELSINKI / "baseline.yaml")


@pytest.fixture(scope="module")
def parking_app():
    return load_scenario(HELSINKI / "parking_app.yaml")


@pytest.fixture(scope="module")
def parking(helsinki, baseline, parking_app):
    # Where the rich live differs between replications (income clusters in
    # space), so who gains is a between-replication question: many small
    # replications (same seeds as the scenario's, 1 .. 40).
    return compare(baseline, [parking_app], replications=40, residents=2000, days=7,
                   city=helsinki, progress=False)


def cell(table, dimension, group, metric="minutes_saved_per_week"):
    rows = table[(table["dimension"] == dimension) & (table["group"] == group) & (table["metric"] == metric)]
    assert len(rows) == 1, (dimension, group, metric)
    return rows.iloc[0]


def test_parking_app_benefit_goes_mostly_to_the_richest_two_quintiles(parking):
    # helsinki.yaml: car ownership rises with income (0.22 .. 0.74 by quintile).
    table = parking.by_group()
    top = sum(cell(table, "income_quintile", q)["share_of_gains"] for q in ("Q4", "Q5"))
    bottom = sum(cell(table, "income_quintile", q)["share_of_gains"] for q in ("Q1", "Q2"))
    assert top > 0.5 > bottom
    assert cell(table, "all", "all")["ci95_low"] > 0
    assert cell(table, "mobility", "no_car")["mean"] == 0.0  # no car, no parking
    equity = parking.equity().set_index(["measure", "of"])
    assert equity.at[("concentration_index", "minutes_saved_per_week"), "ci95_low"] > 0  # pro-rich
    # One definition: equity.csv's share is the quintile table's Q1 + Q2.
    assert equity.at[("share_of_gains_to_poorest_40pct", "minutes_saved_per_week"), "mean"] == pytest.approx(
        bottom, rel=1e-9)
    costs = parking.costs().iloc[0]
    assert costs["yearly_cost"] == pytest.approx(150_000 / 5 + 50_000)
    # Totals are in people of the city: the baseline states 6,600 people.
    assert parking.expansion.population == 6600 and parking.expansion.weight == pytest.approx(6600 / 2000)
    hours = (parking.benefits["parking_app"]["minutes_saved_per_week"].to_numpy(float).sum()
             * 6600 / 2000 / 60 * 52 / 40)
    assert costs["hours_saved_per_year"] == pytest.approx(hours, rel=1e-6)
    assert costs["cost_per_hour_saved"] == pytest.approx(costs["yearly_cost"] / hours, rel=1e-6)
    assert costs["cost_per_hour_saved_ci95_low"] < costs["cost_per_hour_saved"] < costs["cost_per_hour_saved_ci95_high"]
    assert np.isnan(costs["cost_per_person_newly_served"])  # nobody newly served: no finite cost


def test_smart_meters_benefit_piped_households(tmp_path, helsinki):
    """nairobi_informal: most households fetch water off premises, piped
    supply has outage days. Water points (a facility file) make water trips
    possible; meters then save piped households their outage-day trips, and
    the points they no longer crowd serve the households fetching water
    every day better (water points are queues, twin.abm.water)."""
    rng = np.random.default_rng(0)
    walk = helsinki.streets["walk"]
    nodes = rng.choice(walk.n_nodes, 30, replace=False)
    pd.DataFrame({"lon": walk.lon[nodes], "lat": walk.lat[nodes], "service": "water"}).to_csv(
        tmp_path / "water_points.csv", index=False)
    shared = "resident_model: nairobi_informal\nfacility_files: [water_points.csv]\n"
    (tmp_path / "baseline.yaml").write_text(f"extends: {HELSINKI / 'baseline.yaml'}\n{shared}")
    (tmp_path / "smart_meters.yaml").write_text(f"extends: {HELSINKI / 'smart_meters.yaml'}\n{shared}")
    result = compare(load_scenario(tmp_path / "baseline.yaml"),
                     [load_scenario(tmp_path / "smart_meters.yaml")],
                     replications=2, residents=3000, days=7, seed=5, progress=False)
    # Costs keep the scenario's currency (EUR), never the resident model's (KSh incomes).
    assert (result.currency, result.price_year) == ("EUR", 2024)
    table = result.by_group()
    piped = cell(table, "water_supply", "piped")
    assert piped["ci95_low"] > 0 and piped["share_of_gains"] > 0.3
    off = cell(table, "water_supply", "off_premises", "unmet_trips_avoided_per_week")
    assert off["mean"] >= 0.0  # fewer piped households at the points: no one is served worse
    for metric in ("newly_clinic_within_30min",):  # nothing to do with water
        assert cell(table, "water_supply", "off_premises", metric)["mean"] == 0.0
    off_premises = (result.population["water_supply"] == "off_premises").to_numpy()
    assert off_premises.mean() > 0.5


def test_baseline_against_itself_gives_exactly_zero(helsinki, baseline):
    result = compare(baseline, [baseline], replications=2, residents=2000, days=7,
                     city=helsinki, progress=False)
    assert (result.benefits["baseline"][list(BENEFITS)].to_numpy() == 0).all()
    table = result.by_group()
    assert (table[["mean", "ci95_low", "ci95_high", "people_benefiting"]].to_numpy() == 0).all()
    equity = result.equity().set_index("measure")
    assert equity.loc["concentration_index", "mean"].isna().all()  # nothing to distribute
    gini = equity.loc["gini"].set_index("of")["mean"]
    assert gini.iloc[0] == gini.iloc[1]
    costs = result.costs().iloc[0]
    assert costs["yearly_cost"] == 0
    assert np.isnan(costs["cost_per_hour_saved"]) and np.isnan(costs["cost_per_person_newly_served"])
    assert "no clear effect" in costs["note"]


def test_same_seed_same_results_other_seed_other_results(helsinki, baseline, parking_app, parking):
    again = compare(baseline, [parking_app], replications=40, residents=2000, days=7,
                    city=helsinki, progress=False)
    pd.testing.assert_frame_equal(again.per_resident(), parking.per_resident())
    pd.testing.assert_frame_equal(again.by_group(), parking.by_group())
    pd.testing.assert_frame_equal(again.equity(), parking.equity())
    other = compare(baseline, [parking_app], replications=1, residents=2000, days=7, seed=2,
                    city=helsinki, progress=False)
    assert not np.array_equal(other.population["income"], parking.population["income"][:2000])
    # Common random numbers: replication r uses seed + r, whatever R is.
    second = parking.per_resident()
    second = second[second["replication"] == 1].drop(columns="replication").reset_index(drop=True)
    first = other.per_resident().drop(columns="replication")
    pd.testing.assert_frame_equal(first, second, check_categorical=False)


def test_ci_half_width_shrinks_as_replications_grow(helsinki, baseline, parking_app):
    def half_width(replications):
        result = compare(baseline, [parking_app], replications=replications, residents=2000, days=7,
                         seed=1, city=helsinki, progress=False)
        row = cell(result.by_group(), "all", "all")
        return (row["ci95_high"] - row["ci95_low"]) / 2

    assert half_width(12) < half_width(3)


def test_one_replication_has_no_confidence_interval(helsinki, baseline, parking_app):
    result = compare(baseline, [parking_app], replications=1, residents=1000, days=7,
                     city=helsinki, progress=False)
    table = result.by_group()
    assert table["mean"].notna().all()
    assert table[["ci95_low", "ci95_high"]].isna().all().all()


def test_each_model_is_freed_as_its_run_ends(helsinki, baseline, monkeypatch):
    # Without the cyclic collector: 1M-resident models must not pile up
    # (with paratransit: vehicles are Mesa agents referring to their model).
    import twin.experiments.compare as module

    alive = []

    class Watched(module.CityModel):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            alive.append(weakref.ref(self))

    monkeypatch.setattr(module, "CityModel", Watched)
    gc.collect()
    gc.disable()
    try:
        compare(baseline, [load_scenario(HELSINKI / "paratransit_single_stop.yaml")], replications=1,
                residents=300, days=1, city=helsinki, progress=False)
        assert len(alive) == 2 and [ref() for ref in alive] == [None, None]
    finally:
        gc.enable()


def test_scenarios_that_cannot_be_paired_are_refused(baseline, parking_app):
    other_residents = parking_app.model_copy(update={"resident_model": "nairobi_informal"})
    with pytest.raises(ConfigError, match="resident_model") as error:
        check_comparable(baseline, [other_residents], paths=[Path("x/other.yaml")])
    assert "x/other.yaml" in str(error.value) and "extends" in str(error.value)
    other_city = parking_app.model_copy(update={"city": "elsewhere.osm.pbf"})
    with pytest.raises(ConfigError, match="city"):
        compare(baseline, [other_city], replications=1)
    with pytest.raises(ConfigError, match="also named"):
        check_comparable(baseline, [parking_app, parking_app])
    with pytest.raises(ConfigError, match="replications"):
        compare(baseline, [parking_app], replications=0)


def test_totals_and_costs_do_not_depend_on_the_sample_size(helsinki, baseline, parking_app):
    """N and 2N residents stand for the same 6,600 people: hours saved a year
    and cost per hour agree within their CIs (they doubled before weights)."""
    runs = [compare(baseline, [parking_app], replications=6, residents=n, days=7, seed=11,
                    city=helsinki, progress=False).costs().iloc[0] for n in (1500, 3000)]
    for column in ("hours_saved_per_year", "cost_per_hour_saved"):
        (low_a, high_a), (low_b, high_b) = ((r[f"{column}_ci95_low"], r[f"{column}_ci95_high"]) for r in runs)
        assert low_a <= high_b and low_b <= high_a, column  # the intervals overlap
        assert runs[1][column] == pytest.approx(runs[0][column], rel=0.35), column


def test_costs_in_two_currencies_are_refused(tmp_path, baseline, parking_app):
    other = tmp_path / "meters_ksh.yaml"
    other.write_text(f"extends: {HELSINKI / 'smart_meters.yaml'}\nname: meters_ksh\n")
    text = (HELSINKI / "smart_meters.yaml").read_text().replace("currency: EUR", "currency: KES")
    other.write_text(text.replace("extends: baseline.yaml", f"extends: {HELSINKI / 'baseline.yaml'}"))
    meters = load_scenario(other)
    with pytest.raises(ConfigError) as error:
        check_comparable(baseline, [parking_app, meters], paths=[HELSINKI / "parking_app.yaml", other])
    message = str(error.value)
    assert "meters_ksh.yaml" in message and "interventions[0].cost.currency" in message and "EUR" in message


def test_without_a_population_totals_are_per_1000_residents(helsinki, parking_app):
    unstated = load_scenario(HELSINKI / "baseline.yaml").model_copy(update={"population": None})
    parking = parking_app.model_copy(update={"population": None})
    result = compare(unstated, [parking], replications=2, residents=500, days=2,
                     city=helsinki, progress=False)
    assert result.expansion.unit == "per 1,000 residents" and result.expansion.weight == 2.0
    costs = result.costs().iloc[0]
    assert np.isnan(costs["cost_per_hour_saved"]) and "no population stated" in costs["note"]


def test_a_comparison_with_paratransit_warms_up_its_riders_and_says_so(helsinki, baseline):
    """``auto`` warms up where riders learn (28 days), keeps the baseline
    (where nothing learns) as it was, states the warm-up, and changes the
    paratransit scenario's measured week; ``warm_up_days=0`` is a cold start."""
    from twin.experiments.report import Tables, who_benefits_text
    from twin.scenario import WARM_UP_DAYS

    single = load_scenario(HELSINKI / "paratransit_single_stop.yaml")
    run = dict(replications=1, residents=3000, days=7, city=helsinki, progress=False)
    warm, cold = compare(baseline, [single], **run), compare(baseline, [single], warm_up_days=0, **run)
    assert (warm.warm_up_days, cold.warm_up_days) == (WARM_UP_DAYS, 0)
    pd.testing.assert_frame_equal(warm.population, cold.population)
    assert not warm.benefits[single.name].equals(cold.benefits[single.name])
    assert f"after a {WARM_UP_DAYS}-day warm-up" in who_benefits_text(Tables(warm, k=10))
    assert "no warm-up" in who_benefits_text(Tables(cold, k=10))
    parking = compare(baseline, [load_scenario(HELSINKI / "parking_app.yaml")], **run)
    assert parking.warm_up_days == 0  # nothing learns: auto is none
    with pytest.raises(ConfigError, match="warm_up_days"):
        compare(baseline, [single], warm_up_days=-1, **run)


def test_equity_ranks_once_and_gives_the_plain_numbers(parking):
    """equity() ranks income and sorts travel time once per replication; its
    figures are those of the plain per-array functions, to the bit, and the
    concentration index stays in [-1, 1] though some residents lose."""
    from twin.outcomes.benefits import mean_ci95
    from twin.outcomes.equity import concentration_index, gini, palma

    equity = parking.equity().set_index(["measure", "of"])
    n = parking.residents

    def per_replication(column):
        return column.to_numpy().reshape(parking.replications, n)

    income = per_replication(parking.population["income"])
    travel = {"before": per_replication(parking.population["essential_travel_min_per_week"]),
              "after": per_replication(parking.benefits["parking_app"]["essential_travel_min_per_week"])}
    saved = per_replication(parking.benefits["parking_app"]["minutes_saved_per_week"]).astype(np.float64)
    assert equity.at[("share_of_residents_losing", "minutes_saved_per_week"), "mean"] > 0  # mixed signs
    plain = mean_ci95(np.array([concentration_index(h, r) for h, r in zip(saved, income)]))
    row = equity.loc[("concentration_index", "minutes_saved_per_week")]
    assert (row["mean"], row["ci95_low"], row["ci95_high"]) == tuple(float(v) for v in plain)
    assert -1.0 <= row["ci95_low"] < row["ci95_high"] <= 1.0
    for measure, index in (("gini", gini), ("palma", palma)):
        for when, values in travel.items():
            expected = mean_ci95(np.array([index(v) for v in values]))[0]
            assert equity.at[(measure, f"essential_travel_min_per_week {when}"), "mean"] == expected
