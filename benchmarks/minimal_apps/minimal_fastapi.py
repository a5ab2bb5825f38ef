"""The smallest FastAPI app serving the json workload, as FastAPI's tutorial writes it (benchmarks/parity.py)."""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI()


@app.get("/json")
async def json_route() -> dict[str, str]:
    return {"message": "Hello, World!"}


@app.get("/health/ready")
async def ready() -> dict[str, str]:
    return {"status": "ok"}
