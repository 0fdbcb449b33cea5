"""Per-resident outcomes in one pass over the residents: a run's weekly
ledger columns and water service levels, the minutes each resident saves
in a scenario over the baseline, and sums per (replication, group) cell of
every reporting dimension at once.

With numpy these take a dozen (n, purposes) temporaries, or a hundred
``np.bincount`` passes per scenario: about 0.4, 0.9 and 0.9 s for a million
residents, per run. Here each resident's row is read once. Every sum is
accumulated in the order numpy's is (a row left to right, a cell resident
by resident), so the results are numpy's to the bit; ``tests/naive.py``
holds the numpy formulas they are tested against.
"""

from __future__ import annotations

import numpy as np

from twin.core._checks import Problems
from twin.core.jit import kernel, kernel_helper


def weekly_columns(travel_time_s: np.ndarray, trips_made: np.ndarray, unmet_trips: np.ndarray,
                   per_week: float, *, out: np.ndarray | None = None) -> np.ndarray:
    """A ledger's per-purpose totals as weekly columns.

    Parameters
    ----------
    travel_time_s
        float64, shape (n, purposes): seconds on trips made.
    trips_made, unmet_trips
        int32, shape (n, purposes).
    per_week
        7 / days simulated.
    out
        The array to write the columns into (as returned), in place of a new one.

    Returns
    -------
    numpy.ndarray
        float64, shape (3 purposes + 3, n), one contiguous row per column:
        travel minutes per purpose, trips made per purpose, unmet trips per
        purpose, then each of the three summed over purposes; all per week.
    """
    problems = Problems("weekly_columns")
    problems.array("travel_time_s", travel_time_s, np.float64, (None, None))
    shape = travel_time_s.shape if travel_time_s.ndim == 2 else (None, None)
    problems.array("trips_made", trips_made, np.int32, shape)
    problems.array("unmet_trips", unmet_trips, np.int32, shape)
    if out is not None and travel_time_s.ndim == 2:
        n, purposes = travel_time_s.shape
        if problems.array("out", out, np.float64, (3 * purposes + 3, n)) and out.strides[1] != 8:
            problems.add("out must have contiguous rows")
    problems.raise_any()
    n, purposes = travel_time_s.shape
    if out is None:
        out = np.empty((3 * purposes + 3, n), dtype=np.float64)
    _weekly(travel_time_s, trips_made, unmet_trips, float(per_week), out)
    return out


@kernel
def _weekly(travel_time_s, trips_made, unmet_trips, per_week, out):
    purposes = travel_time_s.shape[1]
    total = 3 * purposes
    for i in range(travel_time_s.shape[0]):
        time_s = travel_time_s[i, 0]
        made = np.int64(trips_made[i, 0])
        unmet = np.int64(unmet_trips[i, 0])
        for p in range(purposes):
            if p > 0:  # numpy's row sum: the first entry, then each next one added
                time_s += travel_time_s[i, p]
                made += trips_made[i, p]
                unmet += unmet_trips[i, p]
            out[p, i] = travel_time_s[i, p] / 60.0 * per_week
            out[purposes + p, i] = np.float64(trips_made[i, p]) * per_week
            out[2 * purposes + p, i] = np.float64(unmet_trips[i, p]) * per_week
        out[total, i] = time_s / 60.0 * per_week
        out[total + 1, i] = np.float64(made) * per_week
        out[total + 2, i] = np.float64(unmet) * per_week


def water_levels(water_supply: np.ndarray, water_one_way_s: np.ndarray, queue_time_s: np.ndarray, *,
                 piped: int, basic_round_trip_s: float) -> np.ndarray:
    """Each household's water service level code: 0 where ``water_supply``
    is ``piped``; else 3 where ``water_one_way_s`` is not finite (no point
    reachable); else 1 where the round trip ``2 water_one_way_s +
    queue_time_s`` is within ``basic_round_trip_s``, 2 where not (or NaN).

    Parameters
    ----------
    water_supply
        Integer codes, shape (n,).
    water_one_way_s
        float64, shape (n,) (a column of a wider array will do).
    queue_time_s
        float32 or float64, shape (n,): added as float64, as numpy adds it.

    Returns
    -------
    numpy.ndarray
        int8, shape (n,). numpy's ``np.where`` chain makes three int64
        arrays and three float64 ones on the way (50 ms a million residents).
    """
    problems = Problems("water_levels")
    n = len(water_supply) if isinstance(water_supply, np.ndarray) else 0
    if not isinstance(water_supply, np.ndarray) or water_supply.ndim != 1 or water_supply.dtype.kind not in "iu":
        problems.add("water_supply must be a 1-d numpy array of integers")
    problems.array("water_one_way_s", water_one_way_s, np.float64, (n,))
    queue_dtype = np.float32 if getattr(queue_time_s, "dtype", None) == np.float32 else np.float64
    problems.array("queue_time_s", queue_time_s, queue_dtype, (n,))
    problems.raise_any()
    out = np.empty(n, dtype=np.int8)
    _water_levels(water_supply, water_one_way_s, queue_time_s, piped, float(basic_round_trip_s), out)
    return out


@kernel
def _water_levels(water_supply, water_one_way_s, queue_time_s, piped, basic_round_trip_s, out):
    for i in range(len(out)):
        one_way_s = water_one_way_s[i]
        if water_supply[i] == piped:
            out[i] = 0
        elif not np.isfinite(one_way_s):
            out[i] = 3
        elif 2.0 * one_way_s + np.float64(queue_time_s[i]) <= basic_round_trip_s:
            out[i] = 1
        else:
            out[i] = 2


