"""An adversary for published tables: differencing attacks by linear algebra.

Every published table is a :class:`Release`: for one partition of the
residents of some replications (income quintile, mobility, grid cell of home,
everyone, ...) the cells it shows and the cells it hides. A shown cell tells
the adversary its resident count (summed over the replications it pools),
and the same sums of every benefit. Over *atoms* (the residents of one
replication sharing one label in every partition), each shown cell is a
linear equation. A hidden cell is recovered when its indicator is a linear
combination of the shown cells' indicators: that covers parent minus shown
children (two grid sizes), a total minus its shown groups, the same table at
two values of k, and tables pooling overlapping replications. The targets
are the sensitive cells: fewer than ``k`` residents in a replication, with
``k`` the smallest any release used (a cell hidden only to protect another,
or only at a larger k, may be known elsewhere). Knowing a set of
hidden cells only together is allowed if they hold at least ``k``.

Counts stand for every figure: a cell's benefit sums obey the same equations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Release:
    """One published table, as the adversary reads it.

    Attributes
    ----------
    source
        Which output it is (file and settings), for the report.
    replications
        The replications (seeds) whose residents it summarises.
    partition
        A column of the atoms frame.
    shown
        Labels of the cells it shows.
    k
        The k it was published with.
    """

    source: str
    replications: tuple[int, ...]
    partition: str
    shown: frozenset[str]
    k: int


@dataclass(frozen=True)
class Recovery:
    """A hidden cell the adversary computes: ``residents`` in ``replication``
    (or pooled over the release's replications if None)."""

    release: str
    partition: str
    cell: str
    replication: int | None
    residents: int


def atoms(people: pd.DataFrame, partitions: list[str]) -> pd.DataFrame:
    """Residents grouped by replication and every partition label: one row
    per atom with its ``count``."""
    frame = people[["replication", *partitions]].astype(str).assign(replication=people["replication"])
    return frame.groupby(["replication", *partitions], observed=True).size().rename("count").reset_index()


def _indicator(table: pd.DataFrame, replications, partition: str, cell: str) -> np.ndarray:
    return ((table["replication"].isin(list(replications))) & (table[partition] == cell)).to_numpy(float)


def attack(table: pd.DataFrame, releases: list[Release]) -> list[Recovery]:
    """Play every differencing attack the releases allow together.

    Parameters
    ----------
    table
        :func:`atoms` of every resident the releases summarise (the truth).
    releases
        Everything published about them.

    Returns
    -------
    list of Recovery
        Sensitive cells whose count follows from the shown ones: of one
        replication with 1 to ``k - 1`` residents, or pooled over the
        release's replications where one of them has fewer than ``k`` (``k``:
        the smallest of the releases').
    """
    k = min(release.k for release in releases)  # outputs at a larger k add no secrets
    rows, targets, meta = [], [], []
    for release in releases:
        for cell in release.shown:
            rows.append(_indicator(table, release.replications, release.partition, cell))
        present = set(table.loc[table["replication"].isin(release.replications), release.partition])
        for cell in sorted(present - release.shown):
            per_replication = [_indicator(table, (r,), release.partition, cell)
                               for r in release.replications]
            counts = [int(table["count"].to_numpy() @ v) for v in per_replication]
            if min(counts) >= k:
                continue  # hidden only to protect a small cell: not itself sensitive
            targets.append(sum(per_replication))
            meta.append((release, cell, None, sum(counts)))
            for replication, vector, count in zip(release.replications, per_replication, counts):
                if 0 < count < k:
                    targets.append(vector)
                    meta.append((release, cell, replication, count))
    if not targets:
        return []
    equations = np.array(rows).T if rows else np.zeros((len(table), 0))
    wanted = np.array(targets).T
    if equations.shape[1]:
        solution = np.linalg.lstsq(equations, wanted, rcond=None)[0]
        residual = np.abs(equations @ solution - wanted).max(axis=0)
    else:
        residual = np.ones(wanted.shape[1])
    recovered = [Recovery(release.source, release.partition, cell, replication, residents)
                 for (release, cell, replication, residents), r in zip(meta, residual) if r < 1e-6]
    return recovered


def hidden_unions(table: pd.DataFrame, release: Release) -> dict[int, int]:
    """Residents the release's hidden cells hold together, per replication
    (what its total minus its shown cells reveals)."""
    mine = table[table["replication"].isin(release.replications)]
    hidden = mine[~mine[release.partition].isin(release.shown)]
    return hidden.groupby("replication")["count"].sum().to_dict()
