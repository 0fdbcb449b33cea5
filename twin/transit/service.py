"""A scenario's ``transit:`` block -> the timetable and fare its world runs with."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twin.city.arrays import City
from twin.errors import ConfigError
from twin.transit.timetable import load_timetable

if TYPE_CHECKING:  # annotation only: twin.scenario imports the interventions, which import the world
    from twin.scenario import TransitService


def world_transit(service: TransitService | None, city: City, *, path: str | None = None) -> dict[str, Any]:
    """Keyword arguments of :meth:`twin.world.World.baseline` for ``service``
    (the timetable, read or taken from the cache, and the fare); none
    without a service.

    Raises
    ------
    ConfigError
        A feed cannot be read for the service date, in one line naming
        ``path``'s ``transit.feeds``.
    """
    if service is None:
        return {}
    start_s, end_s = service.window_s
    try:
        timetable = load_timetable(service.feeds, city, service_date=service.service_date,
                                   window_start_s=start_s, window_end_s=end_s)
    except (ValueError, OSError) as error:
        raise ConfigError(str(error).splitlines()[0], path=path, field="transit.feeds",
                          fix="give GTFS feeds (.zip or folders) whose calendars run on service_date") from None
    return {"timetable": timetable, "fare": float(service.fare.value)}
