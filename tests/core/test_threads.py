"""twin.core.threads: serial nogil kernels split over threads."""

import threading

import numba
import numpy as np
import pytest
from numba import njit

from twin.core.threads import chunk_bounds, each, split_range

needs_two_threads = pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2,
                                       reason="numba started with one thread")


@njit(nogil=True)
def _mark(start, stop, hits):
    """Count each index it is given; return how many it got."""
    for i in range(start, stop):
        hits[i] += 1
    return stop - start


@njit(nogil=True)
def _busy_sum(n):
    total = 0.0
    for i in range(n):
        total += np.sqrt(i)
    return total


@pytest.fixture
def threads():
    """Set numba's thread count for the test, and restore it after."""
    before = numba.get_num_threads()
    yield numba.set_num_threads
    numba.set_num_threads(before)


@pytest.mark.parametrize("n", [0, 1, 9_999, 20_000, 100_003])
@pytest.mark.parametrize("n_threads", [1, 2])
def test_split_range_gives_every_index_once(threads, n, n_threads):
    threads(min(n_threads, numba.config.NUMBA_NUM_THREADS))
    hits = np.zeros(n, dtype=np.int64)
    counts = split_range(_mark, n, hits)
    assert np.all(hits == 1)
    assert sum(counts) == n


@needs_two_threads
def test_chunks_follow_the_thread_count_and_minimum(threads):
    threads(2)
    assert chunk_bounds(100_000) == [0, 50_000, 100_000]
    assert chunk_bounds(15_000) == [0, 15_000]  # two chunks would be under 10,000
    assert chunk_bounds(15_000, min_chunk=5_000) == [0, 7_500, 15_000]
    threads(1)
    assert chunk_bounds(100_000) == [0, 100_000]


@needs_two_threads
@pytest.mark.needs_jit  # without the JIT the tasks hold the GIL: minutes instead of a second
def test_each_runs_every_task_once_on_several_threads(threads):
    threads(2)
    lock = threading.Lock()
    done, names = [], set()

    def task(j):
        _busy_sum(200_000 * (1 + j % 3))  # unequal lengths, GIL released
        with lock:
            done.append(j)
            names.add(threading.current_thread().name)

    each(task, 25)
    assert sorted(done) == list(range(25))
    assert len(names) == 2


def test_each_serial_stays_in_this_thread(threads):
    threads(min(2, numba.config.NUMBA_NUM_THREADS))
    names = []
    each(lambda j: names.append(threading.current_thread().name), 7, parallel=False)
    assert names == [threading.current_thread().name] * 7


@needs_two_threads
def test_an_error_in_a_task_reaches_the_caller(threads):
    threads(2)

    def task(j):
        if j == 5:
            raise RuntimeError("task 5 failed")
        _busy_sum(100_000)

    with pytest.raises(RuntimeError, match="task 5 failed"):
        each(task, 10)
