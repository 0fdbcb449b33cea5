"""Synthetic residents from a resident model, vectorised over all residents.

Order of draws (all from one ``np.random.default_rng(seed)``): homes by
weight; income, clustered in space through a Gaussian copula; age band; car
by income quintile; smartphone, home internet and skills by age and income;
reduced mobility by age and wheelchair among those; water supply by income
quintile; personal speed; phone among those without a smartphone (drawn last,
so adding it left every earlier attribute unchanged for a seed).
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

from twin.city.arrays import City
from twin.core.jit import kernel
from twin.residents.model import N_QUINTILES, ByAgeAndIncome, ResidentModel
from twin.residents.population import PURPOSES, WATER_SUPPLIES, Residents
from twin.residents.spatial import smooth_random_field

SPEED_Z_CLIP = 2.0
"""Personal speed deviations are clipped to this many standard deviations,
which keeps every speed positive (``sd_fraction < 0.5``)."""


def synthesize_for_city(model: ResidentModel, city: City, n: int, *, seed: int) -> Residents:
    """Synthesize ``n`` residents living at ``city``'s home nodes.

    See :func:`synthesize`; homes, weights and coordinates come from ``city``.
    """
    walk = city.streets["walk"]
    return synthesize(
        model,
        n,
        home_node=city.home_node,
        home_weight=city.home_weight,
        home_x_m=walk.x_m[city.home_node],
        home_y_m=walk.y_m[city.home_node],
        seed=seed,
    )


def synthesize(
    model: ResidentModel,
    n: int,
    *,
    home_node: np.ndarray,
    home_weight: np.ndarray,
    home_x_m: np.ndarray,
    home_y_m: np.ndarray,
    seed: int,
) -> Residents:
    """Synthesize ``n`` residents.

    Parameters
    ----------
    model
        The resident model.
    n
        Number of residents.
    home_node, home_weight, home_x_m, home_y_m
        Candidate homes: walk-graph node, relative number of residents (>= 0,
        some > 0) and projected coordinates, one entry per candidate.
    seed
        Seed of ``np.random.default_rng``; the same seed and inputs give
        identical residents.

    Returns
    -------
    The residents. Income follows the model's distribution exactly (income
    at rank ``r`` is the model's quantile ``(r + 0.5) / n``) whatever the
    segregation; ``income_quintile`` is by rank in this population.
    """
    weight = _check_homes(n, home_node, home_weight, home_x_m, home_y_m)
    rng = np.random.default_rng(seed)
    bands = model.age_band_labels

    home = rng.choice(len(weight), size=n, p=weight / weight.sum())
    # Number residents along the street-node order (spatially coherent), so
    # neighbours in the arrays are neighbours in the city: the day kernel's
    # look-ups into per-node fields then hit memory that is already cached.
    home = home[stable_order(np.asarray(home_node)[home])]
    income, income_quintile = _income(model, home, np.asarray(home_x_m), np.asarray(home_y_m), rng)
    age_band = _categorical(rng, np.array([model.age_bands.values[b] for b in bands]), n)

    car_share = np.array(model.car_by_income_quintile.values, dtype=np.float32)
    has_car = rng.random(n, dtype=np.float32) < car_share[income_quintile - 1]

    cell = age_band.astype(np.intp) * N_QUINTILES + (income_quintile - 1)
    digital = model.digital
    common = rng.standard_normal(n, dtype=np.float32)
    smartphone, home_internet, digital_skills = (
        _correlated_flag(rng, common, digital.correlation.value, attribute, bands, cell)
        for attribute in (digital.smartphone, digital.home_internet, digital.digital_skills)
    )

    reduced_share = _by_age(model.mobility.reduced_by_age_band.values, bands)
    reduced_mobility = rng.random(n, dtype=np.float32) < reduced_share[age_band]
    wheelchair_given_reduced = model.mobility.wheelchair_share.value / model.reduced_mobility_share
    wheelchair = reduced_mobility & (rng.random(n, dtype=np.float32) < wheelchair_given_reduced)

    water_supply = _water_supply(model, income_quintile, rng)
    outage = np.float32(model.water.piped_outage_days_per_week.value)
    piped = water_supply == WATER_SUPPLIES.index("piped")
    outage_days_per_week = np.where(piped, outage, np.float32(0))
    speed_mps = _speed_mps(model, age_band, reduced_mobility, wheelchair, rng)
    phone = _phone(model, bands, cell, smartphone, rng)

    return Residents(
        income=income,
        income_quintile=income_quintile,
        age_band=age_band,
        has_car=has_car,
        smartphone=smartphone,
        home_internet=home_internet,
        digital_skills=digital_skills,
        phone=phone,
        can_use_apps=smartphone & digital_skills,
        reduced_mobility=reduced_mobility,
        wheelchair=wheelchair,
        water_supply=water_supply,
        outage_days_per_week=outage_days_per_week,
        home_node=np.asarray(home_node)[home].astype(np.int32),
        speed_mps=speed_mps,
        max_trip_time_s=_max_trip_time_s(model, reduced_mobility),
        trips_per_week=_trips_per_week(model)[age_band],
    )


def stable_order(keys: np.ndarray) -> np.ndarray:
    """``np.argsort(keys, kind="stable")`` of integer keys >= 0, by counting
    (one pass to count each key, one to place each index) where the keys
    span no more than a few times their number: street nodes for a million
    residents, 12 ms instead of a 120 ms comparison sort."""
    keys = np.asarray(keys)
    if keys.ndim != 1 or keys.dtype.kind not in "iu" or len(keys) == 0 or keys.min() < 0 \
            or keys.max() > 4 * len(keys) + 1024:
        return np.argsort(keys, kind="stable")
    order = np.empty(len(keys), dtype=np.intp)
    _counting_order(keys, int(keys.max()) + 1, order)
    return order


def distinct_order(values: np.ndarray) -> np.ndarray:
    """``np.argsort(values, kind="stable")`` of floats: numpy's quicksort
    (SIMD, 3x faster for a million) where no two values are equal, as there
    is one order then; else the stable sort (ties keep their order)."""
    values = np.asarray(values)
    order = np.argsort(values)
    ranked = values[order]
    if len(ranked) and ((ranked[1:] == ranked[:-1]).any() or np.isnan(ranked[-1])):  # NaN sorts last
        return np.argsort(values, kind="stable")
    return order


@kernel
def _counting_order(keys, n_keys, order):
    start = np.zeros(n_keys + 1, dtype=np.int64)
    for key in keys:
        start[key + 1] += 1
    for key in range(n_keys):
        start[key + 1] += start[key]
    for i in range(len(keys)):
        order[start[keys[i]]] = i
        start[keys[i]] += 1


def _check_homes(n, home_node, home_weight, home_x_m, home_y_m) -> np.ndarray:
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    weight = np.asarray(home_weight, dtype=np.float64)
    lengths = {len(home_node), len(weight), len(home_x_m), len(home_y_m)}
    if len(lengths) != 1:
        raise ValueError(f"home_node, home_weight, home_x_m, home_y_m differ in length: {sorted(lengths)}")
    if not np.all(np.isfinite(weight)) or np.any(weight < 0) or weight.sum() <= 0:
        raise ValueError("home_weight must be finite, >= 0 and not all 0")
    return weight


def _income(
    model: ResidentModel,
    home: np.ndarray,
    home_x_m: np.ndarray,
    home_y_m: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Income and quintile by a Gaussian copula over a smooth spatial field:
    ``latent = rho * field(home) + sqrt(1 - rho^2) * noise``, income = the
    model's quantile at the latent's rank."""
    n = len(home)
    length_scale_m = model.segregation.length_scale_m.value
    # Evaluate the field where it is cheaper: at all candidate homes or at each resident's.
    if len(home_x_m) <= n:
        field = smooth_random_field(home_x_m, home_y_m, length_scale_m=length_scale_m, rng=rng)[home]
    else:
        field = smooth_random_field(home_x_m[home], home_y_m[home], length_scale_m=length_scale_m, rng=rng)
    spread = field.std() if n else 0.0
    field = (field - field.mean()) / spread if spread > 0 else np.zeros(n)
    rho = model.segregation.income_rho.value
    latent = rho * field + np.sqrt(1.0 - rho**2) * rng.standard_normal(n)

    order = distinct_order(latent)
    rank = np.arange(n)
    income = np.empty(n, dtype=np.float32)
    income[order] = model.income.quantile((rank + 0.5) / n)
    quintile = np.empty(n, dtype=np.int8)
    quintile[order] = rank * N_QUINTILES // max(n, 1) + 1
    return income, quintile


