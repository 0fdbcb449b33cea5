"""Numba kernels: arrays in, arrays out. Nothing here knows about graphs,
agents or files. Every kernel compiles lazily on first call and is cached on
disk by numba (see README, "Caches").

Compiled kernels go to the user's cache folder (not beside the installed
sources, which may be read-only) unless ``NUMBA_CACHE_DIR`` names another.
That is numba's setting, made here before any kernel is defined (numba picks
a kernel's cache folder when it is decorated), without touching the
process's environment.
"""

import os as _os

import numba as _numba
import platformdirs as _platformdirs

if not _numba.config.CACHE_DIR:
    _numba.config.CACHE_DIR = _os.path.join(_platformdirs.user_cache_dir("twin"), "numba")
