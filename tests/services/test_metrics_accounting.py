"""The request counter is exact across workers, including a worker killed and replaced mid-way."""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil
import pytest

from observatory.run.service import ServiceProcess
from service_common.metric_names import CPU_SECONDS, IN_FLIGHT, REQUEST_DURATION, REQUESTS_TOTAL, RESIDENT_MEMORY
from service_common.profiles import find_profile

MULTI_WORKER_PROFILES = [
    ("fastapi", "uvicorn"),
    ("fastapi", "gunicorn-uvicorn"),
    ("flask", "gunicorn-sync"),
    ("django", "gunicorn-gthread"),
    ("baseline-asgi", "uvicorn"),
    ("baseline-wsgi", "gunicorn-sync"),
]


def total(text: str, name: str) -> float:
    """The sum of every sample of `name` in an exposition."""
    return sum(float(v) for v in re.findall(rf"^{name}(?:{{[^}}]*}})? ([0-9.e+-]+)$", text, flags=re.M))


def scrape(service: ServiceProcess) -> str:
    return httpx.get(f"{service.url}/metrics", timeout=10).text


def hammer(service: ServiceProcess, count: int) -> None:
    """`count` requests on fresh connections, 8 at a time, so every worker gets some."""

    def one(i: int) -> int:
        with httpx.Client(timeout=10) as client:
            return client.get(f"{service.url}/json").status_code

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(one, range(count))) == {200}


def workers_with_files(service: ServiceProcess) -> set[int]:
    directory = (
        Path(service.env["OBSERVATORY_DATA_DIR"]) / f"metrics-{service.profile.framework}-{service.profile.name}"
    )  # type: ignore[index]
    pids = {int(m.group(1)) for p in directory.iterdir() if (m := re.match(r"counter_(\d+)\.db", p.name))}
    return pids


def live_workers(service: ServiceProcess) -> set[int]:
    """The service's worker processes that are running (not zombies, not multiprocessing's helpers)."""
    workers = set()
    for child in psutil.Process(service.pid).children(recursive=True):
        try:
            if child.status() != psutil.STATUS_ZOMBIE and "resource_tracker" not in " ".join(child.cmdline()):
                workers.add(child.pid)
        except psutil.Error:
            continue
    return workers


@pytest.fixture(params=MULTI_WORKER_PROFILES, ids=lambda p: "/".join(p))
def two_workers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServiceProcess]:
    with ServiceProcess(find_profile(*request.param), tmp_path, workers=2, instrumentation="metrics") as service:
        yield service


def test_counter_is_exact_across_workers_and_restarts(two_workers: ServiceProcess) -> None:
    service = two_workers
    before = total(scrape(service), REQUESTS_TOTAL)
    hammer(service, 200)
    text = scrape(service)
    assert total(text, REQUESTS_TOTAL) - before == 200
    assert total(text, f"{REQUEST_DURATION}_count") == total(text, REQUESTS_TOTAL)
    served_by = workers_with_files(service) & live_workers(service)
    assert len(served_by) >= 2, f"only {served_by} served: the test needs both workers"

    victim = sorted(served_by)[0]
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        workers = live_workers(service)
        if victim not in workers and len(workers) >= 2:
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"worker {victim} was not replaced")
    service.wait_ready()
    before_second = total(scrape(service), REQUESTS_TOTAL)
    hammer(service, 100)
    text = scrape(service)
    assert total(text, REQUESTS_TOTAL) - before_second == 100
    assert total(text, REQUESTS_TOTAL) - before >= 300  # the dead worker's counts are kept
    assert total(text, f"{REQUEST_DURATION}_count") == total(text, REQUESTS_TOTAL)
    assert total(text, IN_FLIGHT) == 0
    assert total(text, CPU_SECONDS) > 0
    assert total(text, RESIDENT_MEMORY) > 20 * 2**20
