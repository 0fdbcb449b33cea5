"""Compare page: run the baseline and the chosen scenarios, see who benefits."""

import streamlit as st

from twin.errors import TwinError
from twin.experiments.compare import DEFAULT_REPLICATIONS
from twin.experiments.report import (
    CONC_INDEX_NOTE,
    format_costs,
    format_equity,
    format_ranking,
    format_who_benefits,
)
from twin.outcomes.benefits import BENEFITS
from twin.outcomes.groups import MIN_CELL_RESIDENTS
from twin.ui import charts, data, layout, maps, readings, results, state
from twin.ui.readings import DIMENSIONS, METRIC_LABELS

s = state.get()
s.ensure_set()
sidebar = layout.Sidebar(s)

st.title("Compare")
st.markdown(
    "Every scenario runs against the baseline with the **same residents on the same days** "
    "(common random numbers), over several replications: a benefit is the baseline's travel "
    "minus the scenario's for the same resident, and the bars show its 95% confidence interval.")

ids = list(s.drafts)
if s.chosen is None:
    s.chosen = []
s.chosen = st.multiselect("Scenarios to compare with the baseline", ids,
                          default=[i for i in s.chosen if i in s.drafts],
                          format_func=lambda i: s.drafts[i].name, key="compare_pick",
                          help="Edit them, or make copies with other parameters, on the Scenarios page.")
left, middle, right, far = st.columns(4)
s.replications = int(left.number_input(
    "Replications", min_value=1, max_value=50, value=s.replications, step=1, key="replications",
    help="Runs with seeds seed .. seed + R - 1; more give narrower confidence intervals."))
s.days = int(middle.number_input("Simulated days", min_value=1, max_value=28, value=s.days, step=1,
                                 key="days"))
s.residents = int(right.number_input("Residents", min_value=100, max_value=1_000_000,
                                     value=s.residents, step=1_000, key="compare_residents"))
s.k = int(far.number_input("Smallest group shown (k)", min_value=MIN_CELL_RESIDENTS,
                           value=s.k, step=1, key="k",
                           help="Groups and map cells with fewer residents are left out everywhere."))

sidebar.draw()

plan = results.plan(s)
for problem in plan.problems:
    st.error(problem, icon=":material/error:")
pressed = st.button("Run comparison", type="primary", disabled=plan.run is None, key="run",
                    icon=":material/play_arrow:")
if pressed and plan.run is not None:
    try:
        results.run(plan.run)
    except TwinError as error:  # found only when applied, e.g. more sites than candidates
        st.error(str(error), icon=":material/error:")
    else:
        s.run = plan.run

if s.run is None:
    st.info("Choose scenarios and press **Run comparison**. With 5,000 residents and 3 "
            "replications a comparison takes seconds (the very first run of a fresh install "
            "also compiles the simulation: up to a minute).", icon=":material/info:")
    st.stop()
if plan.run is None or plan.run.key != s.run.key:
    st.warning("These results are from earlier choices: press **Run comparison** to update them.",
               icon=":material/history:")

run = s.run
comparison, tables = results.current(run, k=s.k)
names = run.names
groups = tables.groups

ci = (f"95% CI over {run.replications} replications" if run.replications > 1
      else "one replication: no confidence interval")
st.caption(f"Baseline and {len(names)} scenario(s): {run.residents:,} residents, {run.days} days, "
           f"seeds {run.seed} to {run.seed + run.replications - 1}; {ci}. "
           f"Simulated in {comparison.wall_time_s:.1f} s. {comparison.expansion.describe()}")
cli_residents = comparison.baseline.residents
if run.residents < cli_residents or run.replications < DEFAULT_REPLICATIONS:
    st.info(f"This sample ({run.residents:,} residents x {run.replications} replications) is smaller "
            f"than `twin compare`'s default ({cli_residents:,} x {DEFAULT_REPLICATIONS}): totals and "
            "costs are in people of the city either way, but the confidence intervals are wider.",
            icon=":material/info:")
st.subheader("Ranking")
st.dataframe(format_ranking(tables), hide_index=True, key="ranking_table")
st.caption("Clear gains first, then by cost per hour saved; a gain or loss is claimed only where "
           "the 95% CI excludes zero.")
st.caption(f"k = {s.k}: {tables.groups.attrs['suppressed_cells']} group(s) per scenario with fewer "
           f"than {s.k} residents (and the groups needed to protect them) are left out.")

metrics = [m for m in BENEFITS if any(m in tables.chart_metrics(n) for n in names)]
metric = st.radio("Benefit", metrics, format_func=METRIC_LABELS.get, horizontal=True, key="metric",
                  help="; ".join(f"{METRIC_LABELS[m]}: {BENEFITS[m]}" for m in metrics))

