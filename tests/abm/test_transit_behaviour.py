"""Public transport in the day's choice, as users rely on it: taking the
transit alternative away leaves more trips unmet for residents without a
car, and a fare subsidy moves only the residents it is for."""

import numpy as np

from twin.abm import CityModel
from twin.abm.workplaces import with_workplaces
from twin.interventions.fare_subsidy import FareSubsidy
from twin.world import Transit

from test_day_equals_reference import (
    random_access,
    random_residents,
    random_transit,
    random_work,
    random_world,
    travel_params,
)


def ledgers(worlds, access, transit, work, days=7):
    out = []
    for world in worlds:
        model = CityModel(world.replace(residents=world.residents.copy()), seed=5, access=access,
                          agents="none", transit=transit, work=work if world.transit is not None else no_ride(work))
        model.run(days)
        out.append(model.ledger)
    return out


def no_ride(work):
    """The work zones' fields without public transport."""
    return work._replace(walk_transit_s=np.full_like(work.walk_transit_s, np.inf),
                         wheelchair_transit_s=np.full_like(work.wheelchair_transit_s, np.inf))


def setting(budget_share=None):
    """Both baselines (with and without public transport; each resident's
    workplace drawn on each), the access, transit and work-zone fields."""
    rng = np.random.default_rng(12)
    residents = random_residents(rng, 1500, n_walk=60)
    access = random_access(rng, n_walk=60, n_drive=25)
    travel = travel_params(300.0, 150.0, 0.0, 160.0, 28_800.0, 3, 0.5, transit_fare_budget_share=budget_share)
    world = random_world(rng, residents, travel)
    fare = 4.0
    with_transit = world.replace(transit=Transit(None, fare, np.full(len(residents), fare)))
    work = random_work(rng, access, transit=True)
    return (with_workplaces(world, 5, fields=no_ride(work)), with_workplaces(with_transit, 5, fields=work),
            access, random_transit(rng, access), work)


def test_without_transit_carless_residents_have_more_unmet_trips():
    without, with_transit, access, fields, work = setting()
    before, after = ledgers([without, with_transit], access, fields, work)
    carless = ~without.residents.has_car
    poorest = without.residents.income_quintile <= 2
    group = carless & poorest
    assert after.transit_trips[group].sum() > 0
    assert after.unmet_trips[group].sum() < before.unmet_trips[group].sum()
    assert after.trips_made[group].sum() > before.trips_made[group].sum()
    # money: fares paid by those who ride, nothing by the others
    assert np.all((after.transit_fare > 0) == (after.transit_trips > 0))


def test_fare_subsidy_raises_transit_trips_of_the_eligible_only():
    _, world, access, fields, work = setting(budget_share=0.2)
    subsidy = FareSubsidy.model_validate({
        "type": "fare_subsidy", "quintiles": [1, 2], "fare_reduction": {"value": 0.5, "source": "test"},
        "cost": {"currency": "EUR", "price_year": 2024, "capital": {"value": 0, "source": "test"},
                 "yearly_operating": {"value": 1, "source": "test"},
                 "lifetime_years": {"value": 1, "source": "test"}}})
    subsidised = subsidy.apply(world, seed=5)
    eligible = world.residents.income_quintile <= 2
    np.testing.assert_array_equal(subsidised.transit.fare_paid, np.where(eligible, 2.0, 4.0))
    before, after = ledgers([world, subsidised], access, fields, work)
    model = CityModel(subsidised, seed=5, access=access, agents="none", transit=fields, work=work)
    model.run(2)
    frame = model.ledger_frame()  # what the subsidy pays: 2 legs x R$ 2 off, per round trip
    np.testing.assert_allclose(frame["transit_fare_waived_per_week"],
                               np.where(eligible, 4.0, 0.0) * frame["transit_trips_per_week"])
    assert after.transit_trips[eligible].sum() > before.transit_trips[eligible].sum()
    for name in ("trips_made", "unmet_trips", "travel_time_s", "transit_trips", "transit_fare"):
        np.testing.assert_array_equal(getattr(after, name)[~eligible], getattr(before, name)[~eligible],
                                      err_msg=name)
