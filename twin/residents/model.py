"""Resident model: the schema of ``models/*.yaml``.

Every number that stands for the world carries its source: a scalar is
``{value: 0.48, source: "..."}``, a table ``{values: ..., source: "..."}``.
A bare number is rejected. Where nothing is sourced the source says so
(``"assumption: ..."``) and the number stays a visible parameter.

Tables are keyed by age band (the keys of ``age_bands``, in that order) or
are lists over income quintiles, poorest first. Residents are people aged 16
and over, who make essential trips on their own.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, TypeVar

import numpy as np
from pydantic import BaseModel, Field, model_validator
from scipy.special import expit, logit, ndtri

from twin._validation import Problem, ProblemsError
from twin.config import (
    NonNegative,
    Number,
    OpenUnit,
    Positive,
    Probability,
    Strict,
    Table,
    Value,
)
from twin.residents.population import CHOICE_PURPOSES, PURPOSES, WATER_SUPPLIES

T = TypeVar("T")

SHARE_TOLERANCE = 1e-6
"""Shares that must sum to 1 may miss it by this much."""

N_QUINTILES = 5


Quintiles = Annotated[list[T], Field(min_length=N_QUINTILES, max_length=N_QUINTILES)]


class Income(Strict):
    """Yearly disposable income in the model's currency: a lognormal from
    ``median`` and ``gini``, or a ``quantiles`` table ``{probability: income}``
    (log income interpolated linearly in the normal score, lognormal tails)."""

    median: Value[Positive] | None = None
    gini: Value[OpenUnit] | None = None
    quantiles: Table[dict[OpenUnit, Positive]] | None = None

    @model_validator(mode="before")
    @classmethod
    def _gini_as_fraction(cls, data: Any) -> Any:
        gini = data.get("gini") if isinstance(data, dict) else None
        value = gini.get("value") if isinstance(gini, dict) else None
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 1:
            raise ProblemsError(
                [Problem("gini.value", f"{value} is not a fraction",
                         "write the Gini as a fraction, e.g. 27.7 -> 0.277")]
            )
        return data

    @model_validator(mode="after")
    def _one_form(self) -> Income:
        lognormal = self.median is not None and self.gini is not None
        partial = (self.median is None) != (self.gini is None)
        if partial or lognormal == (self.quantiles is not None):
            raise ProblemsError(
                [Problem("", "give either median and gini, or quantiles", "use exactly one of the two forms")]
            )
        if self.quantiles is not None:
            knots = sorted(self.quantiles.values.items())
            incomes = [income for _, income in knots]
            if len(knots) < 2 or any(b <= a for a, b in zip(incomes, incomes[1:])):
                raise ProblemsError(
                    [
                        Problem(
                            "quantiles.values",
                            "needs at least two quantiles, incomes rising with probability",
                            "e.g. {0.1: 14000, 0.5: 28000, 0.9: 60000}",
                        )
                    ]
                )
        return self

    @property
    def lognormal_sigma(self) -> float:
        """Log-scale spread of the lognormal with the model's Gini:
        ``G = 2 Phi(sigma / sqrt 2) - 1``."""
        return math.sqrt(2.0) * float(ndtri((self.gini.value + 1.0) / 2.0))

    def quantile(self, probability: np.ndarray) -> np.ndarray:
        """Income at each probability in (0, 1), float64."""
        z = ndtri(np.asarray(probability, dtype=np.float64))
        if self.quantiles is None:
            return self.median.value * np.exp(self.lognormal_sigma * z)
        knots = sorted(self.quantiles.values.items())
        z_knots = ndtri(np.array([p for p, _ in knots]))
        log_income = np.log([income for _, income in knots])
        log_q = np.interp(z, z_knots, log_income)
        low_slope = (log_income[1] - log_income[0]) / (z_knots[1] - z_knots[0])
        high_slope = (log_income[-1] - log_income[-2]) / (z_knots[-1] - z_knots[-2])
        log_q = np.where(z < z_knots[0], log_income[0] + low_slope * (z - z_knots[0]), log_q)
        log_q = np.where(z > z_knots[-1], log_income[-1] + high_slope * (z - z_knots[-1]), log_q)
        return np.exp(log_q)


class ByAgeAndIncome(Strict):
    """Share of residents with an attribute, by age band, tilted by income.

    ``income_odds_ratio`` multiplies the odds by income quintile; within each
    age band the odds are rescaled so that the band's share stays exactly
    ``by_age_band`` (income does not depend on age in the synthesis).
    """

    by_age_band: Table[dict[str, Probability]]
    income_odds_ratio: Table[Quintiles[Positive]]

    def by_age_and_quintile(self, age_bands: list[str]) -> np.ndarray:
        """Probabilities, float64, shape (len(age_bands), 5)."""
        share = np.array([self.by_age_band.values[band] for band in age_bands])
        log_odds_ratio = np.log(self.income_odds_ratio.values)
        base = logit(np.clip(share, 1e-12, 1 - 1e-12))[:, None]
        # Bisect, for all bands at once, the shift that keeps each band's mean.
        low = np.full((len(share), 1), -50.0)
        high = np.full((len(share), 1), 50.0)
        for _ in range(80):
            mid = (low + high) / 2
            too_high = expit(base + mid + log_odds_ratio).mean(axis=1, keepdims=True) > share[:, None]
            high = np.where(too_high, mid, high)
            low = np.where(too_high, low, mid)
        table = expit(base + (low + high) / 2 + log_odds_ratio)
        certain = (share == 0) | (share == 1)
        table[certain] = share[certain, None]
        return table


class Digital(Strict):
    """Smartphone, home internet and digital skills (``can_use_apps`` =
    smartphone and skills). ``correlation`` is the correlation of the three
    latent propensities in one person (0 = independent).

    ``phone`` is the share of residents who can make phone calls (any mobile
    or landline phone). Smartphone owners always can, so it must be at least
    the smartphone share of every age band; the rest are drawn among those
    without a smartphone.
    """

    smartphone: ByAgeAndIncome
    home_internet: ByAgeAndIncome
    digital_skills: ByAgeAndIncome
    correlation: Value[Probability]
    phone: Value[Probability]

    @model_validator(mode="after")
    def _phone_covers_smartphones(self) -> Digital:
        bands = self.smartphone.by_age_band.values
        over = {band: share for band, share in bands.items() if share > self.phone.value}
        if over:
            band, share = max(over.items(), key=lambda item: item[1])
            raise ProblemsError(
                [
                    Problem(
                        "phone.value",
                        f"{self.phone.value} is below the smartphone share of age band {band!r} ({share})",
                        "every smartphone owner has a phone: "
                        "the phone share must be at least each band's smartphone share",
                    )
                ]
            )
        return self


class Mobility(Strict):
    """Reduced mobility by age band; wheelchair users are a share of all
    residents, drawn among those with reduced mobility."""

    reduced_by_age_band: Table[dict[str, Probability]]
    wheelchair_share: Value[Probability]


class Water(Strict):
    """Household water supply (shares of :data:`WATER_SUPPLIES` by income
    quintile), outages of piped supply, trips on a day of fetching, and the
    water points as queues (:mod:`twin.abm.water`): a tap filling one
    container at a time during its opening hours; households choose among
    their ``points_considered`` nearest points by walk plus expected wait and
    move their expectation ``expectation_learning`` of the way to each day's
    wait."""

    supply_by_income_quintile: Table[dict[str, Quintiles[Probability]]]
    piped_outage_days_per_week: Value[Annotated[Number, Field(ge=0, le=7)]]
    trips_per_day: Value[NonNegative]
    tap_flow_l_per_min: Value[Positive]
    container_l: Value[Positive]
    open_hours_per_day: Value[Annotated[Number, Field(gt=0, le=24)]]
    points_considered: Value[Annotated[int, Field(ge=1, le=10)]]
    expectation_learning: Value[Annotated[Number, Field(gt=0, le=1)]]


class Speeds(Strict):
    """Mean speeds by group; each resident's speed is the group mean times
    ``1 + sd_fraction * z`` (z standard normal, clipped to +/- 2)."""

    walking_mps_by_age_band: Table[dict[str, Positive]]
    reduced_mobility_walking_mps: Value[Positive]
    wheelchair_mps: Value[Positive]
    sd_fraction: Value[Annotated[Number, Field(ge=0, lt=0.5)]]


class MaxTripMinutes(Strict):
    """Longest one-way trip a resident will make; a slower trip is unmet.
    ``reduced_mobility`` applies to wheelchair users too."""

    general: Value[Positive]
    reduced_mobility: Value[Positive]


class Segregation(Strict):
    """Spatial clustering of income: ``income_rho`` is the correlation of a
    resident's latent income rank with a smooth random field over home
    locations (0 = no clustering, 1 = fully sorted), ``length_scale_m`` the
    field's neighbourhood scale."""

    income_rho: Value[Probability]
    length_scale_m: Value[Positive]


