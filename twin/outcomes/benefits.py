"""Benefit of a scenario for each resident, paired with the baseline, and its
summary by group over replications with small cells suppressed.

Benefit = baseline minus scenario for the same resident in the same
replication (common random numbers), so positive is better:

``minutes_saved_per_week``
    Essential travel minutes saved on the trips made in both runs. A trip that
    was unmet in the baseline and is made in the scenario adds no "loss" (it
    shows in ``unmet_trips_avoided_per_week``); a trip newly unmet adds no
    "saving". Trips no longer needed (e.g. fewer outage days) save their time.
``unmet_trips_avoided_per_week``
    Unmet trips in the baseline minus unmet trips in the scenario.
``newly_basic_water``
    +1 if the household reaches at least basic water service (piped, or a
    round trip with queueing within 30 min; JMP) only in the scenario, -1 if
    it loses it, else 0.
``newly_clinic_within_30min``
    +1 / -1 / 0 likewise for a health facility within 30 min one way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import stdtrit

from twin.core import tally
from twin.outcomes.suppression import MIN_CELL_RESIDENTS, cells_to_suppress
from twin.residents.population import PURPOSES

BENEFITS = {
    "minutes_saved_per_week": "minutes saved per resident-week",
    "unmet_trips_avoided_per_week": "unmet trips avoided per resident-week",
    "newly_basic_water": "net share newly with basic water service",
    "newly_clinic_within_30min": "net share newly with a clinic within 30 min",
}
"""Benefit columns and what their mean per resident reads as."""

AT_LEAST_BASIC_WATER = ("piped", "basic")
"""JMP levels that count as basic water service or better."""


def minutes_saved(
    time_before: np.ndarray,
    made_before: np.ndarray,
    unmet_before: np.ndarray,
    time_after: np.ndarray,
    made_after: np.ndarray,
    unmet_after: np.ndarray,
) -> np.ndarray:
    """Minutes saved per resident on the trips made in both runs.

    Per purpose, with travel time :math:`T`, trips made :math:`m` and unmet
    trips :math:`u` before (b) and after (a):

    - trips enabled :math:`e = \\max(0, \\min(m_a - m_b, u_b - u_a))`,
    - trips disabled :math:`d = \\max(0, \\min(m_b - m_a, u_a - u_b))`,
    - saved :math:`= T_b (m_b - d) / m_b - T_a (m_a - e) / m_a`,

    i.e. enabled and disabled trips are taken out at their run's mean time
    per trip; trips no longer needed keep their saving.

    Parameters
    ----------
    time_before, made_before, unmet_before, time_after, made_after, unmet_after
        float, shape (n, purposes): minutes, trips made and unmet trips per week.

    Returns
    -------
    numpy.ndarray
        float64, shape (n,): minutes saved per week (negative: time lost).
    """
    blocks = [tuple(np.asarray(block, dtype=np.float64).T) for block in (
        time_before, made_before, unmet_before, time_after, made_after, unmet_after)]
    return tally.minutes_saved(blocks[:3], blocks[3:])


def _trips(ledger: pd.DataFrame) -> list[tuple[np.ndarray, ...]]:
    """A ledger frame's travel minutes, trips made and unmet trips, one
    column per purpose each (float64 columns are not copied)."""
    return [tuple(ledger[f"{prefix}_{p}"].to_numpy(dtype=np.float64) for p in PURPOSES)
            for prefix in ("travel_min_per_week", "trips_per_week", "unmet_trips_per_week")]


def paired_benefits(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Per-resident benefit of ``after`` over ``before`` (see the module docstring).

    Parameters
    ----------
    before, after
        Ledger frames (:meth:`twin.abm.CityModel.ledger_frame`) of the same
        residents in the same order and replication, with trips made per
        purpose as ``trips_per_week_<purpose>`` columns.

    Returns
    -------
    pandas.DataFrame
        float32 columns :data:`BENEFITS`, one row per resident.
    """
    if len(before) != len(after) or not np.array_equal(before["resident"], after["resident"]):
        raise ValueError("benefits are paired per resident: both ledgers need the same residents")
    saved = tally.minutes_saved(_trips(before), _trips(after))
    water_before = before["water_service"].isin(AT_LEAST_BASIC_WATER).to_numpy()
    water_after = after["water_service"].isin(AT_LEAST_BASIC_WATER).to_numpy()
    clinic_before = before["clinic_within_30min"].to_numpy()
    clinic_after = after["clinic_within_30min"].to_numpy()
    return pd.DataFrame({
        "minutes_saved_per_week": saved.astype(np.float32),
        "unmet_trips_avoided_per_week": (
            before["unmet_trips_per_week"].to_numpy() - after["unmet_trips_per_week"].to_numpy()
        ).astype(np.float32),
        "newly_basic_water": water_after.astype(np.float32) - water_before.astype(np.float32),
        "newly_clinic_within_30min": clinic_after.astype(np.float32) - clinic_before.astype(np.float32),
    })


