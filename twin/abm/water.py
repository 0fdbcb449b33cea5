"""Water points as queues: fetches load a point, its wait and the share of
fetches it can serve follow from the load, and households choose among their
nearest points by the expected time per fetch that brings water home,
updating their expectation of each point's load from day to day.

The queueing relation (stated, textbook): a point is a single tap filling one
container in a fixed time ``fill_s`` (container / flow) during ``open_s`` a
day. Fetches arrive at random over the opening hours (rate ``lambda =
load / open_s``); utilisation ``rho = lambda * fill_s``. The mean wait in
line before filling is Pollaczek-Khinchine's M/D/1 result

    W = rho * fill_s / (2 * (1 - rho))

A point serves at most ``RHO_MAX * open_s / fill_s`` fetches a day: beyond
that (an overloaded point) it serves the share ``RHO_MAX / rho`` of the
fetches, whose wait is W at ``RHO_MAX``, and the others get no water there
that day (unmet trips). The time at the point is the wait plus ``fill_s``.

Loads are in people of the city (each fetch counts with the fetcher's
expansion weight), so no wait or share depends on how many residents were
simulated.
"""

from __future__ import annotations

import numpy as np

from twin.core.daily import DAYS_PER_WEEK, WATER_PIPED
from twin.core.waterpoints import choose_points, first_day_load

RHO_MAX = 0.95
"""Utilisation at which a point serves all it can: the M/D/1 mean wait grows
without bound towards 1 (at ``RHO_MAX``: 9.5 fills, 25 min at a 20 L tap of 7.5 L/min)."""


def utilisation(load: np.ndarray, *, fill_s: float, open_s: float) -> np.ndarray:
    """``rho`` of each point: fetches a day (people) x fill time / opening time."""
    return np.asarray(load, dtype=np.float64) * fill_s / open_s


def wait_s(load: np.ndarray, *, fill_s: float, open_s: float) -> np.ndarray:
    """Mean wait in line per served fetch at each point (float64 seconds).

    Parameters
    ----------
    load
        Fetches at each point per day, in people of the city.
    fill_s
        Seconds to fill one container (container litres / tap flow per second).
    open_s
        Seconds the point is open per day.
    """
    rho = np.minimum(utilisation(load, fill_s=fill_s, open_s=open_s), RHO_MAX)
    return rho * fill_s / (2.0 * (1.0 - rho))


def served_share(load: np.ndarray, *, fill_s: float, open_s: float) -> np.ndarray:
    """Share of the fetches at each point that it serves (1 unless overloaded)."""
    rho = utilisation(load, fill_s=fill_s, open_s=open_s)
    return RHO_MAX / np.maximum(rho, RHO_MAX)


def point_load(point: np.ndarray, fetches: np.ndarray, weight: float, n_points: int) -> np.ndarray:
    """Fetches per point, in people of the city: ``weight`` times the fetches
    of the residents at each point (residents with no point, -1, load none)."""
    at = point >= 0
    return np.bincount(point[at], weights=fetches[at].astype(np.float64), minlength=n_points) * weight


def updated(expected: np.ndarray, observed: np.ndarray, learning: float) -> np.ndarray:
    """Day-to-day expectation: ``(1 - learning) * expected + learning * observed``."""
    return (1.0 - learning) * np.asarray(expected) + learning * np.asarray(observed)


