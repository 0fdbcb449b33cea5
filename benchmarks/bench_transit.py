"""Transit fields for Porto Alegre: walk + transit time from every walk node
to the nearest facility of each of the 6 purposes, median over the 60
departure minutes of 14:00-15:00 on Monday 13 May 2019, on the EPTC bus and
Trensurb metro feeds (../shared/data/gtfs), walk and wheelchair.

twin: :func:`twin.transit.transit_fields` (profile connection scan in numba)
cold (no transit cache; compiled kernels cached) and loaded from its disk
cache; the timetable (gtfs-kit read, validation, linking) cold and cached.
Reference, measured in the same run: the plain forward connection scan of
tests/naive.py (one scan per origin and departure minute, walks by scipy's
Dijkstra), timed on a few origins and scaled to every node and purpose
(labelled). Skipped, saying why, when the shared data is absent.

And one simulated day of 1,000,000 Porto Alegre residents (models/porto_alegre.yaml)
with transit as a third mode (the fields of journeys with a ride), against the
same day without transit, measured in the same run.

Run alone::

    python benchmarks/bench_transit.py [--repeat 5]
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from harness import Context, Row, fmt_ratio, fmt_s, load_city_quietly, set_threads, time_calls

SECTION = "9. Transit fields (Porto Alegre, GTFS)"
TARGET_S = 5.0
SERVICE_DATE = dt.date(2019, 5, 13)
WINDOW = (14 * 3600, 15 * 3600)
N_RESIDENTS = 1_000_000
DAY_TARGET_S = 0.25
N_REFERENCE_ZONES = 6
"""The all-nodes reference of the work zones' fields is timed on 6 zones and scaled."""
N_REFERENCE_ORIGINS = 2
N_REFERENCE_DEPARTURES = 2
"""The plain reference is timed on 2 origins x 2 departure minutes and scaled
(agreement is what tests/transit checks)."""


def run(ctx: Context) -> list[Row]:
    pbf = ctx.data_dir / "osm" / "porto_alegre.osm.pbf"
    feeds = [ctx.data_dir / "gtfs" / "porto_alegre_eptc.zip",
             ctx.data_dir / "gtfs" / "porto_alegre_trensurb.zip"]
    missing = [str(p) for p in [pbf, *feeds] if not p.is_file()]
    if missing:
        return [Row(SECTION, "transit fields", "skipped", notes=f"absent: {', '.join(missing)}")]
    from twin.residents.population import PURPOSES
    from twin.transit import build_timetable, load_timetable, transit_fields
    from twin.transit.fields import MAX_WALK_S, TRANSFER_SLACK_S, WALK_SPEED_MPS

    city = load_city_quietly(str(pbf))
    window = dict(service_date=SERVICE_DATE, window_start_s=WINDOW[0], window_end_s=WINDOW[1])
    with tempfile.TemporaryDirectory(prefix="twin-transit-") as cache_dir:
        timetable_cold = time_calls(lambda: build_timetable(feeds, city, **window), ctx.repeat)
        table = load_timetable(feeds, city, cache_dir=cache_dir, **window)
        timetable_cached = time_calls(lambda: load_timetable(feeds, city, cache_dir=cache_dir, **window),
                                      ctx.repeat)
        cold = time_calls(lambda: transit_fields(city, table, use_cache=False), ctx.repeat)
        fields = transit_fields(city, table, cache_dir=cache_dir)
        cached = time_calls(lambda: transit_fields(city, table, cache_dir=cache_dir), ctx.repeat)

    # The plain reference on a few origins, scaled to all nodes and purposes.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    from naive import naive_transit_time

    walk = city.streets["walk"]
    graph = csr_matrix((walk.weight, walk.indices, walk.indptr), shape=(walk.n_nodes,) * 2)
    linked = table.stop_node["walk"] >= 0
    start = time.perf_counter()
    lengths_from = dict(zip(table.stop_node["walk"][linked],
                            dijkstra(graph, indices=table.stop_node["walk"][linked])))
    setup_s = time.perf_counter() - start
    connections = list(zip(table.conn_from, table.conn_to, table.conn_dep_s, table.conn_arr_s,
                           table.conn_trip, table.conn_board, table.conn_alight))
    facilities = city.facilities["work"].node["walk"]
    origins = np.random.default_rng(0).choice(city.home_node, N_REFERENCE_ORIGINS, replace=False)
    departures = fields.departures_s[:N_REFERENCE_DEPARTURES]
    start = time.perf_counter()
    for origin in origins:
        lengths_from.setdefault(int(origin), dijkstra(graph, indices=int(origin)))
        naive_transit_time(
            walk.indptr, walk.indices, walk.weight, speed_mps=WALK_SPEED_MPS,
            stop_node=table.stop_node["walk"], stop_link_m=table.stop_link_m, connections=connections,
            facility_nodes=facilities[facilities >= 0], origin=int(origin),
            departures_s=departures, max_walk_s=MAX_WALK_S, transfer_slack_s=TRANSFER_SLACK_S,
            lengths=lambda node: lengths_from[node])
    # Per origin and purpose over the whole window (the scan is per departure).
    per_origin_s = (time.perf_counter() - start) / len(origins) * len(fields.departures_s) / len(departures)
    reference_s = setup_s + per_origin_s * walk.n_nodes * len(PURPOSES) * 2  # walk and wheelchair

    reached = np.isfinite(fields.walk_time_s).mean(axis=0)
    size = (f"{walk.n_nodes:,} walk nodes, {table.n_stops:,} stops "
            f"({int(linked.sum()):,} on the streets), {table.n_connections:,} connections, "
            f"{len(fields.departures_s)} departure minutes, {len(PURPOSES)} purposes x walk and wheelchair")
    return [
        day_with_transit(ctx, city, table),
        zones_row(ctx, city, table),
        Row(SECTION, "transit fields, cold (no transit cache)", fmt_s(cold.median),
            f"{fmt_s(reference_s)} (scaled)", fmt_ratio(reference_s, cold.median), f"<= {TARGET_S:.0f} s",
            met=cold.median <= TARGET_S,
            notes=f"{size}; reference: plain forward scan per origin and minute (tests/naive.py), "
                  f"{fmt_s(per_origin_s)} per origin and purpose (timed on {len(origins)} origins x "
                  f"{len(departures)} minutes) plus {fmt_s(setup_s)} of scipy walks from the stops, scaled to "
                  f"every node, purpose and mode; share of nodes reaching a facility by purpose: "
                  + ", ".join(f"{p} {r:.0%}" for p, r in zip(PURPOSES, reached))),
        Row(SECTION, "transit fields, from the disk cache", fmt_s(cached.median), fmt_s(cold.median),
            fmt_ratio(cold.median, cached.median), "cached to disk", met=cached.median < cold.median,
            notes="content-keyed .npz (timetable, streets, facilities, options, code)"),
        Row(SECTION, "timetable: read 2 GTFS feeds, validate, link (cold / cached)",
            f"{fmt_s(timetable_cold.median)} / {fmt_s(timetable_cached.median)}",
            notes="gtfs-kit read and interpolation of EPTC's untimed stops dominate the cold time; "
                  "the import of gtfs-kit (several seconds) is outside it"),
    ]


