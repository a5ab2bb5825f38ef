"""Query parameters with bounds, parsed by hand the same way where a framework has no validator of its own."""

from __future__ import annotations

import re

_INTEGER = re.compile(r"-?[0-9]+")


def bounded_int(raw: str | None, default: int, low: int, high: int) -> int | str:
    """The integer in `raw` (or `default` when absent), or the message saying why it is not acceptable."""
    if raw is None:
        return default
    if not _INTEGER.fullmatch(raw) or not low <= int(raw) <= high:
        return f"must be an integer from {low} to {high}"
    return int(raw)
