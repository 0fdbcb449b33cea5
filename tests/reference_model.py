"""The per-resident reference: the same day as ``CityModel``, written as
plain Python in each Mesa agent's ``step``.

It is the slow, obvious version of ``twin.core.daily`` and
``twin.core.bookings``: tests require both to give identical per-resident
ledgers, and the benchmarks measure the kernel against it.

It shares only the accessibility fields with ``CityModel``, to the nearest
facilities and to the work zones (the routing and k-nearest kernels are
tested against scipy and a plain Dijkstra in tests/core) and computes
everything else itself, from the city and the residents: each resident's
value of time, workplace (when the world has none drawn) and each trip's
destination and mode (the nested logit of ``twin.core.choice``, written out
per alternative), each
household's choice of water point, each point's load and wait, day by day,
the drive node of each destination, exact drive
times between drive nodes (scipy's Dijkstra, all pairs: on graphs of at most
``MAX_ZONES`` nodes the kernels' zone matrix must equal them), the depot,
who rides and by which channel. With paratransit, each agent decides which
trips it books and what it requests, the model dispatches all requests with
the plain-Python dispatcher of ``tests/naive.py``, and each agent then adds
its dispatched trips to the ledger.
"""

from __future__ import annotations

import math

import mesa
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from twin.abm.access import AccessFields, access_fields
from twin.abm.agent import Agent
from twin.abm.workplaces import work_fields
from twin.core.choice import WorkZoneFields
from twin.core.dispatch import MAX_ZONES, Fleet, Requests, ZoneTimes
from twin.core.streams import (
    CHANNEL_BOOKING_TRY,
    CHANNEL_DESTINATION,
    CHANNEL_MODE,
    CHANNEL_OUTAGE,
    CHANNEL_TRANSIT_MODE,
    CHANNEL_TRIP_PHASE,
    CHANNEL_TRIP_TIME,
    CHANNEL_WATER_SERVED,
    CHANNEL_WATER_TRIPS,
    CHANNEL_WORKPLACE,
    MAX_CHOICE_MODES,
    MAX_CHOICE_SLOTS,
    PHASE_DAY,
    uniform_py,
)
from twin.outcomes.ledger import Ledger
from twin.residents.population import CHOICE_PURPOSES, PURPOSES, WATER_SUPPLIES
from twin.transit.fields import TransitFields
from twin.world import World

from naive import naive_dispatch

DAYS_PER_WEEK = 7.0

WATER = PURPOSES.index("water")
TRANSIT = PURPOSES.index("transit")
WORK = PURPOSES.index("work")
PIPED = WATER_SUPPLIES.index("piped")
OFF_PREMISES = WATER_SUPPLIES.index("off_premises")


def _added(values) -> float:
    """Left-to-right float sum, as the kernel adds (``sum`` compensates from Python 3.12)."""
    total = 0.0
    for value in values:
        total += value
    return total


