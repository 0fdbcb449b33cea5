"""Growth: one day's time and a week's memory against the number of
residents (10k -> 1M, on the run's largest city), and time against graph
size (Helsinki -> Andorra -> Porto); plotted to ``scaling.png``.

Time per day is a median of consecutive days in this process; memory is the
peak RSS of a fresh process running a full week (so it includes the
interpreter, libraries and city, about constant), next to the exact bytes of
the per-resident arrays. The graph-size points come from bench_routing (run
it first) and from a 1M-resident day on each city.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from bench_day import N_RESIDENTS, city_model, day_timing
from bench_memory import compiled_note, state_bytes, week_runs

from harness import BENCH_DIR, Context, Row, fmt_mb, fmt_s, set_threads, time_paired

SECTION = "7. Growth"
SIZES = (10_000, 30_000, 100_000, 300_000, 1_000_000)
SMALL_SIZES = (10_000, 100_000, 1_000_000)
"""Fewer sizes for ``--size small``, which should take about a minute."""
MAX_SLOPE = 1.1
"""Near-linear: time grows no faster than n^1.1 between 100k and 1M residents."""
MIN_R2 = 0.99
"""Near-linear memory: a straight line explains >= 99% of peak RSS's variation."""
PNG = BENCH_DIR / "scaling.png"


def loglog_slope(x, y) -> float:
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def linear_fit(x, y) -> tuple[float, float, float]:
    """Slope, intercept and R^2 of a least-squares line."""
    slope, intercept = np.polyfit(x, y, 1)
    residual = np.asarray(y) - (slope * np.asarray(x) + intercept)
    r2 = 1.0 - float(np.sum(residual**2) / np.sum((np.asarray(y) - np.mean(y)) ** 2))
    return float(slope), float(intercept), r2


def run(ctx: Context) -> list[Row]:
    spec = ctx.main_city()
    set_threads(ctx.threads)
    points, weeks = [], []
    sizes = SIZES if "large" in ctx.sizes else SMALL_SIZES
    # all sizes step in turn, so a burst of load from other processes hits them alike
    models = {n: city_model(ctx, spec, n) for n in sizes}
    ctx.log(f"  one day, {', '.join(f'{n:,}' for n in sizes)} residents in turn, on {spec.name}")
    ctx.wait_for_quiet("the growth timings")
    timings = time_paired({n: m.step for n, m in models.items()}, ctx.repeat)
    del models
    for n in sizes:
        state = sum(state_bytes(ctx, spec, n).values())
        week = week_runs(ctx, spec, n, 1)[0]
        weeks.append(week)
        points.append({"n": n, "day_s": timings[n].median, "state_bytes": state,
                       "rss_bytes": week["peak_rss_bytes"], "week_s": week["wall_s"]})
        if n != N_RESIDENTS:  # keep the 1M residents for other cases, free the rest
            ctx.memo.pop(("residents", spec.label, n), None)
    ctx.scaling["residents"] = {"city": spec.name, "points": points}

    # a 1M-resident day on each city
    for city in ctx.cities():
        if city.label not in ctx.scaling.get("day_1m", {}):
            ctx.log(f"  {N_RESIDENTS:,} residents on {city.name}")
            model = city_model(ctx, city, N_RESIDENTS)
            ctx.scaling.setdefault("day_1m", {})[city.label] = day_timing(ctx, model, days=ctx.repeat).median
            del model
            ctx.memo.pop(("residents", city.label, N_RESIDENTS), None)
    ctx.scaling["walk_nodes"] = {c.label: ctx.city(c).streets["walk"].n_nodes for c in ctx.cities()}

    n = np.array([p["n"] for p in points], dtype=float)
    day = np.array([p["day_s"] for p in points])
    rss = np.array([p["rss_bytes"] for p in points], dtype=float)
    big = n >= 100_000
    slope_big, slope_all = loglog_slope(n[big], day[big]), loglog_slope(n, day)
    per_resident = ", ".join(f"{int(k) // 1000}k {d / k * 1e9:.0f} ns" for k, d in zip(n, day))
    rows = [Row(SECTION, f"one day vs residents (10k -> 1M, {spec.name})",
                f"n^{slope_big:.2f} (100k -> 1M)", target=f"near-linear: exponent <= {MAX_SLOPE}",
                met=slope_big <= MAX_SLOPE,
                notes=f"exponent 10k -> 1M {slope_all:.2f} (fixed per-call overhead at small n); "
                      f"per resident-day: {per_resident}")]
    bytes_per, intercept, r2 = linear_fit(n, rss)
    state_per = points[-1]["state_bytes"] / points[-1]["n"]
    rows.append(Row(SECTION, f"peak RSS of a week vs residents (10k -> 1M, {spec.name})",
                    f"{fmt_mb(intercept)} + {bytes_per:.0f} B x residents",
                    target=f"near-linear: R^2 >= {MIN_R2}", met=r2 >= MIN_R2,
                    notes=f"R^2 {r2:.4f}{compiled_note(weeks)}; per-resident arrays {state_per:.0f} B; "
                          "the rest per resident is "
                          "transient (synthesis, the ledger table and its Parquet file); "
                          + ", ".join(f"{int(k) // 1000}k {fmt_mb(r)}" for k, r in zip(n, rss))))

    graph = [g for g in ctx.scaling.get("graph", []) if g["kind"].startswith("unsimplified")]
    if len(graph) >= 2:
        nodes = [g["nodes"] for g in graph]
        slope = loglog_slope(nodes, [g["twin_s"] for g in graph])
        rows.append(Row(SECTION, "21 searches vs graph size (unsimplified walk graphs)", f"n^{slope:.2f}",
                        notes=", ".join(f"{g['what'].split(',')[0]} {g['nodes']:,} nodes {fmt_s(g['twin_s'])}"
                                        for g in graph) + "; informational"))
    day_1m = ctx.scaling.get("day_1m", {})
    if len(day_1m) >= 2:
        walk = ctx.scaling["walk_nodes"]
        rows.append(Row(SECTION, f"{N_RESIDENTS:,}-resident day vs city",
                        f"{fmt_s(min(day_1m.values()))} - {fmt_s(max(day_1m.values()))}",
                        notes=", ".join(f"{c} ({walk[c]:,} walk nodes) {fmt_s(s)}" for c, s in day_1m.items())
                        + "; measured at different times (not paired); informational"))
    plot(ctx, PNG)
    rows.append(Row(SECTION, "plot", f"[{PNG.name}]({PNG.name})"))
    return rows


