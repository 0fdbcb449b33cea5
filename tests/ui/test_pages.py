"""Each page of the planners' app, driven headlessly by Streamlit's AppTest on
the bundled Helsinki extract: what the charts, tables and maps are given.

A planner's path: load Helsinki, pick a resident model, toggle an
intervention, run a small comparison, export. Small groups and map cells
must be absent from everything shown; quintile rows must add up."""

from __future__ import annotations

import re

import numpy as np
import pytest

from twin.city import SERVICES
from twin.data_sources import load_data_sources
from twin.experiments.report import CONC_INDEX_NOTE
from twin.outcomes.benefits import BENEFITS
from twin.ui import data, state
from twin.ui.readings import who

from apptools import PAGES, SMALL, assert_clean, chart_data, chart_title, elements, figure, traces


def run_comparison(at, *, k: int | None = None):
    at.switch_page(PAGES["compare"]).run()
    if k is not None:
        at.number_input(key="k").set_value(k).run()
    at.button(key="run").click().run()
    assert_clean(at)
    return at


def test_city_page_maps_helsinki(app):
    at = app.run()
    assert_clean(at)
    s = at.session_state["twin"]
    assert s.city.source == "helsinki"
    city = data.city("helsinki")
    counts = {m.label: m.value for m in at.metric}
    assert counts == {name: f"{len(city.facilities[name]):,}" for name in SERVICES}
    (chart,) = elements(at, "plotly_chart")
    layers = traces(chart)
    shown = at.multiselect(key="city_services").value
    assert set(layers) == {"homes", "streets", *shown}
    for name in shown:
        assert len(layers[name]["text"]) == len(city.facilities[name])
    # the city's own basemap (drawn from its OSM data) under the layers: no tiles
    (image,) = figure(chart)["layout"]["images"]
    assert image["source"].startswith("data:image/png;base64,") and image["layer"] == "below"
    assert "mapbox" not in figure(chart)["layout"] and "map" not in figure(chart)["layout"]
    # the city's own warning (Helsinki's extract has no mapped water point) is shown
    assert any("water" in w.value for w in at.warning)

    at.radio(key="city_mode").set_value("drive").run()
    (chart,) = elements(at, "plotly_chart")
    assert traces(chart)["streets"]["line"]  # drawn again for the drive network


def test_a_rerun_never_rebuilds_the_city(app, monkeypatch):
    calls = []
    real = data.load_city
    monkeypatch.setattr(data, "load_city", lambda *a, **kw: calls.append(a) or real(*a, **kw))
    data.city.clear()
    at = app.run()
    for page in ("residents", "scenarios", "city", "compare"):
        at.switch_page(PAGES[page]).run()
    at.run()
    assert_clean(at)
    assert len(calls) == 1


def test_a_bad_uploaded_file_gives_one_clear_line(app, tmp_path):
    staged = data.stage_upload("broken.osm.pbf", b"not a protobuf at all" * 100, folder=tmp_path)
    at = app
    at.session_state["twin"] = state.Session(
        city=state.CityChoice("upload", str(staged), "broken.osm.pbf (uploaded)", file_name="broken.osm.pbf"),
        **SMALL)
    at.run()
    assert not at.exception
    (error,) = at.error
    assert "broken.osm.pbf" in error.value and "OSM PBF" in error.value
    assert "\n" not in error.value.strip()
    assert at.session_state["twin"].city == state.HELSINKI  # the planner keeps a working city


def test_residents_page_shows_the_models_marginals(app):
    at = app.run()
    at.switch_page(PAGES["residents"]).run()
    assert_clean(at)
    at.selectbox(key="model").set_value("nairobi_informal").run()
    assert_clean(at)
    assert at.session_state["twin"].resident_model == "nairobi_informal"
    tiles = {m.label: float(m.value.rstrip("%")) for m in at.metric}
    assert 20 < tiles["Piped water"] < 70  # about 41% piped in the model
    shares = next(c for c in elements(at, "vega_lite_chart") if "Who has what" in chart_title(c))
    rows = chart_data(shares)
    assert set(rows["quintile"]) == {"Q1", "Q2", "Q3", "Q4", "Q5"}
    assert rows["share"].between(0, 1).all()
    piped = rows[rows["attribute"] == "piped water"].set_index("quintile")["share"]
    assert piped["Q5"] > piped["Q1"]  # richer households are more often piped
    sizes = next(d.value for d in at.dataframe if "grouping" in d.value.columns)
    for grouping, frame in sizes.groupby("grouping"):
        assert frame["residents"].sum() == SMALL["residents"], grouping

    at.number_input(key="residents").set_value(1000).run()
    assert at.session_state["twin"].residents == 1000


