"""How many database connections a service opens, and the check at start that PostgreSQL can hold them.

Every worker process keeps at most `pool_size()` connections (env `DB_POOL_SIZE`, which the launcher sets from
the profile): one per thread that can run a request, so a sync worker needs 1, a gthread worker `THREADS`, and
an event-loop worker `ASYNC_POOL_SIZE` (requests beyond it wait for a connection). Before any worker starts, the
launcher checks workers × pool against PostgreSQL's `max_connections` less its reserved slots and refuses to
start, with one line saying so, when it cannot hold. SQLite needs no check.
"""

from __future__ import annotations

import asyncio
import os
from urllib.parse import urlsplit

from service_common.profiles import Profile

ASYNC_POOL_SIZE = 10


class ConnectionBudgetError(RuntimeError):
    """The database cannot hold the connections the service would open."""


def connections_per_worker(profile: Profile) -> int:
    """The pool one worker process of `profile` needs: one connection per request it can run at once."""
    if profile.name.endswith("sync"):
        return 1
    if profile.name.endswith("gthread"):
        from service_common.gunicorn_profile import gthread_threads

        return gthread_threads()
    return ASYNC_POOL_SIZE


def pool_size() -> int:
    """This worker's pool size (`DB_POOL_SIZE`, exported by the launcher; 10 when run without it)."""
    raw = os.environ.get("DB_POOL_SIZE", str(ASYNC_POOL_SIZE))
    if not raw.isdigit() or int(raw) < 1:
        raise ConnectionBudgetError(f"DB_POOL_SIZE must be a positive integer, got {raw!r}")
    return int(raw)


def budget_problem(workers: int, per_worker: int, max_connections: int, reserved: int) -> str | None:
    """Why `workers` × `per_worker` connections do not fit the server, or None when they do."""
    needed = workers * per_worker
    available = max_connections - reserved
    if needed <= available:
        return None
    return (
        f"{workers} workers × {per_worker} connections = {needed} database connections, but PostgreSQL allows "
        f"{available} (max_connections {max_connections} − {reserved} reserved); lower --workers or DB_POOL_SIZE, "
        "or raise max_connections"
    )


def server_limits(database_url: str) -> tuple[int, int]:
    """PostgreSQL's (max_connections, reserved slots) at `database_url`, with whichever driver is installed."""
    query = (
        "SELECT current_setting('max_connections')::int, current_setting('superuser_reserved_connections')::int"
        " + coalesce(current_setting('reserved_connections', true), '0')::int"
    )
    try:
        import psycopg
    except ImportError:
        import asyncpg

        async def fetch() -> tuple[int, int]:
            connection = await asyncpg.connect(database_url, timeout=10)
            try:
                row = await connection.fetchrow(query)
            finally:
                await connection.close()
            return int(row[0]), int(row[1])

        return asyncio.run(fetch())
    with psycopg.connect(database_url, connect_timeout=10) as connection:
        row = connection.execute(query).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def check_connection_budget(database_url: str, workers: int, per_worker: int) -> None:
    """Raise ConnectionBudgetError when PostgreSQL cannot hold `workers` × `per_worker` connections."""
    if urlsplit(database_url).scheme not in ("postgresql", "postgres"):
        return
    try:
        max_connections, reserved = server_limits(database_url)
    except ConnectionBudgetError:
        raise
    except Exception as error:  # any driver error: say which server could not be asked
        location = urlsplit(database_url).hostname or "the local socket"
        raise ConnectionBudgetError(f"cannot read max_connections from PostgreSQL at {location}: {error}") from None
    problem = budget_problem(workers, per_worker, max_connections, reserved)
    if problem is not None:
        raise ConnectionBudgetError(problem)
