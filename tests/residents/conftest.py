"""Synthetic homes and synthesized populations shared by the resident tests."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from twin.residents import load_resident_model, synthesize

MODEL_NAMES = ("helsinki", "nairobi_informal")
N_RESIDENTS = 200_000


@dataclass(frozen=True)
class Homes:
    """Candidate homes on a 6 km x 6 km grid, 100 m apart; one in ten has
    weight 0 (no resident may live there)."""

    node: np.ndarray
    weight: np.ndarray
    x_m: np.ndarray
    y_m: np.ndarray

    def kwargs(self) -> dict:
        return dict(home_node=self.node, home_weight=self.weight, home_x_m=self.x_m, home_y_m=self.y_m)


@pytest.fixture(scope="session")
def homes() -> Homes:
    side = np.arange(60) * 100.0
    x, y = (a.ravel() + offset for a, offset in zip(np.meshgrid(side, side), (385_000.0, 6_670_000.0)))
    rng = np.random.default_rng(12345)
    weight = rng.gamma(2.0, 1.0, size=len(x))
    weight[rng.random(len(x)) < 0.1] = 0.0
    return Homes(node=np.arange(len(x), dtype=np.int32), weight=weight, x_m=x, y_m=y)


@pytest.fixture(scope="session", params=MODEL_NAMES)
def population(request, homes):
    """(model, residents) for each bundled model, n = 200,000."""
    model = load_resident_model(request.param)
    return model, synthesize(model, N_RESIDENTS, **homes.kwargs(), seed=7)
