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
from twin.city import City
from twin.experiments.compare import Comparison, clear
from twin.experiments.data_report import DataTables
from twin.experiments.numbers import money, number, percent, unit_money, whole, with_ci
from twin.experiments.store import atomic_folder
from twin.outcomes.benefits import BENEFITS
from twin.outcomes.groups import MIN_CELL_RESIDENTS
from twin.viz.areas import benefit_by_area
from twin.viz.gis import benefit_by_area_files

QUINTILES = ("Q1", "Q2", "Q3", "Q4", "Q5")

_NOUNS = {
    "minutes_saved_per_week": "time saving",
    "unmet_trips_avoided_per_week": "unmet trips avoided",
    "newly_basic_water": "new basic water service",
    "newly_clinic_within_30min": "new clinic access within 30 min",
}

GAINS_TO_POOREST = "share_of_gains_to_poorest_40pct"


def _index_cell(mean: float, low: float, high: float) -> str:
    """A concentration index with its 95% CI; where the CI spans 0 it
    claims no direction (pro-poor or pro-rich), only the range."""
    text = with_ci(mean, low, high, lambda v: f"{v:+.2f}")
    return f"no clear direction: {text}" if low <= 0.0 <= high else text


CONC_INDEX_NOTE = ("conc. index: concentration of the benefit over income rank, -1 to +1 (below 0: "
                   "pro-poor); where some residents lose, their losses count against the gains (the "
                   "index is normalised by gains plus losses, Raffinetti et al. 2015; below 0 then "
                   "also reads: losses fall mostly on the rich); given only for a clear effect, and "
                   "marked no clear direction where its 95% CI spans 0.")
"""How to read the concentration index, in every table that shows it."""


