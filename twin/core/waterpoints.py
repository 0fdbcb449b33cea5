"""Each household's water point for the day, in one pass over the residents.

The rule is :func:`twin.abm.water.choose`'s: among the household's nearest
points (on foot, or by wheelchair), the least expected time per fetch that
brings water home, ``(2 walk + time at the point) / served share``, the
nearer on a tie. Done with numpy it gathers (n, k) arrays through fancy
indexing every day (0.4 s for a million residents); here it reads each
resident's row once.
"""

from __future__ import annotations

import numpy as np

from twin.core._checks import Problems
from twin.core.daily import WATER_PIPED, water_trips_today
from twin.core.jit import kernel


def choose_points(home_node: np.ndarray, wheelchair: np.ndarray, speed_mps: np.ndarray,
                  walk: tuple[np.ndarray, np.ndarray], roll: tuple[np.ndarray, np.ndarray], k: int,
                  at_point_s: np.ndarray, share: np.ndarray, *, out: tuple | None = None,
                  fetching: tuple | None = None):
    """Each resident's chosen point, its distance, time at it and served share.

    Parameters
    ----------
    home_node, wheelchair, speed_mps
        int32, bool, float32, shape (n,).
    walk, roll
        (distance float64, point int32), each shape (n_nodes, >= k): the
        nearest points on foot and by wheelchair, inf and -1 where fewer.
    k
        Points weighed.
    at_point_s, share
        float64, shape (n_points,): each point's wait plus fill, and served share.
    out
        Arrays to write the four results into (dtypes and shapes as
        returned), in place of new ones: a model choosing every day reuses
        its own (a million residents' new arrays cost as much as the choice).
    fetching
        ``(day, seed, water_supply, outage_days_per_week, water_trips_per_day)``
        (int8 and float32 of shape (n,) for the arrays): choose only for the
        residents whose household fetches water on ``day``
        (:func:`twin.core.daily.water_trips_today`, the day kernel's draw),
        the only ones whose choice that day's kernel reads, and leave the
        others' entries of ``out`` (required) as they are. Where most homes
        are piped that is a few in a thousand.

    Returns
    -------
    chosen (int32, -1 where none), length_m (float64, inf where none),
    time_at_point_s (float32, 0 where none), served_share (float32, 1 where none).
    """
    problems = Problems("choose_points")
    n = len(home_node)
    problems.array("home_node", home_node, np.int32, (n,))
    problems.array("wheelchair", wheelchair, np.bool_, (n,))
    problems.array("speed_mps", speed_mps, np.float32, (n,))
    n_nodes = len(walk[0])
    for name, (length, point) in (("walk", walk), ("roll", roll)):
        problems.array(f"{name} distances", length, np.float64, (n_nodes, None))
        problems.array(f"{name} points", point, np.int32, (n_nodes, None))
        if length.ndim == 2 and length.shape[1] < k:
            problems.add(f"{name} has {length.shape[1]} points per node, fewer than k = {k}")
    if n and (home_node.min() < 0 or home_node.max() >= n_nodes):
        problems.add(f"home_node must be in 0 .. {n_nodes - 1}")
    if out is not None:
        for name, array, dtype in zip(("chosen", "length_m", "time_at_point_s", "served_share"), out,
                                      (np.int32, np.float64, np.float32, np.float32)):
            problems.array(f"out {name}", array, dtype, (n,))
    if fetching is not None:
        if out is None:
            problems.add("fetching needs out: the others' entries are left as they are")
        problems.array("water_supply", fetching[2], np.int8, (n,))
        problems.array("outage_days_per_week", fetching[3], np.float32, (n,))
    problems.raise_any()
    if out is None:
        out = (np.empty(n, dtype=np.int32), np.empty(n, dtype=np.float64), np.empty(n, dtype=np.float32),
               np.empty(n, dtype=np.float32))
    chosen, length_m, time_s, served = out
    at_point_s, share = np.asarray(at_point_s, dtype=np.float64), np.asarray(share, dtype=np.float64)
    if fetching is None:  # unused arguments of the right types: one compiled kernel
        day, seed, water_supply, outage_days_per_week, trips_per_day = 0, 0, home_node[:0].astype(np.int8), \
            speed_mps[:0], 0.0
    else:
        day, seed, water_supply, outage_days_per_week, trips_per_day = fetching
    _choose(fetching is not None, np.int64(day), np.int64(seed), water_supply, outage_days_per_week,
            np.float64(trips_per_day), home_node, wheelchair, speed_mps, walk[0], walk[1], roll[0], roll[1], k,
            at_point_s, share, chosen, length_m, time_s, served)
    return chosen, length_m, time_s, served