class ReferenceResident(Agent):
    """A resident holding its own attributes as Python values."""

    def __init__(self, model: ReferenceCityModel, index: int) -> None:
        super().__init__(model)
        r = model.residents
        self.index = int(index)
        self.home_node = int(r.home_node[index])
        self.drive_node = int(model.access.walk_to_drive[self.home_node])
        self.wheelchair = bool(r.wheelchair[index])
        self.has_car = bool(r.has_car[index])
        self.speed_mps = float(r.speed_mps[index])
        self.max_trip_time_s = float(r.max_trip_time_s[index])
        self.trips_per_week = [float(w) for w in r.trips_per_week[index]]
        self.piped = int(r.water_supply[index]) == PIPED
        self.outage_days_per_week = float(r.outage_days_per_week[index])
        t = model.travel
        self.value_of_time_per_min = t.value_of_time_per_hour / 60.0 * (
            float(r.income[index]) / t.median_income) ** t.value_of_time_income_elasticity
        self.transit_fare = math.inf  # a one-way trip's fare; inf: does not take public transport
        if model.world.transit is not None:
            fare = float(model.world.transit.fare_paid[index])
            share = t.transit_fare_budget_share
            if share is None or 2.0 * fare <= share * (float(r.income[index]) / 365.0):
                self.transit_fare = fare
        self.own: dict[int, tuple[float, float, str]] = {}  # purpose -> today's (one-way time, money, mode)
        self.rider = False
        self.expected_served = 1.0  # a new rider expects to be served
        self.expected_extra_s = 0.0  # and a leg to take what the service advertises (set below)
        self.by_app = False
        self.bookings: list[tuple[float, int]] = []  # (requested time, purpose) booked today
        self.trips: list[tuple[int, list[int]]] = []  # (purpose, legs) of today's requests
        self.not_booked: dict[int, int] = {}
        service = model.world.paratransit
        if service is not None:
            rule = service.eligibility
            eligible = ((rule.wheelchair and self.wheelchair)
                        or (rule.reduced_mobility and bool(r.reduced_mobility[index]))
                        or (rule.min_age_band is not None and int(r.age_band[index]) >= rule.min_age_band))
            channels = service.booking_channels
            self.by_app = eligible and "app" in channels and bool(r.can_use_apps[index])
            office = (("phone" in channels and bool(r.phone[index] or r.smartphone[index]))
                      or ("assisted" in channels and bool(model.world.assisted_booking[index])))
            self.rider = self.by_app or (eligible and office)
            self.expected_extra_s = 0.5 * service.pickup_window_s
        drawn = model.world.work_zone  # drawn before interventions; else drawn here, from this world
        self.work_zone = int(drawn[index]) if drawn is not None else self.draw_workplace()

    def trips_today(self, day: int, purpose: int) -> int:
        m, i = self.model, self.index
        if purpose == WATER:
            if self.piped and uniform_py(m.seed, day, i, CHANNEL_OUTAGE) >= self.outage_days_per_week / DAYS_PER_WEEK:
                return 0
            whole = math.floor(m.travel.water_trips_per_day)
            extra = uniform_py(m.seed, day, i, CHANNEL_WATER_TRIPS) < m.travel.water_trips_per_day - whole
            return whole + int(extra)
        per_day = self.trips_per_week[purpose] / DAYS_PER_WEEK
        phase = uniform_py(m.seed, PHASE_DAY, i, CHANNEL_TRIP_PHASE + purpose)
        return math.floor((day + 1) * per_day + phase) - math.floor(day * per_day + phase)

    def one_way_time_s(self, purpose: int) -> float:
        return self.fastest(purpose)[0]

    def fastest(self, purpose: int) -> tuple[float, bool]:
        """Fastest one-way time to the nearest facility, and whether by car."""
        a, t = self.model.access, self.model.travel
        if purpose == WATER:  # to the point the household chose
            best = self.model.water_length_m[self.index] / self.speed_mps
        elif self.wheelchair:
            best = float(a.wheelchair_length_m[self.home_node, purpose]) / self.speed_mps
        else:
            best = float(a.walk_length_m[self.home_node, purpose]) / self.speed_mps
        if self.has_car and purpose != TRANSIT:
            drive_node = self.drive_node
            car = (
                float(a.drive_time_s[drive_node, purpose])
                + float(self.model.parking_search_time_s[self.index])
                + t.parking_walk_m / self.speed_mps
            )
            if car < best:  # the kernel's rule: the car only when strictly faster
                return car, True
        return best, False

    def alternatives(self, purpose: int) -> list[tuple[str, int, float, float, float]]:
        """Every (mode, slot, one-way time, money, V) within the limit."""
        m, a, t = self.model, self.model.access, self.model.travel
        c = m.choice[PURPOSES[purpose]]
        if self.wheelchair:
            foot_m, drive_s, foot = a.wheelchair_choice_m, a.wheelchair_choice_drive_s, "wheelchair"
        else:
            foot_m, drive_s, foot = a.walk_choice_m, a.walk_choice_drive_s, "walk"
        found = []
        for j in range(foot_m.shape[2]):
            length_m = float(foot_m[self.home_node, purpose, j])
            walk_s = length_m / self.speed_mps
            if walk_s <= self.max_trip_time_s:
                found.append((foot, j, walk_s, 0.0, c["walk_per_km"] * (2.0 * length_m / 1000.0)))
            if self.has_car:
                car_s = (float(drive_s[self.home_node, purpose, j])
                         + float(m.parking_search_time_s[self.index]) + t.parking_walk_m / self.speed_mps)
                if car_s <= self.max_trip_time_s:
                    money = t.car_cost_per_km * (2.0 * length_m / 1000.0) + t.parking_cost_per_trip
                    cost_min = 2.0 * car_s / 60.0 + money * (1.0 / self.value_of_time_per_min)
                    found.append(("car", j, car_s, money, c["car_time_per_min"] * cost_min))
        centre_m = float(m.world.assisted_civic_length_m[self.index])
        if PURPOSES[purpose] == "civic" and centre_m < math.inf and centre_m / self.speed_mps <= self.max_trip_time_s:
            # the access centre where this resident does civic business with help: on foot only
            found.append((foot, foot_m.shape[2], centre_m / self.speed_mps, 0.0,
                          c["walk_per_km"] * (2.0 * centre_m / 1000.0)))
        transit_s = m.transit_s("wheelchair" if self.wheelchair else "walk", self.home_node, purpose)
        if transit_s <= self.max_trip_time_s and self.transit_fare < math.inf:
            # by public transport to the nearest facility that way
            money = 2.0 * self.transit_fare
            found.append(("transit", -1, transit_s, money, c["transit_time_per_min"] * (
                2.0 * transit_s / 60.0 + money * (1.0 / self.value_of_time_per_min))))
        return found

    def gumbel(self, day: int, channel: int) -> float:
        u = uniform_py(self.model.seed, day, self.index, channel)
        return -math.log(-math.log(u)) if u > 0.0 else -math.inf

    def choose(self, day: int, purpose: int) -> tuple[float, float, bool]:
        """Today's (one-way time, money, by car) for ``purpose`` from the
        nested logit, one draw per alternative: the mode (Gumbel), then the
        destination (exponential race); for work the workplace, then the mode
        given it. The transit alternative has one destination and a draw of
        its own. (inf, 0, "none") if none."""
        if purpose == WORK:
            return self.commute(day, purpose)
        m = self.model
        c = m.choice[PURPOSES[purpose]]
        options = self.alternatives(purpose)
        if not options:
            return math.inf, 0.0, "none"
        transit = [o for o in options if o[0] == "transit"]
        options = [o for o in options if o[0] != "transit"]
        foot_sum = _added(math.exp(v) for mode, _, _, _, v in options if mode != "car")
        car_sum = _added(math.exp(v) for mode, _, _, _, v in options if mode == "car")
        constant = {"foot": c["walk_constant"], "car": m.car_constant[PURPOSES[purpose]]}
        logsum = {"foot": math.log(foot_sum) if foot_sum > 0.0 else -math.inf,
                  "car": math.log(car_sum) if car_sum > 0.0 else -math.inf}
        u_transit = -math.inf
        if transit:
            u_transit = (c["transit_constant"] + c["logsum_coefficient"] * transit[0][4]
                         + self.gumbel(day, CHANNEL_TRANSIT_MODE + purpose))
        theta = c["logsum_coefficient"]
        mode_channel = CHANNEL_MODE + purpose * MAX_CHOICE_MODES
        # the mode with the largest utility (the first on a tie: foot, car, transit)
        best, by_car = -math.inf, False
        for mode in ("foot", "car"):
            if logsum[mode] > -math.inf:
                u = constant[mode] + theta * logsum[mode] + self.gumbel(day, mode_channel + (mode == "car"))
                if u > best:
                    best, by_car = u, mode == "car"
        if transit and u_transit > best:
            return transit[0][2], transit[0][3], "transit"
        # the destination: an exponential race, the least E_j / exp(V_j)
        best, choice = math.inf, None
        for option in options:
            weight = math.exp(option[4])
            if (option[0] == "car") != by_car or weight == 0.0:
                continue
            u = uniform_py(m.seed, day, self.index, CHANNEL_DESTINATION + purpose * MAX_CHOICE_SLOTS + option[1])
            score = (-math.log(u) if u > 0.0 else math.inf) / weight
            if score < best:
                best, choice = score, option
        if choice is None:
            return math.inf, 0.0, "none"
        mode, _, time_s, money, _ = choice
        return time_s, money, "car" if mode == "car" else "transit" if mode == "transit" else "foot"

    def commute_options(self, zone: int, purpose: int) -> list[tuple[str, float, float, float]]:
        """Every (mode, one-way time, money, V) to work zone ``zone`` within the limit."""
        m, t, c = self.model, self.model.travel, self.model.choice[PURPOSES[purpose]]
        w, h = m.work, self.home_node
        length_m = float((w.wheelchair_m if self.wheelchair else w.walk_m)[h, zone])
        found = []
        if length_m / self.speed_mps <= self.max_trip_time_s:
            found.append(("foot", length_m / self.speed_mps, 0.0, c["walk_per_km"] * (2.0 * length_m / 1000.0)))
        car_s = (float(w.drive_s[h, zone]) + float(m.parking_search_time_s[self.index])
                 + t.parking_walk_m / self.speed_mps)
        if self.has_car and car_s <= self.max_trip_time_s:
            money = t.car_cost_per_km * (2.0 * length_m / 1000.0) + t.parking_cost_per_trip
            v = c["car_time_per_min"] * (2.0 * car_s / 60.0 + money * (1.0 / self.value_of_time_per_min))
            if v > -math.inf:  # a zone off the resident's own streets: no money figure, no car trip
                found.append(("car", car_s, money, v))
        transit_s = float((w.wheelchair_transit_s if self.wheelchair else w.walk_transit_s)[h, zone])
        if self.transit_fare < math.inf and transit_s <= self.max_trip_time_s:
            money = 2.0 * self.transit_fare
            found.append(("transit", transit_s, money, c["transit_time_per_min"] * (
                2.0 * transit_s / 60.0 + money * (1.0 / self.value_of_time_per_min))))
        return found

    def commute(self, day: int, purpose: int) -> tuple[float, float, str]:
        """Today's trip to the workplace: the mode with the largest constant
        + V + its Gumbel draw (the first on a tie: foot, car, transit)."""
        if self.work_zone < 0:
            return math.inf, 0.0, "none"
        c = self.model.choice[PURPOSES[purpose]]
        constant = {"foot": c["walk_constant"], "car": self.model.car_constant[PURPOSES[purpose]],
                    "transit": c["transit_constant"]}
        channel = {"foot": CHANNEL_MODE + purpose * MAX_CHOICE_MODES,
                   "car": CHANNEL_MODE + purpose * MAX_CHOICE_MODES + 1, "transit": CHANNEL_TRANSIT_MODE + purpose}
        best, choice = -math.inf, None
        for mode, time_s, money, v in self.commute_options(self.work_zone, purpose):
            score = constant[mode] + v + self.gumbel(day, channel[mode])
            if score > best:
                best, choice = score, (time_s, money, mode)
        return choice if choice is not None else (math.inf, 0.0, "none")

    def draw_workplace(self) -> int:
        """The work zone, drawn once: P(z) in proportion to jobs_z x the sum
        over the resident's modes of exp(constant + V) (-1: none reachable)."""
        m = self.model
        c = m.choice["work"]
        constant = {"foot": c["walk_constant"], "car": m.car_constant["work"], "transit": c["transit_constant"]}
        weights = []
        for z, jobs in enumerate(m.work.jobs):
            w = float(jobs) * _added(math.exp(constant[mode] + v)
                                     for mode, _, _, v in self.commute_options(z, WORK))
            if w > 0.0:
                weights.append((z, w))
        target = uniform_py(m.seed, PHASE_DAY, self.index, CHANNEL_WORKPLACE + WORK) * _added(w for _, w in weights)
        chosen, cumulative = -1, 0.0
        for z, w in weights:
            cumulative += w
            chosen = z
            if cumulative > target:
                break
        return chosen

    def direct_drive_s(self, purpose: int) -> float:
        """The direct drive a paratransit trip for ``purpose`` takes: to the
        workplace for work, else to the nearest facility by drive."""
        m = self.model
        if purpose == WORK:
            return float(m.work.drive_s[self.home_node, self.work_zone]) if self.work_zone >= 0 else math.inf
        return float(m.access.drive_time_s[self.drive_node, purpose])

    def destination_drive_node(self, purpose: int) -> int:
        """Where paratransit drops the rider for ``purpose`` (as :meth:`direct_drive_s`)."""
        m = self.model
        if purpose == WORK:
            return int(m.work.drive_node[self.work_zone])
        return m.facility_drive_node(self.drive_node, purpose)

    def trip_time_s(self, day: int, purpose: int, j: int, k: int) -> float:
        service = self.model.world.paratransit
        u = uniform_py(self.model.seed, day, self.index, CHANNEL_TRIP_TIME + purpose)
        return service.service_start_s + service.trip_span_s * ((j + u) / k)

    def booked(self, day: int, purpose: int, k: int, t: float) -> int:
        """How many of today's ``k`` trips for ``purpose`` this rider books."""
        m, service = self.model, self.model.world.paratransit
        paratransit_s = self.expected_extra_s + self.direct_drive_s(purpose)
        if not (paratransit_s <= self.max_trip_time_s and paratransit_s < t):
            return 0
        if uniform_py(m.seed, day, self.index, CHANNEL_BOOKING_TRY + purpose) >= self.expected_served:
            return 0
        if self.by_app or service.booking == "day_before":
            return k
        lead_s = service.same_day_lead_min.value * 60.0
        opens_s = service.phone_office_hours[0] * 3600.0
        return sum(self.trip_time_s(day, purpose, j, k) - lead_s >= opens_s for j in range(k))

    def step(self) -> None:
        """The day's own trips, and today's bookings (made by :meth:`request`)."""
        m = self.model
        day = m.steps - 1
        self.bookings = []
        self.not_booked = {}  # purpose -> trips not booked, of a purpose with bookings
        self.wanted_water = 0
        for p in range(len(PURPOSES)):
            k = self.trips_today(day, p)
            if k == 0:
                continue
            if PURPOSES[p] in CHOICE_PURPOSES:
                t, money, mode = self.choose(day, p)
            else:
                t, by_car = self.fastest(p)
                money, mode = 0.0, "car" if by_car else "foot"
            self.own[p] = (t, money, mode)
            booked = self.booked(day, p, k, t) if self.rider and p != WATER else 0
            if booked:  # the whole purpose waits for the dispatch (see account)
                self.bookings += [(self.trip_time_s(day, p, j, k), p) for j in range(k - booked, k)]
                self.not_booked[p] = k - booked
                continue
            if p == WATER:  # an overloaded point serves a share of the fetches
                self.wanted_water = k
                served = min(k, math.floor(k * float(m.water_served_share[self.index])
                                           + uniform_py(m.seed, day, self.index, CHANNEL_WATER_SERVED)))
                m.ledger.unmet_trips[self.index, p] += k - served
                k = served
                if k == 0:
                    continue
            self.own_trips(p, k)

    def own_trips(self, p: int, k: int) -> None:
        """Make ``k`` trips for ``p`` by today's own choice (one way ``t``,
        with its money), or count them unmet: unreachable, or a fetch whose
        line makes the round trip longer than two limits (given up)."""
        m, i = self.model, self.index
        t, money, mode = self.own[p]
        round_trip_s = 2.0 * t + (float(m.water_queue_time_s[i]) if p == WATER else 0.0)
        if t > self.max_trip_time_s or round_trip_s > 2.0 * self.max_trip_time_s:
            m.ledger.unmet_trips[i, p] += k
            return
        m.ledger.travel_time_s[i, p] = float(m.ledger.travel_time_s[i, p]) + k * round_trip_s
        m.ledger.trips_made[i, p] += k
        if mode == "transit":
            m.ledger.transit_trips[i] += k
            m.ledger.transit_fare[i] = float(m.ledger.transit_fare[i]) + k * money
        else:
            m.ledger.travel_money[i] = float(m.ledger.travel_money[i]) + k * money
        m.ledger.car_trips[i] += k if mode == "car" else 0

    def request(self, book) -> None:
        """Book today's trips: ``book(legs, release_s)`` adds one request of
        ``(pickup node, drop-off node, ready time)`` legs and returns the
        global index of its first leg."""
        self.trips = []
        if not self.bookings:
            return
        m, service = self.model, self.model.world.paratransit
        bookings = sorted(self.bookings, key=lambda booking: booking[0])  # stable: purpose order on ties
        home = self.drive_node
        facility = [self.destination_drive_node(p) for _, p in bookings]
        dwell_s = float(service.dwell_time_s.value)
        window_s = service.pickup_window_s
        if service.multi_stop:
            stops = [home] + facility + [home]
            planned_s = 0.0
            for a, b in zip(stops, stops[1:]):
                planned_s += m.travel_s(a, b) + 2.0 * dwell_s
            planned_s += len(bookings) * service.activity_time_s
            first_s = max(service.service_start_s,
                          min(bookings[0][0], service.service_end_s - window_s - planned_s))
            legs = [(a, b, first_s if n == 0 else math.nan) for n, (a, b) in enumerate(zip(stops, stops[1:]))]
            first = book(legs, self.release_s(first_s))
            for n, (_, p) in enumerate(bookings):
                owned = [first + n, first + n + 1] if n == len(bookings) - 1 else [first + n]
                self.trips.append((p, owned))
            return
        for (out_s, p), there in zip(bookings, facility):
            ahead_s = 0.5 * window_s + m.travel_s(home, there) + 2.0 * dwell_s + service.activity_time_s
            release_s = self.release_s(out_s)
            out = book([(home, there, out_s)], release_s)
            back = book([(there, home, out_s + ahead_s)], release_s)
            self.trips.append((p, [out, back]))

    def release_s(self, first_pickup_s: float) -> float:
        service = self.model.world.paratransit
        if service.booking == "day_before":
            return -math.inf
        release_s = first_pickup_s - service.same_day_lead_min.value * 60.0
        if not self.by_app:
            release_s = min(release_s, service.phone_office_hours[1] * 3600.0)
        return release_s

    def account(self, served, ready_s, dropoff_s) -> None:
        """Add today's dispatched trips (``served`` per leg) to the ledger;
        a refused trip is made by the rider's own mode, with the trips of
        its purpose that were not booked, or is unmet. Then learn, from
        today's share served and the time served trips took per leg beyond
        the direct drive."""
        m, i = self.model, self.index
        fare = float(m.world.paratransit.fare.value)
        own = dict(self.not_booked)
        refused = 0
        extra_s = []
        for p, legs in self.trips:
            if not all(served[leg] for leg in legs):
                own[p] += 1
                m.ledger.paratransit_refused[i] += 1
                refused += 1
                continue
            total_s = 0.0
            for leg in legs:
                total_s += float(dropoff_s[leg]) - float(ready_s[leg])
            extra_s.append(total_s / len(legs) - self.direct_drive_s(p))
            m.ledger.travel_time_s[i, p] = float(m.ledger.travel_time_s[i, p]) + total_s
            m.ledger.trips_made[i, p] += 1
            m.ledger.paratransit_trips[i] += 1
            m.ledger.paratransit_fare[i] = float(m.ledger.paratransit_fare[i]) + fare * len(legs)
        for p, k in own.items():
            if k:
                self.own_trips(p, k)
        if self.trips:  # day-to-day learning: the expected served share moves towards today's
            w = m.travel.paratransit_learning
            self.expected_served = (1.0 - w) * self.expected_served + w * ((len(self.trips) - refused)
                                                                           / len(self.trips))
        if extra_s:
            w = m.travel.paratransit_learning
            self.expected_extra_s = (1.0 - w) * self.expected_extra_s + w * (sum(extra_s) / len(extra_s))