class Tables:
    """The published tables of a comparison, small cells suppressed.

    Attributes
    ----------
    groups
        :meth:`Comparison.by_group` with ``k``.
    equity, costs
        :meth:`Comparison.equity`, :meth:`Comparison.costs`.
    ranking
        One row per scenario, best first: the effect per resident on time
        and unmet trips with 95% CIs, how sure it is (``verdict``), the share
        of the gains reaching the poorest 40%, the yearly cost and the cost
        per hour saved.
    who_benefits
        One row per scenario: minutes saved per resident-week by income
        quintile (mean and 95% CI), share of the gains reaching the poorest
        40% (Q1 and Q2), concentration index and cost per hour saved.
    charts
        The data behind every chart (one row per bar).
    data
        What the city's data sees, and what siting from it costs
        (:class:`~twin.experiments.data_report.DataTables`; empty without
        data sources).
    validation
        :meth:`Comparison.validation`: the baseline's travel figures next to
        those observed in its city (None without a ``models/observed`` file).
    """

    def __init__(self, comparison: Comparison, *, k: int = MIN_CELL_RESIDENTS) -> None:
        self.comparison = comparison
        self.k = k
        self.groups = comparison.by_group(k=k)
        self.equity = comparison.equity()
        self.costs = comparison.costs()
        self.ranking = self._ranking()
        self.who_benefits = self._who_benefits()
        self.charts = self._chart_data()
        self.data = DataTables(comparison, k=k)
        self.validation = comparison.validation()

    def _quintiles(self, scenario: str, metric: str) -> pd.DataFrame:
        g = self.groups
        rows = g[(g["scenario"] == scenario) & (g["dimension"] == "income_quintile")
                 & (g["metric"] == metric)]
        return rows.set_index("group")

    def _equity(self, scenario: str, measure: str, of: str) -> pd.Series:
        e = self.equity
        return e[(e["scenario"] == scenario) & (e["measure"] == measure) & (e["of"] == of)].iloc[0]

    def clear_time_gain(self, scenario: str) -> bool:
        """Whether the time saving's 95% CI is above zero (shares of it are shown then)."""
        _, low, high = self.comparison.effect(scenario, "minutes_saved_per_week")
        return low > 0.0

    def verdict(self, scenario: str) -> str:
        """``clear gain``, ``clear loss``, ``gains and losses`` or ``no clear
        effect``, from the 95% CIs of time saved and unmet trips avoided."""
        c = self.comparison
        if c.replications < 2:
            return "one replication: no CI"
        signs = set()
        for metric in ("minutes_saved_per_week", "unmet_trips_avoided_per_week"):
            mean, low, high = c.effect(scenario, metric)
            if clear(low, high):
                signs.add(mean > 0)
        return {frozenset({True}): "clear gain", frozenset({False}): "clear loss",
                frozenset({True, False}): "gains and losses"}.get(frozenset(signs), "no clear effect")

    def _ranking(self) -> pd.DataFrame:
        c = self.comparison
        costs = self.costs.set_index("scenario")
        rows = []
        for scenario in c.benefits:
            row = {"scenario": scenario, "verdict": self.verdict(scenario)}
            for metric in ("minutes_saved_per_week", "unmet_trips_avoided_per_week"):
                mean, low, high = c.effect(scenario, metric)
                row.update({metric: mean, f"{metric}_ci95_low": low, f"{metric}_ci95_high": high})
            share = self._equity(scenario, GAINS_TO_POOREST, "minutes_saved_per_week")
            row.update({GAINS_TO_POOREST: share["mean"], f"{GAINS_TO_POOREST}_ci95_low": share["ci95_low"],
                        f"{GAINS_TO_POOREST}_ci95_high": share["ci95_high"]})
            cost = costs.loc[scenario]
            for column in ("hours_saved_per_year", "people_newly_served", "cost_per_hour_saved",
                           "cost_per_person_newly_served", "yearly_cost"):
                for suffix in ("", "_ci95_low", "_ci95_high"):
                    row[column + suffix] = cost[column + suffix]
            row.update({"currency": c.currency, "price_year": c.price_year, "note": cost["note"]})
            rows.append(row)
        order = {"clear gain": 0, "gains and losses": 1, "no clear effect": 2,
                 "one replication: no CI": 2, "clear loss": 3}
        ranking = pd.DataFrame(rows)
        ranking["_order"] = ranking["verdict"].map(order)
        ranking["_cost"] = ranking["cost_per_hour_saved"].fillna(np.inf)
        ranking["_cost_served"] = ranking["cost_per_person_newly_served"].fillna(np.inf)
        ranking["_gain"] = -ranking["minutes_saved_per_week"]
        keys = ["_order", "_cost", "_cost_served", "_gain"]
        return ranking.sort_values(keys, kind="stable").drop(columns=keys).reset_index(drop=True)

    def _who_benefits(self) -> pd.DataFrame:
        rows = []
        costs = self.costs.set_index("scenario")
        for scenario in self.comparison.benefits:
            row = {"scenario": scenario}
            quintiles = self._quintiles(scenario, "minutes_saved_per_week")
            for q in QUINTILES:
                for column in ("mean", "ci95_low", "ci95_high"):
                    row[f"{q}_min_saved_{column}"] = (
                        quintiles.at[q, column] if q in quintiles.index else np.nan)
            for measure in (GAINS_TO_POOREST, "concentration_index"):
                value = self._equity(scenario, measure, "minutes_saved_per_week")
                for column in ("mean", "ci95_low", "ci95_high"):
                    row[f"{measure}_{column}"] = value[column]
            for column in ("", "_ci95_low", "_ci95_high"):
                row["cost_per_hour_saved" + column] = costs.at[scenario, "cost_per_hour_saved" + column]
            rows.append(row)
        return pd.DataFrame(rows)

    def chart_metrics(self, scenario: str) -> list[str]:
        """The benefits that some shown income quintile of ``scenario`` gets
        (or loses): a chart of nothing but zeros is not drawn."""
        g = self.groups
        rows = g[(g["scenario"] == scenario) & (g["dimension"] == "income_quintile")]
        changed = rows.groupby("metric")["mean"].apply(lambda m: bool((m != 0.0).any()))
        return [m for m in BENEFITS if changed.get(m, False)]

    def _chart_data(self) -> pd.DataFrame:
        frames = [pd.DataFrame(columns=["scenario", "metric", "group", "residents", "mean", "ci95_low",
                                        "ci95_high", "share_of_gains", "chart"])]
        for scenario in self.comparison.benefits:
            for metric in self.chart_metrics(scenario):
                bars = self._quintiles(scenario, metric).reset_index()
                frames.append(bars[["scenario", "metric", "group", "residents", "mean",
                                    "ci95_low", "ci95_high", "share_of_gains"]].assign(
                    chart=chart_file(scenario, metric)))
        return pd.concat(frames, ignore_index=True)

    def reading(self, scenario: str, metric: str) -> str:
        """One plain-language sentence on who gets a scenario's benefit; a
        direction only where the 95% CI excludes zero."""
        noun, unit = _NOUNS[metric], BENEFITS[metric]
        c = self.comparison
        mean, low, high = c.effect(scenario, metric)
        if c.replications < 2:
            return (f"{scenario}: {number(mean)} {unit} on average; one replication gives no "
                    "confidence interval, so no direction is claimed.")
        interval = f"95% CI {number(low)} to {number(high)}"
        if not clear(low, high):
            return f"{scenario}: no clear {noun} ({number(mean)} {unit}, {interval})."
        if mean < 0:
            worse = f"{scenario} makes things worse: {number(mean)} {unit} ({interval})."
            if metric == "minutes_saved_per_week":
                made, made_low, made_high = c.effect(scenario, "unmet_trips_avoided_per_week")
                if made_low > 0:  # part of the added time may be that of trips now made
                    return (f"{scenario} adds travel time: {number(-mean)} min per resident-week "
                            f"({interval} saved). It also makes trips that were unmet: "
                            f"{number(made)} unmet trips avoided per resident-week (95% CI "
                            f"{number(made_low)} to {number(made_high)}); the time those trips take "
                            "counts as time spent, so part of the added time may be theirs.")
            return worse
        shares = self._quintiles(scenario, metric)["share_of_gains"]
        head = f"{scenario}: {number(mean)} {unit} ({interval})"
        if not all(q in shares.index for q in QUINTILES):
            return f"{head}; some income quintiles have under {self.k} residents and are not shown."
        bottom = self._equity(scenario, GAINS_TO_POOREST, metric)
        return (f"{head}. Of the gains, {percent(shares[['Q4', 'Q5']].sum())} go to the richest 40% "
                f"(Q4-Q5) and {with_ci(bottom['mean'], bottom['ci95_low'], bottom['ci95_high'], percent)} "
                "to the poorest 40% (Q1-Q2).")


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
    mean = bars["mean"].to_numpy(float)
    error = np.vstack([mean - bars["ci95_low"].to_numpy(float), bars["ci95_high"].to_numpy(float) - mean])
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


