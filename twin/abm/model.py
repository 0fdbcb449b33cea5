"""``CityModel``: a Mesa model whose state lives in numpy arrays.

A Mesa object per resident costs about 4 s and 500 MB per million, so the
residents' arrays carry the state and :class:`Resident` agents are thin views
over one row each (the pattern of Mesa's ``PropertyLayer``). They are created
for small populations (``agents="auto"``: up to :data:`AUTO_AGENTS_MAX`) or on
demand with :meth:`CityModel.resident`. A step is one day for all residents in
one kernel call, never a Python loop per agent.

With paratransit (``world.paratransit``) a step is three calls: the day
kernel, where riders book trips; dispatch; accounting of the booked trips
(:mod:`twin.abm.vehicle`). The fleet's vehicles are :class:`Vehicle` agents.

Where residents learn a service from their days (paratransit riders),
:meth:`CityModel.warm_up` simulates the riders' days before the measured
ones, keeping only what they learnt.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Literal

import mesa
import numpy as np

from twin.abm import inputs
from twin.abm.access import AccessFields, access_fields
from twin.abm.agent import Agent
from twin.abm.unchanged import BaselineDays, residents_whose_day_differs
from twin.abm.vehicle import ParatransitService, Vehicle
from twin.abm.water import WaterChoice
from twin.abm.workplaces import with_workplaces, work_fields
from twin.core.choice import MODE_NAMES, WorkZoneFields
from twin.core.daily import best_one_way_times, simulate_day
from twin.core.dispatch import ZoneTimes
from twin.outcomes.ledger import Ledger, ledger_frame
from twin.residents.population import PURPOSES, Residents
from twin.transit.fields import TransitFields, transit_fields
from twin.world import World

WATER = PURPOSES.index("water")

WARM_UP_STREAMS_END = 7 * 105
"""Warm-up day ``j`` of ``W`` (``j = 0 .. W-1``) draws from the random
streams of day ``WARM_UP_STREAMS_END - W + j``, never those of a measured
day (``0 .. 365``, for warm-ups up to 366 days): the measured days draw the
same numbers whatever the warm-up, so runs stay paired whether or not each
warms up, and a run without warm-up is what it was. A multiple of 7, so the
warm-up's last day is the measured first day's eve in the weekly cycle of
trips."""

AUTO_AGENTS_MAX = 50_000
"""Largest population for which ``agents="auto"`` makes a Mesa agent per resident."""


def _row_property(name: str) -> property:
    """An attribute of a Resident that reads and writes row ``index`` of the array."""

    def get(self):
        return getattr(self.model.residents, name)[self.index]

    def set(self, value):
        getattr(self.model.residents, name)[self.index] = value

    return property(get, set, doc=f"``residents.{name}[index]``")


class Resident(Agent):
    """One resident: a view over row ``index`` of ``model.residents``.

    Every attribute of :class:`~twin.residents.population.Residents`
    (``income``, ``has_car``, ``wheelchair``, ...) reads and writes the
    array, so the kernels and the agent always agree.
    """

    def __init__(self, model: CityModel, index: int) -> None:
        super().__init__(model)
        self.index = int(index)

    @property
    def travel_time_s(self) -> np.ndarray:
        """This resident's travel time so far, by purpose."""
        return self.model.ledger.travel_time_s[self.index]

    @property
    def unmet_trips(self) -> np.ndarray:
        """This resident's unmet trips so far, by purpose."""
        return self.model.ledger.unmet_trips[self.index]


for _field in fields(Residents):
    setattr(Resident, _field.name, _row_property(_field.name))


