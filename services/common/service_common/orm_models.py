"""The tables as SQLAlchemy ORM models, shared by the FastAPI (async) and Flask (sync) services: both declare them the way SQLAlchemy 2.0 does."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """The models' registry."""


class World(Base):
    """A row of the 10,000-row world table."""

    __tablename__ = "world"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    randomnumber: Mapped[int] = mapped_column(Integer)


class Fortune(Base):
    """A fortune cookie message."""

    __tablename__ = "fortune"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message: Mapped[str] = mapped_column(String(2048))


class User(Base):
    """The article's example resource."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))
