"""The hostile suite's fleet: every service under every profile, on PostgreSQL, with a short read deadline."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest

from observatory.run.service import ServiceProcess
from service_common.profiles import Profile, all_profiles
from tests.hostile.postgres import LocalPostgres

# Short enough to test in seconds; the default (services/README.md) is 10 s.
READ_TIMEOUT = 2.0
# A request may wait for the deadline of a slow client ahead of it, plus this much for its own service.
SLACK = 6.0  # generous: the suite shares 2 cores with everything else CI runs
BOUND_SECONDS = READ_TIMEOUT + SLACK  # no answer may take longer than this
WORKERS = 2


@dataclass
class Tally:
    """What the suite sent and saw, for the summary line (5xx, hangs and invalid rows must all be 0)."""

    cases: int = 0
    requests: int = 0
    server_errors: list[str] = field(default_factory=list)
    hangs: list[str] = field(default_factory=list)
    invalid_rows: list[str] = field(default_factory=list)
    services: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def saw(self, service: str, status: int | None, what: str, hung: bool = False) -> None:
        """Count one request's outcome."""
        with self.lock:
            self.requests += 1
            self.services.add(service)
            if status is not None and status >= 500:
                self.server_errors.append(f"{service} {what}: {status}")
            if hung:
                self.hangs.append(f"{service} {what}")

    def case(self, count: int = 1) -> None:
        with self.lock:
            self.cases += count


TALLY = Tally()


@pytest.fixture(scope="session")
def tally() -> Tally:
    """The session's counts."""
    return TALLY


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line with the counts the issue asks for, when the hostile suite ran."""
    if not TALLY.requests:
        return
    terminalreporter.write_line(
        f"hostile: {TALLY.cases} cases, {TALLY.requests} requests, {len(TALLY.services)} services × profiles; "
        f"5xx {len(TALLY.server_errors)}, hangs {len(TALLY.hangs)}, invalid rows {len(TALLY.invalid_rows)}"
    )
    for line in (TALLY.server_errors + TALLY.hangs + TALLY.invalid_rows)[:20]:
        terminalreporter.write_line(f"  {line}")


@pytest.fixture(scope="session")
def postgres() -> Iterator[LocalPostgres]:
    """A private PostgreSQL server for the session."""
    with LocalPostgres(max_connections=100) as server:
        yield server


def _key(profile: Profile) -> str:
    return f"{profile.framework}/{profile.name}"


@pytest.fixture(scope="session")
def fleet(postgres: LocalPostgres, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ServiceProcess]]:
    """Every profile of every service, two workers each, started side by side."""
    profiles = all_profiles()
    databases = {
        _key(p): postgres.create_database(f"{p.framework}_{p.name}".replace("-", "_"))
        for p in profiles
        if p.needs_database
    }

    # made here, not in the threads: pytest creates its base folder on first use, and two threads racing to do
    # that get different ones
    data_dirs = {_key(p): tmp_path_factory.mktemp(f"hostile-{p.framework}-{p.name}") for p in profiles}

    def start(profile: Profile) -> ServiceProcess:
        env = {"REQUEST_READ_TIMEOUT": str(READ_TIMEOUT)}
        if _key(profile) in databases:
            env["DATABASE_URL"] = databases[_key(profile)]
        data_dir = data_dirs[_key(profile)]
        service = ServiceProcess(profile, data_dir, workers=WORKERS, instrumentation="metrics", env=env)
        service.start()
        try:
            return service.wait_ready(timeout=120)
        except BaseException:
            service.stop()
            raise

    started: dict[str, ServiceProcess] = {}
    try:
        with ThreadPoolExecutor(len(profiles)) as pool:
            futures = {_key(p): pool.submit(start, p) for p in profiles}
            errors = []
            for key, future in futures.items():
                try:
                    started[key] = future.result()
                except Exception as error:
                    errors.append(f"{key}: {error}")
            if errors:
                raise RuntimeError("; ".join(errors))
        yield started
    finally:
        with ThreadPoolExecutor(max(1, len(started))) as pool:
            list(pool.map(lambda service: service.stop(), started.values()))


@pytest.fixture(scope="session")
def framework_fleet(fleet: dict[str, ServiceProcess]) -> dict[str, ServiceProcess]:
    """The profiles with a database and the users routes (not the baselines)."""
    return {key: service for key, service in fleet.items() if service.profile.needs_database}
