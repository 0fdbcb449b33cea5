"""Who is who: resident groups for reporting, and per-group summaries with
small cells suppressed so no one can be singled out."""

from __future__ import annotations

import numpy as np
import pandas as pd

from twin.outcomes.suppression import MIN_CELL_RESIDENTS, cells_to_suppress  # noqa: F401 (re-exported)

CONNECTIVITY = ("none", "mobile_only", "broadband")
MOBILITY = ("car", "no_car", "reduced_mobility", "wheelchair")


def connectivity_group(frame: pd.DataFrame) -> pd.Categorical:
    """``broadband`` (home internet), ``mobile_only`` (smartphone, no home
    internet) or ``none``."""
    code = np.where(frame["home_internet"], 2, np.where(frame["smartphone"], 1, 0))
    return pd.Categorical.from_codes(code, CONNECTIVITY)


def mobility_group(frame: pd.DataFrame) -> pd.Categorical:
    """The most limiting of: ``wheelchair``, ``reduced_mobility``, else
    ``car`` or ``no_car``."""
    code = np.where(
        frame["wheelchair"], 3,
        np.where(frame["reduced_mobility"], 2, np.where(frame["has_car"], 0, 1)),
    )
    return pd.Categorical.from_codes(code, MOBILITY)


def group_columns(frame: pd.DataFrame) -> dict[str, pd.Series]:
    """Every reporting dimension: name -> group label per resident
    (categorical: connectivity and mobility with all their groups in
    :data:`CONNECTIVITY` and :data:`MOBILITY` order; the others with the
    groups present, sorted, as ``pd.Categorical`` of the labels makes them)."""
    quintile = frame["income_quintile"].to_numpy().astype(int)
    low = int(quintile.min()) if len(quintile) else 0
    high = int(quintile.max()) if len(quintile) else -1
    return {
        "income_quintile": _labels(quintile - low, [f"Q{q}" for q in range(low, high + 1)],
                                   frame["income_quintile"]),
        "connectivity": pd.Series(connectivity_group(frame), index=frame.index),
        "apps": _labels(frame["can_use_apps"].to_numpy().astype(np.int8), ["cannot_use_apps", "can_use_apps"],
                        frame["can_use_apps"]),
        "mobility": pd.Series(mobility_group(frame), index=frame.index),
        "water_supply": _categories_present(frame["water_supply"]),
    }


def _labels(codes: np.ndarray, names: list[str], like: pd.Series) -> pd.Series:
    """Labels ``names[codes]`` with the index and name of ``like``: the
    names present, sorted, as categories. Made from the codes: strings for
    a million residents (``astype(str)``, then factorised again) cost 0.2 s
    a dimension."""
    counts = np.bincount(codes, minlength=len(names))
    present = sorted(np.flatnonzero(counts), key=lambda c: names[c])
    code_of = np.zeros(len(names), dtype=np.int8 if len(present) < 128 else np.int32)
    code_of[present] = np.arange(len(present))
    labels = pd.Categorical.from_codes(code_of[codes], [names[c] for c in present])
    return pd.Series(labels, index=like.index, name=like.name)


def _categories_present(values: pd.Series) -> pd.Series:
    """String labels of ``values`` as categories present, sorted."""
    if isinstance(values.dtype, pd.CategoricalDtype) and not values.isna().any():
        names = [str(c) for c in values.cat.categories]
        if len(set(names)) == len(names):
            return _labels(values.cat.codes.to_numpy(), names, values)
    return pd.Series(pd.Categorical(values.astype(str)), index=values.index, name=values.name)


def group_table(frame: pd.DataFrame, *, k: int = MIN_CELL_RESIDENTS) -> pd.DataFrame:
    """Weekly essential travel and unmet trips per group.

    Rows are (dimension, group); a group with fewer than ``k`` residents,
    and the groups needed to protect it
    (:func:`twin.outcomes.suppression.cells_to_suppress`), keep their row but
    every figure, the count included, is suppressed (NaN).
    """
    rows = []
    for dimension, labels in group_columns(frame).items():
        grouped = frame.groupby(labels.to_numpy(), observed=True, sort=True)
        summary = pd.DataFrame({
            "residents": grouped.size(),
            "travel_min_per_week": grouped["essential_travel_min_per_week"].mean(),
            "unmet_trips_per_week": grouped["unmet_trips_per_week"].mean(),
            "share_with_unmet": grouped["unmet_trips_per_week"].apply(lambda s: (s > 0).mean()),
        })
        summary.index.name = "group"
        summary = summary.reset_index()
        summary.insert(0, "dimension", dimension)
        summary["suppressed"] = cells_to_suppress(summary["residents"].to_numpy(), k)
        rows.append(summary)
    table = pd.concat(rows, ignore_index=True)
    small = table["suppressed"].to_numpy()
    figures = ["residents", "travel_min_per_week", "unmet_trips_per_week", "share_with_unmet"]
    table[figures] = table[figures].astype(float)
    table.loc[small, figures] = np.nan
    return table
