"""Which assumptions drive the conclusion, and how robust it is, from a sweep.

Sensitivity: for each scenario and each who-benefits outcome
(:data:`twin.experiments.batch.OUTCOMES`), averaged over seeds at each
design point, the share of its variance due to each swept parameter:

- ``sobol`` designs: first-order and total Sobol indices (SALib, Saltelli
  estimators) with 95% bootstrap intervals;
- ``lhs`` designs: first-order indices by RBD-FAST (SALib);
- ``grid`` designs: first-order indices from the main effects,
  ``Var(E[Y | X_i]) / Var(Y)`` over the grid;
- ``morris`` designs: Morris elementary effects (SALib), a screening of
  which parameters matter rather than a share of variance: ``mu_star``,
  the mean absolute change in the outcome as the parameter moves over its
  whole range (with its 95% bootstrap interval), ``mu`` (its signed mean:
  far below ``mu_star``, effects of both signs) and ``sigma`` (their spread:
  large, the effect depends on the other parameters).

Robustness: for every group (income quintile, connectivity, ...) and every
pair of scenarios, the share of runs (design points x seeds) in which one
gives the group a larger mean benefit than the other, and in which each
beats the baseline (a benefit > 0).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from twin.experiments.batch import SweepResult
    from twin.experiments.sweep import Sweep

ROBUSTNESS_METRICS = ("minutes_saved_per_week", "unmet_trips_avoided_per_week")
"""Benefits whose group means are compared across the sweep."""

_PLOTTED = ("minutes_saved_per_week", "share_of_gains_to_poorest_40pct", "cost_per_hour_saved")

VARIANCE_COLUMNS = ("S1", "S1_conf", "ST", "ST_conf")
MORRIS_COLUMNS = ("mu_star", "mu_star_conf", "mu", "sigma")
METHOD_NAMES = {"sobol": "sobol", "lhs": "rbd_fast", "grid": "main_effects", "morris": "morris"}
"""The analysis each design gets (:func:`sensitivity`'s ``method`` column)."""


def _main_effects(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """First-order indices of a full grid: variance of the conditional means."""
    total = y.var()
    if not np.isfinite(total) or total == 0:
        return np.full(x.shape[1], np.nan)
    return np.array([pd.Series(y).groupby(x[:, i]).mean().reindex(x[:, i]).to_numpy().var() / total
                     for i in range(x.shape[1])])


def _point_means(outcomes: pd.DataFrame, points: int) -> pd.DataFrame:
    """One scenario's outcomes averaged over the seeds at each of the
    design's ``points`` (NaN where no seed defines it)."""
    from twin.experiments.batch import OUTCOMES

    return outcomes.groupby("point")[list(OUTCOMES)].mean().reindex(range(points))


def sensitivity(sweep: Sweep, outcomes: pd.DataFrame) -> pd.DataFrame:
    """Sensitivity indices of each outcome of each scenario to each parameter.

    Parameters
    ----------
    sweep
        The sweep (its design and method).
    outcomes
        :func:`twin.experiments.batch.outcome_table` of every run.

    Returns
    -------
    pandas.DataFrame
        ``scenario``, ``outcome``, ``parameter``, ``method``, then ``S1``,
        ``S1_conf``, ``ST``, ``ST_conf`` (variance shares: grid, lhs, sobol)
        or ``mu_star``, ``mu_star_conf``, ``mu``, ``sigma`` (in the outcome's
        unit: morris); NaN where the method gives none, or where the outcome
        does not vary or is undefined at some point.
    """
    from twin.experiments.batch import OUTCOMES

    params = sweep.parameters
    if not params or outcomes.empty:
        return pd.DataFrame()
    labels = [p.label for p in params]
    method = sweep.spec.design.method
    columns = MORRIS_COLUMNS if method == "morris" else VARIANCE_COLUMNS
    x = sweep.design[labels].to_numpy(dtype=np.float64)
    problem = {"num_vars": len(params), "names": labels,
               "bounds": [list(p.range) if p.range else [min(p.values), max(p.values)]
                          for p in params]}
    rows = []
    for (scenario, ), table in outcomes.groupby(["scenario"], sort=True):
        means = _point_means(table, len(x))
        for outcome in OUTCOMES:
            y = means[outcome].to_numpy(dtype=np.float64)
            found = {}
            if np.isfinite(y).all() and y.var() > 0:
                # A generator, not the seed: SALib takes seed 0 (falsy) for
                # none and bootstraps from numpy's global state; the same draws otherwise.
                rng = np.random.default_rng(sweep.spec.design.seed)
                if method == "sobol":
                    from SALib.analyze import sobol

                    found = sobol.analyze(problem, y, calc_second_order=False, seed=rng)
                elif method == "lhs":
                    from SALib.analyze import rbd_fast

                    found = rbd_fast.analyze(problem, x, y, seed=sweep.spec.design.seed)
                elif method == "morris":
                    from SALib.analyze import morris

                    found = morris.analyze(problem, x, y, num_levels=sweep.spec.design.morris_levels, seed=rng)
                else:
                    found = {"S1": _main_effects(x, y)}
            values = {c: np.asarray(found.get(c, np.full(len(params), np.nan)), dtype=np.float64)
                      for c in columns}
            rows += [{"scenario": scenario, "outcome": outcome, "parameter": label,
                      "method": METHOD_NAMES[method], **{c: values[c][i] for c in columns}}
                     for i, label in enumerate(labels)]
    return pd.DataFrame(rows)


def robustness(groups: pd.DataFrame, outcomes: pd.DataFrame) -> pd.DataFrame:
    """How often one scenario beats another for each group across the sweep.

    Parameters
    ----------
    groups
        Stored group rows (suppressed) of the finished runs.
    outcomes
        Unused rows are ignored; kept for the runs' count.

    Returns
    -------
    pandas.DataFrame
        ``dimension``, ``group``, ``metric``, ``scenario``, ``other``
        (another scenario, or ``baseline``), ``p_better`` and ``p_worse``
        (share of the runs where the group's mean benefit under ``scenario``
        is larger / smaller than under ``other``; the rest are ties) and
        ``runs`` (runs where both are shown for the group).
    """
    if groups.empty:
        return pd.DataFrame()
    kept = groups[groups["metric"].isin(ROBUSTNESS_METRICS)]
    wide = kept.pivot_table(index=["dimension", "group", "metric", "run"], columns="scenario",
                            values="mean")
    scenarios = list(wide.columns)
    names = [*scenarios, "baseline"]
    values = np.column_stack([wide.to_numpy(dtype=np.float64), np.zeros(len(wide))])  # baseline: 0
    shown = ~np.isnan(values)
    cell, cells = pd.factorize(wide.index.droplevel("run"), sort=True)

    def per_cell(rows: np.ndarray) -> np.ndarray:
        return np.bincount(cell[rows], minlength=len(cells))

    pairs = []  # every ordered pair of scenarios, the baseline as the other
    for a in range(len(scenarios)):
        for b in [b for b in range(len(names)) if b != a]:
            both = shown[:, a] & shown[:, b]
            runs = per_cell(both)
            found = np.flatnonzero(runs)
            pairs.append(pd.DataFrame({
                "cell": found, "scenario": names[a], "other": names[b],
                "p_better": per_cell(both & (values[:, a] > values[:, b]))[found] / runs[found],
                "p_worse": per_cell(both & (values[:, a] < values[:, b]))[found] / runs[found],
                "runs": runs[found],
            }))
    table = pd.concat(pairs, ignore_index=True).sort_values("cell", kind="stable", ignore_index=True)
    labels = cells[table.pop("cell")]
    for level, name in enumerate(("dimension", "group", "metric")):
        table.insert(level, name, labels.get_level_values(level))
    return table


def ranked_by(table: pd.DataFrame) -> tuple[str, str]:
    """The :func:`sensitivity` column that ranks the parameters, and its
    95% interval's half-width column: ``mu_star`` for a Morris screening,
    the total index ``ST`` where the method gives one, else ``S1``."""
    if "mu_star" in table:
        return "mu_star", "mu_star_conf"
    column = "ST" if table["ST"].notna().any() else "S1"
    return column, f"{column}_conf"


def sensitivity_plot(table: pd.DataFrame) -> bytes | None:
    """PNG: one heat map per outcome (scenarios x parameters) of the total
    index (first-order where the method gives no total); for a Morris
    screening, each parameter's ``mu_star`` over the largest of its
    scenario and outcome (the ranking, 0-1)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if table.empty:
        return None
    column, _ = ranked_by(table)
    if column == "mu_star":
        largest = table.groupby(["scenario", "outcome"])["mu_star"].transform("max")
        table = table.assign(shown=table["mu_star"] / largest.where(largest > 0))
        column, label = "shown", "Morris mu* / largest mu* of the scenario"
        caption = "mu*; blank: no effect"
    else:
        label = f"{column} (share of variance)"
        caption = f"{column}; blank: no variation"
    outcomes = [o for o in _PLOTTED if o in set(table["outcome"])]
    scenarios = sorted(table["scenario"].unique())
    params = list(dict.fromkeys(table["parameter"]))
    figure = Figure(figsize=(4.2 * len(outcomes), 0.5 * len(scenarios) + 2.6), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, len(outcomes), squeeze=False)[0]
    for ax, outcome in zip(axes, outcomes):
        grid = (table[table["outcome"] == outcome]
                .pivot(index="scenario", columns="parameter", values=column)
                .reindex(index=scenarios, columns=params))
        image = ax.imshow(grid.to_numpy(dtype=float).clip(0, 1), vmin=0, vmax=1, cmap="viridis",
                          aspect="auto")
        ax.set_xticks(range(len(params)), [p.split(".")[-2] if p.endswith(".value") else
                                           p.split(".")[-1] for p in params],
                      rotation=30, ha="right", fontsize=8)
        ax.set_yticks(range(len(scenarios)), scenarios if ax is axes[0] else [""] * len(scenarios),
                      fontsize=8)
        ax.set_title(f"{outcome}\n({caption})", fontsize=9)
    figure.colorbar(image, ax=list(axes), shrink=0.8, label=label)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()


_INDEX_NAMES = {
    "ST": "total Sobol index ST, share of the variance",
    "S1": "first-order index S1, share of the variance",
    "mu_star": "Morris mu*, the outcome's mean change over the parameter's range, in its unit",
}
OVERLAP_MARK = "*"
"""Marks a runner-up whose 95% interval overlaps the first's."""
NO_PARAMETER = "(no parameter)"
"""Said of an outcome whose mean over the seeds no swept parameter moves."""
UNDEFINED = "(undefined)"
"""Said of an outcome undefined at some design point (no index)."""


def _index(value: float, half_width: float, column: str) -> str:
    """An index with its 95% interval, as printed."""
    def number(v: float) -> str:
        return f"{v:.2f}" if column != "mu_star" else f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"

    if not np.isfinite(half_width):
        return number(value)
    return f"{number(value)} ({number(value - half_width)} to {number(value + half_width)})"


def _drivers(table: pd.DataFrame, undefined: set[tuple[str, str]]) -> pd.DataFrame:
    """Per scenario and plotted outcome: the parameter that moves it most
    and the next, with their indices; the next marked :data:`OVERLAP_MARK`
    where the two intervals overlap (the ranking is not established).
    ``undefined``: the (scenario, outcome) pairs undefined at some design
    point; any other without an index does not vary (:func:`sensitivity`)."""
    column, conf = ranked_by(table)
    rows = []
    for scenario in sorted(table["scenario"].unique()):
        for outcome in _PLOTTED:
            found = table[(table["scenario"] == scenario) & (table["outcome"] == outcome)]
            if found.empty:
                continue
            ranked = found.sort_values(column, ascending=False, na_position="last", kind="stable")
            value, half = ranked[column].to_numpy(dtype=float), ranked[conf].to_numpy(dtype=float)
            row = {"scenario": scenario, "outcome": outcome, "moved most by": "-", "index": "-",
                   "next": "-", "its index": "-"}
            if (scenario, outcome) in undefined:
                row["moved most by"] = UNDEFINED
            elif not np.isfinite(value[0]) or value[0] <= 0:
                row["moved most by"] = NO_PARAMETER
            else:
                row.update({"moved most by": ranked["parameter"].iloc[0],
                            "index": _index(value[0], half[0], column)})
                if len(value) > 1 and np.isfinite(value[1]):
                    overlap = np.isfinite(half[:2]).all() and value[0] - half[0] <= value[1] + half[1]
                    mark = f" {OVERLAP_MARK}" if overlap else ""
                    row.update({"next": ranked["parameter"].iloc[1],
                                "its index": _index(value[1], half[1], column) + mark})
            rows.append(row)
    return pd.DataFrame(rows)


def _against_baseline(robust: pd.DataFrame) -> pd.DataFrame:
    """Per scenario and benefit: the share of runs in which everyone, and
    the poorest fifth, gain more / less than under the baseline."""
    rows = []
    versus = robust[robust["other"] == "baseline"]
    for (scenario, metric), found in versus.groupby(["scenario", "metric"], sort=True):
        row = {"scenario": scenario, "benefit": metric}
        for label, dimension, group in (("everyone", "all", "all"),
                                        ("poorest fifth (Q1)", "income_quintile", "Q1")):
            cell = found[(found["dimension"] == dimension) & (found["group"] == group)]
            row[label] = ("-" if cell.empty else
                          f"{cell['p_better'].iloc[0]:.0%} / {cell['p_worse'].iloc[0]:.0%} "
                          f"of {cell['runs'].iloc[0]}")
        rows.append(row)
    return pd.DataFrame(rows)


def sweep_text(result: SweepResult) -> str:
    """What ``twin batch`` prints of a finished sweep: which parameter moves
    each plotted outcome of each scenario most (and the next, with 95%
    intervals), and how often each scenario beats the baseline, for
    everyone and for the poorest fifth. Empty until every run is done."""
    if result.status.pending:
        return ""
    lines = []
    if not result.sensitivity.empty:  # a sweep of seeds alone has none
        column, _ = ranked_by(result.sensitivity)
        points = len(result.sweep.design)
        undefined = {(scenario, outcome) for (scenario, ), table in result.outcomes.groupby(["scenario"])
                     for outcome, defined in _point_means(table, points).notna().all().items() if not defined}
        drivers = _drivers(result.sensitivity, undefined)
        lines += [f"What moves each outcome most ({_INDEX_NAMES[column]}; 95% interval in brackets):",
                  drivers.to_string(index=False)]
        if drivers["its index"].str.endswith(OVERLAP_MARK).any():
            lines.append(f"{OVERLAP_MARK} its interval overlaps the first's: the order is not established "
                         f"(more design.samples narrow the intervals)")
        if (drivers["moved most by"] == NO_PARAMETER).any():
            lines.append(f"{NO_PARAMETER}: no swept parameter moves its mean over the seeds (no index above 0)")
        if (drivers["moved most by"] == UNDEFINED).any():
            lines.append(f"{UNDEFINED}: no index, the outcome is undefined at some design point (cost per "
                         f"hour saved where no hour is saved, say)")
        lines += ["Every outcome and parameter: analysis/sensitivity.csv.", ""]
    if not result.robustness.empty:
        lines += ["How often each scenario beats the baseline: runs in which the group's mean benefit is "
                  "larger / smaller (the rest: equal; every group and pair: analysis/robustness.csv):",
                  _against_baseline(result.robustness).to_string(index=False)]
    return "\n".join(lines).strip()


def write_analysis(result: SweepResult) -> None:
    """Write ``analysis/`` beside the runs: outcomes.csv, groups.csv
    (suppressed), sensitivity.csv, robustness.csv, failures.csv and
    sensitivity.png; replaced as a whole."""
    from twin.experiments.store import atomic_folder

    with atomic_folder(result.store.analysis_dir) as tmp:
        for name in ("outcomes", "groups", "sensitivity", "robustness", "failures"):
            _write_csv(getattr(result, name), tmp / f"{name}.csv")
        png = sensitivity_plot(result.sensitivity)
        if png is not None:
            (tmp / "sensitivity.png").write_bytes(png)


def _write_csv(table: pd.DataFrame, path: Path) -> None:
    """``table`` as CSV, without its index, by Arrow's CSV writer: a sweep's
    groups grow by ~130 rows a run, and pandas' ``to_csv`` formats floats
    one by one (48 runs' 6,144 rows: 40 ms, Arrow 6 ms) while the workers
    wait. Strings and the header are quoted, missing values are empty,
    floats are written as their shortest exact text (2000.0 as 2000).
    pandas writes a table Arrow cannot hold (a column of mixed types)."""
    import pyarrow as pa
    import pyarrow.csv

    try:
        arrow = pa.Table.from_pandas(table, preserve_index=False)
    except pa.ArrowException:
        table.to_csv(path, index=False)
    else:
        pyarrow.csv.write_csv(arrow, path)
