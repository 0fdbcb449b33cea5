"""twin's malloc thresholds: a run's freed arrays are kept for the next
ones, not given back to the system and faulted in again (glibc only)."""

from __future__ import annotations

import ctypes.util
import platform
import subprocess
import sys

import pytest

# Three 20 MB arrays made and freed, over and over, as a run's per-resident
# frames are: with glibc's adaptive thresholds (mmap 20 MB, trim 40 MB once
# settled) part of the freed heap goes back to the system each round, and
# comes back as fresh, zeroed pages.
GIVEN_BACK_PER_ROUND = """
import sys
import numpy as np
import psutil
if sys.argv[1] == "twin":
    from twin.allocator import reuse_freed_memory
    assert reuse_freed_memory()
process = psutil.Process()
given_back = []
for _ in range(6):
    arrays = [np.ones(20 * 2**20 // 8) for _ in range(3)]
    held = process.memory_info().rss
    del arrays
    given_back.append(held - process.memory_info().rss)
print(min(given_back[2:]))
"""


def given_back_per_round(settings: str) -> int:
    done = subprocess.run([sys.executable, "-c", GIVEN_BACK_PER_ROUND, settings], capture_output=True,
                          text=True, check=True)
    return int(done.stdout)


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc"
                    or not ctypes.util.find_library("c"), reason="glibc's mallopt: Linux with glibc only")
def test_freed_arrays_are_kept_for_the_next():
    assert given_back_per_round("glibc") >= 20 * 2**20
    assert given_back_per_round("twin") < 2**20