@kernel  # ~20 ms a million residents (a few where few fetch): no threads needed
def _choose(only_fetching, day, seed, water_supply, outage_days_per_week, trips_per_day, home_node, wheelchair,
            speed_mps, walk_m, walk_point, roll_m, roll_point, k, at_point_s, share, chosen, length_m, time_s,
            served):
    for i in range(len(home_node)):
        if only_fetching and water_trips_today(day, seed, np.int64(i), water_supply[i] == WATER_PIPED,
                                               np.float64(outage_days_per_week[i]), trips_per_day) == 0:
            continue
        h = home_node[i]
        lengths, points = (roll_m, roll_point) if wheelchair[i] else (walk_m, walk_point)
        speed = np.float64(speed_mps[i])
        best = np.inf
        column = 0
        for j in range(k):
            point = points[h, j]
            if point < 0:
                continue
            cost = (2.0 * (lengths[h, j] / speed) + at_point_s[point]) / share[point]
            if cost < best:
                best = cost
                column = j
        point = points[h, column]
        chosen[i] = point
        length_m[i] = lengths[h, column]
        time_s[i] = at_point_s[point] if point >= 0 else 0.0
        served[i] = share[point] if point >= 0 else 1.0


def first_day_load(home_node: np.ndarray, wheelchair: np.ndarray, piped: np.ndarray,
                   outage_days_per_week: np.ndarray, walk_point: np.ndarray, roll_point: np.ndarray,
                   trips_per_day: float, days_per_week: int, n_points: int) -> np.ndarray:
    """Fetches a day each point expects before the first day, in residents:
    everyone's expected fetches (``trips_per_day``, times the share of
    outage days where piped) at their nearest point (on foot, or by
    wheelchair; none where -1).

    The same bits as numpy's ``np.bincount(nearest, trips_per_day *
    np.where(piped, outage / days_per_week, 1.0))`` (which adds each
    point's fetches in resident order, as here), in one pass over the
    residents instead of six over a million.
    """
    problems = Problems("first_day_load")
    n = len(home_node)
    problems.array("home_node", home_node, np.int32, (n,))
    problems.array("wheelchair", wheelchair, np.bool_, (n,))
    problems.array("piped", piped, np.bool_, (n,))
    problems.array("outage_days_per_week", outage_days_per_week, np.float32, (n,))
    n_nodes = len(walk_point)
    for name, point in (("walk_point", walk_point), ("roll_point", roll_point)):
        if problems.array(name, point, np.int32, (n_nodes, None)):
            problems.indices(name, point[:, 0], n_points, missing=-1)
    if n and (home_node.min() < 0 or home_node.max() >= n_nodes):
        problems.add(f"home_node must be in 0 .. {n_nodes - 1}")
    problems.raise_any()
    load = np.zeros(n_points, dtype=np.float64)
    _first_day_load(home_node, wheelchair, piped, outage_days_per_week, walk_point, roll_point,
                    np.float64(trips_per_day), np.float64(days_per_week), load)
    return load


@kernel
def _first_day_load(home_node, wheelchair, piped, outage_days_per_week, walk_point, roll_point, trips_per_day,
                    days_per_week, load):
    for i in range(len(home_node)):
        point = roll_point[home_node[i], 0] if wheelchair[i] else walk_point[home_node[i], 0]
        if point >= 0:
            share = np.float64(outage_days_per_week[i]) / days_per_week if piped[i] else 1.0
            load[point] += trips_per_day * share
