"""A comparison's results folder: tables, charts and one offline HTML summary.

Everything written or printed here comes from the suppressed group table
(:meth:`Comparison.by_group`), so a group cell under ``k`` residents appears
nowhere: not in a table, a chart, a reading or the HTML. Per-resident rows
are written only when asked for.
"""

from __future__ import annotations

import base64
import html
import io
import json
import platform
import re
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import twin
from twin.experiments.compare import Comparison
from twin.experiments.store import atomic_folder
from twin.outcomes.benefits import BENEFITS
from twin.outcomes.groups import MIN_CELL_RESIDENTS

QUINTILES = ("Q1", "Q2", "Q3", "Q4", "Q5")

_NOUNS = {
    "minutes_saved_per_week": "time saving",
    "unmet_trips_avoided_per_week": "unmet trips avoided",
    "newly_basic_water": "new basic water service",
    "newly_clinic_within_30min": "new clinic access within 30 min",
}


class Tables:
    """The published tables of a comparison, small cells suppressed.

    Attributes
    ----------
    groups
        :meth:`Comparison.by_group` with ``k``.
    equity, costs
        :meth:`Comparison.equity`, :meth:`Comparison.costs`.
    who_benefits
        One row per scenario: minutes saved per resident-week by income
        quintile (mean and 95% CI half-width), share of the saving to the
        poorest 40% (Q1 and Q2), concentration index and cost per hour saved.
    charts
        The data behind every chart (one row per bar).
    """

    def __init__(self, comparison: Comparison, *, k: int = MIN_CELL_RESIDENTS) -> None:
        self.comparison = comparison
        self.k = k
        self.groups = comparison.by_group(k=k)
        self.equity = comparison.equity()
        self.costs = comparison.costs()
        self.who_benefits = self._who_benefits()
        self.charts = self._chart_data()

    def _quintiles(self, scenario: str, metric: str) -> pd.DataFrame:
        g = self.groups
        rows = g[(g["scenario"] == scenario) & (g["dimension"] == "income_quintile")
                 & (g["metric"] == metric)]
        return rows.set_index("group")

    def _who_benefits(self) -> pd.DataFrame:
        rows = []
        for scenario in self.comparison.benefits:
            row = {"scenario": scenario}
            quintiles = self._quintiles(scenario, "minutes_saved_per_week")
            for q in QUINTILES:
                present = q in quintiles.index
                row[f"{q}_min_saved"] = quintiles.at[q, "mean"] if present else np.nan
                row[f"{q}_ci95_half"] = (
                    (quintiles.at[q, "ci95_high"] - quintiles.at[q, "ci95_low"]) / 2
                    if present else np.nan)
            equity = self.equity[(self.equity["scenario"] == scenario)
                                 & (self.equity["of"] == "minutes_saved_per_week")]
            # Q1 + Q2 shares, pooled over replications like the group table and
            # the readings (equity.csv has the per-replication mean with its CI).
            row["share_to_poorest_40pct"] = quintiles["share_of_total"].reindex(["Q1", "Q2"]).sum(min_count=2)
            row["concentration_index"] = equity.set_index("measure").at["concentration_index", "mean"]
            row["cost_per_hour_saved"] = self.costs.set_index("scenario").at[scenario, "cost_per_hour_saved"]
            rows.append(row)
        return pd.DataFrame(rows)

    def chart_metrics(self, scenario: str) -> list[str]:
        """Minutes saved, and every other benefit the scenario changes at all."""
        g = self.groups
        overall = g[(g["scenario"] == scenario) & (g["dimension"] == "all")].set_index("metric")["mean"]
        return [m for m in BENEFITS if m == "minutes_saved_per_week" or overall.get(m, 0.0) != 0.0]

    def _chart_data(self) -> pd.DataFrame:
        frames = []
        for scenario in self.comparison.benefits:
            for metric in self.chart_metrics(scenario):
                bars = self._quintiles(scenario, metric).reset_index()
                frames.append(bars[["scenario", "metric", "group", "residents", "mean",
                                    "ci95_low", "ci95_high", "share_of_total"]].assign(
                    chart=chart_file(scenario, metric)))
        return pd.concat(frames, ignore_index=True)

    def reading(self, scenario: str, metric: str) -> str:
        """One plain-language sentence on who gets a scenario's benefit."""
        noun = _NOUNS[metric]
        g = self.groups
        overall = g[(g["scenario"] == scenario) & (g["dimension"] == "all") & (g["metric"] == metric)]
        if overall.empty:
            return f"{scenario}: too few residents to show."
        mean = float(overall["mean"].iloc[0])
        if mean == 0.0:
            return f"{scenario} brings no {noun} to any income group."
        if mean < 0.0:
            return (f"{scenario} makes things worse overall: {mean:+.2f} "
                    f"{BENEFITS[metric]} on average.")
        shares = self._quintiles(scenario, metric)["share_of_total"]
        if not all(q in shares.index for q in QUINTILES):
            return (f"{scenario}: {mean:.2f} {BENEFITS[metric]} on average; some income "
                    f"quintiles have under {self.k} residents and are not shown.")
        top = shares[["Q4", "Q5"]].sum()
        bottom = shares[["Q1", "Q2"]].sum()
        return (f"{top:.0%} of {scenario}'s {noun} goes to the richest 40% of residents "
                f"(Q4-Q5) and {bottom:.0%} to the poorest 40% (Q1-Q2).")


