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
- by public transport (a scenario with ``transit:``), one destination, the
  nearest by walk + transit (:mod:`twin.transit.fields`):
  ``V = transit_time_per_min * (2 t + 2 fare / vot)``, ``t`` the median
  door-to-door time one way, ``fare`` what the resident pays a one-way trip
  (inf where the fares are beyond the resident's budget: not available);
- ``U_mode = constant_mode + logsum_coefficient * log(sum_j exp(V_mode,j))``.

A resident who cannot use apps, with an access centre within reach, has one
more civic destination on foot: the centre, where they do civic business
with help (``DayResidents.assisted_civic_m``).

An alternative slower one way than the resident's limit is not available;
with none available the trips are unmet. The joint probability is
``P(mode, j) = P(mode) exp(V_mode,j) / sum_j' exp(V_mode,j')``, drawn as
the nested logit is defined: the mode with the largest ``U_mode`` plus a
Gumbel draw, then the destination by an exponential race (the least
``E_j / exp(V_mode,j)``, E_j exponential: the same choice as the largest
``V_mode,j`` plus a Gumbel draw, with one logarithm instead of two; the
walking ``exp(V)`` per node is computed once, :func:`foot_weights`). Each
alternative has its own counter-based draw, so a baseline and a scenario
pair alternative by alternative: a change to one alternative (a cheaper car
trip, a centre nearby) moves only the residents who switch to or from it,
not everyone after it in a list.

