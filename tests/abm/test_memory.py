"""No model outlives its run: repeated comparisons keep memory flat.

Mesa 3.3's class-level ``Agent._ids`` kept every model that made a vehicle
agent alive (mesa #3179); :mod:`twin.abm.agent` keys the counters weakly."""

import gc
import tracemalloc
from pathlib import Path

import pytest

from twin.abm import CityModel
from twin.experiments.compare import compare
from twin.scenario import load_scenario

HELSINKI = Path(__file__).resolve().parents[2] / "scenarios" / "helsinki"

FLAT_MIB = 1.0
"""Allowed growth of traced memory over four more comparisons. Before the fix
each of these comparisons kept about 4 MiB (its two models) for good."""


@pytest.mark.needs_jit  # six comparisons on the real city: minutes without the JIT, and not about the kernels
def test_repeated_paratransit_comparisons_keep_memory_flat(helsinki):
    baseline = load_scenario(HELSINKI / "baseline.yaml")
    paratransit = load_scenario(HELSINKI / "paratransit_single_stop.yaml")

    def one_comparison():
        result = compare(baseline, [paratransit], replications=1, residents=2000, days=1,
                         city=helsinki, progress=False)
        assert result.benefits[paratransit.name]["minutes_saved_per_week"].abs().sum() > 0
        del result
        gc.collect()
        return tracemalloc.get_traced_memory()[0] / 2**20

    one_comparison()  # warm caches (kernels, the city's access fields) outside the trace
    tracemalloc.start()
    try:
        traced_mib = [one_comparison() for _ in range(5)]
        alive = sum(isinstance(o, CityModel) for o in gc.get_objects())
    finally:
        tracemalloc.stop()
    assert alive == 0, f"{alive} models outlived their comparisons"
    assert traced_mib[-1] - traced_mib[0] < FLAT_MIB, traced_mib
