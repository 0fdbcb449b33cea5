"""Input checks of the public kernel wrappers: collect every problem, then
raise one ``ValueError`` naming them all (osmnx's and stumpy's pattern).

A kernel reads its arrays without bounds checks, so a wrong dtype would
compile a second copy of it and an out-of-range index would read garbage:
the wrappers check both before any kernel runs.
"""

from __future__ import annotations

import numpy as np


def length(values, axis: int = 0) -> int:
    """``values.shape[axis]`` of an array that has that axis, else 0 (its
    check then reports it)."""
    shape = getattr(values, "shape", ())
    return shape[axis] if isinstance(values, np.ndarray) and len(shape) > axis else 0


class Problems:
    """Problems found in the inputs of ``what`` (a kernel's name)."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.found: list[str] = []

    def add(self, message: str) -> None:
        self.found.append(message)

    def array(self, name: str, values, dtype, shape: tuple) -> bool:
        """``values`` is an ndarray of ``dtype`` and ``shape`` (``None``
        entries match any length); False (and noted) otherwise."""
        if not isinstance(values, np.ndarray):
            self.add(f"{name} must be a numpy array, got {type(values).__name__}")
            return False
        ok = True
        if values.dtype != np.dtype(dtype):
            self.add(f"{name} must have dtype {np.dtype(dtype)}, got {values.dtype}")
            ok = False
        if values.ndim != len(shape) or any(
            want is not None and got != want for got, want in zip(values.shape, shape)
        ):
            wanted = ", ".join("any" if w is None else str(w) for w in shape)
            wanted = f"({wanted},)" if len(shape) == 1 else f"({wanted})"
            self.add(f"{name} must have shape {wanted}, got {values.shape}")
            ok = False
        return ok

    def indices(self, name: str, values: np.ndarray, n: int, *, missing: int | None = None) -> None:
        """Every entry of ``values`` indexes ``range(n)`` (or equals ``missing``)."""
        if values.size == 0:
            return
        low, high = values.min(), values.max()
        if low >= 0 and high < n:
            return
        if missing == -1 and low == -1 and high < n:  # the usual "none": no masked copy needed
            return
        checked = values if missing is None else values[values != missing]
        if checked.size and (checked.min() < 0 or checked.max() >= n):
            allowed = f"0 .. {n - 1}" if n else "nothing (the range is empty)"
            if missing is not None:
                allowed += f" or {missing}"
            self.add(f"{name} must be in {allowed}, got {checked.min()} .. {checked.max()}")

    def scalar(self, name: str, value, ok: bool, wanted: str) -> None:
        if not ok:
            self.add(f"{name} must be {wanted}, got {value!r}")

    def raise_any(self) -> None:
        if self.found:
            raise ValueError(f"invalid input to {self.what}: " + "; ".join(self.found))