class CityModel(mesa.Model):
    """Residents of a compiled city living simulated days.

    Parameters
    ----------
    world
        City, residents and services of one scenario
        (:meth:`World.baseline <twin.interventions.base.World.baseline>` for
        no intervention). The model reads and writes its resident arrays.
    seed
        Seed of every random draw (>= 0). The same seed gives bit-identical
        results; draws are per (seed, day, resident), so they do not depend
        on the population's size or order.
    agents
        ``"auto"`` makes a :class:`Resident` agent per resident up to
        :data:`AUTO_AGENTS_MAX` residents; ``"all"`` or ``"none"`` force it.
    access
        Precomputed accessibility fields of ``world.city`` (to share them
        between models of the same city); computed when omitted.
    zones
        Zone travel times of the drive graph, for paratransit (to share them);
        read from the cache or computed when omitted.
    transit
        Walk + transit fields of ``world.transit``'s timetable, journeys
        with a ride (``rides_only``; to share them); read from the cache or
        computed when omitted. Not used
        without ``world.transit``.
    work
        Travel fields to the work zones of ``world`` (to share them,
        :func:`twin.abm.workplaces.work_fields`); computed when omitted.
        Residents' workplaces are drawn with them when ``world`` has none
        (:func:`twin.abm.workplaces.with_workplaces`).
    """

    def __init__(
        self,
        world: World,
        *,
        seed: int,
        agents: Literal["auto", "all", "none"] = "auto",
        access: AccessFields | None = None,
        zones: ZoneTimes | None = None,
        transit: TransitFields | None = None,
        work: WorkZoneFields | None = None,
    ) -> None:
        if seed < 0:
            raise ValueError(f"seed must be >= 0, got {seed}")
        super().__init__(seed=seed)
        self.seed = int(seed)
        self.world = world
        self.residents = world.residents
        self.travel = world.travel
        k = world.travel.water_points_considered
        k_choice = world.travel.destinations_considered
        if (access is None or access.water_walk_m.shape[1] < k  # shared fields with fewer points
                or access.walk_choice_m.shape[2] != k_choice):
            access = access_fields(world.city, water_points_considered=k, destinations_considered=k_choice)
        self.access = access
        n = len(self.residents)
        self.ledger = Ledger.empty(n)
        self.work = work = work_fields(world) if work is None else work
        if world.work_zone is None:  # a baseline world: its residents' jobs are drawn here
            world = with_workplaces(world, self.seed, fields=work)
            self.world = world
        self.water = WaterChoice(world, self.access)
        self.day_residents = inputs.day_residents(world, self.water)
        self.day_params = inputs.day_params(world)
        if world.transit is None:
            transit = None
        elif transit is None:
            transit = transit_fields(world.city, world.transit.timetable, rides_only=True)
        self.transit = transit
        self.day_city = inputs.day_city(self.access, self.day_params.choice, work, transit)
        self.water_load_today = np.zeros(self.access.n_water_points)
        self.mode_trips = dict.fromkeys(MODE_NAMES, 0)
        self.unmet_today = 0
        self.trips_made_total = self.unmet_total = 0
        self.paratransit_today = {"requests": 0, "refused": 0, "trips": 0}
        self.paratransit: ParatransitService | None = None
        if world.paratransit is not None:
            self.paratransit = ParatransitService(world, self.access, zones=zones)
            Vehicle.create_agents(self, world.paratransit.fleet_size,
                                  np.arange(world.paratransit.fleet_size))
        self._resident_agents: dict[int, Resident] = {}
        if agents == "all" or (agents == "auto" and n <= AUTO_AGENTS_MAX):
            made = Resident.create_agents(self, n, np.arange(n))
            self._resident_agents = {agent.index: agent for agent in made}
        self.day = 0  # the day of the random streams the next step draws from
        self._recording: BaselineDays | None = None
        self._replaying: BaselineDays | None = None
        self._only: np.ndarray | None = None
        self._fetches_replayed = False  # the water points' queues of the baseline's fetches
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "day": lambda m: m.ledger.days,
                "essential_travel_h": lambda m: m.ledger.travel_time_s.sum() / 3600.0,
                # running totals of the days' counts (equal to the ledger's
                # sums, without summing a million residents' rows each day)
                "trips_made": "trips_made_total",
                "unmet_trips": "unmet_total",
                "walk_trips_today": lambda m: m.mode_trips["walk"],
                "wheelchair_trips_today": lambda m: m.mode_trips["wheelchair"],
                "car_trips_today": lambda m: m.mode_trips["car"],
                "transit_trips_today": lambda m: m.mode_trips["transit"],
                "unmet_trips_today": "unmet_today",
                "paratransit_trips_today": lambda m: m.paratransit_today["trips"],
                "paratransit_requests_today": lambda m: m.paratransit_today["requests"],
                "paratransit_refused_today": lambda m: m.paratransit_today["refused"],
                "water_fetches_at_busiest_point_today": lambda m: float(m.water_load_today.max(initial=0.0)),
            }
        )

    def step(self) -> None:
        """One day for every resident: one kernel call, or three with paratransit."""
        day = self.day
        inputs_today = (self.day_residents, self.day_city, self.day_params)
        ledger = inputs.ledger_arrays(self.ledger)
        if not self._fetches_replayed:
            wanted_before = self.ledger.trips_made[:, WATER] + self.ledger.unmet_trips[:, WATER]
        svc = self.paratransit
        if svc is None:
            counts = simulate_day(day, self.seed, *inputs_today, ledger, only=self._only)
            mode_trips = (counts.walk, counts.wheelchair, counts.car, counts.transit)
            self.unmet_today = counts.unmet
        else:
            counts = simulate_day(day, self.seed, *inputs_today, ledger,
                                  riders=svc.riders, rules=svc.rules, only=self._only)
            dispatched = svc.dispatch_day(day, self.seed, self.day_residents, self.day_city)
            booked = svc.account(inputs_today, ledger)
            self.paratransit_today = {"requests": len(dispatched.request_vehicle),
                                      "refused": int(dispatched.refused.sum()),
                                      "trips": booked.paratransit}
            mode_trips = (counts.walk + booked.walk, counts.wheelchair + booked.wheelchair,
                          counts.car + booked.car, counts.transit + booked.transit)
            self.unmet_today = counts.unmet + booked.unmet
        self.mode_trips = dict(zip(MODE_NAMES, mode_trips))
        self.trips_made_total += int(sum(mode_trips)) + self.paratransit_today["trips"]
        self.unmet_total += int(self.unmet_today)
        if not self._fetches_replayed:  # (a replay simulates every fetcher then; the others' rows stay 0)
            wanted = self.ledger.trips_made[:, WATER] + self.ledger.unmet_trips[:, WATER] - wanted_before
        else:  # the same as the baseline's (see replay)
            wanted = np.zeros(len(self.residents), dtype=np.int32)
            fetching, fetches = self._replaying.fetches[self.ledger.days]
            wanted[fetching] = fetches
        if self._recording is not None:
            fetching = np.flatnonzero(wanted)
            self._recording.fetches.append((fetching, wanted[fetching]))
        # a choice for tomorrow's fetchers only: the others' is read after the days (one_way_time_s)
        self.water_load_today = self.water.after_day(wanted, tomorrow=(day + 1, self.seed))
        self.ledger.days += 1
        self.day += 1
        self.datacollector.collect(self)

    @property
    def learns(self) -> bool:
        """Whether residents learn a service slowly from their own days:
        paratransit riders who learn (the share of their bookings served,
        the time a ride takes). What households expect of water points'
        queues settles within a day and starts alike in every run, so it
        needs no warm-up."""
        svc = self.paratransit
        return svc is not None and svc.learning > 0

    def warm_up(self, days: int, *, progress=None) -> int:
        """Simulate ``days`` days before the measured ones where residents
        learn a service (:attr:`learns`), keeping only what the riders
        learnt: no ledger, daily figure or water point's expectation changes.

        Warm-up days simulate the riders alone (whose days no one else's
        touches), on streams of their own (:data:`WARM_UP_STREAMS_END`), so
        a run's measured days differ from those of a run without warm-up
        only by what riders learnt, and a warm-up day costs about the
        riders' share of a measured day. Where nothing learns a warm-up
        would change nothing, so none is simulated. ``progress(day)`` is
        called after each warm-up day.

        Returns
        -------
        int
            The days simulated: ``days``, or 0 where nothing learns.
        """
        if not 0 <= days <= WARM_UP_STREAMS_END // 2:
            raise ValueError(f"warm-up days must be in 0 .. {WARM_UP_STREAMS_END // 2}, got {days}")
        if self.ledger.days:
            raise RuntimeError(f"warm up before the measured days ({self.ledger.days} simulated)")
        if days == 0 or not self.learns:
            return 0
        self._simulate_warm_up(days, progress)
        return days

    def _simulate_warm_up(self, days: int, progress=None) -> None:
        """Warm-up days of the riders alone: what they learn follows from
        their own trips and bookings and the fleet's dispatch of them, which
        no other resident's day touches (water trips are never booked), so
        the others' days are not simulated: a warm-up day costs the riders'
        share of a day. Riders draw from the streams of their place among
        the riders, not in the population; the water points' expectations
        and the ledger are left as they were."""
        svc = self.paratransit
        riders = svc.riders
        residents = type(self.day_residents)(*(field[riders.resident] for field in self.day_residents))
        own = np.arange(len(riders.resident), dtype=np.int32)
        svc.riders = riders._replace(rider_of=own, resident=own)  # the same arrays: learnt in place
        today = (residents, self.day_city, self.day_params)
        ledger = inputs.ledger_arrays(Ledger.empty(len(own)))
        self.day = WARM_UP_STREAMS_END - days
        try:
            for done in range(1, days + 1):
                simulate_day(self.day, self.seed, *today, ledger, riders=svc.riders, rules=svc.rules)
                svc.dispatch_day(self.day, self.seed, residents, self.day_city)
                svc.account(today, ledger)
                self.day += 1
                if progress is not None:
                    progress(done)
        finally:
            svc.riders = riders
            svc.requests = svc.trips = svc.dispatched = None  # no measured day dispatched yet
            self.day = 0

    def _water_state(self) -> tuple[np.ndarray, ...]:
        w = self.water
        return w.chosen, w.length_m, w.time_at_point_s, w.served_share, w.expected_load

    def record(self) -> BaselineDays:
        """Keep what a replay of this run's measured days needs (call before
        them); the returned record is complete once the days are run."""
        if self.ledger.days:
            raise RuntimeError("record before the measured days")
        self._recording = BaselineDays(
            self.day_residents, self.day_city, self.day_params,
            tuple(a.copy() for a in self._water_state()), self.paratransit is not None, self.seed,
            ledger=self.ledger)
        return self._recording

    def replay(self, baseline: BaselineDays) -> np.ndarray | None:
        """Simulate only the residents whose days this model's inputs can make
        differ from ``baseline``'s (:mod:`twin.abm.unchanged`), taking
        everyone else's from it: the same ledger, to the bit, as simulating
        everyone (call after the baseline's run, before this model's measured
        days, and run as many days with the baseline's seed). The daily
        figures (DataCollector) then count those residents only.

        Returns
        -------
        The residents simulated (int32 indices), or None where any resident's
        day can differ (then everyone is simulated, as without a replay).
        """
        if self.ledger.days:
            raise RuntimeError("replay before the measured days")
        riders = None if self.paratransit is None else self.paratransit.riders.resident
        if baseline.seed != self.seed:
            raise ValueError(f"a replay needs the baseline's seed ({baseline.seed}), not {self.seed}")
        differs = residents_whose_day_differs(baseline, self.day_residents, self.day_city, self.day_params,
                                              self._water_state(), riders)
        if differs is None or len(differs[0]) == len(self.residents):
            return None
        self._replaying, (self._only, self._fetches_replayed) = baseline, differs
        return self._only

    def _completed_ledger(self) -> None:
        """After a replay's days, everyone else's rows from the baseline."""
        base = self._replaying
        if base is None:
            return
        if base.ledger.days != self.ledger.days:
            raise RuntimeError(f"a replay runs the baseline's {base.ledger.days} days, not {self.ledger.days}")
        for name in inputs.LedgerArrays._fields:
            mine = getattr(self.ledger, name)
            simulated = mine[self._only]
            mine[...] = getattr(base.ledger, name)  # a copy: faster than a mask of the others
            mine[self._only] = simulated
        self._replaying, self._fetches_replayed = None, False

    def run(self, days: int, *, progress=None) -> None:
        """Simulate ``days`` days; ``progress(day)`` is called after each
        (the days measured so far)."""
        for _ in range(days):
            self.step()
            if progress is not None:
                progress(self.ledger.days)

    def one_way_time_s(self) -> np.ndarray:
        """Best one-way time (s) to each purpose's nearest facility by the
        modes each resident has; inf where none reaches. Shape (n, purposes)."""
        self.water.complete()  # the water points' distances the bundle holds, everyone's
        return best_one_way_times(self.day_residents, self.day_city, self.day_params)

    def ledger_frame(self):
        """Per resident per week outcomes with resident attributes (pandas);
        with public transport also ``transit_fare_waived_per_week``: the
        fares a subsidy paid for the resident's trips (full fare less what
        they paid)."""
        self._completed_ledger()
        frame = ledger_frame(
            self.residents, self.ledger, self.one_way_time_s(),
            water_queue_time_s=self.water.time_at_point_s,
        )
        transit = self.world.transit
        if transit is not None:
            waived = 2.0 * (transit.fare - np.asarray(transit.fare_paid, dtype=np.float64))
            frame["transit_fare_waived_per_week"] = frame["transit_trips_per_week"].to_numpy() * waived
        return frame

    def resident(self, index: int) -> Resident:
        """The agent of resident ``index`` (made on demand for large populations)."""
        if not 0 <= index < len(self.residents):
            raise IndexError(f"no resident {index}: there are {len(self.residents)}")
        if index not in self._resident_agents:
            self._resident_agents[index] = Resident(self, index)
        return self._resident_agents[index]
