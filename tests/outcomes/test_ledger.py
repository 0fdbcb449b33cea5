"""The ledger frame: its float columns share one reused array, and a frame
still referred to is never written over; the columns are the plain numpy
formulas' (each ledger array scaled to a week)."""

import numpy as np
import pandas as pd
import pytest

from twin.core.tally import weekly_columns
from twin.outcomes.ledger import (
    CLINIC_WITHIN_S,
    SCALED,
    WATER_SERVICE_LEVELS,
    Ledger,
    ledger_frame,
    water_service_level,
)
from twin.residents import load_resident_model
from twin.residents.population import PURPOSES, WATER_SUPPLIES
from twin.residents.synthesize import synthesize


def plain_frame(residents, ledger, one_way_time_s, *, water_queue_time_s):
    """ledger_frame as it was: a new array per column."""
    per_week = 7 / ledger.days
    columns = {"resident": np.arange(len(residents), dtype=np.int32)}
    for name in ("income", "income_quintile", "age_band", "has_car", "smartphone", "home_internet",
                 "digital_skills", "phone", "can_use_apps", "reduced_mobility", "wheelchair"):
        columns[name] = getattr(residents, name)
    columns["water_supply"] = pd.Categorical.from_codes(residents.water_supply, WATER_SUPPLIES)
    columns["home_node"] = residents.home_node
    weekly = iter(weekly_columns(ledger.travel_time_s, ledger.trips_made, ledger.unmet_trips, per_week))
    for prefix in ("travel_min_per_week", "trips_per_week", "unmet_trips_per_week"):
        for purpose in PURPOSES:
            columns[f"{prefix}_{purpose}"] = next(weekly)
    for name in ("essential_travel_min_per_week", "trips_per_week", "unmet_trips_per_week"):
        columns[name] = next(weekly)
    columns["paratransit_trips_per_week"] = ledger.paratransit_trips * per_week
    columns["paratransit_refused_per_week"] = ledger.paratransit_refused * per_week
    columns["paratransit_fare_per_week"] = ledger.paratransit_fare * per_week
    columns["car_money_per_week"] = ledger.travel_money * per_week
    columns["car_trips_per_week"] = ledger.car_trips * per_week
    columns["transit_trips_per_week"] = ledger.transit_trips * per_week
    columns["transit_fare_per_week"] = ledger.transit_fare * per_week
    water, health = PURPOSES.index("water"), PURPOSES.index("health")
    columns["water_service"] = pd.Categorical.from_codes(
        water_service_level(residents.water_supply, one_way_time_s[:, water], water_queue_time_s),
        WATER_SERVICE_LEVELS)
    columns["clinic_within_30min"] = one_way_time_s[:, health] <= CLINIC_WITHIN_S
    return pd.DataFrame(columns)


@pytest.fixture(scope="module")
def residents():
    rng = np.random.default_rng(3)
    return synthesize(load_resident_model("nairobi_informal"), 2000, home_node=np.arange(80, dtype=np.int32),
                      home_weight=rng.random(80), home_x_m=rng.random(80) * 3000, home_y_m=rng.random(80) * 3000,
                      seed=3)


def random_ledger(n, days, rng):
    ledger = Ledger.empty(n)
    ledger.days = days
    for name in ("travel_time_s", "trips_made", "unmet_trips", *SCALED.values()):
        array = getattr(ledger, name)
        array[...] = rng.integers(0, 30, array.shape) * (rng.random(array.shape) if array.dtype.kind == "f" else 1)
    return ledger


def address_of(column):
    return column.to_numpy().__array_interface__["data"][0]


def test_frames_are_the_plain_columns_and_a_frame_in_use_is_never_written_over(residents):
    rng = np.random.default_rng(4)
    n = len(residents)
    one_way = rng.uniform(0.0, 4000.0, (n, len(PURPOSES)))
    one_way[rng.random(one_way.shape) < 0.05] = np.inf
    queue = rng.uniform(0.0, 900.0, n).astype(np.float32)

    def frames(days):
        ledger = random_ledger(n, days, rng)
        return (ledger_frame(residents, ledger, one_way, water_queue_time_s=queue),
                plain_frame(residents, ledger, one_way, water_queue_time_s=queue))

    first, first_plain = frames(7)
    second, second_plain = frames(3)  # made while the first is in use
    third, third_plain = frames(7)
    for frame, plain in ((first, first_plain), (second, second_plain), (third, third_plain)):
        pd.testing.assert_frame_equal(frame, plain, check_exact=True)
    address = address_of(third["car_money_per_week"])
    del third, third_plain, frame, plain
    fourth, fourth_plain = frames(5)  # the third's array, now free, is reused
    assert address_of(fourth["car_money_per_week"]) == address
    fifth, fifth_plain = frames(2)  # the fourth's is still in use
    assert address_of(fifth["car_money_per_week"]) != address
    for frame, plain in ((first, first_plain), (second, second_plain), (fourth, fourth_plain),
                         (fifth, fifth_plain)):
        pd.testing.assert_frame_equal(frame, plain, check_exact=True)
    column = fifth["travel_min_per_week_water"]
    address = address_of(column)
    del fifth, frame, plain
    sixth, sixth_plain = frames(4)  # a column kept keeps its frame's array
    assert address_of(sixth["travel_min_per_week_water"]) != address
    pd.testing.assert_series_equal(column, fifth_plain["travel_min_per_week_water"], check_exact=True)
    pd.testing.assert_frame_equal(sixth, sixth_plain, check_exact=True)
