"""Equity indices: how a benefit or a burden is spread over residents.

All functions take one value per resident (numpy arrays) and return a float,
NaN where the index is undefined (a zero total), never inf.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

BOTTOM_SHARE = 0.4
"""The poorest 40% by income (Palma's denominator; the World Bank's shared-prosperity group)."""

TOP_SHARE = 0.1
"""The richest 10% (Palma's numerator)."""


def fractional_rank(values: np.ndarray) -> np.ndarray:
    """Fractional rank in (0, 1): ``(rank - 0.5) / n``, ties sharing their mean rank.

    Parameters
    ----------
    values
        One value per resident (e.g. income).

    Returns
    -------
    numpy.ndarray
        float64, mean 0.5.
    """
    values = np.asarray(values)
    return (rankdata(values, method="average") - 0.5) / len(values)


def concentration_index(outcome: np.ndarray, rank_by: np.ndarray, *, ranked: bool = False) -> float:
    """Concentration index of ``outcome`` over the rank of ``rank_by``.

    .. math:: C = \\frac{2\\,\\mathrm{cov}(h, r)}{\\bar h}

    with :math:`h` the outcome, :math:`r` the fractional rank of ``rank_by``
    (:func:`fractional_rank`) and the population covariance (divided by n).
    Over income rank, C < 0 means the outcome goes mostly to the poor
    (pro-poor), C > 0 to the rich, 0 equally; C is in [-1, 1] when the
    outcome is >= 0. For a net loss (:math:`\\bar h < 0`) the sign reads the
    other way round.

    Parameters
    ----------
    outcome
        One value per resident (e.g. minutes saved per week).
    rank_by
        What residents are ranked by (e.g. income).
    ranked
        ``rank_by`` is already :func:`fractional_rank` of it (to rank once
        for many outcomes).

    Returns
    -------
    float
        NaN when the mean outcome is 0 (nothing to distribute).
    """
    h = np.asarray(outcome, dtype=np.float64)
    mean = h.mean()
    if mean == 0.0:
        return float("nan")
    r = rank_by if ranked else fractional_rank(rank_by)
    return float(2.0 * np.mean((h - mean) * (r - r.mean())) / mean)


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative ``values``.

    .. math:: G = \\frac{\\sum_i \\sum_j |x_i - x_j|}{2 n^2 \\bar x}

    computed in O(n log n) from the sorted values :math:`x_{(1)} \\le ... \\le x_{(n)}`
    as :math:`G = \\sum_i (2i - n - 1)\\, x_{(i)} / (n^2 \\bar x)`.

    Returns
    -------
    float
        In [0, 1 - 1/n]; NaN when every value is 0.
    """
    x = np.sort(np.asarray(values, dtype=np.float64))
    n, total = len(x), x.sum()
    if total == 0.0:
        return float("nan")
    i = np.arange(1, n + 1, dtype=np.float64)
    return float(np.sum((2.0 * i - n - 1.0) * x) / (n * total))


def lorenz_share(values: np.ndarray, fraction: float, *, order_by: np.ndarray | None = None) -> float:
    """Share of the total of ``values`` held by the first ``fraction`` of
    residents in the order of ``order_by`` (default: ``values`` themselves).

    The Lorenz (or concentration) curve through :math:`(i/n, \\sum_{j \\le i} x_{(j)} / \\sum x)`
    is interpolated linearly, so a cut inside a resident takes that part of
    their value; ties in ``order_by`` are broken by position (stable sort).

    Returns
    -------
    float
        NaN when the total is 0.
    """
    x = np.asarray(values, dtype=np.float64)
    order = np.argsort(x if order_by is None else np.asarray(order_by), kind="stable")
    total = x.sum()
    if total == 0.0:
        return float("nan")
    cumulative = np.concatenate(([0.0], np.cumsum(x[order])))
    return float(np.interp(fraction * len(x), np.arange(len(x) + 1), cumulative) / total)


def palma(values: np.ndarray) -> float:
    """Palma ratio of non-negative ``values``: the share held by the top 10%
    over the share held by the bottom 40%, ranked by the values themselves.

    .. math:: P = \\frac{1 - L(0.9)}{L(0.4)}

    with :math:`L` the Lorenz curve (:func:`lorenz_share`).

    Returns
    -------
    float
        NaN when the bottom 40% hold nothing (or the total is 0).
    """
    bottom = lorenz_share(values, BOTTOM_SHARE)
    if not bottom > 0.0:
        return float("nan")
    return float((1.0 - lorenz_share(values, 1.0 - TOP_SHARE)) / bottom)
