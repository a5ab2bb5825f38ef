"""The hostile suite's fleet, on PostgreSQL: every service under every stock profile, and each framework's default
profile behind nginx (`observatory.run.proxy`), keyed `framework/profile` and `framework/profile+nginx`.

Application rules are checked on all of them; transport rules must hold behind nginx; on the stock profiles each
transport class is measured and checked against the server's documented setting (test_framing.py).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest

from observatory.run.plan import BASELINE_PROFILES, DEFAULT_PROFILES
from observatory.run.proxy import ProxiedService
from observatory.run.service import ServiceProcess
from service_common.profiles import Profile, all_profiles
from tests.hostile.postgres import LocalPostgres

# Short enough to test in seconds; the defaults (docs/servers.md) are 10 s (nginx) and 30 s (gunicorn's timeout).
READ_TIMEOUT = 2.0  # nginx's client_header_timeout and client_body_timeout
GUNICORN_TIMEOUT = 3  # gunicorn's `timeout`, set through its documented GUNICORN_CMD_ARGS
NGINX = "+nginx"
Served = ServiceProcess | ProxiedService
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
    transport: list[tuple[str, str, str, float]] = field(default_factory=list)  # case, service, outcome, seconds
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
    if TALLY.transport:
        terminalreporter.write_line(
            f"stock servers, {WORKERS} workers, gunicorn timeout {GUNICORN_TIMEOUT} s: what the client saw, after how long"
        )
        for case, service, seen, seconds in sorted(TALLY.transport):
            terminalreporter.write_line(f"  {case:28} {service:32} {seen:20} {seconds:5.1f} s")


@pytest.fixture(scope="session")
def postgres() -> Iterator[LocalPostgres]:
    """A private PostgreSQL server for the session."""
    with LocalPostgres(max_connections=100) as server:
        yield server


def _key(profile: Profile) -> str:
    return f"{profile.framework}/{profile.name}"


def behind_nginx(key: str) -> bool:
    """Whether a fleet key names a behind-nginx variant."""
    return key.endswith(NGINX)


def _nginx_variants(profiles: list[Profile]) -> list[Profile]:
    defaults = {**DEFAULT_PROFILES, **BASELINE_PROFILES}
    return [p for p in profiles if defaults.get(p.framework) == p.name]


@pytest.fixture(scope="session")
def fleet(postgres: LocalPostgres, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Served]]:
    """Every stock profile of every service and each default profile behind nginx, two workers each, side by side."""
    profiles = all_profiles()
    keys = [(_key(p), p) for p in profiles] + [(_key(p) + NGINX, p) for p in _nginx_variants(profiles)]
    databases = {
        key: postgres.create_database(key.replace("/", "_").replace("-", "_").replace("+", "_"))
        for key, p in keys
        if p.needs_database
    }

    # made here, not in the threads: pytest creates its base folder on first use, and two threads racing to do
    # that get different ones
    data_dirs = {key: tmp_path_factory.mktemp(f"hostile-{key.replace('/', '-').replace('+', '-')}") for key, _ in keys}

    def start(key: str, profile: Profile) -> Served:
        env = {"GUNICORN_CMD_ARGS": f"--timeout {GUNICORN_TIMEOUT}"}
        if key in databases:
            env["DATABASE_URL"] = databases[key]
        data_dir = data_dirs[key]
        direct = ServiceProcess(profile, data_dir, workers=WORKERS, instrumentation="metrics", env=env)
        service: Served = direct
        if behind_nginx(key):
            service = ProxiedService(direct, data_dir / "nginx", read_seconds=READ_TIMEOUT)
        service.start()
        try:
            return service.wait_ready(timeout=120)
        except BaseException:
            service.stop()
            raise

    started: dict[str, Served] = {}
    try:
        with ThreadPoolExecutor(len(keys)) as pool:
            futures = {key: pool.submit(start, key, p) for key, p in keys}
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
def framework_fleet(fleet: dict[str, Served]) -> dict[str, Served]:
    """The profiles with a database and the users routes (not the baselines)."""
    return {key: service for key, service in fleet.items() if service.profile.needs_database}


@pytest.fixture(scope="session")
def nginx_fleet(fleet: dict[str, Served]) -> dict[str, Served]:
    """The behind-nginx variants: where the transport rules must hold."""
    return {key: service for key, service in fleet.items() if behind_nginx(key)}


@pytest.fixture(scope="session")
def stock_fleet(fleet: dict[str, Served]) -> dict[str, Served]:
    """The stock profiles of the framework services: where each transport class is measured."""
    return {k: s for k, s in fleet.items() if not behind_nginx(k) and s.profile.needs_database}