def test_scenarios_page_toggles_and_checks_interventions(app):
    at = app.run()
    at.switch_page(PAGES["scenarios"]).run()
    assert_clean(at)
    s = at.session_state["twin"]
    for ident in list(s.drafts):  # every scenario of the set gets its widgets
        at.selectbox(key="editing").set_value(ident).run()
        assert_clean(at)

    parking = next(d for d in s.drafts.values() if d.name == "parking_app")
    at.selectbox(key="editing").set_value(parking.id).run()
    at.toggle(key=f"{parking.id}.0.on").set_value(False).run()
    assert_clean(at)
    overview = next(d.value for d in at.dataframe if "interventions on" in d.value.columns)
    assert overview.set_index("scenario").at["parking_app", "interventions on"] == "none"
    at.toggle(key=f"{parking.id}.0.on").set_value(True).run()

    at.slider(key=f"{parking.id}.0.adoption").set_value(0.9).run()
    assert_clean(at)
    assert at.session_state["twin"].drafts[parking.id].data["interventions"][0]["adoption"] == {
        "value": 0.9, "source": parking.pristine["interventions"][0]["adoption"]["source"]}

    # a value the YAML would reject is rejected here, in one line
    para = next((d for d in s.drafts.values() if d.name == "paratransit_single_stop"), None)
    if para is not None:
        at.selectbox(key="editing").set_value(para.id).run()
        at.multiselect(key=f"{para.id}.0.booking_channels").set_value([]).run()
        assert any("booking_channels" in e.value for e in at.error)
        at.multiselect(key=f"{para.id}.0.booking_channels").set_value(["phone"]).run()
        assert_clean(at)
        at.toggle(key=f"{para.id}.0.multi_stop").set_value(True).run()
        assert at.session_state["twin"].drafts[para.id].data["interventions"][0]["multi_stop"] is True

    # a copy to vary, and every registered kind can be added with widgets
    at.button(key="duplicate").click().run()
    copy = at.session_state["twin"].drafts[at.session_state["twin"].editing]
    assert copy.origin is None and copy.name.endswith("_copy")
    for kind in at.selectbox(key=f"{copy.id}.add_kind").options:
        at.selectbox(key=f"{copy.id}.add_kind").set_value(kind).run()
        at.button(key=f"{copy.id}.add").click().run()
        assert_clean(at)


def test_compare_page_shows_who_benefits_without_small_groups(app):
    at = run_comparison(app.run())
    s = at.session_state["twin"]
    assert s.run is not None and s.run.residents == SMALL["residents"]
    charts = elements(at, "vega_lite_chart")
    income = next(c for c in charts if chart_title(c).endswith("by income"))
    bars = chart_data(income)
    names = s.run.names
    assert set(bars["scenario"]) == set(names)
    for name in names:  # quintile rows add up: all of the residents, all of the benefit
        rows = bars[bars["scenario"] == name]
        assert list(rows["group"]) == ["Q1", "Q2", "Q3", "Q4", "Q5"]
        assert np.isclose(rows["residents"].sum(), SMALL["residents"])
        if rows["share_of_gains"].notna().all():
            assert np.isclose(rows["share_of_gains"].sum(), 1.0, atol=1e-6)
            assert rows["share_of_gains"].between(0.0, 1.0).all()
        assert (rows["ci95_low"] <= rows["mean"] + 1e-9).all() and (rows["mean"] <= rows["ci95_high"] + 1e-9).all()
    readings = [m.value for m in at.markdown if m.value.startswith("- ")]
    assert any("richest 40%" in r or "no clear time saving" in r for r in readings)
    for chart in charts:
        assert (chart_data(chart)["residents"] >= s.k).all()
    # the benefit map shows no cell under k residents
    (chart,) = elements(at, "plotly_chart")
    cells = traces(chart)["benefit"]["text"]
    assert cells, "no map cell shown"
    assert len(figure(chart)["layout"]["shapes"]) == len(cells)  # one square per shown cell
    for text in cells:
        assert float(re.search(r"about ([\d,.]+) residents", text).group(1).replace(",", "")) >= s.k
    # the equity and cost tables are there, one row per scenario
    costs = next(d.value for d in at.dataframe
                 if any(column.startswith("hours saved a year") for column in d.value.columns))
    assert list(costs["scenario"]) == names
    ranking = next(d.value for d in at.dataframe if "how sure" in d.value.columns)
    assert set(ranking["scenario"]) == set(names)
    # the concentration index as the report gives it: who loses, and how to read it
    equity = next(d.value for d in at.dataframe if "residents losing" in d.value.columns)
    assert list(equity["scenario"]) == names
    assert any(CONC_INDEX_NOTE in c.value for c in at.caption)
    # what the city's data sees: one sentence per data source of the baseline, and the table
    assert any(r.startswith("- smart meter readings sees") for r in readings)
    coverage = next(d.value for d in at.dataframe if "share_seen" in d.value.columns)
    assert set(coverage["source"]) == set(load_data_sources("city_data").sources)
    # The app's sample is smaller than the CLI's default, and it says so.
    assert any("smaller than `twin compare`'s default" in i.value for i in at.info)


