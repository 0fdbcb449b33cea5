"""Numba kernels: arrays in, arrays out. Nothing here knows about graphs,
agents or files. Every kernel compiles lazily on first call and is cached on
disk by numba (see README, "Caches").

Compiled kernels go to the user's cache folder (not beside the installed
sources, which may be read-only) unless ``NUMBA_CACHE_DIR`` names another.
That is numba's setting, made here before any kernel is defined (numba picks
a kernel's cache folder when it is decorated), without touching the
process's environment.

The folder is named by a hash of every source file of this package: numba
checks only a kernel's own file before reusing it, but a compiled kernel
holds the values of the globals it reads from other modules (a random
channel's id, a mode code), so a change to any of them must compile afresh.
"""

import hashlib as _hashlib
import os as _os
from pathlib import Path as _Path

import numba as _numba
import platformdirs as _platformdirs


def _sources_digest() -> str:
    digest = _hashlib.sha256()
    for path in sorted(_Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


if not _numba.config.CACHE_DIR:
    _numba.config.CACHE_DIR = _os.path.join(_platformdirs.user_cache_dir("twin"), "numba", _sources_digest())
