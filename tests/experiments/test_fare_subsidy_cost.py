"""What a fare subsidy costs in a comparison is what the simulation says it
pays: the fares waived on the eligible residents' trips, expanded to the
city and a year like the hours saved, plus what its scenario states (capital
and administration). On a hand-made bus feed over the real Helsinki streets."""

from pathlib import Path

import numpy as np
import pytest
from transit.feedfiles import write_feed

from twin.experiments.compare import WEEKS_PER_YEAR, compare
from twin.experiments.report import Tables, format_costs
from twin.experiments.run import run_scenario
from twin.scenario import load_scenario

HELSINKI = Path(__file__).resolve().parents[2] / "scenarios" / "helsinki"
STATED = 30_000 / 3 + 5_000  # capital / lifetime + administration, as in the files below
SETTINGS = dict(replications=3, residents=1500, days=2, seed=1)


def clock(seconds):
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


@pytest.fixture(scope="module")
def scenarios(helsinki, tmp_path_factory):
    """A baseline with buses both ways west -> centre -> east every 10
    minutes, and fare subsidies of a quarter and of half the fare for Q1-Q2."""
    folder = tmp_path_factory.mktemp("fare_subsidy")
    walk = helsinki.streets["walk"]
    at = {"W": int(np.argmin(walk.x_m)), "E": int(np.argmax(walk.x_m)),
          "C": int(np.argmin(np.hypot(walk.x_m - walk.x_m.mean(), walk.y_m - walk.y_m.mean())))}
    stops = [(name, walk.lon[node], walk.lat[node], 1) for name, node in at.items()]
    trips, stop_times = [], []
    for i, start in enumerate(range(6 * 3600, 20 * 3600, 600)):
        for line in ("WCE", "ECW"):
            trips.append((f"{line}{i}", line, "WK", 1))
            for seq, (stop, offset) in enumerate(zip(line, (0, 240, 480))):
                stop_times.append((f"{line}{i}", clock(start + offset), clock(start + offset), stop, seq))
    feed = write_feed(folder / "line", stops, trips, stop_times)
    (folder / "baseline.yaml").write_text(
        f"extends: {HELSINKI / 'baseline.yaml'}\n"
        f"transit:\n  feeds: [{feed}]\n  service_date: 2024-03-05\n  window: ['07:00', '19:00']\n"
        "  fare: {value: 3.2, source: 'test: a bus fare'}\n")
    for name, reduction in (("quarter_fare_off", 0.25), ("half_fare_off", 0.5)):
        (folder / f"{name}.yaml").write_text(f"""extends: baseline.yaml
name: {name}
interventions:
  - type: fare_subsidy
    quintiles: [1, 2]
    fare_reduction: {{value: {reduction}, source: test}}
    cost:
      currency: EUR
      price_year: 2024
      capital: {{value: 30000, source: test}}
      yearly_operating: {{value: 5000, source: "test: administration"}}
      lifetime_years: {{value: 3, source: test}}
""")
    return (load_scenario(folder / "baseline.yaml"),
            [load_scenario(folder / f"{n}.yaml") for n in ("quarter_fare_off", "half_fare_off")])


@pytest.fixture(scope="module")
def comparison(helsinki, scenarios):
    baseline, subsidies = scenarios
    return compare(baseline, subsidies, city=helsinki, progress=False, **SETTINGS)


def test_yearly_cost_is_the_fares_waived_in_the_runs_expanded_plus_the_stated_cost(
        helsinki, scenarios, comparison):
    _, subsidies = scenarios
    half = subsidies[1]
    # Each replication as `twin run` simulates it: its ledger's fares waived,
    # in people of the city (6,600 in Helsinki's baseline), a year of weeks.
    waived = []
    for r in range(SETTINGS["replications"]):
        run = run_scenario(half.model_copy(update={"seed": SETTINGS["seed"] + r, "days": SETTINGS["days"],
                                                   "residents": SETTINGS["residents"]}), city=helsinki)
        assert run.ledger["transit_fare_waived_per_week"].sum() > 0  # the eligible ride the bus
        waived.append(run.ledger["transit_fare_waived_per_week"].sum()
                      * 6600 / SETTINGS["residents"] * WEEKS_PER_YEAR)
    costs = comparison.costs().set_index("scenario")
    assert costs.at["half_fare_off", "yearly_cost"] == pytest.approx(np.mean(waived) + STATED, rel=1e-9)
    # The replications differ, so the cost has a CI around its mean, and the
    # cost per person or hour carries it.
    assert costs.at["half_fare_off", "yearly_cost_ci95_low"] < costs.at["half_fare_off", "yearly_cost"] \
        < costs.at["half_fare_off", "yearly_cost_ci95_high"]
    assert comparison.simulated_cost["half_fare_off"] == pytest.approx(waived, rel=1e-9)
    shown = format_costs(Tables(comparison)).set_index("scenario").iloc[:, 0]
    assert shown["half_fare_off"].startswith(f"{costs.at['half_fare_off', 'yearly_cost']:,.0f} (")


def test_twice_the_fare_off_costs_about_twice_as_much(comparison):
    simulated = {name: comparison.simulated_cost[name].mean() for name in comparison.simulated_cost}
    # Twice the fare off per trip, and more trips by the eligible at the
    # lower fare (a quarter more here): at least twice, not wildly more.
    assert 2.0 <= simulated["half_fare_off"] / simulated["quarter_fare_off"] < 3.0


def test_more_frequent_buses_over_a_subsidised_baseline_cost_the_extra_fares_waived(helsinki, scenarios):
    """The subsidy is in the baseline: buses twice as often bring its
    eligible residents onto more buses, and the fares waived on those extra
    trips are part of what the added frequency costs."""
    _, subsidies = scenarios
    subsidised = subsidies[1].model_copy(update={"name": "baseline"})
    folder = Path(subsidies[1].path).parent
    (folder / "more_buses.yaml").write_text("""extends: half_fare_off.yaml
name: more_buses
interventions:
  - type: fare_subsidy
    quintiles: [1, 2]
    fare_reduction: {value: 0.5, source: test}
    cost:
      currency: EUR
      price_year: 2024
      capital: {value: 30000, source: test}
      yearly_operating: {value: 5000, source: "test: administration"}
      lifetime_years: {value: 3, source: test}
  - type: transit_frequency
    route_types: [3]
    headway_factor: {value: 0.5, source: test}
    cost:
      currency: EUR
      price_year: 2024
      capital: {value: 0, source: test}
      yearly_operating: {value: 200000, source: "test: bus-hours"}
      lifetime_years: {value: 1, source: test}
""")
    more = load_scenario(folder / "more_buses.yaml")
    settings = dict(SETTINGS, replications=2)
    comparison = compare(subsidised, [more], city=helsinki, progress=False, **settings)
    extra = []
    for r in range(settings["replications"]):
        waived = [run_scenario(s.model_copy(update={"seed": settings["seed"] + r, "days": settings["days"],
                                                    "residents": settings["residents"]}), city=helsinki)
                  .ledger["transit_fare_waived_per_week"].sum() for s in (subsidised, more)]
        extra.append((waived[1] - waived[0]) * 6600 / settings["residents"] * WEEKS_PER_YEAR)
    assert min(extra) > 0  # the eligible ride more often when the buses come more often
    assert comparison.simulated_cost["more_buses"] == pytest.approx(extra, rel=1e-9)
    costs = comparison.costs().set_index("scenario")
    assert costs.at["more_buses", "yearly_cost"] == pytest.approx(np.mean(extra) + 200_000, rel=1e-9)
