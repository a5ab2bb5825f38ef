"""Defaults the launcher and the server configs agree on."""

from __future__ import annotations

import os


def default_workers() -> int:
    """One worker per core this process may run on (its CPU affinity, so pinning is respected)."""
    return len(os.sched_getaffinity(0))
