"""The engine and sessions: SQLAlchemy's ORM (service_common.orm_models), SQLite by default, PostgreSQL (psycopg 3) when
DATABASE_URL says so. Each request opens a Session (`session()`), as Flask applications without an extension do."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Engine, create_engine, event, func, insert, select, text
from sqlalchemy.orm import Session

from service_common.database_budget import pool_size
from service_common.orm_models import Base, Fortune, User, World
from service_common.seed import FORTUNES, INIT_LOCK, RESET_USERS_SEQUENCE, users, world_rows
from service_common.settings import get_settings
from service_common.sqlite import apply_pragmas


def sqlalchemy_url(url: str) -> str:
    """The settings' URL with the driver this service uses."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


@lru_cache(maxsize=1)
def engine() -> Engine:
    """The process's engine (created in each worker, after fork)."""
    url = sqlalchemy_url(get_settings().database_url)
    if url.startswith("sqlite"):
        created = create_engine(url, pool_size=20, max_overflow=0, connect_args={"check_same_thread": False})
        event.listen(created, "connect", apply_pragmas)
        return created
    # one connection per request the worker can run at once (service_common.database_budget)
    return create_engine(url, pool_size=pool_size(), max_overflow=0, pool_pre_ping=True)


def session() -> Session:
    """A new ORM session on the process's engine (use it as a context manager)."""
    return Session(engine(), expire_on_commit=False)


def init_database() -> None:
    """Create the tables and seed them once (the launcher calls this before workers start)."""
    with engine().begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text(INIT_LOCK))
        Base.metadata.create_all(connection)
        if connection.execute(select(func.count()).select_from(World)).scalar_one() == 0:
            connection.execute(insert(World), [{"id": i, "randomnumber": n} for i, n in world_rows()])
            connection.execute(insert(Fortune), [{"id": i, "message": m} for i, m in FORTUNES])
            connection.execute(insert(User), [{"id": i, "name": n, "email": e} for i, n, e in users()])
            if connection.dialect.name == "postgresql":  # explicit ids leave the sequence at 1: move it past them
                connection.execute(text(RESET_USERS_SEQUENCE))
    engine().dispose()