class WaterChoice:
    """Which water point each resident fetches from, day by day.

    Each resident weighs their :attr:`TravelParams.water_points_considered
    <twin.world.TravelParams>` nearest points (on foot, or by wheelchair) by
    the expected time per fetch that brings water
    (:func:`twin.core.waterpoints.choose_points`), from each
    point's expected load. On day 0 every household expects the load of
    everyone at their nearest point with the expected fetches (off-premises
    households every day, piped ones on the expected share of outage days);
    after each day the expected load moves ``water_learning`` of the way to
    the fetches the point's households wanted that day (:meth:`after_day`).

    Attributes
    ----------
    length_m
        float64, shape (n,): distance to the chosen point (inf where none):
        the day kernel reads it for water trips on foot or by wheelchair.
    time_at_point_s
        float32, shape (n,): expected wait plus filling one container at the
        chosen point (0 where none): the day kernel adds it to each fetch.
    served_share
        float32, shape (n,): share of fetches the chosen point serves (1 where none).
    expected_load
        float64, shape (n_points,): fetches a day, in people.
    chosen
        int32, shape (n,): the chosen point (-1 where none).

    Each array is updated in place, day by day. :meth:`after_day` given
    tomorrow's day and seed chooses only for tomorrow's fetchers (the rows
    the day kernel reads); reading an array here chooses for everyone
    first, as does :meth:`complete` (call it before reading the arrays
    another way, as the day kernel's bundle holds them).
    """

    def __init__(self, world, access) -> None:
        r, travel = world.residents, world.travel
        self._residents, self._access = r, access
        self._k = travel.water_points_considered
        self._fill_s, self._open_s = travel.water_fill_s, travel.water_open_s
        self._learning, self._weight = travel.water_learning, world.people_per_resident
        self._n_points = access.n_water_points
        self._trips_per_day = travel.water_trips_per_day
        self._out = (np.empty(len(r), dtype=np.int32), np.empty(len(r), dtype=np.float64),
                     np.empty(len(r), dtype=np.float32), np.empty(len(r), dtype=np.float32))
        self.expected_load = first_day_load(
            r.home_node, r.wheelchair, r.water_supply == WATER_PIPED, r.outage_days_per_week,
            access.water_walk_point, access.water_wheelchair_point, travel.water_trips_per_day,
            DAYS_PER_WEEK, self._n_points) * self._weight
        self._choose()

    # everyone's, chosen first where after_day chose for tomorrow's fetchers only
    chosen = property(lambda self: self.complete()[0])
    length_m = property(lambda self: self.complete()[1])
    time_at_point_s = property(lambda self: self.complete()[2])
    served_share = property(lambda self: self.complete()[3])

    def complete(self) -> tuple[np.ndarray, ...]:
        """Choose for everyone where :meth:`after_day` chose for tomorrow's
        fetchers only; the four arrays (chosen, length_m, time_at_point_s,
        served_share)."""
        if not self._everyone:
            self._choose()
        return self._out

    def _choose(self, fetching: tuple | None = None) -> None:
        load = self.expected_load
        at_point_s = self._fill_s + wait_s(load, fill_s=self._fill_s, open_s=self._open_s)
        share = served_share(load, fill_s=self._fill_s, open_s=self._open_s)
        r, a = self._residents, self._access
        # in place: the kernel's bundle holds these arrays
        choose_points(r.home_node, r.wheelchair, r.speed_mps, (a.water_walk_m, a.water_walk_point),
                      (a.water_wheelchair_m, a.water_wheelchair_point), self._k, at_point_s, share,
                      out=self._out, fetching=fetching)
        self._everyone = fetching is None

    def after_day(self, fetches_wanted: np.ndarray, *, tomorrow: tuple[int, int] | None = None) -> np.ndarray:
        """Learn from the fetches each resident wanted today (made or not);
        choose for tomorrow: for everyone, or given ``tomorrow`` (its day
        and the run's seed) for tomorrow's fetchers only (a choice the others'
        days never read; 0.1% of the residents where few homes lack piped
        water). Returns each point's load that day (people)."""
        # only the residents who fetched: few a day where most are piped (bincount
        # adds each point's weights in order, and adding 0 changes no sum: same bits)
        fetched = np.flatnonzero(fetches_wanted)
        observed = point_load(self._out[0][fetched], fetches_wanted[fetched], self._weight, self._n_points)
        self.expected_load = updated(self.expected_load, observed, self._learning)
        if tomorrow is None:
            self._choose()
        else:
            r = self._residents
            day, seed = tomorrow
            self._choose((day, seed, r.water_supply, r.outage_days_per_week, self._trips_per_day))
        return observed
