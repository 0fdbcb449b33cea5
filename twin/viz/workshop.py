"""A workshop pack from a finished comparison folder: one large-type page per
scenario in plain language, story cards for the groups residents ask about,
a 3D scene and a 2D map of their streets, as HTML and PDF that work offline.

Everything comes from the comparison's published (suppressed) files:
``benefits_by_group.csv`` and ``benefit_by_area.parquet``; a group or area
with fewer than k people is not in them and is said to be too small to show.
An effect whose 95% CI contains zero is "no clear effect", never a direction.
"""

from __future__ import annotations

import html
import json
import textwrap
import warnings
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from PIL import Image

from twin.city import load_city
from twin.errors import InputFileError
from twin.experiments.store import atomic_folder
from twin.viz import scene as scenes
from twin.viz.basemap import load_basemap
from twin.viz.maps import benefit_map_png

STORIES = (
    ("mobility", "no_car", "People without a car"),
    ("connectivity", "none", "People with no smartphone or internet at home"),
    ("mobility", "wheelchair", "People who use a wheelchair"),
    ("water_supply", "off_premises", "Households without piped water"),
)
"""Story cards: (dimension, group, who) for the groups the workshops ask about."""

METRIC = "minutes_saved_per_week"
NEEDED = ("comparison.json", "benefits_by_group.csv", "benefit_by_area.parquet")


@dataclass(frozen=True)
class Effect:
    """One published figure, read for residents."""

    mean: float
    low: float
    high: float
    people: float

    @property
    def clear(self) -> bool:
        """The 95% CI excludes zero (one replication: no CI, never clear)."""
        return bool(np.isfinite(self.low) and np.isfinite(self.high) and (self.low > 0 or self.high < 0))

    def minutes(self) -> str:
        """``about 35 minutes less a week`` or ``no clear effect``."""
        if not self.clear:
            return "no clear effect on their weekly travel time"
        size = abs(self.mean)
        count, unit = (round(size), "minute") if size >= 1 else (max(round(size * 60), 1), "second")
        amount = f"about {count} {unit}{'' if count == 1 else 's'}"
        return f"{amount} {'less' if self.mean > 0 else 'more'} a week getting to essential places"


def _effect(groups: pd.DataFrame, scenario: str, dimension: str, group: str) -> Effect | None:
    rows = groups[(groups["scenario"] == scenario) & (groups["dimension"] == dimension)
                  & (groups["group"] == group) & (groups["metric"] == METRIC)]
    if rows.empty:
        return None
    row = rows.iloc[0]
    return Effect(float(row["mean"]), float(row["ci95_low"]), float(row["ci95_high"]), float(row["people"]))


def read_comparison(folder: str | Path) -> tuple[dict, pd.DataFrame, gpd.GeoDataFrame]:
    """The facts, group table and benefit by area of a comparison folder.

    Raises
    ------
    InputFileError
        The folder is not a finished comparison of this version of twin.
    """
    folder = Path(folder)
    for name in NEEDED:
        if not (folder / name).is_file():
            raise InputFileError(f"has no {name}", path=folder,
                                 fix="pass a folder written by 'twin compare' (run it again with this version)")
    facts = json.loads((folder / "comparison.json").read_text())
    groups = pd.read_csv(folder / "benefits_by_group.csv", dtype={"group": str})
    return facts, groups, gpd.read_parquet(folder / "benefit_by_area.parquet")


