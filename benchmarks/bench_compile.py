"""Compile: twin's numba kernels compile lazily in a fresh process, in under
10 s, and a second process loads them from numba's on-disk cache.

Both processes get the same temporary ``NUMBA_CACHE_DIR`` (so the user's
cache is neither used nor touched) and do the same work: import the kernels,
call the routing functions, and run every scenario in ``scenarios/`` for one
day, with no warm-up, on 2,000 Helsinki residents (the city from twin's cache), which reaches
every kernel the workflows use. Each process also reports, for every numba
function defined in ``twin.core``, whether it was compiled, loaded from the
cache, or not reached at all. A third process, with ``NUMBA_CACHE_DIR`` unset and ``XDG_CACHE_HOME`` a
temporary folder, checks that twin makes numba cache its kernels in
``platformdirs.user_cache_dir("twin")/numba``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from harness import REPO, Context, Row, fmt_s, load_city_quietly, run_worker

SECTION = "6. Compile and cache"
TARGET_S = 10.0


def run(ctx: Context) -> list[Row]:
    load_city_quietly("helsinki")  # the city is not what this case measures
    args = {"scenarios": str(REPO / "scenarios"), "residents": 2000}
    with tempfile.TemporaryDirectory(prefix="twin-numba-") as cache_dir:
        env = {"NUMBA_CACHE_DIR": cache_dir}
        ctx.log("  fresh numba cache")
        first = run_worker("compile", args, env=env)
        ctx.log("  numba cache from the first process")
        second = run_worker("compile", args, env=env)
    baseline = None
    if "large" in ctx.sizes:  # kept out of --size small, which should take about a minute
        with tempfile.TemporaryDirectory(prefix="twin-numba-") as cache_dir:
            ctx.log("  fresh numba cache, baseline scenarios only")
            baseline = run_worker("compile", {**args, "glob": "baseline.yaml"}, env={"NUMBA_CACHE_DIR": cache_dir})
    with tempfile.TemporaryDirectory(prefix="twin-xdg-") as xdg:
        default = run_worker("cache-dir", {}, env={"NUMBA_CACHE_DIR": None, "XDG_CACHE_HOME": xdg})

    def summary(report):
        kernels = report["dispatchers"]
        reached = {k: v for k, v in kernels.items() if v["signatures"]}
        hits = sum(v["cache_hits"] for v in kernels.values())
        misses = sum(v["cache_misses"] for v in kernels.values())
        unreached = sorted(k for k, v in kernels.items() if not v["signatures"] and not v["inlined"])
        inlined = sorted(k for k, v in kernels.items() if v["inlined"])
        return reached, unreached, inlined, hits, misses

    reached, unreached, inlined, _, misses1 = summary(first)
    _, _, _, hits2, misses2 = summary(second)
    compile_s = first["total_s"] - second["total_s"]
    failed = first["scenarios_failed"]
    coverage = (f"{len(reached)} of {len(first['dispatchers'])} numba functions in twin.core compiled"
                + (f", {len(inlined)} inlined into them ({', '.join(inlined)})" if inlined else "")
                + (f"; not reached by any workflow: {', '.join(unreached)}" if unreached else ""))
    scen = f"scenarios run: {', '.join(first['scenarios_ran']) or 'none'}"
    if failed:
        scen += "; FAILED: " + "; ".join(f"{k}: {v}" for k, v in failed.items())
    kernels = first["dispatchers"]
    by_time = sorted(((max(v["compile_s"], default=0.0), k) for k, v in kernels.items()), reverse=True)
    slowest = ", ".join(f"{k} {fmt_s(t)}" for t, k in by_time[:6] if t > 0)
    by_count = sorted(kernels.items(), key=lambda kv: -kv[1]["signatures"])
    repeated = ", ".join(f"{k} x{v['signatures']}" for k, v in by_count if v["signatures"] > 1)
    rows = [
        Row(SECTION, "fresh process, empty numba cache: import + first calls", fmt_s(first["total_s"]),
            target=f"<= {TARGET_S:.0f} s", met=first["total_s"] <= TARGET_S,
            notes=f"of which importing the kernels {fmt_s(first['import_kernels_s'])} (nothing compiles at "
                  f"import); compiling ~{fmt_s(compile_s)} (the difference with the cached process); "
                  f"{coverage}; slowest to compile (a caller's time includes its callees'): {slowest}; "
                  f"compiled for more than one signature: {repeated or 'none'}; {scen}"),
        Row(SECTION, "second process, same cache: the same work", fmt_s(second["total_s"]), fmt_s(first["total_s"]),
            f"{first['total_s'] / second['total_s']:.1f}x", "loaded from cache, nothing recompiled",
            met=hits2 > 0 and misses2 == 0,
            notes=f"{hits2} kernel signatures loaded from the cache, {misses2} compiled again "
                  f"(first process: {misses1} compiled); {second['cache_files']} index files in the cache dir"),
        Row(SECTION, "default numba cache (NUMBA_CACHE_DIR unset, XDG_CACHE_HOME a temporary folder)",
            f"{default['files_there']} index files in user_cache_dir('twin')/numba",
            target="kernels cached in platformdirs.user_cache_dir('twin')/numba/<sources hash>",
            met=default["files_there"] > 0 and Path(default["numba_cache_dir"]).parent == Path(default["expected"]),
            notes=f"numba's cache folder as twin set it: {default['numba_cache_dir']}"),
    ]
    if baseline is not None:
        rows.insert(1, Row(SECTION, "fresh process, empty numba cache: baseline scenarios only",
                           fmt_s(baseline["total_s"]),
                           notes="what a first `twin run` of a baseline compiles (routing and the day kernel); "
                                 f"scenarios run: {', '.join(baseline['scenarios_ran'])}"))
    return rows
