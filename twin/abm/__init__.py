"""Mesa layer: the city model and its agents, as views over the arrays."""

from twin.abm.model import CityModel, Resident

__all__ = ["CityModel", "Resident"]
