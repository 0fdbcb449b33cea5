"""On-disk cache of timetables and transit fields, beside the compiled cities.

Entries are ``.npz`` files keyed by sha256 over everything they are built
from (the feeds' bytes, the street arrays they link to, the options, and the
source text of ``twin/transit/*.py`` and the routing kernel with the
gtfs-kit version), so a change to any of them builds the entry again. They
are written to a temporary file and renamed into place: an interrupted run
never leaves a half-written entry, and an unreadable entry is rebuilt.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections.abc import Callable, Iterable
from importlib.metadata import version
from pathlib import Path

import numpy as np

from twin.atomic import atomic_file
from twin.city.cache import cache_root

log = logging.getLogger("twin.transit")

CACHE_FORMAT = 1
"""Bumped when the file layout changes."""


def transit_cache_dir(cache_dir: str | Path | None = None) -> Path:
    """The ``transit`` subfolder of the city cache (not created)."""
    return cache_root(cache_dir) / "transit"


def code_version() -> str:
    """Hash of the transit package's and routing kernel's source and gtfs-kit's version."""
    digest = hashlib.sha256(f"{CACHE_FORMAT}:gtfs-kit={version('gtfs-kit')}".encode())
    here = Path(__file__).parent
    for path in [*sorted(here.glob("*.py")), here.parent / "core" / "transit.py"]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def content_key(*parts: object) -> str:
    """sha256 over ``parts``: paths hash their bytes, arrays their data, the rest their repr."""
    digest = hashlib.sha256(code_version().encode())
    for part in parts:
        _update(digest, part)
    return digest.hexdigest()


def _update(digest, part) -> None:
    if isinstance(part, Path):
        with part.open("rb") as file:
            while chunk := file.read(1 << 20):
                digest.update(chunk)
    elif isinstance(part, np.ndarray):
        digest.update(f"{part.dtype}{part.shape}".encode())
        digest.update(np.ascontiguousarray(part).tobytes())
    elif isinstance(part, (list, tuple)):
        for item in part:
            _update(digest, item)
    else:
        digest.update(repr(part).encode())
    digest.update(b"\x00")


def cached(folder: Path, key: str, load: Callable[[dict], object],
           build: Callable[[], object], dump: Callable[[object], dict]):
    """The entry ``key`` from ``folder``, else ``build()`` saved there.

    ``dump`` turns the object into ``{name: ndarray}``, ``load`` back.
    """
    path = folder / f"{key[:40]}.npz"
    if path.is_file():
        try:
            with np.load(path, allow_pickle=False) as npz:
                return load({name: npz[name] for name in npz.files})
        except Exception as exc:  # truncated or foreign file, older layout: rebuild
            log.warning("transit cache entry %s is unreadable (%s: %s); rebuilding it",
                        path, type(exc).__name__, exc)
            path.unlink(missing_ok=True)
    value = build()
    save_npz(path, dump(value))
    return value


def save_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` to ``path`` whole or not at all (:func:`twin.atomic.atomic_file`)."""
    with atomic_file(path) as file:
        np.savez(file, **arrays)


def dataclass_arrays(obj, scalars: Iterable[str]) -> dict[str, np.ndarray]:
    """A frozen dataclass of arrays (and dicts of arrays) as flat npz arrays,
    with the ``scalars`` fields in a JSON ``meta`` entry."""
    scalars = set(scalars)
    arrays: dict[str, np.ndarray] = {}
    meta = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if f.name in scalars:
            meta[f.name] = list(value) if isinstance(value, tuple) else value
        elif isinstance(value, dict):
            for k, v in value.items():
                arrays[f"{f.name}.{k}"] = v
        else:
            arrays[f.name] = value
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    return arrays


def dataclass_from_arrays(cls, arrays: dict[str, np.ndarray]):
    """Inverse of :func:`dataclass_arrays`."""
    meta = json.loads(arrays["meta"].tobytes().decode())
    values = {}
    for f in dataclasses.fields(cls):
        if f.name in meta:
            value = meta[f.name]
            values[f.name] = tuple(value) if isinstance(value, list) else value
        elif f.name in arrays:
            values[f.name] = arrays[f.name]
        else:
            prefix = f"{f.name}."
            values[f.name] = {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}
    return cls(**values)
