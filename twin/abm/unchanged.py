"""Which residents' days a scenario can change, against its baseline.

With common random numbers a resident's day depends on their own rows of
the day kernel's inputs (:class:`~twin.core.daily.DayResidents`), the rows of
their home's node in the city's (:class:`~twin.core.daily.DayCity`: every
field is read at the home's walk node, or at its drive node), the day's
scalars, and, if they fetch water that day, on the water points' queues,
which depend on every household's fetches. A resident's water fetches touch
nothing else of their day, and whether they fetch is drawn from their own
water supply and outage days alone. So where a scenario leaves the scalars
as the baseline has them, every resident outside
:func:`residents_whose_day_differs` lives the baseline's days, bit for bit,
and a run of the scenario need only simulate the others
(:meth:`twin.abm.model.CityModel.replay`): where the scenario changes nothing
of water, those whose other inputs it changes (a parking app: every driver,
48% of Porto's residents; paratransit: its riders, 9%; access centres: those
who reach one, 0.1%), with the water points' queues of the baseline's
fetches; where it changes water (points, supply, outage days), also every
household that fetches water on a measured day in either run, with queues
of their own fetches (in a city with piped water everywhere and rare
outages, under 1% of residents).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from twin.core.daily import DayCity, DayParams, DayResidents, fetching_water
from twin.outcomes.ledger import Ledger

WATER_STATE = ("water_queue_time_s", "water_length_m", "water_served_share")
"""Residents' rows of the water points' choice, updated day by day: compared
as :attr:`BaselineDays.water_start`, before the first day."""

WATER_INPUTS = ("home_node", "wheelchair", "speed_mps", "water_supply", "outage_days_per_week")
"""Residents' rows the water points' choice and each day's wanted fetches
read: a change in any of them can change everyone's queues."""

WATER_ONLY = ("water_supply", "outage_days_per_week")
"""Residents' rows read for water fetches alone."""

BY_PURPOSE = ("walk_length_m", "wheelchair_length_m", "drive_time_s", "walk_choice_m", "walk_choice_drive_s",
              "wheelchair_choice_m", "wheelchair_choice_drive_s", "walk_choice_weight",
              "wheelchair_choice_weight", "walk_transit_s", "wheelchair_transit_s")
"""Fields of :class:`DayCity` by purpose (axis 1): a purpose's column is
read for that purpose's trips only, the water column for fetches only."""


@dataclass
class BaselineDays:
    """What a replay of a baseline's run needs (:meth:`CityModel.record`):
    its day inputs, its water points' choice before day 0, the fetches each
    household wanted on each measured day, and the ledger at the end."""

    residents: DayResidents
    city: DayCity
    params: DayParams
    water_start: tuple[np.ndarray, ...]
    paratransit: bool
    seed: int
    fetches: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    """Per measured day: the residents who wanted to fetch water, and how often."""
    ledger: Ledger | None = None


def _rows_differ(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per row (first axis): whether any entry differs (NaN equals NaN)."""
    a2, b2 = a.reshape(len(a), -1), b.reshape(len(b), -1)
    same = a2 == b2
    if a.dtype.kind == "f":
        same |= np.isnan(a2) & np.isnan(b2)
    return ~same.all(axis=1)


def _equal(a, b) -> bool:
    if a is b:
        return True
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))


def _same_params(a: tuple, b: tuple) -> bool:
    """Equal scalars and arrays, field by field (nested bundles too)."""
    return all(_same_params(x, y) if isinstance(x, tuple) else _equal(x, y) for x, y in zip(a, b, strict=True))


def residents_whose_day_differs(baseline: BaselineDays, residents: DayResidents, city: DayCity,
                                params: DayParams, water_start: tuple[np.ndarray, ...],
                                riders: np.ndarray | None) -> tuple[np.ndarray, bool] | None:
    """The residents whose days the scenario's inputs can change, as int32
    indices (``riders``: its paratransit riders, all of them), and whether
    the water points' queues are the baseline's (nothing of water differs:
    then its fetches can be replayed, and its fetchers need no simulating);
    None when anyone's day can differ: other day scalars, another city
    shape, or a baseline with paratransit."""
    if baseline.paratransit or not _same_params(baseline.params, params):
        return None
    water_same = all(_equal(a, b) for a, b in zip(baseline.water_start, water_start))
    n = len(residents.home_node)
    differs = np.zeros(n, dtype=bool)
    water_differs = np.zeros(n, dtype=bool)
    for name in DayResidents._fields:
        before, after = getattr(baseline.residents, name), getattr(residents, name)
        if before is after or name in WATER_STATE:
            continue
        if before.shape != after.shape or before.dtype != after.dtype:
            return None
        rows = _rows_differ(before, after)
        if rows.any() and name in WATER_INPUTS:
            water_same = False
        if name in WATER_ONLY:
            water_differs |= rows
        else:
            differs |= rows
    n_walk, n_drive = len(city.walk_to_drive), len(city.drive_time_s)
    walk_nodes = np.zeros(n_walk, dtype=bool)
    drive_nodes = np.zeros(n_drive, dtype=bool)
    water = params.water_purpose
    for name in DayCity._fields:
        before, after = getattr(baseline.city, name), getattr(city, name)
        if before is after:
            continue
        if before.shape != after.shape or before.dtype != after.dtype:
            return None
        if name == "work_drive_node":  # read for riders only, who are all simulated
            if riders is None and not _equal(before, after):
                return None
            continue
        if name in BY_PURPOSE:  # the water column only for fetches
            others = np.arange(before.shape[1]) != water
            if not _equal(before[:, water], after[:, water]):
                water_same = False
            before, after = before[:, others], after[:, others]
        if len(before) == n_walk and name != "drive_time_s":
            walk_nodes |= _rows_differ(before, after)
        elif name == "drive_time_s":
            drive_nodes |= _rows_differ(before, after)
        elif not _equal(before, after):
            return None
    walk_nodes |= drive_nodes[city.walk_to_drive]
    differs |= walk_nodes[residents.home_node]
    if not water_same:  # whoever fetches water in either run, with queues of their own
        for fetching, _ in baseline.fetches:
            differs[fetching] = True
        if water_differs.any():
            changed = np.flatnonzero(water_differs).astype(np.int32)
            differs[changed[fetching_water(len(baseline.fetches), baseline.seed, residents, params,
                                           changed)]] = True
    if riders is not None:
        differs[riders] = True
    return np.flatnonzero(differs).astype(np.int32), water_same
