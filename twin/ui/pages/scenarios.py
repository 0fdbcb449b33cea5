"""Scenarios page: start from the files in scenarios/, switch interventions on
and off, edit their parameters, save a scenario as YAML."""

import sys

import pandas as pd
import streamlit as st

from twin.errors import TwinError
from twin.interventions import REGISTRY
from twin.residents import load_resident_model
from twin.scenario import check_intervention, scenario_from_mapping
from twin.ui import data, forms, layout, state
from twin.ui.fields import describe
from twin.ui.scenarios import scenario_sets, to_yaml, unique_name

s = state.get()
s.ensure_set()
sidebar = layout.Sidebar(s)

st.title("Scenarios")
st.markdown(
    "Each scenario adds interventions to the baseline. Start from the files in `scenarios/`, "
    "switch interventions on or off, change their parameters (every value is checked as in a "
    "scenario file), and save a scenario as YAML. Pick which to compare on the **Compare** page.")

sets = scenario_sets()
if not sets:
    st.error("No scenario sets found: add a folder with a baseline.yaml under scenarios/.")
    st.stop()
names = list(sets)


def forget_widgets(draft_id: str) -> None:
    """Drop the widget values of a draft, so its widgets are drawn from its data again."""
    for key in [k for k in st.session_state if str(k).startswith(f"{draft_id}.")]:
        del st.session_state[key]


def choose(ident: str | None) -> None:
    """Edit draft ``ident`` next (in a callback: before the selectbox is drawn)."""
    s.editing = ident
    if ident is None:
        st.session_state.pop("editing", None)
    else:
        st.session_state["editing"] = ident


def change_set() -> None:
    for ident in s.drafts:
        forget_widgets(ident)
    s.load_set(st.session_state["scenario_set"])
    choose(s.editing)


st.selectbox("Scenario set (a folder of scenarios/)", names,
             index=names.index(s.scenario_set) if s.scenario_set in names else 0,
             key="scenario_set", on_change=change_set,
             help="Choosing another set starts over from its files.")

try:
    currency = load_resident_model(s.resident_model).currency
except TwinError:
    currency = "EUR"
fields = s.run_fields()


def status(draft) -> tuple[str, str]:
    """Whether the draft checks out, and its yearly cost in the costs' own currency."""
    try:
        scenario = scenario_from_mapping(draft.mapping(fields), where=f"scenario '{draft.name}'")
    except TwinError as error:
        return str(error), "-"
    by_currency: dict[str, float] = {}
    for item in scenario.interventions:
        label = f"{item.cost.currency} {item.cost.price_year}"
        by_currency[label] = by_currency.get(label, 0.0) + item.cost.yearly
    return "ok", " + ".join(f"{label}: {value:,.0f}" for label, value in by_currency.items()) or "0"


def draw_overview() -> None:
    """One row per scenario: what is on, its yearly cost, whether it checks out."""
    rows = []
    for draft in s.drafts.values():
        problem, yearly = status(draft)
        on = [item["type"] for item, flag in zip(draft.data["interventions"], draft.enabled) if flag]
        rows.append({"scenario": draft.name, "interventions on": ", ".join(on) or "none",
                     "yearly cost": yearly,
                     "compared": "yes" if draft.id in (s.chosen or []) else "",
                     "check": "ok" if problem == "ok" else problem})
    overview.dataframe(pd.DataFrame(rows), hide_index=True, key="scenario_overview")


st.info(f"**Baseline ({s.baseline.name})**: {s.baseline.data.get('description', '')}", icon=":material/flag:")

overview = st.empty()  # filled at the end, after the edits below

if not s.drafts:
    st.stop()
ids = list(s.drafts)
if s.editing not in s.drafts:
    s.editing = ids[0]
s.editing = st.selectbox("Scenario to edit", ids, index=ids.index(s.editing),
                         format_func=lambda i: s.drafts[i].name, key="editing")
draft = s.drafts[s.editing]


def remove(d, index: int) -> None:
    d.remove(index)
    forget_widgets(d.id)  # the later interventions move up one place


