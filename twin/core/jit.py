"""How twin compiles a numba function that only other kernels call."""

from __future__ import annotations

from numba import njit


def kernel_helper(func):
    """Compile ``func`` for calls from other numba kernels only (cached, with
    no Python entry point).

    numba otherwise also builds a CPython wrapper for every function, code
    that unboxes each argument from Python; for a helper that takes kernel
    bundles (named tuples of dozens of arrays) that wrapper costs about as
    much to compile as the helper itself, and it is never called.
    """
    return njit(cache=True, no_cpython_wrapper=True)(func)
