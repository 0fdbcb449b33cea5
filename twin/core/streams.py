"""Counter-based random streams.

A uniform number is a pure function of ``(seed, day, resident, channel)``
(splitmix64 finaliser over a mixed key), so a resident's draws do not depend
on how many residents there are, how they are chunked, or in which order they
are processed. Baseline and scenario runs with the same seed see the same
draws: this is what makes benefits paired (common random numbers).
"""

from __future__ import annotations

import numpy as np
from numba import njit, uint64

# splitmix64 constants (Steele, Lea & Flood 2014) and odd multipliers that
# spread the four key parts over the 64-bit key before mixing.
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_KEY_DAY = np.uint64(0xD1B54A32D192ED03)
_KEY_RESIDENT = np.uint64(0xABC98388FB8FAC03)
_KEY_CHANNEL = np.uint64(0x8CB92BA72F3D8DD7)

# Channels: one independent stream per kind of draw.
CHANNEL_TRIP_PHASE = 0  # + purpose index: when in the week a purpose's trips fall
CHANNEL_WATER_TRIPS = 16  # fractional daily water trips
CHANNEL_OUTAGE = 17  # piped-water outage today
PHASE_DAY = 0xFFFF  # the "day" used for draws fixed over the whole run


@njit(cache=True, inline="always")  # inlined: one compile per caller, not per argument type
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

CHANNEL_ADOPTION = 32  # + an intervention's own offset: who takes up an offer
CHANNEL_TRIP_TIME = 48  # + purpose index: time of day of today's trips (paratransit)


@njit(cache=True)
def uniforms(seed, day, channel, n):
    """:func:`uniform` for residents ``0 .. n-1`` (float64 array)."""
    out = np.empty(n, dtype=np.float64)
    for i in range(n):
        out[i] = uniform(seed, day, i, channel)
    return out