def chart_file(scenario: str, metric: str) -> str:
    """The PNG of a scenario's benefit by income quintile, relative to the folder."""
    safe = re.sub(r"[^\w.-]+", "_", scenario)
    return f"charts/{safe}_{metric}.png"


def quintile_chart(tables: Tables, scenario: str, metric: str) -> bytes:
    """PNG bytes: mean benefit by income quintile with 95% CI bars."""
    bars = tables.charts[(tables.charts["scenario"] == scenario) & (tables.charts["metric"] == metric)]
    figure = Figure(figsize=(6.0, 3.6), dpi=100)
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    mean = bars["mean"].to_numpy()
    error = np.vstack([mean - bars["ci95_low"].to_numpy(), bars["ci95_high"].to_numpy() - mean])
    ax.bar(bars["group"], mean, color="#3a7ca5",
           yerr=None if np.isnan(error).all() else error, capsize=4, ecolor="#222222")
    ax.axhline(0.0, color="#888888", linewidth=0.8)
    ax.set_xlabel("income quintile (Q1 poorest)")
    ax.set_ylabel(BENEFITS[metric])
    ax.set_title(f"{scenario}: {_NOUNS[metric]}", fontsize=11)
    ci = (f"bars: 95% CI over {tables.comparison.replications} replications"
          if tables.comparison.replications > 1 else "one replication: no CI")
    ax.text(1.0, -0.22, ci, transform=ax.transAxes, ha="right", fontsize=8, color="#555555")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def format_who_benefits(tables: Tables) -> pd.DataFrame:
    """:attr:`Tables.who_benefits` as text cells, for printing and the HTML."""
    currency = tables.comparison.currency
    rows = []
    for _, row in tables.who_benefits.iterrows():
        cells = {"scenario": row["scenario"]}
        for q in QUINTILES:
            mean, half = row[f"{q}_min_saved"], row[f"{q}_ci95_half"]
            cells[q] = "-" if np.isnan(mean) else (
                f"{mean:.2f}" if np.isnan(half) else f"{mean:.2f} ± {half:.2f}")
        share, index, cost = (row["share_to_poorest_40pct"], row["concentration_index"],
                              row["cost_per_hour_saved"])
        cells["to poorest 40%"] = "-" if np.isnan(share) else f"{share:.0%}"
        cells["conc. index"] = "-" if np.isnan(index) else f"{index:+.2f}"
        cells[f"{currency} per hour saved"] = "no saving" if np.isnan(cost) else f"{cost:,.2f}"
        rows.append(cells)
    return pd.DataFrame(rows)


