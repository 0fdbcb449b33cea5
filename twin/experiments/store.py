"""Results on disk, written so that a failed run never leaves a half-written
folder and never destroys the previous results."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from twin.errors import InputFileError


@contextlib.contextmanager
def atomic_folder(out: str | Path) -> Iterator[Path]:
    """Yield an empty temporary folder beside ``out``; on success it replaces
    ``out`` in one rename, on error it is deleted and ``out`` is untouched."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputFileError("the output path is a file, not a folder", path=out,
                             fix="choose another --out")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    except OSError as exc:
        raise InputFileError(f"cannot write the output folder: {exc.strerror}", path=out,
                             fix="choose a writable --out") from None
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        os.replace(out, old)
    os.replace(tmp, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
