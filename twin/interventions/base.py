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

from typing import Annotated, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from twin.config import NonNegative, Positive, Value
from twin.core.streams import DRAWS_PER_INTERVENTION, PHASE_DAY, intervention_channel, uniforms
from twin.world import World

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
    simulated_cost: ClassVar[str | None] = None
    """Ledger column (per resident-week) of what the intervention pays as
    residents use it (a fare subsidy: the fares waived), or None. A
    comparison adds it, expanded to the city and a year, to the stated
    ``cost``, which then states only the fixed costs."""
    learns: ClassVar[bool] = False
    """Whether residents learn the service it offers from their own days
    (what they expect starts away from where it settles), so that runs with
    it start after a warm-up by default (:data:`twin.scenario.WARM_UP_DAYS`)."""
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