def build_workshop(comparison: str | Path, out: str | Path) -> Path:
    """Write the workshop pack of a comparison folder into ``out`` (replaced
    only when it is complete): ``index.html``, one ``<scenario>.html`` page
    each with its ``<scenario>_3d.html`` scene and PNG pictures, and
    ``workshop.pdf``."""
    facts, groups, area = read_comparison(comparison)
    baseline = facts["baseline"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        city = load_city(baseline["city"], facility_files=baseline["facility_files"],
                         population_grid=baseline["population_grid"])
    basemap = load_basemap(baseline["city"]).to_crs(city.crs)
    area = area.to_crs(city.crs)
    facilities = pd.concat([pd.DataFrame({"service": name, "x_m": city.facilities[name].x_m,
                                          "y_m": city.facilities[name].y_m})
                            for name in ("health", "food", "civic", "water")], ignore_index=True)
    k = facts["k"]
    city_3d = scenes.city_scene(basemap, facilities=facilities)  # built once, shared by every scenario
    pages = []
    with atomic_folder(out) as tmp:
        for scenario in facts["scenarios"]:
            name = scenario["name"]
            cells = area[(area["scenario"] == name) & (area["metric"] == METRIC)]
            unit = "minutes saved per person a week"
            (tmp / f"{name}_map.png").write_bytes(benefit_map_png(
                basemap, cells, unit=unit, title=f"{name}: time saved where people live",
                note=f"Areas with fewer than {k} people are not shown."))
            scene = scenes.with_benefit(city_3d, cells, unit=unit, title=f"{name}: time saved where people live")
            scenes.render_png(scene, tmp / f"{name}_3d.png", size=(1200, 850))
            scenes.export_html(scene, tmp / f"{name}_3d.html")
            page = _page(name, scenario.get("description", ""), groups, k)
            (tmp / f"{name}.html").write_text(_html_page(page, name), encoding="utf-8")
            pages.append(page)
        (tmp / "index.html").write_text(_index(pages, facts), encoding="utf-8")
        _pdf(pages, tmp, tmp / "workshop.pdf")
    return Path(out)


@dataclass
class Page:
    name: str
    description: str
    headline: str
    cards: list[tuple[str, str]]


def _page(name: str, description: str, groups: pd.DataFrame, k: int) -> Page:
    everyone = _effect(groups, name, "all", "all")
    headline = ("Too few people to show." if everyone is None else
                f"Everyone here, on average: {everyone.minutes()}.")
    cards = []
    for dimension, group, who in STORIES:
        effect = _effect(groups, name, dimension, group)
        if effect is None:
            text = f"Fewer than {k} people in this group here: not shown, to protect their privacy."
        else:
            text = f"About {effect.people:,.0f} people: {effect.minutes()}."
        cards.append((who, text))
    return Page(name, description, headline, cards)


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 0; padding: 2rem 3rem; color: #111; font-size: 28px; }
h1 { font-size: 52px; margin: 0 0 0.3em; } .lead { font-size: 34px; margin: 0.2em 0 0.8em; }
.about { color: #444; font-size: 24px; }
.cards { display: grid; grid-template-columns: repeat(2, 1fr); gap: 1rem; margin: 1rem 0; }
.card { border: 3px solid #3a7ca5; border-radius: 14px; padding: 1rem 1.2rem; }
.card h2 { font-size: 30px; margin: 0 0 0.3em; } .card p { margin: 0; }
img { max-width: 100%; border-radius: 8px; } .pictures { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
a { color: #1f5f8b; } .note { font-size: 20px; color: #555; }
@media print { body { font-size: 18pt; } }
"""


def _html_page(page: Page, name: str) -> str:
    esc = html.escape
    cards = "".join(f"<div class='card'><h2>{esc(who)}</h2><p>{esc(text)}</p></div>" for who, text in page.cards)
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{esc(name)}</title>"
            f"<style>{_STYLE}</style></head><body><p><a href='index.html'>All proposals</a></p>"
            f"<h1>{esc(name.replace('_', ' '))}</h1><p class='about'>{esc(page.description)}</p>"
            f"<p class='lead'>{esc(page.headline)}</p><div class='cards'>{cards}</div>"
            f"<div class='pictures'><a href='{esc(name)}_3d.html'><img src='{esc(name)}_3d.png' "
            f"alt='3D view of the streets with the time saved per area'></a>"
            f"<img src='{esc(name)}_map.png' alt='map of the time saved per area'></div>"
            f"<p class='note'>Click the 3D picture to turn the city. Blue: time saved; red: time lost. "
            "'No clear effect' means the simulation cannot tell a gain from a loss.</p></body></html>")


def _index(pages: list[Page], facts: dict) -> str:
    esc = html.escape
    items = "".join(f"<li><a href='{esc(p.name)}.html'>{esc(p.name.replace('_', ' '))}</a>: "
                    f"{esc(p.headline)}</li>" for p in pages)
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Workshop</title>"
            f"<style>{_STYLE}</style></head><body><h1>What would these proposals do for people here?</h1>"
            f"<ul>{items}</ul><p class='note'>Simulated for about {float(facts['population']):,.0f} "
            f"residents over {facts['days']} days, {facts['replications']} runs. Groups and areas with "
            f"fewer than {facts['k']} people are never shown. <a href='workshop.pdf'>Print (PDF)</a></p>"
            "</body></html>")


def _pdf(pages: list[Page], folder: Path, path: Path) -> None:
    """One A4 landscape page per scenario: the words and the 3D picture."""
    with PdfPages(path) as pdf:
        for page in pages:
            figure = Figure(figsize=(11.69, 8.27))
            figure.text(0.04, 0.93, page.name.replace("_", " "), fontsize=30, weight="bold")
            figure.text(0.04, 0.84, textwrap.fill(page.headline, 48), fontsize=16, va="top")
            for i, (who, text) in enumerate(page.cards):
                y = 0.7 - i * 0.165
                figure.text(0.04, y, who, fontsize=15, weight="bold", va="top")
                figure.text(0.04, y - 0.035, textwrap.fill(text, 55), fontsize=12, va="top")
            ax = figure.add_axes((0.48, 0.05, 0.5, 0.78))
            ax.imshow(Image.open(folder / f"{page.name}_3d.png"))
            ax.set_axis_off()
            pdf.savefig(figure)
