"""Greedy p-median siting: choose k sites that most reduce the total
weighted distance from demand points to their nearest site.

Distances are straight-line (projected metres): siting is a planning sketch,
and every outcome is then measured on the street network. Demand with no
existing facility counts at ``uncovered_m`` (e.g. the city's diagonal), so a
first site anywhere gains more than any site near covered demand.
"""

from __future__ import annotations

import numpy as np

from twin.core.jit import kernel
from twin.core.threads import split_range


def greedy_p_median(
    candidate_x_m: np.ndarray,
    candidate_y_m: np.ndarray,
    demand_x_m: np.ndarray,
    demand_y_m: np.ndarray,
    demand_weight: np.ndarray,
    current_m: np.ndarray,
    k: int,
) -> np.ndarray:
    """Indices of ``k`` candidates chosen one at a time, each the one with
    the largest drop in ``sum(weight * distance to nearest site)``.

    Parameters
    ----------
    candidate_x_m, candidate_y_m
        Candidate sites.
    demand_x_m, demand_y_m, demand_weight
        Demand points and their weights (e.g. residents per home node).
    current_m
        Each demand point's distance to its nearest existing facility
        (finite; use a large value such as the city's diagonal where none).
    k
        Sites to choose, ``0 <= k <= len(candidates)``.

    Returns
    -------
    int64 indices into the candidates, in the order chosen. Ties go to the
    lowest index, so the result is deterministic.
    """
    cx = np.ascontiguousarray(candidate_x_m, dtype=np.float64)
    cy = np.ascontiguousarray(candidate_y_m, dtype=np.float64)
    dx = np.ascontiguousarray(demand_x_m, dtype=np.float64)
    dy = np.ascontiguousarray(demand_y_m, dtype=np.float64)
    w = np.ascontiguousarray(demand_weight, dtype=np.float64)
    current = np.ascontiguousarray(current_m, dtype=np.float64)
    if not (len(cx) == len(cy) and len(dx) == len(dy) == len(w) == len(current)):
        raise ValueError("candidate and demand arrays must have matching lengths")
    if not 0 <= k <= len(cx):
        raise ValueError(f"k must be between 0 and the {len(cx)} candidates, got {k}")
    if not np.all(np.isfinite(current)):
        raise ValueError("current_m must be finite (use a large distance where uncovered)")
    if not np.all(w >= 0.0):
        raise ValueError("demand_weight must be >= 0 (a number of residents, say)")
    return _greedy(cx, cy, dx, dy, w, current.copy(), k)


@kernel  # split over threads by twin.core.threads
def _gains(start, stop, cx, cy, dx, dy, w, best, chosen, gain):
    """``gain[c]``, for candidates ``start`` to ``stop``: the drop in total
    weighted distance were ``c`` chosen (-1 if it already is)."""
    for c in range(start, stop):
        if chosen[c]:
            gain[c] = -1.0
            continue
        total = 0.0
        for d in range(len(dx)):
            dist = np.sqrt((cx[c] - dx[d]) ** 2 + (cy[c] - dy[d]) ** 2)
            if dist < best[d]:
                total += w[d] * (best[d] - dist)
        gain[c] = total


def _greedy(cx, cy, dx, dy, w, best, k):
    """The greedy loop, in Python around two kernels (k is small).

    Lazy, as Minoux's accelerated greedy: a candidate's gain never grows as
    sites are chosen (each term ``w * (best - dist)`` shrinks or drops out
    with ``best``, and rounding is monotone, so this holds in floating point
    too), so its last computed gain bounds it. Each step recomputes only the
    candidate with the largest bound until that one is up to date: the
    candidate every gain recomputed would give, ties to the lowest index
    included, for about one full pass over the candidates instead of k.
    """
    chosen = np.zeros(len(cx), dtype=np.bool_)
    order = np.empty(k, dtype=np.int64)
    gain = np.empty(len(cx), dtype=np.float64)
    if k:
        split_range(_gains, len(cx), cx, cy, dx, dy, w, best, chosen, gain,
                    min_chunk=max(1, 10_000 // max(1, len(dx))))  # work per candidate: len(dx)
    current = np.ones(len(cx), dtype=np.bool_)  # gain[c] is c's gain now, not a bound
    for step in range(k):
        pick = int(np.argmax(gain))  # first maximum: ties go to the lowest index
        while not current[pick]:
            _gains(pick, pick + 1, cx, cy, dx, dy, w, best, chosen, gain)
            current[pick] = True
            pick = int(np.argmax(gain))
        chosen[pick] = True
        gain[pick] = -1.0  # as _gains has it for a chosen candidate
        order[step] = pick
        _closer(cx[pick], cy[pick], dx, dy, best)
        current[:] = False
    return order


@kernel
def _closer(x, y, dx, dy, best):
    """Lower ``best`` to the distance from ``(x, y)`` where that is nearer."""
    for d in range(len(dx)):
        dist = np.sqrt((x - dx[d]) ** 2 + (y - dy[d]) ** 2)
        if dist < best[d]:
            best[d] = dist
