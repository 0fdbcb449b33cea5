"""twin.core.tally against its numpy formulas (tests/naive.py), to the bit:
weekly ledger columns, minutes saved and sums per (replication, group)
cell, on random inputs with zeros, signed zeros, NaN and inf."""

from __future__ import annotations

import numpy as np
import pytest

from twin.core.tally import cell_sums, minutes_saved, water_levels, weekly_columns

from naive import naive_cell_sums, naive_minutes_saved, naive_water_levels, naive_weekly_columns

SPECIAL = np.array([0.0, -0.0, np.nan, np.inf, -np.inf, 1e-300, 1e300])


def _values(rng, shape, *, special=True):
    """Floats over many magnitudes and both signs, with some special values."""
    values = rng.normal(size=shape) * 10.0 ** rng.integers(-8, 8, size=shape)
    if special:
        spots = rng.random(shape) < 0.1
        values[spots] = rng.choice(SPECIAL, size=spots.sum())
    return values


@pytest.mark.parametrize("seed", range(4))
def test_weekly_columns_equal_numpy(seed):
    rng = np.random.default_rng(seed)
    n, purposes = 500, 6
    time_s = np.abs(_values(rng, (n, purposes), special=False))
    time_s[rng.random((n, purposes)) < 0.2] = 0.0
    made = rng.integers(0, 40, (n, purposes)).astype(np.int32)
    unmet = rng.integers(0, 3, (n, purposes)).astype(np.int32)
    per_week = 7 / rng.integers(1, 15)
    np.testing.assert_array_equal(weekly_columns(time_s, made, unmet, per_week),
                                  naive_weekly_columns(time_s, made, unmet, per_week), strict=True)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("queue_dtype", [np.float32, np.float64])
def test_water_levels_equal_numpy(seed, queue_dtype):
    rng = np.random.default_rng(seed)
    n = 2000
    supply = rng.integers(0, 3, n).astype(np.int8)
    one_way = np.ascontiguousarray(_values(rng, (n, 3))[:, 1])  # a column, as the ledger frame passes
    near = rng.random(n) < 0.3  # at and around the 30 min round trip
    one_way[near] = rng.choice([0.0, 450.0, 900.0, 899.9999999], near.sum())
    wide = np.stack([one_way, one_way], axis=1)
    with np.errstate(over="ignore"):  # 1e300 is inf in float32
        queue = np.abs(_values(rng, n)).astype(queue_dtype)
    queue[rng.random(n) < 0.2] = 0.0
    for column in (one_way, wide[:, 1]):
        got = water_levels(supply, column, queue, piped=0, basic_round_trip_s=1800)
        np.testing.assert_array_equal(got, naive_water_levels(supply, column, queue, piped=0,
                                                              basic_round_trip_s=1800), strict=True)
    assert set(np.unique(got)) == {0, 1, 2, 3}


@pytest.mark.parametrize("seed", range(4))
def test_minutes_saved_equal_numpy(seed):
    rng = np.random.default_rng(seed)
    n, purposes = 500, 6
    arrays = []
    for _ in range(2):  # before, after: times, then trips made and unmet in a few steps
        arrays += [np.abs(_values(rng, (n, purposes))), rng.integers(0, 4, (n, purposes)) * (7 / 3),
                   rng.integers(0, 3, (n, purposes)) * 1.0]
    arrays[1][rng.random((n, purposes)) < 0.05] = np.nan
    expected = naive_minutes_saved(*arrays)
    columns = [tuple(a.T) for a in arrays]  # one array per purpose, as a ledger frame holds them
    np.testing.assert_array_equal(minutes_saved(columns[:3], columns[3:]), expected, strict=True)
    assert np.isfinite(expected).sum() > n // 4  # not all NaN: the cases are compared


@pytest.mark.parametrize("seed", range(4))
def test_cell_sums_equal_bincount(seed):
    rng = np.random.default_rng(seed)
    n, groups, replications = 2000, 7, 3
    codes = rng.integers(0, groups - 1, n).astype(np.int32)  # the last group stays empty
    replication = np.sort(rng.integers(0, replications, n)).astype(np.intp)
    values = _values(rng, (n, 4))
    values[:, 0] = np.abs(values[:, 0])  # a column with no NaN: finite shares to compare
    values[~np.isfinite(values[:, 0]), 0] = 1.0
    counts, sums = cell_sums(codes, groups, replication, replications, values)
    expected_counts, expected_sums = naive_cell_sums(codes, groups, replication, replications, values)
    np.testing.assert_array_equal(counts, expected_counts, strict=True)
    np.testing.assert_array_equal(sums, expected_sums, strict=True)
    zero = expected_sums == 0.0
    np.testing.assert_array_equal(np.signbit(sums[zero]), np.signbit(expected_sums[zero]))  # signed zeros too
    assert (counts[:, -1] == 0).all() and np.isfinite(sums[:, :, :-1, 0]).all()


def test_bad_input_is_one_clear_error():
    with pytest.raises(ValueError, match="codes must be in 0 .. 2"):
        cell_sums(np.array([0, 3], dtype=np.int32), 3, np.zeros(2, dtype=np.intp), 1, np.zeros((2, 1)))
    with pytest.raises(ValueError, match="trips_made must have dtype int32"):
        weekly_columns(np.zeros((2, 6)), np.zeros((2, 6)), np.zeros((2, 6), dtype=np.int32), 1.0)


@pytest.mark.parametrize("seed", range(3))
def test_cell_sums_of_several_dimensions_are_each_one_s(seed):
    rng = np.random.default_rng(seed)
    n, replications = 3000, 2
    n_groups = [1, 5, 2, 4]
    codes = np.stack([rng.integers(0, g, n) for g in n_groups]).astype(np.int32)
    codes[2] = 1  # a dimension with an empty group
    replication = np.sort(rng.integers(0, replications, n)).astype(np.intp)
    values = _values(rng, (n, 3))
    counts, sums = cell_sums(codes, n_groups, replication, replications, values)
    assert counts.shape == (replications, sum(n_groups)) and sums.shape == (4, replications, sum(n_groups), 3)
    start = 0
    for row, g in zip(codes, n_groups):
        one_counts, one_sums = cell_sums(row, g, replication, replications, values)
        expected_counts, expected_sums = naive_cell_sums(row, g, replication, replications, values)
        np.testing.assert_array_equal(one_counts, expected_counts, strict=True)
        np.testing.assert_array_equal(one_sums, expected_sums, strict=True)
        np.testing.assert_array_equal(counts[:, start:start + g], expected_counts, strict=True)
        np.testing.assert_array_equal(sums[:, :, start:start + g], expected_sums, strict=True)
        zero = expected_sums == 0.0
        np.testing.assert_array_equal(np.signbit(sums[:, :, start:start + g][zero]), np.signbit(expected_sums[zero]))
        start += g
    with pytest.raises(ValueError, match=r"codes must be in 0 .. 1 \(dimension 2\)"):
        cell_sums(codes + np.array([[0], [0], [1], [0]], np.int32), n_groups, replication, replications, values)