def zones_row(ctx: Context, city, table) -> Row:
    """Walk + transit times from the homes to every work zone (what the
    workplace draw and the commute read), cold, against the same computed
    from every walk node by the per-second table (scaled from a few zones)."""
    from twin.abm.workplaces import work_zones, zone_targets
    from twin.transit import transit_fields

    zones = work_zones(city)
    homes = np.unique(city.home_node)
    targets = {mode: zone_targets(city, zones.facility, mode) for mode in ("walk", "wheelchair")}
    few = {mode: t[:N_REFERENCE_ZONES] for mode, t in targets.items()}
    cold = time_calls(lambda: transit_fields(city, table, rides_only=True, origins=homes, targets=targets,
                                             use_cache=False), 1)
    every = time_calls(lambda: transit_fields(city, table, rides_only=True, targets=few, use_cache=False), 1)
    reference_s = every.median * len(zones.jobs) / N_REFERENCE_ZONES
    return Row(SECTION, f"transit to {len(zones.jobs)} work zones from {len(homes):,} home nodes, cold",
               fmt_s(cold.median), f"{fmt_s(reference_s)} (scaled)", fmt_ratio(reference_s, cold.median),
               notes=f"work zones on a {zones.cell_m:,.0f} m grid (twin.abm.workplaces), walk and wheelchair; "
                     f"reference: the same fields from all {city.streets['walk'].n_nodes:,} walk nodes through "
                     f"the per-second stop table, timed on {N_REFERENCE_ZONES} zones and scaled; cached to disk "
                     "after the first run")


def day_with_transit(ctx: Context, city, table) -> Row:
    """One day of 1M residents with transit in their mode choice, against the
    same residents' day without it (both after one warm-up day)."""
    from twin.abm import CityModel
    from twin.residents import load_resident_model, synthesize_for_city
    from twin.transit import transit_fields
    from twin.world import TravelParams, World

    spec = load_resident_model("porto_alegre")
    residents = synthesize_for_city(spec, city, N_RESIDENTS, seed=1)
    travel = TravelParams.from_model(spec)
    fields = transit_fields(city, table, rides_only=True)
    threads = set_threads(ctx.threads)
    timings = {}
    for name, world in (("with", World.baseline(city, residents, travel, timetable=table, fare=5.0)),
                        ("without", World.baseline(city, residents, travel))):
        model = CityModel(world, seed=1, agents="none", transit=fields)
        ctx.wait_for_quiet(f"the 1M-resident day {name} transit")
        timings[name] = time_calls(model.step, max(7, ctx.repeat))
        trips = model.mode_trips
        if name == "with":
            share = trips["transit"] / max(1, sum(trips.values()))
        del model
    with_t, without_t = timings["with"], timings["without"]
    return Row(SECTION, f"{N_RESIDENTS:,} residents, one day with transit, {threads} threads "
                        f"({city.streets['walk'].n_nodes:,} walk nodes)",
               str(with_t), target=f"<= {DAY_TARGET_S} s", met=with_t.median <= DAY_TARGET_S,
               notes=f"the same day without transit {fmt_s(without_t.median)} "
                     f"({with_t.median / without_t.median:.2f}x); "
                     f"median of consecutive days after a warm-up; R$ 5.00 fare, Monday 13 May 2019, "
                     f"departures 14:00-15:00; public transport {share:.0%} of the last day's trips "
                     "(mode choice and trips to a stop)")


if __name__ == "__main__":
    import argparse

    from harness import DEFAULT_DATA_DIR

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    args = parser.parse_args()
    context = Context(sizes=("large",), data_dir=args.data_dir, repeat=args.repeat, max_wait_s=0,
                      log=print)
    for row in run(context):
        print(row)
