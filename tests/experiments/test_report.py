"""The results folder: every file is there, charts and HTML work offline, and
a group under k residents appears in no output at all."""

import base64
import html as html_text
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from twin.experiments.compare import compare
from twin.experiments.report import Tables, who_benefits_text, write_report
from twin.experiments.run import run_scenario
from twin.experiments.validation import model_figures
from twin.scenario import load_scenario

HELSINKI = Path(__file__).resolve().parents[2] / "scenarios" / "helsinki"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def small(helsinki):
    """500 Helsinki residents: about 5 wheelchair users (helsinki.yaml: 1%)."""
    return compare(load_scenario(HELSINKI / "baseline.yaml"), [load_scenario(HELSINKI / "parking_app.yaml")],
                   replications=2, residents=500, days=7, city=helsinki, progress=False)


def all_text(folder: Path) -> dict[str, str]:
    """Every output file as text: CSV, HTML and JSON as they are, Parquet as
    its rows, PNG as the chart data it was drawn from (charts/chart_data.csv)."""
    texts = {}
    for path in folder.rglob("*"):
        if path.suffix == ".parquet":
            texts[path.name] = pd.read_parquet(path).to_csv()
        elif path.suffix in (".csv", ".html", ".json"):
            texts[path.name] = path.read_text()
    return texts


def test_writes_every_output(small, tmp_path):
    tables = write_report(small, tmp_path / "out")
    names = {p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*")}
    assert {"benefits_by_group.parquet", "benefits_by_group.csv", "who_benefits.csv", "equity.csv",
            "costs.csv", "summary.html", "comparison.json", "charts", "charts/chart_data.csv",
            "charts/parking_app_minutes_saved_per_week.png"} <= names
    assert "per_resident.parquet" not in names  # microdata only when asked for
    png = (tmp_path / "out" / "charts" / "parking_app_minutes_saved_per_week.png").read_bytes()
    assert png.startswith(PNG_SIGNATURE)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "out" / "benefits_by_group.parquet"),
                                  tables.groups, check_like=True)
    chart = pd.read_csv(tmp_path / "out" / "charts" / "chart_data.csv")
    assert set(chart.loc[chart["metric"] == "minutes_saved_per_week", "group"]) == {"Q1", "Q2", "Q3", "Q4", "Q5"}


def test_html_opens_offline_with_embedded_charts_and_readings(small, tmp_path):
    tables = write_report(small, tmp_path / "out")
    html = (tmp_path / "out" / "summary.html").read_text()
    sources = re.findall(r"src='([^']*)'", html)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    assert len(sources) == tables.charts["chart"].nunique()
    assert base64.b64decode(sources[0].split(",", 1)[1]).startswith(PNG_SIGNATURE)
    assert "http" not in html and "<script" not in html and "<link" not in html
    text = html_text.unescape(html)
    assert re.search(r"Of the gains, \d+% go to the richest 40%", text) or "no clear time saving" in text
    # The summary opens with the ranking, before any chart; no raw dump, no
    # scientific notation.
    assert text.index("how sure") < text.index("<img")
    readable = re.sub(r"src='[^']*'", "", text)  # base64 image data may spell "4e+9"
    assert not re.search(r"\d\.?\d*e[+-]\d", readable)


def test_the_baseline_is_shown_next_to_observed_travel(small, helsinki, tmp_path):
    """models/observed/helsinki.yaml names the Helsinki baseline: the report
    sets its travel figures, from the baseline's own runs, beside them."""
    tables = write_report(small, tmp_path / "out")
    for r in range(small.replications):  # each replication's figures: the baseline run with its seed
        run = run_scenario(small.baseline.model_copy(update={"seed": small.seed + r, "residents": 500,
                                                             "days": 7}), city=helsinki)
        assert small.baseline_figures.iloc[r].to_dict() == pytest.approx(model_figures(run.ledger, run.daily))
    table = pd.read_csv(tmp_path / "out" / "validation.csv").set_index("figure")
    mean = small.baseline_figures.mean()
    assert table["model"].to_dict() == pytest.approx(mean[table.index].to_dict())
    assert (table["model_ci95_low"] < table["model"]).all() and table["observed"].notna().all()
    html = html_text.unescape((tmp_path / "out" / "summary.html").read_text())
    assert "The baseline next to observed travel" in html and "share of trips made by car" in html
    assert "next to observed travel" in who_benefits_text(tables)


def test_per_resident_rows_only_when_asked(small, tmp_path):
    write_report(small, tmp_path / "out", per_resident=True)
    rows = pd.read_parquet(tmp_path / "out" / "per_resident.parquet")
    assert len(rows) == 2 * 500
    assert {"scenario", "replication", "resident", "minutes_saved_per_week",
            "essential_travel_min_per_week_before", "essential_travel_min_per_week_after"} <= set(rows.columns)


def test_groups_under_k_appear_in_no_output(small, tmp_path, monkeypatch):
    # without the validation table, whose fixed labels and sources say "on
    # foot or by wheelchair" of all residents (no group)
    monkeypatch.setattr("twin.experiments.compare.observed_for", lambda path: None)
    wheelchair = (small.population["mobility"] == "wheelchair").groupby(small.population["replication"]).sum()
    assert wheelchair.max() > 0 and wheelchair.min() < 10  # the group exists and is small

    write_report(small, tmp_path / "shown", k=1)  # control: with k=1 it would be shown
    assert "wheelchair" in (tmp_path / "shown" / "benefits_by_group.csv").read_text()

    tables = write_report(small, tmp_path / "out", k=10)
    for name, text in all_text(tmp_path / "out").items():
        assert "wheelchair" not in text, name
    assert "wheelchair" not in who_benefits_text(tables)
    assert "wheelchair" not in set(tables.charts["group"])
    assert tables.groups.attrs["suppressed_cells"] >= 2  # with the cell that would reveal it


