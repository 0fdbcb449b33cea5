"""Residents: a resident model (``models/*.yaml``) -> synthetic residents.

``load_resident_model("helsinki")`` reads and validates a model;
``synthesize_for_city(model, city, n, seed=...)`` draws the residents as a
:class:`Residents` structure of arrays.
"""

from twin.residents.load import available_models, load_resident_model
from twin.residents.model import ResidentModel
from twin.residents.population import PURPOSES, WATER_SUPPLIES, Residents
from twin.residents.synthesize import synthesize, synthesize_for_city

__all__ = [
    "PURPOSES",
    "WATER_SUPPLIES",
    "ResidentModel",
    "Residents",
    "available_models",
    "load_resident_model",
    "synthesize",
    "synthesize_for_city",
]
