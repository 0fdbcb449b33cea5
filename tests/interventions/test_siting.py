"""Greedy p-median kernel against a plain-Python greedy."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.core.siting import greedy_p_median


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
