"""twin: an urban digital-twin scenario simulator.

Data flow: source -> City (street arrays per mode, facilities, homes) ->
Residents -> Scenario -> CityModel (simulated days) -> Ledger -> comparison.
"""

__version__ = "0.1.0"

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
