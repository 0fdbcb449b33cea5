"""Numba kernels: arrays in, arrays out. Nothing here knows about graphs,
agents or files. Every kernel compiles lazily on first call and is cached on
disk by numba (``NUMBA_CACHE_DIR``; see README, "Caches")."""
