"""Greedy p-median kernel against a plain-Python greedy, and against the
plain formulation compiled (every gain recomputed every step, each a sum
over all demand points in order) on inputs large enough for its blocks,
groups and lazy recomputation to matter."""

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.core.siting import BLOCK, greedy_p_median


def naive_greedy(cx, cy, dx, dy, w, current, k):
    best = list(current)
    chosen = []
    for _ in range(k):
        gains = []
        for c in range(len(cx)):
            if c in chosen:
                gains.append(-1.0)
                continue
            total = 0.0
            for d in range(len(dx)):
                dist = float(np.sqrt((cx[c] - dx[d]) ** 2 + (cy[c] - dy[d]) ** 2))
                if dist < best[d]:
                    total += w[d] * (best[d] - dist)
            gains.append(total)
        pick = max(range(len(gains)), key=lambda c: (gains[c], -c))
        chosen.append(pick)
        for d in range(len(dx)):
            best[d] = min(best[d], float(np.sqrt((cx[pick] - dx[d]) ** 2 + (cy[pick] - dy[d]) ** 2)))
    return chosen


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 25), st.integers(1, 40), st.integers(0, 2**31 - 1), st.booleans())
def test_greedy_equals_naive(n_candidates, n_demand, seed, on_grid):
    rng = np.random.default_rng(seed)
    if on_grid:  # integer coordinates: many exact ties
        cx, cy = rng.integers(0, 5, (2, n_candidates)).astype(float)
        dx, dy = rng.integers(0, 5, (2, n_demand)).astype(float)
    else:
        cx, cy = rng.uniform(0, 1000, (2, n_candidates))
        dx, dy = rng.uniform(0, 1000, (2, n_demand))
    w = rng.integers(1, 5, n_demand).astype(float)
    current = np.where(rng.random(n_demand) < 0.3, rng.uniform(0, 500, n_demand), 2000.0)
    k = int(rng.integers(0, n_candidates + 1))
    got = greedy_p_median(cx, cy, dx, dy, w, current, k)
    assert list(got) == naive_greedy(cx, cy, dx, dy, w, current, k)


def test_sites_go_to_the_demand():
    # two clusters of demand, one much heavier: the first site goes to it
    dx = np.r_[np.full(50, 0.0), np.full(5, 1000.0)]
    dy = np.zeros(55)
    cx, cy = np.array([0.0, 1000.0, 500.0]), np.zeros(3)
    order = greedy_p_median(cx, cy, dx, dy, np.ones(55), np.full(55, 5000.0), 2)
    assert list(order) == [0, 1]


def test_bad_k():
    with pytest.raises(ValueError, match="k must be"):
        greedy_p_median([0.0], [0.0], [0.0], [0.0], [1.0], [1.0], 2)


def test_negative_demand_weight():
    with pytest.raises(ValueError, match="demand_weight must be >= 0"):
        greedy_p_median([0.0, 1.0], [0.0, 0.0], [0.0], [0.0], [-1.0], [1.0], 1)


@numba.njit(cache=True)
def plain_greedy(cx, cy, dx, dy, w, current, k):
    """naive_greedy, compiled: the formulation before lazy gains, groups and blocks."""
    best = current.copy()
    chosen = np.zeros(len(cx), dtype=np.bool_)
    order = np.empty(k, dtype=np.int64)
    for step in range(k):
        pick, pick_gain = -1, -2.0
        for c in range(len(cx)):
            total = -1.0
            if not chosen[c]:
                total = 0.0
                for d in range(len(dx)):
                    dist = np.sqrt((cx[c] - dx[d]) ** 2 + (cy[c] - dy[d]) ** 2)
                    if dist < best[d]:
                        total += w[d] * (best[d] - dist)
            if total > pick_gain:
                pick, pick_gain = c, total
        chosen[pick] = True
        order[step] = pick
        for d in range(len(dx)):
            best[d] = min(best[d], np.sqrt((cx[pick] - dx[d]) ** 2 + (cy[pick] - dy[d]) ** 2))
    return order


def test_plain_reference_equals_naive():
    rng = np.random.default_rng(3)
    cx, cy, dx, dy = rng.uniform(0, 1000, (4, 12))
    w, current = rng.integers(1, 5, 12).astype(float), np.full(12, 2000.0)
    assert list(plain_greedy(cx, cy, dx, dy, w, current, 5)) == naive_greedy(cx, cy, dx, dy, w, current, 5)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 90), st.integers(1, 12 * BLOCK), st.integers(0, 2**31 - 1), st.booleans(), st.booleans())
def test_greedy_equals_plain_over_many_blocks(n_candidates, n_demand, seed, on_grid, clustered):
    rng = np.random.default_rng(seed)
    if on_grid:  # integer coordinates: many exact ties, many distances equal to best
        cx, cy = rng.integers(0, 30, (2, n_candidates)).astype(float)
        dx, dy = rng.integers(0, 30, (2, n_demand)).astype(float)
    else:
        cx, cy = rng.uniform(0, 1000, (2, n_candidates))
        dx, dy = rng.uniform(0, 1000, (2, n_demand))
    if clustered:  # demand in index order walks across the city: blocks have small boxes to skip
        order = np.lexsort((dy, np.round(dx / 100)))
        dx, dy = dx[order], dy[order]
    w = rng.integers(0, 5, n_demand).astype(float)
    current = np.where(rng.random(n_demand) < 0.5, rng.uniform(0, 300, n_demand), 5000.0)
    k = int(rng.integers(0, min(n_candidates, 15) + 1))
    got = greedy_p_median(cx, cy, dx, dy, w, current, k)
    assert list(got) == list(plain_greedy(cx, cy, dx, dy, w, current, k))


@pytest.mark.needs_jit
@pytest.mark.parametrize("with_existing", [False, True])
def test_greedy_equals_plain_on_a_real_city(helsinki, with_existing):
    # demand at the walk nodes in their order (as sites.sited_by_demand has
    # it), candidates the most populous as there, existing points or none
    walk = helsinki.streets["walk"]
    rng = np.random.default_rng(7)
    nodes = np.unique(rng.integers(0, len(walk.x_m), 20_000))
    w = rng.integers(1, 40, len(nodes)).astype(float)
    dx, dy = walk.x_m[nodes], walk.y_m[nodes]
    diagonal_m = float(np.hypot(np.ptp(walk.x_m), np.ptp(walk.y_m)))
    current = np.full(len(nodes), diagonal_m)
    if with_existing:
        existing = rng.choice(len(nodes), 5, replace=False)
        current = np.min(np.hypot(dx[:, None] - dx[existing], dy[:, None] - dy[existing]), axis=1)
    candidates = np.argsort(-w, kind="stable")[:400]
    got = greedy_p_median(dx[candidates], dy[candidates], dx, dy, w, current, 12)
    assert list(got) == list(plain_greedy(dx[candidates], dy[candidates], dx, dy, w, current, 12))
