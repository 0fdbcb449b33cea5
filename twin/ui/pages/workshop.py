"""Workshop page: residents place a water point, an access centre or the
paratransit depot on the map and see, in large type, who gains and who does
not, beside the planners' option; proposals are saved as scenario YAML."""

import time

import streamlit as st

from twin.errors import TwinError
from twin.scenario import scenario_from_mapping
from twin.ui import data, layout, maps, state
from twin.ui import workshop as ws
from twin.ui.scenarios import key_of, to_yaml, unique_name

s = state.get()
s.ensure_set()
sidebar = layout.Sidebar(s)
notes = s.notes.setdefault("workshop", {"proposals": [], "current": None, "timing_s": None})

st.markdown("""<style>
.st-key-workshop p, .st-key-workshop li, .st-key-workshop label p { font-size: 1.45rem !important; }
.st-key-workshop h1 { font-size: 3.2rem !important; }
.workshop-results { border-collapse: collapse; width: 100%; font-size: 1.35rem; }
.workshop-results th, .workshop-results td { border: 2px solid #fff; padding: 0.45rem 0.7rem; text-align: left; }
.workshop-results thead th { background: #1f5f8b; color: white; }
.workshop-results small { font-size: 0.95rem; color: #444; }
</style>""", unsafe_allow_html=True)

sets_ok = s.baseline is not None
city = data.city(s.city.source)
run_fields = {**s.run_fields(), **ws.SAMPLE}
planners = {d.name: d for d in s.drafts.values()}
templates = ws.templates_of(planners, data.intervention_templates())
kinds = [kind for kind, p in ws.PLACEABLE.items() if p.intervention in templates]


def current() -> ws.Proposal:
    if notes["current"] is None:
        taken = {p.name for p in notes["proposals"]} | set(planners) | {"baseline"}
        notes["current"] = ws.Proposal(unique_name(f"proposal_{len(notes['proposals']) + 1}", taken))
    return notes["current"]


def on_click() -> None:
    """A click on a candidate site places the chosen kind there."""
    points = st.session_state["workshop_map"].selection.points
    clicked = [p for p in points if p["curve_number"] == maps.SITES_TRACE]
    if clicked:
        node = int(data.candidate_sites(s.city.source)["node"].iloc[clicked[0]["point_index"]])
        walk = city.streets["walk"]
        current().add(st.session_state.get("place_kind") or kinds[0], walk.lon[node], walk.lat[node])
        notes["clicked_at"] = time.perf_counter()


with st.container(key="workshop"):
    st.title("What would a new place here change?")
    st.markdown("Choose what to place, then **click on the map** where it should go. "
                "Within seconds you see who would spend less time getting to essential places.")
    if not sets_ok or not kinds:
        st.error("No planners' scenarios with water points, access centres or paratransit found: "
                 "load a scenario set on the Scenarios page.", icon=":material/error:")
        st.stop()
    left, right = st.columns([6, 5], gap="large")
    with left:
        st.segmented_control("Place", kinds, format_func=lambda k: ws.PLACEABLE[k].label, default=kinds[0],
                             key="place_kind", label_visibility="collapsed")
        proposal = current()
        frame = data.map_frame(s.city.source)
        figure = maps.workshop_figure(frame, data.candidate_sites(s.city.source), proposal,
                                      data.facilities(s.city.source), height=780)
        with st.container(key="workshop_map_box"):
            st.plotly_chart(figure, key="workshop_map", on_select=on_click, selection_mode="points",
                            theme=None, config=maps.CONFIG)
        one, two = st.columns(2)
        if one.button("Undo the last place", key="undo", icon=":material/undo:", disabled=not proposal.places,
                      width="stretch"):
            proposal.undo()
            st.rerun()
        if two.button("Keep it, start a new proposal", key="new_proposal", icon=":material/add:",
                      disabled=not proposal.places, width="stretch"):
            notes["proposals"].append(proposal)
            notes["current"] = None
            st.rerun()

    with right:
        shown = [p for p in [*notes["proposals"], proposal] if p.places]
        baseline = s.baseline.mapping(run_fields)
        scenarios = {}
        try:
            for p in shown:
                scenarios[p.name] = scenario_from_mapping(ws.proposal_mapping(p, baseline, templates),
                                                          where=f"proposal '{p.name}'")
        except TwinError as error:
            st.error(str(error), icon=":material/error:")
            st.stop()
        option = ws.PLACEABLE[st.session_state.get("place_kind") or kinds[0]].planners
        if option in planners:
            scenarios[option] = scenario_from_mapping(planners[option].mapping(run_fields),
                                                      where=f"scenario '{option}'")
        base_key = key_of(scenario_from_mapping(baseline, where="baseline"))
        try:
            with st.spinner("Simulating the residents' week..."):
                parts = {name: data.from_payload(data.comparison(
                    s.city.source, base_key, key_of(sc), replications=ws.REPLICATIONS,
                    residents=run_fields["residents"], days=run_fields["days"], seed=run_fields["seed"]))
                    for name, sc in scenarios.items()}
        except TwinError as error:  # e.g. a place off every street
            st.error(str(error), icon=":material/error:")
            st.stop()
        if "clicked_at" in notes:
            notes["timing_s"] = time.perf_counter() - notes.pop("clicked_at")
        groups = data.tables(data.merge(list(parts.values())), k=s.k).groups
        columns = [(p.name, f"{p.name.replace('_', ' ').capitalize()}: {p.describe()}") for p in shown[-2:]]
        if option in scenarios:
            columns.append((option, f"Planners' option: {option.replace('_', ' ')}"))
        with st.container(key="workshop_results"):
            if not shown:
                st.info("Nothing placed yet: click on the map.", icon=":material/touch_app:")
            st.markdown(ws.results_html(columns, {name: ws.effects(groups, name) for name, _ in columns}, s.k),
                        unsafe_allow_html=True)
        if option in scenarios:
            st.caption(f"Planners' option ({option}): {planners[option].data.get('description', '')}")
        done = "" if notes["timing_s"] is None else f" Updated {notes['timing_s']:.1f} s after the click."
        st.caption(f"Minutes a week getting to essential places, per person, from {ws.REPLICATIONS} runs of "
                   f"{run_fields['residents']:,} simulated residents over {run_fields['days']} days "
                   f"(95% confidence interval). 'No clear effect': the runs cannot tell a gain from a loss. "
                   f"Groups with fewer than {s.k} people are never shown.{done}")
        if shown:
            files = {"baseline.yaml": to_yaml(scenario_from_mapping(baseline, where="baseline"),
                                              city=s.city.scenario_city, header=ws.HEADER)}
            files |= {f"{p.name}.yaml": to_yaml(scenarios[p.name], city=s.city.scenario_city, header=ws.HEADER)
                      for p in shown}
            st.download_button("Save the proposals for the planners (YAML)", ws.proposals_zip(files),
                               file_name="workshop_proposals.zip", mime="application/zip", key="save",
                               icon=":material/download:", type="primary")

sidebar.draw()
