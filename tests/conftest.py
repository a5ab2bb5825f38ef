"""Fixtures shared by every test: the contract, the service table, real services on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from observatory.run.service import ServiceProcess
from service_common.profiles import Profile, find_profile

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = ROOT / "services" / "contract" / "openapi.yaml"

# The services the contract suite runs, each under one representative profile.
# To add a service, add an entry: every equivalence test runs over this table.
FRAMEWORKS: dict[str, str] = {
    "fastapi": "uvicorn",
    "flask": "gunicorn-sync",
    "django": "gunicorn-sync",
}
BASELINES: dict[str, str] = {
    "baseline-asgi": "uvicorn",
    "baseline-wsgi": "gunicorn-sync",
}
ALL_SERVICES = {**FRAMEWORKS, **BASELINES}


@pytest.fixture(scope="session")
def contract() -> dict:
    """The services contract, parsed."""
    return yaml.safe_load(CONTRACT.read_text())


def profile_of(framework: str) -> Profile:
    """The profile the contract suite runs `framework` under."""
    return find_profile(framework, ALL_SERVICES[framework])


@pytest.fixture(scope="session")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ServiceProcess]]:
    """Every service of the table, running with two workers on loopback for the whole session."""
    started: dict[str, ServiceProcess] = {}
    try:
        for framework in ALL_SERVICES:
            data_dir = tmp_path_factory.mktemp(f"svc-{framework}")
            service = ServiceProcess(profile_of(framework), data_dir, workers=2, instrumentation="full")
            started[framework] = service.__enter__()
        yield started
    finally:
        for service in started.values():
            service.stop()


@pytest.fixture(scope="session")
def framework_services(services: dict[str, ServiceProcess]) -> dict[str, ServiceProcess]:
    """The three framework services (the baselines have no database routes)."""
    return {name: services[name] for name in FRAMEWORKS}
