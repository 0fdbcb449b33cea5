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
