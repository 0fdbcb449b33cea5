"""Counter-based random streams, and the registry of their channels.

A uniform number is a pure function of ``(seed, day, resident, channel)``
(splitmix64 finaliser over a mixed key), so a resident's draws do not depend
on how many residents there are, how they are chunked, or in which order they
are processed. Baseline and scenario runs with the same seed see the same
draws: this is what makes benefits paired (common random numbers).

Every kind of draw has its own channel, declared once in :data:`CHANNELS`,
which hands out consecutive blocks of channel ids and refuses a name declared
twice, so two kinds of draw can never share a channel (ActivitySim's
per-component offsets). Draws per purpose get a block of
:data:`MAX_PURPOSES` channels (the day kernel refuses more purposes), and
interventions get an open-ended block after all others: instance ``k`` of a
scenario's interventions owns :data:`DRAWS_PER_INTERVENTION` channels of its
own (:func:`intervention_channel`), so two interventions of the same type in
one scenario draw different numbers.
"""

from __future__ import annotations

import numpy as np
from numba import uint64

from twin.core.jit import kernel

# splitmix64 constants (Steele, Lea & Flood 2014) and odd multipliers that
# spread the four key parts over the 64-bit key before mixing.
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_KEY_DAY = np.uint64(0xD1B54A32D192ED03)
_KEY_RESIDENT = np.uint64(0xABC98388FB8FAC03)
_KEY_CHANNEL = np.uint64(0x8CB92BA72F3D8DD7)


class ChannelRegistry:
    """Channel ids, one block per declared kind of draw.

    Blocks are consecutive and disjoint by construction; a name declared
    twice, or anything declared after the open-ended block, is refused.
    """

    def __init__(self) -> None:
        self._start: dict[str, int] = {}
        self._size: dict[str, int | None] = {}
        self._next = 0

    def declare(self, name: str, size: int = 1) -> int:
        """Reserve ``size`` channels for ``name``; the first one's id."""
        if size < 1:
            raise ValueError(f"stream {name!r} needs at least one channel, got {size}")
        return self._reserve(name, size)

    def declare_open(self, name: str) -> int:
        """Reserve every channel from here on for ``name`` (the last block)."""
        return self._reserve(name, None)

    def _reserve(self, name: str, size: int | None) -> int:
        if name in self._start:
            raise ValueError(f"stream {name!r} is already declared (channel {self._start[name]})")
        if self._next is None:
            raise ValueError(f"cannot declare stream {name!r} after the open-ended block")
        start = self._start[name] = self._next
        self._size[name] = size
        self._next = None if size is None else start + size
        return start

    def blocks(self) -> dict[str, range | None]:
        """Each declared name's channels (``None`` for the open-ended block's end)."""
        return {name: None if self._size[name] is None else
                range(start, start + self._size[name]) for name, start in self._start.items()}


CHANNELS = ChannelRegistry()
"""Every random channel of twin, declared here once."""

MAX_PURPOSES = 16
"""Channels in a per-purpose block: the most purposes a resident model may have."""

DRAWS_PER_INTERVENTION = 8
"""Channels each intervention instance owns (distinct kinds of draw it may make)."""

MAX_DATA_SOURCES = 16
"""Channels in the data-sources block: the most sources one data-sources file may declare."""

