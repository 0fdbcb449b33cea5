"""Equity indices equal plain reference implementations of their textbook
definitions, on hand-checkable and random inputs."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.outcomes.equity import (
    concentration_index,
    fractional_rank,
    gini,
    gini_and_palma,
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
    (O'Donnell et al. 2008, eq. 8.4; distinct incomes): the standard index."""
    n = len(h)
    order = sorted(range(n), key=lambda i: income[i])
    rank = {resident: (position + 0.5) / n for position, resident in enumerate(order)}
    mean = sum(h) / n
    return 2.0 / (n * mean) * sum(h[i] * rank[i] for i in range(n)) - 1.0


def reference_rsv_index(h, income):
    """GiniWegNeg's PGini_RSV with unit weights, transcribed (distinct incomes):
    (2/n^2 sum s_i i - (n+1)/n^2 sum s) / ((T+ + |T-|) / n), s ordered by income."""
    n = len(h)
    s = [h[i] for i in sorted(range(n), key=lambda i: income[i])]
    numerator = 2.0 / n**2 * sum(value * (i + 1) for i, value in enumerate(s)) - (n + 1) / n**2 * sum(s)
    return numerator / (sum(abs(value) for value in s) / n)


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
        reference_rsv_index(list(benefit), list(income)), rel=1e-9, abs=1e-12)
    assert concentration_index(x, income) == pytest.approx(
        reference_concentration_index(list(x), list(income)), rel=1e-9, abs=1e-12)
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


def plain_concentration_index(h, income):
    """The standard formula as twin computed it before gains and losses were
    normalised apart: 2 cov(h, r) / mean(h)."""
    r = fractional_rank(income)
    return float(2.0 * np.mean((h - h.mean()) * (r - r.mean())) / h.mean())


mixed_signs = st.lists(st.floats(-1e3, 1e3, allow_nan=False, allow_subnormal=False), min_size=2, max_size=60)


@settings(max_examples=400, deadline=None)
@given(mixed_signs, st.randoms(use_true_random=False))
def test_concentration_index_stays_in_bounds_with_mixed_signs(values, random):
    h = np.array(values)
    income = np.array([random.random() for _ in values])
    index = concentration_index(h, income)
    if not np.abs(h).any():
        assert np.isnan(index)
    else:
        assert -1.0 <= index <= 1.0
        assert abs(index) <= 1.0 - 1.0 / len(h) + 1e-12
        # The gains' and the losses' standard indices, weighted by their totals.
        gains, losses = np.maximum(h, 0.0), np.maximum(-h, 0.0)
        g, loss = gains.sum(), losses.sum()
        c_gains = concentration_index(gains, income) if g else 0.0
        c_losses = concentration_index(losses, income) if loss else 0.0
        assert index == pytest.approx((g * c_gains - loss * c_losses) / (g + loss), rel=1e-9, abs=1e-9)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(0.0, 1e3, allow_nan=False, allow_subnormal=False), min_size=2, max_size=60)
       .filter(lambda v: sum(v) > 0), st.randoms(use_true_random=False))
def test_without_losers_the_index_is_the_standard_one_to_the_bit(values, random):
    h = np.array(values)
    income = np.array([random.randint(0, 5) for _ in values])  # ties too
    assert concentration_index(h, income) == plain_concentration_index(h, income)
    assert concentration_index(-h, income) == -plain_concentration_index(h, income)  # a net loss


def test_sign_reads_the_same_way_for_gains_and_losses():
    income = np.arange(1.0, 9.0)  # residents poorest first
    # Pro-poor: the poor gain, the rich lose a little; the mean gain is near 0,
    # where the standard index blows up.
    pro_poor = np.array([5.0, 4.0, 2.0, 0.0, 0.0, -1.0, -4.0, -5.9])
    assert abs(plain_concentration_index(pro_poor, income)) > 1.0
    assert -1.0 <= concentration_index(pro_poor, income) < -0.5
    # Pro-rich: the mirror image.
    assert concentration_index(pro_poor[::-1], income) == pytest.approx(-concentration_index(pro_poor, income))
    # Nobody gains; the poor lose most: pro-rich (> 0), though the standard
    # index of a net loss reads < 0.
    losses = -np.array([6.0, 5.0, 4.0, 3.0, 2.0, 1.0, 0.0, 0.0])
    assert concentration_index(losses, income) > 0.0 > plain_concentration_index(losses, income)
    # Gains and losses spread evenly over income: 0.
    assert concentration_index(np.tile([1.0, -1.0], 4), np.repeat([1.0, 2.0, 3.0, 4.0], 2)) == 0.0


@pytest.mark.parametrize("seed", range(5))
def test_ranking_once_gives_the_same_numbers(seed):
    rng = np.random.default_rng(seed)
    n = 5000
    income = rng.lognormal(7.0, 0.6, n).astype(np.float32)
    income[: n // 10] = income[n // 10: n // 5]  # ties
    rank = fractional_rank(income)
    travel = rng.gamma(2.0, 60.0, n).astype(np.float32) * (rng.random(n) < 0.9)
    travel[:7] = -0.0
    for benefit in (rng.normal(0.1, 3.0, n).astype(np.float32), np.maximum(rng.normal(0.0, 1.0, n), 0.0)):
        assert concentration_index(benefit, rank, ranked=True) == concentration_index(benefit, income)
    assert gini_and_palma(travel) == (gini(travel), palma(travel))
    assert palma(travel) == (1.0 - lorenz_share(travel, 0.9)) / lorenz_share(travel, 0.4)


@pytest.mark.parametrize("seed", range(4))
def test_fractional_rank_is_scipy_s_average_rank_to_the_bit(seed):
    from scipy.stats import rankdata

    rng = np.random.default_rng(seed)
    income = rng.lognormal(10.0, 0.8, 30_000)
    for values in (income, income.astype(np.float32), np.round(income, -3), rng.integers(0, 50, 999),
                   np.array([0.0, -0.0, 2.0]), income[:1], np.r_[income[:50], np.nan]):
        expected = (rankdata(values, method="average") - 0.5) / len(values)
        np.testing.assert_array_equal(fractional_rank(values), expected, strict=True)
