"""How twin compiles its numba kernels.

Every kernel is cached on disk and compiled without numba's C-callable
wrapper (``no_cfunc_wrapper``): that wrapper only serves a dispatcher passed
as a first-class function value, which twin never does, and for a kernel
taking the day's bundles (named tuples of dozens of arrays) it costs a good
part of a second to compile.
"""

from __future__ import annotations

from numba import njit

_ALWAYS = {"cache": True, "no_cfunc_wrapper": True}


def kernel(func=None, **options):
    """``numba.njit`` with twin's options (cached, no C-callable wrapper).

    Use as ``@kernel`` or ``@kernel(nogil=True, ...)`` with any other
    ``njit`` options.
    """
    if func is None:
        return lambda f: njit(**_ALWAYS, **options)(f)
    return njit(**_ALWAYS, **options)(func)


def kernel_helper(func):
    """Compile ``func`` for calls from other numba kernels only (cached, with
    no Python entry point).

    numba otherwise also builds a CPython wrapper for every function, code
    that unboxes each argument from Python; for a helper that takes kernel
    bundles (named tuples of dozens of arrays) that wrapper costs about as
    much to compile as the helper itself, and it is never called.
    """
    return njit(**_ALWAYS, no_cpython_wrapper=True)(func)