def _cost_cell(row, column: str, currency: str | None) -> str:
    """A cost per unit with its CI, or why there is none."""
    value = row[column]
    if not np.isnan(value):
        return with_ci(value, row[f"{column}_ci95_low"], row[f"{column}_ci95_high"],
                       lambda v: unit_money(v, currency))
    unit = column.removeprefix("cost_per_").replace("_", " ")
    for note in str(row.get("note", "")).split("; "):
        if note.startswith(f"cost per {unit}:"):
            return note.split(": ", 1)[1].split(" (")[0]
    return "-"


def _yearly_cost_cell(row) -> str:
    """The yearly cost, with its 95% CI where it is simulated (a stated cost is fixed)."""
    low, high = row["yearly_cost_ci95_low"], row["yearly_cost_ci95_high"]
    return with_ci(row["yearly_cost"], *((np.nan, np.nan) if low == high else (low, high)),
                   lambda v: money(v, None))


def _money_label(comparison: Comparison) -> str:
    c = comparison
    return f"{c.currency} {c.price_year}" if c.currency else "no costs"


def format_ranking(tables: Tables) -> pd.DataFrame:
    """:attr:`Tables.ranking` as text cells: the summary's first screen."""
    c = tables.comparison
    rows = []
    for _, row in tables.ranking.iterrows():
        gain = tables.clear_time_gain(row["scenario"])
        rows.append({
            "scenario": row["scenario"],
            "time saved (min per resident-week)": with_ci(
                row["minutes_saved_per_week"], row["minutes_saved_per_week_ci95_low"],
                row["minutes_saved_per_week_ci95_high"]),
            "unmet trips avoided (per resident-week)": with_ci(
                row["unmet_trips_avoided_per_week"], row["unmet_trips_avoided_per_week_ci95_low"],
                row["unmet_trips_avoided_per_week_ci95_high"]),
            "how sure": row["verdict"],
            "gains to poorest 40%": with_ci(
                row[GAINS_TO_POOREST], row[f"{GAINS_TO_POOREST}_ci95_low"],
                row[f"{GAINS_TO_POOREST}_ci95_high"], percent) if gain else "-",
            f"yearly cost ({_money_label(c)})": _yearly_cost_cell(row),
            "per hour saved": _cost_cell(row, "cost_per_hour_saved", c.currency),
            "per person newly served": _cost_cell(row, "cost_per_person_newly_served", c.currency),
        })
    return pd.DataFrame(rows)


