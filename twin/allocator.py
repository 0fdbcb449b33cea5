"""glibc's malloc set to reuse freed memory for a run's arrays.

glibc serves a request above its mmap threshold with a fresh mapping and
gives memory above its trim threshold at the top of the heap back to the
system; either way the pages of the next array of that size are faulted in
and zeroed again. The thresholds adapt upwards as large blocks are freed,
but how far depends on the order of a process's earlier frees: two runs of
200,000 Porto residents took 60,000 page faults in one process and 1,400 in
another, 5-10% of their time. Fixed thresholds make every process run alike:
twin's command line and the local Dask workers of ``twin batch`` set them.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

MMAP_THRESHOLD_BYTES = 32 * 2**20
"""Blocks below this come from the heap: glibc's ceiling for its adaptive
mmap threshold on 64-bit systems (``DEFAULT_MMAP_THRESHOLD_MAX``)."""

TRIM_THRESHOLD_BYTES = 128 * 2**20
"""Free memory kept at the top of the heap before it is given back. glibc's
adaptive value is twice the mmap threshold; at that (64 MiB) the 200,000
Porto runs above still took 30,000 page faults (a run's ledger frame is
about 50 MB: 230 MB at 1M residents), at 128 MiB 900."""

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
"""``mallopt`` parameters, from glibc's malloc.h."""


@functools.cache
def reuse_freed_memory() -> bool:
    """Fix this process's malloc thresholds (glibc only; once per process).

    Returns
    -------
    bool
        Whether they were set (False where the C library is not glibc).
    """
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c")).mallopt
    except (OSError, AttributeError, TypeError):  # not glibc: nothing to set
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
                and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES))
