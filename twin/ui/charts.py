"""Altair charts of the pages: benefit by group with 95% CI bars, and the
residents' key marginals. Each function takes the data frame it draws, so the
same frame can be shown as a table under the chart."""

from __future__ import annotations

import altair as alt
import pandas as pd

from twin.ui.readings import DIMENSIONS, GROUP_ORDER, METRIC_LABELS, group_label, unit

PALETTE = ["#1f6f8b", "#e07a1f", "#5a9e4b", "#9b59b6", "#c0392b", "#7f8c8d", "#d4ac0d", "#34495e"]


def group_frame(groups: pd.DataFrame, scenarios: list[str], metric: str, dimension: str) -> pd.DataFrame:
    """The bars of one chart: the rows of the suppressed group table for
    ``dimension`` and ``metric``, in the groups' natural order."""
    rows = groups[(groups["dimension"] == dimension) & (groups["metric"] == metric)
                  & groups["scenario"].isin(scenarios)]
    order = GROUP_ORDER.get(dimension, sorted(rows["group"].unique()))
    rows = rows.assign(_order=rows["group"].map({g: i for i, g in enumerate(order)}).fillna(len(order)),
                       _scenario=rows["scenario"].map({s: i for i, s in enumerate(scenarios)}))
    rows = rows.sort_values(["_order", "_scenario"]).drop(columns=["_order", "_scenario"])
    return rows[["scenario", "group", "residents", "mean", "ci95_low", "ci95_high",
                 "share_of_gains"]].reset_index(drop=True)


def group_chart(bars: pd.DataFrame, *, metric: str, dimension: str, scenarios: list[str]) -> alt.LayerChart:
    """Mean benefit per resident by group, one bar per scenario, with its
    95% confidence interval as a line."""
    data = bars.assign(label=bars["group"].map(group_label),
                       ci=bars.apply(lambda r: "-" if pd.isna(r["ci95_low"]) else
                                     f"{r['ci95_low']:.2f} to {r['ci95_high']:.2f}", axis=1))
    order = [group_label(g) for g in GROUP_ORDER.get(dimension, [])] or sorted(data["label"].unique())
    order = [label for label in order if label in set(data["label"])]
    x = alt.X("label:N", sort=order, title=None, axis=alt.Axis(labelAngle=0, labelFontSize=12))
    offset = alt.XOffset("scenario:N", sort=scenarios)
    color = alt.Color("scenario:N", sort=scenarios, scale=alt.Scale(range=PALETTE),
                      legend=alt.Legend(title=None, orient="bottom", labelFontSize=12, labelLimit=400))
    tooltip = [alt.Tooltip("scenario:N"), alt.Tooltip("label:N", title="group"),
               alt.Tooltip("mean:Q", format=".2f", title=unit(metric)),
               alt.Tooltip("ci:N", title="95% CI"),
               alt.Tooltip("residents:Q", format=",.0f", title="residents per run")]
    base = alt.Chart(data)
    bar = base.mark_bar().encode(
        x=x, xOffset=offset, color=color, tooltip=tooltip,
        y=alt.Y("mean:Q", title=unit(metric), axis=alt.Axis(titleFontSize=12)))
    ci = base.mark_rule(color="#222222", strokeWidth=1.5).encode(
        x=x, xOffset=offset, y="ci95_low:Q", y2="ci95_high:Q", tooltip=tooltip)
    zero = alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(color="#888888").encode(y="y:Q")
    title = f"{METRIC_LABELS[metric]} by {DIMENSIONS.get(dimension, dimension).lower()}"
    return alt.layer(bar, ci, zero).properties(title=title, height=320)


SHARE_LABELS = {
    "has_car": "has a car",
    "can_use_apps": "can use apps",
    "home_internet": "home internet",
    "piped_water": "piped water",
    "reduced_mobility": "reduced mobility",
    "wheelchair": "wheelchair user",
}


def share_frame(profile: pd.DataFrame) -> pd.DataFrame:
    """Share of residents with each attribute, by income quintile."""
    flags = profile.assign(piped_water=profile["water_supply"] == "piped")
    rows = []
    for column, label in SHARE_LABELS.items():
        shares = flags.groupby("income_quintile")[column].mean()
        for quintile, share in shares.items():
            rows.append({"attribute": label, "quintile": f"Q{quintile}", "share": float(share)})
    return pd.DataFrame(rows)


def share_chart(shares: pd.DataFrame) -> alt.Chart:
    order = list(SHARE_LABELS.values())
    return alt.Chart(shares).mark_bar().encode(
        x=alt.X("attribute:N", sort=order, title=None, axis=alt.Axis(labelAngle=0, labelFontSize=12)),
        xOffset=alt.XOffset("quintile:N"),
        y=alt.Y("share:Q", axis=alt.Axis(format="%"), title="share of residents"),
        color=alt.Color("quintile:N", scale=alt.Scale(scheme="blues"),
                        legend=alt.Legend(title="income quintile (Q1 poorest)", orient="bottom")),
        tooltip=[alt.Tooltip("attribute:N"), alt.Tooltip("quintile:N"),
                 alt.Tooltip("share:Q", format=".1%")],
    ).properties(height=280, title="Who has what, by income quintile")


def income_chart(profile: pd.DataFrame, currency: str) -> alt.Chart:
    return alt.Chart(profile[["income", "income_quintile"]]).mark_bar().encode(
        x=alt.X("income:Q", bin=alt.Bin(maxbins=40), title=f"yearly disposable income ({currency})"),
        y=alt.Y("count():Q", title="residents"),
        color=alt.Color("income_quintile:O", scale=alt.Scale(scheme="blues"),
                        legend=alt.Legend(title="quintile", orient="right")),
    ).properties(height=260, title="Income")
