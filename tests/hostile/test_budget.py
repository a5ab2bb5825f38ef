"""Database connections per profile: workers × pool must fit PostgreSQL's max_connections, checked at launch."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from service_common.database_budget import connections_per_worker
from service_common.profiles import all_profiles, find_profile
from tests.hostile.postgres import LocalPostgres


@pytest.mark.parametrize(
    ("framework", "profile", "pool"),
    [
        ("flask", "gunicorn-sync", 1),
        ("flask", "gunicorn-gthread", 4),
        ("django", "gunicorn-sync", 1),
        ("django", "gunicorn-gthread", 4),
        ("django", "uvicorn", 10),
        ("fastapi", "uvicorn", 10),
        ("fastapi", "gunicorn-uvicorn", 10),
    ],
)
def test_pool_per_worker_is_one_connection_per_request_slot(framework: str, profile: str, pool: int) -> None:
    assert connections_per_worker(find_profile(framework, profile)) == pool


def test_every_database_profile_has_a_pool_size() -> None:
    assert all(connections_per_worker(p) >= 1 for p in all_profiles() if p.needs_database)


def launch(profile: str, workers: int, database_url: str, tmp_path: object) -> subprocess.CompletedProcess[str]:
    spec = find_profile("fastapi", profile)
    env = {**os.environ, "DATABASE_URL": database_url, "OBSERVATORY_DATA_DIR": str(tmp_path)}
    env.pop("DB_POOL_SIZE", None)
    argv = [sys.executable, "-m", "service_common.launch", str(spec.service_dir), profile, "--workers", str(workers), "--host", "127.0.0.1", "--port", "9"]  # fmt: skip
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, cwd=spec.service_dir)


def test_launch_refuses_more_connections_than_postgres_allows(postgres: LocalPostgres, tmp_path: object) -> None:
    """50 uvicorn workers × 10 connections cannot fit 100 − 3 reserved: one line, exit 2, before any worker."""
    result = launch("uvicorn", 50, postgres.url("postgres"), tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert "fastapi/uvicorn: 50 workers × 10 connections = 500" in lines[0] and "allows 97" in lines[0], lines[0]


def test_launch_says_when_postgres_cannot_be_asked(tmp_path: object) -> None:
    result = launch("uvicorn", 1, "postgresql://nobody@127.0.0.1:9/none", tmp_path)
    assert result.returncode == 2 and result.stderr.startswith("launch: fastapi/uvicorn: cannot read max_connections")
    assert "Traceback" not in result.stderr
