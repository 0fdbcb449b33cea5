"""The base of twin's Mesa agents: Mesa's agent without its model leak.

Mesa 3.3 numbers agents with a class-level ``Agent._ids``, a plain dict keyed
by model instance, so every model that ever made an agent stays alive for
the life of the process (mesa issue #3179, fixed upstream in PR #3180 in a
release newer than 3.3.1, the newest the package index offers here). A
comparison makes a model with vehicle agents per paratransit run, so memory
grew by about 74 MiB per comparison of seven scenarios. Here the counters are keyed weakly: a model's counter goes
when the model does.
"""

from __future__ import annotations

import itertools
import weakref

import mesa


class _CounterPerModel(weakref.WeakKeyDictionary):
    """``counters[model]``: an id counter from 1, made on first use, dropped
    with the model."""

    def __getitem__(self, model):
        try:
            return super().__getitem__(model)
        except KeyError:
            counter = itertools.count(1)
            self[model] = counter
            return counter


class Agent(mesa.Agent):
    """A Mesa agent whose ``unique_id`` counter does not keep its model alive.

    Every twin agent type derives from it, so ids stay unique per model
    across types, as in Mesa.
    """

    _ids = _CounterPerModel()
