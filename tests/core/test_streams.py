"""The random streams: one channel registry, no two kinds of draw sharing a
channel, and the numba stream equal to its plain-Python twin."""

import numpy as np
import pytest

from twin.core.streams import (
    CHANNELS,
    DRAWS_PER_INTERVENTION,
    ChannelRegistry,
    intervention_channel,
    uniform_py,
    uniforms,
)


def test_declared_blocks_are_disjoint_and_cover_every_channel_once():
    blocks = CHANNELS.blocks()
    closed = [b for b in blocks.values() if b is not None]
    channels = [c for block in closed for c in block]
    assert len(channels) == len(set(channels)) and sorted(channels) == list(range(len(channels)))
    # interventions come after every fixed block, each instance with its own channels
    assert intervention_channel(0, 0) == len(channels)
    first_two = {intervention_channel(k, d) for k in range(2) for d in range(DRAWS_PER_INTERVENTION)}
    assert len(first_two) == 2 * DRAWS_PER_INTERVENTION


def test_registry_refuses_collisions():
    registry = ChannelRegistry()
    assert registry.declare("a", 3) == 0 and registry.declare("b") == 3
    with pytest.raises(ValueError, match="'a' is already declared"):
        registry.declare("a")
    with pytest.raises(ValueError, match="at least one channel"):
        registry.declare("c", 0)
    registry.declare_open("rest")
    with pytest.raises(ValueError, match="after the open-ended block"):
        registry.declare("d")
    with pytest.raises(ValueError, match="draws 0 .. 7"):
        intervention_channel(0, DRAWS_PER_INTERVENTION)


def test_kernel_stream_equals_plain_python():
    channel = intervention_channel(3, 1)
    draws = uniforms(42, 5, channel, 300)
    assert draws.tolist() == [uniform_py(42, 5, i, channel) for i in range(300)]
    assert 0.0 <= draws.min() and draws.max() < 1.0
    # another channel gives other numbers
    assert not np.array_equal(draws, uniforms(42, 5, channel + 1, 300))
