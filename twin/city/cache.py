"""On-disk cache of compiled cities: one ``<key>.npz`` file per city.

The key is the sha256 of the source's content (or a place name), the facility
files' and population grid's content, and the code version (the source text of
``twin/city/*.py`` and the pyrosm and osmnx versions), so changing any of them
builds the city again. The file holds the numpy arrays plus a small JSON entry
for the strings. It is written to a temporary file and renamed into place, so
an interrupted run never leaves a half-written entry; an entry that cannot be
read is rebuilt.

Location: ``cache_dir``, else ``$TWIN_CACHE_DIR``, else
``platformdirs.user_cache_dir("twin")/cities``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
import zipfile
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path

import numpy as np

from twin.atomic import atomic_file, files_digest
from twin.city.arrays import MODES, SERVICES, City, FacilitySet, StreetArrays
from twin.city.sources import Source

log = logging.getLogger("twin.city")

CACHE_FORMAT = 3
"""Bumped when the file layout changes."""

STALE_TMP_S = 24 * 3600.0
"""Temporary files older than this are left over from a killed run: removed."""

_STREET_FIELDS = ("indptr", "indices", "weight", "x_m", "y_m", "lon", "lat", "osmid")
_FACILITY_FIELDS = ("lon", "lat", "x_m", "y_m", "origin", "count")
_CITY_FIELDS = ("home_node", "home_weight", "walk_to_drive")


def cache_root(cache_dir: str | Path | None = None) -> Path:
    """The cache directory (not created)."""
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    if os.environ.get("TWIN_CACHE_DIR"):
        return Path(os.environ["TWIN_CACHE_DIR"]).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("twin")) / "cities"


def code_version() -> str:
    """Hash of the city package's source text and of the OSM readers' versions."""
    return files_digest(Path(__file__).parent.glob("*.py"), f"format={CACHE_FORMAT}",
                        *(f"{package}={version(package)}" for package in ("pyrosm", "osmnx")))


def cache_key(source: Source, *, facility_files: Sequence[str | Path] = (),
              population_grid: str | Path | None = None, code: str | None = None) -> str:
    """The cache key of a city: sha256 over its inputs' content and the code version."""
    digest = hashlib.sha256()
    digest.update(f"source:{source.kind}:".encode())
    if source.path is None:
        digest.update(source.name.strip().lower().encode())
    else:
        _hash_file(digest, source.path)
    for path in facility_files:
        digest.update(f"facilities:{Path(path).name}:".encode())
        _hash_file(digest, Path(path))
    if population_grid is not None:
        digest.update(b"population:")
        _hash_file(digest, Path(population_grid))
    digest.update(f"code:{code or code_version()}".encode())
    return digest.hexdigest()


def entry_path(root: Path, key: str) -> Path:
    return root / f"{key}.npz"


def load(root: Path, key: str) -> City | None:
    """The cached city, or None if absent or unreadable (then it is removed)."""
    path = entry_path(root, key)
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as npz:
            return _from_arrays({name: npz[name] for name in npz.files})
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as exc:
        # an unreadable entry (truncated zip, missing array, bad JSON...) is rebuilt
        log.warning("cache entry %s is unreadable (%s: %s); rebuilding it", path, type(exc).__name__, exc)
        path.unlink(missing_ok=True)
        return None


def save(root: Path, key: str, city: City) -> Path:
    """Write the city atomically; returns the entry's path."""
    root.mkdir(parents=True, exist_ok=True)
    _remove_stale_tmp(root)
    with atomic_file(entry_path(root, key)) as file:
        np.savez(file, **_to_arrays(city))
    return entry_path(root, key)


def _to_arrays(city: City) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {}
    for mode, streets in city.streets.items():
        for name in _STREET_FIELDS:
            arrays[f"streets.{mode}.{name}"] = getattr(streets, name)
    for service, fs in city.facilities.items():
        for name in _FACILITY_FIELDS:
            arrays[f"facilities.{service}.{name}"] = np.asarray(getattr(fs, name))
        for mode, node in fs.node.items():
            arrays[f"facilities.{service}.node.{mode}"] = node
    for name in _CITY_FIELDS:
        arrays[name] = getattr(city, name)
    meta = {
        "format": CACHE_FORMAT,
        "name": city.name,
        "crs": city.crs,
        "home_weight_source": city.home_weight_source,
        "source_hash": city.source_hash,
        "notes": list(city.notes),
    }
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    return arrays


def _from_arrays(arrays: dict[str, np.ndarray]) -> City:
    meta = json.loads(arrays["meta"].tobytes().decode())
    if meta["format"] != CACHE_FORMAT:
        raise ValueError(f"cache format {meta['format']} != {CACHE_FORMAT}")
    streets = {
        mode: StreetArrays(mode=mode, **{name: arrays[f"streets.{mode}.{name}"] for name in _STREET_FIELDS})
        for mode in MODES
    }
    facilities = {
        service: FacilitySet(
            service=service,
            node={mode: arrays[f"facilities.{service}.node.{mode}"] for mode in MODES},
            **{name: arrays[f"facilities.{service}.{name}"] for name in _FACILITY_FIELDS},
        )
        for service in SERVICES
    }
    return City(
        name=meta["name"],
        crs=meta["crs"],
        streets=streets,
        facilities=facilities,
        home_weight_source=meta["home_weight_source"],
        source_hash=meta["source_hash"],
        notes=tuple(meta["notes"]),
        **{name: arrays[name] for name in _CITY_FIELDS},
    )


def _hash_file(digest, path: Path) -> None:
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)


def _remove_stale_tmp(root: Path) -> None:
    now = time.time()
    for tmp in root.glob(".*.tmp"):
        try:
            if now - tmp.stat().st_mtime > STALE_TMP_S:
                tmp.unlink()
        except OSError:  # another process removed or renamed it first
            pass