def minutes_saved(before: tuple, after: tuple) -> np.ndarray:
    """Minutes saved per resident on the trips made in both runs
    (:func:`twin.outcomes.benefits.minutes_saved` has the rule).

    Parameters
    ----------
    before, after
        ``(travel minutes, trips made, unmet trips)`` per week, each a
        sequence of one float64 array of shape (n,) per purpose.

    Returns
    -------
    numpy.ndarray
        float64, shape (n,).
    """
    problems = Problems("minutes_saved")
    blocks = [tuple(np.ascontiguousarray(c, dtype=np.float64) for c in block) for block in (*before, *after)]
    purposes = len(blocks[0])
    n = len(blocks[0][0]) if purposes else 0
    for name, block in zip(("time before", "made before", "unmet before", "time after", "made after",
                            "unmet after"), blocks):
        if len(block) != purposes or purposes == 0:
            problems.add(f"{name} must have {purposes or 'at least one'} purpose column(s), got {len(block)}")
        for column in block:
            problems.array(name, column, np.float64, (n,))
    problems.raise_any()
    out = np.empty(n, dtype=np.float64)
    _minutes_saved(*blocks, out)
    return out


@kernel
def _minutes_saved(time_b, made_b, unmet_b, time_a, made_a, unmet_a, out):
    for i in range(len(out)):
        saved = 0.0
        for p in range(len(time_b)):
            mb, ma = made_b[p][i], made_a[p][i]
            ub, ua = unmet_b[p][i], unmet_a[p][i]
            enabled = _at_least_0(_smaller(ma - mb, ub - ua))
            disabled = _at_least_0(_smaller(mb - ma, ua - ub))
            value = time_b[p][i] * _kept(mb, disabled) - time_a[p][i] * _kept(ma, enabled)
            saved = value if p == 0 else saved + value
        out[i] = saved


@kernel_helper
def _smaller(a, b):
    """``np.minimum``: NaN if either is."""
    if a != a or b != b:
        return a + b
    return a if a <= b else b


@kernel_helper
def _at_least_0(a):
    """``np.maximum(0.0, a)``: NaN stays."""
    return a if a != a or a > 0.0 else 0.0


@kernel_helper
def _kept(made, left_out):
    """Share of the trips made that are kept; 1 where none (or NaN) were made."""
    return (made - left_out) / made if made > 0.0 else 1.0


def cell_sums(codes: np.ndarray, n_groups, replication: np.ndarray, n_replications: int,
              values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Counts and sums per (replication, group) cell, of one grouping or of
    several at once.

    Parameters
    ----------
    codes
        int32, shape (n,): each resident's group, ``0 .. n_groups - 1``; or
        shape (dimensions, n) with ``n_groups`` one count per dimension:
        each resident's group in each grouping (the values are read once
        for all: one pass instead of one per dimension).
    replication
        intp, shape (n,): each resident's replication, ``0 .. n_replications - 1``.
    values
        float64, shape (n, metrics).

    Returns
    -------
    counts
        int64, shape (replications, groups): residents per cell; with
        several dimensions ``groups`` is their sum, dimension ``d``'s groups
        after those of the dimensions before it.
    sums
        float64, shape (4, replications, groups, metrics): per cell, the sum
        of the values, of their positive parts (gains), of their negative
        parts negated (losses), and the count of positive values. A NaN
        value makes its cell's gains and losses NaN and is not positive
        (as ``np.maximum`` and ``> 0`` treat it).
    """
    problems = Problems("cell_sums")
    one = np.ndim(n_groups) == 0
    groups = np.atleast_1d(np.asarray(n_groups, dtype=np.int64))
    n = codes.shape[-1] if isinstance(codes, np.ndarray) and codes.ndim else 0
    if problems.array("codes", codes, np.int32, (n,) if one else (len(groups), n)) and n:
        rows = codes.reshape(len(groups), n)
        low, high = rows.min(axis=1), rows.max(axis=1)
        for d in np.flatnonzero((low < 0) | (high >= groups)):
            where = "" if one else f" (dimension {d})"
            problems.add(f"codes must be in 0 .. {groups[d] - 1}{where}, got {low[d]} .. {high[d]}")
    if problems.array("replication", replication, np.intp, (n,)):
        problems.indices("replication", replication, n_replications)
    problems.array("values", values, np.float64, (n, None))
    problems.raise_any()
    offset = np.concatenate([[0], np.cumsum(groups)])
    counts = np.zeros((n_replications, offset[-1]), dtype=np.int64)
    sums = np.zeros((4, n_replications, offset[-1], values.shape[1]), dtype=np.float64)
    _cell_sums(codes.reshape(len(groups), n), offset, replication, values, counts, sums)
    return counts, sums


@kernel
def _cell_sums(codes, offset, replication, values, counts, sums):
    n_groups, n_metrics = counts.shape[1], values.shape[1]
    # one flat index per cell and metric
    total, gains, losses, positive = sums[0].ravel(), sums[1].ravel(), sums[2].ravel(), sums[3].ravel()
    for i in range(codes.shape[1]):  # in numpy's order: np.bincount adds resident by resident
        r = replication[i]
        for d in range(codes.shape[0]):
            g = offset[d] + codes[d, i]
            counts[r, g] += 1
            cell = (r * n_groups + g) * n_metrics
            for m in range(n_metrics):
                v = values[i, m]
                if v == 0.0:  # adds nothing: no sum here is ever -0.0, to which +0.0 would add
                    continue
                total[cell + m] += v
                if v > 0.0:
                    gains[cell + m] += v
                    positive[cell + m] += 1.0
                elif v < 0.0:
                    losses[cell + m] -= v
                else:  # NaN
                    gains[cell + m] += v
                    losses[cell + m] += v