def format_costs(tables: Tables) -> pd.DataFrame:
    """Cost-effectiveness as text cells: yearly cost, hours saved a year and
    residents newly served (means over replications), cost per unit."""
    currency = tables.comparison.currency

    def money(value):
        return "no saving" if np.isnan(value) else f"{value:,.2f}"

    return pd.DataFrame({
        "scenario": tables.costs["scenario"],
        f"yearly cost ({currency})": tables.costs["yearly_cost"].map(lambda v: f"{v:,.0f}"),
        "hours saved a year": tables.costs["hours_saved_per_year"].map(lambda v: f"{v:,.0f}"),
        "residents newly served": tables.costs["residents_newly_served"].map(lambda v: f"{v:,.1f}"),
        "per hour saved": tables.costs["cost_per_hour_saved"].map(money),
        "per newly served": tables.costs["cost_per_newly_served_resident"].map(money),
    })


def who_benefits_text(tables: Tables) -> str:
    """The who-benefits table and its reading notes, as printed by ``twin compare``."""
    c = tables.comparison
    ci = (f"± 95% CI over {c.replications} replications" if c.replications > 1
          else "1 replication: no confidence interval")
    lines = [
        f"Who benefits: minutes saved per resident-week by income quintile (Q1 poorest), {ci}.",
        f"{c.residents:,} residents, {c.days} days, seed {c.seed}; baseline {c.baseline.name}.",
        format_who_benefits(tables).to_string(index=False),
        "to poorest 40%: share of the time saving reaching the poorest 40% by income; "
        "conc. index: concentration of the saving over income rank (< 0 pro-poor, > 0 pro-rich).",
        "",
        format_costs(tables).to_string(index=False),
        "newly served: newly with basic water or a clinic within 30 min, or with unmet trips avoided.",
    ]
    if tables.groups.attrs["suppressed_cells"]:
        lines.append(f"Groups under {tables.k} residents are suppressed (-) in every table and chart.")
    return "\n".join(lines)


def write_report(
    comparison: Comparison,
    out: str | Path,
    *,
    k: int = MIN_CELL_RESIDENTS,
    per_resident: bool = False,
) -> Tables:
    """Write the results folder ``out`` atomically (replaced only on success).

    Files: ``benefits_by_group.parquet`` and ``.csv``, ``who_benefits.csv``,
    ``equity.csv``, ``costs.csv``, ``charts/*.png`` with their data in
    ``charts/chart_data.csv``, ``summary.html`` (charts embedded, opens
    offline), ``comparison.json`` (parameters, scenarios, versions) and, with
    ``per_resident``, ``per_resident.parquet`` (microdata, not suppressed).

    Returns
    -------
    Tables
        What was written.
    """
    tables = Tables(comparison, k=k)
    with atomic_folder(out) as tmp:
        tables.groups.to_parquet(tmp / "benefits_by_group.parquet", index=False)
        tables.groups.to_csv(tmp / "benefits_by_group.csv", index=False)
        tables.who_benefits.to_csv(tmp / "who_benefits.csv", index=False)
        tables.equity.to_csv(tmp / "equity.csv", index=False)
        tables.costs.to_csv(tmp / "costs.csv", index=False)
        (tmp / "charts").mkdir()
        tables.charts.to_csv(tmp / "charts" / "chart_data.csv", index=False)
        images = {}  # a chart whose every bar is suppressed is not drawn
        for chart in tables.charts[["scenario", "metric", "chart"]].drop_duplicates().itertuples():
            png = quintile_chart(tables, chart.scenario, chart.metric)
            (tmp / chart.chart).write_bytes(png)
            images[(chart.scenario, chart.metric)] = png
        (tmp / "summary.html").write_text(_html(tables, images), encoding="utf-8")
        (tmp / "comparison.json").write_text(json.dumps(_facts(tables), indent=2, default=str))
        if per_resident:
            comparison.per_resident().to_parquet(tmp / "per_resident.parquet", index=False)
    return tables


