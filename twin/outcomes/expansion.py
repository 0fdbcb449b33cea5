"""Who the simulated residents stand for: expansion weights.

A run simulates a sample of residents; each stands for ``population /
residents`` people of the real city (its expansion weight, as in a survey),
so totals (hours saved a year, people newly served) are in people of the city
and do not depend on how many residents were simulated. Per-resident means
need no weight (every resident has the same one).

The population comes from the scenario (``population: {value, source}``),
else from the population grid's total when one is given. Without either,
totals are per 1,000 residents and every output says so; costs per unit
cannot be computed then.
"""

from __future__ import annotations

from dataclasses import dataclass

PER_RESIDENTS = 1000
"""Totals are per this many residents when the population is not stated."""


@dataclass(frozen=True)
class Expansion:
    """The population a run stands for and the sample that simulates it.

    Attributes
    ----------
    population
        People the scenario stands for, or None when not stated.
    source
        Where ``population`` comes from (empty when not stated).
    residents
        Residents simulated per replication.
    """

    population: float | None
    source: str
    residents: int

    @property
    def stated(self) -> bool:
        """Whether totals are in people of the city (else per 1,000 residents)."""
        return self.population is not None

    @property
    def weight(self) -> float:
        """People (or residents out of :data:`PER_RESIDENTS`) one simulated resident stands for."""
        return (self.population if self.stated else PER_RESIDENTS) / self.residents

    @property
    def unit(self) -> str:
        """What a total counts: ``people`` or ``per 1,000 residents``."""
        return "people" if self.stated else f"per {PER_RESIDENTS:,} residents"

    def describe(self) -> str:
        """One sentence for reports."""
        if not self.stated:
            return (f"No population stated: totals are per {PER_RESIDENTS:,} residents and costs "
                    f"per unit cannot be given ({self.residents:,} residents simulated); "
                    "state 'population:' in the baseline scenario.")
        return (f"{self.residents:,} simulated residents stand for {self.population:,.0f} people "
                f"({self.source}); each counts as {self.weight:,.3g} people in every total.")


def expansion_for(scenario, city, residents: int) -> Expansion:
    """The :class:`Expansion` of ``residents`` simulated for ``scenario`` on ``city``.

    Parameters
    ----------
    scenario
        A :class:`twin.scenario.Scenario`; its ``population`` wins.
    city
        The compiled city; with a population grid its total is the population.
    residents
        Residents simulated per replication.
    """
    if scenario.population is not None:
        return Expansion(float(scenario.population.value), scenario.population.source, residents)
    if city.home_weight_source == "population_grid":
        return Expansion(float(city.home_weight.sum()),
                         f"total of the population grid {scenario.population_grid}", residents)
    return Expansion(None, "", residents)