def format_who_benefits(tables: Tables) -> pd.DataFrame:
    """:attr:`Tables.who_benefits` as text cells, for printing and the HTML."""
    c = tables.comparison
    rows = []
    for _, row in tables.who_benefits.iterrows():
        scenario = row["scenario"]
        cells = {"scenario": scenario}
        for q in QUINTILES:
            cells[q] = with_ci(*(row[f"{q}_min_saved_{col}"] for col in ("mean", "ci95_low", "ci95_high")))
        gain = tables.clear_time_gain(scenario)
        share = [row[f"{GAINS_TO_POOREST}_{col}"] for col in ("mean", "ci95_low", "ci95_high")]
        cells["gains to poorest 40%"] = with_ci(*share, percent) if gain else "no clear effect"
        index = [row[f"concentration_index_{col}"] for col in ("mean", "ci95_low", "ci95_high")]
        cells["conc. index"] = "no clear effect" if np.isnan(index[0]) else _index_cell(*index)
        cells["per hour saved"] = _cost_cell(tables.costs.set_index("scenario").loc[scenario],
                                             "cost_per_hour_saved", c.currency)
        rows.append(cells)
    return pd.DataFrame(rows)


def format_costs(tables: Tables) -> pd.DataFrame:
    """Cost-effectiveness as text cells: yearly cost, hours saved a year and
    people newly served (in people of the city), cost per unit, with 95% CIs."""
    c = tables.comparison
    unit = c.expansion.unit
    rows = []
    for _, row in tables.costs.iterrows():
        rows.append({
            "scenario": row["scenario"],
            f"yearly cost ({_money_label(c)})": _yearly_cost_cell(row),
            f"hours saved a year ({unit})": with_ci(
                row["hours_saved_per_year"], row["hours_saved_per_year_ci95_low"],
                row["hours_saved_per_year_ci95_high"], whole),
            f"newly served ({unit})": with_ci(
                row["people_newly_served"], row["people_newly_served_ci95_low"],
                row["people_newly_served_ci95_high"], whole),
            "per hour saved": _cost_cell(row, "cost_per_hour_saved", c.currency),
            "per person newly served": _cost_cell(row, "cost_per_person_newly_served", c.currency),
        })
    return pd.DataFrame(rows)


def _figure(value: float, figure: str) -> str:
    return "-" if np.isnan(value) else f"{value:.1%}" if "share" in figure else number(value)


def format_validation(tables: Tables) -> pd.DataFrame:
    """:attr:`Tables.validation` as text cells: the model's figure (mean over
    replications, 95% CI), the observed one with its tolerance, whether it
    is met, and the source (or where it was searched for)."""
    rows = []
    for row in tables.validation.itertuples():
        found = row.within is not None
        rows.append({
            "figure": row.meaning,
            "model": with_ci(row.model, row.model_ci95_low, row.model_ci95_high,
                             lambda v, f=row.figure: _figure(v, f)),
            "observed": (f"{_figure(row.observed, row.figure)} ± {_figure(row.tolerance, row.figure)}"
                         if found else "not found"),
            "within tolerance": ("yes" if row.within else "no") if found else "-",
            "source": row.source,
        })
    return pd.DataFrame(rows)


VALIDATION_NOTE = ("A figure outside its tolerance is a gap of the model (its destinations, modes or "
                   "times), to be read beside every result above, not tuned away; \"not found\": searched "
                   "for and not found, the model's value shown alone.")


