"""What the city's data sees: a source's sightings are fixed per resident
(counter-based, whatever the sample size), a source that sees everyone sees
every need, and a source blind to a group leaves that group's need unseen
in the coverage report (and names the group)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from twin.data_sources import DataSources
from twin.outcomes.coverage import NEEDS, coverage_table, observed_columns, under_seen
from twin.outcomes.groups import group_columns
from twin.residents import load_resident_model, synthesize_for_city
from twin.residents.population import Residents

MODELS = Path(__file__).resolve().parents[2] / "models"


def sources(**seen) -> DataSources:
    """Sources by name -> list of (when, probability) rules."""
    return DataSources.model_validate({"sources": {
        name: {"need": "water", "seen": [{"when": when, "value": p, "source": "test"} for when, p in rules]}
        for name, rules in seen.items()}})


EVERYONE = [({}, 1.0)]
BLIND_OFF_PREMISES = [({"water_supply": "off_premises"}, 0.0), ({}, 1.0)]
BLIND_PIPED = [({"water_supply": "piped"}, 0.0), ({}, 1.0)]
HALF_APP_USERS = [({"can_use_apps": True}, 0.5), ({}, 0.0)]


@pytest.fixture(scope="module")
def people(helsinki):
    spec = load_resident_model("nairobi_informal")
    return [synthesize_for_city(spec, helsinki, 1500, seed=seed) for seed in (5, 6, 7)]


def frames(people, data):
    """Groups, observed columns and replication of ``people`` (one per replication)."""
    groups, observed = [], []
    for r, residents in enumerate(people):
        frame = pd.DataFrame({name: getattr(residents, name) for name in vars(residents)
                              if getattr(residents, name).ndim == 1})
        frame["water_supply"] = np.asarray(["piped", "off_premises"])[frame["water_supply"]]
        groups.append(pd.DataFrame({k: v.astype(str) for k, v in group_columns(frame).items()}))
        observed.append(observed_columns(residents, data, seed=5 + r))
    groups = pd.concat(groups, ignore_index=True).astype("category")
    replication = np.repeat(np.arange(len(people)), [len(p) for p in people])
    return groups, pd.concat(observed, ignore_index=True), replication


def share(table, source, need, dimension, group):
    row = table[(table["source"] == source) & (table["need"] == need)
                & (table["dimension"] == dimension) & (table["group"] == group)]
    assert len(row) == 1, (source, need, dimension, group)
    return row.iloc[0]


def test_sightings_do_not_depend_on_sample_size_or_other_sources(people):
    residents = people[0]
    few = Residents(**{name: value[:200] for name, value in vars(residents).items()})
    data = sources(half=HALF_APP_USERS, everyone=EVERYONE)
    seen = data.seen("half", residents, seed=9)
    np.testing.assert_array_equal(data.seen("half", few, seed=9), seen[:200])
    # a source's stream is its place in the file: what follows it changes nothing
    alone = sources(half=HALF_APP_USERS)
    np.testing.assert_array_equal(alone.seen("half", residents, seed=9), seen)
    assert not seen[~residents.can_use_apps].any()
    assert 0.4 < seen[residents.can_use_apps].mean() < 0.6
    assert not np.array_equal(seen, data.seen("half", residents, seed=10))


def test_a_source_that_sees_everyone_sees_every_need(people):
    groups, observed, replication = frames(people, sources(everyone=EVERYONE))
    table = coverage_table(groups, observed, replication=replication)
    assert set(table["need"]) == set(NEEDS)
    assert (table["share_seen"] == 1.0).all() and (table["ci95_low"] == 1.0).all()
    assert under_seen(table).empty


@pytest.mark.parametrize("blind, hidden, visible", [(BLIND_OFF_PREMISES, "off_premises", "piped"),
                                                    (BLIND_PIPED, "piped", "off_premises")])
def test_a_source_blind_to_a_group_leaves_its_need_unseen(people, blind, hidden, visible):
    groups, observed, replication = frames(people, sources(blind=blind))
    table = coverage_table(groups, observed, replication=replication)
    for need in ("water", "presence"):
        assert share(table, "blind", need, "water_supply", hidden)["share_seen"] == 0.0
        assert share(table, "blind", need, "water_supply", hidden)["ci95_high"] == 0.0
        assert share(table, "blind", need, "water_supply", visible)["share_seen"] == 1.0
    # overall, the source sees exactly the visible group's part of the need
    water = observed["need_water"].to_numpy()
    seen_part = np.array([water[(replication == r) & (groups["water_supply"] == visible).to_numpy()].sum()
                          / water[replication == r].sum() for r in range(3)])
    assert share(table, "blind", "water", "all", "all")["share_seen"] == pytest.approx(seen_part.mean())
    named = under_seen(table)
    assert ((named["dimension"] == "water_supply") & (named["group"] == hidden)).any()
    assert not ((named["dimension"] == "water_supply") & (named["group"] == visible)).any()


def test_small_groups_are_left_out_of_the_coverage_report(people):
    groups, observed, replication = frames(people, sources(everyone=EVERYONE))
    counts = groups.assign(r=replication).groupby(["r", "mobility"], observed=True).size().unstack()
    small = counts.columns[(counts < 10).any()]
    assert len(small)  # 1,500 residents of nairobi_informal: a handful of wheelchair users
    table = coverage_table(groups, observed, replication=replication, k=10)
    assert not table[(table["dimension"] == "mobility")]["group"].isin(small).any()
    assert table.attrs["suppressed_cells"] > 0


def test_rules_match_first_and_by_every_condition(people):
    residents = people[0]
    data = sources(rules=[({"age_band": [0, 1], "income_quintile": 1}, 1.0), ({"age_band": 0}, 0.0),
                          ({"water_supply": "piped", "smartphone": False}, 1.0)])
    p = data.sources["rules"].probability(residents)
    young_poor = np.isin(residents.age_band, [0, 1]) & (residents.income_quintile == 1)
    later = ~young_poor & (residents.age_band != 0) & (residents.water_supply == 0) & ~residents.smartphone
    assert young_poor.any() and later.any()
    np.testing.assert_array_equal(p, np.where(young_poor | later, 1.0, 0.0))
