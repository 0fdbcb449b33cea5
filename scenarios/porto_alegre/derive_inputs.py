"""Derive Porto Alegre's facility file and population grid from r5r's hexgrid.

    python scenarios/porto_alegre/derive_inputs.py [--hexgrid CSV] [--city PBF] [--out DIR]

Reads ``../shared/data/population/porto_alegre_hexgrid.csv`` (1,227 H3 cells:
population, jobs, schools, health facilities; see ../shared/data/SOURCES.md),
keeps the cells inside the street extract's bounding box, and writes
``derived/facilities.csv`` (a ``health`` facility per cell with health
facilities, a ``work`` one per cell with jobs; the count in ``count``),
``derived/population.csv`` and ``derived/provenance.json`` beside this file
(derived/ is not committed: the shared data is never copied into the repo).
The scenarios of this folder read them; run this once before
``twin compare scenarios/porto_alegre``.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[2] / "shared" / "data"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hexgrid", type=Path, default=SHARED / "population" / "porto_alegre_hexgrid.csv")
    parser.add_argument("--city", type=Path, default=SHARED / "osm" / "porto_alegre.osm.pbf",
                        help="street extract whose bounding box the cells are clipped to")
    parser.add_argument("--out", type=Path, default=HERE / "derived")
    args = parser.parse_args(argv)

    from twin.city import load_city
    from twin.city.grid_inputs import derive_grid_inputs
    from twin.errors import TwinError

    try:
        with warnings.catch_warnings():  # services the extract lacks: the facility file adds them
            warnings.simplefilter("ignore", UserWarning)
            walk = load_city(args.city).streets["walk"]
        bbox = (float(walk.lon.min()), float(walk.lat.min()), float(walk.lon.max()), float(walk.lat.max()))
        provenance = derive_grid_inputs(args.hexgrid, args.out, bbox=bbox)
    except TwinError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    provenance["city"] = str(args.city)
    (args.out / "provenance.json").write_text(json.dumps(provenance, indent=2) + "\n")
    kept = provenance["totals_kept"]
    print(f"{args.out}: {provenance['cells']['kept']} of {provenance['cells']['in_file']} cells, "
          f"{kept['population']:,.0f} residents, {provenance['facilities']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
