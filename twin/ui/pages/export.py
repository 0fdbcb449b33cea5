"""Export page: the tables, charts and HTML summary of the last comparison,
as `twin compare` writes them (twin/experiments/report.py), for a council paper."""

import streamlit as st

from twin.ui import data, layout, results, state

s = state.get()
sidebar = layout.Sidebar(s)

st.title("Export")
if s.run is None:
    st.info("Nothing to export yet: run a comparison first.", icon=":material/info:")
    st.page_link(layout.PAGES["compare"], label="Go to Compare", icon=":material/bar_chart:")
    st.stop()

run = s.run
comparison, tables = results.current(run, k=s.k)
st.markdown(
    f"The last comparison: baseline and **{', '.join(run.names)}**, {run.residents:,} residents, "
    f"{run.days} days, {run.replications} replications. Every file is made from the suppressed "
    f"tables: a group or map cell with fewer than {s.k} residents appears in none of them. "
    "Per-resident rows are not exported here.")

files = data.export_files(run.source, comparison, run.key, k=s.k, scenario_city=run.scenario_city)
cell_m = data.area_table(run.source, comparison, run.key, k=s.k).attrs["cell_m"]

st.download_button("Download everything (zip)", files["twin_results.zip"], file_name="twin_results.zip",
                   mime="application/zip", type="primary", icon=":material/folder_zip:",
                   on_click="ignore", key="download_zip")

DESCRIPTIONS = {
    "summary.html": "one-page summary with charts and readings (opens offline)",
    "who_benefits.csv": "minutes saved by income quintile, share to the poorest 40%, cost per hour",
    "benefits_by_group.csv": "every benefit by every group, with 95% CI",
    "benefits_by_group.parquet": "the same, as Parquet",
    "equity.csv": "concentration index, share to the poorest 40%, residents losing, Gini and Palma",
    "costs.csv": "yearly cost, hours saved, residents newly served, cost per unit",
    "benefit_by_area.csv": f"benefit by {cell_m} m cell of the city's grid, of home (the map)",
    "benefit_by_area.gpkg": "the same as a GeoPackage for QGIS (squares in the city's CRS)",
    "benefit_by_area.parquet": "the same as GeoParquet",
    "comparison.json": "settings, seeds, scenario hashes and versions",
    "charts/chart_data.csv": "the data of every chart",
}
MIME = {".html": "text/html", ".csv": "text/csv", ".json": "application/json", ".png": "image/png",
        ".gpkg": "application/geopackage+sqlite3",
        ".parquet": "application/octet-stream", ".yaml": "application/x-yaml"}

st.subheader("Files")
for name in sorted(files, key=lambda n: (n not in DESCRIPTIONS, "/" in n, n)):
    if name == "twin_results.zip":
        continue
    left, right = st.columns([2, 3], vertical_alignment="center")
    suffix = "." + name.rsplit(".", 1)[-1]
    left.download_button(name, files[name], file_name=name.replace("/", "_"),
                         mime=MIME.get(suffix, "application/octet-stream"), on_click="ignore",
                         key=f"download:{name}", icon=":material/download:")
    description = DESCRIPTIONS.get(name, "chart (PNG)" if suffix == ".png" else
                                   "scenario file (YAML)" if suffix == ".yaml" else "")
    right.caption(description if suffix == ".yaml" else f"{description}; k = {s.k}")

st.subheader("Charts")
pngs = [name for name in files if name.endswith(".png")]
columns = st.columns(2)
for index, name in enumerate(pngs):
    columns[index % 2].image(files[name], caption=name)

sidebar.draw()
