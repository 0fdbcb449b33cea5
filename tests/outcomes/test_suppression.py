"""Complementary suppression: what it hides, that it only grows with k and
with pooled replications, and an attack it stops that hiding by the
smallest count over replications does not."""

import numpy as np
import pandas as pd
import pytest
from disclosure import Release, atoms, attack
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.errors import ConfigError
from twin.outcomes.benefits import BENEFITS, group_benefits
from twin.outcomes.suppression import MIN_CELL_RESIDENTS, cells_to_suppress, check_k

tables = st.lists(st.lists(st.integers(0, 40), min_size=1, max_size=8), min_size=1, max_size=4).filter(
    lambda rows: len({len(r) for r in rows}) == 1).map(np.array)


@settings(max_examples=300, deadline=None)
@given(tables, st.integers(1, 60))
def test_small_cells_are_hidden_with_enough_company(residents, k):
    hidden = cells_to_suppress(residents, k)
    assert hidden[(residents < k).any(axis=0)].all()
    for replication in residents:
        mine = cells_to_suppress(replication, k)
        assert not (mine & ~hidden).any()  # each replication's protection is kept
        if mine.any() and not mine.all():
            assert mine.sum() >= 2 and replication[mine].sum() >= k


@settings(max_examples=300, deadline=None)
@given(tables, st.integers(1, 60), st.integers(1, 60))
def test_the_hidden_cells_only_grow_with_k_and_with_replications(residents, k1, k2):
    small, large = sorted((k1, k2))
    assert not (cells_to_suppress(residents, small) & ~cells_to_suppress(residents, large)).any()
    for first in range(1, len(residents)):
        assert not (cells_to_suppress(residents[:first], small)
                    & ~cells_to_suppress(residents, small)).any()


def test_tables_pooling_overlapping_replications_reveal_no_small_cell():
    # Cells a-d; replication 0 has no small cell, replication 1 has 'a' (5).
    # Hiding by the smallest count over replications would hide {a, c} in the
    # pooled table but {a, b} in replication 1's own table: pooled minus
    # replication 0 gives b in replication 1, its own table shows c, so 'a'
    # would follow from the total.
    counts = {0: {"a": 12, "b": 30, "c": 11, "d": 40}, 1: {"a": 5, "b": 12, "c": 30, "d": 40}}
    people = pd.DataFrame([(r, cell) for r, cells in counts.items() for cell, n in cells.items()
                           for _ in range(n)], columns=["replication", "cell"]).assign(all="all")
    benefits = pd.DataFrame(np.ones((len(people), len(BENEFITS)), np.float32), columns=list(BENEFITS))

    def release(replications):
        mine = people["replication"].isin(replications).to_numpy()
        renumbered = np.searchsorted(replications, people.loc[mine, "replication"].to_numpy())
        table = group_benefits(people.loc[mine, ["cell"]], benefits[mine], replication=renumbered)
        shown = frozenset(table.loc[table["dimension"] == "cell", "group"])
        return [Release(f"cells {replications}", tuple(replications), "cell", shown, MIN_CELL_RESIDENTS),
                Release(f"total {replications}", tuple(replications), "all", frozenset({"all"}),
                        MIN_CELL_RESIDENTS)]

    releases = release([0, 1]) + release([0]) + release([1])
    assert not attack(atoms(people, ["all", "cell"]), releases)


def test_a_k_under_the_default_needs_the_explicit_option():
    assert check_k(MIN_CELL_RESIDENTS) == MIN_CELL_RESIDENTS
    with pytest.raises(ConfigError, match="--allow-small-k"):
        check_k(3)
    assert check_k(3, allow_small=True) == 3
    with pytest.raises(ConfigError, match="positive"):
        check_k(0, allow_small=True)