def _facts(tables: Tables) -> dict:
    c = tables.comparison
    return {
        "baseline": c.baseline.model_dump(mode="json"),
        "scenarios": [s.model_dump(mode="json") for s in c.scenarios],
        "scenario_hashes": {s.name: s.content_hash() for s in [c.baseline, *c.scenarios]},
        "replications": c.replications,
        "residents": c.residents,
        "days": c.days,
        "seed": c.seed,
        "seeds": [c.seed + r for r in range(c.replications)],
        "k": tables.k,
        "suppressed_cells": tables.groups.attrs["suppressed_cells"],
        "currency": c.currency,
        "warnings": list(c.warnings),
        "wall_time_s": round(c.wall_time_s, 3),
        "versions": {"twin": twin.__version__, "python": platform.python_version()},
    }


_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0 1.5rem; }
th, td { border: 1px solid #ccc; padding: 0.2rem 0.5rem; text-align: right; }
th { background: #f0f0f0; }
.reading { font-size: 1.05rem; margin: 0.2rem 0 1.5rem; }
.note { color: #555; font-size: 0.9rem; }
"""


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, na_rep="-", float_format=lambda v: f"{v:,.4g}", border=0)


def _html(tables: Tables, images: dict[tuple[str, str], bytes]) -> str:
    c = tables.comparison
    esc = html.escape
    ci = (f"Means over {c.replications} replications with 95% confidence intervals "
          "(t distribution)." if c.replications > 1 else
          "One replication: no confidence intervals (run with --replications 2 or more).")
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>twin: who benefits ({esc(c.baseline.name)})</title><style>{_STYLE}</style></head><body>",
        "<h1>Who benefits?</h1>",
        f"<p>Baseline <b>{esc(c.baseline.name)}</b> compared with "
        f"{', '.join('<b>' + esc(s.name) + '</b>' for s in c.scenarios)}: {c.residents:,} residents, "
        f"{c.days} simulated days, seeds {c.seed} to {c.seed + c.replications - 1}. {esc(ci)} "
        "Benefits are paired: the same residents on the same days, baseline minus scenario.</p>",
    ]
    if c.warnings:
        parts.append("<ul class='note'>" + "".join(f"<li>{esc(w)}</li>" for w in c.warnings) + "</ul>")
    parts += ["<h2>Time saved by income</h2>", _table(format_who_benefits(tables)),
              "<p class='note'>Minutes saved per resident-week by income quintile (Q1 poorest); "
              "to poorest 40%: share of the time saving reaching the poorest 40% by income; "
              "conc. index: concentration of the saving over income rank (&lt; 0 pro-poor).</p>"]
    for scenario in c.benefits:
        parts.append(f"<h2>{esc(scenario)}</h2>")
        for metric in tables.chart_metrics(scenario):
            if (scenario, metric) in images:
                png = base64.b64encode(images[(scenario, metric)]).decode("ascii")
                parts.append(f"<img alt='{esc(scenario)}: {esc(BENEFITS[metric])} by income quintile' "
                             f"src='data:image/png;base64,{png}'>")
            parts.append(f"<p class='reading'>{esc(tables.reading(scenario, metric))}</p>")
    parts += ["<h2>Costs</h2>", _table(format_costs(tables)),
              "<p class='note'>Yearly cost = capital / lifetime + operating, for the interventions "
              "a scenario adds to the baseline; each simulated resident is one resident of the city; "
              "newly served: newly with basic water service or a clinic within 30 min, or with "
              "unmet trips avoided; 'no saving' where nothing is saved or served.</p>",
              _table(tables.costs),
              "<h2>Equity</h2>", _table(tables.equity),
              "<h2>Benefits by group</h2>", _table(tables.groups)]
    if tables.groups.attrs["suppressed_cells"]:
        parts.append(f"<p class='note'>{tables.groups.attrs['suppressed_cells']} group cells per "
                     f"scenario with fewer than {tables.k} residents (and the cells needed to protect them) are "
                     "not shown anywhere in this report.</p>")
    parts.append(f"<p class='note'>twin {esc(twin.__version__)}</p></body></html>")
    return "\n".join(parts)