def _categorical(rng: np.random.Generator, shares: np.ndarray, n: int) -> np.ndarray:
    """int8 category indices drawn with the given shares."""
    bounds = np.cumsum(shares)[:-1]
    return np.searchsorted(bounds, rng.random(n), side="right").astype(np.int8)


def _by_age(table: dict[str, float], bands: list[str]) -> np.ndarray:
    return np.array([table[band] for band in bands], dtype=np.float32)


def _correlated_flag(
    rng: np.random.Generator,
    common: np.ndarray,
    correlation: float,
    attribute: ByAgeAndIncome,
    bands: list[str],
    cell: np.ndarray,
) -> np.ndarray:
    """A flag with probability ``attribute`` in each (age, quintile) cell,
    whose latent normal has correlation ``correlation`` with other flags
    drawn with the same ``common`` factor."""
    threshold = ndtri(attribute.by_age_and_quintile(bands)).astype(np.float32).ravel()
    own = rng.standard_normal(len(common), dtype=np.float32)
    latent = np.float32(np.sqrt(correlation)) * common + np.float32(np.sqrt(1.0 - correlation)) * own
    return latent < threshold[cell]


def _phone(
    model: ResidentModel,
    bands: list[str],
    cell: np.ndarray,
    smartphone: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Phone: every smartphone owner, plus others drawn in each (age, income)
    cell so that the cell's share is the model's phone share (or the
    smartphone share, where that is higher)."""
    with_smartphone = model.digital.smartphone.by_age_and_quintile(bands).ravel()
    share = model.digital.phone.value
    others = np.clip((share - with_smartphone) / np.maximum(1.0 - with_smartphone, 1e-12), 0.0, 1.0)
    return smartphone | (rng.random(len(cell), dtype=np.float32) < others.astype(np.float32)[cell])


def _water_supply(model: ResidentModel, quintile: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """int8 index into WATER_SUPPLIES, drawn with the shares of each quintile."""
    shares = model.water.supply_by_income_quintile.values
    bounds = np.cumsum([shares[s] for s in WATER_SUPPLIES], axis=0)[:-1].astype(np.float32)
    u = rng.random(len(quintile), dtype=np.float32)
    supply = np.zeros(len(quintile), dtype=np.int8)
    for bound in bounds:  # one pass per supply kind, not per resident
        supply += u >= bound[quintile - 1]
    return supply


def _speed_mps(
    model: ResidentModel,
    age_band: np.ndarray,
    reduced_mobility: np.ndarray,
    wheelchair: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Group mean (age band; reduced mobility walks no faster than its speed;
    wheelchair) times a personal factor."""
    speeds = model.speeds
    speed = _by_age(speeds.walking_mps_by_age_band.values, model.age_band_labels)[age_band]
    slow = np.float32(speeds.reduced_mobility_walking_mps.value)
    speed = np.where(reduced_mobility, np.minimum(speed, slow), speed)
    speed = np.where(wheelchair, np.float32(speeds.wheelchair_mps.value), speed)
    z = np.clip(rng.standard_normal(len(speed), dtype=np.float32), -SPEED_Z_CLIP, SPEED_Z_CLIP)
    return speed * (np.float32(1) + np.float32(speeds.sd_fraction.value) * z)


def _max_trip_time_s(model: ResidentModel, reduced_mobility: np.ndarray) -> np.ndarray:
    limits = model.max_trip_minutes
    minutes = np.where(
        reduced_mobility, np.float32(limits.reduced_mobility.value), np.float32(limits.general.value)
    )
    return minutes * np.float32(60)


def _trips_per_week(model: ResidentModel) -> np.ndarray:
    """float32 table, shape (n_age_bands, len(PURPOSES)); water is 0."""
    bands = model.age_band_labels
    table = np.zeros((len(bands), len(PURPOSES)), dtype=np.float32)
    for purpose, by_age in model.trips_per_week.values.items():
        table[:, PURPOSES.index(purpose)] = _by_age(by_age, bands)
    return table
