"""SQLite's connection settings, the same for every service: one definition for SQLAlchemy and Django.

WAL lets readers run beside the one writer; NORMAL syncs at checkpoints only (safe with WAL); writers wait up to
BUSY_TIMEOUT_S for the lock instead of failing at once.
"""

from __future__ import annotations

from typing import Any

BUSY_TIMEOUT_S = 10
PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL", f"busy_timeout={BUSY_TIMEOUT_S * 1000}")


def init_command() -> str:
    """The pragmas as one SQL string (Django's `init_command`)."""
    return " ".join(f"PRAGMA {pragma};" for pragma in PRAGMAS)


def apply_pragmas(connection: Any, record: Any) -> None:
    """A SQLAlchemy `connect` listener: set the pragmas on each new DB-API connection."""
    cursor = connection.cursor()
    for pragma in PRAGMAS:
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()
