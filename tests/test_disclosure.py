"""No pair of outputs lets a suppressed cell be recovered by difference.

Everything a user can obtain about the same residents is gathered: the app's
Export files (the CLI's results folder plus benefit by area on the city's
grid) at two values of k, from comparisons pooling overlapping replications
(seeds 1-2, 1 and 2), and ``twin run``'s groups.csv on the same residents.
The adversary in tests/disclosure.py then plays every differencing attack
they allow together (parent minus shown children, a total minus its shown
groups, two k, overlapping replications) and must recover nothing."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from disclosure import Release, atoms, attack, hidden_unions

from twin.experiments.compare import DIMENSIONS, compare
from twin.experiments.run import run_scenario
from twin.outcomes.coverage import NEEDS
from twin.scenario import load_scenario
from twin.ui import data
from twin.viz import areas

HELSINKI = Path(__file__).resolve().parents[1] / "scenarios" / "helsinki"
RESIDENTS, DAYS, SEED = 400, 1, 1
KS = (10, 20)
PARTITIONS = ["all", *DIMENSIONS, "area", "poorest_40pct"]
COVERAGE = [f"{need}|{dimension}" for need in NEEDS for dimension in ("all", *DIMENSIONS)]
"""coverage.csv's partitions: a group's residents with and without the need
(its count with the need is shown, and its size is shown elsewhere)."""


@pytest.fixture(scope="module")
def published(helsinki):
    """(atoms of every resident summarised, every release, k of each release)."""
    baseline = load_scenario(HELSINKI / "baseline.yaml")
    parking = load_scenario(HELSINKI / "parking_app.yaml")

    def run(first_seed, replications):
        return compare(baseline, [parking], replications=replications, residents=RESIDENTS,
                       days=DAYS, seed=first_seed, city=helsinki, progress=False)

    comparisons = {(SEED, SEED + 1): run(SEED, 2), (SEED,): run(SEED, 1), (SEED + 1,): run(SEED + 1, 1)}
    pooled = comparisons[(SEED, SEED + 1)]
    people = pooled.population.assign(
        replication=pooled.population["replication"].to_numpy() + SEED, all="all",
        area=areas.home_cells(pooled, helsinki).astype(str),
        poorest_40pct=np.where(pooled.population["income_quintile"].isin(["Q1", "Q2"]), "Q1-Q2", "Q3-Q5"))
    for need in NEEDS:
        has = np.where(pooled.observed[f"need_{need}"].to_numpy() > 0, "with", "without")
        for dimension in ("all", *DIMENSIONS):
            people[f"{need}|{dimension}"] = people[dimension].astype(str).to_numpy() + "|" + has
    for seeds, c in comparisons.items():  # the same residents in every output (common random numbers)
        mine = people[people["replication"].isin(seeds)]
        assert np.array_equal(c.population["home_node"], mine["home_node"])
    releases = []
    for seeds, c in comparisons.items():
        for k in KS:
            files = data.export_files("helsinki", c, f"{seeds}:{k}", k=k, scenario_city="helsinki")
            releases += _releases_in_files(files, seeds, k)
    single = run_scenario(baseline.model_copy(update={"residents": RESIDENTS, "days": DAYS, "seed": SEED}))
    groups = single.groups  # twin run's groups.csv and printout; it prints the resident count
    releases.append(Release("twin run: total", (SEED,), "all", frozenset({"all"}), 10))
    for dimension, rows in groups.groupby("dimension"):
        shown = rows[rows["residents"].notna()]
        truth = people[people["replication"] == SEED][dimension].astype(str).value_counts()
        assert (truth.reindex(shown["group"]).to_numpy() == shown["residents"].to_numpy()).all()
        releases.append(Release(f"twin run: groups.csv {dimension}", (SEED,), dimension,
                                frozenset(shown["group"].astype(str)), 10))
    return atoms(people, PARTITIONS + COVERAGE), releases


def _releases_in_files(files: dict[str, bytes], seeds: tuple[int, ...], k: int) -> list[Release]:
    """Every table among the Export page's files, as the adversary reads it."""
    where = f"seeds {seeds}, k={k}"

    def csv(name):
        return pd.read_csv(io.BytesIO(files[name]), dtype={"group": str, "cell": str})

    releases = []
    groups = csv("benefits_by_group.csv")
    parquet = pd.read_parquet(io.BytesIO(files["benefits_by_group.parquet"]))
    assert set(map(tuple, parquet[["dimension", "group"]].astype(str).to_numpy())) == set(
        map(tuple, groups[["dimension", "group"]].to_numpy()))
    for dimension, rows in groups.groupby("dimension"):
        releases.append(Release(f"benefits_by_group.csv/.parquet {dimension}, {where}", seeds,
                                dimension, frozenset(rows["group"]), k))
    charts = csv("charts/chart_data.csv")
    releases.append(Release(f"charts/chart_data.csv, {where}", seeds, "income_quintile",
                            frozenset(charts["group"]), k))
    who = csv("who_benefits.csv")
    quintiles = [c.split("_")[0] for c in who.columns if c.endswith("_min_saved") and who[c].notna().any()]
    releases.append(Release(f"who_benefits.csv, {where}", seeds, "income_quintile", frozenset(quintiles), k))
    # totals over everyone, and gains to the poorest 40% (Q1-Q2) and so to the rest
    releases.append(Release(f"ranking.csv, costs.csv, {where}", seeds, "all", frozenset({"all"}), k))
    releases.append(Release(f"equity.csv, {where}", seeds, "poorest_40pct", frozenset({"Q1-Q2", "Q3-Q5"}), k))
    coverage = csv("coverage.csv")
    assert len(coverage) and pd.read_parquet(io.BytesIO(files["coverage.parquet"])).shape == coverage.shape
    for (need, dimension), rows in coverage.groupby(["need", "dimension"]):
        by_source = rows.groupby("source")["group"].apply(frozenset)
        assert by_source.nunique() == 1  # every source shows the same cells
        groups_shown = by_source.iloc[0]
        releases.append(Release(f"coverage.csv/.parquet {need} by {dimension}, {where}", seeds,
                                f"{need}|{dimension}",
                                frozenset(f"{g}|{has}" for g in groups_shown for has in ("with", "without")), k))
    area = csv("benefit_by_area.csv")
    releases.append(Release(f"benefit_by_area.csv, {where}", seeds, "area", frozenset(area["cell"]), k))
    return releases


def test_no_output_pair_reveals_a_suppressed_cell(published):
    table, releases = published
    hidden = sum(len(set(table[r.partition]) - r.shown) for r in releases)
    assert hidden > 0  # the outputs do suppress cells: the attack has targets
    recovered = attack(table, releases)
    assert not recovered, "\n".join(map(str, recovered[:10]))


def test_what_a_total_minus_its_shown_cells_reveals_holds_k_residents(published):
    table, releases = published
    for release in releases:
        for replication, residents in hidden_unions(table, release).items():
            assert residents == 0 or residents >= release.k, (release.source, replication, residents)


def test_a_larger_k_hides_more_and_shows_the_same_cells_otherwise(published):
    _, releases = published
    by_table = {}
    for release in releases:
        by_table.setdefault((release.source.split(", k=")[0], release.replications), {})[release.k] = release
    pairs = [t for t in by_table.values() if len(t) == 2]
    assert pairs
    for pair in pairs:
        assert pair[KS[1]].shown <= pair[KS[0]].shown
