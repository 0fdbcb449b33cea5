"""Work zones, the travel to them, and the workplace draw on the bundled
Helsinki extract: fields against scipy's Dijkstra, the draw against the
plain per-resident version, and each mechanism with its ablation."""

import dataclasses

import numpy as np
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from twin.abm import CityModel
from twin.abm.workplaces import MAX_WORK_ZONES, ZONE_CELLS_M, WorkZones, with_workplaces, work_fields, work_zones
from twin.residents import load_resident_model, synthesize_for_city
from twin.residents.population import PURPOSES
from twin.world import TravelParams, World

WORK = PURPOSES.index("work")


@pytest.fixture(scope="module")
def world(helsinki):
    spec = load_resident_model("helsinki")
    residents = synthesize_for_city(spec, helsinki, 3000, seed=5)
    return World.baseline(helsinki, residents, TravelParams.from_model(spec))


def test_zones_gather_every_job_on_the_finest_grid(helsinki):
    zones = work_zones(helsinki)
    work = helsinki.facilities["work"]
    reachable = work.node["walk"] >= 0
    assert 1 < len(zones.jobs) <= MAX_WORK_ZONES
    assert zones.jobs.sum() == pytest.approx(work.count[reachable].sum())
    finer = ZONE_CELLS_M[:ZONE_CELLS_M.index(zones.cell_m)]
    assert all(_cells(work, reachable, cell_m) > MAX_WORK_ZONES for cell_m in finer)  # too many zones
    # each zone's workplace is the one of its cell nearest its jobs' centre (brute force)
    x, y = work.x_m[reachable], work.y_m[reachable]
    cell = (np.floor((x - x.min()) / zones.cell_m), np.floor((y - y.min()) / zones.cell_m))
    index = np.flatnonzero(reachable)
    for z, f in enumerate(zones.facility):
        k = int(np.flatnonzero(index == f)[0])
        same = (cell[0] == cell[0][k]) & (cell[1] == cell[1][k])
        w = work.count[index[same]]
        cx, cy = (w * x[same]).sum() / w.sum(), (w * y[same]).sum() / w.sum()
        assert np.hypot(x[k] - cx, y[k] - cy) == pytest.approx(np.hypot(x[same] - cx, y[same] - cy).min())
        assert zones.jobs[z] == pytest.approx(w.sum())


def _cells(work, reachable, cell_m):
    x, y = work.x_m[reachable], work.y_m[reachable]
    return len({(a, b) for a, b in zip(np.floor((x - x.min()) / cell_m), np.floor((y - y.min()) / cell_m))})


def test_travel_to_each_zone_equals_scipy_dijkstra(helsinki):
    """Distances on foot and by wheelchair, and drive times from each walk
    node's drive node, to every zone's workplace, against scipy's Dijkstra
    on the reversed graph (float32, as stored)."""
    zones = work_zones(helsinki)
    work = helsinki.facilities["work"]
    for mode, field in (("walk", zones.walk_m), ("wheelchair", zones.wheelchair_m), ("drive", zones.drive_s)):
        g = helsinki.streets[mode]
        matrix = csr_matrix((g.weight, g.indices, g.indptr), shape=(g.n_nodes, g.n_nodes))
        target = work.node[mode][zones.facility]
        want = dijkstra(matrix.T.tocsr(), directed=True, indices=np.maximum(target, 0)).T  # (n_nodes, Z)
        want[:, target < 0] = np.inf
        if mode == "drive":
            want = want[helsinki.walk_to_drive]
        np.testing.assert_allclose(field, want.astype(np.float32), rtol=1e-6, err_msg=mode)
        assert np.isfinite(field).mean() > 0.5


def test_the_draw_equals_the_per_resident_reference(world):
    """draw_workplaces (numba, parallel) against the reference model's
    plain-Python draw, resident by resident."""
    from reference_model import ReferenceCityModel

    fields = work_fields(world)
    drawn = with_workplaces(world, seed=9, fields=fields).work_zone
    reference = ReferenceCityModel(world, seed=9, work=fields)
    np.testing.assert_array_equal(drawn, [a.work_zone for a in sorted(reference.agents, key=lambda a: a.index)])
    assert len(np.unique(drawn)) > 5 and (drawn >= 0).mean() > 0.95


