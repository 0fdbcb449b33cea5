"""One simulated day: ``CityModel.step()`` for 1,000,000 residents (trips,
mode choice, facility look-ups, unmet accounting; one kernel call) against
the per-resident Mesa reference (``ReferenceCityModel`` of tests/reference_model.py,
plain Python in each agent's ``step``) at 10k and 100k residents, per
resident-day; and 1M plain Mesa agents with a trivial step against the same
update over an array in numba (in a fresh process).

The accessibility fields are computed once beforehand (they belong to the
city, not the day; see bench_routing). Each timed step is the next simulated
day, so the median is over different days of the same week.
"""

from __future__ import annotations

import numpy as np

from harness import Context, Row, fmt_mb, fmt_ratio, fmt_s, run_worker, set_threads, time_calls, time_paired

SECTION = "2. One simulated day"
N_RESIDENTS = 1_000_000
TARGET_S = 0.25
TARGET_VS_REFERENCE = 100.0
RESIDENT_MODEL = "helsinki"


def residents_for(ctx: Context, spec, n: int):
    """Synthetic residents of a city (memoised: synthesis takes ~1 s per million)."""
    from twin.residents import load_resident_model, synthesize_for_city

    model = load_resident_model(RESIDENT_MODEL)
    return ctx.remember(("residents", spec.label, n),
                        lambda: synthesize_for_city(model, ctx.city(spec), n, seed=1))


def access_for(ctx: Context, spec):
    from twin.abm.access import access_fields

    return ctx.remember(("access", spec.label), lambda: access_fields(ctx.city(spec)))


def city_model(ctx: Context, spec, n: int, *, reference: bool = False):
    from twin.abm import CityModel
    from twin.residents import load_resident_model
    from twin.world import TravelParams, World

    from reference_model import ReferenceCityModel  # tests/ is on the path (harness.TESTS_DIR)

    travel = TravelParams.from_model(load_resident_model(RESIDENT_MODEL))
    world = World.baseline(ctx.city(spec), residents_for(ctx, spec, n), travel)
    if reference:
        return ReferenceCityModel(world, seed=1, access=access_for(ctx, spec))
    return CityModel(world, seed=1, agents="none", access=access_for(ctx, spec))


def day_timing(ctx: Context, model, *, days: int):
    """Time ``days`` consecutive days after one warm-up day."""
    return time_calls(model.step, days, warmup=1)


def run(ctx: Context) -> list[Row]:
    spec = ctx.main_city()
    where = f"{spec.name} ({ctx.city(spec).streets['walk'].n_nodes:,} walk nodes)"
    rows = []
    threads = set_threads(ctx.threads)
    ctx.log(f"  {N_RESIDENTS:,} residents on {where}")
    model = city_model(ctx, spec, N_RESIDENTS)
    ctx.wait_for_quiet("the 1M-resident day")
    days = max(7, ctx.repeat)
    twin_t = day_timing(ctx, model, days=days)
    set_threads(1)
    one_t = day_timing(ctx, model, days=ctx.repeat)
    set_threads(threads)
    rows.append(Row(SECTION, f"{N_RESIDENTS:,} residents, one day, {threads} threads ({where})", str(twin_t),
                    target=f"<= {TARGET_S} s", met=twin_t.median <= TARGET_S,
                    notes=f"median of {days} consecutive days; "
                          f"1 thread {fmt_s(one_t.median)} ({one_t.median / twin_t.median:.2f}x)"))
    ctx.scaling.setdefault("day_1m", {})[spec.label] = twin_t.median

    sizes = (10_000, 100_000) if "large" in ctx.sizes else (10_000, 30_000)
    for n in sizes:
        ctx.log(f"  Mesa reference, {n:,} residents")
        reference = city_model(ctx, spec, n, reference=True)
        ctx.wait_for_quiet(f"the reference at {n:,}")
        # the reference's days alternate with the 1M-resident model's days
        paired = time_paired({"reference": reference.step, "twin": model.step}, ctx.repeat)
        ref_t, twin_1m = paired["reference"], paired["twin"]
        set_threads(1)
        one = time_paired({"reference": reference.step, "twin": model.step}, ctx.repeat, warmup=0)
        set_threads(threads)
        twin_model = city_model(ctx, spec, n)
        for _ in range(reference.ledger.days):
            twin_model.step()
        same = all(np.array_equal(getattr(twin_model.ledger, f), getattr(reference.ledger, f))
                   for f in ("travel_time_s", "trips_made", "unmet_trips"))
        ref_per, twin_per = ref_t.median / n, twin_1m.median / N_RESIDENTS
        ratio = ref_per / twin_per
        one_ratio = (one["reference"].median / n) / (one["twin"].median / N_RESIDENTS)
        rows.append(Row(
            SECTION, f"per resident-day: twin at {N_RESIDENTS:,} ({threads} threads) vs Mesa reference at {n:,}",
            f"{twin_per * 1e9:.0f} ns", f"{ref_per * 1e9:,.0f} ns", f"{ratio:,.0f}x",
            f">= {TARGET_VS_REFERENCE:.0f}x", ratio >= TARGET_VS_REFERENCE,
            f"days alternating: reference {ref_t}, twin {twin_1m}; on 1 thread each {one_ratio:,.0f}x; "
            f"ledgers after {reference.ledger.days} days identical to a twin model's of {n:,}: "
            f"{'yes' if same else 'NO'}"))
        ctx.scaling.setdefault("reference", []).append({"n": n, "s": ref_t.median})
        del reference, twin_model
    del model

    n_agents = N_RESIDENTS if "large" in ctx.sizes else 100_000
    ctx.log(f"  {n_agents:,} plain Mesa agents (fresh process)")
    out = run_worker("mesa", {"n": n_agents, "repeat": ctx.repeat, "threads": ctx.threads})
    mesa_s, numba_s = np.median(out["mesa_s"]), np.median(out["numba_s"])
    rows.append(Row(SECTION, f"{n_agents:,} agents, trivial step (x += 1): numba over an array vs Mesa agents",
                    fmt_s(numba_s), fmt_s(mesa_s), fmt_ratio(mesa_s, numba_s),
                    notes=f"creating the agents: {fmt_s(out['create_s'])}, {fmt_mb(out['agents_bytes'])} RSS "
                          f"(the array: {fmt_mb(out['array_bytes'])}); issue #4 measured ~3 s vs ~5 ms at 1M"))
    return rows