def test_suppressed_quintiles_leave_no_bar_and_no_reading(small, tmp_path):
    k = 101  # quintiles of 100 residents are under k
    tables = write_report(small, tmp_path / "out", k=k)
    chart = pd.read_csv(tmp_path / "out" / "charts" / "chart_data.csv")
    assert not chart["group"].isin(["Q1", "Q2", "Q3", "Q4", "Q5"]).any()
    who = pd.read_csv(tmp_path / "out" / "who_benefits.csv")
    assert who.filter(like="_min_saved").isna().all().all()
    reading = tables.reading("parking_app", "minutes_saved_per_week")
    assert "not shown" in reading or "no clear" in reading
    assert "Q1" not in reading and "go to" not in reading  # no share of a quintile not shown
    assert not list((tmp_path / "out" / "charts").glob("*.png"))  # no chart without bars
    assert "not shown" in html_text.unescape((tmp_path / "out" / "summary.html").read_text())


def test_one_replication_says_there_is_no_interval(helsinki, tmp_path):
    result = compare(load_scenario(HELSINKI / "baseline.yaml"), [load_scenario(HELSINKI / "parking_app.yaml")],
                     replications=1, residents=500, days=7, city=helsinki, progress=False)
    tables = write_report(result, tmp_path / "out")
    assert "no confidence interval" in who_benefits_text(tables)
    assert "no confidence intervals" in (tmp_path / "out" / "summary.html").read_text()
    assert tables.who_benefits.filter(like="_ci95_").isna().all().all()
    assert "no direction is claimed" in tables.reading("parking_app", "minutes_saved_per_week")


def test_baseline_against_itself_reads_as_no_benefit(helsinki):
    baseline = load_scenario(HELSINKI / "baseline.yaml")
    tables = Tables(compare(baseline, [baseline], replications=2, residents=500, days=7,
                            city=helsinki, progress=False))
    assert tables.reading("baseline", "minutes_saved_per_week").startswith("baseline: no clear time saving")
    row = tables.who_benefits.iloc[0]
    assert np.isnan(row["cost_per_hour_saved"]) and np.isnan(row["concentration_index_mean"])
    assert "no clear effect" in who_benefits_text(tables)


def test_gains_and_losses_that_nearly_offset_keep_the_index_in_bounds(small):
    """The poorer half of each replication gains 5 min, the richer half loses
    4.9: a clear net gain of 0.05 min, over which the standard index would be
    about -50. The report shows the bounded index (-0.5: pro-poor), the
    residents losing, and how to read both."""
    import dataclasses

    from twin.experiments.report import CONC_INDEX_NOTE, format_equity, format_who_benefits

    income = small.population["income"].to_numpy().reshape(small.replications, small.residents)
    poorer = income < np.median(income, axis=1, keepdims=True)
    benefits = small.benefits["parking_app"].copy()
    benefits["minutes_saved_per_week"] = np.where(poorer, 5.0, -4.9).ravel().astype(np.float32)
    tables = Tables(dataclasses.replace(small, benefits={"parking_app": benefits}))
    row = tables.who_benefits.iloc[0]
    assert -0.55 < row["concentration_index_mean"] < -0.45
    assert -1.0 <= row["concentration_index_ci95_low"] <= row["concentration_index_ci95_high"] <= 1.0
    assert format_who_benefits(tables).at[0, "conc. index"].startswith("-0.5")
    assert format_equity(tables).at[0, "residents losing"].startswith("50%")
    assert CONC_INDEX_NOTE in who_benefits_text(tables)


def test_an_index_whose_interval_spans_zero_claims_no_direction(small):
    """A clear gain spread evenly over income: its concentration index is
    near 0 with a 95% CI across 0, which the tables give as a range with no
    direction (pro-poor or pro-rich) claimed; a clearly pro-poor index (the
    poorer half gaining more) is given plainly."""
    import dataclasses

    from twin.experiments.report import format_equity, format_who_benefits

    income = small.population["income"].to_numpy().reshape(small.replications, small.residents)
    rng = np.random.default_rng(5)
    noisy = benefits_with(small, rng.uniform(0.5, 1.5, income.shape))
    tables = Tables(dataclasses.replace(small, benefits={"parking_app": noisy}))
    row = tables.who_benefits.iloc[0]
    assert row["concentration_index_ci95_low"] < 0.0 < row["concentration_index_ci95_high"]
    assert format_who_benefits(tables).at[0, "conc. index"].startswith("no clear direction: ")
    assert format_equity(tables).at[0, "conc. index"].startswith("no clear direction: ")
    poorer = income < np.median(income, axis=1, keepdims=True)
    pro_poor = benefits_with(small, np.where(poorer, 2.0, 1.0))
    tables = Tables(dataclasses.replace(small, benefits={"parking_app": pro_poor}))
    assert format_who_benefits(tables).at[0, "conc. index"].startswith("-")


def benefits_with(comparison, minutes_saved):
    benefits = comparison.benefits["parking_app"].copy()
    benefits["minutes_saved_per_week"] = np.asarray(minutes_saved).ravel().astype(np.float32)
    return benefits