def _mean_distance_m(world, zone, fields):
    h = world.residents.home_node
    ok = zone >= 0
    return float(fields.walk_m[h[ok], zone[ok]].astype(np.float64).mean())


def test_workplaces_follow_jobs(world):
    """More jobs in a zone draw more residents to it, in proportion (the
    same draws, so only the weights differ); with every zone's jobs equal
    (the ablation) the busiest zone loses its pull."""
    fields = work_fields(world)
    base = with_workplaces(world, seed=2, fields=fields).work_zone
    busiest = int(np.argmax(fields.jobs))
    boosted_jobs = fields.jobs.copy()
    boosted_jobs[busiest] *= 4.0
    boosted = with_workplaces(world, seed=2, fields=fields._replace(jobs=boosted_jobs)).work_zone
    flat = with_workplaces(world, seed=2, fields=fields._replace(jobs=np.ones_like(fields.jobs))).work_zone
    share = [float(np.mean(z == busiest)) for z in (flat, base, boosted)]
    assert share[0] < share[1] < share[2]
    assert share[2] > 1.5 * share[1]


def test_workplaces_are_nearer_where_travel_costs_more(world):
    """Travel impedance keeps jobs near home: the drawn zones are nearer
    than the jobs themselves on average; with no impedance for walking and
    driving (the ablation) residents work as far as the jobs are spread."""
    fields = work_fields(world)
    base = with_workplaces(world, seed=4, fields=fields).work_zone
    table = dict(world.travel.choice_by_purpose)
    table["walk_per_km"] = {**table["walk_per_km"], "work": 0.0}
    table["car_time_per_min"] = {**table["car_time_per_min"], "work": 0.0}
    free = world.replace(travel=dataclasses.replace(world.travel, choice_by_purpose=table))
    anywhere = with_workplaces(free, seed=4, fields=fields).work_zone
    h = world.residents.home_node
    jobs_weighted_m = (fields.walk_m[h].astype(np.float64) @ fields.jobs / fields.jobs.sum()).mean()
    # (the bundled extract is 1.6 km across: the effect is small, but the draws are paired)
    assert _mean_distance_m(world, base, fields) < 0.92 * _mean_distance_m(free, anywhere, fields)
    assert _mean_distance_m(free, anywhere, fields) == pytest.approx(jobs_weighted_m, rel=0.1)


def test_no_intervention_moves_a_job(world):
    """A parking app makes driving cheaper, so workplaces drawn on its world
    differ for some residents; the pipeline draws them on the baseline first,
    and the scenario's model keeps them."""
    from pathlib import Path

    from twin.interventions import apply_interventions
    from twin.scenario import load_scenario

    scenario = load_scenario(Path(__file__).parents[2] / "scenarios" / "helsinki" / "parking_app.yaml")
    drawn = with_workplaces(world, seed=6)
    with_app = apply_interventions(scenario.interventions, drawn, seed=6)
    model = CityModel(with_app, seed=6, agents="none")
    np.testing.assert_array_equal(model.world.work_zone, drawn.work_zone)
    redrawn = with_workplaces(apply_interventions(scenario.interventions, world, seed=6), seed=6)
    assert (redrawn.work_zone != drawn.work_zone).any()


def test_a_city_without_workplaces_has_unmet_work_trips(helsinki, world):
    """No work facility: no zone, every work trip unmet (not made at some default place)."""
    work = helsinki.facilities["work"]
    none = dataclasses.replace(work, **{name: getattr(work, name)[:0] for name in ("lon", "lat", "x_m", "y_m",
                                                                                  "origin", "count")},
                               node={m: n[:0] for m, n in work.node.items()})
    city = dataclasses.replace(helsinki, facilities={**helsinki.facilities, "work": none},
                               source_hash=helsinki.source_hash + "-no-work")
    model = CityModel(world.replace(city=city), seed=1, agents="none")
    assert isinstance(work_zones(city), WorkZones) and len(work_zones(city).jobs) == 0
    model.run(7)
    assert model.ledger.trips_made[:, WORK].sum() == 0 and model.ledger.unmet_trips[:, WORK].sum() > 0
