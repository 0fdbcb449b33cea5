"""Equity indices equal plain reference implementations of their textbook
definitions, on hand-checkable and random inputs."""

import itertools

import numpy as np
import pytest

from twin.outcomes.equity import (
    concentration_index,
    fractional_rank,
    gini,
    lorenz_share,
    palma,
)


def reference_gini(x):
    """Mean absolute difference over twice the mean."""
    n = len(x)
    total = sum(abs(a - b) for a, b in itertools.product(x, x))
    return total / (2 * n * n * (sum(x) / n))


def reference_concentration_index(h, income):
    """(2 / (n mean)) * sum h_i r_i - 1 with r_i = (rank_i - 0.5) / n
    (O'Donnell et al. 2008, eq. 8.4; distinct incomes)."""
    n = len(h)
    order = sorted(range(n), key=lambda i: income[i])
    rank = {resident: (position + 0.5) / n for position, resident in enumerate(order)}
    mean = sum(h) / n
    return 2.0 / (n * mean) * sum(h[i] * rank[i] for i in range(n)) - 1.0


def reference_top_bottom(x, top, bottom):
    """Shares of the total held by the top and bottom residents (whole residents)."""
    ordered = sorted(x)
    return sum(ordered[len(x) - top:]) / sum(x), sum(ordered[:bottom]) / sum(x)


def test_hand_checked_values():
    x = np.arange(1.0, 11.0)  # 1..10: bottom 40% hold 10/55, top 10% hold 10/55
    assert palma(x) == pytest.approx(1.0)
    assert lorenz_share(x, 0.4) == pytest.approx(10 / 55)
    assert gini(np.array([0.0, 0.0, 0.0, 1.0])) == pytest.approx(0.75)
    assert gini(np.full(7, 3.0)) == 0.0
    # Everything to the richest of four: C = 2 cov / mean = 0.75.
    assert concentration_index(np.array([0.0, 0.0, 0.0, 4.0]), np.array([1, 2, 3, 4])) == pytest.approx(0.75)
    # ... to the poorest: pro-poor, negative.
    assert concentration_index(np.array([4.0, 0.0, 0.0, 0.0]), np.array([1, 2, 3, 4])) == pytest.approx(-0.75)
    assert concentration_index(np.ones(5), np.arange(5)) == pytest.approx(0.0)
    np.testing.assert_allclose(fractional_rank(np.array([3.0, 1.0, 2.0, 2.0])), [0.875, 0.125, 0.5, 0.5])


def test_undefined_is_nan_never_inf():
    zeros = np.zeros(10)
    assert np.isnan(gini(zeros))
    assert np.isnan(palma(zeros))
    assert np.isnan(concentration_index(zeros, np.arange(10)))
    assert np.isnan(palma(np.array([0, 0, 0, 0, 0, 0, 0, 0, 1.0, 1.0])))  # bottom 40% hold nothing


@pytest.mark.parametrize("seed", range(20))
def test_random_inputs_equal_references(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 60))
    x = rng.lognormal(0.0, 1.0, n) * (rng.random(n) < 0.8)  # some zeros
    if x.sum() == 0:
        x[0] = 1.0
    income = rng.permutation(n).astype(float) + rng.random(n)  # distinct
    benefit = rng.normal(0.5, 1.0, n)  # mixed signs
    assert gini(x) == pytest.approx(reference_gini(list(x)), rel=1e-12, abs=1e-12)
    assert concentration_index(benefit, income) == pytest.approx(
        reference_concentration_index(list(benefit), list(income)), rel=1e-9, abs=1e-12)
    assert concentration_index(x, income) == pytest.approx(
        2 * np.cov(x, fractional_rank(income), bias=True)[0, 1] / x.mean(), rel=1e-9, abs=1e-12)
    # Where 10% and 40% fall on whole residents, the Lorenz shares are plain sums.
    m = 10 * int(rng.integers(1, 6))
    y = rng.lognormal(0.0, 1.0, m)
    top, bottom = reference_top_bottom(list(y), m // 10, 4 * m // 10)
    assert palma(y) == pytest.approx(top / bottom, rel=1e-12)
    income_m = rng.random(m)
    poorest = np.argsort(income_m)[: 4 * m // 10]
    assert lorenz_share(y, 0.4, order_by=income_m) == pytest.approx(y[poorest].sum() / y.sum(), rel=1e-12)
