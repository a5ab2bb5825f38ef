"""Every 201 is in the database with what was sent; no rejected body is; updates persist what they return."""

from __future__ import annotations

import json
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from observatory.run.service import ServiceProcess
from tests.conftest import FRAMEWORKS


def database(service: ServiceProcess) -> sqlite3.Connection:
    path = Path(service.env["OBSERVATORY_DATA_DIR"]) / f"{service.profile.framework}.sqlite3"  # type: ignore[index]
    return sqlite3.connect(path)


BODIES = [{"name": f"Persisted {i}", "email": f"persist{i}@example.com"} for i in range(20)] + [
    {"name": "", "email": "reject-empty@example.com"},
    {"name": "Reject Unknown", "email": "reject-unknown@example.com", "role": "admin"},
    {"name": "Reject Email", "email": "reject-not-an-email"},
    {"name": 7, "email": "reject-type@example.com"},
]


@pytest.mark.parametrize("framework", list(FRAMEWORKS))
def test_created_users_persist_and_rejected_do_not(framework: str, services: dict[str, ServiceProcess]) -> None:
    service = services[framework]
    with httpx.Client(base_url=service.url, timeout=10) as client, ThreadPoolExecutor(8) as pool:
        responses = list(
            pool.map(
                lambda body: client.post(
                    "/api/users", content=json.dumps(body), headers={"content-type": "application/json"}
                ),
                BODIES,
            )
        )
    created = [r.json() for r in responses if r.status_code == 201]
    assert len(created) == 20 and all(r.status_code in (201, 422) for r in responses)
    with database(service) as db:
        for user in created:
            assert db.execute("SELECT name, email FROM users WHERE id = ?", (user["id"],)).fetchone() == (
                user["name"],
                user["email"],
            )
        rejected = [b["email"] for b in BODIES if b["email"].startswith("reject")]
        placeholders = ",".join("?" * len(rejected))
        assert db.execute(f"SELECT count(*) FROM users WHERE email IN ({placeholders})", rejected).fetchone() == (0,)


@pytest.mark.parametrize("framework", list(FRAMEWORKS))
def test_updates_persist(framework: str, services: dict[str, ServiceProcess]) -> None:
    service = services[framework]
    rows = httpx.get(f"{service.url}/updates?queries=20", timeout=10).json()
    assert len({r["id"] for r in rows}) == 20
    with database(service) as db:
        for row in rows:
            assert db.execute("SELECT randomnumber FROM world WHERE id = ?", (row["id"],)).fetchone() == (
                row["randomNumber"],
            )
