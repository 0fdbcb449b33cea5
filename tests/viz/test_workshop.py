"""`twin workshop`: a pack from a real comparison folder, in plain language,
with only published (suppressed) figures, that works offline."""

from pathlib import Path

import pandas as pd
import pytest

from cli_runner import assert_user_error, twin

HELSINKI = Path(__file__).resolve().parents[2] / "scenarios" / "helsinki"


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    root = tmp_path_factory.mktemp("workshop")
    result = twin("compare", HELSINKI / "baseline.yaml", HELSINKI / "paratransit_multi_stop.yaml",
                  "--residents", "1500", "--replications", "3", "--days", "2", "--out", root / "cmp")
    assert result.exit_code == 0, result.output
    result = twin("workshop", root / "cmp", "--out", root / "pack")
    assert result.exit_code == 0, result.output
    return root / "cmp", root / "pack"


def test_one_plain_page_per_scenario_with_story_cards(pack):
    comparison, folder = pack
    names = {p.name for p in folder.iterdir()}
    assert {"index.html", "workshop.pdf", "paratransit_multi_stop.html", "paratransit_multi_stop_3d.html",
            "paratransit_multi_stop_3d.png", "paratransit_multi_stop_map.png"} <= names
    page = (folder / "paratransit_multi_stop.html").read_text()
    for who in ("People without a car", "People with no smartphone", "People who use a wheelchair",
                "Households without piped water"):
        assert who in page
    assert "http" not in page  # nothing to fetch: it works offline
    groups = pd.read_csv(comparison / "benefits_by_group.csv")
    shown = groups[(groups["scenario"] == "paratransit_multi_stop") & (groups["metric"] == "minutes_saved_per_week")]
    wheelchair = shown[shown["group"] == "wheelchair"]
    if wheelchair.empty:
        assert "Fewer than 10 people" in page
    else:  # the card says what the published row says, in whole minutes or "no clear effect"
        row = wheelchair.iloc[0]
        clear = row["ci95_low"] > 0 or row["ci95_high"] < 0
        size = abs(row["mean"])
        said = f"about {round(size)} minute" if size >= 1 else " second"
        assert (said in page) if clear else ("no clear effect" in page)
    # Helsinki's model has almost no households without piped water: never a figure for them
    if "off_premises" not in set(shown["group"]):
        assert "Households without piped water</h2><p>Fewer than 10 people" in page


def test_the_pdf_has_a_page_per_scenario(pack):
    _, folder = pack
    pdf = (folder / "workshop.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") >= 1


def test_a_folder_that_is_not_a_comparison_is_one_clear_line(tmp_path):
    result = twin("workshop", tmp_path, "--out", tmp_path / "pack")
    assert_user_error(result, str(tmp_path), "comparison.json", "twin compare")
    assert not (tmp_path / "pack").exists()
