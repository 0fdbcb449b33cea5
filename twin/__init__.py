"""twin: an urban digital-twin scenario simulator.

Data flow: source -> City (street arrays per mode, facilities, homes) ->
Residents -> Scenario -> CityModel (simulated days) -> Ledger -> comparison.
"""

__version__ = "0.1.0"