def format_equity(tables: Tables, metric: str = "minutes_saved_per_week") -> pd.DataFrame:
    """Equity of one benefit, and inequality of travel time, as text cells."""
    rows = []
    for scenario in tables.comparison.benefits:
        def cell(measure, of, fmt, scenario=scenario):
            value = tables._equity(scenario, measure, of)
            if np.isnan(value["mean"]):
                return value["note"].split(":")[0] or "-"
            if fmt is None:  # the concentration index
                return _index_cell(value["mean"], value["ci95_low"], value["ci95_high"])
            return with_ci(value["mean"], value["ci95_low"], value["ci95_high"], fmt)

        travel = "essential_travel_min_per_week"
        rows.append({
            "scenario": scenario,
            "gains to poorest 40%": cell(GAINS_TO_POOREST, metric, percent),
            "losses to poorest 40%": cell("share_of_losses_to_poorest_40pct", metric, percent),
            "residents losing": cell("share_of_residents_losing", metric, percent),
            "conc. index": cell("concentration_index", metric, None),
            "Gini before": cell("gini", f"{travel} before", lambda v: f"{v:.3f}"),
            "Gini after": cell("gini", f"{travel} after", lambda v: f"{v:.3f}"),
            "Palma before": cell("palma", f"{travel} before", lambda v: f"{v:.2f}"),
            "Palma after": cell("palma", f"{travel} after", lambda v: f"{v:.2f}"),
        })
    return pd.DataFrame(rows)


def _header(tables: Tables) -> list[str]:
    """Who and what was simulated, in sentences."""
    c = tables.comparison
    ci = (f"Means over {c.replications} replications with 95% confidence intervals"
          if c.replications > 1 else "One replication: no confidence intervals (use 2 or more)")
    warm_up = (f" after a {c.warm_up_days}-day warm-up of the residents who learn a service (paratransit "
               "riders; not measured)" if c.warm_up_days else ", no warm-up")
    return [
        f"Baseline {c.baseline.name}: {c.days} simulated days{warm_up}, seeds {c.seed} to "
        f"{c.seed + c.replications - 1}. {ci}; benefits are paired (same residents, same days).",
        c.expansion.describe(),
        f"Groups under {tables.k} residents are suppressed everywhere"
        + (" (k below the default 10, chosen explicitly)." if tables.k < MIN_CELL_RESIDENTS else "."),
    ]


def who_benefits_text(tables: Tables) -> str:
    """The ranking, who-benefits and cost tables, as printed by ``twin compare``."""
    lines = [*_header(tables), "",
             "Ranking (clear gains first, then by cost per hour saved and per person newly served):",
             format_ranking(tables).to_string(index=False), "",
             "Minutes saved per resident-week by income quintile (Q1 poorest), 95% CI in brackets:",
             format_who_benefits(tables).to_string(index=False), "",
             format_costs(tables).to_string(index=False),
             "gains to poorest 40%: part of all time gains going to Q1-Q2; " + CONC_INDEX_NOTE]
    if tables.data:
        lines += ["", tables.data.text()]
    if tables.validation is not None:
        shown = format_validation(tables).drop(columns="source")
        lines += ["", "The baseline next to observed travel (sources in validation.csv):",
                  shown.to_string(index=False), VALIDATION_NOTE]
    lines.append(f"k = {tables.k}: groups under {tables.k} residents, and the groups needed to protect "
                 f"them, are suppressed (-) in every table and chart "
                 f"({tables.groups.attrs['suppressed_cells']} cells per scenario).")
    return "\n".join(lines)


FILES = {
    "ranking.csv": "the first table of this summary, with every figure's 95% CI",
    "who_benefits.csv": "time saved by income quintile, gains to the poorest 40%, concentration index, cost per hour",
    "benefits_by_group.csv": "every benefit by income, connectivity, app access, mobility and water supply "
                             "(also .parquet)",
    "equity.csv": "shares of gains and losses to the poorest 40%, share of residents losing, "
                  "concentration index, Gini and Palma",
    "costs.csv": "yearly cost, hours saved a year, people newly served, cost per unit",
    "charts/chart_data.csv": "the data behind every chart",
    "benefit_by_area.gpkg": "benefit by cell of the city's grid, for QGIS (also .parquet, GeoParquet, and .csv)",
    "comparison.json": "parameters, seeds, population, currency, k, warnings, versions",
}
"""What a results folder holds besides the charts and this summary."""

