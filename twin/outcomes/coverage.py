"""What the city's data sees: the share of each true need that each data
source sees, by group, over replications, small cells suppressed.

twin knows every synthetic resident, so it can measure what a data source
misses. A need is a weight per resident (how much of it they have); a
source's coverage of a need in a group is the need of the residents it sees
over the need of all of them, per replication, then the mean over
replications with a 95% CI (:func:`twin.outcomes.benefits.mean_ci95`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from twin.data_sources import NEED_NAMES, DataSources
from twin.outcomes.benefits import mean_ci95
from twin.outcomes.suppression import MIN_CELL_RESIDENTS, cells_to_suppress
from twin.residents.population import WATER_SUPPLIES, Residents

DAYS_PER_WEEK = 7.0


def water_need(residents: Residents) -> np.ndarray:
    """Days a week the household fetches water: every day off premises,
    on outage days with piped water."""
    off = residents.water_supply == WATER_SUPPLIES.index("off_premises")
    return np.where(off, DAYS_PER_WEEK, residents.outage_days_per_week).astype(np.float64)


def digital_help_need(residents: Residents) -> np.ndarray:
    """1 for a resident who cannot use apps (whom access centres are for)."""
    return (~residents.can_use_apps).astype(np.float64)


def mobility_help_need(residents: Residents) -> np.ndarray:
    """1 for a resident with reduced mobility (wheelchair users included),
    whom paratransit is for."""
    return residents.reduced_mobility.astype(np.float64)


def presence(residents: Residents) -> np.ndarray:
    """1 for everyone: is the resident in the data at all."""
    return np.ones(len(residents))


NEEDS = {
    "water": (water_need, "fetching water (days a week)"),
    "digital_help": (digital_help_need, "help with digital services (cannot use apps)"),
    "mobility_help": (mobility_help_need, "help to travel (reduced mobility)"),
    "presence": (presence, "being counted at all (every resident)"),
}
"""Need name -> (weight per resident, what it is in words)."""
assert tuple(NEEDS) == NEED_NAMES, "twin.data_sources.NEED_NAMES lists these needs"

UNDER_SEEN_RATIO = 0.8
"""A group is named under-seen only if a source sees under this share of
what it sees overall (a reporting threshold, not a figure about the world:
a 97% against 95% difference is clear with many residents but not worth a
planner's attention)."""


def observed_columns(residents: Residents, sources: DataSources, *, seed: int) -> pd.DataFrame:
    """One replication's needs and sightings, one row per resident:
    ``need_<need>`` (float32) and ``seen_<source>`` (bool), the same
    sightings the siting of that replication uses."""
    columns = {f"need_{name}": fn(residents).astype(np.float32) for name, (fn, _) in NEEDS.items()}
    columns.update({f"seen_{name}": sources.seen(name, residents, seed=seed) for name in sources.sources})
    return pd.DataFrame(columns)


def coverage_table(
    groups: pd.DataFrame,
    observed: pd.DataFrame,
    *,
    replication: np.ndarray,
    weight: float = 1.0,
    k: int = MIN_CELL_RESIDENTS,
) -> pd.DataFrame:
    """Share of each need each source sees, by group.

    Parameters
    ----------
    groups
        One categorical column of group labels per reporting dimension, one
        row per resident per replication.
    observed
        :func:`observed_columns` of every replication, rows aligned with ``groups``.
    replication
        int, the replication of each row (0 .. R - 1).
    weight
        People one simulated resident stands for.
    k
        A group is left out when it, its residents with the need, or those
        without it (if any) are fewer than ``k`` in any replication, with the
        groups needed to protect it (:func:`_shown`; every source shares the
        cells).

    Returns
    -------
    pandas.DataFrame
        One row per (source, need, dimension, group), the whole population
        first as dimension and group ``all``: ``residents_with_need`` (mean
        per replication), ``people_with_need``, ``share_seen`` with
        ``ci95_low`` / ``ci95_high`` (clipped to 0-1), NaN where a
        replication's group has none of the need.
        ``attrs["suppressed_cells"]`` counts the cells left out per source.
    """
    replication = np.asarray(replication)
    n_reps = int(replication.max()) + 1
    sources = [c.removeprefix("seen_") for c in observed.columns if c.startswith("seen_")]
    dimensions = {"all": pd.Categorical.from_codes(np.zeros(len(groups), dtype=np.int8), ["all"])}
    dimensions.update({name: pd.Categorical(groups[name]) for name in groups.columns})
    rows, suppressed = [], 0
    for need in NEEDS:
        need_w = observed[f"need_{need}"].to_numpy(np.float64)
        for dimension, labels in dimensions.items():
            n_groups = len(labels.categories)
            cell = replication * n_groups + labels.codes
            shape = (n_reps, n_groups)

            def per_cell(values, cell=cell, shape=shape):
                return np.bincount(cell, weights=values, minlength=shape[0] * shape[1]).reshape(shape)

            with_need = per_cell((need_w > 0).astype(np.float64))
            without_need = per_cell((need_w <= 0).astype(np.float64))
            total = per_cell(need_w)
            keep = _shown(with_need, without_need, k)
            suppressed += int((with_need.sum(axis=0) > 0).sum() - len(keep))
            names = np.asarray(labels.categories)[keep].astype(str)
            for source in sources:
                seen = per_cell(need_w * observed[f"seen_{source}"].to_numpy())
                with np.errstate(invalid="ignore", divide="ignore"):
                    share = np.where(total > 0, seen / total, np.nan)
                mean, low, high = mean_ci95(share[:, keep])
                rows.append(pd.DataFrame({
                    "source": source, "need": need, "dimension": dimension, "group": names,
                    "residents_with_need": with_need.mean(axis=0)[keep],
                    "people_with_need": with_need.mean(axis=0)[keep] * weight,
                    "share_seen": mean,
                    "ci95_low": np.clip(low, 0.0, 1.0),
                    "ci95_high": np.clip(high, 0.0, 1.0),
                }))
    table = pd.concat(rows, ignore_index=True)
    table.attrs["suppressed_cells"] = suppressed
    return table


def _shown(with_need: np.ndarray, without_need: np.ndarray, k: int) -> np.ndarray:
    """Groups whose coverage may be shown.

    A shown group publishes its residents with the need, and so (its size
    being published elsewhere) those without it. Each of the three margins
    (group sizes, residents with the need, without it; shape (replications,
    groups) each) is protected as its own table
    (:func:`~twin.outcomes.suppression.cells_to_suppress`), and a group
    hidden in one margin is hidden in all, until no margin hides more: so
    neither a total minus the shown groups nor two margins together single
    anyone out. Groups no one is in (in a margin) are left out of it; a
    group with no one in need is not shown.
    """
    margins = [with_need + without_need, with_need, without_need]
    hidden = np.zeros(with_need.shape[1], dtype=bool)
    while True:
        grown = hidden.copy()
        for counts in margins:
            present = counts.sum(axis=0) > 0
            grown[present] |= cells_to_suppress(counts[:, present], k, start=grown[present])
        if (grown == hidden).all():
            break
        hidden = grown
    return np.flatnonzero((with_need.sum(axis=0) > 0) & ~hidden)


def under_seen(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of :func:`coverage_table` whose group a source clearly sees
    less of than the whole population: the group's 95% CI lies below the
    overall one's and its share is under :data:`UNDER_SEEN_RATIO` of the
    overall share (with one replication there is no CI, and no group is named).
    Columns as the table's plus ``overall``, ``overall_ci95_low`` and
    ``overall_ci95_high``; lowest share first."""
    overall = table[table["dimension"] == "all"][["source", "need", "share_seen", "ci95_low", "ci95_high"]]
    overall = overall.rename(columns={"share_seen": "overall", "ci95_low": "overall_ci95_low",
                                      "ci95_high": "overall_ci95_high"})
    groups = table[table["dimension"] != "all"].merge(overall, on=["source", "need"])
    below = ((groups["ci95_high"] < groups["overall_ci95_low"])
             & (groups["share_seen"] < UNDER_SEEN_RATIO * groups["overall"])).to_numpy()
    return groups[below].sort_values(["source", "need", "share_seen"], kind="stable").reset_index(drop=True)
