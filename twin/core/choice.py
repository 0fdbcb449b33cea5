"""Where a trip goes and how: destination and mode choice with money.

For a purpose with a choice (``ChoiceParams.chooses``) a resident weighs the
K nearest facilities (nearest on foot, or by wheelchair for wheelchair users:
the resident's *choice set*) by each of their modes, in a nested logit with
the mode above the destination (the structure of Helsinki's Helmet model):

- on foot (or by wheelchair) to facility ``j``: ``V = walk_per_km * 2 d_j``;
- by car (residents with a car): ``V = car_time_per_min * (2 t_j + c_j / vot)``,
  the generalized cost of the round trip: time ``t_j`` one way (drive, parking
  search, walk from the parking place) plus money ``c_j`` (running cost per
  km over twice the distance, parking fee) divided by the resident's value of
  time, which grows with income. Money therefore weighs most for the poorest.
- ``U_mode = constant_mode + logsum_coefficient * log(sum_j exp(V_mode,j))``.

A resident who cannot use apps, with an access centre within reach, has one
more civic destination on foot: the centre, where they do civic business
with help (``DayResidents.assisted_civic_m``).

An alternative slower one way than the resident's limit is not available;
with none available the trips are unmet. The joint probability is
``P(mode, j) = P(mode) exp(V_mode,j) / sum_j' exp(V_mode,j')``. It is drawn
in two steps with the counter-based streams, so baseline and scenario pair:
the destination from its marginal, then the mode given the destination. Work
goes to a fixed workplace instead, drawn once per resident and seed from the
choice set with the walking distance decay (independent of the modes, so no
intervention moves anyone's job); only the mode is drawn each day.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from twin.core.streams import CHANNEL_DESTINATION, CHANNEL_MODE, PHASE_DAY, uniform

MODE_WALK = 0
MODE_WHEELCHAIR = 1
MODE_CAR = 2
MODE_TRANSIT = 3  # a trip to a transit stop: by public transport, of which the walk is timed
MODE_NAMES = ("walk", "wheelchair", "car", "transit")

NO_PURPOSE = -1


class ChoiceParams(NamedTuple):
    """Parameters of destination and mode choice; arrays have one entry per purpose.

    Attributes
    ----------
    chooses
        bool: the purpose's destination is chosen (else: the nearest).
    work_purpose
        The purpose with a fixed destination per resident (``NO_PURPOSE``: none).
    assisted_purpose
        The purpose an access centre serves (``NO_PURPOSE``: none).
    logsum_coefficient, walk_per_km, car_time_per_min
        float64: see the module docstring.
    walk_constant, car_constant
        float64: mode constants (the car's includes the car-density term).
    car_cost_per_km, parking_cost_per_trip
        Money costs of a car trip (model currency).
    """

    chooses: np.ndarray
    work_purpose: int
    assisted_purpose: int
    logsum_coefficient: np.ndarray
    walk_per_km: np.ndarray
    car_time_per_min: np.ndarray
    walk_constant: np.ndarray
    car_constant: np.ndarray
    car_cost_per_km: float
    parking_cost_per_trip: float

    @classmethod
    def nearest(cls, n_purposes: int) -> ChoiceParams:
        """No choice: every purpose goes to its nearest facility by the fastest mode."""
        zeros = np.zeros(n_purposes, dtype=np.float64)
        return cls(np.zeros(n_purposes, dtype=np.bool_), NO_PURPOSE, NO_PURPOSE, zeros, zeros, zeros,
                   zeros, zeros, 0.0, 0.0)


@njit(cache=True, inline="always")
def _car_one_way_s(i, h, p, j, drive_s, residents, params):
    """One way by car to slot ``j``: drive, parking search, walk from the car."""
    return (drive_s[h, p, j] + np.float64(residents.parking_search_time_s[i])
            + params.parking_walk_m / np.float64(residents.speed_mps[i]))


@njit(cache=True, inline="always")
def _foot_m(i, h, p, j, foot_m, residents):
    """Distance on foot to slot ``j``; slot k (past the nearest k) is the access centre."""
    if j == foot_m.shape[2]:
        return residents.assisted_civic_m[i]
    return foot_m[h, p, j]


@njit(cache=True, inline="always")
def _car_money(length_m, choice):
    """Money of a car round trip over ``length_m`` one way."""
    return choice.car_cost_per_km * (2.0 * length_m / 1000.0) + choice.parking_cost_per_trip


@njit(cache=True, inline="always")  # inlined: called per resident and purpose
def choose_trip(day, seed, i, p, residents, city, params):
    """Destination and mode of resident ``i``'s trips for purpose ``p`` today.

    Returns
    -------
    (one-way time in s, mode, money of the round trip); ``(inf, -1, 0.0)``
    when no alternative is within the resident's limit.
    """
    choice = params.choice
    h = residents.home_node[i]
    if residents.wheelchair[i]:
        foot_m, drive_s, foot_mode = city.wheelchair_choice_m, city.wheelchair_choice_drive_s, MODE_WHEELCHAIR
    else:
        foot_m, drive_s, foot_mode = city.walk_choice_m, city.walk_choice_drive_s, MODE_WALK
    k = foot_m.shape[2]
    # the access centre, a destination on foot only, in the slot after the nearest k
    slots = k + 1 if p == choice.assisted_purpose and residents.assisted_civic_m[i] < np.inf else k
    speed_mps = np.float64(residents.speed_mps[i])
    limit_s = np.float64(residents.max_trip_time_s[i])
    has_car = residents.has_car[i]
    minutes_per_money = 1.0 / residents.value_of_time_per_min[i]
    walk_per_km = choice.walk_per_km[p]
    car_per_min = choice.car_time_per_min[p]
    # pass 1: the sum of exp(V) of each mode over its available destinations
    foot_sum = 0.0
    car_sum = 0.0
    for j in range(slots):
        length_m = _foot_m(i, h, p, j, foot_m, residents)
        if length_m / speed_mps <= limit_s:
            foot_sum += math.exp(walk_per_km * (2.0 * length_m / 1000.0))
        if has_car and j < k:
            car_s = _car_one_way_s(i, h, p, j, drive_s, residents, params)
            if car_s <= limit_s:
                cost_min = 2.0 * car_s / 60.0 + _car_money(length_m, choice) * minutes_per_money
                car_sum += math.exp(car_per_min * cost_min)
    if foot_sum == 0.0 and car_sum == 0.0:
        return np.inf, -1, 0.0
    # mode probabilities, each spread over its destinations in proportion to exp(V)
    theta = choice.logsum_coefficient[p]
    foot_share = 0.0
    car_share = 0.0
    if foot_sum > 0.0 and car_sum > 0.0:
        u_foot = choice.walk_constant[p] + theta * math.log(foot_sum)
        u_car = choice.car_constant[p] + theta * math.log(car_sum)
        foot_share = 1.0 / (1.0 + math.exp(u_car - u_foot))
        car_share = 1.0 - foot_share
    elif foot_sum > 0.0:
        foot_share = 1.0
    else:
        car_share = 1.0
    foot_per = foot_share / foot_sum if foot_sum > 0.0 else 0.0
    car_per = car_share / car_sum if car_sum > 0.0 else 0.0
    # the destination: fixed (work) or from the marginal over modes
    chosen = -1
    if p == choice.work_purpose:
        total = 0.0
        for j in range(k):
            if foot_m[h, p, j] < np.inf:
                total += math.exp(walk_per_km * (2.0 * foot_m[h, p, j] / 1000.0))
        target = uniform(seed, PHASE_DAY, i, CHANNEL_DESTINATION + p) * total
        cumulative = 0.0
        for j in range(k):
            if foot_m[h, p, j] < np.inf:
                cumulative += math.exp(walk_per_km * (2.0 * foot_m[h, p, j] / 1000.0))
                chosen = j
                if cumulative > target:
                    break
    else:
        target = uniform(seed, day, i, CHANNEL_DESTINATION + p)
        cumulative = 0.0
        for j in range(slots):
            weight = _joint(i, h, p, j, foot_m, drive_s, residents, params, speed_mps, limit_s,
                            minutes_per_money, foot_per, car_per, True)
            if weight > 0.0:
                cumulative += weight
                chosen = j
                if cumulative > target:
                    break
    if chosen < 0:
        return np.inf, -1, 0.0
    # the mode, given the destination
    foot_w = _joint(i, h, p, chosen, foot_m, drive_s, residents, params, speed_mps, limit_s,
                    minutes_per_money, foot_per, 0.0, False)
    car_w = _joint(i, h, p, chosen, foot_m, drive_s, residents, params, speed_mps, limit_s,
                   minutes_per_money, 0.0, car_per, True)
    if foot_w == 0.0 and car_w == 0.0:
        return np.inf, -1, 0.0  # the workplace is out of reach today
    if uniform(seed, day, i, CHANNEL_MODE + p) * (foot_w + car_w) < foot_w:
        return _foot_m(i, h, p, chosen, foot_m, residents) / speed_mps, foot_mode, 0.0
    return (_car_one_way_s(i, h, p, chosen, drive_s, residents, params), MODE_CAR,
            _car_money(foot_m[h, p, chosen], choice))


@njit(cache=True, inline="always")
def _joint(i, h, p, j, foot_m, drive_s, residents, params, speed_mps, limit_s, minutes_per_money,
           foot_per, car_per, with_car):
    """P(mode, j) summed over the modes whose ``*_per`` is non-zero."""
    choice = params.choice
    weight = 0.0
    length_m = _foot_m(i, h, p, j, foot_m, residents)
    if foot_per > 0.0 and length_m / speed_mps <= limit_s:
        weight += foot_per * math.exp(choice.walk_per_km[p] * (2.0 * length_m / 1000.0))
    if with_car and car_per > 0.0 and j < foot_m.shape[2]:
        car_s = _car_one_way_s(i, h, p, j, drive_s, residents, params)
        if car_s <= limit_s:
            cost_min = 2.0 * car_s / 60.0 + _car_money(length_m, choice) * minutes_per_money
            weight += car_per * math.exp(choice.car_time_per_min[p] * cost_min)
    return weight
