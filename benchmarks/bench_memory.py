"""Memory: bytes of resident state per resident, twin's model against the
per-agent Mesa reference, and the peak RSS of a 1M-resident week (a full run in a fresh process, measured there with
``/proc/self/status`` VmHWM: the most the process ever held, interpreter
and libraries included; ``getrusage``'s ru_maxrss would report the parent's
RSS, which it inherits across fork and exec)."""

from __future__ import annotations

from dataclasses import fields

from harness import Context, Row, fmt_mb, run_worker

SECTION = "3. Memory"
N_RESIDENTS = 1_000_000
TARGET_BYTES_PER_RESIDENT = 150
TARGET_PEAK_RSS = 2 * 2**30


def week_runs(ctx: Context, spec, n: int, runs: int) -> list[dict]:
    """At least ``runs`` fresh-process weeks of ``n`` residents (memoised, so
    the memory, end-to-end and growth cases share them)."""
    from bench_day import RESIDENT_MODEL

    done = ctx.memo.setdefault(("week", spec.label, n), [])
    args = {**spec.worker_args(), "residents": n, "days": 7, "model": RESIDENT_MODEL, "threads": ctx.threads}
    if not ctx.memo.get(("week-warm", spec.label)):
        # one untimed run first, so the city and the kernels are in their caches
        ctx.log(f"  warm-up week on {spec.name} (untimed)")
        run_worker("week", {**args, "residents": 1000})
        ctx.memo[("week-warm", spec.label)] = True
    while len(done) < runs:
        ctx.log(f"  week of {n:,} residents on {spec.name}, fresh process ({len(done) + 1}/{runs})")
        done.append(run_worker("week", args))
    return done


def compiled_note(runs: list[dict]) -> str:
    """Say so when a fresh process had to compile kernels (numba's cache
    went stale: twin/core changed while the suite ran)."""
    stale = sum(1 for w in runs if w.get("compiled_kernels"))
    return f"; WARNING: kernels were compiled, not loaded from cache, in {stale} of {len(runs)} runs" if stale else ""


def state_bytes(ctx: Context, spec, n: int) -> dict[str, int]:
    """Bytes per-resident arrays hold in a CityModel: the residents, the
    ledger, and the per-run arrays (world and model)."""
    from bench_day import city_model

    model = city_model(ctx, spec, n)
    ledger = sum(getattr(model.ledger, f.name).nbytes for f in fields(model.ledger) if f.name != "days")
    per_run = (model.world.parking_search_time_s.nbytes + model.world.assisted_booking.nbytes
               + model.water.length_m.nbytes + model.water.time_at_point_s.nbytes
               + model.water.chosen.nbytes)
    return {"residents": model.residents.nbytes, "ledger": ledger, "per_run": per_run}


def run(ctx: Context) -> list[Row]:
    spec = ctx.main_city()
    rows = []
    from bench_day import residents_for

    residents = residents_for(ctx, spec, N_RESIDENTS)
    per = residents.nbytes / len(residents)
    widths = ", ".join(f"{f.name} {getattr(residents, f.name).nbytes // len(residents)}"
                       for f in fields(residents))
    rows.append(Row(SECTION, "resident state (Residents.nbytes) per resident", f"{per:.0f} B",
                    target=f"<= {TARGET_BYTES_PER_RESIDENT} B", met=per <= TARGET_BYTES_PER_RESIDENT,
                    notes=f"{widths} (bytes)"))
    parts = state_bytes(ctx, spec, N_RESIDENTS)
    total = sum(parts.values()) / N_RESIDENTS
    rows.append(Row(SECTION, "all per-resident arrays of a running CityModel, per resident", f"{total:.0f} B",
                    notes=f"residents {parts['residents'] / N_RESIDENTS:.0f} + ledger "
                          f"{parts['ledger'] / N_RESIDENTS:.0f} (float64 time, int32 trips and unmet, "
                          f"x 6 purposes) + per-run {parts['per_run'] / N_RESIDENTS:.0f}; informational"))
    n_ref = 100_000 if "large" in ctx.sizes else 20_000
    ctx.log(f"  model memory, twin vs the per-agent Mesa reference, {n_ref:,} residents (fresh process)")
    from bench_day import RESIDENT_MODEL

    built = run_worker("model-memory", {**spec.worker_args(), "residents": n_ref, "model": RESIDENT_MODEL})
    twin_b, ref_b = built["twin_bytes_per_resident"], built["reference_bytes_per_resident"]
    rows.append(Row(SECTION, f"memory to build the model over {n_ref:,} residents, per resident: "
                             "CityModel vs the per-agent Mesa reference", f"{twin_b:,.0f} B", f"{ref_b:,.0f} B",
                    f"{ref_b / twin_b:.1f}x",
                    notes="tracemalloc growth while each model is built over the same residents and "
                          "accessibility fields (twin: ledger and per-run arrays; the reference: one "
                          "Mesa agent per resident with its attributes, plus the CityModel it keeps)"))
    week = week_runs(ctx, spec, N_RESIDENTS, 1)
    peak = max(w["peak_rss_bytes"] for w in week)
    rows.append(Row(SECTION, f"peak RSS, week of {N_RESIDENTS:,} residents on {spec.name} (fresh process)",
                    fmt_mb(peak), target="<= 2048 MB",
                    met=(peak <= TARGET_PEAK_RSS) if spec.label == "Porto" else None,
                    notes=f"max over {len(week)} run(s): load city, synthesize, accessibility, 7 days, "
                          "ledger table, Parquet" + ("" if spec.label == "Porto" else "; target set for Porto")
                          + compiled_note(week)))
    return rows
