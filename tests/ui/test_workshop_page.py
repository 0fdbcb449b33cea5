"""The workshop page's parts: proposals as scenarios (the planners' own
intervention at the placed sites, its cost per place), the places the map
offers, the results read from the suppressed group table, and the page
itself driven by AppTest with a placed proposal. The click on the map, in a
real browser, is in test_browser.py."""

from __future__ import annotations

import numpy as np
import pytest

from twin.interventions.paratransit import Paratransit
from twin.scenario import scenario_from_mapping
from twin.ui import workshop as ws
from twin.ui.scenarios import load_set, scenario_sets
from twin.viz.workshop import Effect

from apptools import PAGES, assert_clean


@pytest.fixture(scope="module")
def helsinki_set():
    baseline, drafts = load_set(scenario_sets()["helsinki"])
    return baseline, {d.name: d for d in drafts}


def test_a_proposal_is_the_planners_intervention_at_the_placed_sites(helsinki_set, helsinki):
    baseline, planners = helsinki_set
    templates = ws.templates_of(planners, {})
    walk = helsinki.streets["walk"]
    proposal = ws.Proposal("proposal_1")
    proposal.add("access_centre", walk.lon[10], walk.lat[10])
    proposal.add("access_centre", walk.lon[20], walk.lat[20])
    proposal.add("paratransit_depot", walk.lon[30], walk.lat[30])
    proposal.add("paratransit_depot", walk.lon[40], walk.lat[40])  # the depot moves: one per service
    assert proposal.describe() == "2 access centres, 1 paratransit depot"
    run = {"city": "helsinki", "resident_model": "helsinki", **ws.SAMPLE, "seed": 1}
    scenario = scenario_from_mapping(ws.proposal_mapping(proposal, baseline.mapping(run), templates), where="x")
    centres, service = scenario.interventions
    planned = next(i for i in planners["access_centres"].data["interventions"]
                   if i["type"] == "digital_access_centres")
    assert centres.k is None and [(s.lon, s.lat) for s in centres.sites] == [
        (walk.lon[10], walk.lat[10]), (walk.lon[20], walk.lat[20])]
    assert centres.reach_m.value == planned["reach_m"]["value"]  # the planners' parameters, sourced
    # cost per place as the planners' (3 centres): 2 of them
    assert np.isclose(centres.cost.capital.value, planned["cost"]["capital"]["value"] * 2 / planned["k"])
    assert "scaled to the 2 placed" in centres.cost.capital.source
    assert isinstance(service, Paratransit) and (service.depot.lon, service.depot.lat) == (walk.lon[40], walk.lat[40])
    assert service.fleet_size == next(i for i in planners["paratransit_multi_stop"].data["interventions"])["fleet_size"]
    proposal.undo()
    assert proposal.describe() == "2 access centres"


def test_the_map_offers_one_junction_per_square(helsinki):
    walk = helsinki.streets["walk"]
    nodes = ws.candidate_nodes(walk.x_m, walk.y_m, 40.0)
    squares = {(int(np.floor(x / 40)), int(np.floor(y / 40))) for x, y in zip(walk.x_m, walk.y_m)}
    assert len(nodes) == len(squares) and len(np.unique(nodes)) == len(nodes)
    chosen = {(int(np.floor(walk.x_m[n] / 40)), int(np.floor(walk.y_m[n] / 40))) for n in nodes}
    assert chosen == squares  # every square with a junction offers one


def test_results_say_no_clear_effect_and_hide_small_groups():
    assert ws.verdict(None, 10) == ("fewer than 10 people: not shown", "hidden")
    assert ws.verdict(Effect(3.0, -1.0, 7.0, 100.0), 10)[1] == "unclear"
    assert ws.verdict(Effect(12.4, 8.0, 16.0, 100.0), 10) == ("12 min less a week", "gain")
    assert ws.verdict(Effect(-0.5, -0.9, -0.1, 100.0), 10) == ("30 s more a week", "loss")


def test_the_page_shows_a_proposal_beside_the_planners_option_and_saves_it(app, helsinki):
    at = app.run()
    at.switch_page(PAGES["workshop"]).run()
    assert_clean(at)
    assert at.segmented_control(key="place_kind").value == "access_centre"
    walk = helsinki.streets["walk"]
    notes = at.session_state["twin"].notes["workshop"]
    notes["current"].add("access_centre", walk.lon[100], walk.lat[100])
    at.run()
    assert_clean(at)
    table = next(m.value for m in at.markdown if "<table class='workshop-results'" in m.value)
    assert "data-scenario='proposal_1'" in table and "data-scenario='access_centres'" in table
    for _, _, who in ws.GROUPS:
        assert who in table
    assert any("fewer than 10 people" in c.value or "never shown" in c.value for c in at.caption)
    (save,) = [b for b in at.get("download_button")]
    assert save.proto.label == "Save the proposals for the planners (YAML)"


def test_a_placed_site_is_where_it_was_placed_not_sited_again(helsinki_set):
    _, planners = helsinki_set
    template = {**ws.templates_of(planners, {})["water_points"], "siting": {"from": "need"}}
    item = ws.intervention_for("water_point", [{"lon": 24.94, "lat": 60.17}], template)
    assert "siting" not in item and item["k"] is None and item["sites"] == [{"lon": 24.94, "lat": 60.17}]
    depot = ws.intervention_for("paratransit_depot", [{"lon": 24.94, "lat": 60.17}],
                                {**ws.templates_of(planners, {})["paratransit"], "siting": {"from": "need"}})
    assert "siting" not in depot and depot["depot"] == {"lon": 24.94, "lat": 60.17}


def test_editing_scenarios_leaves_an_unset_depot_and_siting_unset(app):
    at = app.run()
    at.switch_page(PAGES["scenarios"]).run()
    s = at.session_state["twin"]
    for ident in list(s.drafts):  # every scenario's widgets drawn once
        at.selectbox(key="editing").set_value(ident).run()
        assert_clean(at)
    for draft in s.drafts.values():
        for item in draft.data["interventions"]:
            if item["type"] == "paratransit":
                assert item.get("depot") is None and item.get("siting") is None, draft.name