def test_a_larger_k_hides_small_groups_everywhere(app):
    k = 60  # more than the ~20 wheelchair users of 2,000 residents
    at = run_comparison(app.run(), k=k)
    groups = next(d.value for d in at.dataframe if {"dimension", "group", "mean"} <= set(d.value.columns))
    assert (groups["residents"] >= k).all()
    assert "wheelchair" not in set(groups["group"])
    mobility = next(c for c in elements(at, "vega_lite_chart") if chart_title(c).endswith("by mobility"))
    assert "wheelchair" not in set(chart_data(mobility)["group"])
    assert not any("wheelchair" in m.value for m in at.markdown if m.value.startswith("- "))
    (chart,) = elements(at, "plotly_chart")
    for text in traces(chart)["benefit"]["text"]:
        assert float(re.search(r"about ([\d,.]+) residents", text).group(1).replace(",", "")) >= k
    assert any("left out" in c.value for c in at.caption)
    assert any(f"k = {k}:" in c.value for c in at.caption)  # every view states its k
    assert not at.select_slider  # one grid per city: no cell size to choose


def test_paratransit_multi_stop_on_and_off_for_wheelchair_users(app):
    at = app.run()
    at.switch_page(PAGES["compare"]).run()
    s = at.session_state["twin"]
    names = {s.drafts[i].name for i in s.chosen}
    if names != {"paratransit_multi_stop", "paratransit_single_stop"}:
        pytest.skip("the paratransit scenarios are not in scenarios/helsinki")
    at.number_input(key="compare_residents").set_value(5_000).run()
    at.button(key="run").click().run()
    assert_clean(at)
    mobility = next(c for c in elements(at, "vega_lite_chart") if chart_title(c).endswith("by mobility"))
    rows = chart_data(mobility)
    wheelchair = rows[rows["group"] == "wheelchair"].set_index("scenario")
    assert set(wheelchair.index) == {"paratransit_multi_stop", "paratransit_single_stop"}
    # both services side by side for the mobility group that gains most from
    # either; when no group gains (riders who have not yet learnt how slow
    # one van is lose time), no such line, and the readings say so
    labels = {(lambda w: w[:1].upper() + w[1:])(who(g)) for g in rows["group"]}
    side_by_side = [m.value for m in at.markdown
                    if re.match(r"- [^:]+: paratransit_multi_stop \S+, paratransit_single_stop ", m.value)
                    and m.value[2:].split(":")[0] in labels]
    if rows["mean"].max() > 0:
        top = rows.loc[rows["mean"].idxmax()]
        label = who(top["group"])
        assert side_by_side == [m for m in side_by_side if m.startswith(f"- {label[:1].upper() + label[1:]}: ")]
        assert len(side_by_side) == 1
    else:
        assert not side_by_side
        assert any(m.value.startswith("- paratransit_single_stop") and ("clear losses" in m.value
                                                                         or "no clear time saved" in m.value)
                   for m in at.markdown)


def test_export_page_offers_the_report(app):
    at = app.run()
    at.switch_page(PAGES["export"]).run()
    assert_clean(at)
    assert any("run a comparison first" in i.value for i in at.info)
    at = run_comparison(at)
    at.switch_page(PAGES["export"]).run()
    assert_clean(at)
    labels = {b.proto.label for b in elements(at, "download_button")}
    assert {"Download everything (zip)", "summary.html", "who_benefits.csv", "benefits_by_group.csv",
            "benefits_by_group.parquet", "equity.csv", "costs.csv", "benefit_by_area.csv"} <= labels
    assert any(label.endswith(".png") for label in labels)
    assert any(label.startswith("scenarios/") and label.endswith(".yaml") for label in labels)


def test_the_export_is_the_cli_report_plus_the_map(app):
    import io
    import zipfile

    import pandas as pd

    at = run_comparison(app.run())
    s = at.session_state["twin"]
    from twin.ui import results

    comparison, tables = results.current(s.run, k=s.k)
    files = data.report_zip(comparison, "test", k=s.k, extra={"benefit_by_area.csv": b"cell\n"})
    names = set(zipfile.ZipFile(io.BytesIO(files["twin_results.zip"])).namelist())
    assert {"twin_results/summary.html", "twin_results/who_benefits.csv",
            "twin_results/benefit_by_area.csv", "twin_results/charts/chart_data.csv"} <= names
    groups = pd.read_csv(io.BytesIO(files["benefits_by_group.csv"]))
    assert (groups["residents"] >= s.k).all()
    assert set(groups["metric"]) == set(BENEFITS)


def test_a_problem_found_only_when_running_is_one_line(app):
    at = app.run()
    at.switch_page(PAGES["scenarios"]).run()
    s = at.session_state["twin"]
    points = next(d for d in s.drafts.values() if d.name == "water_points")
    at.selectbox(key="editing").set_value(points.id).run()
    at.number_input(key=f"{points.id}.0.k").set_value(1_000_000).run()
    assert_clean(at)  # a valid number; too many only for this city's homes
    at.switch_page(PAGES["compare"]).run()
    at.multiselect(key="compare_pick").set_value([points.id]).run()
    at.button(key="run").click().run()
    assert not at.exception
    (error,) = at.error
    assert "interventions[0].k" in error.value and "candidate sites" in error.value
    assert at.session_state["twin"].run is None