st.subheader("Who benefits, by income")
bars = charts.group_frame(groups, names, metric, "income_quintile")
with st.container(key="who_benefits"):
    st.altair_chart(charts.group_chart(bars, metric=metric, dimension="income_quintile",
                                       scenarios=names), key="who_benefits_chart")
    for name in names:
        st.markdown(f"- {tables.reading(name, metric)}")

st.subheader("By mobility, connectivity, app access and water supply")
tabs = st.tabs([DIMENSIONS[d] for d in DIMENSIONS if d != "income_quintile"])
for tab, dimension in zip(tabs, [d for d in DIMENSIONS if d != "income_quintile"]):
    with tab:
        frame = charts.group_frame(groups, names, metric, dimension)
        st.altair_chart(charts.group_chart(frame, metric=metric, dimension=dimension, scenarios=names),
                        key=f"chart_{dimension}")
        lines = [readings.group_reading(groups, name, metric, dimension, k=s.k) for name in names]
        both = readings.side_by_side(groups, names, metric, dimension)
        for line in lines + ([both] if both else []):
            st.markdown(f"- {line}")

with st.expander("Data behind the charts (suppressed groups are absent)"):
    shown = groups[groups["metric"] == metric].drop(columns=["metric"])
    st.dataframe(shown, hide_index=True, key="groups_data")

st.subheader("Equity and cost")
st.markdown("**Time saved by income quintile** (minutes per resident-week, ± 95% CI)")
st.dataframe(format_who_benefits(tables), hide_index=True, key="who_benefits_table")
st.caption("gains to poorest 40%: part of all time gains going to Q1-Q2; " + CONC_INDEX_NOTE
           + " 'no clear effect' where the 95% CI contains zero.")

st.markdown("**Equity indices** (mean over replications, 95% CI in brackets)")
st.dataframe(format_equity(tables, metric), hide_index=True, key="equity_table")
st.caption(f"gains (losses) to poorest 40%: the part of all gains (losses) in {METRIC_LABELS[metric].lower()} "
           "going to income quintiles Q1-Q2; residents losing: the part of residents whose benefit is "
           f"below 0; {CONC_INDEX_NOTE} Gini and Palma: inequality of weekly essential travel time "
           "before (baseline) and after (scenario).")
st.markdown("**Cost**")
st.dataframe(format_costs(tables), hide_index=True, key="costs_table")
st.caption("Yearly cost = capital / lifetime + operating, for the interventions a scenario adds. "
           f"Totals in {comparison.expansion.unit} of the city. Newly served: newly with basic water "
           "or a clinic within 30 min, or with unmet trips avoided. A cost per unit is given only "
           "when the units are clearly above zero.")

if tables.data:
    st.subheader("What the city's data sees")
    st.markdown("Each data source sees some residents and not others: the share of each need it sees "
                "(95% CI), the groups it clearly sees less of, and what siting from it costs against "
                "siting from the true need.")
    with st.container(key="data_sources"):
        for line in tables.data.coverage_sentences() + tables.data.siting_sentences():
            st.markdown(f"- {line}")
    with st.expander("Coverage and siting tables (suppressed groups are absent)"):
        st.dataframe(tables.data.coverage, hide_index=True, key="coverage_table")
        if not tables.data.siting_totals.empty:
            st.dataframe(tables.data.siting_totals, hide_index=True, key="siting_cost_table")

st.subheader("Benefit by area")
area_scenario = st.selectbox("Scenario", names, key="area_scenario")
area = data.area_table(run.source, comparison, run.key, k=s.k)
cell_m = area.attrs["cell_m"]
cells = area[(area["scenario"] == area_scenario) & (area["metric"] == metric)]
with st.container(key="benefit_area"):
    st.plotly_chart(maps.benefit_figure(data.map_frame(run.source), data.with_origins(cells, cell_m),
                                        cell_m=cell_m, metric_unit=BENEFITS[metric]),
                    key="benefit_map", theme=None, config=maps.CONFIG)
hidden = area.attrs.get("suppressed_cells", 0)
st.caption(f"Mean {BENEFITS[metric]} of the residents living in each {cell_m} m cell: blue, a gain; "
           f"red, a loss. {len(cells)} of {area.attrs.get('cells', len(cells))} cells shown; "
           f"{hidden} with fewer than {s.k} residents (or needed to protect one) are left out. "
           "The city has one grid, so no two maps or files split an area differently.")

sidebar.draw()