DATA_FILES = {
    "coverage.csv": "share of each need each data source sees, by group, with 95% CIs (also .parquet)",
    "data_siting_cost.csv": "scenarios sited from data against the true need: unmet trips avoided, people "
                            "newly served, share to the poorest 40%, and what is lost",
    "data_siting_by_group.csv": "benefit lost by siting from data, per resident, by group",
}
"""Files written when the baseline names data sources (the siting files only
when a scenario is sited from data and its true-need twin is compared too)."""


VALIDATION_FILES = {"validation.csv": "the baseline's mode shares, trip rates and times next to those "
                                      "observed in its city, with sources and tolerances"}
"""Written when a ``models/observed/*.yaml`` names the baseline."""


def write_report(
    comparison: Comparison,
    out: str | Path,
    *,
    k: int = MIN_CELL_RESIDENTS,
    per_resident: bool = False,
    city: City | None = None,
) -> Tables:
    """Write the results folder ``out`` atomically (replaced only on success).

    Files: :data:`FILES`, ``benefits_by_group.parquet``, ``charts/*.png``,
    ``summary.html`` (charts embedded, opens offline), with the compared
    ``city`` benefit by area (:data:`twin.viz.gis.AREA_FILES`) and, with
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
        tables.ranking.to_csv(tmp / "ranking.csv", index=False)
        tables.who_benefits.to_csv(tmp / "who_benefits.csv", index=False)
        tables.equity.to_csv(tmp / "equity.csv", index=False)
        tables.costs.to_csv(tmp / "costs.csv", index=False)
        tables.data.write(tmp)
        if tables.validation is not None:
            tables.validation.to_csv(tmp / "validation.csv", index=False)
        (tmp / "charts").mkdir()
        tables.charts.to_csv(tmp / "charts" / "chart_data.csv", index=False)
        images = {}
        for chart in tables.charts[["scenario", "metric", "chart"]].drop_duplicates().itertuples():
            png = quintile_chart(tables, chart.scenario, chart.metric)
            (tmp / chart.chart).write_bytes(png)
            images[(chart.scenario, chart.metric)] = png
        (tmp / "summary.html").write_text(_html(tables, images), encoding="utf-8")
        (tmp / "comparison.json").write_text(json.dumps(_facts(tables), indent=2, default=str))
        if city is not None:
            benefit_by_area_files(benefit_by_area(comparison, city, k=k), city.crs, tmp)
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
        "population": c.expansion.population,
        "population_source": c.expansion.source,
        "weight": c.expansion.weight,
        "totals_in": c.expansion.unit,
        "days": c.days,
        "warm_up_days": c.warm_up_days,
        "seed": c.seed,
        "seeds": [c.seed + r for r in range(c.replications)],
        "k": tables.k,
        "suppressed_cells": tables.groups.attrs["suppressed_cells"],
        "currency": c.currency,
        "price_year": c.price_year,
        "warnings": list(c.warnings),
        "facilities": c.facilities,
        "wall_time_s": round(c.wall_time_s, 3),
        "versions": {"twin": twin.__version__, "python": platform.python_version()},
    }


_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 64rem; margin: 1.5rem auto; padding: 0 1rem; color: #222; }
h1 { margin-bottom: 0.3rem; }
table { border-collapse: collapse; font-size: 0.9rem; margin: 0.5rem 0 1rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: right; }
th { background: #f0f0f0; }
td:first-child, th:first-child { text-align: left; }
.reading { font-size: 1.05rem; margin: 0.2rem 0 1.2rem; }
.note { color: #555; font-size: 0.9rem; }
.clear-gain { color: #1a6b2f; font-weight: 600; }
.clear-loss { color: #a12b2b; font-weight: 600; }
"""


def _table(frame: pd.DataFrame) -> str:
    """A text-celled frame as HTML (figures already formatted for people)."""
    text = frame.to_html(index=False, na_rep="-", border=0, escape=True)
    for verdict in ("clear gain", "clear loss"):
        text = text.replace(f"<td>{verdict}</td>",
                            f"<td class='{verdict.replace(' ', '-')}'>{verdict}</td>")
    return text


