"""What a city's arrays give once per process (twin.city.arrays.derived)."""

import gc

import numpy as np
import scipy.sparse as sp

from twin.city import arrays
from twin.city.arrays import StreetArrays
from twin.city.compile import nearest_node


def _streets(rng, n_nodes=60, n_edges=300):
    tail, head = rng.integers(0, n_nodes, (2, n_edges))
    graph = sp.csr_matrix((rng.uniform(1.0, 9.0, n_edges), (tail, head)), shape=(n_nodes, n_nodes))
    graph.sum_duplicates()
    graph.sort_indices()
    xy = rng.uniform(0.0, 1000.0, (4, n_nodes))
    return StreetArrays("walk", graph.indptr.astype(np.int32), graph.indices.astype(np.int32), graph.data,
                        *xy, np.arange(n_nodes, dtype=np.int64))


def test_the_reversed_graph_is_the_transpose_built_once():
    rng = np.random.default_rng(1)
    streets = _streets(rng)
    first, again = streets.reversed(), streets.reversed()
    assert first.indices is again.indices and first.weight is again.weight
    n = streets.n_nodes
    transpose = sp.csr_matrix((streets.weight, streets.indices, streets.indptr), shape=(n, n)).T.tocsr()
    transpose.sort_indices()
    np.testing.assert_array_equal(first.indptr, transpose.indptr)
    np.testing.assert_array_equal(first.indices, transpose.indices)
    np.testing.assert_array_equal(first.weight, transpose.data)
    assert first.x_m is streets.x_m and first.mode == streets.mode


def test_nearest_nodes_from_the_kept_tree_and_entries_go_with_the_arrays():
    rng = np.random.default_rng(2)
    streets = _streets(rng)
    x, y = rng.uniform(0.0, 1000.0, (2, 50))
    plain = np.argmin(np.hypot(streets.x_m[:, None] - x, streets.y_m[:, None] - y), axis=0)
    for _ in range(2):  # built, then found again
        np.testing.assert_array_equal(nearest_node(streets, x, y), plain)
    before = len(arrays._derived)
    del streets
    gc.collect()
    assert len(arrays._derived) <= before - 1



def test_an_entry_freed_while_derived_holds_its_lock_does_not_deadlock():
    """The cyclic collector may run on any allocation, inside derived's own
    lock, and free an entry's array: the entry's callback then takes the
    lock again in the same thread (a test run once hung there for good).
    Here the array is freed with the lock held, as the collector would."""
    import threading

    done = threading.Event()

    def free_an_entry_under_the_lock():
        array = np.zeros(3)
        arrays.derived("freed under the lock", (array,), lambda: 1)
        with arrays._derived_lock:
            del array  # its entry's callback runs here
        done.set()

    threading.Thread(target=free_an_entry_under_the_lock, daemon=True).start()
    assert done.wait(timeout=30), "derived's entry callback deadlocked on its lock"
