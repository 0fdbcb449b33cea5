"""twin: an urban digital-twin scenario simulator.

Data flow: source -> City (street arrays per mode, facilities, homes) ->
Residents -> Scenario -> CityModel (simulated days) -> Ledger -> comparison.
"""

import os as _os

import platformdirs as _platformdirs

__version__ = "0.1.0"

# Compiled kernels go to the user's cache directory (not beside the installed
# sources, which may be read-only), unless the user chose a place. Set before
# numba is first imported, which reads it once.
_os.environ.setdefault(
    "NUMBA_CACHE_DIR", _os.path.join(_platformdirs.user_cache_dir("twin"), "numba")
)

_API = ("run", "compare", "sweep")


def __getattr__(name: str):
    # twin.run / twin.compare / twin.sweep load the simulator only when first
    # used, so `import twin` (and the CLI's --help) stays fast.
    if name in _API:
        from twin import api

        return getattr(api, name)
    raise AttributeError(f"module 'twin' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_API])
