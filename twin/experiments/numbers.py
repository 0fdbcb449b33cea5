"""Numbers formatted for people: thousands separators, whole people and
money, no scientific notation, "-" for what is not there.

Used by every printed or shown table (CLI, HTML summary, app), so a figure
reads the same everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Callable


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


SMALLEST = 1e-4
"""Figures closer to zero than this print as 0 (no scientific notation)."""


def number(value: float) -> str:
    """Whole numbers from 100 up, else two significant figures (at least
    two decimals): ``12,345``, ``42.5``, ``0.44``, ``0.0042``."""
    if _missing(value):
        return "-"
    size = abs(value)
    if size >= 100 or size < SMALLEST:
        return f"{0.0 if size < SMALLEST else value:,.0f}"
    decimals = max(2, 1 - math.floor(math.log10(size)))
    return f"{value:.{decimals}f}"


def whole(value: float) -> str:
    """A count of people or of money: a whole number with separators."""
    return "-" if _missing(value) else f"{int(round(value)):,}"  # never "-0"


def money(value: float, currency: str | None) -> str:
    """``EUR 12,300``."""
    return "-" if _missing(value) else f"{currency or ''} {whole(value)}".strip()


def unit_money(value: float, currency: str | None) -> str:
    """A cost per unit (per hour saved, per person served): ``EUR 12,300``,
    and with cents below 100, where whole money would say ``BRL 0``:
    ``BRL 0.24``, ``EUR 12.50``."""
    return "-" if _missing(value) else f"{currency or ''} {number(value)}".strip()


def percent(value: float) -> str:
    """``42%``."""
    return "-" if _missing(value) else f"{value:.0%}"


def with_ci(mean: float, low: float, high: float, fmt: Callable[[float], str] = number) -> str:
    """``mean (low to high)``, or the mean alone without a CI."""
    if _missing(mean):
        return "-"
    if _missing(low) or _missing(high):
        return fmt(mean)
    return f"{fmt(mean)} ({fmt(low)} to {fmt(high)})"
