"""User-facing errors.

A :class:`TwinError` is a user's mistake (a wrong path, a malformed file, a
bad value): the CLI prints its one-line message and exits with code 2, with no
traceback. Anything else is a bug in twin and keeps its traceback.
"""

from __future__ import annotations

from pathlib import Path


class TwinError(Exception):
    """A user's mistake, reported as one line naming the file, field and fix.

    Parameters
    ----------
    message
        What is wrong.
    path
        The file the problem is in, if any.
    field
        The field (dotted path) the problem is in, if any.
    fix
        What the user can do about it.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        field: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.message = message
        self.path = None if path is None else str(path)
        self.field = field
        self.fix = fix
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ": ".join(part for part in (self.path, self.field) if part)
        text = f"{where}: {self.message}" if where else self.message
        if self.fix:
            text += f" ({self.fix})"
        return " ".join(text.split())


class InputFileError(TwinError):
    """A file is missing, unreadable, empty or corrupt."""


class ConfigError(TwinError):
    """A scenario or resident-model file has a bad or unknown field."""


class CityError(TwinError):
    """A city cannot be built from its source (unknown name, no streets for a mode)."""
