"""Small-cell suppression that holds across every output a user can obtain.

The rule (also in README.md):

- A table shows a group cell only if it holds at least ``k`` residents in
  every replication; the default ``k`` is :data:`MIN_CELL_RESIDENTS`.
- Complementary suppression: in each replication, the cells under ``k`` are
  hidden together with the smallest other cells of the same table until at
  least two are hidden and they hold at least ``k`` residents together, so a
  table total minus its shown cells reveals only a group of ``k`` or more.
  A cell is hidden if it is hidden in any replication of the table.
- The hidden cells are a prefix of the cells sorted by size, so the hidden set
  only grows with ``k`` and with the replications a table pools: a table at a
  larger ``k``, or pooling more replications, shows nothing that the table at
  the smaller ``k`` or from fewer replications hides.
- Areas are one fixed grid per city (:func:`twin.viz.areas.area_cell_m`), never
  a user-chosen cell size, so no published cell is the union of others.
- A ``k`` under the default needs an explicit option, and every output states
  the ``k`` it used.
"""

from __future__ import annotations

import numpy as np

from twin.errors import ConfigError

MIN_CELL_RESIDENTS = 10
"""Default k: group cells with fewer residents are suppressed everywhere."""


def _hidden_in_one(residents: np.ndarray, k: int, start: np.ndarray | None = None) -> np.ndarray:
    hidden = residents < k
    if start is not None:
        hidden |= start
    if not hidden.any():
        return hidden
    for cell in np.argsort(residents, kind="stable"):
        if hidden.sum() >= 2 and residents[hidden].sum() >= k:
            break
        hidden[cell] = True
    return hidden


def cells_to_suppress(residents: np.ndarray, k: int, *, start: np.ndarray | None = None) -> np.ndarray:
    """Cells of one table to hide: primary (under ``k``, or in ``start``)
    and complementary.

    Parameters
    ----------
    residents
        Residents per cell: shape (cells,), or (replications, cells) for a
        table pooling replications.
    k
        Smallest cell shown.
    start
        bool, shape (cells,): cells already hidden for another reason (e.g.
        by another table over the same cells), hidden here too and
        protected like the primary ones.

    Returns
    -------
    numpy.ndarray
        bool, shape (cells,): hidden in any replication. In each replication
        the hidden cells are none, or at least two holding ``k`` or more
        residents together (all cells, if the table holds fewer than ``k``).
    """
    residents = np.atleast_2d(np.asarray(residents))
    hidden = np.zeros(residents.shape[1], dtype=bool)
    for replication in residents:
        hidden |= _hidden_in_one(replication, k, start)
    return hidden


def check_k(k: int, *, allow_small: bool = False, option: str = "--k") -> int:
    """``k`` if it may be used: a positive whole number, and not under
    :data:`MIN_CELL_RESIDENTS` unless ``allow_small``.

    Raises
    ------
    ConfigError
        Naming ``option`` and the fix.
    """
    if k <= 0:
        raise ConfigError(f"must be a positive whole number, got {k}", field=option,
                          fix=f"pass e.g. {option} {MIN_CELL_RESIDENTS}")
    if k < MIN_CELL_RESIDENTS and not allow_small:
        raise ConfigError(
            f"{k} is under the default of {MIN_CELL_RESIDENTS}: groups this small can single "
            "people out", field=option,
            fix=f"pass {option} {MIN_CELL_RESIDENTS} or more, or add --allow-small-k if every "
                "reader may see groups this small")
    return int(k)