def newly_served(benefits: pd.DataFrame) -> np.ndarray:
    """Residents newly served: newly with basic water, newly with a clinic
    within 30 min, or with at least one unmet trip a week avoided on average
    (the unit of cost per newly served resident)."""
    return (
        (benefits["newly_basic_water"].to_numpy() > 0)
        | (benefits["newly_clinic_within_30min"].to_numpy() > 0)
        | (benefits["unmet_trips_avoided_per_week"].to_numpy() > 0)
    )


def mean_ci95(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean over replications (axis 0) with a 95% confidence interval.

    .. math:: \\bar x \\pm t_{0.975,\\,R-1}\\, s / \\sqrt{R}

    with :math:`s` the sample standard deviation (ddof 1) over the R
    replications. One replication gives no interval (NaN bounds).

    Returns
    -------
    mean, low, high
        Arrays of ``values.shape[1:]``.
    """
    values = np.asarray(values, dtype=np.float64)
    replications = values.shape[0]
    mean = values.mean(axis=0)
    if replications < 2:
        nan = np.full_like(mean, np.nan)
        return mean, nan, nan.copy()
    half = stdtrit(replications - 1, 0.975) * values.std(axis=0, ddof=1) / np.sqrt(replications)
    return mean, mean - half, mean + half


def ratio_ci95(numerator: np.ndarray, denominator: np.ndarray) -> tuple[float, float, float]:
    """Ratio of means over paired replications with Fieller's 95% interval.

    Each replication gives a pair (``numerator[r]``, ``denominator[r]``),
    e.g. a yearly cost and the hours it saves in the same simulated runs.
    The interval is the set of ratios :math:`\\theta` that a t test of
    :math:`\\bar x - \\theta \\bar y = 0` does not reject, so it keeps the
    pairs' covariance: a cost that rises with the hours saved (more bus
    trips: more time saved and more fares waived) gives a narrower
    interval than dividing the two intervals' ends.

    Returns
    -------
    ratio, low, high
        ``mean(numerator) / mean(denominator)``; NaN bounds with fewer than
        two replications or where the denominator's own 95% CI contains
        zero (the interval would be unbounded).
    """
    x = np.asarray(numerator, dtype=np.float64)
    y = np.asarray(denominator, dtype=np.float64)
    replications = len(x)
    ratio = float(x.mean() / y.mean()) if y.mean() != 0 else np.nan
    if replications < 2:
        return ratio, np.nan, np.nan
    q = stdtrit(replications - 1, 0.975) ** 2 / replications
    cov = np.cov(x, y, ddof=1)
    a = y.mean() ** 2 - q * cov[1, 1]
    if a <= 0.0:
        return ratio, np.nan, np.nan
    b = x.mean() * y.mean() - q * cov[0, 1]  # half of -b in a*t^2 - 2*b*t + c <= 0
    c = x.mean() ** 2 - q * cov[0, 0]
    root = np.sqrt(max(b * b - a * c, 0.0))  # >= 0 up to rounding: the ratio itself is inside
    return ratio, float((b - root) / a), float((b + root) / a)


def group_benefits(
    groups: pd.DataFrame,
    benefits: pd.DataFrame,
    *,
    replication: np.ndarray,
    weight: float = 1.0,
    k: int = MIN_CELL_RESIDENTS,
) -> pd.DataFrame:
    """Benefit by group, mean over replications with a 95% CI, small cells suppressed.

    Parameters
    ----------
    groups
        One categorical column of group labels per reporting dimension
        (:func:`twin.outcomes.groups.group_columns`), one row per resident
        per replication.
    benefits
        :data:`BENEFITS` columns, rows aligned with ``groups``.
    replication
        int, the replication of each row (0 .. R - 1).
    weight
        People one simulated resident stands for
        (:attr:`twin.outcomes.expansion.Expansion.weight`).
    k
        Cells with fewer than ``k`` residents in any replication are left out
        (with the cells needed to protect them, see
        :func:`twin.outcomes.suppression.cells_to_suppress`).

    Returns
    -------
    pandas.DataFrame
        One row per (dimension, group, metric), the whole population first as
        dimension and group ``all``:

        - ``residents``: simulated residents (mean per replication), ``people``:
          the people they stand for (``residents * weight``);
        - ``mean``, ``ci95_low``, ``ci95_high``: benefit per resident (per
          resident-week for the trip metrics);
        - ``share_of_gains`` (with ``_ci95_low``/``_ci95_high``): the group's
          part of all gains (positive benefits) and ``share_of_losses`` of all
          losses, each computed per replication, so both lie in [0, 1] and a
          group's shares add up over any grouping; NaN where nobody gains
          (loses) at all;
        - ``people_benefiting``: people with a positive benefit (for the two
          ``newly_`` metrics: newly over the threshold), mean per replication.

        ``attrs["suppressed_cells"]`` counts the cells left out.
    """
    replication = np.asarray(replication, dtype=np.intp)
    n_reps = int(replication.max()) + 1
    values = benefits[list(BENEFITS)].to_numpy(dtype=np.float64)
    n_metrics = len(BENEFITS)
    dimensions = {"all": pd.Categorical.from_codes(np.zeros(len(groups), dtype=np.int8), ["all"])}
    dimensions.update({name: pd.Categorical(groups[name]) for name in groups.columns})
    tables, suppressed = [], 0
    n_groups = [len(labels.categories) for labels in dimensions.values()]
    codes = np.empty((len(dimensions), len(groups)), dtype=np.int32)
    for row, labels in zip(codes, dimensions.values()):
        row[:] = labels.codes
    every_count, every_sum = tally.cell_sums(codes, n_groups, replication, n_reps, values)  # one pass
    del codes
    start = 0
    for (dimension, labels), n_group in zip(dimensions.items(), n_groups):
        # each dimension's cells as one contiguous array each, as a call per dimension made them
        cells = slice(start, start + n_group)
        start += n_group
        counts = np.ascontiguousarray(every_count[:, cells])
        sums, gains, losses, positive = np.ascontiguousarray(every_sum[:, :, cells])
        with np.errstate(invalid="ignore", divide="ignore"):
            means = sums / counts[:, :, None]
        mean, low, high = mean_ci95(means)
        gain_share, gain_low, gain_high = mean_ci95(_shares(gains))
        loss_share = mean_ci95(_shares(losses))[0]
        present = counts.sum(axis=0) > 0
        hidden = cells_to_suppress(counts[:, present], k)
        keep = np.flatnonzero(present)[~hidden]
        suppressed += int(hidden.sum())
        residents = counts.mean(axis=0)[keep]
        tables.append(pd.DataFrame({  # rows: each kept group, each metric
            "dimension": dimension,
            "group": np.repeat(np.asarray(labels.categories)[keep].astype(str), n_metrics),
            "metric": np.tile(list(BENEFITS), len(keep)),
            "residents": np.repeat(residents, n_metrics),
            "people": np.repeat(residents * weight, n_metrics),
            "mean": mean[keep].ravel(),
            "ci95_low": low[keep].ravel(),
            "ci95_high": high[keep].ravel(),
            "share_of_gains": gain_share[keep].ravel(),
            "share_of_gains_ci95_low": np.clip(gain_low[keep].ravel(), 0.0, 1.0),
            "share_of_gains_ci95_high": np.clip(gain_high[keep].ravel(), 0.0, 1.0),
            "share_of_losses": loss_share[keep].ravel(),
            "people_benefiting": positive.mean(axis=0)[keep].ravel() * weight,
        }))
    table = pd.concat(tables, ignore_index=True)
    table.attrs["suppressed_cells"] = suppressed
    return table


def _shares(sums: np.ndarray) -> np.ndarray:
    """Each group's part of the replication's total: ``sums`` (replications,
    groups, metrics) over their sum over groups; NaN where that is 0."""
    total = sums.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, sums / total, np.nan)
