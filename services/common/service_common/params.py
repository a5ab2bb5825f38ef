"""Query parameters, read the same way in every service: the first occurrence counts, ASCII digits only.

Frameworks disagree on `?n=1&n=2` (first or last), on `+5`, ` 5`, `1_000`, `5.0` and `٥` (Python's int()
accepts most of these). The contract decides: the first occurrence of a parameter is its value, and an integer
is `-?[0-9]+`; anything else is not an integer.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

_INTEGER = re.compile(r"-?[0-9]+")


def first_value(query_string: str | bytes, name: str) -> str | None:
    """The first value of `name` in a raw query string (percent-decoded as UTF-8, bad bytes replaced), or None."""
    if isinstance(query_string, bytes):
        query_string = query_string.decode("latin-1")
    for key, value in parse_qsl(query_string, keep_blank_values=True, errors="replace"):
        if key == name:
            return value
    return None


def strict_int(raw: str) -> int | None:
    """`raw` as an integer when it is ASCII digits with an optional minus sign, else None."""
    return int(raw) if _INTEGER.fullmatch(raw) and len(raw) <= 50 else None


def bounded_int(raw: str | None, default: int, low: int, high: int) -> int | str:
    """The integer in `raw` (or `default` when absent), or the message saying why it is not acceptable."""
    if raw is None:
        return default
    value = strict_int(raw)
    if value is None or not low <= value <= high:
        return f"must be an integer from {low} to {high}"
    return value