class ReferenceCityModel(mesa.Model):
    """Same inputs and ledger as :class:`twin.abm.CityModel`, one agent step at a time."""

    def __init__(self, world: World, *, seed: int, access: AccessFields | None = None,
                 transit: TransitFields | None = None, work: WorkZoneFields | None = None) -> None:
        super().__init__(seed=seed)
        self.transit = transit if world.transit is not None else None
        self.seed = int(seed)
        self.world = world
        self.residents = residents = world.residents
        self.travel = world.travel
        self.parking_search_time_s = world.parking_search_time_s
        self.access = access if access is not None else access_fields(
            world.city, water_points_considered=world.travel.water_points_considered,
            destinations_considered=world.travel.destinations_considered)
        self.ledger = Ledger.empty(len(residents))
        t = self.travel
        self.choice = {purpose: {name: t.choice_by_purpose[name][purpose] for name in t.choice_by_purpose}
                       for purpose in CHOICE_PURPOSES}
        car_density = sum(bool(c) for c in residents.has_car) / len(residents)
        self.car_constant = {purpose: c["car_user_constant"] + car_density * c["car_density_coefficient"]
                             for purpose, c in self.choice.items()}
        self.work = work if work is not None else work_fields(world)  # shared, as the access fields
        self._prepare_water()
        self.dispatched = None
        if world.paratransit is not None:
            self._prepare_paratransit()
        ReferenceResident.create_agents(self, len(residents), np.arange(len(residents)))

    def _point_now(self, load: float) -> tuple[float, float]:
        """A point's time per served fetch (wait + fill) and served share at
        ``load`` fetches a day (people): M/D/1 with utilisation at most 0.95,
        beyond which it serves 0.95 / utilisation of the fetches."""
        t = self.travel
        rho = load * t.water_fill_s / t.water_open_s
        capped = min(rho, 0.95)
        return t.water_fill_s + capped * t.water_fill_s / (2.0 * (1.0 - capped)), 0.95 / max(rho, 0.95)

    def _choose_water(self) -> None:
        """Each household's water point for the day: the least expected time
        per fetch that brings water, (round trip + time at the point) /
        served share, among its nearest points (the nearer on a tie)."""
        now = [self._point_now(load) for load in self.expected_load]
        self.water_point, self.water_length_m = [], []
        self.water_queue_time_s, self.water_served_share = [], []
        for i, options in enumerate(self.water_options):
            best, choice = math.inf, options[0]
            for length_m, point in options:
                if point < 0:
                    continue
                at_point_s, share = now[point]
                cost = (2.0 * (length_m / float(self.residents.speed_mps[i])) + at_point_s) / share
                if cost < best:
                    best, choice = cost, (length_m, point)
            length_m, point = choice
            self.water_point.append(point)
            self.water_length_m.append(length_m)
            self.water_queue_time_s.append(float(np.float32(now[point][0])) if point >= 0 else 0.0)
            self.water_served_share.append(float(np.float32(now[point][1])) if point >= 0 else 1.0)

    def _water_load(self, points: list[int], fetches: list[float]) -> list[float]:
        """Fetches a day at each point, in people."""
        load = [0.0] * self.access.n_water_points
        for point, count in zip(points, fetches):
            if point >= 0:
                load[point] += count
        return [value * self.world.people_per_resident for value in load]

    def _prepare_water(self) -> None:
        """Every household's nearest points (shared fields), and the day-0
        expectation: the load if everyone used their nearest point with the
        expected fetches."""
        r, a, t = self.residents, self.access, self.travel
        self.water_options = []
        for i in range(len(r)):
            h, wheelchair = int(r.home_node[i]), bool(r.wheelchair[i])
            lengths = a.water_wheelchair_m if wheelchair else a.water_walk_m
            points = a.water_wheelchair_point if wheelchair else a.water_walk_point
            self.water_options.append([(float(lengths[h, j]), int(points[h, j]))
                                       for j in range(t.water_points_considered)])
        fetches = [t.water_trips_per_day * (float(r.outage_days_per_week[i]) / DAYS_PER_WEEK
                                            if int(r.water_supply[i]) == PIPED else 1.0)
                   for i in range(len(r))]
        self.expected_load = self._water_load([o[0][1] for o in self.water_options], fetches)
        self._choose_water()

    def _water_day_done(self) -> None:
        """Expected loads move toward the fetches each point's households wanted today."""
        wanted = [0.0] * len(self.residents)
        for agent in self.agents:
            wanted[agent.index] = float(agent.wanted_water)
        observed = self._water_load(self.water_point, wanted)
        learning = self.travel.water_learning
        self.expected_load = [(1.0 - learning) * e + learning * o for e, o in zip(self.expected_load, observed)]
        self._choose_water()

    def _prepare_paratransit(self) -> None:
        """Exact drive times between all drive nodes, and the fleet at the
        drive node nearest the depot's site (default: the nodes' mean position)."""
        drive = self.world.city.streets["drive"]
        assert drive.n_nodes <= MAX_ZONES, "the reference needs a graph whose zone times are exact"
        graph = csr_matrix((drive.weight, drive.indices, drive.indptr), shape=(drive.n_nodes,) * 2)
        self.drive_s = dijkstra(graph, directed=True)
        x, y = drive.x_m, drive.y_m
        cx, cy = self.world.paratransit_depot_m or (x.mean(), y.mean())
        depot = int(np.argmin((x - cx) ** 2 + (y - cy) ** 2))
        s = self.world.paratransit
        self.fleet = Fleet(
            n_vehicles=s.fleet_size, capacity=s.vehicle_capacity, depot=depot,
            start_s=s.service_start_s, end_s=s.service_end_s, pickup_window_s=s.pickup_window_s,
            chained_window_s=s.chained_pickup_window_min.value * 60.0,
            dwell_s=float(s.dwell_time_s.value), max_ride_s=s.max_ride_time_min.value * 60.0,
            activity_s=s.activity_time_s,
        )

    def transit_s(self, mode: str, node: int, purpose: int) -> float:
        """One way by walk + transit (``mode``: walk or wheelchair) from
        ``node`` to the nearest facility that way; inf without transit."""
        if self.transit is None:
            return math.inf
        return float(getattr(self.transit, f"{mode}_time_s")[node, purpose])

    def facility_drive_node(self, home: int, purpose: int) -> int:
        """Drive node of the facility of ``purpose`` nearest ``home`` by drive."""
        nearest = int(self.access.drive_facility[home, purpose])
        return int(self.world.city.facilities[PURPOSES[purpose]].node["drive"][nearest])

    def travel_s(self, a: int, b: int) -> float:
        """Exact drive time from drive node ``a`` to ``b``."""
        return float(self.drive_s[a, b])

    def step(self) -> None:
        self.agents.do("step")
        if self.world.paratransit is not None:
            self._paratransit_day()
        self._water_day_done()
        self.ledger.days += 1

    def _paratransit_day(self) -> None:
        riders = sorted((a for a in self.agents if a.rider), key=lambda a: a.index)
        first_leg, n_legs, release, legs = [], [], [], []

        def book(request_legs, release_s):
            first_leg.append(len(legs))
            n_legs.append(len(request_legs))
            release.append(release_s)
            legs.extend(request_legs)
            return first_leg[-1]

        for agent in riders:
            agent.request(book)
        requests = Requests(
            first_leg=np.array(first_leg, dtype=np.int32),
            n_legs=np.array(n_legs, dtype=np.int32),
            release_s=np.array(release, dtype=np.float64),
            pickup_node=np.array([leg[0] for leg in legs], dtype=np.int32),
            dropoff_node=np.array([leg[1] for leg in legs], dtype=np.int32),
            ready_s=np.array([leg[2] for leg in legs], dtype=np.float64),
        )
        zones = _exact_zones(self.drive_s)
        vehicle, ready_s, _, dropoff_s = naive_dispatch(requests, self.fleet, zones)
        self.dispatched = np.array(vehicle, dtype=np.int32)
        served = np.repeat(self.dispatched >= 0, requests.n_legs)
        for agent in riders:
            agent.account(served, ready_s, dropoff_s)


def _exact_zones(drive_s: np.ndarray) -> ZoneTimes:
    """Every node its own zone: ``naive_dispatch``'s travel times are then
    the exact ``drive_s``."""
    n = len(drive_s)
    nodes = np.arange(n, dtype=np.int32)
    return ZoneTimes(zone=nodes, centre=nodes, to_centre_s=np.zeros(n), from_centre_s=np.zeros(n),
                     between_s=drive_s)
