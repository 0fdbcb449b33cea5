"""Small sweep files for the tests (500 residents, 1 day)."""

from __future__ import annotations

from pathlib import Path

HELSINKI = Path(__file__).resolve().parents[2] / "scenarios" / "helsinki"

PARAMETERS = """\
  - name: adoption
    path: interventions[parking_app].adoption.value
    values: [0.2, 0.8]
  - name: smartphone_75
    path: resident_model.digital.smartphone.by_age_band.values.75+
    values: [0.3, 0.8]
"""


def sweep_file(folder: Path, *, seeds: int = 2, residents: int = 500, design: str = "{method: grid}",
               parameters: str = PARAMETERS, scenarios: str = "parking_app.yaml, access_centres.yaml",
               name: str = "tiny") -> Path:
    """Write a sweep over the Helsinki scenarios into ``folder``."""
    listed = ", ".join(str(HELSINKI / s.strip()) for s in scenarios.split(","))
    path = folder / f"{name}.yaml"
    path.write_text(
        f"name: {name}\nbaseline: {HELSINKI / 'baseline.yaml'}\nscenarios: [{listed}]\n"
        f"residents: {residents}\ndays: 1\nseeds: {seeds}\ndesign: {design}\n"
        f"parameters:\n{parameters}"
    )
    return path
