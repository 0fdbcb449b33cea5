"""Reporting groups: the labels each resident gets, made from codes, are the
string labels' to the category (the comparison's population columns)."""

import numpy as np
import pandas as pd
import pytest

from twin.outcomes.groups import connectivity_group, group_columns, mobility_group
from twin.residents import load_resident_model, synthesize_for_city
from twin.residents.population import WATER_SUPPLIES


def string_group_columns(frame):
    """group_columns as it was: string labels (pd.Categorical of them sorts the groups present)."""
    def labels(codes, names, like):
        return pd.Series(pd.Categorical.from_codes(codes, names), index=like.index, name=like.name).astype(str)

    quintiles, quintile = np.unique(frame["income_quintile"].to_numpy().astype(int), return_inverse=True)
    return {
        "income_quintile": labels(quintile, [f"Q{q}" for q in quintiles], frame["income_quintile"]),
        "connectivity": pd.Series(connectivity_group(frame), index=frame.index),
        "apps": labels(frame["can_use_apps"].to_numpy().astype(np.int8), ["cannot_use_apps", "can_use_apps"],
                       frame["can_use_apps"]),
        "mobility": pd.Series(mobility_group(frame), index=frame.index),
        "water_supply": frame["water_supply"].astype(str),
    }


def attributes(residents):
    """The resident columns of a ledger frame (twin.outcomes.ledger.ledger_frame)."""
    frame = pd.DataFrame({name: getattr(residents, name) for name in (
        "income_quintile", "has_car", "smartphone", "home_internet", "can_use_apps", "reduced_mobility",
        "wheelchair")})
    frame["water_supply"] = pd.Categorical.from_codes(residents.water_supply, WATER_SUPPLIES)
    return frame


def assert_same_groups(frame):
    got, want = group_columns(frame), string_group_columns(frame)
    assert list(got) == list(want)
    for name in want:
        # what the comparison keeps (twin.experiments.compare._population_rows)
        kept, wanted = pd.Categorical(got[name]), pd.Categorical(want[name])
        pd.testing.assert_index_equal(kept.categories, wanted.categories, exact=True)
        np.testing.assert_array_equal(kept.codes, wanted.codes)
        assert kept.codes.dtype == wanted.codes.dtype
        pd.testing.assert_series_equal(got[name].astype(str), want[name].astype(str))
        np.testing.assert_array_equal(got[name].to_numpy(), want[name].to_numpy())


@pytest.mark.parametrize("model", ["helsinki", "nairobi_informal"])
def test_groups_of_synthesised_residents_are_the_string_labels(helsinki, model):
    people = synthesize_for_city(load_resident_model(model), helsinki, 3000, seed=4)
    assert_same_groups(attributes(people))


@pytest.mark.parametrize("seed", range(6))
def test_groups_present_in_any_subset_are_the_string_labels(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    flags = {name: rng.random(n) < rng.random() for name in (
        "has_car", "smartphone", "home_internet", "can_use_apps", "reduced_mobility", "wheelchair")}
    frame = pd.DataFrame({"income_quintile": rng.choice(rng.integers(1, 12, 3), n).astype(np.int8), **flags})
    frame["water_supply"] = pd.Categorical.from_codes(rng.choice(rng.integers(0, 2, 2), n), WATER_SUPPLIES)
    frame.index = rng.permutation(n) + 7
    assert_same_groups(frame)
    assert_same_groups(frame.assign(water_supply=frame["water_supply"].astype(str)))  # strings, as loaded
