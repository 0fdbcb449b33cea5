"""Files written whole or not at all.

Every file twin writes for later (cache entries, results) goes through
:func:`atomic_file` or :func:`replace_folder`: the data goes to a temporary
name beside the target, is flushed to disk (``fsync``), and then renamed
over the target in one step, so a crash or a full disk leaves either the old
content or the new, never half of it. :func:`files_digest` keys caches by
the full source text of the code that built an entry.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO


@contextlib.contextmanager
def atomic_file(path: str | Path) -> Iterator[BinaryIO]:
    """Yield a binary file to write ``path``'s new content into; on success
    it replaces ``path`` (parent folders are created), on error it is
    deleted and ``path`` is untouched."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


def replace_folder(tmp: Path, out: Path) -> None:
    """Move the finished folder ``tmp`` to ``out`` (a sibling), replacing
    what was there: its files are flushed to disk first, and the old
    ``out`` is removed only once the new one is in place."""
    for file in sorted(p for p in tmp.rglob("*") if p.is_file()):
        with open(file, "rb") as handle:
            os.fsync(handle.fileno())
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        os.replace(out, old)
    os.replace(tmp, out)
    _fsync_folder(out.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # Windows: folders cannot be opened; renames are durable there
        return
    try:
        os.fsync(fd)
    except OSError:  # some filesystems refuse fsync on a folder: nothing more to do
        pass
    finally:
        os.close(fd)


def files_digest(paths: Iterable[str | Path], *extra: str) -> str:
    """sha256 over the names and full content of ``paths`` (in sorted
    order) and ``extra`` strings: a cache key that changes whenever any of
    that code changes."""
    digest = hashlib.sha256()
    for path in sorted(Path(p) for p in paths):
        digest.update(path.name.encode() + b"\0")
        digest.update(path.read_bytes())
    for text in extra:
        digest.update(text.encode() + b"\0")
    return digest.hexdigest()
