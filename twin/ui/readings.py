"""Plain-language labels and one-line readings of the charts.

Income charts are read by :meth:`twin.experiments.report.Tables.reading`
(the sentence the HTML summary prints); the other groupings (mobility,
connectivity, app access, water supply) by :func:`group_reading`, from the
same suppressed group table.

Pure Python: no streamlit here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from twin.outcomes.benefits import BENEFITS

DIMENSIONS = {
    "income_quintile": "Income",
    "mobility": "Mobility",
    "connectivity": "Connectivity",
    "apps": "App access",
    "water_supply": "Water supply",
}
"""Reporting dimensions (``Comparison.by_group``) and their tab titles."""

GROUP_LABELS = {
    "Q1": "Q1 (poorest)", "Q5": "Q5 (richest)",
    "car": "car", "no_car": "no car", "reduced_mobility": "reduced mobility",
    "wheelchair": "wheelchair users",
    "none": "no phone or internet", "mobile_only": "mobile only", "broadband": "home broadband",
    "can_use_apps": "can use apps", "cannot_use_apps": "cannot use apps",
    "piped": "piped water", "off_premises": "water off premises",
}

WHO = {
    "Q1": "the poorest fifth", "Q2": "the second-poorest fifth", "Q3": "the middle fifth",
    "Q4": "the second-richest fifth", "Q5": "the richest fifth",
    "car": "residents with a car", "no_car": "residents without a car",
    "reduced_mobility": "residents with reduced mobility", "wheelchair": "wheelchair users",
    "none": "residents with no phone or internet", "mobile_only": "residents with a mobile phone only",
    "broadband": "residents with home broadband",
    "can_use_apps": "residents who can use apps", "cannot_use_apps": "residents who cannot use apps",
    "piped": "households with piped water", "off_premises": "households fetching water",
}
"""Groups as the subject of a sentence."""

METRIC_LABELS = {
    "minutes_saved_per_week": "Time saved",
    "unmet_trips_avoided_per_week": "Unmet trips avoided",
    "newly_basic_water": "Newly with basic water",
    "newly_clinic_within_30min": "Newly with a clinic within 30 min",
}

GROUP_ORDER = {
    "income_quintile": ["Q1", "Q2", "Q3", "Q4", "Q5"],
    "mobility": ["car", "no_car", "reduced_mobility", "wheelchair"],
    "connectivity": ["none", "mobile_only", "broadband"],
    "apps": ["cannot_use_apps", "can_use_apps"],
    "water_supply": ["off_premises", "piped"],
}


def group_label(group: str) -> str:
    return GROUP_LABELS.get(group, group.replace("_", " "))


def who(group: str) -> str:
    return WHO.get(group, group.replace("_", " "))


def unit(metric: str) -> str:
    """``minutes saved per resident-week`` etc."""
    return BENEFITS[metric]


def _number(value: float) -> str:
    return f"{value:.2f}" if abs(value) < 100 else f"{value:,.0f}"


def group_reading(groups: pd.DataFrame, scenario: str, metric: str, dimension: str, *, k: int) -> str:
    """One sentence: which group of ``dimension`` gains most from ``scenario``.

    Parameters
    ----------
    groups
        :attr:`twin.experiments.report.Tables.groups` (suppressed cells absent).
    """
    rows = groups[(groups["scenario"] == scenario) & (groups["metric"] == metric)
                  & (groups["dimension"] == dimension)]
    if rows.empty:
        return f"{scenario}: every group has under {k} residents; nothing is shown."
    if np.allclose(rows["mean"].to_numpy(), 0.0):
        return f"{scenario} brings no {METRIC_LABELS[metric].lower()} to any group."
    best = rows.loc[rows["mean"].idxmax()]
    if best["mean"] <= 0:
        worst = rows.loc[rows["mean"].idxmin()]
        return (f"{scenario} helps no group; {who(worst['group'])} lose most "
                f"({_number(worst['mean'])} {unit(metric)}).")
    low, high = best["ci95_low"], best["ci95_high"]
    if np.isnan(low):
        spread = "one replication, no confidence interval"
    elif low <= 0 <= high:
        spread = f"95% CI {_number(low)} to {_number(high)}, not clearly above zero"
    else:
        spread = f"95% CI {_number(low)} to {_number(high)}"
    share = best["share_of_total"]
    share_text = "" if np.isnan(share) else f"; they get {share:.0%} of the total"
    return (f"{scenario}: {who(best['group'])} gain most, {_number(best['mean'])} "
            f"{unit(metric)} ({spread}){share_text}.")


def side_by_side(groups: pd.DataFrame, scenarios: list[str], metric: str, dimension: str) -> str | None:
    """With several scenarios: each one's figure for the group that gains
    most from any of them ("Wheelchair users: A 1.32, B 0.89 minutes ...")."""
    rows = groups[(groups["metric"] == metric) & (groups["dimension"] == dimension)
                  & groups["scenario"].isin(scenarios)]
    if len(scenarios) < 2 or rows.empty or rows["mean"].max() <= 0:
        return None
    group = rows.loc[rows["mean"].idxmax(), "group"]
    figures = rows[rows["group"] == group].set_index("scenario")["mean"]
    parts = [f"{name} {_number(figures[name])}" for name in scenarios if name in figures.index]
    label = who(group)
    return f"{label[:1].upper() + label[1:]}: " + ", ".join(parts) + f" {unit(metric)}."