def _html(tables: Tables, images: dict[tuple[str, str], bytes]) -> str:
    c = tables.comparison
    esc = html.escape
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>twin: who benefits ({esc(c.baseline.name)})</title><style>{_STYLE}</style></head><body>",
        f"<h1>Who benefits? {len(c.scenarios)} scenario(s) against {esc(c.baseline.name)}</h1>",
        "<p class='note'>" + " ".join(esc(line) for line in _header(tables)) + "</p>",
        _table(format_ranking(tables)),
        "<p class='note'>Clear gains first, then by cost per hour saved and per person newly "
        "served (newly with basic water or a clinic within 30 min, or with unmet trips avoided). "
        "<b>how sure</b>: a gain or "
        "loss is claimed only where the 95% CI of time saved or of unmet trips avoided excludes "
        "zero. <b>gains to poorest 40%</b>: the part of all time gains (residents who lose "
        "counted apart) going to income quintiles Q1-Q2. Costs: capital / lifetime + yearly "
        "operating, for what a scenario adds to the baseline; what a fare subsidy pays is "
        "simulated (the fares waived on the eligible residents' trips, in people of the city, "
        "x 52 weeks, with its 95% CI) and added to the capital and administration its scenario "
        "states (over a baseline with a subsidy, any scenario's change in fares waived counts); a "
        "cost per hour is given only when the hours saved are clearly above zero.</p>",
    ]
    if c.warnings:
        parts.append("<ul class='note'>" + "".join(f"<li>{esc(w)}</li>" for w in c.warnings) + "</ul>")
    parts += ["<h2>Time saved by income</h2>", _table(format_who_benefits(tables)),
              "<p class='note'>Minutes saved per resident-week by income quintile (Q1 poorest), "
              f"95% CI in brackets; {esc(CONC_INDEX_NOTE)}</p>"]
    for scenario in tables.ranking["scenario"]:
        parts.append(f"<h2>{esc(scenario)}</h2>")
        shown = tables.chart_metrics(scenario)
        if "minutes_saved_per_week" not in shown:
            parts.append(f"<p class='reading'>{esc(scenario)} changes no income group's travel time "
                         "(every shown group: 0 minutes).</p>")
        for metric in shown:
            if (scenario, metric) in images:
                png = base64.b64encode(images[(scenario, metric)]).decode("ascii")
                parts.append(f"<img alt='{esc(scenario)}: {esc(BENEFITS[metric])} by income quintile' "
                             f"src='data:image/png;base64,{png}'>")
            parts.append(f"<p class='reading'>{esc(tables.reading(scenario, metric))}</p>")
    parts.append(tables.data.html())
    if tables.validation is not None:
        parts += ["<h2>The baseline next to observed travel</h2>", _table(format_validation(tables)),
                  f"<p class='note'>Model: mean over the baseline's {c.replications} replication(s), "
                  f"95% CI in brackets. {esc(VALIDATION_NOTE)}</p>"]
    parts += [f"<h2>Costs ({esc(_money_label(c))})</h2>", _table(format_costs(tables)),
              f"<p class='note'>Totals in {esc(c.expansion.unit)} of the city. Newly served: newly "
              "with basic water service or a clinic within 30 min, or with unmet trips avoided.</p>",
              "<h2>Equity of the time saving</h2>", _table(format_equity(tables)),
              "<p class='note'>residents losing: the part of residents who lose time. "
              f"{esc(CONC_INDEX_NOTE)}</p>",
              "<h2>Files in this folder</h2><ul>"]
    files = {**FILES, **(DATA_FILES if tables.data else {}), **(VALIDATION_FILES if tables.validation is not None
                                                                 else {})}
    parts += [f"<li><a href='{esc(name)}'>{esc(name)}</a>: {esc(text)}</li>" for name, text in files.items()]
    parts.append("</ul>")
    parts.append(f"<p class='note'>k = {tables.k}: {tables.groups.attrs['suppressed_cells']} group cells "
                 f"per scenario with fewer than {tables.k} residents (and the cells needed to protect "
                 "them) are not shown anywhere in this report or its files.</p>")
    parts.append(f"<p class='note'>twin {esc(twin.__version__)}</p></body></html>")
    return "\n".join(parts)
