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

from twin.experiments.numbers import number, percent
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


def group_reading(groups: pd.DataFrame, scenario: str, metric: str, dimension: str, *, k: int) -> str:
    """One sentence: which groups of ``dimension`` clearly gain or lose from
    ``scenario`` (95% CI excluding zero); no direction is claimed otherwise.

    Parameters
    ----------
    groups
        :attr:`twin.experiments.report.Tables.groups` (suppressed cells absent).
    """
    rows = groups[(groups["scenario"] == scenario) & (groups["metric"] == metric)
                  & (groups["dimension"] == dimension)]
    label = METRIC_LABELS[metric].lower()
    if rows.empty:
        return f"{scenario}: every group has under {k} residents; nothing is shown."
    if np.allclose(rows["mean"].to_numpy(), 0.0):
        return f"{scenario} brings no {label} to any group."
    if rows["ci95_low"].isna().all():
        return f"{scenario}: one replication gives no confidence interval; no group is said to gain or lose."

    def listed(part: pd.DataFrame) -> str:
        return ", ".join(f"{who(r.group)} ({number(r.mean)}, 95% CI {number(r.ci95_low)} to "
                         f"{number(r.ci95_high)})" for r in part.sort_values("mean", key=abs,
                                                                           ascending=False).itertuples())

    gains, losses = rows[rows["ci95_low"] > 0], rows[rows["ci95_high"] < 0]
    if gains.empty and losses.empty:
        return f"{scenario}: no clear {label} for any group (every 95% CI contains zero)."
    parts = []
    if not gains.empty:
        top = gains.loc[gains["mean"].idxmax()]
        share = top["share_of_gains"]
        parts.append(f"clear gains for {listed(gains)}"
                     + ("" if np.isnan(share) else f"; {who(top['group'])} get {percent(share)} of all gains"))
    if not losses.empty:
        parts.append(f"clear losses for {listed(losses)}")
    rest = len(rows) - len(gains) - len(losses)
    tail = f"; no clear effect for the other {rest} group(s)" if rest else ""
    return f"{scenario} ({unit(metric)}): " + "; ".join(parts) + tail + "."


def side_by_side(groups: pd.DataFrame, scenarios: list[str], metric: str, dimension: str) -> str | None:
    """With several scenarios: each one's figure for the group that gains
    most from any of them ("Wheelchair users: A 1.32, B 0.89 minutes ...")."""
    rows = groups[(groups["metric"] == metric) & (groups["dimension"] == dimension)
                  & groups["scenario"].isin(scenarios)]
    if len(scenarios) < 2 or rows.empty or rows["mean"].max() <= 0:
        return None
    group = rows.loc[rows["mean"].idxmax(), "group"]
    figures = rows[rows["group"] == group].set_index("scenario")["mean"]
    parts = [f"{name} {number(figures[name])}" for name in scenarios if name in figures.index]
    label = who(group)
    return f"{label[:1].upper() + label[1:]}: " + ", ".join(parts) + f" {unit(metric)}."