def plot(ctx: Context, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8))
    res = ctx.scaling["residents"]
    pts = res["points"]
    n = np.array([p["n"] for p in pts], dtype=float)

    ax = axes[0]
    day = np.array([p["day_s"] for p in pts])
    ax.loglog(n, day, "o-", label=f"twin, one day ({ctx.threads} threads)")
    ax.loglog(n, day[-1] * n / n[-1], ":", color="grey", label="linear through 1M")
    ref = ctx.scaling.get("reference", [])
    if ref:
        rn = np.array([r["n"] for r in ref], dtype=float)
        rs = np.array([r["s"] for r in ref])
        ax.loglog(rn, rs, "s", color="C3", label="Mesa reference (measured)")
        ax.loglog(n, rs[-1] / rn[-1] * n, "--", color="C3", alpha=0.5, label="Mesa reference, per resident x n")
    ax.axhline(0.25, color="C2", lw=0.8, label="target 0.25 s at 1M")
    ax.set(xlabel="residents", ylabel="seconds per simulated day", title=f"One day vs residents ({res['city']})")
    ax.legend(fontsize=8)

    ax = axes[1]
    ax.loglog(n, [p["rss_bytes"] / 2**20 for p in pts], "o-", label="peak RSS of a week (fresh process)")
    ax.loglog(n, [p["state_bytes"] / 2**20 for p in pts], "s-", label="per-resident arrays (residents + ledger)")
    ax.axhline(2048, color="C2", lw=0.8, label="target 2 GB at 1M")
    ax.set(xlabel="residents", ylabel="MB", title="Memory vs residents")
    ax.legend(fontsize=8)

    ax = axes[2]
    kinds = {}
    for g in ctx.scaling.get("graph", []):
        kinds.setdefault(g["kind"], []).append(g)
    for i, (kind, gs) in enumerate(kinds.items()):
        gs = sorted(gs, key=lambda g: g["nodes"])
        x = [g["nodes"] for g in gs]
        ax.loglog(x, [g["twin_s"] for g in gs], "o-", color=f"C{i}", label=f"twin: {kind}")
        ax.loglog(x, [g["scipy_s"] for g in gs], "x--", color=f"C{i}", alpha=0.6, label=f"scipy: {kind}")
        for g in gs:
            ax.annotate(g["what"].split(" ")[0], (g["nodes"], g["twin_s"]), fontsize=7,
                        textcoords="offset points", xytext=(4, -10))
    walk = ctx.scaling.get("walk_nodes", {})
    day_1m = ctx.scaling.get("day_1m", {})
    if day_1m:
        x = sorted((walk[c], s) for c, s in day_1m.items() if c in walk)
        ax.loglog([a for a, _ in x], [b for _, b in x], "D-", color="C5", label="twin: 1M-resident day (walk nodes)")
    ax.axhline(0.3, color="C2", lw=0.8, label="target 0.3 s (21 searches, Porto)")
    ax.set(xlabel="graph nodes", ylabel="seconds", title="21 searches and one day vs graph size")
    ax.legend(fontsize=7)
    fig.suptitle(f"twin growth ({ctx.threads} threads)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
