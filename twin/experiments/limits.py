"""Limits checked before any work: a run or a comparison must fit in memory.

The estimate is measured, not guessed: peak resident set size (``/usr/bin/time
-f %M``) of ``twin run`` and ``twin compare`` on this code, 2026-12-01, 2 cores:

- a run peaks at :data:`BASE_BYTES` + :data:`RUN_BYTES_PER_RESIDENT` x
  residents (benchmarks/RESULTS.md, section "7. Growth": 349 MB + 768 B x
  residents over 10,000 to 1,000,000 residents on Porto, R^2 0.999);
- a comparison runs one world at a time, and adds per resident and
  replication :data:`COMPARE_BYTES_PER_RESIDENT` +
  :data:`COMPARE_BYTES_PER_SCENARIO` x scenarios (what it keeps, and the
  report's tables built from it). ``twin compare scenarios/helsinki/baseline.yaml
  ... -d 1`` on Helsinki: 300,000 residents x 2 replications x 1 scenario
  853 MB, x 8 replications 1,193 MB; 100,000 x 8 x 3 scenarios 772 MB; the
  estimate gives 864, 1,206 and 773 MB.
"""

from __future__ import annotations

from pathlib import Path

from twin.errors import ConfigError
from twin.scenario import MAX_DAYS

BASE_BYTES = 520e6
"""Peak RSS of a comparison of few residents: the interpreter, numpy, pandas,
numba's kernels, the city and the report's matplotlib (measured 476-556 MB
at 20,000-80,000 residents on Helsinki; a run alone needs about 350 MB)."""

RUN_BYTES_PER_RESIDENT = 768.0
"""Peak RSS per resident of one run (the per-resident arrays are 176 B; the
rest is synthesis, the ledger table and its Parquet file)."""

COMPARE_BYTES_PER_RESIDENT = 175.0
"""Peak RSS per resident and replication of a comparison, besides the
scenarios' own part (the kept frames are 23 B of it, by
``DataFrame.memory_usage(deep=True)``; the rest is the report's tables)."""

COMPARE_BYTES_PER_SCENARIO = 15.0
"""Peak RSS per resident, replication and compared scenario (kept: 20 B of
float32 benefits; fit 2026-12-01)."""

MAX_REPLICATIONS = 1_000
"""Most replications in a comparison: a confidence interval narrows as
1/sqrt(replications), so 1,000 is already 10x narrower than the default 10;
more only adds hours."""


def check_days(days: int, *, field: str = "days", path: str | Path | None = None) -> None:
    """ConfigError for more than :data:`twin.scenario.MAX_DAYS` days."""
    if days > MAX_DAYS:
        raise ConfigError(f"{days:,} days is more than a year ({MAX_DAYS})", path=path, field=field,
                          fix=f"use at most {MAX_DAYS} days; for narrower intervals add replications")


def available_bytes() -> float:
    """Memory the system can give this process now without swapping."""
    import psutil

    return float(psutil.virtual_memory().available)


def needed_bytes(residents: int, *, replications: int = 0, scenarios: int = 0) -> float:
    """Estimated peak memory of a run (``replications=0``) or of a comparison
    of ``scenarios`` scenarios with a baseline over ``replications``."""
    kept = residents * replications * (COMPARE_BYTES_PER_RESIDENT + scenarios * COMPARE_BYTES_PER_SCENARIO)
    return BASE_BYTES + RUN_BYTES_PER_RESIDENT * residents + kept


def check_replications(replications: int, *, field: str = "replications") -> None:
    """ConfigError for more than :data:`MAX_REPLICATIONS` replications."""
    if replications > MAX_REPLICATIONS:
        raise ConfigError(f"{replications:,} replications is more than {MAX_REPLICATIONS:,}", field=field,
                          fix=f"use at most {MAX_REPLICATIONS:,}: intervals narrow as 1/sqrt(replications)")


def check_fits(residents: int, *, replications: int = 0, scenarios: int = 0,
               field: str = "residents", path: str | Path | None = None) -> None:
    """ConfigError, before any work, when the run or comparison cannot fit
    in the memory available.

    Parameters
    ----------
    residents, replications, scenarios
        The sizes asked for (``replications=0``: a single run).
    field, path
        What the error names: the CLI option or the scenario field giving
        ``residents``, and the file it was read from.
    """
    need, have = needed_bytes(residents, replications=replications, scenarios=scenarios), available_bytes()
    if need <= have:
        return
    per_resident = needed_bytes(1, replications=replications, scenarios=scenarios) - BASE_BYTES
    most = max(int((have - BASE_BYTES) / per_resident), 0)
    what = "a run" if not replications else f"a comparison of {scenarios + 1} scenarios x {replications:,} replications"
    fix = f"use at most about {most:,} residents" if most else "free memory or use a larger machine"
    if replications > 1 and most:
        fix += " (or fewer replications)"
    raise ConfigError(f"{what} of {residents:,} residents needs about {_size(need)} of memory; "
                      f"{_size(have)} are available", path=path, field=field, fix=fix)


def _size(n_bytes: float) -> str:
    for unit, scale in (("PB", 1e15), ("TB", 1e12), ("GB", 1e9)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:,.1f} {unit}"
    return f"{n_bytes / 1e6:,.0f} MB"
