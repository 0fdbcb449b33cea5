"""Public transport: GTFS feeds -> timetable arrays linked to the walk graph
(+ cache) -> walk + transit travel-time fields to each purpose's facilities."""

from twin.transit.fields import TransitFields, transit_fields
from twin.transit.timetable import Timetable, build_timetable, load_timetable, parse_clock

__all__ = ["Timetable", "TransitFields", "build_timetable", "load_timetable", "parse_clock",
           "transit_fields"]
