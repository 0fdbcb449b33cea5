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
    if not np.all((w >= 0.0) & np.isfinite(w)):  # a term of 0 must be 0, not inf x 0
        raise ValueError("demand_weight must be >= 0 (a number of residents, say) and finite")
    return _greedy(cx, cy, dx, dy, w, current.copy(), k)


GROUP = 4
"""Candidates whose gains one pass over the demand computes side by side."""

BLOCK = 64
"""Demand points, consecutive in their order, that share a bounding box: a
candidate farther from the box than every ``best`` in it gains nothing there."""

_SURE = 1e-9
"""Relative margin by which a candidate must be farther from a block's box
than the block's largest ``best`` to skip it: the rounding of a distance
(a few units in the last place, 1e-16) is far smaller, so a skipped block
holds no point the candidate is nearer, as computed."""


@kernel  # split over threads by twin.core.threads
def _gains(start, stop, candidates, cx, cy, dx, dy, w, best, box, block_best, gain):
    """``gain[c]`` for ``c`` in ``candidates[start * GROUP:stop * GROUP]``
    (groups of :data:`GROUP`): the drop in total weighted distance were
    ``c`` chosen.

    Each gain is the plain sum ``sum(w[d] * (best[d] - dist))`` over the
    demand points ``d`` that ``c`` is nearer than ``best[d]``, added in the
    order of ``d``, and it keeps those bits: blocks of :data:`BLOCK` points
    whose box (``box[b]``: x min, x max, y min, y max) is surely farther from
    ``c`` than ``block_best[b]`` (the block's largest ``best``) hold no term;
    in the others one loop writes every term (0 where ``c`` is no nearer,
    which adds nothing to a sum of terms >= 0) with no reduction, so it runs
    on vector registers, and another adds the terms of a group's candidates,
    each in demand order, as independent sums side by side (one sum alone
    waits on each addition).
    """
    n = len(dx)
    terms = np.empty((GROUP, BLOCK), dtype=np.float64)
    near = np.empty(GROUP, dtype=np.bool_)
    totals = np.empty(GROUP, dtype=np.float64)
    for group in range(start, stop):
        total0 = total1 = total2 = total3 = 0.0  # GROUP of them
        for b in range(len(block_best)):
            first = b * BLOCK
            size = min(BLOCK, n - first)
            any_near = False
            for j in range(GROUP):
                c = candidates[group * GROUP + j]
                off_x = max(box[b, 0] - cx[c], cx[c] - box[b, 1], 0.0)
                off_y = max(box[b, 2] - cy[c], cy[c] - box[b, 3], 0.0)
                near[j] = np.sqrt(off_x * off_x + off_y * off_y) * (1.0 - _SURE) < block_best[b]
                any_near |= near[j]
            if not any_near:
                continue
            for j in range(GROUP):
                row = terms[j]
                if not near[j]:
                    row[:] = 0.0
                    continue
                c = candidates[group * GROUP + j]
                x, y = cx[c], cy[c]
                for i in range(size):
                    d = first + i
                    dist = np.sqrt((x - dx[d]) ** 2 + (y - dy[d]) ** 2)
                    row[i] = w[d] * max(best[d] - dist, 0.0)
            for i in range(size):
                total0 += terms[0, i]
                total1 += terms[1, i]
                total2 += terms[2, i]
                total3 += terms[3, i]
        totals[0], totals[1], totals[2], totals[3] = total0, total1, total2, total3
        for j in range(GROUP):
            gain[candidates[group * GROUP + j]] = totals[j]


@kernel
def _block_max(values, out):
    """``out[b]``: the largest of ``values`` in block ``b`` of :data:`BLOCK`."""
    for b in range(len(out)):
        out[b] = values[b * BLOCK:(b + 1) * BLOCK].max()


def _boxes(dx, dy):
    """Each block's box: x min, x max, y min, y max, shape (n_blocks, 4)."""
    n_blocks = -(-len(dx) // BLOCK)
    x_min, x_max, y_min, y_max = (np.empty(n_blocks) for _ in range(4))
    _block_max(-dx, x_min)
    _block_max(dx, x_max)
    _block_max(-dy, y_min)
    _block_max(dy, y_max)
    return np.column_stack([-x_min, x_max, -y_min, y_max])


def _compute_gains(candidates, cx, cy, dx, dy, w, best, box, block_best, gain):
    """:func:`_gains` of ``candidates`` (int64), over the threads when many."""
    n_groups = -(-len(candidates) // GROUP)
    padded = np.resize(candidates, n_groups * GROUP)  # repeats: a gain written twice, alike
    split_range(_gains, n_groups, padded, cx, cy, dx, dy, w, best, box, block_best, gain,
                min_chunk=max(1, 10_000 // max(1, GROUP * len(dx))))  # work per group: GROUP x len(dx)


def _greedy(cx, cy, dx, dy, w, best, k):
    """The greedy loop, in Python around two kernels (k is small).

    Lazy, as Minoux's accelerated greedy: a candidate's gain never grows as
    sites are chosen (each term ``w * (best - dist)`` shrinks or drops out
    with ``best``, and rounding is monotone, so this holds in floating point
    too), so its last computed gain bounds it. Each step recomputes the
    candidates with the largest bounds, :data:`RECOMPUTED` at a time, until
    the largest is up to date: the candidate every gain recomputed would
    give, ties to the lowest index included. Recomputing a few more than
    needed changes nothing but the work.
    """
    chosen = np.zeros(len(cx), dtype=np.bool_)
    order = np.empty(k, dtype=np.int64)
    gain = np.empty(len(cx), dtype=np.float64)
    box = _boxes(dx, dy)
    block_best = np.empty(len(box))
    if k:
        _block_max(best, block_best)
        _compute_gains(np.arange(len(cx)), cx, cy, dx, dy, w, best, box, block_best, gain)
    stale = np.zeros(len(cx), dtype=np.bool_)  # gain[c] is only a bound on c's gain now
    for step in range(k):
        pick = int(np.argmax(gain))  # first maximum: ties go to the lowest index
        while stale[pick]:
            bound = np.where(stale, gain, -np.inf)
            top = np.argpartition(bound, -RECOMPUTED)[-RECOMPUTED:] if len(bound) > RECOMPUTED \
                else np.arange(len(bound))
            top = top[stale[top]]
            _compute_gains(top, cx, cy, dx, dy, w, best, box, block_best, gain)
            stale[top] = False
            pick = int(np.argmax(gain))
        chosen[pick] = True
        gain[pick] = -1.0  # below every gain: never chosen again
        order[step] = pick
        _closer(cx[pick], cy[pick], dx, dy, best)
        _block_max(best, block_best)
        stale[:] = ~chosen
    return order


RECOMPUTED = 8 * GROUP
"""Bounds the lazy greedy recomputes at a time (whole groups of :data:`GROUP`)."""


@kernel
def _closer(x, y, dx, dy, best):
    """Lower ``best`` to the distance from ``(x, y)`` where that is nearer."""
    for d in range(len(dx)):
        dist = np.sqrt((x - dx[d]) ** 2 + (y - dy[d]) ** 2)
        if dist < best[d]:
            best[d] = dist