with st.container(border=True):
    left, right = st.columns([1, 2])
    draft.data["name"] = left.text_input("Name", value=draft.name, key=f"{draft.id}.name").strip()
    draft.data["description"] = right.text_input("Description", value=draft.data.get("description", ""),
                                                 key=f"{draft.id}.description")
    taken = [d.name for d in s.drafts.values() if d.id != draft.id] + [s.baseline.name]
    if draft.name in taken or not draft.name:
        st.error("Give this scenario a name of its own (names label the results).")

    for index, item in enumerate(list(draft.data["interventions"])):
        kind = item.get("type")
        cls = REGISTRY.get(kind)
        with st.container(border=True):
            head, switch, drop = st.columns([4, 1, 1], vertical_alignment="center")
            head.markdown(f"##### {kind.replace('_', ' ').capitalize() if kind else '?'}")
            draft.enabled[index] = switch.toggle("On", value=draft.enabled[index],
                                                 key=f"{draft.id}.{index}.on",
                                                 help="Off: the scenario runs without this intervention.")
            drop.button("Remove", key=f"{draft.id}.{index}.remove", on_click=remove, args=(draft, index))
            if cls is None:
                st.error(f"Unknown intervention type {kind!r}; valid: {', '.join(sorted(REGISTRY))}")
                continue
            about = sys.modules[cls.__module__].__doc__ or ""
            if about:
                st.caption(" ".join(about.split("\n\n")[0].split()))
            draft.data["interventions"][index] = forms.edit(
                describe(cls), item, key=f"{draft.id}.{index}", currency=currency)
            problem = check_intervention(draft.data["interventions"][index])
            if problem:
                st.error(problem, icon=":material/error:")

    available = data.intervention_templates()
    add_left, add_right = st.columns([3, 1], vertical_alignment="bottom")
    kinds = [k for k in REGISTRY if k in available]
    to_add = add_left.selectbox("Add an intervention", kinds, key=f"{draft.id}.add_kind",
                                help="Starts from its parameters in a scenario file, with their sources.")
    add_right.button("Add", key=f"{draft.id}.add", disabled=not kinds,
                     on_click=lambda: draft.add(available[st.session_state[f"{draft.id}.add_kind"]]))
    missing = sorted(set(REGISTRY) - set(available))
    if missing:
        st.caption(f"No scenario file uses {', '.join(missing)} yet, so it cannot be added here; "
                   "write a YAML file for it first.")



def duplicate() -> None:
    taken_names = {d.name for d in s.drafts.values()} | {s.baseline.name}
    copy = draft.copy(name=unique_name(f"{draft.name}_copy", taken_names),
                      id=unique_name(f"{draft.id}_copy", set(s.drafts)))
    s.drafts[copy.id] = copy
    choose(copy.id)


def reset() -> None:
    draft.reset()
    forget_widgets(draft.id)


def delete() -> None:
    del s.drafts[draft.id]
    forget_widgets(draft.id)
    s.chosen = [i for i in (s.chosen or []) if i != draft.id]
    choose(next(iter(s.drafts), None))


problem, _ = status(draft)
buttons = st.columns(4)
buttons[0].button("Duplicate", key="duplicate", on_click=duplicate,
                  help="A copy to change, e.g. one parameter.")
buttons[1].button("Reset to file" if draft.origin else "Reset", key="reset", on_click=reset)
buttons[2].button("Delete from this list", key="delete", on_click=delete, help="The file is not touched.")
if problem == "ok":
    scenario = scenario_from_mapping(draft.mapping(fields), where=draft.name)
    buttons[3].download_button(
        "Save as YAML", to_yaml(scenario, city=s.city.scenario_city,
                                header=f"{scenario.name}: saved from the twin planners' app.\n"
                                       "Load with: twin run <this file>"),
        file_name=f"{scenario.name}.yaml", mime="application/x-yaml", on_click="ignore",
        key="save_yaml", type="primary")
else:
    buttons[3].button("Save as YAML", disabled=True, key="save_yaml_disabled",
                      help="Fix the problem above first.")
    st.error(problem, icon=":material/error:")

draw_overview()
sidebar.draw()