class Travel(Strict):
    """Costs of a trip beyond walking the network. ``value_of_time_per_hour``
    is the value of travel time at the median income; a resident's scales with
    (income / median) ** ``value_of_time_income_elasticity``."""

    parking_search_time_s: Value[NonNegative]
    parking_walk_m: Value[NonNegative]
    value_of_time_per_hour: Value[Positive]
    value_of_time_income_elasticity: Value[Annotated[Number, Field(ge=0, le=2)]]
    car_cost_per_km: Value[NonNegative]
    parking_cost_per_trip: Value[NonNegative]
    paratransit_expectation_learning: Value[Annotated[Number, Field(ge=0, le=1)]]
    """After each day with bookings, the share of the way a paratransit
    rider's expectations move to the day's: of being served (the share
    served), and of a leg's time beyond the direct drive (the mean over
    their served legs; first: half the pickup window). Exponential
    smoothing; 0: riders never learn."""
    transit_fare_budget_share: Value[OpenUnit] | None = None
    """A resident takes public transport only if a round trip's fares are at
    most this share of a day's income (none: no limit)."""


ByChoicePurpose = Table[dict[str, Number]]


class Choice(Strict):
    """Destination and mode choice (:mod:`twin.core.choice`): a nested logit,
    mode above destination, over the ``destinations_considered`` nearest
    facilities of each purpose in ``CHOICE_PURPOSES``. Tables are keyed by
    those purposes. Utilities are of a round trip: on foot
    ``walk_per_km`` times the distance; by car ``car_time_per_min`` times the
    time plus the money cost valued at the resident's value of time; mode
    constants relative to the car, whose constant is
    ``car_user_constant + car_density_coefficient * cars per resident``.
    By public transport (a scenario with ``transit:``): ``transit_time_per_min``
    times the round trip's time plus its fares valued at the resident's value
    of time, and ``transit_constant``."""

    destinations_considered: Value[Annotated[int, Field(ge=1, le=16)]]
    logsum_coefficient: ByChoicePurpose
    walk_per_km: ByChoicePurpose
    car_time_per_min: ByChoicePurpose
    walk_constant: ByChoicePurpose
    car_user_constant: ByChoicePurpose
    car_density_coefficient: ByChoicePurpose
    transit_constant: ByChoicePurpose
    transit_time_per_min: ByChoicePurpose


