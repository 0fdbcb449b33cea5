"""Equity indices: how a benefit or a burden is spread over residents.

All functions take one value per resident (numpy arrays) and return a float,
NaN where the index is undefined (a zero total), never inf.
"""

from __future__ import annotations

import numpy as np

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
    n = len(values)
    if n == 0 or values.ndim != 1 or values.dtype.kind not in "fiu" or np.isnan(values[np.argmax(values)]):
        from scipy.stats import rankdata  # here: scipy.stats takes 0.3 s to import

        return (rankdata(values, method="average") - 0.5) / n  # NaN (first at argmax) ranks NaN
    # scipy's ranks without its stable sort (2.5x slower for a million incomes):
    # a tie group at sorted positions start .. end - 1 has mean rank (start + 1 + end) / 2
    order = np.argsort(values)
    ranked = values[order]
    starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])
    ends = np.r_[starts[1:], n]
    rank = np.empty(n, dtype=np.float64)
    rank[order] = np.repeat((starts + ends + 1) * 0.5, ends - starts)
    return (rank - 0.5) / n


def concentration_index(outcome: np.ndarray, rank_by: np.ndarray, *, ranked: bool = False) -> float:
    """Concentration index of ``outcome`` over the rank of ``rank_by``,
    normalised by the mean absolute outcome so that it stays in [-1, 1] when
    some residents gain and others lose.

    .. math:: C = \\frac{2\\,\\mathrm{cov}(h, r)}{\\overline{|h|}}

    with :math:`h` the outcome, :math:`r` the fractional rank of ``rank_by``
    (:func:`fractional_rank`) and the population covariance (divided by n).
    Where no outcome is negative, :math:`\\overline{|h|} = \\bar h` and C is
    the standard concentration index (Kakwani, Wagstaff & van Doorslaer 1997,
    J. Econometrics 77:87-103), to the bit. The standard index divides by
    :math:`\\bar h` instead, which nears 0 when gains and losses offset: it
    then leaves [-1, 1] and means nothing (O'Donnell et al. 2008, *Analyzing
    Health Equity Using Household Survey Data*, World Bank, ch. 8). Dividing
    by the mean absolute value (gains plus losses) is the normalisation of
    Raffinetti, Siletti & Vernizzi for concentration coefficients of
    variables with negative values (Stat. Methods Appl. 2015, 24:507-521,
    doi:10.1007/s10260-014-0293-4; the concentration coefficient in Social
    Indicators Research 2017, "Analyzing the effects of negative and
    non-negative values on income inequality"; R package GiniWegNeg's
    ``PGini_RSV``, which ranks ties by position). It reads as the gains' and the
    losses' standard indices weighted by their totals G and L:

    .. math:: C = \\frac{G\\, C_{\\mathrm{gains}} - L\\, C_{\\mathrm{losses}}}{G + L}

    so over income rank C < 0 (pro-poor) means the gains go mostly to the
    poor or the losses mostly to the rich, C > 0 (pro-rich) the other way
    round, for a net gain and a net loss alike, and :math:`|C| \\le 1 - 1/n`.
    Erreygers' corrected index (J. Health Econ. 2009, 28:504-515) was not
    used: it needs a priori bounds of the outcome, which time saved has not
    (the sample's range would make it shrink as residents are added).

    Parameters
    ----------
    outcome
        One value per resident (e.g. minutes saved per week, < 0: lost).
    rank_by
        What residents are ranked by (e.g. income).
    ranked
        ``rank_by`` is already :func:`fractional_rank` of it (to rank once
        for many outcomes).

    Returns
    -------
    float
        In [-1, 1]; NaN when every outcome is 0 (nothing to distribute).
    """
    h = np.asarray(outcome, dtype=np.float64)
    scale = np.abs(h).mean()
    if scale == 0.0:
        return float("nan")
    r = rank_by if ranked else fractional_rank(rank_by)
    return float(2.0 * np.mean((h - h.mean()) * (r - r.mean())) / scale)


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
    return _gini_sorted(np.sort(np.asarray(values, dtype=np.float64)))


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
    return _lorenz_sorted(x[order], x.sum(), fraction)


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
    x = np.asarray(values, dtype=np.float64)
    return _palma_sorted(np.sort(x), x.sum())


def gini_and_palma(values: np.ndarray) -> tuple[float, float]:
    """:func:`gini` and :func:`palma` of ``values`` from one sort (the same
    numbers, to the bit)."""
    x = np.asarray(values, dtype=np.float64)
    ordered = np.sort(x)
    return _gini_sorted(ordered), _palma_sorted(ordered, x.sum())


def _gini_sorted(x: np.ndarray) -> float:
    n, total = len(x), x.sum()
    if total == 0.0:
        return float("nan")
    i = np.arange(1, n + 1, dtype=np.float64)
    return float(np.sum((2.0 * i - n - 1.0) * x) / (n * total))


def _lorenz_sorted(x: np.ndarray, total: float, fraction: float) -> float:
    """:func:`lorenz_share` of ``x`` already in Lorenz order; ``total``
    summed in the values' own order (sums in another order may differ in the
    last bit)."""
    if total == 0.0:
        return float("nan")
    cumulative = np.concatenate(([0.0], np.cumsum(x)))
    return float(np.interp(fraction * len(x), np.arange(len(x) + 1), cumulative) / total)


def _palma_sorted(x: np.ndarray, total: float) -> float:
    bottom = _lorenz_sorted(x, total, BOTTOM_SHARE)
    if not bottom > 0.0:
        return float("nan")
    return float((1.0 - _lorenz_sorted(x, total, 1.0 - TOP_SHARE)) / bottom)
