"""The async engine and sessions: aiosqlite by default, asyncpg when DATABASE_URL is PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from functools import lru_cache

from sqlalchemy import event, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from service_common.database_budget import pool_size
from service_common.orm_models import Base, Fortune, User, World
from service_common.seed import FORTUNES, INIT_LOCK, RESET_USERS_SEQUENCE, users, world_rows
from service_common.settings import get_settings
from service_common.sqlite import apply_pragmas


def async_url(url: str) -> str:
    """The settings' URL with this service's async driver."""
    scheme, rest = url.split("://", 1)
    if scheme in ("postgresql", "postgres"):
        return f"postgresql+asyncpg://{rest}"
    if scheme == "sqlite":
        return f"sqlite+aiosqlite://{rest}"
    return url


@lru_cache(maxsize=1)
def engine() -> AsyncEngine:
    """The worker's engine (created lazily, after fork)."""
    url = async_url(get_settings().database_url)
    if url.startswith("sqlite"):
        created = create_async_engine(url, pool_size=20, max_overflow=0)
        event.listen(created.sync_engine, "connect", apply_pragmas)
        return created
    # requests beyond the pool wait for a connection: workers x pool is what PostgreSQL must hold
    return create_async_engine(url, pool_size=pool_size(), max_overflow=0)


@lru_cache(maxsize=1)
def sessions() -> async_sessionmaker[AsyncSession]:
    """The session factory."""
    return async_sessionmaker(engine(), expire_on_commit=False)


async def get_session() -> AsyncIterator[AsyncSession]:
    """A request's session (a FastAPI dependency)."""
    async with sessions()() as session:
        yield session


async def _create_and_seed() -> None:
    async with engine().begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(text(INIT_LOCK))
        await connection.run_sync(Base.metadata.create_all)
        if (await connection.execute(select(func.count()).select_from(World))).scalar_one() == 0:
            await connection.execute(insert(World), [{"id": i, "randomnumber": n} for i, n in world_rows()])
            await connection.execute(insert(Fortune), [{"id": i, "message": m} for i, m in FORTUNES])
            await connection.execute(insert(User), [{"id": i, "name": n, "email": e} for i, n, e in users()])
            if connection.dialect.name == "postgresql":  # explicit ids leave the sequence at 1: move it past them
                await connection.execute(text(RESET_USERS_SEQUENCE))
    await engine().dispose()


def init_database() -> None:
    """Create the tables and seed them once (the launcher calls this before workers start)."""
    asyncio.run(_create_and_seed())
    engine.cache_clear()
    sessions.cache_clear()
