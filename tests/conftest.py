"""Fixtures shared by every test: the contract, the service table, real services on loopback; and a calibration
cache of the tests' own."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

# Before anything imports observatory.run.calibration (it reads the variable once): the tests calibrate k6 into a
# cache of their own, shared by the session and by the CLI runs it starts, so that they neither depend on a
# calibration a user's machine made on another day nor write into the user's .tools/cache.
TEST_CALIBRATION_CACHE = Path(tempfile.mkdtemp(prefix="observatory-test-calibration-"))
os.environ["OBSERVATORY_CALIBRATION_CACHE"] = str(TEST_CALIBRATION_CACHE)

import pytest  # noqa: E402
import yaml  # noqa: E402

from observatory.run.plan import BASELINE_PROFILES, DEFAULT_PROFILES  # noqa: E402
from observatory.run.service import ServiceProcess  # noqa: E402
from service_common.profiles import Profile, find_profile  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = ROOT / "services" / "contract" / "openapi.yaml"

# The services the contract suite runs, each under one representative profile: the frameworks under the profiles
# a run uses by default. To add a service, add it there: every equivalence test runs over this table.
FRAMEWORKS: dict[str, str] = dict(DEFAULT_PROFILES)
BASELINES: dict[str, str] = dict(BASELINE_PROFILES)
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


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(TEST_CALIBRATION_CACHE, ignore_errors=True)
