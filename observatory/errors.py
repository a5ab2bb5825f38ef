"""The one exception type a user can cause; the CLI prints its message as one line."""

from __future__ import annotations


class ObservatoryError(Exception):
    """Something the user can fix: a missing tool, a busy port, a service that would not start."""