class ResidentModel(Strict):
    """Who lives in a city and how they travel (``models/<name>.yaml``).

    ``trips_per_week`` gives, for each purpose except water (which follows
    the water supply), the weekly trips by age band.
    """

    name: Annotated[str, Field(min_length=1)]
    description: str
    currency: Annotated[str, Field(min_length=1)]
    age_bands: Table[dict[str, Probability]]
    income: Income
    car_by_income_quintile: Table[Quintiles[Probability]]
    digital: Digital
    mobility: Mobility
    water: Water
    trips_per_week: Table[dict[str, dict[str, NonNegative]]]
    speeds: Speeds
    max_trip_minutes: MaxTripMinutes
    segregation: Segregation
    travel: Travel
    choice: Choice

    @property
    def age_band_labels(self) -> list[str]:
        """Age bands in order; ``Residents.age_band`` indexes this list."""
        return list(self.age_bands.values)

    @property
    def reduced_mobility_share(self) -> float:
        """Expected share of residents with reduced mobility."""
        shares = self.age_bands.values
        return sum(shares[band] * self.mobility.reduced_by_age_band.values[band] for band in shares)

    def sources(self) -> dict[str, str]:
        """The source of every sourced number or table, by dotted field."""
        found: dict[str, str] = {}

        def walk(node: Any, field: str) -> None:
            if isinstance(node, (Value, Table)):
                found[field] = node.source
            elif isinstance(node, BaseModel):
                for name in type(node).model_fields:
                    walk(getattr(node, name), f"{field}.{name}" if field else name)

        walk(self, "")
        return found

    @model_validator(mode="after")
    def _consistent(self) -> ResidentModel:
        problems = self._share_problems() + self._key_problems()
        if not problems and self.mobility.wheelchair_share.value > self.reduced_mobility_share:
            problems.append(
                Problem(
                    "mobility.wheelchair_share.value",
                    f"exceeds the expected share with reduced mobility ({self.reduced_mobility_share:.4f})",
                    "wheelchair users are drawn among residents with reduced mobility",
                )
            )
        if problems:
            raise ProblemsError(problems)
        return self

    def _share_problems(self) -> list[Problem]:
        problems = []
        total = sum(self.age_bands.values.values())
        if not self.age_bands.values:
            problems.append(Problem("age_bands.values", "no age bands", 'e.g. {"16-64": 0.8, "65+": 0.2}'))
        elif abs(total - 1) > SHARE_TOLERANCE:
            problems.append(Problem("age_bands.values", f"shares sum to {total:.6g}, not 1", "rescale them"))
        supply = self.water.supply_by_income_quintile.values
        if set(supply) == set(WATER_SUPPLIES):
            for quintile in range(N_QUINTILES):
                total = sum(shares[quintile] for shares in supply.values())
                if abs(total - 1) > SHARE_TOLERANCE:
                    problems.append(
                        Problem(
                            "water.supply_by_income_quintile.values",
                            f"supply shares of quintile {quintile + 1} sum to {total:.6g}, not 1",
                            "each quintile's shares must sum to 1",
                        )
                    )
        return problems

    def _key_problems(self) -> list[Problem]:
        bands = self.age_band_labels
        purposes = [p for p in PURPOSES if p != "water"]
        expected = {
            "water.supply_by_income_quintile.values": (
                self.water.supply_by_income_quintile.values,
                list(WATER_SUPPLIES),
            ),
            "trips_per_week.values": (self.trips_per_week.values, purposes),
            "digital.smartphone.by_age_band.values": (self.digital.smartphone.by_age_band.values, bands),
            "digital.home_internet.by_age_band.values": (self.digital.home_internet.by_age_band.values, bands),
            "digital.digital_skills.by_age_band.values": (self.digital.digital_skills.by_age_band.values, bands),
            "mobility.reduced_by_age_band.values": (self.mobility.reduced_by_age_band.values, bands),
            "speeds.walking_mps_by_age_band.values": (self.speeds.walking_mps_by_age_band.values, bands),
        }
        from twin.world import CHOICE_TABLES

        for name in CHOICE_TABLES:
            expected[f"choice.{name}.values"] = (getattr(self.choice, name).values, list(CHOICE_PURPOSES))
        for purpose in purposes:
            if purpose in self.trips_per_week.values:
                expected[f"trips_per_week.values.{purpose}"] = (self.trips_per_week.values[purpose], bands)
        problems = []
        for field, (table, keys) in expected.items():
            missing = [key for key in keys if key not in table]
            unknown = [key for key in table if key not in keys]
            if missing or unknown:
                parts = [f"missing {', '.join(map(repr, missing))}" if missing else "",
                         f"unknown {', '.join(map(repr, unknown))}" if unknown else ""]
                fix = f"use exactly the keys {', '.join(keys)}"
                if field == "trips_per_week.values":
                    fix += "; water trips follow the water supply"
                problems.append(Problem(field, "; ".join(p for p in parts if p), fix))
        return problems