CHANNEL_TRIP_PHASE = CHANNELS.declare("trip_phase", MAX_PURPOSES)  # + purpose: when in the week trips fall
CHANNEL_WATER_TRIPS = CHANNELS.declare("water_trips")  # fractional daily water trips
CHANNEL_OUTAGE = CHANNELS.declare("outage")  # piped-water outage today
CHANNEL_WATER_SERVED = CHANNELS.declare("water_served")  # fetches an overloaded point serves today
CHANNEL_TRIP_TIME = CHANNELS.declare("trip_time", MAX_PURPOSES)  # + purpose: time of day (paratransit)
CHANNEL_DATA_SOURCES = CHANNELS.declare("data_sources", MAX_DATA_SOURCES)  # + source: who a data source sees
MAX_CHOICE_SLOTS = 17
"""Destinations a choice weighs at most: 16 nearest facilities and an access centre."""
MAX_CHOICE_MODES = 2
"""Modes a choice weighs: on foot (or wheelchair) and car."""
# twin.core.choice: one draw per alternative, so an alternative that changes
# moves only the residents who switch to or from it (common random numbers)
CHANNEL_DESTINATION = CHANNELS.declare("destination", MAX_PURPOSES * MAX_CHOICE_SLOTS)  # + p * slots + slot
CHANNEL_MODE = CHANNELS.declare("mode", MAX_PURPOSES * MAX_CHOICE_MODES)  # + p * modes + mode
CHANNEL_WORKPLACE = CHANNELS.declare("workplace", MAX_PURPOSES)  # + purpose: the fixed destination
CHANNEL_TRANSIT_MODE = CHANNELS.declare("transit_mode", MAX_PURPOSES)  # + purpose: the transit alternative
CHANNEL_BOOKING_TRY = CHANNELS.declare("booking_try", MAX_PURPOSES)  # + purpose: a rider books today (paratransit)
_CHANNEL_INTERVENTIONS = CHANNELS.declare_open("interventions")

PHASE_DAY = 0xFFFF  # the "day" used for draws fixed over the whole run


def intervention_channel(instance: int, draw: int) -> int:
    """Channel of draw kind ``draw`` of the scenario's ``instance``-th
    intervention (its index in the scenario's list)."""
    if instance < 0:
        raise ValueError(f"intervention instance must be >= 0, got {instance}")
    if not 0 <= draw < DRAWS_PER_INTERVENTION:
        raise ValueError(f"an intervention has draws 0 .. {DRAWS_PER_INTERVENTION - 1}, got {draw}")
    return _CHANNEL_INTERVENTIONS + instance * DRAWS_PER_INTERVENTION + draw


@kernel(inline="always")  # inlined: one compile per caller, not per argument type
def uniform(seed, day, resident, channel):
    """A uniform float in [0, 1) for one (seed, day, resident, channel)."""
    z = uint64(seed) * _GOLDEN
    z ^= uint64(day) * _KEY_DAY
    z ^= uint64(resident) * _KEY_RESIDENT
    z ^= uint64(channel) * _KEY_CHANNEL
    z += _GOLDEN
    z = (z ^ (z >> uint64(30))) * _MIX1
    z = (z ^ (z >> uint64(27))) * _MIX2
    z = z ^ (z >> uint64(31))
    return float(z >> uint64(11)) * (1.0 / 9007199254740992.0)


def uniform_py(seed: int, day: int, resident: int, channel: int) -> float:
    """Plain-Python twin of :func:`uniform` (for reference implementations)."""
    mask = (1 << 64) - 1
    z = (seed * int(_GOLDEN)) & mask
    z ^= (day * int(_KEY_DAY)) & mask
    z ^= (resident * int(_KEY_RESIDENT)) & mask
    z ^= (channel * int(_KEY_CHANNEL)) & mask
    z = (z + int(_GOLDEN)) & mask
    z = ((z ^ (z >> 30)) * int(_MIX1)) & mask
    z = ((z ^ (z >> 27)) * int(_MIX2)) & mask
    z ^= z >> 31
    return (z >> 11) * (1.0 / 9007199254740992.0)


def uniforms(seed: int, day: int, channel: int, n: int) -> np.ndarray:
    """:func:`uniform` for residents ``0 .. n-1`` (float64 array)."""
    if seed < 0 or day < 0 or channel < 0 or n < 0:
        raise ValueError(f"seed, day, channel and n must be >= 0, got {seed}, {day}, {channel}, {n}")
    out = np.empty(n, dtype=np.float64)
    _uniforms(np.int64(seed), np.int64(day), np.int64(channel), out)
    return out


@kernel
def _uniforms(seed, day, channel, out):
    for i in range(len(out)):
        out[i] = uniform(seed, day, i, channel)
