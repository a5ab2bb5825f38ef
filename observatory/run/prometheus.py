"""A local Prometheus: its own temporary data folder, file-based scrape targets, remote-write receiver, native histograms."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from observatory.errors import ObservatoryError
from observatory.run.ports import free_port, require_free
from observatory.run.processes import OwnedProcess

# Each scrape is served by the service's own workers: 4.5 ms (up to 16 ms) of Flask's single sync worker for its
# 34 KB of metrics, during which requests queue. At two scrapes a second that queue pushed p99 over the SLO near
# Flask's capacity now and then: 5 repeats of flask json gave a CV of 5.0-6.5 %, against 3.1 % at one scrape every
# 2 s. The trials' exact counts come from the service's /metrics (run/service_metrics.py), not from these scrapes.
SCRAPE_INTERVAL_SECONDS = 2.0

CONFIG = """\
global:
  scrape_interval: {interval}ms
  scrape_timeout: {timeout}ms
  evaluation_interval: {interval}ms
scrape_configs:
  - job_name: observatory-services
    file_sd_configs:
      - files: [{targets}]
        refresh_interval: 1s
"""


@dataclass(frozen=True)
class ScrapeTarget:
    """A service's metrics endpoint and the labels its series get."""

    address: str
    labels: dict[str, str] = field(default_factory=dict)


def prometheus_binary() -> str:
    """The prometheus executable, or an error that says how to install it."""
    path = shutil.which("prometheus")
    if path is None:
        raise ObservatoryError(
            "prometheus not found on PATH; install it with `apt-get install prometheus` (or `make run-packages`)"
        )
    return path


class LocalPrometheus(OwnedProcess):
    """Prometheus on loopback, scraping the targets given with `set_targets` every SCRAPE_INTERVAL_SECONDS."""

    def __init__(self, workdir: Path, *, port: int | None = None, cores: Sequence[int] | None = None) -> None:
        # absolute: Prometheus resolves file_sd paths against its config file's folder, not our working folder
        workdir = workdir.resolve()
        self.workdir = workdir
        self.port = require_free(port, "Prometheus") if port else free_port()
        workdir.mkdir(parents=True, exist_ok=True)
        self.targets_file = workdir / "targets.json"
        self.targets_file.write_text("[]")
        self.targets: list[ScrapeTarget] = []
        config = workdir / "prometheus.yml"
        interval = SCRAPE_INTERVAL_SECONDS
        config.write_text(
            CONFIG.format(
                interval=int(interval * 1000), timeout=int(interval * 800), targets=json.dumps(str(self.targets_file))
            )
        )
        argv = [
            prometheus_binary(),
            f"--config.file={config}",
            f"--storage.tsdb.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--web.enable-remote-write-receiver",
            "--enable-feature=native-histograms",
            "--storage.tsdb.retention.time=1d",
            "--log.level=warn",
        ]
        super().__init__("prometheus", argv, log_path=workdir / "prometheus.log", cores=cores)
        # One client for every query: a new one per request builds a TLS context (24 ms here, even for http://),
        # which was a third of the time between two trials.
        self._client = httpx.Client(timeout=10)

    @property
    def url(self) -> str:
        """Prometheus's base URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def remote_write_url(self) -> str:
        """Where k6 sends its metrics."""
        return f"{self.url}/api/v1/write"

    def __enter__(self) -> LocalPrometheus:
        self.start()
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, grace: float = 10.0) -> None:
        """Stop Prometheus and close the query client."""
        try:
            super().stop(grace)
        finally:
            self._client.close()

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Block until /-/ready answers 200."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise ObservatoryError(f"prometheus exited with code {self.exit_code()}: {self.log_tail()}")
            try:
                if self._client.get(f"{self.url}/-/ready", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise ObservatoryError(f"prometheus was not ready after {timeout:.0f}s: {self.log_tail()}")

    def set_targets(self, targets: Sequence[ScrapeTarget]) -> None:
        """Replace the scrape targets (file service discovery, picked up within a second)."""
        groups = [{"targets": [t.address], "labels": t.labels} for t in targets]
        tmp = self.targets_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(groups))
        tmp.replace(self.targets_file)
        self.targets = list(targets)

    def wait_for_targets(self, count: int, timeout: float = 15.0) -> None:
        """Block until `count` targets are up and scraped at least once."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            active = self._api("targets")["activeTargets"]
            up = [t for t in active if t["health"] == "up"]
            if len(up) >= count:
                return
            time.sleep(0.2)
        raise ObservatoryError(f"prometheus did not scrape {count} target(s) within {timeout:.0f}s")

    def _api(self, path: str, params: dict[str, Any] | None = None) -> Any:
        try:
            response = self._client.get(f"{self.url}/api/v1/{path}", params=params)
        except httpx.HTTPError as error:
            raise ObservatoryError(f"prometheus query failed: {error}") from None
        body = response.json()
        if body.get("status") != "success":
            raise ObservatoryError(f"prometheus rejected {params}: {body.get('error', response.text[:200])}")
        return body["data"]

    def query(self, expr: str, at: float | None = None) -> list[dict[str, Any]]:
        """An instant query's result vector (each item has `metric` and `value`)."""
        params: dict[str, Any] = {"query": expr}
        if at is not None:
            params["time"] = f"{at:.3f}"
        data = self._api("query", params)
        return data["result"] if data["resultType"] == "vector" else [{"metric": {}, "value": data["result"]}]

    def query_value(self, expr: str, at: float | None = None) -> float | None:
        """The single number an instant query returns, or None when it returns nothing."""
        result = self.query(expr, at)
        if not result:
            return None
        value = float(result[0]["value"][1])
        return None if value != value else value  # NaN means no data

    def query_range(self, expr: str, start: float, end: float, step: float = 1.0) -> list[dict[str, Any]]:
        """A range query's result matrix."""
        return self._api("query_range", {"query": expr, "start": start, "end": end, "step": step})["result"]
