"""Run serial ``nogil`` kernels on several threads.

twin's kernels are compiled serial with ``nogil=True`` and split across
Python threads here, instead of ``parallel=True`` with ``prange``: numba's
parallel lowering made the day kernel take three times as long to compile
(3.1 s instead of 1.0 s), which every first run waits for. The split runs
as fast (a 1M-resident day) or faster (21 searches of different lengths,
handed out one at a time: 133 ms instead of 185 ms on Porto's walk graph);
see benchmarks/RESULTS.md.

The number of threads is ``numba.get_num_threads()`` of the calling thread:
set it with ``numba.set_num_threads`` or ``NUMBA_NUM_THREADS``, as for any
numba code.
"""

from __future__ import annotations

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor

import numba

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def n_threads() -> int:
    """Threads a split uses: ``numba.get_num_threads()``."""
    return numba.get_num_threads()


def _run_on_threads(work, n_workers: int) -> list:
    """``work(w)`` for ``w`` in ``range(n_workers)``: worker 0 in this
    thread, the rest in the pool; results in worker order."""
    global _pool
    if n_workers <= 1:
        return [work(0)]
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(numba.config.NUMBA_NUM_THREADS, thread_name_prefix="twin")
    futures = [_pool.submit(work, w) for w in range(1, n_workers)]
    first = work(0)
    return [first] + [f.result() for f in futures]


def split_range(kernel, n: int, *args, min_chunk: int = 10_000) -> list:
    """``kernel(start, stop, *args)`` on equal chunks of ``range(n)``, one
    chunk per thread; the chunks' results, in order.

    ``kernel`` must be a ``nogil`` kernel whose chunks write disjoint
    outputs. Chunks hold at least ``min_chunk`` items (so small ``n`` runs
    in one, in this thread: handing work to a thread costs about 0.1 ms).
    """
    bounds = chunk_bounds(n, min_chunk)
    return _run_on_threads(lambda c: kernel(bounds[c], bounds[c + 1], *args), len(bounds) - 1)


def chunk_bounds(n: int, min_chunk: int = 10_000) -> list[int]:
    """Where :func:`split_range` cuts ``range(n)``: ``[0, ..., n]``, one
    chunk per thread, each of at least ``min_chunk`` items (one chunk if
    ``n`` is smaller)."""
    n_chunks = max(1, min(n_threads(), n // max(1, min_chunk)))
    return [n * c // n_chunks for c in range(n_chunks + 1)]


def each(call, n_tasks: int, *, parallel: bool = True) -> None:
    """``call(j)`` for every ``j`` in ``range(n_tasks)``, on the threads.

    Each thread takes the next task when it finishes one, so tasks of
    different lengths even out. ``call`` must release the GIL for its work
    (a ``nogil`` kernel). ``parallel=False`` runs them all in this thread,
    for work too small to pay for the hand-off (about 0.1 ms).
    """
    counter = itertools.count()  # next() on it is atomic under the GIL

    def work(_):
        while (j := next(counter)) < n_tasks:
            call(j)

    _run_on_threads(work, min(n_threads(), n_tasks) if parallel else 1)
