"""Results on disk, written so that a failed run never leaves a half-written
folder and never destroys the previous results, nor anything that is not a
results folder of twin's."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from twin.atomic import replace_folder
from twin.errors import InputFileError

MARKER = ".twin-results"
"""File in every folder :func:`atomic_folder` writes: only such a folder (or
an empty one) is ever replaced, so ``--out runs`` cannot delete the runs in it."""


def check_output_folder(out: str | Path) -> Path:
    """``out`` if :func:`atomic_folder` may replace it (callers check before
    a long run); else InputFileError naming it and the fix."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputFileError("the output path is a file, not a folder", path=out,
                             fix="choose another --out")
    if out.is_dir() and not (out / MARKER).is_file() and any(out.iterdir()):
        raise InputFileError("the output folder holds files that are not twin results (twin replaces "
                             f"only folders it wrote, with a {MARKER} file)", path=out,
                             fix="choose a new or empty --out folder")
    return out


@contextlib.contextmanager
def atomic_folder(out: str | Path) -> Iterator[Path]:
    """Yield an empty temporary folder beside ``out``; on success it replaces
    ``out`` in one rename (its files flushed to disk first,
    :func:`twin.atomic.replace_folder`), on error it is deleted and ``out``
    is untouched.

    Raises
    ------
    InputFileError
        ``out`` is a file, or a non-empty folder that twin did not write
        (no :data:`MARKER` in it): checked before anything is written.
    """
    out = check_output_folder(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    except OSError as exc:
        raise InputFileError(f"cannot write the output folder: {exc.strerror}", path=out,
                             fix="choose a writable --out") from None
    try:
        (tmp / MARKER).write_text("written by twin; this folder is replaced by the next run that writes here\n")
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    replace_folder(tmp, out)