Work goes to a fixed workplace instead: a work zone (jobs gathered on a grid,
:mod:`twin.abm.workplaces`) drawn once per resident and seed from every zone
of the city, with ``P(z) proportional to jobs_z * sum_m exp(c_m + V_m,z)``
over the resident's modes (:func:`draw_workplaces`): Helmet's home-work
destination and mode choice as one multinomial logit (its logsum coefficient
for work, 1.036, is 1 within the estimate's precision). The draw is made on
the world before any intervention, so no intervention moves anyone's job;
each day only the mode is drawn given the zone, by
``U_m = c_m + V_m,z`` plus a Gumbel draw.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from twin.core.jit import kernel, kernel_helper
from twin.core.streams import (
    CHANNEL_DESTINATION,
    CHANNEL_MODE,
    CHANNEL_TRANSIT_MODE,
    CHANNEL_WORKPLACE,
    MAX_CHOICE_MODES,
    MAX_CHOICE_SLOTS,
    PHASE_DAY,
    uniform,
)
from twin.core.threads import split_range

MODE_WALK = 0
MODE_WHEELCHAIR = 1
MODE_CAR = 2
MODE_TRANSIT = 3  # by public transport (for the transit purpose: to a stop, of which the walk is timed)
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
    transit_constant, transit_time_per_min
        float64: the transit alternative's constant and time coefficient.
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
    transit_constant: np.ndarray
    transit_time_per_min: np.ndarray


# The helpers take scalars, not the day's bundles: numba compiles each once,
# cheaply, and LLVM inlines them (a call with the bundles' hundreds of
# flattened array fields would neither compile fast nor run fast).


@kernel_helper
def _car_money(length_m, cost_per_km, parking_cost_per_trip):
    """Money of a car round trip over ``length_m`` one way."""
    return cost_per_km * (2.0 * length_m / 1000.0) + parking_cost_per_trip


@kernel_helper
def _gumbel(seed, day, i, channel):
    """A standard Gumbel draw, -log(-log(u)), from one counter-based uniform."""
    u = uniform(seed, day, i, channel)
    return -math.log(-math.log(u)) if u > 0.0 else -np.inf


@kernel_helper
def _exponential(seed, day, i, channel):
    """A standard exponential draw, -log(u), from one counter-based uniform."""
    u = uniform(seed, day, i, channel)
    return -math.log(u) if u > 0.0 else np.inf


def foot_weights(choice_m: np.ndarray, walk_per_km: np.ndarray) -> np.ndarray:
    """``exp(V)`` of going on foot to each facility of a choice set:
    ``exp(walk_per_km[p] * 2 d / 1000)``, 0 where there is none. It depends
    on the node alone, so it is computed once per model, not per trip.

    Parameters
    ----------
    choice_m
        float64, shape (n_nodes, n_purposes, k): distances (``DayCity.walk_choice_m``).
    walk_per_km
        float64, shape (n_purposes,).
    """
    out = np.empty_like(choice_m)
    _foot_weights(choice_m, np.asarray(walk_per_km, dtype=np.float64), out)
    return out


@kernel
def _foot_weights(choice_m, walk_per_km, out):
    n_nodes, n_purposes, k = choice_m.shape
    for h in range(n_nodes):
        for p in range(n_purposes):
            for j in range(k):
                out[h, p, j] = math.exp(walk_per_km[p] * (2.0 * choice_m[h, p, j] / 1000.0))


@kernel_helper
def _foot_length_m(foot_m, h, p, j, centre_m):
    """Distance on foot to slot ``j``; slot k (past the nearest k) is the access centre."""
    return centre_m if j == foot_m.shape[2] else foot_m[h, p, j]


@kernel_helper
def _foot_weight(foot_m, foot_w, h, p, j, centre_m, walk_per_km, speed_mps, limit_s):
    """exp(V) on foot to slot ``j``, 0 where slower than the limit (the
    access centre's is computed here: it is the resident's own)."""
    length_m = _foot_length_m(foot_m, h, p, j, centre_m)
    if length_m / speed_mps > limit_s:
        return 0.0
    if j == foot_m.shape[2]:
        return math.exp(walk_per_km * (2.0 * length_m / 1000.0))
    return foot_w[h, p, j]


@kernel_helper
def _car_one_way_s(drive_s, h, p, j, search_s, walk_from_car_s):
    """One way by car to slot ``j``: drive, parking search, walk from the car."""
    return drive_s[h, p, j] + search_s + walk_from_car_s


@kernel_helper
def _car_utility(drive_s, foot_m, h, p, j, has_car, search_s, walk_from_car_s, limit_s,
                 car_time_per_min, cost_per_km, parking_cost_per_trip, minutes_per_money):
    """V of the round trip by car to slot ``j``; -inf where not available."""
    if not has_car or j >= foot_m.shape[2]:  # no car to the access centre
        return -np.inf
    return _car_round_trip_utility(foot_m[h, p, j], drive_s[h, p, j], limit_s, search_s, walk_from_car_s,
                                   minutes_per_money, car_time_per_min, cost_per_km, parking_cost_per_trip)


@kernel_helper
def _transit_utility(transit_s, fare, limit_s, transit_time_per_min, minutes_per_money):
    """V of the round trip by public transport, ``transit_s`` one way; -inf
    where not available (no service, slower than the limit, fares beyond the
    budget)."""
    if not (transit_s <= limit_s and fare < np.inf):
        return -np.inf
    return transit_time_per_min * (2.0 * transit_s / 60.0 + 2.0 * fare * minutes_per_money)


@kernel_helper
def _transit_wins(day, seed, i, p, u_transit, foot_sum, car_sum, by_car, walk_constant, car_constant,
                  theta, mode_channel):
    """Whether transit, with systematic utility ``u_transit``, beats the
    better of foot and car (the car if ``by_car``): its own Gumbel draw
    against the other's, so residents who never have transit draw as before."""
    u_transit += _gumbel(seed, day, i, CHANNEL_TRANSIT_MODE + p)
    if by_car:
        other = car_constant + theta * math.log(car_sum) + _gumbel(seed, day, i, mode_channel + 1)
    elif foot_sum > 0.0:
        other = walk_constant + theta * math.log(foot_sum) + _gumbel(seed, day, i, mode_channel)
    else:
        return True
    return u_transit > other


@kernel(inline="always")  # inlined: a call with the bundles would copy their hundreds of fields
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
        foot_m, foot_w = city.wheelchair_choice_m, city.wheelchair_choice_weight
        drive_s, foot_mode, transit_s = city.wheelchair_choice_drive_s, MODE_WHEELCHAIR, city.wheelchair_transit_s
    else:
        foot_m, foot_w = city.walk_choice_m, city.walk_choice_weight
        drive_s, foot_mode, transit_s = city.walk_choice_drive_s, MODE_WALK, city.walk_transit_s
    k = foot_m.shape[2]
    # the access centre, a destination on foot only, in the slot after the nearest k
    centre_m = residents.assisted_civic_m[i]
    slots = k + 1 if p == choice.assisted_purpose and centre_m < np.inf else k
    speed_mps = np.float64(residents.speed_mps[i])
    limit_s = np.float64(residents.max_trip_time_s[i])
    minutes_per_money = 1.0 / residents.value_of_time_per_min[i]
    has_car = residents.has_car[i]
    search_s = np.float64(residents.parking_search_time_s[i])
    walk_from_car_s = params.parking_walk_m / speed_mps
    walk_per_km = choice.walk_per_km[p]
    car_time_per_min = choice.car_time_per_min[p]
    cost_per_km = choice.car_cost_per_km
    parking_cost = choice.parking_cost_per_trip
    fare = residents.transit_fare[i]
    mode_channel = CHANNEL_MODE + p * MAX_CHOICE_MODES
    if p == choice.work_purpose:
        return _commute(day, seed, i, p, residents.work_zone[i], h, residents.wheelchair[i], city,
                        speed_mps, limit_s, has_car, search_s, walk_from_car_s, fare, minutes_per_money,
                        choice, mode_channel)
    # each mode's sum of exp(V) over its available destinations
    foot_sum = 0.0
    car_sum = 0.0
    for j in range(slots):
        foot_sum += _foot_weight(foot_m, foot_w, h, p, j, centre_m, walk_per_km, speed_mps, limit_s)
        v = _car_utility(drive_s, foot_m, h, p, j, has_car, search_s, walk_from_car_s, limit_s,
                         car_time_per_min, cost_per_km, parking_cost, minutes_per_money)
        if v > -np.inf:
            car_sum += math.exp(v)
    v_transit = -np.inf
    if fare < np.inf:  # no fare: no service, and no need to read the timetable fields (a cache miss per trip)
        v_transit = _transit_utility(transit_s[h, p], fare, limit_s, choice.transit_time_per_min[p],
                                     minutes_per_money)
    if foot_sum == 0.0 and car_sum == 0.0 and v_transit == -np.inf:
        return np.inf, -1, 0.0
    theta = choice.logsum_coefficient[p]
    # the mode by its nested-logit utility (Gumbel draws), then the
    # destination within it: an exponential race, the least E_j / exp(V_j)
    by_car = car_sum > 0.0
    if foot_sum > 0.0 and car_sum > 0.0:
        u_foot = choice.walk_constant[p] + theta * math.log(foot_sum) + _gumbel(seed, day, i, mode_channel)
        u_car = choice.car_constant[p] + theta * math.log(car_sum) + _gumbel(seed, day, i, mode_channel + 1)
        by_car = u_car > u_foot
    if v_transit > -np.inf and _transit_wins(day, seed, i, p, choice.transit_constant[p] + theta * v_transit,
                                             foot_sum, car_sum, by_car, choice.walk_constant[p],
                                             choice.car_constant[p], theta, mode_channel):
        return transit_s[h, p], MODE_TRANSIT, 2.0 * fare
    chosen = -1
    best = np.inf
    for j in range(slots):
        if by_car:
            v = _car_utility(drive_s, foot_m, h, p, j, has_car, search_s, walk_from_car_s, limit_s,
                             car_time_per_min, cost_per_km, parking_cost, minutes_per_money)
            w = math.exp(v) if v > -np.inf else 0.0
        else:
            w = _foot_weight(foot_m, foot_w, h, p, j, centre_m, walk_per_km, speed_mps, limit_s)
        if w > 0.0:
            score = _exponential(seed, day, i, CHANNEL_DESTINATION + p * MAX_CHOICE_SLOTS + j) / w
            if score < best:
                best = score
                chosen = j
    if chosen < 0:
        return np.inf, -1, 0.0
    if by_car:
        return (_car_one_way_s(drive_s, h, p, chosen, search_s, walk_from_car_s), MODE_CAR,
                _car_money(foot_m[h, p, chosen], cost_per_km, parking_cost))
    return _foot_length_m(foot_m, h, p, chosen, centre_m) / speed_mps, foot_mode, 0.0


@kernel_helper
def _commute_utilities(length_m, drive_s, transit_s, speed_mps, limit_s, has_car, search_s, walk_from_car_s,
                       fare, minutes_per_money, walk_per_km, car_time_per_min, transit_time_per_min,
                       cost_per_km, parking_cost_per_trip):
    """V of the round trip to a work zone on foot (``length_m`` away), by
    car (``drive_s`` from the home's drive node) and by transit
    (``transit_s``), without the mode constants; -inf where not available."""
    v_foot = walk_per_km * (2.0 * length_m / 1000.0) if length_m / speed_mps <= limit_s else -np.inf
    v_car = -np.inf
    if has_car:
        v_car = _car_round_trip_utility(length_m, drive_s, limit_s, search_s, walk_from_car_s, minutes_per_money,
                                     car_time_per_min, cost_per_km, parking_cost_per_trip)
    v_transit = _transit_utility(transit_s, fare, limit_s, transit_time_per_min, minutes_per_money)
    return v_foot, v_car, v_transit


@kernel_helper
def _car_round_trip_utility(length_m, drive_s, limit_s, search_s, walk_from_car_s, minutes_per_money,
                         car_time_per_min, cost_per_km, parking_cost_per_trip):
    """V of the round trip by car to a place ``length_m`` away on foot and
    ``drive_s`` by car (plus search and the walk from the car): time plus
    money valued at the resident's value of time; -inf beyond the limit."""
    car_s = drive_s + search_s + walk_from_car_s
    if not car_s <= limit_s:
        return -np.inf
    return car_time_per_min * (2.0 * car_s / 60.0
                               + _car_money(length_m, cost_per_km, parking_cost_per_trip) * minutes_per_money)


@kernel(inline="always")  # inlined: a call with the bundle would copy its fields
def _commute(day, seed, i, p, zone, h, wheelchair, city, speed_mps, limit_s, has_car, search_s, walk_from_car_s,
             fare, minutes_per_money, choice, mode_channel):
    """Mode of today's trips to work zone ``zone`` (-1: none): the largest
    ``c_m + V_m,zone`` plus a Gumbel draw; as :func:`choose_trip` returns."""
    if zone < 0:
        return np.inf, -1, 0.0
    foot_mode = MODE_WHEELCHAIR if wheelchair else MODE_WALK
    length_m = np.float64(city.work_wheelchair_m[h, zone] if wheelchair else city.work_walk_m[h, zone])
    drive_s = np.float64(city.work_drive_s[h, zone])
    transit_s = np.inf
    if fare < np.inf:  # no fare: no service (the timetable fields are not read)
        transit_s = np.float64(city.work_wheelchair_transit_s[h, zone] if wheelchair
                               else city.work_walk_transit_s[h, zone])
    v_foot, v_car, v_transit = _commute_utilities(
        length_m, drive_s, transit_s, speed_mps, limit_s, has_car, search_s, walk_from_car_s, fare,
        minutes_per_money, choice.walk_per_km[p], choice.car_time_per_min[p], choice.transit_time_per_min[p],
        choice.car_cost_per_km, choice.parking_cost_per_trip)
    best = -np.inf
    result = (np.inf, -1, 0.0)
    if v_foot > -np.inf:
        best = choice.walk_constant[p] + v_foot + _gumbel(seed, day, i, mode_channel)
        result = (length_m / speed_mps, foot_mode, 0.0)
    if v_car > -np.inf:
        score = choice.car_constant[p] + v_car + _gumbel(seed, day, i, mode_channel + 1)
        if score > best:
            best = score
            result = (drive_s + search_s + walk_from_car_s, MODE_CAR,
                      _car_money(length_m, choice.car_cost_per_km, choice.parking_cost_per_trip))
    if v_transit > -np.inf:
        score = choice.transit_constant[p] + v_transit + _gumbel(seed, day, i, CHANNEL_TRANSIT_MODE + p)
        if score > best:
            result = (transit_s, MODE_TRANSIT, 2.0 * fare)
    return result


class Commuters(NamedTuple):
    """What the workplace draw reads per resident (``n`` rows; the fields
    of :class:`twin.core.daily.DayResidents` of the same names)."""

    home_node: np.ndarray
    wheelchair: np.ndarray
    has_car: np.ndarray
    speed_mps: np.ndarray
    max_trip_time_s: np.ndarray
    parking_search_time_s: np.ndarray
    value_of_time_per_min: np.ndarray
    transit_fare: np.ndarray


class WorkZoneFields(NamedTuple):
    """Travel to each work zone from every walk node (``Z`` zones).

    Attributes
    ----------
    jobs
        float64, shape (Z,): jobs (places of work) in each zone, > 0.
    walk_m, wheelchair_m
        float32, shape (n_walk_nodes, Z): distance on foot (by wheelchair)
        to the zone's workplace; inf where unreachable.
    drive_s
        float32, same shape: drive time from the node's drive node.
    walk_transit_s, wheelchair_transit_s
        float32, same shape: median walk (wheelchair) + transit time, journeys
        with a ride; inf where none (or no public transport).
    drive_node
        int32, shape (Z,): the drive node of the zone's workplace, where
        paratransit takes a rider (-1: off the drive streets).
    """

    jobs: np.ndarray
    walk_m: np.ndarray
    wheelchair_m: np.ndarray
    drive_s: np.ndarray
    walk_transit_s: np.ndarray
    wheelchair_transit_s: np.ndarray
    drive_node: np.ndarray


def draw_workplaces(seed: int, commuters: Commuters, zones: WorkZoneFields, choice: ChoiceParams,
                    parking_walk_m: float) -> np.ndarray:
    """Each resident's work zone, drawn once per ``seed`` (see the module
    docstring): int32, shape (n,); -1 where no zone is within the
    resident's limit by any of their modes (their work trips are unmet), or
    where ``choice`` has no work purpose.

    Raises
    ------
    ValueError
        Naming every problem with the inputs' dtypes, shapes and indices.
    """
    from twin.core._checks import Problems, length

    problems = Problems("draw_workplaces")
    n = length(commuters.home_node)
    n_zones = length(zones.jobs)
    n_walk = length(zones.walk_m)
    problems.scalar("seed", seed, seed >= 0, ">= 0")
    if problems.array("commuters.home_node", commuters.home_node, np.int32, (n,)):
        problems.indices("commuters.home_node", commuters.home_node, n_walk)
    for name, dtype in (("wheelchair", np.bool_), ("has_car", np.bool_), ("speed_mps", np.float32),
                        ("max_trip_time_s", np.float32), ("parking_search_time_s", np.float32),
                        ("value_of_time_per_min", np.float64), ("transit_fare", np.float64)):
        problems.array(f"commuters.{name}", getattr(commuters, name), dtype, (n,))
    if problems.array("zones.jobs", zones.jobs, np.float64, (n_zones,)):
        if n_zones and not zones.jobs.min() > 0:
            problems.add("zones.jobs must be > 0")
    for name in ("walk_m", "wheelchair_m", "drive_s", "walk_transit_s", "wheelchair_transit_s"):
        problems.array(f"zones.{name}", getattr(zones, name), np.float32, (n_walk, n_zones))
    problems.raise_any()
    out = np.full(n, -1, dtype=np.int32)
    p = choice.work_purpose
    if p != NO_PURPOSE and n_zones:
        foot = {name: _zone_foot_weights(getattr(zones, name), choice.walk_constant[p], choice.walk_per_km[p])
                for name in ("walk_m", "wheelchair_m")}
        split_range(_draw_workplaces, n, np.int64(seed), commuters, zones, foot["walk_m"], foot["wheelchair_m"],
                    choice, np.int64(p), np.float64(parking_walk_m), out)
    return out


def _zone_foot_weights(length_m: np.ndarray, walk_constant: float, walk_per_km: float) -> np.ndarray:
    """exp(c + V) of going on foot to each zone from each node (a resident
    then only checks the walk is within their limit)."""
    out = np.empty(length_m.shape, dtype=np.float64)
    _fill_zone_foot_weights(length_m, np.float64(walk_constant), np.float64(walk_per_km), out)
    return out


@kernel
def _fill_zone_foot_weights(length_m, walk_constant, walk_per_km, out):
    for h in range(length_m.shape[0]):
        for z in range(length_m.shape[1]):
            out[h, z] = math.exp(walk_constant + walk_per_km * (2.0 * np.float64(length_m[h, z]) / 1000.0))


@kernel
def _draw_workplaces(start, stop, seed, commuters, zones, walk_w, wheelchair_w, choice, p, parking_walk_m, out):
    """:func:`draw_workplaces` for residents ``start`` to ``stop``: each
    zone's weight once, then the draw over the cumulative weights."""
    n_zones = len(zones.jobs)
    weight = np.empty(n_zones)
    car_c, transit_c = choice.car_constant[p], choice.transit_constant[p]
    for i in range(start, stop):
        h = commuters.home_node[i]
        wheelchair = commuters.wheelchair[i]
        foot_m = zones.wheelchair_m if wheelchair else zones.walk_m
        foot_w = wheelchair_w if wheelchair else walk_w
        transit_s = zones.wheelchair_transit_s if wheelchair else zones.walk_transit_s
        speed_mps = np.float64(commuters.speed_mps[i])
        limit_s = np.float64(commuters.max_trip_time_s[i])
        search_s = np.float64(commuters.parking_search_time_s[i])
        minutes_per_money = 1.0 / commuters.value_of_time_per_min[i]
        has_car = commuters.has_car[i]
        fare = commuters.transit_fare[i]
        total = 0.0
        for z in range(n_zones):
            length_m = np.float64(foot_m[h, z])
            w = foot_w[h, z] if length_m / speed_mps <= limit_s else 0.0
            if has_car:
                v_car = _car_round_trip_utility(length_m, np.float64(zones.drive_s[h, z]), limit_s, search_s,
                                             parking_walk_m / speed_mps, minutes_per_money,
                                             choice.car_time_per_min[p], choice.car_cost_per_km,
                                             choice.parking_cost_per_trip)
                if v_car > -np.inf:
                    w += math.exp(car_c + v_car)
            if fare < np.inf:
                v_transit = _transit_utility(np.float64(transit_s[h, z]), fare, limit_s,
                                             choice.transit_time_per_min[p], minutes_per_money)
                if v_transit > -np.inf:
                    w += math.exp(transit_c + v_transit)
            weight[z] = zones.jobs[z] * w
            total += weight[z]
        if total == 0.0:
            continue
        target = uniform(seed, PHASE_DAY, i, CHANNEL_WORKPLACE + p) * total
        cumulative = 0.0
        for z in range(n_zones):
            if weight[z] > 0.0:
                cumulative += weight[z]
                out[i] = z
                if cumulative > target:
                    break
