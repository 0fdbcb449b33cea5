"""Paired per-resident benefits and their summary by group: hand-checked
cases, a plain pandas reference, and small-cell suppression."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from twin.outcomes.benefits import (
    BENEFITS,
    group_benefits,
    mean_ci95,
    minutes_saved,
    newly_served,
    paired_benefits,
    ratio_ci95,
)
from twin.residents.population import PURPOSES


def one_purpose(time_b, made_b, unmet_b, time_a, made_a, unmet_a):
    arrays = [np.array([[v]], dtype=float) for v in (time_b, made_b, unmet_b, time_a, made_a, unmet_a)]
    return float(minutes_saved(*arrays)[0])


@pytest.mark.parametrize(
    "case, expected",
    [
        ((40, 2, 0, 40, 2, 0), 0.0),  # nothing changes
        ((40, 2, 0, 30, 2, 0), 10.0),  # faster trips
        ((60, 2, 0, 30, 1, 0), 30.0),  # a trip no longer needed saves its time
        ((0, 0, 2, 40, 2, 0), 0.0),  # trips made possible are not a loss
        ((20, 1, 1, 30, 2, 0), 5.0),  # one trip enabled; the other got 5 min faster
        ((40, 2, 0, 25, 1, 1), -5.0),  # one trip newly unmet is not a saving; the other got slower
    ],
)
def test_minutes_saved_hand_checked(case, expected):
    assert one_purpose(*case) == pytest.approx(expected)


def ledger(travel, unmet, trips, water, clinic):
    """A minimal ledger frame: the same numbers for every purpose."""
    n = len(travel)
    frame = {"resident": np.arange(n)}
    for purpose in PURPOSES:
        frame[f"travel_min_per_week_{purpose}"] = np.asarray(travel, float)
        frame[f"unmet_trips_per_week_{purpose}"] = np.asarray(unmet, float)
        frame[f"trips_per_week_{purpose}"] = np.asarray(trips, float)
    frame["unmet_trips_per_week"] = len(PURPOSES) * np.asarray(unmet, float)
    frame["water_service"] = pd.Categorical(water, ["piped", "basic", "limited", "no_access"])
    frame["clinic_within_30min"] = np.asarray(clinic)
    return pd.DataFrame(frame)


def test_paired_benefits_columns_and_thresholds():
    before = ledger([10, 10, 10], [1, 0, 0], [1, 1, 1], ["limited", "basic", "piped"], [False, True, True])
    after = ledger([10, 5, 10], [0, 0, 0], [2, 1, 1], ["basic", "limited", "piped"], [True, False, True])
    b = paired_benefits(before, after)
    assert list(b.columns) == list(BENEFITS)
    assert (b.dtypes == np.float32).all()
    np.testing.assert_array_equal(b["minutes_saved_per_week"], [len(PURPOSES) * 5.0, len(PURPOSES) * 5.0, 0.0])
    np.testing.assert_array_equal(b["unmet_trips_avoided_per_week"], [len(PURPOSES), 0, 0])
    np.testing.assert_array_equal(b["newly_basic_water"], [1, -1, 0])
    np.testing.assert_array_equal(b["newly_clinic_within_30min"], [1, -1, 0])
    np.testing.assert_array_equal(newly_served(b), [True, False, False])
    assert (paired_benefits(before, before).to_numpy() == 0).all()
    with pytest.raises(ValueError, match="paired"):
        paired_benefits(before, after.iloc[:2])


@pytest.mark.parametrize("replications", [2, 3, 10])
def test_mean_ci95_is_the_t_interval(replications):
    values = np.random.default_rng(replications).normal(size=(replications, 4))
    mean, low, high = mean_ci95(values)
    for j in range(4):
        expected = stats.t.interval(0.95, replications - 1, loc=values[:, j].mean(),
                                    scale=stats.sem(values[:, j]))
        assert (low[j], high[j]) == pytest.approx(expected)
    np.testing.assert_allclose(mean, values.mean(axis=0))


def test_mean_ci95_with_one_replication_has_no_interval():
    mean, low, high = mean_ci95(np.array([[1.0, 2.0]]))
    np.testing.assert_array_equal(mean, [1.0, 2.0])
    assert np.isnan(low).all() and np.isnan(high).all()


@pytest.fixture
def random_groups():
    """3 replications of 200 residents; group 'tiny' has 3 residents, 'small' 12."""
    rng = np.random.default_rng(7)
    reps, n = 3, 200
    labels = np.array(["big"] * 120 + ["mid"] * 65 + ["small"] * 12 + ["tiny"] * 3)
    groups = pd.DataFrame({
        "sized": np.concatenate([rng.permutation(labels) for _ in range(reps)]),
        "coin": rng.choice(["heads", "tails"], reps * n),
    })
    benefits = pd.DataFrame({m: rng.normal(1.0, 2.0, reps * n).astype(np.float32) for m in BENEFITS})
    return groups, benefits, np.repeat(np.arange(reps), n)


def test_group_benefits_equal_a_pandas_reference(random_groups):
    groups, benefits, replication = random_groups
    table = group_benefits(groups, benefits, replication=replication, weight=2.5, k=1)
    for dimension in groups.columns:
        frame = benefits.assign(group=groups[dimension], replication=replication)
        per_rep = frame.groupby(["replication", "group"]).mean()
        for (group, metric), rows in table[table["dimension"] == dimension].groupby(["group", "metric"]):
            row = rows.iloc[0]
            values = per_rep.xs(group, level="group")[metric].to_numpy(float)
            low, high = stats.t.interval(0.95, 2, loc=values.mean(), scale=stats.sem(values))
            assert row["mean"] == pytest.approx(values.mean(), rel=1e-6)
            assert (row["ci95_low"], row["ci95_high"]) == pytest.approx((low, high), rel=1e-6)
            in_group = frame["group"] == group
            value = frame[metric].astype(float)
            for part, sign in (("gains", 1.0), ("losses", -1.0)):
                own = (sign * value).clip(lower=0.0)
                shares = (own[in_group].groupby(replication[in_group]).sum()
                          / own.groupby(replication).sum()).to_numpy()
                assert row[f"share_of_{part}"] == pytest.approx(shares.mean(), rel=1e-6)
                assert 0.0 <= row[f"share_of_{part}"] <= 1.0
            assert row["residents"] == in_group.sum() / 3
            assert row["people"] == pytest.approx(2.5 * in_group.sum() / 3)
            assert row["people_benefiting"] == pytest.approx(2.5 * (frame.loc[in_group, metric] > 0).sum() / 3)
    everyone = table[table["dimension"] == "all"]
    assert (everyone["group"] == "all").all() and (everyone["residents"] == 200).all()
    assert (everyone["share_of_gains"] == 1.0).all()
    # A group's shares add up over any grouping, and stay within [0, 1]
    # however gains and losses mix (the old share of the net total did not).
    for dimension in groups.columns:
        shares = table[table["dimension"] == dimension].groupby("metric")["share_of_gains"].sum()
        np.testing.assert_allclose(shares, 1.0, rtol=1e-9)
    low, high = table["share_of_gains_ci95_low"], table["share_of_gains_ci95_high"]
    assert ((0.0 <= low) & (low <= table["share_of_gains"]) & (high <= 1.0)).all()


def test_small_cells_and_the_cells_that_would_reveal_them_are_suppressed(random_groups):
    groups, benefits, replication = random_groups
    table = group_benefits(groups, benefits, replication=replication, k=10)
    shown = set(table.loc[table["dimension"] == "sized", "group"])
    # 'tiny' (3 < 10) alone could be recovered as all - big - mid - small, so
    # the next smallest cell goes too: together they hold 15 >= 10.
    assert shown == {"big", "mid"}
    assert table.attrs["suppressed_cells"] == 2
    assert set(table.loc[table["dimension"] == "coin", "group"]) == {"heads", "tails"}
    # Both cells of a two-group dimension go when one is small.
    coin = groups.assign(coin=np.where(groups["sized"] == "tiny", "rare", "common"))
    table = group_benefits(coin, benefits, replication=replication, k=10)
    assert "rare" not in set(table["group"]) and "common" not in set(table["group"])


def test_ratio_ci95_bounds_are_where_the_paired_t_test_just_rejects():
    """Fieller's interval, checked against its definition: at each bound
    the t statistic of mean(x - theta y) is exactly t(0.975, R-1)."""
    rng = np.random.default_rng(5)
    hours = rng.normal(1000.0, 80.0, 6)
    cost = 50.0 * hours + rng.normal(0.0, 2000.0, 6)  # a cost that moves with the hours
    ratio, low, high = ratio_ci95(cost, hours)
    assert ratio == pytest.approx(cost.mean() / hours.mean())
    assert low < ratio < high
    for theta in (low, high):
        d = cost - theta * hours
        assert abs(d.mean()) / (d.std(ddof=1) / np.sqrt(6)) == pytest.approx(stats.t.ppf(0.975, 5))
    # dividing the ends of the two intervals ignores the pairing: wider
    _, cost_low, cost_high = mean_ci95(cost)
    _, hours_low, hours_high = mean_ci95(hours)
    assert cost_low / hours_high < low and high < cost_high / hours_low


def test_ratio_ci95_of_a_fixed_numerator_divides_by_the_denominators_interval():
    hours = np.array([900.0, 1000.0, 1150.0, 1050.0])
    _, hours_low, hours_high = mean_ci95(hours)
    ratio, low, high = ratio_ci95(np.full(4, 3e5), hours)
    assert (low, high) == pytest.approx((3e5 / hours_high, 3e5 / hours_low))
    # a denominator whose CI contains zero gives no interval; one replication neither
    assert np.isnan(ratio_ci95(np.ones(3), np.array([-1.0, 0.5, 1.0]))[1:]).all()
    assert np.isnan(ratio_ci95(np.ones(1), np.ones(1))[1:]).all()
