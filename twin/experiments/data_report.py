"""The "what the city's data sees" part of a comparison's report: whose need
each data source sees (:mod:`twin.outcomes.coverage`) and what siting from
a source costs against siting from the true need
(:meth:`Comparison.data_siting_cost`), as tables and plain sentences.

Every figure comes from tables with small cells suppressed, so a group under
``k`` residents is named nowhere.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from twin.experiments.compare import Comparison, clear
from twin.experiments.numbers import SMALLEST, percent, whole, with_ci
from twin.outcomes.coverage import NEEDS, under_seen
from twin.outcomes.suppression import MIN_CELL_RESIDENTS
from twin.ui.readings import who

FIGURE_WORDS = {
    "unmet_trips_avoided_per_week": ("unmet trips avoided a week", whole),
    "people_newly_served": ("people newly served", whole),
    "share_of_gains_to_poorest_40pct (unmet_trips_avoided_per_week)":
        ("share of the unmet trips avoided that reach the poorest 40%", percent),
    "share_of_gains_to_poorest_40pct (minutes_saved_per_week)":
        ("share of the time saved that reaches the poorest 40%", percent),
}
"""Figures of the data-siting totals, in words, and how they print."""

LOST_METRICS = {
    "unmet_trips_avoided_per_week": "unmet trips avoided per resident-week",
    "minutes_saved_per_week": "minutes saved per resident-week",
    "newly_basic_water": "net share newly with basic water",
}
"""Per-resident benefits whose loss by group is read out."""

NAMED_DIMENSIONS = ("income_quintile", "water_supply", "mobility")
"""Groupings whose groups the siting sentences name (every grouping is in
data_siting_by_group.csv)."""


class DataTables:
    """The data-sources tables of a comparison (empty frames without data sources).

    Attributes
    ----------
    coverage
        :meth:`Comparison.coverage` with ``k``.
    under_seen
        :func:`twin.outcomes.coverage.under_seen` of it.
    siting_totals, siting_by_group
        :meth:`Comparison.data_siting_cost` with ``k``.
    """

    def __init__(self, comparison: Comparison, *, k: int = MIN_CELL_RESIDENTS) -> None:
        self.comparison = comparison
        coverage = comparison.coverage(k=k)
        self.coverage = coverage if coverage is not None else pd.DataFrame()
        self.under_seen = under_seen(self.coverage) if len(self.coverage) else pd.DataFrame()
        self.siting_totals, self.siting_by_group = comparison.data_siting_cost(k=k)

    def __bool__(self) -> bool:
        return bool(len(self.coverage))

    def coverage_sentences(self) -> list[str]:
        """Per source, of the need it is read as evidence of: how much it
        sees overall, and which groups it clearly sees less of, in plain words."""
        lines = []
        c = self.coverage
        sources = self.comparison.baseline.sources.sources
        for (source, need), rows in c[c["dimension"] == "all"].groupby(["source", "need"], sort=False):
            if sources[source].need != need:
                continue
            overall = rows.iloc[0]
            seen = with_ci(overall["share_seen"], overall["ci95_low"], overall["ci95_high"], percent)
            head = f"{source.replace('_', ' ')} sees {seen} of the need for {NEEDS[need][1]}"
            low = self.under_seen[(self.under_seen["source"] == source) & (self.under_seen["need"] == need)]
            if low.empty:
                lines.append(f"{head}; no group is clearly under-seen.")
                continue
            named = [f"{who(g.group)} {with_ci(g.share_seen, g.ci95_low, g.ci95_high, percent)}"
                     for g in low.drop_duplicates("group").itertuples()]
            lines.append(f"{head}, but clearly less of the need of {'; '.join(named)}.")
        return lines

    def siting_sentences(self) -> list[str]:
        """Per data-sited scenario: what it loses against its true-need twin,
        and the groups that clearly lose."""
        lines = []
        t = self.siting_totals
        if t.empty:
            return lines
        c = self.comparison
        for (scenario, true, source), rows in t.groupby(["scenario", "sited_like", "source"], sort=False):
            parts = []
            for row in rows.itertuples():
                if np.isnan(row.true_need) and np.isnan(row.data):
                    continue  # e.g. no time saved at all: no share of it
                words, fmt = FIGURE_WORDS[row.figure]
                parts.append(f"{words} {fmt(row.true_need)} from the true need, {fmt(row.data)} from the data "
                             f"(lost: {with_ci(row.lost, row.lost_ci95_low, row.lost_ci95_high, fmt)}"
                             + ("" if c.replications < 2 or clear(row.lost_ci95_low, row.lost_ci95_high)
                                else ", no clear difference") + ")")
            lines.append(f"{scenario} (sited from {source.replace('_', ' ')}) against {true} "
                         f"(sited from the true need), in {c.expansion.unit}: " + "; ".join(parts) + ".")
            g = self.siting_by_group
            mine = g[(g["scenario"] == scenario) & g["dimension"].isin(NAMED_DIMENSIONS)
                     & g["metric"].isin(list(LOST_METRICS))]
            if c.replications < 2:
                continue
            for verb, rows_, sign in (("lose", mine[mine["ci95_low"] > SMALLEST], 1.0),
                                      ("gain", mine[mine["ci95_high"] < -SMALLEST], -1.0)):
                if rows_.empty:
                    continue
                named = [f"{who(r.group)} ({LOST_METRICS[r.metric]}: "
                         f"{with_ci(sign * r.mean, *sorted((sign * r.ci95_low, sign * r.ci95_high)))} "
                         f"{'fewer' if verb == 'lose' else 'more'})" for r in rows_.itertuples()]
                lines.append(f"Planned from {source.replace('_', ' ')} rather than the true need, these "
                             f"groups clearly {verb}: " + "; ".join(named) + ".")
        return lines

    def text(self) -> str:
        """What ``twin compare`` prints about the data sources."""
        if not self:
            return ""
        return "\n".join(["What the city's data sees (share of each need a source sees, 95% CI):",
                          *self.coverage_sentences(), *self.siting_sentences()])

    def html(self) -> str:
        """The summary.html section."""
        if not self:
            return ""
        esc = html.escape
        parts = ["<h2>What the city's data sees</h2>",
                 "<p class='note'>Each data source sees some residents and not others "
                 f"(<code>{esc(str(self.comparison.baseline.data_sources))}</code>). Share of each need "
                 "it sees, mean over replications with 95% CI; a group is named as under-seen where "
                 "its CI lies below the CI of the share overall. Full table: "
                 "<a href='coverage.csv'>coverage.csv</a>.</p><ul>"]
        parts += [f"<li>{esc(line)}</li>" for line in self.coverage_sentences()]
        parts.append("</ul>")
        overall = self.coverage[self.coverage["dimension"] == "all"]
        table = overall.pivot(index="source", columns="need", values="share_seen")
        parts.append(table.map(lambda v: "-" if np.isnan(v) else percent(v)).reset_index()
                     .to_html(index=False, border=0))
        siting = self.siting_sentences()
        if siting:
            parts += ["<h3>Sited from data or from the true need</h3>",
                      "<p class='note'>Each scenario sited from a data source against the same "
                      "intervention sited from the true need, paired per resident (same residents, "
                      "same days); lost = true need - data. Tables: "
                      "<a href='data_siting_cost.csv'>data_siting_cost.csv</a>, "
                      "<a href='data_siting_by_group.csv'>data_siting_by_group.csv</a>.</p><ul>"]
            parts += [f"<li>{esc(line)}</li>" for line in siting]
            parts.append("</ul>")
        return "\n".join(parts)

    def write(self, folder) -> None:
        """The tables as CSV (coverage also as Parquet) into ``folder``."""
        if not self:
            return
        self.coverage.to_csv(folder / "coverage.csv", index=False)
        self.coverage.to_parquet(folder / "coverage.parquet", index=False)
        if not self.siting_totals.empty:
            self.siting_totals.to_csv(folder / "data_siting_cost.csv", index=False)
            self.siting_by_group.to_csv(folder / "data_siting_by_group.csv", index=False)

