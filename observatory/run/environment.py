"""The conditions a run's numbers came from: versions, CPU, pinning, git commit."""

from __future__ import annotations

import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from observatory import tools
from observatory.run.k6 import GO_RUNTIME

PACKAGES = (
    "fastapi", "starlette", "pydantic", "uvicorn", "uvloop", "httptools", "gunicorn", "flask", "werkzeug",
    "jinja2", "django", "sqlalchemy", "aiosqlite", "asyncpg", "psycopg", "prometheus-client", "opentelemetry-sdk",
)  # fmt: skip


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (or the platform's processor string)."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def package_versions() -> dict[str, str | None]:
    """Installed versions of the frameworks, servers and libraries measured."""
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def lock_digests() -> dict[str, str | None]:
    """sha256 of each dependency lock (make lock): the harness's and each service image's, beside the versions."""
    import hashlib

    locks = {"harness": tools.ROOT / "requirements.lock"}
    locks |= {
        name: tools.ROOT / "services" / name / "requirements.lock"
        for name in ("fastapi", "flask", "django", "baseline")
    }
    return {
        name: hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None for name, path in locks.items()
    }


def git_commit() -> str | None:
    """The repository's commit, with `-dirty` when the tree has changes."""
    try:
        commit = subprocess.run(
            ["git", "describe", "--always", "--dirty"], cwd=tools.ROOT, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return commit.stdout.strip() or None


def describe(pinning: dict[str, list[int]]) -> dict[str, Any]:
    """Everything about the machine and software that a reader needs to trust or reproduce the numbers."""
    import sqlite3

    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu_model": cpu_model(),
        "cores": len(__import__("os").sched_getaffinity(0)),
        "pinning": pinning,
        "packages": package_versions(),
        "locks": lock_digests(),
        "k6": tools.version("k6"),
        "k6_go_runtime": dict(GO_RUNTIME),
        "prometheus": tools.version("prometheus"),
        "sqlite": sqlite3.sqlite_version,
        "git_commit": git_commit(),
    }
