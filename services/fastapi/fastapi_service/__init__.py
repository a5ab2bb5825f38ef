"""The FastAPI service: Pydantic models, async endpoints, SQLAlchemy async (aiosqlite / asyncpg)."""
