"""Residents page: who lives in the city (a resident model from models/)."""

import pandas as pd
import streamlit as st

from twin.errors import TwinError
from twin.residents import available_models, load_resident_model
from twin.ui import charts, data, layout, state

s = state.get()
sidebar = layout.Sidebar(s)

st.title("Residents")
st.markdown(
    "A resident model says who lives in the city: income, cars, phones and digital skills, "
    "mobility and water supply, each number with its source. twin draws synthetic residents "
    "from it and places them in homes on the city's streets.")

models = available_models()
if s.resident_model not in models:
    models = [s.resident_model, *models]
left, middle, right = st.columns([2, 1, 1])
s.resident_model = left.selectbox("Resident model (models/*.yaml)", models,
                                  index=models.index(s.resident_model), key="model")
s.residents = int(middle.number_input(
    "Residents simulated", min_value=100, max_value=1_000_000, value=s.residents, step=1_000,
    key="residents", help="More residents give narrower confidence intervals and fewer suppressed "
                          "groups, and take longer. 5,000 runs a comparison in seconds."))
s.seed = int(right.number_input("Seed", min_value=0, value=s.seed, step=1, key="seed",
                                help="The same seed draws the same residents and days."))

sidebar.draw()

try:
    model = load_resident_model(s.resident_model)
    profile = data.resident_profile(s.city.source, s.resident_model, s.residents, s.seed)
except TwinError as error:
    st.error(str(error), icon=":material/error:")
    st.stop()

st.caption(model.description)
n = len(profile)
tiles = {
    "Have a car": profile["has_car"],
    "Can use apps": profile["can_use_apps"],
    "Reduced mobility": profile["reduced_mobility"],
    "Wheelchair users": profile["wheelchair"],
    "Piped water": profile["water_supply"] == "piped",
}
for column, (label, flags) in zip(st.columns(len(tiles)), tiles.items()):
    column.metric(label, f"{flags.mean():.1%}", help=f"{int(flags.sum()):,} of {n:,} residents")

shares = charts.share_frame(profile)
st.altair_chart(charts.share_chart(shares), key="shares_chart")

sizes = []
for dimension, column in [("income quintile", "income_quintile"), ("mobility", "mobility"),
                          ("connectivity", "connectivity"), ("apps", "can_use_apps"),
                          ("water supply", "water_supply")]:
    for group, count in profile[column].value_counts().sort_index().items():
        label = f"Q{group}" if column == "income_quintile" else (
            ("can use apps" if group else "cannot use apps") if column == "can_use_apps" else str(group))
        sizes.append({"grouping": dimension, "group": label.replace("_", " "), "residents": int(count),
                      f"at least {s.k}": "yes" if count >= s.k else "no: too few"})

left, right = st.columns([3, 2])
with left:
    st.altair_chart(charts.income_chart(profile, model.currency), key="income_chart")
with right:
    st.markdown("**Group sizes** (residents per run)")
    st.dataframe(pd.DataFrame(sizes), hide_index=True, key="group_sizes", height=300)
    st.caption(f"A group with fewer than {s.k} residents (and the next smallest, so it cannot be "
               "worked out from the total) is left out of every chart, table, map and export.")

with st.expander("Where the numbers come from"):
    st.dataframe(pd.DataFrame([{"field": f, "source": src} for f, src in model.sources().items()]),
                 hide_index=True, width="stretch")
with st.expander("Data behind the charts"):
    st.dataframe(shares, hide_index=True, key="shares_data")

sidebar.draw()
