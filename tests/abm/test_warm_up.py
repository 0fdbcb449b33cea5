"""Warm-up: the riders' days simulated before the measured ones where they
learn the paratransit service. The measured week after a warm-up differs
from a cold start by what riders learnt, and by nothing else."""

from pathlib import Path

import numpy as np
import pytest

from twin.abm import CityModel
from twin.abm.access import access_fields, updated_access
from twin.abm.model import WARM_UP_STREAMS_END
from twin.outcomes.ledger import Ledger
from twin.scenario import MAX_DAYS, WARM_UP_DAYS, load_scenario

from test_paratransit_model import baseline_world, service

pytestmark = pytest.mark.needs_jit  # 20,000 residents for five weeks on a real city

HELSINKI = Path(__file__).resolve().parents[2] / "scenarios" / "helsinki"
LEDGER = ("travel_time_s", "trips_made", "unmet_trips", "paratransit_trips", "paratransit_refused",
          "paratransit_fare", "travel_money", "car_trips", "transit_trips", "transit_fare")


@pytest.fixture(scope="module")
def access(helsinki):
    return access_fields(helsinki)


def week(world, access, *, warm_up=0, seed=3):
    """A model after ``warm_up`` warm-up days and 7 measured days."""
    model = CityModel(world, seed=seed, agents="none", access=access)
    model.warm_up_simulated = model.warm_up(warm_up)
    model.run(7)
    return model


def assert_same_ledger(a, b):
    assert a.ledger.days == b.ledger.days
    for name in LEDGER:
        np.testing.assert_array_equal(getattr(a.ledger, name), getattr(b.ledger, name), err_msg=name)


def test_after_a_warm_up_riders_who_learnt_are_refused_less(helsinki, access):
    """The shipped single-stop service (one van) is swamped on a cold start:
    every rider expects every booking served and a ride half the pickup
    window longer than the drive. After the default warm-up riders have
    learnt both, book less and are refused far less in the measured week.
    Without learning (the ablation) the warm-up changes nothing at all."""
    def world(learning):
        return service().apply(baseline_world(helsinki, "helsinki", 20_000,
                                              paratransit_learning=learning), seed=3)

    cold, warm = week(world(0.5), access), week(world(0.5), access, warm_up=WARM_UP_DAYS)
    assert warm.warm_up_simulated == WARM_UP_DAYS and warm.ledger.days == 7
    daily = warm.datacollector.get_model_vars_dataframe()
    assert daily["day"].tolist() == list(range(1, 8))  # the warm-up's days are not the run's
    cold_daily = cold.datacollector.get_model_vars_dataframe()
    refused, refused_cold = daily["paratransit_refused_today"].sum(), cold_daily["paratransit_refused_today"].sum()
    assert refused_cold > 0.3 * cold_daily["paratransit_requests_today"].sum()  # the van binds
    assert refused < 0.1 * refused_cold
    assert daily["paratransit_requests_today"].sum() < 0.7 * cold_daily["paratransit_requests_today"].sum()
    # the ledger holds the measured week only: a refused trip is one or both of its two requests
    assert refused / 2 <= warm.ledger.paratransit_refused.sum() <= refused
    riders = warm.paratransit.riders
    assert riders.expected_served.min() < 1.0
    assert (riders.expected_extra_s > 0.5 * warm.paratransit.rules.pickup_window_s).any()
    # the ablation: riders who never learn book as on a cold start, and the model knows it
    fixed_cold, fixed_warm = week(world(0.0), access), week(world(0.0), access, warm_up=WARM_UP_DAYS)
    assert fixed_warm.warm_up_simulated == 0
    assert_same_ledger(fixed_cold, fixed_warm)


def test_riders_alone_learn_what_they_learn_among_everyone(helsinki, access):
    """A warm-up simulates the riders' days only (no one else's day touches
    theirs): what they learn, and the measured week after, match a warm-up
    of the whole population on the same streams (the plain reference)."""
    def warmed(whole):
        world = service().apply(baseline_world(helsinki, "helsinki", 20_000), seed=3)
        model = CityModel(world, seed=3, agents="none", access=access)
        if whole:
            model.day = WARM_UP_STREAMS_END - WARM_UP_DAYS
            model.run(WARM_UP_DAYS)
            model.day, model.ledger = 0, Ledger.empty(len(model.residents))
        else:
            model.warm_up(WARM_UP_DAYS)
        model.run(7)
        return model

    alone, everyone = warmed(False), warmed(True)
    a, e = alone.paratransit.riders, everyone.paratransit.riders
    assert abs(a.expected_served.mean() - e.expected_served.mean()) < 0.02
    assert a.expected_extra_s.mean() == pytest.approx(e.expected_extra_s.mean(), rel=0.03)
    requests = [m.ledger.paratransit_trips.sum() + m.ledger.paratransit_refused.sum() for m in (alone, everyone)]
    assert requests[0] == pytest.approx(requests[1], rel=0.1)


def test_where_nothing_learns_simulated_warm_up_days_change_nothing(helsinki, access):
    """What a skipped warm-up rests on: with riders who do not learn, and
    households that learn water points' queues (lower-income residents, the
    shipped water points), simulating the warm-up days anyway leaves the
    measured week bit-identical to a cold start: warm-up days leak nothing
    (today's bookings, dispatch, water expectations) into the measured ones."""
    (water_points,) = load_scenario(HELSINKI / "water_points.yaml").interventions

    def world():
        base = baseline_world(helsinki, "nairobi_informal", 5_000, paratransit_learning=0.0)
        return service().apply(water_points.apply(base, seed=3), seed=3)

    access = updated_access(access, helsinki, world().city)  # with the new water points
    cold = week(world(), access)
    forced = CityModel(world(), seed=3, agents="none", access=access)
    assert not forced.learns and forced.water.expected_load.any()
    first_load = forced.water.expected_load.copy()
    booked = []
    forced._simulate_warm_up(14, lambda day: booked.append(forced.paratransit.riders.booked.sum()))
    assert min(booked) > 0  # riders booked on every warm-up day
    np.testing.assert_array_equal(forced.water.expected_load, first_load)
    assert forced.ledger.days == 0 and forced.paratransit.dispatched is None
    forced.run(7)
    assert_same_ledger(cold, forced)


def test_warm_up_days_draw_from_days_no_run_measures(helsinki, access):
    """Riders do not learn on the very draws of the days then measured, and
    the measured days draw from days 0, 1, ... after a warm-up or none."""
    model = CityModel(service().apply(baseline_world(helsinki, "helsinki", 2_000), seed=3),
                      seed=3, agents="none", access=access)
    drawn = []
    assert model.warm_up(7, progress=lambda done: drawn.append(model.day - 1)) == 7
    assert drawn == list(range(WARM_UP_STREAMS_END - 7, WARM_UP_STREAMS_END))
    assert min(drawn) >= MAX_DAYS
    model.run(2, progress=lambda done: drawn.append(model.day - 1))
    assert drawn[-2:] == [0, 1]
    with pytest.raises(ValueError, match="warm-up days"):
        model.warm_up(-1)
    with pytest.raises(RuntimeError, match="before the measured days"):
        model.warm_up(7)

