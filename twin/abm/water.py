"""Water points as queues: fetches load a point, its expected wait follows
from the load, households choose among their nearest points by walk plus
expected wait and update that expectation from day to day.

The queueing relation (stated, textbook): a point is a single tap filling one
container in a fixed time ``fill_s`` (container / flow), so it serves at most
``open_s / fill_s`` fetches a day. Fetches arrive at random over its opening
hours (rate ``lambda = fetches / open_s``), utilisation ``rho = lambda * fill_s``;
the mean wait in line before filling is Pollaczek-Khinchine's M/D/1 result

    W = rho * fill_s / (2 * (1 - rho))                          (rho < RHO_MAX)

with ``rho`` capped at :data:`RHO_MAX`. An overloaded point's line grows
through the day: a fetch at time ``t`` after opening waits ``(rho - 1) * t``
(fluid backlog), ``(rho - 1) * open_s / 2`` on average. The wait is the
larger of the two, so it is continuous and never falls as the load grows.
The time at the point is the wait plus ``fill_s``.

Loads are in people of the city (each fetch counts with the fetcher's
expansion weight), so a point's wait does not depend on how many residents
were simulated.
"""

from __future__ import annotations

import numpy as np

RHO_MAX = 0.95
"""Utilisation above which a point is treated as overloaded (the M/D/1 mean
wait grows without bound towards 1; a day-long line is a fluid backlog)."""


def wait_s(fetches_per_day: np.ndarray, *, fill_s: float, open_s: float) -> np.ndarray:
    """Mean wait in line per fetch at each point (float64 seconds).

    Parameters
    ----------
    fetches_per_day
        Fetches at each point per day, in people of the city.
    fill_s
        Seconds to fill one container (container litres / tap flow per second).
    open_s
        Seconds the point is open per day.
    """
    load = np.asarray(fetches_per_day, dtype=np.float64)
    rho = load * fill_s / open_s
    capped = np.minimum(rho, RHO_MAX)
    return np.maximum(capped * fill_s / (2.0 * (1.0 - capped)), (rho - 1.0) * open_s / 2.0)


def choose(walk_s: np.ndarray, point: np.ndarray, expected_wait_s: np.ndarray) -> np.ndarray:
    """The column of each resident's choice among their nearest points: the
    least round trip plus expected wait (the nearer point on a tie).

    Parameters
    ----------
    walk_s
        float, shape (n, k): one-way walk to each of the k nearest points, inf
        where there is no k-th point.
    point
        int, shape (n, k): which point (index into the city's water points), -1 where none.
    expected_wait_s
        float, shape (n_points,): each point's expected wait.

    Returns
    -------
    numpy.ndarray
        int64, shape (n,): the chosen column (0 where no point is reachable).
    """
    wait = np.where(point >= 0, np.asarray(expected_wait_s, dtype=np.float64)[np.maximum(point, 0)], np.inf)
    return np.argmin(2.0 * walk_s + wait, axis=1)


def point_load(point: np.ndarray, fetches: np.ndarray, weight: float, n_points: int) -> np.ndarray:
    """Fetches per point, in people of the city: ``weight`` times the fetches
    of the residents at each point (residents with no point, -1, load none)."""
    at = point >= 0
    return np.bincount(point[at], weights=fetches[at].astype(np.float64), minlength=n_points) * weight


def updated(expected_wait_s: np.ndarray, observed_wait_s: np.ndarray, learning: float) -> np.ndarray:
    """Day-to-day expectation: ``(1 - learning) * expected + learning * observed``."""
    return (1.0 - learning) * np.asarray(expected_wait_s) + learning * np.asarray(observed_wait_s)
