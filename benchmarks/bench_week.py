"""End to end: a full week for 1M residents, as ``twin run`` does it, in a
fresh process with the city and the kernels already cached (wall time from
launching the process to its exit); and reloading the compiled city from
twin's disk cache in a fresh process, against building it from the OSM file."""

from __future__ import annotations

import tempfile

import numpy as np
from bench_memory import N_RESIDENTS, compiled_note, week_runs

from harness import Context, Row, Timing, fmt_ratio, fmt_s, run_worker

SECTION = "4. End to end"
TARGET_WEEK_S = 10.0
TARGET_RELOAD_S = 1.0


def run(ctx: Context) -> list[Row]:
    spec = ctx.main_city()
    is_porto = spec.label == "Porto"
    rows = []
    ctx.city(spec)  # make sure it is in twin's disk cache
    runs = ctx.repeat if is_porto else 1
    week = week_runs(ctx, spec, N_RESIDENTS, runs)[:runs]
    wall = Timing([w["wall_s"] for w in week])
    stages = {"python + imports": [w["import_s"] for w in week]}
    for w in week:
        for name, value in w["stages"].items():
            stages.setdefault(name.removesuffix("_s").replace("_", " "), []).append(value)
    stages["write run"] = [w["write_s"] for w in week]
    breakdown = ", ".join(f"{name} {fmt_s(float(np.median(v)))}" for name, v in stages.items())
    rows.append(Row(SECTION, f"week of {N_RESIDENTS:,} residents on {spec.name}, city and kernels cached",
                    str(wall) if runs > 1 else fmt_s(wall.median), target=f"<= {TARGET_WEEK_S:.0f} s",
                    met=(wall.median <= TARGET_WEEK_S) if is_porto else None,
                    notes=f"{'median of ' + str(runs) + ' processes' if runs > 1 else '1 process'}, "
                          f"launch to exit; stage medians: {breakdown}{compiled_note(week)}"))
    if spec.synthetic:
        rows.append(Row(SECTION, "reload the compiled Porto city", "skipped",
                        notes=f"{spec.absent}: nothing to reload"))
        return rows
    reloads = []
    for _ in range(ctx.repeat):
        reloads.append(run_worker("reload", {"source": spec.source}))
    load = Timing([r["load_s"] for r in reloads])
    imports = float(np.median([r["import_s"] for r in reloads]))
    nodes = "/".join(f"{v:,}" for v in reloads[0]["nodes"].values())
    ctx.log(f"  building the {spec.label} city from its source, empty city cache (the reference)")
    with tempfile.TemporaryDirectory(prefix="twin-cities-") as empty:
        build_s = run_worker("reload", {"source": spec.source}, env={"TWIN_CACHE_DIR": empty})["load_s"]
    rows.append(Row(SECTION, f"reload the compiled {spec.label} city (load_city, fresh process)", str(load),
                    f"{fmt_s(build_s)} (1 run)", fmt_ratio(build_s, load.median),
                    target=f"<= {TARGET_RELOAD_S:.0f} s", met=(load.median <= TARGET_RELOAD_S) if is_porto else None,
                    notes=f"reference: load_city with an empty city cache (reads the OSM file, builds and "
                          f"compiles the graphs); walk/wheelchair/drive {nodes} nodes; plus {fmt_s(imports)} to "
                          f"start Python and import twin.city; median of {ctx.repeat} processes"))
    return rows
