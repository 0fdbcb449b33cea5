"""How twin compiles its numba kernels.

Every kernel is cached on disk and compiled without numba's C-callable
wrapper (``no_cfunc_wrapper``): that wrapper only serves a dispatcher passed
as a first-class function value, which twin never does, and for a kernel
taking the day's bundles (named tuples of dozens of arrays) it costs a good
part of a second to compile. Every kernel releases the GIL (``nogil``; none
touches Python objects): beside letting twin.core.threads run kernels in
parallel, equal options let numba compile the numpy functions kernels call
(``np.empty``, ``max``, ...) once for all of them, not once per set of options.
"""

from __future__ import annotations

from numba import njit

_ALWAYS = {"cache": True, "no_cfunc_wrapper": True, "nogil": True}


def kernel(func=None, **options):
    """``numba.njit`` with twin's options (cached, no C-callable wrapper, no GIL).

    Use as ``@kernel`` or ``@kernel(_nrt=False, ...)`` with any other
    ``njit`` options.
    """
    decorate = njit(**{**_ALWAYS, **options})
    return decorate if func is None else decorate(func)


def kernel_helper(func=None, **options):
    """Compile ``func`` for calls from other numba kernels only: cached, with
    no Python entry point and no reference counting (``_nrt=False``).

    numba otherwise also builds a CPython wrapper for every function, code
    that unboxes each argument from Python; for a helper that takes kernel
    bundles (named tuples of dozens of arrays) that wrapper costs about as
    much to compile as the helper itself, and it is never called. A helper
    reads and writes arrays its caller holds, so it needs no reference
    counts (their increments and decrements are most of what numba lowers
    for an array argument); one that allocates says ``_nrt=True`` (numba
    refuses to compile an allocation without it).
    """
    return kernel(func, **{"no_cpython_wrapper": True, "_nrt": False, **options})
