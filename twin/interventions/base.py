"""What an intervention is, and the world it changes.

An intervention is a pydantic model (its YAML form, ``extra="forbid"``) with
an :meth:`Intervention.apply` that returns a changed copy of the
:class:`World`: the city (new facilities), the residents (new devices, fewer
outages) and the services on offer (parking search, booking channels,
paratransit). Kinds are found through :data:`REGISTRY` by their YAML
``type:``, so a new kind plugs in with :func:`register` and never touches
the core.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from twin.city.arrays import City
from twin.core.streams import DRAWS_PER_INTERVENTION, PHASE_DAY, intervention_channel, uniforms
from twin.residents.model import NonNegative, Positive, Value
from twin.residents.population import Residents

if TYPE_CHECKING:
    from twin.abm.model import TravelParams
    from twin.interventions.paratransit import Paratransit


@dataclass(frozen=True)
class World:
    """Everything a run consumes: one scenario's city, residents and services.

    Attributes
    ----------
    city
        The compiled city (interventions may add facilities).
    residents
        The residents (interventions change a copy).
    travel
        Shared travel assumptions of the resident model.
    parking_search_time_s
        float32 per resident: parking search per car trip.
    assisted_booking
        bool per resident: can book services in person at an access centre.
    paratransit
        The paratransit service on offer, if any.
    """

    city: City
    residents: Residents
    travel: "TravelParams"
    parking_search_time_s: np.ndarray
    assisted_booking: np.ndarray
    paratransit: "Paratransit | None" = None

    @classmethod
    def baseline(cls, city: City, residents: Residents, travel: "TravelParams") -> "World":
        """The world with no intervention."""
        n = len(residents)
        return cls(
            city=city,
            residents=residents,
            travel=travel,
            parking_search_time_s=np.full(n, travel.parking_search_time_s, dtype=np.float32),
            assisted_booking=np.zeros(n, dtype=bool),
        )

    def replace(self, **changes: Any) -> "World":
        """A copy with ``changes``; arrays not named are shared, not copied."""
        return dataclasses.replace(self, **changes)


Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
"""An ISO 4217 code, e.g. ``EUR``, ``KES``, ``BRL``."""


class Cost(BaseModel):
    """What an intervention costs, in ``currency`` at ``price_year`` prices.

    The yearly cost used for cost-effectiveness is ``capital / lifetime_years
    + yearly_operating`` (straight-line, no discounting). A comparison adds
    costs only when they share currency and price year (the scenario files
    state both; labels never come from the resident model, whose currency is
    that of incomes).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    currency: Currency
    price_year: Annotated[int, Field(ge=1900, le=2100)]
    capital: Value[NonNegative]
    yearly_operating: Value[NonNegative]
    lifetime_years: Value[Positive]

    @property
    def yearly(self) -> float:
        """Annualised cost."""
        return self.capital.value / self.lifetime_years.value + self.yearly_operating.value


class Intervention(BaseModel):
    """Base of every intervention kind.

    Subclasses set ``type`` (a ``Literal`` naming the kind in YAML), add
    their parameters and implement :meth:`apply`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: ClassVar[str]
    draws: ClassVar[tuple[str, ...]] = ()
    """Kinds of random draw the intervention makes: each gets a stream of
    its own, per instance (at most ``DRAWS_PER_INTERVENTION``)."""
    cost: Cost

    def apply(self, world: World, *, seed: int, instance: int = 0) -> World:  # pragma: no cover - abstract
        """A changed copy of ``world``; never mutate the one given.

        ``instance`` is the intervention's place in its scenario's list:
        draws go to that instance's own streams (:meth:`uniforms`).
        """
        raise NotImplementedError

    def uniforms(self, draw: str, n: int, *, seed: int, instance: int) -> np.ndarray:
        """A uniform number per resident ``0 .. n-1`` for ``draw`` (one of
        :attr:`draws`) of this instance, fixed over the run."""
        return uniforms(seed, PHASE_DAY, intervention_channel(instance, self.draws.index(draw)), n)


REGISTRY: dict[str, type[Intervention]] = {}
"""YAML ``type:`` -> intervention class."""


def register(cls: type[Intervention]) -> type[Intervention]:
    """Class decorator: make an intervention kind available by its ``type``."""
    kind = cls.model_fields["type"].default
    if len(cls.draws) > DRAWS_PER_INTERVENTION or len(set(cls.draws)) != len(cls.draws):
        raise ValueError(f"{cls.__name__}.draws must be at most {DRAWS_PER_INTERVENTION} "
                         f"distinct names, got {cls.draws}")
    cls.kind = kind
    REGISTRY[kind] = cls
    return cls
