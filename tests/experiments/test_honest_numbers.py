"""Figures a planner acts on say only what the replications show: a
direction only where the 95% CI excludes zero, shares within 0-100 %, costs
per unit only for a clear effect, numbers formatted for people.

The comparisons here are built from chosen per-resident benefits (3
replications of 1,000 residents), so each case is exactly the one named."""

import re

import numpy as np
import pandas as pd
import pytest

from twin.experiments.compare import Comparison
from twin.experiments.numbers import number, unit_money, whole
from twin.experiments.report import Tables, format_costs, format_ranking, format_who_benefits
from twin.outcomes.benefits import BENEFITS
from twin.outcomes.expansion import Expansion
from twin.scenario import Scenario
from twin.ui.readings import group_reading

REPLICATIONS, RESIDENTS = 3, 1000


def comparison(minutes_saved, *, yearly_cost=100_000.0, population=50_000.0,
               unmet_trips_avoided=None) -> Comparison:
    """A comparison of one scenario, ``effect``, whose residents save
    ``minutes_saved(rng, income_quintile, wheelchair)`` minutes a week."""
    rng = np.random.default_rng(3)
    n = REPLICATIONS * RESIDENTS
    quintile = np.tile(np.repeat(np.arange(1, 6), RESIDENTS // 5), REPLICATIONS)
    wheelchair = rng.random(n) < 0.05
    population_frame = pd.DataFrame({
        "replication": np.repeat(np.arange(REPLICATIONS), RESIDENTS).astype(np.int16),
        "resident": np.tile(np.arange(RESIDENTS), REPLICATIONS).astype(np.int32),
        "income": (quintile * 10_000 + rng.random(n) * 9_000).astype(np.float32),
        "home_node": np.zeros(n, dtype=np.int32),
        "income_quintile": pd.Categorical([f"Q{q}" for q in quintile]),
        "connectivity": pd.Categorical(np.where(rng.random(n) < 0.5, "broadband", "mobile_only")),
        "apps": pd.Categorical(np.where(rng.random(n) < 0.8, "can_use_apps", "cannot_use_apps")),
        "mobility": pd.Categorical(np.where(wheelchair, "wheelchair", "no_car")),
        "water_supply": pd.Categorical(np.full(n, "piped")),
        "essential_travel_min_per_week": np.full(n, 300.0, dtype=np.float32),
    })
    saved = minutes_saved(rng, quintile, wheelchair).astype(np.float32)
    benefits = pd.DataFrame({metric: np.zeros(n, dtype=np.float32) for metric in BENEFITS})
    benefits["minutes_saved_per_week"] = saved
    if unmet_trips_avoided is not None:
        benefits["unmet_trips_avoided_per_week"] = unmet_trips_avoided(rng, quintile, wheelchair).astype(np.float32)
    benefits["essential_travel_min_per_week"] = (300.0 - saved).astype(np.float32)
    scenario = Scenario(name="effect")
    return Comparison(
        baseline=Scenario(name="baseline"), scenarios=[scenario], replications=REPLICATIONS,
        residents=RESIDENTS, days=7, seed=1, expansion=Expansion(population, "test", RESIDENTS),
        currency="EUR", price_year=2024, population=population_frame,
        benefits={"effect": benefits}, yearly_cost={"effect": yearly_cost})


def noise(rng, quintile, wheelchair):
    """No effect: every replication's mean is noise around zero."""
    return rng.normal(0.0, 5.0, len(quintile))


def clear_gain(rng, quintile, wheelchair):
    return rng.normal(2.0, 0.5, len(quintile))


def test_an_effect_whose_ci_crosses_zero_claims_no_direction():
    c = comparison(noise)
    mean, low, high = c.effect("effect", "minutes_saved_per_week")
    assert low < 0 < high  # the case the test is about
    tables = Tables(c)
    reading = tables.reading("effect", "minutes_saved_per_week")
    assert reading.startswith("effect: no clear time saving")
    assert not re.search(r"\d+% (go|to)", reading) and "gain" not in reading
    assert tables.verdict("effect") == "no clear effect"
    who = format_who_benefits(tables).iloc[0]
    assert who["gains to poorest 40%"] == "no clear effect" and who["conc. index"] == "no clear effect"
    assert who["per hour saved"] == "no clear effect"  # hours saved CI contains zero
    equity = tables.equity.set_index(["measure", "of"]).loc[("concentration_index", "minutes_saved_per_week")]
    assert np.isnan(equity["mean"]) and "no clear effect" in equity["note"]
    costs = format_costs(tables).iloc[0]
    assert costs["per hour saved"] == "no clear effect"
    # Group readings: no group "gains most" on a CI that contains zero.
    for dimension in ("mobility", "income_quintile", "apps"):
        text = group_reading(tables.groups, "effect", "minutes_saved_per_week", dimension, k=10)
        assert "gain" not in text.replace("no clear", "") or "clear gains for" in text
        for match in re.finditer(r"clear gains for ([^;]*)", text):
            assert "95% CI -" not in match.group(1)


def test_a_clear_gain_is_read_with_its_interval_and_shares():
    tables = Tables(comparison(clear_gain))
    assert tables.validation is None  # no observed figures name this baseline
    reading = tables.reading("effect", "minutes_saved_per_week")
    assert re.search(r"Of the gains, \d+% go to the richest 40% \(Q4-Q5\) and \d+% \(\d+% to \d+%\) "
                     r"to the poorest 40%", reading), reading
    assert tables.verdict("effect") == "clear gain"
    ranking = format_ranking(tables).iloc[0]
    assert ranking["how sure"] == "clear gain"
    assert re.fullmatch(r"EUR [\d,.]+ \(EUR [\d,.]+ to EUR [\d,.]+\)", ranking["per hour saved"])


def test_time_added_by_trips_now_made_is_read_as_such_not_as_a_plain_loss():
    """Paratransit-like: travel time goes up while trips that were unmet are
    made; the reading gives both, with their intervals, and says the new
    trips' time counts (without claiming it is all of the added time)."""
    c = comparison(lambda rng, q, w: rng.normal(-1.0, 0.3, len(q)),
                   unmet_trips_avoided=lambda rng, q, w: rng.normal(0.5, 0.1, len(q)))
    reading = Tables(c).reading("effect", "minutes_saved_per_week")
    assert reading.startswith("effect adds travel time") and "It also makes trips that were unmet" in reading
    assert re.search(r"unmet trips avoided per resident-week \(95% CI 0\.\d+ to 0\.\d+\)", reading), reading
    # without trips newly made, more time is a plain loss
    worse = Tables(comparison(lambda rng, q, w: rng.normal(-1.0, 0.3, len(q)))).reading(
        "effect", "minutes_saved_per_week")
    assert worse.startswith("effect makes things worse")


def test_shares_stay_within_0_and_100_percent_when_gains_and_losses_cancel():
    """The poorest gain what the richest lose: the net total is about zero,
    which printed '989 % to the poorest 40 %' as a share of the net."""
    def transfer(rng, quintile, wheelchair):
        return np.where(quintile <= 2, 6.0, -4.0) + rng.normal(0.0, 0.5, len(quintile))

    tables = Tables(comparison(transfer))
    groups = tables.groups
    for column in ("share_of_gains", "share_of_gains_ci95_low", "share_of_gains_ci95_high", "share_of_losses"):
        values = groups[column].dropna()
        assert ((values >= 0.0) & (values <= 1.0)).all(), column
    equity = tables.equity.set_index(["measure", "of"])["mean"]
    assert equity[("share_of_gains_to_poorest_40pct", "minutes_saved_per_week")] == pytest.approx(1.0)
    assert equity[("share_of_losses_to_poorest_40pct", "minutes_saved_per_week")] == pytest.approx(0.0)
    for text in format_who_benefits(tables).to_numpy().ravel():
        for share in re.findall(r"(-?\d+)%", str(text)):
            assert 0 <= int(share) <= 100, text


def test_a_cost_that_moves_with_the_hours_saved_has_the_interval_of_the_pairs():
    """A simulated cost (fares waived) that is EUR 40 per hour saved in every
    replication costs EUR 40 per hour saved, with no doubt from its pairs;
    dividing the ends of the cost's and the hours' intervals said otherwise."""
    c = comparison(clear_gain, yearly_cost=10_000.0)
    hours = (c._by_replication(c.benefits["effect"]["minutes_saved_per_week"]).sum(axis=1, dtype=np.float64)
             * c.expansion.weight / 60.0 * 52)
    assert hours.std() > 0  # the replications differ
    c.simulated_cost["effect"] = 40.0 * hours - 10_000.0
    costs = c.costs().iloc[0]
    assert costs["yearly_cost_ci95_low"] < costs["yearly_cost"] < costs["yearly_cost_ci95_high"]
    assert [costs[f"cost_per_hour_saved{s}"] for s in ("", "_ci95_low", "_ci95_high")] == pytest.approx([40.0] * 3)


def test_cost_per_person_served_needs_a_clear_count():
    """0.1 residents served made 1,590,000 per newly served resident."""
    c = comparison(clear_gain, yearly_cost=159_000.0)
    c.benefits["effect"].loc[5, "unmet_trips_avoided_per_week"] = 1.0  # one resident, one replication
    costs = c.costs().iloc[0]
    assert np.isnan(costs["cost_per_person_newly_served"])
    assert "person newly served: no clear effect" in costs["note"]


def test_numbers_are_formatted_for_people():
    assert number(159_000.0) == "159,000" and number(20_000.0) == "20,000"
    assert number(0.0042) == "0.0042" and number(1e-7) == "0" and number(12.34) == "12.34"
    assert whole(194.3) == "194" and whole(float("nan")) == "-"
    text = " ".join(format_costs(Tables(comparison(clear_gain))).to_numpy().ravel())
    assert not re.search(r"\de[+-]?\d", text)
    assert unit_money(0.238, "BRL") == "BRL 0.24" and unit_money(1234.4, "EUR") == "EUR 1,234"
    # a cheap effect costs cents per hour saved, not "EUR 0 (EUR 0 to EUR 0)"
    cheap = format_ranking(Tables(comparison(clear_gain, yearly_cost=20_000.0))).iloc[0]
    assert re.fullmatch(r"EUR 0\.\d\d \(EUR 0\.\d\d to EUR 0\.\d\d\)", cheap["per hour saved"])
