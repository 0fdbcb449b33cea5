"""Synthesized residents follow their resident model."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest
from scipy.spatial import cKDTree

from twin.city.arrays import City, StreetArrays
from twin.residents import PURPOSES, WATER_SUPPLIES, Residents, load_resident_model, synthesize
from twin.residents.synthesize import synthesize_for_city

DTYPES = {
    "income": np.float32,
    "income_quintile": np.int8,
    "age_band": np.int8,
    "has_car": np.bool_,
    "smartphone": np.bool_,
    "home_internet": np.bool_,
    "digital_skills": np.bool_,
    "phone": np.bool_,
    "can_use_apps": np.bool_,
    "reduced_mobility": np.bool_,
    "wheelchair": np.bool_,
    "water_supply": np.int8,
    "outage_days_per_week": np.float32,
    "home_node": np.int32,
    "speed_mps": np.float32,
    "max_trip_time_s": np.float32,
    "trips_per_week": np.float32,
}


def assert_share(flags: np.ndarray, p: float, label: str) -> None:
    """The share of ``flags`` is ``p`` within 4 binomial standard errors."""
    n = flags.size
    assert n > 0, f"{label}: empty group"
    p_hat = flags.mean()
    tolerance = 4 * np.sqrt(p * (1 - p) / n)
    assert abs(p_hat - p) <= tolerance + 1e-9, f"{label}: {p_hat:.4f} vs model {p:.4f} (n={n}, tol {tolerance:.4f})"


def test_arrays_follow_the_contract(population):
    model, residents = population
    n = len(residents)
    assert {f.name for f in fields(Residents)} == set(DTYPES)
    for name, dtype in DTYPES.items():
        array = getattr(residents, name)
        assert array.dtype == dtype, name
        assert array.shape == ((n, len(PURPOSES)) if name == "trips_per_week" else (n,)), name
    assert residents.nbytes / n <= 150


def test_age_bands_match_model(population):
    model, residents = population
    for index, (band, share) in enumerate(model.age_bands.values.items()):
        assert_share(residents.age_band == index, share, f"age {band}")


def test_income_follows_model_and_quintiles_split_by_rank(population):
    model, residents = population
    income = residents.income.astype(np.float64)
    median = model.income.quantile(np.array([0.5]))[0]
    assert abs(np.median(income) / median - 1) < 1e-3
    counts = np.bincount(residents.income_quintile, minlength=6)[1:]
    assert np.all(np.abs(counts - len(income) / 5) <= 1)
    for q in range(1, 5):
        assert income[residents.income_quintile == q].max() <= income[residents.income_quintile == q + 1].min()
    if model.income.gini is not None:
        ordered = np.sort(income)
        n = len(ordered)
        gini = 2 * np.sum(np.arange(1, n + 1) * ordered) / (n * ordered.sum()) - (n + 1) / n
        assert abs(gini - model.income.gini.value) < 0.005


def test_car_and_water_by_income_quintile(population):
    model, residents = population
    piped = residents.water_supply == WATER_SUPPLIES.index("piped")
    for q in range(1, 6):
        group = residents.income_quintile == q
        assert_share(residents.has_car[group], model.car_by_income_quintile.values[q - 1], f"car q{q}")
        share = model.water.supply_by_income_quintile.values["piped"][q - 1]
        assert_share(piped[group], share, f"piped q{q}")


def test_digital_access_by_age_band_and_income(population):
    model, residents = population
    bands = model.age_band_labels
    for name in ("smartphone", "home_internet", "digital_skills"):
        attribute = getattr(model.digital, name)
        flags = getattr(residents, name)
        table = attribute.by_age_and_quintile(bands)
        for a, band in enumerate(bands):
            in_band = residents.age_band == a
            assert_share(flags[in_band], attribute.by_age_band.values[band], f"{name} {band}")
            for q in range(1, 6):
                cell = in_band & (residents.income_quintile == q)
                assert_share(flags[cell], table[a, q - 1], f"{name} {band} q{q}")


def test_phone_share_and_every_smartphone_owner_has_a_phone(population):
    model, residents = population
    assert np.all(residents.phone[residents.smartphone])
    for a, band in enumerate(model.age_band_labels):
        assert_share(residents.phone[residents.age_band == a], model.digital.phone.value, f"phone {band}")


def test_income_gradient_keeps_each_age_band_share():
    model = load_resident_model("nairobi_informal")
    attribute = model.digital.smartphone
    table = attribute.by_age_and_quintile(model.age_band_labels)
    shares = np.array(list(attribute.by_age_band.values.values()))
    np.testing.assert_allclose(table.mean(axis=1), shares, atol=1e-9)
    assert np.all(np.diff(table, axis=1) > 0)  # the odds ratios rise with income
    flat = load_resident_model("helsinki").digital.smartphone
    helsinki_bands = load_resident_model("helsinki").age_band_labels
    expected = np.array([flat.by_age_band.values[b] for b in helsinki_bands])
    np.testing.assert_allclose(flat.by_age_and_quintile(helsinki_bands), expected[:, None].repeat(5, 1), atol=1e-9)


def test_mobility_by_age_band(population):
    model, residents = population
    for a, band in enumerate(model.age_band_labels):
        share = model.mobility.reduced_by_age_band.values[band]
        assert_share(residents.reduced_mobility[residents.age_band == a], share, f"reduced mobility {band}")
    assert_share(residents.wheelchair, model.mobility.wheelchair_share.value, "wheelchair")


def test_invariants(population):
    model, residents = population
    np.testing.assert_array_equal(residents.can_use_apps, residents.smartphone & residents.digital_skills)
    assert not np.any(residents.wheelchair & ~residents.reduced_mobility)
    piped = residents.water_supply == WATER_SUPPLIES.index("piped")
    assert np.all(residents.outage_days_per_week[~piped] == 0)
    assert np.allclose(residents.outage_days_per_week[piped], model.water.piped_outage_days_per_week.value)
    assert np.all(residents.trips_per_week[:, PURPOSES.index("water")] == 0)
    for a, band in enumerate(model.age_band_labels):
        rows = residents.trips_per_week[residents.age_band == a]
        for purpose, by_age in model.trips_per_week.values.items():
            assert np.all(rows[:, PURPOSES.index(purpose)] == np.float32(by_age[band]))
    limits = model.max_trip_minutes
    expected_s = np.where(residents.reduced_mobility, limits.reduced_mobility.value, limits.general.value) * 60
    np.testing.assert_allclose(residents.max_trip_time_s, expected_s)


def test_speeds(population):
    model, residents = population
    assert np.all(residents.speed_mps > 0)
    spread = model.speeds.sd_fraction.value
    wheel = residents.speed_mps[residents.wheelchair]
    mean = model.speeds.wheelchair_mps.value
    assert abs(wheel.mean() - mean) <= 4 * spread * mean / np.sqrt(wheel.size)
    walkers = ~residents.reduced_mobility
    for a, band in enumerate(model.age_band_labels):
        speed = residents.speed_mps[walkers & (residents.age_band == a)]
        mean = model.speeds.walking_mps_by_age_band.values[band]
        assert abs(speed.mean() - mean) <= 4 * spread * mean / np.sqrt(speed.size), band
    slow = model.speeds.reduced_mobility_walking_mps.value
    rm_walkers = residents.speed_mps[residents.reduced_mobility & ~residents.wheelchair]
    assert rm_walkers.max() <= slow * (1 + 2 * spread) + 1e-5


def test_homes_follow_weights(population, homes):
    _, residents = population
    assert np.all(np.isin(residents.home_node, homes.node))
    counts = np.bincount(residents.home_node, minlength=len(homes.node))
    assert np.all(counts[homes.weight == 0] == 0)
    expected = homes.weight / homes.weight.sum() * len(residents)
    busy = expected > 100
    assert np.all(np.abs(counts[busy] - expected[busy]) <= 5 * np.sqrt(expected[busy]))


def test_same_seed_same_residents_other_seed_differs(homes):
    model = load_resident_model("nairobi_informal")
    first, again, other = (synthesize(model, 20_000, **homes.kwargs(), seed=s) for s in (1, 1, 2))
    for f in fields(Residents):
        np.testing.assert_array_equal(getattr(first, f.name), getattr(again, f.name), err_msg=f.name)
    assert not np.array_equal(first.income, other.income)
    assert not np.array_equal(first.home_node, other.home_node)
    assert not np.array_equal(first.smartphone, other.smartphone)


def _with_income_rho(model, rho: float):
    segregation = model.segregation
    income_rho = segregation.income_rho.model_copy(update={"value": rho})
    return model.model_copy(update={"segregation": segregation.model_copy(update={"income_rho": income_rho})})


def _neighbour_rank_correlation(residents: Residents, homes, k: int = 8) -> float:
    """Correlation between a resident's income rank and the mean income rank
    of the residents of the k nearest other occupied homes."""
    n = len(residents)
    rank = np.argsort(np.argsort(residents.income, kind="stable")) / n
    counts = np.bincount(residents.home_node, minlength=len(homes.node))
    occupied = np.flatnonzero(counts)
    mean_rank = np.bincount(residents.home_node, weights=rank, minlength=len(homes.node))[occupied] / counts[occupied]
    points = np.c_[homes.x_m[occupied], homes.y_m[occupied]]
    _, neighbours = cKDTree(points).query(points, k=k + 1)
    neighbour_mean = np.full(len(homes.node), np.nan)
    neighbour_mean[occupied] = mean_rank[neighbours[:, 1:]].mean(axis=1)
    return float(np.corrcoef(rank, neighbour_mean[residents.home_node])[0, 1])


def test_segregation_clusters_income_and_keeps_its_distribution(homes):
    model = load_resident_model("helsinki")
    mixed = synthesize(_with_income_rho(model, 0.0), 100_000, **homes.kwargs(), seed=3)
    sorted_ = synthesize(_with_income_rho(model, 0.9), 100_000, **homes.kwargs(), seed=3)
    low, high = _neighbour_rank_correlation(mixed, homes), _neighbour_rank_correlation(sorted_, homes)
    assert abs(low) < 0.05
    assert high > 0.5
    np.testing.assert_array_equal(np.sort(mixed.income), np.sort(sorted_.income))


def test_synthesize_for_city_uses_home_nodes_and_their_coordinates():
    # Six walk nodes on a line; homes at nodes 4 (west, far) and 1 (east).
    x_m = np.array([0.0, 5000.0, 10.0, 20.0, -5000.0, 30.0])
    empty_i = np.zeros(0, dtype=np.int32)
    walk = StreetArrays(
        mode="walk",
        indptr=np.zeros(7, dtype=np.int32),
        indices=empty_i,
        weight=np.zeros(0),
        x_m=x_m,
        y_m=np.zeros(6),
        lon=np.zeros(6),
        lat=np.zeros(6),
        osmid=np.arange(6, dtype=np.int64),
    )
    city = City(
        name="line",
        crs="EPSG:32635",
        streets={"walk": walk},
        facilities={},
        home_node=np.array([4, 1], dtype=np.int32),
        home_weight=np.array([1.0, 3.0]),
        home_weight_source="street_length",
        walk_to_drive=np.zeros(6, dtype=np.int32),
        source_hash="test",
    )
    model = _with_income_rho(load_resident_model("helsinki"), 1.0)
    residents = synthesize_for_city(model, city, 4_000, seed=0)
    assert set(np.unique(residents.home_node)) == {1, 4}
    assert_share(residents.home_node == 1, 0.75, "home weight")
    # Fully sorted income: the two homes, 10 km apart, hold the two ends of the distribution.
    west, east = residents.income[residents.home_node == 4], residents.income[residents.home_node == 1]
    assert west.max() <= east.min() or east.max() <= west.min()


@pytest.mark.parametrize("bad", ["lengths", "weights"])
def test_bad_home_arrays_are_rejected(homes, bad):
    model = load_resident_model("helsinki")
    kwargs = homes.kwargs()
    if bad == "lengths":
        kwargs["home_x_m"] = kwargs["home_x_m"][:-1]
    else:
        kwargs["home_weight"] = np.zeros_like(homes.weight)
    with pytest.raises(ValueError):
        synthesize(model, 10, **kwargs, seed=0)


@pytest.mark.parametrize("seed", range(5))
def test_stable_order_is_numpy_s_stable_argsort(seed):
    from twin.residents.synthesize import stable_order

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 5000))
    for high in (1, 7, n, 3 * n, 10 * n + 5000):  # the last past counting: numpy's sort
        for dtype in (np.int32, np.int64, np.uint16):
            keys = rng.integers(0, min(high, np.iinfo(dtype).max), n).astype(dtype)
            np.testing.assert_array_equal(stable_order(keys), np.argsort(keys, kind="stable"), strict=True)
    np.testing.assert_array_equal(stable_order(np.array([3, -1, 3, 0])), [1, 3, 0, 2])
    assert len(stable_order(np.array([], np.int32))) == 0


@pytest.mark.parametrize("seed", range(4))
def test_distinct_order_is_numpy_s_stable_argsort(seed):
    from twin.residents.synthesize import distinct_order

    rng = np.random.default_rng(seed)
    latent = rng.standard_normal(20_000)
    for values in (latent, np.round(latent, 2), latent.astype(np.float32), np.r_[latent, np.nan, latent[:5]],
                   np.array([0.0, -0.0, 1.0, -0.0]), latent[:1], latent[:0]):
        np.testing.assert_array_equal(distinct_order(values), np.argsort(values, kind="stable"), strict=True)
