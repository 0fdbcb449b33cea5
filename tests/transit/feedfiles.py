"""Small hand-made GTFS feeds, written as folders of .txt files."""

from __future__ import annotations

from pathlib import Path

CALENDAR_HEADER = "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date"


def write_feed(folder: Path, stops: list[tuple], trips: list[tuple], stop_times: list[tuple], *,
               calendar: list[str] | None = None, calendar_dates: list[str] = (),
               skip: tuple[str, ...] = ()) -> Path:
    """A GTFS folder. ``stops``: (id, lon, lat[, wheelchair_boarding]);
    ``trips``: (trip_id, route_id, service_id[, wheelchair_accessible]);
    ``stop_times``: (trip_id, arrival, departure, stop_id, sequence)."""
    folder.mkdir(parents=True, exist_ok=True)
    routes = sorted({t[1] for t in trips})
    files = {
        "agency.txt": ["agency_id,agency_name,agency_url,agency_timezone",
                       "A,Test,https://example.org,Europe/Helsinki"],
        "stops.txt": ["stop_id,stop_name,stop_lon,stop_lat,wheelchair_boarding"]
        + [f"{s[0]},{s[0]},{s[1]},{s[2]},{s[3] if len(s) > 3 else ''}" for s in stops],
        "routes.txt": ["route_id,agency_id,route_short_name,route_type"]
        + [f"{r},A,{r},3" for r in routes],
        "trips.txt": ["route_id,service_id,trip_id,wheelchair_accessible"]
        + [f"{t[1]},{t[2]},{t[0]},{t[3] if len(t) > 3 else ''}" for t in trips],
        "stop_times.txt": ["trip_id,arrival_time,departure_time,stop_id,stop_sequence"]
        + [",".join(str(x) for x in row) for row in stop_times],
        "calendar.txt": [CALENDAR_HEADER] + list(calendar if calendar is not None
                                                 else ["WK,1,1,1,1,1,0,0,20240101,20241231"]),
    }
    if calendar_dates:
        files["calendar_dates.txt"] = ["service_id,date,exception_type", *calendar_dates]
    for name, lines in files.items():
        if name.removesuffix(".txt") not in skip:
            (folder / name).write_text("\n".join(lines) + "\n")
    return folder
